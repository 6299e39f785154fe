// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mlx5dv_sched_*: the NIC's hierarchical transmit scheduler (bandwidth
 * shares and rate limits per QP).  smlx does not shape traffic.
 */
#include <infiniband/mlx5dv.h>

#include "dv_errors.h"

struct mlx5dv_sched_node *
mlx5dv_sched_node_create(struct ibv_context *context,
			 const struct mlx5dv_sched_attr *sched_attr)
{
	return dv_fail_ptr(sched_attr ? dv_refusal(context) : EINVAL);
}

struct mlx5dv_sched_leaf *
mlx5dv_sched_leaf_create(struct ibv_context *context,
			 const struct mlx5dv_sched_attr *sched_attr)
{
	return dv_fail_ptr(sched_attr ? dv_refusal(context) : EINVAL);
}

int mlx5dv_sched_node_modify(struct mlx5dv_sched_node *node,
			     const struct mlx5dv_sched_attr *sched_attr)
{
	return dv_fail(sched_attr ? dv_refusal(node) : EINVAL);
}

int mlx5dv_sched_leaf_modify(struct mlx5dv_sched_leaf *leaf,
			     const struct mlx5dv_sched_attr *sched_attr)
{
	return dv_fail(sched_attr ? dv_refusal(leaf) : EINVAL);
}

int mlx5dv_sched_node_destroy(struct mlx5dv_sched_node *node)
{
	return dv_fail(dv_refusal(node));
}

int mlx5dv_sched_leaf_destroy(struct mlx5dv_sched_leaf *leaf)
{
	return dv_fail(dv_refusal(leaf));
}

int mlx5dv_modify_qp_sched_elem(struct ibv_qp *qp,
				const struct mlx5dv_sched_leaf *requestor,
				const struct mlx5dv_sched_leaf *responder)
{
	(void)requestor;
	(void)responder;
	return dv_fail(dv_refusal(qp));
}
