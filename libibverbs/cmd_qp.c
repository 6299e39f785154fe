// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* QP commands over the uverbs write() ABI. */
#include <errno.h>
#include <string.h>

#include "ibverbs.h"

/*
 * The core request members that create QP and its extended form share;
 * zeroes the rest of the core request.
 */
#define FILL_CREATE_QP(cmd, qp, attr, vxrcd)                                   \
	({                                                                     \
		int __ret = 0;                                                 \
		memset(&(cmd)->core_payload, 0, sizeof((cmd)->core_payload));  \
		(cmd)->user_handle = (uintptr_t)(qp);                          \
		if ((attr)->comp_mask & IBV_QP_INIT_ATTR_XRCD) {               \
			vxrcd = container_of((attr)->xrcd, struct verbs_xrcd,  \
					     xrcd);                            \
			(cmd)->pd_handle = vxrcd->handle;                      \
		} else if (!((attr)->comp_mask & IBV_QP_INIT_ATTR_PD)) {       \
			__ret = EINVAL;                                        \
		} else {                                                       \
			(cmd)->pd_handle = (attr)->pd->handle;                 \
			if ((attr)->comp_mask & IBV_QP_INIT_ATTR_IND_TABLE) {  \
				if ((attr)->cap.max_recv_wr ||                 \
				    (attr)->cap.max_recv_sge ||                \
				    (attr)->recv_cq || (attr)->srq)            \
					__ret = EINVAL;                        \
				else if ((attr)->cap.max_send_wr &&            \
					 (attr)->send_cq)                      \
					(cmd)->send_cq_handle =                \
						(attr)->send_cq->handle;       \
			} else {                                               \
				if ((attr)->send_cq)                           \
					(cmd)->send_cq_handle =                \
						(attr)->send_cq->handle;       \
				if ((attr)->qp_type != IBV_QPT_XRC_SEND) {     \
					if ((attr)->recv_cq)                   \
						(cmd)->recv_cq_handle =        \
						(attr)->recv_cq->handle;       \
					if ((attr)->srq)                       \
						(cmd)->srq_handle =            \
							(attr)->srq->handle;   \
				}                                              \
			}                                                      \
		}                                                              \
		(cmd)->max_send_wr = (attr)->cap.max_send_wr;                  \
		(cmd)->max_recv_wr = (attr)->cap.max_recv_wr;                  \
		(cmd)->max_send_sge = (attr)->cap.max_send_sge;                \
		(cmd)->max_recv_sge = (attr)->cap.max_recv_sge;                \
		(cmd)->max_inline_data = (attr)->cap.max_inline_data;          \
		(cmd)->sq_sig_all = (attr)->sq_sig_all;                        \
		(cmd)->qp_type = (attr)->qp_type;                              \
		(cmd)->is_srq = !!(attr)->srq;                                 \
		(cmd)->reserved = 0;                                           \
		__ret;                                                         \
	})

static void init_qp_from_resp(struct ibv_context *ctx, struct ibv_qp *qp,
			      struct ibv_qp_init_attr_ex *attr,
			      const struct ib_uverbs_create_qp_resp *resp)
{
	qp->handle = resp->qp_handle;
	qp->qp_num = resp->qpn;
	qp->context = ctx;
	qp->qp_context = attr->qp_context;
	qp->pd = (attr->comp_mask & IBV_QP_INIT_ATTR_PD) ? attr->pd : NULL;
	qp->send_cq = attr->send_cq;
	qp->recv_cq = attr->recv_cq;
	qp->srq = attr->srq;
	qp->qp_type = attr->qp_type;
	qp->state = IBV_QPS_RESET;
	events_init(&qp->mutex, &qp->cond, &qp->events_completed);

	attr->cap.max_recv_sge = resp->max_recv_sge;
	attr->cap.max_send_sge = resp->max_send_sge;
	attr->cap.max_recv_wr = resp->max_recv_wr;
	attr->cap.max_send_wr = resp->max_send_wr;
	attr->cap.max_inline_data = resp->max_inline_data;
}

