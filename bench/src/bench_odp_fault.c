// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Device page faults against the CPU's, and warm ODP against pinned.
 *
 * usage: bench_odp_fault [PAGES [ROUNDS [WARM_ROUNDS [CHUNK]]]]
 *
 * Fault-to-resume: RDMA WRITE (CHUNK-byte messages, BENCH_DEPTH in flight,
 * RC loopback) of PAGES 4 KiB pages from or into a fresh ODP MR over pages
 * the CPU has already populated, so every page is present in the process
 * but absent from the device's mirror and each message first stalls its QP
 * on a fault that the fault handler resolves before the QP resumes.  The
 * whole pass divided by the pages is the per-page cost (the note gives a
 * second pass over the same MRs, mapped by then, to show how much of it
 * is the transfer itself); "rdma statistic
 * mr" must show the faults (page_faults counts pages mapped by faults,
 * page_faults_handled the fault events), else the row is n/a.  The
 * reference is the CPU's first write to a fresh anonymous page, timed in
 * the same rounds.  Small pages throughout (MADV_NOHUGEPAGE).
 *
 * Warm: the same pass between two ODP MRs whose pages are all mirrored
 * (after one pass faulted them in) against two pinned MRs, alternating
 * so that the host's load drifts over both alike, medians (and the median
 * of each round's ratio, in the note); the ODP MRs must take no fault
 * meanwhile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench_clock.h"
#include "bench_memory.h"
#include "bench_odp_stats.h"
#include "bench_pair.h"
#include "bench_result.h"

#define MAX_ROUNDS 64

struct region {
	char *addr;
	size_t len;
	struct ibv_mr *mr;
};

static struct bench_dev dev;
static struct bench_pair pair;
static size_t pages, chunk;

/* Fresh small-page memory, populated with @fill, registered ODP or pinned. */
static void region_make(struct region *r, int odp, int fill)
{
	r->len = pages * BENCH_PAGE;
	r->addr = bench_map(r->len, 1);
	memset(r->addr, fill, r->len);
	r->mr = bench_reg(&dev, r->addr, r->len, odp);
}

static void region_free(struct region *r)
{
	if (ibv_dereg_mr(r->mr))
		bench_die("ibv_dereg_mr");
	munmap(r->addr, r->len);
}

static void counters(struct region *r, struct bench_mr_counters *c)
{
	if (bench_mr_counters(dev.name, r->mr->lkey, c))
		bench_die("rdma statistic mr does not list lkey %#x",
			  r->mr->lkey);
}

static int64_t pass(struct region *src, struct region *dst)
{
	int64_t t = bench_write_pass(&pair, src->addr, src->mr->lkey,
				     dst->addr, dst->mr->rkey, src->len, chunk);

	if (memcmp(src->addr, dst->addr, src->len))
		bench_die("RDMA WRITE pass: the target differs from the source");
	return t;
}

struct cold {
	double us_per_page[MAX_ROUNDS];
	double warm_us_per_page[MAX_ROUNDS];	/* the same MRs once mapped */
	long faults, handled;	/* summed over the rounds */
};

/*
 * One cold pass with the ODP MR as the source (@odp_is_src) or the target,
 * adding its time per page and its fault counts to @c.
 */
static void cold_round(int odp_is_src, int round, struct cold *c)
{
	struct region src, dst, *odp;
	struct bench_mr_counters before, after;
	int64_t t;

	region_make(&src, odp_is_src, 0x5a + round);
	region_make(&dst, !odp_is_src, 0);
	odp = odp_is_src ? &src : &dst;
	counters(odp, &before);
	t = pass(&src, &dst);
	counters(odp, &after);
	c->us_per_page[round] = t / 1e3 / pages;
	c->warm_us_per_page[round] = pass(&src, &dst) / 1e3 / pages;
	c->faults += after.page_faults - before.page_faults;
	c->handled += after.page_faults_handled - before.page_faults_handled;
	region_free(&src);
	region_free(&dst);
}

