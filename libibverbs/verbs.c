// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The public verbs: argument checks and bookkeeping the core owns, with the
 * work done by the provider's ops (which in turn use the ibv_cmd_* calls).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <endian.h>

#include "ibverbs.h"

/* The header turns these into inline wrappers; here are the real ones. */
#undef ibv_query_port
#undef ibv_reg_mr
#undef ibv_reg_mr_iova

IBV_EXPORT int ibv_query_device(struct ibv_context *context,
				struct ibv_device_attr *device_attr)
{
	/* a provider's query_device_ex honours the size: just orig_attr */
	return get_ops(context)->query_device_ex(
		context, NULL,
		container_of(device_attr, struct ibv_device_attr_ex, orig_attr),
		sizeof(*device_attr));
}

/* verbs_context.query_port: the caller's struct may be older or newer. */
int __lib_query_port(struct ibv_context *context, uint8_t port_num,
		     struct ibv_port_attr *port_attr, size_t port_attr_len)
{
	struct ibv_port_attr tmp;
	int ret;

	if (port_attr_len == sizeof(tmp)) {
		memset(port_attr, 0, port_attr_len);
		return get_ops(context)->query_port(context, port_num,
						     port_attr);
	}
	memset(&tmp, 0, sizeof(tmp));
	ret = get_ops(context)->query_port(context, port_num, &tmp);
	if (ret)
		return ret;
	memset(port_attr, 0, port_attr_len);
	memcpy(port_attr, &tmp, min_t(size_t, port_attr_len, sizeof(tmp)));
	return 0;
}

IBV_EXPORT int ibv_query_port(struct ibv_context *context, uint8_t port_num,
			      struct _compat_ibv_port_attr *port_attr)
{
	return __lib_query_port(context, port_num,
				(struct ibv_port_attr *)port_attr,
				sizeof(struct ibv_port_attr));
}

IBV_EXPORT struct ibv_pd *ibv_alloc_pd(struct ibv_context *context)
{
	struct ibv_pd *pd = get_ops(context)->alloc_pd(context);

	if (pd)
		pd->context = context;
	return pd;
}

IBV_EXPORT int ibv_dealloc_pd(struct ibv_pd *pd)
{
	return get_ops(pd->context)->dealloc_pd(pd);
}

IBV_EXPORT struct ibv_mr *ibv_reg_mr_iova2(struct ibv_pd *pd, void *addr,
					   size_t length, uint64_t iova,
					   unsigned int access)
{
	struct verbs_device *vdev = verbs_get_device(pd->context->device);
	bool madvise = ibverbs_fork_should_madvise(access);
	struct ibv_mr *mr;

	/* kernels that don't know the optional bits would reject them */
	if (!(vdev->core_support & IB_UVERBS_CORE_SUPPORT_OPTIONAL_MR_ACCESS))
		access &= ~IBV_ACCESS_OPTIONAL_RANGE;

	if (madvise && ibv_dontfork_range(addr, length))
		return NULL;

	mr = get_ops(pd->context)->reg_mr(pd, addr, length, iova, access);
	if (mr) {
		mr->context = pd->context;
		mr->pd = pd;
		mr->addr = addr;
		mr->length = length;
	} else if (madvise) {
		int err = errno;

		ibv_dofork_range(addr, length);
		errno = err;
	}
	return mr;
}

IBV_EXPORT struct ibv_mr *ibv_reg_mr(struct ibv_pd *pd, void *addr,
				     size_t length, int access)
{
	return ibv_reg_mr_iova2(pd, addr, length, (uintptr_t)addr, access);
}

IBV_EXPORT struct ibv_mr *ibv_reg_mr_iova(struct ibv_pd *pd, void *addr,
					  size_t length, uint64_t iova,
					  int access)
{
	return ibv_reg_mr_iova2(pd, addr, length, iova, access);
}

