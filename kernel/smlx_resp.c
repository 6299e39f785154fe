// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Responder: requests arriving at a QP.  RC and XRC check PSNs (duplicates
 * are answered again without being executed twice, gaps get one sequence
 * NAK), claim receive WQEs from the RQ or an SRQ (none: RNR NAK), place
 * data through smlx_mr_access, run READs and atomics and acknowledge
 * (coalesced: one ACK per batch of packets).  UC drops broken messages; UD
 * checks the Q_Key and writes the 40-byte GRH before the payload.
 */
#include <linux/ip.h>
#include <linux/slab.h>
#include <net/checksum.h>

#include "smlx.h"

#define SMLX_RECV_WQE_MAX	(sizeof(struct smlx_recv_wqe) + \
				 SMLX_MAX_SGE * sizeof(struct smlx_sge))
#define SMLX_GRH_BYTES		40

static struct smlx_recv_wqe *smlx_resp_wqe(struct smlx_qp *qp)
{
	return qp->resp.wqe;
}

static bool smlx_resp_rc_like(struct smlx_qp *qp)
{
	return qp->ibqp.qp_type == IB_QPT_RC ||
	       qp->ibqp.qp_type == IB_QPT_XRC_TGT;
}

static bool smlx_resp_type_ok(struct smlx_qp *qp, const struct smlx_pkt *pkt)
{
	switch (qp->ibqp.qp_type) {
	case IB_QPT_XRC_TGT:
		return pkt->qpt == IB_QPT_XRC_INI;
	case IB_QPT_RC:
	case IB_QPT_UC:
	case IB_QPT_UD:
	case IB_QPT_GSI:
		return pkt->qpt == smlx_qp_wire_type(qp);
	default:
		return false;
	}
}

/*
 * Whether @pkt comes from the far end of @qp's path, @port being the wire
 * port of that end.  The whole source address is checked, as hardware
 * checks the path: the sending device's wire port (the wire sets it, the
 * sender's process cannot), the source GID, the destination GID and the
 * source QPN must be the far end (the port of path.av.dgid, path.av.dgid,
 * path.dest_qpn) and our own end (path.av.sgid).  A QP on another smlx
 * device that took our peer's QPN fails on the port and on the GID.
 * Pure: smlx_resp_is_from_peer() calls it under the inbox lock.
 */
static bool smlx_path_is(const struct smlx_qp *qp, const struct smlx_pkt *pkt,
			 u32 port)
{
	const struct smlx_av *av = &qp->path.av;

	return pkt->src_qpn == qp->path.dest_qpn && port &&
	       pkt->src_port == port &&
	       !memcmp(&pkt->sgid, &av->dgid, sizeof(pkt->sgid)) &&
	       !memcmp(&pkt->dgid, &av->sgid, sizeof(pkt->dgid));
}

/**
 * smlx_qp_from_peer - may connected @qp take @pkt?
 * @qp: RC, UC or XRC QP past RTR, engine running
 * @pkt: request (responder) or reply (requester) addressed to @qp
 *
 * See smlx_path_is().  Looks the far end's wire port up if the path does
 * not know it yet.  The caller drops a packet that fails, silently, as
 * hardware drops what does not belong to a connection.
 */
bool smlx_qp_from_peer(struct smlx_qp *qp, const struct smlx_pkt *pkt)
{
	struct smlx_av *av = &qp->path.av;
	u32 port = READ_ONCE(av->port_id);

	if (!port && pkt->src_qpn == qp->path.dest_qpn) {
		port = smlx_wire_resolve(&av->dgid);
		WRITE_ONCE(av->port_id, port);
	}
	return smlx_path_is(qp, pkt, port);
}

/*
 * smlx_qp_from_peer() for packets still in the inbox: pure, under the
 * inbox lock.  A path whose port is not known yet matches nothing.
 */
bool smlx_resp_is_from_peer(const struct smlx_qp *qp,
			    const struct smlx_pkt *pkt)
{
	return smlx_path_is(qp, pkt, READ_ONCE(qp->path.av.port_id));
}

static void smlx_resp_send_ack(struct smlx_qp *qp, u32 port, u32 qpn,
			       enum smlx_ack_code code, u32 psn)
{
	struct smlx_pkt *pkt = smlx_pkt_alloc(0, GFP_KERNEL);

	if (!pkt)
		return;		/* the requester's timer recovers */
	pkt->op = SMLX_OP_ACK;
	pkt->qpt = qp->ibqp.qp_type;
	pkt->ack = code;
	pkt->psn = psn;
	pkt->rnr_timer = qp->path.min_rnr_timer;
	pkt->src_port = qp->sdev->eng.port.id;
	pkt->src_qpn = qp->ibqp.qp_num;
	pkt->dst_port = port;
	pkt->dst_qpn = qpn;
	/* The requester checks where its ACKs come from, as we do. */
	pkt->sgid = qp->path.av.sgid;
	pkt->dgid = qp->path.av.dgid;
	smlx_wire_send(pkt);
}

