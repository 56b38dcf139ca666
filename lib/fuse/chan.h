/*
 * lib/fuse/chan.h -- the transport seam: how requests come in and
 * replies go out. Private to lib/fuse.
 *
 * Everything above this seam (decoding, dispatch, replies, the worker
 * pool, the polling reader) sees a channel and its few operations;
 * every way of talking to the kernel is one implementation:
 *
 *   chan_dev.c   read()/writev() on a /dev/fuse (or /dev/cuse)
 *                descriptor; clone makes the per-worker descriptors
 *   chan_io.c    a program's own read/writev over its descriptor
 *                (fbx_session_custom_io)
 *   chan_mem.c   requests and replies in memory, for unit tests
 *   uring.c      each io_uring entry is a channel for the one request
 *                it carries: its reply commits the entry
 *
 * A request remembers the channel it came in on (req->ch); its reply
 * goes back there, whichever thread sends it.
 */
#ifndef FBX_FUSE_CHAN_H
#define FBX_FUSE_CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

struct fbx_chan;

struct fbx_chan_ops {
	/* One whole request into buf: its length, or a negated errno:
	 * -EAGAIN nothing there (non-blocking), -EINTR, -ENOENT (the
	 * request was interrupted before it was read: read again),
	 * -ENODEV the connection ended. NULL for a channel that only
	 * carries replies (an io_uring entry). */
	ssize_t (*receive)(struct fbx_chan *ch, void *buf, size_t size);
	/* One reply or notification, iov[0] its fbx_k_out_header, sent
	 * whole: 0 or a negated errno (-ENOENT: the request was
	 * interrupted and is gone, -ENODEV: the connection ended; quiet). */
	int (*send)(struct fbx_chan *ch, const struct iovec *iov, int count);
	/* Optional: memory where reply data may be put in place before
	 * send (fbx_reply_fd reads file data there), *room bytes of it;
	 * NULL: any memory will do. */
	void *(*data_buf)(struct fbx_chan *ch, size_t *room);
	/* Optional: switch receive between polling (-EAGAIN when empty)
	 * and blocking, for the polling reader (reader.c): 0 or a negated
	 * errno. NULL: the channel is never polled. */
	int (*set_nonblock)(struct fbx_chan *ch, bool on);
	/* Optional: another channel on the same connection, for one more
	 * worker (FUSE_DEV_IOC_CLONE), or ch itself when several workers
	 * may receive on it at once (a /dev/cuse descriptor; it is then no
	 * longer polled); NULL with errno set. Without it the session is
	 * served by one worker. */
	struct fbx_chan *(*clone)(struct fbx_chan *ch);
	/* Free the channel (and close what it owns). */
	void (*close)(struct fbx_chan *ch);
};

struct fbx_chan {
	const struct fbx_chan_ops *ops;
	int fd;       /* what fbx_session_fd() shows and poll(2) may wait on; -1: none */
};

static inline ssize_t fbx_chan_receive(struct fbx_chan *ch, void *buf, size_t size)
{
	return ch->ops->receive(ch, buf, size);
}

static inline int fbx_chan_send(struct fbx_chan *ch, const struct iovec *iov, int count)
{
	return ch->ops->send(ch, iov, count);
}

static inline void fbx_chan_close(struct fbx_chan *ch)
{
	if (ch)
		ch->ops->close(ch);
}

/* chan_dev.c: a /dev/fuse or /dev/cuse descriptor; `own`: close(fd)
 * on close. NULL with errno set. */
struct fbx_chan *fbx_chan_dev_new(int fd, bool own);

/* chan_mem.c: a channel whose requests are queued by the test and
 * whose replies are kept for it. receive gives the queued requests in
 * order, then -ENODEV (the connection ended). */
struct fbx_chan *fbx_chan_mem_new(void);
int fbx_chan_mem_push(struct fbx_chan *ch, const void *msg, size_t len);
/* The oldest reply not yet taken into buf (whole, header included):
 * its length (may exceed size: then it is cut), or -ENOENT for none. */
ssize_t fbx_chan_mem_pop(struct fbx_chan *ch, void *buf, size_t size);

#endif
