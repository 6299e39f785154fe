// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A connected QP accepts packets from the far end of its path only
 * (issue 8, item 3f).  A and B are connected RC QPs on $SMLX_DEV; E is a
 * QP on a second smlx device ($SMLX_DEV2, another netdev) that took A's
 * QPN there and points its path at B.  Its SEND must not complete B's
 * receive, its WRITE and atomic must not change B's memory, its READ must
 * not return B's memory; E only ever sees its retries run out.  After each
 * attempt the real A still talks to B as if nothing happened.
 *
 * E gets A's QPN by creating QPs on the second device until its allocator
 * hands out that number (QPNs are allocated per device, in order).
 */
#include <inttypes.h>

#include "dp_test.h"

#define LEN 64
#define SENTINEL 0x5a
#define VICTIM 0x11
#define MAX_TRIES 70000

static const struct dp_conn_opts attacker_conn = {
	.rnr_retry = 1, .retry_cnt = 1, .min_rnr_timer = 1, .timeout = 10,
};

struct victim {
	struct ibv_cq *cqa, *cqb;
	struct ibv_qp *a, *b;
	struct dp_buf buf_a, buf_b;	/* buf_b: B's memory, REMOTE_* */
};

struct attacker {
	struct ibv_cq *cq;
	struct ibv_qp *e;
	struct dp_buf buf;
};

static void victim_make(struct dp_dev *d, struct victim *v)
{
	memset(v, 0, sizeof(*v));
	v->cqa = ibv_create_cq(d->ctx, 16, NULL, NULL, 0);
	v->cqb = ibv_create_cq(d->ctx, 16, NULL, NULL, 0);
	if (!v->cqa || !v->cqb)
		dp_die("ibv_create_cq");
	v->a = dp_create_qp(d, IBV_QPT_RC, v->cqa, v->cqa, NULL, 8, 1, 0);
	v->b = dp_create_qp(d, IBV_QPT_RC, v->cqb, v->cqb, NULL, 8, 1, 0);
	if (dp_to_init(v->a) || dp_to_init(v->b) ||
	    dp_to_rts(d, v->a, v->b->qp_num, NULL) ||
	    dp_to_rts(d, v->b, v->a->qp_num, NULL))
		dp_die("connect A and B");
	dp_buf_alloc(d, &v->buf_a, 4096, DP_ALL_ACCESS);
	dp_buf_alloc(d, &v->buf_b, 4096, DP_ALL_ACCESS);
	memset(v->buf_b.addr, VICTIM, 4096);
}

static void victim_destroy(struct victim *v)
{
	CHECK(!ibv_destroy_qp(v->a) && !ibv_destroy_qp(v->b), "destroy A, B");
	CHECK(!ibv_destroy_cq(v->cqa) && !ibv_destroy_cq(v->cqb), "destroy cqs");
	dp_buf_free(&v->buf_a);
	dp_buf_free(&v->buf_b);
}

/*
 * An RC QP on @d1 numbered @qpn, connected to @dest_qpn at @d0's GID; 0,
 * or -1 when the second device's allocator is already past @qpn.
 */
static int attacker_make(struct dp_dev *d0, struct dp_dev *d1,
			 struct attacker *x, uint32_t qpn, uint32_t dest_qpn)
{
	struct dp_dev path = *d1;
	int tries;

