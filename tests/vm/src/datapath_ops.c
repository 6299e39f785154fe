// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Every send opcode through ibv_post_send and through the ibv_wr_* API,
 * on RC, UC, UD, SRQ and XRC queues in loopback, with the data checked
 * byte for byte: SGE counts from 1 to the QP's maximum, inline data up to
 * max_inline_data (and the errors one past each limit), ibv_cq_ex polling
 * with completion timestamps.
 *
 * Devices named rxe* are the reference run (Debian's provider): where the
 * providers legitimately differ (errno of an oversized WR) only ours is held
 * to mlx5's values.
 */
#include <arpa/inet.h>
#include <fcntl.h>

#include "dp_test.h"

#define BUF_LEN (128 * 1024)
#define DEPTH 64


struct pair {
	struct ibv_cq *cqa, *cqb;
	struct ibv_qp *a, *b;	/* a sends to b, b to a */
	struct ibv_qp_cap cap;	/* what a was granted */
};

static void pair_make(struct dp_dev *d, struct pair *p, enum ibv_qp_type type,
		      uint32_t sge, uint32_t inline_data, uint64_t send_ops)
{
	struct ibv_qp_init_attr ia;

	memset(p, 0, sizeof(*p));
	p->cqa = ibv_create_cq(d->ctx, 4 * DEPTH, NULL, NULL, 0);
	p->cqb = ibv_create_cq(d->ctx, 4 * DEPTH, NULL, NULL, 0);
	if (!p->cqa || !p->cqb)
		dp_die("ibv_create_cq");
	ia = (struct ibv_qp_init_attr){
		.send_cq = p->cqa, .recv_cq = p->cqa,
		.cap = { .max_send_wr = DEPTH, .max_recv_wr = DEPTH,
			 .max_send_sge = sge, .max_recv_sge = sge,
			 .max_inline_data = inline_data },
		.qp_type = type,
	};
	if (send_ops) {
		struct ibv_qp_init_attr_ex iax = {
			.send_cq = ia.send_cq, .recv_cq = ia.recv_cq,
			.cap = ia.cap, .qp_type = ia.qp_type,
			.comp_mask = IBV_QP_INIT_ATTR_PD |
				     IBV_QP_INIT_ATTR_SEND_OPS_FLAGS,
			.pd = d->pd,
			.send_ops_flags = send_ops,
		};

		p->a = ibv_create_qp_ex(d->ctx, &iax);
		ia.cap = iax.cap;
	} else {
		p->a = ibv_create_qp(d->pd, &ia);
	}
	if (!p->a)
		dp_die(send_ops ? "ibv_create_qp_ex" : "ibv_create_qp");
	p->cap = ia.cap;
	p->b = dp_create_qp(d, type, p->cqb, p->cqb, NULL, DEPTH, sge,
			    inline_data);
	if (dp_to_init(p->a) || dp_to_init(p->b) ||
	    dp_to_rts(d, p->a, p->b->qp_num, NULL) ||
	    dp_to_rts(d, p->b, p->a->qp_num, NULL))
		dp_die("connecting the QP pair");
}

static void pair_destroy(struct pair *p)
{
	CHECK(!ibv_destroy_qp(p->a), "destroy qp a");
	CHECK(!ibv_destroy_qp(p->b), "destroy qp b");
	CHECK(!ibv_destroy_cq(p->cqa), "destroy cq a");
	CHECK(!ibv_destroy_cq(p->cqb), "destroy cq b");
}

static int post_recv(struct ibv_qp *qp, uint64_t id, struct ibv_sge *sge,
		     int n)
{
	struct ibv_recv_wr wr = { .wr_id = id, .sg_list = sge, .num_sge = n };
	struct ibv_recv_wr *bad = NULL;

	return ibv_post_recv(qp, &wr, &bad);
}

static int post_one(struct ibv_qp *qp, struct ibv_send_wr *wr)
{
	struct ibv_send_wr *bad = NULL;
	int ret;

	wr->next = NULL;
	wr->send_flags |= IBV_SEND_SIGNALED;
	ret = ibv_post_send(qp, wr, &bad);
	CHECK(!ret, "ibv_post_send opcode %d: %s", wr->opcode, strerror(ret));
	CHECK(ret || !bad, "bad_wr set on success");
	return ret;
}

/*
 * a's SEND @send_id and b's receive @recv_id both complete successfully;
 * 0 when the receive did, its CQE then in @wc (unless NULL).
 */
static int expect_send_recv(struct pair *p, uint64_t send_id,
			    uint64_t recv_id, const char *what,
			    struct ibv_wc *wc)
{
	char send_what[64], recv_what[64];

	snprintf(send_what, sizeof(send_what), "%s send", what);
	snprintf(recv_what, sizeof(recv_what), "%s recv", what);
	dp_expect(p->cqa, send_id, IBV_WC_SUCCESS, IBV_WC_SEND, send_what,
		  NULL);
	return dp_expect(p->cqb, recv_id, IBV_WC_SUCCESS, IBV_WC_RECV,
			 recv_what, wc);
}

/*
 * Posts @wr again as an RDMA_WRITE to the start of @dst, where @want's
 * @len bytes must arrive.
 */
static void write_again(struct pair *p, struct ibv_send_wr *wr,
			uint64_t wr_id, struct dp_buf *dst, const void *want,
			uint32_t len, const char *what)
{
	wr->wr_id = wr_id;
	wr->opcode = IBV_WR_RDMA_WRITE;
	wr->wr.rdma.remote_addr = (uintptr_t)dst->addr;
	wr->wr.rdma.rkey = dst->mr->rkey;
	if (!post_one(p->a, wr)) {
		dp_expect(p->cqa, wr_id, IBV_WC_SUCCESS, IBV_WC_RDMA_WRITE,
			  what, NULL);
		CHECK(!memcmp(want, dst->addr, len),
		      "%s of %u bytes: data differs", what, len);
	}
}

/* Errno our provider must give (mlx5's), or any error for the reference. */
static void check_post_error(int ret, int want, const char *what)
{
	if (dp_reference)
		CHECK(ret != 0, "%s: accepted", what);
	else
		CHECK_ERRNO(ret, want, what);
}

static void test_rc_opcodes(struct dp_dev *d)
{
	static const uint32_t lens[] = { 0, 1, 777, 4096, 65536 };
	struct dp_buf src, dst, at_local, at_remote;
	struct pair p;
	struct ibv_wc wc;
	unsigned int i;

	SUBTEST("RC: SEND, SEND_WITH_IMM, RDMA_WRITE(_WITH_IMM), RDMA_READ, atomics");
	pair_make(d, &p, IBV_QPT_RC, 1, 0, 0);
	dp_buf_alloc(d, &src, BUF_LEN, DP_ALL_ACCESS);
	dp_buf_alloc(d, &dst, BUF_LEN, DP_ALL_ACCESS);
	dp_buf_alloc(d, &at_local, 64, DP_ALL_ACCESS);
	dp_buf_alloc(d, &at_remote, 64, DP_ALL_ACCESS);

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint32_t len = lens[i];
		struct ibv_sge s = dp_sge(&src, 0, len), r = dp_sge(&dst, 0, len);
		struct ibv_send_wr wr;
		int imm = i & 1;

		/* SEND / SEND_WITH_IMM */
		dp_fill(src.addr, len, 10 + i);
		memset(dst.addr, 0, len + 1);
		CHECK(!post_recv(p.b, 100 + i, &r, 1), "post_recv");
		dp_wr(&wr, 200 + i, imm ? IBV_WR_SEND_WITH_IMM : IBV_WR_SEND,
		      &s, len ? 1 : 0, 0, 0);
		wr.imm_data = htonl(0xabc00000 | i);
		if (!post_one(p.a, &wr)) {
			if (!expect_send_recv(&p, 200 + i, 100 + i, "RC", &wc)) {
				CHECK(wc.byte_len == len, "recv byte_len %u want %u",
				      wc.byte_len, len);
				CHECK(wc.qp_num == p.b->qp_num, "recv qp_num");
				CHECK(!!(wc.wc_flags & IBV_WC_WITH_IMM) == imm,
				      "WITH_IMM flag %#x", wc.wc_flags);
				if (imm)
					CHECK(wc.imm_data == htonl(0xabc00000 | i),
					      "imm %#x", ntohl(wc.imm_data));
			}
			CHECK(!memcmp(src.addr, dst.addr, len),
			      "SEND %u bytes: data differs", len);
			CHECK(((char *)dst.addr)[len] == 0,
			      "SEND wrote past %u bytes", len);
		}

		if (!len)
			continue;
		/* RDMA_WRITE: no receive consumed at the target */
		dp_fill(src.addr, len, 20 + i);
		memset(dst.addr, 0, len + 1);
		dp_wr(&wr, 300 + i, IBV_WR_RDMA_WRITE, &s, 1,
		      (uintptr_t)dst.addr, dst.mr->rkey);
		if (!post_one(p.a, &wr)) {
			dp_expect(p.cqa, 300 + i, IBV_WC_SUCCESS,
				  IBV_WC_RDMA_WRITE, "write completion", NULL);
			CHECK(!memcmp(src.addr, dst.addr, len),
			      "RDMA_WRITE %u bytes: data differs", len);
			CHECK(((char *)dst.addr)[len] == 0,
			      "RDMA_WRITE wrote past %u bytes", len);
			CHECK(dp_cq_stays_empty(p.cqb, 10),
			      "RDMA_WRITE completed at the target");
		}

		/* RDMA_WRITE_WITH_IMM consumes a receive with no SGE */
		dp_fill(src.addr, len, 30 + i);
		CHECK(!post_recv(p.b, 400 + i, NULL, 0), "post_recv");
		wr.wr_id = 500 + i;
		wr.opcode = IBV_WR_RDMA_WRITE_WITH_IMM;
		wr.imm_data = htonl(0x5eed0000 | i);
		if (!post_one(p.a, &wr)) {
			dp_expect(p.cqa, 500 + i, IBV_WC_SUCCESS,
				  IBV_WC_RDMA_WRITE, "write-imm completion", NULL);
			if (!dp_expect(p.cqb, 400 + i, IBV_WC_SUCCESS,
				       IBV_WC_RECV_RDMA_WITH_IMM,
				       "write-imm target completion", &wc)) {
				CHECK(wc.byte_len == len, "write-imm byte_len %u",
				      wc.byte_len);
				CHECK((wc.wc_flags & IBV_WC_WITH_IMM) &&
				      wc.imm_data == htonl(0x5eed0000 | i),
				      "write-imm imm %#x flags %#x",
				      ntohl(wc.imm_data), wc.wc_flags);
			}
			CHECK(!memcmp(src.addr, dst.addr, len),
			      "RDMA_WRITE_WITH_IMM %u bytes: data differs", len);
		}

		/* RDMA_READ: b's buffer into a's */
		dp_fill(dst.addr, len, 40 + i);
		memset(src.addr, 0, len + 1);
		dp_wr(&wr, 600 + i, IBV_WR_RDMA_READ, &s, 1,
		      (uintptr_t)dst.addr, dst.mr->rkey);
		if (!post_one(p.a, &wr)) {
			if (!dp_expect(p.cqa, 600 + i, IBV_WC_SUCCESS,
				       IBV_WC_RDMA_READ, "read completion", &wc))
				CHECK(wc.byte_len == len, "read byte_len %u",
				      wc.byte_len);
			CHECK(!memcmp(src.addr, dst.addr, len),
			      "RDMA_READ %u bytes: data differs", len);
			CHECK(((char *)src.addr)[len] == 0,
			      "RDMA_READ wrote past %u bytes", len);
		}
	}

	/*
	 * Atomics: the old remote value lands in the local 8 bytes.  The
	 * second compare no longer matches and must leave the remote as is.
	 */
	{
		static const struct {
			uint64_t wr_id;
			enum ibv_wr_opcode opcode;
			uint64_t compare_add, swap;
			enum ibv_wc_opcode wc_opcode;
			const char *what;
			uint64_t old, result;	/* local and remote after it */
		} steps[] = {
			{ 700, IBV_WR_ATOMIC_CMP_AND_SWP, 0x1111222233334444ULL,
			  0x5555666677778888ULL, IBV_WC_COMP_SWAP,
			  "cmp_swp (match)", 0x1111222233334444ULL,
			  0x5555666677778888ULL },
			{ 701, IBV_WR_ATOMIC_CMP_AND_SWP, 0x1111222233334444ULL,
			  0x9999ULL, IBV_WC_COMP_SWAP, "cmp_swp (mismatch)",
			  0x5555666677778888ULL, 0x5555666677778888ULL },
			{ 702, IBV_WR_ATOMIC_FETCH_AND_ADD, 0x10, 0,
			  IBV_WC_FETCH_ADD, "fetch_add", 0x5555666677778888ULL,
			  0x5555666677778898ULL },
		};
		uint64_t *remote = at_remote.addr, *local = at_local.addr;
		struct ibv_sge s = dp_sge(&at_local, 0, 8);
		struct ibv_send_wr wr;

		*remote = 0x1111222233334444ULL;
		for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
			dp_wr(&wr, steps[i].wr_id, steps[i].opcode, &s, 1, 0, 0);
			wr.wr.atomic.remote_addr = (uintptr_t)remote;
			wr.wr.atomic.rkey = at_remote.mr->rkey;
			wr.wr.atomic.compare_add = steps[i].compare_add;
			wr.wr.atomic.swap = steps[i].swap;
			if (post_one(p.a, &wr))
				continue;
			if (!dp_expect(p.cqa, steps[i].wr_id, IBV_WC_SUCCESS,
				       steps[i].wc_opcode, steps[i].what, &wc) &&
			    i == 0)
				CHECK(wc.byte_len == 8, "%s: byte_len %u",
				      steps[i].what, wc.byte_len);
			CHECK(*local == steps[i].old, "%s: old value %#llx",
			      steps[i].what, (unsigned long long)*local);
			CHECK(*remote == steps[i].result,
			      "%s: remote %#llx, want %#llx", steps[i].what,
			      (unsigned long long)*remote,
			      (unsigned long long)steps[i].result);
		}
	}
	CHECK(dp_cq_stays_empty(p.cqa, 10) && dp_cq_stays_empty(p.cqb, 10),
	      "stray completions");

	dp_buf_free(&src);
	dp_buf_free(&dst);
	dp_buf_free(&at_local);
	dp_buf_free(&at_remote);
	pair_destroy(&p);
}