static void report_cold(const char *side, struct cold *c, double cpu_us,
			int rounds)
{
	char metric[128];
	long want = (long)pages * rounds;

	snprintf(metric, sizeof(metric),
		 "ODP fault-to-resume per 4 KiB page (WRITE %s) vs CPU "
		 "first touch", side);
	if (c->faults < want)
		bench_result_na(metric, "us", BENCH_LOWER,
				"rdma statistic mr counted %ld fault pages of "
				"%ld", c->faults, want);
	else
		bench_result(metric, bench_median(c->us_per_page, rounds),
			     cpu_us, "us", BENCH_LOWER,
			     "%zu pages x %d rounds, %zu B messages: %ld pages "
			     "in %ld faults (rdma statistic mr); the same pass "
			     "once mapped: %.3g us/page", pages, rounds, chunk,
			     c->faults, c->handled,
			     bench_median(c->warm_us_per_page, rounds));
}

static void cold(int rounds)
{
	struct cold src = { 0 }, dst = { 0 };
	double cpu[MAX_ROUNDS];
	int i;

	for (i = 0; i < rounds; i++) {
		char *p = bench_map(pages * BENCH_PAGE, 1);

		cpu[i] = bench_touch(p, pages * BENCH_PAGE) / 1e3 / pages;
		munmap(p, pages * BENCH_PAGE);
		cold_round(1, i, &src);
		cold_round(0, i, &dst);
		printf("round %d: us/page: CPU %.3f, ODP source %.3f, ODP "
		       "target %.3f\n", i, cpu[i], src.us_per_page[i],
		       dst.us_per_page[i]);
	}
	report_cold("source", &src, bench_median(cpu, rounds), rounds);
	report_cold("target", &dst, bench_median(cpu, rounds), rounds);
}

static void warm(int rounds)
{
	struct region osrc, odst, psrc, pdst;
	struct bench_mr_counters s0, d0, s1, d1;
	double odp[MAX_ROUNDS], pin[MAX_ROUNDS], paired[MAX_ROUNDS];
	double mib = pages * BENCH_PAGE / (double)BENCH_MIB;
	const char *metric = "RDMA WRITE bw, warm ODP vs pinned MRs";
	long faults;
	int i;

	region_make(&osrc, 1, 0x33);
	region_make(&odst, 1, 0);
	region_make(&psrc, 0, 0x33);
	region_make(&pdst, 0, 0);
	pass(&osrc, &odst);	/* faults every page in */
	counters(&osrc, &s0);
	counters(&odst, &d0);
	for (i = 0; i < rounds; i++) {
		odp[i] = mib / (pass(&osrc, &odst) / 1e9);
		pin[i] = mib / (pass(&psrc, &pdst) / 1e9);
		paired[i] = odp[i] / pin[i];
		printf("round %d: MiB/s: ODP %.1f, pinned %.1f\n", i, odp[i],
		       pin[i]);
	}
	counters(&osrc, &s1);
	counters(&odst, &d1);
	faults = s1.page_faults - s0.page_faults + d1.page_faults -
		 d0.page_faults;
	if (faults)
		bench_result_na(metric, "MiB/s", BENCH_HIGHER,
				"the warm ODP MRs took %ld fault pages", faults);
	else
		bench_result(metric, bench_median(odp, rounds),
			     bench_median(pin, rounds), "MiB/s", BENCH_HIGHER,
			     "%.0f MiB per pass, %zu B messages, ODP on both "
			     "ends, medians of %d alternating passes, no faults "
			     "while timed; median of the per-round ratios %.3f",
			     mib, chunk, rounds, bench_median(paired, rounds));
	region_free(&osrc);
	region_free(&odst);
	region_free(&psrc);
	region_free(&pdst);
}

int main(int argc, char **argv)
{
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	int warm_rounds = argc > 3 ? atoi(argv[3]) : 7;

	pages = argc > 1 ? strtoul(argv[1], NULL, 0) : 16384;
	chunk = argc > 4 ? bench_parse_size(argv[4]) : 65536;
	if (!pages || rounds < 1 || rounds > MAX_ROUNDS || warm_rounds < 1 ||
	    warm_rounds > MAX_ROUNDS || !chunk || chunk > (1UL << 31))
		bench_die("usage: %s [PAGES [ROUNDS [WARM_ROUNDS [CHUNK]]]]",
			  argv[0]);
	bench_dev_open(&dev, NULL);
	bench_pair_connect(&dev, &pair);
	cold(rounds);
	warm(warm_rounds);
	bench_pair_destroy(&pair);
	bench_dev_close(&dev);
	return 0;
}
