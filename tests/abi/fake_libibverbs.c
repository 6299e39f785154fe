// SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
/*
 * A stand-in libibverbs.so.1 with three fixed, made-up devices, used to run
 * Debian's ibv_devinfo/ibv_devices and ours against identical data and diff
 * their output. It is compiled against OUR headers while Debian's tools were
 * compiled against rdma-core's, so every inline verb those tools execute
 * (query_device_ex, query_port through verbs_context) also exercises the
 * layout compatibility of our headers.
 *
 * The devices cover the output branches:
 *  fake_roce0  extended context, Ethernet port, RoCE v1/v2 GIDs, every
 *              capability block present, unknown flag bits everywhere
 *  fake_ib1    extended context whose query_device_ex says EOPNOTSUPP, two
 *              IB ports (the second with link layer "unspecified" and odd
 *              encodings), a GID query failing on port 2
 *  fake_iw2    legacy (non-extended) context: the inline verbs must fall
 *              back to the exported ibv_query_device/ibv_query_port
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <infiniband/verbs.h>

#define EXPORT __attribute__((visibility("default")))

enum { DEV_ROCE, DEV_IB, DEV_IWARP, DEV_COUNT };

static struct ibv_device devices[DEV_COUNT] = {
	[DEV_ROCE] = {
		.node_type = IBV_NODE_CA,
		.transport_type = IBV_TRANSPORT_IB,
		.name = "fake_roce0",
		.dev_name = "uverbs0",
		.dev_path = "/sys/class/infiniband_verbs/uverbs0",
		.ibdev_path = "/sys/class/infiniband/fake_roce0",
	},
	[DEV_IB] = {
		.node_type = IBV_NODE_CA,
		.transport_type = IBV_TRANSPORT_IB,
		.name = "fake_ib1",
		.dev_name = "uverbs1",
		.dev_path = "/sys/class/infiniband_verbs/uverbs1",
		.ibdev_path = "/sys/class/infiniband/fake_ib1",
	},
	[DEV_IWARP] = {
		.node_type = IBV_NODE_RNIC,
		.transport_type = IBV_TRANSPORT_IWARP,
		.name = "fake_iw2",
		.dev_name = "uverbs2",
		.dev_path = "/sys/class/infiniband_verbs/uverbs2",
		.ibdev_path = "/sys/class/infiniband/fake_iw2",
	},
};

static int device_index(const struct ibv_device *dev)
{
	return (int)(dev - devices);
}

static int context_index(const struct ibv_context *ctx)
{
	return device_index(ctx->device);
}

static void fill_device_attr(int dev, struct ibv_device_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->phys_port_cnt = dev == DEV_IB ? 2 : 1;
	if (dev == DEV_IB) {
		/* mostly empty: no fw_ver, odd atomic cap, no fmr/srq */
		a->node_guid = htobe64(0x0002c90300001111ULL);
		a->atomic_cap = 7;
		a->max_qp = 8;
		return;
	}
	strcpy(a->fw_ver, dev == DEV_ROCE ? "1.2.3" : "iw-fw 9");
	a->node_guid = htobe64(0x1122334455667788ULL + (uint64_t)dev);
	a->sys_image_guid = htobe64(0x8877665544332211ULL);
	a->max_mr_size = 0xffffffffffffffffULL;
	a->page_size_cap = 0xfffff000;
	a->vendor_id = 0xffffff;
	a->vendor_part_id = 4242;
	a->hw_ver = 0xab;
	a->max_qp = 65536;
	a->max_qp_wr = 16384;
	a->device_cap_flags = IBV_DEVICE_RESIZE_MAX_WR |
			      IBV_DEVICE_BAD_PKEY_CNTR |
			      IBV_DEVICE_PORT_ACTIVE_EVENT |
			      IBV_DEVICE_SYS_IMAGE_GUID |
			      IBV_DEVICE_RC_RNR_NAK_GEN |
			      IBV_DEVICE_MEM_WINDOW | IBV_DEVICE_XRC |
			      IBV_DEVICE_MEM_MGT_EXTENSIONS |
			      IBV_DEVICE_MANAGED_FLOW_STEERING |
			      (1u << 15) | (1u << 31);
	a->max_sge = 30;
	a->max_sge_rd = 30;
	a->max_cq = 16777216;
	a->max_cqe = 4194303;
	a->max_mr = 16777216;
	a->max_pd = 16777216;
	a->max_qp_rd_atom = 16;
	a->max_ee_rd_atom = 0;
	a->max_res_rd_atom = 1048576;
	a->max_qp_init_rd_atom = 16;
	a->atomic_cap = IBV_ATOMIC_HCA;
	a->max_mw = 16777216;
	a->max_mcast_grp = 2097152;
	a->max_mcast_qp_attach = 240;
	a->max_total_mcast_qp_attach = 503316480;
	a->max_ah = 2147483647;
	a->max_fmr = dev == DEV_IWARP ? 4 : 0;
	a->max_map_per_fmr = 255;
	a->max_srq = 8388608;
	a->max_srq_wr = 32767;
	a->max_srq_sge = 31;
	a->max_pkeys = 128;
	a->local_ca_ack_delay = 16;
}

