/*
 * t_session_exit -- what lowlevel.h promises about ending a session:
 * fbx_session_exit() (here from inside a handler, the way a filesystem
 * quits on a command) ends fbx_session_loop() after destroy ran, and it
 * does not unmount: the mount is still in /proc/self/mountinfo until
 * fbx_session_unmount() removes it. A second exit, a second unmount and
 * destroy after both are harmless.
 *
 * Then fbx_session_exit() from another thread, at the moment a client
 * stops: the loop's thread is then awake, polling for the next request
 * (a long spin keeps it there), and finds no read() for the wake signal
 * to interrupt. The loop must end all the same, without an unmount;
 * before the fix one round in ten or so hung.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fusebox/lowlevel.h>

#include "../lib/check.h"

struct state {
	struct fbx_session *se;
	atomic_int destroys;
	int loop_err;
};

static void ll_destroy(void *ud) { atomic_fetch_add(&((struct state *)ud)->destroys, 1); }

/* Looking up "quit" answers, then ends the session. */
static void ll_lookup(struct fbx_req *req, uint64_t parent, const char *name)
{
	struct state *s = fbx_req_userdata(req);
	fbx_reply_err(req, -ENOENT);
	if (parent == FBX_ROOT_ID && strcmp(name, "quit") == 0)
		fbx_session_exit(s->se);
}

static void ll_getattr(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct stat st = { .st_ino = ino, .st_nlink = 2, .st_mode = S_IFDIR | 0755 };
	if (ino != FBX_ROOT_ID) {
		fbx_reply_err(req, -ENOENT);
		return;
	}
	fbx_reply_attr(req, &st, 0);
}

static const struct fbx_ll_ops ops = {
	.destroy = ll_destroy, .lookup = ll_lookup, .getattr = ll_getattr,
};

static void *loop_thread(void *arg)
{
	struct state *s = arg;
	s->loop_err = fbx_session_loop(s->se);
	return NULL;
}

/* Is `dir` a mount point of type fuse* in our mount namespace? */
static int mounted(const char *dir)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	int found = 0;
	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof line, f)) {
		char point[4096], fstype[256];
		const char *sep = strstr(line, " - ");
		if (sep && sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1 &&
		    sscanf(sep + 3, "%255s", fstype) == 1)
			found = strcmp(point, dir) == 0 && strncmp(fstype, "fuse", 4) == 0;
	}
	fclose(f);
	return found;
}

struct client {
	const char *path;
	atomic_int stop;
};

static void *stat_loop(void *arg)
{
	struct client *c = arg;
	struct stat st;
	while (!atomic_load(&c->stop))
		stat(c->path, &st);
	return NULL;
}

/* One round: 1 if the loop ended on fbx_session_exit alone. */
static int exit_round(const char *mnt, int round)
{
	struct state s = { 0 };
	struct fbx_options o;
	fbx_options_init(&o);
	o.io_uring = FBX_OFF;
	o.spin_us = 20000;
	s.se = fbx_session_new(&o, &ops, sizeof ops, &s);
	fbx_options_free(&o);
	CHECK_FATAL(s.se != NULL);
	CHECK_FATAL(fbx_session_mount(s.se, mnt) == 0);
	pthread_t loop, client;
	struct client c = { .path = mnt };
	CHECK_FATAL(pthread_create(&loop, NULL, loop_thread, &s) == 0);
	CHECK_FATAL(pthread_create(&client, NULL, stat_loop, &c) == 0);
	usleep(1000 * (unsigned)(1 + round % 5));
	atomic_store(&c.stop, 1);
	pthread_join(client, NULL);
	fbx_session_exit(s.se);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 3;
	int ended = pthread_timedjoin_np(loop, NULL, &until) == 0;
	fbx_session_unmount(s.se);   /* a hung loop leaves read() with ENODEV */
	if (!ended)
		pthread_join(loop, NULL);
	fbx_session_destroy(s.se);
	return ended;
}

static void exit_while_polling(const char *mnt)
{
	int hung = 0;
	for (int round = 0; round < 50; round++)
		hung += !exit_round(mnt, round);
	CHECK_EQ_INT(hung, 0);
}

int main(void)
{
	if (geteuid() != 0)
		check_skip("needs root to mount");
	char mnt[64];
	snprintf(mnt, sizeof mnt, "/tmp/fbx-test.XXXXXX");
	CHECK_FATAL(mkdtemp(mnt) != NULL);

	struct state s = { 0 };
	struct fbx_options o;
	fbx_options_init(&o);
	o.io_uring = FBX_OFF;
	s.se = fbx_session_new(&o, &ops, sizeof ops, &s);
	fbx_options_free(&o);
	CHECK_FATAL(s.se != NULL);
	int err = fbx_session_mount(s.se, mnt);
	if (err) {
		fbx_session_destroy(s.se);
		rmdir(mnt);
		check_skip("cannot mount here: %s", strerror(-err));
	}
	pthread_t loop;
	CHECK_FATAL(pthread_create(&loop, NULL, loop_thread, &s) == 0);

	/* stat waits for INIT and getattr, so the loop is serving. */
	struct stat st;
	CHECK(stat(mnt, &st) == 0 && S_ISDIR(st.st_mode));
	char quit[128];
	snprintf(quit, sizeof quit, "%s/quit", mnt);
	CHECK(stat(quit, &st) < 0 && errno == ENOENT);

	pthread_join(loop, NULL);
	CHECK_EQ_INT(s.loop_err, 0);
	CHECK(fbx_session_exited(s.se));
	CHECK_EQ_INT(atomic_load(&s.destroys), 1);
	/* The loop is over; the mount is not. */
	CHECK_EQ_INT(mounted(mnt), 1);
	fbx_session_exit(s.se);
	CHECK_EQ_INT(mounted(mnt), 1);

	fbx_session_unmount(s.se);
	CHECK_EQ_INT(mounted(mnt), 0);
	fbx_session_unmount(s.se);
	fbx_session_destroy(s.se);
	CHECK_EQ_INT(atomic_load(&s.destroys), 1);
	exit_while_polling(mnt);
	if (mounted(mnt) == 1)
		umount2(mnt, MNT_DETACH);
	rmdir(mnt);
	return check_exit();
}
