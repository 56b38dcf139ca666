/*
 * t_options.c -- fusebox/options.h: defaults, every option, the errors
 * and their messages, the app_opt hook, -h/-V, kernel_opts, copy/free.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fusebox/options.h"
#include "../lib/check.h"

static char tmpdir[64];     /* an existing directory: the mount point */
static char tmpfile_[96];   /* an existing regular file */
static char errbuf[4096];   /* what the last parse printed to stderr */

/* Run fbx_options_parse on a NULL-terminated argument list (argv[0] is
 * "/usr/bin/prog"), capturing stderr into errbuf. */
static int parse_v(struct fbx_options *o, fbx_app_opt_fn fn, void *data, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;
	argv[argc++] = "/usr/bin/prog";
	va_start(ap, data);
	char *a;
	while ((a = va_arg(ap, char *)) != NULL && argc < 63)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;

	fflush(stderr);
	int saved = dup(2);
	FILE *cap = tmpfile();
	CHECK_FATAL(saved >= 0 && cap);
	dup2(fileno(cap), 2);
	int rc = fbx_options_parse(o, argc, argv, fn, data);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(cap);
	size_t n = fread(errbuf, 1, sizeof errbuf - 1, cap);
	errbuf[n] = '\0';
	fclose(cap);
	return rc;
}
#define PARSE(o, ...) parse_v(o, NULL, NULL, __VA_ARGS__, (char *)NULL)
#define PARSE_APP(o, fn, d, ...) parse_v(o, fn, d, __VA_ARGS__, (char *)NULL)

/* An error: -EINVAL, a message containing `what`, nothing left allocated. */
#define EXPECT_ERR(what, ...) do { struct fbx_options eo_; \
	int rc_ = PARSE(&eo_, __VA_ARGS__); \
	CHECK_EQ_INT(rc_, -EINVAL); \
	CHECK_CONTAINS(errbuf, what); \
	CHECK_CONTAINS(errbuf, "prog: "); \
	CHECK(eo_.mountpoint == NULL && eo_.kernel_opts == NULL); \
	fbx_options_free(&eo_); } while (0)

static void check_defaults(const struct fbx_options *o)
{
	CHECK_EQ_INT(o->max_write, 1 << 20);
	CHECK_EQ_INT(o->max_threads, 10);
	CHECK_EQ_INT(o->spin_us, 20);
	CHECK_EQ_DBL(o->attr_timeout, 1.0);
	CHECK_EQ_DBL(o->entry_timeout, 1.0);
	CHECK_EQ_DBL(o->negative_timeout, 0.0);
	CHECK_EQ_INT(o->writeback_cache, FBX_AUTO);
	CHECK_EQ_INT(o->splice, FBX_AUTO);
	CHECK_EQ_INT(o->readdirplus, FBX_AUTO);
	CHECK_EQ_INT(o->passthrough, FBX_AUTO);
	CHECK_EQ_INT(o->io_uring, FBX_AUTO);
	CHECK_EQ_INT(o->show_help + o->show_version + o->debug + o->foreground +
	             o->singlethread, 0);
	CHECK_EQ_INT(o->read_only + o->default_permissions + o->allow_other +
	             o->allow_root + o->nonempty + o->auto_unmount, 0);
	CHECK(o->fsname == NULL && o->subtype == NULL);
	CHECK_EQ_INT(o->max_read, 0);
	CHECK_EQ_INT(o->kernel_cache + o->direct_io + o->large_read, 0);
	CHECK_EQ_INT(o->hard_remove + o->use_ino + o->readdir_ino, 0);
	CHECK_EQ_INT(o->set_umask + o->set_uid + o->set_gid, 0);
	CHECK_EQ_INT(o->mount_flags, MS_NOSUID | MS_NODEV);
}

static void test_defaults(void)
{
	struct fbx_options o;
	memset(&o, 0x5a, sizeof o);
	fbx_options_init(&o);
	check_defaults(&o);
	CHECK(o.mountpoint == NULL && o.kernel_opts == NULL && o.progname == NULL);
	fbx_options_free(&o);

	CHECK_EQ_INT(PARSE(&o, tmpdir), 0);
	CHECK_EQ_STR(errbuf, "");
	check_defaults(&o);
	CHECK_EQ_STR(o.mountpoint, tmpdir);
	CHECK_EQ_STR(o.kernel_opts, "");
	CHECK_EQ_STR(o.progname, "prog");
	fbx_options_free(&o);
	CHECK(o.mountpoint == NULL && o.kernel_opts == NULL && o.progname == NULL);
	fbx_options_free(&o); /* twice is harmless */
}

