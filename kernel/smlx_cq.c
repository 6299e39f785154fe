// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Completion queues.  The kernel produces CQEs into a ring the process
 * polls without system calls (docs/queues.md).  It never overwrites an
 * unconsumed CQE: a full ring is an overrun, which kills the CQ and is
 * reported with IB_EVENT_CQ_ERR; the QP that could not complete then goes
 * to the error state.
 */
#include <linux/ktime.h>
#include <linux/slab.h>

#include <rdma/restrack.h>
#include <rdma/uverbs_ioctl.h>

#include "smlx.h"

static void smlx_cq_event(struct smlx_cq *cq, enum ib_event_type type)
{
	struct ib_event ev = {
		.device = cq->ibcq.device,
		.element.cq = &cq->ibcq,
		.event = type,
	};

	if (cq->ibcq.event_handler)
		cq->ibcq.event_handler(&ev, cq->ibcq.cq_context);
}

static struct ib_ucontext *smlx_udata_ucontext(struct ib_udata *udata)
{
	struct smlx_ucontext *uctx;

	uctx = rdma_udata_to_drv_context(udata, struct smlx_ucontext, ibuc);
	return uctx ? &uctx->ibuc : NULL;
}

static int smlx_cq_slots(int cqe, u32 *slots)
{
	if (cqe < 1 || cqe > SMLX_MAX_CQE)
		return -EINVAL;
	*slots = roundup_pow_of_two(cqe);
	return 0;
}

int smlx_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		   struct ib_udata *udata)
{
	struct smlx_dev *sdev = to_sdev(ibcq->device);
	struct smlx_engine_dev *eng = &sdev->eng;
	struct smlx_create_cq_resp resp = {};
	struct smlx_cq *cq = to_scq(ibcq);
	u32 slots;
	int ret;

	if (attr->flags & ~IB_UVERBS_CQ_FLAGS_TIMESTAMP_COMPLETION)
		return -EOPNOTSUPP;
	ret = smlx_cq_slots(attr->cqe, &slots);
	if (ret)
		return ret;
	if (udata) {
		if (udata->inlen && !ib_is_udata_cleared(udata, 0, udata->inlen))
			return -EINVAL;
		if (udata->outlen < sizeof(resp))
			return -EINVAL;
	}

	spin_lock_init(&cq->lock);
	cq->queue = smlx_queue_create(udata ? smlx_udata_ucontext(udata) : NULL,
				      slots, sizeof(struct smlx_cqe));
	if (IS_ERR(cq->queue))
		return PTR_ERR(cq->queue);

	ret = xa_alloc_cyclic(&eng->cq_xa, &cq->cqn, cq,
			      XA_LIMIT(1, SMLX_MAX_CQ), &eng->cq_next,
			      GFP_KERNEL);
	if (ret < 0) {
		ret = ret == -EBUSY ? -ENOMEM : ret;
		goto err_queue;
	}

	if (udata) {
		smlx_queue_info(cq->queue, &resp.ring);
		resp.cqn = cq->cqn;
		ret = ib_copy_to_udata(udata, &resp, sizeof(resp));
		if (ret)
			goto err_xa;
	}
	ibcq->cqe = slots;
	return 0;

err_xa:
	xa_erase(&eng->cq_xa, cq->cqn);
err_queue:
	smlx_queue_destroy(cq->queue);
	return ret;
}

/* ib_core only lets a CQ go once no QP or SRQ uses it. */
int smlx_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata)
{
	struct smlx_cq *cq = to_scq(ibcq);

	xa_erase(&to_sdev(ibcq->device)->eng.cq_xa, cq->cqn);
	smlx_queue_destroy(cq->queue);
	return 0;
}

/*
 * Let the engine finish what the QPs completing to @cq were already asked
 * to do.  A doorbell only queues a QP's work; hardware would have executed
 * rung WQEs long before a later resize reaches the device, so a resize must
 * not judge the ring by CQEs a worker simply has not written yet.
 */
static void smlx_cq_catch_up(struct smlx_cq *cq)
{
	struct smlx_dev *sdev = to_sdev(cq->ibcq.device);
	unsigned long qpn;
	struct smlx_qp *qp;
	void *entry;

	/* Only the indices are used from the walk; smlx_qp_get() checks. */
	xa_for_each(&sdev->eng.qp_xa, qpn, entry) {
		qp = smlx_qp_get(sdev, qpn);
		if (!qp)
			continue;
		if (qp->scq == cq || qp->rcq == cq)
			flush_work(&qp->work);
		smlx_qp_put(qp);
	}
}

/**
 * smlx_resize_cq - move the CQ to a ring of @cqe entries
 * @ibcq: the CQ
 * @cqe: entries wanted
 * @udata: carries struct smlx_resize_cq_resp back
 *
 * Unconsumed CQEs move along, to slots 0.. of the new ring; its producer
 * starts after them and its consumer at 0.  The provider must hold its CQ
 * lock across the command and continue on the new ring.
 */
