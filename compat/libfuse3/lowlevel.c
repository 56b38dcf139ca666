/*
 * lowlevel.c -- struct fuse_lowlevel_ops onto struct fbx_ll_ops.
 *
 * Each translation converts fusebox's arguments to libfuse's (file
 * info, setattr bits, forget lists, write data as a buffer vector) and
 * calls the program's op with the same request: a fuse_req_t here is a
 * struct fbx_req, so the program's fuse_reply_*() (reply.c) answers
 * fusebox's request directly. Only the ops the program has are
 * translated; for the others fusebox's own defaults apply, which are
 * libfuse's (see fuse_lowlevel.h).
 */
#include "session.h"

#include <stdlib.h>
#include <string.h>

#define SE(req) fbx_fuse3_session(req)
#define UREQ(req) fbx_fuse3_ureq(req)

void fbx_fuse3_fi_in(struct fuse_file_info *f, const struct fbx_file_info *b)
{
	memset(f, 0, sizeof(*f));
	f->flags = b->flags;
	f->fh = b->fh;
	f->lock_owner = b->lock_owner;
	f->writepage = b->writepage;
	f->direct_io = b->direct_io;
	f->keep_cache = b->keep_cache;
	f->flush = b->flush;
	f->nonseekable = b->nonseekable;
	f->flock_release = b->flock_release;
	f->cache_readdir = b->cache_readdir;
	f->noflush = b->noflush;
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
	b->cache_readdir = f->cache_readdir;
	b->noflush = f->noflush;
}

/* A file info for the op, or NULL when fusebox has none (getattr of a
 * path, setattr without a handle). */
