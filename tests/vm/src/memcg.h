/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Small files of sysfs and cgroupfs, and the memory cgroup a test charges
 * (the case makes it: memcg_make in tests/vm/lib.sh).  Any failure ends
 * the test: a value it cannot read is a check it cannot make.
 */
#ifndef SMLX_VM_MEMCG_H
#define SMLX_VM_MEMCG_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp_test.h"

static inline long sysfs_read_long(const char *path)
{
	char val[64];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		dp_die(path);
	n = read(fd, val, sizeof(val) - 1);
	close(fd);
	if (n <= 0)
		dp_die(path);
	val[n] = 0;
	return atol(val);
}

static inline void sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n = (ssize_t)strlen(val);

	if (fd < 0 || write(fd, val, n) != n)
		dp_die(path);
	close(fd);
}

/* Bytes charged to cgroup @cg (its path) now. */
static inline long memcg_current(const char *cg)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/memory.current", cg);
	return sysfs_read_long(path);
}

/* Moves this process into cgroup @cg. */
static inline void memcg_enter(const char *cg)
{
	char path[512], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	sysfs_write(path, pid);
}

#endif /* SMLX_VM_MEMCG_H */
