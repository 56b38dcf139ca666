/*
 * reply.c -- the reply and request calls libfuse 3 and libfuse 2 share
 * (fuse_reply_*, fuse_add_direntry, fuse_req_*), compiled into each
 * library against its own headers (common.h says how): both name the
 * same calls with the same signatures, and a fuse_req_t is a struct
 * fbx_req in both. What only one API has (fuse_reply_lseek and
 * fuse_add_direntry_plus in 3; the 2.4 forms in 2) and
 * fuse_req_userdata (the session differs) stay in the library's own
 * reply.c.
 */
#include "common.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fusebox/lowlevel.h"

#define REQ(r) ((struct fbx_req *)(r))

/* fusebox's caller record is libfuse's, field for field. */
_Static_assert(sizeof(struct fuse_ctx) == sizeof(struct fbx_ctx) &&
               offsetof(struct fuse_ctx, uid) == offsetof(struct fbx_ctx, uid) &&
               offsetof(struct fuse_ctx, gid) == offsetof(struct fbx_ctx, gid) &&
               offsetof(struct fuse_ctx, pid) == offsetof(struct fbx_ctx, pid) &&
               offsetof(struct fuse_ctx, umask) == offsetof(struct fbx_ctx, umask),
               "struct fuse_ctx and struct fbx_ctx differ");

void fbx_compat_entry_out(struct fbx_entry *b, const struct fuse_entry_param *e)
{
	b->ino = e->ino;
	b->generation = e->generation;
	b->attr = e->attr;
	b->attr_timeout = e->attr_timeout;
	b->entry_timeout = e->entry_timeout;
}

int fuse_reply_err(fuse_req_t req, int err)
{
	return fbx_reply_err(REQ(req), -err);
}

void fuse_reply_none(fuse_req_t req)
{
	fbx_reply_none(REQ(req));
}

int fuse_reply_entry(fuse_req_t req, const struct fuse_entry_param *e)
{
	struct fbx_entry b;
	fbx_compat_entry_out(&b, e);
	return fbx_reply_entry(REQ(req), &b);
}

int fuse_reply_create(fuse_req_t req, const struct fuse_entry_param *e,
                      const struct fuse_file_info *fi)
{
	struct fbx_entry b;
	struct fbx_file_info bfi;
	fbx_compat_entry_out(&b, e);
	fbx_compat_fi_out(&bfi, fi);
	return fbx_reply_create(REQ(req), &b, &bfi);
}

int fuse_reply_attr(fuse_req_t req, const struct stat *attr, double attr_timeout)
{
	return fbx_reply_attr(REQ(req), attr, attr_timeout);
}

int fuse_reply_readlink(fuse_req_t req, const char *link)
{
	return fbx_reply_readlink(REQ(req), link);
}

int fuse_reply_open(fuse_req_t req, const struct fuse_file_info *fi)
{
	struct fbx_file_info bfi;
	fbx_compat_fi_out(&bfi, fi);
	return fbx_reply_open(REQ(req), &bfi);
}

int fuse_reply_write(fuse_req_t req, size_t count)
{
	return fbx_reply_write(REQ(req), count);
}

int fuse_reply_buf(fuse_req_t req, const char *buf, size_t size)
{
	return fbx_reply_buf(REQ(req), buf, size);
}

int fuse_reply_iov(fuse_req_t req, const struct iovec *iov, int count)
{
	return fbx_reply_iov(REQ(req), iov, count);
}

/*
 * Data from a buffer vector: one descriptor range is fusebox's
 * fbx_reply_fd (which reads it straight into the reply); anything else
 * is gathered into memory first.
 */
int fuse_reply_data(fuse_req_t req, struct fuse_bufvec *bufv,
                    enum fuse_buf_copy_flags flags)
{
	if (bufv->idx + 1 == bufv->count) {
		const struct fuse_buf *b = &bufv->buf[bufv->idx];
		if ((b->flags & (FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK)) ==
		    (FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK) && b->size >= bufv->off)
			return fbx_reply_fd(REQ(req), b->fd, b->pos + (off_t)bufv->off,
			                    b->size - bufv->off);
	}
	size_t size = fuse_buf_size(bufv);
	struct fuse_bufvec mem = FUSE_BUFVEC_INIT(size);
	mem.buf[0].mem = malloc(size ? size : 1);
	if (!mem.buf[0].mem)
		return fbx_reply_err(REQ(req), -ENOMEM);
	ssize_t n = fuse_buf_copy(&mem, bufv, flags);
	int r = n < 0 ? fbx_reply_err(REQ(req), (int)n)
	              : fbx_reply_buf(REQ(req), mem.buf[0].mem, (size_t)n);
	free(mem.buf[0].mem);
	return r;
}

int fuse_reply_statfs(fuse_req_t req, const struct statvfs *stbuf)
{
	return fbx_reply_statfs(REQ(req), stbuf);
}

int fuse_reply_xattr(fuse_req_t req, size_t count)
{
	return fbx_reply_xattr(REQ(req), count);
}

int fuse_reply_lock(fuse_req_t req, const struct flock *lock)
{
	return fbx_reply_lock(REQ(req), lock);
}

int fuse_reply_bmap(fuse_req_t req, uint64_t idx)
{
	return fbx_reply_bmap(REQ(req), idx);
}

size_t fuse_add_direntry(fuse_req_t req, char *buf, size_t bufsize,
                         const char *name, const struct stat *stbuf, off_t off)
{
	(void)req;
	struct stat none;
	if (!stbuf) {
		memset(&none, 0, sizeof(none));
		stbuf = &none;
	}
	return fbx_dirent_add(buf, buf ? bufsize : 0, name, stbuf, off);
}

/* ---- about the request ---------------------------------------------------- */

const struct fuse_ctx *fuse_req_ctx(fuse_req_t req)
{
	return (const struct fuse_ctx *)fbx_req_ctx(REQ(req));
}

int fuse_req_getgroups(fuse_req_t req, int size, gid_t list[])
{
	return fbx_req_groups(REQ(req), size, list);
}

int fuse_req_interrupted(fuse_req_t req)
{
	return fbx_req_interrupted(REQ(req)) ? 1 : 0;
}

/*
 * libfuse's callback takes a fuse_req_t, which is our struct fbx_req
 * pointer under another struct name: the same pointer, passed the same
 * way, so fusebox calls the program's function directly.
 */
typedef void (*fbx_intr_fn)(struct fbx_req *req, void *data);

void fuse_req_interrupt_func(fuse_req_t req, fuse_interrupt_func_t func, void *data)
{
	fbx_req_on_interrupt(REQ(req), (fbx_intr_fn)(void (*)(void))func, data);
}

/* ---- ioctl and poll ------------------------------------------------------- */

int fuse_reply_ioctl(fuse_req_t req, int result, const void *buf, size_t size)
{
	return fbx_reply_ioctl(REQ(req), result, buf, size);
}

int fuse_reply_ioctl_iov(fuse_req_t req, int result, const struct iovec *iov, int count)
{
	return fbx_reply_ioctl_iov(REQ(req), result, iov, count);
}

int fuse_reply_ioctl_retry(fuse_req_t req, const struct iovec *in_iov, size_t in_count,
                           const struct iovec *out_iov, size_t out_count)
{
	return fbx_reply_ioctl_retry(REQ(req), in_iov, in_count, out_iov, out_count);
}

int fuse_reply_poll(fuse_req_t req, unsigned revents)
{
	return fbx_reply_poll(REQ(req), revents);
}
