// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Completer: acknowledgements, READ responses and atomic responses coming
 * back to a requester; retirement of finished send WQEs into the send CQ in
 * WQE order; and the flush of everything outstanding once a QP is in the
 * error state.
 */
#include "smlx.h"

static inline struct smlx_send_wqe *smlx_comp_wqe(struct smlx_qp *qp, u32 idx)
{
	return qp->req.shadow + (size_t)(idx & qp->sq->mask) * qp->sq->stride;
}

static inline struct smlx_swqe *smlx_comp_swqe(struct smlx_qp *qp, u32 idx)
{
	return &qp->req.swqe[idx & qp->sq->mask];
}

static u8 smlx_send_wc_opcode(u8 opcode)
{
	switch (opcode) {
	case SMLX_WQE_RDMA_WRITE:
	case SMLX_WQE_RDMA_WRITE_WITH_IMM:
		return IB_WC_RDMA_WRITE;
	case SMLX_WQE_RDMA_READ:
		return IB_WC_RDMA_READ;
	case SMLX_WQE_ATOMIC_CMP_AND_SWP:
		return IB_WC_COMP_SWAP;
	case SMLX_WQE_ATOMIC_FETCH_AND_ADD:
		return IB_WC_FETCH_ADD;
	default:
		return IB_WC_SEND;
	}
}

/* Records progress: PSNs before @psn are acknowledged. */
static void smlx_comp_advance_una(struct smlx_qp *qp, u32 psn)
{
	if (smlx_psn_diff(psn, qp->req.una) > 0) {
		qp->req.una = psn;
		qp->req.retry_left = qp->path.retry_cnt;
		qp->req.rnr_left = qp->path.rnr_retry;
		smlx_req_progress_timer(qp);
	}
}

/*
 * Every SEND and WRITE whose last PSN is at or before @psn is done; stops
 * at a READ or atomic, which only their responses complete.
 */
static void smlx_comp_ack_upto(struct smlx_qp *qp, u32 psn)
{
	u32 una = smlx_psn_add(psn, 1);
	u32 idx;

	for (idx = qp->sq->kidx; idx != qp->req.fetch; idx++) {
		struct smlx_swqe *s = smlx_comp_swqe(qp, idx);
		u8 opcode = smlx_comp_wqe(qp, idx)->opcode;
		u32 last;

		if (s->state == SMLX_SWQE_DONE)
			continue;
		if (s->state == SMLX_SWQE_FETCHED)
			break;
		if (opcode == SMLX_WQE_RDMA_READ ||
		    opcode == SMLX_WQE_ATOMIC_CMP_AND_SWP ||
		    opcode == SMLX_WQE_ATOMIC_FETCH_AND_ADD) {
			/* Missing responses stay unacknowledged: resent. */
			if (smlx_psn_diff(una, s->next_resp_psn) > 0)
				una = s->next_resp_psn;
			break;
		}
		if (s->state != SMLX_SWQE_SENT)
			break;
		last = smlx_psn_add(s->first_psn, s->npsn - 1);
		if (smlx_psn_diff(last, psn) > 0)
			break;
		s->state = SMLX_SWQE_DONE;
		s->status = IB_WC_SUCCESS;
	}
	smlx_comp_advance_una(qp, una);
}

static void smlx_comp_rd_done(struct smlx_qp *qp, struct smlx_swqe *s,
			      u8 status)
{
	s->state = SMLX_SWQE_DONE;
	s->status = status;
	if (qp->req.rd_out)
		qp->req.rd_out--;
}

static int smlx_comp_fault(struct smlx_qp *qp, struct smlx_swqe *s, int ret,
			   const struct smlx_fault *fault)
{
	if (ret == -EAGAIN) {
		if (!smlx_qp_stall(qp, fault, false))
			return -EAGAIN;
		ret = -EACCES;
	}
	smlx_comp_rd_done(qp, s, ret == -EINVAL ? IB_WC_LOC_LEN_ERR :
						  IB_WC_LOC_PROT_ERR);
	qp->req.blocked = true;
	return 0;
}

