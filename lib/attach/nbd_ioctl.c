/*
 * lib/attach/nbd_ioctl.c -- the nbd path the BUSE way: a socketpair per
 * connection, one end given to the kernel with NBD_SET_SOCK, the other
 * served by our NBD server (transmission phase only: the size and
 * flags reach the kernel by ioctl), and a thread sitting in NBD_DO_IT
 * for as long as the device lives.
 *
 * If this process dies, the NBD_DO_IT caller is killed: the driver then
 * shuts the sockets and fails every queued request, so nothing hangs.
 * A server that stops answering without dying is cut off by the request
 * timeout (NBD_SET_TIMEOUT).
 */
#include "attach/attach_int.h"
#include "attach/attach_util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nbd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 16

struct nbd_ioctl;

struct nbd_ioctl_conn {
	struct nbd_ioctl *ni;
	int fd;                  /* our end, handed to the serving thread */
	pthread_t thr;
	int started;
};

struct nbd_ioctl {
	struct fbx_attach     *at;
	struct fbx_nbd_server *srv;
	int                    devfd;
	int                    index;
	pthread_t              doit_thr;
	int                    doit_started;
	atomic_int             doit_done;
	int                    doit_result;   /* 0 or -errno of NBD_DO_IT */
	unsigned               nconns;
	struct nbd_ioctl_conn  conns[MAX_CONNS];
};

static int nbd_probe_common(const char *name, char *why, size_t whysize)
{
	struct stat st;
	if (stat("/sys/module/nbd", &st) != 0 && stat("/sys/block/nbd0", &st) != 0) {
		snprintf(why, whysize, "%s: the nbd module is not loaded (modprobe nbd)", name);
		return -ENODEV;
	}
	if (stat("/sys/block/nbd0", &st) != 0) {
		snprintf(why, whysize, "%s: no nbd devices (modprobe nbd nbds_max=16)", name);
		return -ENODEV;
	}
	if (geteuid() != 0 && access("/dev/nbd0", R_OK | W_OK) != 0) {
		snprintf(why, whysize, "%s: /dev/nbd0 is not usable (%s; attaching needs root)",
		         name, strerror(errno));
		return -EPERM;
	}
	return 0;
}

static int ni_probe(char *why, size_t whysize)
{
	return nbd_probe_common("nbd-ioctl", why, whysize);
}

/* In use: a pid file (a connected device) or a size. */
static bool nbd_busy(int i)
{
	char p[64];
	snprintf(p, sizeof p, "/sys/block/nbd%d/pid", i);
	if (access(p, F_OK) == 0)
		return true;
	snprintf(p, sizeof p, "/sys/block/nbd%d/size", i);
	FILE *f = fopen(p, "re");
	if (!f)
		return true;
	unsigned long long sz = 0;
	int n = fscanf(f, "%llu", &sz);
	fclose(f);
	return n != 1 || sz != 0;
}

static void *serve_thread(void *arg)
{
	struct nbd_ioctl_conn *c = arg;
	int fd = c->fd;
	c->fd = -1;
	fbx_nbd_server_serve_transmission_fd(c->ni->srv, fd);
	return NULL;
}

static void *doit_thread(void *arg)
{
	struct nbd_ioctl *ni = arg;
	int rc = ioctl(ni->devfd, NBD_DO_IT);
	ni->doit_result = rc < 0 ? -errno : 0;
	atomic_store(&ni->doit_done, 1);
	fbx_attach_wake(ni->at);
	return NULL;
}

/* Configure one device; -EBUSY if another task holds it. */
static int configure(struct nbd_ioctl *ni, uint64_t size, uint16_t flags)
{
	struct fbx_attach *at = ni->at;
	uint32_t bs = fbx_attach_block_size(at);
	unsigned timeout = fbx_attach_dead_timeout(at);
	if (ioctl(ni->devfd, NBD_SET_BLKSIZE, (unsigned long)bs) < 0)
		return -errno;
	if (ioctl(ni->devfd, NBD_SET_SIZE_BLOCKS, (unsigned long)(size / bs)) < 0)
		return -errno;
	if (ioctl(ni->devfd, NBD_SET_FLAGS, (unsigned long)flags) < 0)
		return -errno;
	if (ioctl(ni->devfd, NBD_SET_TIMEOUT, (unsigned long)timeout) < 0)
		return -errno;
	for (unsigned i = 0; i < ni->nconns; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return -errno;
		if (ioctl(ni->devfd, NBD_SET_SOCK, (unsigned long)sv[0]) < 0) {
			int e = -errno;
			close(sv[0]);
			close(sv[1]);
			return e;
		}
		close(sv[0]);   /* the driver holds its own reference */
		struct nbd_ioctl_conn *c = &ni->conns[i];
		c->ni = ni;
		c->fd = sv[1];
		int e = fbx_thread_start(&c->thr, serve_thread, c, false);
		if (e) {
			close(sv[1]);
			c->fd = -1;
			return e;
		}
		c->started = 1;
	}
	return 0;
}

static int open_device(struct nbd_ioctl *ni, int index)
{
	char dev[64];
	snprintf(dev, sizeof dev, "/dev/nbd%d", index);
	ni->devfd = open(dev, O_RDWR | O_CLOEXEC);
	if (ni->devfd < 0)
		return -errno;
	ni->index = index;
	snprintf(ni->at->device, sizeof ni->at->device, "%s", dev);
	return 0;
}

