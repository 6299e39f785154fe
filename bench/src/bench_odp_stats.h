/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * An ODP MR's counters as iproute2's rdma tool shows them: "rdma resource
 * show mr" gives the MR number of an lkey, "rdma statistic mr" the
 * mlx5-named counters.  The benchmarks use them to show that a
 * measurement really took the faults (or prefetches) it claims to time.
 */
#ifndef SMLX_BENCH_ODP_STATS_H
#define SMLX_BENCH_ODP_STATS_H

#include <stdint.h>

struct bench_mr_counters {
	long page_faults;		/* pages mapped by device faults */
	long page_faults_handled;	/* fault events resolved */
	long page_invalidations;
	long page_prefetch;		/* pages mapped by advise_mr */
};

/* 0, or -1 when the rdma tool does not list the MR of @lkey on @dev. */
int bench_mr_counters(const char *dev, uint32_t lkey,
		      struct bench_mr_counters *c);

#endif
