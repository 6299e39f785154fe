// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * PD, XRCD, MW, AH and WQ commands, and the write()-based post/poll commands
 * that providers without a user-space data path use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ibverbs.h"

IBV_EXPORT bool verbs_allow_disassociate_destroy;

IBV_EXPORT int ibv_cmd_alloc_pd(struct ibv_context *ctx, struct ibv_pd *pd,
				struct ibv_alloc_pd *cmd, size_t cmd_size,
				struct ib_uverbs_alloc_pd_resp *resp,
				size_t resp_size)
{
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_alloc_pd);
	USE_OWN_BUF_IF_NULL(resp, resp_size, struct ib_uverbs_alloc_pd_resp);

	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	ret = execute_cmd_write(ctx, IB_USER_VERBS_CMD_ALLOC_PD, cmd, cmd_size,
				resp, resp_size);
	if (ret)
		return ret;
	pd->handle = resp->pd_handle;
	pd->context = ctx;
	return 0;
}

IBV_EXPORT int ibv_cmd_dealloc_pd(struct ibv_pd *pd)
{
	return execute_destroy_by_handle(pd->context,
					 IB_USER_VERBS_CMD_DEALLOC_PD,
					 pd_handle, pd->handle);
}

IBV_EXPORT int ibv_cmd_open_xrcd(struct ibv_context *ctx,
				 struct verbs_xrcd *xrcd, int vxrcd_size,
				 struct ibv_xrcd_init_attr *attr,
				 struct ibv_open_xrcd *cmd, size_t cmd_size,
				 struct ib_uverbs_open_xrcd_resp *resp,
				 size_t resp_size)
{
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_open_xrcd);
	USE_OWN_BUF_IF_NULL(resp, resp_size, struct ib_uverbs_open_xrcd_resp);

	if (attr->comp_mask >= IBV_XRCD_INIT_ATTR_RESERVED)
		return EOPNOTSUPP;
	if (!(attr->comp_mask & IBV_XRCD_INIT_ATTR_FD) ||
	    !(attr->comp_mask & IBV_XRCD_INIT_ATTR_OFLAGS))
		return EINVAL;
	if (vxrcd_size < (int)sizeof(*xrcd))
		return EINVAL;

	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	cmd->fd = attr->fd;
	cmd->oflags = attr->oflags;
	ret = execute_cmd_write(ctx, IB_USER_VERBS_CMD_OPEN_XRCD, cmd, cmd_size,
				resp, resp_size);
	if (ret)
		return ret;
	xrcd->xrcd.context = ctx;
	xrcd->comp_mask = VERBS_XRCD_HANDLE;
	xrcd->handle = resp->xrcd_handle;
	return 0;
}

IBV_EXPORT int ibv_cmd_close_xrcd(struct verbs_xrcd *xrcd)
{
	return execute_destroy_by_handle(xrcd->xrcd.context,
					 IB_USER_VERBS_CMD_CLOSE_XRCD,
					 xrcd_handle, xrcd->handle);
}

IBV_EXPORT int ibv_cmd_alloc_mw(struct ibv_pd *pd, enum ibv_mw_type type,
				struct ibv_mw *mw, struct ibv_alloc_mw *cmd,
				size_t cmd_size,
				struct ib_uverbs_alloc_mw_resp *resp,
				size_t resp_size)
{
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_alloc_mw);
	USE_OWN_BUF_IF_NULL(resp, resp_size, struct ib_uverbs_alloc_mw_resp);

	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	cmd->pd_handle = pd->handle;
	cmd->mw_type = type;
	ret = execute_cmd_write(pd->context, IB_USER_VERBS_CMD_ALLOC_MW, cmd,
				cmd_size, resp, resp_size);
	if (ret)
		return ret;
	mw->context = pd->context;
	mw->pd = pd;
	mw->rkey = resp->rkey;
	mw->handle = resp->mw_handle;
	mw->type = type;
	return 0;
}

