/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Data-path helpers of the ODP test programs: buffers on fresh mappings
 * registered ODP or pinned, and a connected pair of QPs (RC, UC, UD, XRC;
 * optionally over an SRQ) in loopback on which a sends to b.
 *
 * Everything is static inline so each program stays one source file.
 */
#ifndef SMLX_ODP_PAIR_H
#define SMLX_ODP_PAIR_H

#include <fcntl.h>

#include "dp_test.h"
#include "odp_test.h"

#define DEPTH 16

struct obuf {
	char *addr;
	size_t len;
	struct ibv_mr *mr;
	int odp;
};

/* @b: [@addr, +@len), mapped by the caller, registered ODP or pinned. */
static inline void obuf_register(struct dp_dev *d, struct obuf *b,
				 void *addr, size_t len, int odp)
{
	b->addr = addr;
	b->len = len;
	b->odp = odp;
	b->mr = ibv_reg_mr(d->pd, addr, len,
			   DP_ALL_ACCESS | (odp ? IBV_ACCESS_ON_DEMAND : 0));
	if (!b->mr)
		dp_die("ibv_reg_mr");
}

/* A fresh mapping, registered ODP or pinned; @seed >= 0 fills it first. */
static inline void obuf_make(struct dp_dev *d, struct obuf *b, size_t len,
			     int odp, int seed)
{
	size_t rounded = (len + PAGE - 1) & ~(PAGE - 1);
	void *addr = odp_map(NULL, rounded, PROT_READ | PROT_WRITE, 0);

	madvise(addr, rounded, MADV_NOHUGEPAGE);
	if (seed >= 0)
		odp_fill(addr, rounded, seed);
	else if (!odp)
		memset(addr, 0, rounded);
	obuf_register(d, b, addr, rounded, odp);
}

/* The device faulted on an ODP buffer, and the counters say so. */
static inline void obuf_check_faulted(struct obuf *b, const char *what)
{
	struct odp_mr_info i;

	if (!b->odp)
		return;
	if (odp_mr_query(b->mr->lkey, &i)) {
		CHECK(0, "%s: MR not listed by rdma", what);
		return;
	}
	CHECK(i.page_faults > 0 && i.page_faults_handled > 0,
	      "%s: page_faults %ld handled %ld", what, i.page_faults,
	      i.page_faults_handled);
}

static inline void obuf_free(struct obuf *b)
{
	CHECK(!ibv_dereg_mr(b->mr), "dereg");
	munmap(b->addr, b->len);
}

struct pair {
	struct ibv_cq *cqa, *cqb;
	struct ibv_qp *a, *b;
	struct ibv_srq *srq;
	struct ibv_ah *ah;
	struct ibv_xrcd *xrcd;
	uint32_t srqn;
};

static inline const char *type_name(enum ibv_qp_type type)
{
	switch (type) {
	case IBV_QPT_RC: return "RC";
	case IBV_QPT_UC: return "UC";
	case IBV_QPT_UD: return "UD";
	case IBV_QPT_XRC_SEND: return "XRC";
	default: return "?";
	}
}

