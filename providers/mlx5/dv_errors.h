/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * How the mlx5dv_* entry points refuse work.  None of them can act on an
 * smlx device (it has no mlx5 firmware, UARs, ICM or steering tables) and
 * none ever hands out an object, so any object passed back in was made by
 * somebody else.  The conventions follow rdma-core 44's libmlx5, which
 * applications test against:
 *   - functions returning int give the errno value and also set errno;
 *   - functions returning a pointer give NULL with errno set;
 *   - a missing mandatory argument is EINVAL, everything else EOPNOTSUPP.
 */
#ifndef SMLX_DV_ERRORS_H
#define SMLX_DV_ERRORS_H

#include <errno.h>
#include <stddef.h>

static inline int dv_fail(int err)
{
	errno = err;
	return err;
}

static inline void *dv_fail_ptr(int err)
{
	errno = err;
	return NULL;
}

/* errno for an operation on @arg, which must not be NULL. */
static inline int dv_refusal(const void *arg)
{
	return arg ? EOPNOTSUPP : EINVAL;
}

#endif /* SMLX_DV_ERRORS_H */
