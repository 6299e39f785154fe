// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mlx5dv_init_obj(): exposes the mlx5 hardware layout (WQE buffers,
 * doorbell records, UARs) behind verbs objects.  smlx queues have a
 * different layout, so there is nothing truthful to fill in.
 *
 * rdma-core 44 exports this function twice: MLX5_1.2 is the default and
 * MLX5_1.0 remains for binaries linked before PD/AH/DM were added to
 * struct mlx5dv_obj.  Both versions are provided.
 */
#include <infiniband/mlx5dv.h>

#include "dv_errors.h"

static int init_obj_refusal(struct mlx5dv_obj *obj, uint64_t obj_type)
{
	if (!obj || !obj_type)
		return dv_fail(EINVAL);
	return dv_fail(EOPNOTSUPP);
}

__attribute__((symver("mlx5dv_init_obj@@MLX5_1.2")))
int smlx_dv_init_obj(struct mlx5dv_obj *obj, uint64_t obj_type);
int smlx_dv_init_obj(struct mlx5dv_obj *obj, uint64_t obj_type)
{
	return init_obj_refusal(obj, obj_type);
}

__attribute__((symver("mlx5dv_init_obj@MLX5_1.0")))
int smlx_dv_init_obj_1_0(struct mlx5dv_obj *obj, uint64_t obj_type);
int smlx_dv_init_obj_1_0(struct mlx5dv_obj *obj, uint64_t obj_type)
{
	return init_obj_refusal(obj, obj_type);
}
