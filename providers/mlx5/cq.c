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

/*
 * Hands every CQE before @consumer back to the kernel.  Only this process
 * writes the CQ's consumer index, always through here and under the lock;
 * callers skip it when nothing was consumed, so an idle poll stores nothing.
 */
static inline void cq_consume_to(struct smlx_cq *cq, uint32_t consumer)
{
	cq->ring.own_index = consumer;
	smlx_ring_store_release(&cq->ring.hdr->consumer, consumer);
}

/*
 * The CQE fields both poll paths report: ibv_poll_cq copies them into
 * struct ibv_wc, an ibv_cq_ex reads them one at a time through
 * read_<field>.  Each entry is the field, what its reader returns and the
 * IBV_WC_EX_WITH_* flag a CQ must ask for to get the reader (0: always).
 */
#define SMLX_CQE_WC_FIELDS(X)                                                  \
	X(opcode, enum ibv_wc_opcode, 0)                                       \
	X(vendor_err, uint32_t, 0)                                             \
	X(wc_flags, unsigned int, 0)                                           \
	X(byte_len, uint32_t, IBV_WC_EX_WITH_BYTE_LEN)                         \
	X(imm_data, __be32, IBV_WC_EX_WITH_IMM)                                \
	X(qp_num, uint32_t, IBV_WC_EX_WITH_QP_NUM)                             \
	X(src_qp, uint32_t, IBV_WC_EX_WITH_SRC_QP)                             \
	X(slid, uint32_t, IBV_WC_EX_WITH_SLID)                                 \
	X(sl, uint8_t, IBV_WC_EX_WITH_SL)                                      \
	X(dlid_path_bits, uint8_t, IBV_WC_EX_WITH_DLID_PATH_BITS)

static inline void cqe_to_wc(const struct smlx_cqe *cqe, struct ibv_wc *wc)
{
	/*
	 * Not in the table: an ibv_cq_ex has wr_id and status in its cursor
	 * and no pkey_index reader.
	 */
	wc->wr_id = cqe->wr_id;
	wc->status = cqe->status;
	wc->pkey_index = cqe->pkey_index;
#define SMLX_CQE_COPY(field, type, flag) wc->field = cqe->field;
	SMLX_CQE_WC_FIELDS(SMLX_CQE_COPY)
#undef SMLX_CQE_COPY
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
	if (n)
		cq_consume_to(cq, consumer + n);
	cq_unlock(cq);
	return n;
}

/*
 * ibv_cq_ex cursor: start_poll / next_poll / end_poll and the readers.
 * start_poll locks the CQ and end_poll unlocks it, so the cursor's CQEs
 * are consumed in one publish at the end.
 */

/* Moves the cursor onto the next CQE: 0, ENOENT (none yet) or EIO. */
static inline int cq_ex_advance(struct smlx_cq *cq)
{
	int64_t ready = cq_ready(cq, cq->poll_index);
	const struct smlx_cqe *cqe;

	if (ready <= 0)
		return ready < 0 ? EIO : ENOENT;
	cqe = cq_slot(cq, cq->poll_index);
	cq->cur_cqe = cqe;
	cq->poll_index++;
	cq->vcq.cq_ex.wr_id = cqe->wr_id;
	cq->vcq.cq_ex.status = cqe->status;
	return 0;
}

static int smlx_start_poll(struct ibv_cq_ex *ibcq, struct ibv_poll_cq_attr *attr)
{
	struct smlx_cq *cq = to_scq_ex(ibcq);
	int err;

	if (attr->comp_mask)
		return EINVAL;

	cq_lock(cq);
	cq->poll_index = cq->ring.own_index;
	err = cq_ex_advance(cq);
	if (err)
		cq_unlock(cq);
	return err;
}

static int smlx_next_poll(struct ibv_cq_ex *ibcq)
{
	return cq_ex_advance(to_scq_ex(ibcq));
}

