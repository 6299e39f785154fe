// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Queue pairs: creation with their rings, the IB state machine, and the
 * per-QP work item that runs the engine's requester, responder and
 * completer stages (docs/engine.md).
 *
 * Lifetime: the wire finds a QP by number under the device's qp_xa lock
 * and takes a reference; destroy unpublishes the number, waits for the
 * references to drain, then stops the timer and the work.  After that no
 * packet can reach the QP and nothing of the engine runs for it.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include <rdma/uverbs_ioctl.h>

#include "smlx.h"

#define SMLX_SEND_WQE_HDR	sizeof(struct smlx_send_wqe)
#define SMLX_RECV_WQE_HDR	sizeof(struct smlx_recv_wqe)
#define SMLX_RECV_WQE_MAX	(SMLX_RECV_WQE_HDR + \
				 SMLX_MAX_SGE * sizeof(struct smlx_sge))
/*
 * Packets queued before drops (the sender retransmits, as after a full
 * hardware buffer).  Each holds at most one MTU (4 KiB) of payload: at most
 * 2 MiB (4 MiB with slab rounding) per QP, however long it stays stalled.
 */
#define SMLX_INBOX_MAX		512
#define SMLX_WORK_BUDGET	64	/* packets per stage per run */

void smlx_qp_event(struct smlx_qp *qp, enum ib_event_type type)
{
	struct ib_event ev = {
		.device = qp->ibqp.device,
		.element.qp = &qp->ibqp,
		.event = type,
	};

	if (qp->ibqp.event_handler)
		qp->ibqp.event_handler(&ev, qp->ibqp.qp_context);
}

struct smlx_qp *smlx_qp_get(struct smlx_dev *sdev, u32 qpn)
{
	struct xarray *xa = &sdev->eng.qp_xa;
	struct smlx_qp *qp;

	xa_lock(xa);
	qp = xa_load(xa, qpn);
	if (qp && !refcount_inc_not_zero(&qp->users))
		qp = NULL;
	xa_unlock(xa);
	return qp;
}

void smlx_qp_put(struct smlx_qp *qp)
{
	if (refcount_dec_and_test(&qp->users))
		complete(&qp->drained);
}

void smlx_qp_schedule(struct smlx_qp *qp)
{
	if (!READ_ONCE(qp->dying))
		queue_work(qp->sdev->eng.wq, &qp->work);
}

static void smlx_qp_run(struct smlx_qp *qp);

/*
 * The engine of a QP runs in one context at a time: its work item, the
 * process ringing its doorbell, or the process whose packet it just
 * received (as rxe does, that saves a worker wake-up per message).
 * SMLX_QPF_RUNNING is the exclusion.  Whoever finds it taken leaves
 * SMLX_QPF_RERUN, and the holder queues the work item on its way out, so
 * nothing that asked for a run is left without one.
 */
static bool smlx_qp_run_begin(struct smlx_qp *qp)
{
	for (;;) {
		if (!test_and_set_bit_lock(SMLX_QPF_RUNNING, &qp->flags))
			return true;
		set_bit(SMLX_QPF_RERUN, &qp->flags);
		/* RERUN before RUNNING is read again; pairs with run_end */
		smp_mb__after_atomic();
		if (test_bit(SMLX_QPF_RUNNING, &qp->flags))
			return false;
	}
}

static void smlx_qp_run_end(struct smlx_qp *qp)
{
	clear_bit_unlock(SMLX_QPF_RUNNING, &qp->flags);
	/* RUNNING clear before RERUN is read; pairs with run_begin */
	smp_mb__after_atomic();
	if (test_and_clear_bit(SMLX_QPF_RERUN, &qp->flags))
		smlx_qp_schedule(qp);
	wake_up_bit(&qp->flags, SMLX_QPF_RUNNING);
}

/*
 * Asks for a run without making one: the context running the engine now
 * makes it (SMLX_QPF_RERUN), else the work item.  A busy-polling process
 * keeps the CPU until the next tick, so a work item queued while its
 * doorbell run is on the way would cost a tick per message.
 */
static void smlx_qp_kick(struct smlx_qp *qp)
{
	if (test_bit(SMLX_QPF_RUNNING, &qp->flags)) {
		set_bit(SMLX_QPF_RERUN, &qp->flags);
		/* as in run_begin: RERUN before RUNNING is read again */
		smp_mb__after_atomic();
		if (test_bit(SMLX_QPF_RUNNING, &qp->flags))
			return;
	}
	smlx_qp_schedule(qp);
}

/* Until no context runs the engine; new runs may start after. */
static void smlx_qp_run_wait(struct smlx_qp *qp)
{
	wait_on_bit(&qp->flags, SMLX_QPF_RUNNING, TASK_UNINTERRUPTIBLE);
}

/*
 * Takes the engine from whoever runs it and keeps it from running: the
 * caller may then write what the engine owns.  Runs asked for meanwhile
 * (SMLX_QPF_RERUN) are made by smlx_qp_engine_release().  Sleeps.
 */
static void smlx_qp_engine_hold(struct smlx_qp *qp)
{
	wait_on_bit_lock(&qp->flags, SMLX_QPF_RUNNING, TASK_UNINTERRUPTIBLE);
}

static void smlx_qp_engine_release(struct smlx_qp *qp)
{
	smlx_qp_run_end(qp);
}

static enum ib_qp_state smlx_qp_state(struct smlx_qp *qp)
{
	return READ_ONCE(qp->state);
}

/*
 * The engine found an error: the QP goes to the error state and the worker
 * flushes it.  SRQ users are told their last WQE was reached, as the IB
 * spec wants, so they can reclaim the QP.
 */
void smlx_qp_set_error(struct smlx_qp *qp)
{
	bool changed = false;

	spin_lock_bh(&qp->state_lock);
	if (qp->state != IB_QPS_ERR && qp->state != IB_QPS_RESET) {
		WRITE_ONCE(qp->state, IB_QPS_ERR);
		changed = true;
	}
	spin_unlock_bh(&qp->state_lock);
	if (changed) {
		if (qp->srq)
			smlx_qp_event(qp, IB_EVENT_QP_LAST_WQE_REACHED);
		smlx_qp_schedule(qp);
	}
}

