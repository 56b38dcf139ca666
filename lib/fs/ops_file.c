/*
 * lib/fs/ops_file.c -- ops on open files and the rest: open, create,
 * read, write, flush, release, fsync, locks, fallocate, lseek,
 * copy_file_range, bmap, statfs, xattrs, access.
 *
 * fi goes to the filesystem as the kernel gave it: fi->fh is the fs's
 * own. The path layer counts open handles per node so an unlinked open
 * file can be hidden and removed at its last release.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#include "fs/fs_int.h"

/* One handle of ino closed: remove the hidden file when it was the last. */
static void node_release(struct fbx_fs *fs, uint64_t ino)
{
	char *hidden;
	fbx_nodes_release(fs->nodes, ino, &hidden);
	if (hidden && fs->ops.unlink)
		fs->ops.unlink(hidden);
	free(hidden);
}

static void preset_open(const struct fbx_fs *fs, struct fbx_file_info *fi)
{
	if (fs->opts->direct_io)
		fi->direct_io = 1;
	if (fs->opts->kernel_cache)
		fi->keep_cache = 1;
}

void fbx_fsi_ll_open(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path;
	int err = fbx_fsi_path_fi(fs, ino, NULL, &path);
	preset_open(fs, fi);
	/* Counted before the fs opens, so an unlink racing with us hides. */
	if (!err)
		err = fbx_nodes_open(fs->nodes, ino);
	if (!err && fs->ops.open) {
		err = fs->ops.open(path, fi);
		if (err)
			node_release(fs, ino);
	}
	/* The handle is recorded before the reply: once the kernel has it,
	 * a release may come at once on another thread. */
	if (!err)
		fbx_nodes_set_fh(fs->nodes, ino, 1, fi->fh, fi->flags);
	if (err) {
		fbx_fsi_reply_err(req, err);
	} else if (fbx_reply_open(req, fi) < 0) {
		/* Interrupted: the kernel will never release this handle. */
		fbx_nodes_set_fh(fs->nodes, ino, 0, fi->fh, 0);
		if (fs->ops.release)
			fs->ops.release(path, fi);
		node_release(fs, ino);
	}
	free(path);
	fbx_fsi_leave();
}

void fbx_fsi_ll_create(struct fbx_req *req, uint64_t parent, const char *name, mode_t mode,
                  struct fbx_file_info *fi)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	struct fbx_entry e;
	char *path;
	int err = fbx_fsi_path(fs, parent, name, &path);
	preset_open(fs, fi);
	if (!err) {
		err = fs->ops.create(path, mode, fi);
		if (!err) {
			err = fbx_fsi_lookup_path(fs, parent, name, path, fi, 1, &e);
			if (err && fs->ops.release)
				fs->ops.release(path, fi);
		}
	}
	if (!err)
		fbx_nodes_set_fh(fs->nodes, e.ino, 1, fi->fh, fi->flags);
	if (err) {
		fbx_fsi_reply_err(req, err);
	} else if (fbx_reply_create(req, &e, fi) < 0) {
		fbx_nodes_set_fh(fs->nodes, e.ino, 0, fi->fh, 0);
		if (fs->ops.release)
			fs->ops.release(path, fi);
		node_release(fs, e.ino);
		fbx_nodes_forget(fs->nodes, e.ino, 1);
	}
	free(path);
	fbx_fsi_leave();
}

void fbx_fsi_ll_read(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                struct fbx_file_info *fi)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	size_t room;
	/* The filesystem reads straight into the reply's memory when the
	 * session has some for it: no allocation per read. */
	char *path, *buf = fbx_req_read_buf(req, &room), *own = NULL, mem[FS_PATH_STACK];
	int ret = fbx_fsi_path_fi_in(fs, ino, fi, mem, sizeof mem, &path);
	if (!ret && !fs->ops.read)
		ret = -ENOSYS;
	if (!ret && (!buf || room < size) && !(buf = own = malloc(size ? size : 1)))
		ret = -ENOMEM;
	if (!ret)
		ret = fs->ops.read(path, buf, size, off, fi);
	if (ret > (int)size)
		ret = -EIO;
	if (ret < 0)
		fbx_fsi_reply_err(req, ret);
	else
		(void)fbx_reply_buf(req, buf, (size_t)ret);
	free(own);
	if (path != mem)
		free(path);
	fbx_fsi_leave();
}

