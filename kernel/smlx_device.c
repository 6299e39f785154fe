// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The smlx ib_device: identity, capabilities, the one RoCE port, and
 * registration with ib_core.  GIDs are not ours to manage: with the port
 * marked RoCE v1 + v2 and bound to its netdev, ib_core's RoCE GID code
 * derives them from the netdev's addresses.
 */
#include <linux/device.h>
#include <linux/etherdevice.h>
#include <linux/rtnetlink.h>
#include <linux/sysfs.h>
#include <net/addrconf.h>
#include <rdma/ib_addr.h>
#include <rdma/ib_mad.h>

#include "smlx.h"
#include "smlx_odp.h"

/*
 * Device capability bits that are true today.  Data-path bits (RC RNR NAK
 * generation, memory management extensions, ...) come with the data path.
 */
#define SMLX_DEVICE_CAP_FLAGS	(IB_DEVICE_PORT_ACTIVE_EVENT | \
				 IB_DEVICE_SYS_IMAGE_GUID | \
				 IB_DEVICE_RC_RNR_NAK_GEN | \
				 IB_DEVICE_CURR_QP_STATE_MOD | \
				 IB_DEVICE_XRC)
#define SMLX_KERNEL_CAP_FLAGS	(IBK_ON_DEMAND_PAGING | IBK_ALLOW_USER_UNREG)

static int smlx_query_device(struct ib_device *ibdev,
			     struct ib_device_attr *attr,
			     struct ib_udata *udata)
{
	/* No driver-specific request exists: anything sent must be zero. */
	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EINVAL;

	memset(attr, 0, sizeof(*attr));
	attr->fw_ver = ((u64)SMLX_FW_VER_MAJOR << 32) |
		       ((u64)SMLX_FW_VER_MINOR << 16) | SMLX_FW_VER_SUBMINOR;
	attr->sys_image_guid = ibdev->node_guid;
	attr->max_mr_size = SMLX_MAX_MR_SIZE;
	attr->page_size_cap = SMLX_PAGE_SIZE_CAP;
	attr->vendor_id = SMLX_VENDOR_ID;
	attr->vendor_part_id = SMLX_VENDOR_PART_ID;
	attr->hw_ver = SMLX_HW_REV;
	attr->max_qp = SMLX_MAX_QP;
	attr->max_qp_wr = SMLX_MAX_QP_WR;
	attr->device_cap_flags = SMLX_DEVICE_CAP_FLAGS;
	attr->kernel_cap_flags = SMLX_KERNEL_CAP_FLAGS;
	attr->max_send_sge = SMLX_MAX_SGE;
	attr->max_recv_sge = SMLX_MAX_SGE;
	attr->max_sge_rd = SMLX_MAX_SGE;
	attr->max_cq = SMLX_MAX_CQ;
	attr->max_cqe = SMLX_MAX_CQE;
	attr->max_mr = SMLX_MAX_MR;
	attr->max_pd = SMLX_MAX_PD;
	attr->max_qp_rd_atom = SMLX_MAX_RD_ATOMIC;
	attr->max_qp_init_rd_atom = SMLX_MAX_RD_ATOMIC;
	attr->max_res_rd_atom = SMLX_MAX_RD_ATOMIC * SMLX_MAX_QP;
	attr->atomic_cap = IB_ATOMIC_HCA;
	attr->masked_atomic_cap = IB_ATOMIC_NONE;
	attr->max_ah = SMLX_MAX_AH;
	attr->max_srq = SMLX_MAX_SRQ;
	attr->max_srq_wr = SMLX_MAX_SRQ_WR;
	attr->max_srq_sge = SMLX_MAX_SGE;
	attr->max_pkeys = SMLX_PORT_PKEY_TBL_LEN;

	attr->odp_caps.general_caps = SMLX_ODP_GENERAL_CAPS;
	attr->odp_caps.per_transport_caps.rc_odp_caps = SMLX_ODP_RC_CAPS;
	attr->odp_caps.per_transport_caps.uc_odp_caps = SMLX_ODP_UC_CAPS;
	attr->odp_caps.per_transport_caps.ud_odp_caps = SMLX_ODP_UD_CAPS;
	/* uverbs reports this one in its own xrc_odp_caps response field. */
	attr->odp_caps.per_transport_caps.xrc_odp_caps = SMLX_ODP_XRC_CAPS;
	return 0;
}

