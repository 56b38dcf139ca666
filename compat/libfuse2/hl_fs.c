/*
 * hl_fs.c -- fuse_fs_new and the fuse_fs_* calls: one layer's op, run
 * the way libfuse 2 runs it.
 *
 * Before the op runs, fuse_get_context()->private_data becomes the
 * layer's own private data, so a module and the filesystem under it
 * each see theirs. A missing op gives -ENOSYS, except where libfuse 2
 * has a fallback: open/opendir/release/releasedir succeed, statfs
 * reports an empty filesystem, fgetattr/ftruncate use the path ops,
 * utimens uses utime, readdir uses getdir, read/write move between the
 * plain and the buffer-vector forms.
 */
#include "hl.h"
#include "pathmap.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

const struct fuse_operations *fbx_compat_fs_ops(const struct fuse_fs *fs)
{
	return &fs->op;
}

struct fuse_fs *fuse_fs_new(const struct fuse_operations *op, size_t op_size,
                            void *user_data)
{
	if (op_size > sizeof(struct fuse_operations)) {
		fbx_fuse2_err("warning: library too old, some operations may not work\n");
		op_size = sizeof(struct fuse_operations);
	}
	struct fuse_fs *fs = calloc(1, sizeof(*fs));
	if (!fs) {
		fbx_fuse2_err("failed to allocate fuse_fs object\n");
		return NULL;
	}
	if (op)
		memcpy(&fs->op, op, op_size);
	fs->user_data = user_data;
	return fs;
}

/* The layer's private data becomes the context's for this call. */
#define ENTER(fs) (fbx_hl2_context()->private_data = (fs)->user_data)
#define CALL(fs, name, ...) \
	(ENTER(fs), (fs)->op.name ? (fs)->op.name(__VA_ARGS__) : -ENOSYS)

int fuse_fs_getattr(struct fuse_fs *fs, const char *path, struct stat *buf)
{
	return CALL(fs, getattr, path, buf);
}

int fuse_fs_fgetattr(struct fuse_fs *fs, const char *path, struct stat *buf,
                     struct fuse_file_info *fi)
{
	ENTER(fs);
	if (fs->op.fgetattr)
		return fs->op.fgetattr(path, buf, fi);
	if (path && fs->op.getattr)
		return fs->op.getattr(path, buf);
	return -ENOSYS;
}

int fuse_fs_rename(struct fuse_fs *fs, const char *oldpath, const char *newpath)
{
	return CALL(fs, rename, oldpath, newpath);
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

/* Free what a read_buf op handed over: the vector and its memory. */
static void free_vec(struct fuse_bufvec *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->count; i++)
		if (!(v->buf[i].flags & FUSE_BUF_IS_FD))
			free(v->buf[i].mem);
	free(v);
}

int fuse_fs_read_buf(struct fuse_fs *fs, const char *path, struct fuse_bufvec **bufp,
                     size_t size, off_t off, struct fuse_file_info *fi)
{
	ENTER(fs);
	if (fs->op.read_buf) {
		/* libfuse takes any res >= 0 from read_buf as success (Perl's
		 * Fuse returns the byte count) and returns 0 */
		int r = fs->op.read_buf(path, bufp, size, off, fi);
		return r < 0 ? r : 0;
	}
	if (!fs->op.read)
		return -ENOSYS;
	struct fuse_bufvec *v = malloc(sizeof(*v));
	void *mem = malloc(size ? size : 1);
	if (!v || !mem) {
		free(v);
		free(mem);
		return -ENOMEM;
	}
	int r = fs->op.read(path, mem, size, off, fi);
	if (r < 0) {
		free(v);
		free(mem);
		return r;
	}
	*v = FUSE_BUFVEC_INIT((size_t)r);
	v->buf[0].mem = mem;
	*bufp = v;
	return 0;
}

int fuse_fs_read(struct fuse_fs *fs, const char *path, char *buf, size_t size,
                 off_t off, struct fuse_file_info *fi)
{
	ENTER(fs);
	if (!fs->op.read_buf)
		return fs->op.read ? fs->op.read(path, buf, size, off, fi) : -ENOSYS;
	struct fuse_bufvec *v = NULL;
	int r = fs->op.read_buf(path, &v, size, off, fi);
	/* success is any r >= 0, as in libfuse: the data is the vector's */
	if (r >= 0 && v) {
		struct fuse_bufvec dst = FUSE_BUFVEC_INIT(size);
		dst.buf[0].mem = buf;
		ssize_t n = fuse_buf_copy(&dst, v, 0);
		r = (int)n;
	} else if (r >= 0) {
		r = 0;
	}
	free_vec(v);
	return r;
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
	if (buf->count == 1 && buf->idx == 0 && buf->off == 0 &&
	    !(buf->buf[0].flags & FUSE_BUF_IS_FD))
		return fs->op.write(path, buf->buf[0].mem, size, off, fi);
	struct fuse_bufvec mem = FUSE_BUFVEC_INIT(size);
	mem.buf[0].mem = malloc(size ? size : 1);
	if (!mem.buf[0].mem)
		return -ENOMEM;
	ssize_t n = fuse_buf_copy(&mem, buf, 0);
	int r = n < 0 ? (int)n : fs->op.write(path, mem.buf[0].mem, (size_t)n, off, fi);
	free(mem.buf[0].mem);
	return r;
}