static void test_mountpoint(void)
{
	struct fbx_options o;
	char cwd[4096], sub[128];
	CHECK_FATAL(getcwd(cwd, sizeof cwd) != NULL);
	snprintf(sub, sizeof sub, "%s/sub", tmpdir);
	CHECK_FATAL(mkdir(sub, 0755) == 0);

	/* relative, and with .. and a trailing slash: made absolute */
	CHECK_FATAL(chdir(sub) == 0);
	CHECK_EQ_INT(PARSE(&o, "."), 0);
	CHECK_EQ_STR(o.mountpoint, sub);
	fbx_options_free(&o);
	CHECK_EQ_INT(PARSE(&o, "../sub/"), 0);
	CHECK_EQ_STR(o.mountpoint, sub);
	fbx_options_free(&o);
	CHECK_FATAL(chdir(cwd) == 0);

	/* a symlink to the directory resolves to the directory */
	char lnk[128];
	snprintf(lnk, sizeof lnk, "%s/lnk", tmpdir);
	CHECK_FATAL(symlink(sub, lnk) == 0);
	CHECK_EQ_INT(PARSE(&o, lnk), 0);
	CHECK_EQ_STR(o.mountpoint, sub);
	fbx_options_free(&o);

	/* a mount point that looks like an option, after -- */
	char dash[128];
	snprintf(dash, sizeof dash, "%s/-x", tmpdir);
	CHECK_FATAL(mkdir(dash, 0755) == 0);
	CHECK_FATAL(chdir(tmpdir) == 0);
	CHECK_EQ_INT(PARSE(&o, "-f", "--", "-x"), 0);
	CHECK_EQ_STR(o.mountpoint, dash);
	CHECK_EQ_INT(o.foreground, 1);
	fbx_options_free(&o);
	CHECK_FATAL(chdir(cwd) == 0);

	char missing[128];
	snprintf(missing, sizeof missing, "%s/nonexistent", tmpdir);
	char want[256];
	snprintf(want, sizeof want, "prog: bad mount point `%s': No such file or directory",
	         missing);
	EXPECT_ERR(want, missing);
	snprintf(want, sizeof want, "prog: bad mount point `%s': Not a directory", tmpfile_);
	EXPECT_ERR(want, tmpfile_);
	EXPECT_ERR("no mount point", "-f");
	EXPECT_ERR("no mount point", "-o", "ro");
	EXPECT_ERR("more than one mount point", tmpdir, sub);
	EXPECT_ERR("more than one mount point", "-f", tmpdir, "-s", sub);
}