IBV_EXPORT struct ibv_mr *ibv_reg_dmabuf_mr(struct ibv_pd *pd, uint64_t offset,
					    size_t length, uint64_t iova,
					    int fd, int access)
{
	struct ibv_mr *mr;

	mr = get_ops(pd->context)->reg_dmabuf_mr(pd, offset, length, iova, fd,
						 access);
	if (!mr)
		return NULL;
	mr->context = pd->context;
	mr->pd = pd;
	mr->addr = (void *)(uintptr_t)offset;
	mr->length = length;
	return mr;
}

IBV_EXPORT int ibv_rereg_mr(struct ibv_mr *mr, int flags, struct ibv_pd *pd,
			    void *addr, size_t length, int access)
{
	struct verbs_mr *vmr = verbs_get_mr(mr);
	void *old_addr = mr->addr;
	size_t old_len = mr->length;
	bool translate = flags & IBV_REREG_MR_CHANGE_TRANSLATION;
	bool madvise_new, madvise_old;
	int err;

	if (flags & ~IBV_REREG_MR_FLAGS_SUPPORTED ||
	    (translate && (!length || !addr)) ||
	    (!translate && (addr || length)) || vmr->mr_type != IBV_MR_TYPE_MR) {
		errno = EINVAL;
		return IBV_REREG_MR_ERR_INPUT;
	}

	madvise_old = ibverbs_fork_should_madvise(vmr->access);
	madvise_new = ibverbs_fork_should_madvise(
		(flags & IBV_REREG_MR_CHANGE_ACCESS) ? (unsigned int)access :
						       (unsigned int)vmr->access);
	if (translate && madvise_new && ibv_dontfork_range(addr, length))
		return IBV_REREG_MR_ERR_DONT_FORK_NEW;

	err = get_ops(mr->context)->rereg_mr(vmr, flags, pd, addr, length,
					      access);
	if (err) {
		int ret = IBV_REREG_MR_ERR_CMD;

		if (translate && madvise_new &&
		    ibv_dofork_range(addr, length))
			ret = IBV_REREG_MR_ERR_CMD_AND_DO_FORK_NEW;
		if (err > 0)
			errno = err;
		return ret;
	}

	if (flags & IBV_REREG_MR_CHANGE_PD)
		mr->pd = pd;
	if (translate) {
		mr->addr = addr;
		mr->length = length;
		if (madvise_old && ibv_dofork_range(old_addr, old_len))
			return IBV_REREG_MR_ERR_DO_FORK_OLD;
	}
	return 0;
}

IBV_EXPORT int ibv_dereg_mr(struct ibv_mr *mr)
{
	struct verbs_mr *vmr = verbs_get_mr(mr);
	enum ibv_mr_type type = vmr->mr_type;
	bool madvise = ibverbs_fork_should_madvise(vmr->access);
	void *addr = mr->addr;
	size_t length = mr->length;
	int ret;

	ret = get_ops(mr->context)->dereg_mr(vmr);
	if (!ret && type == IBV_MR_TYPE_MR && madvise)
		ibv_dofork_range(addr, length);
	return ret;
}

IBV_EXPORT struct ibv_pd *ibv_import_pd(struct ibv_context *context,
					uint32_t pd_handle)
{
	return get_ops(context)->import_pd(context, pd_handle);
}

IBV_EXPORT void ibv_unimport_pd(struct ibv_pd *pd)
{
	get_ops(pd->context)->unimport_pd(pd);
}

IBV_EXPORT struct ibv_mr *ibv_import_mr(struct ibv_pd *pd, uint32_t mr_handle)
{
	return get_ops(pd->context)->import_mr(pd, mr_handle);
}

IBV_EXPORT void ibv_unimport_mr(struct ibv_mr *mr)
{
	get_ops(mr->context)->unimport_mr(mr);
}

IBV_EXPORT struct ibv_dm *ibv_import_dm(struct ibv_context *context,
					uint32_t dm_handle)
{
	return get_ops(context)->import_dm(context, dm_handle);
}

IBV_EXPORT void ibv_unimport_dm(struct ibv_dm *dm)
{
	get_ops(dm->context)->unimport_dm(dm);
}

