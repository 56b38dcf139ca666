/*
 * daemon.c -- fuse_daemonize: into the background, after the mount.
 *
 * The parent waits for the child to say it is set up before it exits,
 * so a shell or test that runs the program sees it return only once the
 * filesystem is being served from the background.
 */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void to_dev_null(void)
{
	int fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

int fuse_daemonize(int foreground)
{
	if (foreground) {
		if (chdir("/") < 0) {
			/* nothing else depends on it */
		}
		return 0;
	}
	int done[2];
	if (pipe(done) < 0) {
		fbx_compat_err("fuse_daemonize: pipe: %s\n", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fbx_compat_err("fuse_daemonize: fork: %s\n", strerror(errno));
		close(done[0]);
		close(done[1]);
		return -1;
	}
	if (pid > 0) {
		char c;
		close(done[1]);
		while (read(done[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(done[0]);
	if (setsid() < 0) {
		fbx_compat_err("fuse_daemonize: setsid: %s\n", strerror(errno));
		close(done[1]);
		return -1;
	}
	if (chdir("/") < 0) {
		/* as above */
	}
	to_dev_null();
	char ok = 0;
	if (write(done[1], &ok, 1) < 0) {
		/* the parent is gone; nothing to tell */
	}
	close(done[1]);
	return 0;
}
