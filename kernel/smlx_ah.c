// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Address handles.  A UD send WQE names its AH by number (ah_num, returned
 * at creation); the requester copies the address vector out under the
 * table's lock and checks the AH belongs to the QP's PD, so a process can
 * neither use a destroyed AH nor another PD's.
 */
#include <linux/in6.h>
#include <net/ipv6.h>

#include "smlx.h"

/* The address vector of a RoCE address: GRH fields plus the wire port. */
int smlx_av_from_attr(struct smlx_dev *sdev, const struct rdma_ah_attr *attr,
		      struct smlx_av *av)
{
	const struct ib_global_route *grh;

	/* RoCE addresses are GIDs: every AH and path carries a GRH. */
	if (!(rdma_ah_get_ah_flags(attr) & IB_AH_GRH))
		return -EINVAL;
	if (rdma_ah_get_port_num(attr) != SMLX_PORT)
		return -EINVAL;
	grh = rdma_ah_read_grh(attr);
	if (!grh->sgid_attr)
		return -EINVAL;

	memset(av, 0, sizeof(*av));
	av->dgid = grh->dgid;
	av->sgid = grh->sgid_attr->gid;
	av->sgid_index = grh->sgid_index;
	av->hop_limit = grh->hop_limit;
	av->traffic_class = grh->traffic_class;
	av->flow_label = grh->flow_label & IB_GRH_FLOWLABEL_MASK;
	av->sl = rdma_ah_get_sl(attr);
	if (grh->sgid_attr->gid_type != IB_GID_TYPE_ROCE_UDP_ENCAP)
		av->net_type = SMLX_NET_ROCE_V1;
	else if (ipv6_addr_v4mapped((const struct in6_addr *)grh->dgid.raw))
		av->net_type = SMLX_NET_ROCE_V2_IPV4;
	else
		av->net_type = SMLX_NET_ROCE_V2_IPV6;
	av->port_id = smlx_wire_resolve(&av->dgid);
	return 0;
}

int smlx_create_ah(struct ib_ah *ibah, struct rdma_ah_init_attr *init,
		   struct ib_udata *udata)
{
	struct smlx_dev *sdev = to_sdev(ibah->device);
	struct smlx_engine_dev *eng = &sdev->eng;
	struct smlx_create_ah_resp resp = {};
	struct smlx_ah *ah = to_sah(ibah);
	/* ib_cm makes its AHs under a spinlock: nothing here may sleep then */
	gfp_t gfp = (init->flags & RDMA_CREATE_AH_SLEEPABLE) ? GFP_KERNEL :
							       GFP_ATOMIC;
	int ret;

	if (udata && udata->outlen < sizeof(resp))
		return -EINVAL;
	ret = smlx_av_from_attr(sdev, init->ah_attr, &ah->av);
	if (ret)
		return ret;

	ret = xa_alloc_cyclic(&eng->ah_xa, &ah->ah_num, NULL,
			      XA_LIMIT(1, SMLX_MAX_AH), &eng->ah_next, gfp);
	if (ret < 0)
		return ret == -EBUSY ? -ENOMEM : ret;

	if (udata) {
		resp.ah_num = ah->ah_num;
		ret = ib_copy_to_udata(udata, &resp, sizeof(resp));
		if (ret) {
			xa_erase(&eng->ah_xa, ah->ah_num);
			return ret;
		}
	}
	/* fills the slot reserved above: allocates nothing */
	xa_store(&eng->ah_xa, ah->ah_num, ah, gfp);
	return 0;
}

int smlx_query_ah(struct ib_ah *ibah, struct rdma_ah_attr *attr)
{
	struct smlx_ah *ah = to_sah(ibah);

	memset(attr, 0, sizeof(*attr));
	attr->type = ibah->type;
	rdma_ah_set_port_num(attr, SMLX_PORT);
	rdma_ah_set_sl(attr, ah->av.sl);
	rdma_ah_set_grh(attr, &ah->av.dgid, ah->av.flow_label,
			ah->av.sgid_index, ah->av.hop_limit,
			ah->av.traffic_class);
	return 0;
}

int smlx_destroy_ah(struct ib_ah *ibah, u32 flags)
{
	struct smlx_ah *ah = to_sah(ibah);

	/* After this no requester can copy from it: ib_core frees it next. */
	xa_erase(&to_sdev(ibah->device)->eng.ah_xa, ah->ah_num);
	return 0;
}

/**
 * smlx_ah_lookup - copy the address vector of AH @ah_num
 * @sdev: device
 * @ah_num: from a UD send WQE
 * @pd: the sending QP's PD, which the AH must share
 * @av: receives the vector
 *
 * Returns 0 or -EINVAL.
 */
int smlx_ah_lookup(struct smlx_dev *sdev, u32 ah_num, struct ib_pd *pd,
		   struct smlx_av *av)
{
	struct xarray *xa = &sdev->eng.ah_xa;
	struct smlx_ah *ah;
	int ret = -EINVAL;

	xa_lock(xa);
	ah = xa_load(xa, ah_num);
	if (ah && ah->ibah.pd == pd) {
		*av = ah->av;
		ret = 0;
	}
	xa_unlock(xa);
	if (!ret && !av->port_id)
		av->port_id = smlx_wire_resolve(&av->dgid);
	return ret;
}