IBV_EXPORT int ibv_cmd_dealloc_mw(struct ibv_mw *mw)
{
	return execute_destroy_by_handle(mw->context,
					 IB_USER_VERBS_CMD_DEALLOC_MW,
					 mw_handle, mw->handle);
}

IBV_EXPORT int ibv_cmd_create_ah(struct ibv_pd *pd, struct ibv_ah *ah,
				 struct ibv_ah_attr *attr,
				 struct ib_uverbs_create_ah_resp *resp,
				 size_t resp_size)
{
	struct ibv_create_ah cmd = {};
	int ret;
	USE_OWN_BUF_IF_NULL(resp, resp_size, struct ib_uverbs_create_ah_resp);

	cmd.user_handle = (uintptr_t)ah;
	cmd.pd_handle = pd->handle;
	cmd.attr.dlid = attr->dlid;
	cmd.attr.sl = attr->sl;
	cmd.attr.src_path_bits = attr->src_path_bits;
	cmd.attr.static_rate = attr->static_rate;
	cmd.attr.is_global = attr->is_global;
	cmd.attr.port_num = attr->port_num;
	memcpy(cmd.attr.grh.dgid, attr->grh.dgid.raw, sizeof(cmd.attr.grh.dgid));
	cmd.attr.grh.flow_label = attr->grh.flow_label;
	cmd.attr.grh.sgid_index = attr->grh.sgid_index;
	cmd.attr.grh.hop_limit = attr->grh.hop_limit;
	cmd.attr.grh.traffic_class = attr->grh.traffic_class;
	ret = execute_cmd_write(pd->context, IB_USER_VERBS_CMD_CREATE_AH, &cmd,
				sizeof(cmd), resp, resp_size);
	if (ret)
		return ret;
	ah->handle = resp->ah_handle;
	ah->context = pd->context;
	ah->pd = pd;
	return 0;
}

IBV_EXPORT int ibv_cmd_destroy_ah(struct ibv_ah *ah)
{
	return execute_destroy_by_handle(ah->context,
					 IB_USER_VERBS_CMD_DESTROY_AH,
					 ah_handle, ah->handle);
}

IBV_EXPORT int ibv_cmd_create_wq(struct ibv_context *ctx,
				 struct ibv_wq_init_attr *wq_init_attr,
				 struct ibv_wq *wq, struct ibv_create_wq *cmd,
				 size_t cmd_size,
				 struct ib_uverbs_ex_create_wq_resp *resp,
				 size_t resp_size)
{
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_create_wq);
	USE_OWN_BUF_IF_NULL(resp, resp_size, struct ib_uverbs_ex_create_wq_resp);

	if (wq_init_attr->comp_mask >= IBV_WQ_INIT_ATTR_RESERVED)
		return EINVAL;
	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	cmd->user_handle = (uintptr_t)wq;
	cmd->pd_handle = wq_init_attr->pd->handle;
	cmd->cq_handle = wq_init_attr->cq->handle;
	cmd->max_wr = wq_init_attr->max_wr;
	cmd->max_sge = wq_init_attr->max_sge;
	cmd->wq_type = wq_init_attr->wq_type;
	if (wq_init_attr->comp_mask & IBV_WQ_INIT_ATTR_FLAGS) {
		if (wq_init_attr->create_flags & ~(IBV_WQ_FLAGS_RESERVED - 1))
			return EOPNOTSUPP;
		cmd->create_flags = wq_init_attr->create_flags;
	}
	ret = execute_cmd_write_ex(ctx, IB_USER_VERBS_EX_CMD_CREATE_WQ, cmd,
				   cmd_size, resp, resp_size);
	if (ret)
		return ret;
	if (resp->response_length < sizeof(*resp))
		return EINVAL;

	wq->handle = resp->wq_handle;
	wq_init_attr->max_wr = resp->max_wr;
	wq_init_attr->max_sge = resp->max_sge;
	wq->wq_num = resp->wqn;
	wq->context = ctx;
	wq->cq = wq_init_attr->cq;
	wq->pd = wq_init_attr->pd;
	wq->wq_type = wq_init_attr->wq_type;
	wq->wq_context = wq_init_attr->wq_context;
	wq->state = IBV_WQS_RESET;
	events_init(&wq->mutex, &wq->cond, &wq->events_completed);
	return 0;
}

