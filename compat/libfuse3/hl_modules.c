/*
 * hl_modules.c -- -o modules=NAME[:NAME...]: layers stacked over the
 * program's ops.
 *
 * A module is found, in this order: built in (subdir, iconv); a factory the
 * program itself defines with FUSE_REGISTER_MODULE (the symbol
 * fuse_module_NAME_factory, looked up in the running program); a
 * shared object libfusemod_NAME.so on the library path defining it.
 */
#include "hl.h"
#include "pathmap.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

struct builtin {
	const char *name;
	fuse_module_factory_t factory;
};

static const struct builtin builtins[] = {
	{ "subdir", fbx_compat_subdir_factory },
	{ "iconv", fbx_compat_iconv_factory },
};

static fuse_module_factory_t lookup(const char *name, void **dl)
{
	char sym[256], lib[256];
	*dl = NULL;
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strcmp(builtins[i].name, name) == 0)
			return builtins[i].factory;
	snprintf(sym, sizeof(sym), "fuse_module_%s_factory", name);
	fuse_module_factory_t *fp = dlsym(RTLD_DEFAULT, sym);
	if (fp)
		return *fp;
	snprintf(lib, sizeof(lib), "libfusemod_%s.so", name);
	*dl = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!*dl)
		return NULL;
	fp = dlsym(*dl, sym);
	if (fp)
		return *fp;
	dlclose(*dl);
	*dl = NULL;
	return NULL;
}

int fbx_hl_push_module(struct fuse *f, const char *name, struct fuse_args *args)
{
	void *dl;
	if (strlen(name) > 200) {
		fbx_fuse3_err("module name too long\n");
		return -1;
	}
	fuse_module_factory_t factory = lookup(name, &dl);
	if (!factory) {
		fbx_fuse3_err("module '%s' not found\n", name);
		return -1;
	}
	struct fuse_fs *under[2] = { f->fs, NULL };
	struct fuse_fs *top = factory(args, under);
	if (!top) {
		/* The factory said why; the layer under it is still ours. */
		return -1;
	}
	top->dl = dl;
	f->fs = top;
	return 0;
}
