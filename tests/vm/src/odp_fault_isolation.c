// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ODP faults of one user cannot stall another's, and teardown does not wait
 * for a fault that never ends (issue 8, item 3g).
 *
 * A FUSE server that never answers READ (fuse_file.h) serves one 1 GiB
 * file.  User A registers an ODP MR
 * over a shared mapping of it and posts, on NPAIRS loopback RC pairs, RDMA
 * WRITEs from that memory in both directions: every QP faults on a page
 * whose READ the server never answers (more faults than the kernel's shared
 * workqueue has workers).  Then user B, another process, moves 1 MiB over
 * ODP memory of its own: its faults must be served promptly.  Then A
 * deregisters and exits, its QPs left to the exit, while its faults are
 * still pending: that must end within a bound.  At last the server is killed,
 * which aborts the FUSE connection and fails A's faults.
 *
 * usage: odp_fault_isolation
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuse_file.h"
#include "odp_pair.h"

#define NPAIRS 300			/* 600 faults: more than 2 x 256 workers */
#define FILE_SIZE (1UL << 30)
#define B_LEN (1 * MIB)
#define B_DEADLINE_MS 20000
#define TEARDOWN_MS 20000

static struct fuse_file ff;

/* Waits until @pid exits, up to @ms; returns 1 when it did. */
static int wait_exit(pid_t pid, int ms, int *status)
{
	int64_t deadline = dp_now_ms() + ms;

	while (dp_now_ms() < deadline) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 1;
		usleep(20 * 1000);
	}
	return 0;
}

static void pipe_send(int fd)
{
	char c = 1;

	if (write(fd, &c, 1) != 1)
		dp_die("pipe write");
}

static int pipe_wait(int fd, int ms)
{
	char c;

	return dp_fd_ready(fd, ms) && read(fd, &c, 1) == 1;
}

/*
 * User A: NPAIRS loopback RC pairs, every QP posting one WRITE from its own
 * page of the FUSE file.  Says so on @ready, tears down on @go.
 */
static void user_a(const char *path, int ready, int go)
{
	static struct ibv_qp *qp[2 * NPAIRS];
	struct ibv_mr *fmr, *tmr;
	struct ibv_cq *cq;
	struct dp_dev d;
	char *file, *target;
	int64_t t0;
	int fd, i;

	fd = open(path, O_RDWR);
	if (fd < 0)
		dp_die(path);
	file = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    0);
	if (file == MAP_FAILED)
		dp_die("mmap FUSE file");
	target = odp_map(NULL, 64 * KIB, PROT_READ | PROT_WRITE, 0);
	memset(target, 0, 64 * KIB);

	dp_open(&d);
	fmr = ibv_reg_mr(d.pd, file, FILE_SIZE,
			 DP_ALL_ACCESS | IBV_ACCESS_ON_DEMAND);
	tmr = ibv_reg_mr(d.pd, target, 64 * KIB, DP_ALL_ACCESS);
	cq = ibv_create_cq(d.ctx, 4 * 2 * NPAIRS, NULL, NULL, 0);
	if (!fmr || !tmr || !cq)
		dp_die("user A: MRs and CQ");
	for (i = 0; i < 2 * NPAIRS; i++)
		qp[i] = dp_create_qp(&d, IBV_QPT_RC, cq, cq, NULL, 4, 1, 0);
	for (i = 0; i < 2 * NPAIRS; i++)
		if (dp_to_init(qp[i]) ||
		    dp_to_rts(&d, qp[i], qp[i ^ 1]->qp_num, NULL))
			dp_die("user A: connect");
	for (i = 0; i < 2 * NPAIRS; i++) {
		cpu_set_t cpus;

		/*
		 * Half the faults raised from each CPU: an unbound workqueue
		 * has its workers per NUMA node (numa=fake=2 in the guest).
		 */
		CPU_ZERO(&cpus);
		CPU_SET(i < NPAIRS ? 0 : 1, &cpus);
		sched_setaffinity(0, sizeof(cpus), &cpus);
		struct ibv_sge sge = { (uintptr_t)file + (uint64_t)i * 64 * KIB,
				       4096, fmr->lkey };
		struct ibv_send_wr wr, *bad;

		dp_wr(&wr, i, IBV_WR_RDMA_WRITE, &sge, 1, (uintptr_t)target,
		      tmr->rkey);
		wr.send_flags = IBV_SEND_SIGNALED;
		if (ibv_post_send(qp[i], &wr, &bad))
			dp_die("user A: post");
	}
	printf("   user A: %d QPs posted WRITEs from the FUSE file\n",
	       2 * NPAIRS);
	pipe_send(ready);
	if (!pipe_wait(go, 120000))
		_exit(3);

	/*
	 * Deregistration, then the exit, which destroys the QPs and CQ in
	 * the kernel (uverbs close).  Not ibv_destroy_qp(): it munmap()s the
	 * rings, which needs this mm's mmap_lock, and hmm_range_fault() holds
	 * it for as long as the FUSE READ goes unanswered; a hung mapping
	 * stalls its own process's munmap, as any page fault on it does
	 * (mlx5 alike).  What the driver can promise is that its own
	 * teardown waits for no fault.
	 */
	t0 = dp_now_ms();
	ibv_dereg_mr(fmr);
	ibv_dereg_mr(tmr);
	printf("   user A: deregistered in %lld ms\n",
	       (long long)(dp_now_ms() - t0));
	fflush(stdout);
	/* QPs, CQ and context are left to the exit. */
	_exit(0);
}

