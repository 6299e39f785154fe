// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Traffic on ODP memory: every opcode of every transport with the ODP MR
 * on the requester, on the responder and on both sides, in loopback, the
 * data checked byte for byte.  The ODP buffers are fresh mappings the
 * device has never seen, so each transfer starts with page faults, which
 * "rdma statistic mr" must have counted.
 *
 * usage: odp_traffic [rc|uc|ud|srq|xrc]...   (default: all)
 *
 * XRC: an XRC_SEND QP towards an XRC_RECV QP, every message naming the
 * XRC SRQ the receives and the responder's PD come from.
 */
#include <arpa/inet.h>
#include <fcntl.h>

#include "dp_test.h"
#include "odp_test.h"

#define DEPTH 16
#define MSG_LEN (3 * PAGE + 1000)	/* crosses 4 pages */
#define MSG_OFF 123
#define BIG_LEN (1 * MIB + 4321)
#define UD_LEN 512
#define GRH 40

enum where { ON_REQ = 1, ON_RESP = 2, ON_BOTH = 3 };

static const char *const where_name[] = {
	[ON_REQ] = "requester", [ON_RESP] = "responder", [ON_BOTH] = "both",
};

struct obuf {
	char *addr;
	size_t len;
	struct ibv_mr *mr;
	int odp;
};

/* A fresh mapping, registered ODP or pinned; @seed >= 0 fills it first. */
static void obuf_make(struct dp_dev *d, struct obuf *b, size_t len, int odp,
		      int seed)
{
	b->len = (len + PAGE - 1) & ~(PAGE - 1);
	b->odp = odp;
	b->addr = odp_map(NULL, b->len, PROT_READ | PROT_WRITE, 0);
	madvise(b->addr, b->len, MADV_NOHUGEPAGE);
	if (seed >= 0)
		odp_fill(b->addr, b->len, seed);
	else if (!odp)
		memset(b->addr, 0, b->len);
	b->mr = ibv_reg_mr(d->pd, b->addr, b->len,
			   DP_ALL_ACCESS | (odp ? IBV_ACCESS_ON_DEMAND : 0));
	if (!b->mr)
		dp_die("ibv_reg_mr");
}

/* The device faulted on an ODP buffer, and the counters say so. */
static void obuf_check_faulted(struct obuf *b, const char *what)
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

static void obuf_free(struct obuf *b)
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

static const char *type_name(enum ibv_qp_type type)
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
static void pair_make_xrc(struct dp_dev *d, struct pair *p)
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

static void pair_make(struct dp_dev *d, struct pair *p, enum ibv_qp_type type,
		      int with_srq)
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
	    dp_to_rts(d, p->a, p->b->qp_num, NULL) ||
	    dp_to_rts(d, p->b, p->a->qp_num, NULL))
		dp_die("connecting the QP pair");
	if (type == IBV_QPT_UD) {
		dp_ah_attr(d, &ah);
		p->ah = ibv_create_ah(d->pd, &ah);
		if (!p->ah)
			dp_die("ibv_create_ah");
	}
}

static void pair_destroy(struct pair *p)
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

static void post_recv(struct pair *p, struct obuf *b, size_t off,
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

static void post_send(struct pair *p, struct ibv_send_wr *wr)
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

static int data_equal(const char *what, const char *got, const char *want,
		      size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (got[i] != want[i]) {
			CHECK(0, "%s: byte %zu of %zu is %#x, want %#x", what,
			      i, len, (unsigned char)got[i],
			      (unsigned char)want[i]);
			return 0;
		}
	}
	return 1;
}

/* SEND (or WRITE_WITH_IMM when @imm) of @len bytes from a to b. */
static void run_send(struct dp_dev *d, enum ibv_qp_type type, int srq,
		     enum where w, size_t len, int write_imm)
{
	size_t off = type == IBV_QPT_UD ? 0 : MSG_OFF;
	size_t rlen = len + off + (type == IBV_QPT_UD ? GRH : 0);
	struct obuf src, dst;
	struct pair p;
	struct ibv_sge sge;
	struct ibv_send_wr wr;
	struct ibv_wc wc;
	char what[128];

	snprintf(what, sizeof(what), "%s%s %s %zu bytes, ODP on %s",
		 type_name(type), srq ? "+SRQ" : "", write_imm ? "WRITE_WITH_IMM" : "SEND", len,
		 where_name[w]);
	SUBTEST(what);
	pair_make(d, &p, type, srq);
	obuf_make(d, &src, len + off, w & ON_REQ, 11);
	obuf_make(d, &dst, rlen, w & ON_RESP, -1);