static void fill_device_attr_ex(int dev, struct ibv_device_attr_ex *x)
{
	memset(x, 0, sizeof(*x));
	fill_device_attr(dev, &x->orig_attr);
	x->odp_caps.general_caps = IBV_ODP_SUPPORT | IBV_ODP_SUPPORT_IMPLICIT |
				   (1ULL << 40);
	x->odp_caps.per_transport_caps.rc_odp_caps =
		IBV_ODP_SUPPORT_SEND | IBV_ODP_SUPPORT_RECV |
		IBV_ODP_SUPPORT_WRITE | IBV_ODP_SUPPORT_READ |
		IBV_ODP_SUPPORT_ATOMIC | IBV_ODP_SUPPORT_SRQ_RECV;
	x->odp_caps.per_transport_caps.uc_odp_caps = 0;
	x->odp_caps.per_transport_caps.ud_odp_caps = IBV_ODP_SUPPORT_SEND |
						     0x100;
	x->xrc_odp_caps = IBV_ODP_SUPPORT_SEND | IBV_ODP_SUPPORT_SRQ_RECV;
	x->completion_timestamp_mask = 0x7fffffffffffffffULL;
	x->hca_core_clock = 156250;
	x->device_cap_flags_ex = x->orig_attr.device_cap_flags |
				 IBV_DEVICE_RAW_SCATTER_FCS |
				 IBV_DEVICE_PCI_WRITE_END_PADDING |
				 (1ULL << 40);
	x->tso_caps.max_tso = 262144;
	x->tso_caps.supported_qpts = 1u << IBV_QPT_RAW_PACKET |
				     1u << IBV_QPT_UD | 1u << IBV_QPT_RC;
	x->rss_caps.supported_qpts = 1u << IBV_QPT_RAW_PACKET;
	x->rss_caps.max_rwq_indirection_tables = 1048576;
	x->rss_caps.max_rwq_indirection_table_size = 2048;
	x->rss_caps.rx_hash_fields_mask = 0x800000FF;
	x->rss_caps.rx_hash_function = IBV_RX_HASH_FUNC_TOEPLITZ;
	x->max_wq_type_rq = 8388608;
	x->packet_pacing_caps.qp_rate_limit_min = 1;
	x->packet_pacing_caps.qp_rate_limit_max = 100000000;
	x->packet_pacing_caps.supported_qpts = 1u << IBV_QPT_UD;
	x->raw_packet_caps = IBV_RAW_PACKET_CAP_CVLAN_STRIPPING |
			     IBV_RAW_PACKET_CAP_IP_CSUM |
			     IBV_RAW_PACKET_CAP_DELAY_DROP | (1u << 9);
	x->tm_caps.max_rndv_hdr_size = 64;
	x->tm_caps.max_num_tags = 127;
	x->tm_caps.flags = IBV_TM_CAP_RC;
	x->tm_caps.max_ops = 32768;
	x->tm_caps.max_sge = 1;
	x->cq_mod_caps.max_cq_count = 65535;
	x->cq_mod_caps.max_cq_period = 4095;
	x->max_dm_size = 131072;
	x->pci_atomic_caps.fetch_add = IBV_PCI_ATOMIC_OPERATION_8_BYTE_SIZE_SUP;
	x->phys_port_cnt_ex = x->orig_attr.phys_port_cnt;
}

