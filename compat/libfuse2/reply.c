/*
 * reply.c -- what only libfuse 2 has of the reply calls (the 2.4 forms
 * of fuse_reply_open, fuse_reply_statfs, fuse_req_ctx; fuse_dirent_size,
 * fuse_add_dirent) and fuse_req_userdata; the calls libfuse 3 shares are
 * compat/common/reply.c.
 */
#include "fuse2.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>

#define REQ(r) fbx_fuse2_req(r)

/* The 2.4 file info (fuse_common_compat.h). */
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

void fbx_fuse2_statfs_vfs(struct statvfs *v, const struct statfs *st)
{
	memset(v, 0, sizeof(*v));
	v->f_bsize = (unsigned long)st->f_bsize;
	v->f_frsize = (unsigned long)st->f_bsize;
	v->f_blocks = st->f_blocks;
	v->f_bfree = st->f_bfree;
	v->f_bavail = st->f_bavail;
	v->f_files = st->f_files;
	v->f_ffree = st->f_ffree;
	v->f_favail = st->f_ffree;
	v->f_namemax = (unsigned long)st->f_namelen;
}

/* 2.4 filesystems answered statfs with a struct statfs. */
FBX_SYMVER("fuse_reply_statfs@FUSE_2.4")
int fuse_reply_statfs_compat(fuse_req_t req, const struct statfs *st)
{
	struct statvfs v;
	fbx_fuse2_statfs_vfs(&v, st);
	return fbx_reply_statfs(REQ(req), &v);
}

/* The kernel's dirent: 24 bytes of header, the name, padded to 8. */
size_t fuse_dirent_size(size_t namelen)
{
	return (24 + namelen + 7) & ~(size_t)7;
}

/* 2.4's form: the buffer is known to be large enough; returns where the
 * next entry goes. */
char *fuse_add_dirent(char *buf, const char *name, const struct stat *stbuf, off_t off)
{
	size_t need = fuse_dirent_size(strlen(name));
	return buf + fuse_add_direntry(NULL, buf, need, name, stbuf, off);
}

void *fuse_req_userdata(fuse_req_t req)
{
	return fbx_fuse2_session(REQ(req))->userdata;
}

/* 2.4..2.7's struct fuse_ctx had no umask: the same record, shorter. */
const struct fuse_ctx *fuse_req_ctx_compat24(fuse_req_t req);
FBX_SYMVER("fuse_req_ctx@FUSE_2.4")
const struct fuse_ctx *fuse_req_ctx_compat24(fuse_req_t req)
{
	return fuse_req_ctx(req);
}
