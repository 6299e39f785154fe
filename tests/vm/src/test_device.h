/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Opening the smlx device under test and reading the process's memory counters. */
#ifndef SMLX_TEST_DEVICE_H
#define SMLX_TEST_DEVICE_H

#include <infiniband/verbs.h>

/* Opens $SMLX_DEV (default "smlx0"); exits the program if it is absent. */
struct ibv_context *test_open_device(void);

struct proc_mem {
	long rss_kb;	/* VmRSS: pages resident */
	long pin_kb;	/* VmPin: mm->pinned_vm, what ib_umem_get charges */
	long lck_kb;	/* VmLck: mlocked pages */
};

void test_read_proc_mem(struct proc_mem *m);

#endif
