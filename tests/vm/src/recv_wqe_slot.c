// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Receive WQEs as big as the device allows, and receive WQEs that lie
 * (issue 8, item 3c).  With max_recv_sge = 32 a receive slot is 1024 bytes
 * (a 16-byte header, 32 SGEs, padding to a power of two); the responder's
 * copy of a claimed WQE holds a header and 32 SGEs (528 bytes), and it must
 * never copy a whole slot into it.  The overrun itself only shows under
 * KASAN (tools/vm-run --debug-kernel); without it this program still checks
 * that a message lands in all 32 SGEs (RQ and SRQ, around the ring several
 * times) and that a num_sge the process wrote into the ring after posting
 * (33, 64, 65536, 2^32 - 1) is refused: the receive completes with
 * LOC_QP_OP_ERR, nothing is written to memory, the sender gets
 * REM_INV_REQ_ERR.
 *
 * The rings are found the way an attacker would find them: among the
 * process's mappings of /dev/infiniband/uverbs*, the one whose last posted
 * slot holds the wr_id just posted.
 */
#include <inttypes.h>
#include <rdma/smlx-queue.h>

#include "dp_test.h"

#define NSGE 32
#define SGE_LEN 100
#define SGE_GAP 128		/* SGE i starts at i * SGE_GAP */
#define MSG_LEN (NSGE * SGE_LEN)
#define DEPTH 16
#define ROUNDS 40		/* more than twice around the ring */
#define SENTINEL 0xa5

struct rig {
	struct ibv_cq *cqa, *cqb;
	struct ibv_srq *srq;	/* NULL: b has its own RQ */
	struct ibv_qp *a, *b;
	struct dp_buf src, dst;
};

static void rig_make(struct dp_dev *d, struct rig *g, int use_srq)
{
	struct ibv_qp_init_attr ia;
	struct ibv_qp_attr qa;

	memset(g, 0, sizeof(*g));
	g->cqa = ibv_create_cq(d->ctx, 2 * DEPTH, NULL, NULL, 0);
	g->cqb = ibv_create_cq(d->ctx, 2 * DEPTH, NULL, NULL, 0);
	if (!g->cqa || !g->cqb)
		dp_die("ibv_create_cq");
	if (use_srq) {
		struct ibv_srq_init_attr sa = {
			.attr = { .max_wr = DEPTH, .max_sge = NSGE },
		};

		g->srq = ibv_create_srq(d->pd, &sa);
		if (!g->srq)
			dp_die("ibv_create_srq");
		CHECK(sa.attr.max_sge == NSGE, "SRQ granted max_sge %u",
		      sa.attr.max_sge);
	}
	g->a = dp_create_qp(d, IBV_QPT_RC, g->cqa, g->cqa, NULL, DEPTH, 1, 0);
	g->b = dp_create_qp(d, IBV_QPT_RC, g->cqb, g->cqb, g->srq, DEPTH,
			    NSGE, 0);
	if (!g->srq) {
		CHECK(!ibv_query_qp(g->b, &qa, IBV_QP_CAP, &ia) &&
		      ia.cap.max_recv_sge == NSGE,
		      "RQ granted max_recv_sge %u", ia.cap.max_recv_sge);
	}
	if (dp_to_init(g->a) || dp_to_init(g->b) ||
	    dp_to_rts(d, g->a, g->b->qp_num, NULL) ||
	    dp_to_rts(d, g->b, g->a->qp_num, NULL))
		dp_die("connect");
	dp_buf_alloc(d, &g->src, MSG_LEN, DP_ALL_ACCESS);
	dp_buf_alloc(d, &g->dst, NSGE * SGE_GAP, DP_ALL_ACCESS);
}

static void rig_destroy(struct rig *g)
{
	CHECK(!ibv_destroy_qp(g->a) && !ibv_destroy_qp(g->b), "destroy qps");
	if (g->srq)
		CHECK(!ibv_destroy_srq(g->srq), "destroy srq");
	CHECK(!ibv_destroy_cq(g->cqa) && !ibv_destroy_cq(g->cqb),
	      "destroy cqs");
	dp_buf_free(&g->src);
	dp_buf_free(&g->dst);
}

