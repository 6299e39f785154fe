// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The failed checks of a VM test program.  Each is printed where it
 * happens, and the first few again by check_finish(): a CI log excerpt
 * keeps a failing case's last lines, where the verdict is, and the reason
 * printed minutes earlier among thousands of lines would not be in it.
 */
#include <stdarg.h>
#include <stdio.h>

#include "check.h"

#define CHECK_KEPT	8

int check_failures;
static char kept[CHECK_KEPT][512];

void check_failed(const char *file, int line, const char *cond,
		  const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "FAIL %s:%d: %s: %s\n", file, line, cond, why);
	if (check_failures < CHECK_KEPT)
		snprintf(kept[check_failures], sizeof(kept[0]), "%s:%d: %s",
			 file, line, why);
	check_failures++;
}

int check_finish(const char *prog)
{
	int i;

	if (!check_failures) {
		printf("%s: all checks passed\n", prog);
		return 0;
	}
	fflush(stdout);
	for (i = 0; i < check_failures && i < CHECK_KEPT; i++)
		fprintf(stderr, "%s: failed: %s\n", prog, kept[i]);
	if (check_failures > CHECK_KEPT)
		fprintf(stderr, "%s: and %d more\n", prog,
			check_failures - CHECK_KEPT);
	printf("%s: %d check(s) failed\n", prog, check_failures);
	return 1;
}
