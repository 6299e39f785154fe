// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench_clock.h"
#include "bench_memory.h"
#include "bench_result.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23	/* Linux 5.14 */
#endif

void *bench_map(size_t len, int small_pages)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		bench_die("mmap %zu bytes: %s", len, strerror(errno));
	if (small_pages && madvise(p, len, MADV_NOHUGEPAGE))
		bench_die("MADV_NOHUGEPAGE: %s", strerror(errno));
	return p;
}

void bench_populate(void *p, size_t len)
{
	if (!madvise(p, len, MADV_POPULATE_WRITE))
		return;
	if (errno != EINVAL)
		bench_die("MADV_POPULATE_WRITE %zu bytes: %s", len,
			  strerror(errno));
	bench_touch(p, len);
}

int64_t bench_touch(void *p, size_t len)
{
	volatile char *c = p;
	int64_t t0 = bench_now_ns();
	size_t off;

	for (off = 0; off < len; off += BENCH_PAGE)
		c[off] = 1;
	return bench_now_ns() - t0;
}

uint64_t bench_mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long long kib = 0;
	char line[128];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
	fclose(f);
	return (uint64_t)kib * 1024;
}

size_t bench_parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return 0;
	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	default: break;
	}
	return *end ? 0 : (size_t)v;
}

const char *bench_size_name(size_t bytes, char *buf, size_t len)
{
	if (bytes >= BENCH_GIB && bytes % BENCH_GIB == 0)
		snprintf(buf, len, "%zu GiB", bytes / BENCH_GIB);
	else if (bytes >= BENCH_MIB && bytes % BENCH_MIB == 0)
		snprintf(buf, len, "%zu MiB", bytes / BENCH_MIB);
	else if (bytes % 1024 == 0)
		snprintf(buf, len, "%zu KiB", bytes / 1024);
	else
		snprintf(buf, len, "%zu B", bytes);
	return buf;
}
