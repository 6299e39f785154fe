// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The kernel memory behind an ODP MR follows what is mapped, not what the
 * user asks for (issue 8, item 3a).  The device's page table of an ODP MR
 * is made of leaves, one page each per 2 MiB of address space; they are
 * counted by "rdma resource show mr -dd" as drv_odp_leaves.
 *
 *   noflt   a 1 TiB ODP MR over nothing, prefetched NO_FAULT (FLUSH) four
 *           times in 4 GiB SGEs: no leaf, and MemAvailable does not drop
 *           (it lost 2 GiB of a 4 GiB guest when each SGE allocated a leaf
 *           per 2 MiB before looking at the memory)
 *   hole    RDMA READs and local SGEs that fault on unmapped addresses of
 *           that MR fail as before and leave no leaf behind
 *   range   an ODP MR that reaches past the user address space: EINVAL;
 *           an SGE past it on an implicit MR: EFAULT
 *   unmap   leaves of mapped memory go away when the memory is unmapped
 *   memcg   a child in the memory cgroup $SMLX_MEMCG: the leaves of its
 *           MRs, made by a synchronous and by a queued (worker) prefetch,
 *           show in its memory.current, and leave it on deregistration
 *
 * usage: odp_leaf_memory [SUBTEST...]
 */
#include <fcntl.h>
#include <sys/wait.h>

#include "memcg.h"
#include "odp_pair.h"

#define HOLE_BASE ((void *)0x200000000000UL)	/* far below mmap()'s area */
#define HOLE_LEN (1UL << 40)
#define SGE_LEN (4 * GIB - 2 * MIB)		/* what a u32 SGE length holds */
#define NSGE 64					/* 64 x 4 GiB = 1/4 TiB a call */
#define LEAF_SPAN (2 * MIB)

