/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Minimal assertion helpers for the programs run inside the VM.  A failed
 * check prints where and why and makes the program exit non-zero; each
 * program reports one line per sub-test so the serial log tells what broke.
 */
#ifndef SMLX_TEST_CHECK_H
#define SMLX_TEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int check_failures;

#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__,         \
				__LINE__, #cond);                             \
			fprintf(stderr, __VA_ARGS__);                         \
			fprintf(stderr, "\n");                                \
			check_failures++;                                     \
		}                                                             \
	} while (0)

/* Verbs return either NULL + errno or a positive errno; normalise both. */
#define CHECK_ERRNO(got, want, what)                                          \
	CHECK((got) == (want), "%s: expected %s (%d), got %s (%d)", what,     \
	      strerror(want), want, strerror(got), got)

#define SUBTEST(name) printf("-- %s\n", name)

/* Whether @name is to run: named on the command line, or nothing named. */
static inline int check_selected(int argc, char **argv, const char *name)
{
	int i;

	if (argc < 2)
		return 1;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

/*
 * A count the environment may set for a run that must do less (the debug
 * kernel's, tests/vm/debug-kernel-cases): @name if set, else @dflt.  A
 * value that is not a positive number ends the program, rather than
 * running a test of nothing.
 */
static inline int check_env_count(const char *name, int dflt)
{
	const char *env = getenv(name);
	char *end;
	long v;

	if (!env || !*env)
		return dflt;
	errno = 0;
	v = strtol(env, &end, 10);
	if (errno || *end || v <= 0 || v > 1000000000) {
		fprintf(stderr, "%s=%s: want a positive count\n", name, env);
		exit(2);
	}
	return (int)v;
}

static inline int check_finish(const char *prog)
{
	if (check_failures) {
		printf("%s: %d check(s) failed\n", prog, check_failures);
		return 1;
	}
	printf("%s: all checks passed\n", prog);
	return 0;
}

#endif
