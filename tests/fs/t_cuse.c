/*
 * t_cuse -- a CUSE character device served by fusebox/cuse.h, used by
 * this same process through the kernel: the node appears under /dev
 * after init_done, open/read/write/release reach the ops with ino 0,
 * an unrestricted ioctl reads and writes the caller's memory through
 * fbx_reply_ioctl_retry (two rounds: a struct, then the buffer it
 * points to), poll answers, and the node goes away with the session.
 * Needs /dev/cuse (the cuse module): the host kernel has none, so
 * tests/vm/t_cuse.sh runs this inside the VM; here it skips.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fusebox/cuse.h>

#include "../lib/check.h"

#define DEV "/dev/fbx-cuse-test"

/* An unrestricted command: its argument points to a struct that points
 * to the caller's buffer, which the device fills. */
struct fill_arg { char *buf; size_t size; };
#define CMD_FILL _IO('C', 1)

static struct fbx_session *se;
static atomic_int init_done, opened, released;
static char stored[64];

static void dev_init_done(void *ud) { atomic_store(&init_done, 1); }

static void dev_open(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	CHECK_EQ_INT(ino, 0);
	fi->fh = 42;
	fi->direct_io = 1;
	fi->nonseekable = 1;
	atomic_fetch_add(&opened, 1);
	fbx_reply_open(req, fi);
}

static void dev_read(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                     struct fbx_file_info *fi)
{
	CHECK_EQ_INT(fi->fh, 42);
	const char *text = "hello from cuse\n";
	size_t n = strlen(text);
	fbx_reply_buf(req, text, n < size ? n : size);
}

static void dev_write(struct fbx_req *req, uint64_t ino, const char *buf, size_t size,
                      off_t off, struct fbx_file_info *fi)
{
	size_t n = size < sizeof stored - 1 ? size : sizeof stored - 1;
	memcpy(stored, buf, n);
	stored[n] = '\0';
	fbx_reply_write(req, size);
}

static void dev_release(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	atomic_fetch_add(&released, 1);
	fbx_reply_err(req, 0);
}

static void dev_ioctl(struct fbx_req *req, uint64_t ino, unsigned int cmd, uint64_t arg,
                      struct fbx_file_info *fi, unsigned flags, const void *in_buf,
                      size_t in_bufsz, size_t out_bufsz)
{
	if (cmd != CMD_FILL || !(flags & FBX_IOCTL_UNRESTRICTED)) {
		fbx_reply_err(req, -ENOTTY);
		return;
	}
	struct iovec in = { (void *)(uintptr_t)arg, sizeof(struct fill_arg) };
	if (in_bufsz < sizeof(struct fill_arg)) {   /* round 1: the struct */
		fbx_reply_ioctl_retry(req, &in, 1, NULL, 0);
		return;
	}
	struct fill_arg a;
	memcpy(&a, in_buf, sizeof a);
	struct iovec out = { a.buf, a.size };
	if (out_bufsz < a.size) {                    /* round 2: its buffer */
		fbx_reply_ioctl_retry(req, &in, 1, &out, 1);
		return;
	}
	char *data = malloc(a.size ? a.size : 1);
	memset(data, 'z', a.size);
	fbx_reply_ioctl(req, (int)a.size, data, a.size);
	free(data);
}

static void dev_poll(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi,
                     unsigned events, struct fbx_pollhandle *ph)
{
	fbx_pollhandle_destroy(ph);
	fbx_reply_poll(req, events & (POLLIN | POLLOUT));
}

static const struct fbx_ll_ops ops = {
	.open = dev_open, .read = dev_read, .write = dev_write, .release = dev_release,
	.ioctl = dev_ioctl, .poll = dev_poll,
};

static void *loop_thread(void *arg)
{
	fbx_session_loop(se);
	return NULL;
}

static int exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISCHR(st.st_mode);
}

static void use_device(void)
{
	int fd = open(DEV, O_RDWR);
	CHECK_FATAL(fd >= 0);
	CHECK_EQ_INT(atomic_load(&opened), 1);
	char buf[64] = { 0 };
	CHECK_EQ_INT(read(fd, buf, sizeof buf - 1), 16);
	CHECK_EQ_STR(buf, "hello from cuse\n");
	CHECK_EQ_INT(write(fd, "written", 7), 7);
	CHECK_EQ_STR(stored, "written");

	char target[100];
	memset(target, 0, sizeof target);
	struct fill_arg a = { target, 99 };
	CHECK_EQ_INT(ioctl(fd, CMD_FILL, &a), 99);
	CHECK(target[0] == 'z' && target[98] == 'z' && target[99] == 0);
	errno = 0;
	CHECK_EQ_INT(ioctl(fd, _IO('C', 2), 0), -1);
	CHECK_EQ_INT(errno, ENOTTY);

	struct pollfd p = { fd, POLLIN, 0 };
	CHECK_EQ_INT(poll(&p, 1, 10000), 1);
	CHECK(p.revents & POLLIN);
	close(fd);
}

int main(void)
{
	if (geteuid() != 0)
		check_skip("needs root");
	if (access("/dev/cuse", F_OK) != 0)
		check_skip("no /dev/cuse (the cuse module; tests/vm/t_cuse.sh runs this in a VM)");

	/* Bad device info is refused before anything is created. */
	struct fbx_cuse_info bad = { .dev_name = "" };
	CHECK(fbx_cuse_new(NULL, &bad, &ops, sizeof ops, NULL) == NULL && errno == EINVAL);
	const char *lines[] = { "NOEQUALS", NULL };
	bad = (struct fbx_cuse_info){ .dev_name = "x", .dev_info = lines };
	CHECK(fbx_cuse_new(NULL, &bad, &ops, sizeof ops, NULL) == NULL && errno == EINVAL);

	const char *udev[] = { "MODE=0600", NULL };
	struct fbx_cuse_info ci = {
		.dev_name = DEV + 5, .dev_info = udev, .flags = FBX_CUSE_UNRESTRICTED_IOCTL,
		.init_done = dev_init_done,
	};
	se = fbx_cuse_new(NULL, &ci, &ops, sizeof ops, NULL);
	CHECK_FATAL(se != NULL);
	CHECK_FATAL(fbx_cuse_open(se) == 0);
	CHECK_EQ_INT(fbx_cuse_open(se), -EBUSY);
	pthread_t loop;
	pthread_create(&loop, NULL, loop_thread, NULL);
	for (int i = 0; i < 500 && !(atomic_load(&init_done) && exists(DEV)); i++)
		usleep(20000);
	CHECK_FATAL(atomic_load(&init_done) && exists(DEV));
	use_device();
	for (int i = 0; i < 500 && !atomic_load(&released); i++)
		usleep(10000);
	CHECK_EQ_INT(atomic_load(&released), 1);

	fbx_session_exit(se);
	pthread_join(loop, NULL);
	fbx_session_destroy(se);
	for (int i = 0; i < 500 && exists(DEV); i++)
		usleep(10000);
	CHECK(!exists(DEV));
	return check_exit();
}