enum ib_port_state smlx_netdev_port_state(struct net_device *ndev)
{
	return netif_running(ndev) && netif_carrier_ok(ndev) ?
	       IB_PORT_ACTIVE : IB_PORT_DOWN;
}

/**
 * smlx_port_announce - tell ib_core's clients about a port state change
 * @sdev: device whose netdev changed
 *
 * Called under RTNL from the netdev notifier, which serialises it.
 */
void smlx_port_announce(struct smlx_dev *sdev)
{
	enum ib_port_state state = smlx_netdev_port_state(sdev->ndev);
	struct ib_event event = {};

	ASSERT_RTNL();
	if (state == sdev->port_state)
		return;
	sdev->port_state = state;

	event.device = &sdev->ibdev;
	event.element.port_num = SMLX_PORT;
	event.event = state == IB_PORT_ACTIVE ? IB_EVENT_PORT_ACTIVE :
						IB_EVENT_PORT_ERR;
	ib_dispatch_event(&event);
}

static int smlx_query_port(struct ib_device *ibdev, u32 port,
			   struct ib_port_attr *attr)
{
	struct net_device *ndev = to_sdev(ibdev)->ndev;
	enum ib_mtu mtu;

	/* ib_core zeroed *attr and checked @port. */
	attr->state = smlx_netdev_port_state(ndev);
	attr->phys_state = attr->state == IB_PORT_ACTIVE ?
			   IB_PORT_PHYS_STATE_LINK_UP :
			   IB_PORT_PHYS_STATE_DISABLED;
	attr->max_mtu = SMLX_PORT_MAX_MTU;
	mtu = iboe_get_mtu(READ_ONCE(ndev->mtu));
	attr->active_mtu = mtu ? min(mtu, SMLX_PORT_MAX_MTU) : IB_MTU_256;
	attr->gid_tbl_len = SMLX_PORT_GID_TBL_LEN;
	attr->port_cap_flags = IB_PORT_CM_SUP;
	attr->max_msg_sz = SMLX_PORT_MAX_MSG_SZ;
	attr->pkey_tbl_len = SMLX_PORT_PKEY_TBL_LEN;
	attr->max_vl_num = 1;
	attr->ip_gids = true;

	/*
	 * The netdev's speed, when it has one.  While the netdev unregisters
	 * ib_core no longer hands it out; the port is down then and a
	 * nominal speed is as true as any.
	 */
	if (ib_get_eth_speed(ibdev, port, &attr->active_speed,
			     &attr->active_width)) {
		attr->active_speed = IB_SPEED_SDR;
		attr->active_width = IB_WIDTH_1X;
	}
	return 0;
}

static int smlx_query_pkey(struct ib_device *ibdev, u32 port, u16 index,
			   u16 *pkey)
{
	if (index >= SMLX_PORT_PKEY_TBL_LEN)
		return -EINVAL;
	*pkey = SMLX_DEFAULT_PKEY;
	return 0;
}

static int smlx_get_port_immutable(struct ib_device *ibdev, u32 port,
				   struct ib_port_immutable *immutable)
{
	immutable->pkey_tbl_len = SMLX_PORT_PKEY_TBL_LEN;
	immutable->gid_tbl_len = SMLX_PORT_GID_TBL_LEN;
	immutable->core_cap_flags = RDMA_CORE_PORT_IBA_ROCE |
				    RDMA_CORE_PORT_IBA_ROCE_UDP_ENCAP;
	immutable->max_mad_size = IB_MGMT_MAD_SIZE;
	return 0;
}

static enum rdma_link_layer smlx_get_link_layer(struct ib_device *ibdev,
						u32 port)
{
	return IB_LINK_LAYER_ETHERNET;
}

static void smlx_get_dev_fw_str(struct ib_device *ibdev, char *str)
{
	snprintf(str, IB_FW_VERSION_NAME_MAX, "%d.%d.%d", SMLX_FW_VER_MAJOR,
		 SMLX_FW_VER_MINOR, SMLX_FW_VER_SUBMINOR);
}