/* Gather from n pieces, scatter into n pieces of different sizes. */
static void test_sge_counts(struct dp_dev *d)
{
	struct dp_buf src, dst;
	struct ibv_sge s[32], r[32];
	struct ibv_send_wr wr, wr2, *bad;
	struct ibv_recv_wr rwr, *rbad;
	struct pair p;
	uint32_t n, k, max_sge;
	int ret;

	SUBTEST("SGE counts 1..max_send_sge, gather and scatter; one SGE too many");
	pair_make(d, &p, IBV_QPT_RC, 8, 0, 0);
	max_sge = p.cap.max_send_sge;
	CHECK(max_sge >= 8, "asked for 8 send SGEs, got %u", max_sge);
	if (max_sge > 31)
		max_sge = 31;
	dp_buf_alloc(d, &src, BUF_LEN, DP_ALL_ACCESS);
	dp_buf_alloc(d, &dst, BUF_LEN, DP_ALL_ACCESS);

	for (n = 1; n <= max_sge; n++) {
		uint32_t total = 0, off;
		char what[32];
		unsigned char *expect = malloc(BUF_LEN), *got = malloc(BUF_LEN);

		if (!expect || !got)
			dp_die("malloc");
		dp_fill(src.addr, BUF_LEN, n);
		memset(dst.addr, 0, BUF_LEN);
		/* pieces of 100+37k bytes, 512 bytes apart, from offset 3 */
		for (k = 0, off = 3; k < n; k++) {
			uint32_t len = 100 + 37 * k;

			s[k] = dp_sge(&src, off, len);
			memcpy(expect + total, (char *)src.addr + off, len);
			total += len;
			off += len + 512;
		}
		/* receive side: n pieces too, sized differently */
		for (k = 0, off = 1; k < n; k++) {
			uint32_t len = k == n - 1 ? total : total / n + 5;

			r[k] = dp_sge(&dst, off, len);
			off += len + 256;
		}
		CHECK(!post_recv(p.b, n, r, n), "post_recv %u SGEs", n);
		dp_wr(&wr, 1000 + n, IBV_WR_SEND, s, n, 0, 0);
		if (!post_one(p.a, &wr)) {
			struct ibv_wc wc;

			if (!expect_send_recv(&p, 1000 + n, n,
					      "multi-SGE", &wc))
				CHECK(wc.byte_len == total, "%u SGEs: byte_len %u want %u",
				      n, wc.byte_len, total);
			/* reassemble what the scatter list received */
			uint32_t left = total, at = 0;

			for (k = 0; k < n && left; k++) {
				uint32_t take = r[k].length < left ? r[k].length : left;

				memcpy(got + at, (void *)(uintptr_t)r[k].addr, take);
				at += take;
				left -= take;
			}
			CHECK(!memcmp(expect, got, total),
			      "%u-SGE send: data differs", n);
		}

		/* the same gather list as an RDMA write */
		memset(dst.addr, 0, BUF_LEN);
		snprintf(what, sizeof(what), "%u-SGE write", n);
		write_again(&p, &wr, 2000 + n, &dst, expect, total, what);
		free(expect);
		free(got);
	}

	/* one SGE too many, second in a list: the first is still posted */
	for (k = 0; k <= p.cap.max_send_sge && k < 32; k++)
		s[k] = dp_sge(&src, 64 * k, 8);
	memset(&wr, 0, sizeof(wr));
	memset(&wr2, 0, sizeof(wr2));
	wr.wr_id = 3000;
	wr.sg_list = s;
	wr.num_sge = 1;
	wr.opcode = IBV_WR_RDMA_WRITE;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.rdma.remote_addr = (uintptr_t)dst.addr;
	wr.wr.rdma.rkey = dst.mr->rkey;
	wr.next = &wr2;
	wr2 = wr;
	wr2.next = NULL;
	wr2.wr_id = 3001;
	wr2.num_sge = p.cap.max_send_sge + 1;
	if (p.cap.max_send_sge < 32) {
		bad = NULL;
		ret = ibv_post_send(p.a, &wr, &bad);
		check_post_error(ret, ENOMEM, "send with max_send_sge+1 SGEs");
		CHECK(bad == &wr2, "bad_wr %p, want the second WR %p",
		      (void *)bad, (void *)&wr2);
		dp_expect(p.cqa, 3000, IBV_WC_SUCCESS, IBV_WC_RDMA_WRITE,
			  "WR before the bad one", NULL);
		CHECK(dp_cq_stays_empty(p.cqa, 20), "the bad WR completed");
	}

	/* receive side: one SGE too many is EINVAL on every provider */
	memset(&rwr, 0, sizeof(rwr));
	rwr.wr_id = 3002;
	rwr.sg_list = r;
	rwr.num_sge = p.cap.max_recv_sge + 1;
	for (k = 0; k < (uint32_t)rwr.num_sge && k < 32; k++)
		r[k] = dp_sge(&dst, 64 * k, 8);
	if (rwr.num_sge <= 32) {
		rbad = NULL;
		ret = ibv_post_recv(p.b, &rwr, &rbad);
		CHECK_ERRNO(ret, EINVAL, "recv with max_recv_sge+1 SGEs");
		CHECK(rbad == &rwr, "recv bad_wr not set");
	}

	dp_buf_free(&src);
	dp_buf_free(&dst);
	pair_destroy(&p);
}

