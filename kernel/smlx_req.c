// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Requester: takes send WQEs out of the SQ ring, validates its own copy of
 * each, and turns them into packets.  RC and XRC keep a window of PSNs in
 * flight, go back to the oldest unacknowledged PSN on NAK or timeout and
 * give up after retry_cnt (RETRY_EXC_ERR) or rnr_retry (RNR_RETRY_EXC_ERR)
 * attempts; UC and UD complete a WQE as soon as it is sent.
 */
#include <linux/jiffies.h>
#include <linux/slab.h>

#include "smlx.h"

#define SMLX_REQ_WINDOW		128	/* RC PSNs in flight */
#define SMLX_READ_CHUNK		(16 * SMLX_WIRE_SEG)	/* per READ request */
#define SMLX_MIN_TIMEOUT_MS	20	/* floor of the transport timer */

/* The IB spec's RNR NAK timer encodings, in microseconds. */
static const u32 smlx_rnr_usecs[32] = {
	655360, 10, 20, 30, 40, 60, 80, 120, 160, 240, 320, 480, 640, 960,
	1280, 1920, 2560, 3840, 5120, 7680, 10240, 15360, 20480, 30720,
	40960, 61440, 81920, 122880, 163840, 245760, 327680, 491520,
};

static inline struct smlx_send_wqe *smlx_req_wqe(struct smlx_qp *qp, u32 idx)
{
	return qp->req.shadow + (size_t)(idx & qp->sq->mask) * qp->sq->stride;
}

static inline struct smlx_swqe *smlx_req_swqe(struct smlx_qp *qp, u32 idx)
{
	return &qp->req.swqe[idx & qp->sq->mask];
}

static inline struct smlx_sge *smlx_wqe_sges(struct smlx_send_wqe *w)
{
	return (struct smlx_sge *)(w + 1);
}

static bool smlx_rc_like(struct smlx_qp *qp)
{
	return qp->ibqp.qp_type == IB_QPT_RC ||
	       qp->ibqp.qp_type == IB_QPT_XRC_INI;
}

static bool smlx_op_is_rd(u8 opcode)
{
	return opcode == SMLX_WQE_RDMA_READ ||
	       opcode == SMLX_WQE_ATOMIC_CMP_AND_SWP ||
	       opcode == SMLX_WQE_ATOMIC_FETCH_AND_ADD;
}

static u32 smlx_npkts(u64 len)
{
	return len ? DIV_ROUND_UP_ULL(len, SMLX_WIRE_SEG) : 1;
}

static unsigned long smlx_req_timeout(struct smlx_qp *qp)
{
	/* 4.096 us * 2^timeout */
	u64 usecs = (4096ULL << qp->path.timeout) / 1000;

	return max(usecs_to_jiffies(usecs),
		   msecs_to_jiffies(SMLX_MIN_TIMEOUT_MS));
}

static void smlx_req_arm(struct smlx_qp *qp, unsigned long delay)
{
	qp->req.timer_armed = true;
	qp->req.stalled = false;
	mod_timer(&qp->timer, jiffies + delay);
}

/* (Re)starts the transport timer while PSNs are unacknowledged. */
void smlx_req_progress_timer(struct smlx_qp *qp)
{
	if (!smlx_rc_like(qp) || qp->req.rnr_wait)
		return;
	if (qp->req.psn != qp->req.una && qp->path.timeout) {
		smlx_req_arm(qp, smlx_req_timeout(qp));
	} else if (qp->req.timer_armed) {
		qp->req.timer_armed = false;
		del_timer(&qp->timer);
	}
}

static u8 smlx_req_check(struct smlx_qp *qp, struct smlx_send_wqe *w,
			 struct smlx_swqe *s)
{
	enum ib_qp_type type = smlx_qp_wire_type(qp);
	struct smlx_sge *sge = smlx_wqe_sges(w);
	u64 len = 0;
	u32 i;

