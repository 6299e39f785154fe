// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ODP faults that cannot be resolved end in error completions, the way
 * mlx5 reports them: a requester that cannot read or write its own ODP
 * memory completes with IBV_WC_LOC_PROT_ERR, a responder that cannot
 * reach its ODP memory NAKs with a remote access error and the requester
 * completes with IBV_WC_REM_ACCESS_ERR.  The QP is in error afterwards.
 * A responder fault that outlasts the requester's retransmission timer (a
 * mapping of a slow FUSE file) is answered with RNR NAKs: the requester
 * lives on rnr_retry, and with rnr_retry 0 completes with
 * IBV_WC_RNR_RETRY_EXC_ERR.  Also: a process
 * that exits while the device is faulting on its memory leaves nothing
 * behind.
 *
 * usage: odp_errors            all sub-tests
 *        odp_errors exit N     only the exit test, N rounds
 */
#include <sys/wait.h>

#include "fuse_file.h"
#include "odp_pair.h"

#define LEN (4 * PAGE)

static void expect_qp_error(struct ibv_qp *qp, const char *what)
{
	struct ibv_qp_attr a;
	struct ibv_qp_init_attr ia;

	CHECK(!ibv_query_qp(qp, &a, IBV_QP_STATE, &ia) &&
	      a.qp_state == IBV_QPS_ERR, "%s: QP state %d, want ERR", what,
	      a.qp_state);
}

/* a's WR over [local, +LEN) towards b's [remote, +LEN) fails with @status. */
static void run_bad(struct dp_dev *d, enum ibv_qp_type type,
		    enum ibv_wr_opcode op, struct obuf *local,
		    struct obuf *remote, enum ibv_wc_status status,
		    const char *what)
{
	struct ibv_sge sge = { (uintptr_t)local->addr, LEN, local->mr->lkey };
	struct ibv_send_wr wr;
	struct pair p;

	SUBTEST(what);
	pair_make(d, &p, type, 0);
	if (op == IBV_WR_SEND)
		post_recv(&p, remote, 0, LEN);
	dp_wr(&wr, 0, op, &sge, 1, (uintptr_t)remote->addr, remote->mr->rkey);
	post_send(&p, &wr);
	dp_expect(p.cqa, 9, status, -1, what, NULL);
	expect_qp_error(p.a, what);
	pair_destroy(&p);
}

static void test_errors(struct dp_dev *d)
{
	struct obuf good, hole, ro;
	const struct {
		enum ibv_qp_type type;
		enum ibv_wr_opcode op;
		struct obuf *local, *remote;
		enum ibv_wc_status status;
		const char *what;
	} cases[] = {
		{ IBV_QPT_RC, IBV_WR_SEND, &hole, &good, IBV_WC_LOC_PROT_ERR,
		  "RC SEND from unmapped ODP memory: local protection error" },
		{ IBV_QPT_RC, IBV_WR_RDMA_WRITE, &hole, &good,
		  IBV_WC_LOC_PROT_ERR,
		  "RC WRITE from unmapped ODP memory: local protection error" },
		{ IBV_QPT_RC, IBV_WR_RDMA_READ, &ro, &good, IBV_WC_LOC_PROT_ERR,
		  "RC READ into read-only ODP memory: local protection error" },
		{ IBV_QPT_RC, IBV_WR_RDMA_WRITE, &good, &hole,
		  IBV_WC_REM_ACCESS_ERR,
		  "RC WRITE to unmapped ODP memory: remote access error" },
		{ IBV_QPT_RC, IBV_WR_RDMA_WRITE, &good, &ro,
		  IBV_WC_REM_ACCESS_ERR,
		  "RC WRITE to read-only ODP memory: remote access error" },
		{ IBV_QPT_RC, IBV_WR_RDMA_READ, &good, &hole,
		  IBV_WC_REM_ACCESS_ERR,
		  "RC READ of unmapped ODP memory: remote access error" },
		{ IBV_QPT_UC, IBV_WR_RDMA_WRITE, &hole, &good,
		  IBV_WC_LOC_PROT_ERR,
		  "UC WRITE from unmapped ODP memory: local protection error" },
		{ IBV_QPT_XRC_SEND, IBV_WR_RDMA_WRITE, &good, &hole,
		  IBV_WC_REM_ACCESS_ERR,
		  "XRC WRITE to unmapped ODP memory: remote access error" },
	};
	unsigned int i;

	obuf_make(d, &good, LEN, 0, 5);
	/*
	 * ODP MRs over memory that is gone, or that may not be written.  The
	 * hole is far below where mmap() places things, so that no later
	 * mapping (the provider's queues...) fills it.
	 */
	hole.addr = mmap((void *)0x600000000000UL, LEN, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
			 0);
	if (hole.addr == MAP_FAILED)
		dp_die("mmap hole");
	obuf_register(d, &hole, hole.addr, LEN, 1);
	munmap(hole.addr, LEN);
	obuf_make(d, &ro, LEN, 1, 6);
	CHECK(!mprotect(ro.addr, ro.len, PROT_READ), "mprotect");

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_bad(d, cases[i].type, cases[i].op, cases[i].local,
			cases[i].remote, cases[i].status, cases[i].what);

	CHECK(!ibv_dereg_mr(hole.mr), "dereg");
	obuf_free(&ro);
	obuf_free(&good);
}