/* An error no WQE can report: the ring or a CQ is broken. */
static void smlx_qp_fatal(struct smlx_qp *qp)
{
	smlx_qp_event(qp, IB_EVENT_QP_FATAL);
	smlx_qp_set_error(qp);
}

/**
 * smlx_qp_deliver - append @pkt to @qp's inbox and get it handled
 * @qp: destination, referenced by the caller
 * @pkt: consumed
 * @run: run @qp's engine in this context (which may sleep) unless it runs
 *	 elsewhere; else queue its work item
 *
 * Returns false when the packet was dropped: QP in reset or dying, or
 * the inbox is full (the sender will retransmit).
 */
bool smlx_qp_deliver(struct smlx_qp *qp, struct smlx_pkt *pkt, bool run)
{
	bool ok = false;

	spin_lock_bh(&qp->inbox_lock);
	if (!qp->dying && smlx_qp_state(qp) != IB_QPS_RESET &&
	    qp->inbox_len < SMLX_INBOX_MAX) {
		list_add_tail(&pkt->node, &qp->inbox);
		qp->inbox_len++;
		ok = true;
	}
	spin_unlock_bh(&qp->inbox_lock);
	if (!ok) {
		smlx_pkt_free(pkt);
		return false;
	}
	if (!run) {
		smlx_qp_kick(qp);
	} else if (smlx_qp_run_begin(qp)) {
		smlx_qp_run(qp);
		smlx_qp_run_end(qp);
	}
	return true;
}

static void smlx_qp_drop_inbox(struct smlx_qp *qp)
{
	LIST_HEAD(drop);

	spin_lock_bh(&qp->inbox_lock);
	list_splice_init(&qp->inbox, &drop);
	qp->inbox_len = 0;
	spin_unlock_bh(&qp->inbox_lock);
	smlx_pkt_free_list(&drop);
}

/* ------------------------------------------------------------ packets */

struct smlx_pkt *smlx_qp_new_pkt(struct smlx_qp *qp, enum smlx_pkt_op op,
				 u32 len, gfp_t gfp)
{
	struct smlx_pkt *pkt = smlx_pkt_alloc(len, gfp);
	struct smlx_av *av = &qp->path.av;

	if (!pkt)
		return NULL;
	pkt->op = op;
	pkt->qpt = smlx_qp_wire_type(qp);
	pkt->src_port = qp->sdev->eng.port.id;
	pkt->src_qpn = qp->ibqp.qp_num;
	pkt->dst_qpn = qp->path.dest_qpn;
	if (!av->port_id)
		av->port_id = smlx_wire_resolve(&av->dgid);
	pkt->dst_port = av->port_id;
	pkt->sgid = av->sgid;
	pkt->dgid = av->dgid;
	pkt->net_type = av->net_type;
	pkt->hop_limit = av->hop_limit;
	pkt->traffic_class = av->traffic_class;
	pkt->flow_label = av->flow_label;
	return pkt;
}

void smlx_qp_send_pkt(struct smlx_qp *qp, struct smlx_pkt *pkt)
{
	if (qp->inline_tx)
		smlx_wire_send_run(pkt);
	else
		smlx_wire_send(pkt);
}

/* Responses go back where the request came from. */
void smlx_qp_reply_pkt(struct smlx_qp *qp, const struct smlx_pkt *req,
		       struct smlx_pkt *pkt)
{
	pkt->dst_port = req->src_port;
	pkt->dst_qpn = req->src_qpn;
	pkt->sgid = req->dgid;
	pkt->dgid = req->sgid;
	smlx_wire_send(pkt);
}

/* --------------------------------------------------------------- ODP */

/* Under fault_lock: the QP is stalled on no fault any more. */
static void smlx_qp_unstall_locked(struct smlx_qp *qp)
{
	lockdep_assert_held(&qp->fault_lock);
	clear_bit(SMLX_QPF_RNR_STALL, &qp->flags);
	clear_bit(SMLX_QPF_STALLED, &qp->flags);
	WRITE_ONCE(qp->fault_phase, SMLX_FAULT_NONE);
}

/**
 * smlx_qp_stall - park @qp until the ODP fault @fault is resolved
 * @qp: the QP whose engine met the fault (it holds SMLX_QPF_RUNNING)
 * @fault: what to fault in
 * @rnr: stalled as an RC responder on a SEND or WRITE: the requester's
 *	 resends of the packet are answered RNR NAK meanwhile
 *
 * Returns 0 when the QP is stalled (its engine stops; the packet or WQE
 * that faulted is retried from the start on smlx_qp_resume()), or an
 * error when nobody can resolve faults: the access then fails.
 *
 * Everything the stall means is set before the handler sees the fault:
 * its worker may resolve it and resume before the handler returns, and a
 * flag set after that would outlive the stall.
 */
int smlx_qp_stall(struct smlx_qp *qp, const struct smlx_fault *fault,
		  bool rnr)
{
	smlx_fault_handler_t handler = READ_ONCE(smlx_engine_fault_handler);
	struct smlx_fault stamped = *fault;
	bool failed;
	int ret;

	if (!handler)
		return -EFAULT;
	spin_lock_bh(&qp->fault_lock);
	/* The retry of an access whose fault failed: it fails now. */
	failed = test_and_clear_bit(SMLX_QPF_FAULT_FAILED, &qp->flags) &&
		 qp->fault.key == fault->key && qp->fault.iova == fault->iova;
	if (!failed) {
		stamped.seq = ++qp->fault_seq;
		qp->fault = stamped;
		WRITE_ONCE(qp->fault_since, jiffies);
		WRITE_ONCE(qp->fault_phase, SMLX_FAULT_QUEUED);
		if (rnr)
			set_bit(SMLX_QPF_RNR_STALL, &qp->flags);
		set_bit(SMLX_QPF_STALLED, &qp->flags);
		/* engine-owned; the requester's timer must not blame the peer */
		qp->req.stalled = true;
	}
	spin_unlock_bh(&qp->fault_lock);
	if (failed)
		return -EFAULT;

	ret = handler(qp, &stamped);
	if (ret) {
		/* Not taken: nobody will resume this stall. */
		spin_lock_bh(&qp->fault_lock);
		smlx_qp_unstall_locked(qp);
		spin_unlock_bh(&qp->fault_lock);
	}
	return ret;
}

