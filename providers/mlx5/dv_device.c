// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mlx5dv device-level calls.  Applications ask mlx5dv_is_supported() (or
 * try mlx5dv_open_device()/mlx5dv_query_device()) before using any mlx5
 * extension, so answering "no" here is what steers perftest and pyverbs
 * onto plain verbs for smlx devices.
 */
#include <string.h>

#include <infiniband/mlx5dv.h>

#include "dv_errors.h"
#include "smlx.h"

/* smlx devices speak verbs, not the mlx5 hardware interface. */
bool mlx5dv_is_supported(struct ibv_device *device)
{
	(void)device;
	return false;
}

struct ibv_context *mlx5dv_open_device(struct ibv_device *device,
				       struct mlx5dv_context_attr *attr)
{
	(void)attr;
	return dv_fail_ptr(dv_refusal(device));
}

int mlx5dv_query_device(struct ibv_context *ctx_in,
			struct mlx5dv_context *attrs_out)
{
	return dv_fail(attrs_out ? dv_refusal(ctx_in) : EINVAL);
}

int mlx5dv_set_context_attr(struct ibv_context *context,
			    enum mlx5dv_set_ctx_attr_type type, void *attr)
{
	(void)type;
	return dv_fail(attr ? dv_refusal(context) : EINVAL);
}

int _mlx5dv_query_port(struct ibv_context *context, uint32_t port_num,
		       struct mlx5dv_port *info, size_t info_len)
{
	(void)port_num;
	(void)info_len;
	return dv_fail(info ? dv_refusal(context) : EINVAL);
}

/*
 * The smlx device clock already counts nanoseconds, so the conversion
 * mlx5dv_ts_to_ns() applies is the identity: one "cycle" per nanosecond
 * (mult 1, shift 0) over the full 64 bits, anchored at the last value the
 * kernel published in the status page.
 */
int mlx5dv_get_clock_info(struct ibv_context *context,
			  struct mlx5dv_clock_info *clock_info)
{
	struct smlx_context *ctx = smlx_context_of(context);
	uint64_t now;

	if (!clock_info || !context)
		return dv_fail(EINVAL);
	if (!ctx || !ctx->status)
		return dv_fail(EOPNOTSUPP);

	now = ctx->status->clock_ns;
	memset(clock_info, 0, sizeof(*clock_info));
	clock_info->nsec = now;
	clock_info->last_cycles = now;
	clock_info->frac = 0;
	clock_info->mult = 1;
	clock_info->shift = 0;
	clock_info->mask = UINT64_MAX;
	return 0;
}

struct ibv_device **
mlx5dv_get_vfio_device_list(struct mlx5dv_vfio_context_attr *attr)
{
	/* Only real ConnectX functions bound to vfio-pci qualify. */
	return dv_fail_ptr(attr ? ENODEV : EINVAL);
}

int mlx5dv_vfio_get_events_fd(struct ibv_context *ibctx)
{
	dv_fail(dv_refusal(ibctx));
	return -1;
}

int mlx5dv_vfio_process_events(struct ibv_context *context)
{
	return dv_fail(dv_refusal(context));
}