void fbx_fsi_ll_write(struct fbx_req *req, uint64_t ino, const char *buf, size_t size,
                 off_t off, struct fbx_file_info *fi)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path, mem[FS_PATH_STACK];
	int ret = fbx_fsi_path_fi_in(fs, ino, fi, mem, sizeof mem, &path);
	if (!ret)
		ret = fs->ops.write ? fs->ops.write(path, buf, size, off, fi) : -ENOSYS;
	if (ret > (int)size)
		ret = -EIO;
	if (ret > 0 && fi->kill_priv)
		fbx_fsi_kill_after(fs, req, ino, path, fi, 1);
	if (ret < 0)
		fbx_fsi_reply_err(req, ret);
	else
		(void)fbx_reply_write(req, (size_t)ret);
	if (path != mem)
		free(path);
	fbx_fsi_leave();
}

/* close(2) drops the closing owner's POSIX locks; with locks served by
 * the filesystem, that is ours to tell it. */
void fbx_fsi_ll_flush(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path;
	int err = fbx_fsi_path_fi(fs, ino, fi, &path);
	if (!err && fs->ops.lock) {
		struct flock lk = { .l_type = F_UNLCK, .l_whence = SEEK_SET };
		fs->ops.lock(path, fi, F_SETLK, &lk);
	}
	if (!err && fs->ops.flush)
		err = fs->ops.flush(path, fi);
	free(path);
	fbx_fsi_reply_err(req, err);
	fbx_fsi_leave();
}

void fbx_fsi_ll_release(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path;
	/* Without a path (hard_remove, no nullpath_ok) the fs is not called:
	 * it said it cannot take a NULL path. */
	if (fbx_fsi_path_fi(fs, ino, fi, &path) == 0) {
		if (fi->flock_release && fs->ops.flock)
			fs->ops.flock(path, fi, LOCK_UN);
		if (fs->ops.release)
			fs->ops.release(path, fi);
	}
	free(path);
	fbx_nodes_set_fh(fs->nodes, ino, 0, fi->fh, 0);
	node_release(fs, ino);
	fbx_fsi_reply_err(req, 0);
	fbx_fsi_leave();
}

void fbx_fsi_ll_fsync(struct fbx_req *req, uint64_t ino, int datasync, struct fbx_file_info *fi)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path;
	int err = fbx_fsi_path_fi(fs, ino, fi, &path);
	if (!err && fs->ops.fsync)
		err = fs->ops.fsync(path, datasync, fi);
	free(path);
	fbx_fsi_reply_err(req, err);
	fbx_fsi_leave();
}

/* ---- locks --------------------------------------------------------------- */

void fbx_fsi_ll_getlk(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi,
                 struct flock *lock)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path;
	int err = fbx_fsi_path_fi(fs, ino, fi, &path);
	if (!err)
		err = fs->ops.lock(path, fi, F_GETLK, lock);
	if (err)
		fbx_fsi_reply_err(req, err);
	else
		(void)fbx_reply_lock(req, lock);
	free(path);
	fbx_fsi_leave();
}

void fbx_fsi_ll_setlk(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi,
                 struct flock *lock, int sleep)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path;
	int err = fbx_fsi_path_fi(fs, ino, fi, &path);
	if (!err)
		err = fs->ops.lock(path, fi, sleep ? F_SETLKW : F_SETLK, lock);
	free(path);
	fbx_fsi_reply_err(req, err);
	fbx_fsi_leave();
}

void fbx_fsi_ll_flock(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi, int op)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path;
	int err = fbx_fsi_path_fi(fs, ino, fi, &path);
	if (!err)
		err = fs->ops.flock(path, fi, op);
	free(path);
	fbx_fsi_reply_err(req, err);
	fbx_fsi_leave();
}

/* ---- the rest of the file ops ----------------------------------------------- */

void fbx_fsi_ll_bmap(struct fbx_req *req, uint64_t ino, size_t blocksize, uint64_t idx)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path;
	int err = fbx_fsi_path(fs, ino, NULL, &path);
	if (!err)
		err = fs->ops.bmap(path, blocksize, &idx);
	if (err)
		fbx_fsi_reply_err(req, err);
	else
		(void)fbx_reply_bmap(req, idx);
	free(path);
	fbx_fsi_leave();
}

void fbx_fsi_ll_fallocate(struct fbx_req *req, uint64_t ino, int mode, off_t off, off_t len,
                     struct fbx_file_info *fi)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path;
	int err = fbx_fsi_path_fi(fs, ino, fi, &path);
	if (!err)
		err = fs->ops.fallocate(path, mode, off, len, fi);
	if (!err)
		fbx_fsi_kill_after(fs, req, ino, path, fi, -1);
	free(path);
	fbx_fsi_reply_err(req, err);
	fbx_fsi_leave();
}

