/*
 * old_fs.c -- a small read-only filesystem written to libfuse's older
 * high-level APIs, built at FUSE_USE_VERSION 21, 22 or 25 (the test
 * builds it against fusebox's headers and against Debian's):
 *   /hello  fixed text, read through the handle open set (fh 42)
 *   /ctx    "init ran" when init's result is the context's private
 *           data (2.2, 2.5; 2.1 has no init: "no init")
 * Listing by getdir (2.1: its filler without inode numbers; 2.2) or
 * readdir (2.5); statfs in each version's record.
 *   old_fs [fuse options] MOUNTPOINT   fuse_main
 *   old_fs steps MOUNTPOINT            fuse_mount, fuse_new, fuse_loop,
 *                                      fuse_unmount, fuse_destroy
 *                                      (-o fsname=oldsteps)
 */
#include <fuse.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

static const char hello[] = "hello, old API\n";
static int marker;

static const char *ctx_text(void)
{
	return fuse_get_context()->private_data == &marker ? "init ran\n" : "no init\n";
}

static const char *text_of(const char *path)
{
	if (strcmp(path, "/hello") == 0)
		return hello;
	if (strcmp(path, "/ctx") == 0)
		return ctx_text();
	return NULL;
}

static int o_getattr(const char *path, struct stat *st)
{
	const char *t = text_of(path);
	memset(st, 0, sizeof(*st));
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (!t)
		return -ENOENT;
	st->st_mode = S_IFREG | 0444;
	st->st_nlink = 1;
	st->st_size = (off_t)strlen(t);
	return 0;
}

static int copy_out(const char *t, char *buf, size_t size, off_t off)
{
	size_t len = strlen(t);
	if ((size_t)off >= len)
		return 0;
	if (size > len - (size_t)off)
		size = len - (size_t)off;
	memcpy(buf, t + off, size);
	return (int)size;
}

#if FUSE_USE_VERSION >= 22
static int o_open(const char *path, struct fuse_file_info *fi)
{
	if (!text_of(path))
		return -ENOENT;
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	fi->fh = 42;
	return 0;
}

static int o_read(const char *path, char *buf, size_t size, off_t off,
                  struct fuse_file_info *fi)
{
	if (fi->fh != 42)
		return -EBADF;   /* the handle open set did not come back */
	return copy_out(text_of(path), buf, size, off);
}

static void *o_init(void)
{
	return &marker;
}

static void o_destroy(void *data)
{
	fprintf(stderr, "destroy %s\n", data == &marker ? "gets init's result" : "gets another");
}
#else
static int o_open(const char *path, int flags)
{
	if (!text_of(path))
		return -ENOENT;
	return (flags & O_ACCMODE) == O_RDONLY ? 0 : -EACCES;
}

static int o_read(const char *path, char *buf, size_t size, off_t off)
{
	return copy_out(text_of(path), buf, size, off);
}
#endif

#if FUSE_USE_VERSION >= 25
static int o_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
                     struct fuse_file_info *fi)
{
	(void)off; (void)fi;
	if (strcmp(path, "/") != 0)
		return -ENOENT;
	fill(buf, ".", NULL, 0);
	fill(buf, "..", NULL, 0);
	fill(buf, "hello", NULL, 0);
	fill(buf, "ctx", NULL, 0);
	return 0;
}

static int o_statfs(const char *path, struct statvfs *st)
{
	(void)path;
	memset(st, 0, sizeof(*st));
	st->f_bsize = 2048;
	st->f_frsize = 2048;
	st->f_blocks = 1000;
	st->f_bfree = 500;
	st->f_bavail = 400;
	st->f_files = 77;
	st->f_ffree = 33;
	st->f_namemax = 200;
	return 0;
}
#else
static int o_getdir(const char *path, fuse_dirh_t h, fuse_dirfil_t fill)
{
	if (strcmp(path, "/") != 0)
		return -ENOENT;
	/* 2.2's filler takes an inode number, 2.1's does not */
# if FUSE_USE_VERSION == 22
#  define FILL(name, type) fill(h, name, type, 0)
# else
#  define FILL(name, type) fill(h, name, type)
# endif
	FILL(".", DT_DIR);
	FILL("..", DT_DIR);
	FILL("hello", DT_REG);
	FILL("ctx", DT_REG);
	return 0;
}

static int o_statfs(const char *path, struct statfs *st)
{
	(void)path;
	memset(st, 0, sizeof(*st));
	st->f_bsize = 2048;
	st->f_blocks = 1000;
	st->f_bfree = 500;
	st->f_bavail = 400;
	st->f_files = 77;
	st->f_ffree = 33;
	st->f_namelen = 200;
	return 0;
}
#endif

static struct fuse_operations ops;

static int steps(const char *mnt)
{
#if FUSE_USE_VERSION >= 25
	char *av[] = { "old_fs", "-o", "fsname=oldsteps", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, av);
	int fd = fuse_mount(mnt, &args);
	struct fuse *f = fd < 0 ? NULL : fuse_new(fd, &args, &ops, sizeof(ops));
#elif FUSE_USE_VERSION == 22
	int fd = fuse_mount(mnt, "fsname=oldsteps");
	struct fuse *f = fd < 0 ? NULL : fuse_new(fd, NULL, &ops, sizeof(ops));
#else
	int fd = fuse_mount(mnt, "fsname=oldsteps");
	struct fuse *f = fd < 0 ? NULL : fuse_new(fd, NULL, &ops);
#endif
	if (!f) {
		fprintf(stderr, "old_fs: mount or fuse_new failed\n");
		return 1;
	}
	int r = fuse_loop(f);
	fuse_unmount(mnt);
	fuse_destroy(f);
	return r == 0 ? 0 : 1;
}

int main(int argc, char *argv[])
{
	ops.getattr = o_getattr;
	ops.open = o_open;
	ops.read = o_read;
	ops.statfs = o_statfs;
#if FUSE_USE_VERSION >= 25
	ops.readdir = o_readdir;
#else
	ops.getdir = o_getdir;
#endif
#if FUSE_USE_VERSION >= 22
	ops.init = o_init;
	ops.destroy = o_destroy;
#endif
	if (argc == 3 && strcmp(argv[1], "steps") == 0)
		return steps(argv[2]);
	return fuse_main(argc, argv, &ops);
}
