// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory registration time, ODP against pinned, per size.
 *
 * usage: bench_reg_time SIZE:REPEATS...   (e.g. 1M:9 16G:3)
 *
 * Each size gets one mapping whose pages are populated before anything is
 * timed, so the pinned registration pays for pinning and mapping pages,
 * not for allocating and zeroing them; the ODP registration of the same
 * range only sets up its mirror.  ODP and pinned alternate, each
 * registration timed alone (ibv_reg_mr) and deregistered untimed; the
 * medians are reported.  A size whose pages do not fit in the guest's
 * available memory (with room to spare) gets ODP only: ODP never needs the
 * pages, which is its point.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench_clock.h"
#include "bench_memory.h"
#include "bench_pair.h"
#include "bench_result.h"

#define MAX_REPEATS 64

/* Room left for the kernel, the page tables and the overlay's files. */
static int pinned_fits(size_t len)
{
	uint64_t avail = bench_mem_available();
	uint64_t spare = len / 32 > 512 * BENCH_MIB ? len / 32 : 512 * BENCH_MIB;

	return avail > len + spare;
}

static double time_reg_ms(struct bench_dev *d, void *buf, size_t len, int odp)
{
	int64_t t0 = bench_now_ns(), t;
	struct ibv_mr *mr = bench_reg(d, buf, len, odp);

	t = bench_now_ns() - t0;
	if (ibv_dereg_mr(mr))
		bench_die("ibv_dereg_mr");
	return t / 1e6;
}

static void measure(struct bench_dev *d, size_t len, int repeats)
{
	double odp[MAX_REPEATS], pinned[MAX_REPEATS];
	char size[32], metric[96];
	int fits = pinned_fits(len), i;
	uint64_t avail = bench_mem_available();
	void *buf = bench_map(len, 0);

	bench_size_name(len, size, sizeof(size));
	snprintf(metric, sizeof(metric), "reg_mr %s: ODP vs pinned", size);
	if (fits)
		bench_populate(buf, len);
	for (i = 0; i < repeats; i++) {
		odp[i] = time_reg_ms(d, buf, len, 1);
		if (fits)
			pinned[i] = time_reg_ms(d, buf, len, 0);
	}
	printf("%s: ODP", metric);
	for (i = 0; i < repeats; i++)
		printf(" %.3f", odp[i]);
	if (fits) {
		printf(" ms, pinned");
		for (i = 0; i < repeats; i++)
			printf(" %.3f", pinned[i]);
	}
	printf(" ms\n");
	if (fits)
		bench_result(metric, bench_median(odp, repeats),
			     bench_median(pinned, repeats), "ms", BENCH_LOWER,
			     "median of %d, populated pages", repeats);
	else
		bench_result(metric, bench_median(odp, repeats), -1, "ms",
			     BENCH_LOWER,
			     "pinned n/a: %s of pages do not fit in the guest's "
			     "%llu MiB available", size,
			     (unsigned long long)(avail / BENCH_MIB));
	munmap(buf, len);
}

int main(int argc, char **argv)
{
	struct bench_dev d;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s SIZE:REPEATS...\n", argv[0]);
		return 2;
	}
	bench_dev_open(&d, NULL);
	for (i = 1; i < argc; i++) {
		char *colon = strchr(argv[i], ':');
		int repeats = colon ? atoi(colon + 1) : 5;
		size_t len;

		if (colon)
			*colon = '\0';
		len = bench_parse_size(argv[i]);
		if (!len || repeats < 1 || repeats > MAX_REPEATS)
			bench_die("bad SIZE:REPEATS '%s'", argv[i]);
		measure(&d, len, repeats);
	}
	bench_dev_close(&d);
	return 0;
}