void fbx_fsi_ll_lseek(struct fbx_req *req, uint64_t ino, off_t off, int whence,
                 struct fbx_file_info *fi)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path;
	off_t ret = fbx_fsi_path_fi(fs, ino, fi, &path);
	if (!ret)
		ret = fs->ops.lseek(path, off, whence, fi);
	if (ret < 0)
		fbx_fsi_reply_err(req, (int)ret);
	else
		(void)fbx_reply_lseek(req, ret);
	free(path);
	fbx_fsi_leave();
}

void fbx_fsi_ll_copy_file_range(struct fbx_req *req, uint64_t ino_in, off_t off_in,
                           struct fbx_file_info *fi_in, uint64_t ino_out,
                           off_t off_out, struct fbx_file_info *fi_out, size_t len,
                           int flags)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *pin = NULL, *pout = NULL;
	ssize_t ret = fbx_fsi_path_fi(fs, ino_in, fi_in, &pin);
	if (!ret)
		ret = fbx_fsi_path_fi(fs, ino_out, fi_out, &pout);
	if (!ret)
		ret = fs->ops.copy_file_range(pin, fi_in, off_in, pout, fi_out, off_out, len,
		                              flags);
	if (ret > 0)
		fbx_fsi_kill_after(fs, req, ino_out, pout, fi_out, -1);
	if (ret < 0)
		fbx_fsi_reply_err(req, (int)ret);
	else
		(void)fbx_reply_write(req, (size_t)ret);
	free(pin);
	free(pout);
	fbx_fsi_leave();
}

/* ---- filesystem-wide, xattrs, access ------------------------------------ */

void fbx_fsi_ll_statfs(struct fbx_req *req, uint64_t ino)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	struct statvfs st;
	char *path;
	int err = fbx_fsi_path(fs, ino, NULL, &path);
	if (err == -ENOENT) {
		/* statfs(2) of an unlinked file still means this filesystem. */
		path = strdup("/");
		err = path ? 0 : -ENOMEM;
	}
	memset(&st, 0, sizeof st);
	if (!err)
		err = fs->ops.statfs(path, &st);
	if (err)
		fbx_fsi_reply_err(req, err);
	else
		(void)fbx_reply_statfs(req, &st);
	free(path);
	fbx_fsi_leave();
}

void fbx_fsi_ll_setxattr(struct fbx_req *req, uint64_t ino, const char *name,
                    const char *value, size_t size, int flags)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path;
	int err = fbx_fsi_path(fs, ino, NULL, &path);
	if (!err)
		err = fs->ops.setxattr(path, name, value, size, flags);
	free(path);
	fbx_fsi_reply_err(req, err);
	fbx_fsi_leave();
}

/* getxattr and listxattr: size 0 asks for the size only. */
static void reply_xattr(struct fbx_req *req, int ret, const char *buf, size_t size)
{
	if (ret < 0)
		fbx_fsi_reply_err(req, ret);
	else if (size == 0)
		(void)fbx_reply_xattr(req, (size_t)ret);
	else if ((size_t)ret > size)
		fbx_fsi_reply_err(req, -ERANGE);
	else
		(void)fbx_reply_buf(req, buf, (size_t)ret);
}

void fbx_fsi_ll_getxattr(struct fbx_req *req, uint64_t ino, const char *name, size_t size)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path, *buf = NULL;
	int ret = fbx_fsi_path(fs, ino, NULL, &path);
	if (!ret && size && !(buf = malloc(size)))
		ret = -ENOMEM;
	if (!ret)
		ret = fs->ops.getxattr(path, name, buf, size);
	reply_xattr(req, ret, buf, size);
	free(buf);
	free(path);
	fbx_fsi_leave();
}

void fbx_fsi_ll_listxattr(struct fbx_req *req, uint64_t ino, size_t size)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path, *buf = NULL;
	int ret = fbx_fsi_path(fs, ino, NULL, &path);
	if (!ret && size && !(buf = malloc(size)))
		ret = -ENOMEM;
	if (!ret)
		ret = fs->ops.listxattr(path, buf, size);
	reply_xattr(req, ret, buf, size);
	free(buf);
	free(path);
	fbx_fsi_leave();
}

void fbx_fsi_ll_removexattr(struct fbx_req *req, uint64_t ino, const char *name)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path;
	int err = fbx_fsi_path(fs, ino, NULL, &path);
	if (!err)
		err = fs->ops.removexattr(path, name);
	free(path);
	fbx_fsi_reply_err(req, err);
	fbx_fsi_leave();
}

void fbx_fsi_ll_access(struct fbx_req *req, uint64_t ino, int mask)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path;
	int err = fbx_fsi_path(fs, ino, NULL, &path);
	if (!err)
		err = fs->ops.access(path, mask);
	free(path);
	fbx_fsi_reply_err(req, err);
	fbx_fsi_leave();
}