static void smlx_resp_nak(struct smlx_qp *qp, const struct smlx_pkt *req,
			  enum smlx_ack_code code)
{
	smlx_resp_send_ack(qp, req->src_port, req->src_qpn, code, req->psn);
}

/*
 * The SRQ the claimed WQE came from, looked up again by number and serial
 * and held until smlx_resp_unpin_srq(); NULL when it is gone (destroyed,
 * its number perhaps reused).  No reference lasts from one packet to the
 * next: an initiator that stops in the middle of a message (or dies) must
 * not make ibv_destroy_srq, or the exit of the SRQ's process, wait for it.
 */
static struct smlx_srq *smlx_resp_pin_srq(struct smlx_qp *qp)
{
	struct smlx_srq *srq;

	if (!qp->resp.have_wqe || !qp->resp.wqe_from_srq || qp->resp.wqe_srq)
		return qp->resp.wqe_srq;
	srq = smlx_srq_get(qp->sdev, qp->resp.wqe_srqn);
	if (srq && srq->serial != qp->resp.wqe_srq_serial) {
		smlx_srq_put(srq);
		srq = NULL;
	}
	qp->resp.wqe_srq = srq;
	return srq;
}

static void smlx_resp_unpin_srq(struct smlx_qp *qp)
{
	if (qp->resp.wqe_srq) {
		smlx_srq_put(qp->resp.wqe_srq);
		qp->resp.wqe_srq = NULL;
	}
}

/* The claimed WQE's SRQ is gone: the WQE went with it. */
static bool smlx_resp_wqe_lost(struct smlx_qp *qp)
{
	return qp->resp.have_wqe && qp->resp.wqe_from_srq &&
	       !qp->resp.wqe_srq;
}

/* CQ of the claimed WQE; NULL when there is none (SRQ gone). */
static struct smlx_cq *smlx_resp_cq(struct smlx_qp *qp)
{
	struct smlx_srq *srq = qp->resp.wqe_srq;

	if (smlx_resp_wqe_lost(qp))
		return NULL;
	if (qp->ibqp.qp_type == IB_QPT_XRC_TGT && srq && srq->ibsrq.ext.cq)
		return to_scq(srq->ibsrq.ext.cq);
	return qp->rcq;
}

/**
 * smlx_resp_wqe_cq - where the claimed receive WQE completes
 * @qp: QP with resp.have_wqe set, engine running
 *
 * For a WQE of an SRQ, holds that SRQ until smlx_resp_release_wqe().
 * Returns NULL when the SRQ is gone: nothing is to be completed.
 */
struct smlx_cq *smlx_resp_wqe_cq(struct smlx_qp *qp)
{
	smlx_resp_pin_srq(qp);
	return smlx_resp_cq(qp);
}

void smlx_resp_release_wqe(struct smlx_qp *qp)
{
	qp->resp.have_wqe = false;
	qp->resp.wqe_from_srq = false;
	smlx_resp_unpin_srq(qp);
}

/* Completes the claimed receive WQE.  A dead CQ kills the QP. */
static void smlx_resp_complete(struct smlx_qp *qp, const struct smlx_pkt *pkt,
			       u8 status, u8 opcode, u32 byte_len, u16 flags)
{
	struct smlx_cq *cq = smlx_resp_cq(qp);
	struct smlx_cqe cqe = {
		.wr_id = smlx_resp_wqe(qp)->wr_id,
		.status = status,
		.opcode = opcode,
		.wc_flags = flags,
		.byte_len = byte_len,
		.qp_num = qp->ibqp.qp_num,
		.src_qp = pkt->src_qpn,
	};
	bool solicited = pkt->flags & SMLX_PKT_SOLICITED;
	int ret = -EINVAL;

	if (smlx_resp_wqe_lost(qp)) {
		smlx_resp_release_wqe(qp);
		return;
	}
	if (flags & SMLX_WC_WITH_IMM)
		cqe.imm_data = pkt->imm;
	/* As mlx5 on RoCE: which header the 40 bytes before the data hold. */
	if (flags & SMLX_WC_GRH)
		cqe.sl = pkt->net_type;
	if (cq)
		ret = smlx_cq_post(cq, &cqe, solicited);
	smlx_resp_release_wqe(qp);
	if (ret)
		smlx_qp_set_error(qp);
}

