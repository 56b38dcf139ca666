/*
 * old_hl.c -- the 1.x .. 2.5 high-level API (fuse_compat.h) on the 2.9
 * one: each old struct fuse_operations form becomes a 2.9 struct whose
 * callbacks are the program's own where the signature did not change,
 * and small translations where it did:
 *   2.5  init takes no connection info
 *   2.2  also: the 2.4 file info (struct fuse_file_info_compat), statfs
 *        as a struct statfs
 *   2.1  no file info at all (open/release get the flags), getdir's
 *        filler without inode numbers, no init/destroy
 *   1.x  as 2.1, without flush and xattrs, statfs as
 *        struct fuse_statfs_compat1
 * The translations find the program's old callbacks in struct fuse
 * (f->old) through fuse_get_context(), which every callback runs in.
 *
 * The filesystem is made on the descriptor of the old mount calls
 * (old_mount.c) as a fuse_kern_chan_new channel; fuse_teardown_compat22
 * unmounts by path.
 */
#include "hl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct fbx_fuse2_old_hl *old(void)
{
	return fuse_get_context()->fuse->old;
}

/* ---- 2.5: init without connection info ------------------------------------- */

static void *init_old(struct fuse_conn_info *conn)
{
	return old()->init();
}

/* The 2.5 struct is the 2.9 one up to fgetattr, bar init's argument. */
static void ops_from25(struct fuse_operations *op, struct fbx_fuse2_old_hl *o,
                       const struct fuse_operations_compat25 *p)
{
#define SAME(name) op->name = p->name
	SAME(getattr); SAME(readlink); SAME(getdir); SAME(mknod); SAME(mkdir);
	SAME(unlink); SAME(rmdir); SAME(symlink); SAME(rename); SAME(link);
	SAME(chmod); SAME(chown); SAME(truncate); SAME(utime); SAME(open);
	SAME(read); SAME(write); SAME(statfs); SAME(flush); SAME(release);
	SAME(fsync); SAME(setxattr); SAME(getxattr); SAME(listxattr);
	SAME(removexattr); SAME(opendir); SAME(readdir); SAME(releasedir);
	SAME(fsyncdir); SAME(destroy); SAME(access); SAME(create);
	SAME(ftruncate); SAME(fgetattr);
#undef SAME
	o->init = p->init;
	if (p->init)
		op->init = init_old;
}

/* ---- 2.2: the 2.4 file info, struct statfs ------------------------------ */

static void fi_old(struct fuse_file_info_compat *o, const struct fuse_file_info *fi)
{
	memset(o, 0, sizeof(*o));
	o->flags = fi->flags;
	o->fh = (unsigned long)fi->fh;
	o->writepage = fi->writepage;
	o->direct_io = fi->direct_io;
	o->keep_cache = fi->keep_cache;
}

/* What the op may answer: the handle and the cache choices. */
static void fi_back(struct fuse_file_info *fi, const struct fuse_file_info_compat *o)
{
	fi->fh = o->fh;
	fi->fh_old = o->fh;
	fi->direct_io = o->direct_io;
	fi->keep_cache = o->keep_cache;
}

/* Call a 2.2 op with the file info as o_, and copy its answer back. */
#define WITH_FI(call) do { \
		struct fuse_file_info_compat o_; \
		fi_old(&o_, fi); \
		int r_ = (call); \
		fi_back(fi, &o_); \
		return r_; \
	} while (0)
#define O22 (old()->o22)

static int open22(const char *path, struct fuse_file_info *fi)
{
	WITH_FI(O22.open(path, &o_));
}

static int read22(const char *path, char *buf, size_t size, off_t off,
                  struct fuse_file_info *fi)
{
	WITH_FI(O22.read(path, buf, size, off, &o_));
}

static int write22(const char *path, const char *buf, size_t size, off_t off,
                   struct fuse_file_info *fi)
{
	WITH_FI(O22.write(path, buf, size, off, &o_));
}

static int flush22(const char *path, struct fuse_file_info *fi)
{
	WITH_FI(O22.flush(path, &o_));
}

static int release22(const char *path, struct fuse_file_info *fi)
{
	WITH_FI(O22.release(path, &o_));
}

static int fsync22(const char *path, int datasync, struct fuse_file_info *fi)
{
	WITH_FI(O22.fsync(path, datasync, &o_));
}

