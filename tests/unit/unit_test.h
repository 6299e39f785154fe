/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Minimal checks for the host unit tests: count, report, exit status. */
#ifndef UNIT_TEST_H
#define UNIT_TEST_H

#include <stdio.h>

static int checks_passed, checks_failed;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (cond) {                                                    \
			checks_passed++;                                       \
		} else {                                                       \
			checks_failed++;                                       \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long __a = (long long)(a), __b = (long long)(b);          \
		if (__a == __b) {                                              \
			checks_passed++;                                       \
		} else {                                                       \
			checks_failed++;                                       \
			fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", \
				__FILE__, __LINE__, #a, #b, __a, __b);         \
		}                                                              \
	} while (0)

static inline int finish_checks(void)
{
	printf("%d passed, %d failed\n", checks_passed, checks_failed);
	return checks_failed ? 1 : 0;
}

#endif