/**
 * smlx_qp_resume - the fault @qp stalled on is resolved
 * @qp: the stalled QP
 * @fault: the fault as the handler got it from smlx_qp_stall()
 * @status: 0, or why the access must fail
 *
 * The access is retried either way: after a failed fault
 * smlx_qp_stall() fails the same access, so the stage that met it reports
 * the error the way it must (requester completion or responder NAK)
 * instead of the QP just going to error.  A resume of a stall the QP has
 * left meanwhile (a reset forgot it, or this is not the latest stall)
 * changes nothing: it must not release, or fail, a later stall.
 */
void smlx_qp_resume(struct smlx_qp *qp, const struct smlx_fault *fault,
		    int status)
{
	bool live;

	spin_lock_bh(&qp->fault_lock);
	live = test_bit(SMLX_QPF_STALLED, &qp->flags) &&
		  qp->fault.seq == fault->seq;
	if (live) {
		smlx_keep_longest(&qp->fault_max, qp->fault_since);
		if (status)
			set_bit(SMLX_QPF_FAULT_FAILED, &qp->flags);
		smlx_qp_unstall_locked(qp);
	}
	spin_unlock_bh(&qp->fault_lock);
	if (live)
		smlx_qp_schedule(qp);
}

/* A reset QP is stalled on nothing: a resume still in flight is stale. */
static void smlx_qp_forget_fault(struct smlx_qp *qp)
{
	spin_lock_bh(&qp->fault_lock);
	smlx_qp_unstall_locked(qp);
	clear_bit(SMLX_QPF_FAULT_FAILED, &qp->flags);
	qp->fault_seq++;
	spin_unlock_bh(&qp->fault_lock);
}

/* -------------------------------------------------------------- worker */

static bool smlx_pkt_is_request(const struct smlx_pkt *pkt)
{
	switch (pkt->op) {
	case SMLX_OP_SEND:
	case SMLX_OP_WRITE:
	case SMLX_OP_READ_REQ:
	case SMLX_OP_ATOMIC:
		return true;
	default:
		return false;
	}
}

/*
 * Stalled as an RC responder on the inbox head: the requester's resends of
 * that packet are answered with an RNR NAK and dropped, and with them the
 * requests behind, which the NAK makes the requester send again.
 * Everything else stays queued for resume.
 */
static void smlx_qp_rnr_inbox(struct smlx_qp *qp)
{
	struct smlx_pkt *pkt, *next;
	LIST_HEAD(nak);
	LIST_HEAD(drop);
	unsigned int n = 0;

	spin_lock_bh(&qp->inbox_lock);
	list_for_each_entry_safe(pkt, next, &qp->inbox, node) {
		if (&pkt->node == qp->inbox.next ||
		    !smlx_resp_is_rnr_resend(qp, pkt))
			continue;
		list_move_tail(&pkt->node, &nak);
		n++;
	}
	if (n) {
		list_for_each_entry_safe(pkt, next, &qp->inbox, node) {
			if (&pkt->node == qp->inbox.next ||
			    !smlx_pkt_is_request(pkt) ||
			    !smlx_resp_is_resent_after_rnr(qp, pkt))
				continue;
			list_move_tail(&pkt->node, &drop);
			n++;
		}
	}
	qp->inbox_len -= n;
	spin_unlock_bh(&qp->inbox_lock);

	/* One NAK a pass: each costs the requester one of its RNR retries. */
	if (!list_empty(&nak))
		smlx_resp_rnr(qp, list_first_entry(&nak, struct smlx_pkt, node));
	smlx_pkt_free_list(&nak);
	smlx_pkt_free_list(&drop);
}

/*
 * Is @later, a packet queued behind a request, the requester going back:
 * a request from the peer with a PSN no later than one sent since (@top)?
 */
static bool smlx_qp_goes_back(const struct smlx_qp *qp,
			      const struct smlx_pkt *later, u32 *top)
{
	if (!smlx_pkt_is_request(later) || !smlx_resp_is_from_peer(qp, later))
		return false;
	if (smlx_psn_diff(later->psn, *top) <= 0)
		return true;
	*top = later->psn;
	return false;
}

/*
 * Has the requester gone back behind @pkt, a duplicate READ request
 * taken from the inbox in @batch?  It goes back to its oldest unanswered
 * PSN, on a timeout or a NAK, so what it still lacks of @pkt's responses
 * it has asked for again.  Answering every copy instead let a requester
 * that timed out during a slow fault fill our inbox with them, each
 * another pass over memory that could fault again, ahead of the new
 * requests it waited on: it used up its retries (case 71 under the
 * debug kernel).
 */
static bool smlx_qp_asked_again(struct smlx_qp *qp, struct smlx_pkt *pkt,
				struct list_head *batch)
{
	struct smlx_pkt *later = pkt;
	bool again = false;
	u32 top = pkt->psn;

	list_for_each_entry_continue(later, batch, node) {
		if (smlx_qp_goes_back(qp, later, &top))
			return true;
	}
	spin_lock_bh(&qp->inbox_lock);
	list_for_each_entry(later, &qp->inbox, node) {
		again = smlx_qp_goes_back(qp, later, &top);
		if (again)
			break;
	}
	spin_unlock_bh(&qp->inbox_lock);
	return again;
}

