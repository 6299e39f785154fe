/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The provider's queue objects: completion queues (cq.c), queue pairs
 * (qp.c), shared receive queues (srq.c), address handles (ah.c) and XRC
 * domains (xrcd.c).  Their rings are shared with smlx.ko; posting and
 * polling never enter the kernel except for the send doorbell.
 */
#ifndef SMLX_PROVIDER_QUEUES_H
#define SMLX_PROVIDER_QUEUES_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <infiniband/driver.h>

#include "ring.h"

/* The ops cq.c, qp.c, srq.c, ah.c and xrcd.c install in each context. */
extern const struct verbs_context_ops smlx_queue_ops;

struct smlx_cq {
	struct verbs_cq vcq;
	struct smlx_mapped_ring ring;	/* own_index: our consumer index */
	pthread_spinlock_t lock;
	bool single_threaded;	/* IBV_CREATE_CQ_ATTR_SINGLE_THREADED */
	uint32_t cqn;
	uint64_t wc_flags;	/* what ibv_cq_ex readers were asked for */
	/* ibv_cq_ex polling: the CQE under the cursor and the next index. */
	const struct smlx_cqe *cur_cqe;
	uint32_t poll_index;
	/*
	 * QPs whose destroy or reset may still walk this CQ (atomic): the
	 * kernel lets the CQ go as soon as the QP is gone there, before
	 * ibv_destroy_qp() has dropped the QP's CQEs from our ring.
	 */
	unsigned int qp_users;
};

struct smlx_srq {
	struct verbs_srq vsrq;
	struct smlx_mapped_ring ring;	/* own_index: our producer index */
	pthread_spinlock_t lock;
	uint32_t srqn;
	uint32_t max_sge;
	unsigned int qp_users;	/* as smlx_cq's: its CQ is walked through it */
};

struct smlx_qp {
	struct verbs_qp vqp;
	struct smlx_mapped_ring sq;	/* absent on XRC targets, opened QPs */
	struct smlx_mapped_ring rq;	/* absent with an SRQ, XRC, opened QPs */
	pthread_spinlock_t sq_lock;
	pthread_spinlock_t rq_lock;
	enum ibv_qp_state state;	/* as last set through modify/query (atomic) */
	bool sq_sig_all;
	uint32_t max_send_sge;
	uint32_t max_recv_sge;
	uint32_t max_inline_data;
	/* ibv_wr_* batch between wr_start and wr_complete/wr_abort. */
	uint32_t wr_producer;		/* next slot to build */
	struct smlx_send_wqe *wr_cur;	/* WQE the setters fill */
	uint32_t wr_cur_sge_cap;	/* SGEs that fit in wr_cur's slot */
	int wr_err;			/* first error of the batch */
};

struct smlx_ah {
	struct ibv_ah ibv_ah;
	uint32_t ah_num;	/* what UD send WQEs carry */
};

struct smlx_xrcd {
	struct verbs_xrcd vxrcd;
};

static inline struct smlx_cq *to_scq(struct ibv_cq *ibcq)
{
	return container_of(ibcq, struct smlx_cq, vcq.cq);
}

static inline struct smlx_cq *to_scq_ex(struct ibv_cq_ex *ibcq)
{
	return container_of(ibcq, struct smlx_cq, vcq.cq_ex);
}

static inline struct smlx_qp *to_sqp(struct ibv_qp *ibqp)
{
	return container_of(ibqp, struct smlx_qp, vqp.qp);
}

static inline struct smlx_qp *to_sqp_ex(struct ibv_qp_ex *ibqp)
{
	return container_of(ibqp, struct smlx_qp, vqp.qp_ex);
}

static inline struct smlx_srq *to_ssrq(struct ibv_srq *ibsrq)
{
	return container_of(ibsrq, struct smlx_srq, vsrq.srq);
}

static inline struct smlx_ah *to_sah(struct ibv_ah *ibah)
{
	return container_of(ibah, struct smlx_ah, ibv_ah);
}

/* Bytes one SGE takes in a WQE. */
#define SMLX_SGE_BYTES ((uint32_t)sizeof(struct smlx_sge))

/* cq.c */
struct ibv_cq *smlx_create_cq(struct ibv_context *ibctx, int cqe,
			      struct ibv_comp_channel *channel,
			      int comp_vector);
struct ibv_cq_ex *smlx_create_cq_ex(struct ibv_context *ibctx,
				    struct ibv_cq_init_attr_ex *attr);
int smlx_destroy_cq(struct ibv_cq *ibcq);
int smlx_resize_cq(struct ibv_cq *ibcq, int cqe);
int smlx_req_notify_cq(struct ibv_cq *ibcq, int solicited_only);
int smlx_poll_cq(struct ibv_cq *ibcq, int num_entries, struct ibv_wc *wc);
/*
 * Drops the not yet polled CQEs of QP @qpn, so a destroyed or reset QP's
 * completions never surface (or get mistaken for a later QP's).
 */
void smlx_cq_discard_qp(struct ibv_cq *ibcq, uint32_t qpn);

/* qp.c */
struct ibv_qp *smlx_create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *attr);
struct ibv_qp *smlx_create_qp_ex(struct ibv_context *ibctx,
				 struct ibv_qp_init_attr_ex *attr);
struct ibv_qp *smlx_open_qp(struct ibv_context *ibctx,
			    struct ibv_qp_open_attr *attr);
int smlx_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
		   int attr_mask);
int smlx_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
		  int attr_mask, struct ibv_qp_init_attr *init_attr);
int smlx_destroy_qp(struct ibv_qp *ibqp);
int smlx_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
		   struct ibv_send_wr **bad_wr);
int smlx_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr,
		   struct ibv_recv_wr **bad_wr);
/*
 * Writes the receive WQEs of the chain *@wr into @ring from our producer
 * index on and publishes those it wrote; the caller holds the ring's lock.
 * Returns 0, or ENOMEM (ring full) / EINVAL (more than @max_sge SGEs) with
 * *@wr left at the WR that was not posted.  Shared by the RQ and SRQ paths.
 */
int smlx_write_recv_chain(struct smlx_mapped_ring *ring,
			  struct ibv_recv_wr **wr, uint32_t max_sge);

/* srq.c */
struct ibv_srq *smlx_create_srq(struct ibv_pd *pd,
				struct ibv_srq_init_attr *attr);
struct ibv_srq *smlx_create_srq_ex(struct ibv_context *ibctx,
				   struct ibv_srq_init_attr_ex *attr);
int smlx_modify_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr,
		    int attr_mask);
int smlx_query_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr);
int smlx_destroy_srq(struct ibv_srq *ibsrq);
int smlx_get_srq_num(struct ibv_srq *ibsrq, uint32_t *srq_num);
int smlx_post_srq_recv(struct ibv_srq *ibsrq, struct ibv_recv_wr *wr,
		       struct ibv_recv_wr **bad_wr);

/* ah.c */
struct ibv_ah *smlx_create_ah(struct ibv_pd *pd, struct ibv_ah_attr *attr);
int smlx_destroy_ah(struct ibv_ah *ibah);

/* xrcd.c */
struct ibv_xrcd *smlx_open_xrcd(struct ibv_context *ibctx,
				struct ibv_xrcd_init_attr *attr);
int smlx_close_xrcd(struct ibv_xrcd *ibxrcd);

#endif /* SMLX_PROVIDER_QUEUES_H */