/* Claims a receive WQE for the message @pkt starts. */
static int smlx_resp_claim(struct smlx_qp *qp, const struct smlx_pkt *pkt)
{
	struct smlx_recv_wqe *r = smlx_resp_wqe(qp);
	struct smlx_srq *srq = NULL;
	struct smlx_queue *rq = qp->rq;
	u32 max_sge;
	int ret;

	if (qp->resp.have_wqe)
		return 0;

	if (qp->ibqp.qp_type == IB_QPT_XRC_TGT) {
		srq = smlx_srq_get(qp->sdev, pkt->srqn);
		if (!srq)
			return -EINVAL;
		if (srq->ibsrq.srq_type != IB_SRQT_XRC ||
		    srq->ibsrq.ext.xrc.xrcd != qp->ibqp.xrcd) {
			smlx_srq_put(srq);
			return -EINVAL;
		}
	} else if (qp->srq) {
		srq = qp->srq;
		refcount_inc(&srq->users);
	}

	if (srq) {
		ret = smlx_srq_claim(srq, r, SMLX_RECV_WQE_MAX);
		if (ret) {
			smlx_srq_put(srq);
			return ret;
		}
		max_sge = srq->max_sge;
	} else {
		if (!rq)
			return -EINVAL;
		ret = smlx_queue_avail(rq, rq->kidx);
		if (ret < 0) {
			smlx_queue_set_error(rq);
			smlx_qp_event(qp, IB_EVENT_QP_FATAL);
			smlx_qp_set_error(qp);
			return -EIO;
		}
		if (!ret)
			return -ENOENT;
		/*
		 * The slot is a power of two (1024 bytes with 32 SGEs), our
		 * copy only holds the header and SMLX_MAX_SGE SGEs.
		 */
		memcpy(r, smlx_queue_slot(rq, rq->kidx),
		       min_t(size_t, rq->stride, SMLX_RECV_WQE_MAX));
		smlx_queue_set_consumer(rq, rq->kidx + 1);
		max_sge = qp->max_recv_sge;
	}
	qp->resp.have_wqe = true;
	qp->resp.wqe_from_srq = !!srq;
	if (srq) {
		/* held until this packet is done, then looked up again */
		qp->resp.wqe_srq = srq;
		qp->resp.wqe_srqn = srq->srqn;
		qp->resp.wqe_srq_serial = srq->serial;
	}
	/* The process may have rewritten the slot after posting. */
	if (r->num_sge > max_sge)
		return -EPROTO;
	return 0;
}

static struct ib_pd *smlx_resp_wqe_pd(struct smlx_qp *qp)
{
	if (qp->resp.wqe_from_srq)
		return qp->resp.wqe_srq ? qp->resp.wqe_srq->ibsrq.pd : NULL;
	return qp->ibqp.pd;
}

/* PD rkeys are checked against: an XRC target has none, its SRQ has. */
static struct ib_pd *smlx_resp_rkey_pd(struct smlx_qp *qp,
				       const struct smlx_pkt *pkt,
				       struct smlx_srq **srq)
{
	*srq = NULL;
	if (qp->ibqp.qp_type != IB_QPT_XRC_TGT)
		return qp->ibqp.pd;
	*srq = smlx_srq_get(qp->sdev, pkt->srqn);
	if (!*srq)
		return NULL;
	if ((*srq)->ibsrq.ext.xrc.xrcd != qp->ibqp.xrcd) {
		smlx_srq_put(*srq);
		*srq = NULL;
		return NULL;
	}
	return (*srq)->ibsrq.pd;
}

static int smlx_resp_place(struct smlx_qp *qp, u64 offset, void *data,
			   u32 len, struct smlx_fault *fault)
{
	struct smlx_recv_wqe *r = smlx_resp_wqe(qp);
	struct ib_pd *pd = smlx_resp_wqe_pd(qp);

	if (!pd)
		return -EACCES;
	return smlx_sgl_copy(qp->sdev, pd,
			     (struct smlx_sge *)(r + 1), r->num_sge, offset,
			     data, len, SMLX_TO_MR, fault);
}

/*
 * A request that cannot be carried out.  RC: NAK it and, as the spec
 * wants for these errors, move the responder to the error state.  UC:
 * drop the rest of the message; only local errors kill the QP.
 */
static void smlx_resp_fail(struct smlx_qp *qp, const struct smlx_pkt *pkt,
			   enum smlx_ack_code code, u8 wc_status)
{
	if (qp->resp.have_wqe && wc_status != IB_WC_SUCCESS)
		smlx_resp_complete(qp, pkt, wc_status, IB_WC_RECV, 0, 0);
	qp->resp.active = false;
	if (smlx_resp_rc_like(qp)) {
		smlx_resp_nak(qp, pkt, code);
		smlx_qp_set_error(qp);
		return;
	}
	qp->resp.drop_msg = !(pkt->flags & SMLX_PKT_LAST);
	if (wc_status != IB_WC_SUCCESS)
		smlx_qp_set_error(qp);
}

/* SEND and WRITE may be answered "receiver not ready"; READ and atomics not. */
static bool smlx_resp_rnr_op(const struct smlx_pkt *pkt)
{
	return pkt->op == SMLX_OP_SEND || pkt->op == SMLX_OP_WRITE;
}

/*
 * Stalls on an ODP fault, or turns it into the access error it is.  The
 * packet is kept and handled on resume, with the ones behind it.  An RC
 * responder stalled on a SEND or WRITE answers the requester's resends of
 * it with RNR NAK while the fault lasts (smlx_resp_rnr()): a fault that
 * outlasts the requester's timer costs RNR retries, not transport retries.
 * A fault shorter than that costs the requester nothing, where an RNR NAK
 * at once would make it send everything again.
 */
