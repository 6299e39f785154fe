// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ODP faults that cannot be resolved end in error completions, the way
 * mlx5 reports them: a requester that cannot read or write its own ODP
 * memory completes with IBV_WC_LOC_PROT_ERR, a responder that cannot
 * reach its ODP memory NAKs with a remote access error and the requester
 * completes with IBV_WC_REM_ACCESS_ERR.  The QP is in error afterwards.
 * A responder fault that outlasts the requester's retransmission timer is
 * answered with RNR NAKs: the requester lives on rnr_retry, and with
 * rnr_retry 0 completes with IBV_WC_RNR_RETRY_EXC_ERR.  Also: a process
 * that exits while the device is faulting on its memory leaves nothing
 * behind.
 *
 * usage: odp_errors            all sub-tests
 *        odp_errors exit N     only the exit test, N rounds
 */
#include <pthread.h>
#include <sys/wait.h>

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
	hole.len = LEN;
	hole.odp = 1;
	hole.mr = ibv_reg_mr(d->pd, hole.addr, LEN,
			     DP_ALL_ACCESS | IBV_ACCESS_ON_DEMAND);
	if (!hole.mr)
		dp_die("ibv_reg_mr hole");
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

static char *hog_mem;
static size_t hog_len = 512 * MIB;
static volatile int hog_stop;

/* Holds mmap_lock for writing again and again: faults wait for it. */
static void *hog_mmap_lock(void *arg)
{
	(void)arg;
	while (!hog_stop) {
		mprotect(hog_mem, hog_len, PROT_READ);
		mprotect(hog_mem, hog_len, PROT_READ | PROT_WRITE);
	}
	return NULL;
}

/*
 * 16 MiB RDMA WRITE into untouched ODP memory while faults are slowed
 * down; the requester times out after one jiffy and may resend once, so
 * a fault that outlasts two jiffies would exhaust its transport retries
 * (RETRY_EXC_ERR) but for the responder's RNR NAKs.  How slow the faults
 * get depends on the machine: with rnr_retry 0 the WRITE may also finish
 * before any NAK, so that run accepts @status or success.
 */
static void run_slow_fault(struct dp_dev *d, uint8_t rnr_retry,
			   enum ibv_wc_status status, const char *what)
{
	const struct dp_conn_opts o = {
		.rnr_retry = rnr_retry, .retry_cnt = 1, .min_rnr_timer = 1,
		.timeout = 1,
	};
	size_t len = 16 * MIB;
	struct obuf src, dst;
	struct ibv_wc wc;
	struct ibv_sge sge;
	struct ibv_send_wr wr;
	struct pair p;
	pthread_t tid;

	SUBTEST(what);
	pair_make_opts(d, &p, IBV_QPT_RC, 0, &o);
	obuf_make(d, &src, len, 0, 8);
	obuf_make(d, &dst, len, 1, -1);
	hog_stop = 0;
	pthread_create(&tid, NULL, hog_mmap_lock, NULL);
	usleep(100 * 1000);
	sge = (struct ibv_sge){ (uintptr_t)src.addr, (uint32_t)len,
				src.mr->lkey };
	dp_wr(&wr, 0, IBV_WR_RDMA_WRITE, &sge, 1, (uintptr_t)dst.addr,
	      dst.mr->rkey);
	post_send(&p, &wr);
	if (dp_poll(p.cqa, &wc, 1, 60 * 1000) != 1) {
		CHECK(0, "%s: no completion within 60 s", what);
	} else {
		printf("   %s\n", ibv_wc_status_str(wc.status));
		CHECK(wc.status == status || wc.status == IBV_WC_SUCCESS,
		      "%s: status %s, want %s", what,
		      ibv_wc_status_str(wc.status), ibv_wc_status_str(status));
		if (wc.status == IBV_WC_SUCCESS)
			CHECK(!memcmp(dst.addr, src.addr, len), "%s: data",
			      what);
	}
	hog_stop = 1;
	pthread_join(tid, NULL);
	pair_destroy(&p);
	obuf_free(&src);
	obuf_free(&dst);
}

static void test_rnr(struct dp_dev *d)
{
	hog_mem = odp_map(NULL, hog_len, PROT_READ | PROT_WRITE, 0);
	madvise(hog_mem, hog_len, MADV_NOHUGEPAGE);
	memset(hog_mem, 1, hog_len);
	run_slow_fault(d, 7, IBV_WC_SUCCESS,
		       "slow responder faults, rnr_retry 7: RNR NAKs, success");
	run_slow_fault(d, 0, IBV_WC_RNR_RETRY_EXC_ERR,
		       "slow responder faults, rnr_retry 0: never a transport retry error");
	munmap(hog_mem, hog_len);
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
	dp_close(&d);
	test_exit(10);
	return check_finish("odp_errors");
}
