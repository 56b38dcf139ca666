/*
 * session.c -- fuse_session_*: a libfuse session over a fusebox one.
 *
 * fuse_session_new takes the options libfuse's session knows (mount
 * options, -d/debug) and hands them to fusebox's option parser, which
 * knows all of them and more: fusebox's own session options (spin=,
 * io_uring, max_write=, ...) are accepted too. io_uring stays off unless
 * asked for: libfuse programs may have handlers that wait on each other,
 * which deadlocks on per-CPU queues (see fusebox/options.h).
 */
#include "session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fusebox/options.h"

struct parsed {
	struct fbx_options o;
};

/* -o items fusebox does not know: "x-*" items are for other tools
 * (systemd, mount helpers), and libfuse drops them too. */
static int unknown_item(void *data, const char *key, const char *value, int is_arg)
{
	(void)data; (void)value;
	return !is_arg && strncmp(key, "x-", 2) == 0;
}

void fbx_fuse3_options_init(struct fbx_options *o)
{
	fbx_options_init(o);
	o->io_uring = FBX_OFF;
	o->nonempty = 1;
	o->no_default_subtype = 1;   /* fuse_parse_cmdline adds one, as libfuse's */
}

int fbx_fuse3_session_item(struct fbx_options *o, const char *arg, int key,
                           const char *mount_call)
{
	if (key == FUSE_OPT_KEY_NONOPT) {
		fbx_fuse3_err("unknown argument `%s' (the mount point goes to %s)\n", arg, mount_call);
		return -1;
	}
	if (strcmp(arg, "-d") == 0 || strcmp(arg, "--debug") == 0)
		arg = "debug";
	else if (arg[0] == '-') {
		fbx_fuse3_err("unknown option `%s'\n", arg);
		return -1;
	}
	return fbx_options_parse_o(o, arg, unknown_item, NULL) < 0 ? -1 : 0;
}

static int session_opt(void *data, const char *arg, int key, struct fuse_args *out)
{
	struct parsed *p = data;
	(void)out;
	return fbx_fuse3_session_item(&p->o, arg, key, "fuse_session_mount");
}

static int parse_args(struct parsed *p, struct fuse_args *args)
{
	fbx_fuse3_options_init(&p->o);
	p->o.foreground = 1;   /* the program decides: fuse_daemonize() */
	if (args && args->argc > 0 && args->argv && args->argv[0]) {
		const char *slash = strrchr(args->argv[0], '/');
		free(p->o.progname);
		p->o.progname = strdup(slash ? slash + 1 : args->argv[0]);
	}
	if (!args || args->argc <= 1)
		return 0;
	/* Work on a copy: the program's args stay as they were. */
	struct fuse_args copy = FUSE_ARGS_INIT(0, NULL);
	int r = 0;
	for (int i = 0; i < args->argc && r == 0; i++)
		r = fuse_opt_add_arg(&copy, args->argv[i]);
	if (r == 0)
		r = fuse_opt_parse(&copy, p, NULL, session_opt);
	fuse_opt_free_args(&copy);
	return r;
}

int fbx_fuse3_session_opts(struct fbx_options *o, struct fuse_args *args)
{
	struct parsed p;
	int r = parse_args(&p, args);
	*o = p.o;
	return r;
}

struct fuse_session *fuse_session_new(struct fuse_args *args,
                                      const struct fuse_lowlevel_ops *op,
                                      size_t op_size, void *userdata)
{
	if (op_size > sizeof(struct fuse_lowlevel_ops)) {
		/* A program built for a newer libfuse: its extra ops are unknown. */
		fbx_fuse3_err("warning: library too old, some operations may not work\n");
		op_size = sizeof(struct fuse_lowlevel_ops);
	}
	struct parsed p = { 0 };
	if (parse_args(&p, args) < 0) {
		fbx_options_free(&p.o);
		return NULL;
	}
	struct fuse_session *se = calloc(1, sizeof(*se));
	if (!se) {
		fbx_fuse3_err("failed to allocate fuse session\n");
		fbx_options_free(&p.o);
		return NULL;
	}
	memcpy(&se->op, op, op_size);
	se->userdata = userdata;
	se->debug = p.o.debug;
	atomic_init(&se->signal, 0);
	fbx_fuse3_ops(se);
	se->fbx = fbx_session_new(&p.o, &se->ll, sizeof(se->ll), se);
	fbx_options_free(&p.o);
	if (!se->fbx) {
		fbx_fuse3_err("cannot create session: %s\n", strerror(errno));
		free(se);
		return NULL;
	}
	return se;
}

int fuse_session_mount(struct fuse_session *se, const char *mountpoint)
{
	if (!mountpoint) {
		fbx_fuse3_err("no mount point\n");
		return -1;
	}
	return fbx_session_mount(se->fbx, mountpoint) < 0 ? -1 : 0;
}

int fuse_session_fd(struct fuse_session *se)
{
	return fbx_session_fd(se->fbx);
}

/* A loop's result as libfuse states it: the signal that ended it, if
 * one did, else 0 or the session's error. As in libfuse, a loop that
 * returns leaves the session reset (fuse_session_exited() is 0 again). */
static int loop_with(struct fuse_session *se, unsigned threads)
{
	int err = fbx_session_set_threads(se->fbx, threads);
	if (err == 0) {
		fbx_compat_signals_loop_start(se);
		err = fbx_session_loop(se->fbx);
		fbx_compat_signals_loop_end(se);
	}
	int sig = atomic_exchange(&se->signal, 0);
	fbx_session_reset(se->fbx);
	return sig ? sig : err;
}

int fuse_session_loop(struct fuse_session *se)
{
	return loop_with(se, 1);
}

/* libfuse's pool grows to max_threads (10 unless told) and keeps
 * max_idle_threads; fusebox's grows on demand up to its max_threads, so
 * only that bound carries over. */
static unsigned pool_size(unsigned max_threads)
{
	return max_threads > 1 ? max_threads : 2;
}

FBX_SYMVER("fuse_session_loop_mt@@FUSE_3.12")
int fuse_session_loop_mt_312(struct fuse_session *se, struct fuse_loop_config *config)
{
	return loop_with(se, pool_size(config ? fbx_fuse3_cfg_max_threads(config) : 10));
}

FBX_SYMVER("fuse_session_loop_mt@FUSE_3.2")
int fuse_session_loop_mt_32(struct fuse_session *se, struct fuse_loop_config_v1 *config)
{
	(void)config;   /* clone_fd: always; max_idle_threads: see pool_size */
	return loop_with(se, pool_size(10));
}

FBX_SYMVER("fuse_session_loop_mt@FUSE_3.0")
int fuse_session_loop_mt_31(struct fuse_session *se, int clone_fd)
{
	(void)clone_fd;
	return loop_with(se, pool_size(10));
}

void fuse_session_exit(struct fuse_session *se)
{
	fbx_session_exit(se->fbx);
}

int fuse_session_exited(struct fuse_session *se)
{
	return fbx_session_exited(se->fbx);
}

void fuse_session_unmount(struct fuse_session *se)
{
	fbx_session_unmount(se->fbx);
}

void fuse_session_destroy(struct fuse_session *se)
{
	if (!se)
		return;
	/* As libfuse 3: unmounting is fuse_session_unmount's. A program that
	 * skips it (pyfuse3's close(unmount=False)) leaves the mount, dead
	 * once the descriptor closes below. */
	fbx_session_keep_mount(se->fbx);
	fbx_session_destroy(se->fbx);
	free(se);
}

void fuse_session_reset(struct fuse_session *se)
{
	atomic_store(&se->signal, 0);
	fbx_session_reset(se->fbx);
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
