// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * RDMA_VERBS_IOCTL execution, and the write() command framing that the
 * legacy and extended uverbs commands use.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ibverbs.h"

IBV_EXPORT unsigned int
__ioctl_final_num_attrs(unsigned int num_attrs, struct ibv_command_buffer *link)
{
	for (; link; link = link->next)
		num_attrs += link->next_attr - link->hdr.attrs;
	return num_attrs;
}

/*
 * Move the attributes of every linked block behind the final block's own,
 * so the kernel sees one array.  Returns false if they do not fit.
 */
static bool gather_linked_attrs(struct ibv_command_buffer *cmd)
{
	struct ibv_command_buffer *link;

	for (link = cmd->next; link; link = link->next) {
		size_t n = link->next_attr - link->hdr.attrs;

		if (link->buffer_error)
			return false;
		if ((size_t)(cmd->last_attr - cmd->next_attr) < n)
			return false;
		memcpy(cmd->next_attr, link->hdr.attrs, n * sizeof(*cmd->next_attr));
		cmd->next_attr += n;
	}
	return true;
}

/* The kernel reports output validity in the copy; show it to the owners. */
static void scatter_linked_attrs(struct ibv_command_buffer *cmd)
{
	struct ibv_command_buffer *link;
	struct ib_uverbs_attr *src;
	size_t own = 0;

	/* the final block's own attributes come first */
	for (link = cmd->next; link; link = link->next)
		own += link->next_attr - link->hdr.attrs;
	src = cmd->hdr.attrs + ((cmd->next_attr - cmd->hdr.attrs) - own);

	for (link = cmd->next; link; link = link->next) {
		size_t n = link->next_attr - link->hdr.attrs;

		memcpy(link->hdr.attrs, src, n * sizeof(*src));
		src += n;
	}
}

IBV_EXPORT int execute_ioctl(struct ibv_context *context,
			     struct ibv_command_buffer *cmd)
{
	struct verbs_context *vctx = verbs_get_ctx(context);
	unsigned int num_attrs;

	if (cmd->buffer_error || !gather_linked_attrs(cmd))
		return EINVAL;

	num_attrs = cmd->next_attr - cmd->hdr.attrs;
	cmd->hdr.num_attrs = num_attrs;
	cmd->hdr.length = sizeof(cmd->hdr) + sizeof(cmd->hdr.attrs[0]) * num_attrs;
	cmd->hdr.reserved1 = 0;
	cmd->hdr.reserved2 = 0;
	cmd->hdr.driver_id = (vctx && vctx->priv) ? vctx->priv->driver_id : 0;

	if (ioctl(context->cmd_fd, RDMA_VERBS_IOCTL, &cmd->hdr))
		return errno;

	scatter_linked_attrs(cmd);
	return 0;
}

/* One write() carries one whole command; anything less is an I/O error. */
static int write_cmd(struct ibv_context *ctx, const void *req, size_t req_len)
{
	ssize_t ret = write(ctx->cmd_fd, req, req_len);

	if (ret < 0)
		return errno;
	if ((size_t)ret != req_len)
		return EIO;
	return 0;
}

int ibverbs_execute_write(struct ibv_context *ctx, uint32_t command,
			  struct ib_uverbs_cmd_hdr *req, size_t req_len,
			  void *resp, size_t resp_len)
{
	(void)resp;
	if (req_len / 4 > UINT16_MAX || resp_len / 4 > UINT16_MAX)
		return EINVAL;
	req->command = command;
	req->in_words = req_len / 4;
	req->out_words = resp_len / 4;
	return write_cmd(ctx, req, req_len);
}

int ibverbs_execute_write_ex(struct ibv_context *ctx, uint32_t command,
			     struct ex_hdr *req, size_t core_req_len,
			     size_t req_len, void *resp,
			     size_t core_resp_len, size_t resp_len)
{
	size_t drv_in = req_len - sizeof(*req) - core_req_len;
	size_t drv_out = resp_len - core_resp_len;

	if (req_len < sizeof(*req) + core_req_len || resp_len < core_resp_len)
		return EINVAL;
	/* extended commands count in 8 byte words */
	if ((core_req_len | drv_in | core_resp_len | drv_out) % 8)
		return EINVAL;

	req->hdr.command = IB_USER_VERBS_CMD_FLAG_EXTENDED | command;
	req->hdr.in_words = core_req_len / 8;
	req->hdr.out_words = core_resp_len / 8;
	req->ex_hdr.response = ioctl_ptr_to_u64(resp_len ? resp : NULL);
	req->ex_hdr.provider_in_words = drv_in / 8;
	req->ex_hdr.provider_out_words = drv_out / 8;
	req->ex_hdr.cmd_hdr_reserved = 0;
	return write_cmd(ctx, req, req_len);
}