IBV_EXPORT int ibv_cmd_modify_wq(struct ibv_wq *wq, struct ibv_wq_attr *attr,
				 struct ibv_modify_wq *cmd, size_t cmd_size)
{
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_modify_wq);

	if (attr->attr_mask >= IBV_WQ_ATTR_RESERVED)
		return EINVAL;
	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	cmd->attr_mask = attr->attr_mask;
	cmd->wq_handle = wq->handle;
	if (attr->attr_mask & IBV_WQ_ATTR_FLAGS) {
		if (attr->flags_mask & ~(IBV_WQ_FLAGS_RESERVED - 1))
			return EOPNOTSUPP;
		cmd->flags = attr->flags;
		cmd->flags_mask = attr->flags_mask;
	}
	if (attr->attr_mask & IBV_WQ_ATTR_STATE)
		cmd->wq_state = attr->wq_state;
	if (attr->attr_mask & IBV_WQ_ATTR_CURR_STATE)
		cmd->curr_wq_state = attr->curr_wq_state;
	ret = execute_cmd_write_ex_req(wq->context,
				       IB_USER_VERBS_EX_CMD_MODIFY_WQ, cmd,
				       cmd_size);
	if (ret)
		return ret;
	if (attr->attr_mask & IBV_WQ_ATTR_STATE)
		wq->state = attr->wq_state;
	return 0;
}

IBV_EXPORT int ibv_cmd_destroy_wq(struct ibv_wq *wq)
{
	struct ib_uverbs_ex_destroy_wq_resp resp = {};
	struct ibv_destroy_wq cmd = {};
	int ret;

	cmd.wq_handle = wq->handle;
	ret = execute_cmd_write_ex(wq->context, IB_USER_VERBS_EX_CMD_DESTROY_WQ,
				   &cmd, sizeof(cmd), &resp, sizeof(resp));
	if (ret)
		return destroy_result(ret);
	if (resp.response_length < sizeof(resp))
		return 0;

	events_wait_acked(&wq->mutex, &wq->cond, &wq->events_completed,
			  resp.events_reported);
	return 0;
}

IBV_EXPORT int ibv_cmd_create_rwq_ind_table(
	struct ibv_context *ctx, struct ibv_rwq_ind_table_init_attr *init_attr,
	struct ibv_rwq_ind_table *rwq_ind_table,
	struct ib_uverbs_ex_create_rwq_ind_table_resp *resp, size_t resp_size)
{
	struct ibv_create_rwq_ind_table *cmd;
	size_t num_tbl, cmd_size;
	unsigned int i;
	int ret;
	USE_OWN_BUF_IF_NULL(resp, resp_size, struct ib_uverbs_ex_create_rwq_ind_table_resp);

	if (init_attr->comp_mask >= IBV_CREATE_IND_TABLE_RESERVED ||
	    init_attr->log_ind_tbl_size > IB_USER_VERBS_MAX_LOG_IND_TBL_SIZE)
		return EINVAL;

	num_tbl = 1u << init_attr->log_ind_tbl_size;
	/* the handle array is padded to 8 bytes like every ex command */
	cmd_size = sizeof(*cmd) + ((num_tbl * sizeof(uint32_t) + 7) & ~7ul);
	cmd = calloc(1, cmd_size);
	if (!cmd)
		return ENOMEM;
	cmd->log_ind_tbl_size = init_attr->log_ind_tbl_size;
	for (i = 0; i < num_tbl; i++)
		cmd->wq_handles[i] = init_attr->ind_tbl[i]->handle;

