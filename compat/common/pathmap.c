/*
 * pathmap.c -- the path-mapping layer under libfuse's built-in modules
 * (pathmap.h): each op maps its path(s) down, calls the layer below
 * with fuse_fs_*(), and maps readdir's names and readlink's target up.
 */
#include "pathmap.h"

#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#if FUSE_USE_VERSION >= 30
#define V3 1
#else
#define V3 0
#endif

/* The ops that take a file info in libfuse 3 and none in libfuse 2. */
#if V3
#define FI_PARAM , struct fuse_file_info *fi
#define FI_ARG   , fi
typedef unsigned int ioctl_cmd_t;
#else
#define FI_PARAM
#define FI_ARG
typedef int ioctl_cmd_t;
#endif

struct layer {
	struct fbx_pathmap pm;
	struct fuse_fs *next;
};

#define LAYER() ((struct layer *)fuse_get_context()->private_data)

static int down(struct layer *l, const char *path, char **out)
{
	*out = NULL;
	return path ? l->pm.down(l->pm.m, path, out) : 0;
}

/* Run `call` (of type T) with P, the path below, and NEXT, the layer below. */
#define ONE(T, path, call) do { \
		struct layer *l_ = LAYER(); char *P; \
		int e_ = down(l_, path, &P); \
		if (e_) return e_; \
		struct fuse_fs *NEXT = l_->next; \
		T r_ = (call); \
		free(P); return r_; \
	} while (0)

/* The same with two paths, P and P2. */
#define TWO(T, p1, p2, call) do { \
		struct layer *l_ = LAYER(); char *P, *P2; \
		int e_ = down(l_, p1, &P); \
		if (e_) return e_; \
		if ((e_ = down(l_, p2, &P2))) { free(P); return e_; } \
		struct fuse_fs *NEXT = l_->next; \
		T r_ = (call); \
		free(P); free(P2); return r_; \
	} while (0)

static int pm_getattr(const char *path, struct stat *st FI_PARAM)
{ ONE(int, path, fuse_fs_getattr(NEXT, P, st FI_ARG)); }

static int pm_mknod(const char *path, mode_t mode, dev_t rdev)
{ ONE(int, path, fuse_fs_mknod(NEXT, P, mode, rdev)); }

static int pm_mkdir(const char *path, mode_t mode)
{ ONE(int, path, fuse_fs_mkdir(NEXT, P, mode)); }

static int pm_unlink(const char *path)
{ ONE(int, path, fuse_fs_unlink(NEXT, P)); }

static int pm_rmdir(const char *path)
{ ONE(int, path, fuse_fs_rmdir(NEXT, P)); }

#if V3
static int pm_rename(const char *from, const char *to, unsigned int flags)
{ TWO(int, from, to, fuse_fs_rename(NEXT, P, P2, flags)); }
#else
static int pm_rename(const char *from, const char *to)
{ TWO(int, from, to, fuse_fs_rename(NEXT, P, P2)); }
#endif

static int pm_link(const char *from, const char *to)
{ TWO(int, from, to, fuse_fs_link(NEXT, P, P2)); }

static int pm_chmod(const char *path, mode_t mode FI_PARAM)
{ ONE(int, path, fuse_fs_chmod(NEXT, P, mode FI_ARG)); }

static int pm_chown(const char *path, uid_t uid, gid_t gid FI_PARAM)
{ ONE(int, path, fuse_fs_chown(NEXT, P, uid, gid FI_ARG)); }

static int pm_truncate(const char *path, off_t size FI_PARAM)
{ ONE(int, path, fuse_fs_truncate(NEXT, P, size FI_ARG)); }

static int pm_utimens(const char *path, const struct timespec tv[2] FI_PARAM)
{ ONE(int, path, fuse_fs_utimens(NEXT, P, tv FI_ARG)); }

static int pm_open(const char *path, struct fuse_file_info *fi)
{ ONE(int, path, fuse_fs_open(NEXT, P, fi)); }

static int pm_read(const char *path, char *buf, size_t size, off_t off,
                   struct fuse_file_info *fi)
{ ONE(int, path, fuse_fs_read(NEXT, P, buf, size, off, fi)); }

static int pm_read_buf(const char *path, struct fuse_bufvec **bufp, size_t size,
                       off_t off, struct fuse_file_info *fi)
{ ONE(int, path, fuse_fs_read_buf(NEXT, P, bufp, size, off, fi)); }

static int pm_write(const char *path, const char *buf, size_t size, off_t off,
                    struct fuse_file_info *fi)
{ ONE(int, path, fuse_fs_write(NEXT, P, buf, size, off, fi)); }

static int pm_write_buf(const char *path, struct fuse_bufvec *buf, off_t off,
                        struct fuse_file_info *fi)
{ ONE(int, path, fuse_fs_write_buf(NEXT, P, buf, off, fi)); }

