// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Work requests of kernel clients (ib_mad's GSI QP, ib_cm, ULPs): the
 * kernel-side provider.  It writes the same WQEs into the same rings a
 * process's provider would, and the engine takes them from there, so a
 * kernel QP and a user QP differ only in who produces into the ring.
 *
 * ib_mad posts under its queue spinlock with interrupts off, so nothing
 * here sleeps: the engine runs from its work item, never in the caller.
 */
#include <linux/string.h>

#include "smlx.h"

static int smlx_kwqe_opcode(enum ib_wr_opcode op, u8 *opcode)
{
	static const u8 map[] = {
		[IB_WR_RDMA_WRITE] = SMLX_WQE_RDMA_WRITE,
		[IB_WR_RDMA_WRITE_WITH_IMM] = SMLX_WQE_RDMA_WRITE_WITH_IMM,
		[IB_WR_SEND] = SMLX_WQE_SEND,
		[IB_WR_SEND_WITH_IMM] = SMLX_WQE_SEND_WITH_IMM,
		[IB_WR_RDMA_READ] = SMLX_WQE_RDMA_READ,
		[IB_WR_ATOMIC_CMP_AND_SWP] = SMLX_WQE_ATOMIC_CMP_AND_SWP,
		[IB_WR_ATOMIC_FETCH_AND_ADD] = SMLX_WQE_ATOMIC_FETCH_AND_ADD,
	};

	/* local operations (REG_MR, LOCAL_INV, ...): no FRMRs or MWs */
	if (op >= ARRAY_SIZE(map))
		return -EINVAL;
	*opcode = map[op];
	return 0;
}

/* A work request's scatter/gather list as the WQE carries it. */
static void smlx_ksge_copy(struct smlx_sge *sge, const struct ib_sge *sg_list,
			   int num_sge)
{
	int i;

	for (i = 0; i < num_sge; i++) {
		sge[i].addr = sg_list[i].addr;
		sge[i].length = sg_list[i].length;
		sge[i].lkey = sg_list[i].lkey;
	}
}

/* Builds one send WQE in @w (a free slot of @qp's SQ). */
static int smlx_kwqe_build(struct smlx_qp *qp, const struct ib_send_wr *wr,
			   struct smlx_send_wqe *w)
{
	struct smlx_sge *sge = (struct smlx_sge *)(w + 1);
	int i, ret;

	ret = smlx_kwqe_opcode(wr->opcode, &w->opcode);
	if (ret)
		return ret;
	w->wr_id = wr->wr_id;
	w->flags = 0;
	if ((wr->send_flags & IB_SEND_SIGNALED) || qp->sq_sig_all)
		w->flags |= SMLX_WQE_SIGNALED;
	if (wr->send_flags & IB_SEND_SOLICITED)
		w->flags |= SMLX_WQE_SOLICITED;
	if (wr->send_flags & IB_SEND_FENCE)
		w->flags |= SMLX_WQE_FENCE;
	w->imm_data = wr->ex.imm_data;

	switch (wr->opcode) {
	case IB_WR_RDMA_WRITE:
	case IB_WR_RDMA_WRITE_WITH_IMM:
	case IB_WR_RDMA_READ:
		w->u.rdma.remote_addr = rdma_wr(wr)->remote_addr;
		w->u.rdma.rkey = rdma_wr(wr)->rkey;
		break;
	case IB_WR_ATOMIC_CMP_AND_SWP:
	case IB_WR_ATOMIC_FETCH_AND_ADD:
		w->u.atomic.remote_addr = atomic_wr(wr)->remote_addr;
		w->u.atomic.rkey = atomic_wr(wr)->rkey;
		w->u.atomic.compare_add = atomic_wr(wr)->compare_add;
		w->u.atomic.swap = atomic_wr(wr)->swap;
		break;
	default:
		break;
	}
	if (smlx_qp_is_ud(qp)) {
		w->u.ud.ah_num = to_sah(ud_wr(wr)->ah)->ah_num;
		w->u.ud.remote_qpn = ud_wr(wr)->remote_qpn;
		w->u.ud.remote_qkey = ud_wr(wr)->remote_qkey;
	}

