// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mlx5dv flow steering: matchers in the device's match-parameter format,
 * steering anchors and packet-rewriting flow actions.  smlx has no packet
 * steering engine, so none of these objects can exist.
 */
#include <infiniband/mlx5dv.h>

#include "dv_errors.h"

/*
 * Every entry point here refuses without looking at more than the object
 * it was handed, so most parameters go unread; they keep their names
 * because the signatures must read as in mlx5dv.h.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"

struct mlx5dv_flow_matcher *
mlx5dv_create_flow_matcher(struct ibv_context *context,
			   struct mlx5dv_flow_matcher_attr *matcher_attr)
{
	return dv_fail_ptr(matcher_attr ? dv_refusal(context) : EINVAL);
}

int mlx5dv_destroy_flow_matcher(struct mlx5dv_flow_matcher *matcher)
{
	return dv_fail(dv_refusal(matcher));
}

struct ibv_flow *
mlx5dv_create_flow(struct mlx5dv_flow_matcher *matcher,
		   struct mlx5dv_flow_match_parameters *match_value,
		   size_t num_actions,
		   struct mlx5dv_flow_action_attr actions_attr[])
{
	return dv_fail_ptr(dv_refusal(matcher));
}

struct mlx5dv_steering_anchor *
mlx5dv_create_steering_anchor(struct ibv_context *context,
			      struct mlx5dv_steering_anchor_attr *attr)
{
	return dv_fail_ptr(attr ? dv_refusal(context) : EINVAL);
}

int mlx5dv_destroy_steering_anchor(struct mlx5dv_steering_anchor *sa)
{
	return dv_fail(dv_refusal(sa));
}

struct ibv_flow_action *
mlx5dv_create_flow_action_esp(struct ibv_context *ctx,
			      struct ibv_flow_action_esp_attr *esp,
			      struct mlx5dv_flow_action_esp *mlx5_attr)
{
	return dv_fail_ptr(esp ? dv_refusal(ctx) : EINVAL);
}

struct ibv_flow_action *
mlx5dv_create_flow_action_modify_header(struct ibv_context *ctx,
					size_t actions_sz, uint64_t actions[],
					enum mlx5dv_flow_table_type ft_type)
{
	return dv_fail_ptr(dv_refusal(ctx));
}

struct ibv_flow_action *
mlx5dv_create_flow_action_packet_reformat(struct ibv_context *ctx,
					  size_t data_sz, void *data,
					  enum mlx5dv_flow_action_packet_reformat_type reformat_type,
					  enum mlx5dv_flow_table_type ft_type)
{
	return dv_fail_ptr(dv_refusal(ctx));
}
