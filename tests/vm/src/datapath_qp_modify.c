// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ibv_modify_qp is all or nothing: an illegal transition, an attribute the
 * transition does not allow, a missing required one or one bad value fails
 * with EINVAL, and then neither the state nor any other attribute of the
 * same call has changed (checked with ibv_query_qp, and in the end by
 * traffic over the QP that saw all the refusals).
 */
#include <stddef.h>

#include "dp_test.h"

struct snap {
	enum ibv_qp_state state;
	uint32_t dest_qp_num, rq_psn, sq_psn;
	int access;
	enum ibv_mtu mtu;
	uint8_t max_dest_rd_atomic, max_rd_atomic, min_rnr_timer;
	uint8_t timeout, retry_cnt, rnr_retry;
};

static void snap_take(struct ibv_qp *qp, struct snap *s)
{
	struct ibv_qp_init_attr ia;
	struct ibv_qp_attr a;

	memset(s, 0, sizeof(*s));
	if (ibv_query_qp(qp, &a, IBV_QP_STATE | IBV_QP_DEST_QPN |
			 IBV_QP_RQ_PSN | IBV_QP_SQ_PSN | IBV_QP_ACCESS_FLAGS |
			 IBV_QP_PATH_MTU | IBV_QP_MAX_DEST_RD_ATOMIC |
			 IBV_QP_MAX_QP_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER |
			 IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY,
			 &ia)) {
		CHECK(0, "ibv_query_qp: %s", strerror(errno));
		return;
	}
	s->state = a.qp_state;
	s->dest_qp_num = a.dest_qp_num;
	s->rq_psn = a.rq_psn;
	s->sq_psn = a.sq_psn;
	s->access = a.qp_access_flags;
	s->mtu = a.path_mtu;
	s->max_dest_rd_atomic = a.max_dest_rd_atomic;
	s->max_rd_atomic = a.max_rd_atomic;
	s->min_rnr_timer = a.min_rnr_timer;
	s->timeout = a.timeout;
	s->retry_cnt = a.retry_cnt;
	s->rnr_retry = a.rnr_retry;
}

/* @a with @mask must fail with EINVAL and leave @qp exactly as it was. */
static void refused(struct ibv_qp *qp, struct ibv_qp_attr *a, int mask,
		    const char *what)
{
	struct snap before, after;
	int ret;

	snap_take(qp, &before);
	ret = ibv_modify_qp(qp, a, mask);
	CHECK_ERRNO(ret, EINVAL, what);
	snap_take(qp, &after);
	CHECK(!memcmp(&before, &after, sizeof(before)),
	      "%s: refused, but the QP changed (state %d->%d dest_qpn %#x->%#x "
	      "rq_psn %#x->%#x sq_psn %#x->%#x access %#x->%#x mtu %d->%d "
	      "min_rnr %d->%d)", what, before.state, after.state,
	      before.dest_qp_num, after.dest_qp_num, before.rq_psn,
	      after.rq_psn, before.sq_psn, after.sq_psn, before.access,
	      after.access, before.mtu, after.mtu, before.min_rnr_timer,
	      after.min_rnr_timer);
}

#define INIT_MASK (IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |           \
		   IBV_QP_ACCESS_FLAGS)
#define RTR_MASK (IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |                \
		  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |   \
		  IBV_QP_MIN_RNR_TIMER)
#define RTS_MASK (IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT |              \
		  IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC)

static void init_attr(struct ibv_qp_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->qp_state = IBV_QPS_INIT;
	a->port_num = DP_PORT;
	a->qp_access_flags = IBV_ACCESS_REMOTE_WRITE;
}

static void rtr_attr(const struct dp_dev *d, struct ibv_qp_attr *a,
		     uint32_t dest)
{
	memset(a, 0, sizeof(*a));
	a->qp_state = IBV_QPS_RTR;
	a->path_mtu = IBV_MTU_1024;
	a->dest_qp_num = dest;
	a->rq_psn = 0x123;
	a->max_dest_rd_atomic = 4;
	a->min_rnr_timer = 5;
	dp_ah_attr(d, &a->ah_attr);
}

static void rts_attr(struct ibv_qp_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->qp_state = IBV_QPS_RTS;
	a->sq_psn = 0x456;
	a->timeout = 14;
	a->retry_cnt = 7;
	a->rnr_retry = 7;
	a->max_rd_atomic = 4;
}

