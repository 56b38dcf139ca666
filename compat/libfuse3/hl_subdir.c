/*
 * hl_subdir.c -- the "subdir" module: every path the layer below sees
 * is prefixed with a directory (-o subdir=DIR, required), so a
 * filesystem can be mounted from one of its subtrees. -o rellinks makes
 * readlink answer absolute targets inside DIR relative to the link (so
 * they stay inside the mount); norellinks (the default) leaves them.
 *
 * The layer offers exactly the ops of the layer below it, so what the
 * library does for a missing op (the kernel's own locks, no flush) is
 * the same with and without the module.
 */
#include "hl.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct subdir {
	char *base;        /* DIR with a trailing '/' (or "" for the cwd) */
	size_t baselen;
	int rellinks;
	struct fuse_fs *next;
};

#define SD() ((struct subdir *)fuse_get_context()->private_data)

/* base + path without its leading '/'; NULL stays NULL (nullpath_ok).
 * 0 or -ENOMEM. */
static int add_base(const struct subdir *d, const char *path, char **out)
{
	*out = NULL;
	if (!path)
		return 0;
	while (*path == '/')
		path++;
	size_t n = strlen(path);
	char *p = malloc(d->baselen + n + 2);
	if (!p)
		return -ENOMEM;
	memcpy(p, d->base, d->baselen);
	memcpy(p + d->baselen, path, n + 1);
	if (!p[0])
		strcpy(p, ".");
	*out = p;
	return 0;
}

/* Run `call` with `np` as the path below; the result is the call's. */
#define WITH_PATH(path, np, call) do { \
		struct subdir *d_ = SD(); char *np; \
		int e_ = add_base(d_, path, &np); \
		if (e_) return e_; \
		struct fuse_fs *next = d_->next; (void)next; \
		int r_ = (call); \
		free(np); return r_; \
	} while (0)

#define WITH_PATHS(p1, n1, p2, n2, call) do { \
		struct subdir *d_ = SD(); char *n1, *n2; \
		int e_ = add_base(d_, p1, &n1); \
		if (e_) return e_; \
		e_ = add_base(d_, p2, &n2); \
		if (e_) { free(n1); return e_; } \
		struct fuse_fs *next = d_->next; \
		int r_ = (call); \
		free(n1); free(n2); return r_; \
	} while (0)

static int sd_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{ WITH_PATH(path, np, fuse_fs_getattr(next, np, st, fi)); }

static int sd_mknod(const char *path, mode_t mode, dev_t rdev)
{ WITH_PATH(path, np, fuse_fs_mknod(next, np, mode, rdev)); }

static int sd_mkdir(const char *path, mode_t mode)
{ WITH_PATH(path, np, fuse_fs_mkdir(next, np, mode)); }

static int sd_unlink(const char *path)
{ WITH_PATH(path, np, fuse_fs_unlink(next, np)); }

static int sd_rmdir(const char *path)
{ WITH_PATH(path, np, fuse_fs_rmdir(next, np)); }

static int sd_symlink(const char *target, const char *path)
{ WITH_PATH(path, np, fuse_fs_symlink(next, target, np)); }

static int sd_rename(const char *from, const char *to, unsigned int flags)
{ WITH_PATHS(from, nf, to, nt, fuse_fs_rename(next, nf, nt, flags)); }

static int sd_link(const char *from, const char *to)
{ WITH_PATHS(from, nf, to, nt, fuse_fs_link(next, nf, nt)); }

static int sd_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{ WITH_PATH(path, np, fuse_fs_chmod(next, np, mode, fi)); }

static int sd_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{ WITH_PATH(path, np, fuse_fs_chown(next, np, uid, gid, fi)); }

static int sd_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{ WITH_PATH(path, np, fuse_fs_truncate(next, np, size, fi)); }

static int sd_open(const char *path, struct fuse_file_info *fi)
{ WITH_PATH(path, np, fuse_fs_open(next, np, fi)); }

