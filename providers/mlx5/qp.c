// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Queue pairs: creation (plain, extended, opened XRC), state changes, and
 * the two posting paths, ibv_post_send/ibv_post_recv and the ibv_wr_* work
 * request builders.  Work requests become WQEs written straight into the
 * rings the kernel shares with us (docs/queues.md); a send batch ends with
 * one POST_SEND doorbell that carries no work request, receives need none.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smlx.h"
#include "queues.h"

struct smlx_create_qp_cmd_resp {
	struct ib_uverbs_create_qp_resp ibv_resp;
	struct smlx_create_qp_resp drv;
};

#define SEND_WQE_HDR_BYTES ((uint32_t)sizeof(struct smlx_send_wqe))
#define RECV_WQE_HDR_BYTES ((uint32_t)sizeof(struct smlx_recv_wqe))

#define RC_SEND_OPS                                                            \
	(IBV_QP_EX_WITH_RDMA_WRITE | IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM |      \
	 IBV_QP_EX_WITH_SEND | IBV_QP_EX_WITH_SEND_WITH_IMM |                  \
	 IBV_QP_EX_WITH_RDMA_READ | IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP |        \
	 IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD | IBV_QP_EX_WITH_LOCAL_INV |      \
	 IBV_QP_EX_WITH_SEND_WITH_INV)
#define UC_SEND_OPS                                                            \
	(IBV_QP_EX_WITH_RDMA_WRITE | IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM |      \
	 IBV_QP_EX_WITH_SEND | IBV_QP_EX_WITH_SEND_WITH_IMM |                  \
	 IBV_QP_EX_WITH_LOCAL_INV | IBV_QP_EX_WITH_SEND_WITH_INV)
#define UD_SEND_OPS (IBV_QP_EX_WITH_SEND | IBV_QP_EX_WITH_SEND_WITH_IMM)

/* Send opcodes (IBV_QP_EX_WITH_* bits, one per IBV_WR_*) a QP type takes. */
static uint64_t send_ops_of(enum ibv_qp_type type)
{
	switch (type) {
	case IBV_QPT_RC:
	case IBV_QPT_XRC_SEND:
		return RC_SEND_OPS;
	case IBV_QPT_UC:
		return UC_SEND_OPS;
	case IBV_QPT_UD:
		return UD_SEND_OPS;
	default:
		return 0;
	}
}

/* IBV_QP_EX_WITH_<op> is 1 << IBV_WR_<op> for every opcode we carry. */
static bool opcode_allowed(enum ibv_qp_type type, enum ibv_wr_opcode opcode)
{
	if ((unsigned int)opcode > IBV_WR_SEND_WITH_INV)
		return false;
	return send_ops_of(type) & (1ULL << opcode);
}

static bool opcode_takes_inline(uint8_t opcode)
{
	return opcode == SMLX_WQE_SEND || opcode == SMLX_WQE_SEND_WITH_IMM ||
	       opcode == SMLX_WQE_SEND_WITH_INV ||
	       opcode == SMLX_WQE_RDMA_WRITE ||
	       opcode == SMLX_WQE_RDMA_WRITE_WITH_IMM;
}

static bool opcode_is_atomic(uint8_t opcode)
{
	return opcode == SMLX_WQE_ATOMIC_CMP_AND_SWP ||
	       opcode == SMLX_WQE_ATOMIC_FETCH_AND_ADD;
}

/*
 * The state as last set or queried.  Read without the queue locks: an
 * application may query or modify a QP in the middle of an ibv_wr_* batch,
 * which holds the SQ lock.
 */
static enum ibv_qp_state qp_state(const struct smlx_qp *qp)
{
	return __atomic_load_n(&qp->state, __ATOMIC_RELAXED);
}

static void qp_set_state(struct smlx_qp *qp, enum ibv_qp_state state)
{
	__atomic_store_n(&qp->state, state, __ATOMIC_RELAXED);
}

/* Sends are refused before the QP can transmit, receives before INIT. */
static bool sq_accepts(const struct smlx_qp *qp)
{
	enum ibv_qp_state state = qp_state(qp);

	return state != IBV_QPS_RESET && state != IBV_QPS_INIT &&
	       state != IBV_QPS_RTR;
}

static bool rq_accepts(const struct smlx_qp *qp)
{
	return qp_state(qp) != IBV_QPS_RESET;
}

static inline void *wqe_payload(struct smlx_send_wqe *wqe)
{
	return (uint8_t *)wqe + SEND_WQE_HDR_BYTES;
}

/*
 * Doorbells: POST_SEND (or POST_RECV) with no work request.  The kernel
 * insists on a wqe_size of at least one ib_uverbs_{send,recv}_wr even when
 * it copies none, and on a response buffer.
 */