int smlx_resize_cq(struct ib_cq *ibcq, int cqe, struct ib_udata *udata)
{
	struct smlx_cq *cq = to_scq(ibcq);
	struct smlx_resize_cq_resp resp = {};
	struct smlx_queue *nq, *oq;
	u32 slots, i, used;
	int ret, space;

	ret = smlx_cq_slots(cqe, &slots);
	if (ret)
		return ret;
	if (udata && udata->outlen < sizeof(resp))
		return -EINVAL;

	nq = smlx_queue_create(udata ? smlx_udata_ucontext(udata) : NULL,
			       slots, sizeof(struct smlx_cqe));
	if (IS_ERR(nq))
		return PTR_ERR(nq);
	if (udata) {
		smlx_queue_info(nq, &resp.ring);
		ret = ib_copy_to_udata(udata, &resp, sizeof(resp));
		if (ret)
			goto err;
	}

	smlx_cq_catch_up(cq);
	spin_lock_irq(&cq->lock);
	oq = cq->queue;
	space = smlx_queue_space(oq);
	if (cq->error || space < 0) {
		ret = -EIO;
		goto err_unlock;
	}
	used = oq->num_slots - space;
	if (used > slots) {
		ret = -EINVAL;
		goto err_unlock;
	}
	for (i = 0; i < used; i++)
		memcpy(smlx_queue_slot(nq, i),
		       smlx_queue_slot(oq, oq->kidx - used + i),
		       sizeof(struct smlx_cqe));
	smlx_queue_set_producer(nq, used);
	cq->queue = nq;
	ibcq->cqe = slots;
	spin_unlock_irq(&cq->lock);

	smlx_queue_destroy(oq);
	return 0;

err_unlock:
	spin_unlock_irq(&cq->lock);
err:
	smlx_queue_destroy(nq);
	return ret;
}

int smlx_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags)
{
	struct smlx_cq *cq = to_scq(ibcq);
	unsigned long irqflags;
	int ret = 0;

	spin_lock_irqsave(&cq->lock, irqflags);
	if ((flags & IB_CQ_SOLICITED_MASK) == IB_CQ_NEXT_COMP)
		cq->notify = IB_CQ_NEXT_COMP;
	else if (cq->notify != IB_CQ_NEXT_COMP)
		cq->notify = IB_CQ_SOLICITED;
	if ((flags & IB_CQ_REPORT_MISSED_EVENTS) &&
	    smlx_queue_space(cq->queue) != cq->queue->num_slots)
		ret = 1;
	spin_unlock_irqrestore(&cq->lock, irqflags);
	return ret;
}

/**
 * smlx_cq_post - add a CQE
 * @cq: completion queue
 * @cqe: the entry; its timestamp is filled in here
 * @solicited: the completion of a solicited message
 *
 * Returns 0, or -EOVERFLOW when the CQ is (or just became) dead.  Runs in
 * the engine's workers; raises the completion event if the CQ was armed.
 */
int smlx_cq_post(struct smlx_cq *cq, const struct smlx_cqe *cqe,
		 bool solicited)
{
	struct smlx_cqe *slot;
	bool notify = false, died = false;
	unsigned long irqflags;
	int space;

	spin_lock_irqsave(&cq->lock, irqflags);
	if (cq->error) {
		spin_unlock_irqrestore(&cq->lock, irqflags);
		return -EOVERFLOW;
	}
	space = smlx_queue_space(cq->queue);
	if (space <= 0) {
		cq->error = true;
		smlx_queue_set_error(cq->queue);
		died = true;
	} else {
		slot = smlx_queue_slot(cq->queue, cq->queue->kidx);
		memcpy(slot, cqe, sizeof(*slot));
		/* not read back from the slot: the process may rewrite it */
		cq->last_post_ns = ktime_get_ns();
		slot->timestamp_ns = cq->last_post_ns;
		smlx_queue_set_producer(cq->queue, cq->queue->kidx + 1);
		if (cq->notify == IB_CQ_NEXT_COMP ||
		    (cq->notify == IB_CQ_SOLICITED &&
		     (solicited || cqe->status != IB_WC_SUCCESS))) {
			cq->notify = 0;
			notify = true;
		}
	}
	spin_unlock_irqrestore(&cq->lock, irqflags);

	if (died) {
		smlx_cq_event(cq, IB_EVENT_CQ_ERR);
		return -EOVERFLOW;
	}
	if (notify)
		cq->ibcq.comp_handler(&cq->ibcq, cq->ibcq.cq_context);
	return 0;
}

/*
 * A CQE as a kernel client reads it.  CQEs speak ibv_wc (status and
 * opcodes have the same values in ib_wc); the flags differ, and where a
 * process finds the RoCE header type in sl, ib_wc has a field of its own,
 * which ib_cm and ib_mad read to build their reply's address.
 */
