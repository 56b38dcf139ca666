/*
 * lowlevel.c -- struct fuse_lowlevel_ops (2.9) onto struct fbx_ll_ops.
 *
 * Each translation converts fusebox's arguments to libfuse 2's (file
 * info, setattr bits, forget lists, write data as a buffer vector) and
 * calls the program's op with the same request: a fuse_req_t is a
 * struct fbx_req, so the program's fuse_reply_*() (reply.c) answers
 * fusebox's request directly. Only the ops the program has are
 * translated; for the others fusebox's defaults apply, which are
 * libfuse's (ENOSYS, or the kernel's own fallback).
 */
#include "fuse2.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SE(req) fbx_fuse2_session(req)
#define UREQ(req) fbx_fuse2_ureq(req)

void fbx_fuse2_fi_in(struct fuse_file_info *f, const struct fbx_file_info *b)
{
	memset(f, 0, sizeof(*f));
	f->flags = b->flags;
	f->fh = b->fh;
	f->fh_old = (unsigned long)b->fh;
	f->lock_owner = b->lock_owner;
	f->writepage = b->writepage;
	f->direct_io = b->direct_io;
	f->keep_cache = b->keep_cache;
	f->flush = b->flush;
	f->nonseekable = b->nonseekable;
	f->flock_release = b->flock_release;
}

void fbx_compat_fi_out(struct fbx_file_info *b, const struct fuse_file_info *f)
{
	memset(b, 0, sizeof(*b));
	b->flags = f->flags;
	b->fh = f->fh;
	b->lock_owner = f->lock_owner;
	b->direct_io = f->direct_io;
	b->keep_cache = f->keep_cache;
	b->nonseekable = f->nonseekable;
}