/* Posts one receive of @n SGEs (SGE i at i * SGE_GAP of dst). */
static int rig_post_recv(struct rig *g, uint64_t wr_id, int n)
{
	struct ibv_sge s[NSGE];
	struct ibv_recv_wr wr = { .wr_id = wr_id, .sg_list = s, .num_sge = n };
	struct ibv_recv_wr *bad = NULL;
	int i;

	for (i = 0; i < n; i++)
		s[i] = dp_sge(&g->dst, (size_t)i * SGE_GAP, SGE_LEN);
	if (g->srq)
		return ibv_post_srq_recv(g->srq, &wr, &bad);
	return ibv_post_recv(g->b, &wr, &bad);
}

static int rig_send(struct rig *g, uint64_t wr_id, uint32_t len)
{
	struct ibv_sge s = dp_sge(&g->src, 0, len);
	struct ibv_send_wr wr, *bad = NULL;

	dp_wr(&wr, wr_id, IBV_WR_SEND, &s, 1, 0, 0);
	wr.send_flags = IBV_SEND_SIGNALED;
	return ibv_post_send(g->a, &wr, &bad);
}

/*
 * The slot of the receive ring the last posted WQE (@wr_id, @num_sge SGEs)
 * sits in, found among our mappings of the uverbs device; NULL if none.
 */
static struct smlx_recv_wqe *find_posted_wqe(uint64_t wr_id, uint32_t num_sge)
{
	struct smlx_recv_wqe *found = NULL;
	char line[512], perms[8];
	unsigned long lo, hi;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		dp_die("/proc/self/maps");
	while (!found && fgets(line, sizeof(line), f)) {
		struct smlx_ring *ring;
		struct smlx_recv_wqe *w;
		size_t size;
		uint32_t prod;

		if (!strstr(line, "/dev/infiniband/uverbs") ||
		    sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 ||
		    perms[0] != 'r')
			continue;
		size = hi - lo;
		ring = (struct smlx_ring *)lo;
		if (size < SMLX_RING_DATA_OFFSET || !ring->num_slots ||
		    ring->num_slots & (ring->num_slots - 1) ||
		    ring->stride < sizeof(*w) ||
		    ring->stride & (ring->stride - 1) ||
		    SMLX_RING_DATA_OFFSET +
				    (size_t)ring->num_slots * ring->stride >
			    size)
			continue;
		prod = __atomic_load_n(&ring->producer, __ATOMIC_ACQUIRE);
		w = (struct smlx_recv_wqe *)((char *)ring +
					     SMLX_RING_DATA_OFFSET +
					     (size_t)((prod - 1) &
						      (ring->num_slots - 1)) *
						     ring->stride);
		if (w->wr_id == wr_id && w->num_sge == num_sge)
			found = w;
	}
	fclose(f);
	return found;
}

/* Every SGE of dst got its 100 bytes of the message; the gaps did not. */
static void check_scatter(struct rig *g, int round, const char *what)
{
	const unsigned char *dst = g->dst.addr, *src = g->src.addr;
	int i, j, bad_sge = -1, bad_gap = -1;

	for (i = 0; i < NSGE; i++) {
		if (memcmp(dst + (size_t)i * SGE_GAP, src + (size_t)i * SGE_LEN,
			   SGE_LEN) && bad_sge < 0)
			bad_sge = i;
		for (j = SGE_LEN; j < SGE_GAP; j++)
			if (dst[(size_t)i * SGE_GAP + j] != SENTINEL &&
			    bad_gap < 0)
				bad_gap = i;
	}
	CHECK(bad_sge < 0, "%s round %d: SGE %d of %d has the wrong data",
	      what, round, bad_sge, NSGE);
	CHECK(bad_gap < 0, "%s round %d: bytes after SGE %d were written",
	      what, round, bad_gap);
}

