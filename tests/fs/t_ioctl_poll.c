/*
 * t_ioctl_poll -- the ioctl and poll ops of the low-level session on a
 * real mount, called by this same process through the kernel:
 * restricted ioctls in and out, output gathered from many iovecs, the
 * caller's argument passed through, a negative result, directory
 * ioctls (and -ENOTTY when the filesystem turns FBX_CAP_IOCTL_DIR off),
 * replies the kernel would reject refused with -EINVAL (the caller gets
 * EIO), poll(2) woken by fbx_notify_poll() from another thread, a poll
 * handle outliving its session, and the kernel's fallback without a
 * poll op.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fusebox/lowlevel.h>

#include "../lib/check.h"

struct echo { char s[16]; };
#define CMD_ECHO   _IOWR('F', 1, struct echo)   /* reversed back */
#define CMD_PIECES _IOR('F', 2, char[64])       /* eight iovecs of eight bytes */
#define CMD_TOOBIG _IOR('F', 3, int)            /* answered with 8 bytes */
#define CMD_RETRY  _IO('F', 4)                  /* retry of a restricted ioctl */
#define CMD_NEG    _IO('F', 5)                  /* result -EPERM */
#define CMD_FLAGS  _IOR('F', 6, unsigned)       /* the op's flags */
#define CMD_ARG    _IO('F', 7)                  /* result: the argument */

#define FILE_INO 2
#define DIR_INO 3

static struct fbx_session *se;
static char mnt[64];
static bool dir_cap = true;
static atomic_int reply_ret;          /* what the last checked reply returned */
static atomic_int ready;              /* the file has data (POLLIN) */
static pthread_mutex_t ph_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fbx_pollhandle *kept;   /* the poll handle the op keeps */

static void fill(uint64_t ino, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = ino;
	st->st_nlink = ino == FILE_INO ? 1 : 2;
	st->st_mode = ino == FILE_INO ? S_IFREG | 0644 : S_IFDIR | 0755;
}

static void ll_init(void *ud, struct fbx_conn *c)
{
	if (!dir_cap)
		c->want &= ~FBX_CAP_IOCTL_DIR;
}

static void ll_lookup(struct fbx_req *req, uint64_t parent, const char *name)
{
	struct fbx_entry e = { 0 };
	if (parent == FBX_ROOT_ID && strcmp(name, "file") == 0)
		e.ino = FILE_INO;
	else if (parent == FBX_ROOT_ID && strcmp(name, "dir") == 0)
		e.ino = DIR_INO;
	else {
		fbx_reply_err(req, -ENOENT);
		return;
	}
	fill(e.ino, &e.attr);
	fbx_reply_entry(req, &e);
}

static void ll_getattr(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct stat st;
	fill(ino, &st);
	fbx_reply_attr(req, &st, 0);
}

static void ll_ioctl(struct fbx_req *req, uint64_t ino, unsigned int cmd, uint64_t arg,
                     struct fbx_file_info *fi, unsigned flags, const void *in_buf,
                     size_t in_bufsz, size_t out_bufsz)
{
	switch (cmd) {
	case CMD_ECHO: {
		struct echo e;
		if (in_bufsz != sizeof e || out_bufsz != sizeof e) {
			fbx_reply_err(req, -EBADMSG);
			return;
		}
		for (size_t i = 0; i < sizeof e.s; i++)
			e.s[i] = ((const char *)in_buf)[sizeof e.s - 1 - i];
		fbx_reply_ioctl(req, 0, &e, sizeof e);
		return;
	}
	case CMD_PIECES: {
		static const char text[] = "AAAAAAAABBBBBBBBCCCCCCCCDDDDDDDDEEEEEEEEFFFFFFFFGGGGGGGGHHHHHHHH";
		struct iovec iov[8];
		for (int i = 0; i < 8; i++)
			iov[i] = (struct iovec){ (void *)(text + 8 * i), 8 };
		fbx_reply_ioctl_iov(req, 8, iov, 8);
		return;
	}
	case CMD_TOOBIG:
		atomic_store(&reply_ret, fbx_reply_ioctl(req, 0, "12345678", 8));
		return;
	case CMD_RETRY: {
		struct iovec in = { (void *)(uintptr_t)arg, 4 };
		atomic_store(&reply_ret, fbx_reply_ioctl_retry(req, &in, 1, NULL, 0));
		return;
	}
	case CMD_NEG:
		fbx_reply_ioctl(req, -EPERM, NULL, 0);
		return;
	case CMD_FLAGS:
		fbx_reply_ioctl(req, ino == DIR_INO, &flags, sizeof flags);
		return;
	case CMD_ARG:
		fbx_reply_ioctl(req, (int)arg, NULL, 0);
		return;
	}
	fbx_reply_err(req, -ENOTTY);
}