/* A file info for the op, or NULL when fusebox has none. */
#define FI(name, b) struct fuse_file_info name##_s, *name = NULL; \
	if (b) { fbx_fuse2_fi_in(&name##_s, b); name = &name##_s; }

/* ---- init -------------------------------------------------------------- */

/* The capability bits libfuse 2.9 names (the kernel's numbers). */
#define NAMED (FUSE_CAP_ASYNC_READ | FUSE_CAP_POSIX_LOCKS | FUSE_CAP_ATOMIC_O_TRUNC | \
               FUSE_CAP_EXPORT_SUPPORT | FUSE_CAP_BIG_WRITES | FUSE_CAP_DONT_MASK | \
               FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE | FUSE_CAP_SPLICE_READ | \
               FUSE_CAP_FLOCK_LOCKS | FUSE_CAP_IOCTL_DIR)
/* Noted, not acted on: fusebox copies. */
#define SPLICE (FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE | FUSE_CAP_SPLICE_READ)

unsigned fbx_fuse2_caps(uint64_t k)
{
	return (unsigned)(k & NAMED);
}

static void ll_init(void *userdata, struct fbx_conn *c)
{
	struct fuse_session *se = userdata;
	struct fuse_conn_info ci;
	memset(&ci, 0, sizeof(ci));
	ci.proto_major = c->proto_major;
	ci.proto_minor = c->proto_minor;
	ci.max_write = c->max_write;
	ci.max_readahead = c->max_readahead;
	ci.capable = fbx_fuse2_caps(c->capable);
	ci.want = FUSE_CAP_ASYNC_READ | FUSE_CAP_BIG_WRITES;
	if (se->op.getlk && se->op.setlk)
		ci.want |= FUSE_CAP_POSIX_LOCKS;
	if (se->op.flock)
		ci.want |= FUSE_CAP_FLOCK_LOCKS;
	ci.want &= ci.capable;
	ci.async_read = !!(ci.want & FUSE_CAP_ASYNC_READ);
	ci.max_background = c->max_background;
	ci.congestion_threshold = c->congestion_threshold;
	fbx_fuse2_conn_apply(&se->conn, &ci);
	unsigned readahead = ci.max_readahead;

	if (se->op.init)
		se->op.init(se->userdata, &ci);
	else if (se->old && se->old->init)
		se->old->init(se->userdata);   /* 2.4/2.5: no connection info */

	if (!ci.async_read)
		ci.want &= ~FUSE_CAP_ASYNC_READ;
	ci.want &= ci.capable;
	c->want = (fbx_fuse2_core_want(&se->conn, c->want, c->capable) & ~(uint64_t)NAMED) |
	          (ci.want & NAMED & ~SPLICE);
	c->max_write = ci.max_write;
	if (ci.max_readahead < readahead)
		c->max_readahead = ci.max_readahead;
	c->max_background = ci.max_background;
	c->congestion_threshold = ci.congestion_threshold;
}

static void ll_destroy(void *userdata)
{
	struct fuse_session *se = userdata;
	se->op.destroy(se->userdata);
}

/* ---- names and attributes ------------------------------------------------ */

static void ll_lookup(struct fbx_req *req, uint64_t parent, const char *name)
{
	SE(req)->op.lookup(UREQ(req), parent, name);
}

static void ll_forget(struct fbx_req *req, uint64_t ino, uint64_t nlookup)
{
	SE(req)->op.forget(UREQ(req), ino, (unsigned long)nlookup);
}

static void ll_forget_multi(struct fbx_req *req, size_t count,
                            const uint64_t *inos, const uint64_t *nlookups)
{
	struct fuse_forget_data *f = calloc(count ? count : 1, sizeof(*f));
	if (!f) {
		/* Forgets are advisory: dropping them leaks nodes, no more. */
		fbx_reply_none(req);
		return;
	}
	for (size_t i = 0; i < count; i++) {
		f[i].ino = inos[i];
		f[i].nlookup = nlookups[i];
	}
	SE(req)->op.forget_multi(UREQ(req), count, f);
	free(f);
}

static void ll_getattr(struct fbx_req *req, uint64_t ino, struct fbx_file_info *bfi)
{
	FI(fi, bfi);
	SE(req)->op.getattr(UREQ(req), ino, fi);
}

/* The bits libfuse 2 has are fusebox's own numbers; ctime and the
 * killpriv bit it has no name for (a 2.9 filesystem never asks for
 * handle_killpriv_v2, so that one does not come). */
#define SET_BITS (FBX_SET_MODE | FBX_SET_UID | FBX_SET_GID | FBX_SET_SIZE | \
                  FBX_SET_ATIME | FBX_SET_MTIME | FBX_SET_ATIME_NOW | FBX_SET_MTIME_NOW)

static void ll_setattr(struct fbx_req *req, uint64_t ino, const struct stat *attr,
                       unsigned to_set, struct fbx_file_info *bfi)
{
	struct stat st = *attr;
	FI(fi, bfi);
	SE(req)->op.setattr(UREQ(req), ino, &st, (int)(to_set & SET_BITS), fi);
}

static void ll_readlink(struct fbx_req *req, uint64_t ino)
{
	SE(req)->op.readlink(UREQ(req), ino);
}

static void ll_mknod(struct fbx_req *req, uint64_t parent, const char *name,
                     mode_t mode, dev_t rdev)
{
	SE(req)->op.mknod(UREQ(req), parent, name, mode, rdev);
}

static void ll_mkdir(struct fbx_req *req, uint64_t parent, const char *name, mode_t mode)
{
	/* fusebox's core adds S_IFDIR; libfuse passes the kernel's mode,
	 * which has permission bits only. */
	SE(req)->op.mkdir(UREQ(req), parent, name, mode & ~S_IFMT);
}

static void ll_unlink(struct fbx_req *req, uint64_t parent, const char *name)
{
	SE(req)->op.unlink(UREQ(req), parent, name);
}

static void ll_rmdir(struct fbx_req *req, uint64_t parent, const char *name)
{
	SE(req)->op.rmdir(UREQ(req), parent, name);
}

static void ll_symlink(struct fbx_req *req, const char *target, uint64_t parent,
                       const char *name)
{
	SE(req)->op.symlink(UREQ(req), target, parent, name);
}