static int smlx_resp_fault(struct smlx_qp *qp, const struct smlx_pkt *pkt,
			   const struct smlx_fault *fault)
{
	if (smlx_qp_stall(qp, fault,
			  smlx_resp_rc_like(qp) && smlx_resp_rnr_op(pkt)))
		return -EACCES;
	return -EAGAIN;
}

/*
 * While stalled on a SEND or WRITE: is @pkt the requester sending the
 * stalled packet (epsn) again?  Such a resend is answered RNR NAK and
 * dropped (smlx_resp_rnr()), once per round of resends, so rnr_retry
 * counts rounds.  Every other packet stays queued and is handled, in
 * order, on resume.  Pure: called under the inbox lock.
 */
bool smlx_resp_is_rnr_resend(const struct smlx_qp *qp,
			     const struct smlx_pkt *pkt)
{
	return smlx_resp_is_from_peer(qp, pkt) &&
	       pkt->psn == qp->resp.epsn && smlx_resp_rnr_op(pkt);
}

/*
 * Once the resend of the stalled packet is answered RNR NAK: is @pkt, a
 * request queued behind the stalled one, from the requester, with a later
 * PSN?  The NAK sends the requester back to epsn, so it sends @pkt again:
 * this copy can go.  Kept, the copies of every round of resends would fill
 * the inbox in a few rounds, and the next resend of the stalled packet
 * would find no room and get no RNR NAK: a fault that lasts many rounds
 * would cost transport retries after all.  Pure: called under the inbox
 * lock.
 */
bool smlx_resp_is_resent_after_rnr(const struct smlx_qp *qp,
				   const struct smlx_pkt *pkt)
{
	return smlx_resp_is_from_peer(qp, pkt) &&
	       smlx_psn_diff(pkt->psn, qp->resp.epsn) > 0;
}

/*
 * Is @pkt a READ request the responder has answered before (an RC/XRC
 * duplicate, executed again in smlx_resp_duplicate())?  Such a resend
 * comes from a requester whose timer expired while we were slow, most
 * often stalled on a fault; answering it costs another pass over the
 * memory, which may fault again.
 */
bool smlx_resp_is_dup_read(struct smlx_qp *qp, const struct smlx_pkt *pkt)
{
	return smlx_resp_rc_like(qp) && pkt->op == SMLX_OP_READ_REQ &&
	       smlx_psn_diff(pkt->psn, qp->resp.epsn) < 0 &&
	       smlx_qp_from_peer(qp, pkt);
}

/*
 * @pkt, a duplicate READ, need not be answered: the requester has asked
 * again behind it, from where it still lacks responses (it goes back to
 * its oldest unanswered PSN), and the later request is answered instead.
 */
void smlx_resp_drop_dup_read(struct smlx_qp *qp, const struct smlx_pkt *pkt)
{
	if (qp->resp.read_stalled && qp->resp.read_psn == pkt->psn)
		qp->resp.read_stalled = false;
	WRITE_ONCE(qp->resp.dup_reads_dropped, qp->resp.dup_reads_dropped + 1);
}

void smlx_resp_rnr(struct smlx_qp *qp, const struct smlx_pkt *pkt)
{
	smlx_resp_nak(qp, pkt, SMLX_NAK_RNR);
}

static u8 smlx_place_status(int ret)
{
	return ret == -EINVAL ? IB_WC_LOC_LEN_ERR : IB_WC_LOC_PROT_ERR;
}

/* SEND: returns 0 (handled), 1 (RNR: not consumed) or -EAGAIN (stall). */
static int smlx_resp_send(struct smlx_qp *qp, struct smlx_pkt *pkt)
{
	struct smlx_fault fault;
	u16 flags = 0;
	int ret;

	if (pkt->flags & SMLX_PKT_FIRST) {
		ret = smlx_resp_claim(qp, pkt);
		if (ret == -ENOENT)
			return 1;
		if (ret) {
			smlx_resp_fail(qp, pkt, SMLX_NAK_INV_REQ,
				       ret == -EPROTO ? IB_WC_LOC_QP_OP_ERR :
							IB_WC_SUCCESS);
			return 0;
		}
		qp->resp.active = true;
		qp->resp.op = SMLX_OP_SEND;
		qp->resp.offset = 0;
	} else if (!qp->resp.active || qp->resp.op != SMLX_OP_SEND) {
		smlx_resp_fail(qp, pkt, SMLX_NAK_INV_REQ, IB_WC_SUCCESS);
		return 0;
	} else if (smlx_resp_wqe_lost(qp)) {
		/*
		 * The SRQ was destroyed since the first packet, and the WQE
		 * with it: the message is abandoned, nothing completes.
		 */
		smlx_resp_release_wqe(qp);
		smlx_resp_fail(qp, pkt, SMLX_NAK_INV_REQ, IB_WC_SUCCESS);
		return 0;
	}

	ret = smlx_resp_place(qp, qp->resp.offset, pkt->data, pkt->len, &fault);
	if (ret == -EAGAIN)
		ret = smlx_resp_fault(qp, pkt, &fault);
	if (ret == -EAGAIN)
		return -EAGAIN;
	if (ret) {
		smlx_resp_fail(qp, pkt, ret == -EINVAL ? SMLX_NAK_INV_REQ :
						       SMLX_NAK_REM_OP,
			       smlx_place_status(ret));
		return 0;
	}
	qp->resp.offset += pkt->len;
	if (pkt->flags & SMLX_PKT_LAST) {
		if (pkt->flags & SMLX_PKT_IMM)
			flags |= SMLX_WC_WITH_IMM;
		qp->resp.active = false;
		smlx_resp_complete(qp, pkt, IB_WC_SUCCESS, IB_WC_RECV,
				   qp->resp.offset, flags);
	}
	return 0;
}

