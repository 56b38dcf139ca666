/*
 * lib/fuse/main.c -- running a session the way a program does: mount,
 * detach into the background, serve, and leave cleanly on a signal.
 *
 * Signals are taken synchronously: SIGINT, SIGTERM and SIGHUP are
 * blocked in every thread and one thread waits for them with sigwait(),
 * so no handler and no global variable is needed to reach the session.
 */
#include "fuse/session.h"
#include "common/signals.h"
#include "fuse/options_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sigwatch {
	struct fbx_session *se;
	pthread_t loop_thread;
	sigset_t set;
	atomic_int done;
};

static void *sigwatch_main(void *arg)
{
	struct sigwatch *sw = arg;
	int sig = 0;
	while (sigwait(&sw->set, &sig) == 0 && !atomic_load(&sw->done)) {
		if (sw->se->opts.debug)
			fprintf(stderr, "fusebox: got signal %d, unmounting\n", sig);
		/* Unmount first: the kernel then ends the connection and every
		 * worker leaves read() with ENODEV. */
		fbx_session_unmount(sw->se);
		fbx_session_exit(sw->se);
		/* A busy mount stays connected; wake the loop's own thread
		 * until it notices (the wake can race with its read()). */
		while (!atomic_load(&sw->done)) {
			pthread_kill(sw->loop_thread, FBX_WAKE_SIGNAL);
			usleep(20000);
		}
	}
	return NULL;
}

/* Fork; the parent waits until the child has detached, then exits 0.
 * The mount already exists, so its errors were reported in the parent. */
static int daemonize(void)
{
	int pipefd[2];
	if (pipe(pipefd) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		char c = 1;
		close(pipefd[1]);
		ssize_t n = read(pipefd[0], &c, 1);
		_exit(n == 1 && c == 0 ? 0 : 1);
	}
	close(pipefd[0]);
	if (setsid() < 0)
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	char ok = 0;
	if (write(pipefd[1], &ok, 1) != 1)
		return -EIO;
	close(pipefd[1]);
	return 0;
}

int fbx_session_main(struct fbx_session *se)
{
	const struct fbx_options *o = &se->opts;
	if (!o->mountpoint) {
		fprintf(stderr, "fusebox: no mount point given (see -h)\n");
		return 1;
	}
	if (fbx_session_mount(se, o->mountpoint) < 0)
		return 1;
	if (!o->foreground && daemonize() < 0) {
		fprintf(stderr, "fusebox: cannot go into the background: %s\n", strerror(errno));
		fbx_session_unmount(se);
		return 1;
	}

	struct sigwatch sw = { .se = se, .loop_thread = pthread_self() };
	sigset_t old;
	atomic_init(&sw.done, 0);
	fbx_block_stop_signals(&sw.set, &old);
	signal(SIGPIPE, SIG_IGN);
	pthread_t watcher;
	int have_watcher = pthread_create(&watcher, NULL, sigwatch_main, &sw) == 0;

	int err = fbx_session_loop(se);

	atomic_store(&sw.done, 1);
	if (have_watcher) {
		pthread_kill(watcher, SIGTERM);   /* ends its sigwait() */
		pthread_join(watcher, NULL);
	}
	fbx_session_unmount(se);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err < 0) {
		fprintf(stderr, "fusebox: session ended with an error: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}

/* Make the layer's session, serve, destroy: the exit status. */
static int run(const struct fbx_options *o, fbx_layer_make_fn make, void (*destroy)(void *),
               const void *ops, size_t ops_size, void *userdata)
{
	struct fbx_session *se = NULL;
	void *obj = make(o, ops, ops_size, userdata, &se);
	if (!obj) {
		fprintf(stderr, "%s: %s\n", o->progname ? o->progname : "fusebox", strerror(errno));
		return 1;
	}
	int status = fbx_session_main(se);
	destroy(obj);
	return status;
}

int fbx_program_main(int argc, char *argv[], const struct fbx_app *app,
                     fbx_layer_make_fn make, void (*destroy)(void *obj),
                     const void *ops, size_t ops_size, void *userdata)
{
	struct fbx_options o;
	if (fbx_remount_asked(argc, argv))
		return fbx_remount_main(argc > 0 ? argv[0] : "fusebox", argc, argv);
	if (fbx_options_parse(&o, argc, argv, app ? app->opt : NULL, userdata) < 0)
		return 1;
	int status = 0;
	if (o.show_help) {
		fbx_options_help_app(stdout, argv[0], app);
	} else if (o.show_version) {
		printf("%s (fusebox %s, FUSE protocol %d.%d)\n", o.progname ? o.progname : "fusebox",
		       FBX_VERSION, FBX_K_MAJOR, FBX_K_MINOR);
	} else {
		int err = app && app->setup ? app->setup(userdata, &o) : 0;
		status = err ? 1 : run(&o, make, destroy, ops, ops_size, userdata);
		if (app && app->cleanup)
			app->cleanup(userdata);
	}
	fbx_options_free(&o);
	return status;
}

static void *ll_make(const struct fbx_options *o, const void *ops, size_t ops_size,
                     void *userdata, struct fbx_session **se)
{
	return *se = fbx_session_new(o, ops, ops_size, userdata);
}

static void ll_destroy(void *se) { fbx_session_destroy(se); }

int fbx_ll_main_app(int argc, char *argv[], const struct fbx_ll_ops *ops,
                    size_t ops_size, void *userdata, const struct fbx_app *app)
{
	return fbx_program_main(argc, argv, app, ll_make, ll_destroy, ops, ops_size, userdata);
}

int fbx_ll_main(int argc, char *argv[], const struct fbx_ll_ops *ops,
                size_t ops_size, void *userdata)
{
	return fbx_ll_main_app(argc, argv, ops, ops_size, userdata, NULL);
}
