// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The smlx provider: claims smlx devices during libibverbs discovery and
 * opens contexts on them.  It is registered under the name "mlx5" because
 * it ships as libmlx5.so.1 (see docs/architecture.md), but it only ever
 * claims devices whose hca_type is SMLX_HCA_TYPE: real ConnectX hardware
 * and every other driver are left to their own providers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "smlx.h"
#include "queues.h"

static const struct verbs_device_ops smlx_dev_ops;

/* GET_CONTEXT with the smlx driver data appended to the generic parts. */
struct smlx_get_context {
	struct ibv_get_context ibv_cmd;
	struct smlx_alloc_ucontext_cmd drv;
};

struct smlx_get_context_resp {
	struct ib_uverbs_get_context_resp ibv_resp;
	struct smlx_alloc_ucontext_resp drv;
};

static bool smlx_match_device(struct verbs_sysfs_dev *sysfs_dev)
{
	char hca_type[32];
	int len;

	if (sysfs_dev->abi_ver != SMLX_UVERBS_ABI_VERSION)
		return false;

	len = ibv_read_ibdev_sysfs_file(hca_type, sizeof(hca_type), sysfs_dev,
					"hca_type");
	if (len <= 0)
		return false;
	hca_type[strcspn(hca_type, "\n")] = '\0';
	return strcmp(hca_type, SMLX_HCA_TYPE) == 0;
}

static struct verbs_device *smlx_alloc_device(struct verbs_sysfs_dev *sysfs_dev)
{
	struct smlx_device *dev;

	(void)sysfs_dev;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;
	return &dev->vdev;
}

static void smlx_uninit_device(struct verbs_device *vdev)
{
	free(container_of(vdev, struct smlx_device, vdev));
}

struct smlx_context *smlx_context_of(struct ibv_context *ibctx)
{
	if (!ibctx || !ibctx->device ||
	    verbs_get_device(ibctx->device)->ops != &smlx_dev_ops)
		return NULL;
	return to_sctx(ibctx);
}

static int smlx_query_port(struct ibv_context *ibctx, uint8_t port_num,
			   struct ibv_port_attr *attr)
{
	struct ibv_query_port cmd;

	return ibv_cmd_query_port(ibctx, port_num, attr, &cmd, sizeof(cmd));
}

#define resp_has(resp, resp_size, field)                                       \
	((resp_size) >= offsetof(typeof(*(resp)), field) + sizeof((resp)->field))
#define attr_has(attr_size, field)                                             \
	((attr_size) >= offsetof(struct ibv_device_attr_ex, field) +           \
				sizeof(((struct ibv_device_attr_ex *)0)->field))

static int smlx_query_device_ex(struct ibv_context *ibctx,
				const struct ibv_query_device_ex_input *input,
				struct ibv_device_attr_ex *attr,
				size_t attr_size)
{
	struct ib_uverbs_ex_query_device_resp resp;
	size_t resp_size = sizeof(resp);
	int ret;

	memset(&resp, 0, sizeof(resp));
	ret = ibv_cmd_query_device_any(ibctx, input, attr, attr_size, &resp,
				       &resp_size);
	if (ret)
		return ret;

	/*
	 * ODP is the point of this device: report exactly what the kernel
	 * says it can fault in, never a default, even if the generic copy
	 * above skipped the fields.
	 */
	if (attr_has(attr_size, odp_caps)) {
		memset(&attr->odp_caps, 0, sizeof(attr->odp_caps));
		if (resp_has(&resp, resp_size, odp_caps)) {
			attr->odp_caps.general_caps = resp.odp_caps.general_caps;
			attr->odp_caps.per_transport_caps.rc_odp_caps =
				resp.odp_caps.per_transport_caps.rc_odp_caps;
			attr->odp_caps.per_transport_caps.uc_odp_caps =
				resp.odp_caps.per_transport_caps.uc_odp_caps;
			attr->odp_caps.per_transport_caps.ud_odp_caps =
				resp.odp_caps.per_transport_caps.ud_odp_caps;
		}
	}
	if (attr_has(attr_size, xrc_odp_caps))
		attr->xrc_odp_caps = resp_has(&resp, resp_size, xrc_odp_caps) ?
					     resp.xrc_odp_caps : 0;
	return 0;
}

