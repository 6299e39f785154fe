// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Every way the kernel takes pages away from an ODP MR, during traffic,
 * with every byte checked after every transfer.  An RC pair moves data
 * between three ODP buffers (WRITE src -> dst, READ dst -> back) while a
 * second thread keeps invalidating them without changing their contents:
 *
 *   pageout   MADV_PAGEOUT (reclaim to swap, when there is swap)
 *   thp       THP split (a VMA split inside a huge page) and collapse
 *             (MADV_COLLAPSE)
 *   migrate   move_pages() to the other NUMA node (a guest booted with
 *             numa=fake=2 has two) and memory compaction
 *   fork      fork(): the parent's pages go write-protected, the child
 *             writes its copy (COW in the child), the parent writes its
 *             own (COW in the parent); then, with a child alive, the
 *             device reads with no fault and its WRITE breaks COW
 *
 * and, between transfers, the ones that change what is mapped: munmap +
 * a new mapping at the same address, MADV_DONTNEED (zero-fill) and
 * mremap away and back.  The device must always see what the CPU sees.
 *
 * usage: odp_invalidate [pageout|thp|migrate|fork|remap]...  (default: all)
 */
#define _GNU_SOURCE	/* mremap() */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "odp_pair.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define BUF (2 * MIB)
#define ROUNDS 12

struct bufs {
	struct obuf src, dst, back;
};

static atomic_int stop;
static atomic_long disturbances;

struct disturber {
	const char *name;
	void (*fn)(struct bufs *b);
};

static void each_buf(struct bufs *b, void (*fn)(char *p, size_t len))
{
	fn(b->src.addr, b->src.len);
	fn(b->dst.addr, b->dst.len);
	fn(b->back.addr, b->back.len);
}

static void pageout_one(char *p, size_t len)
{
	madvise(p, len, MADV_PAGEOUT);
}

static void d_pageout(struct bufs *b)
{
	each_buf(b, pageout_one);
}

/* A VMA boundary inside a huge page splits it; MADV_COLLAPSE rebuilds it. */
static void thp_one(char *p, size_t len)
{
	madvise(p + 5 * PAGE, PAGE, MADV_RANDOM);
	madvise(p, len, MADV_NORMAL);
	madvise(p, len, MADV_HUGEPAGE);
	madvise(p, len, MADV_COLLAPSE);
}

static void d_thp(struct bufs *b)
{
	each_buf(b, thp_one);
}

/* Nodes the guest has: numa=fake=2 on its command line gives two. */
static int numa_nodes(void)
{
	char path[64];
	int n = 0;

	for (;;) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d",
			 n);
		if (access(path, F_OK))
			return n ? n : 1;
		n++;
	}
}

/* Pages move_pages() reported on the node it was asked for. */
static long pages_migrated;

/* Every page to the other node, each time (node 0 when only one). */
static void migrate_one(char *p, size_t len)
{
	static int target;
	size_t n = len / PAGE, i;
	void **pages = malloc(n * sizeof(*pages));
	int *nodes = malloc(n * sizeof(*nodes));
	int *status = malloc(n * sizeof(*status));

	if (!pages || !nodes || !status)
		dp_die("malloc");
	target = (target + 1) % numa_nodes();
	for (i = 0; i < n; i++) {
		pages[i] = p + i * PAGE;
		nodes[i] = target;
	}
	if (!syscall(SYS_move_pages, 0, n, pages, nodes, status,
		     2 /* MPOL_MF_MOVE */))
		for (i = 0; i < n; i++)
			pages_migrated += status[i] == target;
	free(pages);
	free(nodes);
	free(status);
}

static void d_migrate(struct bufs *b)
{
	FILE *f = fopen("/proc/sys/vm/compact_memory", "w");

	each_buf(b, migrate_one);
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
}