static int pm_statfs(const char *path, struct statvfs *st)
{ ONE(int, path, fuse_fs_statfs(NEXT, P, st)); }

static int pm_flush(const char *path, struct fuse_file_info *fi)
{ ONE(int, path, fuse_fs_flush(NEXT, P, fi)); }

static int pm_release(const char *path, struct fuse_file_info *fi)
{ ONE(int, path, fuse_fs_release(NEXT, P, fi)); }

static int pm_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{ ONE(int, path, fuse_fs_fsync(NEXT, P, datasync, fi)); }

static int pm_setxattr(const char *path, const char *name, const char *value,
                       size_t size, int flags)
{ ONE(int, path, fuse_fs_setxattr(NEXT, P, name, value, size, flags)); }

static int pm_getxattr(const char *path, const char *name, char *value, size_t size)
{ ONE(int, path, fuse_fs_getxattr(NEXT, P, name, value, size)); }

static int pm_listxattr(const char *path, char *list, size_t size)
{ ONE(int, path, fuse_fs_listxattr(NEXT, P, list, size)); }

static int pm_removexattr(const char *path, const char *name)
{ ONE(int, path, fuse_fs_removexattr(NEXT, P, name)); }

static int pm_opendir(const char *path, struct fuse_file_info *fi)
{ ONE(int, path, fuse_fs_opendir(NEXT, P, fi)); }

static int pm_releasedir(const char *path, struct fuse_file_info *fi)
{ ONE(int, path, fuse_fs_releasedir(NEXT, P, fi)); }

static int pm_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi)
{ ONE(int, path, fuse_fs_fsyncdir(NEXT, P, datasync, fi)); }

static int pm_access(const char *path, int mask)
{ ONE(int, path, fuse_fs_access(NEXT, P, mask)); }

static int pm_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{ ONE(int, path, fuse_fs_create(NEXT, P, mode, fi)); }

static int pm_lock(const char *path, struct fuse_file_info *fi, int cmd, struct flock *lk)
{ ONE(int, path, fuse_fs_lock(NEXT, P, fi, cmd, lk)); }

static int pm_flock(const char *path, struct fuse_file_info *fi, int op)
{ ONE(int, path, fuse_fs_flock(NEXT, P, fi, op)); }

static int pm_bmap(const char *path, size_t blocksize, uint64_t *idx)
{ ONE(int, path, fuse_fs_bmap(NEXT, P, blocksize, idx)); }

static int pm_ioctl(const char *path, ioctl_cmd_t cmd, void *arg, struct fuse_file_info *fi,
                    unsigned int flags, void *data)
{ ONE(int, path, fuse_fs_ioctl(NEXT, P, cmd, arg, fi, flags, data)); }

static int pm_poll(const char *path, struct fuse_file_info *fi,
                   struct fuse_pollhandle *ph, unsigned *reventsp)
{ ONE(int, path, fuse_fs_poll(NEXT, P, fi, ph, reventsp)); }

static int pm_fallocate(const char *path, int mode, off_t off, off_t len,
                        struct fuse_file_info *fi)
{ ONE(int, path, fuse_fs_fallocate(NEXT, P, mode, off, len, fi)); }

#if V3
static ssize_t pm_copy_file_range(const char *pin, struct fuse_file_info *fi_in,
                                  off_t off_in, const char *pout,
                                  struct fuse_file_info *fi_out, off_t off_out,
                                  size_t len, int flags)
{ TWO(ssize_t, pin, pout, fuse_fs_copy_file_range(NEXT, P, fi_in, off_in, P2, fi_out,
                                                   off_out, len, flags)); }

static off_t pm_lseek(const char *path, off_t off, int whence, struct fuse_file_info *fi)
{ ONE(off_t, path, fuse_fs_lseek(NEXT, P, off, whence, fi)); }
#else
static int pm_fgetattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{ ONE(int, path, fuse_fs_fgetattr(NEXT, P, st, fi)); }

static int pm_ftruncate(const char *path, off_t size, struct fuse_file_info *fi)
{ ONE(int, path, fuse_fs_ftruncate(NEXT, P, size, fi)); }
#endif

/* symlink's target is data, not a path of this mount: mapped by
 * target_down when the module has one. */
static int pm_symlink(const char *target, const char *path)
{
	struct layer *l = LAYER();
	char *t = NULL, *p;
	int e = l->pm.target_down ? l->pm.target_down(l->pm.m, target, &t) : 0;
	if (e)
		return e;
	if ((e = down(l, path, &p)) == 0)
		e = fuse_fs_symlink(l->next, t ? t : target, p);
	free(t);
	free(p);
	return e;
}