static int qp_doorbell(struct smlx_qp *qp, uint32_t command, uint32_t wqe_size)
{
	struct {
		struct ib_uverbs_cmd_hdr hdr;
		union {
			struct ib_uverbs_post_send send;
			struct ib_uverbs_post_recv recv;
		};
	} req;
	union {
		struct ib_uverbs_post_send_resp send;
		struct ib_uverbs_post_recv_resp recv;
	} resp;
	size_t len = sizeof(req.hdr);
	ssize_t ret;

	memset(&req, 0, sizeof(req));
	req.hdr.command = command;
	req.hdr.out_words = sizeof(resp) / 4;
	if (command == IB_USER_VERBS_CMD_POST_SEND) {
		req.send.response = (uintptr_t)&resp;
		req.send.qp_handle = qp->vqp.qp.handle;
		req.send.wqe_size = wqe_size;
		len += sizeof(req.send);
	} else {
		req.recv.response = (uintptr_t)&resp;
		req.recv.qp_handle = qp->vqp.qp.handle;
		req.recv.wqe_size = wqe_size;
		len += sizeof(req.recv);
	}
	req.hdr.in_words = len / 4;

	ret = write(qp->vqp.qp.context->cmd_fd, &req, len);
	if (ret == (ssize_t)len)
		return 0;
	return ret < 0 ? errno : EIO;
}

/* The SQ doorbell: the kernel looks at our producer index again. */
static int sq_ring_doorbell(struct smlx_qp *qp)
{
	return qp_doorbell(qp, IB_USER_VERBS_CMD_POST_SEND,
			   sizeof(struct ib_uverbs_send_wr));
}

/*
 * Receives need no doorbell, except on a QP in the error state: nothing
 * arrives there to make the kernel look at the RQ, so we ask it to flush.
 */
static int rq_ring_flush_doorbell(struct smlx_qp *qp)
{
	return qp_doorbell(qp, IB_USER_VERBS_CMD_POST_RECV,
			   sizeof(struct ib_uverbs_recv_wr));
}

/* Copies the data of an inline WQE; ENOMEM if it does not fit. */
static int wqe_copy_inline(struct smlx_qp *qp, struct smlx_send_wqe *wqe,
			   const struct ibv_data_buf *bufs, size_t num_buf)
{
	uint8_t *dst = wqe_payload(wqe);
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < num_buf; i++)
		total += bufs[i].length;
	if (total > qp->max_inline_data)
		return ENOMEM;
	for (i = 0; i < num_buf; i++) {
		memcpy(dst, bufs[i].addr, bufs[i].length);
		dst += bufs[i].length;
	}
	wqe->inline_len = total;
	wqe->num_sge = 0;
	wqe->flags |= SMLX_WQE_INLINE;
	return 0;
}

static int wqe_copy_inline_sges(struct smlx_qp *qp, struct smlx_send_wqe *wqe,
				const struct ibv_sge *sg_list, int num_sge)
{
	uint8_t *dst = wqe_payload(wqe);
	uint64_t total = 0;
	int i;

	for (i = 0; i < num_sge; i++)
		total += sg_list[i].length;
	if (total > qp->max_inline_data)
		return ENOMEM;
	for (i = 0; i < num_sge; i++) {
		memcpy(dst, (void *)(uintptr_t)sg_list[i].addr,
		       sg_list[i].length);
		dst += sg_list[i].length;
	}
	wqe->inline_len = total;
	wqe->num_sge = 0;
	wqe->flags |= SMLX_WQE_INLINE;
	return 0;
}

static void wqe_copy_sges(struct smlx_send_wqe *wqe,
			  const struct ibv_sge *sg_list, size_t num_sge)
{
	struct smlx_sge *dst = wqe_payload(wqe);
	size_t i;

	for (i = 0; i < num_sge; i++) {
		dst[i].addr = sg_list[i].addr;
		dst[i].length = sg_list[i].length;
		dst[i].lkey = sg_list[i].lkey;
	}
	wqe->num_sge = num_sge;
}

static uint8_t wqe_flags(const struct smlx_qp *qp, unsigned int send_flags)
{
	uint8_t flags = 0;

	if (qp->sq_sig_all || (send_flags & IBV_SEND_SIGNALED))
		flags |= SMLX_WQE_SIGNALED;
	if (send_flags & IBV_SEND_SOLICITED)
		flags |= SMLX_WQE_SOLICITED;
	if (send_flags & IBV_SEND_FENCE)
		flags |= SMLX_WQE_FENCE;
	return flags;
}

/* ibv_post_send: one ibv_send_wr into the slot at @wqe. */
static int build_send_wqe(struct smlx_qp *qp, const struct ibv_send_wr *wr,
			  struct smlx_send_wqe *wqe)
{
	enum ibv_qp_type type = qp->vqp.qp.qp_type;
	uint8_t opcode = wr->opcode;

	if (!opcode_allowed(type, wr->opcode) || wr->num_sge < 0)
		return EINVAL;

	memset(wqe, 0, sizeof(*wqe));
	wqe->wr_id = wr->wr_id;
	wqe->opcode = opcode;
	wqe->flags = wqe_flags(qp, wr->send_flags);