	memset(x, 0, sizeof(*x));
	x->cq = ibv_create_cq(d1->ctx, 16, NULL, NULL, 0);
	if (!x->cq)
		dp_die("ibv_create_cq on the second device");
	for (tries = 0; tries < MAX_TRIES; tries++) {
		x->e = dp_create_qp(d1, IBV_QPT_RC, x->cq, x->cq, NULL, 8, 1,
				    0);
		if (x->e->qp_num == qpn)
			break;
		if (x->e->qp_num > qpn && tries) {
			fprintf(stderr, "second device hands out QPN %u, past %u\n",
				x->e->qp_num, qpn);
			break;
		}
		if (ibv_destroy_qp(x->e))
			dp_die("ibv_destroy_qp");
		x->e = NULL;
	}
	if (!x->e || x->e->qp_num != qpn) {
		CHECK(0, "could not get QPN %u on the second device", qpn);
		if (x->e)
			ibv_destroy_qp(x->e);
		ibv_destroy_cq(x->cq);
		return -1;
	}
	/* E's path: B's QPN at smlx0's GID, from E's own GID. */
	path.gid = d0->gid;
	if (dp_to_init(x->e) || dp_to_rts(&path, x->e, dest_qpn, &attacker_conn))
		dp_die("connect E to B");
	dp_buf_alloc(d1, &x->buf, 4096, DP_ALL_ACCESS);
	memset(x->buf.addr, SENTINEL, 4096);
	return 0;
}

static void attacker_destroy(struct attacker *x)
{
	CHECK(!ibv_destroy_qp(x->e), "destroy E");
	CHECK(!ibv_destroy_cq(x->cq), "destroy E's cq");
	dp_buf_free(&x->buf);
}

static int post_recv(struct ibv_qp *qp, uint64_t wr_id, struct dp_buf *b,
		     size_t off)
{
	struct ibv_sge s = dp_sge(b, off, LEN);
	struct ibv_recv_wr wr = { .wr_id = wr_id, .sg_list = &s, .num_sge = 1 };
	struct ibv_recv_wr *bad = NULL;

	return ibv_post_recv(qp, &wr, &bad);
}

static int all_bytes(const void *p, int c, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != c)
			return 0;
	return 1;
}

/* The real A still reaches B: a SEND into the receive at @off of buf_b. */
static void check_a_reaches_b(struct victim *v, uint64_t recv_id,
			      const char *what)
{
	struct ibv_sge s = dp_sge(&v->buf_a, 0, LEN);
	struct ibv_send_wr wr, *bad = NULL;
	struct ibv_wc wc;

	dp_fill(v->buf_a.addr, LEN, 77);
	dp_wr(&wr, 2, IBV_WR_SEND, &s, 1, 0, 0);
	wr.send_flags = IBV_SEND_SIGNALED;
	CHECK(!ibv_post_send(v->a, &wr, &bad), "%s: A's post_send", what);
	dp_expect(v->cqa, 2, IBV_WC_SUCCESS, IBV_WC_SEND, "A's SEND to B",
		  NULL);
	if (dp_expect(v->cqb, recv_id, IBV_WC_SUCCESS, IBV_WC_RECV,
		      "B's receive of A's SEND", &wc))
		return;
	CHECK(wc.src_qp == v->a->qp_num && wc.byte_len == LEN &&
	      !memcmp((char *)v->buf_b.addr + 2048, v->buf_a.addr, LEN),
	      "%s: B received %u bytes from QP %u, not A's %u", what,
	      wc.byte_len, wc.src_qp, v->a->qp_num);
}

enum op { OP_SEND, OP_WRITE, OP_READ, OP_FETCH_ADD, OP_CMP_SWAP, OP_NUM };

static const char *const op_name[OP_NUM] = {
	"SEND", "RDMA WRITE", "RDMA READ", "FETCH_ADD", "CMP_SWAP",
};

