/*
 * hl_iconv.c -- the "iconv" module: file names are shown in one
 * character set and stored in another. -o from_code=CHARSET is the
 * encoding of the names in the filesystem below (default UTF-8),
 * -o to_code=CHARSET the one the mount shows (default: the locale's).
 * Paths and symlink targets going down are converted to from_code,
 * names from readdir and readlink targets coming up to to_code. A name
 * that does not convert is an error (EILSEQ), never a silent mangling.
 *
 * As subdir, the layer offers exactly the ops of the layer below.
 */
#include "hl.h"

#include <errno.h>
#include <iconv.h>
#include <langinfo.h>
#include <locale.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ic {
	char *from_code, *to_code;
	iconv_t down, up;        /* to_code -> from_code, and back */
	pthread_mutex_t lock;    /* an iconv_t keeps state: one user at a time */
	struct fuse_fs *next;
};

#define IC() ((struct ic *)fuse_get_context()->private_data)

/* Convert s with cd into a malloc'd string. 0, -ENOMEM or -EILSEQ. */
static int conv(struct ic *c, iconv_t cd, const char *s, char **out)
{
	size_t inlen = strlen(s), cap = inlen * 4 + 8;
	*out = NULL;
	for (;;) {
		char *buf = malloc(cap);
		if (!buf)
			return -ENOMEM;
		char *in = (char *)s, *o = buf;
		size_t il = inlen, ol = cap - 1;
		pthread_mutex_lock(&c->lock);
		iconv(cd, NULL, NULL, NULL, NULL);
		size_t r = iconv(cd, &in, &il, &o, &ol);
		if (r != (size_t)-1)
			r = iconv(cd, NULL, NULL, &o, &ol);
		int e = r == (size_t)-1 ? errno : 0;
		pthread_mutex_unlock(&c->lock);
		if (e == E2BIG) {
			free(buf);
			cap *= 2;
			continue;
		}
		if (e) {
			free(buf);
			return -EILSEQ;
		}
		*o = '\0';
		*out = buf;
		return 0;
	}
}

/* The path below; NULL stays NULL (nullpath_ok). */
static int down(struct ic *c, const char *path, char **out)
{
	*out = NULL;
	return path ? conv(c, c->down, path, out) : 0;
}

#define IC_PATH(path, np, call) do { \
		struct ic *c_ = IC(); char *np; \
		int e_ = down(c_, path, &np); \
		if (e_) return e_; \
		struct fuse_fs *next = c_->next; (void)next; \
		int r_ = (call); \
		free(np); return r_; \
	} while (0)

#define IC_PATHS(p1, n1, p2, n2, call) do { \
		struct ic *c_ = IC(); char *n1, *n2; \
		int e_ = down(c_, p1, &n1); \
		if (e_) return e_; \
		e_ = down(c_, p2, &n2); \
		if (e_) { free(n1); return e_; } \
		struct fuse_fs *next = c_->next; \
		int r_ = (call); \
		free(n1); free(n2); return r_; \
	} while (0)

static int ic_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{ IC_PATH(path, np, fuse_fs_getattr(next, np, st, fi)); }

static int ic_mknod(const char *path, mode_t mode, dev_t rdev)
{ IC_PATH(path, np, fuse_fs_mknod(next, np, mode, rdev)); }

static int ic_mkdir(const char *path, mode_t mode)
{ IC_PATH(path, np, fuse_fs_mkdir(next, np, mode)); }

static int ic_unlink(const char *path)
{ IC_PATH(path, np, fuse_fs_unlink(next, np)); }

static int ic_rmdir(const char *path)
{ IC_PATH(path, np, fuse_fs_rmdir(next, np)); }

static int ic_rename(const char *from, const char *to, unsigned int flags)
{ IC_PATHS(from, nf, to, nt, fuse_fs_rename(next, nf, nt, flags)); }

static int ic_link(const char *from, const char *to)
{ IC_PATHS(from, nf, to, nt, fuse_fs_link(next, nf, nt)); }