IBV_EXPORT struct ibv_comp_channel *
ibv_create_comp_channel(struct ibv_context *context)
{
	struct ib_uverbs_create_comp_channel_resp resp = {};
	struct ibv_create_comp_channel cmd = {};
	struct ibv_comp_channel *channel;
	int ret;

	channel = calloc(1, sizeof(*channel));
	if (!channel) {
		errno = ENOMEM;
		return NULL;
	}
	ret = execute_cmd_write(context, IB_USER_VERBS_CMD_CREATE_COMP_CHANNEL,
				&cmd, sizeof(cmd), &resp, sizeof(resp));
	if (ret) {
		free(channel);
		errno = ret;
		return NULL;
	}
	channel->context = context;
	channel->fd = (int)resp.fd;
	channel->refcnt = 0;
	return channel;
}

IBV_EXPORT int ibv_destroy_comp_channel(struct ibv_comp_channel *channel)
{
	struct ibv_context *context = channel->context;
	int ret = 0;

	pthread_mutex_lock(&context->mutex);
	if (channel->refcnt) {
		/* CQs still deliver to it; errno too, for callers that print it */
		ret = EBUSY;
		errno = EBUSY;
		goto out;
	}
	close(channel->fd);
	free(channel);
out:
	pthread_mutex_unlock(&context->mutex);
	return ret;
}

IBV_EXPORT struct ibv_cq *ibv_create_cq(struct ibv_context *context, int cqe,
					void *cq_context,
					struct ibv_comp_channel *channel,
					int comp_vector)
{
	struct ibv_cq *cq;

	cq = get_ops(context)->create_cq(context, cqe, channel, comp_vector);
	if (cq)
		verbs_init_cq(cq, context, channel, cq_context);
	return cq;
}

/* verbs_context.create_cq_ex: refuse fields nobody can report. */
struct ibv_cq_ex *__lib_ibv_create_cq_ex(struct ibv_context *context,
					 struct ibv_cq_init_attr_ex *cq_attr)
{
	struct ibv_cq_ex *cq;

	if (cq_attr->wc_flags & ~IBV_CREATE_CQ_SUP_WC_FLAGS) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	cq = get_ops(context)->create_cq_ex(context, cq_attr);
	if (cq)
		verbs_init_cq(ibv_cq_ex_to_cq(cq), context, cq_attr->channel,
			      cq_attr->cq_context);
	return cq;
}

IBV_EXPORT int ibv_resize_cq(struct ibv_cq *cq, int cqe)
{
	return get_ops(cq->context)->resize_cq(cq, cqe);
}

IBV_EXPORT int ibv_destroy_cq(struct ibv_cq *cq)
{
	struct ibv_comp_channel *channel = cq->channel;
	int ret;

	ret = get_ops(cq->context)->destroy_cq(cq);
	if (!ret && channel) {
		pthread_mutex_lock(&channel->context->mutex);
		--channel->refcnt;
		pthread_mutex_unlock(&channel->context->mutex);
	}
	return ret;
}

IBV_EXPORT int ibv_get_cq_event(struct ibv_comp_channel *channel,
				struct ibv_cq **cq, void **cq_context)
{
	struct ib_uverbs_comp_event_desc ev;

	if (read(channel->fd, &ev, sizeof(ev)) != sizeof(ev))
		return -1;
	/* the CQ pointer went to the kernel as the CQ's user_handle */
	*cq = (struct ibv_cq *)(uintptr_t)ev.cq_handle;
	*cq_context = (*cq)->cq_context;
	get_ops((*cq)->context)->cq_event(*cq);
	return 0;
}

IBV_EXPORT void ibv_ack_cq_events(struct ibv_cq *cq, unsigned int nevents)
{
	pthread_mutex_lock(&cq->mutex);
	cq->comp_events_completed += nevents;
	pthread_cond_signal(&cq->cond);
	pthread_mutex_unlock(&cq->mutex);
}

IBV_EXPORT struct ibv_srq *ibv_create_srq(struct ibv_pd *pd,
					  struct ibv_srq_init_attr *srq_init_attr)
{
	struct ibv_srq *srq;

