/*
 * hl_ops.c -- struct fuse_operations (2.9) onto struct fbx_fs_ops.
 *
 * Each path-layer callback fills fuse_get_context(), converts the file
 * info, and calls the top layer through fuse_fs_*() (hl_fs.c), so
 * modules stack as in libfuse. A callback is set where the top layer
 * has the op or a libfuse 2 fallback for it; for the others fs.h's
 * defaults apply, which are libfuse's.
 */
#include "hl.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define FI_IN(bfi) struct fuse_file_info fi; fbx_fuse2_fi_in(&fi, bfi)
#define TOP (fbx_hl2_enter()->fs)

static int hl_getattr(const char *path, struct stat *st)
{
	return fuse_fs_getattr(TOP, path, st);
}

static int hl_fgetattr(const char *path, struct stat *st, struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	return fuse_fs_fgetattr(TOP, path, st, &fi);
}

static int hl_readlink(const char *path, char *buf, size_t size)
{
	return fuse_fs_readlink(TOP, path, buf, size);
}

static int hl_mknod(const char *path, mode_t mode, dev_t rdev)
{
	return fuse_fs_mknod(TOP, path, mode, rdev);
}

static int hl_mkdir(const char *path, mode_t mode)
{
	return fuse_fs_mkdir(TOP, path, mode & ~S_IFMT);   /* as libfuse: no S_IFDIR */
}

static int hl_unlink(const char *path)
{
	return fuse_fs_unlink(TOP, path);
}

static int hl_rmdir(const char *path)
{
	return fuse_fs_rmdir(TOP, path);
}

static int hl_symlink(const char *target, const char *path)
{
	return fuse_fs_symlink(TOP, target, path);
}

/* renameat2's flags have no place in the 2.9 op. */
static int hl_rename(const char *from, const char *to, unsigned int flags)
{
	if (flags)
		return -EINVAL;
	return fuse_fs_rename(TOP, from, to);
}

static int hl_link(const char *from, const char *to)
{
	return fuse_fs_link(TOP, from, to);
}

static int hl_chmod(const char *path, mode_t mode)
{
	return fuse_fs_chmod(TOP, path, mode);
}

static int hl_chown(const char *path, uid_t uid, gid_t gid)
{
	return fuse_fs_chown(TOP, path, uid, gid);
}

static int hl_truncate(const char *path, off_t size)
{
	return fuse_fs_truncate(TOP, path, size);
}

static int hl_ftruncate(const char *path, off_t size, struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	return fuse_fs_ftruncate(TOP, path, size, &fi);
}

/* Without flag_utime_omit_ok a 2.9 filesystem gets real times only, and
 * only when both are set: libfuse 2.9's fuse_lib_setattr drops a change
 * of one time alone (success, nothing done). Filling in the other from
 * getattr instead calls utime/utimens where libfuse 2 never did, and a
 * program's utime() follows symlinks: tar -x (which sets a symlink's
 * mtime alone) would change the target's times, or fail with ENOENT on
 * a dangling link. UTIME_NOW becomes the clock. */
static int hl_utimens(const char *path, const struct timespec tv[2])
{
	struct fuse *f = fbx_hl2_enter();
	struct timespec t[2] = { tv[0], tv[1] };
	if (!f->fs->op.flag_utime_omit_ok) {
		if (t[0].tv_nsec == UTIME_OMIT || t[1].tv_nsec == UTIME_OMIT)
			return 0;
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		for (int i = 0; i < 2; i++)
			if (t[i].tv_nsec == UTIME_NOW)
				t[i] = now;
	}
	return fuse_fs_utimens(f->fs, path, t);
}

static int hl_open(const char *path, struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	int r = fuse_fs_open(TOP, path, &fi);
	if (r == 0)
		fbx_compat_fi_out(bfi, &fi);
	return r;
}

static int hl_create(const char *path, mode_t mode, struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	int r = fuse_fs_create(TOP, path, mode, &fi);
	if (r == 0)
		fbx_compat_fi_out(bfi, &fi);
	return r;
}

static int hl_read(const char *path, char *buf, size_t size, off_t off,
                   struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	return fuse_fs_read(TOP, path, buf, size, off, &fi);
}

static int hl_write(const char *path, const char *buf, size_t size, off_t off,
                    struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	fi.writepage = bfi->writepage;
	return fuse_fs_write(TOP, path, buf, size, off, &fi);
}