/* A bad value for one attribute of struct ibv_qp_attr, wherever it is. */
struct attr_value {
	size_t offset, size;	/* size 0: no attribute */
	uint32_t value;
};

#define ATTR(member, v)                                                        \
	{ offsetof(struct ibv_qp_attr, member),                                \
	  sizeof(((struct ibv_qp_attr *)0)->member), v }

/*
 * One call that must be refused: the transition's valid attributes with
 * up to two of them set to bad values, and the transition's mask with
 * @add and without @drop.
 */
struct refusal {
	struct attr_value set[2];
	int add, drop;
	const char *what;
};

static void set_attr(struct ibv_qp_attr *a, const struct attr_value *v)
{
	uint8_t u8 = (uint8_t)v->value;
	uint16_t u16 = (uint16_t)v->value;
	const void *from;

	switch (v->size) {
	case 0:
		return;
	case sizeof(u8):
		from = &u8;
		break;
	case sizeof(u16):
		from = &u16;
		break;
	case sizeof(v->value):
		from = &v->value;
		break;
	default:
		fprintf(stderr, "set_attr: %zu-byte attribute\n", v->size);
		exit(2);
	}
	memcpy((char *)a + v->offset, from, v->size);
}

/* Each of @n refusals of the transition to @valid with @mask. */
static void refuse_all(struct ibv_qp *qp, const struct ibv_qp_attr *valid,
		       int mask, const struct refusal *r, size_t n)
{
	struct ibv_qp_attr at;
	size_t i;

	for (i = 0; i < n; i++) {
		at = *valid;
		set_attr(&at, &r[i].set[0]);
		set_attr(&at, &r[i].set[1]);
		refused(qp, &at, (mask | r[i].add) & ~r[i].drop, r[i].what);
	}
}

#define REFUSE_ALL(qp, valid, mask, table)                                     \
	refuse_all(qp, valid, mask, table, sizeof(table) / sizeof(table[0]))

/* @cq holds the send @send_id and the receive @recv_id, both successful. */
static void expect_pair(struct ibv_cq *cq, uint64_t send_id, uint64_t recv_id,
			const char *who)
{
	struct ibv_wc wc[2] = {};
	int i, seen = 0;

	CHECK(dp_poll(cq, wc, 2, DP_TIMEOUT_MS) == 2, "%s: two completions",
	      who);
	for (i = 0; i < 2; i++) {
		CHECK(wc[i].status == IBV_WC_SUCCESS, "%s: status %s", who,
		      ibv_wc_status_str(wc[i].status));
		if (wc[i].wr_id == send_id && wc[i].opcode == IBV_WC_SEND)
			seen |= 1;
		else if (wc[i].wr_id == recv_id && wc[i].opcode == IBV_WC_RECV)
			seen |= 2;
	}
	CHECK(seen == 3, "%s: wanted send %llu and receive %llu", who,
	      (unsigned long long)send_id, (unsigned long long)recv_id);
}

static const struct refusal init_refusals[] = {
	{ { ATTR(pkey_index, 60000) }, 0, 0,
	  "INIT with a P_Key index past the table" },
	{ { ATTR(qp_access_flags, 1 << 20) }, 0, 0,
	  "INIT with unknown access flags" },
	{ { ATTR(sq_psn, 7) }, IBV_QP_SQ_PSN, 0,
	  "INIT with SQ_PSN (not allowed)" },
	{ { { 0 } }, 0, IBV_QP_PORT, "INIT without PORT (required)" },
	{ { ATTR(qp_state, 42) }, 0, 0, "qp_state 42" },
	{ { ATTR(cur_qp_state, IBV_QPS_RTS) }, IBV_QP_CUR_STATE, 0,
	  "cur_qp_state RTS while the QP is in RESET" },
};

