/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What an smlx device advertises.  Every number here is a promise the
 * driver keeps: query_device reports it and the verbs enforce it, so raise a
 * limit or a capability only together with the code that honours it.
 */
#ifndef SMLX_LIMITS_H
#define SMLX_LIMITS_H

#include <rdma/ib_verbs.h>

/* Identity: honest about being software, never taken for a ConnectX. */
#define SMLX_VENDOR_ID		0xFFFFFF	/* no IEEE OUI, as rxe */
#define SMLX_VENDOR_PART_ID	0x5111
#define SMLX_HW_REV		1
#define SMLX_FW_VER_MAJOR	0
#define SMLX_FW_VER_MINOR	1
#define SMLX_FW_VER_SUBMINOR	0
#define SMLX_NODE_DESC		"smlx software HCA"
#define SMLX_BOARD_ID		"SMLX_SW_ODP"

/* Object counts.  Keys and PD numbers are allocated within these. */
#define SMLX_MAX_PD		(1 << 16)
#define SMLX_MAX_MR		(1 << 20)	/* MR index fits the 24-bit key index */
#define SMLX_MAX_QP		(1 << 16)
#define SMLX_MAX_QP_WR		(1 << 14)
#define SMLX_MAX_SGE		32
#define SMLX_MAX_CQ		(1 << 16)
#define SMLX_MAX_CQE		((1 << 22) - 1)
#define SMLX_MAX_SRQ		(1 << 14)
#define SMLX_MAX_SRQ_WR		(1 << 14)
#define SMLX_MAX_AH		(1 << 16)
#define SMLX_MAX_INLINE_DATA	256

/*
 * Largest explicit MR: the 47-bit user address space.  The implicit ODP
 * MR (start 0, length U64_MAX) is the one exception and is recognised
 * before this limit is applied.
 */
#define SMLX_MAX_MR_SIZE	(1ULL << 47)
#define SMLX_PAGE_SIZE_CAP	PAGE_SIZE

#define SMLX_PORT_GID_TBL_LEN	128
#define SMLX_PORT_PKEY_TBL_LEN	1
#define SMLX_DEFAULT_PKEY	0xffff
#define SMLX_PORT_MAX_MTU	IB_MTU_4096
#define SMLX_PORT_MAX_MSG_SZ	0x80000000U

/*
 * Implicit ODP children each cover 1 << SMLX_ODP_CHUNK_SHIFT bytes of the
 * address space (1 GiB, as mlx5 with a 48-bit user VA).
 */
#define SMLX_ODP_CHUNK_SHIFT	30

/*
 * ODP capabilities: what the engine can page-fault on, per transport, each
 * bit proven by tests/vm/cases/52-odp-traffic.sh (ODP on the requester, on
 * the responder and on both).  Set bits here, and nowhere else.
 */
#define SMLX_ODP_GENERAL_CAPS	(IB_ODP_SUPPORT | IB_ODP_SUPPORT_IMPLICIT)
#define SMLX_ODP_RC_CAPS	(IB_ODP_SUPPORT_SEND | IB_ODP_SUPPORT_RECV | \
				 IB_ODP_SUPPORT_WRITE | IB_ODP_SUPPORT_READ | \
				 IB_ODP_SUPPORT_ATOMIC | \
				 IB_ODP_SUPPORT_SRQ_RECV)
#define SMLX_ODP_UC_CAPS	(IB_ODP_SUPPORT_SEND | IB_ODP_SUPPORT_RECV | \
				 IB_ODP_SUPPORT_WRITE)
#define SMLX_ODP_UD_CAPS	(IB_ODP_SUPPORT_SEND | IB_ODP_SUPPORT_RECV | \
				 IB_ODP_SUPPORT_SRQ_RECV)
#define SMLX_ODP_XRC_CAPS	SMLX_ODP_RC_CAPS

#endif /* SMLX_LIMITS_H */