/* The child scribbles on its copies and leaves. */
static void d_fork(struct bufs *b)
{
	pid_t pid = fork();

	if (pid < 0)
		return;
	if (!pid) {
		memset(b->src.addr, 0xcc, b->src.len);
		memset(b->dst.addr, 0xdd, b->dst.len);
		memset(b->back.addr, 0xee, b->back.len);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

static void *disturb(void *arg)
{
	struct { struct disturber *d; struct bufs *b; } *a = arg;

	while (!atomic_load(&stop)) {
		a->d->fn(a->b);
		atomic_fetch_add(&disturbances, 1);
		usleep(2000);
	}
	return NULL;
}

/* The counters of the three MRs, summed. */
static struct odp_mr_info bufs_counters(struct bufs *b)
{
	struct odp_mr_info s, d, k, sum = { .mrn = -1 };

	odp_mr_query(b->src.mr->lkey, &s);
	odp_mr_query(b->dst.mr->lkey, &d);
	odp_mr_query(b->back.mr->lkey, &k);
	sum.page_faults_handled = s.page_faults_handled +
				  d.page_faults_handled + k.page_faults_handled;
	sum.page_invalidations = s.page_invalidations + d.page_invalidations +
				 k.page_invalidations;
	return sum;
}

static long invalidations(struct bufs *b)
{
	return bufs_counters(b).page_invalidations;
}

static long faults_handled(struct bufs *b)
{
	return bufs_counters(b).page_faults_handled;
}

/*
 * A transfer's completion, for as long as its faults make progress.  Under
 * emulation, a fault that breaks COW on every page of a message while a
 * child shares them was seen to take 20 s of CPU (docs/odp.md, "Where a
 * slow fault's time goes"): slow, not stuck.  So past DP_TIMEOUT_MS the
 * wait goes on while faults are handled on the three buffers.  The count
 * is first read when the first wait ends (reading it costs three runs of
 * rdma, too many for every transfer), so a QP that stopped is called lost
 * after two waits, one that keeps faulting after PROGRESS_WAITS of them.
 */
#define PROGRESS_WAITS 4

static int expect_progressing(struct pair *p, struct bufs *b,
			      const char *what)
{
	long seen = -1, now;
	struct ibv_wc wc;
	int waits;

	for (waits = 1;; waits++) {
		if (dp_poll(p->cqa, &wc, 1, DP_TIMEOUT_MS) == 1)
			return dp_check_wc(&wc, 9, IBV_WC_SUCCESS, -1, what);
		if (waits == PROGRESS_WAITS)
			break;
		now = faults_handled(b);
		if (now == seen)
			break;
		printf("   %s: no completion after %d s, %ld faults handled%s: waiting on\n",
		       what, waits * DP_TIMEOUT_MS / 1000, now,
		       seen < 0 ? " so far" : " (more)");
		seen = now;
	}
	dp_lost(p->cqa, what, waits * DP_TIMEOUT_MS);
	return -1;
}

/* One round: src gets a new pattern, WRITE it to dst, READ it to back. */
static int transfer(struct pair *p, struct bufs *b, unsigned int seed,
		    const char *what)
{
	const struct {
		enum ibv_wr_opcode opcode;
		struct obuf *local, *checked;
		const char *result;
	} steps[] = {
		{ IBV_WR_RDMA_WRITE, &b->src, &b->dst, "WRITE target" },
		{ IBV_WR_RDMA_READ, &b->back, &b->back, "READ result" },
	};
	struct ibv_send_wr wr;
	struct ibv_sge sge;
	unsigned int i;
	long bad = -1;

	odp_fill(b->src.addr, BUF, seed);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		sge = (struct ibv_sge){ (uintptr_t)steps[i].local->addr, BUF,
					steps[i].local->mr->lkey };
		dp_wr(&wr, 0, steps[i].opcode, &sge, 1,
		      (uintptr_t)b->dst.addr, b->dst.mr->rkey);
		post_send(p, &wr);
		if (expect_progressing(p, b, what))
			return -1;
		bad = odp_verify(steps[i].checked->addr, BUF, seed);
		CHECK(bad < 0, "%s: %s word %ld wrong", what, steps[i].result,
		      bad);
	}
	return bad < 0 ? 0 : -1;
}

static void bufs_make(struct dp_dev *d, struct bufs *b, int thp)
{
	struct obuf *all[] = { &b->src, &b->dst, &b->back };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		struct obuf *o = all[i];
		/* 2 MiB aligned, so THP can back it. */
		char *raw = odp_map(NULL, 2 * BUF, PROT_READ | PROT_WRITE, 0);
		char *al = (char *)(((uintptr_t)raw + BUF - 1) & ~(BUF - 1));

		if (al > raw)
			munmap(raw, al - raw);
		munmap(al + BUF, raw + 2 * BUF - (al + BUF));
		madvise(al, BUF, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
		memset(al, 0, BUF);
		obuf_register(d, o, al, BUF, 1);
	}
}

static void bufs_free(struct bufs *b)
{
	obuf_free(&b->src);
	obuf_free(&b->dst);
	obuf_free(&b->back);
}

/*
 * How long the pair's QPs stalled on faults at most, and where a fault's
 * time went (the engine's QP dump), so a run that passed says how close
 * it came to a requester's retries or to the test's timeout.  The stall is
 * this pair's; wait, map and read-ahead are of the process's ODP queue,
 * the longest since the first subtest.
 */
static void print_fault_times(struct pair *p)
{
	static const char *const keys[] = {
		"drv_fault_max_ms", "drv_odp_max_wait_ms", "drv_odp_max_map_ms",
		"drv_odp_max_ahead_ms", "drv_odp_slowest_ms",
		"drv_odp_slowest_cpu_ms", "drv_odp_slowest_runq_ms",
		"drv_odp_slowest_sleeps", "drv_odp_slowest_cpu_faults",
	};
	long max[sizeof(keys) / sizeof(keys[0])] = { 0 }, v;
	char line[2048], want[32];
	unsigned int i, q;
	FILE *f;

	f = odp_popen("rdma resource show qp link %s/1 -dd 2>&1", odp_dev_name());
	while (fgets(line, sizeof(line), f)) {
		strcat(line, " ");
		for (q = 0; q < 2; q++) {
			snprintf(want, sizeof(want), "lqpn %u ",
				 (q ? p->b : p->a)->qp_num);
			if (!strstr(line, want))
				continue;
			for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
				if (odp_field(line, keys[i], &v) && v > max[i])
					max[i] = v;
		}
	}
	pclose(f);
	printf("   longest stall %ld ms; so far a fault's longest wait %ld ms, map %ld ms, read-ahead %ld ms\n",
	       max[0], max[1], max[2], max[3]);
	printf("   the slowest fault so far took %ld ms: %ld on a CPU, %ld waiting for one, %ld sleeps, %ld CPU page faults\n",
	       max[4], max[5], max[6], max[7], max[8]);
}

/*
 * A fork only write-protects: what the device reads stays mapped, and
 * what it writes (dst by the WRITE, back by the READ) needs one fault per
 * buffer to be writable again, which maps the rest of the message too.
 * So each fork may cost a few faults, where dropping every page cost one
 * per 64 KiB read-ahead window of each buffer: 96.  On top, the first
 * touch of the three buffers, and faults whose read-ahead met the next
 * fork and gave up.
 */
#define FORK_FAULTS_EACH	8
#define FIRST_TOUCH_FAULTS	((long)(3 * BUF / (64 * KIB)))

static void run_concurrent(struct dp_dev *d, struct disturber *dist,
			   int must_invalidate)
{
	struct { struct disturber *d; struct bufs *b; } arg;
	long inv, faults, forks;
	int64_t took, slowest = 0;
	struct bufs b;
	struct pair p;
	pthread_t tid;
	char what[96];
	int r;

	snprintf(what, sizeof(what), "traffic during %s", dist->name);
	SUBTEST(what);
	pair_make(d, &p, IBV_QPT_RC, 0);
	bufs_make(d, &b, !strcmp(dist->name, "thp"));
	arg.d = dist;
	arg.b = &b;
	atomic_store(&stop, 0);
	atomic_store(&disturbances, 0);
	pthread_create(&tid, NULL, disturb, &arg);
	/* The slowest round says how close the rest came to the timeout. */
	for (r = 0; r < ROUNDS; r++) {
		took = dp_now_ms();
		if (transfer(&p, &b, 100 + r, what))
			break;
		took = dp_now_ms() - took;
		if (took > slowest)
			slowest = took;
	}
	atomic_store(&stop, 1);
	pthread_join(tid, NULL);
	faults = faults_handled(&b);
	forks = atomic_load(&disturbances);
	/*
	 * Once more, after the dust settled; not after a failed round,
	 * whose late completion it would take for its own.
	 */
	if (r == ROUNDS)
		transfer(&p, &b, 999, what);
	inv = invalidations(&b);
	printf("   %ld disturbances, %ld pages invalidated, %ld faults handled in %d rounds, the slowest %lld ms\n",
	       forks, inv, faults, r, (long long)slowest);
	print_fault_times(&p);
	if (must_invalidate)
		CHECK(inv > 0, "%s: nothing was invalidated", what);
	if (dist->fn == d_fork)
		CHECK(faults <= FORK_FAULTS_EACH * forks + FIRST_TOUCH_FAULTS,
		      "%s: %ld faults for %ld forks: more than %d each",
		      what, faults, forks, FORK_FAULTS_EACH);
	pair_destroy(&p);
	bufs_free(&b);
}

/* One RDMA op of BUF bytes between an ODP buffer and dst. */
static int rdma_op(struct pair *p, struct bufs *b, enum ibv_wr_opcode opcode,
		   struct obuf *local, const char *what)
{
	struct ibv_sge sge = { (uintptr_t)local->addr, BUF, local->mr->lkey };
	struct ibv_send_wr wr;

	dp_wr(&wr, 0, opcode, &sge, 1, (uintptr_t)b->dst.addr,
	      b->dst.mr->rkey);
	post_send(p, &wr);
	return dp_expect(p->cqa, 9, IBV_WC_SUCCESS, -1, what, NULL);
}

/*
 * What a fork leaves the device: the parent's pages for reading, with no
 * new fault, but not for writing, or a device WRITE would land in the page
 * the child still shares.  The WRITE must break COW in the parent, as a
 * CPU store does.
 */
static void run_fork_cow(struct dp_dev *d)
{
	struct odp_mr_info before, after;
	int ready[2], done[2], status;
	struct bufs b;
	struct pair p;
	pid_t pid;
	char c = 0;

	SUBTEST("fork: read mirror kept, device WRITE breaks COW");
	pair_make(d, &p, IBV_QPT_RC, 0);
	bufs_make(d, &b, 0);
	if (pipe(ready) || pipe(done))
		dp_die("pipe");
	/* dst mirrored writable by a WRITE, then read once by the device. */
	odp_fill(b.src.addr, BUF, 1);
	if (rdma_op(&p, &b, IBV_WR_RDMA_WRITE, &b.src, "WRITE before fork") ||
	    rdma_op(&p, &b, IBV_WR_RDMA_READ, &b.back, "READ before fork"))
		goto out;
	pid = fork();
	if (pid < 0)
		dp_die("fork");
	if (!pid) {
		/* The child's dst must keep what it had at fork time. */
		if (write(ready[1], &c, 1) != 1 || read(done[0], &c, 1) != 1)
			_exit(2);
		_exit(odp_verify(b.dst.addr, BUF, 1) < 0 ? 0 : 1);
	}
	CHECK(read(ready[0], &c, 1) == 1, "child did not start");
	odp_mr_query(b.dst.mr->lkey, &before);
	if (!rdma_op(&p, &b, IBV_WR_RDMA_READ, &b.back, "READ after fork")) {
		odp_mr_query(b.dst.mr->lkey, &after);
		CHECK(odp_verify(b.back.addr, BUF, 1) < 0,
		      "READ after fork: wrong data");
		/*
		 * The fork's write-protection is counted in before.  What
		 * came after it (NUMA balancing with two nodes, reclaim on
		 * a loaded guest) unmaps as any invalidation does, and the
		 * faults it costs are not the fork's.
		 */
		CHECK(after.page_faults_handled == before.page_faults_handled ||
		      after.page_invalidations != before.page_invalidations,
		      "READ after fork faulted %ld times on dst with no invalidation after the fork: the read mirror was dropped",
		      after.page_faults_handled - before.page_faults_handled);
	}
	odp_fill(b.src.addr, BUF, 2);
	if (!rdma_op(&p, &b, IBV_WR_RDMA_WRITE, &b.src, "WRITE after fork"))
		CHECK(odp_verify(b.dst.addr, BUF, 2) < 0,
		      "WRITE after fork: the parent's dst is wrong");
	CHECK(write(done[1], &c, 1) == 1, "wake child");
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      !WEXITSTATUS(status),
	      "the child's dst changed: a device WRITE reached a COW-shared page (status %#x)",
	      status);
out:
	close(ready[0]);
	close(ready[1]);
	close(done[0]);
	close(done[1]);
	pair_destroy(&p);
	bufs_free(&b);
}