static int smlx_resp_write(struct smlx_qp *qp, struct smlx_pkt *pkt)
{
	struct smlx_srq *srq;
	struct smlx_fault fault;
	struct smlx_mr *mr;
	struct ib_pd *pd;
	int ret;

	if (pkt->flags & SMLX_PKT_FIRST) {
		if (!(qp->path.access & IB_ACCESS_REMOTE_WRITE)) {
			smlx_resp_fail(qp, pkt, SMLX_NAK_REM_ACCESS,
				       IB_WC_SUCCESS);
			return 0;
		}
		qp->resp.active = true;
		qp->resp.op = SMLX_OP_WRITE;
		qp->resp.offset = 0;
		qp->resp.write_len = pkt->dma_len;
	} else if (!qp->resp.active || qp->resp.op != SMLX_OP_WRITE) {
		smlx_resp_fail(qp, pkt, SMLX_NAK_INV_REQ, IB_WC_SUCCESS);
		return 0;
	}
	if (qp->resp.offset + pkt->len > qp->resp.write_len) {
		smlx_resp_fail(qp, pkt, SMLX_NAK_INV_REQ, IB_WC_SUCCESS);
		return 0;
	}
	if ((pkt->flags & (SMLX_PKT_LAST | SMLX_PKT_IMM)) ==
	    (SMLX_PKT_LAST | SMLX_PKT_IMM)) {
		ret = smlx_resp_claim(qp, pkt);
		if (ret == -ENOENT)
			return 1;
		if (ret) {
			smlx_resp_fail(qp, pkt, SMLX_NAK_INV_REQ,
				       ret == -EPROTO ? IB_WC_LOC_QP_OP_ERR :
							IB_WC_SUCCESS);
			return 0;
		}
	}

	if (pkt->len) {
		pd = smlx_resp_rkey_pd(qp, pkt, &srq);
		mr = pd ? smlx_mr_lookup(qp->sdev, pkt->rkey, true, pd,
					 IB_ACCESS_REMOTE_WRITE, pkt->va,
					 pkt->len) : NULL;
		if (srq)
			smlx_srq_put(srq);
		if (!mr) {
			smlx_resp_fail(qp, pkt, SMLX_NAK_REM_ACCESS,
				       IB_WC_SUCCESS);
			return 0;
		}
		ret = smlx_mr_copy(mr, pkt->va, pkt->data, pkt->len,
				   SMLX_TO_MR, &fault);
		smlx_mr_put(mr);
		if (ret == -EAGAIN) {
			/* The rest of the message follows this packet. */
			fault.ahead = qp->resp.write_len - qp->resp.offset -
				      pkt->len;
			ret = smlx_resp_fault(qp, pkt, &fault);
		}
		if (ret == -EAGAIN)
			return -EAGAIN;
		if (ret) {
			smlx_resp_fail(qp, pkt, SMLX_NAK_REM_ACCESS,
				       IB_WC_SUCCESS);
			return 0;
		}
	}
	qp->resp.offset += pkt->len;
	if (pkt->flags & SMLX_PKT_LAST) {
		qp->resp.active = false;
		if (pkt->flags & SMLX_PKT_IMM)
			smlx_resp_complete(qp, pkt, IB_WC_SUCCESS,
					   IB_WC_RECV_RDMA_WITH_IMM,
					   qp->resp.write_len,
					   SMLX_WC_WITH_IMM);
	}
	return 0;
}

static void smlx_resp_save(struct smlx_qp *qp, u8 op, u32 psn, u64 orig)
{
	struct smlx_resp_res *res = &qp->resp.res[qp->resp.res_next];

	res->op = op;
	res->psn = psn;
	res->atomic_orig = orig;
	qp->resp.res_next = (qp->resp.res_next + 1) % qp->resp.nres;
}

/*
 * READ: returns 0, or -EAGAIN (stall: handled again on resume, from the
 * response it stalled on).
 */
