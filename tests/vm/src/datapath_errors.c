// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What goes wrong on the data path, and how it is reported: error
 * completions (bad lkey, bad rkey, receive too short, RNR retries
 * exhausted, transport retries exhausted on a peer in RESET), flushing of outstanding work when a QP enters the error
 * state, illegal QP state transitions and posting in the wrong state,
 * completion channel events (incl. solicited-only), CQ overrun reported as
 * an async event, CQ resize with completions pending, and the CQEs of a
 * destroyed QP.
 *
 * Devices named rxe* are the reference run with Debian's provider; the few
 * checks where providers may differ apply to ours only.
 */
#include <arpa/inet.h>

#include "dp_test.h"


struct pair {
	struct ibv_cq *cqa, *cqb;
	struct ibv_qp *a, *b;
	struct dp_buf buf_a, buf_b;
};

static void pair_make(struct dp_dev *d, struct pair *p, int cqe,
		      const struct dp_conn_opts *opts)
{
	memset(p, 0, sizeof(*p));
	p->cqa = ibv_create_cq(d->ctx, cqe, NULL, NULL, 0);
	p->cqb = ibv_create_cq(d->ctx, cqe, NULL, NULL, 0);
	if (!p->cqa || !p->cqb)
		dp_die("ibv_create_cq");
	p->a = dp_create_qp(d, IBV_QPT_RC, p->cqa, p->cqa, NULL, 32, 1, 0);
	p->b = dp_create_qp(d, IBV_QPT_RC, p->cqb, p->cqb, NULL, 32, 1, 0);
	if (dp_to_init(p->a) || dp_to_init(p->b) ||
	    dp_to_rts(d, p->a, p->b->qp_num, opts) ||
	    dp_to_rts(d, p->b, p->a->qp_num, opts))
		dp_die("connect");
	dp_buf_alloc(d, &p->buf_a, 65536, DP_ALL_ACCESS);
	dp_buf_alloc(d, &p->buf_b, 65536, DP_ALL_ACCESS);
}

static void pair_destroy(struct pair *p)
{
	CHECK(!ibv_destroy_qp(p->a) && !ibv_destroy_qp(p->b), "destroy qps");
	CHECK(!ibv_destroy_cq(p->cqa) && !ibv_destroy_cq(p->cqb), "destroy cqs");
	dp_buf_free(&p->buf_a);
	dp_buf_free(&p->buf_b);
}

static int post_send(struct ibv_qp *qp, uint64_t id, enum ibv_wr_opcode op,
		     struct ibv_sge *s, uint64_t raddr, uint32_t rkey,
		     unsigned int flags)
{
	struct ibv_send_wr wr = {
		.wr_id = id, .sg_list = s, .num_sge = s ? 1 : 0,
		.opcode = op, .send_flags = IBV_SEND_SIGNALED | flags,
	}, *bad = NULL;

	wr.wr.rdma.remote_addr = raddr;
	wr.wr.rdma.rkey = rkey;
	return ibv_post_send(qp, &wr, &bad);
}

/* @n RDMA writes of @s from a to @raddr with @rkey, wr_ids from @first. */
static void post_writes(struct ibv_qp *qp, uint64_t first, int n,
			struct ibv_sge *s, uint64_t raddr, uint32_t rkey)
{
	int i;

	for (i = 0; i < n; i++)
		CHECK(!post_send(qp, first + i, IBV_WR_RDMA_WRITE, s, raddr,
				 rkey, 0),
		      "post_send %d", i);
}

static int post_recv(struct ibv_qp *qp, uint64_t id, struct ibv_sge *s)
{
	struct ibv_recv_wr wr = { .wr_id = id, .sg_list = s,
				  .num_sge = s ? 1 : 0 }, *bad = NULL;

	return ibv_post_recv(qp, &wr, &bad);
}

/* An invalid key that is not one of ours: flip every index bit. */
static uint32_t bad_key(uint32_t key)
{
	return key ^ 0x7fffff00u;
}