static void init_vqp_from_resp(struct ibv_context *ctx, struct verbs_qp *vqp,
			       struct ibv_qp_init_attr_ex *attr,
			       const struct ib_uverbs_create_qp_resp *resp,
			       struct verbs_xrcd *vxrcd)
{
	init_qp_from_resp(ctx, &vqp->qp, attr, resp);
	/* VERBS_QP_EX is the provider's to set; keep what it put there */
	if (attr->comp_mask & IBV_QP_INIT_ATTR_XRCD) {
		vqp->comp_mask |= VERBS_QP_XRCD;
		vqp->xrcd = vxrcd;
	}
}

IBV_EXPORT int ibv_cmd_create_qp_ex(struct ibv_context *ctx,
				    struct verbs_qp *qp,
				    struct ibv_qp_init_attr_ex *attr_ex,
				    struct ibv_create_qp *cmd, size_t cmd_size,
				    struct ib_uverbs_create_qp_resp *resp,
				    size_t resp_size)
{
	struct verbs_xrcd *vxrcd = NULL;
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_create_qp);
	USE_OWN_BUF_IF_NULL(resp, resp_size, struct ib_uverbs_create_qp_resp);

	if (attr_ex->comp_mask & ~(IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_XRCD |
				   IBV_QP_INIT_ATTR_SEND_OPS_FLAGS))
		return EOPNOTSUPP;
	ret = FILL_CREATE_QP(cmd, qp, attr_ex, vxrcd);
	if (ret)
		return ret;
	ret = execute_cmd_write(ctx, IB_USER_VERBS_CMD_CREATE_QP, cmd, cmd_size,
				resp, resp_size);
	if (ret)
		return ret;
	init_vqp_from_resp(ctx, qp, attr_ex, resp, vxrcd);
	return 0;
}

IBV_EXPORT int ibv_cmd_create_qp_ex2(struct ibv_context *ctx,
				     struct verbs_qp *qp,
				     struct ibv_qp_init_attr_ex *attr_ex,
				     struct ibv_create_qp_ex *cmd,
				     size_t cmd_size,
				     struct ib_uverbs_ex_create_qp_resp *resp,
				     size_t resp_size)
{
	struct verbs_xrcd *vxrcd = NULL;
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_create_qp_ex);
	USE_OWN_BUF_IF_NULL(resp, resp_size, struct ib_uverbs_ex_create_qp_resp);

	if (attr_ex->comp_mask & ~((IBV_QP_INIT_ATTR_SEND_OPS_FLAGS << 1) - 1))
		return EINVAL;
	ret = FILL_CREATE_QP(cmd, qp, attr_ex, vxrcd);
	if (ret)
		return ret;
	if (attr_ex->comp_mask & IBV_QP_INIT_ATTR_CREATE_FLAGS)
		cmd->create_flags = attr_ex->create_flags;
	if (attr_ex->comp_mask & IBV_QP_INIT_ATTR_IND_TABLE) {
		cmd->rwq_ind_tbl_handle = attr_ex->rwq_ind_tbl->ind_tbl_handle;
		cmd->comp_mask = IB_UVERBS_CREATE_QP_MASK_IND_TABLE;
	}
	if (attr_ex->comp_mask & IBV_QP_INIT_ATTR_SEND_OPS_FLAGS) {
		/* the kernel never sees these; the provider's business */
	}
	ret = execute_cmd_write_ex(ctx, IB_USER_VERBS_EX_CMD_CREATE_QP, cmd,
				   cmd_size, resp, resp_size);
	if (ret)
		return ret;
	init_vqp_from_resp(ctx, qp, attr_ex, &resp->base, vxrcd);
	return 0;
}

IBV_EXPORT int ibv_cmd_create_qp(struct ibv_pd *pd, struct ibv_qp *qp,
				 struct ibv_qp_init_attr *attr,
				 struct ibv_create_qp *cmd, size_t cmd_size,
				 struct ib_uverbs_create_qp_resp *resp,
				 size_t resp_size)
{
	struct ibv_qp_init_attr_ex attr_ex = {};
	struct verbs_xrcd *vxrcd = NULL;
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_create_qp);
	USE_OWN_BUF_IF_NULL(resp, resp_size, struct ib_uverbs_create_qp_resp);

	memcpy(&attr_ex, attr, sizeof(*attr));
	attr_ex.comp_mask = IBV_QP_INIT_ATTR_PD;
	attr_ex.pd = pd;
	ret = FILL_CREATE_QP(cmd, qp, &attr_ex, vxrcd);
	if (ret)
		return ret;
	ret = execute_cmd_write(pd->context, IB_USER_VERBS_CMD_CREATE_QP, cmd,
				cmd_size, resp, resp_size);
	if (ret)
		return ret;
	init_qp_from_resp(pd->context, qp, &attr_ex, resp);
	attr->cap = attr_ex.cap;
	return 0;
}