static void test_dash_options(void)
{
	struct fbx_options o;

	CHECK_EQ_INT(PARSE(&o, "-d", tmpdir), 0);
	CHECK_EQ_INT(o.debug, 1);
	CHECK_EQ_INT(o.foreground, 1);
	fbx_options_free(&o);

	CHECK_EQ_INT(PARSE(&o, tmpdir, "-f"), 0);  /* options after the mount point */
	CHECK_EQ_INT(o.foreground, 1);
	CHECK_EQ_INT(o.debug, 0);
	fbx_options_free(&o);

	CHECK_EQ_INT(PARSE(&o, "-s", tmpdir), 0);
	CHECK_EQ_INT(o.singlethread, 1);
	CHECK_EQ_INT(o.foreground, 0);
	fbx_options_free(&o);

	CHECK_EQ_INT(PARSE(&o, "-r", tmpdir), 0);
	CHECK_EQ_INT(o.read_only, 1);
	CHECK_EQ_INT(o.mount_flags, MS_RDONLY | MS_NOSUID | MS_NODEV);
	fbx_options_free(&o);

	CHECK_EQ_INT(PARSE(&o, "-fsr", tmpdir), 0); /* a cluster */
	CHECK_EQ_INT(o.foreground + o.singlethread + o.read_only, 3);
	fbx_options_free(&o);

	CHECK_EQ_INT(PARSE(&o, "-o", "ro,allow_other", tmpdir), 0);
	CHECK_EQ_INT(o.read_only + o.allow_other, 2);
	fbx_options_free(&o);

	CHECK_EQ_INT(PARSE(&o, "-oro,allow_other", tmpdir), 0);
	CHECK_EQ_INT(o.read_only + o.allow_other, 2);
	fbx_options_free(&o);

	CHECK_EQ_INT(PARSE(&o, "-fodefault_permissions", tmpdir), 0);
	CHECK_EQ_INT(o.foreground + o.default_permissions, 2);
	fbx_options_free(&o);

	CHECK_EQ_INT(PARSE(&o, "-o", "ro", "-o", "rw", tmpdir), 0); /* later wins */
	CHECK_EQ_INT(o.read_only, 0);
	CHECK_EQ_INT(o.mount_flags & MS_RDONLY, 0);
	fbx_options_free(&o);

	/* -h / -V need no mount point, and print nothing while parsing */
	const char *help[] = { "-h", "--help" };
	for (int i = 0; i < 2; i++) {
		CHECK_EQ_INT(PARSE(&o, help[i]), 0);
		CHECK_EQ_INT(o.show_help, 1);
		CHECK_EQ_INT(o.show_version, 0);
		CHECK_EQ_STR(errbuf, "");
		fbx_options_free(&o);
	}
	const char *ver[] = { "-V", "--version" };
	for (int i = 0; i < 2; i++) {
		CHECK_EQ_INT(PARSE(&o, ver[i]), 0);
		CHECK_EQ_INT(o.show_version, 1);
		CHECK_EQ_INT(o.show_help, 0);
		fbx_options_free(&o);
	}
	CHECK_EQ_INT(PARSE(&o, "-h", "/no/such/dir"), 0); /* not checked with -h */
	CHECK_EQ_INT(o.show_help, 1);
	fbx_options_free(&o);

	EXPECT_ERR("prog: unknown option `-x'", "-x", tmpdir);
	EXPECT_ERR("prog: unknown option `-q'", "-fq", tmpdir);
	EXPECT_ERR("prog: unknown option `--foo'", "--foo", tmpdir);
	EXPECT_ERR("option `-o' needs an argument", tmpdir, "-o");
}

/* ---- every -o option ---------------------------------------------------- */

#define OFF(f) offsetof(struct fbx_options, f)
static const struct { const char *opt; size_t off; } int_flags[] = {
	{ "ro", OFF(read_only) },
	{ "default_permissions", OFF(default_permissions) },
	{ "allow_other", OFF(allow_other) },
	{ "allow_root", OFF(allow_root) },
	{ "nonempty", OFF(nonempty) },
	{ "auto_unmount", OFF(auto_unmount) },
	{ "kernel_cache", OFF(kernel_cache) },
	{ "direct_io", OFF(direct_io) },
	{ "large_read", OFF(large_read) },
	{ "debug", OFF(debug) },
	{ "hard_remove", OFF(hard_remove) },
	{ "use_ino", OFF(use_ino) },
	{ "readdir_ino", OFF(readdir_ino) },
	{ "noforget", OFF(noforget) },
};
static const struct { const char *opt; size_t off; enum fbx_tristate v; } tri_flags[] = {
	{ "writeback_cache", OFF(writeback_cache), FBX_ON },
	{ "no_writeback_cache", OFF(writeback_cache), FBX_OFF },
	{ "splice", OFF(splice), FBX_ON },
	{ "no_splice", OFF(splice), FBX_OFF },
	{ "passthrough", OFF(passthrough), FBX_ON },
	{ "no_passthrough", OFF(passthrough), FBX_OFF },
	{ "io_uring", OFF(io_uring), FBX_ON },
	{ "no_io_uring", OFF(io_uring), FBX_OFF },
	{ "readdirplus=yes", OFF(readdirplus), FBX_ON },
	{ "readdirplus=no", OFF(readdirplus), FBX_OFF },
	{ "readdirplus=auto", OFF(readdirplus), FBX_AUTO },
};
static const struct { const char *opt; unsigned long set, clear; } mflags[] = {
	{ "ro", MS_RDONLY, 0 },       { "rw", 0, MS_RDONLY },
	{ "nodev", MS_NODEV, 0 },     { "dev", 0, MS_NODEV },
	{ "nosuid", MS_NOSUID, 0 },   { "suid", 0, MS_NOSUID },
	{ "noexec", MS_NOEXEC, 0 },   { "exec", 0, MS_NOEXEC },
	{ "noatime", MS_NOATIME, 0 }, { "atime", 0, MS_NOATIME },
	{ "sync", MS_SYNCHRONOUS, 0 }, { "async", 0, MS_SYNCHRONOUS },
	{ "dirsync", MS_DIRSYNC, 0 },
};