static int sd_read(const char *path, char *buf, size_t size, off_t off,
                   struct fuse_file_info *fi)
{ WITH_PATH(path, np, fuse_fs_read(next, np, buf, size, off, fi)); }

static int sd_read_buf(const char *path, struct fuse_bufvec **bufp, size_t size,
                       off_t off, struct fuse_file_info *fi)
{ WITH_PATH(path, np, fuse_fs_read_buf(next, np, bufp, size, off, fi)); }

static int sd_write(const char *path, const char *buf, size_t size, off_t off,
                    struct fuse_file_info *fi)
{ WITH_PATH(path, np, fuse_fs_write(next, np, buf, size, off, fi)); }

static int sd_write_buf(const char *path, struct fuse_bufvec *buf, off_t off,
                        struct fuse_file_info *fi)
{ WITH_PATH(path, np, fuse_fs_write_buf(next, np, buf, off, fi)); }

static int sd_statfs(const char *path, struct statvfs *st)
{ WITH_PATH(path, np, fuse_fs_statfs(next, np, st)); }

static int sd_flush(const char *path, struct fuse_file_info *fi)
{ WITH_PATH(path, np, fuse_fs_flush(next, np, fi)); }

static int sd_release(const char *path, struct fuse_file_info *fi)
{ WITH_PATH(path, np, fuse_fs_release(next, np, fi)); }

static int sd_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{ WITH_PATH(path, np, fuse_fs_fsync(next, np, datasync, fi)); }

static int sd_setxattr(const char *path, const char *name, const char *value,
                       size_t size, int flags)
{ WITH_PATH(path, np, fuse_fs_setxattr(next, np, name, value, size, flags)); }

static int sd_getxattr(const char *path, const char *name, char *value, size_t size)
{ WITH_PATH(path, np, fuse_fs_getxattr(next, np, name, value, size)); }

static int sd_listxattr(const char *path, char *list, size_t size)
{ WITH_PATH(path, np, fuse_fs_listxattr(next, np, list, size)); }

static int sd_removexattr(const char *path, const char *name)
{ WITH_PATH(path, np, fuse_fs_removexattr(next, np, name)); }

static int sd_opendir(const char *path, struct fuse_file_info *fi)
{ WITH_PATH(path, np, fuse_fs_opendir(next, np, fi)); }

static int sd_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
                      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{ WITH_PATH(path, np, fuse_fs_readdir(next, np, buf, filler, off, fi, flags)); }

static int sd_releasedir(const char *path, struct fuse_file_info *fi)
{ WITH_PATH(path, np, fuse_fs_releasedir(next, np, fi)); }

static int sd_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi)
{ WITH_PATH(path, np, fuse_fs_fsyncdir(next, np, datasync, fi)); }

static int sd_access(const char *path, int mask)
{ WITH_PATH(path, np, fuse_fs_access(next, np, mask)); }

static int sd_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{ WITH_PATH(path, np, fuse_fs_create(next, np, mode, fi)); }

static int sd_lock(const char *path, struct fuse_file_info *fi, int cmd, struct flock *lk)
{ WITH_PATH(path, np, fuse_fs_lock(next, np, fi, cmd, lk)); }

static int sd_flock(const char *path, struct fuse_file_info *fi, int op)
{ WITH_PATH(path, np, fuse_fs_flock(next, np, fi, op)); }

static int sd_utimens(const char *path, const struct timespec tv[2],
                      struct fuse_file_info *fi)
{ WITH_PATH(path, np, fuse_fs_utimens(next, np, tv, fi)); }

static int sd_bmap(const char *path, size_t blocksize, uint64_t *idx)
{ WITH_PATH(path, np, fuse_fs_bmap(next, np, blocksize, idx)); }

static int sd_ioctl(const char *path, unsigned int cmd, void *arg,
                    struct fuse_file_info *fi, unsigned int flags, void *data)
{ WITH_PATH(path, np, fuse_fs_ioctl(next, np, cmd, arg, fi, flags, data)); }

