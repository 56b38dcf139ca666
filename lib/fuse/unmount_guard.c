/*
 * lib/fuse/unmount_guard.c -- auto_unmount that survives kill -9.
 *
 * With auto_unmount, fusermount3 waits on a socket we hold and, when it
 * closes, unmounts the mount if opening it fails with ENOTCONN (a dead
 * daemon). When we are killed, the kernel releases our descriptors in an
 * order of its own: if the socket goes before the last /dev/fuse
 * descriptor, fusermount3's open reaches a connection that is still up,
 * is aborted a moment later (ECONNABORTED, not ENOTCONN), and the dead
 * mount stays (about 1 run in 15 with memfs under load).
 *
 * So the socket moves to a small guard process that does nothing but
 * wait for the daemon to be gone entirely -- a pidfd becomes readable
 * only after every thread has exited and every descriptor is released,
 * so the connection is aborted by then -- and only then lets the socket
 * close. It is started when the session starts serving, after any
 * daemonizing fork, so it watches the process that really serves.
 */
#include "fuse/session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static void close_from_to(int first, int last)
{
	if (first > last)
		return;
	if (syscall(SYS_close_range, (unsigned)first, (unsigned)last, 0) == 0)
		return;
	for (int fd = first; fd <= last && fd < 4096; fd++)
		close(fd);
}

/* In the forked guard: only async-signal-safe calls from here on. */
static void guard_main(int sock, int pidfd)
{
	int a = fcntl(sock, F_DUPFD, 3), b = fcntl(pidfd, F_DUPFD, 3);
	if (a < 0 || b < 0)
		_exit(1);
	int lo = a < b ? a : b, hi = a < b ? b : a;
	close_from_to(0, lo - 1);
	close_from_to(lo + 1, hi - 1);
	close_from_to(hi + 1, 0x7fffffff);
	/* A terminal's Ctrl-C is meant for the daemon, not for us. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	struct pollfd p = { .fd = b, .events = POLLIN };
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	_exit(0);   /* closes the socket: fusermount3 unmounts a dead mount */
}

int fbx_unmount_guard_start(struct fbx_session *se)
{
	int sock = atomic_load(&se->commfd);
	if (sock < 0)
		return 0;
	int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd < 0)
		return -errno;   /* kernel < 5.3: the socket stays with us */
	pid_t pid = fork();
	if (pid == 0)
		guard_main(sock, pidfd);
	int err = pid < 0 ? -errno : 0;
	close(pidfd);
	if (!err && atomic_compare_exchange_strong(&se->commfd, &sock, -1))
		close(sock);   /* the guard holds it now */
	return err;
}
