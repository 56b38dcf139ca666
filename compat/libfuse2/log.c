/*
 * log.c -- where the library's own messages go: stderr, as libfuse 2
 * writes them (it has no logging hook).
 */
#include "fuse2.h"

#include <stdarg.h>
#include <stdio.h>

void fbx_compat_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