/* A request from the inbox @batch: 0, or -EAGAIN when the QP stalled. */
static int smlx_qp_request(struct smlx_qp *qp, struct smlx_pkt *pkt,
			   struct list_head *batch, enum ib_qp_state state)
{
	if (state != IB_QPS_RTR && state != IB_QPS_RTS &&
	    state != IB_QPS_SQD && state != IB_QPS_SQE)
		return 0;
	if (smlx_resp_is_dup_read(qp, pkt) &&
	    smlx_qp_asked_again(qp, pkt, batch)) {
		smlx_resp_drop_dup_read(qp, pkt);
		return 0;
	}
	return smlx_resp_packet(qp, pkt);
}

/* Runs the inbox: requests to the responder, replies to the completer. */
static bool smlx_qp_run_inbox(struct smlx_qp *qp, enum ib_qp_state state)
{
	LIST_HEAD(batch);
	struct smlx_pkt *pkt;
	unsigned int n = 0;
	bool more;
	int ret;

	spin_lock_bh(&qp->inbox_lock);
	while (n < SMLX_WORK_BUDGET && !list_empty(&qp->inbox)) {
		list_move_tail(qp->inbox.next, &batch);
		n++;
	}
	qp->inbox_len -= n;
	spin_unlock_bh(&qp->inbox_lock);

	while (!list_empty(&batch)) {
		pkt = list_first_entry(&batch, struct smlx_pkt, node);
		if (smlx_pkt_is_request(pkt)) {
			ret = smlx_qp_request(qp, pkt, &batch, state);
		} else {
			if (state == IB_QPS_RTS || state == IB_QPS_SQD)
				ret = smlx_comp_packet(qp, pkt);
			else
				ret = 0;
		}
		if (ret == -EAGAIN)
			break;	/* stalled: this packet is retried on resume */
		list_del(&pkt->node);
		smlx_pkt_free(pkt);
		if (smlx_qp_state(qp) != state)
			break;
	}
	smlx_resp_batch_done(qp);

	/* What was not handled goes back to the front, in order. */
	n = 0;
	list_for_each_entry(pkt, &batch, node)
		n++;
	spin_lock_bh(&qp->inbox_lock);
	list_splice(&batch, &qp->inbox);
	qp->inbox_len += n;
	more = !list_empty(&qp->inbox);
	spin_unlock_bh(&qp->inbox_lock);
	return more;
}

/* One pass of the engine; the caller holds SMLX_QPF_RUNNING. */
static void smlx_qp_run(struct smlx_qp *qp)
{
	enum ib_qp_state state;
	bool more = false;

	if (READ_ONCE(qp->dying))
		return;
	state = smlx_qp_state(qp);
	if (state == IB_QPS_RESET) {
		smlx_qp_drop_inbox(qp);
		return;
	}
	if (state == IB_QPS_ERR) {
		smlx_qp_drop_inbox(qp);
		smlx_comp_flush(qp);
		return;
	}
	if (test_bit(SMLX_QPF_STALLED, &qp->flags)) {
		if (test_bit(SMLX_QPF_RNR_STALL, &qp->flags))
			smlx_qp_rnr_inbox(qp);
		return;
	}

	more |= smlx_qp_run_inbox(qp, state);
	if (test_and_clear_bit(SMLX_QPF_TIMER_FIRED, &qp->flags))
		smlx_req_timer_fired(qp);
	if (qp->sq && !test_bit(SMLX_QPF_STALLED, &qp->flags)) {
		state = smlx_qp_state(qp);
		if (state == IB_QPS_RTS || state == IB_QPS_SQD)
			more |= smlx_req_run(qp, SMLX_WORK_BUDGET);
		more |= smlx_comp_retire(qp);
	}
	if (test_bit(SMLX_QPF_STALLED, &qp->flags))
		return;
	if (more || smlx_qp_state(qp) == IB_QPS_ERR)
		smlx_qp_schedule(qp);
}

void smlx_qp_work(struct work_struct *work)
{
	struct smlx_qp *qp = container_of(work, struct smlx_qp, work);

	if (smlx_qp_run_begin(qp)) {
		smlx_qp_run(qp);
		smlx_qp_run_end(qp);
	}
}

static void smlx_qp_timer(struct timer_list *t)
{
	struct smlx_qp *qp = from_timer(qp, t, timer);

	set_bit(SMLX_QPF_TIMER_FIRED, &qp->flags);
	smlx_qp_schedule(qp);
}

/* ------------------------------------------------------------- create */

static struct ib_ucontext *smlx_qp_ucontext(struct ib_udata *udata)
{
	struct smlx_ucontext *uctx;

	uctx = rdma_udata_to_drv_context(udata, struct smlx_ucontext, ibuc);
	return &uctx->ibuc;
}

static int smlx_qp_check_init(struct ib_qp_init_attr *init,
			      struct ib_udata *udata)
{
	struct ib_qp_cap *cap = &init->cap;

	switch (init->qp_type) {
	case IB_QPT_RC:
	case IB_QPT_UC:
	case IB_QPT_UD:
	case IB_QPT_XRC_TGT:
		break;
	case IB_QPT_XRC_INI:
		/* ib_core makes kernel XRC initiators through XRCDs: none. */
		if (!udata)
			return -EOPNOTSUPP;
		break;
	case IB_QPT_GSI:
		/* ib_mad's QP1; a process reaches it through umad only. */
		if (udata || init->port_num != SMLX_PORT)
			return -EINVAL;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (init->create_flags)
		return -EOPNOTSUPP;
	if (init->qp_type == IB_QPT_XRC_TGT)
		return 0;
	if (cap->max_send_wr > SMLX_MAX_QP_WR ||
	    cap->max_send_sge > SMLX_MAX_SGE ||
	    cap->max_inline_data > SMLX_MAX_INLINE_DATA)
		return -EINVAL;
	if (!init->srq && init->qp_type != IB_QPT_XRC_INI &&
	    (cap->max_recv_wr > SMLX_MAX_QP_WR ||
	     cap->max_recv_sge > SMLX_MAX_SGE))
		return -EINVAL;
	if (!init->send_cq || (!init->recv_cq && init->qp_type != IB_QPT_XRC_INI))
		return -EINVAL;
	return 0;
}

static int smlx_qp_create_sq(struct smlx_qp *qp, struct ib_qp_init_attr *init,
			     struct ib_ucontext *uctx)
{
	struct ib_qp_cap *cap = &init->cap;
	u32 slots, stride, data;

