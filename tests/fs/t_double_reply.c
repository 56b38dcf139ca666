/*
 * t_double_reply -- the layer boundary of lib/fuse/reply.c: a handler
 * that answers one request twice is a bug the library stops at once
 * (an assert, on in every build we make), instead of answering whatever
 * request reused the freed one. The daemon, a child here, looks up
 * "twice" with two replies; the caller gets the first answer (ENOENT),
 * and the daemon dies by SIGABRT naming the double reply.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fusebox/lowlevel.h>

#include "../lib/check.h"

static void ll_lookup(struct fbx_req *req, uint64_t parent, const char *name)
{
	int twice = strcmp(name, "twice") == 0;
	fbx_reply_err(req, -ENOENT);
	if (twice)
		fbx_reply_err(req, -ENOENT);   /* the bug under test */
}

static void ll_getattr(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct stat st = { .st_ino = ino, .st_nlink = 2, .st_mode = S_IFDIR | 0755 };
	fbx_reply_attr(req, &st, 0);
}

static const struct fbx_ll_ops ops = { .lookup = ll_lookup, .getattr = ll_getattr };

static int is_mounted(const char *dir)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096], point[4096];
	int found = 0;
	while (f && !found && fgets(line, sizeof line, f))
		found = sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1 && strcmp(point, dir) == 0;
	if (f)
		fclose(f);
	return found;
}

int main(void)
{
	if (geteuid() != 0)
		check_skip("needs root to mount");
	char mnt[64], path[96], log[96];
	snprintf(mnt, sizeof mnt, "/tmp/fbx-test.XXXXXX");
	CHECK_FATAL(mkdtemp(mnt) != NULL);
	snprintf(path, sizeof path, "%s/twice", mnt);
	snprintf(log, sizeof log, "%s.log", mnt);

	struct fbx_options o;
	fbx_options_init(&o);
	o.io_uring = FBX_OFF;
	struct fbx_session *se = fbx_session_new(&o, &ops, sizeof ops, NULL);
	fbx_options_free(&o);
	CHECK_FATAL(se != NULL);
	int err = fbx_session_mount(se, mnt);
	if (err) {
		fbx_session_destroy(se);
		rmdir(mnt);
		check_skip("cannot mount: %s", strerror(-err));
	}
	pid_t daemon = fork();
	CHECK_FATAL(daemon >= 0);
	if (daemon == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		alarm(60);   /* never outlive a broken test */
		fbx_session_loop(se);
		_exit(0);
	}

	struct stat st;
	CHECK(stat(mnt, &st) == 0);
	errno = 0;
	CHECK(stat(path, &st) < 0 && errno == ENOENT);
	int status = 0;
	CHECK_EQ_INT(waitpid(daemon, &status, 0), daemon);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);

	char text[4096] = "";
	FILE *f = fopen(log, "r");
	if (f) {
		size_t n = fread(text, 1, sizeof text - 1, f);
		text[n] = '\0';
		fclose(f);
	}
	CHECK_CONTAINS(text, "replied to twice");

	if (is_mounted(mnt))
		umount2(mnt, MNT_DETACH);
	CHECK(!is_mounted(mnt));
	fbx_session_destroy(se);   /* unmounted already: frees only */
	unlink(log);
	rmdir(mnt);
	return check_exit();
}
