/*
 * hl_fs.c -- fuse_fs_new and the fuse_fs_* calls: one layer's op, run
 * the way the library runs it.
 *
 * Before the op runs, fuse_get_context()->private_data becomes the
 * layer's own private data, so a module and the filesystem under it
 * each see theirs. A missing op gives -ENOSYS, except where libfuse
 * defines a default: open/opendir/release/releasedir succeed, statfs
 * reports an empty filesystem, read/write fall back between the plain
 * and the buffer-vector forms.
 */
#include "hl.h"
#include "pathmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const struct fuse_operations *fbx_compat_fs_ops(const struct fuse_fs *fs)
{
	return &fs->op;
}

struct fuse_fs *fuse_fs_new(const struct fuse_operations *op, size_t op_size,
                            void *private_data)
{
	if (op_size > sizeof(struct fuse_operations)) {
		fbx_fuse3_err("warning: library too old, some operations may not work\n");
		op_size = sizeof(struct fuse_operations);
	}
	struct fuse_fs *fs = calloc(1, sizeof(*fs));
	if (!fs) {
		fbx_fuse3_err("failed to allocate fuse_fs object\n");
		return NULL;
	}
	if (op)
		memcpy(&fs->op, op, op_size);
	fs->user_data = private_data;
	return fs;
}

/* The layer's private data becomes the context's for this call. */
#define ENTER(fs) (fuse_get_context()->private_data = (fs)->user_data)
#define CALL(fs, name, ...) \
	(ENTER(fs), (fs)->op.name ? (fs)->op.name(__VA_ARGS__) : -ENOSYS)

int fuse_fs_getattr(struct fuse_fs *fs, const char *path, struct stat *buf,
                    struct fuse_file_info *fi)
{
	return CALL(fs, getattr, path, buf, fi);
}

int fuse_fs_rename(struct fuse_fs *fs, const char *oldpath, const char *newpath,
                   unsigned int flags)
{
	return CALL(fs, rename, oldpath, newpath, flags);
}

int fuse_fs_unlink(struct fuse_fs *fs, const char *path)
{
	return CALL(fs, unlink, path);
}

int fuse_fs_rmdir(struct fuse_fs *fs, const char *path)
{
	return CALL(fs, rmdir, path);
}

int fuse_fs_symlink(struct fuse_fs *fs, const char *linkname, const char *path)
{
	return CALL(fs, symlink, linkname, path);
}

int fuse_fs_link(struct fuse_fs *fs, const char *oldpath, const char *newpath)
{
	return CALL(fs, link, oldpath, newpath);
}

int fuse_fs_release(struct fuse_fs *fs, const char *path, struct fuse_file_info *fi)
{
	ENTER(fs);
	return fs->op.release ? fs->op.release(path, fi) : 0;
}

int fuse_fs_opendir(struct fuse_fs *fs, const char *path, struct fuse_file_info *fi)
{
	ENTER(fs);
	return fs->op.opendir ? fs->op.opendir(path, fi) : 0;
}

int fuse_fs_open(struct fuse_fs *fs, const char *path, struct fuse_file_info *fi)
{
	ENTER(fs);
	return fs->op.open ? fs->op.open(path, fi) : 0;
}

/* Copy a buffer vector (memory or descriptor buffers) into mem. */
static int bufvec_to_mem(struct fuse_bufvec *src, char *mem, size_t size)
{
	struct fuse_bufvec dst = FUSE_BUFVEC_INIT(size);
	dst.buf[0].mem = mem;
	return (int)fuse_buf_copy(&dst, src, 0);
}

int fuse_fs_read(struct fuse_fs *fs, const char *path, char *buf, size_t size,
                 off_t off, struct fuse_file_info *fi)
{
	ENTER(fs);
	if (fs->op.read_buf) {
		struct fuse_bufvec *bv = NULL;
		int r = fs->op.read_buf(path, &bv, size, off, fi);
		/* success is any r >= 0, as in libfuse: the data is the vector's */
		if (r >= 0 && bv)
			r = bufvec_to_mem(bv, buf, size);
		else if (r >= 0)
			r = 0;
		if (bv) {
			for (size_t i = 0; i < bv->count; i++)
				if (!(bv->buf[i].flags & FUSE_BUF_IS_FD))
					free(bv->buf[i].mem);
			free(bv);
		}
		return r;
	}
	return fs->op.read ? fs->op.read(path, buf, size, off, fi) : -ENOSYS;
}