static int ic_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{ IC_PATH(path, np, fuse_fs_chmod(next, np, mode, fi)); }

static int ic_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{ IC_PATH(path, np, fuse_fs_chown(next, np, uid, gid, fi)); }

static int ic_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{ IC_PATH(path, np, fuse_fs_truncate(next, np, size, fi)); }

static int ic_open(const char *path, struct fuse_file_info *fi)
{ IC_PATH(path, np, fuse_fs_open(next, np, fi)); }

static int ic_read(const char *path, char *buf, size_t size, off_t off,
                   struct fuse_file_info *fi)
{ IC_PATH(path, np, fuse_fs_read(next, np, buf, size, off, fi)); }

static int ic_read_buf(const char *path, struct fuse_bufvec **bufp, size_t size,
                       off_t off, struct fuse_file_info *fi)
{ IC_PATH(path, np, fuse_fs_read_buf(next, np, bufp, size, off, fi)); }

static int ic_write(const char *path, const char *buf, size_t size, off_t off,
                    struct fuse_file_info *fi)
{ IC_PATH(path, np, fuse_fs_write(next, np, buf, size, off, fi)); }

static int ic_write_buf(const char *path, struct fuse_bufvec *buf, off_t off,
                        struct fuse_file_info *fi)
{ IC_PATH(path, np, fuse_fs_write_buf(next, np, buf, off, fi)); }

static int ic_statfs(const char *path, struct statvfs *st)
{ IC_PATH(path, np, fuse_fs_statfs(next, np, st)); }

static int ic_flush(const char *path, struct fuse_file_info *fi)
{ IC_PATH(path, np, fuse_fs_flush(next, np, fi)); }

static int ic_release(const char *path, struct fuse_file_info *fi)
{ IC_PATH(path, np, fuse_fs_release(next, np, fi)); }

static int ic_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{ IC_PATH(path, np, fuse_fs_fsync(next, np, datasync, fi)); }

static int ic_setxattr(const char *path, const char *name, const char *value,
                       size_t size, int flags)
{ IC_PATH(path, np, fuse_fs_setxattr(next, np, name, value, size, flags)); }

static int ic_getxattr(const char *path, const char *name, char *value, size_t size)
{ IC_PATH(path, np, fuse_fs_getxattr(next, np, name, value, size)); }

static int ic_listxattr(const char *path, char *list, size_t size)
{ IC_PATH(path, np, fuse_fs_listxattr(next, np, list, size)); }

static int ic_removexattr(const char *path, const char *name)
{ IC_PATH(path, np, fuse_fs_removexattr(next, np, name)); }

static int ic_opendir(const char *path, struct fuse_file_info *fi)
{ IC_PATH(path, np, fuse_fs_opendir(next, np, fi)); }

static int ic_releasedir(const char *path, struct fuse_file_info *fi)
{ IC_PATH(path, np, fuse_fs_releasedir(next, np, fi)); }

static int ic_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi)
{ IC_PATH(path, np, fuse_fs_fsyncdir(next, np, datasync, fi)); }

static int ic_access(const char *path, int mask)
{ IC_PATH(path, np, fuse_fs_access(next, np, mask)); }

static int ic_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{ IC_PATH(path, np, fuse_fs_create(next, np, mode, fi)); }

static int ic_lock(const char *path, struct fuse_file_info *fi, int cmd, struct flock *lk)
{ IC_PATH(path, np, fuse_fs_lock(next, np, fi, cmd, lk)); }

static int ic_flock(const char *path, struct fuse_file_info *fi, int op)
{ IC_PATH(path, np, fuse_fs_flock(next, np, fi, op)); }

static int ic_utimens(const char *path, const struct timespec tv[2],
                      struct fuse_file_info *fi)
{ IC_PATH(path, np, fuse_fs_utimens(next, np, tv, fi)); }

static int ic_bmap(const char *path, size_t blocksize, uint64_t *idx)
{ IC_PATH(path, np, fuse_fs_bmap(next, np, blocksize, idx)); }