static void test_o_flags(void)
{
	struct fbx_options o;
	for (size_t i = 0; i < sizeof int_flags / sizeof int_flags[0]; i++) {
		CHECK_EQ_INT(PARSE(&o, "-o", int_flags[i].opt, tmpdir), 0);
		int *f = (int *)((char *)&o + int_flags[i].off);
		if (*f != 1)
			fprintf(stderr, "  (option %s)\n", int_flags[i].opt);
		CHECK_EQ_INT(*f, 1);
		/* and nothing else changed except what the option implies */
		*f = 0;
		if (strcmp(int_flags[i].opt, "debug") == 0) {
			CHECK_EQ_INT(o.foreground, 1); /* like -d */
			o.foreground = 0;
		}
		if (strcmp(int_flags[i].opt, "ro") == 0)
			o.mount_flags &= ~(unsigned long)MS_RDONLY;
		check_defaults(&o);
		fbx_options_free(&o);
		/* flags take no value */
		char bad[64];
		snprintf(bad, sizeof bad, "%s=1", int_flags[i].opt);
		char want[96];
		snprintf(want, sizeof want, "`-o %s' takes no value", int_flags[i].opt);
		EXPECT_ERR(want, "-o", bad, tmpdir);
	}
	for (size_t i = 0; i < sizeof tri_flags / sizeof tri_flags[0]; i++) {
		CHECK_EQ_INT(PARSE(&o, "-o", tri_flags[i].opt, tmpdir), 0);
		enum fbx_tristate *t = (enum fbx_tristate *)((char *)&o + tri_flags[i].off);
		if (*t != tri_flags[i].v)
			fprintf(stderr, "  (option %s)\n", tri_flags[i].opt);
		CHECK_EQ_INT(*t, tri_flags[i].v);
		*t = FBX_AUTO;
		check_defaults(&o);
		fbx_options_free(&o);
	}
	/* the last of on/off wins */
	CHECK_EQ_INT(PARSE(&o, "-o", "splice,no_splice,readdirplus=yes,readdirplus=auto", tmpdir), 0);
	CHECK_EQ_INT(o.splice, FBX_OFF);
	CHECK_EQ_INT(o.readdirplus, FBX_AUTO);
	fbx_options_free(&o);

	for (size_t i = 0; i < sizeof mflags / sizeof mflags[0]; i++) {
		/* start from everything set or everything cleared */
		CHECK_EQ_INT(PARSE(&o, "-o", "ro,nodev,nosuid,noexec,noatime,sync,dirsync",
		                   "-o", mflags[i].opt, tmpdir), 0);
		unsigned long all = MS_RDONLY | MS_NODEV | MS_NOSUID | MS_NOEXEC |
		                    MS_NOATIME | MS_SYNCHRONOUS | MS_DIRSYNC;
		CHECK_EQ_INT(o.mount_flags, all & ~mflags[i].clear);
		CHECK_EQ_INT(o.read_only, !(mflags[i].clear & MS_RDONLY));
		fbx_options_free(&o);
		CHECK_EQ_INT(PARSE(&o, "-o", "rw,dev,suid,exec,atime,async",
		                   "-o", mflags[i].opt, tmpdir), 0);
		CHECK_EQ_INT(o.mount_flags, mflags[i].set);
		CHECK_EQ_INT(o.read_only, !!(mflags[i].set & MS_RDONLY));
		fbx_options_free(&o);
	}
}

