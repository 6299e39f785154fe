// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* CQ commands over the uverbs write() ABI. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ibverbs.h"

IBV_EXPORT int ibv_cmd_create_cq(struct ibv_context *ctx, int cqe,
				 struct ibv_comp_channel *channel,
				 int comp_vector, struct ibv_cq *cq,
				 struct ibv_create_cq *cmd, size_t cmd_size,
				 struct ib_uverbs_create_cq_resp *resp,
				 size_t resp_size)
{
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_create_cq);
	USE_OWN_BUF_IF_NULL(resp, resp_size, struct ib_uverbs_create_cq_resp);

	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	cmd->user_handle = (uintptr_t)cq;
	cmd->cqe = cqe;
	cmd->comp_vector = comp_vector;
	cmd->comp_channel = channel ? channel->fd : -1;
	ret = execute_cmd_write(ctx, IB_USER_VERBS_CMD_CREATE_CQ, cmd, cmd_size,
				resp, resp_size);
	if (ret)
		return ret;

	cq->handle = resp->cq_handle;
	cq->cqe = resp->cqe;
	cq->context = ctx;
	return 0;
}

IBV_EXPORT int ibv_cmd_create_cq_ex(struct ibv_context *ctx,
				    const struct ibv_cq_init_attr_ex *cq_attr,
				    struct verbs_cq *cq,
				    struct ibv_create_cq_ex *cmd,
				    size_t cmd_size,
				    struct ib_uverbs_ex_create_cq_resp *resp,
				    size_t resp_size, uint32_t cmd_flags)
{
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_create_cq_ex);
	USE_OWN_BUF_IF_NULL(resp, resp_size, struct ib_uverbs_ex_create_cq_resp);

	if (!check_comp_mask(cq_attr->comp_mask, IBV_CQ_INIT_ATTR_MASK_FLAGS |
						     IBV_CQ_INIT_ATTR_MASK_PD))
		return EOPNOTSUPP;

	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	cmd->user_handle = (uintptr_t)&cq->cq;
	cmd->cqe = cq_attr->cqe;
	cmd->comp_vector = cq_attr->comp_vector;
	cmd->comp_channel = cq_attr->channel ? cq_attr->channel->fd : -1;
	if (cq_attr->wc_flags & IBV_WC_EX_WITH_COMPLETION_TIMESTAMP)
		cmd->flags |= IB_UVERBS_CQ_FLAGS_TIMESTAMP_COMPLETION;
	/*
	 * Wall-clock stamps are derived from the device clock, which the
	 * kernel only needs to enable unless the provider converts them
	 * itself (CREATE_CQ_CMD_FLAGS_TS_IGNORED_EX).
	 */
	if ((cq_attr->wc_flags & IBV_WC_EX_WITH_COMPLETION_TIMESTAMP_WALLCLOCK) &&
	    !(cmd_flags & CREATE_CQ_CMD_FLAGS_TS_IGNORED_EX))
		cmd->flags |= IB_UVERBS_CQ_FLAGS_TIMESTAMP_COMPLETION;
	if ((cq_attr->comp_mask & IBV_CQ_INIT_ATTR_MASK_FLAGS) &&
	    (cq_attr->flags & IBV_CREATE_CQ_ATTR_IGNORE_OVERRUN))
		cmd->flags |= IB_UVERBS_CQ_FLAGS_IGNORE_OVERRUN;

	ret = execute_cmd_write_ex(ctx, IB_USER_VERBS_EX_CMD_CREATE_CQ, cmd,
				   cmd_size, resp, resp_size);
	if (ret)
		return ret;

	cq->cq.handle = resp->base.cq_handle;
	cq->cq.cqe = resp->base.cqe;
	cq->cq.context = ctx;
	return 0;
}

IBV_EXPORT int ibv_cmd_resize_cq(struct ibv_cq *cq, int cqe,
				 struct ibv_resize_cq *cmd, size_t cmd_size,
				 struct ib_uverbs_resize_cq_resp *resp,
				 size_t resp_size)
{
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_resize_cq);
	USE_OWN_BUF_IF_NULL(resp, resp_size, struct ib_uverbs_resize_cq_resp);

	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	cmd->cq_handle = cq->handle;
	cmd->cqe = cqe;
	ret = execute_cmd_write(cq->context, IB_USER_VERBS_CMD_RESIZE_CQ, cmd,
				cmd_size, resp, resp_size);
	if (ret)
		return ret;
	cq->cqe = resp->cqe;
	return 0;
}

