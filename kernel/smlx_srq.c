// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Shared receive queues, basic and XRC.  The provider posts receive WQEs
 * into the ring; responders of every QP using the SRQ claim them one at a
 * time under the SRQ's lock, copying each WQE out before they look at it.
 * The limit event fires once when a claim leaves fewer WQEs posted than
 * the armed limit, as the IB spec describes.
 */
#include <linux/slab.h>

#include <rdma/uverbs_ioctl.h>

#include "smlx.h"

#define SMLX_RECV_WQE_HDR	sizeof(struct smlx_recv_wqe)

/* Tells an SRQ from an earlier one with the same number. */
static atomic_t smlx_srq_serial = ATOMIC_INIT(0);

static void smlx_srq_event(struct smlx_srq *srq, enum ib_event_type type)
{
	struct ib_event ev = {
		.device = srq->ibsrq.device,
		.element.srq = &srq->ibsrq,
		.event = type,
	};

	if (srq->ibsrq.event_handler)
		srq->ibsrq.event_handler(&ev, srq->ibsrq.srq_context);
}

int smlx_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		    struct ib_udata *udata)
{
	struct smlx_dev *sdev = to_sdev(ibsrq->device);
	struct smlx_engine_dev *eng = &sdev->eng;
	struct smlx_create_srq_resp resp = {};
	struct smlx_srq *srq = to_ssrq(ibsrq);
	struct ib_srq_attr *attr = &init->attr;
	struct smlx_ucontext *uctx;
	u32 slots, stride, max_sge;
	int ret;

	/* Receives are posted through the ring: user SRQs only. */
	if (!udata)
		return -EOPNOTSUPP;
	if (init->srq_type != IB_SRQT_BASIC && init->srq_type != IB_SRQT_XRC)
		return -EOPNOTSUPP;
	if (!attr->max_wr || attr->max_wr > SMLX_MAX_SRQ_WR ||
	    attr->max_sge > SMLX_MAX_SGE || attr->srq_limit > attr->max_wr)
		return -EINVAL;
	if (udata->inlen && !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EINVAL;
	if (udata->outlen < sizeof(resp))
		return -EINVAL;

	max_sge = max_t(u32, attr->max_sge, 1);
	slots = roundup_pow_of_two(attr->max_wr);
	stride = roundup_pow_of_two(SMLX_RECV_WQE_HDR +
				    max_sge * sizeof(struct smlx_sge));
	max_sge = min_t(u32, (stride - SMLX_RECV_WQE_HDR) /
			     sizeof(struct smlx_sge), SMLX_MAX_SGE);

	spin_lock_init(&srq->lock);
	refcount_set(&srq->users, 1);
	init_completion(&srq->drained);
	srq->max_sge = max_sge;
	srq->limit = attr->srq_limit;
	srq->serial = atomic_inc_return(&smlx_srq_serial);

	uctx = rdma_udata_to_drv_context(udata, struct smlx_ucontext, ibuc);
	srq->queue = smlx_queue_create(&uctx->ibuc, slots, stride);
	if (IS_ERR(srq->queue))
		return PTR_ERR(srq->queue);

	/* Reserved empty: the responder must not find a half-built SRQ. */
	ret = xa_alloc_cyclic(&eng->srq_xa, &srq->srqn, NULL,
			      XA_LIMIT(1, SMLX_MAX_SRQ), &eng->srq_next,
			      GFP_KERNEL);
	if (ret < 0) {
		ret = ret == -EBUSY ? -ENOMEM : ret;
		goto err_queue;
	}
	if (init->srq_type == IB_SRQT_XRC)
		ibsrq->ext.xrc.srq_num = srq->srqn;

	smlx_queue_info(srq->queue, &resp.ring);
	resp.srqn = srq->srqn;
	ret = ib_copy_to_udata(udata, &resp, sizeof(resp));
	if (ret)
		goto err_xa;

	attr->max_wr = slots;
	attr->max_sge = max_sge;
	xa_store(&eng->srq_xa, srq->srqn, srq, GFP_KERNEL);
	return 0;

err_xa:
	xa_erase(&eng->srq_xa, srq->srqn);
err_queue:
	smlx_queue_destroy(srq->queue);
	return ret;
}

int smlx_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		    enum ib_srq_attr_mask mask, struct ib_udata *udata)
{
	struct smlx_srq *srq = to_ssrq(ibsrq);

	if (mask & ~(IB_SRQ_MAX_WR | IB_SRQ_LIMIT))
		return -EINVAL;
	/* The ring is mapped by the process: it cannot grow under it. */
	if (mask & IB_SRQ_MAX_WR)
		return -EINVAL;
	if (mask & IB_SRQ_LIMIT) {
		if (attr->srq_limit > srq->queue->num_slots)
			return -EINVAL;
		spin_lock(&srq->lock);
		srq->limit = attr->srq_limit;
		spin_unlock(&srq->lock);
	}
	return 0;
}