	switch (w->opcode) {
	case SMLX_WQE_SEND:
	case SMLX_WQE_SEND_WITH_IMM:
		break;
	case SMLX_WQE_RDMA_WRITE:
	case SMLX_WQE_RDMA_WRITE_WITH_IMM:
		if (type == IB_QPT_UD)
			return IB_WC_LOC_QP_OP_ERR;
		break;
	case SMLX_WQE_RDMA_READ:
	case SMLX_WQE_ATOMIC_CMP_AND_SWP:
	case SMLX_WQE_ATOMIC_FETCH_AND_ADD:
		if (type != IB_QPT_RC && type != IB_QPT_XRC_INI)
			return IB_WC_LOC_QP_OP_ERR;
		if (w->flags & SMLX_WQE_INLINE)
			return IB_WC_LOC_QP_OP_ERR;
		break;
	default:
		/* SEND_WITH_INV, LOCAL_INV, BIND_MW: no MWs or FRMRs. */
		return IB_WC_LOC_QP_OP_ERR;
	}

	if (w->flags & SMLX_WQE_INLINE) {
		if (w->inline_len > qp->max_inline)
			return IB_WC_LOC_LEN_ERR;
		len = w->inline_len;
	} else {
		if (w->num_sge > qp->max_send_sge)
			return IB_WC_LOC_QP_OP_ERR;
		for (i = 0; i < w->num_sge; i++)
			len += sge[i].length;
	}
	if (len > SMLX_PORT_MAX_MSG_SZ)
		return IB_WC_LOC_LEN_ERR;
	if (type == IB_QPT_UD && len > ib_mtu_enum_to_int(IB_MTU_4096))
		return IB_WC_LOC_LEN_ERR;
	if ((w->opcode == SMLX_WQE_ATOMIC_CMP_AND_SWP ||
	     w->opcode == SMLX_WQE_ATOMIC_FETCH_AND_ADD) && len != 8)
		return IB_WC_LOC_LEN_ERR;
	s->length = len;
	return IB_WC_SUCCESS;
}

/* Copies the next WQE out of the ring.  0, -ENOENT (none) or -EPROTO. */
static int smlx_req_fetch(struct smlx_qp *qp)
{
	struct smlx_queue *sq = qp->sq;
	struct smlx_send_wqe *w;
	struct smlx_swqe *s;
	int avail;

	avail = smlx_queue_avail(sq, qp->req.fetch);
	if (avail < 0) {
		smlx_queue_set_error(sq);
		smlx_qp_event(qp, IB_EVENT_QP_FATAL);
		smlx_qp_set_error(qp);
		return -EPROTO;
	}
	if (!avail)
		return -ENOENT;

	w = smlx_req_wqe(qp, qp->req.fetch);
	memcpy(w, smlx_queue_slot(sq, qp->req.fetch), sq->stride);
	s = smlx_req_swqe(qp, qp->req.fetch);
	memset(s, 0, sizeof(*s));
	s->status = smlx_req_check(qp, w, s);
	s->state = s->status == IB_WC_SUCCESS ? SMLX_SWQE_FETCHED :
						SMLX_SWQE_DONE;
	qp->req.fetch++;
	return 0;
}

static void smlx_req_done(struct smlx_qp *qp, struct smlx_swqe *s, u8 status)
{
	s->state = SMLX_SWQE_DONE;
	s->status = status;
}

static u8 smlx_copy_err_status(int ret)
{
	return ret == -EINVAL ? IB_WC_LOC_LEN_ERR : IB_WC_LOC_PROT_ERR;
}

/* Gathers @n bytes at @offset of the WQE's payload into @pkt. */
static int smlx_req_gather(struct smlx_qp *qp, struct smlx_send_wqe *w,
			   u64 offset, struct smlx_pkt *pkt,
			   struct smlx_fault *fault)
{
	if (w->flags & SMLX_WQE_INLINE) {
		memcpy(pkt->data, (u8 *)(w + 1) + offset, pkt->len);
		return 0;
	}
	return smlx_sgl_copy(qp->sdev, qp->ibqp.pd, smlx_wqe_sges(w),
			     w->num_sge, offset, pkt->data, pkt->len,
			     SMLX_FROM_MR, fault);
}