	switch (wr->opcode) {
	case IBV_WR_RDMA_WRITE_WITH_IMM:
		wqe->imm_data = wr->imm_data;
		/* fallthrough */
	case IBV_WR_RDMA_WRITE:
	case IBV_WR_RDMA_READ:
		wqe->u.rdma.remote_addr = wr->wr.rdma.remote_addr;
		wqe->u.rdma.rkey = wr->wr.rdma.rkey;
		break;
	case IBV_WR_ATOMIC_CMP_AND_SWP:
	case IBV_WR_ATOMIC_FETCH_AND_ADD:
		/* The original value lands in exactly one local buffer. */
		if (wr->num_sge != 1)
			return EINVAL;
		wqe->u.atomic.remote_addr = wr->wr.atomic.remote_addr;
		wqe->u.atomic.compare_add = wr->wr.atomic.compare_add;
		wqe->u.atomic.swap = wr->wr.atomic.swap;
		wqe->u.atomic.rkey = wr->wr.atomic.rkey;
		break;
	case IBV_WR_SEND_WITH_IMM:
		wqe->imm_data = wr->imm_data;
		break;
	case IBV_WR_SEND_WITH_INV:
	case IBV_WR_LOCAL_INV:
		/* Carried as is, in host order, like ibv_send_wr holds it. */
		wqe->imm_data = (__be32)wr->invalidate_rkey;
		break;
	default:
		break;
	}

	if (type == IBV_QPT_UD) {
		if (!wr->wr.ud.ah)
			return EINVAL;
		wqe->u.ud.ah_num = to_sah(wr->wr.ud.ah)->ah_num;
		wqe->u.ud.remote_qpn = wr->wr.ud.remote_qpn;
		wqe->u.ud.remote_qkey = wr->wr.ud.remote_qkey;
	} else if (type == IBV_QPT_XRC_SEND) {
		wqe->xrc_remote_srqn = wr->qp_type.xrc.remote_srqn;
	}

	if (wr->opcode == IBV_WR_LOCAL_INV)
		return 0;
	if ((wr->send_flags & IBV_SEND_INLINE) && opcode_takes_inline(opcode))
		return wqe_copy_inline_sges(qp, wqe, wr->sg_list, wr->num_sge);
	if ((uint32_t)wr->num_sge > qp->max_send_sge)
		return ENOMEM;
	wqe_copy_sges(wqe, wr->sg_list, wr->num_sge);
	return 0;
}

int smlx_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
		   struct ibv_send_wr **bad_wr)
{
	struct smlx_qp *qp = to_sqp(ibqp);
	struct ibv_send_wr *head = wr;
	uint32_t producer, free_slots;
	bool published = false;
	int err = 0, db_err;

	if (!smlx_ring_present(&qp->sq)) {
		*bad_wr = wr;
		return EINVAL;
	}

	pthread_spin_lock(&qp->sq_lock);
	if (!sq_accepts(qp)) {
		err = EINVAL;
		goto out_unlock;
	}
	producer = qp->sq.own_index;
	free_slots = smlx_ring_free_slots(&qp->sq, producer);
	for (; wr; wr = wr->next) {
		if (!free_slots) {
			err = ENOMEM;
			break;
		}
		err = build_send_wqe(qp, wr, smlx_ring_slot(&qp->sq, producer));
		if (err)
			break;
		producer++;
		free_slots--;
	}
	if (producer != qp->sq.own_index) {
		smlx_ring_publish(&qp->sq, producer);
		published = true;
	}
out_unlock:
	pthread_spin_unlock(&qp->sq_lock);

	if (err)
		*bad_wr = wr;
	/*
	 * Ring outside the lock: any doorbell after our publish makes the
	 * kernel see our WQEs, whoever rings it.
	 */
	if (published) {
		db_err = sq_ring_doorbell(qp);
		if (db_err && !err) {
			verbs_err(verbs_get_ctx(ibqp->context),
				  "QP %u: send doorbell failed: %s\n",
				  ibqp->qp_num, strerror(db_err));
			*bad_wr = head;
			err = db_err;
		}
	}
	return err;
}

static int write_recv_wqe(struct smlx_mapped_ring *ring, uint32_t index,
			  const struct ibv_recv_wr *wr, uint32_t max_sge)
{
	struct smlx_recv_wqe *wqe = smlx_ring_slot(ring, index);
	struct smlx_sge *sge = (struct smlx_sge *)(wqe + 1);
	int i;

	if (wr->num_sge < 0 || (uint32_t)wr->num_sge > max_sge)
		return EINVAL;
	wqe->wr_id = wr->wr_id;
	wqe->num_sge = wr->num_sge;
	wqe->reserved = 0;
	for (i = 0; i < wr->num_sge; i++) {
		sge[i].addr = wr->sg_list[i].addr;
		sge[i].length = wr->sg_list[i].length;
		sge[i].lkey = wr->sg_list[i].lkey;
	}
	return 0;
}

int smlx_write_recv_chain(struct smlx_mapped_ring *ring,
			  struct ibv_recv_wr **wr, uint32_t max_sge)
{
	uint32_t producer = ring->own_index;
	uint32_t free_slots = smlx_ring_free_slots(ring, producer);
	int err = 0;

	for (; *wr; *wr = (*wr)->next) {
		if (!free_slots) {
			err = ENOMEM;
			break;
		}
		err = write_recv_wqe(ring, producer, *wr, max_sge);
		if (err)
			break;
		producer++;
		free_slots--;
	}
	if (producer != ring->own_index)
		smlx_ring_publish(ring, producer);
	return err;
}

