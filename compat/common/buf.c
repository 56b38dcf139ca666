/*
 * buf.c -- fuse_buf_size and fuse_buf_copy: data moved between memory
 * and file descriptors, in any mix.
 *
 * No splice: fusebox copies through memory (descriptor to descriptor
 * through a bounce buffer). The SPLICE flags are hints and are ignored;
 * FORCE_SPLICE too, as libfuse also copies where it cannot splice.
 */
#include "common.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

size_t fuse_buf_size(const struct fuse_bufvec *bufv)
{
	size_t total = 0;
	for (size_t i = 0; i < bufv->count; i++) {
		if (bufv->buf[i].size > SIZE_MAX - total)
			return SIZE_MAX;
		total += bufv->buf[i].size;
	}
	return total;
}

/* One read or write of a descriptor buffer at offset `off` inside it;
 * with FD_RETRY, repeated until done or end of file. */
static ssize_t fd_io(const struct fuse_buf *b, size_t off, void *mem, size_t len, int writing)
{
	size_t done = 0;
	while (done < len) {
		char *p = (char *)mem + done;
		off_t at = b->pos + (off_t)(off + done);
		ssize_t n;
		if (b->flags & FUSE_BUF_FD_SEEK)
			n = writing ? pwrite(b->fd, p, len - done, at) : pread(b->fd, p, len - done, at);
		else
			n = writing ? write(b->fd, p, len - done) : read(b->fd, p, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return done ? (ssize_t)done : -errno;
		}
		done += (size_t)n;
		if (n == 0 || !(b->flags & FUSE_BUF_FD_RETRY))
			break;
	}
	return (ssize_t)done;
}

/* Copy up to len bytes from s (at soff) to d (at doff). */
static ssize_t copy_one(const struct fuse_buf *d, size_t doff,
                        const struct fuse_buf *s, size_t soff, size_t len)
{
	int dfd = d->flags & FUSE_BUF_IS_FD, sfd = s->flags & FUSE_BUF_IS_FD;
	if (len == 0)
		return 0;
	if (!dfd && !sfd) {
		if ((char *)d->mem + doff != (char *)s->mem + soff)
			memmove((char *)d->mem + doff, (char *)s->mem + soff, len);
		return (ssize_t)len;
	}
	if (!dfd)
		return fd_io(s, soff, (char *)d->mem + doff, len, 0);
	if (!sfd)
		return fd_io(d, doff, (char *)s->mem + soff, len, 1);
	/* descriptor to descriptor: through a bounce buffer */
	size_t chunk = len < 65536 ? len : 65536, done = 0;
	char *tmp = malloc(chunk ? chunk : 1);
	if (!tmp)
		return -ENOMEM;
	while (done < len) {
		size_t want = len - done < chunk ? len - done : chunk;
		ssize_t r = fd_io(s, soff + done, tmp, want, 0);
		if (r <= 0) {
			free(tmp);
			return done ? (ssize_t)done : r;
		}
		ssize_t w = fd_io(d, doff + done, tmp, (size_t)r, 1);
		if (w <= 0) {
			free(tmp);
			return done ? (ssize_t)done : w;
		}
		done += (size_t)w;
		if (w < r)
			break;
	}
	free(tmp);
	return (ssize_t)done;
}

static const struct fuse_buf *cur(const struct fuse_bufvec *v)
{
	return v->idx < v->count ? &v->buf[v->idx] : NULL;
}

/*
 * Move the vector's position on by n bytes. At the end of its last
 * buffer the index goes past it but the offset stays (and 0 says the
 * vector is used up): callers of libfuse see exactly this state.
 */
static int advance(struct fuse_bufvec *v, size_t n)
{
	const struct fuse_buf *b = cur(v);
	if (!b)
		return 0;
	v->off += n;
	if (v->off < b->size)
		return 1;
	if (++v->idx == v->count)
		return 0;
	v->off = 0;
	return 1;
}

ssize_t fuse_buf_copy(struct fuse_bufvec *dstv, struct fuse_bufvec *srcv,
                      enum fuse_buf_copy_flags flags)
{
	(void)flags;
	size_t total = 0;
	if (dstv == srcv)
		return (ssize_t)fuse_buf_size(dstv);
	for (;;) {
		const struct fuse_buf *s = cur(srcv), *d = cur(dstv);
		if (!s || !d)
			break;
		size_t sl = s->size - srcv->off, dl = d->size - dstv->off;
		size_t len = sl < dl ? sl : dl;   /* 0 for an empty buffer: stepped over */
		ssize_t n = copy_one(d, dstv->off, s, srcv->off, len);
		if (n < 0)
			return total ? (ssize_t)total : n;
		total += (size_t)n;
		/* the source used up: the destination keeps its place */
		if (!advance(srcv, (size_t)n) || !advance(dstv, (size_t)n))
			break;
		if ((size_t)n < len)
			break;   /* end of file or a short write */
	}
	return (ssize_t)total;
}