/*
 * Builds and sends the next packet of the WQE at req.send.  Returns 0,
 * -EAGAIN when the QP stalled on an ODP fault, or -ENOMEM (try later).
 * Local errors complete the WQE with an error status (returns 0).
 */
static int smlx_req_send_one(struct smlx_qp *qp, struct smlx_send_wqe *w,
			     struct smlx_swqe *s)
{
	enum ib_qp_type type = smlx_qp_wire_type(qp);
	struct smlx_fault fault;
	struct smlx_pkt *pkt;
	u64 off = s->sent;
	u32 n = 0, npsn = 1;
	struct smlx_av av;
	int ret;

	if (s->state == SMLX_SWQE_FETCHED) {
		s->first_psn = qp->req.psn;
		s->next_resp_psn = qp->req.psn;
		if (w->opcode == SMLX_WQE_ATOMIC_CMP_AND_SWP ||
		    w->opcode == SMLX_WQE_ATOMIC_FETCH_AND_ADD)
			s->npsn = 1;
		else
			s->npsn = smlx_npkts(s->length);
	}

	switch (w->opcode) {
	case SMLX_WQE_SEND:
	case SMLX_WQE_SEND_WITH_IMM:
	case SMLX_WQE_RDMA_WRITE:
	case SMLX_WQE_RDMA_WRITE_WITH_IMM:
		n = min_t(u64, s->length - off,
			  type == IB_QPT_UD ? s->length : SMLX_WIRE_SEG);
		pkt = smlx_qp_new_pkt(qp, w->opcode <= SMLX_WQE_RDMA_WRITE_WITH_IMM
					  ? SMLX_OP_WRITE : SMLX_OP_SEND,
				      n, GFP_KERNEL);
		if (!pkt)
			return -ENOMEM;
		ret = smlx_req_gather(qp, w, off, pkt, &fault);
		if (ret) {
			smlx_pkt_free(pkt);
			if (ret == -EAGAIN) {
				ret = smlx_qp_stall(qp, &fault, false);
				if (!ret)
					return -EAGAIN;
				ret = -EACCES;
			}
			smlx_req_done(qp, s, smlx_copy_err_status(ret));
			return 0;
		}
		if (!off)
			pkt->flags |= SMLX_PKT_FIRST;
		if (off + n == s->length) {
			pkt->flags |= SMLX_PKT_LAST;
			if (w->opcode == SMLX_WQE_SEND_WITH_IMM ||
			    w->opcode == SMLX_WQE_RDMA_WRITE_WITH_IMM) {
				pkt->flags |= SMLX_PKT_IMM;
				pkt->imm = w->imm_data;
			}
			if (w->flags & SMLX_WQE_SOLICITED)
				pkt->flags |= SMLX_PKT_SOLICITED;
		}
		if (pkt->op == SMLX_OP_WRITE) {
			pkt->va = w->u.rdma.remote_addr + off;
			pkt->rkey = w->u.rdma.rkey;
			pkt->dma_len = s->length;
		}
		break;
	case SMLX_WQE_RDMA_READ:
		n = min_t(u64, s->length - off, SMLX_READ_CHUNK);
		npsn = smlx_npkts(n);
		pkt = smlx_qp_new_pkt(qp, SMLX_OP_READ_REQ, 0, GFP_KERNEL);
		if (!pkt)
			return -ENOMEM;
		pkt->va = w->u.rdma.remote_addr + off;
		pkt->rkey = w->u.rdma.rkey;
		pkt->dma_len = n;
		break;
	default:	/* atomics */
		n = 8;
		pkt = smlx_qp_new_pkt(qp, SMLX_OP_ATOMIC, 0, GFP_KERNEL);
		if (!pkt)
			return -ENOMEM;
		pkt->va = w->u.atomic.remote_addr;
		pkt->rkey = w->u.atomic.rkey;
		pkt->compare = w->u.atomic.compare_add;
		pkt->swap_add = w->opcode == SMLX_WQE_ATOMIC_CMP_AND_SWP ?
				w->u.atomic.swap : w->u.atomic.compare_add;
		if (w->opcode == SMLX_WQE_ATOMIC_CMP_AND_SWP)
			pkt->flags |= SMLX_PKT_CMP_SWP;
		break;
	}