	data = max_t(u32, max_t(u32, cap->max_send_sge, 1) *
			  sizeof(struct smlx_sge), cap->max_inline_data);
	stride = roundup_pow_of_two(SMLX_SEND_WQE_HDR + data);
	slots = roundup_pow_of_two(max_t(u32, cap->max_send_wr, 1));

	qp->sq = smlx_queue_create(uctx, slots, stride);
	if (IS_ERR(qp->sq)) {
		int ret = PTR_ERR(qp->sq);

		qp->sq = NULL;
		return ret;
	}
	/* User-sized: charged with the SQ ring, freed before it goes. */
	qp->req.shadow = smlx_queue_side_alloc(qp->sq, (size_t)slots * stride);
	qp->req.swqe = smlx_queue_side_alloc(qp->sq, (size_t)slots *
					     sizeof(*qp->req.swqe));
	if (!qp->req.shadow || !qp->req.swqe)
		return -ENOMEM;

	qp->max_send_sge = min_t(u32, (stride - SMLX_SEND_WQE_HDR) /
				      sizeof(struct smlx_sge), SMLX_MAX_SGE);
	qp->max_inline = min_t(u32, stride - SMLX_SEND_WQE_HDR,
			       SMLX_MAX_INLINE_DATA);
	cap->max_send_wr = slots;
	cap->max_send_sge = qp->max_send_sge;
	cap->max_inline_data = qp->max_inline;
	return 0;
}

static int smlx_qp_create_rq(struct smlx_qp *qp, struct ib_qp_init_attr *init,
			     struct ib_ucontext *uctx)
{
	struct ib_qp_cap *cap = &init->cap;
	u32 slots, stride;

	stride = roundup_pow_of_two(SMLX_RECV_WQE_HDR +
				    max_t(u32, cap->max_recv_sge, 1) *
				    sizeof(struct smlx_sge));
	slots = roundup_pow_of_two(max_t(u32, cap->max_recv_wr, 1));
	qp->rq = smlx_queue_create(uctx, slots, stride);
	if (IS_ERR(qp->rq)) {
		int ret = PTR_ERR(qp->rq);

		qp->rq = NULL;
		return ret;
	}
	qp->max_recv_sge = min_t(u32, (stride - SMLX_RECV_WQE_HDR) /
				      sizeof(struct smlx_sge), SMLX_MAX_SGE);
	cap->max_recv_wr = slots;
	cap->max_recv_sge = qp->max_recv_sge;
	return 0;
}

static void smlx_qp_free_resources(struct smlx_qp *qp)
{
	smlx_queue_destroy(qp->sq);
	smlx_queue_destroy(qp->rq);
	kvfree(qp->req.shadow);
	kvfree(qp->req.swqe);
	kfree(qp->resp.wqe);
	kfree(qp->resp.res);
}

int smlx_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init,
		   struct ib_udata *udata)
{
	struct smlx_dev *sdev = to_sdev(ibqp->device);
	struct smlx_engine_dev *eng = &sdev->eng;
	struct smlx_qp *qp = to_sqp(ibqp);
	struct smlx_create_qp_resp resp = {};
	struct ib_ucontext *uctx = NULL;
	u32 qpn;
	int ret;

	ret = smlx_qp_check_init(init, udata);
	if (ret)
		return ret;
	if (udata) {
		if (udata->inlen && !ib_is_udata_cleared(udata, 0, udata->inlen))
			return -EINVAL;
		if (udata->outlen < sizeof(resp))
			return -EINVAL;
		uctx = smlx_qp_ucontext(udata);
	}

	qp->sdev = sdev;
	refcount_set(&qp->users, 1);
	init_completion(&qp->drained);
	mutex_init(&qp->modify_mutex);
	spin_lock_init(&qp->state_lock);
	spin_lock_init(&qp->fault_lock);
	spin_lock_init(&qp->inbox_lock);
	spin_lock_init(&qp->post_lock);
	INIT_LIST_HEAD(&qp->inbox);
	INIT_WORK(&qp->work, smlx_qp_work);
	timer_setup(&qp->timer, smlx_qp_timer, 0);
	qp->state = IB_QPS_RESET;
	qp->is_user = !!udata;
	qp->sq_sig_all = init->sq_sig_type == IB_SIGNAL_ALL_WR;
	qp->srq = init->srq ? to_ssrq(init->srq) : NULL;
	qp->scq = init->send_cq ? to_scq(init->send_cq) : NULL;
	qp->rcq = init->recv_cq ? to_scq(init->recv_cq) : NULL;

	qp->resp.wqe = kzalloc(SMLX_RECV_WQE_MAX, GFP_KERNEL);
	qp->resp.nres = SMLX_MAX_RD_ATOMIC;
	qp->resp.res = kcalloc(qp->resp.nres, sizeof(*qp->resp.res),
			       GFP_KERNEL);
	if (!qp->resp.wqe || !qp->resp.res) {
		ret = -ENOMEM;
		goto err_free;
	}

	if (init->qp_type != IB_QPT_XRC_TGT) {
		ret = smlx_qp_create_sq(qp, init, uctx);
		if (ret)
			goto err_free;
	}
	if (!init->srq && init->qp_type != IB_QPT_XRC_INI &&
	    init->qp_type != IB_QPT_XRC_TGT) {
		ret = smlx_qp_create_rq(qp, init, uctx);
		if (ret)
			goto err_free;
	} else {
		init->cap.max_recv_wr = 0;
		init->cap.max_recv_sge = 0;
	}

