// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Commands for optional device features: device memory, counters, flow
 * steering and flow actions.  Our device has none of them, but the commands
 * still go to the kernel, so the errno a caller sees is the kernel's
 * (EOPNOTSUPP for a device without the feature), as with rdma-core.
 */
#include <errno.h>
#include <string.h>
#include <rdma/ib_user_ioctl_cmds.h>

#include "ibverbs.h"

/* The ioctl destroy methods whose only attribute is the object's handle. */
static int destroy_by_ioctl(struct ibv_context *ctx, uint16_t object_id,
			    uint16_t method_id, uint16_t handle_attr,
			    uint32_t handle)
{
	DECLARE_COMMAND_BUFFER(cmdb, object_id, method_id, 1);
	fill_attr_in_obj(cmdb, handle_attr, handle);
	return destroy_result(execute_ioctl(ctx, cmdb));
}

IBV_EXPORT int ibv_cmd_alloc_dm(struct ibv_context *ctx,
				const struct ibv_alloc_dm_attr *dm_attr,
				struct verbs_dm *dm,
				struct ibv_command_buffer *link)
{
	struct ib_uverbs_attr *handle;
	int ret;

	DECLARE_COMMAND_BUFFER_LINK(cmdb, UVERBS_OBJECT_DM, UVERBS_METHOD_DM_ALLOC,
				    3, link);
	handle = fill_attr_out_obj(cmdb, UVERBS_ATTR_ALLOC_DM_HANDLE);
	fill_attr_in_uint64(cmdb, UVERBS_ATTR_ALLOC_DM_LENGTH, dm_attr->length);
	fill_attr_in_uint32(cmdb, UVERBS_ATTR_ALLOC_DM_ALIGNMENT,
			    dm_attr->log_align_req);
	ret = execute_ioctl(ctx, cmdb);
	if (ret)
		return ret;
	dm->handle = read_attr_obj(UVERBS_ATTR_ALLOC_DM_HANDLE, handle);
	dm->dm.context = ctx;
	return 0;
}

IBV_EXPORT int ibv_cmd_free_dm(struct verbs_dm *dm)
{
	return destroy_by_ioctl(dm->dm.context, UVERBS_OBJECT_DM,
				UVERBS_METHOD_DM_FREE,
				UVERBS_ATTR_FREE_DM_HANDLE, dm->handle);
}

IBV_EXPORT int ibv_cmd_reg_dm_mr(struct ibv_pd *pd, struct verbs_dm *dm,
				 uint64_t offset, size_t length,
				 unsigned int access, struct verbs_mr *vmr,
				 struct ibv_command_buffer *link)
{
	struct ib_uverbs_attr *handle;
	uint32_t lkey = 0, rkey = 0;
	int ret;

	DECLARE_COMMAND_BUFFER_LINK(cmdb, UVERBS_OBJECT_MR,
				    UVERBS_METHOD_DM_MR_REG, 8, link);
	handle = fill_attr_out_obj(cmdb, UVERBS_ATTR_REG_DM_MR_HANDLE);
	fill_attr_out_ptr(cmdb, UVERBS_ATTR_REG_DM_MR_RESP_LKEY, &lkey);
	fill_attr_out_ptr(cmdb, UVERBS_ATTR_REG_DM_MR_RESP_RKEY, &rkey);
	fill_attr_in_obj(cmdb, UVERBS_ATTR_REG_DM_MR_PD_HANDLE, pd->handle);
	fill_attr_in_obj(cmdb, UVERBS_ATTR_REG_DM_MR_DM_HANDLE, dm->handle);
	fill_attr_in_uint64(cmdb, UVERBS_ATTR_REG_DM_MR_OFFSET, offset);
	fill_attr_in_uint64(cmdb, UVERBS_ATTR_REG_DM_MR_LENGTH, length);
	fill_attr_in_uint32(cmdb, UVERBS_ATTR_REG_DM_MR_ACCESS_FLAGS, access);
	ret = execute_ioctl(pd->context, cmdb);
	if (ret)
		return ret;
	vmr->ibv_mr.handle = read_attr_obj(UVERBS_ATTR_REG_DM_MR_HANDLE, handle);
	vmr->ibv_mr.context = pd->context;
	vmr->ibv_mr.lkey = lkey;
	vmr->ibv_mr.rkey = rkey;
	vmr->ibv_mr.length = length;
	vmr->ibv_mr.pd = pd;
	vmr->ibv_mr.addr = NULL;
	vmr->mr_type = IBV_MR_TYPE_MR;
	vmr->access = access;
	return 0;
}

