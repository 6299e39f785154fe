// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory region commands.  Registration is a write() command; advise,
 * query (for import) and dma-buf registration only exist as ioctl methods.
 */
#include <errno.h>
#include <string.h>
#include <rdma/ib_user_ioctl_cmds.h>

#include "ibverbs.h"

IBV_EXPORT int ibv_cmd_reg_mr(struct ibv_pd *pd, void *addr, size_t length,
			      uint64_t hca_va, int access,
			      struct verbs_mr *vmr, struct ibv_reg_mr *cmd,
			      size_t cmd_size,
			      struct ib_uverbs_reg_mr_resp *resp,
			      size_t resp_size)
{
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_reg_mr);
	USE_OWN_BUF_IF_NULL(resp, resp_size, struct ib_uverbs_reg_mr_resp);

	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	cmd->start = (uintptr_t)addr;
	cmd->length = length;
	cmd->hca_va = hca_va;
	cmd->pd_handle = pd->handle;
	cmd->access_flags = access;
	ret = execute_cmd_write(pd->context, IB_USER_VERBS_CMD_REG_MR, cmd,
				cmd_size, resp, resp_size);
	if (ret)
		return ret;

	vmr->ibv_mr.handle = resp->mr_handle;
	vmr->ibv_mr.lkey = resp->lkey;
	vmr->ibv_mr.rkey = resp->rkey;
	vmr->ibv_mr.context = pd->context;
	vmr->mr_type = IBV_MR_TYPE_MR;
	vmr->access = access;
	return 0;
}

IBV_EXPORT int ibv_cmd_rereg_mr(struct verbs_mr *vmr, uint32_t flags,
				void *addr, size_t length, uint64_t hca_va,
				int access, struct ibv_pd *pd,
				struct ibv_rereg_mr *cmd, size_t cmd_sz,
				struct ib_uverbs_rereg_mr_resp *resp,
				size_t resp_sz)
{
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_sz, struct ibv_rereg_mr);
	USE_OWN_BUF_IF_NULL(resp, resp_sz, struct ib_uverbs_rereg_mr_resp);

	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	cmd->mr_handle = vmr->ibv_mr.handle;
	cmd->flags = flags;
	cmd->start = (uintptr_t)addr;
	cmd->length = length;
	cmd->hca_va = hca_va;
	cmd->pd_handle = (flags & IBV_REREG_MR_CHANGE_PD) ? pd->handle : 0;
	cmd->access_flags = access;
	ret = execute_cmd_write(vmr->ibv_mr.context, IB_USER_VERBS_CMD_REREG_MR,
				cmd, cmd_sz, resp, resp_sz);
	if (ret)
		return ret;

	vmr->ibv_mr.lkey = resp->lkey;
	vmr->ibv_mr.rkey = resp->rkey;
	if (flags & IBV_REREG_MR_CHANGE_PD)
		vmr->ibv_mr.context = pd->context;
	if (flags & IBV_REREG_MR_CHANGE_ACCESS)
		vmr->access = access;
	return 0;
}

IBV_EXPORT int ibv_cmd_dereg_mr(struct verbs_mr *vmr)
{
	return execute_destroy_by_handle(vmr->ibv_mr.context,
					 IB_USER_VERBS_CMD_DEREG_MR,
					 mr_handle, vmr->ibv_mr.handle);
}

/* Fill an MR imported by handle from the kernel's record of it. */
IBV_EXPORT int ibv_cmd_query_mr(struct ibv_pd *pd, struct verbs_mr *vmr,
				uint32_t mr_handle)
{
	uint32_t lkey = 0, rkey = 0;
	uint64_t length = 0, iova = 0;
	int ret;

	DECLARE_COMMAND_BUFFER(cmdb, UVERBS_OBJECT_MR, UVERBS_METHOD_QUERY_MR,
			       5);
	fill_attr_in_obj(cmdb, UVERBS_ATTR_QUERY_MR_HANDLE, mr_handle);
	fill_attr_out_ptr(cmdb, UVERBS_ATTR_QUERY_MR_RESP_LKEY, &lkey);
	fill_attr_out_ptr(cmdb, UVERBS_ATTR_QUERY_MR_RESP_RKEY, &rkey);
	fill_attr_out_ptr(cmdb, UVERBS_ATTR_QUERY_MR_RESP_LENGTH, &length);
	attr_optional(fill_attr_out_ptr(cmdb, UVERBS_ATTR_QUERY_MR_RESP_IOVA,
					&iova));
	ret = execute_ioctl(pd->context, cmdb);
	if (ret)
		return ret;

	vmr->ibv_mr.handle = mr_handle;
	vmr->ibv_mr.lkey = lkey;
	vmr->ibv_mr.rkey = rkey;
	vmr->ibv_mr.length = length;
	vmr->ibv_mr.addr = (void *)(uintptr_t)iova;
	vmr->ibv_mr.pd = pd;
	vmr->ibv_mr.context = pd->context;
	vmr->mr_type = IBV_MR_TYPE_IMPORTED_MR;
	return 0;
}

