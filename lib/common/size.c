/*
 * lib/common/size.c -- fbx_parse_size (fusebox/size.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "fusebox/size.h"

int fbx_parse_size(const char *s, uint64_t *out)
{
	/* strtoull would take blanks and a minus sign (and wrap it). */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	int shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	case 'p': case 'P': shift = 50; break;
	}
	if (shift)
		end++;
	if (shift && end[0] == 'i')
		end += end[1] == 'B' ? 2 : 1;
	else if (end[0] == 'B')
		end++;
	if (*end)
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}
