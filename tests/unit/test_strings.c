// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Our enum-to-string and rate helpers against Debian's rdma-core 44
 * libibverbs, loaded privately with dlopen and asked for every value.
 * Skipped (77) where that library is not installed.
 *
 * Usage: test_strings PATH_TO_REFERENCE_LIBIBVERBS
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <infiniband/verbs.h>

#include "unit_test.h"

typedef const char *(*str_fn)(int);
typedef int (*int_fn)(int);

static void compare_str(void *ref, const char *name, str_fn ours, int lo, int hi)
{
	str_fn theirs = (str_fn)dlsym(ref, name);
	int i;

	CHECK(theirs != NULL);
	if (!theirs)
		return;
	for (i = lo; i <= hi; i++) {
		const char *a = ours(i), *b = theirs(i);

		if (strcmp(a, b))
			fprintf(stderr, "%s(%d): ours \"%s\", rdma-core \"%s\"\n",
				name, i, a, b);
		CHECK(!strcmp(a, b));
	}
}

static void compare_int(void *ref, const char *name, int_fn ours, int lo,
			int hi, int step)
{
	int_fn theirs = (int_fn)dlsym(ref, name);
	int i;

	CHECK(theirs != NULL);
	if (!theirs)
		return;
	for (i = lo; i <= hi; i += step) {
		if (ours(i) != theirs(i))
			fprintf(stderr, "%s(%d): ours %d, rdma-core %d\n", name,
				i, ours(i), theirs(i));
		CHECK_EQ(ours(i), theirs(i));
	}
}

int main(int argc, char **argv)
{
	static const int mbps[] = { 2500,   5000,   10000,  14062,  20000,
				    25781,  28125,  30000,  40000,  53125,
				    56250,  60000,  80000,  103125, 112500,
				    120000, 168750, 206250, 309375, 425000,
				    637500, 850000, 1275000, 1, 0, -5 };
	void *ref;
	size_t i;

	if (argc != 2)
		return 2;
	ref = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!ref) {
		printf("reference library unavailable (%s); skipping\n", dlerror());
		return 77;
	}

	compare_str(ref, "ibv_node_type_str", (str_fn)ibv_node_type_str, -2, 12);
	compare_str(ref, "ibv_port_state_str", (str_fn)ibv_port_state_str, -2, 10);
	compare_str(ref, "ibv_event_type_str", (str_fn)ibv_event_type_str, -2, 30);
	compare_str(ref, "ibv_wc_status_str", (str_fn)ibv_wc_status_str, -2, 40);
	compare_int(ref, "ibv_rate_to_mult", (int_fn)ibv_rate_to_mult, -2, 30, 1);
	compare_int(ref, "ibv_rate_to_mbps", (int_fn)ibv_rate_to_mbps, -2, 30, 1);
	compare_int(ref, "mult_to_ibv_rate", (int_fn)mult_to_ibv_rate, -2, 500, 1);
	for (i = 0; i < sizeof(mbps) / sizeof(mbps[0]); i++)
		compare_int(ref, "mbps_to_ibv_rate", (int_fn)mbps_to_ibv_rate,
			    mbps[i], mbps[i], 1);

	dlclose(ref);
	return finish_checks();
}
