// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Kernel memory a user sizes (issue 8, item 3d): CQ rings, QP rings and
 * the kernel's shadow copies of send queues are charged to the memory
 * cgroup of the process that creates them, and bounded per user context
 * (smlx's ucontext_mem_max module parameter).  Over either limit a create
 * fails with ENOMEM, and nobody is killed.
 *
 *   memcg   in the cgroup $SMLX_MEMCG (memory.max $SMLX_MEMCG_MAX bytes):
 *           a CQ of 1M CQEs (64 MiB ring) and a QP of 16K x 32 SGE WRs
 *           each way (about 48 MiB) raise memory.current by about their
 *           size and give it back when destroyed; a CQ of the most CQEs
 *           (256 MiB) and QPs beyond the limit fail with ENOMEM
 *   budget  with ucontext_mem_max at 100 MiB: one 64 MiB CQ fits, a second
 *           fails with ENOMEM, and fits once the first is destroyed
 *
 * usage: queue_memory memcg|budget
 */
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dp_test.h"
#include "memcg.h"

#define MIB (1024L * 1024)
#define PARAM "/sys/module/smlx/parameters/ucontext_mem_max"

static struct ibv_qp *big_qp(struct dp_dev *d, struct ibv_cq *cq)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = cq,
		.recv_cq = cq,
		.cap = {
			.max_send_wr = 16384,
			.max_recv_wr = 16384,
			.max_send_sge = 32,
			.max_recv_sge = 32,
		},
		.qp_type = IBV_QPT_RC,
	};

	return ibv_create_qp(d->pd, &ia);
}

/* Runs in the cgroup: the process whose memory is looked at. */
static void memcg_child(const char *cg)
{
	struct ibv_device_attr attr;
	struct ibv_qp *qps[16];
	struct ibv_cq *cq, *small;
	long c0, c1, c2, c3;
	struct dp_dev d;
	int i, n, err;

	dp_open(&d);
	CHECK(!ibv_query_device(d.ctx, &attr), "query_device");
	small = ibv_create_cq(d.ctx, 16, NULL, NULL, 0);
	if (!small)
		dp_die("small CQ");

	SUBTEST("a 64 MiB CQ ring is charged to the creator's memory cgroup");
	c0 = memcg_current(cg);
	cq = ibv_create_cq(d.ctx, 1 << 20, NULL, NULL, 0);
	CHECK(cq, "CQ of 1M CQEs: %s", strerror(errno));
	c1 = memcg_current(cg);
	printf("   memory.current %ld -> %ld (%+ld MiB)\n", c0, c1,
	       (c1 - c0) / MIB);
	CHECK(c1 - c0 >= 60 * MIB, "CQ of 64 MiB: memory.current %+ld MiB",
	      (c1 - c0) / MIB);
	if (cq)
		CHECK(!ibv_destroy_cq(cq), "destroy CQ");
	c2 = memcg_current(cg);
	printf("   destroyed: memory.current %ld (%+ld MiB)\n", c2,
	       (c2 - c1) / MIB);
	CHECK(c1 - c2 >= 60 * MIB, "destroyed CQ: memory.current %+ld MiB",
	      (c2 - c1) / MIB);

	SUBTEST("a CQ of the most CQEs, past memory.max, fails with ENOMEM");
	errno = 0;
	cq = ibv_create_cq(d.ctx, attr.max_cqe, NULL, NULL, 0);
	err = errno;
	printf("   CQ of %d CQEs: %s\n", attr.max_cqe,
	       cq ? "created" : strerror(err));
	CHECK(!cq && err == ENOMEM, "CQ of %d CQEs: %s", attr.max_cqe,
	      cq ? "created" : strerror(err));
	if (cq)
		ibv_destroy_cq(cq);

	SUBTEST("QP rings and shadows are charged; past memory.max: ENOMEM");
	c0 = memcg_current(cg);
	qps[0] = big_qp(&d, small);
	CHECK(qps[0], "QP of 16K x 32 SGE WRs: %s", strerror(errno));
	c1 = memcg_current(cg);
	printf("   one QP: memory.current %ld -> %ld (%+ld MiB)\n", c0, c1,
	       (c1 - c0) / MIB);
	CHECK(c1 - c0 >= 40 * MIB, "QP: memory.current %+ld MiB",
	      (c1 - c0) / MIB);
	err = 0;
	for (n = 1; qps[n - 1] && n < 16; n++) {
		errno = 0;
		qps[n] = big_qp(&d, small);
		err = errno;
	}
	/* qps[n - 1] is the NULL of the create that failed, if any. */
	printf("   %d QPs created before: %s\n", n - 1,
	       qps[n - 1] ? "none failed" : strerror(err));
	CHECK(!qps[n - 1] && err == ENOMEM,
	      "QPs past memory.max: %s after %d", qps[n - 1] ? "no failure" :
	      strerror(err), n - 1);
	for (i = 0; i < n; i++)
		if (qps[i])
			CHECK(!ibv_destroy_qp(qps[i]), "destroy QP %d", i);
	c3 = memcg_current(cg);
	printf("   destroyed: memory.current %ld\n", c3);
	CHECK(c3 - c0 < 16 * MIB, "QPs destroyed: memory.current %+ld MiB "
	      "from before", (c3 - c0) / MIB);

	CHECK(!ibv_destroy_cq(small), "destroy small CQ");
	dp_close(&d);
	exit(check_finish("queue_memory memcg child"));
}