int smlx_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr,
		   struct ibv_recv_wr **bad_wr)
{
	struct smlx_qp *qp = to_sqp(ibqp);
	struct ibv_recv_wr *head = wr;
	uint32_t producer;
	bool flush = false;
	int err = 0, db_err;

	if (!smlx_ring_present(&qp->rq)) {
		*bad_wr = wr;
		return EINVAL;
	}

	pthread_spin_lock(&qp->rq_lock);
	if (!rq_accepts(qp)) {
		err = EINVAL;
		goto out;
	}
	producer = qp->rq.own_index;
	err = smlx_write_recv_chain(&qp->rq, &wr, qp->max_recv_sge);
	flush = qp->rq.own_index != producer && qp_state(qp) == IBV_QPS_ERR;
out:
	pthread_spin_unlock(&qp->rq_lock);
	if (err)
		*bad_wr = wr;
	if (flush) {
		db_err = rq_ring_flush_doorbell(qp);
		if (db_err && !err) {
			*bad_wr = head;
			err = db_err;
		}
	}
	return err;
}

/*
 * ibv_wr_* builders.  wr_start takes the SQ lock and wr_complete or
 * wr_abort drops it; in between each opcode builder claims the next slot
 * and the setters fill it.  The first error sticks to the batch and is
 * what wr_complete returns, after discarding every WQE of the batch.
 */

static struct smlx_send_wqe *wr_begin(struct ibv_qp_ex *ibqp, uint8_t opcode)
{
	struct smlx_qp *qp = to_sqp_ex(ibqp);
	struct smlx_send_wqe *wqe;

	qp->wr_cur = NULL;
	if (qp->wr_err)
		return NULL;
	if (!smlx_ring_free_slots(&qp->sq, qp->wr_producer)) {
		qp->wr_err = ENOMEM;
		return NULL;
	}
	wqe = smlx_ring_slot(&qp->sq, qp->wr_producer++);
	memset(wqe, 0, sizeof(*wqe));
	wqe->wr_id = ibqp->wr_id;
	wqe->opcode = opcode;
	wqe->flags = wqe_flags(qp, ibqp->wr_flags);
	qp->wr_cur = wqe;
	return wqe;
}

/* The WQE a setter applies to, or NULL (recording EINVAL if none). */
static struct smlx_send_wqe *wr_current(struct smlx_qp *qp)
{
	if (!qp->wr_cur && !qp->wr_err)
		qp->wr_err = EINVAL;
	return qp->wr_cur;
}

static void smlx_wr_start(struct ibv_qp_ex *ibqp)
{
	struct smlx_qp *qp = to_sqp_ex(ibqp);

	pthread_spin_lock(&qp->sq_lock);
	qp->wr_producer = qp->sq.own_index;
	qp->wr_cur = NULL;
	qp->wr_err = sq_accepts(qp) ? 0 : EINVAL;
}

static int smlx_wr_complete(struct ibv_qp_ex *ibqp)
{
	struct smlx_qp *qp = to_sqp_ex(ibqp);
	bool publish = !qp->wr_err && qp->wr_producer != qp->sq.own_index;
	int err = qp->wr_err;

	if (publish)
		smlx_ring_publish(&qp->sq, qp->wr_producer);
	qp->wr_cur = NULL;
	pthread_spin_unlock(&qp->sq_lock);

	if (publish) {
		err = sq_ring_doorbell(qp);
		if (err)
			verbs_err(verbs_get_ctx(ibqp->qp_base.context),
				  "QP %u: send doorbell failed: %s\n",
				  ibqp->qp_base.qp_num, strerror(err));
	}
	return err;
}

static void smlx_wr_abort(struct ibv_qp_ex *ibqp)
{
	struct smlx_qp *qp = to_sqp_ex(ibqp);

	/* Nothing was published: the slots we wrote are simply reused. */
	qp->wr_cur = NULL;
	pthread_spin_unlock(&qp->sq_lock);
}

static void smlx_wr_send(struct ibv_qp_ex *ibqp)
{
	wr_begin(ibqp, SMLX_WQE_SEND);
}

static void smlx_wr_send_imm(struct ibv_qp_ex *ibqp, __be32 imm_data)
{
	struct smlx_send_wqe *wqe = wr_begin(ibqp, SMLX_WQE_SEND_WITH_IMM);

	if (wqe)
		wqe->imm_data = imm_data;
}

static void smlx_wr_send_inv(struct ibv_qp_ex *ibqp, uint32_t invalidate_rkey)
{
	struct smlx_send_wqe *wqe = wr_begin(ibqp, SMLX_WQE_SEND_WITH_INV);

	if (wqe)
		wqe->imm_data = (__be32)invalidate_rkey;
}

static void smlx_wr_local_inv(struct ibv_qp_ex *ibqp, uint32_t invalidate_rkey)
{
	struct smlx_send_wqe *wqe = wr_begin(ibqp, SMLX_WQE_LOCAL_INV);

	if (wqe)
		wqe->imm_data = (__be32)invalidate_rkey;
}

