// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Shared receive queues, basic and XRC.  Receive WQEs go straight into
 * the ring the kernel shares with us; the responder takes them in order
 * when messages arrive, so posting needs no doorbell.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smlx.h"
#include "queues.h"

struct smlx_create_srq_cmd_resp {
	struct ib_uverbs_create_srq_resp ibv_resp;
	struct smlx_create_srq_resp drv;
};

/* An SRQ not yet created in the kernel, or NULL with errno ENOMEM. */
static struct smlx_srq *srq_alloc(void)
{
	struct smlx_srq *srq = calloc(1, sizeof(*srq));

	if (!srq)
		goto err;
	if (pthread_spin_init(&srq->lock, PTHREAD_PROCESS_PRIVATE)) {
		free(srq);
		goto err;
	}
	return srq;
err:
	errno = ENOMEM;
	return NULL;
}

static void srq_free(struct smlx_srq *srq)
{
	smlx_ring_unmap(&srq->ring);
	pthread_spin_destroy(&srq->lock);
	free(srq);
}

/* Creating @srq failed with @err: free it and fail the call. */
static void *srq_abandon(struct smlx_srq *srq, int err)
{
	srq_free(srq);
	errno = err;
	return NULL;
}

/*
 * The kernel created the SRQ: map its ring and report its real sizes, or
 * undo the creation.
 */
static int srq_map_ring(struct smlx_srq *srq,
			const struct smlx_create_srq_cmd_resp *resp,
			struct ibv_srq_attr *attr)
{
	struct ibv_context *ibctx = srq->vsrq.srq.context;
	uint32_t room;
	int err;

	err = smlx_ring_map(&srq->ring, ibctx->cmd_fd, &resp->drv.ring,
			    sizeof(struct smlx_recv_wqe));
	if (!err && !smlx_ring_present(&srq->ring))
		err = EPROTO;
	if (err) {
		verbs_err(verbs_get_ctx(ibctx), "cannot map SRQ ring: %s\n",
			  strerror(err));
		ibv_cmd_destroy_srq(&srq->vsrq.srq);
		return err;
	}
	room = srq->ring.stride - sizeof(struct smlx_recv_wqe);
	srq->max_sge = resp->ibv_resp.max_sge;
	if (srq->max_sge > room / SMLX_SGE_BYTES)
		srq->max_sge = room / SMLX_SGE_BYTES;
	srq->srqn = resp->drv.srqn;
	srq->vsrq.srq_num = resp->drv.srqn;
	srq->ring.own_index = smlx_ring_load_acquire(&srq->ring.hdr->producer);

	attr->max_wr = resp->ibv_resp.max_wr;
	attr->max_sge = srq->max_sge;
	return 0;
}

struct ibv_srq *smlx_create_srq(struct ibv_pd *pd,
				struct ibv_srq_init_attr *attr)
{
	struct smlx_create_srq_cmd_resp resp;
	struct ibv_create_srq cmd;
	struct smlx_srq *srq;
	int err;

	srq = srq_alloc();
	if (!srq)
		return NULL;
	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	err = ibv_cmd_create_srq(pd, &srq->vsrq.srq, attr, &cmd, sizeof(cmd),
				 &resp.ibv_resp, sizeof(resp));
	if (!err) {
		srq->vsrq.srq_type = IBV_SRQT_BASIC;
		err = srq_map_ring(srq, &resp, &attr->attr);
	}
	if (err)
		return srq_abandon(srq, err);
	return &srq->vsrq.srq;
}

struct ibv_srq *smlx_create_srq_ex(struct ibv_context *ibctx,
				   struct ibv_srq_init_attr_ex *attr)
{
	const uint32_t known_mask = IBV_SRQ_INIT_ATTR_TYPE |
				    IBV_SRQ_INIT_ATTR_PD |
				    IBV_SRQ_INIT_ATTR_XRCD |
				    IBV_SRQ_INIT_ATTR_CQ;
	struct smlx_create_srq_cmd_resp resp;
	struct ibv_create_xsrq cmd;
	enum ibv_srq_type type = IBV_SRQT_BASIC;
	struct smlx_srq *srq;
	int err;

	if (!check_comp_mask(attr->comp_mask, known_mask)) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	if (attr->comp_mask & IBV_SRQ_INIT_ATTR_TYPE)
		type = attr->srq_type;
	if (type != IBV_SRQT_BASIC && type != IBV_SRQT_XRC) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	if (type == IBV_SRQT_XRC &&
	    (!(attr->comp_mask & IBV_SRQ_INIT_ATTR_XRCD) || !attr->xrcd ||
	     !(attr->comp_mask & IBV_SRQ_INIT_ATTR_CQ) || !attr->cq)) {
		errno = EINVAL;
		return NULL;
	}
	if (!(attr->comp_mask & IBV_SRQ_INIT_ATTR_PD) || !attr->pd) {
		errno = EINVAL;
		return NULL;
	}

	srq = srq_alloc();
	if (!srq)
		return NULL;
	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	err = ibv_cmd_create_srq_ex(ibctx, &srq->vsrq, attr, &cmd, sizeof(cmd),
				    &resp.ibv_resp, sizeof(resp));
	if (!err)
		err = srq_map_ring(srq, &resp, &attr->attr);
	if (err)
		return srq_abandon(srq, err);
	return &srq->vsrq.srq;
}

int smlx_post_srq_recv(struct ibv_srq *ibsrq, struct ibv_recv_wr *wr,
		       struct ibv_recv_wr **bad_wr)
{
	struct smlx_srq *srq = to_ssrq(ibsrq);
	int err;

	pthread_spin_lock(&srq->lock);
	err = smlx_write_recv_chain(&srq->ring, &wr, srq->max_sge);
	pthread_spin_unlock(&srq->lock);
	if (err)
		*bad_wr = wr;
	return err;
}

int smlx_modify_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr,
		    int attr_mask)
{
	struct ibv_modify_srq cmd;

	/*
	 * Growing the SRQ would need a new ring, which the queue contract
	 * has no way to hand over; only the limit can change (as on mlx5).
	 */
	if (attr_mask & ~IBV_SRQ_LIMIT)
		return EINVAL;
	memset(&cmd, 0, sizeof(cmd));
	return ibv_cmd_modify_srq(ibsrq, attr, attr_mask, &cmd, sizeof(cmd));
}

int smlx_query_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr)
{
	struct smlx_srq *srq = to_ssrq(ibsrq);
	struct ibv_query_srq cmd;
	int err;

	memset(&cmd, 0, sizeof(cmd));
	err = ibv_cmd_query_srq(ibsrq, attr, &cmd, sizeof(cmd));
	if (err)
		return err;
	if (attr->max_sge > srq->max_sge)
		attr->max_sge = srq->max_sge;
	return 0;
}

int smlx_destroy_srq(struct ibv_srq *ibsrq)
{
	struct smlx_srq *srq = to_ssrq(ibsrq);
	int err;

	/* A QP's teardown reaches the SRQ's CQ through it (qp.c). */
	if (__atomic_load_n(&srq->qp_users, __ATOMIC_ACQUIRE))
		return EBUSY;
	err = ibv_cmd_destroy_srq(ibsrq);
	if (err)
		return err;
	srq_free(srq);
	return 0;
}

int smlx_get_srq_num(struct ibv_srq *ibsrq, uint32_t *srq_num)
{
	*srq_num = to_ssrq(ibsrq)->srqn;
	return 0;
}
