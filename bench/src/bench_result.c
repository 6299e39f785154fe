// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_result.h"

/* Tabs and newlines would break the line format; notes are free text. */
static void put_field(const char *s)
{
	for (; *s; s++)
		putchar(*s == '\t' || *s == '\n' ? ' ' : *s);
}

static void put_value(double v)
{
	if (v < 0)
		fputs("n/a", stdout);
	else
		printf("%.6g", v);
}

static void put_row(const char *metric, double smlx, double ref,
		    const char *unit, enum bench_better better,
		    const char *fmt, va_list ap)
{
	char note[512];

	vsnprintf(note, sizeof(note), fmt, ap);
	fputs("@bench\t", stdout);
	put_field(metric);
	putchar('\t');
	put_value(smlx);
	putchar('\t');
	put_value(ref);
	putchar('\t');
	put_field(unit);
	fputs(better == BENCH_HIGHER ? "\thigher\t" : "\tlower\t", stdout);
	put_field(note);
	putchar('\n');
	fflush(stdout);
}

void bench_result(const char *metric, double smlx, double ref,
		  const char *unit, enum bench_better better,
		  const char *note_fmt, ...)
{
	va_list ap;

	va_start(ap, note_fmt);
	put_row(metric, smlx, ref, unit, better, note_fmt, ap);
	va_end(ap);
}

void bench_result_na(const char *metric, const char *unit,
		     enum bench_better better, const char *reason_fmt, ...)
{
	va_list ap;

	va_start(ap, reason_fmt);
	put_row(metric, -1, -1, unit, better, reason_fmt, ap);
	va_end(ap);
}

void bench_die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}
