// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* SRQ commands over the uverbs write() ABI. */
#include <errno.h>
#include <string.h>

#include "ibverbs.h"

static void init_srq(struct ibv_srq *srq, struct ibv_context *ctx,
		     struct ibv_pd *pd, void *srq_context, uint32_t handle)
{
	srq->handle = handle;
	srq->context = ctx;
	srq->pd = pd;
	srq->srq_context = srq_context;
	events_init(&srq->mutex, &srq->cond, &srq->events_completed);
}

IBV_EXPORT int ibv_cmd_create_srq(struct ibv_pd *pd, struct ibv_srq *srq,
				  struct ibv_srq_init_attr *attr,
				  struct ibv_create_srq *cmd, size_t cmd_size,
				  struct ib_uverbs_create_srq_resp *resp,
				  size_t resp_size)
{
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_create_srq);
	USE_OWN_BUF_IF_NULL(resp, resp_size, struct ib_uverbs_create_srq_resp);

	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	cmd->user_handle = (uintptr_t)srq;
	cmd->pd_handle = pd->handle;
	cmd->max_wr = attr->attr.max_wr;
	cmd->max_sge = attr->attr.max_sge;
	cmd->srq_limit = attr->attr.srq_limit;
	ret = execute_cmd_write(pd->context, IB_USER_VERBS_CMD_CREATE_SRQ, cmd,
				cmd_size, resp, resp_size);
	if (ret)
		return ret;

	init_srq(srq, pd->context, pd, attr->srq_context, resp->srq_handle);
	attr->attr.max_wr = resp->max_wr;
	attr->attr.max_sge = resp->max_sge;
	return 0;
}

IBV_EXPORT int ibv_cmd_create_srq_ex(struct ibv_context *ctx,
				     struct verbs_srq *srq,
				     struct ibv_srq_init_attr_ex *attr_ex,
				     struct ibv_create_xsrq *cmd,
				     size_t cmd_size,
				     struct ib_uverbs_create_srq_resp *resp,
				     size_t resp_size)
{
	struct verbs_xrcd *vxrcd = NULL;
	enum ibv_srq_type type = IBV_SRQT_BASIC;
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_create_xsrq);
	USE_OWN_BUF_IF_NULL(resp, resp_size, struct ib_uverbs_create_srq_resp);

	if (attr_ex->comp_mask >= IBV_SRQ_INIT_ATTR_RESERVED)
		return EOPNOTSUPP;
	if (!(attr_ex->comp_mask & IBV_SRQ_INIT_ATTR_PD))
		return EINVAL;
	if (attr_ex->comp_mask & IBV_SRQ_INIT_ATTR_TYPE)
		type = attr_ex->srq_type;

	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	cmd->user_handle = (uintptr_t)srq;
	cmd->pd_handle = attr_ex->pd->handle;
	cmd->max_wr = attr_ex->attr.max_wr;
	cmd->max_sge = attr_ex->attr.max_sge;
	cmd->srq_limit = attr_ex->attr.srq_limit;
	cmd->srq_type = type;

	switch (type) {
	case IBV_SRQT_BASIC:
		break;
	case IBV_SRQT_TM:
		if (!(attr_ex->comp_mask & IBV_SRQ_INIT_ATTR_CQ) ||
		    !(attr_ex->comp_mask & IBV_SRQ_INIT_ATTR_TM))
			return EINVAL;
		cmd->cq_handle = attr_ex->cq->handle;
		cmd->max_num_tags = attr_ex->tm_cap.max_num_tags;
		break;
	case IBV_SRQT_XRC:
		if (!(attr_ex->comp_mask & IBV_SRQ_INIT_ATTR_XRCD) ||
		    !(attr_ex->comp_mask & IBV_SRQ_INIT_ATTR_CQ))
			return EINVAL;
		vxrcd = container_of(attr_ex->xrcd, struct verbs_xrcd, xrcd);
		cmd->xrcd_handle = vxrcd->handle;
		cmd->cq_handle = attr_ex->cq->handle;
		break;
	default:
		return EINVAL;
	}

	ret = execute_cmd_write(ctx, IB_USER_VERBS_CMD_CREATE_XSRQ, cmd,
				cmd_size, resp, resp_size);
	if (ret)
		return ret;

	init_srq(&srq->srq, ctx, attr_ex->pd, attr_ex->srq_context,
		 resp->srq_handle);
	srq->srq_type = type;
	srq->xrcd = vxrcd;
	srq->cq = (type != IBV_SRQT_BASIC) ? attr_ex->cq : NULL;
	if (type == IBV_SRQT_XRC)
		srq->srq_num = resp->srqn;
	attr_ex->attr.max_wr = resp->max_wr;
	attr_ex->attr.max_sge = resp->max_sge;
	return 0;
}

IBV_EXPORT int ibv_cmd_modify_srq(struct ibv_srq *srq,
				  struct ibv_srq_attr *srq_attr,
				  int srq_attr_mask,
				  struct ibv_modify_srq *cmd, size_t cmd_size)
{
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_modify_srq);

	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	cmd->srq_handle = srq->handle;
	cmd->attr_mask = srq_attr_mask;
	cmd->max_wr = srq_attr->max_wr;
	cmd->srq_limit = srq_attr->srq_limit;
	return execute_cmd_write_req(srq->context, IB_USER_VERBS_CMD_MODIFY_SRQ,
				     cmd, cmd_size);
}

IBV_EXPORT int ibv_cmd_query_srq(struct ibv_srq *srq,
				 struct ibv_srq_attr *srq_attr,
				 struct ibv_query_srq *cmd, size_t cmd_size)
{
	struct ib_uverbs_query_srq_resp resp = {};
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_query_srq);

	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	cmd->srq_handle = srq->handle;
	ret = execute_cmd_write(srq->context, IB_USER_VERBS_CMD_QUERY_SRQ, cmd,
				cmd_size, &resp, sizeof(resp));
	if (ret)
		return ret;
	srq_attr->max_wr = resp.max_wr;
	srq_attr->max_sge = resp.max_sge;
	srq_attr->srq_limit = resp.srq_limit;
	return 0;
}

IBV_EXPORT int ibv_cmd_destroy_srq(struct ibv_srq *srq)
{
	struct ib_uverbs_destroy_srq_resp resp = {};
	struct ibv_destroy_srq cmd = {};
	int ret;

	cmd.srq_handle = srq->handle;
	ret = execute_cmd_write(srq->context, IB_USER_VERBS_CMD_DESTROY_SRQ,
				&cmd, sizeof(cmd), &resp, sizeof(resp));
	if (ret)
		return destroy_result(ret);

	events_wait_acked(&srq->mutex, &srq->cond, &srq->events_completed,
			  resp.events_reported);
	return 0;
}