static int smlx_comp_read_resp(struct smlx_qp *qp, struct smlx_pkt *pkt)
{
	struct smlx_send_wqe *w;
	struct smlx_fault fault;
	struct smlx_swqe *s;
	u32 idx;
	u64 off;
	int ret;

	/* The response acknowledges everything sent before the READ. */
	smlx_comp_ack_upto(qp, smlx_psn_add(pkt->psn, -1));
	s = smlx_req_oldest(qp, &idx);
	if (!s)
		return 0;
	w = smlx_comp_wqe(qp, idx);
	if (w->opcode != SMLX_WQE_RDMA_READ || pkt->psn != s->next_resp_psn)
		return 0;	/* duplicate or out of order: the timer recovers */

	off = (u64)smlx_psn_diff(pkt->psn, s->first_psn) * SMLX_WIRE_SEG;
	if (off + pkt->len > s->length) {
		smlx_comp_rd_done(qp, s, IB_WC_BAD_RESP_ERR);
		qp->req.blocked = true;
		return 0;
	}
	ret = smlx_sgl_copy(qp->sdev, qp->ibqp.pd,
			    (struct smlx_sge *)(w + 1), w->num_sge, off,
			    pkt->data, pkt->len, SMLX_TO_MR, &fault);
	if (ret)
		return smlx_comp_fault(qp, s, ret, &fault);

	s->next_resp_psn = smlx_psn_add(pkt->psn, 1);
	smlx_comp_advance_una(qp, s->next_resp_psn);
	/*
	 * The last response completes the READ whatever the requester is
	 * doing with it: after a go-back it may be resending a READ whose
	 * original responses were still on their way (a responder stalled
	 * on a fault past the timeout).  Waiting for the resend would wait
	 * forever: its responses are duplicates of what was just placed,
	 * and with every PSN acknowledged no timer would run to recover.
	 */
	if (s->next_resp_psn == smlx_psn_add(s->first_psn, s->npsn)) {
		smlx_req_resend_done(qp, idx, s->next_resp_psn);
		smlx_comp_rd_done(qp, s, IB_WC_SUCCESS);
	}
	return 0;
}

static int smlx_comp_atomic_resp(struct smlx_qp *qp, struct smlx_pkt *pkt)
{
	struct smlx_send_wqe *w;
	struct smlx_fault fault;
	struct smlx_swqe *s;
	u64 orig = pkt->compare;
	u32 idx;
	int ret;

	smlx_comp_ack_upto(qp, smlx_psn_add(pkt->psn, -1));
	s = smlx_req_oldest(qp, &idx);
	if (!s)
		return 0;
	w = smlx_comp_wqe(qp, idx);
	if ((w->opcode != SMLX_WQE_ATOMIC_CMP_AND_SWP &&
	     w->opcode != SMLX_WQE_ATOMIC_FETCH_AND_ADD) ||
	    pkt->psn != s->first_psn || s->state != SMLX_SWQE_SENT)
		return 0;

	ret = smlx_sgl_copy(qp->sdev, qp->ibqp.pd,
			    (struct smlx_sge *)(w + 1), w->num_sge, 0,
			    &orig, sizeof(orig), SMLX_TO_MR, &fault);
	if (ret)
		return smlx_comp_fault(qp, s, ret, &fault);
	smlx_comp_advance_una(qp, smlx_psn_add(pkt->psn, 1));
	smlx_comp_rd_done(qp, s, IB_WC_SUCCESS);
	return 0;
}

static void smlx_comp_nak(struct smlx_qp *qp, struct smlx_pkt *pkt)
{
	smlx_comp_ack_upto(qp, smlx_psn_add(pkt->psn, -1));

	switch (pkt->ack) {
	case SMLX_NAK_RNR:
		smlx_req_rnr(qp, pkt->psn, pkt->rnr_timer);
		break;
	case SMLX_NAK_SEQ:
		/* Once per PSN: a burst of NAKs for one loss is one loss. */
		if (qp->req.seq_nak_seen && qp->req.last_seq_nak == pkt->psn)
			break;
		qp->req.seq_nak_seen = true;
		qp->req.last_seq_nak = pkt->psn;
		smlx_req_go_back(qp, pkt->psn);
		break;
	case SMLX_NAK_INV_REQ:
		smlx_req_fail_oldest(qp, IB_WC_REM_INV_REQ_ERR);
		break;
	case SMLX_NAK_REM_ACCESS:
		smlx_req_fail_oldest(qp, IB_WC_REM_ACCESS_ERR);
		break;
	default:
		smlx_req_fail_oldest(qp, IB_WC_REM_OP_ERR);
		break;
	}
}

/**
 * smlx_comp_packet - a reply to one of @qp's requests
 * @qp: the requester
 * @pkt: ACK, NAK, READ or atomic response
 *
 * Returns 0, or -EAGAIN when the QP stalled on an ODP fault while placing
 * response data (the packet is then kept and handled again).
 */
int smlx_comp_packet(struct smlx_qp *qp, struct smlx_pkt *pkt)
{
	if (!qp->sq || (qp->ibqp.qp_type != IB_QPT_RC &&
			qp->ibqp.qp_type != IB_QPT_XRC_INI))
		return 0;
	if (!smlx_qp_from_peer(qp, pkt) || qp->req.blocked)
		return 0;

	switch (pkt->op) {
	case SMLX_OP_ACK:
		if (pkt->ack == SMLX_ACK_OK) {
			qp->req.seq_nak_seen = false;
			smlx_comp_ack_upto(qp, pkt->psn);
		} else {
			smlx_comp_nak(qp, pkt);
		}
		return 0;
	case SMLX_OP_READ_RESP:
		return smlx_comp_read_resp(qp, pkt);
	case SMLX_OP_ATOMIC_RESP:
		return smlx_comp_atomic_resp(qp, pkt);
	default:
		return 0;
	}
}

