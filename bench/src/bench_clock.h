/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Monotonic time and the median the benchmarks report. */
#ifndef SMLX_BENCH_CLOCK_H
#define SMLX_BENCH_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t bench_now_ns(void);

/* Median of @n values (n >= 1); @v is left untouched. */
double bench_median(const double *v, size_t n);

#endif