static void test_inline(struct dp_dev *d)
{
	struct dp_buf dst;
	struct ibv_send_wr wr, *bad;
	struct ibv_sge s[2];
	struct pair p;
	uint32_t max, sizes[4];
	unsigned char *plain;
	unsigned int i;
	int ret;

	SUBTEST("inline SEND and RDMA_WRITE up to max_inline_data, unregistered source; one byte more");
	pair_make(d, &p, IBV_QPT_RC, 2, 220, 0);
	max = p.cap.max_inline_data;
	CHECK(max >= 220, "asked for 220 inline bytes, got %u", max);
	dp_buf_alloc(d, &dst, BUF_LEN, DP_ALL_ACCESS);
	plain = malloc(max + 64);	/* never registered */
	if (!plain)
		dp_die("malloc");
	sizes[0] = 1;
	sizes[1] = 64;
	sizes[2] = max / 2;
	sizes[3] = max;

	for (i = 0; i < 4; i++) {
		uint32_t len = sizes[i], half = len / 2;
		struct ibv_sge r = dp_sge(&dst, 0, BUF_LEN);

		dp_fill(plain, len, 50 + i);
		memset(dst.addr, 0, len + 1);
		/* two pieces, with a bogus lkey: inline data needs no MR */
		s[0] = (struct ibv_sge){ .addr = (uintptr_t)plain,
					 .length = half, .lkey = 0xdead };
		s[1] = (struct ibv_sge){ .addr = (uintptr_t)plain + half,
					 .length = len - half, .lkey = 0xbeef };
		CHECK(!post_recv(p.b, 60 + i, &r, 1), "post_recv");
		dp_wr(&wr, 70 + i, IBV_WR_SEND, s, 2, 0, 0);
		wr.send_flags = IBV_SEND_INLINE;
		if (!post_one(p.a, &wr)) {
			unsigned char copy[1024];
			struct ibv_wc wc;

			/* the WQE holds its own copy from here on */
			memcpy(copy, plain, len);
			memset(plain, 0xee, len);
			if (!expect_send_recv(&p, 70 + i, 60 + i,
					      "inline", &wc))
				CHECK(wc.byte_len == len, "inline byte_len %u want %u",
				      wc.byte_len, len);
			CHECK(!memcmp(copy, dst.addr, len),
			      "inline send of %u bytes: data differs", len);
		}

		dp_fill(plain, len, 80 + i);
		memset(dst.addr, 0, len + 1);
		write_again(&p, &wr, 90 + i, &dst, plain, len, "inline write");
	}

	s[0] = (struct ibv_sge){ .addr = (uintptr_t)plain, .length = max + 1 };
	dp_wr(&wr, 99, IBV_WR_SEND, s, 1, 0, 0);
	wr.send_flags = IBV_SEND_INLINE | IBV_SEND_SIGNALED;
	bad = NULL;
	ret = ibv_post_send(p.a, &wr, &bad);
	check_post_error(ret, ENOMEM, "inline send of max_inline_data+1 bytes");
	CHECK(bad == &wr, "bad_wr not set for the oversized inline WR");
	CHECK(dp_cq_stays_empty(p.cqa, 20), "oversized inline WR completed");

	free(plain);
	dp_buf_free(&dst);
	pair_destroy(&p);
}

