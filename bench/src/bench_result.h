/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The result lines bench/run collects from the guest's output, one per
 * table row, tab-separated:
 *
 *   @bench <metric> <smlx> <reference> <unit> <better> <note>
 *
 * <smlx> and <reference> are numbers or "n/a"; <better> is "higher" or
 * "lower" and tells bench/format which way round the ratio goes; <note>
 * (possibly empty) says how the numbers were got, or why they are n/a.
 * bench/guest/lib.sh writes the same lines for the shell measurements.
 */
#ifndef SMLX_BENCH_RESULT_H
#define SMLX_BENCH_RESULT_H

enum bench_better { BENCH_HIGHER, BENCH_LOWER };

/* @ref < 0 means the reference could not be measured (the note says why). */
void bench_result(const char *metric, double smlx, double ref,
		  const char *unit, enum bench_better better,
		  const char *note_fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* A row that could not be measured at all. */
void bench_result_na(const char *metric, const char *unit,
		     enum bench_better better, const char *reason_fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Fatal for one program: prints why to stderr and exits 2. */
void bench_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
