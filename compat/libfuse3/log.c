/*
 * log.c -- fuse_log and fuse_set_log_func: one process-wide sink.
 *
 * libfuse's API makes the sink a process global; it is set once before
 * a session starts, so a plain pointer read without locking is what
 * the interface promises (and all libfuse programs rely on).
 */
#include "compat.h"

#include <stdio.h>

static void log_to_stderr(enum fuse_log_level level, const char *fmt, va_list ap)
{
	(void)level;
	vfprintf(stderr, fmt, ap);
}

static fuse_log_func_t log_sink = log_to_stderr;

void fuse_set_log_func(fuse_log_func_t func)
{
	log_sink = func ? func : log_to_stderr;
}

void fuse_log(enum fuse_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_sink(level, fmt, ap);
	va_end(ap);
}

void fbx_compat_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_sink(FUSE_LOG_ERR, fmt, ap);
	va_end(ap);
}