	/* Reserved empty: the wire must not find a half-built QP. */
	if (init->qp_type == IB_QPT_GSI) {
		qpn = 1;
		ret = xa_insert(&eng->qp_xa, qpn, NULL, GFP_KERNEL);
	} else {
		ret = xa_alloc_cyclic(&eng->qp_xa, &qpn, NULL,
				      XA_LIMIT(2, SMLX_MAX_QP + 1),
				      &eng->qp_next, GFP_KERNEL);
		if (ret == -EBUSY)
			ret = -ENOMEM;
	}
	if (ret < 0)
		goto err_free;
	ibqp->qp_num = qpn;

	if (udata) {
		smlx_queue_info(qp->sq, &resp.sq);
		smlx_queue_info(qp->rq, &resp.rq);
		resp.qpn = qpn;
		resp.max_inline_data = qp->max_inline;
		ret = ib_copy_to_udata(udata, &resp, sizeof(resp));
		if (ret)
			goto err_xa;
	}
	xa_store(&eng->qp_xa, qpn, qp, GFP_KERNEL);
	return 0;

err_xa:
	xa_erase(&eng->qp_xa, qpn);
err_free:
	smlx_qp_free_resources(qp);
	return ret;
}

/* ------------------------------------------------------------- modify */

/*
 * Only the remote bits mean something for a QP.  ON_DEMAND is accepted
 * (and ignored) as mlx5 does: rdma-core's ODP tests hand a QP the access
 * flags of their ODP MR.
 */
#define SMLX_QP_ACCESS_FLAGS	(IB_ACCESS_LOCAL_WRITE | \
				 IB_ACCESS_REMOTE_WRITE | \
				 IB_ACCESS_REMOTE_READ | \
				 IB_ACCESS_REMOTE_ATOMIC | \
				 IB_ACCESS_ON_DEMAND)

/* Every value check, before anything is applied. */
static int smlx_qp_check_attr(struct smlx_qp *qp, struct ib_qp_attr *attr,
			      int mask, struct smlx_av *av)
{
	int ret;

	if (mask & (IB_QP_ALT_PATH | IB_QP_CAP))
		return -EINVAL;
	if ((mask & IB_QP_PORT) && attr->port_num != SMLX_PORT)
		return -EINVAL;
	if ((mask & IB_QP_PKEY_INDEX) &&
	    attr->pkey_index >= SMLX_PORT_PKEY_TBL_LEN)
		return -EINVAL;
	if ((mask & IB_QP_PATH_MTU) &&
	    (attr->path_mtu < IB_MTU_256 || attr->path_mtu > SMLX_PORT_MAX_MTU))
		return -EINVAL;
	if ((mask & IB_QP_TIMEOUT) && attr->timeout > 31)
		return -EINVAL;
	if ((mask & IB_QP_RETRY_CNT) && attr->retry_cnt > 7)
		return -EINVAL;
	if ((mask & IB_QP_RNR_RETRY) && attr->rnr_retry > 7)
		return -EINVAL;
	if ((mask & IB_QP_MIN_RNR_TIMER) && attr->min_rnr_timer > 31)
		return -EINVAL;
	if ((mask & IB_QP_MAX_QP_RD_ATOMIC) &&
	    attr->max_rd_atomic > SMLX_MAX_RD_ATOMIC)
		return -EINVAL;
	if ((mask & IB_QP_MAX_DEST_RD_ATOMIC) &&
	    attr->max_dest_rd_atomic > SMLX_MAX_RD_ATOMIC)
		return -EINVAL;
	if ((mask & IB_QP_DEST_QPN) && attr->dest_qp_num > SMLX_PSN_MASK)
		return -EINVAL;
	if ((mask & IB_QP_ACCESS_FLAGS) &&
	    (attr->qp_access_flags & ~SMLX_QP_ACCESS_FLAGS))
		return -EINVAL;
	if ((mask & IB_QP_PATH_MIG_STATE) &&
	    attr->path_mig_state != IB_MIG_MIGRATED)
		return -EINVAL;
	if (mask & IB_QP_AV) {
		ret = smlx_av_from_attr(qp->sdev, &attr->ah_attr, av);
		if (ret)
			return ret;
	}
	return 0;
}

/* Back to the state of a new QP; the caller holds the engine. */
static void smlx_qp_reset(struct smlx_qp *qp)
{
	smlx_qp_drop_inbox(qp);
	/*
	 * WQEs posted and not consumed are dropped: the consumer index jumps
	 * to the producer's, whose free-running count the provider keeps.
	 */
	if (qp->sq)
		smlx_queue_set_consumer(qp->sq, READ_ONCE(qp->sq->ring->producer));
	if (qp->rq)
		smlx_queue_set_consumer(qp->rq, READ_ONCE(qp->rq->ring->producer));
	smlx_req_reset(qp);
	smlx_resp_reset(qp);
	clear_bit(SMLX_QPF_TIMER_FIRED, &qp->flags);
	smlx_qp_forget_fault(qp);
}

/*
 * Writes the attributes of @mask; under state_lock, with the engine held
 * (it owns req.* and reads path.* as it runs).
 */
