/*
 * session.c -- fuse_lowlevel_new and the session calls: a libfuse 2
 * session over a fusebox one.
 *
 * The options of fuse_mount's channel and of fuse_lowlevel_new/fuse_new
 * go to fusebox's option parser, which knows libfuse's mount and cache
 * options and fusebox's own (spin=, max_threads=, ...). libfuse 2's
 * connection options are kept for init (conn.c's table below); the few
 * that name something fusebox always or never does are accepted and
 * said so in fuse_lowlevel_is_lib_option's list. io_uring stays off
 * unless asked: handlers that wait on each other deadlock on it.
 */
#include "fuse2.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- options --------------------------------------------------------------- */

enum conn_kind { C_CLEAR, C_READAHEAD, C_BACKGROUND, C_CONGESTION, C_INVAL_ON, C_INVAL_OFF,
                 C_NONE };

/* libfuse 2 options that fusebox's parser does not know. C_NONE: no
 * effect here (big_writes: fusebox always allows large writes; splice:
 * fusebox copies; atomic_o_trunc: the path layer asks itself; the
 * high-level cache and interrupt options: see hl_new.c). */
static const struct { const char *name; enum conn_kind kind; unsigned caps; } conn_table[] = {
	{ "sync_read", C_CLEAR, FUSE_CAP_ASYNC_READ },
	{ "async_read", C_NONE, 0 },
	{ "no_remote_lock", C_CLEAR, FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS },
	{ "no_remote_posix_lock", C_CLEAR, FUSE_CAP_POSIX_LOCKS },
	{ "no_remote_flock", C_CLEAR, FUSE_CAP_FLOCK_LOCKS },
	{ "max_readahead=", C_READAHEAD, 0 },
	{ "max_background=", C_BACKGROUND, 0 },
	{ "congestion_threshold=", C_CONGESTION, 0 },
	{ "big_writes", C_NONE, 0 },
	{ "atomic_o_trunc", C_NONE, 0 },
	{ "splice_write", C_NONE, 0 }, { "no_splice_write", C_NONE, 0 },
	{ "splice_move", C_NONE, 0 }, { "no_splice_move", C_NONE, 0 },
	{ "splice_read", C_NONE, 0 }, { "no_splice_read", C_NONE, 0 },
	{ "auto_inval_data", C_INVAL_ON, 0 }, { "no_auto_inval_data", C_INVAL_OFF, 0 },
	{ "fsname=", C_NONE, 0 },     /* fusebox's, listed for is_lib_option */
	{ "subtype=", C_NONE, 0 },
	/* high level (hl_new.c reads them from args itself) */
	{ "auto_cache", C_NONE, 0 }, { "noauto_cache", C_NONE, 0 },
	{ "ac_attr_timeout=", C_NONE, 0 }, { "intr", C_NONE, 0 },
	{ "intr_signal=", C_NONE, 0 }, { "noforget", C_NONE, 0 },
	{ "remember=", C_NONE, 0 }, { "nopath", C_NONE, 0 },
	{ "modules=", C_NONE, 0 },
};

static int conn_match(const char *name, const char *key)
{
	size_t n = strlen(name);
	if (name[n - 1] == '=')
		return strncmp(name, key, n - 1) == 0 && key[n - 1] == '\0';
	return strcmp(name, key) == 0;
}

static int conn_item(void *data, const char *key, const char *value, int is_arg)
{
	struct fbx_fuse2_conn_opts *c = data;
	if (is_arg)
		return 0;
	if (strncmp(key, "x-", 2) == 0)
		return 1;   /* for other tools (systemd, mount helpers) */
	for (size_t i = 0; i < sizeof(conn_table) / sizeof(conn_table[0]); i++) {
		if (!conn_match(conn_table[i].name, key))
			continue;
		unsigned n = 0;
		if (conn_table[i].kind >= C_READAHEAD && conn_table[i].kind <= C_CONGESTION &&
		    (!value || sscanf(value, "%u", &n) != 1))
			return -EINVAL;
		if (!c)
			return 1;
		switch (conn_table[i].kind) {
		case C_CLEAR: c->clear |= conn_table[i].caps; break;
		case C_READAHEAD: c->max_readahead = n; c->set_readahead = 1; break;
		case C_BACKGROUND: c->max_background = n; c->set_background = 1; break;
		case C_CONGESTION: c->congestion_threshold = n; c->set_congestion = 1; break;
		case C_INVAL_ON: c->auto_inval_data = 1; break;
		case C_INVAL_OFF: c->auto_inval_data = 0; break;
		case C_NONE: break;
		}
		return 1;
	}
	return 0;
}

/* What fuse_mount was given may hold options that only fuse_new takes
 * out (a module's, such as subdir=): libfuse 2's fuse_mount leaves every
 * option it does not know for later, and so do we (lenient); the
 * session's own args must hold nothing unknown. */
static int conn_item_lenient(void *data, const char *key, const char *value, int is_arg)
{
	int r = conn_item(data, key, value, is_arg);
	return r == 0 ? 1 : r;
}