static void ll_poll(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi,
                    unsigned events, struct fbx_pollhandle *ph)
{
	if (atomic_load(&ready)) {
		fbx_pollhandle_destroy(ph);
		fbx_reply_poll(req, events & POLLIN);
		return;
	}
	if (ph) {
		pthread_mutex_lock(&ph_lock);
		fbx_pollhandle_destroy(kept);   /* only the newest is of use */
		kept = ph;
		pthread_mutex_unlock(&ph_lock);
	}
	fbx_reply_poll(req, 0);
}

static struct fbx_ll_ops ops = {
	.init = ll_init, .lookup = ll_lookup, .getattr = ll_getattr,
	.ioctl = ll_ioctl, .poll = ll_poll,
};

static void *loop_thread(void *arg)
{
	fbx_session_loop(se);
	return NULL;
}

static int open_in(const char *name, int flags)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", mnt, name);
	return open(path, flags);
}

/* What the op's checked reply returned: the caller may wake before the
 * op has stored it (the reply is sent first). */
static int wait_reply_ret(void)
{
	int r = 0;
	for (int i = 0; i < 1000 && !(r = atomic_exchange(&reply_ret, 0)); i++)
		usleep(1000);
	return r;
}

static void test_ioctl(void)
{
	int fd = open_in("file", O_RDONLY);
	CHECK_FATAL(fd >= 0);
	struct echo e = { "0123456789abcdef" };
	CHECK_EQ_INT(ioctl(fd, CMD_ECHO, &e), 0);
	CHECK(memcmp(e.s, "fedcba9876543210", 16) == 0);

	char pieces[64] = { 0 };
	CHECK_EQ_INT(ioctl(fd, CMD_PIECES, pieces), 8);
	CHECK(memcmp(pieces, "AAAAAAAABBBBBBBB", 16) == 0);
	CHECK(memcmp(pieces + 56, "HHHHHHHH", 8) == 0);

	CHECK_EQ_INT(ioctl(fd, CMD_ARG, 12345), 12345);
	errno = 0;
	CHECK_EQ_INT(ioctl(fd, CMD_NEG, 0), -1);
	CHECK_EQ_INT(errno, EPERM);
	errno = 0;
	CHECK_EQ_INT(ioctl(fd, _IO('F', 99), 0), -1);
	CHECK_EQ_INT(errno, ENOTTY);

	/* Replies the kernel would reject: refused before they are sent. */
	int v = 0;
	errno = 0;
	CHECK_EQ_INT(ioctl(fd, CMD_TOOBIG, &v), -1);
	CHECK_EQ_INT(errno, EIO);
	CHECK_EQ_INT(wait_reply_ret(), -EINVAL);
	errno = 0;
	CHECK_EQ_INT(ioctl(fd, CMD_RETRY, &v), -1);
	CHECK_EQ_INT(errno, EIO);
	CHECK_EQ_INT(wait_reply_ret(), -EINVAL);

	unsigned flags = 99;
	CHECK_EQ_INT(ioctl(fd, CMD_FLAGS, &flags), 0);
	CHECK_EQ_INT(flags & (FBX_IOCTL_DIR | FBX_IOCTL_UNRESTRICTED | FBX_IOCTL_COMPAT), 0);
	close(fd);

	int dfd = open_in("dir", O_RDONLY | O_DIRECTORY);
	CHECK_FATAL(dfd >= 0);
	flags = 0;
	CHECK_EQ_INT(ioctl(dfd, CMD_FLAGS, &flags), 1);
	CHECK(flags & FBX_IOCTL_DIR);
	close(dfd);
}

