/*
 * hl_new.c -- fuse_new: the high-level options, modules stacked over
 * the program's ops, and the path filesystem on the channel, mounted.
 *
 * Option names and meanings are libfuse 2.9's. The cache and identity
 * options (hard_remove, use_ino, readdir_ino, umask=, uid=, gid=, the
 * timeouts, kernel_cache, direct_io) are fusebox's parser's too and
 * reach the path layer from there. What fusebox does with the rest:
 *   modules=M1[:M2]: the built-in subdir and iconv (compat/common,
 *     shared with libfuse 3), modules a program registered
 *     (fuse_register_module) or a libfusemod_NAME.so defines.
 *   auto_cache, ac_attr_timeout=: accepted; the page cache is kept or
 *     dropped as the path layer decides (kernel_cache to keep it).
 *   noforget, remember=T: the path layer's flag_remember (fusebox/fs.h):
 *     a node the kernel forgot is kept while it has a name, so that file
 *     handles (NFS) find it again; kept past T seconds too, until the
 *     name is removed (as the libfuse 3 layer does).
 *   intr, intr_signal=: accepted; fuse_interrupted() sees an interrupt
 *     (no signal is sent to the worker).
 *   nopath: as flag_nopath.
 */
#include "hl.h"
#include "pathmap.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CF(t, field, v) { t, offsetof(struct hl_conf, field), v }

static const struct fuse_opt hl_opts[] = {
	CF("modules=%s", modules, 0),
	CF("auto_cache", auto_cache, 1),
	CF("noauto_cache", auto_cache, 0),
	CF("intr", intr, 1),
	CF("intr_signal=%d", intr_signal, 0),
	CF("noforget", remember, -1),
	CF("remember=%u", remember, 0),
	FUSE_OPT_END
};

/* Everything else is the session's: kept in args. */
static int keep(void *data, const char *arg, int key, struct fuse_args *out)
{
	(void)data; (void)arg; (void)key; (void)out;
	return 1;
}

/* ---- modules ------------------------------------------------------------- */

static pthread_mutex_t modules_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fuse_module *modules;

void fuse_register_module(struct fuse_module *mod)
{
	pthread_mutex_lock(&modules_lock);
	mod->ctr = 0;
	mod->so = NULL;
	mod->next = modules;
	modules = mod;
	pthread_mutex_unlock(&modules_lock);
}

static struct fuse_module *find_registered(const char *name)
{
	pthread_mutex_lock(&modules_lock);
	struct fuse_module *m = modules;
	while (m && strcmp(m->name, name) != 0)
		m = m->next;
	pthread_mutex_unlock(&modules_lock);
	return m;
}

/* libfuse 2's own modules; a program's registered one of the same name
 * comes first, as in libfuse 2 (its list is searched newest first). */
static struct fuse_module *builtin(const char *name)
{
	static struct fuse_module subdir = { .name = "subdir", .factory = fbx_compat_subdir_factory };
	static struct fuse_module iconv = { .name = "iconv", .factory = fbx_compat_iconv_factory };
	if (strcmp(name, subdir.name) == 0)
		return &subdir;
	if (strcmp(name, iconv.name) == 0)
		return &iconv;
	return NULL;
}

/* libfusemod_NAME.so defining fuse_fusemod_NAME_module (FUSE_REGISTER_MODULE). */
static struct fuse_module *load(const char *name, void **dl)
{
	char sym[256], lib[256];
	snprintf(lib, sizeof(lib), "libfusemod_%s.so", name);
	snprintf(sym, sizeof(sym), "fuse_fusemod_%s_module", name);
	*dl = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!*dl)
		return NULL;
	struct fuse_module *m = dlsym(*dl, sym);
	if (!m) {
		dlclose(*dl);
		*dl = NULL;
	}
	return m;
}

static int push_module(struct fuse *f, const char *name, struct fuse_args *args)
{
	void *dl = NULL;
	if (strlen(name) > 200) {
		fbx_fuse2_err("module name too long\n");
		return -1;
	}
	struct fuse_module *m = find_registered(name);
	if (!m)
		m = builtin(name);
	if (!m)
		m = load(name, &dl);
	if (!m) {
		fbx_fuse2_err("module '%s' not found\n", name);
		return -1;
	}
	struct fuse_fs *under[2] = { f->fs, NULL };
	struct fuse_fs *top = m->factory(args, under);
	if (!top) {
		if (dl)
			dlclose(dl);
		return -1;   /* the factory said why; the layer under it is still ours */
	}
	top->dl = dl;
	f->fs = top;
	return 0;
}

int fbx_hl2_push_modules(struct fuse *f, struct fuse_args *args)
{
	if (!f->conf.modules)
		return 0;
	char *list = strdup(f->conf.modules), *save = NULL;
	if (!list)
		return -1;
	int r = 0;
	for (char *m = strtok_r(list, ":", &save); m && r == 0; m = strtok_r(NULL, ":", &save))
		r = push_module(f, m, args);
	free(list);
	return r;
}

/* ---- fuse_new -------------------------------------------------------------- */

static void free_partial(struct fuse *f)
{
	/* Never inited: the layers' destroy ops must not run. */
	while (f->fs) {
		struct fuse_fs *fs = f->fs;
		f->fs = NULL;
		free(fs);
	}
	free(f->conf.modules);
	free(f);
}

static int parse_hl(struct fuse *f, struct fuse_args *args)
{
	struct fuse_args copy = FUSE_ARGS_INIT(0, NULL);
	int r = 0;
	for (int i = 0; args && i < args->argc && r == 0; i++)
		r = fuse_opt_add_arg(&copy, args->argv[i]);
	if (r == 0)
		r = fuse_opt_parse(&copy, &f->conf, hl_opts, keep);
	fuse_opt_free_args(&copy);
	return r;
}

struct fuse *fuse_new(struct fuse_chan *ch, struct fuse_args *args,
                      const struct fuse_operations *op, size_t op_size,
                      void *user_data)
{
	struct fuse *f = calloc(1, sizeof(*f));
	struct fbx_options o;
	struct fbx_fs_ops ops;
	if (!f) {
		fbx_fuse2_err("failed to allocate fuse object\n");
		return NULL;
	}
	if (!ch) {
		fbx_fuse2_err("fuse_new: no channel (fuse_mount failed?)\n");
		free(f);
		return NULL;
	}
	if (parse_hl(f, args) != 0 || !(f->fs = fuse_fs_new(op, op_size, user_data)) ||
	    fbx_hl2_push_modules(f, args) != 0) {
		free_partial(f);
		return NULL;
	}
	if (fbx_fuse2_session_options_conn(&o, args, ch, &f->se.conn) != 0) {
		fbx_options_free(&o);
		free_partial(f);
		return NULL;
	}
	fbx_hl2_make_ops(f->fs, &ops);
	ops.flag_remember = f->conf.remember != 0;
	f->fbx = fbx_fs_new(&o, &ops, sizeof(ops), f);
	fbx_options_free(&o);
	if (!f->fbx) {
		fbx_fuse2_err("cannot create the filesystem: %s\n", strerror(errno));
		free_partial(f);
		return NULL;
	}
	f->se.fbx = fbx_fs_session(f->fbx);
	f->se.f = f;
	f->se.userdata = f;
	atomic_init(&f->se.signal, 0);
	if (fbx_fuse2_attach(&f->se, ch) != 0) {
		/* the channel stays the program's: it frees it with fuse_unmount */
		ch->se = NULL;
		f->se.ch = NULL;
		fbx_fs_destroy(f->fbx);
		free_partial(f);
		return NULL;
	}
	return f;
}
