/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Helpers of the ODP test programs (odp_*.c): what the kernel says about
 * one MR, read the way an administrator reads it (iproute2's rdma tool:
 * "rdma resource show mr -dd" for how much is mirrored, "rdma statistic mr"
 * for the mlx5-named counters), anonymous mappings, and the process's own
 * memory counters.
 *
 * Everything is static inline so each program stays one source file.
 */
#ifndef SMLX_ODP_TEST_H
#define SMLX_ODP_TEST_H

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define KIB 1024UL
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)
#define PAGE 4096UL

struct odp_mr_info {
	long mrn;
	long odp_pages;			/* pages the device mirrors now */
	long odp_children;		/* implicit only */
	long page_faults;
	long page_faults_handled;
	long page_invalidations;
	long page_invalidations_handled;
	long page_prefetch;
};

static inline const char *odp_dev_name(void)
{
	const char *dev = getenv("SMLX_DEV");

	return dev && *dev ? dev : "smlx0";
}

/* Value of "KEY <number>" in a whitespace-separated line, if present. */
static inline int odp_field(const char *line, const char *key, long *val)
{
	size_t klen = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[klen] == ' ') {
			char *end;

			*val = strtol(p + klen + 1, &end, 0);
			return end != p + klen + 1;
		}
		p += klen;
	}
	return 0;
}

static inline FILE *odp_popen(const char *fmt, const char *arg)
{
	char cmd[256];
	FILE *f;

	snprintf(cmd, sizeof(cmd), fmt, arg);
	f = popen(cmd, "r");
	if (!f) {
		perror("popen");
		exit(2);
	}
	return f;
}

/*
 * Fills @info for the MR whose lkey is @lkey.  Returns 0, or -1 when the
 * rdma tool does not list it.
 */
static inline int odp_mr_query(uint32_t lkey, struct odp_mr_info *info)
{
	char line[1024], want[32];
	int found = 0;
	FILE *f;

	memset(info, 0, sizeof(*info));
	info->mrn = -1;
	snprintf(want, sizeof(want), "lkey 0x%x ", lkey);
	/* -dd: driver attributes, where smlx reports odp_pages. */
	f = odp_popen("rdma -dd resource show mr dev %s 2>&1", odp_dev_name());
	while (fgets(line, sizeof(line), f)) {
		strcat(line, " ");
		if (!strstr(line, want))
			continue;
		found = odp_field(line, "mrn", &info->mrn);
		odp_field(line, "drv_odp_pages", &info->odp_pages);
		odp_field(line, "drv_odp_children", &info->odp_children);
	}
	pclose(f);
	if (!found)
		return -1;

	found = 0;
	snprintf(want, sizeof(want), "dev %s ", odp_dev_name());
	f = odp_popen("rdma statistic mr 2>&1%s", "");
	while (fgets(line, sizeof(line), f)) {
		long mrn;

		strcat(line, " ");
		if (strncmp(line, want, strlen(want)) ||
		    !odp_field(line, "mrn", &mrn) || mrn != info->mrn)
			continue;
		found = 1;
		odp_field(line, "page_faults", &info->page_faults);
		odp_field(line, "page_faults_handled",
			  &info->page_faults_handled);
		odp_field(line, "page_invalidations",
			  &info->page_invalidations);
		odp_field(line, "page_invalidations_handled",
			  &info->page_invalidations_handled);
		odp_field(line, "page_prefetch", &info->page_prefetch);
	}
	pclose(f);
	return found ? 0 : -1;
}

static inline void odp_mr_info_print(const char *what,
				     const struct odp_mr_info *i)
{
	printf("   %s: mrn %ld odp_pages %ld children %ld faults %ld/%ld "
	       "invalidations %ld/%ld prefetch %ld\n", what, i->mrn,
	       i->odp_pages, i->odp_children, i->page_faults,
	       i->page_faults_handled, i->page_invalidations,
	       i->page_invalidations_handled, i->page_prefetch);
}

/* Queries, and fails the test if the MR is not listed. */
static inline void odp_mr_get(const char *what, uint32_t lkey,
			      struct odp_mr_info *info)
{
	int ret = odp_mr_query(lkey, info);

	CHECK(!ret, "%s: rdma tool does not list MR lkey %#x", what, lkey);
	odp_mr_info_print(what, info);
}

static inline int64_t odp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Polls until the MR mirrors @pages (or, with @children >= 0, has that
 * many implicit children too), for at most @ms.  Returns 1 when it did.
 */
static inline int odp_mr_wait(uint32_t lkey, long pages, long children,
			      int ms, struct odp_mr_info *info)
{
	int64_t deadline = odp_now_ms() + ms;

	for (;;) {
		if (!odp_mr_query(lkey, info) && info->odp_pages == pages &&
		    (children < 0 || info->odp_children == children))
			return 1;
		if (odp_now_ms() > deadline)
			return 0;
		usleep(20 * 1000);
	}
}

static inline void *odp_map(void *hint, size_t len, int prot, int flags)
{
	void *p = mmap(hint, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags,
		       -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

/* Resident pages of [p, p + len) as mincore() sees them. */
static inline long odp_resident(void *p, size_t len)
{
	size_t n = (len + PAGE - 1) / PAGE, i;
	unsigned char *vec = malloc(n);
	long count = 0;

	if (!vec || mincore(p, len, vec)) {
		perror("mincore");
		exit(2);
	}
	for (i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

/* Whether some swap device is active (/proc/swaps lists one). */
static inline int odp_have_swap(void)
{
	char line[256];
	int n = 0;
	FILE *f = fopen("/proc/swaps", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n > 1;
}

static inline void odp_fill(void *p, size_t len, unsigned int seed)
{
	uint32_t *w = p;
	size_t i;

	for (i = 0; i < len / 4; i++)
		w[i] = seed * 2654435761u + (uint32_t)i;
}

/* Index of the first word that differs from odp_fill(seed), or -1. */
static inline long odp_verify(const void *p, size_t len, unsigned int seed)
{
	const uint32_t *w = p;
	size_t i;

	for (i = 0; i < len / 4; i++)
		if (w[i] != seed * 2654435761u + (uint32_t)i)
			return (long)i;
	return -1;
}

#endif