static int hl_statfs(const char *path, struct statvfs *st)
{
	return fuse_fs_statfs(TOP, path, st);
}

static int hl_flush(const char *path, struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	return fuse_fs_flush(TOP, path, &fi);
}

static int hl_release(const char *path, struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	return fuse_fs_release(TOP, path, &fi);
}

static int hl_fsync(const char *path, int datasync, struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	return fuse_fs_fsync(TOP, path, datasync, &fi);
}

static int hl_setxattr(const char *path, const char *name, const char *value,
                       size_t size, int flags)
{
	return fuse_fs_setxattr(TOP, path, name, value, size, flags);
}

static int hl_getxattr(const char *path, const char *name, char *value, size_t size)
{
	return fuse_fs_getxattr(TOP, path, name, value, size);
}

static int hl_listxattr(const char *path, char *list, size_t size)
{
	return fuse_fs_listxattr(TOP, path, list, size);
}

static int hl_removexattr(const char *path, const char *name)
{
	return fuse_fs_removexattr(TOP, path, name);
}

static int hl_opendir(const char *path, struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	int r = fuse_fs_opendir(TOP, path, &fi);
	if (r == 0)
		fbx_compat_fi_out(bfi, &fi);
	return r;
}

/* fusebox's filler has libfuse 2's signature, so the program writes
 * into the path layer's buffer directly. libfuse 2 knows no
 * readdirplus (hl_init turns it off): its entries carry at most st_ino
 * and the type. The nolookup filler keeps it so should readdirplus ever
 * be on: no per-entry lookup (a getattr each) for attributes the
 * program never gave. */
_Static_assert(sizeof(fuse_fill_dir_t) == sizeof(fbx_fill_dir_t), "filler");

static int hl_readdir(const char *path, void *buf, fbx_fill_dir_t filler, off_t off,
                      struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	(void)filler; /* always the path layer's, which the nolookup filler wraps */
	return fuse_fs_readdir(TOP, path, buf, fbx_fill_dir_nolookup, off, &fi);
}

static int hl_releasedir(const char *path, struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	return fuse_fs_releasedir(TOP, path, &fi);
}

static int hl_fsyncdir(const char *path, int datasync, struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	return fuse_fs_fsyncdir(TOP, path, datasync, &fi);
}

static int hl_access(const char *path, int mask)
{
	return fuse_fs_access(TOP, path, mask);
}

static int hl_lock(const char *path, struct fbx_file_info *bfi, int cmd, struct flock *lk)
{
	FI_IN(bfi);
	return fuse_fs_lock(TOP, path, &fi, cmd, lk);
}

static int hl_bmap(const char *path, size_t blocksize, uint64_t *idx)
{
	return fuse_fs_bmap(TOP, path, blocksize, idx);
}

static int hl_flock(const char *path, struct fbx_file_info *bfi, int op)
{
	FI_IN(bfi);
	return fuse_fs_flock(TOP, path, &fi, op);
}

static int hl_fallocate(const char *path, int mode, off_t off, off_t len,
                        struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	return fuse_fs_fallocate(TOP, path, mode, off, len, &fi);
}

static int hl_ioctl(const char *path, unsigned int cmd, uint64_t arg,
                    struct fbx_file_info *bfi, unsigned int flags, void *data)
{
	FI_IN(bfi);
	return fuse_fs_ioctl(TOP, path, (int)cmd, (void *)(uintptr_t)arg, &fi, flags, data);
}

/* The events asked are not libfuse 2's to see (no field for them). */
static int hl_poll(const char *path, struct fbx_file_info *bfi, unsigned events,
                   struct fbx_pollhandle *ph, unsigned *reventsp)
{
	(void)events;
	FI_IN(bfi);
	return fuse_fs_poll(TOP, path, &fi, (struct fuse_pollhandle *)ph, reventsp);
}

/* ---- init and destroy ------------------------------------------------------ */

/* Kernel features the path layer turns off (fs.h promises neither
 * O_TRUNC in open nor unmasked modes), and splice, which fusebox notes
 * but does not do: a program's init cannot turn these on. Export stays
 * as the path layer offers it (as libfuse 2's high level asks for it):
 * file handles, for NFS, which -o noforget keeps valid. */