/* Field @key of /proc/meminfo, in KiB. */
static long meminfo_kb(const char *key)
{
	char line[256];
	long val = -1;
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		dp_die("/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':')
			val = strtol(line + klen + 1, NULL, 10);
	fclose(f);
	return val;
}

/* drv_odp_leaves of the MR with @lkey, or -1 when rdma does not show it. */
static long mr_leaves(uint32_t lkey)
{
	char line[1024], want[32];
	long leaves = -1;
	FILE *f;

	snprintf(want, sizeof(want), "lkey 0x%x ", lkey);
	f = odp_popen("rdma -dd resource show mr dev %s 2>&1", odp_dev_name());
	while (fgets(line, sizeof(line), f)) {
		strcat(line, " ");
		if (strstr(line, want))
			odp_field(line, "drv_odp_leaves", &leaves);
	}
	pclose(f);
	return leaves;
}

static void expect_leaves(struct ibv_mr *mr, long lo, long hi,
			  const char *what)
{
	long n = mr_leaves(mr->lkey);

	printf("   %s: drv_odp_leaves %ld\n", what, n);
	CHECK(n >= lo && n <= hi, "%s: drv_odp_leaves %ld, want %ld..%ld",
	      what, n, lo, hi);
}

/* The 1 TiB hole: reserved to know it is free, then unmapped again. */
static void *hole_map(void)
{
	void *p = mmap(HOLE_BASE, HOLE_LEN, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
		       MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		dp_die("mmap 1 TiB hole");
	munmap(p, HOLE_LEN);
	return p;
}

static struct ibv_mr *reg_odp(struct dp_dev *d, void *addr, size_t len)
{
	struct ibv_mr *mr = ibv_reg_mr(d->pd, addr, len,
				       DP_ALL_ACCESS | IBV_ACCESS_ON_DEMAND);

	if (!mr)
		dp_die("ibv_reg_mr ODP");
	return mr;
}

static void test_noflt(struct dp_dev *d)
{
	static struct ibv_sge sge[NSGE];
	char *hole = hole_map();
	struct ibv_mr *mr = reg_odp(d, hole, HOLE_LEN);
	long avail0, slab0, avail1, slab1;
	int call, i, ret;
	int64_t t0;

	SUBTEST("NO_FAULT prefetch of 1 TiB over nothing allocates nothing");
	avail0 = meminfo_kb("MemAvailable");
	slab0 = meminfo_kb("Slab");
	t0 = dp_now_ms();
	for (call = 0; call < 4; call++) {
		for (i = 0; i < NSGE; i++) {
			sge[i].addr = (uintptr_t)hole +
				      ((uint64_t)call * NSGE + i) * 4 * GIB;
			sge[i].length = SGE_LEN;
			sge[i].lkey = mr->lkey;
		}
		ret = ibv_advise_mr(d->pd,
				    IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT,
				    IBV_ADVISE_MR_FLAG_FLUSH, sge, NSGE);
		CHECK(!ret, "advise NO_FAULT call %d: %s", call, strerror(ret));
	}
	avail1 = meminfo_kb("MemAvailable");
	slab1 = meminfo_kb("Slab");
	printf("   4 calls in %lld ms: MemAvailable %ld -> %ld KiB (%+ld), "
	       "Slab %ld -> %ld KiB (%+ld)\n", (long long)(dp_now_ms() - t0),
	       avail0, avail1, avail1 - avail0, slab0, slab1, slab1 - slab0);
	CHECK(avail0 - avail1 < 64 * 1024,
	      "MemAvailable dropped by %ld MiB", (avail0 - avail1) / 1024);
	CHECK(slab1 - slab0 < 64 * 1024, "Slab grew by %ld MiB",
	      (slab1 - slab0) / 1024);
	expect_leaves(mr, 0, 0, "after NO_FAULT over 1 TiB");
	CHECK(!ibv_dereg_mr(mr), "dereg");
}

/* a's @op over @local towards @remote fails with @status. */
static void fault_fails(struct dp_dev *d, enum ibv_wr_opcode op,
			struct ibv_sge *sge, uint64_t raddr, uint32_t rkey,
			enum ibv_wc_status status, const char *what)
{
	struct ibv_send_wr wr;
	struct pair p;

	pair_make(d, &p, IBV_QPT_RC, 0);
	dp_wr(&wr, 0, op, sge, 1, raddr, rkey);
	post_send(&p, &wr);
	dp_expect(p.cqa, 9, status, -1, what, NULL);
	pair_destroy(&p);
}

static void test_hole(struct dp_dev *d)
{
	char *hole = hole_map();
	struct ibv_mr *mr = reg_odp(d, hole, HOLE_LEN);
	struct obuf good;
	struct ibv_sge sge;
	int i;

	SUBTEST("faults on unmapped ODP memory leave no leaf behind");
	obuf_make(d, &good, 64 * KIB, 0, 3);
	for (i = 0; i < 4; i++) {
		uint64_t off = (uint64_t)i * 3 * GIB + 5 * MIB;

		/* The responder faults on the hole: remote access error. */
		sge = (struct ibv_sge){ (uintptr_t)good.addr, 4096,
					good.mr->lkey };
		fault_fails(d, IBV_WR_RDMA_READ, &sge,
			    (uintptr_t)hole + off, mr->rkey,
			    IBV_WC_REM_ACCESS_ERR, "READ of a hole");
		/* The requester faults on its own SGE in the hole. */
		sge = (struct ibv_sge){ (uintptr_t)hole + off + GIB, 4096,
					mr->lkey };
		fault_fails(d, IBV_WR_RDMA_WRITE, &sge,
			    (uintptr_t)good.addr, good.mr->rkey,
			    IBV_WC_LOC_PROT_ERR, "WRITE from a hole");
	}
	expect_leaves(mr, 0, 0, "after 8 failed faults");
	CHECK(!ibv_dereg_mr(mr), "dereg");
	obuf_free(&good);
}

/*
 * The top of the user address space (x86-64's TASK_SIZE, rounded up to a
 * page): 2^47, or 2^56 with 5-level page tables (qemu's -cpu max has la57).
 */
static uint64_t task_size(void)
{
	char line[4096];
	int la57 = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		dp_die("/proc/cpuinfo");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5) && strstr(line, " la57"))
			la57 = 1;
	fclose(f);
	return 1ULL << (la57 ? 56 : 47);
}