/*
 * 64 packets, within the requester's window of 128: all are sent at once,
 * and its transport timer runs from the last one on.
 */
#define SLOW_LEN (256 * KIB)
#define SLOW_FAULT_MS 2000

/*
 * A 256 KiB SEND or RDMA WRITE from pinned memory into ODP memory over a
 * private mapping of a FUSE file whose first READ is answered after
 * SLOW_FAULT_MS: the responder's first fault lasts that long, fifteen
 * times the requester's transport timer (timeout 15: 134 ms, retry_cnt
 * 1).  Each resend of the faulting packet is answered RNR NAK, and the
 * requester waits min_rnr_timer (1: one jiffy) before sending all again:
 * hundreds of rounds of resends, each the whole message, which the
 * stalled responder must not keep (its inbox is bounded: kept, they would
 * crowd out the resend that is to be NAKed, and the requester would
 * exhaust its one transport retry).  With rnr_retry 7 the message arrives
 * whole once the fault ends, which without RNR NAKs it could not; with
 * rnr_retry 0 the first RNR NAK ends it in RNR_RETRY_EXC_ERR.
 */
static void run_slow_fault(struct dp_dev *d, enum ibv_wr_opcode op,
			   uint8_t rnr_retry, enum ibv_wc_status status,
			   const char *what)
{
	const struct dp_conn_opts o = {
		.rnr_retry = rnr_retry, .retry_cnt = 1, .min_rnr_timer = 1,
		.timeout = 15,
	};
	struct fuse_file ff;
	struct obuf src, dst;
	struct ibv_wc wc;
	struct ibv_sge sge;
	struct ibv_send_wr wr;
	struct pair p;
	int64_t t0;

	SUBTEST(what);
	fuse_file_start(&ff, SLOW_LEN, SLOW_FAULT_MS);
	obuf_register(d, &dst, fuse_file_map(&ff, SLOW_LEN), SLOW_LEN, 1);
	/*
	 * Pinned: a requester fault on its own ODP source would queue behind
	 * the responder's (one user context: its faults run in turn), and a
	 * requester that sat on a fault gives its peer a whole timeout
	 * again, never resending: the responder would never be asked for an
	 * RNR NAK.
	 */
	obuf_make(d, &src, SLOW_LEN, 0, 8);
	pair_make_opts(d, &p, IBV_QPT_RC, 0, &o);
	if (op == IBV_WR_SEND)
		post_recv(&p, &dst, 0, SLOW_LEN);
	sge = (struct ibv_sge){ (uintptr_t)src.addr, SLOW_LEN, src.mr->lkey };
	dp_wr(&wr, 0, op, &sge, 1, (uintptr_t)dst.addr, dst.mr->rkey);
	t0 = dp_now_ms();
	post_send(&p, &wr);
	if (dp_poll(p.cqa, &wc, 1, DP_TIMEOUT_MS) != 1) {
		CHECK(0, "%s: no completion within %d ms", what,
		      DP_TIMEOUT_MS);
	} else {
		printf("   %s after %lld ms, %d FUSE READs\n",
		       ibv_wc_status_str(wc.status),
		       (long long)(dp_now_ms() - t0), *ff.reads);
		CHECK(wc.status == status, "%s: status %s, want %s", what,
		      ibv_wc_status_str(wc.status), ibv_wc_status_str(status));
		if (status == IBV_WC_SUCCESS && wc.status == status)
			CHECK(odp_verify(dst.addr, SLOW_LEN, 8) < 0,
			      "%s: data", what);
	}
	CHECK(*ff.reads > 0, "%s: no READ reached the FUSE server", what);
	pair_destroy(&p);
	obuf_free(&src);
	obuf_free(&dst);
	fuse_file_stop(&ff);
}