/* Sources that change what is mapped, between transfers. */
static void run_remap(struct dp_dev *d)
{
	struct bufs b;
	struct pair p;
	char *tmp, *away;
	long bad;
	int r;

	SUBTEST("munmap + new mapping, MADV_DONTNEED, mremap between transfers");
	pair_make(d, &p, IBV_QPT_RC, 0);
	bufs_make(d, &b, 0);
	for (r = 0; r < 6; r++) {
		transfer(&p, &b, 200 + r, "before");
		switch (r % 3) {
		case 0:	/* the old pages go, new ones come at the same VA */
			odp_map(b.dst.addr, BUF, PROT_READ | PROT_WRITE,
				MAP_FIXED);
			odp_map(b.back.addr, BUF, PROT_READ | PROT_WRITE,
				MAP_FIXED);
			odp_fill(b.dst.addr, BUF, 300 + r);
			break;
		case 1:	/* zero-filled afresh */
			madvise(b.dst.addr, BUF, MADV_DONTNEED);
			madvise(b.back.addr, BUF, MADV_DONTNEED);
			CHECK(odp_verify(b.dst.addr, BUF, 300 + r) >= 0,
			      "DONTNEED kept data");
			odp_fill(b.dst.addr, BUF, 300 + r);
			break;
		case 2:	/* the same pages, moved away and back */
			away = odp_map(NULL, BUF, PROT_NONE, 0);
			tmp = mremap(b.dst.addr, BUF, BUF,
				     MREMAP_MAYMOVE | MREMAP_FIXED, away);
			CHECK(tmp == away, "mremap away");
			if (tmp != away)
				break;
			tmp = mremap(tmp, BUF, BUF,
				     MREMAP_MAYMOVE | MREMAP_FIXED, b.dst.addr);
			CHECK(tmp == b.dst.addr, "mremap back");
			odp_fill(b.dst.addr, BUF, 300 + r);
			break;
		}
		/* The device must read the new contents, not the old pages. */
		{
			struct ibv_sge s = { (uintptr_t)b.back.addr, BUF,
					     b.back.mr->lkey };
			struct ibv_send_wr w = { .sg_list = &s, .num_sge = 1,
						 .opcode = IBV_WR_RDMA_READ };

			w.wr.rdma.remote_addr = (uintptr_t)b.dst.addr;
			w.wr.rdma.rkey = b.dst.mr->rkey;
			post_send(&p, &w);
			if (dp_expect(p.cqa, 9, IBV_WC_SUCCESS, -1, "reread",
				      NULL))
				break;
			bad = odp_verify(b.back.addr, BUF, 300 + r);
			CHECK(bad < 0, "round %d: READ after remap: word %ld",
			      r, bad);
		}
	}
	CHECK(invalidations(&b) > 0, "nothing was invalidated");
	pair_destroy(&p);
	bufs_free(&b);
}