static int sd_poll(const char *path, struct fuse_file_info *fi,
                   struct fuse_pollhandle *ph, unsigned *reventsp)
{ WITH_PATH(path, np, fuse_fs_poll(next, np, fi, ph, reventsp)); }

static int sd_fallocate(const char *path, int mode, off_t off, off_t len,
                        struct fuse_file_info *fi)
{ WITH_PATH(path, np, fuse_fs_fallocate(next, np, mode, off, len, fi)); }

static ssize_t sd_copy_file_range(const char *pin, struct fuse_file_info *fi_in,
                                  off_t off_in, const char *pout,
                                  struct fuse_file_info *fi_out, off_t off_out,
                                  size_t len, int flags)
{
	struct subdir *d = SD();
	char *nin, *nout;
	int e = add_base(d, pin, &nin);
	if (e)
		return e;
	e = add_base(d, pout, &nout);
	if (e) {
		free(nin);
		return e;
	}
	ssize_t r = fuse_fs_copy_file_range(d->next, nin, fi_in, off_in, nout, fi_out,
	                                    off_out, len, flags);
	free(nin);
	free(nout);
	return r;
}

static off_t sd_lseek(const char *path, off_t off, int whence, struct fuse_file_info *fi)
{
	struct subdir *d = SD();
	char *np;
	int e = add_base(d, path, &np);
	if (e)
		return e;
	off_t r = fuse_fs_lseek(d->next, np, off, whence, fi);
	free(np);
	return r;
}

/* ---- rellinks ------------------------------------------------------------ */

/* Skip one path component and the slashes after it. */
static const char *next_comp(const char *p)
{
	while (*p && *p != '/')
		p++;
	while (*p == '/')
		p++;
	return p;
}

/* Does the component at a equal the one at b? */
static int same_comp(const char *a, const char *b)
{
	size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
	return la == lb && la > 0 && memcmp(a, b, la) == 0;
}

/*
 * target (absolute, below the layer) as a path relative to the link at
 * mount path `link`: drop the base, then the directories the link's
 * and the target's paths share, and climb ".." out of the rest of the
 * link's directory. Left alone when it does not point inside the base
 * or the result would not fit.
 */
static void relative_target(const struct subdir *d, const char *link, char *buf,
                            size_t size)
{
	if (buf[0] != '/' || d->base[0] != '/')
		return;
	size_t bl = d->baselen - 1;   /* base without its trailing '/' */
	if (strncmp(buf, d->base, bl) != 0 || (buf[bl] != '/' && buf[bl] != '\0'))
		return;
	const char *t = buf + bl, *l = link;
	while (*t == '/')
		t++;
	while (*l == '/')
		l++;
	/* Shared leading directories (the link's own name is not one). */
	while (*next_comp(l) && same_comp(l, t)) {
		l = next_comp(l);
		t = next_comp(t);
	}
	unsigned up = 0;
	for (const char *p = l; *next_comp(p); p = next_comp(p))
		up++;
	size_t tl = strlen(t);
	if (up * 3 + tl + 2 > size)
		return;
	char *rest = strdup(t);
	if (!rest)
		return;
	char *o = buf;
	for (unsigned i = 0; i < up; i++, o += 3)
		memcpy(o, "../", 3);
	strcpy(o, rest);
	if (!buf[0])
		strcpy(buf, ".");
	else if (o > buf && !rest[0])
		o[-1] = '\0';   /* "../.." rather than "../../" */
	free(rest);
}

static int sd_readlink(const char *path, char *buf, size_t size)
{
	struct subdir *d = SD();
	char *np;
	int e = add_base(d, path, &np);
	if (e)
		return e;
	e = fuse_fs_readlink(d->next, np, buf, size);
	if (e == 0 && d->rellinks && path)
		relative_target(d, path, buf, size);
	free(np);
	return e;
}

/* ---- the layer ------------------------------------------------------------ */

static void *sd_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	struct subdir *d = SD();
	fuse_fs_init(d->next, conn, cfg);
	return d;
}