IBV_EXPORT int ibv_cmd_advise_mr(struct ibv_pd *pd,
				 enum ibv_advise_mr_advice advice,
				 uint32_t flags, struct ibv_sge *sg_list,
				 uint32_t num_sge)
{
	DECLARE_COMMAND_BUFFER(cmdb, UVERBS_OBJECT_MR, UVERBS_METHOD_ADVISE_MR,
			       4);
	fill_attr_in_obj(cmdb, UVERBS_ATTR_ADVISE_MR_PD_HANDLE, pd->handle);
	fill_attr_const_in(cmdb, UVERBS_ATTR_ADVISE_MR_ADVICE, advice);
	fill_attr_in_uint32(cmdb, UVERBS_ATTR_ADVISE_MR_FLAGS, flags);
	fill_attr_in_ptr_array(cmdb, UVERBS_ATTR_ADVISE_MR_SGE_LIST, sg_list,
			       num_sge);
	return execute_ioctl(pd->context, cmdb);
}

IBV_EXPORT int ibv_cmd_reg_dmabuf_mr(struct ibv_pd *pd, uint64_t offset,
				     size_t length, uint64_t iova, int fd,
				     int access, struct verbs_mr *vmr)
{
	struct ib_uverbs_attr *handle;
	uint32_t lkey = 0, rkey = 0;
	int ret;

	DECLARE_COMMAND_BUFFER(cmdb, UVERBS_OBJECT_MR,
			       UVERBS_METHOD_REG_DMABUF_MR, 9);
	handle = fill_attr_out_obj(cmdb, UVERBS_ATTR_REG_DMABUF_MR_HANDLE);
	fill_attr_out_ptr(cmdb, UVERBS_ATTR_REG_DMABUF_MR_RESP_LKEY, &lkey);
	fill_attr_out_ptr(cmdb, UVERBS_ATTR_REG_DMABUF_MR_RESP_RKEY, &rkey);
	fill_attr_in_obj(cmdb, UVERBS_ATTR_REG_DMABUF_MR_PD_HANDLE, pd->handle);
	fill_attr_in_uint64(cmdb, UVERBS_ATTR_REG_DMABUF_MR_OFFSET, offset);
	fill_attr_in_uint64(cmdb, UVERBS_ATTR_REG_DMABUF_MR_LENGTH, length);
	fill_attr_in_uint64(cmdb, UVERBS_ATTR_REG_DMABUF_MR_IOVA, iova);
	fill_attr_in_uint32(cmdb, UVERBS_ATTR_REG_DMABUF_MR_FD, fd);
	fill_attr_in_uint32(cmdb, UVERBS_ATTR_REG_DMABUF_MR_ACCESS_FLAGS,
			    access);
	ret = execute_ioctl(pd->context, cmdb);
	if (ret)
		return ret;

	vmr->ibv_mr.handle = read_attr_obj(UVERBS_ATTR_REG_DMABUF_MR_HANDLE,
					   handle);
	vmr->ibv_mr.context = pd->context;
	vmr->ibv_mr.lkey = lkey;
	vmr->ibv_mr.rkey = rkey;
	vmr->ibv_mr.pd = pd;
	vmr->ibv_mr.addr = (void *)(uintptr_t)offset;
	vmr->ibv_mr.length = length;
	vmr->mr_type = IBV_MR_TYPE_DMABUF_MR;
	vmr->access = access;
	return 0;
}
