// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Completion queues.  The kernel writes CQEs into a ring mapped into this
 * process; ibv_poll_cq and the ibv_cq_ex cursor read them and hand the
 * slots back by publishing our consumer index, all without a system call.
 * Only creation, resizing, arming and destruction talk to the kernel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smlx.h"
#include "queues.h"

struct smlx_create_cq_cmd_resp {
	struct ib_uverbs_create_cq_resp ibv_resp;
	struct smlx_create_cq_resp drv;
};

struct smlx_create_cq_ex_cmd_resp {
	struct ib_uverbs_ex_create_cq_resp ibv_resp;
	struct smlx_create_cq_resp drv;
};

struct smlx_resize_cq_cmd_resp {
	struct ib_uverbs_resize_cq_resp ibv_resp;
	struct smlx_resize_cq_resp drv;
};

/* What every CQE carries, so what an ibv_cq_ex may ask to read. */
#define SMLX_CQ_WC_FLAGS                                                       \
	(IBV_WC_STANDARD_FLAGS | IBV_WC_EX_WITH_COMPLETION_TIMESTAMP)

static inline void cq_lock(struct smlx_cq *cq)
{
	if (!cq->single_threaded)
		pthread_spin_lock(&cq->lock);
}

static inline void cq_unlock(struct smlx_cq *cq)
{
	if (!cq->single_threaded)
		pthread_spin_unlock(&cq->lock);
}

/*
 * How many CQEs are ready at our consumer index, or -1 if the kernel's
 * producer index is impossible (ahead by more than the ring holds).
 */
static inline int64_t cq_ready(struct smlx_cq *cq, uint32_t consumer)
{
	uint32_t ready = smlx_ring_load_acquire(&cq->ring.hdr->producer) -
			 consumer;

	if (ready > cq->ring.num_slots)
		return -1;
	return ready;
}

static inline const struct smlx_cqe *cq_slot(struct smlx_cq *cq,
					     uint32_t index)
{
	return smlx_ring_slot(&cq->ring, index);
}

static void cqe_to_wc(const struct smlx_cqe *cqe, struct ibv_wc *wc)
{
	wc->wr_id = cqe->wr_id;
	wc->status = cqe->status;
	wc->opcode = cqe->opcode;
	wc->vendor_err = cqe->vendor_err;
	wc->byte_len = cqe->byte_len;
	wc->imm_data = cqe->imm_data;
	wc->qp_num = cqe->qp_num;
	wc->src_qp = cqe->src_qp;
	wc->wc_flags = cqe->wc_flags;
	wc->pkey_index = cqe->pkey_index;
	wc->slid = cqe->slid;
	wc->sl = cqe->sl;
	wc->dlid_path_bits = cqe->dlid_path_bits;
}

int smlx_poll_cq(struct ibv_cq *ibcq, int num_entries, struct ibv_wc *wc)
{
	struct smlx_cq *cq = to_scq(ibcq);
	uint32_t consumer;
	int64_t ready;
	int n;

	if (num_entries <= 0)
		return 0;

	cq_lock(cq);
	consumer = cq->ring.own_index;
	ready = cq_ready(cq, consumer);
	if (ready < 0) {
		cq_unlock(cq);
		return -EIO;
	}
	for (n = 0; n < num_entries && n < ready; n++)
		cqe_to_wc(cq_slot(cq, consumer + n), &wc[n]);
	if (n) {
		cq->ring.own_index = consumer + n;
		smlx_ring_store_release(&cq->ring.hdr->consumer,
					cq->ring.own_index);
	}
	cq_unlock(cq);
	return n;
}

/* ibv_cq_ex cursor: start_poll / next_poll / end_poll and the readers. */

static inline void cq_ex_take(struct smlx_cq *cq)
{
	const struct smlx_cqe *cqe = cq_slot(cq, cq->poll_index);

	cq->cur_cqe = cqe;
	cq->poll_index++;
	cq->vcq.cq_ex.wr_id = cqe->wr_id;
	cq->vcq.cq_ex.status = cqe->status;
}