static void fill_port_attr(int dev, uint8_t port, struct ibv_port_attr *p)
{
	memset(p, 0, sizeof(*p));
	p->state = IBV_PORT_ACTIVE;
	p->max_mtu = IBV_MTU_4096;
	p->active_mtu = IBV_MTU_1024;
	p->gid_tbl_len = 5;
	p->port_cap_flags = IBV_PORT_CM_SUP | IBV_PORT_IP_BASED_GIDS;
	p->port_cap_flags2 = IBV_PORT_LINK_SPEED_NDR_SUP;
	p->max_msg_sz = 0x40000000;
	p->bad_pkey_cntr = 3;
	p->qkey_viol_cntr = 1;
	p->pkey_tbl_len = 1;
	p->max_vl_num = 4;
	p->active_width = 2;
	p->active_speed = 32;
	p->phys_state = 5;
	p->link_layer = IBV_LINK_LAYER_ETHERNET;
	if (dev != DEV_IB)
		return;
	p->link_layer = IBV_LINK_LAYER_INFINIBAND;
	p->lid = 7;
	p->sm_lid = 1;
	p->lmc = 2;
	p->sm_sl = 3;
	p->subnet_timeout = 18;
	p->gid_tbl_len = 3;
	p->port_cap_flags2 = 0;
	if (port == 2) {
		/* encodings the tool has no name for */
		p->state = 9;
		p->max_mtu = 0;
		p->active_mtu = 6;
		p->link_layer = IBV_LINK_LAYER_UNSPECIFIED;
		p->max_vl_num = 9;
		p->active_width = 3;
		p->active_speed = 3;
		p->phys_state = 11;
		p->init_type_reply = 5;
	}
}

/* ---- exported entry points ---------------------------------------- */

EXPORT struct ibv_device **ibv_get_device_list(int *num_devices)
{
	struct ibv_device **list = calloc(DEV_COUNT + 1, sizeof(*list));
	int i;

	if (!list)
		return NULL;
	for (i = 0; i < DEV_COUNT; i++)
		list[i] = &devices[i];
	if (num_devices)
		*num_devices = DEV_COUNT;
	return list;
}

EXPORT void ibv_free_device_list(struct ibv_device **list)
{
	free(list);
}

EXPORT const char *ibv_get_device_name(struct ibv_device *device)
{
	return device->name;
}

EXPORT __be64 ibv_get_device_guid(struct ibv_device *device)
{
	struct ibv_device_attr attr;

	fill_device_attr(device_index(device), &attr);
	return attr.node_guid;
}

EXPORT int ibv_read_sysfs_file(const char *dir, const char *file, char *buf,
			       size_t size)
{
	/* only fake_roce0 has a board id */
	if (strcmp(dir, devices[DEV_ROCE].ibdev_path) ||
	    strcmp(file, "board_id"))
		return -1;
	return snprintf(buf, size, "SMLX_FAKE_0001");
}

static int op_query_port(struct ibv_context *ctx, uint8_t port,
			 struct ibv_port_attr *attr, size_t attr_len)
{
	struct ibv_port_attr full;

	if (port < 1 || port > (context_index(ctx) == DEV_IB ? 2 : 1))
		return EINVAL;
	fill_port_attr(context_index(ctx), port, &full);
	/* honour the caller's struct size, as the real op must */
	memcpy(attr, &full, attr_len < sizeof(full) ? attr_len : sizeof(full));
	return 0;
}

static int op_query_device_ex(struct ibv_context *ctx,
			      const struct ibv_query_device_ex_input *input,
			      struct ibv_device_attr_ex *attr,
			      size_t attr_size)
{
	struct ibv_device_attr_ex full;

	(void)input;
	if (context_index(ctx) == DEV_IB)
		return EOPNOTSUPP;
	fill_device_attr_ex(context_index(ctx), &full);
	memcpy(attr, &full, attr_size < sizeof(full) ? attr_size : sizeof(full));
	return 0;
}

