// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Context and device/port query commands. */
#include <errno.h>
#include <string.h>
#include <stddef.h>
#include <rdma/ib_user_ioctl_cmds.h>

#include "ibverbs.h"

#define offsetofend(type, member)                                              \
	(offsetof(type, member) + sizeof(((type *)0)->member))

/*
 * GET_CONTEXT and QUERY_CONTEXT both end in the same two outputs: how many
 * completion vectors the context has and which optional core features the
 * kernel supports.  Adds them to cmdb, runs it and records them.
 */
static int execute_context_cmd(struct ibv_context *ctx,
			       struct ibv_command_buffer *cmdb,
			       uint16_t num_comp_vectors_attr,
			       uint16_t core_support_attr)
{
	struct verbs_device *vdev = verbs_get_device(ctx->device);
	uint32_t num_comp_vectors = 0;
	uint64_t core_support = 0;
	int ret;

	fill_attr_out_ptr(cmdb, num_comp_vectors_attr, &num_comp_vectors);
	attr_optional(fill_attr_out_ptr(cmdb, core_support_attr,
					&core_support));
	ret = execute_ioctl(ctx, cmdb);
	if (ret)
		return ret;
	ctx->num_comp_vectors = (int)num_comp_vectors;
	vdev->core_support = core_support;
	return 0;
}

/*
 * The ioctl form also reports the core's optional features; the driver's
 * request and response travel as the UHW attributes.  The async event fd
 * is then allocated separately (verbs_open_device does it).
 */
static int get_context_ioctl(struct ibv_context *ctx,
			     struct ibv_get_context *cmd, size_t cmd_size,
			     struct ib_uverbs_get_context_resp *resp,
			     size_t resp_size)
{
	DECLARE_COMMAND_BUFFER(cmdb, UVERBS_OBJECT_DEVICE,
			       UVERBS_METHOD_GET_CONTEXT, 4);
	if (cmd_size > sizeof(*cmd))
		fill_attr_in(cmdb, UVERBS_ATTR_UHW_IN, cmd + 1,
			     cmd_size - sizeof(*cmd));
	if (resp_size > sizeof(*resp))
		fill_attr_out(cmdb, UVERBS_ATTR_UHW_OUT, resp + 1,
			      resp_size - sizeof(*resp));
	return execute_context_cmd(ctx, cmdb,
				   UVERBS_ATTR_GET_CONTEXT_NUM_COMP_VECTORS,
				   UVERBS_ATTR_GET_CONTEXT_CORE_SUPPORT);
}

IBV_EXPORT int ibv_cmd_get_context(struct verbs_context *vctx,
				   struct ibv_get_context *cmd,
				   size_t cmd_size,
				   struct ib_uverbs_get_context_resp *resp,
				   size_t resp_size)
{
	struct ibv_context *ctx = &vctx->context;
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_get_context);
	USE_OWN_BUF_IF_NULL(resp, resp_size, struct ib_uverbs_get_context_resp);

	ret = get_context_ioctl(ctx, cmd, cmd_size, resp, resp_size);
	if (ret != ENOTTY && ret != EOPNOTSUPP && ret != EPROTONOSUPPORT)
		return ret;

	/* kernels without the method: the write() command, async fd included */
	ret = execute_cmd_write(ctx, IB_USER_VERBS_CMD_GET_CONTEXT, cmd,
				cmd_size, resp, resp_size);
	if (ret)
		return ret;
	ctx->async_fd = (int)resp->async_fd;
	ctx->num_comp_vectors = (int)resp->num_comp_vectors;
	return 0;
}

IBV_EXPORT int ibv_cmd_query_context(struct ibv_context *ctx,
				     struct ibv_command_buffer *driver)
{
	DECLARE_COMMAND_BUFFER_LINK(cmdb, UVERBS_OBJECT_DEVICE,
				    UVERBS_METHOD_QUERY_CONTEXT, 2, driver);
	return execute_context_cmd(ctx, cmdb,
				   UVERBS_ATTR_QUERY_CONTEXT_NUM_COMP_VECTORS,
				   UVERBS_ATTR_QUERY_CONTEXT_CORE_SUPPORT);
}