static int pm_readlink(const char *path, char *buf, size_t size)
{
	struct layer *l = LAYER();
	char *p;
	int e = down(l, path, &p);
	if (e)
		return e;
	e = fuse_fs_readlink(l->next, p, buf, size);
	free(p);
	if (e == 0 && size > 0 && path && l->pm.link_up)
		l->pm.link_up(l->pm.m, path, buf, size);
	return e;
}

/* readdir: the names below come up through name_up, then the caller's filler. */
struct dir {
	struct layer *l;
	void *buf;
	fuse_fill_dir_t fill;
};

#if V3
#define FILL_FLAGS_PARAM , enum fuse_fill_dir_flags flags
#define FILL_FLAGS_ARG   , flags
#else
#define FILL_FLAGS_PARAM
#define FILL_FLAGS_ARG
#endif

static int fill_up(void *buf, const char *name, const struct stat *st, off_t off
                   FILL_FLAGS_PARAM)
{
	struct dir *d = buf;
	char *up;
	if (d->l->pm.name_up(d->l->pm.m, name, &up) != 0)
		return 0;   /* a name the mount cannot show is left out */
	int r = d->fill(d->buf, up, st, off FILL_FLAGS_ARG);
	free(up);
	return r;
}

#if V3
static int pm_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
                      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
#define READDIR_FLAGS , flags
#else
static int pm_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
                      struct fuse_file_info *fi)
#define READDIR_FLAGS
#endif
{
	struct layer *l = LAYER();
	struct dir d = { l, buf, filler };
	char *p;
	int e = down(l, path, &p);
	if (e)
		return e;
	if (l->pm.name_up)
		e = fuse_fs_readdir(l->next, p, &d, fill_up, off, fi READDIR_FLAGS);
	else
		e = fuse_fs_readdir(l->next, p, buf, filler, off, fi READDIR_FLAGS);
	free(p);
	return e;
}

/* ---- the layer ------------------------------------------------------------ */

#if V3
static void *pm_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	struct layer *l = LAYER();
	fuse_fs_init(l->next, conn, cfg);
	return l;
}
#else
static void *pm_init(struct fuse_conn_info *conn)
{
	struct layer *l = LAYER();
	fuse_fs_init(l->next, conn);
	return l;
}
#endif

static void pm_destroy(void *private_data)
{
	struct layer *l = private_data;
	fuse_fs_destroy(l->next);
	if (l->pm.free)
		l->pm.free(l->pm.m);
	free(l);
}

/* Our ops, each where the layer below has it (as libfuse's library
 * would call the layer below for it: utimens for a 2.x utime, readdir
 * for getdir). init and destroy always: they carry the layer. */
static void ops_like(struct fuse_operations *o, const struct fuse_operations *b)
{
	memset(o, 0, sizeof(*o));
#define LIKE(op) (o->op = b->op ? pm_##op : NULL)
	LIKE(getattr); LIKE(readlink); LIKE(mknod); LIKE(mkdir); LIKE(unlink);
	LIKE(rmdir); LIKE(symlink); LIKE(rename); LIKE(link); LIKE(chmod);
	LIKE(chown); LIKE(truncate); LIKE(open); LIKE(read); LIKE(write);
	LIKE(statfs); LIKE(flush); LIKE(release); LIKE(fsync); LIKE(setxattr);
	LIKE(getxattr); LIKE(listxattr); LIKE(removexattr); LIKE(opendir);
	LIKE(releasedir); LIKE(fsyncdir); LIKE(access); LIKE(create); LIKE(lock);
	LIKE(bmap); LIKE(ioctl); LIKE(poll); LIKE(write_buf); LIKE(read_buf);
	LIKE(flock); LIKE(fallocate);
#if V3
	LIKE(readdir); LIKE(utimens); LIKE(copy_file_range); LIKE(lseek);
#else
	LIKE(fgetattr); LIKE(ftruncate);
	o->readdir = b->readdir || b->getdir ? pm_readdir : NULL;
	o->utimens = b->utimens || b->utime ? pm_utimens : NULL;
	o->flag_nullpath_ok = b->flag_nullpath_ok;
	o->flag_nopath = b->flag_nopath;
	o->flag_utime_omit_ok = b->flag_utime_omit_ok;
#endif
#undef LIKE
	o->init = pm_init;
	o->destroy = pm_destroy;
}

struct fuse_fs *fbx_pathmap_new(const struct fbx_pathmap *pm, struct fuse_fs *below)
{
	struct fuse_operations ops;
	struct layer *l = calloc(1, sizeof(*l));
	struct fuse_fs *top = NULL;
	if (l) {
		l->pm = *pm;
		l->next = below;
		ops_like(&ops, fbx_compat_fs_ops(below));
		top = fuse_fs_new(&ops, sizeof(ops), l);
	}
	if (!top) {
		fbx_compat_log("fuse: out of memory for a module\n");
		free(l);
		if (pm->free)
			pm->free(pm->m);
	}
	return top;
}
