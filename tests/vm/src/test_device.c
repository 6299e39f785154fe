// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "test_device.h"

struct ibv_context *test_open_device(void)
{
	const char *want = getenv("SMLX_DEV");
	struct ibv_device **list;
	struct ibv_context *ctx = NULL;
	int i, n;

	if (!want || !*want)
		want = "smlx0";
	list = ibv_get_device_list(&n);
	if (!list) {
		perror("ibv_get_device_list");
		exit(2);
	}
	for (i = 0; i < n; i++) {
		if (strcmp(ibv_get_device_name(list[i]), want))
			continue;
		ctx = ibv_open_device(list[i]);
		if (!ctx) {
			fprintf(stderr, "ibv_open_device(%s): %s\n", want,
				strerror(errno));
			exit(2);
		}
		break;
	}
	ibv_free_device_list(list);
	if (!ctx) {
		fprintf(stderr, "device %s not found\n", want);
		exit(2);
	}
	return ctx;
}

static long status_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

void test_read_proc_mem(struct proc_mem *m)
{
	char buf[8192];
	size_t len;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f) {
		perror("/proc/self/status");
		exit(2);
	}
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = 0;
	m->rss_kb = status_kb(buf, "VmRSS:");
	m->pin_kb = status_kb(buf, "VmPin:");
	m->lck_kb = status_kb(buf, "VmLck:");
}