struct parse {
	struct fbx_options *o;
	struct fbx_fuse2_conn_opts *conn;
	int lenient;
};

static int session_item(void *data, const char *arg, int key, struct fuse_args *out)
{
	struct parse *p = data;
	(void)out;
	if (key == FUSE_OPT_KEY_NONOPT) {
		fbx_fuse2_err("unknown argument `%s' (the mount point goes to fuse_mount)\n", arg);
		return -1;
	}
	if (strcmp(arg, "-d") == 0 || strcmp(arg, "--debug") == 0)
		arg = "debug";
	else if (arg[0] == '-') {
		if (p->lenient)
			return 0;
		fbx_fuse2_err("unknown option `%s'\n", arg);
		return -1;
	}
	return fbx_options_parse_o(p->o, arg, p->lenient ? conn_item_lenient : conn_item,
	                           p->conn) < 0 ? -1 : 0;
}

static int parse_into(struct parse *p, const struct fuse_args *args)
{
	if (!args || args->argc <= 1 || !args->argv)
		return 0;
	/* A copy: the program's args stay as they were. */
	struct fuse_args copy = FUSE_ARGS_INIT(0, NULL);
	int r = 0;
	for (int i = 0; i < args->argc && r == 0; i++)
		r = fuse_opt_add_arg(&copy, args->argv[i]);
	if (r == 0)
		r = fuse_opt_parse(&copy, p, NULL, session_item);
	fuse_opt_free_args(&copy);
	return r;
}

int fbx_fuse2_session_options_conn(struct fbx_options *o, const struct fuse_args *args,
                                   const struct fuse_chan *ch,
                                   struct fbx_fuse2_conn_opts *conn)
{
	struct parse p = { o, conn, 0 };
	fbx_options_init(o);
	o->io_uring = FBX_OFF;
	o->foreground = 1;   /* fuse_daemonize() is the program's call */
	/* The type is fuse.SUBTYPE only with -o subtype= (fuse_parse_cmdline
	 * adds the program's name unless fsname= or subtype= is given). */
	o->no_default_subtype = 1;
	if (args && args->argc > 0 && args->argv && args->argv[0]) {
		const char *slash = strrchr(args->argv[0], '/');
		free(o->progname);
		o->progname = strdup(slash ? slash + 1 : args->argv[0]);
	}
	p.lenient = 1;
	if (ch && parse_into(&p, &ch->margs) < 0)
		return -1;
	p.lenient = 0;
	return parse_into(&p, args);
}

int fbx_fuse2_session_options(struct fbx_options *o, const struct fuse_args *args,
                              const struct fuse_chan *ch)
{
	return fbx_fuse2_session_options_conn(o, args, ch, NULL);
}

int fbx_fuse2_mount_options(struct fbx_options *o, const struct fuse_args *args)
{
	struct parse p = { o, NULL, 1 };
	fbx_options_init(o);
	return parse_into(&p, args);
}

uint64_t fbx_fuse2_core_want(const struct fbx_fuse2_conn_opts *c, uint64_t want,
                             uint64_t capable)
{
	want &= ~(uint64_t)FBX_FUSE2_NOT_WANTED;
	if (c->auto_inval_data)
		want |= FBX_CAP_AUTO_INVAL_DATA & capable;
	return want;
}

void fbx_fuse2_conn_apply(const struct fbx_fuse2_conn_opts *c, struct fuse_conn_info *ci)
{
	ci->want &= ~c->clear;
	if (c->clear & FUSE_CAP_ASYNC_READ)
		ci->async_read = 0;
	if (c->set_readahead && c->max_readahead < ci->max_readahead)
		ci->max_readahead = c->max_readahead;
	if (c->set_background)
		ci->max_background = c->max_background;
	if (c->set_congestion)
		ci->congestion_threshold = c->congestion_threshold;
}

int fuse_lowlevel_is_lib_option(const char *opt)
{
	struct fbx_options o;
	fbx_options_init(&o);
	int r = fbx_options_parse_o(&o, opt, conn_item, NULL);
	fbx_options_free(&o);
	return r == 0;
}

/* ---- the session --------------------------------------------------------------- */

struct fuse_session *fuse_lowlevel_new(struct fuse_args *args,
                                       const struct fuse_lowlevel_ops *op,
                                       size_t op_size, void *userdata)
{
	return fbx_fuse2_session_new(args, op, op_size, userdata, NULL);
}