	if (write_imm)
		post_recv(&p, &dst, 0, 0);
	else
		post_recv(&p, &dst, off, (uint32_t)(rlen - off));
	sge = (struct ibv_sge){ (uintptr_t)src.addr + off, (uint32_t)len,
				src.mr->lkey };
	memset(&wr, 0, sizeof(wr));
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = write_imm ? IBV_WR_RDMA_WRITE_WITH_IMM : IBV_WR_SEND;
	if (write_imm) {
		wr.imm_data = htonl(0x1234);
		wr.wr.rdma.remote_addr = (uintptr_t)dst.addr + off;
		wr.wr.rdma.rkey = dst.mr->rkey;
	}
	post_send(&p, &wr);
	if (!dp_expect(p.cqa, 9, IBV_WC_SUCCESS, -1, what, NULL) &&
	    !dp_expect(p.cqb, 7, IBV_WC_SUCCESS, -1, what, &wc)) {
		if (!write_imm)
			CHECK(wc.byte_len == len + (type == IBV_QPT_UD ? GRH : 0),
			      "%s: byte_len %u", what, wc.byte_len);
		data_equal(what,
			   dst.addr + off + (type == IBV_QPT_UD ? GRH : 0),
			   src.addr + off, len);
		obuf_check_faulted(&src, what);
		obuf_check_faulted(&dst, what);
	}
	pair_destroy(&p);
	obuf_free(&src);
	obuf_free(&dst);
}

/* Waits up to DP_TIMEOUT_MS for @got to read as @want. */
static void wait_equal(const char *got, const char *want, size_t len)
{
	int64_t deadline = dp_now_ms() + DP_TIMEOUT_MS;

	while (memcmp(got, want, len) && dp_now_ms() < deadline)
		usleep(1000);
}

static void run_rdma(struct dp_dev *d, enum ibv_qp_type type,
		     enum ibv_wr_opcode op, enum where w, size_t len)
{
	int is_read = op == IBV_WR_RDMA_READ;
	struct obuf local, remote;
	struct pair p;
	struct ibv_sge sge;
	struct ibv_send_wr wr;
	char what[128];

	snprintf(what, sizeof(what), "%s %s %zu bytes, ODP on %s",
		 type_name(type), is_read ? "READ" : "WRITE",
		 len, where_name[w]);
	SUBTEST(what);
	pair_make(d, &p, type, 0);
	obuf_make(d, &local, len + MSG_OFF, w & ON_REQ, is_read ? -1 : 21);
	obuf_make(d, &remote, len + MSG_OFF, w & ON_RESP, is_read ? 22 : -1);

	sge = (struct ibv_sge){ (uintptr_t)local.addr + MSG_OFF, (uint32_t)len,
				local.mr->lkey };
	memset(&wr, 0, sizeof(wr));
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = op;
	wr.wr.rdma.remote_addr = (uintptr_t)remote.addr + MSG_OFF;
	wr.wr.rdma.rkey = remote.mr->rkey;
	post_send(&p, &wr);
	if (!dp_expect(p.cqa, 9, IBV_WC_SUCCESS, -1, what, NULL)) {
		/*
		 * UC has no acknowledgement: the requester completes once the
		 * WRITE is sent, maybe while the responder still faults.
		 */
		if (type == IBV_QPT_UC)
			wait_equal(remote.addr + MSG_OFF, local.addr + MSG_OFF,
				   len);
		if (is_read)
			data_equal(what, local.addr + MSG_OFF,
				   remote.addr + MSG_OFF, len);
		else
			data_equal(what, remote.addr + MSG_OFF,
				   local.addr + MSG_OFF, len);
		obuf_check_faulted(&local, what);
		obuf_check_faulted(&remote, what);
	}
	pair_destroy(&p);
	obuf_free(&local);
	obuf_free(&remote);
}

static void run_atomic(struct dp_dev *d, enum ibv_qp_type type,
		       enum ibv_wr_opcode op, enum where w)
{
	int cas = op == IBV_WR_ATOMIC_CMP_AND_SWP;
	size_t at = 2 * PAGE + 64;	/* third page of the target */
	struct obuf local, remote;
	struct pair p;
	struct ibv_sge sge;
	struct ibv_send_wr wr;
	char what[128];
	uint64_t v;

