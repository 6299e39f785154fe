/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the fake provider saw; the test reads it through dlsym. */
#ifndef FAKE_PROVIDER_H
#define FAKE_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

struct fake_calls {
	int match_device;
	int alloc_device;
	int uninit_device;
	int alloc_context;
	int free_context;
	int query_device_ex;
	size_t last_attr_size;
	int query_port;
	int alloc_pd;
	int reg_mr;
	int dereg_mr;
	int fail_reg_mr;
	void *last_reg_addr;
	size_t last_reg_length;
	uint64_t last_reg_iova;
	int last_reg_access;
};

#endif