#define FI(name, b) struct fuse_file_info name##_s, *name = NULL; \
	if (b) { fbx_fuse3_fi_in(&name##_s, b); name = &name##_s; }

/* ---- init -------------------------------------------------------------- */

/* What libfuse asks for unless the program says otherwise.
 * HANDLE_KILLPRIV is not among them although libfuse 3.14 sets it in
 * want: 3.14 never passed it on to the kernel, so its programs got the
 * kernel clearing suid/sgid on write and chown. Passing it on by default
 * would leave those bits on files written by other users wherever the
 * program does not clear them itself (passthrough_ll, writing as root),
 * which is why libfuse dropped the default when it began passing it on.
 * A program that asks for it in init gets it. */
static unsigned default_want(const struct fuse_session *se, unsigned capable)
{
	unsigned w = FUSE_CAP_ASYNC_READ | FUSE_CAP_PARALLEL_DIROPS |
	             FUSE_CAP_AUTO_INVAL_DATA |
	             FUSE_CAP_ASYNC_DIO | FUSE_CAP_IOCTL_DIR | FUSE_CAP_ATOMIC_O_TRUNC;
	if (se->op.write_buf)
		w |= FUSE_CAP_SPLICE_READ;
	if (se->op.getlk && se->op.setlk)
		w |= FUSE_CAP_POSIX_LOCKS;
	if (se->op.flock)
		w |= FUSE_CAP_FLOCK_LOCKS;
	if (se->op.readdirplus)
		w |= FUSE_CAP_READDIRPLUS;
	if (se->op.readdirplus && se->op.readdir)
		w |= FUSE_CAP_READDIRPLUS_AUTO;
	return w & capable;
}

/* fusebox's own choices that libfuse's API cannot see: they stay as
 * fusebox's options set them. */
#define FBX_ONLY (FBX_CAP_BIG_WRITES | FBX_CAP_MAX_PAGES | FBX_CAP_ABORT_ERROR | \
                  FBX_CAP_DIRECT_IO_ALLOW_MMAP | FBX_CAP_OVER_IO_URING)
/* libfuse bits fusebox takes note of but does not act on: it copies. */
#define NOT_ACTED (FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE)

static void ll_init(void *userdata, struct fbx_conn *c)
{
	struct fuse_session *se = userdata;
	struct fuse_conn_info ci;
	memset(&ci, 0, sizeof(ci));
	ci.proto_major = c->proto_major;
	ci.proto_minor = c->proto_minor;
	ci.max_write = c->max_write;
	ci.max_read = c->max_read;
	ci.max_readahead = c->max_readahead;
	ci.capable = fbx_fuse3_caps_from_kernel(c->capable, c->proto_minor);
	ci.want = default_want(se, ci.capable) |
	          (fbx_fuse3_caps_from_kernel(c->want & FBX_CAP_WRITEBACK_CACHE, 0) &
	           FUSE_CAP_WRITEBACK_CACHE);
	ci.max_background = c->max_background;
	ci.congestion_threshold = c->congestion_threshold;
	ci.time_gran = c->time_gran;
	unsigned readahead = ci.max_readahead;

	if (se->op.init)
		se->op.init(se->userdata, &ci);

	unsigned extra = ci.want & ~ci.capable;
	if (extra) {
		fbx_fuse3_err("error: filesystem requested capabilities 0x%x that are "
		              "not supported by kernel; left out\n", extra);
		ci.want &= ci.capable;
	}
	c->want = (c->want & FBX_ONLY) | fbx_fuse3_caps_to_kernel(ci.want & ~NOT_ACTED);
	c->max_write = ci.max_write;
	if (ci.max_readahead < readahead)
		c->max_readahead = ci.max_readahead;
	c->max_background = ci.max_background;
	c->congestion_threshold = ci.congestion_threshold;
	c->time_gran = ci.time_gran;
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
	SE(req)->op.forget(UREQ(req), ino, nlookup);
}

static void ll_forget_multi(struct fbx_req *req, size_t count,
                            const uint64_t *inos, const uint64_t *nlookups)
{
	struct fuse_session *se = SE(req);
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
	se->op.forget_multi(UREQ(req), count, f);
	free(f);
}

static void ll_getattr(struct fbx_req *req, uint64_t ino, struct fbx_file_info *bfi)
{
	FI(fi, bfi);
	SE(req)->op.getattr(UREQ(req), ino, fi);
}

/* FBX_SET_* and FUSE_SET_ATTR_* share the bits both have; suid/sgid
 * clearing is one bit for fusebox, two for libfuse. */
static int to_set_bits(unsigned b)
{
	unsigned same = FBX_SET_MODE | FBX_SET_UID | FBX_SET_GID | FBX_SET_SIZE |
	                FBX_SET_ATIME | FBX_SET_MTIME | FBX_SET_ATIME_NOW |
	                FBX_SET_MTIME_NOW | FBX_SET_CTIME;
	int s = (int)(b & same);
	if (b & FBX_SET_KILL_SUIDGID)
		s |= FUSE_SET_ATTR_KILL_SUID | FUSE_SET_ATTR_KILL_SGID;
	return s;
}

static void ll_setattr(struct fbx_req *req, uint64_t ino, const struct stat *attr,
                       unsigned to_set, struct fbx_file_info *bfi)
{
	struct stat st = *attr;
	FI(fi, bfi);
	SE(req)->op.setattr(UREQ(req), ino, &st, to_set_bits(to_set), fi);
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

static void ll_rename(struct fbx_req *req, uint64_t parent, const char *name,
                      uint64_t newparent, const char *newname, unsigned flags)
{
	SE(req)->op.rename(UREQ(req), parent, name, newparent, newname, flags);
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

static void ll_lseek(struct fbx_req *req, uint64_t ino, off_t off, int whence,
                     struct fbx_file_info *bfi)
{
	FI(fi, bfi);
	SE(req)->op.lseek(UREQ(req), ino, off, whence, fi);
}

static void ll_copy_file_range(struct fbx_req *req, uint64_t ino_in, off_t off_in,
                               struct fbx_file_info *bfi_in, uint64_t ino_out,
                               off_t off_out, struct fbx_file_info *bfi_out,
                               size_t len, int flags)
{
	FI(fi_in, bfi_in);
	FI(fi_out, bfi_out);
	SE(req)->op.copy_file_range(UREQ(req), ino_in, off_in, fi_in, ino_out,
	                            off_out, fi_out, len, flags);
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

static void ll_readdirplus(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                           struct fbx_file_info *bfi)
{
	FI(fi, bfi);
	SE(req)->op.readdirplus(UREQ(req), ino, size, off, fi);
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

/* The kernel's cached data, as the one-buffer vector libfuse gives. */
static void ll_retrieve_reply(struct fbx_req *req, void *cookie, uint64_t ino,
                              off_t off, const void *data, size_t size)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);
	bv.buf[0].mem = (void *)data;
	SE(req)->op.retrieve_reply(UREQ(req), cookie, ino, off, &bv);
}

static void ll_ioctl(struct fbx_req *req, uint64_t ino, unsigned int cmd, uint64_t arg,
                     struct fbx_file_info *bfi, unsigned flags, const void *in_buf,
                     size_t in_bufsz, size_t out_bufsz)
{
	FI(fi, bfi);
	SE(req)->op.ioctl(UREQ(req), ino, cmd, (void *)(uintptr_t)arg, fi, flags, in_buf,
	                  in_bufsz, out_bufsz);
}

/* libfuse hands the asked events over in the file info. */
static void ll_poll(struct fbx_req *req, uint64_t ino, struct fbx_file_info *bfi,
                    unsigned events, struct fbx_pollhandle *ph)
{
	FI(fi, bfi);
	fi->poll_events = events;
	SE(req)->op.poll(UREQ(req), ino, fi, (struct fuse_pollhandle *)ph);
}

void fbx_fuse3_ops(struct fuse_session *se)
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
	SET(flock); SET(bmap); SET(fallocate); SET(lseek); SET(copy_file_range);
	SET(opendir); SET(readdir); SET(readdirplus); SET(releasedir);
	SET(fsyncdir); SET(statfs); SET(setxattr); SET(getxattr); SET(listxattr);
	SET(removexattr); SET(access); SET(retrieve_reply); SET(ioctl); SET(poll);
#undef SET
	if (o->write || o->write_buf)
		l->write = ll_write;
}