int fuse_fs_read_buf(struct fuse_fs *fs, const char *path, struct fuse_bufvec **bufp,
                     size_t size, off_t off, struct fuse_file_info *fi)
{
	ENTER(fs);
	if (fs->op.read_buf) {
		/* libfuse: any res >= 0 is success, and the caller gets 0 */
		int r = fs->op.read_buf(path, bufp, size, off, fi);
		return r < 0 ? r : 0;
	}
	if (!fs->op.read)
		return -ENOSYS;
	struct fuse_bufvec *bv = malloc(sizeof(*bv));
	char *mem = malloc(size ? size : 1);
	if (!bv || !mem) {
		free(bv);
		free(mem);
		return -ENOMEM;
	}
	*bv = (struct fuse_bufvec)FUSE_BUFVEC_INIT(size);
	bv->buf[0].mem = mem;
	int r = fs->op.read(path, mem, size, off, fi);
	if (r < 0) {
		free(mem);
		free(bv);
		return r;
	}
	bv->buf[0].size = (size_t)r;
	*bufp = bv;
	return 0;
}

int fuse_fs_write(struct fuse_fs *fs, const char *path, const char *buf, size_t size,
                  off_t off, struct fuse_file_info *fi)
{
	ENTER(fs);
	if (fs->op.write_buf) {
		struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);
		bv.buf[0].mem = (void *)buf;
		return fs->op.write_buf(path, &bv, off, fi);
	}
	return fs->op.write ? fs->op.write(path, buf, size, off, fi) : -ENOSYS;
}

int fuse_fs_write_buf(struct fuse_fs *fs, const char *path, struct fuse_bufvec *buf,
                      off_t off, struct fuse_file_info *fi)
{
	ENTER(fs);
	if (fs->op.write_buf)
		return fs->op.write_buf(path, buf, off, fi);
	if (!fs->op.write)
		return -ENOSYS;
	size_t size = fuse_buf_size(buf);
	/* One memory buffer is written as it is; anything else is gathered. */
	if (buf->count == 1 && buf->idx == 0 && buf->off == 0 &&
	    !(buf->buf[0].flags & FUSE_BUF_IS_FD))
		return fs->op.write(path, buf->buf[0].mem, size, off, fi);
	char *mem = malloc(size ? size : 1);
	if (!mem)
		return -ENOMEM;
	int r = bufvec_to_mem(buf, mem, size);
	if (r >= 0)
		r = fs->op.write(path, mem, (size_t)r, off, fi);
	free(mem);
	return r;
}

int fuse_fs_fsync(struct fuse_fs *fs, const char *path, int datasync,
                  struct fuse_file_info *fi)
{
	return CALL(fs, fsync, path, datasync, fi);
}

int fuse_fs_flush(struct fuse_fs *fs, const char *path, struct fuse_file_info *fi)
{
	return CALL(fs, flush, path, fi);
}

int fuse_fs_statfs(struct fuse_fs *fs, const char *path, struct statvfs *buf)
{
	ENTER(fs);
	if (fs->op.statfs)
		return fs->op.statfs(path, buf);
	memset(buf, 0, sizeof(*buf));
	buf->f_namemax = 255;
	buf->f_bsize = 512;
	return 0;
}

int fuse_fs_readdir(struct fuse_fs *fs, const char *path, void *buf,
                    fuse_fill_dir_t filler, off_t off, struct fuse_file_info *fi,
                    enum fuse_readdir_flags flags)
{
	return CALL(fs, readdir, path, buf, filler, off, fi, flags);
}

int fuse_fs_fsyncdir(struct fuse_fs *fs, const char *path, int datasync,
                     struct fuse_file_info *fi)
{
	return CALL(fs, fsyncdir, path, datasync, fi);
}

int fuse_fs_releasedir(struct fuse_fs *fs, const char *path, struct fuse_file_info *fi)
{
	ENTER(fs);
	return fs->op.releasedir ? fs->op.releasedir(path, fi) : 0;
}

int fuse_fs_create(struct fuse_fs *fs, const char *path, mode_t mode,
                   struct fuse_file_info *fi)
{
	return CALL(fs, create, path, mode, fi);
}

int fuse_fs_lock(struct fuse_fs *fs, const char *path, struct fuse_file_info *fi,
                 int cmd, struct flock *lock)
{
	return CALL(fs, lock, path, fi, cmd, lock);
}

int fuse_fs_flock(struct fuse_fs *fs, const char *path, struct fuse_file_info *fi, int op)
{
	return CALL(fs, flock, path, fi, op);
}

