/*
 * lib/fuse/chan_dev.c -- the channel of a /dev/fuse (or /dev/cuse)
 * descriptor: a request is one read(), a reply one writev(). The
 * kernel hands each request to whichever reader is free and takes its
 * reply only on the descriptor it was read from, so every worker has
 * its own clone of the descriptor (FUSE_DEV_IOC_CLONE).
 */
#include "fuse/chan.h"
#include "fuse/abi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct dev_chan {
	struct fbx_chan ch;
	bool            own;
	bool            nonblock;
	bool            shared;    /* several workers read it (CUSE): never polled */
};

/* Nothing to read on a descriptor we keep blocking: the session's wake
 * signal made it non-blocking to end a read (session.c). Make it
 * blocking again, for a loop the program may run later, and say
 * "interrupted", which is what happened. */
static ssize_t woken(struct fbx_chan *ch)
{
	int fl = fcntl(ch->fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK))
		fcntl(ch->fd, F_SETFL, fl & ~O_NONBLOCK);
	return -EINTR;
}

static ssize_t dev_receive(struct fbx_chan *ch, void *buf, size_t size)
{
	ssize_t n = read(ch->fd, buf, size);
	if (n >= 0)
		return n;
	if (errno == EAGAIN && !((struct dev_chan *)ch)->nonblock)
		return woken(ch);
	return -errno;
}

static int dev_send(struct fbx_chan *ch, const struct iovec *iov, int count)
{
	size_t total = 0;
	for (int i = 0; i < count; i++)
		total += iov[i].iov_len;
	ssize_t n = writev(ch->fd, iov, count);
	if (n < 0) {
		int err = errno;
		/* ENOENT: the request was interrupted and is gone; not an error
		 * of ours. ENODEV: the connection ended under us. */
		if (err != ENOENT && err != ENODEV)
			fprintf(stderr, "fusebox: writing reply: %s\n", strerror(err));
		return -err;
	}
	if ((size_t)n != total) {
		fprintf(stderr, "fusebox: short reply write (%zd of %zu)\n", n, total);
		return -EIO;
	}
	return 0;
}

static int dev_set_nonblock(struct fbx_chan *ch, bool on)
{
	struct dev_chan *d = (struct dev_chan *)ch;
	if (d->nonblock == on)
		return 0;
	if (on && d->shared)
		return -ENOTSUP;   /* O_NONBLOCK is per open file: it would reach every reader */
	int fl = fcntl(ch->fd, F_GETFL);
	if (fl < 0 || fcntl(ch->fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0)
		return -errno;
	d->nonblock = on;
	return 0;
}

static struct fbx_chan *dev_clone(struct fbx_chan *ch)
{
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	uint32_t master = (uint32_t)ch->fd;
	if (ioctl(fd, FBX_K_DEV_IOC_CLONE, &master) < 0) {
		int err = errno;
		close(fd);
		/* A /dev/cuse descriptor cannot be cloned (the kernel wants both
		 * of the same device, and opening /dev/cuse makes a new device);
		 * its readers share it, which the kernel allows. */
		if (err == EINVAL) {
			((struct dev_chan *)ch)->shared = true;
			dev_set_nonblock(ch, false);
			return ch;
		}
		errno = err;
		return NULL;
	}
	struct fbx_chan *c = fbx_chan_dev_new(fd, true);
	if (!c)
		close(fd);
	return c;
}

static void dev_close(struct fbx_chan *ch)
{
	struct dev_chan *d = (struct dev_chan *)ch;
	if (d->own)
		close(ch->fd);
	free(d);
}

static const struct fbx_chan_ops dev_ops = {
	.receive = dev_receive,
	.send = dev_send,
	.set_nonblock = dev_set_nonblock,
	.clone = dev_clone,
	.close = dev_close,
};

struct fbx_chan *fbx_chan_dev_new(int fd, bool own)
{
	struct dev_chan *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->ch.ops = &dev_ops;
	d->ch.fd = fd;
	d->own = own;
	return (struct fbx_chan *)d;   /* ch is its first member */
}