/* XRC_SEND -> XRC_RECV with an XRC SRQ, the way datapath_ops builds it. */
static inline void pair_make_xrc(struct dp_dev *d, struct pair *p)
{
	struct ibv_xrcd_init_attr xa = {
		.comp_mask = IBV_XRCD_INIT_ATTR_FD | IBV_XRCD_INIT_ATTR_OFLAGS,
		.fd = -1,
		.oflags = O_CREAT,
	};
	struct ibv_srq_init_attr_ex sa = {
		.attr = { .max_wr = DEPTH, .max_sge = 1 },
		.comp_mask = IBV_SRQ_INIT_ATTR_TYPE | IBV_SRQ_INIT_ATTR_PD |
			     IBV_SRQ_INIT_ATTR_XRCD | IBV_SRQ_INIT_ATTR_CQ,
		.srq_type = IBV_SRQT_XRC,
		.pd = d->pd,
		.cq = p->cqb,
	};
	struct ibv_qp_init_attr_ex ra = {
		.qp_type = IBV_QPT_XRC_RECV,
		.comp_mask = IBV_QP_INIT_ATTR_XRCD,
	};
	struct ibv_qp_init_attr_ex ta = {
		.send_cq = p->cqa, .recv_cq = p->cqa,
		.cap = { .max_send_wr = DEPTH, .max_send_sge = 1 },
		.qp_type = IBV_QPT_XRC_SEND,
		.comp_mask = IBV_QP_INIT_ATTR_PD,
		.pd = d->pd,
	};
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RTR,
				 .path_mtu = IBV_MTU_1024,
				 .max_dest_rd_atomic = 4,
				 .min_rnr_timer = 1 };

	p->xrcd = ibv_open_xrcd(d->ctx, &xa);
	if (!p->xrcd)
		dp_die("ibv_open_xrcd");
	sa.xrcd = p->xrcd;
	ra.xrcd = p->xrcd;
	p->srq = ibv_create_srq_ex(d->ctx, &sa);
	if (!p->srq || ibv_get_srq_num(p->srq, &p->srqn))
		dp_die("XRC SRQ");
	p->b = ibv_create_qp_ex(d->ctx, &ra);
	p->a = ibv_create_qp_ex(d->ctx, &ta);
	if (!p->a || !p->b)
		dp_die("XRC QPs");
	if (dp_to_init(p->a) || dp_to_init(p->b) ||
	    dp_to_rts(d, p->a, p->b->qp_num, NULL))
		dp_die("connect XRC_SEND");
	a.dest_qp_num = p->a->qp_num;
	dp_ah_attr(d, &a.ah_attr);
	if (ibv_modify_qp(p->b, &a, IBV_QP_STATE | IBV_QP_AV |
			  IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		dp_die("XRC_RECV to RTR");
}

/* @o: retry and RNR settings of the RC requester, NULL for dp_test's. */
static inline void pair_make_opts(struct dp_dev *d, struct pair *p,
				  enum ibv_qp_type type, int with_srq,
				  const struct dp_conn_opts *o)
{
	struct ibv_srq_init_attr sa = { .attr = { .max_wr = DEPTH,
						  .max_sge = 1 } };
	struct ibv_ah_attr ah;

	memset(p, 0, sizeof(*p));
	p->cqa = ibv_create_cq(d->ctx, 4 * DEPTH, NULL, NULL, 0);
	p->cqb = ibv_create_cq(d->ctx, 4 * DEPTH, NULL, NULL, 0);
	if (!p->cqa || !p->cqb)
		dp_die("ibv_create_cq");
	if (type == IBV_QPT_XRC_SEND) {
		pair_make_xrc(d, p);
		return;
	}
	if (with_srq) {
		p->srq = ibv_create_srq(d->pd, &sa);
		if (!p->srq)
			dp_die("ibv_create_srq");
	}
	p->a = dp_create_qp(d, type, p->cqa, p->cqa, NULL, DEPTH, 1, 0);
	p->b = dp_create_qp(d, type, p->cqb, p->cqb, p->srq, DEPTH, 1, 0);
	if (dp_to_init(p->a) || dp_to_init(p->b) ||
	    dp_to_rts(d, p->a, p->b->qp_num, o) ||
	    dp_to_rts(d, p->b, p->a->qp_num, NULL))
		dp_die("connecting the QP pair");
	if (type == IBV_QPT_UD) {
		dp_ah_attr(d, &ah);
		p->ah = ibv_create_ah(d->pd, &ah);
		if (!p->ah)
			dp_die("ibv_create_ah");
	}
}

static inline void pair_make(struct dp_dev *d, struct pair *p,
			     enum ibv_qp_type type, int with_srq)
{
	pair_make_opts(d, p, type, with_srq, NULL);
}

static inline void pair_destroy(struct pair *p)
{
	if (p->ah)
		CHECK(!ibv_destroy_ah(p->ah), "destroy ah");
	CHECK(!ibv_destroy_qp(p->a), "destroy qp a");
	CHECK(!ibv_destroy_qp(p->b), "destroy qp b");
	if (p->srq)
		CHECK(!ibv_destroy_srq(p->srq), "destroy srq");
	if (p->xrcd)
		CHECK(!ibv_close_xrcd(p->xrcd), "close xrcd");
	CHECK(!ibv_destroy_cq(p->cqa), "destroy cq a");
	CHECK(!ibv_destroy_cq(p->cqb), "destroy cq b");
}

static inline void post_recv(struct pair *p, struct obuf *b, size_t off,
			     uint32_t len)
{
	struct ibv_sge sge = { (uintptr_t)b->addr + off, len, b->mr->lkey };
	struct ibv_recv_wr wr = { .wr_id = 7, .sg_list = &sge, .num_sge = 1 };
	struct ibv_recv_wr *bad;
	int ret;

	ret = p->srq ? ibv_post_srq_recv(p->srq, &wr, &bad) :
		       ibv_post_recv(p->b, &wr, &bad);
	CHECK(!ret, "post_recv: %s", strerror(ret));
}

static inline void post_send(struct pair *p, struct ibv_send_wr *wr)
{
	struct ibv_send_wr *bad;
	int ret;

	wr->wr_id = 9;
	wr->send_flags |= IBV_SEND_SIGNALED;
	if (p->xrcd)
		wr->qp_type.xrc.remote_srqn = p->srqn;
	if (p->ah) {
		wr->wr.ud.ah = p->ah;
		wr->wr.ud.remote_qpn = p->b->qp_num;
		wr->wr.ud.remote_qkey = DP_QKEY;
	}
	ret = ibv_post_send(p->a, wr, &bad);
	CHECK(!ret, "post_send opcode %d: %s", wr->opcode, strerror(ret));
}

/* Waits up to DP_TIMEOUT_MS for @got to read as @want. */
static inline void wait_equal(const char *got, const char *want, size_t len)
{
	int64_t deadline = dp_now_ms() + DP_TIMEOUT_MS;

	while (memcmp(got, want, len) && dp_now_ms() < deadline)
		usleep(1000);
}

#endif
