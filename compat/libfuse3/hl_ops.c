/*
 * hl_ops.c -- struct fuse_operations onto struct fbx_fs_ops.
 *
 * Each path-layer callback fills fuse_get_context(), converts the file
 * info, and calls the top layer through fuse_fs_*() (hl_fs.c), so
 * modules stack exactly as in libfuse. Only callbacks whose op the top
 * layer has are set: for the others fs.h's defaults apply, which are
 * the ones libfuse's high-level API documents (ENOSYS, or the kernel's
 * own fallback for flush, locks, access, create).
 */
#include "hl.h"

#include <errno.h>
#include <string.h>

/* A libfuse file info for the op, from fusebox's. */
#define FI_IN(bfi) struct fuse_file_info fi; fbx_fuse3_fi_in(&fi, bfi)
#define TOP (fbx_hl_enter()->fs)

static int hl_getattr(const char *path, struct stat *st)
{
	return fuse_fs_getattr(TOP, path, st, NULL);
}

static int hl_fgetattr(const char *path, struct stat *st, struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	return fuse_fs_getattr(TOP, path, st, &fi);
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

static int hl_rename(const char *from, const char *to, unsigned int flags)
{
	return fuse_fs_rename(TOP, from, to, flags);
}

static int hl_link(const char *from, const char *to)
{
	return fuse_fs_link(TOP, from, to);
}

static int hl_chmod(const char *path, mode_t mode)
{
	return fuse_fs_chmod(TOP, path, mode, NULL);
}

static int hl_fchmod(const char *path, mode_t mode, struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	return fuse_fs_chmod(TOP, path, mode, &fi);
}

static int hl_chown(const char *path, uid_t uid, gid_t gid)
{
	return fuse_fs_chown(TOP, path, uid, gid, NULL);
}

static int hl_fchown(const char *path, uid_t uid, gid_t gid, struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	return fuse_fs_chown(TOP, path, uid, gid, &fi);
}

static int hl_truncate(const char *path, off_t size)
{
	return fuse_fs_truncate(TOP, path, size, NULL);
}

static int hl_ftruncate(const char *path, off_t size, struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	return fuse_fs_truncate(TOP, path, size, &fi);
}

static int hl_utimens(const char *path, const struct timespec tv[2])
{
	return fuse_fs_utimens(TOP, path, tv, NULL);
}

static int hl_futimens(const char *path, const struct timespec tv[2],
                       struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	return fuse_fs_utimens(TOP, path, tv, &fi);
}

/* -o auto_cache: keep the page cache when the file looks unchanged
 * since the last open (mtime and size as getattr reports them). */
static void auto_cache(struct fuse *f, const char *path, struct fuse_file_info *fi)
{
	struct stat st;
	if (!f->conf.auto_cache || fi->direct_io || !path)
		return;
	memset(&st, 0, sizeof(st));
	if (fuse_fs_getattr(f->fs, path, &st, fi) != 0)
		return;
	fi->keep_cache = fbx_hl_cache_same(f, path, &st);
}

static int hl_open(const char *path, struct fbx_file_info *bfi)
{
	struct fuse *f = fbx_hl_enter();
	FI_IN(bfi);
	int r = fuse_fs_open(f->fs, path, &fi);
	if (r == 0) {
		auto_cache(f, path, &fi);
		fbx_compat_fi_out(bfi, &fi);
	}
	return r;
}

static int hl_create(const char *path, mode_t mode, struct fbx_file_info *bfi)
{
	struct fuse *f = fbx_hl_enter();
	FI_IN(bfi);
	int r = fuse_fs_create(f->fs, path, mode, &fi);
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

/* What the program's filler writes into: fusebox's filler and buffer. */
static int hl_filler(void *buf, const char *name, const struct stat *st, off_t off,
                     enum fuse_fill_dir_flags flags)
{
	/* As libfuse 3.14 (fill_dir_plus, readdir_fill_from_list): no entry
	 * of a readdirplus listing costs a getattr. One filled with off == 0
	 * is kept in the handle's list and sent as a name (node id 0), even
	 * with FUSE_FILL_DIR_PLUS; one filled with an offset and
	 * FUSE_FILL_DIR_PLUS goes with the filler's attributes as they are.
	 * tup needs that: its getattr records the file as read by the job,
	 * and fails for outputs not made yet (the name then dropped from the
	 * listing), and its readdir's stat has only st_ino and the type, so
	 * sending it would give the kernel size 0 for live files. buf is
	 * the path layer's, which both fillers take. */
	if (off && (flags & FUSE_FILL_DIR_PLUS) && st)
		return fbx_fill_dir_attr(buf, name, st, off);
	return fbx_fill_dir_nolookup(buf, name, st, off);
}

static int hl_readdir(const char *path, void *buf, fbx_fill_dir_t filler, off_t off,
                      struct fbx_file_info *bfi)
{
	(void)filler;   /* the entries go through hl_filler's two */
	FI_IN(bfi);
	return fuse_fs_readdir(TOP, path, buf, hl_filler, off, &fi, 0);
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

static off_t hl_lseek(const char *path, off_t off, int whence, struct fbx_file_info *bfi)
{
	FI_IN(bfi);
	return fuse_fs_lseek(TOP, path, off, whence, &fi);
}

static ssize_t hl_copy_file_range(const char *path_in, struct fbx_file_info *bfi_in,
                                  off_t off_in, const char *path_out,
                                  struct fbx_file_info *bfi_out, off_t off_out,
                                  size_t len, int flags)
{
	struct fuse_file_info fi_in, fi_out;
	fbx_fuse3_fi_in(&fi_in, bfi_in);
	fbx_fuse3_fi_in(&fi_out, bfi_out);
	return fuse_fs_copy_file_range(TOP, path_in, &fi_in, off_in, path_out, &fi_out,
	                               off_out, len, flags);
}

static int hl_ioctl(const char *path, unsigned int cmd, uint64_t arg,
                    struct fbx_file_info *bfi, unsigned int flags, void *data)
{
	FI_IN(bfi);
	return fuse_fs_ioctl(TOP, path, cmd, (void *)(uintptr_t)arg, &fi, flags, data);
}

/* libfuse hands the asked events over in the file info; its poll handle
 * is fusebox's under libfuse's struct name. */
static int hl_poll(const char *path, struct fbx_file_info *bfi, unsigned events,
                   struct fbx_pollhandle *ph, unsigned *reventsp)
{
	FI_IN(bfi);
	fi.poll_events = events;
	return fuse_fs_poll(TOP, path, &fi, (struct fuse_pollhandle *)ph, reventsp);
}

#define SET(name, fn) (o->name = fs->op.name ? fn : NULL)

void fbx_hl_make_ops(const struct fuse_fs *fs, struct fbx_fs_ops *o)
{
	memset(o, 0, sizeof(*o));
	SET(getattr, hl_getattr);
	o->fgetattr = fs->op.getattr ? hl_fgetattr : NULL;
	SET(readlink, hl_readlink);
	SET(mknod, hl_mknod);
	SET(mkdir, hl_mkdir);
	SET(unlink, hl_unlink);
	SET(rmdir, hl_rmdir);
	SET(symlink, hl_symlink);
	SET(rename, hl_rename);
	SET(link, hl_link);
	SET(chmod, hl_chmod);
	o->fchmod = fs->op.chmod ? hl_fchmod : NULL;
	SET(chown, hl_chown);
	o->fchown = fs->op.chown ? hl_fchown : NULL;
	SET(truncate, hl_truncate);
	o->ftruncate = fs->op.truncate ? hl_ftruncate : NULL;
	SET(utimens, hl_utimens);
	o->futimens = fs->op.utimens ? hl_futimens : NULL;
	/* open, release, opendir, releasedir: libfuse's defaults (success)
	 * are fuse_fs_*'s; auto_cache needs open in any case. */
	o->open = hl_open;
	o->release = hl_release;
	o->opendir = hl_opendir;
	o->releasedir = hl_releasedir;
	o->read = fs->op.read || fs->op.read_buf ? hl_read : NULL;
	o->write = fs->op.write || fs->op.write_buf ? hl_write : NULL;
	SET(statfs, hl_statfs);
	SET(flush, hl_flush);
	SET(fsync, hl_fsync);
	SET(setxattr, hl_setxattr);
	SET(getxattr, hl_getxattr);
	SET(listxattr, hl_listxattr);
	SET(removexattr, hl_removexattr);
	SET(readdir, hl_readdir);
	SET(fsyncdir, hl_fsyncdir);
	o->init = fbx_hl_init;
	o->destroy = fbx_hl_destroy;
	SET(access, hl_access);
	SET(create, hl_create);
	SET(lock, hl_lock);
	SET(bmap, hl_bmap);
	SET(flock, hl_flock);
	SET(fallocate, hl_fallocate);
	SET(lseek, hl_lseek);
	SET(copy_file_range, hl_copy_file_range);
	SET(ioctl, hl_ioctl);
	SET(poll, hl_poll);
}