static void test_bad_opcodes(struct dp_dev *d)
{
	struct ibv_send_wr wr, *bad;
	struct dp_buf buf;
	struct ibv_sge s;
	struct pair ud, uc;
	int ret;

	SUBTEST("opcodes the QP type cannot carry: EINVAL and bad_wr");
	pair_make(d, &ud, IBV_QPT_UD, 1, 0, 0);
	pair_make(d, &uc, IBV_QPT_UC, 1, 0, 0);
	dp_buf_alloc(d, &buf, 4096, DP_ALL_ACCESS);
	s = dp_sge(&buf, 0, 8);

	memset(&wr, 0, sizeof(wr));
	wr.sg_list = &s;
	wr.num_sge = 1;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.rdma.remote_addr = (uintptr_t)buf.addr;
	wr.wr.rdma.rkey = buf.mr->rkey;

	/* rxe queues these and fails them later; we refuse them at once */
	if (dp_reference) {
		printf("   (reference: rxe accepts any opcode; skipped)\n");
	} else {
		wr.opcode = IBV_WR_RDMA_READ;
		bad = NULL;
		ret = ibv_post_send(uc.a, &wr, &bad);
		CHECK_ERRNO(ret, EINVAL, "RDMA_READ on UC");
		CHECK(bad == &wr, "bad_wr for RDMA_READ on UC");

		wr.opcode = IBV_WR_ATOMIC_FETCH_AND_ADD;
		bad = NULL;
		ret = ibv_post_send(uc.a, &wr, &bad);
		CHECK_ERRNO(ret, EINVAL, "FETCH_AND_ADD on UC");

		wr.opcode = IBV_WR_RDMA_WRITE;
		bad = NULL;
		ret = ibv_post_send(ud.a, &wr, &bad);
		CHECK_ERRNO(ret, EINVAL, "RDMA_WRITE on UD");
		CHECK(bad == &wr, "bad_wr for RDMA_WRITE on UD");

		wr.opcode = (enum ibv_wr_opcode)42;
		bad = NULL;
		ret = ibv_post_send(uc.a, &wr, &bad);
		CHECK_ERRNO(ret, EINVAL, "opcode 42");
		CHECK(dp_cq_stays_empty(ud.cqa, 20) &&
		      dp_cq_stays_empty(uc.cqa, 20), "a refused WR completed");
	}

	dp_buf_free(&buf);
	pair_destroy(&ud);
	pair_destroy(&uc);
}

#define WR_OPS                                                                 \
	(IBV_QP_EX_WITH_RDMA_WRITE | IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM |      \
	 IBV_QP_EX_WITH_SEND | IBV_QP_EX_WITH_SEND_WITH_IMM |                  \
	 IBV_QP_EX_WITH_RDMA_READ | IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP |        \
	 IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD)

static void test_wr_api(struct dp_dev *d)
{
	struct dp_buf src, dst, at;
	struct ibv_qp_ex *qpx;
	struct ibv_sge list[2], r;
	struct ibv_data_buf ib[2];
	struct ibv_wc wc;
	struct pair p, classic;
	uint64_t *remote, *local;
	char inl[40];
	int ret, i;

	SUBTEST("ibv_wr_* API: every opcode in one batch, abort, errors at wr_complete");
	if (dp_reference) {
		/* rxe's builders (rdma-core 44 on Linux 6.1) fail every WR */
		printf("   (reference: rxe's wr_* API is broken; skipped)\n");
		return;
	}
	pair_make(d, &p, IBV_QPT_RC, 2, 64, WR_OPS);
	pair_make(d, &classic, IBV_QPT_RC, 1, 0, 0);
	CHECK(ibv_qp_to_qp_ex(classic.a) == NULL,
	      "ibv_qp_to_qp_ex of a plain QP is not NULL");
	qpx = ibv_qp_to_qp_ex(p.a);
	CHECK(qpx && (void *)qpx == (void *)p.a,
	      "ibv_qp_to_qp_ex %p for QP %p", (void *)qpx, (void *)p.a);
	pair_destroy(&classic);
	if (!qpx) {
		pair_destroy(&p);
		return;
	}
	dp_buf_alloc(d, &src, 8192, DP_ALL_ACCESS);
	dp_buf_alloc(d, &dst, 8192, DP_ALL_ACCESS);
	dp_buf_alloc(d, &at, 64, DP_ALL_ACCESS);
	remote = at.addr;
	local = (uint64_t *)((char *)at.addr + 32);
	*remote = 7;
	dp_fill(src.addr, 8192, 5);
	dp_fill(inl, sizeof(inl), 6);

	/* receives: send (1000 bytes at 0), send_imm inline (at 2048), write_imm */
	r = dp_sge(&dst, 0, 1024);
	CHECK(!post_recv(p.b, 1, &r, 1), "post_recv");
	r = dp_sge(&dst, 2048, 1024);
	CHECK(!post_recv(p.b, 2, &r, 1), "post_recv");
	CHECK(!post_recv(p.b, 3, NULL, 0), "post_recv");

	ibv_wr_start(qpx);
	qpx->wr_id = 11;
	qpx->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_send(qpx);
	ibv_wr_set_sge(qpx, src.mr->lkey, (uintptr_t)src.addr, 1000);

	qpx->wr_id = 12;
	ibv_wr_send_imm(qpx, htonl(0x1234));
	ib[0] = (struct ibv_data_buf){ .addr = inl, .length = 15 };
	ib[1] = (struct ibv_data_buf){ .addr = inl + 15, .length = 25 };
	ibv_wr_set_inline_data_list(qpx, 2, ib);

	qpx->wr_id = 13;
	ibv_wr_rdma_write(qpx, dst.mr->rkey, (uintptr_t)dst.addr + 4096);
	list[0] = dp_sge(&src, 100, 300);
	list[1] = dp_sge(&src, 1000, 200);
	ibv_wr_set_sge_list(qpx, 2, list);

	qpx->wr_id = 14;
	ibv_wr_rdma_write_imm(qpx, dst.mr->rkey, (uintptr_t)dst.addr + 6000,
			      htonl(0x4321));
	ibv_wr_set_inline_data(qpx, inl, 10);

	qpx->wr_id = 15;
	ibv_wr_rdma_read(qpx, dst.mr->rkey, (uintptr_t)dst.addr + 4096);
	ibv_wr_set_sge(qpx, src.mr->lkey, (uintptr_t)src.addr + 7000, 500);

	qpx->wr_id = 16;
	ibv_wr_atomic_cmp_swp(qpx, at.mr->rkey, (uintptr_t)remote, 7, 70);
	ibv_wr_set_sge(qpx, at.mr->lkey, (uintptr_t)local, 8);

	qpx->wr_id = 17;
	ibv_wr_atomic_fetch_add(qpx, at.mr->rkey, (uintptr_t)remote, 3);
	ibv_wr_set_sge(qpx, at.mr->lkey, (uintptr_t)local + 8, 8);
	ret = ibv_wr_complete(qpx);
	CHECK(!ret, "ibv_wr_complete: %s", strerror(ret));

	if (!ret) {
		static const int ops[] = { IBV_WC_SEND, IBV_WC_SEND,
			IBV_WC_RDMA_WRITE, IBV_WC_RDMA_WRITE, IBV_WC_RDMA_READ,
			IBV_WC_COMP_SWAP, IBV_WC_FETCH_ADD };

		for (i = 0; i < 7; i++)
			dp_expect(p.cqa, 11 + i, IBV_WC_SUCCESS, ops[i],
				  "wr_* completion", NULL);
		if (!dp_expect(p.cqb, 1, IBV_WC_SUCCESS, IBV_WC_RECV,
			       "wr_send recv", &wc))
			CHECK(wc.byte_len == 1000, "wr_send byte_len %u",
			      wc.byte_len);
		if (!dp_expect(p.cqb, 2, IBV_WC_SUCCESS, IBV_WC_RECV,
			       "wr_send_imm recv", &wc))
			CHECK(wc.byte_len == 40 && (wc.wc_flags & IBV_WC_WITH_IMM) &&
			      wc.imm_data == htonl(0x1234),
			      "wr_send_imm len %u flags %#x imm %#x",
			      wc.byte_len, wc.wc_flags, ntohl(wc.imm_data));
		if (!dp_expect(p.cqb, 3, IBV_WC_SUCCESS,
			       IBV_WC_RECV_RDMA_WITH_IMM, "wr_rdma_write_imm", &wc))
			CHECK(wc.imm_data == htonl(0x4321) && wc.byte_len == 10,
			      "write_imm imm %#x len %u", ntohl(wc.imm_data),
			      wc.byte_len);
		CHECK(!memcmp(dst.addr, src.addr, 1000), "wr_send data");
		CHECK(!memcmp((char *)dst.addr + 2048, inl, 40),
		      "wr_send_imm inline data");
		CHECK(!memcmp((char *)dst.addr + 4096, (char *)src.addr + 100, 300) &&
		      !memcmp((char *)dst.addr + 4396, (char *)src.addr + 1000, 200),
		      "wr_rdma_write SGE list data");
		CHECK(!memcmp((char *)dst.addr + 6000, inl, 10),
		      "wr_rdma_write_imm inline data");
		/* the read ran after the write it reads (same QP, in order) */
		CHECK(!memcmp((char *)src.addr + 7000, (char *)dst.addr + 4096, 500),
		      "wr_rdma_read data");
		CHECK(local[0] == 7 && local[1] == 70 && *remote == 73,
		      "atomics: old %llu %llu, remote %llu",
		      (unsigned long long)local[0], (unsigned long long)local[1],
		      (unsigned long long)*remote);
	}

	/* wr_abort: nothing reaches the wire */
	r = dp_sge(&dst, 0, 1024);
	CHECK(!post_recv(p.b, 20, &r, 1), "post_recv");
	memset(dst.addr, 0, 64);
	ibv_wr_start(qpx);
	qpx->wr_id = 21;
	qpx->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_send(qpx);
	ibv_wr_set_inline_data(qpx, "aborted", 8);
	ibv_wr_abort(qpx);
	CHECK(dp_cq_stays_empty(p.cqa, 50) && dp_cq_stays_empty(p.cqb, 10),
	      "an aborted WR completed");
	ibv_wr_start(qpx);
	qpx->wr_id = 22;
	ibv_wr_send(qpx);
	ibv_wr_set_inline_data(qpx, "posted!", 8);
	ret = ibv_wr_complete(qpx);
	CHECK(!ret, "wr_complete after abort: %s", strerror(ret));
	if (!ret) {
		expect_send_recv(&p, 22, 20, "post-abort", NULL);
		CHECK(!memcmp(dst.addr, "posted!", 8), "after abort got '%.8s'",
		      (char *)dst.addr);
	}

	/* errors surface at wr_complete and discard the whole batch */
	if (!dp_reference) {
		struct ibv_sge many[8];

		for (i = 0; i < 8; i++)
			many[i] = dp_sge(&src, 8 * i, 8);
		ibv_wr_start(qpx);
		qpx->wr_id = 30;
		ibv_wr_rdma_write(qpx, dst.mr->rkey, (uintptr_t)dst.addr);
		ibv_wr_set_sge(qpx, src.mr->lkey, (uintptr_t)src.addr, 8);
		qpx->wr_id = 31;
		ibv_wr_rdma_write(qpx, dst.mr->rkey, (uintptr_t)dst.addr);
		ibv_wr_set_sge_list(qpx, p.cap.max_send_sge + 1 <= 8 ?
					      p.cap.max_send_sge + 1 : 8, many);
		ret = ibv_wr_complete(qpx);
		CHECK_ERRNO(ret, EINVAL, "wr_complete with too many SGEs");

		ibv_wr_start(qpx);
		qpx->wr_id = 32;
		ibv_wr_send(qpx);
		ibv_wr_set_inline_data(qpx, src.addr, p.cap.max_inline_data + 1);
		ret = ibv_wr_complete(qpx);
		CHECK_ERRNO(ret, ENOMEM, "wr_complete with oversized inline data");
		CHECK(dp_cq_stays_empty(p.cqa, 50),
		      "a WR of a failed batch completed");
	}

	dp_buf_free(&src);
	dp_buf_free(&dst);
	dp_buf_free(&at);
	pair_destroy(&p);
}