static void test_bad_lkey_and_flush(struct dp_dev *d)
{
	struct ibv_sge s, r;
	struct pair p;

	SUBTEST("bad lkey -> LOC_PROT_ERR, then WR_FLUSH_ERR for the rest, both sides");
	pair_make(d, &p, 64, NULL);
	r = dp_sge(&p.buf_b, 0, 4096);
	CHECK(!post_recv(p.b, 1, &r), "post_recv");
	CHECK(!post_recv(p.b, 2, &r), "post_recv");
	s = dp_sge(&p.buf_a, 0, 100);
	s.lkey = bad_key(s.lkey);
	CHECK(!post_send(p.a, 10, IBV_WR_SEND, &s, 0, 0, 0), "post_send");
	dp_expect(p.cqa, 10, IBV_WC_LOC_PROT_ERR, -1, "send with bad lkey",
		  NULL);
	CHECK(dp_qp_state(p.a) == IBV_QPS_ERR, "requester state %d after error",
	      dp_qp_state(p.a));

	/* posting in ERR is allowed, and completes flushed */
	s = dp_sge(&p.buf_a, 0, 100);
	CHECK(!post_send(p.a, 11, IBV_WR_SEND, &s, 0, 0, 0),
	      "post_send in ERR state");
	CHECK(!post_send(p.a, 12, IBV_WR_RDMA_WRITE, &s,
			 (uintptr_t)p.buf_b.addr, p.buf_b.mr->rkey, 0),
	      "post_send in ERR state");
	dp_expect(p.cqa, 11, IBV_WC_WR_FLUSH_ERR, -1, "flushed send", NULL);
	dp_expect(p.cqa, 12, IBV_WC_WR_FLUSH_ERR, -1, "flushed write", NULL);

	/* the responder never saw a message: its receives flush on ERR */
	{
		struct ibv_qp_attr a = { .qp_state = IBV_QPS_ERR };

		CHECK(!ibv_modify_qp(p.b, &a, IBV_QP_STATE), "b to ERR");
	}
	dp_expect(p.cqb, 1, IBV_WC_WR_FLUSH_ERR, -1, "flushed recv 1", NULL);
	dp_expect(p.cqb, 2, IBV_WC_WR_FLUSH_ERR, -1, "flushed recv 2", NULL);
	CHECK(!post_recv(p.b, 3, &r), "post_recv in ERR state");
	if (!dp_reference)	/* rxe leaves it queued until the next flush */
		dp_expect(p.cqb, 3, IBV_WC_WR_FLUSH_ERR, -1,
			  "recv posted in ERR", NULL);
	CHECK(dp_cq_stays_empty(p.cqa, 20) && dp_cq_stays_empty(p.cqb, 20),
	      "stray completions");
	pair_destroy(&p);
}

enum rkey_fault { RKEY_INVALID, RKEY_NO_REMOTE_WRITE, RKEY_PAST_END };

/* On a fresh pair, a's 64-byte @op with @fault ends in REM_ACCESS_ERR. */
static void expect_rem_access_err(struct dp_dev *d, uint64_t id,
				  enum ibv_wr_opcode op, enum rkey_fault fault,
				  const char *what)
{
	struct dp_buf ro = { 0 };
	struct ibv_sge s;
	struct pair p;
	uint64_t raddr;
	uint32_t rkey;

	pair_make(d, &p, 64, NULL);
	raddr = (uintptr_t)p.buf_b.addr;
	rkey = p.buf_b.mr->rkey;
	switch (fault) {
	case RKEY_INVALID:
		rkey = bad_key(rkey);
		break;
	case RKEY_NO_REMOTE_WRITE:
		/* a valid rkey, but the region only allows remote reads */
		dp_buf_alloc(d, &ro, 4096, IBV_ACCESS_LOCAL_WRITE |
				   IBV_ACCESS_REMOTE_READ);
		raddr = (uintptr_t)ro.addr;
		rkey = ro.mr->rkey;
		break;
	case RKEY_PAST_END:
		raddr += p.buf_b.len - 32;
		break;
	}
	s = dp_sge(&p.buf_a, 0, 64);
	CHECK(!post_send(p.a, id, op, &s, raddr, rkey, 0), "post_send");
	dp_expect(p.cqa, id, IBV_WC_REM_ACCESS_ERR, -1, what, NULL);
	if (fault == RKEY_NO_REMOTE_WRITE)
		dp_buf_free(&ro);
	pair_destroy(&p);
}