	srq = get_ops(pd->context)->create_srq(pd, srq_init_attr);
	if (srq) {
		srq->context = pd->context;
		srq->srq_context = srq_init_attr->srq_context;
		srq->pd = pd;
	}
	return srq;
}

IBV_EXPORT int ibv_modify_srq(struct ibv_srq *srq,
			      struct ibv_srq_attr *srq_attr, int srq_attr_mask)
{
	return get_ops(srq->context)->modify_srq(srq, srq_attr, srq_attr_mask);
}

IBV_EXPORT int ibv_query_srq(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr)
{
	return get_ops(srq->context)->query_srq(srq, srq_attr);
}

IBV_EXPORT int ibv_destroy_srq(struct ibv_srq *srq)
{
	return get_ops(srq->context)->destroy_srq(srq);
}

IBV_EXPORT struct ibv_qp *ibv_create_qp(struct ibv_pd *pd,
					struct ibv_qp_init_attr *qp_init_attr)
{
	return get_ops(pd->context)->create_qp(pd, qp_init_attr);
}

IBV_EXPORT struct ibv_qp_ex *ibv_qp_to_qp_ex(struct ibv_qp *qp)
{
	struct verbs_qp *vqp = container_of(qp, struct verbs_qp, qp);

	if (vqp->comp_mask & VERBS_QP_EX)
		return &vqp->qp_ex;
	return NULL;
}

IBV_EXPORT int ibv_query_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr,
			    int attr_mask, struct ibv_qp_init_attr *init_attr)
{
	int ret;

	ret = get_ops(qp->context)->query_qp(qp, attr, attr_mask, init_attr);
	if (ret)
		return ret;
	if (attr_mask & IBV_QP_STATE)
		qp->state = attr->qp_state;
	return 0;
}

IBV_EXPORT int ibv_query_qp_data_in_order(struct ibv_qp *qp,
					  enum ibv_wr_opcode op,
					  uint32_t flags)
{
	return get_ops(qp->context)->query_qp_data_in_order(qp, op, flags);
}

IBV_EXPORT int ibv_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr,
			     int attr_mask)
{
	int ret;

	ret = get_ops(qp->context)->modify_qp(qp, attr, attr_mask);
	if (ret)
		return ret;
	if (attr_mask & IBV_QP_STATE)
		qp->state = attr->qp_state;
	return 0;
}

IBV_EXPORT int ibv_query_ece(struct ibv_qp *qp, struct ibv_ece *ece)
{
	return get_ops(qp->context)->query_ece(qp, ece);
}

IBV_EXPORT int ibv_set_ece(struct ibv_qp *qp, struct ibv_ece *ece)
{
	if (!ece->vendor_id) {
		errno = EOPNOTSUPP;
		return EOPNOTSUPP;
	}
	return get_ops(qp->context)->set_ece(qp, ece);
}

IBV_EXPORT int ibv_destroy_qp(struct ibv_qp *qp)
{
	return get_ops(qp->context)->destroy_qp(qp);
}

IBV_EXPORT struct ibv_ah *ibv_create_ah(struct ibv_pd *pd,
					struct ibv_ah_attr *attr)
{
	struct ibv_ah *ah = get_ops(pd->context)->create_ah(pd, attr);

	if (ah) {
		ah->context = pd->context;
		ah->pd = pd;
	}
	return ah;
}

IBV_EXPORT int ibv_destroy_ah(struct ibv_ah *ah)
{
	return get_ops(ah->context)->destroy_ah(ah);
}

IBV_EXPORT int ibv_attach_mcast(struct ibv_qp *qp, const union ibv_gid *gid,
				uint16_t lid)
{
	return get_ops(qp->context)->attach_mcast(qp, gid, lid);
}

IBV_EXPORT int ibv_detach_mcast(struct ibv_qp *qp, const union ibv_gid *gid,
				uint16_t lid)
{
	return get_ops(qp->context)->detach_mcast(qp, gid, lid);
}