EXPORT struct ibv_context *ibv_open_device(struct ibv_device *device)
{
	struct verbs_context *vctx;
	struct ibv_context *ctx;

	if (device_index(device) == DEV_IWARP) {
		ctx = calloc(1, sizeof(*ctx));
		if (!ctx)
			return NULL;
		ctx->device = device;
		ctx->num_comp_vectors = 1;
		return ctx;	/* abi_compat NULL: legacy context */
	}
	vctx = calloc(1, sizeof(*vctx));
	if (!vctx)
		return NULL;
	vctx->sz = sizeof(*vctx);
	vctx->query_port = op_query_port;
	vctx->query_device_ex = op_query_device_ex;
	vctx->context.abi_compat = __VERBS_ABI_IS_EXTENDED;
	vctx->context.device = device;
	vctx->context.num_comp_vectors = 3 + device_index(device);
	vctx->context.cmd_fd = -1;
	vctx->context.async_fd = -1;
	return &vctx->context;
}

EXPORT int ibv_close_device(struct ibv_context *ctx)
{
	struct verbs_context *vctx = verbs_get_ctx(ctx);

	free(vctx ? (void *)vctx : (void *)ctx);
	return 0;
}

EXPORT int ibv_query_device(struct ibv_context *ctx,
			    struct ibv_device_attr *attr)
{
	fill_device_attr(context_index(ctx), attr);
	return 0;
}

/* The legacy symbol, reached through the inline wrapper's fallback. */
#undef ibv_query_port
EXPORT int ibv_query_port(struct ibv_context *ctx, uint8_t port,
			  struct _compat_ibv_port_attr *attr)
{
	/* for a legacy caller the struct is the 52-byte one */
	return op_query_port(ctx, port, (struct ibv_port_attr *)attr,
			     sizeof(struct ibv_port_attr));
}

/* GID i of a port: link-local, IPv4-mapped, empty; types v1, v2 by index. */
static int fake_gid(struct ibv_context *ctx, uint32_t port, uint32_t index,
		    union ibv_gid *gid, uint32_t *type)
{
	static const uint8_t link_local[16] = {
		0xfe, 0x80, 0, 0, 0, 0, 0, 0,
		0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55 };
	static const uint8_t v4_mapped[16] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 7, 9 };
	int dev = context_index(ctx);

	if (dev == DEV_IB && port == 2 && index == 2)
		return EIO;
	if (index >= (dev == DEV_IB ? 3u : 5u))
		return EINVAL;
	memset(gid, 0, sizeof(*gid));
	if (index < 2)
		memcpy(gid->raw, link_local, 16);
	else if (index < 4)
		memcpy(gid->raw, v4_mapped, 16);
	if (dev == DEV_IB)
		*type = IBV_GID_TYPE_IB;
	else
		*type = index % 2 ? IBV_GID_TYPE_ROCE_V2 : IBV_GID_TYPE_ROCE_V1;
	return 0;
}

EXPORT int ibv_query_gid(struct ibv_context *ctx, uint8_t port, int index,
			 union ibv_gid *gid)
{
	uint32_t type;

	return fake_gid(ctx, port, (uint32_t)index, gid, &type) ? -1 : 0;
}

EXPORT int _ibv_query_gid_ex(struct ibv_context *ctx, uint32_t port,
			     uint32_t index, struct ibv_gid_entry *entry,
			     uint32_t flags, size_t entry_size)
{
	struct ibv_gid_entry e = {};
	int rc;

	if (flags || entry_size < sizeof(e))
		return EINVAL;
	rc = fake_gid(ctx, port, index, &e.gid, &e.gid_type);
	if (rc)
		return rc;
	e.gid_index = index;
	e.port_num = port;
	*entry = e;
	return 0;
}

/* rdma-core's private variant: 0 = IB/RoCE v1, 1 = RoCE v2 (sysfs names). */
EXPORT int ibv_query_gid_type(struct ibv_context *ctx, uint8_t port,
			      unsigned int index, int *type)
{
	union ibv_gid gid;
	uint32_t t;

	if (fake_gid(ctx, port, index, &gid, &t))
		return -1;
	*type = t == IBV_GID_TYPE_ROCE_V2 ? 1 : 0;
	return 0;
}