static int smlx_start_poll(struct ibv_cq_ex *ibcq, struct ibv_poll_cq_attr *attr)
{
	struct smlx_cq *cq = to_scq_ex(ibcq);
	int64_t ready;

	if (attr->comp_mask)
		return EINVAL;

	cq_lock(cq);
	cq->poll_index = cq->ring.own_index;
	ready = cq_ready(cq, cq->poll_index);
	if (ready <= 0) {
		cq_unlock(cq);
		return ready < 0 ? EIO : ENOENT;
	}
	cq_ex_take(cq);
	return 0;
}

static int smlx_next_poll(struct ibv_cq_ex *ibcq)
{
	struct smlx_cq *cq = to_scq_ex(ibcq);
	int64_t ready = cq_ready(cq, cq->poll_index);

	if (ready <= 0)
		return ready < 0 ? EIO : ENOENT;
	cq_ex_take(cq);
	return 0;
}

static void smlx_end_poll(struct ibv_cq_ex *ibcq)
{
	struct smlx_cq *cq = to_scq_ex(ibcq);

	if (cq->poll_index != cq->ring.own_index) {
		cq->ring.own_index = cq->poll_index;
		smlx_ring_store_release(&cq->ring.hdr->consumer,
					cq->ring.own_index);
	}
	cq->cur_cqe = NULL;
	cq_unlock(cq);
}

static enum ibv_wc_opcode smlx_read_opcode(struct ibv_cq_ex *ibcq)
{
	return to_scq_ex(ibcq)->cur_cqe->opcode;
}

static uint32_t smlx_read_vendor_err(struct ibv_cq_ex *ibcq)
{
	return to_scq_ex(ibcq)->cur_cqe->vendor_err;
}

static uint32_t smlx_read_byte_len(struct ibv_cq_ex *ibcq)
{
	return to_scq_ex(ibcq)->cur_cqe->byte_len;
}

static __be32 smlx_read_imm_data(struct ibv_cq_ex *ibcq)
{
	return to_scq_ex(ibcq)->cur_cqe->imm_data;
}

static uint32_t smlx_read_qp_num(struct ibv_cq_ex *ibcq)
{
	return to_scq_ex(ibcq)->cur_cqe->qp_num;
}

static uint32_t smlx_read_src_qp(struct ibv_cq_ex *ibcq)
{
	return to_scq_ex(ibcq)->cur_cqe->src_qp;
}

static unsigned int smlx_read_wc_flags(struct ibv_cq_ex *ibcq)
{
	return to_scq_ex(ibcq)->cur_cqe->wc_flags;
}

static uint32_t smlx_read_slid(struct ibv_cq_ex *ibcq)
{
	return to_scq_ex(ibcq)->cur_cqe->slid;
}

static uint8_t smlx_read_sl(struct ibv_cq_ex *ibcq)
{
	return to_scq_ex(ibcq)->cur_cqe->sl;
}

static uint8_t smlx_read_dlid_path_bits(struct ibv_cq_ex *ibcq)
{
	return to_scq_ex(ibcq)->cur_cqe->dlid_path_bits;
}

static uint64_t smlx_read_completion_ts(struct ibv_cq_ex *ibcq)
{
	return to_scq_ex(ibcq)->cur_cqe->timestamp_ns;
}

static void cq_ex_install_ops(struct smlx_cq *cq)
{
	struct ibv_cq_ex *ex = &cq->vcq.cq_ex;

	ex->start_poll = smlx_start_poll;
	ex->next_poll = smlx_next_poll;
	ex->end_poll = smlx_end_poll;
	ex->read_opcode = smlx_read_opcode;
	ex->read_vendor_err = smlx_read_vendor_err;
	ex->read_wc_flags = smlx_read_wc_flags;
	if (cq->wc_flags & IBV_WC_EX_WITH_BYTE_LEN)
		ex->read_byte_len = smlx_read_byte_len;
	if (cq->wc_flags & IBV_WC_EX_WITH_IMM)
		ex->read_imm_data = smlx_read_imm_data;
	if (cq->wc_flags & IBV_WC_EX_WITH_QP_NUM)
		ex->read_qp_num = smlx_read_qp_num;
	if (cq->wc_flags & IBV_WC_EX_WITH_SRC_QP)
		ex->read_src_qp = smlx_read_src_qp;
	if (cq->wc_flags & IBV_WC_EX_WITH_SLID)
		ex->read_slid = smlx_read_slid;
	if (cq->wc_flags & IBV_WC_EX_WITH_SL)
		ex->read_sl = smlx_read_sl;
	if (cq->wc_flags & IBV_WC_EX_WITH_DLID_PATH_BITS)
		ex->read_dlid_path_bits = smlx_read_dlid_path_bits;
	if (cq->wc_flags & IBV_WC_EX_WITH_COMPLETION_TIMESTAMP)
		ex->read_completion_ts = smlx_read_completion_ts;
}