int fuse_fs_chmod(struct fuse_fs *fs, const char *path, mode_t mode,
                  struct fuse_file_info *fi)
{
	return CALL(fs, chmod, path, mode, fi);
}

int fuse_fs_chown(struct fuse_fs *fs, const char *path, uid_t uid, gid_t gid,
                  struct fuse_file_info *fi)
{
	return CALL(fs, chown, path, uid, gid, fi);
}

int fuse_fs_truncate(struct fuse_fs *fs, const char *path, off_t size,
                     struct fuse_file_info *fi)
{
	return CALL(fs, truncate, path, size, fi);
}

int fuse_fs_utimens(struct fuse_fs *fs, const char *path, const struct timespec tv[2],
                    struct fuse_file_info *fi)
{
	return CALL(fs, utimens, path, tv, fi);
}

int fuse_fs_access(struct fuse_fs *fs, const char *path, int mask)
{
	return CALL(fs, access, path, mask);
}

int fuse_fs_readlink(struct fuse_fs *fs, const char *path, char *buf, size_t len)
{
	return CALL(fs, readlink, path, buf, len);
}

int fuse_fs_mknod(struct fuse_fs *fs, const char *path, mode_t mode, dev_t rdev)
{
	return CALL(fs, mknod, path, mode, rdev);
}

int fuse_fs_mkdir(struct fuse_fs *fs, const char *path, mode_t mode)
{
	return CALL(fs, mkdir, path, mode);
}

int fuse_fs_setxattr(struct fuse_fs *fs, const char *path, const char *name,
                     const char *value, size_t size, int flags)
{
	return CALL(fs, setxattr, path, name, value, size, flags);
}

int fuse_fs_getxattr(struct fuse_fs *fs, const char *path, const char *name,
                     char *value, size_t size)
{
	return CALL(fs, getxattr, path, name, value, size);
}

int fuse_fs_listxattr(struct fuse_fs *fs, const char *path, char *list, size_t size)
{
	return CALL(fs, listxattr, path, list, size);
}

int fuse_fs_removexattr(struct fuse_fs *fs, const char *path, const char *name)
{
	return CALL(fs, removexattr, path, name);
}

int fuse_fs_bmap(struct fuse_fs *fs, const char *path, size_t blocksize, uint64_t *idx)
{
	return CALL(fs, bmap, path, blocksize, idx);
}

int fuse_fs_ioctl(struct fuse_fs *fs, const char *path, unsigned int cmd, void *arg,
                  struct fuse_file_info *fi, unsigned int flags, void *data)
{
	return CALL(fs, ioctl, path, cmd, arg, fi, flags, data);
}

int fuse_fs_poll(struct fuse_fs *fs, const char *path, struct fuse_file_info *fi,
                 struct fuse_pollhandle *ph, unsigned *reventsp)
{
	return CALL(fs, poll, path, fi, ph, reventsp);
}

int fuse_fs_fallocate(struct fuse_fs *fs, const char *path, int mode, off_t offset,
                      off_t length, struct fuse_file_info *fi)
{
	return CALL(fs, fallocate, path, mode, offset, length, fi);
}

ssize_t fuse_fs_copy_file_range(struct fuse_fs *fs, const char *path_in,
                                struct fuse_file_info *fi_in, off_t off_in,
                                const char *path_out, struct fuse_file_info *fi_out,
                                off_t off_out, size_t len, int flags)
{
	ENTER(fs);
	if (!fs->op.copy_file_range)
		return -ENOSYS;
	return fs->op.copy_file_range(path_in, fi_in, off_in, path_out, fi_out, off_out,
	                              len, flags);
}

off_t fuse_fs_lseek(struct fuse_fs *fs, const char *path, off_t off, int whence,
                    struct fuse_file_info *fi)
{
	ENTER(fs);
	return fs->op.lseek ? fs->op.lseek(path, off, whence, fi) : -ENOSYS;
}

void fuse_fs_init(struct fuse_fs *fs, struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	ENTER(fs);
	if (fs->op.init)
		fs->user_data = fs->op.init(conn, cfg);
}

/* The layer ends: its destroy op, then the layer itself (a module's
 * destroy ends the layers under it the same way). */
void fuse_fs_destroy(struct fuse_fs *fs)
{
	if (!fs)
		return;
	ENTER(fs);
	if (fs->op.destroy)
		fs->op.destroy(fs->user_data);
	void *dl = fs->dl;
	free(fs);
	(void)dl;   /* module libraries stay loaded: code may still run from them */
}

int fuse_notify_poll(struct fuse_pollhandle *ph)
{
	return fuse_lowlevel_notify_poll(ph);
}
