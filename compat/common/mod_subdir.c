/*
 * mod_subdir.c -- the "subdir" module: every path the layer below sees
 * is prefixed with a directory (-o subdir=DIR, required), so a
 * filesystem can be mounted from one of its subtrees. -o rellinks makes
 * readlink answer absolute targets inside DIR relative to the link (so
 * they stay inside the mount); norellinks (the default) leaves them.
 * A path-mapping layer (pathmap.h), for libfuse 3 and libfuse 2 alike.
 */
#include "pathmap.h"

#include "common.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct subdir {
	char *base;        /* DIR with a trailing '/' (or "" for the cwd) */
	size_t baselen;
	int rellinks;
};

/* base + path without its leading '/'. 0 or -ENOMEM. */
static int add_base(void *m, const char *path, char **out)
{
	const struct subdir *d = m;
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

static void link_up(void *m, const char *path, char *buf, size_t size)
{
	const struct subdir *d = m;
	if (d->rellinks)
		relative_target(d, path, buf, size);
}

static void sd_free(void *m)
{
	struct subdir *d = m;
	free(d->base);
	free(d);
}

#define SDO(t, field, v) { t, offsetof(struct subdir, field), v }

static const struct fuse_opt sd_opts[] = {
	SDO("subdir=%s", base, 0),
	SDO("rellinks", rellinks, 1),
	SDO("norellinks", rellinks, 0),
	FUSE_OPT_END
};

void fbx_compat_subdir_help(void)
{
	printf("\n[subdir]\n"
	       "    -o subdir=DIR          prepend this directory to all paths (mandatory)\n"
	       "    -o [no]rellinks        transform absolute symlinks to relative\n");
}

/* The base with exactly one trailing '/' ("" stays ""). 0 or -1. */
static int end_with_slash(struct subdir *d)
{
	size_t n = strlen(d->base);
	if (n && d->base[n - 1] != '/') {
		char *b = realloc(d->base, n + 2);
		if (!b)
			return -1;
		d->base = b;
		strcpy(b + n, "/");
	}
	d->baselen = strlen(d->base);
	return 0;
}

struct fuse_fs *fbx_compat_subdir_factory(struct fuse_args *args, struct fuse_fs *fs[])
{
	struct subdir *d = calloc(1, sizeof(*d));
	if (!d) {
		fbx_compat_log("fuse-subdir: out of memory\n");
		return NULL;
	}
	if (fuse_opt_parse(args, d, sd_opts, NULL) == -1)
		goto fail;
	if (!fs[0] || fs[1]) {
		fbx_compat_log("fuse-subdir: needs exactly one filesystem under it\n");
		goto fail;
	}
	if (!d->base) {
		fbx_compat_log("fuse-subdir: the 'subdir' option is required\n");
		goto fail;
	}
	if (end_with_slash(d) != 0)
		goto fail;
	struct fbx_pathmap pm = { .m = d, .down = add_base, .link_up = link_up, .free = sd_free };
	return fbx_pathmap_new(&pm, fs[0]);
fail:
	sd_free(d);
	return NULL;
}
