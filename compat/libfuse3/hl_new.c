/*
 * hl_new.c -- fuse_new: the high-level -o options into struct
 * fuse_config, the modules stacked over the program's ops, the rest of
 * the arguments to fusebox's option parser, and the path filesystem.
 *
 * Option names and meanings are libfuse 3.14's. What fusebox does with
 * the ones its design makes moot:
 *   remember=T, noforget: the path layer's flag_remember (fusebox/fs.h):
 *     a node the kernel forgot is kept while it has a name, so that file
 *     handles (NFS) find it again; kept past T seconds too, until the
 *     name is removed.
 *   intr, intr_signal=N: accepted; an interrupted request is seen by
 *     fuse_interrupted() (no signal is sent to the worker).
 *   no_rofd_flush: accepted; flush is passed to the program as usual.
 */
#include "hl.h"
#include "pathmap.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusebox/options.h"

#define CF(t, field, v) { t, offsetof(struct fuse_config, field), v }

static const struct fuse_opt lib_opts[] = {
	CF("debug", debug, 1),
	CF("-d", debug, 1),
	FUSE_OPT_KEY("debug", FUSE_OPT_KEY_KEEP),
	FUSE_OPT_KEY("-d", FUSE_OPT_KEY_KEEP),
	CF("-h", show_help, 1),
	CF("--help", show_help, 1),
	CF("kernel_cache", kernel_cache, 1),
	CF("auto_cache", auto_cache, 1),
	CF("noauto_cache", auto_cache, 0),
	CF("no_rofd_flush", no_rofd_flush, 1),
	CF("umask=", set_mode, 1),
	CF("umask=%o", umask, 0),
	CF("uid=", set_uid, 1),
	CF("uid=%u", uid, 0),
	CF("gid=", set_gid, 1),
	CF("gid=%u", gid, 0),
	CF("entry_timeout=%lf", entry_timeout, 0),
	CF("attr_timeout=%lf", attr_timeout, 0),
	CF("ac_attr_timeout=%lf", ac_attr_timeout, 0),
	CF("ac_attr_timeout=", ac_attr_timeout_set, 1),
	CF("negative_timeout=%lf", negative_timeout, 0),
	CF("noforget", remember, -1),
	CF("remember=%u", remember, 0),
	CF("modules=%s", modules, 0),
	CF("hard_remove", hard_remove, 1),
	CF("use_ino", use_ino, 1),
	CF("readdir_ino", readdir_ino, 1),
	CF("direct_io", direct_io, 1),
	CF("intr", intr, 1),
	CF("intr_signal=%d", intr_signal, 0),
	FUSE_OPT_END
};

/* Options this layer does not know are the session's: kept in args. */
static int lib_opt(void *data, const char *arg, int key, struct fuse_args *out)
{
	(void)data; (void)arg; (void)key; (void)out;
	return 1;
}

void fuse_lib_help(struct fuse_args *args)
{
	printf("    -o kernel_cache        cache files in kernel\n"
	       "    -o [no]auto_cache      enable caching based on modification times (off)\n"
	       "    -o no_rofd_flush       disable flushing of read-only fd on close (off)\n"
	       "    -o umask=M             set file permissions (octal)\n"
	       "    -o uid=N               set file owner\n"
	       "    -o gid=N               set file group\n"
	       "    -o entry_timeout=T     cache timeout for names (1.0s)\n"
	       "    -o negative_timeout=T  cache timeout for deleted names (0.0s)\n"
	       "    -o attr_timeout=T      cache timeout for attributes (1.0s)\n"
	       "    -o ac_attr_timeout=T   auto cache timeout for attributes (attr_timeout)\n"
	       "    -o noforget            never forget cached inodes (while they have a\n"
	       "                           name: file handles stay valid, for NFS)\n"
	       "    -o remember=T          remember cached inodes for T seconds (as noforget)\n"
	       "    -o modules=M1[:M2...]  names of modules to push onto filesystem stack\n"
	       "    -o hard_remove         immediate removal (don't hide files)\n"
	       "    -o use_ino             let filesystem set inode numbers\n"
	       "    -o readdir_ino         try to fill in d_ino in readdir\n"
	       "    -o direct_io           use direct I/O\n"
	       "    -o intr                allow requests to be interrupted\n"
	       "    -o intr_signal=NUM     signal to send on interrupt (%d)\n"
	       "\n", SIGUSR1);
	fuse_lowlevel_help();
	/* The modules named in args print their own options. */
	struct fuse_config c;
	memset(&c, 0, sizeof(c));
	struct fuse_args copy = FUSE_ARGS_INIT(0, NULL);
	for (int i = 0; args && i < args->argc; i++)
		if (fuse_opt_add_arg(&copy, args->argv[i]) != 0)
			break;
	if (fuse_opt_parse(&copy, &c, lib_opts, lib_opt) == 0 && c.modules) {
		for (char *m = strtok(c.modules, ":"); m; m = strtok(NULL, ":"))
			if (strcmp(m, "subdir") == 0)
				fbx_compat_subdir_help();
			else if (strcmp(m, "iconv") == 0)
				fbx_compat_iconv_help();
	}
	free(c.modules);
	fuse_opt_free_args(&copy);
}