static void test_o_values(void)
{
	struct fbx_options o;
	CHECK_EQ_INT(PARSE(&o, "-o", "fsname=myfs,subtype=memfs,max_read=131072", tmpdir), 0);
	CHECK_EQ_STR(o.fsname, "myfs");
	CHECK_EQ_STR(o.subtype, "memfs");
	CHECK_EQ_INT(o.max_read, 131072);
	fbx_options_free(&o);

	CHECK_EQ_INT(PARSE(&o, "-o", "fsname=a\\,b", "-o", "fsname=x\\,y\\\\z", tmpdir), 0);
	CHECK_EQ_STR(o.fsname, "x,y\\z"); /* backslash escapes; the last wins */
	fbx_options_free(&o);

	CHECK_EQ_INT(PARSE(&o, "-o", "max_write=4096", tmpdir), 0);
	CHECK_EQ_INT(o.max_write, 4096);
	fbx_options_free(&o);
	CHECK_EQ_INT(PARSE(&o, "-o", "max_write=16777216", tmpdir), 0);
	CHECK_EQ_INT(o.max_write, 16777216);
	fbx_options_free(&o);
	CHECK_EQ_INT(PARSE(&o, "-o", "max_threads=1", tmpdir), 0);
	CHECK_EQ_INT(o.max_threads, 1);
	fbx_options_free(&o);
	CHECK_EQ_INT(PARSE(&o, "-o", "max_threads=64", tmpdir), 0);
	CHECK_EQ_INT(o.max_threads, 64);
	fbx_options_free(&o);
	CHECK_EQ_INT(PARSE(&o, "-o", "spin=0", tmpdir), 0);
	CHECK_EQ_INT(o.spin_us, 0);
	fbx_options_free(&o);
	CHECK_EQ_INT(PARSE(&o, "-o", "spin=1000000", tmpdir), 0);
	CHECK_EQ_INT(o.spin_us, 1000000);
	fbx_options_free(&o);
	CHECK_EQ_INT(PARSE(&o, "-o", "max_read=0", tmpdir), 0);
	CHECK_EQ_INT(o.max_read, 0);
	fbx_options_free(&o);

	CHECK_EQ_INT(PARSE(&o, "-o", "entry_timeout=0,attr_timeout=2.5,negative_timeout=1e1",
	                   tmpdir), 0);
	CHECK_EQ_DBL(o.entry_timeout, 0.0);
	CHECK_EQ_DBL(o.attr_timeout, 2.5);
	CHECK_EQ_DBL(o.negative_timeout, 10.0);
	fbx_options_free(&o);
	CHECK_EQ_INT(PARSE(&o, "-o", "attr_timeout=.5", tmpdir), 0);
	CHECK_EQ_DBL(o.attr_timeout, 0.5);
	fbx_options_free(&o);

	CHECK_EQ_INT(PARSE(&o, "-o", "umask=022,uid=1000,gid=0", tmpdir), 0);
	CHECK_EQ_INT(o.set_umask + o.set_uid + o.set_gid, 3);
	CHECK_EQ_INT(o.umask, 022);
	CHECK_EQ_INT(o.uid, 1000);
	CHECK_EQ_INT(o.gid, 0);
	fbx_options_free(&o);
	CHECK_EQ_INT(PARSE(&o, "-o", "umask=0,uid=0", tmpdir), 0);
	CHECK_EQ_INT(o.set_umask + o.set_uid + o.set_gid, 2);
	CHECK_EQ_INT(o.umask, 0);
	fbx_options_free(&o);
	/* libfuse's remember=T: any T but 0 is noforget, -1 too */
	static const struct { const char *v; int on; } rem[] = {
		{ "remember=-1", 1 }, { "remember=600", 1 }, { "remember=0", 0 },
	};
	for (size_t i = 0; i < sizeof rem / sizeof rem[0]; i++) {
		CHECK_EQ_INT(PARSE(&o, "-o", rem[i].v, tmpdir), 0);
		CHECK_EQ_INT(o.noforget, rem[i].on);
		fbx_options_free(&o);
	}
	CHECK_EQ_INT(PARSE(&o, "-o", "umask=777,uid=4294967294", tmpdir), 0);
	CHECK_EQ_INT(o.umask, 0777);
	CHECK_EQ_INT(o.uid, 4294967294u);
	fbx_options_free(&o);

	/* malformed: the message names the option and the value */
	static const char *bad[] = {
		"max_read=abc", "max_read=-1", "max_read=12k", "max_read= 5", "max_read=",
		"max_read=4294967296", "max_write=4095", "max_write=16777217", "max_write=0",
		"max_write=1M", "max_threads=0", "max_threads=-3", "max_threads=1x",
		"spin=-1", "spin=20us", "spin=1000001", "spin=",
		"entry_timeout=-1", "entry_timeout=abc", "attr_timeout=1s",
		"attr_timeout=nan", "attr_timeout=inf", "negative_timeout=-0.5",
		"negative_timeout=0x10", "umask=99", "umask=8", "umask=1000", "umask=-022",
		"umask=02x", "uid=-1", "uid=abc", "uid=4294967295", "uid=1.5", "gid=-1",
		"gid=", "gid=0x10", "readdirplus=maybe", "readdirplus=", "readdirplus=YES",
		"remember=soon", "remember=", "remember=-2",
		"fsname=", "subtype=", "blksize=1000", "blksize=256", "blksize=131072",
		"blksize=0", "blksize=4k",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char want[128];
		snprintf(want, sizeof want, "`-o %s'", bad[i]);
		EXPECT_ERR(want, "-o", bad[i], tmpdir);
		const char *val = strchr(bad[i], '=') + 1;
		snprintf(want, sizeof want, "bad value `%s'", val);
		CHECK_CONTAINS(errbuf, want);
	}
	EXPECT_ERR("bad value `a,b' in option `-o subtype=a,b'", "-o", "subtype=a\\,b", tmpdir);
	/* a value option without its value */
	static const char *noval[] = {
		"fsname", "subtype", "max_read", "max_write", "max_threads", "spin",
		"entry_timeout", "attr_timeout", "negative_timeout", "readdirplus",
		"umask", "uid", "gid", "blksize",
	};
	for (size_t i = 0; i < sizeof noval / sizeof noval[0]; i++) {
		char want[128];
		snprintf(want, sizeof want, "option `-o %s' needs a value", noval[i]);
		EXPECT_ERR(want, "-o", noval[i], tmpdir);
	}
	/* trailing garbage in a list element */
	EXPECT_ERR("unknown option `-o rox'", "-o", "rox", tmpdir);
	EXPECT_ERR("unknown option `-o bogus'", "-o", "ro,bogus,rw", tmpdir);
	EXPECT_ERR("unknown option `-o bogus=1'", "-obogus=1", tmpdir);

	/* empty elements are ignored */
	CHECK_EQ_INT(PARSE(&o, "-o", ",ro,,", tmpdir), 0);
	CHECK_EQ_INT(o.read_only, 1);
	fbx_options_free(&o);
}

