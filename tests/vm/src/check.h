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

/* Prints why a check failed and counts it (check.c). */
void check_failed(const char *file, int line, const char *cond,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * The program's verdict line, after the reasons of the first failed
 * checks again: 0 if none failed, else 1.
 */
int check_finish(const char *prog);

#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		if (!(cond))                                                  \
			check_failed(__FILE__, __LINE__, #cond, __VA_ARGS__); \
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

#endif
