/*
 * lib/fuse/chan_io.c -- the channel of fbx_session_custom_io(): the
 * program's own read and writev over its own descriptor (a socket to
 * a process that holds /dev/fuse, a vhost queue, a test harness).
 * Such a descriptor cannot be cloned, so one worker serves it, and it
 * is not polled by the spinning reader.
 */
#include "fuse/session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct io_chan {
	struct fbx_chan       ch;
	struct fbx_custom_io  io;    /* zero beyond the program's io_size */
	void                 *data;
};

static ssize_t io_receive(struct fbx_chan *ch, void *buf, size_t size)
{
	struct io_chan *c = (struct io_chan *)ch;
	ssize_t n = c->io.read(ch->fd, buf, size, c->data);
	return n == 0 ? -ENODEV : n;   /* end of stream: the connection ended */
}

static int io_send(struct fbx_chan *ch, const struct iovec *iov, int count)
{
	struct io_chan *c = (struct io_chan *)ch;
	size_t total = 0;
	for (int i = 0; i < count; i++)
		total += iov[i].iov_len;
	ssize_t n = c->io.writev(ch->fd, iov, count, c->data);
	if (n < 0)
		return (int)n;
	return (size_t)n == total ? 0 : -EIO;
}

static void io_close(struct fbx_chan *ch)
{
	free(ch);
}

static const struct fbx_chan_ops io_ops = {
	.receive = io_receive,
	.send = io_send,
	.close = io_close,
};

int fbx_session_custom_io(struct fbx_session *se, const struct fbx_custom_io *io,
                          size_t io_size, int fd, void *data)
{
	if (fd < 0)
		return -EBADF;
	if (!io || io_size < offsetof(struct fbx_custom_io, writev) + sizeof io->writev ||
	    !io->read || !io->writev)
		return -EINVAL;
	if (se->ch || se->fd >= 0)
		return -EBUSY;
	struct io_chan *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	memcpy(&c->io, io, io_size < sizeof c->io ? io_size : sizeof c->io);
	c->ch.ops = &io_ops;
	c->ch.fd = fd;
	c->data = data;
	fbx_session_set_chan(se, &c->ch);
	return 0;
}