static int smlx_resp_read(struct smlx_qp *qp, struct smlx_pkt *pkt, bool dup)
{
	u32 npkts = pkt->dma_len ? DIV_ROUND_UP(pkt->dma_len, SMLX_WIRE_SEG) : 1;
	struct smlx_mr *mr = NULL;
	struct smlx_fault fault;
	struct smlx_srq *srq;
	struct ib_pd *pd;
	u32 i = 0;
	u64 off;
	int ret;

	if (qp->resp.read_stalled && qp->resp.read_psn == pkt->psn)
		i = qp->resp.read_sent;
	qp->resp.read_stalled = false;
	off = (u64)i * SMLX_WIRE_SEG;

	if (!(qp->path.access & IB_ACCESS_REMOTE_READ))
		goto access_err;
	if (pkt->dma_len) {
		pd = smlx_resp_rkey_pd(qp, pkt, &srq);
		mr = pd ? smlx_mr_lookup(qp->sdev, pkt->rkey, true, pd,
					 IB_ACCESS_REMOTE_READ, pkt->va,
					 pkt->dma_len) : NULL;
		if (srq)
			smlx_srq_put(srq);
		if (!mr)
			goto access_err;
	}

	for (; i < npkts; i++) {
		u32 n = min_t(u32, pkt->dma_len - off, SMLX_WIRE_SEG);
		struct smlx_pkt *rp = smlx_pkt_alloc(n, GFP_KERNEL);

		if (!rp)
			break;	/* the requester times out and asks again */
		if (n) {
			ret = smlx_mr_copy(mr, pkt->va + off, rp->data, n,
					   SMLX_FROM_MR, &fault);
			if (ret == -EAGAIN) {
				fault.ahead = pkt->dma_len - off - n;
				ret = smlx_resp_fault(qp, pkt, &fault);
			}
			if (ret) {
				smlx_pkt_free(rp);
				smlx_mr_put(mr);
				if (ret != -EAGAIN)
					goto access_err;
				qp->resp.read_stalled = true;
				qp->resp.read_psn = pkt->psn;
				qp->resp.read_sent = i;
				return -EAGAIN;
			}
		}
		rp->op = SMLX_OP_READ_RESP;
		rp->qpt = qp->ibqp.qp_type;
		rp->psn = smlx_psn_add(pkt->psn, i);
		rp->src_port = qp->sdev->eng.port.id;
		rp->src_qpn = qp->ibqp.qp_num;
		smlx_qp_reply_pkt(qp, pkt, rp);
		off += n;
	}
	if (mr)
		smlx_mr_put(mr);
	if (!dup) {
		smlx_resp_save(qp, SMLX_OP_READ_REQ, pkt->psn, 0);
		qp->resp.epsn = smlx_psn_add(pkt->psn, npkts);
	}
	return 0;

access_err:
	if (!dup)
		smlx_resp_fail(qp, pkt, SMLX_NAK_REM_ACCESS, IB_WC_SUCCESS);
	return 0;
}

static void smlx_resp_atomic_reply(struct smlx_qp *qp,
				   const struct smlx_pkt *pkt, u64 orig)
{
	struct smlx_pkt *rp = smlx_pkt_alloc(0, GFP_KERNEL);

	if (!rp)
		return;
	rp->op = SMLX_OP_ATOMIC_RESP;
	rp->qpt = qp->ibqp.qp_type;
	rp->psn = pkt->psn;
	rp->compare = orig;
	rp->src_port = qp->sdev->eng.port.id;
	rp->src_qpn = qp->ibqp.qp_num;
	smlx_qp_reply_pkt(qp, pkt, rp);
}

static int smlx_resp_atomic(struct smlx_qp *qp, struct smlx_pkt *pkt)
{
	struct smlx_fault fault;
	struct smlx_srq *srq;
	struct smlx_mr *mr;
	struct ib_pd *pd;
	u64 orig;
	int ret;

	if (!(qp->path.access & IB_ACCESS_REMOTE_ATOMIC)) {
		smlx_resp_fail(qp, pkt, SMLX_NAK_REM_ACCESS, IB_WC_SUCCESS);
		return 0;
	}
	if (pkt->va & 7) {
		smlx_resp_fail(qp, pkt, SMLX_NAK_INV_REQ, IB_WC_SUCCESS);
		return 0;
	}
	pd = smlx_resp_rkey_pd(qp, pkt, &srq);
	mr = pd ? smlx_mr_lookup(qp->sdev, pkt->rkey, true, pd,
				 IB_ACCESS_REMOTE_ATOMIC, pkt->va, 8) : NULL;
	if (srq)
		smlx_srq_put(srq);
	if (!mr) {
		smlx_resp_fail(qp, pkt, SMLX_NAK_REM_ACCESS, IB_WC_SUCCESS);
		return 0;
	}
	ret = smlx_mr_atomic(mr, pkt->va, pkt->flags & SMLX_PKT_CMP_SWP,
			     pkt->compare, pkt->swap_add, &orig, &fault);
	smlx_mr_put(mr);
	if (ret == -EAGAIN)
		ret = smlx_resp_fault(qp, pkt, &fault);
	if (ret == -EAGAIN)
		return -EAGAIN;
	if (ret) {
		smlx_resp_fail(qp, pkt, SMLX_NAK_REM_ACCESS, IB_WC_SUCCESS);
		return 0;
	}
	smlx_resp_save(qp, SMLX_OP_ATOMIC, pkt->psn, orig);
	smlx_resp_atomic_reply(qp, pkt, orig);
	qp->resp.epsn = smlx_psn_add(pkt->psn, 1);
	return 0;
}

