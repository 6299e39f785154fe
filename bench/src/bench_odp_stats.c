// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_odp_stats.h"
#include "bench_result.h"

/*
 * The number after the word @key in a line of "key value" pairs: 1 and
 * *val set, or 0.  Words match whole, so "page_faults" does not match
 * "page_faults_handled".
 */
static int field(const char *line, const char *key, long *val)
{
	size_t klen = strlen(key);
	const char *p;

	for (p = strstr(line, key); p; p = strstr(p + klen, key)) {
		char *end;

		if ((p != line && p[-1] != ' ') || p[klen] != ' ')
			continue;
		*val = strtol(p + klen + 1, &end, 0);
		return end != p + klen + 1;
	}
	return 0;
}

static FILE *run(const char *cmd)
{
	FILE *f = popen(cmd, "r");

	if (!f)
		bench_die("popen %s", cmd);
	return f;
}

/* "rdma -d resource show mr": the mrn of the MR with @lkey, or -1. */
static long mr_number(const char *dev, uint32_t lkey)
{
	char cmd[128], want[32], line[1024];
	long mrn = -1, v;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "rdma -d resource show mr dev %s 2>/dev/null",
		 dev);
	snprintf(want, sizeof(want), " lkey 0x%x ", lkey);
	f = run(cmd);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = ' ';
		if (strstr(line, want) && field(line, "mrn", &v))
			mrn = v;
	}
	pclose(f);
	return mrn;
}

int bench_mr_counters(const char *dev, uint32_t lkey,
		      struct bench_mr_counters *c)
{
	long mrn = mr_number(dev, lkey), v;
	char want[64], line[2048];
	int found = 0;
	FILE *f;

	memset(c, 0, sizeof(*c));
	if (mrn < 0)
		return -1;
	snprintf(want, sizeof(want), "dev %s ", dev);
	f = run("rdma statistic mr 2>/dev/null");
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = ' ';
		if (strncmp(line, want, strlen(want)) ||
		    !field(line, "mrn", &v) || v != mrn)
			continue;
		found = 1;
		field(line, "page_faults", &c->page_faults);
		field(line, "page_faults_handled", &c->page_faults_handled);
		field(line, "page_invalidations", &c->page_invalidations);
		field(line, "page_prefetch", &c->page_prefetch);
	}
	pclose(f);
	return found ? 0 : -1;
}