/* User B: 1 MiB RDMA WRITE between ODP buffers of its own. */
static void user_b(void)
{
	struct ibv_sge sge;
	struct ibv_send_wr wr;
	struct obuf src, dst;
	struct dp_dev d;
	struct pair p;
	struct ibv_wc wc;
	int64_t t0, ms;
	int got;

	dp_open(&d);
	obuf_make(&d, &src, B_LEN, 1, 7);
	obuf_make(&d, &dst, B_LEN, 1, -1);
	pair_make(&d, &p, IBV_QPT_RC, 0);
	sge = (struct ibv_sge){ (uintptr_t)src.addr, B_LEN, src.mr->lkey };
	dp_wr(&wr, 0, IBV_WR_RDMA_WRITE, &sge, 1, (uintptr_t)dst.addr,
	      dst.mr->rkey);
	t0 = dp_now_ms();
	post_send(&p, &wr);
	got = dp_poll(p.cqa, &wc, 1, B_DEADLINE_MS);
	ms = dp_now_ms() - t0;
	printf("   user B: 1 MiB ODP WRITE %s in %lld ms\n",
	       got ? ibv_wc_status_str(wc.status) : "not completed",
	       (long long)ms);
	CHECK(got == 1 && wc.status == IBV_WC_SUCCESS,
	      "user B's ODP WRITE did not complete in %d ms while user A's "
	      "faults hang", B_DEADLINE_MS);
	CHECK(!got || odp_verify(dst.addr, B_LEN, 7) < 0,
	      "user B's data differs");
	if (!got) {
		/* Stuck behind A's faults: exit without teardown. */
		fflush(stdout);
		_exit(1);
	}
	pair_destroy(&p);
	obuf_free(&src);
	obuf_free(&dst);
	dp_close(&d);
	exit(check_failures ? 1 : 0);
}

int main(void)
{
	int a_ready[2], a_go[2], status;
	pid_t a, b;
	int b_done;
	int64_t t0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	SUBTEST("a FUSE server that never answers READ");
	fuse_file_start(&ff, FILE_SIZE, FUSE_FILE_NEVER);

	SUBTEST("user A: faults on the FUSE file that never end");
	if (pipe(a_ready) || pipe(a_go))
		dp_die("pipe");
	fflush(stdout);
	a = fork();
	if (a < 0)
		dp_die("fork");
	if (!a)
		user_a(ff.path, a_ready[1], a_go[0]);
	CHECK(pipe_wait(a_ready[0], 120000), "user A did not get ready");
	/* Let every QP of A reach its fault. */
	sleep(3);
	printf("   FUSE READs pending: %d\n", *ff.reads);
	CHECK(*ff.reads > 0, "no READ reached the FUSE server");

	SUBTEST("user B: ODP traffic on its own memory completes meanwhile");
	fflush(stdout);
	b = fork();
	if (b < 0)
		dp_die("fork");
	if (!b)
		user_b();
	b_done = wait_exit(b, B_DEADLINE_MS + 30000, &status);
	CHECK(b_done && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "user B failed (status %#x%s)", status,
	      b_done ? "" : ", still running");

	SUBTEST("user A tears down while its faults still hang");
	t0 = dp_now_ms();
	pipe_send(a_go[1]);
	status = 0;
	if (!wait_exit(a, TEARDOWN_MS, &status)) {
		CHECK(0, "user A's dereg and exit did not end in %d ms "
		      "with its faults pending", TEARDOWN_MS);
		a = -a;
	} else {
		printf("   user A gone in %lld ms\n",
		       (long long)(dp_now_ms() - t0));
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "user A: status %#x", status);
	}

	SUBTEST("killing the FUSE server releases everything");
	printf("   FUSE READs pending: %d\n", *ff.reads);
	fuse_file_abort(&ff);
	if (a < 0) {
		/* Only now can the stuck teardown go on. */
		CHECK(wait_exit(-a, 60000, &status),
		      "user A still stuck after the FUSE abort");
	}
	if (!b_done)
		CHECK(wait_exit(b, 60000, &status),
		      "user B still stuck after the FUSE abort");
	fuse_file_stop(&ff);
	return check_finish("odp_fault_isolation");
}