/* A request the responder has already executed. */
static int smlx_resp_duplicate(struct smlx_qp *qp, struct smlx_pkt *pkt)
{
	u32 i;

	switch (pkt->op) {
	case SMLX_OP_READ_REQ:
		/* Reads have no side effects: run it again. */
		WRITE_ONCE(qp->resp.dup_reads, qp->resp.dup_reads + 1);
		return smlx_resp_read(qp, pkt, true);
	case SMLX_OP_ATOMIC:
		/* Atomics do: replay the saved result, never execute twice. */
		for (i = 0; i < qp->resp.nres; i++) {
			struct smlx_resp_res *res = &qp->resp.res[i];

			if (res->op == SMLX_OP_ATOMIC && res->psn == pkt->psn) {
				smlx_resp_atomic_reply(qp, pkt,
						       res->atomic_orig);
				break;
			}
		}
		return 0;
	default:
		qp->resp.ack_pending = true;
		return 0;
	}
}

static int smlx_resp_rc(struct smlx_qp *qp, struct smlx_pkt *pkt)
{
	s32 d = smlx_psn_diff(pkt->psn, qp->resp.epsn);
	int ret;

	if (d < 0)
		return smlx_resp_duplicate(qp, pkt);
	if (d > 0) {
		/* Lost packets: say so once, drop until the resend. */
		if (!qp->resp.nak_seq_sent) {
			qp->resp.nak_seq_sent = true;
			smlx_resp_send_ack(qp, pkt->src_port, pkt->src_qpn,
					   SMLX_NAK_SEQ, qp->resp.epsn);
		}
		return 0;
	}
	qp->resp.nak_seq_sent = false;

	switch (pkt->op) {
	case SMLX_OP_SEND:
		ret = smlx_resp_send(qp, pkt);
		break;
	case SMLX_OP_WRITE:
		ret = smlx_resp_write(qp, pkt);
		break;
	case SMLX_OP_READ_REQ:
		return smlx_resp_read(qp, pkt, false);
	case SMLX_OP_ATOMIC:
		return smlx_resp_atomic(qp, pkt);
	default:
		return 0;
	}
	if (ret == 1) {
		/* Receiver not ready: the requester resends this PSN later. */
		smlx_resp_nak(qp, pkt, SMLX_NAK_RNR);
		return 0;
	}
	if (ret)
		return ret;
	if (READ_ONCE(qp->state) != IB_QPS_ERR) {
		qp->resp.epsn = smlx_psn_add(pkt->psn, 1);
		qp->resp.ack_pending = true;
	}
	return 0;
}

static int smlx_resp_uc(struct smlx_qp *qp, struct smlx_pkt *pkt)
{
	int ret;

	if (pkt->psn != qp->resp.epsn) {
		/* Lost packets: the open message is gone, its WQE reused. */
		qp->resp.active = false;
		qp->resp.drop_msg = !(pkt->flags & SMLX_PKT_FIRST);
	}
	qp->resp.epsn = smlx_psn_add(pkt->psn, 1);
	if (pkt->flags & SMLX_PKT_FIRST)
		qp->resp.drop_msg = false;
	if (qp->resp.drop_msg)
		return 0;

	if (pkt->op == SMLX_OP_SEND)
		ret = smlx_resp_send(qp, pkt);
	else if (pkt->op == SMLX_OP_WRITE)
		ret = smlx_resp_write(qp, pkt);
	else
		return 0;
	if (ret == 1) {
		/* No receive WQE: UC drops the message. */
		qp->resp.active = false;
		qp->resp.drop_msg = !(pkt->flags & SMLX_PKT_LAST);
		return 0;
	}
	if (ret == -EAGAIN)
		qp->resp.epsn = pkt->psn;
	return ret < 0 ? ret : 0;
}