static const struct refusal rtr_refusals[] = {
	{ { ATTR(path_mtu, 0) }, 0, 0, "RTR with path_mtu 0" },
	{ { ATTR(path_mtu, 6) }, 0, 0, "RTR with path_mtu 6" },
	{ { ATTR(dest_qp_num, 1u << 24) }, 0, 0,
	  "RTR with a 25-bit dest QPN" },
	{ { ATTR(max_dest_rd_atomic, 255),
	    ATTR(qp_access_flags, IBV_ACCESS_REMOTE_READ) },
	  IBV_QP_ACCESS_FLAGS, 0,
	  "RTR with max_dest_rd_atomic 255 (and an access change)" },
	{ { ATTR(min_rnr_timer, 32) }, 0, 0,
	  "RTR with min_rnr_timer 32" },
	{ { ATTR(timeout, 14) }, IBV_QP_TIMEOUT, 0,
	  "RTR with TIMEOUT (an RTS attribute)" },
	{ { { 0 } }, 0, IBV_QP_DEST_QPN, "RTR without DEST_QPN (required)" },
	{ { ATTR(qp_state, IBV_QPS_RTS) }, 0, 0, "INIT -> RTS" },
	{ { ATTR(ah_attr.port_num, 2) }, 0, 0, "RTR with an address on port 2" },
};

static const struct refusal rts_refusals[] = {
	{ { ATTR(retry_cnt, 8) }, 0, 0, "RTS with retry_cnt 8" },
	{ { ATTR(rnr_retry, 8) }, 0, 0, "RTS with rnr_retry 8" },
	{ { ATTR(timeout, 32) }, 0, 0, "RTS with timeout 32" },
	{ { ATTR(max_rd_atomic, 255) }, 0, 0,
	  "RTS with max_rd_atomic 255" },
	{ { ATTR(dest_qp_num, 1) }, IBV_QP_DEST_QPN, 0,
	  "RTS with DEST_QPN (not allowed)" },
	{ { { 0 } }, 0, IBV_QP_SQ_PSN, "RTS without SQ_PSN" },
};