static void test_cq_ex(struct dp_dev *d)
{
	struct ibv_cq_init_attr_ex ca = {
		.cqe = 64,
		.wc_flags = IBV_WC_EX_WITH_BYTE_LEN | IBV_WC_EX_WITH_IMM |
			    IBV_WC_EX_WITH_QP_NUM | IBV_WC_EX_WITH_SRC_QP |
			    IBV_WC_EX_WITH_COMPLETION_TIMESTAMP,
	};
	struct ibv_poll_cq_attr pa = {};
	struct dp_buf src, dst;
	struct ibv_cq_ex *cqx;
	struct ibv_send_wr wr;
	struct ibv_qp *a, *b;
	struct ibv_cq *cqa;
	uint64_t last_ts = 0;
	int i, n = 0, ret, with_ts = 1;
	int64_t deadline;

	SUBTEST("ibv_cq_ex: start/next/end_poll, readers, completion timestamps");
	cqx = ibv_create_cq_ex(d->ctx, &ca);
	if (!cqx && dp_reference && errno == EOPNOTSUPP) {
		with_ts = 0;
		ca.wc_flags &= ~IBV_WC_EX_WITH_COMPLETION_TIMESTAMP;
		cqx = ibv_create_cq_ex(d->ctx, &ca);
	}
	CHECK(cqx, "ibv_create_cq_ex: %s", strerror(errno));
	if (!cqx)
		return;
	cqa = ibv_create_cq(d->ctx, 64, NULL, NULL, 0);
	if (!cqa)
		dp_die("ibv_create_cq");
	a = dp_create_qp(d, IBV_QPT_RC, cqa, cqa, NULL, 32, 1, 0);
	b = dp_create_qp(d, IBV_QPT_RC, ibv_cq_ex_to_cq(cqx),
			 ibv_cq_ex_to_cq(cqx), NULL, 32, 1, 0);
	if (dp_to_init(a) || dp_to_init(b) ||
	    dp_to_rts(d, a, b->qp_num, NULL) || dp_to_rts(d, b, a->qp_num, NULL))
		dp_die("connect");
	dp_buf_alloc(d, &src, 4096, DP_ALL_ACCESS);
	dp_buf_alloc(d, &dst, 16 * 256, DP_ALL_ACCESS);

	/* empty CQ: ENOENT, and no end_poll owed */
	ret = ibv_start_poll(cqx, &pa);
	CHECK(ret == ENOENT, "start_poll on an empty CQ: %d", ret);

	for (i = 0; i < 16; i++) {
		struct ibv_sge r = dp_sge(&dst, 256 * i, 256);

		CHECK(!post_recv(b, 40 + i, &r, 1), "post_recv");
	}
	for (i = 0; i < 16; i++) {
		struct ibv_sge s = dp_sge(&src, 0, 10 + i);

		dp_wr(&wr, i, IBV_WR_SEND_WITH_IMM, &s, 1, 0, 0);
		wr.imm_data = htonl(i);
		post_one(a, &wr);
	}
	deadline = dp_now_ms() + DP_TIMEOUT_MS;
	while (n < 16 && dp_now_ms() < deadline) {
		ret = ibv_start_poll(cqx, &pa);
		if (ret == ENOENT)
			continue;
		CHECK(!ret, "start_poll: %d", ret);
		if (ret)
			break;
		do {
			uint64_t ts;

			CHECK(cqx->status == IBV_WC_SUCCESS && cqx->wr_id == 40u + n,
			      "cq_ex entry %d: status %d wr_id %llu", n,
			      cqx->status, (unsigned long long)cqx->wr_id);
			CHECK(ibv_wc_read_opcode(cqx) == IBV_WC_RECV,
			      "cq_ex opcode");
			CHECK(ibv_wc_read_byte_len(cqx) == 10u + n,
			      "cq_ex byte_len %u", ibv_wc_read_byte_len(cqx));
			CHECK(ibv_wc_read_imm_data(cqx) == htonl(n) &&
			      (ibv_wc_read_wc_flags(cqx) & IBV_WC_WITH_IMM),
			      "cq_ex imm");
			CHECK(ibv_wc_read_qp_num(cqx) == b->qp_num, "cq_ex qp_num");
			CHECK(ibv_wc_read_src_qp(cqx) == a->qp_num ||
			      ibv_wc_read_src_qp(cqx) == 0, "cq_ex src_qp");
			if (with_ts) {
				ts = ibv_wc_read_completion_ts(cqx);
				CHECK(ts && ts >= last_ts,
				      "timestamp %llu after %llu",
				      (unsigned long long)ts,
				      (unsigned long long)last_ts);
				last_ts = ts;
			}
			n++;
		} while (!(ret = ibv_next_poll(cqx)));
		CHECK(ret == ENOENT, "next_poll: %d", ret);
		ibv_end_poll(cqx);
	}
	CHECK(n == 16, "cq_ex saw %d of 16 completions", n);
	for (i = 0; i < 16; i++)
		dp_expect(cqa, i, IBV_WC_SUCCESS, IBV_WC_SEND, "sender", NULL);

	CHECK(!ibv_destroy_qp(a) && !ibv_destroy_qp(b), "destroy qps");
	CHECK(!ibv_destroy_cq(cqa), "destroy cq");
	CHECK(!ibv_destroy_cq(ibv_cq_ex_to_cq(cqx)), "destroy cq_ex");
	dp_buf_free(&src);
	dp_buf_free(&dst);
}