static void test_range(struct dp_dev *d)
{
	uint64_t top = task_size();
	struct ibv_mr *mr;
	struct ibv_sge sge;
	int ret;

	SUBTEST("ODP ranges stay within the user address space");
	printf("   user address space: %#llx bytes\n", (unsigned long long)top);
	/* 1 GiB below the top, 2 GiB long: its end is past TASK_SIZE. */
	errno = 0;
	mr = ibv_reg_mr(d->pd, (void *)(uintptr_t)(top - GIB), 2 * GIB,
			DP_ALL_ACCESS | IBV_ACCESS_ON_DEMAND);
	CHECK(!mr && errno == EINVAL, "MR across TASK_SIZE: %s",
	      mr ? "registered" : strerror(errno));
	if (mr)
		ibv_dereg_mr(mr);
	errno = 0;
	mr = ibv_reg_mr(d->pd, (void *)0xffff800000000000UL, GIB,
			DP_ALL_ACCESS | IBV_ACCESS_ON_DEMAND);
	CHECK(!mr && errno == EINVAL, "MR over kernel addresses: %s",
	      mr ? "registered" : strerror(errno));
	if (mr)
		ibv_dereg_mr(mr);

	mr = ibv_reg_mr(d->pd, NULL, SIZE_MAX,
			DP_ALL_ACCESS | IBV_ACCESS_ON_DEMAND);
	if (!mr)
		dp_die("implicit ODP MR");
	sge = (struct ibv_sge){ top - MIB, 2 * MIB, mr->lkey };
	ret = ibv_advise_mr(d->pd, IBV_ADVISE_MR_ADVICE_PREFETCH, 0, &sge, 1);
	CHECK_ERRNO(ret, EFAULT, "queued prefetch across TASK_SIZE");
	ret = ibv_advise_mr(d->pd, IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT,
			    IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1);
	CHECK_ERRNO(ret, EFAULT, "prefetch across TASK_SIZE");
	CHECK(!ibv_dereg_mr(mr), "dereg implicit");
}

static void test_unmap(struct dp_dev *d)
{
	size_t len = 64 * MIB;
	char *buf = odp_map(NULL, len + LEAF_SPAN, PROT_READ | PROT_WRITE, 0);
	struct ibv_mr *mr;
	struct ibv_sge sge;
	int ret;

	SUBTEST("leaves of unmapped memory are freed");
	/* 2 MiB aligned: 32 leaves exactly. */
	buf = (char *)(((uintptr_t)buf + LEAF_SPAN - 1) & ~(LEAF_SPAN - 1));
	madvise(buf, len, MADV_NOHUGEPAGE);
	memset(buf, 1, len);
	mr = reg_odp(d, buf, len);
	expect_leaves(mr, 0, 0, "registered");
	sge = (struct ibv_sge){ (uintptr_t)buf, (uint32_t)len, mr->lkey };
	ret = ibv_advise_mr(d->pd, IBV_ADVISE_MR_ADVICE_PREFETCH,
			    IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1);
	CHECK(!ret, "prefetch: %s", strerror(ret));
	expect_leaves(mr, len / LEAF_SPAN, len / LEAF_SPAN, "prefetched");
	CHECK(!munmap(buf, len / 2), "munmap");
	expect_leaves(mr, len / LEAF_SPAN / 2, len / LEAF_SPAN / 2,
		      "half unmapped");
	CHECK(!madvise(buf + len / 2, len / 2, MADV_DONTNEED), "DONTNEED");
	expect_leaves(mr, 0, 0, "rest dropped");
	CHECK(!ibv_dereg_mr(mr), "dereg");
	munmap(buf + len / 2, len / 2);
}

/*
 * The child in @cg registers @buf (whose pages the parent made, so they are
 * charged to the parent) and prefetches it read-only: the only memory the
 * child's cgroup gains is the kernel's, leaves first of all.
 */