static void smlx_wr_rdma_write(struct ibv_qp_ex *ibqp, uint32_t rkey,
			       uint64_t remote_addr)
{
	struct smlx_send_wqe *wqe = wr_begin(ibqp, SMLX_WQE_RDMA_WRITE);

	if (wqe) {
		wqe->u.rdma.remote_addr = remote_addr;
		wqe->u.rdma.rkey = rkey;
	}
}

static void smlx_wr_rdma_write_imm(struct ibv_qp_ex *ibqp, uint32_t rkey,
				   uint64_t remote_addr, __be32 imm_data)
{
	struct smlx_send_wqe *wqe =
		wr_begin(ibqp, SMLX_WQE_RDMA_WRITE_WITH_IMM);

	if (wqe) {
		wqe->u.rdma.remote_addr = remote_addr;
		wqe->u.rdma.rkey = rkey;
		wqe->imm_data = imm_data;
	}
}

static void smlx_wr_rdma_read(struct ibv_qp_ex *ibqp, uint32_t rkey,
			      uint64_t remote_addr)
{
	struct smlx_send_wqe *wqe = wr_begin(ibqp, SMLX_WQE_RDMA_READ);

	if (wqe) {
		wqe->u.rdma.remote_addr = remote_addr;
		wqe->u.rdma.rkey = rkey;
	}
}

static void smlx_wr_atomic_cmp_swp(struct ibv_qp_ex *ibqp, uint32_t rkey,
				   uint64_t remote_addr, uint64_t compare,
				   uint64_t swap)
{
	struct smlx_send_wqe *wqe = wr_begin(ibqp, SMLX_WQE_ATOMIC_CMP_AND_SWP);

	if (wqe) {
		wqe->u.atomic.remote_addr = remote_addr;
		wqe->u.atomic.rkey = rkey;
		wqe->u.atomic.compare_add = compare;
		wqe->u.atomic.swap = swap;
	}
}

static void smlx_wr_atomic_fetch_add(struct ibv_qp_ex *ibqp, uint32_t rkey,
				     uint64_t remote_addr, uint64_t add)
{
	struct smlx_send_wqe *wqe =
		wr_begin(ibqp, SMLX_WQE_ATOMIC_FETCH_AND_ADD);

	if (wqe) {
		wqe->u.atomic.remote_addr = remote_addr;
		wqe->u.atomic.rkey = rkey;
		wqe->u.atomic.compare_add = add;
	}
}

static void smlx_wr_set_sge_list(struct ibv_qp_ex *ibqp, size_t num_sge,
				 const struct ibv_sge *sg_list)
{
	struct smlx_qp *qp = to_sqp_ex(ibqp);
	struct smlx_send_wqe *wqe = wr_current(qp);

	if (!wqe)
		return;
	if (wqe->opcode == SMLX_WQE_LOCAL_INV ||
	    (opcode_is_atomic(wqe->opcode) && num_sge != 1) ||
	    num_sge > qp->max_send_sge) {
		qp->wr_err = EINVAL;
		return;
	}
	wqe->flags &= ~SMLX_WQE_INLINE;
	wqe->inline_len = 0;
	wqe_copy_sges(wqe, sg_list, num_sge);
}

static void smlx_wr_set_sge(struct ibv_qp_ex *ibqp, uint32_t lkey,
			    uint64_t addr, uint32_t length)
{
	struct ibv_sge sge = { .addr = addr, .length = length, .lkey = lkey };

	smlx_wr_set_sge_list(ibqp, 1, &sge);
}

static void smlx_wr_set_inline_data_list(struct ibv_qp_ex *ibqp,
					 size_t num_buf,
					 const struct ibv_data_buf *buf_list)
{
	struct smlx_qp *qp = to_sqp_ex(ibqp);
	struct smlx_send_wqe *wqe = wr_current(qp);
	int err;

	if (!wqe)
		return;
	if (!opcode_takes_inline(wqe->opcode)) {
		qp->wr_err = EINVAL;
		return;
	}
	err = wqe_copy_inline(qp, wqe, buf_list, num_buf);
	if (err)
		qp->wr_err = err;
}

static void smlx_wr_set_inline_data(struct ibv_qp_ex *ibqp, void *addr,
				    size_t length)
{
	struct ibv_data_buf buf = { .addr = addr, .length = length };

	smlx_wr_set_inline_data_list(ibqp, 1, &buf);
}

static void smlx_wr_set_ud_addr(struct ibv_qp_ex *ibqp, struct ibv_ah *ah,
				uint32_t remote_qpn, uint32_t remote_qkey)
{
	struct smlx_qp *qp = to_sqp_ex(ibqp);
	struct smlx_send_wqe *wqe = wr_current(qp);

	if (!wqe)
		return;
	if (!ah) {
		qp->wr_err = EINVAL;
		return;
	}
	wqe->u.ud.ah_num = to_sah(ah)->ah_num;
	wqe->u.ud.remote_qpn = remote_qpn;
	wqe->u.ud.remote_qkey = remote_qkey;
}