static int smlx_comp_post_send_cqe(struct smlx_qp *qp, u32 idx, u8 status)
{
	struct smlx_send_wqe *w = smlx_comp_wqe(qp, idx);
	struct smlx_swqe *s = smlx_comp_swqe(qp, idx);
	struct smlx_cqe cqe = {
		.wr_id = w->wr_id,
		.status = status,
		.opcode = smlx_send_wc_opcode(w->opcode),
		.byte_len = s->length,
		.qp_num = qp->ibqp.qp_num,
	};

	return smlx_cq_post(qp->scq, &cqe, false);
}

/**
 * smlx_comp_retire - report finished send WQEs, oldest first
 * @qp: QP with a send queue
 *
 * Signalled WQEs (and every failed one) produce a CQE; the SQ's consumer
 * index then moves past them so the provider can reuse the slots.  A
 * failed WQE moves the QP to the error state.  Returns false: it never
 * leaves work behind.
 */
bool smlx_comp_retire(struct smlx_qp *qp)
{
	struct smlx_queue *sq = qp->sq;
	u32 idx = sq->kidx;
	bool error = false;

	while (idx != qp->req.fetch) {
		struct smlx_send_wqe *w = smlx_comp_wqe(qp, idx);
		struct smlx_swqe *s = smlx_comp_swqe(qp, idx);

		if (s->state != SMLX_SWQE_DONE)
			break;
		/* The slot is free before its CQE says so (docs/queues.md). */
		smlx_queue_set_consumer(sq, idx + 1);
		if (s->status != IB_WC_SUCCESS || qp->sq_sig_all ||
		    (w->flags & SMLX_WQE_SIGNALED)) {
			if (smlx_comp_post_send_cqe(qp, idx, s->status)) {
				error = true;
				break;
			}
		}
		idx++;
		if (s->status != IB_WC_SUCCESS) {
			error = true;
			break;
		}
	}
	if (error)
		smlx_qp_set_error(qp);
	return false;
}

static int smlx_comp_post_recv_flush(struct smlx_qp *qp, struct smlx_cq *cq,
				     u64 wr_id)
{
	struct smlx_cqe cqe = {
		.wr_id = wr_id,
		.status = IB_WC_WR_FLUSH_ERR,
		.opcode = IB_WC_RECV,
		.qp_num = qp->ibqp.qp_num,
	};

	return smlx_cq_post(cq, &cqe, false);
}

/**
 * smlx_comp_flush - complete everything outstanding with WR_FLUSH_ERR
 * @qp: QP in the error state
 *
 * Runs in the QP's worker while the QP is in the error state, and again
 * whenever the process posts more: flushes never wait for a doorbell the
 * error state will not honour.
 */
void smlx_comp_flush(struct smlx_qp *qp)
{
	struct smlx_queue *q;
	int avail;

	del_timer(&qp->timer);
	qp->req.timer_armed = false;

	q = qp->sq;
	if (q) {
		/* WQEs already done still report their own status first. */
		smlx_comp_retire(qp);
		while (q->kidx != qp->req.fetch) {
			struct smlx_swqe *s = smlx_comp_swqe(qp, q->kidx);
			u32 idx = q->kidx;

			smlx_queue_set_consumer(q, idx + 1);
			smlx_comp_post_send_cqe(qp, idx,
						s->state == SMLX_SWQE_DONE &&
						s->status != IB_WC_SUCCESS ?
						s->status : IB_WC_WR_FLUSH_ERR);
		}
		avail = smlx_queue_avail(q, q->kidx);
		while (avail-- > 0) {
			struct smlx_send_wqe *w = smlx_comp_wqe(qp, q->kidx);
			u32 idx = q->kidx;

			memcpy(w, smlx_queue_slot(q, idx), sizeof(*w));
			smlx_comp_swqe(qp, idx)->length = 0;
			smlx_queue_set_consumer(q, idx + 1);
			smlx_comp_post_send_cqe(qp, idx, IB_WC_WR_FLUSH_ERR);
		}
		qp->req.fetch = q->kidx;
		qp->req.send = q->kidx;
	}

	/* A receive claimed for an unfinished message. */
	if (qp->resp.have_wqe) {
		struct smlx_cq *cq = smlx_resp_wqe_cq(qp);

		if (cq)
			smlx_comp_post_recv_flush(qp, cq,
				((struct smlx_recv_wqe *)qp->resp.wqe)->wr_id);
		smlx_resp_release_wqe(qp);
	}

	q = qp->rq;
	if (q) {
		avail = smlx_queue_avail(q, q->kidx);
		while (avail-- > 0) {
			struct smlx_recv_wqe *r = smlx_queue_slot(q, q->kidx);
			u64 wr_id = READ_ONCE(r->wr_id);

			smlx_queue_set_consumer(q, q->kidx + 1);
			smlx_comp_post_recv_flush(qp, qp->rcq, wr_id);
		}
	}
}
