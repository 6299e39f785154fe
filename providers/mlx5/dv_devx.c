// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mlx5dv_devx_*: raw mlx5 firmware commands (PRM mailboxes) and the
 * resources they use (UARs, VARs, umems, EQs, packet pacing).  The smlx
 * device has no firmware to pass commands to, so the calls report
 * EOPNOTSUPP; a DEVX-only application then falls back or stops cleanly.
 */
#include <infiniband/mlx5dv.h>

#include "dv_errors.h"

/*
 * Every entry point here refuses without looking at more than the object
 * it was handed, so most parameters go unread; they keep their names
 * because the signatures must read as in mlx5dv.h.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"

struct mlx5dv_devx_obj *mlx5dv_devx_obj_create(struct ibv_context *context,
					       const void *in, size_t inlen,
					       void *out, size_t outlen)
{
	return dv_fail_ptr(dv_refusal(context));
}

/* Firmware queries and modifications of DEVX and verbs objects. */
#define DEVX_OBJECT_CMD(_name, _type)                                        \
	int _name(_type *obj, const void *in, size_t inlen, void *out,        \
		  size_t outlen)                                               \
	{                                                                      \
		return dv_fail(dv_refusal(obj));                               \
	}

DEVX_OBJECT_CMD(mlx5dv_devx_obj_query, struct mlx5dv_devx_obj)
DEVX_OBJECT_CMD(mlx5dv_devx_obj_modify, struct mlx5dv_devx_obj)

int mlx5dv_devx_obj_destroy(struct mlx5dv_devx_obj *obj)
{
	return dv_fail(dv_refusal(obj));
}

int mlx5dv_devx_general_cmd(struct ibv_context *context, const void *in,
			    size_t inlen, void *out, size_t outlen)
{
	return dv_fail(dv_refusal(context));
}

struct mlx5dv_devx_umem *mlx5dv_devx_umem_reg(struct ibv_context *ctx,
					      void *addr, size_t size,
					      uint32_t access)
{
	return dv_fail_ptr(dv_refusal(ctx));
}

struct mlx5dv_devx_umem *
mlx5dv_devx_umem_reg_ex(struct ibv_context *ctx,
			struct mlx5dv_devx_umem_in *umem_in)
{
	return dv_fail_ptr(umem_in ? dv_refusal(ctx) : EINVAL);
}

int mlx5dv_devx_umem_dereg(struct mlx5dv_devx_umem *umem)
{
	return dv_fail(dv_refusal(umem));
}

struct mlx5dv_devx_uar *mlx5dv_devx_alloc_uar(struct ibv_context *context,
					      uint32_t flags)
{
	return dv_fail_ptr(dv_refusal(context));
}

void mlx5dv_devx_free_uar(struct mlx5dv_devx_uar *devx_uar)
{
	dv_fail(dv_refusal(devx_uar));
}

struct mlx5dv_var *mlx5dv_alloc_var(struct ibv_context *context, uint32_t flags)
{
	return dv_fail_ptr(dv_refusal(context));
}

void mlx5dv_free_var(struct mlx5dv_var *dv_var)
{
	dv_fail(dv_refusal(dv_var));
}

int mlx5dv_devx_query_eqn(struct ibv_context *context, uint32_t vector,
			  uint32_t *eqn)
{
	return dv_fail(eqn ? dv_refusal(context) : EINVAL);
}

DEVX_OBJECT_CMD(mlx5dv_devx_cq_query, struct ibv_cq)
DEVX_OBJECT_CMD(mlx5dv_devx_cq_modify, struct ibv_cq)
DEVX_OBJECT_CMD(mlx5dv_devx_qp_query, struct ibv_qp)
DEVX_OBJECT_CMD(mlx5dv_devx_qp_modify, struct ibv_qp)
DEVX_OBJECT_CMD(mlx5dv_devx_srq_query, struct ibv_srq)
DEVX_OBJECT_CMD(mlx5dv_devx_srq_modify, struct ibv_srq)
DEVX_OBJECT_CMD(mlx5dv_devx_wq_query, struct ibv_wq)
DEVX_OBJECT_CMD(mlx5dv_devx_wq_modify, struct ibv_wq)
DEVX_OBJECT_CMD(mlx5dv_devx_ind_tbl_query, struct ibv_rwq_ind_table)
DEVX_OBJECT_CMD(mlx5dv_devx_ind_tbl_modify, struct ibv_rwq_ind_table)