/* renameat2's flags have no place in the 2.9 op. */
static void ll_rename(struct fbx_req *req, uint64_t parent, const char *name,
                      uint64_t newparent, const char *newname, unsigned flags)
{
	if (flags) {
		fbx_reply_err(req, -EINVAL);
		return;
	}
	SE(req)->op.rename(UREQ(req), parent, name, newparent, newname);
}

static void ll_link(struct fbx_req *req, uint64_t ino, uint64_t newparent,
                    const char *newname)
{
	SE(req)->op.link(UREQ(req), ino, newparent, newname);
}

/* ---- files --------------------------------------------------------------- */

static void ll_open(struct fbx_req *req, uint64_t ino, struct fbx_file_info *bfi)
{
	FI(fi, bfi);
	SE(req)->op.open(UREQ(req), ino, fi);
}

static void ll_read(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                    struct fbx_file_info *bfi)
{
	FI(fi, bfi);
	SE(req)->op.read(UREQ(req), ino, size, off, fi);
}

static void ll_write(struct fbx_req *req, uint64_t ino, const char *buf, size_t size,
                     off_t off, struct fbx_file_info *bfi)
{
	struct fuse_session *se = SE(req);
	FI(fi, bfi);
	if (se->op.write_buf) {
		struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);
		bv.buf[0].mem = (void *)buf;
		se->op.write_buf(UREQ(req), ino, &bv, off, fi);
	} else {
		se->op.write(UREQ(req), ino, buf, size, off, fi);
	}
}

static void ll_flush(struct fbx_req *req, uint64_t ino, struct fbx_file_info *bfi)
{
	FI(fi, bfi);
	SE(req)->op.flush(UREQ(req), ino, fi);
}

static void ll_release(struct fbx_req *req, uint64_t ino, struct fbx_file_info *bfi)
{
	FI(fi, bfi);
	SE(req)->op.release(UREQ(req), ino, fi);
}

static void ll_fsync(struct fbx_req *req, uint64_t ino, int datasync,
                     struct fbx_file_info *bfi)
{
	FI(fi, bfi);
	SE(req)->op.fsync(UREQ(req), ino, datasync, fi);
}

static void ll_create(struct fbx_req *req, uint64_t parent, const char *name,
                      mode_t mode, struct fbx_file_info *bfi)
{
	FI(fi, bfi);
	SE(req)->op.create(UREQ(req), parent, name, mode, fi);
}

static void ll_getlk(struct fbx_req *req, uint64_t ino, struct fbx_file_info *bfi,
                     struct flock *lock)
{
	FI(fi, bfi);
	SE(req)->op.getlk(UREQ(req), ino, fi, lock);
}

static void ll_setlk(struct fbx_req *req, uint64_t ino, struct fbx_file_info *bfi,
                     struct flock *lock, int sleep)
{
	FI(fi, bfi);
	SE(req)->op.setlk(UREQ(req), ino, fi, lock, sleep);
}

static void ll_flock(struct fbx_req *req, uint64_t ino, struct fbx_file_info *bfi, int op)
{
	FI(fi, bfi);
	SE(req)->op.flock(UREQ(req), ino, fi, op);
}

static void ll_bmap(struct fbx_req *req, uint64_t ino, size_t blocksize, uint64_t idx)
{
	SE(req)->op.bmap(UREQ(req), ino, blocksize, idx);
}

static void ll_fallocate(struct fbx_req *req, uint64_t ino, int mode, off_t off,
                         off_t len, struct fbx_file_info *bfi)
{
	FI(fi, bfi);
	SE(req)->op.fallocate(UREQ(req), ino, mode, off, len, fi);
}

/* ---- directories ----------------------------------------------------------- */

static void ll_opendir(struct fbx_req *req, uint64_t ino, struct fbx_file_info *bfi)
{
	FI(fi, bfi);
	SE(req)->op.opendir(UREQ(req), ino, fi);
}

static void ll_readdir(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                       struct fbx_file_info *bfi)
{
	FI(fi, bfi);
	SE(req)->op.readdir(UREQ(req), ino, size, off, fi);
}