static int ic_ioctl(const char *path, unsigned int cmd, void *arg,
                    struct fuse_file_info *fi, unsigned int flags, void *data)
{ IC_PATH(path, np, fuse_fs_ioctl(next, np, cmd, arg, fi, flags, data)); }

static int ic_poll(const char *path, struct fuse_file_info *fi,
                   struct fuse_pollhandle *ph, unsigned *reventsp)
{ IC_PATH(path, np, fuse_fs_poll(next, np, fi, ph, reventsp)); }

static int ic_fallocate(const char *path, int mode, off_t off, off_t len,
                        struct fuse_file_info *fi)
{ IC_PATH(path, np, fuse_fs_fallocate(next, np, mode, off, len, fi)); }

static int ic_symlink(const char *target, const char *path)
{ IC_PATHS(target, nt, path, np, fuse_fs_symlink(next, nt, np)); }

static ssize_t ic_copy_file_range(const char *pin, struct fuse_file_info *fi_in,
                                  off_t off_in, const char *pout,
                                  struct fuse_file_info *fi_out, off_t off_out,
                                  size_t len, int flags)
{
	struct ic *c = IC();
	char *nin, *nout;
	int e = down(c, pin, &nin);
	if (e)
		return e;
	e = down(c, pout, &nout);
	if (e) {
		free(nin);
		return e;
	}
	ssize_t r = fuse_fs_copy_file_range(c->next, nin, fi_in, off_in, nout, fi_out,
	                                    off_out, len, flags);
	free(nin);
	free(nout);
	return r;
}

static off_t ic_lseek(const char *path, off_t off, int whence, struct fuse_file_info *fi)
{
	struct ic *c = IC();
	char *np;
	int e = down(c, path, &np);
	if (e)
		return e;
	off_t r = fuse_fs_lseek(c->next, np, off, whence, fi);
	free(np);
	return r;
}

/* readdir: the names below come up converted, through the caller's filler. */
struct ic_dir {
	struct ic *c;
	void *buf;
	fuse_fill_dir_t fill;
};

static int ic_fill(void *buf, const char *name, const struct stat *st, off_t off,
                   enum fuse_fill_dir_flags flags)
{
	struct ic_dir *d = buf;
	char *up;
	/* A name the mount's charset cannot show is left out of the listing. */
	if (conv(d->c, d->c->up, name, &up) != 0)
		return 0;
	int r = d->fill(d->buf, up, st, off, flags);
	free(up);
	return r;
}

static int ic_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
                      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct ic *c = IC();
	struct ic_dir d = { c, buf, filler };
	char *np;
	int e = down(c, path, &np);
	if (e)
		return e;
	e = fuse_fs_readdir(c->next, np, &d, ic_fill, off, fi, flags);
	free(np);
	return e;
}

static int ic_readlink(const char *path, char *buf, size_t size)
{
	struct ic *c = IC();
	char *np, *up;
	int e = down(c, path, &np);
	if (e)
		return e;
	e = fuse_fs_readlink(c->next, np, buf, size);
	free(np);
	if (e == 0 && size > 0 && conv(c, c->up, buf, &up) == 0) {
		snprintf(buf, size, "%s", up);
		free(up);
	}
	return e;
}

/* ---- the layer ------------------------------------------------------------ */

static void *ic_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	struct ic *c = IC();
	fuse_fs_init(c->next, conn, cfg);
	return c;
}

static void ic_free(struct ic *c)
{
	if (c->down != (iconv_t)-1)
		iconv_close(c->down);
	if (c->up != (iconv_t)-1)
		iconv_close(c->up);
	pthread_mutex_destroy(&c->lock);
	free(c->from_code);
	free(c->to_code);
	free(c);
}

static void ic_destroy(void *private_data)
{
	struct ic *c = private_data;
	fuse_fs_destroy(c->next);
	ic_free(c);
}