static struct smlx_cq *cq_alloc(void)
{
	struct smlx_cq *cq = calloc(1, sizeof(*cq));

	if (!cq)
		return NULL;
	if (pthread_spin_init(&cq->lock, PTHREAD_PROCESS_PRIVATE)) {
		free(cq);
		return NULL;
	}
	return cq;
}

static void cq_free(struct smlx_cq *cq)
{
	pthread_spin_destroy(&cq->lock);
	free(cq);
}

/* The kernel created the CQ: map its ring, or undo the creation. */
static int cq_map_ring(struct smlx_cq *cq, const struct smlx_create_cq_resp *drv)
{
	struct ibv_context *ibctx = cq->vcq.cq.context;
	int err;

	err = smlx_ring_map(&cq->ring, ibctx->cmd_fd, &drv->ring,
			    sizeof(struct smlx_cqe));
	if (!err && !smlx_ring_present(&cq->ring))
		err = EPROTO;
	if (err) {
		verbs_err(verbs_get_ctx(ibctx), "cannot map CQ ring: %s\n",
			  strerror(err));
		ibv_cmd_destroy_cq(&cq->vcq.cq);
		return err;
	}
	cq->cqn = drv->cqn;
	cq->ring.own_index =
		smlx_ring_load_acquire(&cq->ring.hdr->consumer);
	return 0;
}

struct ibv_cq *smlx_create_cq(struct ibv_context *ibctx, int cqe,
			      struct ibv_comp_channel *channel, int comp_vector)
{
	struct smlx_create_cq_cmd_resp resp;
	struct ibv_create_cq cmd;
	struct smlx_cq *cq;
	int err;

	if (cqe <= 0) {
		errno = EINVAL;
		return NULL;
	}
	cq = cq_alloc();
	if (!cq) {
		errno = ENOMEM;
		return NULL;
	}
	cq->wc_flags = IBV_WC_STANDARD_FLAGS;

	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	err = ibv_cmd_create_cq(ibctx, cqe, channel, comp_vector, &cq->vcq.cq,
				&cmd, sizeof(cmd), &resp.ibv_resp, sizeof(resp));
	if (err)
		goto err_free;
	err = cq_map_ring(cq, &resp.drv);
	if (err)
		goto err_free;
	return &cq->vcq.cq;

err_free:
	cq_free(cq);
	errno = err;
	return NULL;
}

struct ibv_cq_ex *smlx_create_cq_ex(struct ibv_context *ibctx,
				    struct ibv_cq_init_attr_ex *attr)
{
	struct smlx_create_cq_ex_cmd_resp resp;
	struct ibv_create_cq_ex cmd;
	struct smlx_cq *cq;
	int err;

	if (!check_comp_mask(attr->comp_mask, IBV_CQ_INIT_ATTR_MASK_FLAGS) ||
	    !check_comp_mask(attr->wc_flags, SMLX_CQ_WC_FLAGS)) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	if ((attr->comp_mask & IBV_CQ_INIT_ATTR_MASK_FLAGS) &&
	    !check_comp_mask(attr->flags, IBV_CREATE_CQ_ATTR_SINGLE_THREADED)) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	if (!attr->cqe || attr->cqe > INT32_MAX) {
		errno = EINVAL;
		return NULL;
	}