	if (type == IB_QPT_UD) {
		if (smlx_ah_lookup(qp->sdev, w->u.ud.ah_num, qp->ibqp.pd,
				   &av)) {
			smlx_pkt_free(pkt);
			smlx_req_done(qp, s, IB_WC_LOC_QP_OP_ERR);
			return 0;
		}
		pkt->dst_port = av.port_id;
		pkt->dst_qpn = w->u.ud.remote_qpn;
		pkt->qkey = (w->u.ud.remote_qkey & 0x80000000) ?
			    qp->path.qkey : w->u.ud.remote_qkey;
		pkt->sgid = av.sgid;
		pkt->dgid = av.dgid;
		pkt->net_type = av.net_type;
		pkt->hop_limit = av.hop_limit;
		pkt->traffic_class = av.traffic_class;
		pkt->flow_label = av.flow_label;
	}
	if (type == IB_QPT_XRC_INI)
		pkt->srqn = w->xrc_remote_srqn;

	if (s->state == SMLX_SWQE_FETCHED) {
		s->state = SMLX_SWQE_SENDING;
		if (smlx_op_is_rd(w->opcode))
			qp->req.rd_out++;
	}
	pkt->psn = qp->req.psn;
	qp->req.psn = smlx_psn_add(qp->req.psn, npsn);
	s->sent = off + n;
	smlx_qp_send_pkt(qp, pkt);
	/*
	 * From the first packet in flight, not the last of its WQE: a message
	 * longer than the window has no last packet out until ACKs come,
	 * and a peer that never answers would leave the QP waiting forever.
	 */
	if (smlx_rc_like(qp) && !qp->req.timer_armed)
		smlx_req_progress_timer(qp);

	if (s->sent >= s->length) {
		if (smlx_rc_like(qp))
			s->state = SMLX_SWQE_SENT;
		else
			smlx_req_done(qp, s, IB_WC_SUCCESS);
		qp->req.send++;
	}
	return 0;
}

/**
 * smlx_req_run - send what the SQ holds, within the window
 * @qp: QP in RTS (or SQD: only WQEs already started go on)
 * @budget: packets to send at most
 *
 * Returns true when it stopped for the budget and should run again.
 */
bool smlx_req_run(struct smlx_qp *qp, unsigned int budget)
{
	bool sqd = READ_ONCE(qp->state) == IB_QPS_SQD;
	struct smlx_send_wqe *w;
	struct smlx_swqe *s;
	u32 max_rd;
	int ret;

	if (qp->req.blocked || qp->req.rnr_wait)
		return false;
	max_rd = max_t(u32, qp->path.max_rd_atomic, 1);

	while (budget) {
		if (qp->req.send == qp->req.fetch) {
			if (sqd)
				break;
			ret = smlx_req_fetch(qp);
			if (ret)
				break;
		}
		w = smlx_req_wqe(qp, qp->req.send);
		s = smlx_req_swqe(qp, qp->req.send);

		if (s->state == SMLX_SWQE_DONE) {
			/* Invalid WQE: the SQ stops here, retire reports it. */
			qp->req.send++;
			qp->req.blocked = true;
			break;
		}
		if (sqd && s->state == SMLX_SWQE_FETCHED)
			break;
		if (smlx_rc_like(qp)) {
			if (smlx_psn_diff(qp->req.psn, qp->req.una) >=
			    SMLX_REQ_WINDOW)
				break;
			if (s->state == SMLX_SWQE_FETCHED &&
			    smlx_op_is_rd(w->opcode) && qp->req.rd_out >= max_rd)
				break;
			if (s->state == SMLX_SWQE_FETCHED &&
			    (w->flags & SMLX_WQE_FENCE) && qp->req.rd_out)
				break;
		}
		ret = smlx_req_send_one(qp, w, s);
		if (ret == -EAGAIN)
			return false;
		if (ret)
			return true;
		if (s->state == SMLX_SWQE_DONE && s->status != IB_WC_SUCCESS) {
			/* A local error: nothing after it may be sent. */
			qp->req.send++;
			qp->req.blocked = true;
			break;
		}
		budget--;
	}
	return !budget;
}