static void test_rnr(struct dp_dev *d)
{
	run_slow_fault(d, IBV_WR_RDMA_WRITE, 7, IBV_WC_SUCCESS,
		       "responder WRITE fault of 2 s, rnr_retry 7: RNR NAKs, then success");
	run_slow_fault(d, IBV_WR_SEND, 7, IBV_WC_SUCCESS,
		       "responder SEND fault of 2 s, rnr_retry 7: RNR NAKs, then success");
	run_slow_fault(d, IBV_WR_RDMA_WRITE, 0, IBV_WC_RNR_RETRY_EXC_ERR,
		       "responder WRITE fault of 2 s, rnr_retry 0: RNR retries exceeded");
}

/* The responder's count of duplicate READs, answered or dropped. */
static void dup_reads(const struct ibv_qp *qp, long *answered, long *dropped)
{
	char line[4096], want[32];
	FILE *f;

	*answered = *dropped = -1;
	snprintf(want, sizeof(want), "lqpn %u ", qp->qp_num);
	f = odp_popen("rdma resource show qp link %s/1 -dd 2>&1", odp_dev_name());
	while (fgets(line, sizeof(line), f)) {
		strcat(line, " ");
		if (!strstr(line, want))
			continue;
		odp_field(line, "drv_resp_dup_reads", answered);
		odp_field(line, "drv_resp_dup_reads_dropped", dropped);
	}
	pclose(f);
}

#define SLOW_READ_LEN (64 * KIB)
#define SLOW_READ_MS 1000

/*
 * A 64 KiB RDMA READ (one request) of ODP memory over the FUSE file,
 * whose first READ is answered after SLOW_READ_MS: a READ is never RNR
 * NAKed, so the requester's transport timer (timeout 16: 268 ms) expires
 * about three times while the responder is stalled, and each time it asks
 * for the whole READ again (retry_cnt 7: 2 s in all).  Once the fault is
 * over the responder answers the original, and of the copies queued
 * behind it only the last: each copy it answers is another pass over the
 * memory, which may fault again, ahead of the requests that come next.
 */