struct poller { int fd, timeout, ret; short revents; };

static void *poller(void *arg)
{
	struct poller *p = arg;
	struct pollfd pfd = { p->fd, POLLIN, 0 };
	p->ret = poll(&pfd, 1, p->timeout);
	p->revents = pfd.revents;
	return NULL;
}

static struct fbx_pollhandle *wait_kept(void)
{
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&ph_lock);
		struct fbx_pollhandle *ph = kept;
		kept = NULL;
		pthread_mutex_unlock(&ph_lock);
		if (ph)
			return ph;
		usleep(10000);
	}
	return NULL;
}

static void test_poll(void)
{
	int fd = open_in("file", O_RDONLY);
	CHECK_FATAL(fd >= 0);
	struct pollfd pfd = { fd, POLLIN, 0 };
	CHECK_EQ_INT(poll(&pfd, 1, 0), 0);   /* not ready, and no sleeper */

	/* A caller asleep in poll(2), woken from this thread. */
	struct poller p = { fd, 20000, -2, 0 };
	pthread_t t;
	pthread_create(&t, NULL, poller, &p);
	struct fbx_pollhandle *ph = wait_kept();
	CHECK_FATAL(ph != NULL);
	atomic_store(&ready, 1);
	CHECK_EQ_INT(fbx_notify_poll(ph), 0);
	fbx_pollhandle_destroy(ph);
	pthread_join(t, NULL);
	CHECK_EQ_INT(p.ret, 1);
	CHECK(p.revents & POLLIN);

	/* One more handle, kept past the session (see main). */
	atomic_store(&ready, 0);
	p = (struct poller){ fd, 100, -2, 0 };
	pthread_create(&t, NULL, poller, &p);
	pthread_join(t, NULL);
	CHECK_EQ_INT(p.ret, 0);
	close(fd);
}

/* Without FBX_CAP_IOCTL_DIR, directory ioctls get ENOTTY; without a
 * poll op, every file is always ready. */
static void test_fallbacks(void)
{
	int dfd = open_in("dir", O_RDONLY | O_DIRECTORY);
	CHECK_FATAL(dfd >= 0);
	unsigned flags = 0;
	errno = 0;
	CHECK_EQ_INT(ioctl(dfd, CMD_FLAGS, &flags), -1);
	CHECK_EQ_INT(errno, ENOTTY);
	close(dfd);
	int fd = open_in("file", O_RDONLY);
	CHECK_FATAL(fd >= 0);
	struct pollfd pfd = { fd, POLLIN | POLLOUT, 0 };
	CHECK_EQ_INT(poll(&pfd, 1, 20000), 1);
	CHECK_EQ_INT(pfd.revents & (POLLIN | POLLOUT), POLLIN | POLLOUT);
	close(fd);
}

static void run_session(void (*body)(void))
{
	snprintf(mnt, sizeof mnt, "/tmp/fbx-test.XXXXXX");
	CHECK_FATAL(mkdtemp(mnt) != NULL);
	se = fbx_session_new(NULL, &ops, sizeof ops, NULL);
	CHECK_FATAL(se != NULL);
	CHECK_FATAL(fbx_session_mount(se, mnt) == 0);
	pthread_t loop;
	pthread_create(&loop, NULL, loop_thread, NULL);
	body();
	fbx_session_unmount(se);
	fbx_session_exit(se);
	pthread_join(loop, NULL);
	fbx_session_destroy(se);
	umount2(mnt, MNT_DETACH);
	rmdir(mnt);
}

int main(void)
{
	if (geteuid() != 0)
		check_skip("needs root to mount");
	run_session(test_ioctl);
	run_session(test_poll);
	/* The handle the last poll left: its session is gone, it is not. */
	pthread_mutex_lock(&ph_lock);
	CHECK_FATAL(kept != NULL);
	CHECK_EQ_INT(fbx_notify_poll(kept), -ENOTCONN);
	fbx_pollhandle_destroy(kept);
	kept = NULL;
	pthread_mutex_unlock(&ph_lock);

	dir_cap = false;
	ops.poll = NULL;
	run_session(test_fallbacks);
	return check_exit();
}