static const struct fuse_operations ic_all = {
	.getattr = ic_getattr, .readlink = ic_readlink, .mknod = ic_mknod,
	.mkdir = ic_mkdir, .unlink = ic_unlink, .rmdir = ic_rmdir,
	.symlink = ic_symlink, .rename = ic_rename, .link = ic_link,
	.chmod = ic_chmod, .chown = ic_chown, .truncate = ic_truncate,
	.open = ic_open, .read = ic_read, .write = ic_write, .statfs = ic_statfs,
	.flush = ic_flush, .release = ic_release, .fsync = ic_fsync,
	.setxattr = ic_setxattr, .getxattr = ic_getxattr, .listxattr = ic_listxattr,
	.removexattr = ic_removexattr, .opendir = ic_opendir, .readdir = ic_readdir,
	.releasedir = ic_releasedir, .fsyncdir = ic_fsyncdir, .init = ic_init,
	.destroy = ic_destroy, .access = ic_access, .create = ic_create,
	.lock = ic_lock, .utimens = ic_utimens, .bmap = ic_bmap, .ioctl = ic_ioctl,
	.poll = ic_poll, .write_buf = ic_write_buf, .read_buf = ic_read_buf,
	.flock = ic_flock, .fallocate = ic_fallocate,
	.copy_file_range = ic_copy_file_range, .lseek = ic_lseek,
};

static void only_below(struct fuse_operations *o, const struct fuse_operations *below)
{
	void (**mine)(void) = (void (**)(void))o;
	void (*const *theirs)(void) = (void (*const *)(void))below;
	size_t n = sizeof(*o) / sizeof(void (*)(void));
	for (size_t i = 0; i < n; i++)
		if (!theirs[i])
			mine[i] = NULL;
	o->init = ic_init;
	o->destroy = ic_destroy;
}

#define ICO(t, field) { t, offsetof(struct ic, field), 0 }

static const struct fuse_opt ic_opts[] = {
	ICO("from_code=%s", from_code),
	ICO("to_code=%s", to_code),
	FUSE_OPT_END
};

void fbx_hl_iconv_help(void)
{
	printf("\n[iconv]\n"
	       "    -o from_code=CHARSET   original encoding of file names (default: UTF-8)\n"
	       "    -o to_code=CHARSET     new encoding of the file names (default: the locale's)\n");
}

struct fuse_fs *fbx_hl_iconv_factory(struct fuse_args *args, struct fuse_fs *fs[])
{
	struct ic *c = calloc(1, sizeof(*c));
	struct fuse_operations ops = ic_all;
	if (!c) {
		fuse_log(FUSE_LOG_ERR, "fuse-iconv: out of memory\n");
		return NULL;
	}
	c->down = c->up = (iconv_t)-1;
	pthread_mutex_init(&c->lock, NULL);
	if (fuse_opt_parse(args, c, ic_opts, NULL) == -1)
		goto fail;
	if (!fs[0] || fs[1]) {
		fuse_log(FUSE_LOG_ERR, "fuse-iconv: needs exactly one filesystem under it\n");
		goto fail;
	}
	const char *from = c->from_code ? c->from_code : "UTF-8";
	const char *to = c->to_code;
	if (!to) {
		/* The locale's charset, as the environment sets it. */
		char *old = setlocale(LC_CTYPE, NULL);
		char *saved = old ? strdup(old) : NULL;
		setlocale(LC_CTYPE, "");
		c->to_code = strdup(nl_langinfo(CODESET));
		setlocale(LC_CTYPE, saved ? saved : "C");
		free(saved);
		if (!c->to_code)
			goto fail;
		to = c->to_code;
	}
	c->down = iconv_open(from, to);
	c->up = iconv_open(to, from);
	if (c->down == (iconv_t)-1 || c->up == (iconv_t)-1) {
		fuse_log(FUSE_LOG_ERR, "fuse-iconv: cannot convert between %s and %s: %s\n",
		         from, to, strerror(errno));
		goto fail;
	}
	c->next = fs[0];
	only_below(&ops, &fs[0]->op);
	struct fuse_fs *top = fuse_fs_new(&ops, sizeof(ops), c);
	if (top)
		return top;
fail:
	ic_free(c);
	return NULL;
}
