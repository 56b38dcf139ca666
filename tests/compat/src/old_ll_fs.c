/*
 * old_ll_fs.c -- a one-file filesystem written to libfuse's 2.4 / 2.5
 * low-level API (built at FUSE_USE_VERSION 24 or 25, against fusebox's
 * headers or Debian's), served the 2.5-era way: fuse_mount gives a
 * descriptor, fuse_kern_chan_new makes it a channel.
 *   old_ll_fs kern MOUNTPOINT     fuse_lowlevel_new's session loops
 *   old_ll_fs generic MOUNTPOINT  a fuse_session_new session of our own
 *                                 reads the requests and hands each to
 *                                 the low-level session (counted; its
 *                                 exit/exited/destroy ops are ours too)
 * /hello reads "hello, old low level" through the handle open set (42);
 * statfs answers in the version's record; init and destroy report.
 */
#include <fuse_lowlevel.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char text[] = "hello, old low level\n";
static int inited;

static void st_of(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == 1) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = sizeof(text) - 1;
	}
}

static void l_init(void *userdata)
{
	inited = userdata == &inited;
}

static void l_destroy(void *userdata)
{
	fprintf(stderr, "destroy %s\n", userdata == &inited && inited ? "after init" : "odd");
}

static void l_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	if (parent != 1 || strcmp(name, "hello") != 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = 2;
	e.attr_timeout = e.entry_timeout = 1.0;
	st_of(2, &e.attr);
	fuse_reply_entry(req, &e);
}

static void l_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	(void)fi;
	st_of(ino, &st);
	fuse_reply_attr(req, &st, 1.0);
}

static void l_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != 2)
		fuse_reply_err(req, EISDIR);
	else if ((fi->flags & O_ACCMODE) != O_RDONLY)
		fuse_reply_err(req, EACCES);
	else {
		fi->fh = 42;
		fuse_reply_open(req, fi);
	}
}

static void l_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                   struct fuse_file_info *fi)
{
	size_t len = sizeof(text) - 1;
	(void)ino;
	if (fi->fh != 42) {
		fuse_reply_err(req, EBADF);
		return;
	}
	if ((size_t)off >= len)
		size = 0;
	else if (size > len - (size_t)off)
		size = len - (size_t)off;
	fuse_reply_buf(req, text + off, size);
}

static void l_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                      struct fuse_file_info *fi)
{
	static const char *names[] = { ".", "..", "hello" };
	char buf[512];
	size_t used = 0;
	(void)fi;
	if (ino != 1) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	for (off_t i = off; i < 3; i++) {
		struct stat st;
		st_of(i == 2 ? 2 : 1, &st);
		size_t n = fuse_add_direntry(req, buf + used, sizeof(buf) - used, names[i], &st, i + 1);
		if (used + n > sizeof(buf) || used + n > size)
			break;
		used += n;
	}
	fuse_reply_buf(req, buf, used);
}

static void l_statfs(fuse_req_t req)
{
#if FUSE_USE_VERSION == 24
	struct statfs st;
	memset(&st, 0, sizeof(st));
	st.f_namelen = 200;
#else
	struct statvfs st;
	memset(&st, 0, sizeof(st));
	st.f_namemax = 200;
	st.f_frsize = 2048;
#endif
	st.f_bsize = 2048;
	st.f_blocks = 1000;
	st.f_bfree = 500;
	st.f_bavail = 400;
	st.f_files = 77;
	st.f_ffree = 33;
	fuse_reply_statfs(req, &st);
}

/* ---- the generic session around it ---------------------------------------- */

struct outer {
	struct fuse_session *inner;
	int exited;
	unsigned served;
};

static void g_process(void *data, const char *buf, size_t len, struct fuse_chan *ch)
{
	struct outer *o = data;
	(void)ch;   /* the request is the inner session's, answered on its channel */
	o->served++;
	fuse_session_process(o->inner, buf, len, fuse_session_next_chan(o->inner, NULL));
}

static void g_exit(void *data, int val)
{
	((struct outer *)data)->exited = val;
}

static int g_exited(void *data)
{
	return ((struct outer *)data)->exited;
}

static void g_destroy(void *data)
{
	fprintf(stderr, "generic destroy, served %u\n", ((struct outer *)data)->served);
}

int main(int argc, char *argv[])
{
	struct fuse_lowlevel_ops ops;
	if (argc != 3) {
		fprintf(stderr, "usage: old_ll_fs kern|generic MOUNTPOINT\n");
		return 2;
	}
	const char *mnt = argv[2];
	memset(&ops, 0, sizeof(ops));
	ops.init = l_init;
	ops.destroy = l_destroy;
	ops.lookup = l_lookup;
	ops.getattr = l_getattr;
	ops.open = l_open;
	ops.read = l_read;
	ops.readdir = l_readdir;
	ops.statfs = l_statfs;
#if FUSE_USE_VERSION == 24
	int fd = fuse_mount(mnt, "fsname=oldll");
	struct fuse_session *se = fuse_lowlevel_new("max_readahead=65536", &ops, sizeof(ops),
	                                            &inited);
#else
	char *av[] = { "old_ll_fs", "-o", "fsname=oldll", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, av);
	int fd = fuse_mount(mnt, &args);
	struct fuse_session *se = fuse_lowlevel_new(&args, &ops, sizeof(ops), &inited);
#endif
	if (fd < 0 || !se) {
		fprintf(stderr, "old_ll_fs: mount or session failed\n");
		return 1;
	}
	struct fuse_session *loop = se;
	struct outer o = { se, 0, 0 };
	struct fuse_session_ops gops = { g_process, g_exit, g_exited, g_destroy };
	if (strcmp(argv[1], "generic") == 0) {
		/* the inner session answers on its own channel, a copy of fd */
		fuse_session_add_chan(se, fuse_kern_chan_new(dup(fd)));
		loop = fuse_session_new(&gops, &o);
		if (!loop)
			return 1;
	}
	fuse_session_add_chan(loop, fuse_kern_chan_new(fd));
	int r = fuse_set_signal_handlers(loop);
	if (r == 0) {
		r = fuse_session_loop(loop);
		fuse_remove_signal_handlers(loop);
	}
	if (loop != se)
		fuse_session_destroy(loop);
	fuse_session_destroy(se);
	fuse_unmount(mnt);
	return r == 0 ? 0 : 1;
}
