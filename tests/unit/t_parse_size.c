/*
 * t_parse_size -- fbx_parse_size (fusebox/size.h): every spelling it
 * takes, what it refuses, and the edge of uint64_t.
 */
#include <errno.h>
#include <stdint.h>

#include <fusebox/size.h>

#include "../lib/check.h"

static uint64_t ok(const char *s)
{
	uint64_t v = 12345;
	int r = fbx_parse_size(s, &v);
	if (r)
		check_fail(__FILE__, __LINE__, "fbx_parse_size(\"%s\") = %d", s, r);
	return v;
}

static int bad(const char *s)
{
	uint64_t v = 777;
	int r = fbx_parse_size(s, &v);
	CHECK_EQ_INT(v, 777);   /* untouched on error */
	return r;
}

int main(void)
{
	CHECK_EQ_INT(ok("0"), 0);
	CHECK_EQ_INT(ok("4096"), 4096);
	CHECK_EQ_INT(ok("100B"), 100);
	CHECK_EQ_INT(ok("64k"), 64 << 10);
	CHECK_EQ_INT(ok("64K"), 64 << 10);
	CHECK_EQ_INT(ok("128M"), 128 << 20);
	CHECK_EQ_INT(ok("1G"), 1ull << 30);
	CHECK_EQ_INT(ok("1Gi"), 1ull << 30);
	CHECK_EQ_INT(ok("1GiB"), 1ull << 30);
	CHECK_EQ_INT(ok("512MB"), 512ull << 20);
	CHECK_EQ_INT(ok("2t"), 2ull << 40);
	CHECK_EQ_INT(ok("3P"), 3ull << 50);
	CHECK(ok("18446744073709551615") == UINT64_MAX);
	CHECK(ok("16383P") == 16383ull << 50);

	CHECK_EQ_INT(bad(""), -EINVAL);
	CHECK_EQ_INT(bad("-1"), -EINVAL);
	CHECK_EQ_INT(bad("+1"), -EINVAL);
	CHECK_EQ_INT(bad(" 1"), -EINVAL);
	CHECK_EQ_INT(bad("1 "), -EINVAL);
	CHECK_EQ_INT(bad("G"), -EINVAL);
	CHECK_EQ_INT(bad("1X"), -EINVAL);
	CHECK_EQ_INT(bad("1i"), -EINVAL);
	CHECK_EQ_INT(bad("1GB2"), -EINVAL);
	CHECK_EQ_INT(bad("1KK"), -EINVAL);
	CHECK_EQ_INT(bad("0x10"), -EINVAL);
	CHECK_EQ_INT(bad("18446744073709551616"), -ERANGE);
	CHECK_EQ_INT(bad("16384P"), -ERANGE);
	CHECK_EQ_INT(bad("17179869184G"), -ERANGE);
	CHECK_EQ_INT(fbx_parse_size(NULL, &(uint64_t){0}), -EINVAL);
	return check_exit();
}