static void test_memcg(void)
{
	const char *cg = getenv("SMLX_MEMCG");
	int status;
	pid_t child;

	if (!cg || !*cg) {
		CHECK(0, "SMLX_MEMCG is not set");
		return;
	}
	fflush(stdout);
	child = fork();
	if (child < 0)
		dp_die("fork");
	if (!child) {
		memcg_enter(cg);
		memcg_child(cg);
	}
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0,
	      "memcg child: status %#x (killed: signal %d)", status,
	      WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static void test_budget(void)
{
	struct ibv_cq *a, *b;
	struct dp_dev d;
	long old;
	char val[32];
	int err;

	SUBTEST("ucontext_mem_max bounds what one context holds: ENOMEM");
	old = access(PARAM, F_OK) ? -1 : sysfs_read_long(PARAM);
	CHECK(old >= 0, "no %s", PARAM);
	snprintf(val, sizeof(val), "%ld", 100 * MIB);
	if (old >= 0)
		sysfs_write(PARAM, val);
	dp_open(&d);
	a = ibv_create_cq(d.ctx, 1 << 20, NULL, NULL, 0);
	CHECK(a, "first 64 MiB CQ: %s", strerror(errno));
	errno = 0;
	b = ibv_create_cq(d.ctx, 1 << 20, NULL, NULL, 0);
	err = errno;
	printf("   second 64 MiB CQ: %s\n", b ? "created" : strerror(err));
	CHECK(!b && err == ENOMEM, "second 64 MiB CQ: %s",
	      b ? "created" : strerror(err));
	if (b)
		ibv_destroy_cq(b);
	if (a)
		CHECK(!ibv_destroy_cq(a), "destroy first CQ");
	b = ibv_create_cq(d.ctx, 1 << 20, NULL, NULL, 0);
	CHECK(b, "64 MiB CQ after the first went: %s", strerror(errno));
	if (b)
		CHECK(!ibv_destroy_cq(b), "destroy CQ");
	dp_close(&d);
	snprintf(val, sizeof(val), "%ld", old);
	if (old >= 0)
		sysfs_write(PARAM, val);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (check_selected(argc, argv, "memcg"))
		test_memcg();
	if (check_selected(argc, argv, "budget"))
		test_budget();
	return check_finish("queue_memory");
}