	cq = cq_alloc();
	if (!cq) {
		errno = ENOMEM;
		return NULL;
	}
	cq->wc_flags = attr->wc_flags;
	cq->single_threaded =
		(attr->comp_mask & IBV_CQ_INIT_ATTR_MASK_FLAGS) &&
		(attr->flags & IBV_CREATE_CQ_ATTR_SINGLE_THREADED);

	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	/*
	 * Every CQE carries its timestamp, so the kernel need not be told
	 * which CQs want one.
	 */
	err = ibv_cmd_create_cq_ex(ibctx, attr, &cq->vcq, &cmd, sizeof(cmd),
				   &resp.ibv_resp, sizeof(resp),
				   CREATE_CQ_CMD_FLAGS_TS_IGNORED_EX);
	if (err)
		goto err_free;
	err = cq_map_ring(cq, &resp.drv);
	if (err)
		goto err_free;
	/* libibverbs' wrapper may do it too; completion events need it done. */
	verbs_init_cq(&cq->vcq.cq, ibctx, attr->channel, attr->cq_context);
	cq_ex_install_ops(cq);
	return &cq->vcq.cq_ex;

err_free:
	cq_free(cq);
	errno = err;
	return NULL;
}

int smlx_destroy_cq(struct ibv_cq *ibcq)
{
	struct smlx_cq *cq = to_scq(ibcq);
	int err;

	err = ibv_cmd_destroy_cq(ibcq);
	if (err)
		return err;
	smlx_ring_unmap(&cq->ring);
	cq_free(cq);
	return 0;
}

/*
 * The kernel moves the CQEs we have not consumed into the new ring and
 * sets its consumer index to where we continue.  Holding the lock keeps
 * pollers off both rings meanwhile; the consumer index we published on the
 * old ring tells the kernel which CQEs are gone.
 */
int smlx_resize_cq(struct ibv_cq *ibcq, int cqe)
{
	struct smlx_cq *cq = to_scq(ibcq);
	struct smlx_resize_cq_cmd_resp resp;
	struct smlx_mapped_ring new_ring;
	struct ibv_resize_cq cmd;
	int err;

	if (cqe <= 0)
		return EINVAL;

	cq_lock(cq);
	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	err = ibv_cmd_resize_cq(ibcq, cqe, &cmd, sizeof(cmd), &resp.ibv_resp,
				sizeof(resp));
	if (err)
		goto out;

	err = smlx_ring_map(&new_ring, ibcq->context->cmd_fd, &resp.drv.ring,
			    sizeof(struct smlx_cqe));
	if (!err && !smlx_ring_present(&new_ring))
		err = EPROTO;
	if (err) {
		/*
		 * The kernel now completes into a ring we cannot see; keeping
		 * the old mapping at least keeps pollers on valid memory.
		 */
		verbs_err(verbs_get_ctx(ibcq->context),
			  "cannot map resized CQ ring: %s\n", strerror(err));
		goto out;
	}
	smlx_ring_unmap(&cq->ring);
	cq->ring = new_ring;
	cq->ring.own_index = smlx_ring_load_acquire(&cq->ring.hdr->consumer);
out:
	cq_unlock(cq);
	return err;
}

int smlx_req_notify_cq(struct ibv_cq *ibcq, int solicited_only)
{
	return ibv_cmd_req_notify_cq(ibcq, solicited_only);
}

void smlx_cq_discard_qp(struct ibv_cq *ibcq, uint32_t qpn)
{
	struct smlx_cq *cq;
	uint32_t consumer, dropped = 0, i;
	int64_t ready;

	if (!ibcq)
		return;
	cq = to_scq(ibcq);
	if (!smlx_ring_present(&cq->ring))
		return;

	cq_lock(cq);
	consumer = cq->ring.own_index;
	ready = cq_ready(cq, consumer);
	/*
	 * Walk from the newest CQE back and slide the ones we keep towards
	 * the producer end, so they stay in order and the dropped ones end up
	 * just past our consumer index, where we skip them.  The kernel only
	 * writes past the producer index we read, so these slots are ours.
	 */
	for (i = (uint32_t)(ready > 0 ? ready : 0); i-- > 0;) {
		const struct smlx_cqe *cqe = cq_slot(cq, consumer + i);

		if (cqe->qp_num == qpn)
			dropped++;
		else if (dropped)
			memcpy(smlx_ring_slot(&cq->ring, consumer + i + dropped),
			       cqe, sizeof(*cqe));
	}
	if (dropped) {
		cq->ring.own_index = consumer + dropped;
		smlx_ring_store_release(&cq->ring.hdr->consumer,
					cq->ring.own_index);
	}
	cq_unlock(cq);
}