/* The 40 bytes a UD receive starts with, as RoCE v1/v2 would carry them. */
static void smlx_resp_build_grh(const struct smlx_pkt *pkt, u8 *buf)
{
	memset(buf, 0, SMLX_GRH_BYTES);
	if (pkt->net_type == SMLX_NET_ROCE_V2_IPV4) {
		struct iphdr *ip = (struct iphdr *)(buf + 20);

		ip->version = 4;
		ip->ihl = 5;
		ip->tos = pkt->traffic_class;
		ip->tot_len = htons(sizeof(*ip) + pkt->len);
		ip->frag_off = htons(IP_DF);
		ip->ttl = pkt->hop_limit;
		ip->protocol = IPPROTO_UDP;
		memcpy(&ip->saddr, &pkt->sgid.raw[12], 4);
		memcpy(&ip->daddr, &pkt->dgid.raw[12], 4);
		ip->check = ip_fast_csum((u8 *)ip, ip->ihl);
	} else {
		struct ib_grh *grh = (struct ib_grh *)buf;

		grh->version_tclass_flow =
			cpu_to_be32((6U << 28) | ((u32)pkt->traffic_class << 20) |
				    (pkt->flow_label & 0xfffff));
		grh->paylen = cpu_to_be16(pkt->len);
		grh->next_hdr = IPPROTO_UDP;
		grh->hop_limit = pkt->hop_limit;
		grh->sgid = pkt->sgid;
		grh->dgid = pkt->dgid;
	}
}

static int smlx_resp_ud(struct smlx_qp *qp, struct smlx_pkt *pkt)
{
	u8 grh[SMLX_GRH_BYTES];
	struct smlx_fault fault;
	u16 flags = SMLX_WC_GRH;
	int ret;

	if (pkt->op != SMLX_OP_SEND || pkt->qkey != qp->path.qkey)
		return 0;
	ret = smlx_resp_claim(qp, pkt);
	if (ret == -ENOENT)
		return 0;	/* UD drops what it has no buffer for */
	if (ret) {
		if (qp->resp.have_wqe)
			smlx_resp_complete(qp, pkt, IB_WC_LOC_QP_OP_ERR,
					   IB_WC_RECV, 0, 0);
		smlx_qp_set_error(qp);
		return 0;
	}

	smlx_resp_build_grh(pkt, grh);
	ret = smlx_resp_place(qp, 0, grh, SMLX_GRH_BYTES, &fault);
	if (!ret)
		ret = smlx_resp_place(qp, SMLX_GRH_BYTES, pkt->data, pkt->len,
				      &fault);
	if (ret == -EAGAIN)
		ret = smlx_resp_fault(qp, pkt, &fault);
	if (ret == -EAGAIN)
		return -EAGAIN;
	if (ret) {
		smlx_resp_complete(qp, pkt, smlx_place_status(ret), IB_WC_RECV,
				   0, 0);
		smlx_qp_set_error(qp);
		return 0;
	}
	if (pkt->flags & SMLX_PKT_IMM)
		flags |= SMLX_WC_WITH_IMM;
	smlx_resp_complete(qp, pkt, IB_WC_SUCCESS, IB_WC_RECV,
			   SMLX_GRH_BYTES + pkt->len, flags);
	return 0;
}

static int __smlx_resp_packet(struct smlx_qp *qp, struct smlx_pkt *pkt)
{
	if (!smlx_resp_type_ok(qp, pkt))
		return 0;
	if (smlx_qp_is_ud(qp))
		return smlx_resp_ud(qp, pkt);
	/* Connected: only the far end of our path talks to us. */
	if (!smlx_qp_from_peer(qp, pkt))
		return 0;
	qp->resp.ack_port = pkt->src_port;
	qp->resp.ack_qpn = pkt->src_qpn;
	if (qp->ibqp.qp_type == IB_QPT_UC)
		return smlx_resp_uc(qp, pkt);
	return smlx_resp_rc(qp, pkt);
}

/**
 * smlx_resp_packet - handle one request packet addressed to @qp
 * @qp: destination QP, in RTR or later
 * @pkt: the request
 *
 * Returns 0 when the packet is done with, or -EAGAIN when the QP stalled
 * on an ODP fault: the packet is kept and handled again on resume.
 */
int smlx_resp_packet(struct smlx_qp *qp, struct smlx_pkt *pkt)
{
	int ret;

	/* An open message's WQE: is its SRQ still there? */
	smlx_resp_pin_srq(qp);
	ret = __smlx_resp_packet(qp, pkt);
	smlx_resp_unpin_srq(qp);
	return ret;
}

/* One ACK for everything the batch accepted. */
void smlx_resp_batch_done(struct smlx_qp *qp)
{
	if (!qp->resp.ack_pending)
		return;
	qp->resp.ack_pending = false;
	if (!smlx_resp_rc_like(qp))
		return;
	smlx_resp_send_ack(qp, qp->resp.ack_port, qp->resp.ack_qpn,
			   SMLX_ACK_OK, smlx_psn_add(qp->resp.epsn, -1));
}

void smlx_resp_reset(struct smlx_qp *qp)
{
	smlx_resp_release_wqe(qp);
	qp->resp.active = false;
	qp->resp.drop_msg = false;
	qp->resp.ack_pending = false;
	qp->resp.nak_seq_sent = false;
	qp->resp.epsn = qp->path.rq_psn;
	qp->resp.res_next = 0;
	qp->resp.read_stalled = false;
	if (qp->resp.res)
		memset(qp->resp.res, 0, qp->resp.nres * sizeof(*qp->resp.res));
}