static void smlx_wr_set_xrc_srqn(struct ibv_qp_ex *ibqp, uint32_t remote_srqn)
{
	struct smlx_send_wqe *wqe = wr_current(to_sqp_ex(ibqp));

	if (wqe)
		wqe->xrc_remote_srqn = remote_srqn;
}

/* Only the builders the QP was created for, as rdma-core's mlx5 does. */
static void qp_install_wr_ops(struct smlx_qp *qp, uint64_t ops)
{
	struct ibv_qp_ex *ex = &qp->vqp.qp_ex;
	enum ibv_qp_type type = qp->vqp.qp.qp_type;

	ex->wr_start = smlx_wr_start;
	ex->wr_complete = smlx_wr_complete;
	ex->wr_abort = smlx_wr_abort;
	ex->wr_set_sge = smlx_wr_set_sge;
	ex->wr_set_sge_list = smlx_wr_set_sge_list;
	ex->wr_set_inline_data = smlx_wr_set_inline_data;
	ex->wr_set_inline_data_list = smlx_wr_set_inline_data_list;
	if (type == IBV_QPT_UD)
		ex->wr_set_ud_addr = smlx_wr_set_ud_addr;
	if (type == IBV_QPT_XRC_SEND)
		ex->wr_set_xrc_srqn = smlx_wr_set_xrc_srqn;

	if (ops & IBV_QP_EX_WITH_SEND)
		ex->wr_send = smlx_wr_send;
	if (ops & IBV_QP_EX_WITH_SEND_WITH_IMM)
		ex->wr_send_imm = smlx_wr_send_imm;
	if (ops & IBV_QP_EX_WITH_SEND_WITH_INV)
		ex->wr_send_inv = smlx_wr_send_inv;
	if (ops & IBV_QP_EX_WITH_LOCAL_INV)
		ex->wr_local_inv = smlx_wr_local_inv;
	if (ops & IBV_QP_EX_WITH_RDMA_WRITE)
		ex->wr_rdma_write = smlx_wr_rdma_write;
	if (ops & IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM)
		ex->wr_rdma_write_imm = smlx_wr_rdma_write_imm;
	if (ops & IBV_QP_EX_WITH_RDMA_READ)
		ex->wr_rdma_read = smlx_wr_rdma_read;
	if (ops & IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP)
		ex->wr_atomic_cmp_swp = smlx_wr_atomic_cmp_swp;
	if (ops & IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD)
		ex->wr_atomic_fetch_add = smlx_wr_atomic_fetch_add;
}

/* Creation, state, destruction. */

static struct smlx_qp *qp_alloc(void)
{
	struct smlx_qp *qp = calloc(1, sizeof(*qp));

	if (!qp)
		return NULL;
	if (pthread_spin_init(&qp->sq_lock, PTHREAD_PROCESS_PRIVATE))
		goto err_free;
	if (pthread_spin_init(&qp->rq_lock, PTHREAD_PROCESS_PRIVATE))
		goto err_sq_lock;
	qp->state = IBV_QPS_RESET;
	return qp;

err_sq_lock:
	pthread_spin_destroy(&qp->sq_lock);
err_free:
	free(qp);
	return NULL;
}

static void qp_free(struct smlx_qp *qp)
{
	smlx_ring_unmap(&qp->sq);
	smlx_ring_unmap(&qp->rq);
	pthread_spin_destroy(&qp->rq_lock);
	pthread_spin_destroy(&qp->sq_lock);
	free(qp);
}

/*
 * The CQs and the SRQ the kernel ties to the QP, so the ones its reset
 * and destroy walk: an XRC target has none, and an XRC initiator only its
 * send CQ (it ignores recv_cq and srq, so what the application put there
 * may be destroyed already, or never have been a CQ).
 */
struct qp_queues {
	struct ibv_cq *cq[3];	/* send, receive, the SRQ's; distinct */
	unsigned int ncq;
	struct smlx_srq *srq;
};

static void qp_add_cq(struct qp_queues *q, struct ibv_cq *cq)
{
	unsigned int i;

	if (!cq)
		return;
	for (i = 0; i < q->ncq; i++)
		if (q->cq[i] == cq)
			return;
	q->cq[q->ncq++] = cq;
}

static void qp_queues_of(struct ibv_qp *ibqp, struct qp_queues *q)
{
	memset(q, 0, sizeof(*q));
	if (ibqp->qp_type == IBV_QPT_XRC_RECV)
		return;
	qp_add_cq(q, ibqp->send_cq);
	if (ibqp->qp_type == IBV_QPT_XRC_SEND)
		return;
	qp_add_cq(q, ibqp->recv_cq);
	if (ibqp->srq) {
		q->srq = to_ssrq(ibqp->srq);
		qp_add_cq(q, q->srq->vsrq.cq);
	}
}

/*
 * Keeps the QP's CQs and SRQ from being destroyed (EBUSY) until
 * qp_release_queues(): the kernel frees them from the QP as soon as it has
 * destroyed it, and qp_discard_cqes() still walks them after that.
 */
