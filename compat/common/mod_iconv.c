/*
 * mod_iconv.c -- the "iconv" module: file names are shown in one
 * character set and stored in another. -o from_code=CHARSET is the
 * encoding of the names in the filesystem below (default UTF-8),
 * -o to_code=CHARSET the one the mount shows (default: the locale's).
 * Paths and symlink targets going down are converted to from_code,
 * names from readdir and readlink targets coming up to to_code. A name
 * that does not convert is an error (EILSEQ), never a silent mangling;
 * a listed name that does not convert is left out of the listing.
 * A path-mapping layer (pathmap.h), for libfuse 3 and libfuse 2 alike.
 */
#include "pathmap.h"

#include "common.h"

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
};

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

static int conv_down(void *m, const char *s, char **out)
{
	struct ic *c = m;
	return conv(c, c->down, s, out);
}

static int conv_up(void *m, const char *s, char **out)
{
	struct ic *c = m;
	return conv(c, c->up, s, out);
}

static void link_up(void *m, const char *path, char *buf, size_t size)
{
	char *up;
	(void)path;
	if (conv_up(m, buf, &up) == 0) {
		snprintf(buf, size, "%s", up);
		free(up);
	}
}

static void ic_free(void *m)
{
	struct ic *c = m;
	if (c->down != (iconv_t)-1)
		iconv_close(c->down);
	if (c->up != (iconv_t)-1)
		iconv_close(c->up);
	pthread_mutex_destroy(&c->lock);
	free(c->from_code);
	free(c->to_code);
	free(c);
}

#define ICO(t, field) { t, offsetof(struct ic, field), 0 }

static const struct fuse_opt ic_opts[] = {
	ICO("from_code=%s", from_code),
	ICO("to_code=%s", to_code),
	FUSE_OPT_END
};

void fbx_compat_iconv_help(void)
{
	printf("\n[iconv]\n"
	       "    -o from_code=CHARSET   original encoding of file names (default: UTF-8)\n"
	       "    -o to_code=CHARSET     new encoding of the file names (default: the locale's)\n");
}

struct fuse_fs *fbx_compat_iconv_factory(struct fuse_args *args, struct fuse_fs *fs[])
{
	struct ic *c = calloc(1, sizeof(*c));
	if (!c) {
		fbx_compat_log("fuse-iconv: out of memory\n");
		return NULL;
	}
	c->down = c->up = (iconv_t)-1;
	pthread_mutex_init(&c->lock, NULL);
	if (fuse_opt_parse(args, c, ic_opts, NULL) == -1)
		goto fail;
	if (!fs[0] || fs[1]) {
		fbx_compat_log("fuse-iconv: needs exactly one filesystem under it\n");
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
		fbx_compat_log("fuse-iconv: cannot convert between %s and %s: %s\n",
		               from, to, strerror(errno));
		goto fail;
	}
	struct fbx_pathmap pm = { .m = c, .down = conv_down, .target_down = conv_down,
		.name_up = conv_up, .link_up = link_up, .free = ic_free };
	return fbx_pathmap_new(&pm, fs[0]);
fail:
	ic_free(c);
	return NULL;
}