static void ll_releasedir(struct fbx_req *req, uint64_t ino, struct fbx_file_info *bfi)
{
	FI(fi, bfi);
	SE(req)->op.releasedir(UREQ(req), ino, fi);
}

static void ll_fsyncdir(struct fbx_req *req, uint64_t ino, int datasync,
                        struct fbx_file_info *bfi)
{
	FI(fi, bfi);
	SE(req)->op.fsyncdir(UREQ(req), ino, datasync, fi);
}

/* ---- the rest -------------------------------------------------------------- */

static void ll_statfs(struct fbx_req *req, uint64_t ino)
{
	SE(req)->op.statfs(UREQ(req), ino);
}

static void ll_setxattr(struct fbx_req *req, uint64_t ino, const char *name,
                        const char *value, size_t size, int flags)
{
	SE(req)->op.setxattr(UREQ(req), ino, name, value, size, flags);
}

static void ll_getxattr(struct fbx_req *req, uint64_t ino, const char *name, size_t size)
{
	SE(req)->op.getxattr(UREQ(req), ino, name, size);
}

static void ll_listxattr(struct fbx_req *req, uint64_t ino, size_t size)
{
	SE(req)->op.listxattr(UREQ(req), ino, size);
}

static void ll_removexattr(struct fbx_req *req, uint64_t ino, const char *name)
{
	SE(req)->op.removexattr(UREQ(req), ino, name);
}

static void ll_access(struct fbx_req *req, uint64_t ino, int mask)
{
	SE(req)->op.access(UREQ(req), ino, mask);
}

static void ll_retrieve_reply(struct fbx_req *req, void *cookie, uint64_t ino,
                              off_t off, const void *data, size_t size)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);
	bv.buf[0].mem = (void *)data;
	SE(req)->op.retrieve_reply(UREQ(req), cookie, ino, off, &bv);
}

/* libfuse 2 has the command as an int and the argument as a pointer
 * (the caller's address, never dereferenced here). */
static void ll_ioctl(struct fbx_req *req, uint64_t ino, unsigned int cmd, uint64_t arg,
                     struct fbx_file_info *b, unsigned flags, const void *in_buf,
                     size_t in_bufsz, size_t out_bufsz)
{
	FI(fi, b);
	SE(req)->op.ioctl(UREQ(req), ino, (int)cmd, (void *)(uintptr_t)arg, fi, flags,
	                  in_buf, in_bufsz, out_bufsz);
}

/* libfuse 2's file info has no field for the asked events: the op
 * answers with every ready one, and the kernel keeps those asked. */
static void ll_poll(struct fbx_req *req, uint64_t ino, struct fbx_file_info *b,
                    unsigned events, struct fbx_pollhandle *ph)
{
	(void)events;
	FI(fi, b);
	SE(req)->op.poll(UREQ(req), ino, fi, (struct fuse_pollhandle *)ph);
}

void fbx_fuse2_ops(struct fuse_session *se)
{
	const struct fuse_lowlevel_ops *o = &se->op;
	struct fbx_ll_ops *l = &se->ll;
	memset(l, 0, sizeof(*l));
	l->init = ll_init;   /* always: the capabilities need translating */
#define SET(name) if (o->name) l->name = ll_##name
	SET(destroy); SET(lookup); SET(forget); SET(forget_multi); SET(getattr);
	SET(setattr); SET(readlink); SET(mknod); SET(mkdir); SET(unlink);
	SET(rmdir); SET(symlink); SET(rename); SET(link); SET(open); SET(read);
	SET(flush); SET(release); SET(fsync); SET(create); SET(getlk); SET(setlk);
	SET(flock); SET(bmap); SET(fallocate); SET(opendir); SET(readdir);
	SET(releasedir); SET(fsyncdir); SET(statfs); SET(setxattr); SET(getxattr);
	SET(listxattr); SET(removexattr); SET(access); SET(retrieve_reply);
	SET(ioctl); SET(poll);
#undef SET
	if (o->write || o->write_buf)
		l->write = ll_write;
}