static void qp_hold_queues(struct ibv_qp *ibqp)
{
	struct qp_queues q;
	unsigned int i;

	qp_queues_of(ibqp, &q);
	for (i = 0; i < q.ncq; i++)
		__atomic_add_fetch(&to_scq(q.cq[i])->qp_users, 1,
				   __ATOMIC_RELAXED);
	if (q.srq)
		__atomic_add_fetch(&q.srq->qp_users, 1, __ATOMIC_RELAXED);
}

static void qp_release_queues(const struct qp_queues *q)
{
	unsigned int i;

	/* Release: our last walk of each is done before it may go. */
	for (i = 0; i < q->ncq; i++)
		__atomic_sub_fetch(&to_scq(q->cq[i])->qp_users, 1,
				   __ATOMIC_RELEASE);
	if (q->srq)
		__atomic_sub_fetch(&q->srq->qp_users, 1, __ATOMIC_RELEASE);
}

/* Drops the QP's unpolled CQEs from its CQs (see smlx_cq_discard_qp). */
static void qp_discard_cqes(struct ibv_qp *ibqp, const struct qp_queues *q)
{
	unsigned int i;

	for (i = 0; i < q->ncq; i++)
		smlx_cq_discard_qp(q->cq[i], ibqp->qp_num);
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * Maps the rings the kernel made for the QP and takes the capabilities
 * from what the kernel granted, bounded by what a slot can really hold.
 */
static int qp_map_rings(struct smlx_qp *qp, const struct smlx_create_qp_cmd_resp *resp)
{
	int fd = qp->vqp.qp.context->cmd_fd;
	int err;

	err = smlx_ring_map(&qp->sq, fd, &resp->drv.sq, SEND_WQE_HDR_BYTES);
	if (err)
		return err;
	err = smlx_ring_map(&qp->rq, fd, &resp->drv.rq, RECV_WQE_HDR_BYTES);
	if (err)
		return err;

	if (smlx_ring_present(&qp->sq)) {
		uint32_t room = qp->sq.stride - SEND_WQE_HDR_BYTES;

		qp->max_send_sge = min_u32(resp->ibv_resp.max_send_sge,
					   room / SMLX_SGE_BYTES);
		qp->max_inline_data = min_u32(resp->drv.max_inline_data, room);
		qp->sq.own_index =
			smlx_ring_load_acquire(&qp->sq.hdr->producer);
	}
	if (smlx_ring_present(&qp->rq)) {
		uint32_t room = qp->rq.stride - RECV_WQE_HDR_BYTES;

		qp->max_recv_sge = min_u32(resp->ibv_resp.max_recv_sge,
					   room / SMLX_SGE_BYTES);
		qp->rq.own_index =
			smlx_ring_load_acquire(&qp->rq.hdr->producer);
	}
	return 0;
}

static bool qp_needs_sq(enum ibv_qp_type type)
{
	return type != IBV_QPT_XRC_RECV;
}

static bool qp_needs_rq(const struct ibv_qp_init_attr_ex *attr)
{
	return !attr->srq && attr->qp_type != IBV_QPT_XRC_SEND &&
	       attr->qp_type != IBV_QPT_XRC_RECV;
}

struct ibv_qp *smlx_create_qp_ex(struct ibv_context *ibctx,
				 struct ibv_qp_init_attr_ex *attr)
{
	const uint32_t known_mask = IBV_QP_INIT_ATTR_PD |
				    IBV_QP_INIT_ATTR_XRCD |
				    IBV_QP_INIT_ATTR_CREATE_FLAGS |
				    IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
	struct smlx_create_qp_cmd_resp resp;
	struct ibv_qp_init_attr_ex cmd_attr;
	struct ibv_create_qp cmd;
	uint64_t send_ops = 0;
	struct smlx_qp *qp;
	int err;

	if (!check_comp_mask(attr->comp_mask, known_mask) ||
	    ((attr->comp_mask & IBV_QP_INIT_ATTR_CREATE_FLAGS) &&
	     attr->create_flags)) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	switch (attr->qp_type) {
	case IBV_QPT_RC:
	case IBV_QPT_UC:
	case IBV_QPT_UD:
	case IBV_QPT_XRC_SEND:
	case IBV_QPT_XRC_RECV:
		break;
	default:
		errno = EOPNOTSUPP;
		return NULL;
	}
	if (attr->comp_mask & IBV_QP_INIT_ATTR_SEND_OPS_FLAGS) {
		send_ops = attr->send_ops_flags;
		if (!send_ops ||
		    !check_comp_mask(send_ops, send_ops_of(attr->qp_type))) {
			errno = EOPNOTSUPP;
			return NULL;
		}
	}

	qp = qp_alloc();
	if (!qp) {
		errno = ENOMEM;
		return NULL;
	}
	qp->sq_sig_all = attr->sq_sig_all;

	/* No create flag is supported, so an empty set need not travel. */
	cmd_attr = *attr;
	cmd_attr.comp_mask &= ~IBV_QP_INIT_ATTR_CREATE_FLAGS;
	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	err = ibv_cmd_create_qp_ex(ibctx, &qp->vqp, &cmd_attr, &cmd,
				   sizeof(cmd), &resp.ibv_resp, sizeof(resp));
	if (err)
		goto err_free;

	err = qp_map_rings(qp, &resp);
	if (!err && (qp_needs_sq(attr->qp_type) != smlx_ring_present(&qp->sq) ||
		     qp_needs_rq(attr) != smlx_ring_present(&qp->rq)))
		err = EPROTO;
	if (err) {
		verbs_err(verbs_get_ctx(ibctx), "QP %u: cannot map rings: %s\n",
			  resp.ibv_resp.qpn, strerror(err));
		goto err_destroy;
	}

	attr->cap.max_send_wr = resp.ibv_resp.max_send_wr;
	attr->cap.max_recv_wr = resp.ibv_resp.max_recv_wr;
	attr->cap.max_send_sge = qp->max_send_sge;
	attr->cap.max_recv_sge = qp->max_recv_sge;
	attr->cap.max_inline_data = qp->max_inline_data;

	if (send_ops) {
		qp_install_wr_ops(qp, send_ops);
		qp->vqp.comp_mask |= VERBS_QP_EX;
	}
	qp_hold_queues(&qp->vqp.qp);
	return &qp->vqp.qp;

err_destroy:
	ibv_cmd_destroy_qp(&qp->vqp.qp);
err_free:
	qp_free(qp);
	errno = err;
	return NULL;
}

struct ibv_qp *smlx_create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *attr)
{
	struct ibv_qp_init_attr_ex attr_ex;
	struct ibv_qp *qp;

