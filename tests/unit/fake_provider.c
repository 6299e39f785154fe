// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A provider for the unit tests, loaded by libibverbs from a *.driver file
 * like a real one.  It registers two device ops from its constructor:
 *
 *  "fakehca": matches by match_device (hca_type == "fakehca"), ABI 1..1,
 *             implements a handful of ops without any kernel;
 *  "fakepci": matches by table only (a PCI id and a name alias).
 *
 * Every call is counted in fake_calls so tests can see what ran.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <infiniband/driver.h>

#include "fake_provider.h"

struct fake_calls fake_calls;

struct fake_context {
	uint64_t before; /* the verbs_context need not be first */
	struct verbs_context ibv_ctx;
};

static bool fake_match(struct verbs_sysfs_dev *sdev)
{
	char buf[32];

	fake_calls.match_device++;
	if (ibv_read_ibdev_sysfs_file(buf, sizeof(buf), sdev, "hca_type") <= 0)
		return false;
	return !strcmp(buf, "fakehca");
}

static int fake_query_device_ex(struct ibv_context *ctx,
				const struct ibv_query_device_ex_input *input,
				struct ibv_device_attr_ex *attr, size_t attr_size)
{
	(void)ctx;
	(void)input;
	fake_calls.query_device_ex++;
	fake_calls.last_attr_size = attr_size;
	memset(attr, 0, attr_size);
	attr->orig_attr.vendor_id = 0xFFFFFF;
	attr->orig_attr.phys_port_cnt = 1;
	if (attr_size >= sizeof(*attr))
		attr->odp_caps.general_caps = IBV_ODP_SUPPORT;
	return 0;
}

static int fake_query_port(struct ibv_context *ctx, uint8_t port,
			   struct ibv_port_attr *attr)
{
	(void)ctx;
	fake_calls.query_port++;
	if (port != 1)
		return EINVAL;
	attr->state = IBV_PORT_ACTIVE;
	attr->gid_tbl_len = 16;
	attr->link_layer = IBV_LINK_LAYER_ETHERNET;
	attr->port_cap_flags2 = 0x5a5a;
	return 0;
}

static struct ibv_pd *fake_alloc_pd(struct ibv_context *ctx)
{
	struct ibv_pd *pd = calloc(1, sizeof(*pd));

	(void)ctx;
	fake_calls.alloc_pd++;
	return pd;
}

static int fake_dealloc_pd(struct ibv_pd *pd)
{
	free(pd);
	return 0;
}

static struct ibv_mr *fake_reg_mr(struct ibv_pd *pd, void *addr,
				  size_t length, uint64_t hca_va, int access)
{
	struct verbs_mr *vmr;

	(void)pd;
	fake_calls.reg_mr++;
	fake_calls.last_reg_addr = addr;
	fake_calls.last_reg_length = length;
	fake_calls.last_reg_iova = hca_va;
	fake_calls.last_reg_access = access;
	if (fake_calls.fail_reg_mr) {
		errno = EFAULT;
		return NULL;
	}
	vmr = calloc(1, sizeof(*vmr));
	if (!vmr)
		return NULL;
	vmr->mr_type = IBV_MR_TYPE_MR;
	vmr->access = access;
	return &vmr->ibv_mr;
}

static int fake_dereg_mr(struct verbs_mr *vmr)
{
	fake_calls.dereg_mr++;
	free(vmr);
	return 0;
}

static void fake_free_context(struct ibv_context *ctx)
{
	struct fake_context *fctx =
		container_of(ctx, struct fake_context, ibv_ctx.context);

	fake_calls.free_context++;
	verbs_uninit_context(&fctx->ibv_ctx);
	free(fctx);
}

static const struct verbs_context_ops fake_ops = {
	.alloc_pd = fake_alloc_pd,
	.dealloc_pd = fake_dealloc_pd,
	.dereg_mr = fake_dereg_mr,
	.free_context = fake_free_context,
	.query_device_ex = fake_query_device_ex,
	.query_port = fake_query_port,
	.reg_mr = fake_reg_mr,
};

static struct verbs_context *fake_alloc_context(struct ibv_device *ibdev,
						int cmd_fd, void *private_data)
{
	struct fake_context *fctx;

	(void)private_data;
	fake_calls.alloc_context++;
	fctx = verbs_init_and_alloc_context(ibdev, cmd_fd, fctx, ibv_ctx,
					    RDMA_DRIVER_UNKNOWN);
	if (!fctx)
		return NULL;
	verbs_set_ops(&fctx->ibv_ctx, &fake_ops);
	/* no kernel: give the context an event fd so none is allocated */
	fctx->ibv_ctx.context.async_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fctx->ibv_ctx.context.num_comp_vectors = 1;
	return &fctx->ibv_ctx;
}

static struct verbs_device *fake_alloc_device(struct verbs_sysfs_dev *sdev)
{
	struct verbs_device *dev = calloc(1, sizeof(*dev));

	(void)sdev;
	fake_calls.alloc_device++;
	return dev;
}

static void fake_uninit_device(struct verbs_device *dev)
{
	fake_calls.uninit_device++;
	free(dev);
}

static const struct verbs_device_ops fakehca_ops = {
	.name = "fakehca",
	.match_min_abi_version = 1,
	.match_max_abi_version = 1,
	.match_device = fake_match,
	.alloc_device = fake_alloc_device,
	.uninit_device = fake_uninit_device,
	.alloc_context = fake_alloc_context,
};

static const struct verbs_match_ent fakepci_table[] = {
	VERBS_PCI_MATCH(0x15b3, 0x1017, NULL),
	VERBS_NAME_MATCH("named", NULL),
	VERBS_MODALIAS_MATCH("vmbus:*fake-alias*", NULL),
	{}
};

static const struct verbs_device_ops fakepci_ops = {
	.name = "fakepci",
	.match_min_abi_version = 0,
	.match_max_abi_version = 100,
	.match_table = fakepci_table,
	.alloc_device = fake_alloc_device,
	.uninit_device = fake_uninit_device,
	.alloc_context = fake_alloc_context,
};

PROVIDER_DRIVER(fakehca, fakehca_ops);
PROVIDER_DRIVER(fakepci, fakepci_ops);