static int opendir22(const char *path, struct fuse_file_info *fi)
{
	WITH_FI(O22.opendir(path, &o_));
}

static int readdir22(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
                     struct fuse_file_info *fi)
{
	WITH_FI(O22.readdir(path, buf, filler, off, &o_));
}

static int releasedir22(const char *path, struct fuse_file_info *fi)
{
	WITH_FI(O22.releasedir(path, &o_));
}

static int fsyncdir22(const char *path, int datasync, struct fuse_file_info *fi)
{
	WITH_FI(O22.fsyncdir(path, datasync, &o_));
}

static int statfs22(const char *path, struct statvfs *st)
{
	struct statfs s;
	memset(&s, 0, sizeof(s));
	int r = O22.statfs(path, &s);
	if (r == 0)
		fbx_fuse2_statfs_vfs(st, &s);
	return r;
}

static void ops_from22(struct fuse_operations *op, struct fbx_fuse2_old_hl *o,
                       const struct fuse_operations_compat22 *p)
{
#define SAME(name) op->name = p->name
#define OLD(name) if (p->name) op->name = name##22
	SAME(getattr); SAME(readlink); SAME(getdir); SAME(mknod); SAME(mkdir);
	SAME(unlink); SAME(rmdir); SAME(symlink); SAME(rename); SAME(link);
	SAME(chmod); SAME(chown); SAME(truncate); SAME(utime);
	SAME(setxattr); SAME(getxattr); SAME(listxattr); SAME(removexattr);
	SAME(destroy);
	OLD(open); OLD(read); OLD(write); OLD(statfs); OLD(flush); OLD(release);
	OLD(fsync); OLD(opendir); OLD(readdir); OLD(releasedir); OLD(fsyncdir);
#undef OLD
#undef SAME
	o->o22 = *p;
	o->init = p->init;
	if (p->init)
		op->init = init_old;
}

/* ---- 2.1 and 1.x: no file info, getdir without inode numbers ------------------- */

#define O2 (old()->o2)

/* getdir's filler of 2.1: the same call with no inode number. */
struct dirh2 {
	fuse_dirh_t h;
	fuse_dirfil_t fill;
};

static int fill2(fuse_dirh_t h, const char *name, int type)
{
	struct dirh2 *d = (struct dirh2 *)h;
	return d->fill(d->h, name, type, 0);
}

static int getdir2(const char *path, fuse_dirh_t h, fuse_dirfil_t fill)
{
	struct dirh2 d = { h, fill };
	return O2.getdir(path, (fuse_dirh_t)&d, fill2);
}

static int open2(const char *path, struct fuse_file_info *fi)
{
	return O2.open(path, fi->flags);
}

static int read2(const char *path, char *buf, size_t size, off_t off,
                 struct fuse_file_info *fi)
{
	return O2.read(path, buf, size, off);
}

static int write2(const char *path, const char *buf, size_t size, off_t off,
                  struct fuse_file_info *fi)
{
	return O2.write(path, buf, size, off);
}

static int flush2(const char *path, struct fuse_file_info *fi)
{
	return O2.flush(path);
}

static int release2(const char *path, struct fuse_file_info *fi)
{
	return O2.release(path, fi->flags);
}

static int fsync2(const char *path, int datasync, struct fuse_file_info *fi)
{
	return O2.fsync(path, datasync);
}

static int statfs2(const char *path, struct statvfs *st)
{
	struct statfs s;
	memset(&s, 0, sizeof(s));
	int r = O2.statfs(path, &s);
	if (r == 0)
		fbx_fuse2_statfs_vfs(st, &s);
	return r;
}

/* 1.x: no path, and its own record. */
static int statfs1(const char *path, struct statvfs *st)
{
	struct fuse_statfs_compat1 s;
	memset(&s, 0, sizeof(s));
	int r = old()->statfs1(&s);
	if (r == 0) {
		memset(st, 0, sizeof(*st));
		st->f_bsize = st->f_frsize = (unsigned long)s.block_size;
		st->f_blocks = (fsblkcnt_t)s.blocks;
		st->f_bfree = st->f_bavail = (fsblkcnt_t)s.blocks_free;
		st->f_files = (fsfilcnt_t)s.files;
		st->f_ffree = st->f_favail = (fsfilcnt_t)s.files_free;
		st->f_namemax = (unsigned long)s.namelen;
	}
	return r;
}