/**
 * smlx_req_go_back - resend from @psn on
 * @qp: RC or XRC initiator
 * @psn: first PSN the responder has not seen (NAK) or acknowledged
 *
 * WQEs from the one holding @psn on are sent again; the responder drops
 * what it already has as duplicates.
 */
void smlx_req_go_back(struct smlx_qp *qp, u32 psn)
{
	struct smlx_send_wqe *w;
	struct smlx_swqe *s;
	u32 idx, target = qp->req.send;
	bool found = false;

	for (idx = qp->sq->kidx; idx != qp->req.send + 1 &&
	     idx != qp->req.fetch; idx++) {
		s = smlx_req_swqe(qp, idx);
		if (s->state == SMLX_SWQE_DONE || s->state == SMLX_SWQE_FETCHED)
			continue;
		if (smlx_psn_diff(psn, s->first_psn) >= 0 &&
		    smlx_psn_diff(psn, s->first_psn) < (s32)s->npsn) {
			target = idx;
			found = true;
			break;
		}
		if (smlx_psn_diff(s->first_psn, psn) > 0) {
			/* @psn is before this WQE: restart it whole. */
			target = idx;
			psn = s->first_psn;
			found = true;
			break;
		}
	}
	if (!found)
		return;

	for (idx = target; idx != qp->req.fetch; idx++) {
		s = smlx_req_swqe(qp, idx);
		if (s->state == SMLX_SWQE_DONE)
			continue;
		if (idx == target && s->state != SMLX_SWQE_FETCHED) {
			w = smlx_req_wqe(qp, idx);
			s->state = SMLX_SWQE_SENDING;
			s->sent = (u64)smlx_psn_diff(psn, s->first_psn) *
				  SMLX_WIRE_SEG;
			if (w->opcode == SMLX_WQE_ATOMIC_CMP_AND_SWP ||
			    w->opcode == SMLX_WQE_ATOMIC_FETCH_AND_ADD)
				s->sent = 0;
			s->next_resp_psn = psn;
		} else {
			s->state = SMLX_SWQE_FETCHED;
			s->sent = 0;
		}
	}

	/* Count what still awaits a reply, in front of the restart. */
	qp->req.rd_out = 0;
	for (idx = qp->sq->kidx; idx != qp->req.fetch; idx++) {
		s = smlx_req_swqe(qp, idx);
		if (s->state == SMLX_SWQE_SENDING || s->state == SMLX_SWQE_SENT)
			if (smlx_op_is_rd(smlx_req_wqe(qp, idx)->opcode))
				qp->req.rd_out++;
	}
	qp->req.send = target;
	qp->req.psn = psn;
	qp->req.blocked = false;
}

/**
 * smlx_req_resend_done - the WQE at @idx needs no more resending
 * @qp: RC or XRC initiator
 * @idx: a READ that got its last response
 * @end: the PSN after it
 *
 * When the requester is still resending it after a go-back, it skips
 * the rest and goes on with the next WQE, from @end.
 */
void smlx_req_resend_done(struct smlx_qp *qp, u32 idx, u32 end)
{
	if (qp->req.send != idx)
		return;
	qp->req.send++;
	if (smlx_psn_diff(end, qp->req.psn) > 0)
		qp->req.psn = end;
	smlx_req_progress_timer(qp);
}