	ret = ibverbs_execute_write_ex(ctx, IB_USER_VERBS_EX_CMD_CREATE_RWQ_IND_TBL,
				       &cmd->hdr, cmd_size - sizeof(cmd->hdr),
				       cmd_size, resp, sizeof(*resp),
				       resp_size);
	free(cmd);
	if (ret)
		return ret;
	if (resp->response_length < sizeof(*resp))
		return EINVAL;
	rwq_ind_table->ind_tbl_handle = resp->ind_tbl_handle;
	rwq_ind_table->ind_tbl_num = resp->ind_tbl_num;
	rwq_ind_table->context = ctx;
	return 0;
}

IBV_EXPORT int ibv_cmd_destroy_rwq_ind_table(struct ibv_rwq_ind_table *table)
{
	return execute_destroy_ex_by_handle(
		table->context, IB_USER_VERBS_EX_CMD_DESTROY_RWQ_IND_TBL,
		ind_tbl_handle, table->ind_tbl_handle);
}

/*
 * post_send/post_recv through the kernel: the WRs are flattened into one
 * buffer as the write() ABI wants: the request, wr_count WQEs, then the SGEs
 * of every WR in order.  Send and receive WRs are distinct types that both
 * chain through ->next and carry num_sge SGEs, hence the two macros.
 */
#define count_wrs(list, wr_count, sge_count)                                   \
	do {                                                                   \
		__typeof__(list) __wr;                                         \
		for (__wr = (list); __wr; __wr = __wr->next) {                 \
			(wr_count)++;                                          \
			(sge_count) += __wr->num_sge;                          \
		}                                                              \
	} while (0)

/* The WR the kernel stopped at: it counts the WRs it took from 1, 0: none. */
#define failed_wr(list, bad_wr)                                                \
	({                                                                     \
		__typeof__(list) __wr = (list);                                \
		uint32_t __n;                                                  \
		for (__n = (bad_wr); __n > 1 && __wr; __n--)                   \
			__wr = __wr->next;                                     \
		__wr;                                                          \
	})

static void *alloc_post_cmd(size_t req_size, size_t wqe_size,
			    unsigned int wr_count, unsigned int sge_count,
			    size_t *cmd_size)
{
	*cmd_size = req_size + wr_count * wqe_size +
		    sge_count * sizeof(struct ibv_sge);
	return calloc(1, *cmd_size);
}

IBV_EXPORT int ibv_cmd_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
				 struct ibv_send_wr **bad_wr)
{
	struct ib_uverbs_post_send_resp resp = {};
	struct ibv_post_send *cmd;
	struct ib_uverbs_send_wr *kwr;
	struct ibv_sge *sge;
	struct ibv_send_wr *i;
	unsigned int wr_count = 0, sge_count = 0, n;
	size_t cmd_size;
	int ret;

	count_wrs(wr, wr_count, sge_count);
	cmd = alloc_post_cmd(sizeof(*cmd), sizeof(*kwr), wr_count, sge_count,
			     &cmd_size);
	if (!cmd) {
		*bad_wr = wr;
		return ENOMEM;
	}
	cmd->qp_handle = ibqp->handle;
	cmd->wr_count = wr_count;
	cmd->sge_count = sge_count;
	cmd->wqe_size = sizeof(*kwr);