IBV_EXPORT int ibv_cmd_alloc_async_fd(struct ibv_context *ctx)
{
	struct ib_uverbs_attr *handle;
	int ret;

	DECLARE_COMMAND_BUFFER(cmdb, UVERBS_OBJECT_ASYNC_EVENT,
			       UVERBS_METHOD_ASYNC_EVENT_ALLOC, 1);
	handle = fill_attr_out_fd(cmdb, UVERBS_ATTR_ASYNC_EVENT_ALLOC_FD_HANDLE,
				  0);
	ret = execute_ioctl(ctx, cmdb);
	if (ret)
		return ret;
	ctx->async_fd = read_attr_fd(UVERBS_ATTR_ASYNC_EVENT_ALLOC_FD_HANDLE,
				     handle);
	return 0;
}

static void copy_device_attr(struct ibv_device_attr *attr,
			     const struct ib_uverbs_query_device_resp *r)
{
	/* fw_ver is text; providers format it from r->fw_ver themselves */
	attr->node_guid = r->node_guid;
	attr->sys_image_guid = r->sys_image_guid;
	attr->max_mr_size = r->max_mr_size;
	attr->page_size_cap = r->page_size_cap;
	attr->vendor_id = r->vendor_id;
	attr->vendor_part_id = r->vendor_part_id;
	attr->hw_ver = r->hw_ver;
	attr->max_qp = r->max_qp;
	attr->max_qp_wr = r->max_qp_wr;
	attr->device_cap_flags = r->device_cap_flags;
	attr->max_sge = r->max_sge;
	attr->max_sge_rd = r->max_sge_rd;
	attr->max_cq = r->max_cq;
	attr->max_cqe = r->max_cqe;
	attr->max_mr = r->max_mr;
	attr->max_pd = r->max_pd;
	attr->max_qp_rd_atom = r->max_qp_rd_atom;
	attr->max_ee_rd_atom = r->max_ee_rd_atom;
	attr->max_res_rd_atom = r->max_res_rd_atom;
	attr->max_qp_init_rd_atom = r->max_qp_init_rd_atom;
	attr->max_ee_init_rd_atom = r->max_ee_init_rd_atom;
	attr->atomic_cap = r->atomic_cap;
	attr->max_ee = r->max_ee;
	attr->max_rdd = r->max_rdd;
	attr->max_mw = r->max_mw;
	attr->max_raw_ipv6_qp = r->max_raw_ipv6_qp;
	attr->max_raw_ethy_qp = r->max_raw_ethy_qp;
	attr->max_mcast_grp = r->max_mcast_grp;
	attr->max_mcast_qp_attach = r->max_mcast_qp_attach;
	attr->max_total_mcast_qp_attach = r->max_total_mcast_qp_attach;
	attr->max_ah = r->max_ah;
	attr->max_fmr = r->max_fmr;
	attr->max_map_per_fmr = r->max_map_per_fmr;
	attr->max_srq = r->max_srq;
	attr->max_srq_wr = r->max_srq_wr;
	attr->max_srq_sge = r->max_srq_sge;
	attr->max_pkeys = r->max_pkeys;
	attr->local_ca_ack_delay = r->local_ca_ack_delay;
	attr->phys_port_cnt = r->phys_port_cnt;
}

/*
 * Query the device for a caller whose struct is attr_size bytes: a plain
 * QUERY_DEVICE when only ibv_device_attr fits, else the extended command,
 * copying just the fields that fit both the caller's struct and what the
 * kernel returned.  *resp_size is in: the room of resp, out: what came back.
 */