/* ---- the session's options --------------------------------------------- */

static int session_opt(void *data, const char *arg, int key, struct fuse_args *out)
{
	(void)out;
	return fbx_fuse3_session_item(data, arg, key, "fuse_mount");
}

static int session_options(struct fbx_options *o, const struct fuse_args *args,
                           const struct fuse_config *cf)
{
	fbx_fuse3_options_init(o);
	o->foreground = 1;       /* fuse_daemonize() is the program's call */
	if (args && args->argc > 0 && args->argv && args->argv[0]) {
		const char *slash = strrchr(args->argv[0], '/');
		free(o->progname);
		o->progname = strdup(slash ? slash + 1 : args->argv[0]);
	}
	int r = 0;
	if (args && args->argc > 1) {
		struct fuse_args copy = FUSE_ARGS_INIT(0, NULL);
		for (int i = 0; i < args->argc && r == 0; i++)
			r = fuse_opt_add_arg(&copy, args->argv[i]);
		if (r == 0)
			r = fuse_opt_parse(&copy, o, NULL, session_opt);
		fuse_opt_free_args(&copy);
	}
	o->entry_timeout = cf->entry_timeout;
	o->attr_timeout = cf->attr_timeout;
	o->negative_timeout = cf->negative_timeout;
	o->kernel_cache = cf->kernel_cache;
	o->direct_io = cf->direct_io;
	o->hard_remove = cf->hard_remove;
	o->use_ino = cf->use_ino;
	o->readdir_ino = cf->readdir_ino;
	o->set_umask = cf->set_mode;
	o->umask = cf->umask;
	o->set_uid = cf->set_uid;
	o->uid = cf->uid;
	o->set_gid = cf->set_gid;
	o->gid = cf->gid;
	return r;
}

/* ---- fuse_new ---------------------------------------------------------- */

static void conf_defaults(struct fuse_config *c)
{
	memset(c, 0, sizeof(*c));
	c->entry_timeout = 1.0;
	c->attr_timeout = 1.0;
	c->negative_timeout = 0.0;
	c->intr_signal = SIGUSR1;
}

static int push_modules(struct fuse *f, struct fuse_args *args)
{
	char *list = f->conf.modules ? strdup(f->conf.modules) : NULL;
	char *save = NULL;
	int r = 0;
	if (f->conf.modules && !list)
		return -1;
	for (char *m = list ? strtok_r(list, ":", &save) : NULL; m && r == 0;
	     m = strtok_r(NULL, ":", &save))
		r = fbx_hl_push_module(f, m, args);
	free(list);
	return r;
}

static void free_partial(struct fuse *f)
{
	/* Never inited: the layers' destroy ops must not run. */
	free(f->fs);
	free(f->conf.modules);
	fbx_hl_cache_free(f);
	free(f);
}

FBX_SYMVER("fuse_new@@FUSE_3.1")
struct fuse *fuse_new_31(struct fuse_args *args, const struct fuse_operations *op,
                         size_t op_size, void *private_data)
{
	struct fuse *f = calloc(1, sizeof(*f));
	struct fbx_options o;
	struct fbx_fs_ops ops;
	if (!f) {
		fbx_fuse3_err("failed to allocate fuse object\n");
		return NULL;
	}
	conf_defaults(&f->conf);
	if (fuse_opt_parse(args, &f->conf, lib_opts, lib_opt) == -1) {
		free_partial(f);
		return NULL;
	}
	if (!f->conf.ac_attr_timeout_set)
		f->conf.ac_attr_timeout = f->conf.attr_timeout;
	f->fs = fuse_fs_new(op, op_size, private_data);
	if (!f->fs || push_modules(f, args) != 0) {
		free_partial(f);
		return NULL;
	}
	if (session_options(&o, args, &f->conf) != 0) {
		fbx_options_free(&o);
		free_partial(f);
		return NULL;
	}
	fbx_hl_make_ops(f->fs, &ops);
	ops.flag_remember = f->conf.remember != 0;
	f->fbx = fbx_fs_new(&o, &ops, sizeof(ops), f);
	f->se.debug = o.debug;
	fbx_options_free(&o);
	if (!f->fbx) {
		fbx_fuse3_err("cannot create the filesystem: %s\n", strerror(errno));
		free_partial(f);
		return NULL;
	}
	f->se.fbx = fbx_fs_session(f->fbx);
	f->se.userdata = f;
	atomic_init(&f->se.signal, 0);
	return f;
}

/* The 3.0 call printed the library's help itself when asked for it. */
FBX_SYMVER("fuse_new@FUSE_3.0")
struct fuse *fuse_new_30(struct fuse_args *args, const struct fuse_operations *op,
                         size_t op_size, void *private_data)
{
	for (int i = 1; args && i < args->argc; i++) {
		if (strcmp(args->argv[i], "-h") == 0 || strcmp(args->argv[i], "--help") == 0) {
			fuse_lib_help(args);
			return NULL;
		}
	}
	return fuse_new_31(args, op, op_size, private_data);
}