static void smlx_cqe_to_wc(struct smlx_dev *sdev, const struct smlx_cqe *c,
			   struct ib_wc *w)
{
	static const u8 net_types[] = {
		[SMLX_NET_ROCE_V1] = RDMA_NETWORK_ROCE_V1,
		[SMLX_NET_ROCE_V2_IPV6] = RDMA_NETWORK_IPV6,
		[SMLX_NET_ROCE_V2_IPV4] = RDMA_NETWORK_IPV4,
	};

	memset(w, 0, sizeof(*w));
	w->wr_id = c->wr_id;
	w->status = c->status;
	w->opcode = c->opcode;
	w->vendor_err = c->vendor_err;
	w->byte_len = c->byte_len;
	w->ex.imm_data = c->imm_data;
	/* no reference: a client polls only CQs of QPs it has not destroyed */
	w->qp = xa_load(&sdev->eng.qp_xa, c->qp_num);
	w->src_qp = c->src_qp;
	if (c->wc_flags & SMLX_WC_GRH) {
		w->wc_flags |= IB_WC_GRH;
		if (c->sl < ARRAY_SIZE(net_types)) {
			w->network_hdr_type = net_types[c->sl];
			w->wc_flags |= IB_WC_WITH_NETWORK_HDR_TYPE;
		}
	} else {
		w->sl = c->sl;
	}
	if (c->wc_flags & SMLX_WC_WITH_IMM)
		w->wc_flags |= IB_WC_WITH_IMM;
	w->pkey_index = c->pkey_index;
	w->slid = c->slid;
	w->dlid_path_bits = c->dlid_path_bits;
	w->port_num = SMLX_PORT;
}

/* Kernel CQs only: user CQs are polled in userspace. */
int smlx_poll_cq(struct ib_cq *ibcq, int num_entries, struct ib_wc *wc)
{
	struct smlx_dev *sdev = to_sdev(ibcq->device);
	struct smlx_cq *cq = to_scq(ibcq);
	struct smlx_queue *q = cq->queue;
	unsigned long irqflags;
	int n = 0;

	spin_lock_irqsave(&cq->lock, irqflags);
	if (!q->mmap) {
		u32 cons = q->ring->consumer;

		while (n < num_entries && cons != q->kidx)
			smlx_cqe_to_wc(sdev, smlx_queue_slot(q, cons++),
				       &wc[n++]);
		/* the slots are read before the engine may reuse them */
		smp_store_release(&q->ring->consumer, cons);
	}
	spin_unlock_irqrestore(&cq->lock, irqflags);
	return n;
}

/*
 * "rdma resource show cq -dd": the ring as the kernel sees it, so that a
 * test that lost a completion can tell a CQE never written (producer not
 * past it) from one written and not seen (producer past the consumer).
 */
int smlx_fill_res_cq_entry(struct sk_buff *msg, struct ib_cq *ibcq)
{
	struct smlx_cq *cq = to_scq(ibcq);
	u32 producer, ring_producer, consumer, slots;
	unsigned long irqflags;
	struct nlattr *table;
	u64 last_post_ns;
	bool error;
	u8 notify;

	/*
	 * Under the lock: resize replaces the queue.  The ring's copy of the
	 * producer index is what the provider reads (it may also scribble
	 * on it); the age of the newest CQE tells a CQE written long ago and
	 * not seen from one that came late.
	 */
	spin_lock_irqsave(&cq->lock, irqflags);
	producer = cq->queue->kidx;
	ring_producer = READ_ONCE(cq->queue->ring->producer);
	consumer = READ_ONCE(cq->queue->ring->consumer);
	last_post_ns = cq->last_post_ns;
	slots = cq->queue->num_slots;
	error = cq->error;
	notify = cq->notify;
	spin_unlock_irqrestore(&cq->lock, irqflags);

	table = nla_nest_start_noflag(msg, RDMA_NLDEV_ATTR_DRIVER);
	if (!table)
		return -EMSGSIZE;
	if (rdma_nl_put_driver_u32(msg, "producer", producer) ||
	    rdma_nl_put_driver_u32(msg, "ring_producer", ring_producer) ||
	    rdma_nl_put_driver_u32(msg, "consumer", consumer) ||
	    rdma_nl_put_driver_u64(msg, "last_cqe_age_ms",
				   last_post_ns ?
				   div_u64(ktime_get_ns() - last_post_ns,
					   NSEC_PER_MSEC) : 0) ||
	    rdma_nl_put_driver_u32(msg, "slots", slots) ||
	    rdma_nl_put_driver_u32(msg, "dead", error) ||
	    rdma_nl_put_driver_u32(msg, "armed", notify)) {
		nla_nest_cancel(msg, table);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, table);
	return 0;
}