IBV_EXPORT int ibv_cmd_query_device_any(struct ibv_context *ctx,
					const struct ibv_query_device_ex_input *input,
					struct ibv_device_attr_ex *attr,
					size_t attr_size,
					struct ib_uverbs_ex_query_device_resp *resp,
					size_t *resp_size)
{
	struct verbs_sysfs_dev *sdev = verbs_get_device(ctx->device)->sysfs;
	struct ib_uverbs_ex_query_device_resp own_resp;
	size_t own_resp_size = sizeof(own_resp);
	size_t kernel_len;
	int ret;

	if (!resp || !resp_size) {
		resp = &own_resp;
		resp_size = &own_resp_size;
	}

	if (input && input->comp_mask)
		return EINVAL;
	if (attr_size < sizeof(attr->orig_attr))
		return EINVAL;

	memset((uint8_t *)attr + sizeof(attr->orig_attr.fw_ver), 0,
	       attr_size - sizeof(attr->orig_attr.fw_ver));
	memset(resp, 0, *resp_size);

	if (attr_size == sizeof(attr->orig_attr)) {
		struct ibv_query_device cmd = {};

		if (*resp_size < sizeof(resp->base))
			return EINVAL;
		ret = execute_cmd_write(ctx, IB_USER_VERBS_CMD_QUERY_DEVICE,
					&cmd, sizeof(cmd), &resp->base,
					sizeof(resp->base));
		if (ret)
			return ret;
		*resp_size = sizeof(resp->base);
		copy_device_attr(&attr->orig_attr, &resp->base);
		return 0;
	}

	{
		struct ibv_query_device_ex cmd = {};

		if (*resp_size < offsetofend(typeof(*resp), response_length))
			return EINVAL;
		ret = ibverbs_execute_write_ex(
			ctx, IB_USER_VERBS_EX_CMD_QUERY_DEVICE, &cmd.hdr,
			sizeof(cmd.core_payload), sizeof(cmd), resp,
			*resp_size, *resp_size);
		if (ret)
			return ret;
	}
	kernel_len = resp->response_length;
	if (kernel_len > *resp_size)
		kernel_len = *resp_size;
	*resp_size = kernel_len;
	copy_device_attr(&attr->orig_attr, &resp->base);

#define HAVE(attr_field, resp_field)                                           \
	(attr_size >= offsetofend(struct ibv_device_attr_ex, attr_field) &&    \
	 kernel_len >= offsetofend(typeof(*resp), resp_field))

	if (HAVE(odp_caps, odp_caps)) {
		attr->odp_caps.general_caps = resp->odp_caps.general_caps;
		attr->odp_caps.per_transport_caps.rc_odp_caps =
			resp->odp_caps.per_transport_caps.rc_odp_caps;
		attr->odp_caps.per_transport_caps.uc_odp_caps =
			resp->odp_caps.per_transport_caps.uc_odp_caps;
		attr->odp_caps.per_transport_caps.ud_odp_caps =
			resp->odp_caps.per_transport_caps.ud_odp_caps;
	}
	if (HAVE(completion_timestamp_mask, timestamp_mask))
		attr->completion_timestamp_mask = resp->timestamp_mask;
	if (HAVE(hca_core_clock, hca_core_clock))
		attr->hca_core_clock = resp->hca_core_clock;
	if (HAVE(device_cap_flags_ex, device_cap_flags_ex))
		attr->device_cap_flags_ex = resp->device_cap_flags_ex;
	if (HAVE(rss_caps, rss_caps)) {
		attr->rss_caps.supported_qpts = resp->rss_caps.supported_qpts;
		attr->rss_caps.max_rwq_indirection_tables =
			resp->rss_caps.max_rwq_indirection_tables;
		attr->rss_caps.max_rwq_indirection_table_size =
			resp->rss_caps.max_rwq_indirection_table_size;
	}
	if (HAVE(max_wq_type_rq, max_wq_type_rq))
		attr->max_wq_type_rq = resp->max_wq_type_rq;
	if (HAVE(raw_packet_caps, raw_packet_caps))
		attr->raw_packet_caps = resp->raw_packet_caps;
	if (HAVE(tm_caps, tm_caps)) {
		attr->tm_caps.max_rndv_hdr_size = resp->tm_caps.max_rndv_hdr_size;
		attr->tm_caps.max_num_tags = resp->tm_caps.max_num_tags;
		attr->tm_caps.flags = resp->tm_caps.flags;
		attr->tm_caps.max_ops = resp->tm_caps.max_ops;
		attr->tm_caps.max_sge = resp->tm_caps.max_sge;
	}
	if (HAVE(cq_mod_caps, cq_moderation_caps)) {
		attr->cq_mod_caps.max_cq_count =
			resp->cq_moderation_caps.max_cq_moderation_count;
		attr->cq_mod_caps.max_cq_period =
			resp->cq_moderation_caps.max_cq_moderation_period;
	}
	if (HAVE(max_dm_size, max_dm_size))
		attr->max_dm_size = resp->max_dm_size;
	if (HAVE(xrc_odp_caps, xrc_odp_caps))
		attr->xrc_odp_caps = resp->xrc_odp_caps;
#undef HAVE

	if (attr_size >= offsetofend(struct ibv_device_attr_ex, phys_port_cnt_ex))
		attr->phys_port_cnt_ex = (sdev && sdev->num_ports) ?
			sdev->num_ports : attr->orig_attr.phys_port_cnt;
	return 0;
}

