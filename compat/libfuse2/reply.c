/*
 * reply.c -- fuse_reply_*, directory entries, fuse_req_*: libfuse 2's
 * reply calls as fusebox's. A fuse_req_t is a struct fbx_req.
 */
#include "fuse2.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>

#define REQ(r) fbx_fuse2_req(r)

/* fusebox's caller record is libfuse's, field for field. */
_Static_assert(sizeof(struct fuse_ctx) == sizeof(struct fbx_ctx) &&
               offsetof(struct fuse_ctx, uid) == offsetof(struct fbx_ctx, uid) &&
               offsetof(struct fuse_ctx, gid) == offsetof(struct fbx_ctx, gid) &&
               offsetof(struct fuse_ctx, pid) == offsetof(struct fbx_ctx, pid) &&
               offsetof(struct fuse_ctx, umask) == offsetof(struct fbx_ctx, umask),
               "struct fuse_ctx and struct fbx_ctx differ");

static void entry_out(struct fbx_entry *b, const struct fuse_entry_param *e)
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
	entry_out(&b, e);
	return fbx_reply_entry(REQ(req), &b);
}

int fuse_reply_create(fuse_req_t req, const struct fuse_entry_param *e,
                      const struct fuse_file_info *fi)
{
	struct fbx_entry b;
	struct fbx_file_info bfi;
	entry_out(&b, e);
	fbx_fuse2_fi_out(&bfi, fi);
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
	fbx_fuse2_fi_out(&bfi, fi);
	return fbx_reply_open(REQ(req), &bfi);
}

/* The 2.4 file info: fh was an unsigned long right after flags. */
struct fuse_file_info_compat {
	int flags;
	unsigned long fh;
	int writepage;
	unsigned int direct_io : 1;
	unsigned int keep_cache : 1;
};

int fuse_reply_open_compat(fuse_req_t req, const struct fuse_file_info_compat *fi);
FBX_SYMVER("fuse_reply_open@FUSE_2.4")
int fuse_reply_open_compat(fuse_req_t req, const struct fuse_file_info_compat *fi)
{
	struct fbx_file_info bfi;
	memset(&bfi, 0, sizeof(bfi));
	bfi.flags = fi->flags;
	bfi.fh = fi->fh;
	bfi.direct_io = fi->direct_io;
	bfi.keep_cache = fi->keep_cache;
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

/* One descriptor range goes to fbx_reply_fd (read straight into the
 * reply); anything else is gathered into memory first. */
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

/* 2.4 filesystems answered statfs with a struct statfs. */
int fuse_reply_statfs_compat(fuse_req_t req, const struct statfs *st);
FBX_SYMVER("fuse_reply_statfs@FUSE_2.4")
int fuse_reply_statfs_compat(fuse_req_t req, const struct statfs *st)
{
	struct statvfs v;
	memset(&v, 0, sizeof(v));
	v.f_bsize = (unsigned long)st->f_bsize;
	v.f_frsize = (unsigned long)st->f_bsize;
	v.f_blocks = st->f_blocks;
	v.f_bfree = st->f_bfree;
	v.f_bavail = st->f_bavail;
	v.f_files = st->f_files;
	v.f_ffree = st->f_ffree;
	v.f_favail = st->f_ffree;
	v.f_namemax = (unsigned long)st->f_namelen;
	return fbx_reply_statfs(REQ(req), &v);
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

/* ---- directory entries ------------------------------------------------------ */

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

/* The kernel's dirent: 24 bytes of header, the name, padded to 8. */
size_t fuse_dirent_size(size_t namelen);
size_t fuse_dirent_size(size_t namelen)
{
	return (24 + namelen + 7) & ~(size_t)7;
}

/* 2.4's form: the buffer is known to be large enough; returns where the
 * next entry goes. */
char *fuse_add_dirent(char *buf, const char *name, const struct stat *stbuf, off_t off);
char *fuse_add_dirent(char *buf, const char *name, const struct stat *stbuf, off_t off)
{
	size_t need = fuse_dirent_size(strlen(name));
	return buf + fuse_add_direntry(NULL, buf, need, name, stbuf, off);
}

/* ---- about the request ---------------------------------------------------- */

void *fuse_req_userdata(fuse_req_t req)
{
	return fbx_fuse2_session(REQ(req))->userdata;
}

const struct fuse_ctx *fuse_req_ctx(fuse_req_t req)
{
	return (const struct fuse_ctx *)fbx_req_ctx(REQ(req));
}

/* 2.4..2.7's struct fuse_ctx had no umask: the same record, shorter. */
const struct fuse_ctx *fuse_req_ctx_compat24(fuse_req_t req);
FBX_SYMVER("fuse_req_ctx@FUSE_2.4")
const struct fuse_ctx *fuse_req_ctx_compat24(fuse_req_t req)
{
	return fuse_req_ctx(req);
}

int fuse_req_getgroups(fuse_req_t req, int size, gid_t list[])
{
	return fbx_req_groups(REQ(req), size, list);
}

int fuse_req_interrupted(fuse_req_t req)
{
	return fbx_req_interrupted(REQ(req)) ? 1 : 0;
}

/* libfuse's callback takes a fuse_req_t, which is our struct fbx_req
 * pointer under another struct name: fusebox calls it directly. */
typedef void (*fbx_intr_fn)(struct fbx_req *req, void *data);

void fuse_req_interrupt_func(fuse_req_t req, fuse_interrupt_func_t func, void *data)
{
	fbx_req_on_interrupt(REQ(req), (fbx_intr_fn)(void (*)(void))func, data);
}

/* ---- ioctl and poll ------------------------------------------------------- */

int fuse_reply_ioctl(fuse_req_t req, int result, const void *buf, size_t size)
{
	return fbx_reply_ioctl(fbx_fuse2_req(req), result, buf, size);
}

int fuse_reply_ioctl_iov(fuse_req_t req, int result, const struct iovec *iov, int count)
{
	return fbx_reply_ioctl_iov(fbx_fuse2_req(req), result, iov, count);
}

int fuse_reply_ioctl_retry(fuse_req_t req, const struct iovec *in_iov, size_t in_count,
                           const struct iovec *out_iov, size_t out_count)
{
	return fbx_reply_ioctl_retry(fbx_fuse2_req(req), in_iov, in_count, out_iov, out_count);
}

int fuse_reply_poll(fuse_req_t req, unsigned revents)
{
	return fbx_reply_poll(fbx_fuse2_req(req), revents);
}