/*
 * An mlx5 CQE of a RoCE UD receive carries in its SL field the kind of
 * header before the payload (0: RoCE v1 GRH, 1: IPv6, 2: IPv4), and UCX
 * reads the sender's GID out of the 40 bytes by it: the wrong kind and
 * every packet looks misaddressed and is dropped.
 */
static unsigned int ud_roce_pkt_type(struct dp_dev *d,
				     const struct ibv_ah_attr *aa)
{
	struct ibv_gid_entry e;

	if (ibv_query_gid_ex(d->ctx, DP_PORT, aa->grh.sgid_index, &e, 0))
		return 255;
	if (e.gid_type == IBV_GID_TYPE_ROCE_V1)
		return 0;
	return IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)aa->grh.dgid.raw)
		? 2 : 1;
}

static void test_ud(struct dp_dev *d)
{
	struct ibv_ah_attr aa;
	struct ibv_ah *ah, *back;
	struct dp_buf src, dst;
	struct ibv_send_wr wr;
	struct ibv_wc wc;
	struct pair p;
	struct ibv_sge s, r;
	uint32_t grh = 40;
	unsigned int want_sl;
	int i;

	SUBTEST("UD: SEND/SEND_WITH_IMM/inline through an AH, GRH, reply via ibv_create_ah_from_wc");
	pair_make(d, &p, IBV_QPT_UD, 1, 64, 0);
	dp_buf_alloc(d, &src, 4096, DP_ALL_ACCESS);
	dp_buf_alloc(d, &dst, 8192, DP_ALL_ACCESS);
	dp_ah_attr(d, &aa);
	want_sl = ud_roce_pkt_type(d, &aa);
	ah = ibv_create_ah(d->pd, &aa);
	CHECK(ah, "ibv_create_ah: %s", strerror(errno));
	if (!ah)
		goto out;

	for (i = 0; i < 3; i++) {
		uint32_t len = i == 2 ? 50 : 1000;

		dp_fill(src.addr, len, 90 + i);
		memset(dst.addr, 0, 2048);
		r = dp_sge(&dst, 0, grh + 1024);
		CHECK(!post_recv(p.b, 10 + i, &r, 1), "post_recv");
		s = dp_sge(&src, 0, len);
		dp_wr(&wr, 20 + i, i == 1 ? IBV_WR_SEND_WITH_IMM : IBV_WR_SEND,
		      &s, 1, 0, 0);
		wr.imm_data = htonl(77);
		wr.send_flags = i == 2 ? IBV_SEND_INLINE : 0;
		wr.wr.ud.ah = ah;
		wr.wr.ud.remote_qpn = p.b->qp_num;
		wr.wr.ud.remote_qkey = DP_QKEY;
		if (post_one(p.a, &wr))
			continue;
		if (expect_send_recv(&p, 20 + i, 10 + i, "UD", &wc))
			continue;
		CHECK(wc.byte_len == len + grh, "UD byte_len %u want %u",
		      wc.byte_len, len + grh);
		CHECK(wc.src_qp == p.a->qp_num, "UD src_qp %u want %u",
		      wc.src_qp, p.a->qp_num);
		CHECK(!aa.is_global || (wc.wc_flags & IBV_WC_GRH),
		      "UD recv without IBV_WC_GRH");
		CHECK(i != 1 || ((wc.wc_flags & IBV_WC_WITH_IMM) &&
				 wc.imm_data == htonl(77)), "UD imm");
		CHECK(!memcmp((char *)dst.addr + grh, src.addr, len),
		      "UD data differs");
		CHECK(!aa.is_global || wc.sl == want_sl,
		      "UD wc.sl %u want RoCE packet type %u", wc.sl, want_sl);
	}

	/* answer the last sender through an AH made from its completion */
	back = ibv_create_ah_from_wc(d->pd, &wc, dst.addr, DP_PORT);
	CHECK(back, "ibv_create_ah_from_wc: %s", strerror(errno));
	if (back) {
		r = dp_sge(&dst, 4096, grh + 64);
		CHECK(!post_recv(p.a, 30, &r, 1), "post_recv");
		s = dp_sge(&src, 0, 64);
		dp_wr(&wr, 31, IBV_WR_SEND, &s, 1, 0, 0);
		wr.wr.ud.ah = back;
		wr.wr.ud.remote_qpn = wc.src_qp;
		wr.wr.ud.remote_qkey = DP_QKEY;
		if (!post_one(p.b, &wr)) {
			dp_expect(p.cqb, 31, IBV_WC_SUCCESS, IBV_WC_SEND,
				  "UD reply", NULL);
			dp_expect(p.cqa, 30, IBV_WC_SUCCESS, IBV_WC_RECV,
				  "UD reply recv", NULL);
		}
		CHECK(!ibv_destroy_ah(back), "destroy ah");
	}
	CHECK(!ibv_destroy_ah(ah), "destroy ah");
out:
	dp_buf_free(&src);
	dp_buf_free(&dst);
	pair_destroy(&p);
}

static void test_ud_wr_api(struct dp_dev *d)
{
	struct ibv_ah_attr aa;
	struct dp_buf dst;
	struct ibv_qp_ex *qpx;
	struct ibv_sge r;
	struct ibv_wc wc;
	struct ibv_ah *ah;
	struct pair p;
	int ret;

	SUBTEST("UD through ibv_wr_send + ibv_wr_set_ud_addr");
	if (dp_reference) {
		printf("   (reference: rxe's wr_* API is broken; skipped)\n");
		return;
	}
	pair_make(d, &p, IBV_QPT_UD, 1, 64,
		  IBV_QP_EX_WITH_SEND | IBV_QP_EX_WITH_SEND_WITH_IMM);
	dp_buf_alloc(d, &dst, 4096, DP_ALL_ACCESS);
	dp_ah_attr(d, &aa);
	ah = ibv_create_ah(d->pd, &aa);
	qpx = ibv_qp_to_qp_ex(p.a);
	CHECK(ah && qpx, "ah %p qpx %p", (void *)ah, (void *)qpx);
	if (ah && qpx) {
		r = dp_sge(&dst, 0, 40 + 64);
		CHECK(!post_recv(p.b, 1, &r, 1), "post_recv");
		ibv_wr_start(qpx);
		qpx->wr_id = 2;
		qpx->wr_flags = IBV_SEND_SIGNALED;
		ibv_wr_send_imm(qpx, htonl(9));
		ibv_wr_set_ud_addr(qpx, ah, p.b->qp_num, DP_QKEY);
		ibv_wr_set_inline_data(qpx, "datagram", 9);
		ret = ibv_wr_complete(qpx);
		CHECK(!ret, "wr_complete: %s", strerror(ret));
		if (!ret) {
			if (!expect_send_recv(&p, 2, 1, "UD wr", &wc))
				CHECK(wc.byte_len == 49 &&
				      !strcmp((char *)dst.addr + 40, "datagram"),
				      "UD wr data len %u", wc.byte_len);
		}
	}
	if (ah)
		CHECK(!ibv_destroy_ah(ah), "destroy ah");
	dp_buf_free(&dst);
	pair_destroy(&p);
}