static void test_bad_rkey(struct dp_dev *d)
{
	SUBTEST("bad rkey -> REM_ACCESS_ERR (write and read); rkey without remote write access");
	expect_rem_access_err(d, 1, IBV_WR_RDMA_WRITE, RKEY_INVALID,
			      "write with bad rkey");
	expect_rem_access_err(d, 2, IBV_WR_RDMA_READ, RKEY_INVALID,
			      "read with bad rkey");
	expect_rem_access_err(d, 3, IBV_WR_RDMA_WRITE, RKEY_NO_REMOTE_WRITE,
			      "write to a read-only region");
	expect_rem_access_err(d, 4, IBV_WR_RDMA_WRITE, RKEY_PAST_END,
			      "write past the end of the region");
}

static void test_short_recv(struct dp_dev *d)
{
	struct ibv_sge s, r;
	struct pair p;

	SUBTEST("send longer than the receive buffer -> REM_INV_REQ_ERR / LOC_LEN_ERR");
	pair_make(d, &p, 64, NULL);
	r = dp_sge(&p.buf_b, 0, 100);
	CHECK(!post_recv(p.b, 1, &r), "post_recv");
	s = dp_sge(&p.buf_a, 0, 200);
	CHECK(!post_send(p.a, 2, IBV_WR_SEND, &s, 0, 0, 0), "post_send");
	dp_expect(p.cqa, 2, IBV_WC_REM_INV_REQ_ERR, -1, "sender of too much",
		  NULL);
	dp_expect(p.cqb, 1, IBV_WC_LOC_LEN_ERR, -1, "receiver of too much",
		  NULL);
	pair_destroy(&p);
}

static void test_rnr(struct dp_dev *d)
{
	const struct dp_conn_opts no_rnr_retry = {
		.rnr_retry = 0, .retry_cnt = 7, .min_rnr_timer = 1,
		.timeout = 14,
	};
	const struct dp_conn_opts some_rnr_retry = {
		.rnr_retry = 6, .retry_cnt = 7, .min_rnr_timer = 1,
		.timeout = 14,
	};
	struct ibv_sge s, r;
	struct pair p;

	SUBTEST("RNR: no receive posted, rnr_retry 0 -> RNR_RETRY_EXC_ERR; late receive with retries -> success");
	pair_make(d, &p, 64, &no_rnr_retry);
	s = dp_sge(&p.buf_a, 0, 10);
	CHECK(!post_send(p.a, 1, IBV_WR_SEND, &s, 0, 0, 0), "post_send");
	dp_expect(p.cqa, 1, IBV_WC_RNR_RETRY_EXC_ERR, -1,
		  "send to a QP with no receive", NULL);
	pair_destroy(&p);

	pair_make(d, &p, 64, &some_rnr_retry);
	dp_fill(p.buf_a.addr, 10, 4);
	s = dp_sge(&p.buf_a, 0, 10);
	CHECK(!post_send(p.a, 2, IBV_WR_SEND, &s, 0, 0, 0), "post_send");
	dp_sleep_ms(2);	/* let at least one RNR NAK happen */
	r = dp_sge(&p.buf_b, 0, 64);
	CHECK(!post_recv(p.b, 3, &r), "post_recv");
	dp_expect(p.cqa, 2, IBV_WC_SUCCESS, IBV_WC_SEND, "send retried after RNR",
		  NULL);
	dp_expect(p.cqb, 3, IBV_WC_SUCCESS, IBV_WC_RECV, "late receive", NULL);
	CHECK(!memcmp(p.buf_a.addr, p.buf_b.addr, 10), "data after RNR retry");
	pair_destroy(&p);
}

/*
 * a's @len-byte WRITE to b, which went back to RESET: b drops every
 * packet, so a must run out of transport retries, however long the
 * message (1 MiB is more than a window of PSNs).
 */