int main(void)
{
	struct ibv_cq *cq_a, *cq_b;
	struct ibv_qp *a, *b;
	struct ibv_qp_attr at;
	struct dp_buf buf;
	struct snap s;
	struct ibv_sge sge;
	struct dp_dev d;
	int ret;

	dp_open(&d);
	cq_a = ibv_create_cq(d.ctx, 16, NULL, NULL, 0);
	cq_b = ibv_create_cq(d.ctx, 16, NULL, NULL, 0);
	if (!cq_a || !cq_b)
		dp_die("ibv_create_cq");
	a = dp_create_qp(&d, IBV_QPT_RC, cq_a, cq_a, NULL, 8, 1, 0);
	b = dp_create_qp(&d, IBV_QPT_RC, cq_b, cq_b, NULL, 8, 1, 0);
	if (dp_to_init(b))
		dp_die("b: INIT");

	SUBTEST("RESET -> INIT: refused calls change nothing");
	init_attr(&at);
	REFUSE_ALL(a, &at, INIT_MASK, init_refusals);
	init_attr(&at);
	CHECK(!ibv_modify_qp(a, &at, INIT_MASK), "RESET -> INIT: %s",
	      strerror(errno));
	snap_take(a, &s);
	CHECK(s.state == IBV_QPS_INIT && s.access == IBV_ACCESS_REMOTE_WRITE,
	      "after INIT: state %d access %#x", s.state, s.access);

	SUBTEST("INIT -> RTR: one bad value or mask bit refuses the whole call");
	rtr_attr(&d, &at, b->qp_num);
	REFUSE_ALL(a, &at, RTR_MASK, rtr_refusals);
	rtr_attr(&d, &at, b->qp_num);
	CHECK(!ibv_modify_qp(a, &at, RTR_MASK), "INIT -> RTR: %s",
	      strerror(errno));
	snap_take(a, &s);
	CHECK(s.state == IBV_QPS_RTR && s.dest_qp_num == b->qp_num &&
	      s.rq_psn == 0x123 && s.mtu == IBV_MTU_1024 &&
	      s.max_dest_rd_atomic == 4 && s.min_rnr_timer == 5 &&
	      s.access == IBV_ACCESS_REMOTE_WRITE,
	      "after RTR: state %d dest %#x rq_psn %#x mtu %d mdra %d rnr %d access %#x",
	      s.state, s.dest_qp_num, s.rq_psn, s.mtu, s.max_dest_rd_atomic,
	      s.min_rnr_timer, s.access);

	SUBTEST("RTR -> RTS: bad values refused, nothing applied");
	rts_attr(&at);
	REFUSE_ALL(a, &at, RTS_MASK, rts_refusals);
	rts_attr(&at);
	CHECK(!ibv_modify_qp(a, &at, RTS_MASK), "RTR -> RTS: %s",
	      strerror(errno));

	SUBTEST("RTS -> RTS: only the allowed attributes, all or nothing");
	memset(&at, 0, sizeof(at));
	at.qp_state = IBV_QPS_RTS;
	at.min_rnr_timer = 9;
	at.path_mtu = IBV_MTU_512;
	refused(a, &at, IBV_QP_STATE | IBV_QP_MIN_RNR_TIMER | IBV_QP_PATH_MTU,
		"RTS -> RTS changing PATH_MTU");
	at.cur_qp_state = IBV_QPS_INIT;
	refused(a, &at, IBV_QP_STATE | IBV_QP_MIN_RNR_TIMER | IBV_QP_CUR_STATE,
		"RTS -> RTS with cur_qp_state INIT");
	at.qp_state = IBV_QPS_RTR;
	refused(a, &at, IBV_QP_STATE, "RTS -> RTR");
	at.qp_state = IBV_QPS_INIT;
	refused(a, &at, IBV_QP_STATE, "RTS -> INIT");
	at.qp_state = IBV_QPS_RTS;
	CHECK(!ibv_modify_qp(a, &at, IBV_QP_STATE | IBV_QP_MIN_RNR_TIMER),
	      "RTS -> RTS min_rnr_timer: %s", strerror(errno));
	snap_take(a, &s);
	CHECK(s.state == IBV_QPS_RTS && s.min_rnr_timer == 9 &&
	      s.sq_psn == 0x456 && s.mtu == IBV_MTU_1024 &&
	      s.dest_qp_num == b->qp_num && s.timeout == 14 &&
	      s.retry_cnt == 7 && s.rnr_retry == 7 && s.max_rd_atomic == 4,
	      "after RTS: state %d rnr %d sq_psn %#x mtu %d dest %#x timeout %d",
	      s.state, s.min_rnr_timer, s.sq_psn, s.mtu, s.dest_qp_num,
	      s.timeout);

	SUBTEST("the QP that saw every refusal carries traffic");
	rtr_attr(&d, &at, a->qp_num);
	at.rq_psn = 0x456;	/* a's sq_psn */
	ret = ibv_modify_qp(b, &at, RTR_MASK);
	CHECK(!ret, "b: RTR: %s", strerror(ret));
	rts_attr(&at);
	at.sq_psn = 0x123;	/* a's rq_psn */
	ret = ibv_modify_qp(b, &at, RTS_MASK);
	CHECK(!ret, "b: RTS: %s", strerror(ret));
	dp_buf_alloc(&d, &buf, 8192, DP_ALL_ACCESS);
	dp_fill(buf.addr, 4096, 77);
	{
		struct ibv_recv_wr rw = { .wr_id = 2, .num_sge = 1 }, *rbad;
		struct ibv_send_wr sw = { .wr_id = 1, .num_sge = 1,
					  .opcode = IBV_WR_SEND,
					  .send_flags = IBV_SEND_SIGNALED },
				   *sbad;
		struct ibv_sge rs = dp_sge(&buf, 4096, 4096);

		sge = dp_sge(&buf, 0, 4096);
		rw.sg_list = &rs;
		sw.sg_list = &sge;
		CHECK(!ibv_post_recv(b, &rw, &rbad), "b: post_recv");
		CHECK(!ibv_post_send(a, &sw, &sbad), "a: post_send");
		sw.wr_id = 3;
		rw.wr_id = 4;
		CHECK(!ibv_post_recv(a, &rw, &rbad), "a: post_recv");
		CHECK(!ibv_post_send(b, &sw, &sbad), "b: post_send");
	}
	/* each CQ gets a send and a receive CQE, in no defined order */
	expect_pair(cq_a, 1, 4, "a");
	expect_pair(cq_b, 3, 2, "b");
	CHECK(!memcmp(buf.addr, (char *)buf.addr + 4096, 4096),
	      "data received differs");

	CHECK(!ibv_destroy_qp(a) && !ibv_destroy_qp(b), "destroy qps");
	CHECK(!ibv_destroy_cq(cq_a) && !ibv_destroy_cq(cq_b), "destroy cqs");
	dp_buf_free(&buf);
	dp_close(&d);
	return check_finish("datapath_qp_modify");
}