static void test_conflicts(void)
{
	EXPECT_ERR("allow_other' and `allow_root' are mutually exclusive",
	           "-o", "allow_other,allow_root", tmpdir);
	EXPECT_ERR("mutually exclusive", "-o", "allow_root,allow_other", tmpdir);
	EXPECT_ERR("mutually exclusive", "-o", "allow_root", "-f", "-o", "allow_other", tmpdir);
}

static void test_kernel_opts(void)
{
	struct fbx_options o;
	CHECK_EQ_INT(PARSE(&o, "-o", "ro,fsname=f,auto_unmount,nonempty,nosuid", tmpdir), 0);
	CHECK_EQ_STR(o.kernel_opts, ""); /* none of these is for the kernel's parser */
	fbx_options_free(&o);

	CHECK_EQ_INT(PARSE(&o, "-o", "subtype=st,max_read=65536,allow_other",
	                   "-o", "default_permissions,fsname=src", tmpdir), 0);
	CHECK_EQ_STR(o.kernel_opts, "default_permissions,allow_other,max_read=65536,subtype=st");
	fbx_options_free(&o);

	CHECK_EQ_INT(PARSE(&o, "-o", "allow_root", tmpdir), 0);
	CHECK_EQ_STR(o.kernel_opts, "allow_other"); /* the kernel knows no allow_root */
	CHECK_EQ_INT(o.allow_root, 1);
	CHECK_EQ_INT(o.allow_other, 0);
	fbx_options_free(&o);

	/* blksize goes to the kernel only for fuseblk (it refuses it on "fuse";
	 * mount.c refuses blksize without blkdev before mounting) */
	CHECK_EQ_INT(PARSE(&o, "-o", "blksize=4096,max_read=8192", tmpdir), 0);
	CHECK_EQ_STR(o.kernel_opts, "max_read=8192");
	CHECK_EQ_INT(o.blksize, 4096);
	CHECK_EQ_INT(o.blkdev, 0);
	fbx_options_free(&o);
	CHECK_EQ_INT(PARSE(&o, "-o", "blksize=4096,blkdev,fsname=/dev/loop0,subtype=b", tmpdir), 0);
	CHECK_EQ_STR(o.kernel_opts, "blksize=4096,subtype=b");
	CHECK_EQ_INT(o.blkdev, 1);
	fbx_options_free(&o);

	/* fbx_options_parse_o on its own updates kernel_opts too */
	fbx_options_init(&o);
	CHECK_EQ_INT(fbx_options_parse_o(&o, "default_permissions", NULL, NULL), 0);
	CHECK_EQ_STR(o.kernel_opts, "default_permissions");
	CHECK_EQ_INT(fbx_options_parse_o(&o, "max_read=4096,attr_timeout=3", NULL, NULL), 0);
	CHECK_EQ_STR(o.kernel_opts, "default_permissions,max_read=4096");
	CHECK_EQ_DBL(o.attr_timeout, 3.0);
	CHECK_EQ_INT(fbx_options_parse_o(&o, NULL, NULL, NULL), 0);
	fbx_options_free(&o);
}

