// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Provider and library diagnostics.  Like rdma-core: $VERBS_LOG_LEVEL picks
 * the most verbose level printed (0 none .. 4 debug, default 0), and
 * $VERBS_LOG_FILE sends the messages to a file instead of stderr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "ibverbs.h"

static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static uint32_t log_level;
static FILE *log_file;

static void open_log(void)
{
	const char *level = getenv("VERBS_LOG_LEVEL");
	const char *path = getenv("VERBS_LOG_FILE");

	if (level)
		log_level = (uint32_t)strtoul(level, NULL, 0);
	if (path && log_level)
		log_file = fopen(path, "ae");
	if (!log_file)
		log_file = stderr;
}

void ibverbs_log_init(void)
{
	pthread_once(&log_once, open_log);
}

IBV_EXPORT void __verbs_log(struct verbs_context *ctx, uint32_t level,
			    const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	ibverbs_log_init();
	if (level > log_level || level == VERBS_LOG_LEVEL_NONE)
		return;
	va_start(ap, fmt);
	vfprintf(log_file, fmt, ap);
	va_end(ap);
}