IBV_EXPORT int ibv_cmd_modify_cq(struct ibv_cq *cq,
				 struct ibv_modify_cq_attr *attr,
				 struct ibv_modify_cq *cmd, size_t cmd_size)
{
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_modify_cq);

	if (attr->attr_mask >= IBV_CQ_ATTR_RESERVED)
		return EINVAL;
	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	cmd->cq_handle = cq->handle;
	cmd->attr_mask = attr->attr_mask;
	cmd->attr.cq_count = attr->moderate.cq_count;
	cmd->attr.cq_period = attr->moderate.cq_period;
	return execute_cmd_write_ex_req(cq->context,
					IB_USER_VERBS_EX_CMD_MODIFY_CQ, cmd,
					cmd_size);
}

IBV_EXPORT int ibv_cmd_destroy_cq(struct ibv_cq *cq)
{
	struct ib_uverbs_destroy_cq_resp resp = {};
	struct ibv_destroy_cq cmd = {};
	int ret;

	cmd.cq_handle = cq->handle;
	ret = execute_cmd_write(cq->context, IB_USER_VERBS_CMD_DESTROY_CQ, &cmd,
				sizeof(cmd), &resp, sizeof(resp));
	if (ret)
		return destroy_result(ret);

	/* events already handed out must be acked before the CQ goes away */
	pthread_mutex_lock(&cq->mutex);
	while (cq->comp_events_completed != resp.comp_events_reported ||
	       cq->async_events_completed != resp.async_events_reported)
		pthread_cond_wait(&cq->cond, &cq->mutex);
	pthread_mutex_unlock(&cq->mutex);
	return 0;
}

IBV_EXPORT int ibv_cmd_poll_cq(struct ibv_cq *cq, int ne, struct ibv_wc *wc)
{
	struct ib_uverbs_poll_cq_resp *resp;
	struct ibv_poll_cq cmd = {};
	size_t rsize;
	int i, ret;

	if (ne < 0) {
		errno = EINVAL;
		return -1;
	}
	rsize = sizeof(*resp) + (size_t)ne * sizeof(struct ib_uverbs_wc);
	resp = malloc(rsize);
	if (!resp) {
		errno = ENOMEM;
		return -1;
	}
	cmd.cq_handle = cq->handle;
	cmd.ne = ne;
	ret = execute_cmd_write(cq->context, IB_USER_VERBS_CMD_POLL_CQ, &cmd,
				sizeof(cmd), resp, rsize);
	if (ret) {
		free(resp);
		errno = ret;
		return -1;
	}
	for (i = 0; i < (int)resp->count; i++) {
		const struct ib_uverbs_wc *k = &resp->wc[i];

		wc[i].wr_id = k->wr_id;
		wc[i].status = k->status;
		wc[i].opcode = k->opcode;
		wc[i].vendor_err = k->vendor_err;
		wc[i].byte_len = k->byte_len;
		wc[i].imm_data = k->ex.imm_data;
		wc[i].qp_num = k->qp_num;
		wc[i].src_qp = k->src_qp;
		wc[i].wc_flags = k->wc_flags;
		wc[i].pkey_index = k->pkey_index;
		wc[i].slid = k->slid;
		wc[i].sl = k->sl;
		wc[i].dlid_path_bits = k->dlid_path_bits;
	}
	ret = resp->count;
	free(resp);
	return ret;
}

IBV_EXPORT int ibv_cmd_req_notify_cq(struct ibv_cq *cq, int solicited_only)
{
	struct ibv_req_notify_cq cmd = {};

	cmd.cq_handle = cq->handle;
	cmd.solicited_only = !!solicited_only;
	return execute_cmd_write_req(cq->context,
				     IB_USER_VERBS_CMD_REQ_NOTIFY_CQ, &cmd,
				     sizeof(cmd));
}