IBV_EXPORT int ibv_cmd_open_qp(struct ibv_context *ctx, struct verbs_qp *qp,
			       int vqp_sz, struct ibv_qp_open_attr *attr,
			       struct ibv_open_qp *cmd, size_t cmd_size,
			       struct ib_uverbs_create_qp_resp *resp,
			       size_t resp_size)
{
	struct verbs_xrcd *xrcd;
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_open_qp);
	USE_OWN_BUF_IF_NULL(resp, resp_size, struct ib_uverbs_create_qp_resp);

	if (attr->comp_mask >= IBV_QP_OPEN_ATTR_RESERVED)
		return EOPNOTSUPP;
	if (!(attr->comp_mask & IBV_QP_OPEN_ATTR_XRCD) ||
	    !(attr->comp_mask & IBV_QP_OPEN_ATTR_NUM) ||
	    !(attr->comp_mask & IBV_QP_OPEN_ATTR_TYPE))
		return EINVAL;
	if (vqp_sz < (int)sizeof(*qp))
		return EINVAL;

	xrcd = container_of(attr->xrcd, struct verbs_xrcd, xrcd);
	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	cmd->user_handle = (uintptr_t)qp;
	cmd->pd_handle = xrcd->handle;
	cmd->qpn = attr->qp_num;
	cmd->qp_type = attr->qp_type;
	ret = execute_cmd_write(ctx, IB_USER_VERBS_CMD_OPEN_QP, cmd, cmd_size,
				resp, resp_size);
	if (ret)
		return ret;

	qp->qp.handle = resp->qp_handle;
	qp->qp.context = ctx;
	qp->qp.qp_context = attr->qp_context;
	qp->qp.pd = NULL;
	qp->qp.send_cq = NULL;
	qp->qp.recv_cq = NULL;
	qp->qp.srq = NULL;
	qp->qp.qp_num = attr->qp_num;
	qp->qp.qp_type = attr->qp_type;
	qp->qp.state = IBV_QPS_UNKNOWN;
	events_init(&qp->qp.mutex, &qp->qp.cond, &qp->qp.events_completed);
	qp->comp_mask = VERBS_QP_XRCD;
	qp->xrcd = xrcd;
	return 0;
}

static void copy_dest_to_ah(struct ibv_ah_attr *ah,
			    const struct ib_uverbs_qp_dest *d)
{
	memcpy(ah->grh.dgid.raw, d->dgid, sizeof(ah->grh.dgid.raw));
	ah->grh.flow_label = d->flow_label;
	ah->dlid = d->dlid;
	ah->grh.sgid_index = d->sgid_index;
	ah->grh.hop_limit = d->hop_limit;
	ah->grh.traffic_class = d->traffic_class;
	ah->sl = d->sl;
	ah->src_path_bits = d->src_path_bits;
	ah->static_rate = d->static_rate;
	ah->is_global = d->is_global;
	ah->port_num = d->port_num;
}

static void copy_ah_to_dest(struct ib_uverbs_qp_dest *d,
			    const struct ibv_ah_attr *ah)
{
	memcpy(d->dgid, ah->grh.dgid.raw, sizeof(d->dgid));
	d->flow_label = ah->grh.flow_label;
	d->dlid = ah->dlid;
	d->sgid_index = ah->grh.sgid_index;
	d->hop_limit = ah->grh.hop_limit;
	d->traffic_class = ah->grh.traffic_class;
	d->sl = ah->sl;
	d->src_path_bits = ah->src_path_bits;
	d->static_rate = ah->static_rate;
	d->is_global = ah->is_global;
	d->port_num = ah->port_num;
}