static void expect_retry_exc(struct dp_dev *d, uint64_t id, size_t len,
			     const char *what)
{
	const struct dp_conn_opts few_retries = {
		.rnr_retry = 7, .retry_cnt = 2, .min_rnr_timer = 1,
		.timeout = 14,
	};
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RESET };
	struct dp_buf src, dst;
	struct ibv_sge s;
	struct pair p;

	pair_make(d, &p, 64, &few_retries);
	dp_buf_alloc(d, &src, len, DP_ALL_ACCESS);
	dp_buf_alloc(d, &dst, len, DP_ALL_ACCESS);
	CHECK(!ibv_modify_qp(p.b, &a, IBV_QP_STATE), "b to RESET");
	s = dp_sge(&src, 0, len);
	CHECK(!post_send(p.a, id, IBV_WR_RDMA_WRITE, &s, (uintptr_t)dst.addr,
			 dst.mr->rkey, 0), "post_send");
	dp_expect(p.cqa, id, IBV_WC_RETRY_EXC_ERR, -1, what, NULL);
	CHECK(dp_qp_state(p.a) == IBV_QPS_ERR, "%s: requester state %d", what,
	      dp_qp_state(p.a));
	dp_buf_free(&src);
	dp_buf_free(&dst);
	pair_destroy(&p);
}

static void test_peer_reset(struct dp_dev *d)
{
	SUBTEST("peer in RESET: RETRY_EXC_ERR for 64 B and 1 MiB");
	expect_retry_exc(d, 1, 64, "64 B write to a QP in RESET");
	expect_retry_exc(d, 2, 1 << 20, "1 MiB write to a QP in RESET");
}

static void test_sq_full(struct dp_dev *d)
{
	struct ibv_send_wr wrs[512], *bad;
	struct ibv_sge s, r;
	struct pair p;
	int i, n, ret, posted;

	SUBTEST("send queue full -> ENOMEM with bad_wr at the first refused WR; drains once receives come");
	pair_make(d, &p, 1024, NULL);	/* 32 send WRs, RNR retried forever */
	s = dp_sge(&p.buf_a, 0, 8);
	memset(wrs, 0, sizeof(wrs));
	for (i = 0; i < 512; i++) {
		wrs[i].wr_id = i;
		wrs[i].sg_list = &s;
		wrs[i].num_sge = 1;
		wrs[i].opcode = IBV_WR_SEND;
		wrs[i].send_flags = IBV_SEND_SIGNALED;
		wrs[i].next = i < 511 ? &wrs[i + 1] : NULL;
	}
	/* nothing can complete: the target has no receive, so RNR NAKs */
	bad = NULL;
	ret = ibv_post_send(p.a, wrs, &bad);
	CHECK_ERRNO(ret, ENOMEM, "posting 512 WRs on a 32-deep send queue");
	posted = bad ? (int)(bad - wrs) : 512;
	CHECK(bad && posted >= 32 && posted < 512,
	      "bad_wr at WR %d: the queue took a wrong number", posted);
	/* still full: one more is refused too */
	wrs[posted].next = NULL;
	bad = NULL;
	ret = ibv_post_send(p.a, &wrs[posted], &bad);
	CHECK_ERRNO(ret, ENOMEM, "posting to a full send queue");
	CHECK(bad == &wrs[posted], "bad_wr of the refused WR");

	r = dp_sge(&p.buf_b, 0, 64);
	for (i = 0; i < posted; i++)
		CHECK(!post_recv(p.b, 1000 + i, &r), "post_recv");
	for (i = 0, n = 0; i < posted; i++)
		n += !dp_expect(p.cqa, i, IBV_WC_SUCCESS, IBV_WC_SEND,
				"send after the queue drained", NULL);
	CHECK(n == posted, "%d of %d sends completed", n, posted);
	for (i = 0; i < posted; i++)
		dp_expect(p.cqb, 1000 + i, IBV_WC_SUCCESS, IBV_WC_RECV,
			  "receive", NULL);
	pair_destroy(&p);
}

