/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Anonymous memory the way the benchmarks need it: fresh mappings, pages
 * populated ahead of a measurement, the CPU's own first-touch faults as
 * the reference, and how much the guest can still give.
 */
#ifndef SMLX_BENCH_MEMORY_H
#define SMLX_BENCH_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_PAGE 4096UL
#define BENCH_MIB (1024UL * 1024)
#define BENCH_GIB (1024 * BENCH_MIB)

/*
 * A fresh private anonymous mapping of @len bytes; with @small_pages,
 * MADV_NOHUGEPAGE so every fault is about one 4 KiB page.
 */
void *bench_map(size_t len, int small_pages);

/* Allocates every page of [p, p + len) writable without timing it. */
void bench_populate(void *p, size_t len);

/* Writes one byte in each page of [p, p + len); returns the nanoseconds. */
int64_t bench_touch(void *p, size_t len);

/* MemAvailable of /proc/meminfo in bytes, 0 if unreadable. */
uint64_t bench_mem_available(void);

/* "4096", "64K", "16M", "4G": bytes, or 0 when malformed. */
size_t bench_parse_size(const char *s);

/* "1 MiB", "16 GiB", "512 KiB": for metric names. */
const char *bench_size_name(size_t bytes, char *buf, size_t len);

#endif
