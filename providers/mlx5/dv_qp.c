// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mlx5dv extensions of the verbs objects: CQ/QP/WQ creation with mlx5
 * attributes (DC transport, CQE compression, striding RQ, ...), mlx5 work
 * request builders, memory keys (UMR), LAG port affinity and device memory.
 * They describe mlx5 hardware queues, which smlx does not have: its queues
 * follow its own format (kernel/uapi/rdma/smlx-queue.h) and are created
 * with the plain verbs.
 */
#include <infiniband/mlx5dv.h>

#include "dv_errors.h"

struct ibv_cq_ex *mlx5dv_create_cq(struct ibv_context *context,
				   struct ibv_cq_init_attr_ex *cq_attr,
				   struct mlx5dv_cq_init_attr *mlx5_cq_attr)
{
	(void)mlx5_cq_attr;
	return dv_fail_ptr(cq_attr ? dv_refusal(context) : EINVAL);
}

struct ibv_qp *mlx5dv_create_qp(struct ibv_context *context,
				struct ibv_qp_init_attr_ex *qp_attr,
				struct mlx5dv_qp_init_attr *mlx5_qp_attr)
{
	(void)mlx5_qp_attr;
	return dv_fail_ptr(qp_attr ? dv_refusal(context) : EINVAL);
}

struct ibv_wq *mlx5dv_create_wq(struct ibv_context *context,
				struct ibv_wq_init_attr *wq_init_attr,
				struct mlx5dv_wq_init_attr *mlx5_wq_attr)
{
	(void)mlx5_wq_attr;
	return dv_fail_ptr(wq_init_attr ? dv_refusal(context) : EINVAL);
}

/*
 * rdma-core finds the mlx5dv_qp_ex beside the ibv_qp_ex it embeds.  No QP
 * made here has one (mlx5dv_create_qp never succeeds), so there is none to
 * return, and guessing at foreign memory would hand out a wild pointer.
 */
struct mlx5dv_qp_ex *mlx5dv_qp_ex_from_ibv_qp_ex(struct ibv_qp_ex *qp)
{
	return dv_fail_ptr(dv_refusal(qp));
}

int mlx5dv_qp_cancel_posted_send_wrs(struct mlx5dv_qp_ex *mqp, uint64_t wr_id)
{
	(void)wr_id;
	return dv_fail(dv_refusal(mqp));
}

int mlx5dv_map_ah_to_qp(struct ibv_ah *ah, uint32_t qp_num)
{
	(void)qp_num;
	return dv_fail(dv_refusal(ah));
}

int mlx5dv_query_qp_lag_port(struct ibv_qp *qp, uint8_t *port_num,
			     uint8_t *active_port_num)
{
	if (!port_num || !active_port_num)
		return dv_fail(EINVAL);
	return dv_fail(dv_refusal(qp));
}

int mlx5dv_modify_qp_lag_port(struct ibv_qp *qp, uint8_t port_num)
{
	(void)port_num;
	return dv_fail(dv_refusal(qp));
}

int mlx5dv_modify_qp_udp_sport(struct ibv_qp *qp, uint16_t udp_sport)
{
	(void)udp_sport;
	return dv_fail(dv_refusal(qp));
}

int mlx5dv_dci_stream_id_reset(struct ibv_qp *qp, uint16_t stream_id)
{
	(void)stream_id;
	return dv_fail(dv_refusal(qp));
}

int mlx5dv_reserved_qpn_alloc(struct ibv_context *ctx, uint32_t *qpn)
{
	return dv_fail(qpn ? dv_refusal(ctx) : EINVAL);
}

int mlx5dv_reserved_qpn_dealloc(struct ibv_context *ctx, uint32_t qpn)
{
	(void)qpn;
	return dv_fail(dv_refusal(ctx));
}

struct mlx5dv_mkey *mlx5dv_create_mkey(struct mlx5dv_mkey_init_attr *mkey_init_attr)
{
	if (!mkey_init_attr)
		return dv_fail_ptr(EINVAL);
	return dv_fail_ptr(dv_refusal(mkey_init_attr->pd));
}

int mlx5dv_destroy_mkey(struct mlx5dv_mkey *mkey)
{
	return dv_fail(dv_refusal(mkey));
}

int _mlx5dv_mkey_check(struct mlx5dv_mkey *mkey,
		       struct mlx5dv_mkey_err *err_info, size_t err_info_size)
{
	(void)err_info_size;
	return dv_fail(err_info ? dv_refusal(mkey) : EINVAL);
}

struct ibv_dm *mlx5dv_alloc_dm(struct ibv_context *context,
			       struct ibv_alloc_dm_attr *dm_attr,
			       struct mlx5dv_alloc_dm_attr *mlx5_dm_attr)
{
	if (!dm_attr || !mlx5_dm_attr)
		return dv_fail_ptr(EINVAL);
	return dv_fail_ptr(dv_refusal(context));
}

void *mlx5dv_dm_map_op_addr(struct ibv_dm *dm, uint8_t op)
{
	(void)op;
	return dv_fail_ptr(dv_refusal(dm));
}