static void test_state_machine(struct dp_dev *d)
{
	struct ibv_qp_attr a;
	struct dp_buf buf;
	struct ibv_sge s;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	int ret;

	SUBTEST("QP states: illegal transitions -> EINVAL, posting before RTS/INIT refused");
	cq = ibv_create_cq(d->ctx, 16, NULL, NULL, 0);
	if (!cq)
		dp_die("ibv_create_cq");
	qp = dp_create_qp(d, IBV_QPT_RC, cq, cq, NULL, 8, 1, 0);
	dp_buf_alloc(d, &buf, 4096, DP_ALL_ACCESS);
	s = dp_sge(&buf, 0, 8);
	CHECK(dp_qp_state(qp) == IBV_QPS_RESET, "new QP state %d",
	      dp_qp_state(qp));

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE);
	CHECK_ERRNO(ret, EINVAL, "RESET -> RTS");
	a.qp_state = IBV_QPS_RTR;
	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE);
	CHECK_ERRNO(ret, EINVAL, "RESET -> RTR");
	a.qp_state = IBV_QPS_SQD;
	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE);
	CHECK_ERRNO(ret, EINVAL, "RESET -> SQD");
	/* INIT without the attributes INIT requires */
	a.qp_state = IBV_QPS_INIT;
	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE);
	CHECK_ERRNO(ret, EINVAL, "RESET -> INIT without port/pkey/access");
	CHECK(dp_qp_state(qp) == IBV_QPS_RESET,
	      "state after refused changes %d", dp_qp_state(qp));

	ret = post_send(qp, 1, IBV_WR_SEND, &s, 0, 0, 0);
	if (!dp_reference)
		CHECK_ERRNO(ret, EINVAL, "post_send in RESET");
	ret = post_recv(qp, 2, &s);
	if (!dp_reference)
		CHECK_ERRNO(ret, EINVAL, "post_recv in RESET");

	CHECK(!dp_to_init(qp), "RESET -> INIT");
	CHECK(dp_qp_state(qp) == IBV_QPS_INIT, "state %d", dp_qp_state(qp));
	ret = post_send(qp, 3, IBV_WR_SEND, &s, 0, 0, 0);
	CHECK_ERRNO(ret, EINVAL, "post_send in INIT");
	CHECK(!post_recv(qp, 4, &s), "post_recv in INIT");

	a.qp_state = IBV_QPS_RTS;
	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE);
	CHECK_ERRNO(ret, EINVAL, "INIT -> RTS");
	/* RTR needs the path, the remote QPN, PSN, MTU... */
	a.qp_state = IBV_QPS_RTR;
	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE);
	CHECK_ERRNO(ret, EINVAL, "INIT -> RTR without its attributes");
	CHECK(dp_qp_state(qp) == IBV_QPS_INIT, "state %d", dp_qp_state(qp));

	/* back to RESET drops the posted receive without a completion */
	a.qp_state = IBV_QPS_RESET;
	CHECK(!ibv_modify_qp(qp, &a, IBV_QP_STATE), "INIT -> RESET");
	CHECK(dp_cq_stays_empty(cq, 50), "RESET produced a completion");
	CHECK(!dp_to_init(qp), "RESET -> INIT again");
	a.qp_state = IBV_QPS_ERR;
	CHECK(!ibv_modify_qp(qp, &a, IBV_QP_STATE), "INIT -> ERR");
	CHECK(dp_qp_state(qp) == IBV_QPS_ERR, "state %d", dp_qp_state(qp));
	a.qp_state = IBV_QPS_RTS;
	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE);
	CHECK_ERRNO(ret, EINVAL, "ERR -> RTS");

	CHECK(!ibv_destroy_qp(qp), "destroy qp");
	CHECK(!ibv_destroy_cq(cq), "destroy cq");
	dp_buf_free(&buf);
}

static int wait_cq_event(struct ibv_comp_channel *ch, struct ibv_cq *want,
			 int timeout_ms)
{
	struct ibv_cq *cq;
	void *ctx;

	if (!dp_fd_ready(ch->fd, timeout_ms))
		return 0;
	if (ibv_get_cq_event(ch, &cq, &ctx))
		return -1;
	ibv_ack_cq_events(cq, 1);
	return cq == want ? 1 : -1;
}

/*
 * Each CQ on a channel holds one reference, however it was made: UCX makes
 * its CQs with ibv_create_cq_ex and destroys the channel after them.
 */
static void test_comp_channel_refs(struct dp_dev *d,
				   struct ibv_comp_channel *ch)
{
	struct ibv_cq_init_attr_ex attr = {
		.cqe = 16, .channel = ch, .cq_context = (void *)0x5678,
		.wc_flags = IBV_WC_STANDARD_FLAGS,
	};
	int before = ch->refcnt;
	struct ibv_cq_ex *cq = ibv_create_cq_ex(d->ctx, &attr);