static void copy_port_attr(struct ibv_port_attr *attr,
			   const struct ib_uverbs_query_port_resp *r)
{
	attr->state = r->state;
	attr->max_mtu = r->max_mtu;
	attr->active_mtu = r->active_mtu;
	attr->gid_tbl_len = r->gid_tbl_len;
	attr->port_cap_flags = r->port_cap_flags;
	attr->max_msg_sz = r->max_msg_sz;
	attr->bad_pkey_cntr = r->bad_pkey_cntr;
	attr->qkey_viol_cntr = r->qkey_viol_cntr;
	attr->pkey_tbl_len = r->pkey_tbl_len;
	attr->lid = r->lid;
	attr->sm_lid = r->sm_lid;
	attr->lmc = r->lmc;
	attr->max_vl_num = r->max_vl_num;
	attr->sm_sl = r->sm_sl;
	attr->subnet_timeout = r->subnet_timeout;
	attr->init_type_reply = r->init_type_reply;
	attr->active_width = r->active_width;
	attr->active_speed = r->active_speed;
	attr->phys_state = r->phys_state;
	attr->link_layer = r->link_layer;
	attr->flags = r->flags;
}

/*
 * The ioctl gives port_cap_flags2 as well; the write() command is the
 * fallback for kernels without it (and the only form carrying driver data).
 */
IBV_EXPORT int ibv_cmd_query_port(struct ibv_context *ctx, uint8_t port_num,
				  struct ibv_port_attr *port_attr,
				  struct ibv_query_port *cmd, size_t cmd_size)
{
	struct ib_uverbs_query_port_resp_ex resp_ex = {};
	struct ib_uverbs_query_port_resp resp = {};
	int ret;
	USE_OWN_BUF_IF_NULL(cmd, cmd_size, struct ibv_query_port);

	if (cmd_size == sizeof(*cmd)) {
		DECLARE_COMMAND_BUFFER(cmdb, UVERBS_OBJECT_DEVICE,
				       UVERBS_METHOD_QUERY_PORT, 2);
		fill_attr_const_in(cmdb, UVERBS_ATTR_QUERY_PORT_PORT_NUM,
				   port_num);
		fill_attr_out_ptr(cmdb, UVERBS_ATTR_QUERY_PORT_RESP, &resp_ex);
		ret = execute_ioctl(ctx, cmdb);
		if (!ret) {
			copy_port_attr(port_attr, &resp_ex.legacy_resp);
			port_attr->port_cap_flags2 = resp_ex.port_cap_flags2;
			return 0;
		}
		if (ret != ENOTTY && ret != EOPNOTSUPP && ret != EPROTONOSUPPORT)
			return ret;
	}

	memset(&cmd->core_payload, 0, sizeof(cmd->core_payload));
	cmd->port_num = port_num;
	ret = execute_cmd_write(ctx, IB_USER_VERBS_CMD_QUERY_PORT, cmd,
				cmd_size, &resp, sizeof(resp));
	if (ret)
		return ret;
	copy_port_attr(port_attr, &resp);
	port_attr->port_cap_flags2 = 0;
	return 0;
}
