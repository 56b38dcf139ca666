/*
 * check.h -- tiny assertion macros for the C tests.
 *
 * A failing CHECK prints "file:line: CHECK failed: <expression>" (with
 * both values for the _EQ forms) to stderr and counts the failure; the
 * test goes on, so one run shows every mismatch. End main() with
 *     return check_exit();
 * which prints the count and gives 0 or 1. CHECK_FATAL stops at once
 * (for preconditions the rest of the test cannot run without).
 */
#ifndef FBX_TESTS_CHECK_H
#define FBX_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Failures so far (one counter per test process). */
extern int check_failures;
/** Checks run so far. */
extern int check_count;

void check_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** Print a summary; 0 if nothing failed, else 1. */
int check_exit(void);
/** Exit code 77 with the reason as the last line. */
void check_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define CHECK(e) do { check_count++; if (!(e)) \
	check_fail(__FILE__, __LINE__, "CHECK failed: %s", #e); } while (0)

#define CHECK_FATAL(e) do { check_count++; if (!(e)) { \
	check_fail(__FILE__, __LINE__, "CHECK failed (fatal): %s", #e); \
	exit(1); } } while (0)

#define CHECK_EQ_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
	check_count++; if (a_ != b_) check_fail(__FILE__, __LINE__, \
	"CHECK failed: %s == %s (%lld != %lld)", #a, #b, a_, b_); } while (0)

#define CHECK_EQ_DBL(a, b) do { double a_ = (a), b_ = (b); \
	check_count++; if (a_ != b_) check_fail(__FILE__, __LINE__, \
	"CHECK failed: %s == %s (%g != %g)", #a, #b, a_, b_); } while (0)

#define CHECK_EQ_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
	check_count++; if (!a_ || !b_ ? a_ != b_ : strcmp(a_, b_) != 0) \
	check_fail(__FILE__, __LINE__, "CHECK failed: %s == %s (\"%s\" != \"%s\")", \
	#a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)

/** `hay` contains `needle`. */
#define CHECK_CONTAINS(hay, needle) do { const char *h_ = (hay), *n_ = (needle); \
	check_count++; if (!h_ || !strstr(h_, n_)) check_fail(__FILE__, __LINE__, \
	"CHECK failed: %s contains \"%s\" (it is \"%s\")", #hay, n_, h_ ? h_ : "(null)"); \
	} while (0)

#endif
