/* SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB) */
/*
 * rdma-core installs the kernel's ioctl-verbs uapi under this name; the
 * installed kernel uapi (linux-libc-dev) carries the same definitions, so we
 * forward to it instead of keeping a second copy that could drift.
 */
#ifndef SMLX_INFINIBAND_IB_USER_IOCTL_VERBS_H
#define SMLX_INFINIBAND_IB_USER_IOCTL_VERBS_H

#include <rdma/ib_user_ioctl_verbs.h>

#endif