static void ops_from2(struct fuse_operations *op, const struct fuse_operations_compat2 *p)
{
#define SAME(name) op->name = p->name
#define OLD(name) if (p->name) op->name = name##2
	SAME(getattr); SAME(readlink); SAME(mknod); SAME(mkdir); SAME(unlink);
	SAME(rmdir); SAME(symlink); SAME(rename); SAME(link); SAME(chmod);
	SAME(chown); SAME(truncate); SAME(utime);
	SAME(setxattr); SAME(getxattr); SAME(listxattr); SAME(removexattr);
	OLD(getdir); OLD(open); OLD(read); OLD(write); OLD(statfs); OLD(flush);
	OLD(release); OLD(fsync);
#undef OLD
#undef SAME
}

/* 1.x's ops are 2.1's without flush and xattrs, and another statfs. */
static void ops_from1(struct fuse_operations *op, struct fbx_fuse2_old_hl *o,
                      const struct fuse_operations_compat1 *p)
{
	struct fuse_operations_compat2 *q = &o->o2;
#define SAME(name) q->name = p->name
	SAME(getattr); SAME(readlink); SAME(getdir); SAME(mknod); SAME(mkdir);
	SAME(unlink); SAME(rmdir); SAME(symlink); SAME(rename); SAME(link);
	SAME(chmod); SAME(chown); SAME(truncate); SAME(utime); SAME(open);
	SAME(read); SAME(write); SAME(release); SAME(fsync);
#undef SAME
	ops_from2(op, q);
	o->statfs1 = p->statfs;
	if (p->statfs)
		op->statfs = statfs1;
}

/* A shorter struct from an older program: zero beyond op_size. */
#define COPY_OPS(dst, src, op_size) do { \
		memset(&(dst), 0, sizeof(dst)); \
		if (src) \
			memcpy(&(dst), (src), (op_size) < sizeof(dst) ? (op_size) : sizeof(dst)); \
	} while (0)

/* The 2.9 ops for each old form, and the old callbacks they call: NULL
 * after a message (no memory). */
static struct fbx_fuse2_old_hl *old_new(struct fuse_operations *ops)
{
	struct fbx_fuse2_old_hl *o = calloc(1, sizeof(*o));
	if (!o)
		fbx_fuse2_err("failed to allocate fuse object\n");
	memset(ops, 0, sizeof(*ops));
	return o;
}

static struct fbx_fuse2_old_hl *make25(struct fuse_operations *ops,
                                       const struct fuse_operations_compat25 *op,
                                       size_t op_size)
{
	struct fuse_operations_compat25 p;
	struct fbx_fuse2_old_hl *o = old_new(ops);
	COPY_OPS(p, op, op_size);
	if (o)
		ops_from25(ops, o, &p);
	return o;
}

static struct fbx_fuse2_old_hl *make22(struct fuse_operations *ops,
                                       const struct fuse_operations_compat22 *op,
                                       size_t op_size)
{
	struct fuse_operations_compat22 p;
	struct fbx_fuse2_old_hl *o = old_new(ops);
	COPY_OPS(p, op, op_size);
	if (o)
		ops_from22(ops, o, &p);
	return o;
}

static struct fbx_fuse2_old_hl *make2(struct fuse_operations *ops,
                                      const struct fuse_operations_compat2 *op)
{
	struct fbx_fuse2_old_hl *o = old_new(ops);
	if (o) {
		COPY_OPS(o->o2, op, sizeof(*op));
		ops_from2(ops, &o->o2);
	}
	return o;
}

static struct fbx_fuse2_old_hl *make1(struct fuse_operations *ops,
                                      const struct fuse_operations_compat1 *op)
{
	struct fuse_operations_compat1 p;
	struct fbx_fuse2_old_hl *o = old_new(ops);
	COPY_OPS(p, op, sizeof(p));
	if (o)
		ops_from1(ops, o, &p);
	return o;
}

/* ---- the filesystem on a descriptor ---------------------------------------------- */

/* fuse_new on descriptor fd with ops (translations calling o's
 * callbacks); o becomes the filesystem's, or is freed. NULL o: a
 * message was given. */