static void memcg_child(const char *cg, char *buf, size_t len)
{
	long leaves = len / LEAF_SPAN, want = leaves * 4096 * 9 / 10;
	struct odp_mr_info info;
	long c0, c1, c2, c3;
	struct ibv_mr *mr;
	struct ibv_sge sge;
	struct dp_dev d;
	int ret;

	memcg_enter(cg);
	dp_open(&d);
	mr = reg_odp(&d, buf, len);
	sge = (struct ibv_sge){ (uintptr_t)buf, (uint32_t)len, mr->lkey };

	c0 = memcg_current(cg);
	ret = ibv_advise_mr(d.pd, IBV_ADVISE_MR_ADVICE_PREFETCH,
			    IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1);
	CHECK(!ret, "prefetch: %s", strerror(ret));
	c1 = memcg_current(cg);
	/* odp_map() aligns to pages only: one more leaf at an odd start. */
	expect_leaves(mr, leaves, leaves + 1, "synchronous prefetch");
	printf("   memory.current %ld -> %ld (%+ld), %ld leaves\n", c0, c1,
	       c1 - c0, leaves);
	CHECK(c1 - c0 >= want, "synchronous prefetch: memory.current %+ld, "
	      "want at least %+ld", c1 - c0, want);
	CHECK(!ibv_dereg_mr(mr), "dereg");
	c2 = memcg_current(cg);
	printf("   deregistered: memory.current %ld (%+ld)\n", c2, c2 - c1);
	CHECK(c1 - c2 >= want, "dereg: memory.current %+ld, want at most %ld",
	      c2 - c1, -want);

	/* Queued: the leaves are made by a kernel worker, for us. */
	mr = reg_odp(&d, buf, len);
	sge.lkey = mr->lkey;
	ret = ibv_advise_mr(d.pd, IBV_ADVISE_MR_ADVICE_PREFETCH, 0, &sge, 1);
	CHECK(!ret, "queued prefetch: %s", strerror(ret));
	CHECK(odp_mr_wait(mr->lkey, len / PAGE, -1, 10000, &info),
	      "queued prefetch mirrors %ld pages, want %ld", info.odp_pages,
	      len / PAGE);
	c3 = memcg_current(cg);
	printf("   queued prefetch: memory.current %ld (%+ld)\n", c3, c3 - c2);
	CHECK(c3 - c2 >= want, "queued prefetch: memory.current %+ld, "
	      "want at least %+ld", c3 - c2, want);
	CHECK(!ibv_dereg_mr(mr), "dereg");
	dp_close(&d);
	exit(check_finish("odp_leaf_memory memcg child"));
}

static void test_memcg(void)
{
	const char *cg = getenv("SMLX_MEMCG");
	size_t len = 2 * GIB, off;
	int status;
	char *buf;
	pid_t pid;

	SUBTEST("leaves are charged to the MR owner's memory cgroup");
	if (!cg || !*cg) {
		CHECK(0, "SMLX_MEMCG is not set");
		return;
	}
	/* One small page per 2 MiB: 4 MiB of user memory, 1024 leaves. */
	buf = odp_map(NULL, len, PROT_READ | PROT_WRITE, MAP_NORESERVE);
	madvise(buf, len, MADV_NOHUGEPAGE);
	for (off = 0; off < len; off += LEAF_SPAN)
		buf[off] = 1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		dp_die("fork");
	if (!pid)
		memcg_child(cg, buf, len);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "memcg child: status %#x", status);
	munmap(buf, len);
}

int main(int argc, char **argv)
{
	static const struct dp_subtest tests[] = {
		DP_SUBTEST(noflt), DP_SUBTEST(hole), DP_SUBTEST(range),
		DP_SUBTEST(unmap),
	};
	struct dp_dev d;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Before this process opens the device: the child opens its own. */
	if (check_selected(argc, argv, "memcg"))
		test_memcg();
	dp_open(&d);
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (check_selected(argc, argv, tests[i].name))
			tests[i].run(&d);
	dp_close(&d);
	return check_finish("odp_leaf_memory");
}