static void test_slow_read(struct dp_dev *d)
{
	const struct dp_conn_opts o = {
		.rnr_retry = 7, .retry_cnt = 7, .min_rnr_timer = 1,
		.timeout = 16,
	};
	long answered, dropped;
	struct fuse_file ff;
	struct obuf src, dst;
	struct ibv_send_wr wr;
	struct ibv_sge sge;
	struct ibv_wc wc;
	struct pair p;
	int64_t t0;
	size_t i;

	SUBTEST("responder READ fault of 1 s: the READ succeeds, one of its resent copies is answered");
	fuse_file_start(&ff, SLOW_READ_LEN, SLOW_READ_MS);
	obuf_register(d, &src, fuse_file_map(&ff, SLOW_READ_LEN),
		      SLOW_READ_LEN, 1);
	/* pinned, as above: only the responder stalls */
	obuf_make(d, &dst, SLOW_READ_LEN, 0, 8);
	pair_make_opts(d, &p, IBV_QPT_RC, 0, &o);
	sge = (struct ibv_sge){ (uintptr_t)dst.addr, SLOW_READ_LEN,
				dst.mr->lkey };
	dp_wr(&wr, 0, IBV_WR_RDMA_READ, &sge, 1, (uintptr_t)src.addr,
	      src.mr->rkey);
	t0 = dp_now_ms();
	post_send(&p, &wr);
	if (dp_poll(p.cqa, &wc, 1, DP_TIMEOUT_MS) != 1) {
		CHECK(0, "READ: no completion within %d ms", DP_TIMEOUT_MS);
	} else {
		printf("   %s after %lld ms\n", ibv_wc_status_str(wc.status),
		       (long long)(dp_now_ms() - t0));
		CHECK(wc.status == IBV_WC_SUCCESS, "READ: status %s",
		      ibv_wc_status_str(wc.status));
		for (i = 0; i < SLOW_READ_LEN && !dst.addr[i]; i++)
			;
		CHECK(i == SLOW_READ_LEN, "READ: byte %zu is not the file's 0",
		      i);
	}
	/* the copies the requester sent after the fault are answered too */
	usleep(200 * 1000);
	dup_reads(p.b, &answered, &dropped);
	printf("   resent copies of the READ: %ld answered, %ld dropped\n",
	       answered, dropped);
	CHECK(answered >= 0 && dropped >= 0,
	      "no duplicate READ counts for QP %u", p.b->qp_num);
	CHECK(answered <= 1, "%ld resent copies answered, want 1 at most",
	      answered);
	CHECK(dropped >= 1, "no resent copy dropped: was the responder slow?");
	CHECK(*ff.reads > 0, "no READ reached the FUSE server");
	pair_destroy(&p);
	obuf_free(&src);
	obuf_free(&dst);
	fuse_file_stop(&ff);
}

/*
 * A child process owns everything: ODP memory it never touched, a QP pair
 * with WRITEs of it in flight.  It exits at once, while the device faults
 * on its pages; the kernel must clean up without leak or complaint.
 */
static void child_exits_mid_fault(void)
{
	struct dp_dev d;
	struct obuf src, dst;
	struct pair p;
	int i;

	dp_open(&d);
	pair_make(&d, &p, IBV_QPT_RC, 0);
	obuf_make(&d, &src, 8 * MIB, 1, -1);
	obuf_make(&d, &dst, 8 * MIB, 1, -1);
	for (i = 0; i < 8; i++) {
		struct ibv_sge sge = { (uintptr_t)src.addr + i * MIB, MIB,
				       src.mr->lkey };
		struct ibv_send_wr wr = {
			.sg_list = &sge, .num_sge = 1,
			.opcode = IBV_WR_RDMA_WRITE,
		};
		struct ibv_send_wr *bad;

		wr.wr.rdma.remote_addr = (uintptr_t)dst.addr + i * MIB;
		wr.wr.rdma.rkey = dst.mr->rkey;
		if (ibv_post_send(p.a, &wr, &bad))
			_exit(3);
	}
	_exit(0);
}

static void test_exit(int rounds)
{
	int i, status;
	pid_t pid;

	SUBTEST("processes exiting with ODP faults in flight");
	for (i = 0; i < rounds; i++) {
		pid = fork();
		if (pid < 0)
			dp_die("fork");
		if (!pid)
			child_exits_mid_fault();
		CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0, "child %d: status %#x", i,
		      status);
	}
}

int main(int argc, char **argv)
{
	struct dp_dev d;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "exit")) {
		test_exit(atoi(argv[2]));
		return check_finish("odp_errors");
	}
	dp_open(&d);
	test_errors(&d);
	test_rnr(&d);
	test_slow_read(&d);
	dp_close(&d);
	test_exit(10);
	return check_finish("odp_errors");
}