	memset(&attr_ex, 0, sizeof(attr_ex));
	attr_ex.qp_context = attr->qp_context;
	attr_ex.send_cq = attr->send_cq;
	attr_ex.recv_cq = attr->recv_cq;
	attr_ex.srq = attr->srq;
	attr_ex.cap = attr->cap;
	attr_ex.qp_type = attr->qp_type;
	attr_ex.sq_sig_all = attr->sq_sig_all;
	attr_ex.comp_mask = IBV_QP_INIT_ATTR_PD;
	attr_ex.pd = pd;

	qp = smlx_create_qp_ex(pd->context, &attr_ex);
	if (qp)
		attr->cap = attr_ex.cap;
	return qp;
}

struct ibv_qp *smlx_open_qp(struct ibv_context *ibctx,
			    struct ibv_qp_open_attr *attr)
{
	struct ib_uverbs_create_qp_resp resp;
	struct ibv_open_qp cmd;
	struct smlx_qp *qp;
	int err;

	qp = qp_alloc();
	if (!qp) {
		errno = ENOMEM;
		return NULL;
	}
	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	/* An opened XRC target QP has no rings in this process. */
	err = ibv_cmd_open_qp(ibctx, &qp->vqp, sizeof(qp->vqp), attr, &cmd,
			      sizeof(cmd), &resp, sizeof(resp));
	if (err) {
		qp_free(qp);
		errno = err;
		return NULL;
	}
	return &qp->vqp.qp;
}

int smlx_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
		   int attr_mask)
{
	struct smlx_qp *qp = to_sqp(ibqp);
	struct ibv_modify_qp cmd;
	int err;

	memset(&cmd, 0, sizeof(cmd));
	err = ibv_cmd_modify_qp(ibqp, attr, attr_mask, &cmd, sizeof(cmd));
	if (err)
		return err;
	if (attr_mask & IBV_QP_STATE) {
		qp_set_state(qp, attr->qp_state);
		/*
		 * Reset forgets all outstanding work (the kernel drops the
		 * WQEs it has not consumed); its completions go too.
		 */
		if (attr->qp_state == IBV_QPS_RESET) {
			struct qp_queues q;

			qp_queues_of(ibqp, &q);
			qp_discard_cqes(ibqp, &q);
		}
	}
	return 0;
}

int smlx_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
		  int attr_mask, struct ibv_qp_init_attr *init_attr)
{
	struct smlx_qp *qp = to_sqp(ibqp);
	struct ibv_query_qp cmd;
	int err;

	memset(&cmd, 0, sizeof(cmd));
	err = ibv_cmd_query_qp(ibqp, attr, attr_mask, init_attr, &cmd,
			       sizeof(cmd));
	if (err)
		return err;
	/* The kernel always reports the state; it may have moved to error. */
	qp_set_state(qp, attr->qp_state);
	if (smlx_ring_present(&qp->sq)) {
		attr->cap.max_send_sge = qp->max_send_sge;
		attr->cap.max_inline_data = qp->max_inline_data;
	}
	if (smlx_ring_present(&qp->rq))
		attr->cap.max_recv_sge = qp->max_recv_sge;
	init_attr->cap = attr->cap;
	return 0;
}

int smlx_destroy_qp(struct ibv_qp *ibqp)
{
	struct smlx_qp *qp = to_sqp(ibqp);
	struct qp_queues q;
	int err;

	err = ibv_cmd_destroy_qp(ibqp);
	if (err)
		return err;
	qp_queues_of(ibqp, &q);
	qp_discard_cqes(ibqp, &q);
	qp_release_queues(&q);
	qp_free(qp);
	return 0;
}