static void smlx_qp_apply_attr(struct smlx_qp *qp, struct ib_qp_attr *attr,
			       int mask, const struct smlx_av *av,
			       enum ib_qp_state cur, enum ib_qp_state next)
{
	if (mask & IB_QP_AV)
		qp->path.av = *av;
	if (mask & IB_QP_QKEY)
		qp->path.qkey = attr->qkey;
	if (mask & IB_QP_DEST_QPN)
		qp->path.dest_qpn = attr->dest_qp_num;
	if (mask & IB_QP_PATH_MTU)
		qp->path.mtu = attr->path_mtu;
	if (mask & IB_QP_TIMEOUT)
		qp->path.timeout = attr->timeout;
	if (mask & IB_QP_RETRY_CNT)
		qp->path.retry_cnt = attr->retry_cnt;
	if (mask & IB_QP_RNR_RETRY)
		qp->path.rnr_retry = attr->rnr_retry;
	if (mask & IB_QP_MIN_RNR_TIMER)
		qp->path.min_rnr_timer = attr->min_rnr_timer;
	if (mask & IB_QP_MAX_QP_RD_ATOMIC)
		qp->path.max_rd_atomic = attr->max_rd_atomic;
	if (mask & IB_QP_MAX_DEST_RD_ATOMIC)
		qp->path.max_dest_rd_atomic = attr->max_dest_rd_atomic;
	if (mask & IB_QP_ACCESS_FLAGS)
		qp->path.access = attr->qp_access_flags;
	if (mask & IB_QP_SQ_PSN)
		qp->path.sq_psn = attr->sq_psn & SMLX_PSN_MASK;
	if (mask & IB_QP_RQ_PSN) {
		qp->path.rq_psn = attr->rq_psn & SMLX_PSN_MASK;
		qp->resp.epsn = qp->path.rq_psn;
	}
	if (next == IB_QPS_RTS && cur == IB_QPS_RTR) {
		qp->req.psn = qp->path.sq_psn;
		qp->req.una = qp->path.sq_psn;
		qp->req.retry_left = qp->path.retry_cnt;
		qp->req.rnr_left = qp->path.rnr_retry;
	}
	if (mask & IB_QP_SQ_PSN && next == IB_QPS_RTS && cur != IB_QPS_RTR) {
		qp->req.psn = qp->path.sq_psn;
		qp->req.una = qp->path.sq_psn;
	}
	if (mask & IB_QP_RETRY_CNT)
		qp->req.retry_left = qp->path.retry_cnt;
	if (mask & IB_QP_RNR_RETRY)
		qp->req.rnr_left = qp->path.rnr_retry;
	WRITE_ONCE(qp->state, next);
}

/* smlx_modify_qp() under modify_mutex. */
static int smlx_qp_modify(struct smlx_qp *qp, struct ib_qp_attr *attr,
			  int mask)
{
	enum ib_qp_state now, cur, next;
	struct smlx_av av;
	int ret;

	now = smlx_qp_state(qp);
	cur = (mask & IB_QP_CUR_STATE) ? attr->cur_qp_state : now;
	next = (mask & IB_QP_STATE) ? attr->qp_state : cur;
	if (cur != now && !(cur == IB_QPS_RTS && now == IB_QPS_SQE))
		return -EINVAL;
	if (!ib_modify_qp_is_ok(cur, next, qp->ibqp.qp_type, mask))
		return -EINVAL;
	ret = smlx_qp_check_attr(qp, attr, mask, &av);
	if (ret)
		return ret;

	smlx_qp_engine_hold(qp);
	if (next == IB_QPS_RESET && cur != IB_QPS_RESET) {
		spin_lock_bh(&qp->state_lock);
		WRITE_ONCE(qp->state, IB_QPS_RESET);
		spin_unlock_bh(&qp->state_lock);
		/* The timer only asks for runs; none may find old state. */
		del_timer_sync(&qp->timer);
		smlx_qp_reset(qp);
	}

	spin_lock_bh(&qp->state_lock);
	/*
	 * The engine may have moved the QP to ERR since the checks: the
	 * transition was validated from a state it is no longer in, and
	 * applying it would revive an errored QP.  RESET was set above;
	 * ERR is where the QP is going anyway.
	 */
	if (next != IB_QPS_RESET && next != IB_QPS_ERR && qp->state != now) {
		spin_unlock_bh(&qp->state_lock);
		smlx_qp_engine_release(qp);
		return -EINVAL;
	}
	smlx_qp_apply_attr(qp, attr, mask, &av, cur, next);
	spin_unlock_bh(&qp->state_lock);
	smlx_qp_engine_release(qp);

	if (next == IB_QPS_ERR && cur != IB_QPS_ERR && qp->srq)
		smlx_qp_event(qp, IB_EVENT_QP_LAST_WQE_REACHED);
	if (next == IB_QPS_RTS || next == IB_QPS_ERR || next == IB_QPS_RTR)
		smlx_qp_schedule(qp);
	return 0;
}

int smlx_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		   struct ib_udata *udata)
{
	struct smlx_qp *qp = to_sqp(ibqp);
	int ret;

	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EINVAL;
	if (mask & ~IB_QP_ATTR_STANDARD_BITS)
		return -EOPNOTSUPP;

	mutex_lock(&qp->modify_mutex);
	ret = smlx_qp_modify(qp, attr, mask);
	mutex_unlock(&qp->modify_mutex);
	return ret;
}

