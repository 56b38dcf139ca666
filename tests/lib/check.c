/* check.c -- the counters and reporters behind tests/lib/check.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

int check_failures;
int check_count;

void check_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fprintf(stderr, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	check_failures++;
}

int check_exit(void)
{
	fflush(stdout);
	if (check_failures) {
		fprintf(stderr, "FAILED: %d of %d checks\n", check_failures, check_count);
		return 1;
	}
	printf("all %d checks passed\n", check_count);
	return 0;
}

void check_skip(const char *fmt, ...)
{
	va_list ap;
	fflush(stderr);
	va_start(ap, fmt);
	printf("SKIP: ");
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(77);
}