	kwr = cmd->send_wr;
	sge = (struct ibv_sge *)(kwr + wr_count);
	for (i = wr; i; i = i->next, kwr++) {
		kwr->wr_id = i->wr_id;
		kwr->num_sge = i->num_sge;
		kwr->opcode = i->opcode;
		kwr->send_flags = i->send_flags;
		kwr->ex.imm_data = i->imm_data;
		if (ibqp->qp_type == IBV_QPT_UD) {
			kwr->wr.ud.ah = i->wr.ud.ah->handle;
			kwr->wr.ud.remote_qpn = i->wr.ud.remote_qpn;
			kwr->wr.ud.remote_qkey = i->wr.ud.remote_qkey;
		} else {
			switch (i->opcode) {
			case IBV_WR_RDMA_WRITE:
			case IBV_WR_RDMA_WRITE_WITH_IMM:
			case IBV_WR_RDMA_READ:
				kwr->wr.rdma.remote_addr = i->wr.rdma.remote_addr;
				kwr->wr.rdma.rkey = i->wr.rdma.rkey;
				break;
			case IBV_WR_ATOMIC_CMP_AND_SWP:
			case IBV_WR_ATOMIC_FETCH_AND_ADD:
				kwr->wr.atomic.remote_addr =
					i->wr.atomic.remote_addr;
				kwr->wr.atomic.compare_add =
					i->wr.atomic.compare_add;
				kwr->wr.atomic.swap = i->wr.atomic.swap;
				kwr->wr.atomic.rkey = i->wr.atomic.rkey;
				break;
			default:
				break;
			}
		}
		for (n = 0; n < (unsigned int)i->num_sge; n++)
			*sge++ = i->sg_list[n];
	}

	ret = execute_cmd_write(ibqp->context, IB_USER_VERBS_CMD_POST_SEND, cmd,
				cmd_size, &resp, sizeof(resp));
	free(cmd);
	*bad_wr = ret ? failed_wr(wr, resp.bad_wr) : NULL;
	return ret;
}

static int post_recv_cmd(struct ibv_context *ctx, uint32_t command,
			 uint32_t handle, struct ibv_recv_wr *wr,
			 struct ibv_recv_wr **bad_wr)
{
	struct ib_uverbs_post_recv_resp resp = {};
	struct ibv_post_recv *cmd;
	struct ib_uverbs_recv_wr *kwr;
	struct ibv_recv_wr *i;
	struct ibv_sge *sge;
	unsigned int wr_count = 0, sge_count = 0, n;
	size_t cmd_size;
	int ret;

	/* POST_RECV and POST_SRQ_RECV share one request layout */
	_Static_assert(sizeof(struct ib_uverbs_post_recv) ==
			       sizeof(struct ib_uverbs_post_srq_recv),
		       "post recv layouts");

	count_wrs(wr, wr_count, sge_count);
	cmd = alloc_post_cmd(sizeof(*cmd), sizeof(*kwr), wr_count, sge_count,
			     &cmd_size);
	if (!cmd) {
		*bad_wr = wr;
		return ENOMEM;
	}
	cmd->qp_handle = handle;
	cmd->wr_count = wr_count;
	cmd->sge_count = sge_count;
	cmd->wqe_size = sizeof(*kwr);

	kwr = cmd->recv_wr;
	sge = (struct ibv_sge *)(kwr + wr_count);
	for (i = wr; i; i = i->next, kwr++) {
		kwr->wr_id = i->wr_id;
		kwr->num_sge = i->num_sge;
		for (n = 0; n < (unsigned int)i->num_sge; n++)
			*sge++ = i->sg_list[n];
	}

	ret = execute_cmd_write(ctx, command, cmd, cmd_size, &resp,
				sizeof(resp));
	free(cmd);
	*bad_wr = ret ? failed_wr(wr, resp.bad_wr) : NULL;
	return ret;
}

IBV_EXPORT int ibv_cmd_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr,
				 struct ibv_recv_wr **bad_wr)
{
	return post_recv_cmd(ibqp->context, IB_USER_VERBS_CMD_POST_RECV,
			     ibqp->handle, wr, bad_wr);
}

IBV_EXPORT int ibv_cmd_post_srq_recv(struct ibv_srq *srq,
				     struct ibv_recv_wr *wr,
				     struct ibv_recv_wr **bad_wr)
{
	return post_recv_cmd(srq->context, IB_USER_VERBS_CMD_POST_SRQ_RECV,
			     srq->handle, wr, bad_wr);
}