static void test_uc(struct dp_dev *d)
{
	struct dp_buf src, dst;
	struct ibv_send_wr wr;
	struct ibv_sge s, r;
	struct pair p;

	SUBTEST("UC: RDMA_WRITE and SEND");
	pair_make(d, &p, IBV_QPT_UC, 1, 0, 0);
	dp_buf_alloc(d, &src, 8192, DP_ALL_ACCESS);
	dp_buf_alloc(d, &dst, 8192, DP_ALL_ACCESS);
	dp_fill(src.addr, 8192, 3);
	s = dp_sge(&src, 0, 3000);
	dp_wr(&wr, 1, IBV_WR_RDMA_WRITE, &s, 1,
	      (uintptr_t)dst.addr, dst.mr->rkey);
	if (!post_one(p.a, &wr)) {
		dp_expect(p.cqa, 1, IBV_WC_SUCCESS, IBV_WC_RDMA_WRITE,
			  "UC write", NULL);
		/* UC completes on send: wait for the data itself */
		int64_t deadline = dp_now_ms() + DP_TIMEOUT_MS;

		while (memcmp(src.addr, dst.addr, 3000) &&
		       dp_now_ms() < deadline)
			;
		CHECK(!memcmp(src.addr, dst.addr, 3000), "UC write data");
	}
	r = dp_sge(&dst, 4096, 4096);
	CHECK(!post_recv(p.b, 2, &r, 1), "post_recv");
	wr.wr_id = 3;
	wr.opcode = IBV_WR_SEND;
	if (!post_one(p.a, &wr)) {
		expect_send_recv(&p, 3, 2, "UC", NULL);
		CHECK(!memcmp(src.addr, (char *)dst.addr + 4096, 3000),
		      "UC send data");
	}
	dp_buf_free(&src);
	dp_buf_free(&dst);
	pair_destroy(&p);
}

static void test_srq(struct dp_dev *d)
{
	struct ibv_srq_init_attr sa = { .attr = { .max_wr = 64, .max_sge = 2 } };
	struct ibv_qp *a[2], *b[2];
	struct ibv_recv_wr rwr, *rbad;
	struct ibv_srq_attr q;
	struct dp_buf src, dst;
	struct ibv_cq *cqa, *cqb;
	struct ibv_srq *srq;
	struct ibv_sge r[3];
	int seen[2] = { 0, 0 };
	uint32_t sent_done = 0, recv_done = 0;
	int i, ret;

	SUBTEST("SRQ shared by two RC QPs; 2-SGE receives; too many SGEs");
	srq = ibv_create_srq(d->pd, &sa);
	CHECK(srq, "ibv_create_srq: %s", strerror(errno));
	if (!srq)
		return;
	CHECK(sa.attr.max_wr >= 64 && sa.attr.max_sge >= 2,
	      "SRQ granted max_wr %u max_sge %u", sa.attr.max_wr,
	      sa.attr.max_sge);
	CHECK(!ibv_query_srq(srq, &q) && q.max_wr >= 64, "ibv_query_srq");
	cqa = ibv_create_cq(d->ctx, 128, NULL, NULL, 0);
	cqb = ibv_create_cq(d->ctx, 128, NULL, NULL, 0);
	if (!cqa || !cqb)
		dp_die("ibv_create_cq");
	for (i = 0; i < 2; i++) {
		a[i] = dp_create_qp(d, IBV_QPT_RC, cqa, cqa, NULL, 32, 1, 0);
		b[i] = dp_create_qp(d, IBV_QPT_RC, cqb, cqb, srq, 32, 1, 0);
		if (dp_to_init(a[i]) || dp_to_init(b[i]) ||
		    dp_to_rts(d, a[i], b[i]->qp_num, NULL) ||
		    dp_to_rts(d, b[i], a[i]->qp_num, NULL))
			dp_die("connect");
	}
	dp_buf_alloc(d, &src, 4096, DP_ALL_ACCESS);
	dp_buf_alloc(d, &dst, 32 * 256, DP_ALL_ACCESS);
	dp_fill(src.addr, 4096, 8);

	/* receive directly on a QP that has an SRQ: refused */
	r[0] = dp_sge(&dst, 0, 16);
	memset(&rwr, 0, sizeof(rwr));
	rwr.sg_list = r;
	rwr.num_sge = 1;
	if (!dp_reference) {
		rbad = NULL;
		ret = ibv_post_recv(b[0], &rwr, &rbad);
		CHECK(ret != 0 && rbad == &rwr, "post_recv on a QP with an SRQ: %d",
		      ret);
	}
	r[0] = dp_sge(&dst, 0, 16);
	r[1] = dp_sge(&dst, 16, 16);
	r[2] = dp_sge(&dst, 32, 16);
	rwr.num_sge = sa.attr.max_sge + 1;
	if (rwr.num_sge <= 3) {
		rbad = NULL;
		ret = ibv_post_srq_recv(srq, &rwr, &rbad);
		CHECK_ERRNO(ret, EINVAL, "SRQ recv with max_sge+1 SGEs");
		CHECK(rbad == &rwr, "SRQ bad_wr");
	}

	for (i = 0; i < 16; i++) {
		r[0] = dp_sge(&dst, 256 * i, 100);
		r[1] = dp_sge(&dst, 256 * i + 128, 100);
		rwr.wr_id = 100 + i;
		rwr.num_sge = 2;
		rbad = NULL;
		CHECK(!ibv_post_srq_recv(srq, &rwr, &rbad), "post_srq_recv");
	}
	for (i = 0; i < 16; i++) {
		struct ibv_sge s = dp_sge(&src, 0, 150);
		struct ibv_send_wr wr = {
			.wr_id = i, .sg_list = &s, .num_sge = 1,
			.opcode = IBV_WR_SEND,
		};

		post_one(a[i & 1], &wr);
	}
	/* two QPs complete into each CQ: no order between them */
	for (i = 0; i < 16; i++) {
		struct ibv_wc wc;

		if (dp_poll(cqa, &wc, 1, DP_TIMEOUT_MS) != 1) {
			CHECK(0, "SRQ sender completion %d missing", i);
			break;
		}
		CHECK(wc.status == IBV_WC_SUCCESS && wc.wr_id < 16 &&
		      !(sent_done & (1u << wc.wr_id)),
		      "SRQ sender: status %d wr_id %llu", wc.status,
		      (unsigned long long)wc.wr_id);
		if (wc.wr_id < 16)
			sent_done |= 1u << wc.wr_id;
	}
	for (i = 0; i < 16; i++) {
		struct ibv_wc wc;

		if (dp_poll(cqb, &wc, 1, DP_TIMEOUT_MS) != 1) {
			CHECK(0, "SRQ receive %d missing", i);
			break;
		}
		CHECK(wc.status == IBV_WC_SUCCESS && wc.wr_id >= 100 &&
		      wc.wr_id < 116 && !(recv_done & (1u << (wc.wr_id - 100))) &&
		      wc.byte_len == 150,
		      "SRQ recv %d: status %d wr_id %llu len %u", i, wc.status,
		      (unsigned long long)wc.wr_id, wc.byte_len);
		if (wc.wr_id < 100 || wc.wr_id >= 116)
			continue;
		recv_done |= 1u << (wc.wr_id - 100);
		CHECK(wc.qp_num == b[0]->qp_num || wc.qp_num == b[1]->qp_num,
		      "SRQ recv qp_num %u", wc.qp_num);
		seen[wc.qp_num == b[1]->qp_num]++;
		CHECK(!memcmp((char *)dst.addr + 256 * (wc.wr_id - 100),
			      src.addr, 100) &&
		      !memcmp((char *)dst.addr + 256 * (wc.wr_id - 100) + 128,
			      (char *)src.addr + 100, 50),
		      "SRQ scatter data of wr %llu",
		      (unsigned long long)wc.wr_id);
	}
	CHECK(seen[0] == 8 && seen[1] == 8, "receives per QP: %d and %d",
	      seen[0], seen[1]);

	for (i = 0; i < 2; i++)
		CHECK(!ibv_destroy_qp(a[i]) && !ibv_destroy_qp(b[i]),
		      "destroy qps");
	CHECK(!ibv_destroy_srq(srq), "destroy srq");
	CHECK(!ibv_destroy_cq(cqa) && !ibv_destroy_cq(cqb), "destroy cqs");
	dp_buf_free(&src);
	dp_buf_free(&dst);
}