static ssize_t hca_type_show(struct device *device,
			     struct device_attribute *attr, char *buf)
{
	/* libibverbs picks the provider by this string. */
	return sysfs_emit(buf, "%s\n", SMLX_HCA_TYPE);
}
static DEVICE_ATTR_RO(hca_type);

static ssize_t hw_rev_show(struct device *device,
			   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%x\n", SMLX_HW_REV);
}
static DEVICE_ATTR_RO(hw_rev);

static ssize_t board_id_show(struct device *device,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", SMLX_BOARD_ID);
}
static DEVICE_ATTR_RO(board_id);

static struct attribute *smlx_dev_attributes[] = {
	&dev_attr_hca_type.attr,
	&dev_attr_hw_rev.attr,
	&dev_attr_board_id.attr,
	NULL
};

static const struct attribute_group smlx_dev_attr_group = {
	.attrs = smlx_dev_attributes,
};

/* Last step of every device's life, registered or not (ib_dealloc_device). */
static void smlx_dealloc_driver(struct ib_device *ibdev)
{
	struct smlx_dev *sdev = to_sdev(ibdev);

	smlx_devices_forget(sdev);
	/* Faults and prefetches outlive the objects they were for. */
	smlx_odp_dev_drain(sdev);
	smlx_odp_queue_put(sdev->odp_queue);
	smlx_engine_dev_fini(sdev);
	xa_destroy(&sdev->mr_xa);
	ida_destroy(&sdev->pd_ida);
	netdev_put(sdev->ndev, &sdev->ndev_tracker);
}

static const struct ib_device_ops smlx_dev_ops = {
	.owner = THIS_MODULE,
	.driver_id = RDMA_DRIVER_UNKNOWN,
	.uverbs_abi_ver = SMLX_UVERBS_ABI_VERSION,
	.device_group = &smlx_dev_attr_group,

	.advise_mr = smlx_advise_mr,
	.alloc_hw_port_stats = smlx_alloc_hw_port_stats,
	.alloc_pd = smlx_alloc_pd,
	.alloc_ucontext = smlx_alloc_ucontext,
	.alloc_xrcd = smlx_alloc_xrcd,
	.create_ah = smlx_create_ah,
	.create_cq = smlx_create_cq,
	.create_qp = smlx_create_qp,
	.create_srq = smlx_create_srq,
	.create_user_ah = smlx_create_ah,
	.dealloc_driver = smlx_dealloc_driver,
	.dealloc_pd = smlx_dealloc_pd,
	.dealloc_ucontext = smlx_dealloc_ucontext,
	.dealloc_xrcd = smlx_dealloc_xrcd,
	.dereg_mr = smlx_dereg_mr,
	.fill_res_cq_entry = smlx_fill_res_cq_entry,
	.fill_res_mr_entry = smlx_fill_res_mr_entry,
	.fill_res_qp_entry = smlx_fill_res_qp_entry,
	.fill_stat_mr_entry = smlx_fill_stat_mr_entry,
	.destroy_ah = smlx_destroy_ah,
	.destroy_cq = smlx_destroy_cq,
	.destroy_qp = smlx_destroy_qp,
	.destroy_srq = smlx_destroy_srq,
	.disassociate_ucontext = smlx_disassociate_ucontext,
	.get_dev_fw_str = smlx_get_dev_fw_str,
	.get_dma_mr = smlx_get_dma_mr,
	.get_hw_stats = smlx_get_hw_stats,
	.get_link_layer = smlx_get_link_layer,
	.get_port_immutable = smlx_get_port_immutable,
	.mmap = smlx_mmap,
	.mmap_free = smlx_mmap_free,
	.modify_qp = smlx_modify_qp,
	.modify_srq = smlx_modify_srq,
	.poll_cq = smlx_poll_cq,
	.post_recv = smlx_post_recv,
	.post_send = smlx_post_send,
	.query_ah = smlx_query_ah,
	.query_device = smlx_query_device,
	.query_pkey = smlx_query_pkey,
	.query_port = smlx_query_port,
	.query_qp = smlx_query_qp,
	.query_srq = smlx_query_srq,
	.reg_user_mr = smlx_reg_user_mr,
	.req_notify_cq = smlx_req_notify_cq,
	.resize_cq = smlx_resize_cq,

	INIT_RDMA_OBJ_SIZE(ib_ah, smlx_ah, ibah),
	INIT_RDMA_OBJ_SIZE(ib_cq, smlx_cq, ibcq),
	INIT_RDMA_OBJ_SIZE(ib_pd, smlx_pd, ibpd),
	INIT_RDMA_OBJ_SIZE(ib_qp, smlx_qp, ibqp),
	INIT_RDMA_OBJ_SIZE(ib_srq, smlx_srq, ibsrq),
	INIT_RDMA_OBJ_SIZE(ib_xrcd, smlx_xrcd, ibxrcd),
	INIT_RDMA_OBJ_SIZE(ib_ucontext, smlx_ucontext, ibuc),
};