#define HL_NEVER (FUSE_CAP_DONT_MASK | FUSE_CAP_ATOMIC_O_TRUNC | \
                  FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE)

static void *hl_init(struct fbx_conn *c)
{
	struct fuse *f = fbx_hl2_enter();
	struct fuse_conn_info ci;
	memset(&ci, 0, sizeof(ci));
	ci.proto_major = c->proto_major;
	ci.proto_minor = c->proto_minor;
	ci.max_write = c->max_write;
	ci.max_readahead = c->max_readahead;
	ci.capable = fbx_fuse2_caps(c->capable);
	ci.want = fbx_fuse2_caps(c->want) & ci.capable;
	ci.async_read = !!(ci.want & FUSE_CAP_ASYNC_READ);
	ci.max_background = c->max_background;
	ci.congestion_threshold = c->congestion_threshold;
	fbx_fuse2_conn_apply(&f->se.conn, &ci);
	unsigned readahead = ci.max_readahead;

	fuse_fs_init(f->fs, &ci);

	if (!ci.async_read)
		ci.want &= ~FUSE_CAP_ASYNC_READ;
	ci.want &= ci.capable & ~HL_NEVER;
	uint64_t named = fbx_fuse2_caps(~0ull);
	c->want = (fbx_fuse2_core_want(&f->se.conn, c->want, c->capable) & ~named) | ci.want;
	/* As under libfuse 2: plain READDIR. Its fillers give no attributes,
	 * so readdirplus would carry each name in an entry five times the
	 * size for nothing. */
	c->want &= ~(FBX_CAP_READDIRPLUS | FBX_CAP_READDIRPLUS_AUTO);
	c->max_write = ci.max_write;
	if (ci.max_readahead < readahead)
		c->max_readahead = ci.max_readahead;
	c->max_background = ci.max_background;
	c->congestion_threshold = ci.congestion_threshold;
	return f;   /* the path layer's private data stays the struct fuse */
}

static void hl_destroy(void *private_data)
{
	struct fuse *f = private_data;
	fbx_hl2_enter();
	fuse_fs_destroy(f->fs);
	f->fs = NULL;
}

#define SET(name, fn) (o->name = fs->op.name ? fn : NULL)

void fbx_hl2_make_ops(const struct fuse_fs *fs, struct fbx_fs_ops *o)
{
	const struct fuse_operations *op = &fs->op;
	memset(o, 0, sizeof(*o));
	SET(getattr, hl_getattr);
	o->fgetattr = op->fgetattr || op->getattr ? hl_fgetattr : NULL;
	SET(readlink, hl_readlink);
	SET(mknod, hl_mknod);
	SET(mkdir, hl_mkdir);
	SET(unlink, hl_unlink);
	SET(rmdir, hl_rmdir);
	SET(symlink, hl_symlink);
	SET(rename, hl_rename);
	SET(link, hl_link);
	SET(chmod, hl_chmod);
	SET(chown, hl_chown);
	SET(truncate, hl_truncate);
	o->ftruncate = op->ftruncate || op->truncate ? hl_ftruncate : NULL;
	o->utimens = op->utimens || op->utime ? hl_utimens : NULL;
	/* open, release, opendir, releasedir: libfuse's defaults (success)
	 * are fuse_fs_*'s */
	o->open = hl_open;
	o->release = hl_release;
	o->opendir = hl_opendir;
	o->releasedir = hl_releasedir;
	o->read = op->read || op->read_buf ? hl_read : NULL;
	o->write = op->write || op->write_buf ? hl_write : NULL;
	SET(statfs, hl_statfs);
	SET(flush, hl_flush);
	SET(fsync, hl_fsync);
	SET(setxattr, hl_setxattr);
	SET(getxattr, hl_getxattr);
	SET(listxattr, hl_listxattr);
	SET(removexattr, hl_removexattr);
	o->readdir = op->readdir || op->getdir ? hl_readdir : NULL;
	SET(fsyncdir, hl_fsyncdir);
	o->init = hl_init;
	o->destroy = hl_destroy;
	SET(access, hl_access);
	SET(create, hl_create);
	SET(lock, hl_lock);
	SET(bmap, hl_bmap);
	SET(flock, hl_flock);
	SET(fallocate, hl_fallocate);
	SET(ioctl, hl_ioctl);
	SET(poll, hl_poll);
	o->flag_nullpath_ok = op->flag_nullpath_ok || op->flag_nopath;
}
