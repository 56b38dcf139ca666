/*
 * opt_probe.c -- drives fuse_opt_*, fuse_parse_cmdline and fuse_buf_copy
 * through cases with odd corners and prints every result, so that
 * t_fuse3_api.sh can diff the output on Debian's libfuse with ours.
 * Built by that script against either header set; not by make.
 */
#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct data { int a, b, key_seen; char *s; unsigned u; int i; double d; char *x; };
#define O(t, f, v) { t, offsetof(struct data, f), v }
static const struct fuse_opt opts[] = {
	O("-a", a, 1), O("--bee", b, 7), O("alpha", a, 2), O("str=%s", s, 0),
	O("num=%u", u, 0), O("int=%i", i, 0), O("dbl=%lf", d, 0), O("-x %s", x, 0),
	O("flag=", b, 3), FUSE_OPT_KEY("kp", 100), FUSE_OPT_KEY("-k", 101),
	FUSE_OPT_KEY("drop", FUSE_OPT_KEY_DISCARD), FUSE_OPT_KEY("keep", FUSE_OPT_KEY_KEEP),
	FUSE_OPT_KEY("-y ", 102), FUSE_OPT_END
};
static int proc(void *data, const char *arg, int key, struct fuse_args *out)
{
	struct data *d = data;
	printf("  proc key=%d arg=[%s] outargc=%d\n", key, arg, out->argc);
	d->key_seen++;
	if (key == 101) return 0;
	if (key == FUSE_OPT_KEY_NONOPT && strcmp(arg, "fail") == 0) return -1;
	if (key == FUSE_OPT_KEY_NONOPT && strcmp(arg, "addarg") == 0) { fuse_opt_add_arg(out, "ADDED"); return 0; }
	return 1;
}
static void run(const char *name, int use_proc, int argc, const char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, (char **)argv);
	struct data d; memset(&d, 0, sizeof d);
	printf("%s:\n", name);
	int r = fuse_opt_parse(&args, &d, opts, use_proc ? proc : NULL);
	printf("  r=%d a=%d b=%d s=%s u=%u i=%d d=%g x=%s keys=%d\n", r, d.a, d.b, d.s ? d.s : "-", d.u, d.i, d.d, d.x ? d.x : "-", d.key_seen);
	printf("  argc=%d:", args.argc);
	for (int i = 0; i < args.argc; i++) printf(" [%s]", args.argv[i]);
	printf(" alloc=%d\n", args.allocated);
	fflush(stdout);
	fuse_opt_free_args(&args); free(d.s); free(d.x);
}
#define RUN(name, p, ...) do { const char *v[] = { "prog", __VA_ARGS__ }; run(name, p, sizeof v / sizeof v[0], v); } while (0)

static void show_vec(const char *what, const struct fuse_bufvec *v)
{
	printf("  %s idx=%zu off=%zu\n", what, v->idx, v->off);
}
static void bufs(void)
{
	char a[] = "0123456789", b[] = "abcdefghij", out[32];
	struct { struct fuse_bufvec v; struct fuse_buf more[2]; } src = { FUSE_BUFVEC_INIT(4) }, dst = { FUSE_BUFVEC_INIT(6) };
	src.v.count = 3;
	src.v.buf[0].mem = a;
	src.more[0] = (struct fuse_buf){ .size = 0, .mem = b };
	src.more[1] = (struct fuse_buf){ .size = 5, .mem = b };
	memset(out, '.', sizeof out); out[31] = 0;
	dst.v.count = 2; dst.v.buf[0].mem = out;
	dst.more[0] = (struct fuse_buf){ .size = 10, .mem = out + 10 };
	printf("size=%zu %zu\n", fuse_buf_size(&src.v), fuse_buf_size(&dst.v));
	ssize_t n = fuse_buf_copy(&dst.v, &src.v, 0);
	printf("mem copy n=%zd out=%s\n", n, out);
	show_vec("src", &src.v); show_vec("dst", &dst.v);
	char path[] = "/tmp/fbx-bufXXXXXX";
	int fd = mkstemp(path); unlink(path);
	struct fuse_bufvec m = FUSE_BUFVEC_INIT(10), f = FUSE_BUFVEC_INIT(10);
	m.buf[0].mem = a;
	f.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK; f.buf[0].fd = fd; f.buf[0].pos = 3;
	printf("mem->fd n=%zd\n", fuse_buf_copy(&f, &m, 0));
	struct fuse_bufvec f2 = FUSE_BUFVEC_INIT(20), m2 = FUSE_BUFVEC_INIT(20);
	f2.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK | FUSE_BUF_FD_RETRY; f2.buf[0].fd = fd; f2.buf[0].pos = 1;
	memset(out, 0, sizeof out); m2.buf[0].mem = out;
	n = fuse_buf_copy(&m2, &f2, 0);
	printf("fd->mem n=%zd out=[%.*s]\n", n, (int)(n > 0 ? n : 0), out);
	show_vec("src", &f2); show_vec("dst", &m2);
	char path2[] = "/tmp/fbx-bufXXXXXX";
	int fd2 = mkstemp(path2); unlink(path2);
	struct fuse_bufvec f3 = FUSE_BUFVEC_INIT(8), f4 = FUSE_BUFVEC_INIT(100);
	f3.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK; f3.buf[0].fd = fd; f3.buf[0].pos = 0;
	f4.buf[0].flags = FUSE_BUF_IS_FD; f4.buf[0].fd = fd2;
	printf("fd->fd n=%zd\n", fuse_buf_copy(&f4, &f3, FUSE_BUF_NO_SPLICE));
	memset(out, 0, sizeof out);
	printf("fd2 has [%.*s]\n", (int)pread(fd2, out, sizeof out, 0), out);
	close(fd); close(fd2);
}

