/*
 * signals.c -- fuse_set_signal_handlers: SIGHUP, SIGINT and SIGTERM end
 * the session's loop, SIGPIPE is harmless.
 *
 * A handler may only do async-signal-safe things, and fusebox's
 * fbx_session_exit takes locks. So the handler writes the signal's
 * number into a pipe, and a small thread reads it and ends the session.
 * That thread runs only while the session's loop does: programs set the
 * handlers, then fuse_daemonize() (a fork, which keeps no threads), then
 * loop. A signal that comes before the loop waits in the pipe.
 * SIGPIPE gets a handler that does nothing rather than SIG_IGN, which
 * programs the filesystem runs would inherit across exec.
 *
 * libfuse's API has one such session per process; so has this file.
 * Each library says what its session is made of (common.h):
 * fbx_compat_session_fbx and fbx_compat_session_signal.
 */
#include "common.h"

#include <stdatomic.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "fusebox/lowlevel.h"

static const int stop_signals[] = { SIGHUP, SIGINT, SIGTERM };

static struct {
	struct fuse_session *se;
	int pipe[2];
	pthread_t watcher;
	int watching;
	unsigned installed;   /* bit i: our handler is on stop_signals[i]; bit 3: SIGPIPE */
} sig = { NULL, { -1, -1 }, 0, 0, 0 };

static void on_stop_signal(int signo)
{
	int saved = errno;
	unsigned char b = (unsigned char)signo;
	if (write(sig.pipe[1], &b, 1) < 0) {
		/* pipe full: an earlier signal is pending and does the job */
	}
	errno = saved;
}

static void on_sigpipe(int signo)
{
	(void)signo;
}

static void *watch(void *arg)
{
	struct fuse_session *se = arg;
	unsigned char b;
	for (;;) {
		ssize_t n = read(sig.pipe[0], &b, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || b == 0)
			return NULL;   /* 0: fuse_remove_signal_handlers */
		atomic_store(fbx_compat_session_signal(se), (int)b);
		fbx_session_exit(fbx_compat_session_fbx(se));
	}
}

/* Put `fn` on signo only if nobody else handles it; 1 if we did. */
static int take(int signo, void (*fn)(int))
{
	struct sigaction old, sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;          /* no SA_RESTART: a blocked read() returns */
	sigemptyset(&sa.sa_mask);
	if (sigaction(signo, NULL, &old) < 0 || old.sa_handler != SIG_DFL)
		return 0;
	return sigaction(signo, &sa, NULL) == 0;
}

static void give_back(int signo, void (*fn)(int))
{
	struct sigaction old;
	if (sigaction(signo, NULL, &old) == 0 && old.sa_handler == fn)
		signal(signo, SIG_DFL);
}

int fuse_set_signal_handlers(struct fuse_session *se)
{
	if (sig.se) {
		fbx_compat_err("signal handlers already set for another session\n");
		return -1;
	}
	if (pipe2(sig.pipe, O_CLOEXEC) < 0) {
		fbx_compat_err("cannot set signal handlers: %s\n", strerror(errno));
		return -1;
	}
	fcntl(sig.pipe[1], F_SETFL, O_NONBLOCK);
	sig.se = se;
	sig.watching = 0;
	sig.installed = 0;
	for (unsigned i = 0; i < 3; i++)
		if (take(stop_signals[i], on_stop_signal))
			sig.installed |= 1u << i;
	if (take(SIGPIPE, on_sigpipe))
		sig.installed |= 1u << 3;
	return 0;
}

void fbx_compat_signals_loop_start(struct fuse_session *se)
{
	if (sig.se != se || sig.watching)
		return;
	int e = pthread_create(&sig.watcher, NULL, watch, se);
	if (e)
		fbx_compat_err("signals will not end the loop: %s\n", strerror(e));
	else
		sig.watching = 1;
}

void fbx_compat_signals_loop_end(struct fuse_session *se)
{
	if (sig.se != se || !sig.watching)
		return;
	unsigned char end = 0;
	while (write(sig.pipe[1], &end, 1) < 0 && errno == EAGAIN)
		usleep(1000);   /* full of signals the watcher is still taking */
	pthread_join(sig.watcher, NULL);
	sig.watching = 0;
}

int fbx_compat_signals_pending(struct fuse_session *se)
{
	struct pollfd p = { .fd = sig.pipe[0], .events = POLLIN };
	unsigned char b;
	if (sig.se != se || sig.watching || poll(&p, 1, 0) != 1 || read(sig.pipe[0], &b, 1) != 1)
		return 0;
	return b;
}

void fuse_remove_signal_handlers(struct fuse_session *se)
{
	if (!sig.se || sig.se != se)
		return;
	fbx_compat_signals_loop_end(se);
	for (unsigned i = 0; i < 3; i++)
		if (sig.installed & (1u << i))
			give_back(stop_signals[i], on_stop_signal);
	if (sig.installed & (1u << 3))
		give_back(SIGPIPE, on_sigpipe);
	close(sig.pipe[0]);
	close(sig.pipe[1]);
	sig.pipe[0] = sig.pipe[1] = -1;
	sig.se = NULL;
}