/* The oldest WQE without a result, or NULL. */
struct smlx_swqe *smlx_req_oldest(struct smlx_qp *qp, u32 *index)
{
	u32 idx;

	for (idx = qp->sq->kidx; idx != qp->req.fetch; idx++) {
		struct smlx_swqe *s = smlx_req_swqe(qp, idx);

		if (s->state == SMLX_SWQE_FETCHED)
			return NULL;
		if (s->state != SMLX_SWQE_DONE) {
			if (index)
				*index = idx;
			return s;
		}
	}
	return NULL;
}

/* Fails the oldest outstanding WQE with @status; the QP then errors. */
void smlx_req_fail_oldest(struct smlx_qp *qp, u8 status)
{
	struct smlx_swqe *s = smlx_req_oldest(qp, NULL);

	if (s)
		smlx_req_done(qp, s, status);
	qp->req.blocked = true;
	qp->req.timer_armed = false;
	del_timer(&qp->timer);
}

/**
 * smlx_req_rnr - the responder had no receive WQE, or stalled, at @psn
 * @qp: RC or XRC initiator
 * @psn: the request it could not take; what came before it is acknowledged
 * @rnr_timer: how long to wait before sending it again
 *
 * The caller acknowledged what the NAK covers, so una is where to start
 * again: at @psn, or before it at a READ still missing responses.  An
 * RNR NAK never moves una itself.  One for a PSN already acknowledged is
 * stale, an answer to a copy sent before a go-back, and is ignored: the
 * responder took that request since.
 */
void smlx_req_rnr(struct smlx_qp *qp, u32 psn, u8 rnr_timer)
{
	if (smlx_psn_diff(psn, qp->req.una) < 0)
		return;
	if (qp->path.rnr_retry != 7) {
		if (!qp->req.rnr_left) {
			smlx_req_fail_oldest(qp, IB_WC_RNR_RETRY_EXC_ERR);
			return;
		}
		qp->req.rnr_left--;
	}
	qp->req.rnr_wait = true;
	smlx_req_go_back(qp, qp->req.una);
	smlx_req_arm(qp, max(usecs_to_jiffies(smlx_rnr_usecs[rnr_timer & 31]),
			     1UL));
}

void smlx_req_timer_fired(struct smlx_qp *qp)
{
	if (!smlx_rc_like(qp) || !qp->req.timer_armed)
		return;
	if (timer_pending(&qp->timer))
		return;		/* re-armed since: not expired */
	qp->req.timer_armed = false;

	if (qp->req.rnr_wait) {
		qp->req.rnr_wait = false;
		smlx_req_progress_timer(qp);
		return;
	}
	if (qp->req.psn == qp->req.una)
		return;
	/*
	 * The QP sat on one of its own ODP faults while the timer ran: the
	 * responses and ACKs it waited for may be in its inbox, unread.  A
	 * slow fault is not a lost packet, and must not spend the retries
	 * (a 1 MiB READ into ODP memory ran out of them on a slow kernel):
	 * give the peer a whole timeout again.
	 */
	if (qp->req.stalled) {
		smlx_req_progress_timer(qp);
		return;
	}
	if (!qp->req.retry_left) {
		smlx_req_fail_oldest(qp, IB_WC_RETRY_EXC_ERR);
		return;
	}
	qp->req.retry_left--;
	smlx_req_go_back(qp, qp->req.una);
	smlx_req_progress_timer(qp);
}

/* Back to a new QP: nothing fetched, nothing in flight. */
void smlx_req_reset(struct smlx_qp *qp)
{
	if (!qp->sq)
		return;
	del_timer(&qp->timer);
	qp->req.send = qp->sq->kidx;
	qp->req.fetch = qp->sq->kidx;
	qp->req.psn = qp->path.sq_psn;
	qp->req.una = qp->path.sq_psn;
	qp->req.rd_out = 0;
	qp->req.rnr_wait = false;
	qp->req.timer_armed = false;
	qp->req.blocked = false;
}