static struct fuse *new_on_fd(int fd, struct fuse_args *args,
                              const struct fuse_operations *ops, struct fbx_fuse2_old_hl *o)
{
	struct fuse_chan *ch = o ? fuse_kern_chan_new(fd) : NULL;
	struct fuse *f = ch ? fuse_new(ch, args, ops, sizeof(*ops), NULL) : NULL;
	if (!f) {
		if (ch)
			fuse_chan_destroy(ch);   /* not the descriptor: the caller's */
		free(o);
		return NULL;
	}
	f->old = o;
	return f;
}

/* The same with the "-o opts" string of the 2.2 and older calls. */
static struct fuse *new_on_fd_opts(int fd, const char *opts,
                                   const struct fuse_operations *ops,
                                   struct fbx_fuse2_old_hl *o)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse *f = NULL;
	if (fbx_fuse2_opts_args(&args, opts) == 0)
		f = new_on_fd(fd, &args, ops, o);
	else
		free(o);
	fuse_opt_free_args(&args);
	return f;
}

FBX_SYMVER("fuse_new@FUSE_2.5")
struct fuse *fuse_new_compat25(int fd, struct fuse_args *args,
                               const struct fuse_operations_compat25 *op, size_t op_size)
{
	struct fuse_operations ops;
	struct fbx_fuse2_old_hl *o = make25(&ops, op, op_size);
	return new_on_fd(fd, args, &ops, o);
}

FBX_SYMVER("fuse_new@FUSE_2.2")
struct fuse *fuse_new_compat22(int fd, const char *opts,
                               const struct fuse_operations_compat22 *op, size_t op_size)
{
	struct fuse_operations ops;
	struct fbx_fuse2_old_hl *o = make22(&ops, op, op_size);
	return new_on_fd_opts(fd, opts, &ops, o);
}

FBX_SYMVER("fuse_new@")
struct fuse *fuse_new_compat2(int fd, const char *opts,
                              const struct fuse_operations_compat2 *op)
{
	struct fuse_operations ops;
	struct fbx_fuse2_old_hl *o = make2(&ops, op);
	return new_on_fd_opts(fd, opts, &ops, o);
}

struct fuse *fuse_new_compat1(int fd, int flags, const struct fuse_operations_compat1 *op)
{
	struct fuse_operations ops;
	struct fbx_fuse2_old_hl *o = make1(&ops, op);
	return new_on_fd_opts(fd, flags & FUSE_DEBUG_COMPAT1 ? "debug" : NULL, &ops, o);
}

/* ---- setup, main, teardown -------------------------------------------------- */

/* fuse_setup for the old forms: *fd gets the mounted descriptor. */
static struct fuse *old_setup(int argc, char *argv[], const struct fuse_operations *ops,
                              struct fbx_fuse2_old_hl *o, char **mountpoint,
                              int *multithreaded, int *fd)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse *f = NULL;
	int foreground, mfd = -1;
	*mountpoint = NULL;
	if (o && fuse_parse_cmdline(&args, mountpoint, multithreaded, &foreground) == 0)
		mfd = fuse_mount_compat25(*mountpoint, &args);
	if (mfd >= 0)
		f = new_on_fd(mfd, &args, ops, o);
	else
		free(o);
	if (mfd >= 0 && !f) {
		close(mfd);
		fuse_unmount_compat22(*mountpoint);
	}
	if (f && (fuse_daemonize(foreground) == -1 ||
	          fuse_set_signal_handlers(fuse_get_session(f)) == -1)) {
		fuse_teardown_compat22(f, mfd, *mountpoint);
		*mountpoint = NULL;
		f = NULL;
	}
	fuse_opt_free_args(&args);
	if (!f) {
		free(*mountpoint);
		*mountpoint = NULL;
	} else if (fd) {
		*fd = mfd;
	}
	return f;
}

static int old_main(int argc, char *argv[], const struct fuse_operations *ops,
                    struct fbx_fuse2_old_hl *o)
{
	char *mountpoint;
	int multithreaded, fd;
	struct fuse *f = old_setup(argc, argv, ops, o, &mountpoint, &multithreaded, &fd);
	if (!f)
		return 1;
	int r = multithreaded ? fuse_loop_mt(f) : fuse_loop(f);
	fuse_teardown_compat22(f, fd, mountpoint);
	return r == -1 ? 1 : 0;
}