	if (wr->send_flags & IB_SEND_INLINE) {
		u8 *data = (u8 *)(w + 1);
		u32 len = 0;

		for (i = 0; i < wr->num_sge; i++) {
			if (wr->sg_list[i].length > qp->max_inline - len)
				return -EINVAL;
			/* ib_uses_virt_dma(): the address is a kernel VA */
			memcpy(data + len,
			       (void *)(uintptr_t)wr->sg_list[i].addr,
			       wr->sg_list[i].length);
			len += wr->sg_list[i].length;
		}
		w->flags |= SMLX_WQE_INLINE;
		w->inline_len = len;
		w->num_sge = 0;
		return 0;
	}
	if (wr->num_sge < 0 || wr->num_sge > qp->max_send_sge)
		return -EINVAL;
	smlx_ksge_copy(sge, wr->sg_list, wr->num_sge);
	w->num_sge = wr->num_sge;
	w->inline_len = 0;
	return 0;
}

/**
 * smlx_kernel_post_send - post_send of a kernel QP
 * @qp: a QP created without udata
 * @wr: the chain
 * @bad_wr: the first request not posted
 *
 * The WQEs go into the SQ ring and the work item takes them: a request
 * the engine then finds bad completes in error, as one from a process.
 * Returns 0, -ENOMEM when the SQ is full, -EINVAL for a request the WQE
 * format cannot express.  Any context.
 */
int smlx_kernel_post_send(struct smlx_qp *qp, const struct ib_send_wr *wr,
			  const struct ib_send_wr **bad_wr)
{
	struct smlx_queue *sq = qp->sq;
	unsigned long irqflags;
	int ret = 0;

	spin_lock_irqsave(&qp->post_lock, irqflags);
	for (; wr; wr = wr->next) {
		u32 used = qp->sq_head - READ_ONCE(sq->ring->consumer);

		if (used >= sq->num_slots) {
			ret = -ENOMEM;
			break;
		}
		memset(smlx_queue_slot(sq, qp->sq_head), 0, sq->stride);
		ret = smlx_kwqe_build(qp, wr, smlx_queue_slot(sq, qp->sq_head));
		if (ret)
			break;
		qp->sq_head++;
	}
	/* the WQEs are written before the engine may read them */
	smp_store_release(&sq->ring->producer, qp->sq_head);
	spin_unlock_irqrestore(&qp->post_lock, irqflags);

	if (ret)
		*bad_wr = wr;
	smlx_qp_schedule(qp);
	return ret;
}

/* Writes receive WQEs into @q from *@head on; @lock is held. */
static int smlx_kernel_post_rq(struct smlx_queue *q, u32 *head, u32 max_sge,
			       const struct ib_recv_wr *wr,
			       const struct ib_recv_wr **bad_wr)
{
	int ret = 0;

	for (; wr; wr = wr->next) {
		struct smlx_recv_wqe *r = smlx_queue_slot(q, *head);
		struct smlx_sge *sge = (struct smlx_sge *)(r + 1);

		if (*head - READ_ONCE(q->ring->consumer) >= q->num_slots) {
			ret = -ENOMEM;
			break;
		}
		if (wr->num_sge < 0 || wr->num_sge > max_sge) {
			ret = -EINVAL;
			break;
		}
		r->wr_id = wr->wr_id;
		r->num_sge = wr->num_sge;
		r->reserved = 0;
		smlx_ksge_copy(sge, wr->sg_list, wr->num_sge);
		(*head)++;
	}
	/* the WQEs are written before the engine may read them */
	smp_store_release(&q->ring->producer, *head);
	if (ret)
		*bad_wr = wr;
	return ret;
}

/* post_recv of a kernel QP; as smlx_kernel_post_send().  Any context. */
int smlx_kernel_post_recv(struct smlx_qp *qp, const struct ib_recv_wr *wr,
			  const struct ib_recv_wr **bad_wr)
{
	unsigned long irqflags;
	int ret;

	if (!qp->rq) {
		*bad_wr = wr;
		return -EINVAL;
	}
	spin_lock_irqsave(&qp->post_lock, irqflags);
	ret = smlx_kernel_post_rq(qp->rq, &qp->rq_head, qp->max_recv_sge, wr,
				  bad_wr);
	spin_unlock_irqrestore(&qp->post_lock, irqflags);
	/* a receiver stalled for want of a buffer (RNR) goes on */
	smlx_qp_schedule(qp);
	return ret;
}