static void smlx_free_context(struct ibv_context *ibctx)
{
	struct smlx_context *ctx = to_sctx(ibctx);

	if (ctx->status)
		munmap((void *)ctx->status, ctx->status_map_size);
	verbs_uninit_context(&ctx->vctx);
	free(ctx);
}

static const struct verbs_context_ops smlx_ctx_ops = {
	.advise_mr = smlx_advise_mr,
	.alloc_pd = smlx_alloc_pd,
	.dealloc_pd = smlx_dealloc_pd,
	.dereg_mr = smlx_dereg_mr,
	.free_context = smlx_free_context,
	.query_device_ex = smlx_query_device_ex,
	.query_port = smlx_query_port,
	.reg_mr = smlx_reg_mr,
	/* CQ, QP, SRQ, AH and XRCD verbs: smlx_queue_ops (queues.c). */
};

static int smlx_map_status_page(struct smlx_context *ctx, int cmd_fd,
				const struct smlx_alloc_ucontext_resp *resp)
{
	void *page;

	if (resp->status_page_size < sizeof(struct smlx_status_page))
		return EPROTO;

	page = mmap(NULL, resp->status_page_size, PROT_READ, MAP_SHARED,
		    cmd_fd, (off_t)resp->status_page_offset);
	if (page == MAP_FAILED)
		return errno;

	ctx->status = page;
	ctx->status_map_size = resp->status_page_size;
	if (ctx->status->version != SMLX_STATUS_PAGE_VERSION)
		return EPROTO;
	return 0;
}

static struct verbs_context *smlx_alloc_context(struct ibv_device *ibdev,
						int cmd_fd, void *private_data)
{
	struct smlx_get_context_resp resp;
	struct smlx_get_context cmd;
	struct smlx_context *ctx;
	int err;

	(void)private_data;
	ctx = verbs_init_and_alloc_context(ibdev, cmd_fd, ctx, vctx,
					   RDMA_DRIVER_UNKNOWN);
	if (!ctx)
		return NULL;

	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	cmd.drv.provider_abi = SMLX_UVERBS_ABI_VERSION;
	err = ibv_cmd_get_context(&ctx->vctx, &cmd.ibv_cmd, sizeof(cmd),
				  &resp.ibv_resp, sizeof(resp));
	if (err)
		goto err_free;

	if (resp.drv.abi_version != SMLX_UVERBS_ABI_VERSION) {
		verbs_err(&ctx->vctx, "kernel speaks smlx ABI %u, we speak %u\n",
			  resp.drv.abi_version, SMLX_UVERBS_ABI_VERSION);
		err = EPROTO;
		goto err_free;
	}
	ctx->page_size = resp.drv.page_size;
	ctx->max_inline_data = resp.drv.max_inline_data;
	ctx->odp_chunk_shift = resp.drv.odp_chunk_shift;

	/* The ioctl path fills this in itself; the write path only in resp. */
	if (!ctx->vctx.context.num_comp_vectors)
		ctx->vctx.context.num_comp_vectors =
			resp.ibv_resp.num_comp_vectors;

	err = smlx_map_status_page(ctx, cmd_fd, &resp.drv);
	if (err) {
		verbs_err(&ctx->vctx, "cannot map the status page: %s\n",
			  strerror(err));
		goto err_unmap;
	}

	verbs_set_ops(&ctx->vctx, &smlx_ctx_ops);
	verbs_set_ops(&ctx->vctx, &smlx_queue_ops);
	return &ctx->vctx;

err_unmap:
	if (ctx->status)
		munmap((void *)ctx->status, ctx->status_map_size);
err_free:
	verbs_uninit_context(&ctx->vctx);
	free(ctx);
	errno = err;
	return NULL;
}

/* Nothing matches by driver id or modalias; smlx_match_device decides. */
static const struct verbs_match_ent smlx_match_table[] = {
	{},
};

static const struct verbs_device_ops smlx_dev_ops = {
	.name = "mlx5",
	.match_min_abi_version = SMLX_UVERBS_ABI_VERSION,
	.match_max_abi_version = SMLX_UVERBS_ABI_VERSION,
	.match_table = smlx_match_table,
	.match_device = smlx_match_device,
	.alloc_device = smlx_alloc_device,
	.uninit_device = smlx_uninit_device,
	.alloc_context = smlx_alloc_context,
};

PROVIDER_DRIVER(mlx5, smlx_dev_ops);