/* Handlers off, unmount by path (nobody owns the mount), then the
 * filesystem (which closes the descriptor it served). Also 2.1's
 * __fuse_teardown, which pairs with __fuse_setup (fuse_setup_compat2):
 * the same fd form. (libfuse 2.9 binds the 2.6 fuse_teardown there,
 * whose second argument is the mount point: such a call cannot work.) */
FBX_SYMVER("fuse_teardown@FUSE_2.2") FBX_SYMVER("__fuse_teardown@")
void fuse_teardown_compat22(struct fuse *fuse, int fd, char *mountpoint)
{
	fuse_remove_signal_handlers(fuse_get_session(fuse));
	fuse_unmount_compat22(mountpoint);
	fuse_destroy(fuse);
	free(mountpoint);
}

FBX_SYMVER("fuse_setup@FUSE_2.5")
struct fuse *fuse_setup_compat25(int argc, char *argv[],
                                 const struct fuse_operations_compat25 *op,
                                 size_t op_size, char **mountpoint,
                                 int *multithreaded, int *fd)
{
	struct fuse_operations ops;
	struct fbx_fuse2_old_hl *o = make25(&ops, op, op_size);
	return old_setup(argc, argv, &ops, o, mountpoint, multithreaded, fd);
}

FBX_SYMVER("fuse_setup@FUSE_2.2")
struct fuse *fuse_setup_compat22(int argc, char *argv[],
                                 const struct fuse_operations_compat22 *op,
                                 size_t op_size, char **mountpoint,
                                 int *multithreaded, int *fd)
{
	struct fuse_operations ops;
	struct fbx_fuse2_old_hl *o = make22(&ops, op, op_size);
	return old_setup(argc, argv, &ops, o, mountpoint, multithreaded, fd);
}

FBX_SYMVER("__fuse_setup@")
struct fuse *fuse_setup_compat2(int argc, char *argv[],
                                const struct fuse_operations_compat2 *op,
                                char **mountpoint, int *multithreaded, int *fd)
{
	struct fuse_operations ops;
	struct fbx_fuse2_old_hl *o = make2(&ops, op);
	return old_setup(argc, argv, &ops, o, mountpoint, multithreaded, fd);
}

FBX_SYMVER("fuse_main_real@FUSE_2.5")
int fuse_main_real_compat25(int argc, char *argv[],
                            const struct fuse_operations_compat25 *op, size_t op_size)
{
	struct fuse_operations ops;
	struct fbx_fuse2_old_hl *o = make25(&ops, op, op_size);
	return old_main(argc, argv, &ops, o);
}

FBX_SYMVER("fuse_main_real@FUSE_2.2")
int fuse_main_real_compat22(int argc, char *argv[],
                            const struct fuse_operations_compat22 *op, size_t op_size)
{
	struct fuse_operations ops;
	struct fbx_fuse2_old_hl *o = make22(&ops, op, op_size);
	return old_main(argc, argv, &ops, o);
}

FBX_SYMVER("fuse_main@")
int fuse_main_compat2(int argc, char *argv[], const struct fuse_operations_compat2 *op)
{
	struct fuse_operations ops;
	struct fbx_fuse2_old_hl *o = make2(&ops, op);
	return old_main(argc, argv, &ops, o);
}

void fuse_main_compat1(int argc, char *argv[], const struct fuse_operations_compat1 *op)
{
	struct fuse_operations ops;
	struct fbx_fuse2_old_hl *o = make1(&ops, op);
	old_main(argc, argv, &ops, o);
}

/* fuse_main@FUSE_2.2 was never a function (fuse.h's fuse_main is a
 * macro): a binary that binds it gets an error, not a crash. */
int (fuse_main)(void);
int (fuse_main)(void)
{
	fbx_fuse2_err("fuse_main(): no such function in libfuse 2 (fuse.h's fuse_main "
	              "macro calls fuse_main_real); nothing mounted\n");
	return -1;
}

/* ---- the 1.x names (version Base) of 2.x calls ---------------------------------- */

/* __fuse_read_cmd, __fuse_process_cmd, __fuse_loop_mt, __fuse_exited and
 * __fuse_set_getcontext_func are symver names on the 2.2 calls (raw.c,
 * hl_run.c, hl_context.c); __fuse_setup and __fuse_teardown are those of
 * fuse_setup_compat2 and fuse_teardown_compat22. */
