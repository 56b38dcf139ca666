/*
 * opt.c -- fuse_opt_*: libfuse's template-driven option parser.
 *
 * The parser copies what it keeps into a fresh vector (`out`), so the
 * caller's argv (main's, never ours to change) is only replaced at the
 * end, on success. Kept -o items are gathered into one list and put
 * back as "-o LIST" right after argv[0], as libfuse programs expect
 * when they hand the rest to fuse_session_new or fuse_new.
 */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parse {
	void *data;
	const struct fuse_opt *opts;
	fuse_opt_proc_t proc;
	struct fuse_args out;
	char *olist;   /* kept -o items, escaped, comma-separated */
	int argc;
	char **argv;
	int i;         /* index of the argument being looked at */
};

static int oom(void)
{
	fbx_compat_err("memory allocation failed\n");
	return -1;
}

/* Make args own its vector (it may still be main's). */
static int own(struct fuse_args *args)
{
	if (args->allocated || !args->argv)
		return 0;
	char **v = calloc((size_t)args->argc + 1, sizeof(*v));
	if (!v)
		return -1;
	for (int i = 0; i < args->argc; i++)
		if (!(v[i] = strdup(args->argv[i]))) {
			while (i--)
				free(v[i]);
			free(v);
			return -1;
		}
	args->argv = v;
	args->allocated = 1;
	return 0;
}

int fuse_opt_add_arg(struct fuse_args *args, const char *arg)
{
	return fuse_opt_insert_arg(args, args->argc, arg);
}

int fuse_opt_insert_arg(struct fuse_args *args, int pos, const char *arg)
{
	if (pos < 0 || pos > args->argc) {
		fbx_compat_err("fuse_opt_insert_arg: position %d outside 0..%d\n", pos, args->argc);
		return -1;
	}
	if (own(args) < 0)
		return oom();
	char *copy = strdup(arg);
	char **v = copy ? realloc(args->argv, ((size_t)args->argc + 2) * sizeof(*v)) : NULL;
	if (!v) {
		free(copy);
		return oom();
	}
	memmove(&v[pos + 1], &v[pos], ((size_t)args->argc - (size_t)pos) * sizeof(*v));
	v[pos] = copy;
	v[++args->argc] = NULL;
	args->argv = v;
	args->allocated = 1;
	return 0;
}

void fuse_opt_free_args(struct fuse_args *args)
{
	if (!args)
		return;
	if (args->allocated && args->argv) {
		for (int i = 0; i < args->argc; i++)
			free(args->argv[i]);
		free(args->argv);
	}
	args->argc = 0;
	args->argv = NULL;
	args->allocated = 0;
}

static int append_opt(char **opts, const char *opt, int escape)
{
	size_t old = *opts ? strlen(*opts) : 0;
	size_t add = strlen(opt) * (escape ? 2 : 1);
	char *s = realloc(*opts, old + add + 2);
	if (!s)
		return oom();
	char *p = s + old;
	if (old)
		*p++ = ',';
	for (const char *q = opt; *q; q++) {
		if (escape && (*q == ',' || *q == '\\'))
			*p++ = '\\';
		*p++ = *q;
	}
	*p = '\0';
	*opts = s;
	return 0;
}

int fuse_opt_add_opt(char **opts, const char *opt)
{
	return append_opt(opts, opt, 0);
}

int fuse_opt_add_opt_escaped(char **opts, const char *opt)
{
	return append_opt(opts, opt, 1);
}

/*
 * Does template t match arg? On a match *valoff is where the value
 * starts in arg (for "name=..." after the '=', for "-x ..." right after
 * "-x"), or 0 when the template takes no value.
 */
static int match(const char *t, const char *arg, size_t *valoff)
{
	const char *sep = strchr(t, '=');
	if (!sep)
		sep = strchr(t, ' ');
	if (sep && (sep[1] == '\0' || sep[1] == '%')) {
		size_t plen = (size_t)(sep - t) + (*sep == '=');
		if (strncmp(arg, t, plen) == 0) {
			*valoff = plen;
			return 1;
		}
		return 0;
	}
	*valoff = 0;
	return strcmp(t, arg) == 0;
}

int fuse_opt_match(const struct fuse_opt opts[], const char *opt)
{
	size_t off;
	for (; opts && opts->templ; opts++)
		if (match(opts->templ, opt, &off))
			return 1;
	return 0;
}

/* Keep `arg`: an -o item into the list, anything else into out. */
static int keep(struct parse *p, const char *arg, int in_olist)
{
	if (in_olist)
		return fuse_opt_add_opt_escaped(&p->olist, arg);
	return fuse_opt_add_arg(&p->out, arg);
}

static int call_proc(struct parse *p, const char *arg, int key, int in_olist)
{
	if (key == FUSE_OPT_KEY_DISCARD)
		return 0;
	if (key == FUSE_OPT_KEY_KEEP || !p->proc)
		return keep(p, arg, in_olist);
	int r = p->proc(p->data, arg, key, &p->out);
	if (r == -1)
		return -1;
	return r ? keep(p, arg, in_olist) : 0;
}

/* Store the value of a matched template into the data struct. A "%s"
 * copy then belongs to the program (tests/compat/lsan.supp names this
 * function: the examples never free theirs). */