/* ---- app_opt ------------------------------------------------------------ */

struct app {
	char *source;      /* first non-option argument */
	int level;         /* -o level=N */
	int calls;
	char log[512];     /* every call: "key[=value][/arg];" */
};

static int app_opt(void *data, const char *key, const char *value, int is_arg)
{
	struct app *a = data;
	a->calls++;
	size_t n = strlen(a->log);
	snprintf(a->log + n, sizeof a->log - n, "%s%s%s%s;", key, value ? "=" : "",
	         value ? value : "", is_arg ? "/arg" : "");
	if (is_arg) {
		CHECK(value == NULL);
		if (a->source)
			return 0;
		a->source = strdup(key);
		return 1;
	}
	if (strcmp(key, "level") == 0) {
		if (!value || strcmp(value, "bad") == 0)
			return -EINVAL;
		a->level = atoi(value);
		return 1;
	}
	if (strcmp(key, "flag") == 0 && !value)
		return 1;
	return 0;
}

static void test_app_opt(void)
{
	struct fbx_options o;
	struct app a;

	memset(&a, 0, sizeof a);
	CHECK_EQ_INT(PARSE_APP(&o, app_opt, &a, "-o", "ro,level=3,flag", "/src", "-f", tmpdir), 0);
	CHECK_EQ_STR(a.source, "/src");
	CHECK_EQ_INT(a.level, 3);
	CHECK_EQ_STR(o.mountpoint, tmpdir);
	CHECK_EQ_INT(o.read_only, 1);
	/* known options never reach the hook; arguments do, in order */
	{
		char want[128];
		snprintf(want, sizeof want, "level=3;flag;/src/arg;%s/arg;", tmpdir);
		CHECK_EQ_STR(a.log, want);
	}
	CHECK_EQ_INT(a.calls, 4); /* the mount point was offered too */
	fbx_options_free(&o);
	free(a.source);

	/* the hook may take every argument: then there is no mount point */
	memset(&a, 0, sizeof a);
	a.source = strdup("taken");
	CHECK_EQ_INT(PARSE_APP(&o, app_opt, &a, tmpdir), 0);
	CHECK_EQ_STR(o.mountpoint, tmpdir); /* returned 0: it is the mount point */
	fbx_options_free(&o);
	free(a.source);

	/* a bad value from the hook: an error naming the option */
	memset(&a, 0, sizeof a);
	CHECK_EQ_INT(PARSE_APP(&o, app_opt, &a, "-o", "level=bad", tmpdir), -EINVAL);
	CHECK_CONTAINS(errbuf, "`-o level=bad'");
	CHECK_CONTAINS(errbuf, "Invalid argument");
	CHECK(o.mountpoint == NULL);
	fbx_options_free(&o);
	free(a.source);

	/* an option the hook does not know */
	memset(&a, 0, sizeof a);
	CHECK_EQ_INT(PARSE_APP(&o, app_opt, &a, "-o", "other=1", tmpdir), -EINVAL);
	CHECK_CONTAINS(errbuf, "prog: unknown option `-o other=1'");
	fbx_options_free(&o);
	free(a.source);

	/* dash options never reach the hook */
	memset(&a, 0, sizeof a);
	CHECK_EQ_INT(PARSE_APP(&o, app_opt, &a, "-z", tmpdir), -EINVAL);
	CHECK_CONTAINS(errbuf, "unknown option `-z'");
	CHECK_EQ_INT(a.calls, 0);
	fbx_options_free(&o);

	/* three arguments: source, mount point, one too many */
	memset(&a, 0, sizeof a);
	CHECK_EQ_INT(PARSE_APP(&o, app_opt, &a, "/src", tmpdir, tmpdir), -EINVAL);
	CHECK_CONTAINS(errbuf, "more than one mount point");
	fbx_options_free(&o);
	free(a.source);

	/* parse_o with the hook */
	memset(&a, 0, sizeof a);
	fbx_options_init(&o);
	CHECK_EQ_INT(fbx_options_parse_o(&o, "level=7,kernel_cache", app_opt, &a), 0);
	CHECK_EQ_INT(a.level, 7);
	CHECK_EQ_INT(o.kernel_cache, 1);
	CHECK_EQ_INT(fbx_options_parse_o(&o, "nope", app_opt, &a), -EINVAL);
	CHECK_EQ_INT(fbx_options_parse_o(&o, "nope", NULL, NULL), -EINVAL);
	fbx_options_free(&o);
}