static void sd_destroy(void *private_data)
{
	struct subdir *d = private_data;
	fuse_fs_destroy(d->next);
	free(d->base);
	free(d);
}

static const struct fuse_operations sd_all = {
	.getattr = sd_getattr, .readlink = sd_readlink, .mknod = sd_mknod,
	.mkdir = sd_mkdir, .unlink = sd_unlink, .rmdir = sd_rmdir,
	.symlink = sd_symlink, .rename = sd_rename, .link = sd_link,
	.chmod = sd_chmod, .chown = sd_chown, .truncate = sd_truncate,
	.open = sd_open, .read = sd_read, .write = sd_write, .statfs = sd_statfs,
	.flush = sd_flush, .release = sd_release, .fsync = sd_fsync,
	.setxattr = sd_setxattr, .getxattr = sd_getxattr, .listxattr = sd_listxattr,
	.removexattr = sd_removexattr, .opendir = sd_opendir, .readdir = sd_readdir,
	.releasedir = sd_releasedir, .fsyncdir = sd_fsyncdir, .init = sd_init,
	.destroy = sd_destroy, .access = sd_access, .create = sd_create,
	.lock = sd_lock, .utimens = sd_utimens, .bmap = sd_bmap, .ioctl = sd_ioctl,
	.poll = sd_poll, .write_buf = sd_write_buf, .read_buf = sd_read_buf,
	.flock = sd_flock, .fallocate = sd_fallocate,
	.copy_file_range = sd_copy_file_range, .lseek = sd_lseek,
};

/* The layer's ops: ours where the layer below has the op (init and
 * destroy always: they carry the module's own state). */
static void only_below(struct fuse_operations *o, const struct fuse_operations *below)
{
	void (**mine)(void) = (void (**)(void))o;
	void (*const *theirs)(void) = (void (*const *)(void))below;
	size_t n = sizeof(*o) / sizeof(void (*)(void));
	for (size_t i = 0; i < n; i++)
		if (!theirs[i])
			mine[i] = NULL;
	o->init = sd_init;
	o->destroy = sd_destroy;
}

#define SDO(t, field, v) { t, offsetof(struct subdir, field), v }

static const struct fuse_opt sd_opts[] = {
	SDO("subdir=%s", base, 0),
	SDO("rellinks", rellinks, 1),
	SDO("norellinks", rellinks, 0),
	FUSE_OPT_END
};

void fbx_hl_subdir_help(void)
{
	printf("\n[subdir]\n"
	       "    -o subdir=DIR          prepend this directory to all paths (mandatory)\n"
	       "    -o [no]rellinks        transform absolute symlinks to relative\n");
}

struct fuse_fs *fbx_hl_subdir_factory(struct fuse_args *args, struct fuse_fs *fs[])
{
	struct subdir *d = calloc(1, sizeof(*d));
	struct fuse_operations ops = sd_all;
	struct fuse_fs *top = NULL;
	if (!d) {
		fuse_log(FUSE_LOG_ERR, "fuse-subdir: out of memory\n");
		return NULL;
	}
	if (fuse_opt_parse(args, d, sd_opts, NULL) == -1)
		goto fail;
	if (!fs[0] || fs[1]) {
		fuse_log(FUSE_LOG_ERR, "fuse-subdir: needs exactly one filesystem under it\n");
		goto fail;
	}
	if (!d->base) {
		fuse_log(FUSE_LOG_ERR, "fuse-subdir: the 'subdir' option is required\n");
		goto fail;
	}
	size_t n = strlen(d->base);
	if (n && d->base[n - 1] != '/') {
		char *b = realloc(d->base, n + 2);
		if (!b)
			goto fail;
		d->base = b;
		strcpy(b + n, "/");
	}
	d->baselen = strlen(d->base);
	d->next = fs[0];
	only_below(&ops, &fs[0]->op);
	top = fuse_fs_new(&ops, sizeof(ops), d);
	if (top)
		return top;
fail:
	free(d->base);
	free(d);
	return NULL;
}