static int store_for_caller(struct parse *p, const struct fuse_opt *o, const char *arg, size_t valoff)
{
	char *dst = (char *)p->data + o->offset;
	const char *fmt = valoff ? strchr(o->templ, '%') : NULL;
	if (!fmt) {
		*(int *)dst = o->value;
		return 0;
	}
	const char *val = arg + valoff;
	if (strcmp(fmt, "%s") == 0) {
		char *copy = strdup(val);
		if (!copy)
			return oom();
#if FUSE_USE_VERSION >= 30
		free(*(char **)dst);   /* libfuse 3 frees the value it replaces */
#endif
		/* libfuse 2 does not: programs preset such fields to string
		 * literals or static buffers (convmvfs), so free() would abort. */
		*(char **)dst = copy;
		return 0;
	}
	if (sscanf(val, fmt, dst) != 1) {
		fbx_compat_err("invalid parameter in option `%s'\n", arg);
		return -1;
	}
	return 0;
}

/* One option (a whole "-x5" / "--foo" argument, or one -o item). */
static int one_option(struct parse *p, const char *arg, int in_olist)
{
	int matched = 0;
	size_t valoff;
	for (const struct fuse_opt *o = p->opts; o && o->templ; o++) {
		if (!match(o->templ, arg, &valoff))
			continue;
		matched = 1;
		int r = o->offset == -1U ? call_proc(p, arg, o->value, in_olist)
		                         : store_for_caller(p, o, arg, valoff);
		if (r < 0)
			return -1;
	}
	return matched ? 0 : call_proc(p, arg, FUSE_OPT_KEY_OPT, in_olist);
}

/* "-x" whose template wants the value in the next argument: join them
 * as "-xVALUE", which is what the template then matches. */
static int separate_value(struct parse *p, const char *arg)
{
	for (const struct fuse_opt *o = p->opts; o && o->templ; o++) {
		const char *sp = strchr(o->templ, ' ');
		size_t n = sp ? (size_t)(sp - o->templ) : 0;
		if (!sp || strlen(arg) != n || strncmp(arg, o->templ, n) != 0)
			continue;
		if (p->i + 1 >= p->argc) {
			fbx_compat_err("missing argument after `%s'\n", arg);
			return -1;
		}
		const char *val = p->argv[++p->i];
		char *joined = malloc(n + strlen(val) + 1);
		if (!joined)
			return oom();
		memcpy(joined, arg, n);
		strcpy(joined + n, val);
		int r = one_option(p, joined, 0);
		free(joined);
		return r;
	}
	return one_option(p, arg, 0);
}

/* An -o list: items split at unescaped commas, escapes removed. */
static int option_list(struct parse *p, const char *list)
{
	char *item = malloc(strlen(list) + 1);
	if (!item)
		return oom();
	int r = 0;
	const char *s = list;
	while (r == 0) {
		char *d = item;
		for (; *s && *s != ','; s++) {
			if (*s == '\\' && s[1])
				s++;
			*d++ = *s;
		}
		*d = '\0';
		r = one_option(p, item, 1);
		if (*s != ',')
			break;
		s++;
	}
	free(item);
	return r;
}

static int one_argument(struct parse *p, int *only_nonopts)
{
	const char *arg = p->argv[p->i];
	if (*only_nonopts || arg[0] != '-')
		return call_proc(p, arg, FUSE_OPT_KEY_NONOPT, 0);
	if (strcmp(arg, "--") == 0) {
		*only_nonopts = 1;
		return fuse_opt_add_arg(&p->out, arg);
	}
	if (strncmp(arg, "-o", 2) == 0) {
		if (arg[2])
			return option_list(p, arg + 2);
		if (p->i + 1 >= p->argc) {
			fbx_compat_err("missing argument after `-o'\n");
			return -1;
		}
		return option_list(p, p->argv[++p->i]);
	}
	return separate_value(p, arg);
}

int fuse_opt_parse(struct fuse_args *args, void *data,
                   const struct fuse_opt opts[], fuse_opt_proc_t proc)
{
	if (!args || !args->argv || args->argc <= 0)
		return 0;
	struct parse p = { .data = data, .opts = opts, .proc = proc,
	                   .argc = args->argc, .argv = args->argv };
	int r = fuse_opt_add_arg(&p.out, args->argv[0]);
	int only_nonopts = 0;
	for (p.i = 1; r == 0 && p.i < p.argc; p.i++)
		r = one_argument(&p, &only_nonopts);
	if (r == 0 && p.olist) {
		r = fuse_opt_insert_arg(&p.out, 1, "-o");
		if (r == 0)
			r = fuse_opt_insert_arg(&p.out, 2, p.olist);
	}
	/* A trailing "--" with nothing after it says nothing: drop it. */
	if (r == 0 && p.out.argc > 1 && strcmp(p.out.argv[p.out.argc - 1], "--") == 0) {
		free(p.out.argv[--p.out.argc]);
		p.out.argv[p.out.argc] = NULL;
	}
	free(p.olist);
	if (r < 0) {
		fuse_opt_free_args(&p.out);
		return -1;
	}
	fuse_opt_free_args(args);
	*args = p.out;
	return 0;
}