static void attempt(struct dp_dev *d0, struct dp_dev *d1, enum op op)
{
	struct ibv_send_wr wr, *bad = NULL;
	struct attacker x;
	struct victim v;
	struct ibv_wc wc;
	struct ibv_sge s;
	uint64_t remote;
	char what[64];

	snprintf(what, sizeof(what), "forged %s", op_name[op]);
	SUBTEST(what);
	victim_make(d0, &v);
	/* B's receive for a SEND lands at 2048 of buf_b */
	CHECK(!post_recv(v.b, 10, &v.buf_b, 2048), "B's post_recv");
	if (attacker_make(d0, d1, &x, v.a->qp_num, v.b->qp_num)) {
		victim_destroy(&v);
		return;
	}
	printf("   E is QP %u on %s, as A is on %s\n", x.e->qp_num,
	       ibv_get_device_name(d1->ctx->device),
	       ibv_get_device_name(d0->ctx->device));

	remote = (uintptr_t)v.buf_b.addr;
	s = dp_sge(&x.buf, 0, op == OP_FETCH_ADD || op == OP_CMP_SWAP ? 8 : LEN);
	switch (op) {
	case OP_SEND:
		dp_wr(&wr, 1, IBV_WR_SEND, &s, 1, 0, 0);
		break;
	case OP_WRITE:
		dp_wr(&wr, 1, IBV_WR_RDMA_WRITE, &s, 1, remote,
		      v.buf_b.mr->rkey);
		break;
	case OP_READ:
		dp_wr(&wr, 1, IBV_WR_RDMA_READ, &s, 1, remote,
		      v.buf_b.mr->rkey);
		break;
	case OP_FETCH_ADD:
		dp_wr(&wr, 1, IBV_WR_ATOMIC_FETCH_AND_ADD, &s, 1, 0, 0);
		wr.wr.atomic.remote_addr = remote;
		wr.wr.atomic.rkey = v.buf_b.mr->rkey;
		wr.wr.atomic.compare_add = 1;
		break;
	default:
		dp_wr(&wr, 1, IBV_WR_ATOMIC_CMP_AND_SWP, &s, 1, 0, 0);
		wr.wr.atomic.remote_addr = remote;
		wr.wr.atomic.rkey = v.buf_b.mr->rkey;
		memset(&wr.wr.atomic.compare_add, VICTIM, 8);
		wr.wr.atomic.swap = 0xbadbadbadbadbadULL;
		break;
	}
	wr.send_flags = IBV_SEND_SIGNALED;
	if (op == OP_SEND || op == OP_WRITE)
		memset(x.buf.addr, 0xee, LEN);
	CHECK(!ibv_post_send(x.e, &wr, &bad), "E's post_send");
	if (dp_poll(x.cq, &wc, 1, DP_TIMEOUT_MS) != 1) {
		CHECK(0, "%s: E got no completion within %d ms", what,
		      DP_TIMEOUT_MS);
	} else {
		printf("   E's %s completed: %s\n", op_name[op],
		       ibv_wc_status_str(wc.status));
		CHECK(wc.status == IBV_WC_RETRY_EXC_ERR,
		      "%s: E's WR completed %s, want RETRY_EXC_ERR (B ignores E)",
		      what, ibv_wc_status_str(wc.status));
	}

	CHECK(dp_cq_stays_empty(v.cqb, 100),
	      "%s from the second device completed B's receive", what);
	CHECK(all_bytes(v.buf_b.addr, VICTIM, 2048),
	      "%s from the second device changed B's memory", what);
	if (op == OP_READ)
		CHECK(all_bytes(x.buf.addr, SENTINEL, LEN),
		      "%s from the second device returned B's memory", what);
	check_a_reaches_b(&v, 10, what);

	attacker_destroy(&x);
	victim_destroy(&v);
}

int main(int argc, char **argv)
{
	const char *dev2 = getenv("SMLX_DEV2");
	struct dp_dev d0, d1;
	const char *dev;
	int op;

	dp_open(&d0);
	dev = getenv("SMLX_DEV");
	if (setenv("SMLX_DEV", dev2 && *dev2 ? dev2 : "smlx1", 1))
		dp_die("setenv");
	dp_open(&d1);
	if (dev)
		setenv("SMLX_DEV", dev, 1);
	CHECK(memcmp(&d0.gid, &d1.gid, sizeof(d0.gid)),
	      "both devices have the same GID: use another netdev");

	for (op = 0; op < OP_NUM; op++)
		if (check_selected(argc, argv, op_name[op]))
			attempt(&d0, &d1, op);
	dp_close(&d1);
	dp_close(&d0);
	return check_finish("conn_source");
}