IBV_EXPORT int ibv_cmd_create_counters(struct ibv_context *ctx,
				       struct ibv_counters_init_attr *init_attr,
				       struct verbs_counters *vcounters,
				       struct ibv_command_buffer *link)
{
	struct ib_uverbs_attr *handle;
	int ret;

	if (!check_comp_mask(init_attr->comp_mask, 0))
		return EOPNOTSUPP;
	DECLARE_COMMAND_BUFFER_LINK(cmdb, UVERBS_OBJECT_COUNTERS,
				    UVERBS_METHOD_COUNTERS_CREATE, 1, link);
	handle = fill_attr_out_obj(cmdb, UVERBS_ATTR_CREATE_COUNTERS_HANDLE);
	ret = execute_ioctl(ctx, cmdb);
	if (ret)
		return ret;
	vcounters->counters.context = ctx;
	vcounters->handle = read_attr_obj(UVERBS_ATTR_CREATE_COUNTERS_HANDLE,
					  handle);
	return 0;
}

IBV_EXPORT int ibv_cmd_destroy_counters(struct verbs_counters *vcounters)
{
	return destroy_by_ioctl(vcounters->counters.context,
				UVERBS_OBJECT_COUNTERS,
				UVERBS_METHOD_COUNTERS_DESTROY,
				UVERBS_ATTR_DESTROY_COUNTERS_HANDLE,
				vcounters->handle);
}

IBV_EXPORT int ibv_cmd_read_counters(struct verbs_counters *vcounters,
				     uint64_t *counters_value,
				     uint32_t ncounters, uint32_t flags,
				     struct ibv_command_buffer *link)
{
	DECLARE_COMMAND_BUFFER_LINK(cmdb, UVERBS_OBJECT_COUNTERS,
				    UVERBS_METHOD_COUNTERS_READ, 3, link);
	fill_attr_in_obj(cmdb, UVERBS_ATTR_READ_COUNTERS_HANDLE,
			 vcounters->handle);
	fill_attr_out_ptr_array(cmdb, UVERBS_ATTR_READ_COUNTERS_BUFF,
				counters_value, ncounters);
	fill_attr_in_uint32(cmdb, UVERBS_ATTR_READ_COUNTERS_FLAGS, flags);
	return execute_ioctl(vcounters->counters.context, cmdb);
}

/*
 * Flow steering needs raw-packet QPs and a translation of every
 * ibv_flow_spec kind to the kernel's; no device this library drives offers
 * either, so creation is refused up front.
 */
IBV_EXPORT int ibv_cmd_create_flow(struct ibv_qp *qp, struct ibv_flow *flow_id,
				   struct ibv_flow_attr *flow_attr, void *ucmd,
				   size_t ucmd_size)
{
	(void)qp; (void)flow_id; (void)flow_attr; (void)ucmd; (void)ucmd_size;
	return EOPNOTSUPP;
}

IBV_EXPORT int ibv_cmd_destroy_flow(struct ibv_flow *flow_id)
{
	return execute_destroy_ex_by_handle(flow_id->context,
					    IB_USER_VERBS_EX_CMD_DESTROY_FLOW,
					    flow_handle, flow_id->handle);
}

/* IPsec ESP offload: only some ConnectX devices have it. */
IBV_EXPORT int ibv_cmd_create_flow_action_esp(struct ibv_context *ctx,
					      struct ibv_flow_action_esp_attr *attr,
					      struct verbs_flow_action *flow_action,
					      struct ibv_command_buffer *driver)
{
	(void)ctx; (void)attr; (void)flow_action; (void)driver;
	return EOPNOTSUPP;
}

IBV_EXPORT int ibv_cmd_modify_flow_action_esp(struct verbs_flow_action *flow_action,
					      struct ibv_flow_action_esp_attr *attr,
					      struct ibv_command_buffer *driver)
{
	(void)flow_action; (void)attr; (void)driver;
	return EOPNOTSUPP;
}

IBV_EXPORT int ibv_cmd_destroy_flow_action(struct verbs_flow_action *action)
{
	return destroy_by_ioctl(action->action.context,
				UVERBS_OBJECT_FLOW_ACTION,
				UVERBS_METHOD_FLOW_ACTION_DESTROY,
				UVERBS_ATTR_DESTROY_FLOW_ACTION_HANDLE,
				action->handle);
}