static void smlx_end_poll(struct ibv_cq_ex *ibcq)
{
	struct smlx_cq *cq = to_scq_ex(ibcq);

	if (cq->poll_index != cq->ring.own_index)
		cq_consume_to(cq, cq->poll_index);
	cq->cur_cqe = NULL;
	cq_unlock(cq);
}

#define SMLX_CQE_READER(field, type, flag)                                     \
	static type smlx_read_##field(struct ibv_cq_ex *ibcq)                  \
	{                                                                      \
		return to_scq_ex(ibcq)->cur_cqe->field;                        \
	}
SMLX_CQE_WC_FIELDS(SMLX_CQE_READER)
#undef SMLX_CQE_READER

static uint64_t smlx_read_completion_ts(struct ibv_cq_ex *ibcq)
{
	return to_scq_ex(ibcq)->cur_cqe->timestamp_ns;
}

/* Installs the readers the CQ was created to offer, as libibverbs expects. */
static void cq_ex_install_ops(struct smlx_cq *cq)
{
	struct ibv_cq_ex *ex = &cq->vcq.cq_ex;

	ex->start_poll = smlx_start_poll;
	ex->next_poll = smlx_next_poll;
	ex->end_poll = smlx_end_poll;
#define SMLX_CQE_INSTALL(field, type, flag)                                    \
	if (!(flag) || (cq->wc_flags & (flag)))                                \
		ex->read_##field = smlx_read_##field;
	SMLX_CQE_WC_FIELDS(SMLX_CQE_INSTALL)
#undef SMLX_CQE_INSTALL
	if (cq->wc_flags & IBV_WC_EX_WITH_COMPLETION_TIMESTAMP)
		ex->read_completion_ts = smlx_read_completion_ts;
}

/* A CQ not yet created in the kernel, or NULL with errno ENOMEM. */
static struct smlx_cq *cq_alloc(uint64_t wc_flags)
{
	struct smlx_cq *cq = calloc(1, sizeof(*cq));

	if (!cq)
		goto err;
	if (pthread_spin_init(&cq->lock, PTHREAD_PROCESS_PRIVATE)) {
		free(cq);
		goto err;
	}
	cq->wc_flags = wc_flags;
	return cq;
err:
	errno = ENOMEM;
	return NULL;
}

static void cq_free(struct smlx_cq *cq)
{
	pthread_spin_destroy(&cq->lock);
	free(cq);
}

/* Creating @cq failed with @err: free it and fail the call. */
static void *cq_abandon(struct smlx_cq *cq, int err)
{
	cq_free(cq);
	errno = err;
	return NULL;
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
	cq = cq_alloc(IBV_WC_STANDARD_FLAGS);
	if (!cq)
		return NULL;

	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	err = ibv_cmd_create_cq(ibctx, cqe, channel, comp_vector, &cq->vcq.cq,
				&cmd, sizeof(cmd), &resp.ibv_resp, sizeof(resp));
	if (!err)
		err = cq_map_ring(cq, &resp.drv);
	if (err)
		return cq_abandon(cq, err);
	return &cq->vcq.cq;
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

	cq = cq_alloc(attr->wc_flags);
	if (!cq)
		return NULL;
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
	if (!err)
		err = cq_map_ring(cq, &resp.drv);
	if (err)
		return cq_abandon(cq, err);
	/*
	 * No verbs_init_cq() here: libibverbs' ibv_create_cq_ex() does it,
	 * and a second one took a second reference on the channel.
	 */
	cq_ex_install_ops(cq);
	return &cq->vcq.cq_ex;
}

int smlx_destroy_cq(struct ibv_cq *ibcq)
{
	struct smlx_cq *cq = to_scq(ibcq);
	int err;

	/* Still in use, as the kernel would say a moment earlier. */
	if (__atomic_load_n(&cq->qp_users, __ATOMIC_ACQUIRE))
		return EBUSY;
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
	if (dropped)
		cq_consume_to(cq, consumer + dropped);
	cq_unlock(cq);
}