	CHECK(cq, "ibv_create_cq_ex on a channel: %s", strerror(errno));
	if (!cq)
		return;
	CHECK(ch->refcnt == before + 1,
	      "ibv_create_cq_ex: channel refcnt %d, want %d", ch->refcnt,
	      before + 1);
	CHECK(!ibv_destroy_cq(ibv_cq_ex_to_cq(cq)), "destroy cq_ex");
	CHECK(ch->refcnt == before, "destroy cq_ex: channel refcnt %d, want %d",
	      ch->refcnt, before);
}

static void test_comp_channel(struct dp_dev *d)
{
	struct ibv_comp_channel *ch;
	struct ibv_cq *cqa, *cqb;
	struct ibv_qp *a, *b;
	struct dp_buf buf;
	struct ibv_sge s, r;
	struct ibv_wc wc;
	int i, ret;

	SUBTEST("completion channel: armed CQ raises one event; solicited-only ignores others");
	ch = ibv_create_comp_channel(d->ctx);
	CHECK(ch, "ibv_create_comp_channel: %s", strerror(errno));
	if (!ch)
		return;
	cqa = ibv_create_cq(d->ctx, 32, NULL, NULL, 0);
	cqb = ibv_create_cq(d->ctx, 32, (void *)0x1234, ch, 0);
	if (!cqa || !cqb)
		dp_die("ibv_create_cq");
	CHECK(cqb->channel == ch && cqb->cq_context == (void *)0x1234,
	      "cq channel/context not recorded");
	a = dp_create_qp(d, IBV_QPT_RC, cqa, cqa, NULL, 16, 1, 0);
	b = dp_create_qp(d, IBV_QPT_RC, cqb, cqb, NULL, 16, 1, 0);
	if (dp_to_init(a) || dp_to_init(b) ||
	    dp_to_rts(d, a, b->qp_num, NULL) || dp_to_rts(d, b, a->qp_num, NULL))
		dp_die("connect");
	dp_buf_alloc(d, &buf, 4096, DP_ALL_ACCESS);
	s = dp_sge(&buf, 0, 16);
	r = dp_sge(&buf, 1024, 64);
	for (i = 0; i < 4; i++)
		CHECK(!post_recv(b, 100 + i, &r), "post_recv");

	/* not armed: a completion raises no event */
	CHECK(!post_send(a, 1, IBV_WR_SEND, &s, 0, 0, 0), "post_send");
	dp_expect(cqa, 1, IBV_WC_SUCCESS, IBV_WC_SEND, "send", NULL);
	dp_expect(cqb, 100, IBV_WC_SUCCESS, IBV_WC_RECV, "recv", NULL);
	CHECK(wait_cq_event(ch, cqb, 100) == 0, "event from an unarmed CQ");

	/* armed for any completion: exactly one event */
	CHECK(!ibv_req_notify_cq(cqb, 0), "ibv_req_notify_cq");
	CHECK(!post_send(a, 2, IBV_WR_SEND, &s, 0, 0, 0), "post_send");
	CHECK(!post_send(a, 3, IBV_WR_SEND, &s, 0, 0, 0), "post_send");
	ret = wait_cq_event(ch, cqb, DP_TIMEOUT_MS);
	CHECK(ret == 1, "armed CQ: event %d", ret);
	dp_expect(cqa, 2, IBV_WC_SUCCESS, IBV_WC_SEND, "send", NULL);
	dp_expect(cqa, 3, IBV_WC_SUCCESS, IBV_WC_SEND, "send", NULL);
	CHECK(dp_poll(cqb, &wc, 1, DP_TIMEOUT_MS) == 1 && wc.wr_id == 101,
	      "recv after event");
	CHECK(dp_poll(cqb, &wc, 1, DP_TIMEOUT_MS) == 1 && wc.wr_id == 102,
	      "recv after event");
	CHECK(wait_cq_event(ch, cqb, 100) == 0, "second event without re-arm");

	/* solicited only: the plain send is ignored, the solicited one wakes */
	CHECK(!ibv_req_notify_cq(cqb, 1), "ibv_req_notify_cq solicited");
	CHECK(!post_recv(b, 104, &r) && !post_recv(b, 105, &r), "post_recv");
	CHECK(!post_send(a, 4, IBV_WR_SEND, &s, 0, 0, 0), "post_send");
	dp_expect(cqa, 4, IBV_WC_SUCCESS, IBV_WC_SEND, "send", NULL);
	dp_expect(cqb, 103, IBV_WC_SUCCESS, IBV_WC_RECV, "unsolicited recv",
		  NULL);
	CHECK(wait_cq_event(ch, cqb, 100) == 0,
	      "solicited-only CQ woke for an unsolicited message");
	CHECK(!post_send(a, 5, IBV_WR_SEND, &s, 0, 0, IBV_SEND_SOLICITED),
	      "post_send solicited");
	ret = wait_cq_event(ch, cqb, DP_TIMEOUT_MS);
	CHECK(ret == 1, "solicited message: event %d", ret);
	dp_expect(cqa, 5, IBV_WC_SUCCESS, IBV_WC_SEND, "send", NULL);
	dp_expect(cqb, 104, IBV_WC_SUCCESS, IBV_WC_RECV, "solicited recv", NULL);

	CHECK(!ibv_destroy_qp(a) && !ibv_destroy_qp(b), "destroy qps");
	CHECK(!ibv_destroy_cq(cqa), "destroy cq");
	test_comp_channel_refs(d, ch);
	/* a CQ still on the channel: it must not go */
	errno = 0;
	ret = ibv_destroy_comp_channel(ch);
	CHECK(ret == EBUSY, "destroy channel with a CQ on it: %d, want EBUSY",
	      ret);
	/* rdma-core's returns EBUSY and leaves errno as it was */
	if (!dp_reference)
		CHECK(errno == EBUSY, "destroy channel: errno %d, want EBUSY",
		      errno);
	CHECK(!ibv_destroy_cq(cqb), "destroy cq");
	CHECK(ch->refcnt == 0, "channel refcnt %d after its CQs went",
	      ch->refcnt);
	CHECK(!ibv_destroy_comp_channel(ch), "destroy channel");
	dp_buf_free(&buf);
}

