/*
 * lib/common/io.c -- see io.h.
 */
#include "common/io.h"

#include <errno.h>
#include <unistd.h>

int fbx_pread_full(int fd, void *buf, size_t size, off_t off, size_t *got)
{
	*got = 0;
	while (*got < size) {
		ssize_t n = pread(fd, (char *)buf + *got, size - *got, off + (off_t)*got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return 0;
}