/**
 * smlx_dev_alloc - a device bound to @ndev, not yet registered
 * @ndev: Ethernet netdev; the device holds a reference on it
 *
 * Undo with ib_dealloc_device(), which ends in smlx_dealloc_driver().
 */
struct smlx_dev *smlx_dev_alloc(struct net_device *ndev)
{
	struct smlx_dev *sdev;
	struct ib_device *ibdev;
	int ret;

	sdev = ib_alloc_device(smlx_dev, ibdev);
	if (!sdev)
		return ERR_PTR(-ENOMEM);

	sdev->ndev = ndev;
	netdev_hold(ndev, &sdev->ndev_tracker, GFP_KERNEL);
	INIT_LIST_HEAD(&sdev->list);
	sdev->port_state = IB_PORT_DOWN;
	ida_init(&sdev->pd_ida);
	xa_init_flags(&sdev->mr_xa, XA_FLAGS_ALLOC1);
	atomic_set(&sdev->mr_variant, 0);
	smlx_odp_counters_init(&sdev->odp_counters);
	atomic_set(&sdev->odp_inflight, 0);
	sdev->odp_queue = smlx_odp_queue_alloc();
	if (!sdev->odp_queue) {
		ib_dealloc_device(&sdev->ibdev);
		return ERR_PTR(-ENOMEM);
	}

	ibdev = &sdev->ibdev;
	strscpy(ibdev->node_desc, SMLX_NODE_DESC, sizeof(ibdev->node_desc));
	ibdev->node_type = RDMA_NODE_IB_CA;
	ibdev->phys_port_cnt = 1;
	ibdev->num_comp_vectors = num_possible_cpus();
	addrconf_addr_eui48((unsigned char *)&ibdev->node_guid,
			    ndev->dev_addr);
	ib_set_device_ops(ibdev, &smlx_dev_ops);
	/*
	 * ib_core leaves these write() commands off unless a driver asks:
	 * the provider uses them as SQ/RQ doorbells and to arm CQs.
	 */
	ibdev->uverbs_cmd_mask |= BIT_ULL(IB_USER_VERBS_CMD_POST_SEND) |
				  BIT_ULL(IB_USER_VERBS_CMD_POST_RECV) |
				  BIT_ULL(IB_USER_VERBS_CMD_REQ_NOTIFY_CQ);

	ret = smlx_engine_dev_init(sdev);
	if (ret) {
		ib_dealloc_device(ibdev);
		return ERR_PTR(ret);
	}

	ret = ib_device_set_netdev(ibdev, ndev, SMLX_PORT);
	if (ret) {
		ib_dealloc_device(ibdev);
		return ERR_PTR(ret);
	}
	return sdev;
}

/**
 * smlx_dev_register - make the device visible under @name
 * @sdev: from smlx_dev_alloc()
 * @name: the name the user gave in "rdma link add"
 *
 * On failure the caller still owns @sdev and must ib_dealloc_device() it.
 * No DMA device: ib_core then uses virtual addresses, as for rxe and siw.
 */
int smlx_dev_register(struct smlx_dev *sdev, const char *name)
{
	return ib_register_device(&sdev->ibdev, name, NULL);
}