struct fuse_session *fbx_fuse2_session_new(struct fuse_args *args,
                                           const struct fuse_lowlevel_ops *op,
                                           size_t op_size, void *userdata,
                                           const struct fbx_fuse2_old_ll *old)
{
	if (op_size > sizeof(struct fuse_lowlevel_ops)) {
		fbx_fuse2_err("warning: library too old, some operations may not work\n");
		op_size = sizeof(struct fuse_lowlevel_ops);
	}
	struct fuse_session *se = calloc(1, sizeof(*se));
	if (!se) {
		fbx_fuse2_err("failed to allocate fuse object\n");
		return NULL;
	}
	struct fbx_options o;
	if (fbx_fuse2_session_options_conn(&o, args, fbx_fuse2_pending_chan(), &se->conn) < 0) {
		fbx_options_free(&o);
		free(se);
		return NULL;
	}
	if (old && !(se->old = malloc(sizeof(*se->old)))) {
		fbx_fuse2_err("failed to allocate fuse object\n");
		fbx_options_free(&o);
		free(se);
		return NULL;
	}
	if (old)
		*se->old = *old;
	memcpy(&se->op, op, op_size);
	se->userdata = userdata;
	atomic_init(&se->signal, 0);
	fbx_fuse2_ops(se);
	se->fbx = fbx_session_new(&o, &se->ll, sizeof(se->ll), se);
	fbx_options_free(&o);
	if (!se->fbx) {
		fbx_fuse2_err("cannot create session: %s\n", strerror(errno));
		free(se->old);
		free(se);
		return NULL;
	}
	return se;
}

void fuse_session_add_chan(struct fuse_session *se, struct fuse_chan *ch)
{
	if (se->ch && se->ch != ch) {
		fbx_fuse2_err("a session has one channel; fuse_session_add_chan ignored\n");
		return;
	}
	fbx_fuse2_attach(se, ch);
}

void fuse_session_remove_chan(struct fuse_chan *ch)
{
	if (ch && ch->se) {
		ch->se->ch = NULL;
		ch->se = NULL;
	}
}

struct fuse_chan *fuse_session_next_chan(struct fuse_session *se, struct fuse_chan *ch)
{
	return ch ? NULL : se->ch;
}

void *fuse_session_data(struct fuse_session *se)
{
	if (se->gen)
		return se->gen->data;
	return se;
}

/* A loop's result as libfuse 2 states it: 0, or -1 when the session
 * failed (not for a signal: that is a normal end). The session is left
 * reset so that it may loop again. */
int fbx_fuse2_loop(struct fuse_session *se, unsigned threads)
{
	if (se->gen)
		return fbx_fuse2_gen_loop(se);   /* in this thread, whatever threads says */
	if (se->mount_failed || fbx_session_fd(se->fbx) < 0) {
		fbx_fuse2_err("the session is not mounted (fuse_session_add_chan)\n");
		return -1;
	}
	int err = fbx_session_set_threads(se->fbx, threads);
	if (err == 0) {
		fbx_compat_signals_loop_start(se);
		err = fbx_session_loop(se->fbx);
		fbx_compat_signals_loop_end(se);
	}
	atomic_store(&se->signal, 0);
	fbx_session_reset(se->fbx);
	return err < 0 ? -1 : 0;
}

int fuse_session_loop(struct fuse_session *se)
{
	return fbx_fuse2_loop(se, 1);
}

/* libfuse 2's pool grows to 10 threads. */
int fuse_session_loop_mt(struct fuse_session *se)
{
	return fbx_fuse2_loop(se, 10);
}

void fuse_session_exit(struct fuse_session *se)
{
	if (se->gen)
		fbx_fuse2_gen_exit(se, 1);
	else
		fbx_session_exit(se->fbx);
}

int fuse_session_exited(struct fuse_session *se)
{
	if (se->gen)
		return fbx_fuse2_gen_exited(se);
	return fbx_session_exited(se->fbx);
}

void fuse_session_reset(struct fuse_session *se)
{
	atomic_store(&se->signal, 0);
	if (se->gen)
		fbx_fuse2_gen_exit(se, 0);
	else
		fbx_session_reset(se->fbx);
}

void fuse_session_destroy(struct fuse_session *se)
{
	if (!se)
		return;
	if (se->f) {
		/* the high-level session lives and dies with its struct fuse */
		return;
	}
	/* libfuse 2's fuse_session_destroy never unmounts: a program that
	 * took its channel back (fuse_session_remove_chan) unmounts with
	 * fuse_unmount, or on purpose not at all (llfuse's close(unmount=
	 * False)), leaving the mount to answer ENOTCONN once it exits. The
	 * channel's early_fd holds the connection until fuse_chan_destroy. */
	if (!se->gen && se->mounted && se->mounted != se->ch &&
	    se->mounted->early_fd >= 0 && fbx_session_keep_mount(se->fbx) == 0)
		se->mounted->keeps_mount = 1;
	if (se->gen)
		fbx_fuse2_gen_destroy(se);
	else
		fbx_session_destroy(se->fbx);
	fbx_fuse2_chan_session_gone(se);
	free(se->old);
	free(se->gen);
	free(se);
}

/* What compat/common/signals.c needs of a session. */
struct fbx_session *fbx_compat_session_fbx(struct fuse_session *se)
{
	return se->fbx;
}

_Atomic int *fbx_compat_session_signal(struct fuse_session *se)
{
	return &se->signal;
}