IBV_EXPORT int ibv_cmd_query_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr,
				int attr_mask,
				struct ibv_qp_init_attr *init_attr,
				struct ibv_query_qp *cmd, size_t cmd_size)
{
	struct ib_uverbs_query_qp_resp resp = {};
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_query_qp);

	/* the kernel's ABI has no room for newer attributes */
	if (attr_mask & ~(IBV_QP_RATE_LIMIT - 1))
		return EOPNOTSUPP;

	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	cmd->qp_handle = qp->handle;
	cmd->attr_mask = attr_mask;
	ret = execute_cmd_write(qp->context, IB_USER_VERBS_CMD_QUERY_QP, cmd,
				cmd_size, &resp, sizeof(resp));
	if (ret)
		return ret;

	attr->qkey = resp.qkey;
	attr->rq_psn = resp.rq_psn;
	attr->sq_psn = resp.sq_psn;
	attr->dest_qp_num = resp.dest_qp_num;
	attr->qp_access_flags = resp.qp_access_flags;
	attr->pkey_index = resp.pkey_index;
	attr->alt_pkey_index = resp.alt_pkey_index;
	attr->qp_state = resp.qp_state;
	attr->cur_qp_state = resp.cur_qp_state;
	attr->path_mtu = resp.path_mtu;
	attr->path_mig_state = resp.path_mig_state;
	attr->sq_draining = resp.sq_draining;
	attr->max_rd_atomic = resp.max_rd_atomic;
	attr->max_dest_rd_atomic = resp.max_dest_rd_atomic;
	attr->min_rnr_timer = resp.min_rnr_timer;
	attr->port_num = resp.port_num;
	attr->timeout = resp.timeout;
	attr->retry_cnt = resp.retry_cnt;
	attr->rnr_retry = resp.rnr_retry;
	attr->alt_port_num = resp.alt_port_num;
	attr->alt_timeout = resp.alt_timeout;
	attr->cap.max_send_wr = resp.max_send_wr;
	attr->cap.max_recv_wr = resp.max_recv_wr;
	attr->cap.max_send_sge = resp.max_send_sge;
	attr->cap.max_recv_sge = resp.max_recv_sge;
	attr->cap.max_inline_data = resp.max_inline_data;
	copy_dest_to_ah(&attr->ah_attr, &resp.dest);
	copy_dest_to_ah(&attr->alt_ah_attr, &resp.alt_dest);

	init_attr->qp_context = qp->qp_context;
	init_attr->send_cq = qp->send_cq;
	init_attr->recv_cq = qp->recv_cq;
	init_attr->srq = qp->srq;
	init_attr->qp_type = qp->qp_type;
	init_attr->cap = attr->cap;
	init_attr->sq_sig_all = resp.sq_sig_all;
	return 0;
}

static void fill_modify_qp(struct ib_uverbs_modify_qp *cmd, struct ibv_qp *qp,
			   const struct ibv_qp_attr *attr, int attr_mask)
{
	cmd->qp_handle = qp->handle;
	cmd->attr_mask = attr_mask;

	if (attr_mask & IBV_QP_STATE)
		cmd->qp_state = attr->qp_state;
	if (attr_mask & IBV_QP_CUR_STATE)
		cmd->cur_qp_state = attr->cur_qp_state;
	if (attr_mask & IBV_QP_EN_SQD_ASYNC_NOTIFY)
		cmd->en_sqd_async_notify = attr->en_sqd_async_notify;
	if (attr_mask & IBV_QP_ACCESS_FLAGS)
		cmd->qp_access_flags = attr->qp_access_flags;
	if (attr_mask & IBV_QP_PKEY_INDEX)
		cmd->pkey_index = attr->pkey_index;
	if (attr_mask & IBV_QP_PORT)
		cmd->port_num = attr->port_num;
	if (attr_mask & IBV_QP_QKEY)
		cmd->qkey = attr->qkey;
	if (attr_mask & IBV_QP_AV)
		copy_ah_to_dest(&cmd->dest, &attr->ah_attr);
	if (attr_mask & IBV_QP_ALT_PATH) {
		cmd->alt_pkey_index = attr->alt_pkey_index;
		cmd->alt_port_num = attr->alt_port_num;
		cmd->alt_timeout = attr->alt_timeout;
		copy_ah_to_dest(&cmd->alt_dest, &attr->alt_ah_attr);
	}
	if (attr_mask & IBV_QP_PATH_MTU)
		cmd->path_mtu = attr->path_mtu;
	if (attr_mask & IBV_QP_TIMEOUT)
		cmd->timeout = attr->timeout;
	if (attr_mask & IBV_QP_RETRY_CNT)
		cmd->retry_cnt = attr->retry_cnt;
	if (attr_mask & IBV_QP_RNR_RETRY)
		cmd->rnr_retry = attr->rnr_retry;
	if (attr_mask & IBV_QP_RQ_PSN)
		cmd->rq_psn = attr->rq_psn;
	if (attr_mask & IBV_QP_MAX_QP_RD_ATOMIC)
		cmd->max_rd_atomic = attr->max_rd_atomic;
	if (attr_mask & IBV_QP_MIN_RNR_TIMER)
		cmd->min_rnr_timer = attr->min_rnr_timer;
	if (attr_mask & IBV_QP_SQ_PSN)
		cmd->sq_psn = attr->sq_psn;
	if (attr_mask & IBV_QP_MAX_DEST_RD_ATOMIC)
		cmd->max_dest_rd_atomic = attr->max_dest_rd_atomic;
	if (attr_mask & IBV_QP_PATH_MIG_STATE)
		cmd->path_mig_state = attr->path_mig_state;
	if (attr_mask & IBV_QP_DEST_QPN)
		cmd->dest_qp_num = attr->dest_qp_num;
}