int smlx_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		  struct ib_qp_init_attr *init)
{
	struct smlx_qp *qp = to_sqp(ibqp);
	struct smlx_av *av = &qp->path.av;

	memset(attr, 0, sizeof(*attr));
	memset(init, 0, sizeof(*init));

	spin_lock_bh(&qp->state_lock);
	attr->qp_state = qp->state;
	attr->cur_qp_state = qp->state;
	attr->path_mtu = qp->path.mtu;
	attr->path_mig_state = IB_MIG_MIGRATED;
	attr->qkey = qp->path.qkey;
	attr->rq_psn = qp->path.rq_psn;
	attr->sq_psn = qp->path.sq_psn;
	attr->dest_qp_num = qp->path.dest_qpn;
	attr->qp_access_flags = qp->path.access;
	attr->max_rd_atomic = qp->path.max_rd_atomic;
	attr->max_dest_rd_atomic = qp->path.max_dest_rd_atomic;
	attr->min_rnr_timer = qp->path.min_rnr_timer;
	attr->timeout = qp->path.timeout;
	attr->retry_cnt = qp->path.retry_cnt;
	attr->rnr_retry = qp->path.rnr_retry;
	attr->port_num = SMLX_PORT;
	attr->ah_attr.type = RDMA_AH_ATTR_TYPE_ROCE;
	rdma_ah_set_port_num(&attr->ah_attr, SMLX_PORT);
	rdma_ah_set_sl(&attr->ah_attr, av->sl);
	rdma_ah_set_grh(&attr->ah_attr, &av->dgid, av->flow_label,
			av->sgid_index, av->hop_limit, av->traffic_class);
	spin_unlock_bh(&qp->state_lock);

	if (qp->sq) {
		attr->cap.max_send_wr = qp->sq->num_slots;
		attr->cap.max_send_sge = qp->max_send_sge;
		attr->cap.max_inline_data = qp->max_inline;
	}
	if (qp->rq) {
		attr->cap.max_recv_wr = qp->rq->num_slots;
		attr->cap.max_recv_sge = qp->max_recv_sge;
	}
	init->qp_type = ibqp->qp_type;
	init->send_cq = ibqp->send_cq;
	init->recv_cq = ibqp->recv_cq;
	init->srq = ibqp->srq;
	init->cap = attr->cap;
	init->sq_sig_type = qp->sq_sig_all ? IB_SIGNAL_ALL_WR :
					     IB_SIGNAL_REQ_WR;
	return 0;
}

/* ------------------------------------------------------------ destroy */

int smlx_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata)
{
	struct smlx_qp *qp = to_sqp(ibqp);

	spin_lock_bh(&qp->inbox_lock);
	WRITE_ONCE(qp->dying, true);
	spin_unlock_bh(&qp->inbox_lock);

	/* No new sender finds us; wait for those that already did. */
	xa_erase(&qp->sdev->eng.qp_xa, ibqp->qp_num);
	smlx_qp_put(qp);
	wait_for_completion(&qp->drained);

	del_timer_sync(&qp->timer);
	cancel_work_sync(&qp->work);
	smlx_qp_run_wait(qp);
	del_timer_sync(&qp->timer);

	smlx_qp_drop_inbox(qp);
	smlx_resp_reset(qp);
	smlx_qp_free_resources(qp);
	mutex_destroy(&qp->modify_mutex);
	return 0;
}

/* ------------------------------------------------------------- doorbells */

/*
 * User QPs: the provider's doorbell (wr_count 0) after it published WQEs.
 * Kernel QPs: the work requests themselves (smlx_kverbs.c).
 */
int smlx_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		   const struct ib_send_wr **bad_wr)
{
	struct smlx_qp *qp = to_sqp(ibqp);

	if (!qp->is_user && qp->sq)
		return smlx_kernel_post_send(qp, wr, bad_wr);
	if (wr || !qp->is_user || !qp->sq) {
		*bad_wr = wr;
		return -EOPNOTSUPP;
	}
	/*
	 * Run the requester in the caller's context, and the receivers of its
	 * packets too, unless the engine is busy elsewhere: no worker
	 * wake-up stands between a post and its delivery.  A receiver that
	 * acknowledged at once left the ACK in our inbox (or asked for a
	 * run): one more pass here completes the WQE before the syscall
	 * returns, instead of the work item it queued.
	 */
	if (!READ_ONCE(qp->dying) && smlx_qp_run_begin(qp)) {
		qp->inline_tx = true;
		smlx_qp_run(qp);
		if (test_and_clear_bit(SMLX_QPF_RERUN, &qp->flags) ||
		    READ_ONCE(qp->inbox_len))
			smlx_qp_run(qp);
		qp->inline_tx = false;
		smlx_qp_run_end(qp);
	}
	return 0;
}

/* User QPs: only used to get receives posted to an errored QP flushed. */
int smlx_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		   const struct ib_recv_wr **bad_wr)
{
	struct smlx_qp *qp = to_sqp(ibqp);

	if (!qp->is_user)
		return smlx_kernel_post_recv(qp, wr, bad_wr);
	if (wr) {
		*bad_wr = wr;
		return -EOPNOTSUPP;
	}
	smlx_qp_schedule(qp);
	return 0;
}

/* --------------------------------------------------------------- device */

int smlx_engine_dev_init(struct smlx_dev *sdev)
{
	struct smlx_engine_dev *eng = &sdev->eng;

	xa_init_flags(&eng->qp_xa, XA_FLAGS_ALLOC);
	xa_init_flags(&eng->srq_xa, XA_FLAGS_ALLOC1);
	xa_init_flags(&eng->cq_xa, XA_FLAGS_ALLOC1);
	xa_init_flags(&eng->ah_xa, XA_FLAGS_ALLOC1);
	eng->wq = alloc_workqueue("smlx_%s", WQ_UNBOUND | WQ_MEM_RECLAIM, 0,
				  sdev->ndev->name);
	if (!eng->wq)
		return -ENOMEM;
	smlx_wire_port_add(&eng->port, sdev);
	return 0;
}

/* Every object is gone: ib_core destroyed them before dealloc_driver. */
void smlx_engine_dev_fini(struct smlx_dev *sdev)
{
	struct smlx_engine_dev *eng = &sdev->eng;

	if (!eng->wq)
		return;
	smlx_wire_port_del(&eng->port);
	destroy_workqueue(eng->wq);
	eng->wq = NULL;
	xa_destroy(&eng->qp_xa);
	xa_destroy(&eng->srq_xa);
	xa_destroy(&eng->cq_xa);
	xa_destroy(&eng->ah_xa);
}

/* The device is dead: every QP goes to error with a fatal event. */
void smlx_engine_dev_fatal(struct smlx_dev *sdev)
{
	unsigned long qpn;
	struct smlx_qp *qp;
	void *entry;

	/* Only the indices are used from the walk; smlx_qp_get() checks. */
	xa_for_each(&sdev->eng.qp_xa, qpn, entry) {
		qp = smlx_qp_get(sdev, qpn);
		if (!qp)
			continue;
		smlx_qp_fatal(qp);
		smlx_qp_put(qp);
	}
}