static void conn_opts(void)
{
	const char *v[] = { "prog", "-o", "max_write=4096,sync_read,readdirplus=no,foo,writeback_cache",
	                    "-o", "max_readahead=1000,no_remote_lock,time_gran=10,splice_read", "mnt" };
	struct fuse_args args = FUSE_ARGS_INIT(6, (char **)v);
	struct fuse_conn_info_opts *o = fuse_parse_conn_info_opts(&args);
	printf("conn_opts %s:", o ? "parsed" : "failed");
	for (int i = 0; i < args.argc; i++) printf(" [%s]", args.argv[i]);
	printf("\n");
	struct fuse_conn_info c;
	memset(&c, 0, sizeof c);
	c.capable = 0x7ffffff;
	c.want = FUSE_CAP_ASYNC_READ | FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO |
	         FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS;
	c.max_write = 1; c.max_readahead = 2; c.max_background = 3; c.time_gran = 4;
	if (o)
		fuse_apply_conn_info_opts(o, &c);
	printf("  want=0x%x max_write=%u readahead=%u bg=%u gran=%u\n", c.want, c.max_write,
	       c.max_readahead, c.max_background, c.time_gran);
	free(o);
	fuse_opt_free_args(&args);
}
int main(void)
{
	conn_opts();
	bufs();
	RUN("plain", 1, "-a", "mnt", "--bee");
	RUN("olist", 1, "-o", "alpha,str=hi,num=42,int=0x10,dbl=2.5,unknown,kp,drop,keep", "mnt");
	RUN("glued-o", 1, "-oflag=zz,other=1", "-ostr=a\\,b", "x");
	RUN("sep", 1, "-x", "val", "-xglued", "-y", "yy", "-yglued", "-k");
	RUN("dashdash", 1, "-a", "--", "-b", "c");
	RUN("dashdash-end", 1, "m", "--");
	RUN("noproc", 0, "-z", "-o", "foo,alpha", "m1", "m2");
	RUN("bad-num", 1, "-o", "num=abc");
	RUN("missing-o", 1, "-o");
	RUN("missing-x", 1, "-x");
	RUN("proc-fail", 1, "ok", "fail");
	RUN("addarg", 1, "addarg", "-o", "q");
	RUN("escapes", 1, "-o", "str=a\\\\b\\,c,kp");
	RUN("single-dash", 1, "-", "-o", "");
	RUN("empty-items", 1, "-o", "a,,b");
	printf("match: %d %d %d %d\n", fuse_opt_match(opts, "alpha"), fuse_opt_match(opts, "str=x"), fuse_opt_match(opts, "nope"), fuse_opt_match(opts, "-xabc"));
	char *o = NULL;
	fuse_opt_add_opt(&o, "a,b"); fuse_opt_add_opt_escaped(&o, "c,d\\e"); fuse_opt_add_opt(&o, "");
	printf("addopt: [%s]\n", o); free(o);
	struct fuse_args a = FUSE_ARGS_INIT(0, NULL);
	fuse_opt_add_arg(&a, "x"); fuse_opt_add_arg(&a, "z"); fuse_opt_insert_arg(&a, 1, "y"); fuse_opt_insert_arg(&a, 0, "w");
	printf("insert:"); for (int i = 0; i < a.argc; i++) printf(" %s", a.argv[i]); printf(" argv[argc]=%p\n", (void *)a.argv[a.argc]);
	fuse_opt_free_args(&a);
	/* the command line */
	const char *cl[] = { "/usr/bin/prog", "-f", "-s", "-d", "-o", "clone_fd,max_idle_threads=5,max_threads=7,allow_other", "/tmp", "-o", "fsname=foo" };
	struct fuse_args ca = FUSE_ARGS_INIT(9, (char **)cl);
	struct fuse_cmdline_opts co;
	int r = fuse_parse_cmdline(&ca, &co);
	printf("cmdline r=%d st=%d fg=%d dbg=%d nds=%d mp=%s v=%d h=%d clone=%d idle=%u max=%u\n", r, co.singlethread, co.foreground, co.debug, co.nodefault_subtype, co.mountpoint, co.show_version, co.show_help, co.clone_fd, co.max_idle_threads, co.max_threads);
	printf("  left:"); for (int i = 0; i < ca.argc; i++) printf(" [%s]", ca.argv[i]); printf("\n");
	free(co.mountpoint); fuse_opt_free_args(&ca);
	const char *cl2[] = { "prog", "-h", "a", "b" };
	struct fuse_args cb = FUSE_ARGS_INIT(4, (char **)cl2);
	r = fuse_parse_cmdline(&cb, &co);
	printf("cmdline2 r=%d h=%d idle=%u max=%u\n", r, co.show_help, co.max_idle_threads, co.max_threads);
	fuse_opt_free_args(&cb);
	const char *cl3[] = { "sub/dir/myprog", "--version" };
	struct fuse_args cc = FUSE_ARGS_INIT(2, (char **)cl3);
	r = fuse_parse_cmdline(&cc, &co);
	printf("cmdline3 r=%d v=%d mp=%p left:", r, co.show_version, (void *)co.mountpoint); for (int i = 0; i < cc.argc; i++) printf(" [%s]", cc.argv[i]); printf("\n");
	fuse_opt_free_args(&cc);
	return 0;
}