static void test_cq_overrun(struct dp_dev *d)
{
	struct ibv_async_event ev;
	struct ibv_cq *small, *cqb;
	struct ibv_qp *a, *b;
	struct dp_buf buf;
	struct ibv_sge s;
	int n, got = 0;

	SUBTEST("CQ overrun -> IBV_EVENT_CQ_ERR async event");
	small = ibv_create_cq(d->ctx, 2, NULL, NULL, 0);
	cqb = ibv_create_cq(d->ctx, 64, NULL, NULL, 0);
	if (!small || !cqb)
		dp_die("ibv_create_cq");
	n = small->cqe + 4;
	a = dp_create_qp(d, IBV_QPT_RC, small, small, NULL, n, 1, 0);
	b = dp_create_qp(d, IBV_QPT_RC, cqb, cqb, NULL, 8, 1, 0);
	if (dp_to_init(a) || dp_to_init(b) ||
	    dp_to_rts(d, a, b->qp_num, NULL) || dp_to_rts(d, b, a->qp_num, NULL))
		dp_die("connect");
	dp_buf_alloc(d, &buf, 4096, DP_ALL_ACCESS);
	s = dp_sge(&buf, 0, 8);
	post_writes(a, 0, n, &s, (uintptr_t)buf.addr + 64, buf.mr->rkey);

	while (dp_fd_ready(d->ctx->async_fd, DP_TIMEOUT_MS)) {
		if (ibv_get_async_event(d->ctx, &ev))
			break;
		if (ev.event_type == IBV_EVENT_CQ_ERR)
			got = ev.element.cq == small ? 1 : -1;
		ibv_ack_async_event(&ev);
		if (got)
			break;
	}
	CHECK(got == 1, "no IBV_EVENT_CQ_ERR for the overrun CQ (cqe %d, %d sends)",
	      small->cqe, n);

	CHECK(!ibv_destroy_qp(a) && !ibv_destroy_qp(b), "destroy qps");
	CHECK(!ibv_destroy_cq(small) && !ibv_destroy_cq(cqb), "destroy cqs");
	dp_buf_free(&buf);
	/* QPs on the dead CQ went to error: their async events may follow */
	while (dp_fd_ready(d->ctx->async_fd, 50) &&
	       !ibv_get_async_event(d->ctx, &ev))
		ibv_ack_async_event(&ev);
}

