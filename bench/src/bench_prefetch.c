// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Prefetch throughput against the CPU's first touch.
 *
 * usage: bench_prefetch [MIB [ROUNDS]]
 *
 * Each round registers a fresh, never touched small-page mapping of MIB
 * MiB as ODP and times one ibv_advise_mr(PREFETCH_WRITE, FLUSH) over all
 * of it: the pages are allocated, zeroed and mirrored writable before the
 * call returns ("rdma statistic mr" must count every page as prefetched,
 * else the row is n/a).  The reference, in the same rounds, is the CPU
 * writing one byte to each page of another fresh mapping of that size,
 * which allocates and zeroes the same number of pages.  Medians, GiB/s.
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

static struct bench_dev dev;

/* Seconds of one synchronous PREFETCH_WRITE; @prefetched from the counters. */
static double prefetch_s(size_t len, long *prefetched)
{
	char *buf = bench_map(len, 1);
	struct ibv_mr *mr = bench_reg(&dev, buf, len, 1);
	struct ibv_sge sge = { .addr = (uintptr_t)buf,
			       .length = (uint32_t)len,
			       .lkey = mr->lkey };
	struct bench_mr_counters c;
	int64_t t0 = bench_now_ns(), t;
	int ret;

	ret = ibv_advise_mr(dev.pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
			    IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1);
	t = bench_now_ns() - t0;
	if (ret)
		bench_die("ibv_advise_mr PREFETCH_WRITE: %s", strerror(ret));
	if (bench_mr_counters(dev.name, mr->lkey, &c))
		bench_die("rdma statistic mr does not list lkey %#x", mr->lkey);
	*prefetched = c.page_prefetch;
	if (ibv_dereg_mr(mr))
		bench_die("ibv_dereg_mr");
	munmap(buf, len);
	return t / 1e9;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 256;
	int rounds = argc > 2 ? atoi(argv[2]) : 5, i;
	size_t len = mib * BENCH_MIB;
	double odp[MAX_ROUNDS], cpu[MAX_ROUNDS];
	double gib = len / (double)BENCH_GIB;
	char metric[96];
	long prefetched, short_rounds = 0;

	if (!mib || len >= (1UL << 32) || rounds < 1 || rounds > MAX_ROUNDS)
		bench_die("usage: %s [MIB (< 4096) [ROUNDS]]", argv[0]);
	bench_dev_open(&dev, NULL);
	for (i = 0; i < rounds; i++) {
		char *p = bench_map(len, 1);

		cpu[i] = gib / (bench_touch(p, len) / 1e9);
		munmap(p, len);
		odp[i] = gib / prefetch_s(len, &prefetched);
		if (prefetched != (long)(len / BENCH_PAGE))
			short_rounds++;
		printf("round %d: GiB/s: prefetch %.3f (%ld pages), CPU touch "
		       "%.3f\n", i, odp[i], prefetched, cpu[i]);
	}
	snprintf(metric, sizeof(metric),
		 "PREFETCH_WRITE+FLUSH %zu MiB vs CPU first touch", mib);
	if (short_rounds)
		bench_result_na(metric, "GiB/s", BENCH_HIGHER,
				"%ld rounds prefetched fewer than %zu pages",
				short_rounds, len / BENCH_PAGE);
	else
		bench_result(metric, bench_median(odp, rounds),
			     bench_median(cpu, rounds), "GiB/s", BENCH_HIGHER,
			     "fresh 4 KiB pages, median of %d, page_prefetch = "
			     "%zu each (rdma statistic mr)", rounds,
			     len / BENCH_PAGE);
	bench_dev_close(&dev);
	return 0;
}