int fuse_fs_write(struct fuse_fs *fs, const char *path, const char *buf,
                  size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fuse_bufvec v = FUSE_BUFVEC_INIT(size);
	v.buf[0].mem = (void *)buf;
	return fuse_fs_write_buf(fs, path, &v, off, fi);
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
	buf->f_namemax = 255;
	buf->f_bsize = 512;
	return 0;
}

/* getdir's filler onto readdir's. */
struct fuse_dirhandle {
	void *buf;
	fuse_fill_dir_t filler;
};

static int getdir_fill(fuse_dirh_t h, const char *name, int type, ino_t ino)
{
	struct stat st;
	memset(&st, 0, sizeof(st));
	st.st_mode = (mode_t)type << 12;
	st.st_ino = ino;
	return h->filler(h->buf, name, &st, 0) ? -ENOMEM : 0;
}

int fuse_fs_readdir(struct fuse_fs *fs, const char *path, void *buf,
                    fuse_fill_dir_t filler, off_t off, struct fuse_file_info *fi)
{
	ENTER(fs);
	if (fs->op.readdir)
		return fs->op.readdir(path, buf, filler, off, fi);
	if (fs->op.getdir) {
		struct fuse_dirhandle h = { buf, filler };
		return fs->op.getdir(path, &h, getdir_fill);
	}
	return -ENOSYS;
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

int fuse_fs_chmod(struct fuse_fs *fs, const char *path, mode_t mode)
{
	return CALL(fs, chmod, path, mode);
}

int fuse_fs_chown(struct fuse_fs *fs, const char *path, uid_t uid, gid_t gid)
{
	return CALL(fs, chown, path, uid, gid);
}

int fuse_fs_truncate(struct fuse_fs *fs, const char *path, off_t size)
{
	return CALL(fs, truncate, path, size);
}

int fuse_fs_ftruncate(struct fuse_fs *fs, const char *path, off_t size,
                      struct fuse_file_info *fi)
{
	ENTER(fs);
	if (fs->op.ftruncate)
		return fs->op.ftruncate(path, size, fi);
	if (path && fs->op.truncate)
		return fs->op.truncate(path, size);
	return -ENOSYS;
}

int fuse_fs_utimens(struct fuse_fs *fs, const char *path, const struct timespec tv[2])
{
	ENTER(fs);
	if (fs->op.utimens)
		return fs->op.utimens(path, tv);
	if (fs->op.utime) {
		struct utimbuf b = { .actime = tv[0].tv_sec, .modtime = tv[1].tv_sec };
		return fs->op.utime(path, &b);
	}
	return -ENOSYS;
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

int fuse_fs_fallocate(struct fuse_fs *fs, const char *path, int mode, off_t offset,
                      off_t length, struct fuse_file_info *fi)
{
	return CALL(fs, fallocate, path, mode, offset, length, fi);
}

int fuse_fs_ioctl(struct fuse_fs *fs, const char *path, int cmd, void *arg,
                  struct fuse_file_info *fi, unsigned int flags, void *data)
{
	return CALL(fs, ioctl, path, cmd, arg, fi, flags, data);
}

int fuse_fs_poll(struct fuse_fs *fs, const char *path, struct fuse_file_info *fi,
                 struct fuse_pollhandle *ph, unsigned *reventsp)
{
	return CALL(fs, poll, path, fi, ph, reventsp);
}

int fuse_notify_poll(struct fuse_pollhandle *ph)
{
	return fuse_lowlevel_notify_poll(ph);
}

void fuse_fs_init(struct fuse_fs *fs, struct fuse_conn_info *conn)
{
	ENTER(fs);
	if (fs->op.init)
		fs->user_data = fs->op.init(conn);
}

/* As libfuse 2: the layer is freed after its destroy op. */
void fuse_fs_destroy(struct fuse_fs *fs)
{
	if (!fs)
		return;
	ENTER(fs);
	if (fs->op.destroy)
		fs->op.destroy(fs->user_data);
	free(fs);
}