static void test_xrc(struct dp_dev *d)
{
	struct ibv_xrcd_init_attr xa = {
		.comp_mask = IBV_XRCD_INIT_ATTR_FD | IBV_XRCD_INIT_ATTR_OFLAGS,
		.fd = -1,
		.oflags = O_CREAT,
	};
	struct ibv_qp *snd, *rcv, *opened;
	struct ibv_qp_open_attr oa;
	struct ibv_qp_attr qa;
	struct ibv_qp_init_attr qia;
	struct dp_buf src, dst;
	struct ibv_xrcd *xrcd;
	struct ibv_cq *cq;
	struct ibv_srq *srq;
	uint32_t srqn = 0;
	int i;

	SUBTEST("XRC: domain, XRC SRQ, XRC_RECV/XRC_SEND QPs, open_qp");
	xrcd = ibv_open_xrcd(d->ctx, &xa);
	if (!xrcd && dp_reference && errno == EOPNOTSUPP) {
		printf("   (reference: rxe has no XRC; skipped)\n");
		return;
	}
	CHECK(xrcd, "ibv_open_xrcd: %s", strerror(errno));
	if (!xrcd)
		return;
	cq = ibv_create_cq(d->ctx, 64, NULL, NULL, 0);
	if (!cq)
		dp_die("ibv_create_cq");
	{
		struct ibv_srq_init_attr_ex sa = {
			.attr = { .max_wr = 32, .max_sge = 1 },
			.comp_mask = IBV_SRQ_INIT_ATTR_TYPE | IBV_SRQ_INIT_ATTR_PD |
				     IBV_SRQ_INIT_ATTR_XRCD | IBV_SRQ_INIT_ATTR_CQ,
			.srq_type = IBV_SRQT_XRC,
			.pd = d->pd,
			.xrcd = xrcd,
			.cq = cq,
		};
		srq = ibv_create_srq_ex(d->ctx, &sa);
	}
	CHECK(srq, "XRC ibv_create_srq_ex: %s", strerror(errno));
	if (!srq)
		goto out_cq;
	CHECK(!ibv_get_srq_num(srq, &srqn), "ibv_get_srq_num");
	{
		struct ibv_qp_init_attr_ex ia = {
			.qp_type = IBV_QPT_XRC_RECV,
			.comp_mask = IBV_QP_INIT_ATTR_XRCD,
			.xrcd = xrcd,
		};
		rcv = ibv_create_qp_ex(d->ctx, &ia);
	}
	CHECK(rcv, "XRC_RECV create: %s", strerror(errno));
	{
		struct ibv_qp_init_attr_ex ia = {
			.send_cq = cq, .recv_cq = cq,
			.cap = { .max_send_wr = 16, .max_send_sge = 1 },
			.qp_type = IBV_QPT_XRC_SEND,
			.comp_mask = IBV_QP_INIT_ATTR_PD,
			.pd = d->pd,
		};
		snd = ibv_create_qp_ex(d->ctx, &ia);
	}
	CHECK(snd, "XRC_SEND create: %s", strerror(errno));
	if (!rcv || !snd)
		goto out_srq;
	if (dp_to_init(snd) || dp_to_init(rcv) ||
	    dp_to_rts(d, snd, rcv->qp_num, NULL))
		dp_die("connect XRC_SEND");
	{
		/* the target only goes to RTR */
		struct ibv_qp_attr a = { .qp_state = IBV_QPS_RTR,
					 .path_mtu = IBV_MTU_1024,
					 .dest_qp_num = snd->qp_num,
					 .max_dest_rd_atomic = 4,
					 .min_rnr_timer = 1 };

		dp_ah_attr(d, &a.ah_attr);
		if (ibv_modify_qp(rcv, &a, IBV_QP_STATE | IBV_QP_AV |
				  IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
				  IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
				  IBV_QP_MIN_RNR_TIMER))
			dp_die("XRC_RECV to RTR");
	}

	dp_buf_alloc(d, &src, 4096, DP_ALL_ACCESS);
	dp_buf_alloc(d, &dst, 8 * 512, DP_ALL_ACCESS);
	dp_fill(src.addr, 4096, 12);
	for (i = 0; i < 8; i++) {
		struct ibv_sge r = dp_sge(&dst, 512 * i, 512);
		struct ibv_recv_wr rwr = { .wr_id = 50 + i, .sg_list = &r,
					   .num_sge = 1 };
		struct ibv_recv_wr *rbad;

		CHECK(!ibv_post_srq_recv(srq, &rwr, &rbad), "post_srq_recv");
	}
	for (i = 0; i < 8; i++) {
		struct ibv_sge s = dp_sge(&src, 16 * i, 300);
		struct ibv_send_wr wr = {
			.wr_id = i, .sg_list = &s, .num_sge = 1,
			.opcode = IBV_WR_SEND,
		};

		wr.qp_type.xrc.remote_srqn = srqn;
		post_one(snd, &wr);
	}
	for (i = 0; i < 16; i++) {
		struct ibv_wc wc;

		if (dp_poll(cq, &wc, 1, DP_TIMEOUT_MS) != 1) {
			CHECK(0, "XRC completion %d missing", i);
			break;
		}
		CHECK(wc.status == IBV_WC_SUCCESS, "XRC wc status %s wr_id %llu",
		      ibv_wc_status_str(wc.status),
		      (unsigned long long)wc.wr_id);
		if (wc.opcode == IBV_WC_RECV) {
			unsigned int k = wc.wr_id - 50;

			CHECK(k < 8 && wc.byte_len == 300 &&
			      !memcmp((char *)dst.addr + 512 * k,
				      (char *)src.addr + 16 * k, 300),
			      "XRC recv %u: len %u or data wrong", k,
			      wc.byte_len);
			CHECK(wc.qp_num == rcv->qp_num, "XRC recv qp_num %u",
			      wc.qp_num);
		}
	}

	/* a second handle on the target QP through the domain */
	memset(&oa, 0, sizeof(oa));
	oa.comp_mask = IBV_QP_OPEN_ATTR_NUM | IBV_QP_OPEN_ATTR_XRCD |
		       IBV_QP_OPEN_ATTR_TYPE;
	oa.qp_num = rcv->qp_num;
	oa.xrcd = xrcd;
	oa.qp_type = IBV_QPT_XRC_RECV;
	opened = ibv_open_qp(d->ctx, &oa);
	CHECK(opened, "ibv_open_qp: %s", strerror(errno));
	if (opened) {
		CHECK(opened->qp_num == rcv->qp_num, "opened qp_num %u",
		      opened->qp_num);
		CHECK(!ibv_query_qp(opened, &qa, IBV_QP_STATE, &qia) &&
		      qa.qp_state == IBV_QPS_RTR, "query opened QP: state %d",
		      qa.qp_state);
		CHECK(!ibv_destroy_qp(opened), "destroy opened QP");
	}
	dp_buf_free(&src);
	dp_buf_free(&dst);
out_srq:
	if (snd)
		CHECK(!ibv_destroy_qp(snd), "destroy XRC_SEND");
	if (rcv)
		CHECK(!ibv_destroy_qp(rcv), "destroy XRC_RECV");
	CHECK(!ibv_destroy_srq(srq), "destroy XRC SRQ");
out_cq:
	CHECK(!ibv_destroy_cq(cq), "destroy cq");
	CHECK(!ibv_close_xrcd(xrcd), "close xrcd");
}

DP_SUBTEST_MAIN("datapath_ops",
		DP_SUBTEST(rc_opcodes), DP_SUBTEST(sge_counts),
		DP_SUBTEST(inline), DP_SUBTEST(bad_opcodes), DP_SUBTEST(wr_api),
		DP_SUBTEST(cq_ex), DP_SUBTEST(ud), DP_SUBTEST(ud_wr_api),
		DP_SUBTEST(uc), DP_SUBTEST(srq), DP_SUBTEST(xrc))