/* One concurrent subtest, if selected. */
static void run_disturber(struct dp_dev *d, int argc, char **argv,
			  struct disturber *dist)
{
	if (!check_selected(argc, argv, dist->name))
		return;
	/*
	 * fork always write-protects; pageout needs swap, THP and migration
	 * need the kernel to find something to do.
	 */
	run_concurrent(d, dist,
		       dist->fn == d_fork ||
		       (dist->fn == d_pageout && odp_have_swap()) ||
		       (dist->fn == d_migrate && numa_nodes() > 1));
}

int main(int argc, char **argv)
{
	struct disturber dists[] = {
		{ "pageout", d_pageout },
		{ "thp", d_thp },
		{ "fork", d_fork },
	};
	/*
	 * Last of all: its compaction leaves the guest's free lists full of
	 * frames that held code, and under TCG the first stores into those
	 * are up to a hundred times slower (docs/odp.md, "Where a slow
	 * fault's time goes"); a fork's COW breaks after it took 30 s.
	 */
	struct disturber migrate = { "migrate", d_migrate };
	struct dp_dev d;
	unsigned int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dp_open(&d);
	for (i = 0; i < sizeof(dists) / sizeof(dists[0]); i++)
		run_disturber(&d, argc, argv, &dists[i]);
	if (check_selected(argc, argv, "fork"))
		run_fork_cow(&d);
	if (check_selected(argc, argv, "remap"))
		run_remap(&d);
	run_disturber(&d, argc, argv, &migrate);
	if (check_selected(argc, argv, "migrate") && numa_nodes() > 1) {
		/* with two nodes every round moves pages: none means no test */
		printf("migrate: %ld page moves to the other node\n",
		       pages_migrated);
		CHECK(pages_migrated > 0, "migrate: move_pages moved nothing");
	}
	dp_close(&d);
	return check_finish("odp_invalidate");
}