static void run_full_sge(struct dp_dev *d, int use_srq)
{
	const char *what = use_srq ? "SRQ" : "RQ";
	struct ibv_wc wc;
	struct rig g;
	int r;

	rig_make(d, &g, use_srq);
	for (r = 0; r < ROUNDS; r++) {
		dp_fill(g.src.addr, MSG_LEN, r + 1);
		memset(g.dst.addr, SENTINEL, g.dst.len);
		CHECK(!rig_post_recv(&g, 1000 + r, NSGE), "%s post_recv %d",
		      what, r);
		CHECK(!rig_send(&g, r, MSG_LEN), "%s post_send %d", what, r);
		if (dp_expect(g.cqa, r, IBV_WC_SUCCESS, IBV_WC_SEND,
			      "32-SGE send", NULL))
			break;
		if (dp_expect(g.cqb, 1000 + r, IBV_WC_SUCCESS, IBV_WC_RECV,
			      "32-SGE receive", &wc))
			break;
		CHECK(wc.byte_len == MSG_LEN, "%s round %d: byte_len %u, want %u",
		      what, r, wc.byte_len, MSG_LEN);
		check_scatter(&g, r, what);
	}
	printf("   %s: %d messages of %d bytes into %d SGEs each\n", what, r,
	       MSG_LEN, NSGE);
	rig_destroy(&g);
}

static void test_rq_32_sge(struct dp_dev *d)
{
	SUBTEST("RC RQ with max_recv_sge 32: every receive uses 32 SGEs");
	run_full_sge(d, 0);
}

static void test_srq_32_sge(struct dp_dev *d)
{
	SUBTEST("SRQ with max_sge 32: every receive uses 32 SGEs");
	run_full_sge(d, 1);
}

static void run_bad_num_sge(struct dp_dev *d, int use_srq, uint32_t num_sge)
{
	const char *what = use_srq ? "SRQ" : "RQ";
	const unsigned char *dst;
	struct smlx_recv_wqe *w;
	struct rig g;
	size_t i;

	rig_make(d, &g, use_srq);
	memset(g.dst.addr, SENTINEL, g.dst.len);
	dp_fill(g.src.addr, MSG_LEN, 7);
	CHECK(!rig_post_recv(&g, 0xbad0000 + num_sge % 0x10000, 1),
	      "%s post_recv", what);
	w = find_posted_wqe(0xbad0000 + num_sge % 0x10000, 1);
	CHECK(w, "%s: the posted receive WQE is in none of our uverbs mappings",
	      what);
	if (!w) {
		rig_destroy(&g);
		return;
	}
	__atomic_store_n(&w->num_sge, num_sge, __ATOMIC_RELEASE);

	CHECK(!rig_send(&g, 1, SGE_LEN), "%s post_send", what);
	dp_expect(g.cqb, 0xbad0000 + num_sge % 0x10000, IBV_WC_LOC_QP_OP_ERR,
		  -1, "receive WQE with a forged num_sge", NULL);
	dp_expect(g.cqa, 1, IBV_WC_REM_INV_REQ_ERR, -1,
		  "send into a forged receive WQE", NULL);
	CHECK(dp_qp_state(g.b) == IBV_QPS_ERR, "%s num_sge %u: responder state %d",
	      what, num_sge, dp_qp_state(g.b));
	dst = g.dst.addr;
	for (i = 0; i < g.dst.len && dst[i] == SENTINEL; i++)
		;
	CHECK(i == g.dst.len, "%s num_sge %u: receive memory written at %zu",
	      what, num_sge, i);
	printf("   %s: num_sge %u refused\n", what, num_sge);
	rig_destroy(&g);
}

static const uint32_t bad_counts[] = { NSGE + 1, 64, 65536, UINT32_MAX };

static void test_rq_bad_num_sge(struct dp_dev *d)
{
	size_t i;

	SUBTEST("RQ slot rewritten after posting: num_sge beyond max_recv_sge");
	for (i = 0; i < sizeof(bad_counts) / sizeof(bad_counts[0]); i++)
		run_bad_num_sge(d, 0, bad_counts[i]);
}

static void test_srq_bad_num_sge(struct dp_dev *d)
{
	size_t i;

	SUBTEST("SRQ slot rewritten after posting: num_sge beyond max_sge");
	for (i = 0; i < sizeof(bad_counts) / sizeof(bad_counts[0]); i++)
		run_bad_num_sge(d, 1, bad_counts[i]);
}

DP_SUBTEST_MAIN("recv_wqe_slot",
		DP_SUBTEST(rq_32_sge), DP_SUBTEST(srq_32_sge),
		DP_SUBTEST(rq_bad_num_sge), DP_SUBTEST(srq_bad_num_sge))