static void test_resize_cq(struct dp_dev *d)
{
	struct ibv_sge s;
	struct ibv_wc wc[16];
	struct pair p;
	int i, n, ret;

	SUBTEST("resize CQ with completions pending: none lost, order kept");
	pair_make(d, &p, 16, NULL);
	s = dp_sge(&p.buf_a, 0, 8);
	post_writes(p.a, 0, 10, &s, (uintptr_t)p.buf_b.addr, p.buf_b.mr->rkey);
	/* take two, leave eight in the ring, then grow it */
	n = dp_poll(p.cqa, wc, 2, DP_TIMEOUT_MS);
	CHECK(n == 2 && wc[0].wr_id == 0 && wc[1].wr_id == 1, "first two");
	dp_sleep_ms(50);	/* let the rest complete */
	ret = ibv_resize_cq(p.cqa, 256);
	CHECK(!ret, "ibv_resize_cq: %s", strerror(ret));
	CHECK(p.cqa->cqe >= 256, "resized cqe %d", p.cqa->cqe);
	n = dp_poll(p.cqa, wc, 8, DP_TIMEOUT_MS);
	CHECK(n == 8, "after resize: %d of 8 completions", n);
	for (i = 0; i < n; i++)
		CHECK(wc[i].wr_id == 2u + i && wc[i].status == IBV_WC_SUCCESS,
		      "after resize: #%d wr_id %llu status %d", i,
		      (unsigned long long)wc[i].wr_id, wc[i].status);
	/* and the resized CQ keeps working, past its old size */
	post_writes(p.a, 100, 20, &s, (uintptr_t)p.buf_b.addr,
		    p.buf_b.mr->rkey);
	for (i = 0; i < 20; i++)
		dp_expect(p.cqa, 100 + i, IBV_WC_SUCCESS, IBV_WC_RDMA_WRITE,
			  "after resize", NULL);
	pair_destroy(&p);
}

static void test_destroyed_qp_cqes(struct dp_dev *d)
{
	struct ibv_cq *cq, *cqb;
	struct ibv_qp *a, *b;
	struct dp_buf buf;
	struct ibv_sge s;
	int ret;

	SUBTEST("destroy: busy CQ refused; a destroyed QP's unpolled CQEs vanish");
	cq = ibv_create_cq(d->ctx, 64, NULL, NULL, 0);
	cqb = ibv_create_cq(d->ctx, 64, NULL, NULL, 0);
	if (!cq || !cqb)
		dp_die("ibv_create_cq");
	a = dp_create_qp(d, IBV_QPT_RC, cq, cq, NULL, 16, 1, 0);
	b = dp_create_qp(d, IBV_QPT_RC, cqb, cqb, NULL, 16, 1, 0);
	if (dp_to_init(a) || dp_to_init(b) ||
	    dp_to_rts(d, a, b->qp_num, NULL) || dp_to_rts(d, b, a->qp_num, NULL))
		dp_die("connect");
	ret = ibv_destroy_cq(cq);
	CHECK_ERRNO(ret, EBUSY, "destroying a CQ that QPs use");

	dp_buf_alloc(d, &buf, 4096, DP_ALL_ACCESS);
	s = dp_sge(&buf, 0, 8);
	post_writes(a, 0, 5, &s, (uintptr_t)buf.addr + 128, buf.mr->rkey);
	dp_sleep_ms(100);
	CHECK(!ibv_destroy_qp(a), "destroy qp with CQEs pending");
	if (!dp_reference)	/* rxe leaves them; mlx5 cleans the CQ */
		CHECK(dp_cq_stays_empty(cq, 50),
		      "CQEs of a destroyed QP still polled");
	CHECK(!ibv_destroy_qp(b), "destroy qp");
	CHECK(!ibv_destroy_cq(cq) && !ibv_destroy_cq(cqb), "destroy cqs");
	dp_buf_free(&buf);
}

DP_SUBTEST_MAIN("datapath_errors",
		DP_SUBTEST(bad_lkey_and_flush), DP_SUBTEST(bad_rkey),
		DP_SUBTEST(short_recv), DP_SUBTEST(rnr), DP_SUBTEST(peer_reset),
		DP_SUBTEST(sq_full),
		DP_SUBTEST(state_machine), DP_SUBTEST(comp_channel),
		DP_SUBTEST(cq_overrun), DP_SUBTEST(resize_cq),
		DP_SUBTEST(destroyed_qp_cqes))