struct mlx5dv_devx_cmd_comp *
mlx5dv_devx_create_cmd_comp(struct ibv_context *context)
{
	return dv_fail_ptr(dv_refusal(context));
}

void mlx5dv_devx_destroy_cmd_comp(struct mlx5dv_devx_cmd_comp *cmd_comp)
{
	dv_fail(dv_refusal(cmd_comp));
}

int mlx5dv_devx_obj_query_async(struct mlx5dv_devx_obj *obj, const void *in,
				size_t inlen, size_t outlen, uint64_t wr_id,
				struct mlx5dv_devx_cmd_comp *cmd_comp)
{
	return dv_fail(dv_refusal(obj));
}

int mlx5dv_devx_get_async_cmd_comp(struct mlx5dv_devx_cmd_comp *cmd_comp,
				   struct mlx5dv_devx_async_cmd_hdr *cmd_resp,
				   size_t cmd_resp_len)
{
	return dv_fail(dv_refusal(cmd_comp));
}

struct mlx5dv_devx_event_channel *
mlx5dv_devx_create_event_channel(struct ibv_context *context,
				 enum mlx5dv_devx_create_event_channel_flags flags)
{
	return dv_fail_ptr(dv_refusal(context));
}

void mlx5dv_devx_destroy_event_channel(struct mlx5dv_devx_event_channel *event_channel)
{
	dv_fail(dv_refusal(event_channel));
}

int mlx5dv_devx_subscribe_devx_event(struct mlx5dv_devx_event_channel *event_channel,
				     struct mlx5dv_devx_obj *obj,
				     uint16_t events_sz, uint16_t events_num[],
				     uint64_t cookie)
{
	return dv_fail(dv_refusal(event_channel));
}

int mlx5dv_devx_subscribe_devx_event_fd(struct mlx5dv_devx_event_channel *event_channel,
					int fd, struct mlx5dv_devx_obj *obj,
					uint16_t event_num)
{
	return dv_fail(dv_refusal(event_channel));
}

/* Like read(2): -1 with errno. */
ssize_t mlx5dv_devx_get_event(struct mlx5dv_devx_event_channel *event_channel,
			      struct mlx5dv_devx_async_event_hdr *event_data,
			      size_t event_resp_len)
{
	dv_fail(dv_refusal(event_channel));
	return -1;
}

struct mlx5dv_devx_msi_vector *
mlx5dv_devx_alloc_msi_vector(struct ibv_context *ibctx)
{
	return dv_fail_ptr(dv_refusal(ibctx));
}

int mlx5dv_devx_free_msi_vector(struct mlx5dv_devx_msi_vector *msi)
{
	return dv_fail(dv_refusal(msi));
}

struct mlx5dv_devx_eq *mlx5dv_devx_create_eq(struct ibv_context *ibctx,
					     const void *in, size_t inlen,
					     void *out, size_t outlen)
{
	return dv_fail_ptr(dv_refusal(ibctx));
}

int mlx5dv_devx_destroy_eq(struct mlx5dv_devx_eq *eq)
{
	return dv_fail(dv_refusal(eq));
}

struct mlx5dv_pp *mlx5dv_pp_alloc(struct ibv_context *context,
				  size_t pp_context_sz,
				  const void *pp_context, uint32_t flags)
{
	return dv_fail_ptr(dv_refusal(context));
}

void mlx5dv_pp_free(struct mlx5dv_pp *pp)
{
	dv_fail(dv_refusal(pp));
}