/* ---- copy, help --------------------------------------------------------- */

static void test_copy(void)
{
	struct fbx_options o, c;
	CHECK_EQ_INT(PARSE(&o, "-s", "-o", "fsname=f,subtype=s,allow_other,max_threads=3", tmpdir), 0);
	CHECK_EQ_INT(fbx_options_copy(&c, &o), 0);
	CHECK(c.mountpoint != o.mountpoint && c.fsname != o.fsname &&
	      c.subtype != o.subtype && c.kernel_opts != o.kernel_opts &&
	      c.progname != o.progname);
	CHECK_EQ_STR(c.mountpoint, o.mountpoint);
	CHECK_EQ_STR(c.fsname, "f");
	CHECK_EQ_STR(c.subtype, "s");
	CHECK_EQ_STR(c.kernel_opts, o.kernel_opts);
	CHECK_EQ_STR(c.progname, "prog");
	CHECK_EQ_INT(c.max_threads, 3);
	CHECK_EQ_INT(c.singlethread, 1);
	CHECK_EQ_INT(c.mount_flags, o.mount_flags);
	fbx_options_free(&o);           /* the copy outlives the original */
	CHECK_EQ_STR(c.fsname, "f");
	fbx_options_free(&c);

	struct fbx_options e, ec;       /* copying defaults: NULL strings stay NULL */
	fbx_options_init(&e);
	CHECK_EQ_INT(fbx_options_copy(&ec, &e), 0);
	CHECK(ec.mountpoint == NULL && ec.fsname == NULL && ec.kernel_opts == NULL);
	check_defaults(&ec);
	fbx_options_free(&ec);
}

static void test_help(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CHECK_FATAL(f);
	fbx_options_help(f, "myprog");
	fclose(f);
	CHECK_CONTAINS(buf, "usage: myprog ");
	static const char *must[] = {
		"-h, --help", "-V, --version", "\n    -d ", "\n    -f ", "\n    -s ",
		"\n    -r ", "-o OPT",
		"-o ro ", "-o rw ", "-o default_permissions ", "-o allow_other ",
		"-o allow_root ", "-o nonempty ", "-o auto_unmount ", "-o fsname=NAME",
		"-o subtype=NAME", "-o max_read=N", "-o max_write=N", "-o max_threads=N", "-o spin=N",
		"-o kernel_cache ", "-o direct_io ", "-o large_read ",
		"-o entry_timeout=S", "-o attr_timeout=S", "-o negative_timeout=S",
		"-o writeback_cache ", "-o no_writeback_cache ", "-o splice ",
		"-o no_splice ", "-o readdirplus=yes|no|auto", "-o passthrough ",
		"-o no_passthrough ", "-o io_uring ", "-o no_io_uring ", "-o debug ",
		"-o hard_remove ", "-o use_ino ", "-o readdir_ino ", "-o umask=M",
		"-o uid=N", "-o gid=N", "-o dev ", "-o nodev ", "-o suid ", "-o nosuid ",
		"-o exec ", "-o noexec ", "-o atime ", "-o noatime ", "-o sync ",
		"-o async ", "-o dirsync ",
	};
	for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
		CHECK_CONTAINS(buf, must[i]);
	/* one line of help each: no option line without text after it */
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "    -", 5) != 0)
			continue;
		char *text = line + 4;
		while (*text && *text != ' ')
			text++;
		if (strncmp(line, "    -o ", 7) == 0) { /* "-o NAME  text" */
			text++;
			while (*text && *text != ' ')
				text++;
		}
		while (*text == ' ')
			text++;
		if (strlen(text) < 5)
			check_fail(__FILE__, __LINE__, "help line without text: \"%s\"", line);
	}
	free(buf);

	/* NULL program name */
	f = open_memstream(&buf, &len);
	fbx_options_help(f, NULL);
	fclose(f);
	CHECK_CONTAINS(buf, "usage: ");
	free(buf);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/fbx-test.XXXXXX");
	CHECK_FATAL(mkdtemp(tmpdir) != NULL);
	snprintf(tmpfile_, sizeof tmpfile_, "%s/file", tmpdir);
	FILE *f = fopen(tmpfile_, "w");
	CHECK_FATAL(f);
	fclose(f);

	test_defaults();
	test_mountpoint();
	test_dash_options();
	test_o_flags();
	test_o_values();
	test_conflicts();
	test_kernel_opts();
	test_app_opt();
	test_copy();
	test_help();

	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return check_exit();
}