int smlx_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr)
{
	struct smlx_srq *srq = to_ssrq(ibsrq);

	attr->max_wr = srq->queue->num_slots;
	attr->max_sge = srq->max_sge;
	spin_lock(&srq->lock);
	attr->srq_limit = srq->limit;
	spin_unlock(&srq->lock);
	return 0;
}

int smlx_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata)
{
	struct smlx_srq *srq = to_ssrq(ibsrq);

	xa_erase(&to_sdev(ibsrq->device)->eng.srq_xa, srq->srqn);
	/*
	 * Responders found it by number; wait for those handling a packet
	 * now.  None holds it longer: a message left open loses its WQE.
	 */
	smlx_srq_put(srq);
	wait_for_completion(&srq->drained);
	smlx_queue_destroy(srq->queue);
	return 0;
}

/* The SRQ numbered @srqn, with a reference, or NULL. */
struct smlx_srq *smlx_srq_get(struct smlx_dev *sdev, u32 srqn)
{
	struct xarray *xa = &sdev->eng.srq_xa;
	struct smlx_srq *srq;

	xa_lock(xa);
	srq = xa_load(xa, srqn);
	if (srq && !refcount_inc_not_zero(&srq->users))
		srq = NULL;
	xa_unlock(xa);
	return srq;
}

void smlx_srq_put(struct smlx_srq *srq)
{
	if (refcount_dec_and_test(&srq->users))
		complete(&srq->drained);
}

/**
 * smlx_srq_claim - take the oldest posted receive WQE
 * @srq: shared receive queue
 * @wqe: receives a copy of the slot
 * @size: bytes @wqe holds, at least the SRQ's stride
 *
 * Returns 0, -ENOENT when nothing is posted, or -EIO when the ring is
 * broken (the SRQ is then dead and IB_EVENT_SRQ_ERR raised).  The caller
 * validates the copy.
 */
int smlx_srq_claim(struct smlx_srq *srq, void *wqe, size_t size)
{
	struct smlx_queue *q = srq->queue;
	bool limit_hit = false, broken = false;
	int avail, ret = 0;

	spin_lock(&srq->lock);
	if (srq->error) {
		ret = -EIO;
		goto out;
	}
	avail = smlx_queue_avail(q, q->kidx);
	if (avail < 0) {
		srq->error = true;
		smlx_queue_set_error(q);
		broken = true;
		ret = -EIO;
		goto out;
	}
	if (!avail) {
		ret = -ENOENT;
		goto out;
	}
	memcpy(wqe, smlx_queue_slot(q, q->kidx), min_t(size_t, size, q->stride));
	smlx_queue_set_consumer(q, q->kidx + 1);
	if (srq->limit && avail - 1 < srq->limit) {
		srq->limit = 0;
		limit_hit = true;
	}
out:
	spin_unlock(&srq->lock);
	if (broken)
		smlx_srq_event(srq, IB_EVENT_SRQ_ERR);
	if (limit_hit)
		smlx_srq_event(srq, IB_EVENT_SRQ_LIMIT_REACHED);
	return ret;
}