	snprintf(what, sizeof(what), "%s %s, ODP on %s", type_name(type),
		 cas ? "CMP_AND_SWP" : "FETCH_AND_ADD", where_name[w]);
	SUBTEST(what);
	pair_make(d, &p, type, 0);
	obuf_make(d, &local, 4 * PAGE, w & ON_REQ, -1);
	obuf_make(d, &remote, 4 * PAGE, w & ON_RESP, 31);
	v = 0x1111222233334444ULL;
	memcpy(remote.addr + at, &v, 8);

	sge = (struct ibv_sge){ (uintptr_t)local.addr + PAGE + 8, 8,
				local.mr->lkey };
	memset(&wr, 0, sizeof(wr));
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = op;
	wr.wr.atomic.remote_addr = (uintptr_t)remote.addr + at;
	wr.wr.atomic.rkey = remote.mr->rkey;
	wr.wr.atomic.compare_add = cas ? v : 5;
	wr.wr.atomic.swap = 0xabcdef;
	post_send(&p, &wr);
	if (!dp_expect(p.cqa, 9, IBV_WC_SUCCESS, -1, what, NULL)) {
		uint64_t orig, now;

		memcpy(&orig, local.addr + PAGE + 8, 8);
		memcpy(&now, remote.addr + at, 8);
		CHECK(orig == v, "%s: original %#llx", what,
		      (unsigned long long)orig);
		CHECK(now == (cas ? 0xabcdef : v + 5), "%s: now %#llx", what,
		      (unsigned long long)now);
		obuf_check_faulted(&local, what);
		obuf_check_faulted(&remote, what);
	}
	pair_destroy(&p);
	obuf_free(&local);
	obuf_free(&remote);
}

static int want(int argc, char **argv, const char *name)
{
	int i;

	if (argc < 2)
		return 1;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct dp_dev d;
	enum where w;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dp_open(&d);
	for (w = ON_REQ; w <= ON_BOTH; w++) {
		if (want(argc, argv, "rc")) {
			run_send(&d, IBV_QPT_RC, 0, w, MSG_LEN, 0);
			run_send(&d, IBV_QPT_RC, 0, w, BIG_LEN, 0);
			run_send(&d, IBV_QPT_RC, 0, w, MSG_LEN, 1);
			run_rdma(&d, IBV_QPT_RC, IBV_WR_RDMA_WRITE, w, MSG_LEN);
			run_rdma(&d, IBV_QPT_RC, IBV_WR_RDMA_WRITE, w, BIG_LEN);
			run_rdma(&d, IBV_QPT_RC, IBV_WR_RDMA_READ, w, MSG_LEN);
			run_rdma(&d, IBV_QPT_RC, IBV_WR_RDMA_READ, w, BIG_LEN);
			run_atomic(&d, IBV_QPT_RC, IBV_WR_ATOMIC_FETCH_AND_ADD,
				   w);
			run_atomic(&d, IBV_QPT_RC, IBV_WR_ATOMIC_CMP_AND_SWP,
				   w);
		}
		if (want(argc, argv, "xrc")) {
			run_send(&d, IBV_QPT_XRC_SEND, 1, w, MSG_LEN, 0);
			run_rdma(&d, IBV_QPT_XRC_SEND, IBV_WR_RDMA_WRITE, w,
				 MSG_LEN);
			run_rdma(&d, IBV_QPT_XRC_SEND, IBV_WR_RDMA_READ, w,
				 MSG_LEN);
			run_atomic(&d, IBV_QPT_XRC_SEND,
				   IBV_WR_ATOMIC_FETCH_AND_ADD, w);
			run_atomic(&d, IBV_QPT_XRC_SEND,
				   IBV_WR_ATOMIC_CMP_AND_SWP, w);
		}
		if (want(argc, argv, "srq")) {
			run_send(&d, IBV_QPT_RC, 1, w, MSG_LEN, 0);
			run_send(&d, IBV_QPT_UD, 1, w, UD_LEN, 0);
		}
		if (want(argc, argv, "uc")) {
			run_send(&d, IBV_QPT_UC, 0, w, MSG_LEN, 0);
			run_send(&d, IBV_QPT_UC, 0, w, MSG_LEN, 1);
			run_rdma(&d, IBV_QPT_UC, IBV_WR_RDMA_WRITE, w, MSG_LEN);
		}
		if (want(argc, argv, "ud"))
			run_send(&d, IBV_QPT_UD, 0, w, UD_LEN, 0);
	}
	dp_close(&d);
	return check_finish("odp_traffic");
}