/* Undo configure before trying another device. */
static void unconfigure(struct nbd_ioctl *ni)
{
	if (ni->devfd >= 0) {
		ioctl(ni->devfd, NBD_CLEAR_SOCK);
		close(ni->devfd);
		ni->devfd = -1;
	}
	for (unsigned i = 0; i < ni->nconns; i++) {
		struct nbd_ioctl_conn *c = &ni->conns[i];
		if (c->started)
			pthread_join(c->thr, NULL);
		c->started = 0;
	}
}

/* The device is up once the driver publishes the pid of the NBD_DO_IT
 * caller; give up if DO_IT returns first. */
static int wait_up(struct nbd_ioctl *ni)
{
	char p[64];
	snprintf(p, sizeof p, "/sys/block/nbd%d/pid", ni->index);
	for (int i = 0; i < 1000; i++) {
		if (atomic_load(&ni->doit_done))
			return ni->doit_result ? ni->doit_result : -EIO;
		if (access(p, F_OK) == 0)
			return 0;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

static int ni_start(struct fbx_attach *at)
{
	struct nbd_ioctl *ni = calloc(1, sizeof *ni);
	if (!ni)
		return -ENOMEM;
	at->priv = ni;
	ni->at = at;
	ni->devfd = -1;
	atomic_init(&ni->doit_done, 0);
	ni->srv = fbx_attach_nbd_server(at);
	if (!ni->srv)
		return -errno;
	uint64_t size;
	uint16_t flags;
	fbx_nbd_server_export_params(ni->srv, &size, &flags);
	ni->nconns = fbx_attach_nbd_conns(at, 1);

	int e;
	if (at->opts.device) {
		int idx = fbx_attach_dev_index(at->opts.device, "/dev/nbd");
		if (idx < 0) {
			fprintf(stderr, "nbd-ioctl: %s is not an nbd device (/dev/nbdN)\n",
			        at->opts.device);
			return -EINVAL;
		}
		if (nbd_busy(idx)) {
			fprintf(stderr, "nbd-ioctl: %s is in use (or does not exist)\n",
			        at->opts.device);
			return -EBUSY;
		}
		e = open_device(ni, idx);
		if (e == 0 && (e = configure(ni, size, flags)) != 0)
			unconfigure(ni);
		if (e) {
			fprintf(stderr, "nbd-ioctl: %s: %s\n", at->opts.device, strerror(-e));
			return e;
		}
	} else {
		e = -EBUSY;
		char p[64];
		for (int i = 0;; i++) {
			snprintf(p, sizeof p, "/sys/block/nbd%d", i);
			if (access(p, F_OK) != 0)
				break;
			if (nbd_busy(i))
				continue;
			if ((e = open_device(ni, i)) != 0)
				continue;
			if ((e = configure(ni, size, flags)) == 0)
				break;
			unconfigure(ni);   /* taken under our feet: the next one */
			at->device[0] = 0;
		}
		if (e) {
			fprintf(stderr, "nbd-ioctl: no free nbd device%s\n",
			        e == -EBUSY ? " (modprobe nbd nbds_max=N for more)" : "");
			return e;
		}
	}
	if ((e = fbx_thread_start(&ni->doit_thr, doit_thread, ni, false)) != 0)
		return e;
	ni->doit_started = 1;
	if ((e = wait_up(ni)) != 0) {
		fprintf(stderr, "nbd-ioctl: %s did not come up: %s\n", at->device, strerror(-e));
		return e;
	}
	return 0;
}

static bool ni_ended(struct fbx_attach *at)
{
	struct nbd_ioctl *ni = at->priv;
	return atomic_load(&ni->doit_done);
}

static int ni_wait(struct fbx_attach *at)
{
	struct nbd_ioctl *ni = at->priv;
	int e = fbx_attach_sleep(at, ni_ended);
	if (e)
		return e;
	if (atomic_load(&ni->doit_done) && !atomic_load(&at->stopping) && ni->doit_result)
		return ni->doit_result;
	return 0;
}

static void ni_destroy(struct fbx_attach *at)
{
	struct nbd_ioctl *ni = at->priv;
	if (!ni)
		return;
	if (ni->doit_started) {
		if (!atomic_load(&ni->doit_done)) {
			fbx_attach_sync_dev(at->device);
			/* NBD_CMD_DISC goes to the server after the requests in
			 * flight; it answers them, closes, and DO_IT returns. */
			if (ioctl(ni->devfd, NBD_DISCONNECT) < 0 && !at->opts.quiet)
				fprintf(stderr, "nbd-ioctl: %s: NBD_DISCONNECT: %s\n", at->device,
				        strerror(errno));
		}
		pthread_join(ni->doit_thr, NULL);
	}
	if (ni->srv)
		fbx_nbd_server_stop(ni->srv);   /* serving threads end */
	unconfigure(ni);
	fbx_nbd_server_destroy(ni->srv);
	free(ni);
	at->priv = NULL;
}

const struct fbx_attach_path_ops fbx_attach_nbd_ioctl = {
	.name = "nbd-ioctl",
	.probe = ni_probe,
	.start = ni_start,
	.wait = ni_wait,
	.destroy = ni_destroy,
};