IBV_EXPORT int ibv_cmd_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr,
				 int attr_mask, struct ibv_modify_qp *cmd,
				 size_t cmd_size)
{
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_modify_qp);

	if (attr_mask & ~(IBV_QP_RATE_LIMIT - 1))
		return EOPNOTSUPP;
	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	fill_modify_qp(&cmd->core_payload, qp, attr, attr_mask);
	return execute_cmd_write_req(qp->context, IB_USER_VERBS_CMD_MODIFY_QP,
				     cmd, cmd_size);
}

IBV_EXPORT int ibv_cmd_modify_qp_ex(struct ibv_qp *qp, struct ibv_qp_attr *attr,
				    int attr_mask,
				    struct ibv_modify_qp_ex *cmd,
				    size_t cmd_size,
				    struct ib_uverbs_ex_modify_qp_resp *resp,
				    size_t resp_size)
{
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_modify_qp_ex);
	USE_OWN_BUF_IF_NULL(resp, resp_size, struct ib_uverbs_ex_modify_qp_resp);

	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	fill_modify_qp(&cmd->base, qp, attr, attr_mask);
	if (attr_mask & IBV_QP_RATE_LIMIT)
		cmd->rate_limit = attr->rate_limit;
	return execute_cmd_write_ex(qp->context, IB_USER_VERBS_EX_CMD_MODIFY_QP,
				    cmd, cmd_size, resp, resp_size);
}

IBV_EXPORT int ibv_cmd_destroy_qp(struct ibv_qp *qp)
{
	struct ib_uverbs_destroy_qp_resp resp = {};
	struct ibv_destroy_qp cmd = {};
	int ret;

	cmd.qp_handle = qp->handle;
	ret = execute_cmd_write(qp->context, IB_USER_VERBS_CMD_DESTROY_QP, &cmd,
				sizeof(cmd), &resp, sizeof(resp));
	if (ret)
		return destroy_result(ret);

	events_wait_acked(&qp->mutex, &qp->cond, &qp->events_completed,
			  resp.events_reported);
	return 0;
}

static int mcast_cmd(struct ibv_qp *qp, uint32_t command,
		     const union ibv_gid *gid, uint16_t lid)
{
	struct ibv_attach_mcast cmd = {};

	/* ATTACH_MCAST and DETACH_MCAST share one request layout */
	_Static_assert(sizeof(struct ib_uverbs_attach_mcast) ==
			       sizeof(struct ib_uverbs_detach_mcast),
		       "mcast layouts");

	memcpy(cmd.gid, gid->raw, sizeof(cmd.gid));
	cmd.qp_handle = qp->handle;
	cmd.mlid = lid;
	return execute_cmd_write_req(qp->context, command, &cmd, sizeof(cmd));
}

IBV_EXPORT int ibv_cmd_attach_mcast(struct ibv_qp *qp,
				    const union ibv_gid *gid, uint16_t lid)
{
	return mcast_cmd(qp, IB_USER_VERBS_CMD_ATTACH_MCAST, gid, lid);
}

IBV_EXPORT int ibv_cmd_detach_mcast(struct ibv_qp *qp,
				    const union ibv_gid *gid, uint16_t lid)
{
	return destroy_result(mcast_cmd(qp, IB_USER_VERBS_CMD_DETACH_MCAST,
					gid, lid));
}