/* Index of gid in the port's table among GIDs of the given type, or <0. */
static int find_gid_index(struct ibv_context *context, uint8_t port_num,
			  const union ibv_gid *gid, bool want_v2,
			  bool any_type)
{
	struct ibv_port_attr port_attr;
	int i;

	if (__lib_query_port(context, port_num, &port_attr, sizeof(port_attr)))
		return -1;
	for (i = 0; i < port_attr.gid_tbl_len; i++) {
		struct ibv_gid_entry entry;

		if (__ibv_query_gid_ex(context, port_num, i, &entry, 0,
				       sizeof(entry),
				       VERBS_QUERY_GID_ATTR_GID |
					       VERBS_QUERY_GID_ATTR_TYPE))
			continue;
		if (memcmp(&entry.gid, gid, sizeof(*gid)))
			continue;
		if (any_type ||
		    (entry.gid_type == IBV_GID_TYPE_ROCE_V2) == want_v2)
			return i;
	}
	errno = ENOENT;
	return -1;
}

static void ipv4_to_gid(uint32_t addr_be, union ibv_gid *gid)
{
	memset(gid, 0, sizeof(*gid));
	gid->raw[10] = 0xff;
	gid->raw[11] = 0xff;
	memcpy(&gid->raw[12], &addr_be, sizeof(addr_be));
}

/*
 * An address handle that answers the sender of a received packet.  On RoCE
 * v2 over IPv4 the 40 byte GRH area holds 20 unused bytes and the IPv4
 * header, otherwise the IPv6/IB GRH itself.
 */
IBV_EXPORT int ibv_init_ah_from_wc(struct ibv_context *context,
				   uint8_t port_num, struct ibv_wc *wc,
				   struct ibv_grh *grh,
				   struct ibv_ah_attr *ah_attr)
{
	const uint8_t *ip4 = (const uint8_t *)grh + 20;
	int index;

	memset(ah_attr, 0, sizeof(*ah_attr));
	ah_attr->dlid = wc->slid;
	ah_attr->sl = wc->sl;
	ah_attr->src_path_bits = wc->dlid_path_bits;
	ah_attr->port_num = port_num;

	if (!(wc->wc_flags & IBV_WC_GRH))
		return 0;

	ah_attr->is_global = 1;
	if ((be32toh(grh->version_tclass_flow) >> 28) != 6 &&
	    (ip4[0] >> 4) == 4) {
		uint32_t saddr, daddr;
		union ibv_gid sgid;

		memcpy(&saddr, ip4 + 12, sizeof(saddr));
		memcpy(&daddr, ip4 + 16, sizeof(daddr));
		ipv4_to_gid(daddr, &sgid);
		index = find_gid_index(context, port_num, &sgid, true, false);
		if (index < 0)
			return -1;
		ipv4_to_gid(saddr, &ah_attr->grh.dgid);
		ah_attr->grh.sgid_index = (uint8_t)index;
		ah_attr->grh.hop_limit = ip4[8];
		ah_attr->grh.traffic_class = ip4[1];
		return 0;
	}

	{
		uint32_t flow_class = be32toh(grh->version_tclass_flow);

		index = find_gid_index(context, port_num, &grh->dgid, false,
				       true);
		if (index < 0)
			return -1;
		ah_attr->grh.dgid = grh->sgid;
		ah_attr->grh.sgid_index = (uint8_t)index;
		ah_attr->grh.flow_label = flow_class & 0xFFFFF;
		ah_attr->grh.hop_limit = 0xFF;
		ah_attr->grh.traffic_class = (flow_class >> 20) & 0xFF;
	}
	return 0;
}

IBV_EXPORT struct ibv_ah *ibv_create_ah_from_wc(struct ibv_pd *pd,
						struct ibv_wc *wc,
						struct ibv_grh *grh,
						uint8_t port_num)
{
	struct ibv_ah_attr ah_attr;

	if (ibv_init_ah_from_wc(pd->context, port_num, wc, grh, &ah_attr))
		return NULL;
	return ibv_create_ah(pd, &ah_attr);
}
