/*
 * lib/fuse/chan_mem.c -- a channel in memory, so that decoding,
 * dispatch and the reply encoders can be tested without root, a mount
 * or a kernel: the test queues requests as the kernel would write
 * them, serves them, and reads back the replies byte for byte.
 */
#include "fuse/chan.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct msg {
	struct msg *next;
	size_t      len;
	char        data[];
};

struct fifo {
	struct msg *head, **tail;
};

struct mem_chan {
	struct fbx_chan ch;
	pthread_mutex_t lock;   /* replies may come from any thread */
	struct fifo     in, out;
};

static void fifo_put(struct fifo *f, struct msg *m)
{
	m->next = NULL;
	*f->tail = m;
	f->tail = &m->next;
}

static struct msg *fifo_take(struct fifo *f)
{
	struct msg *m = f->head;
	if (m && !(f->head = m->next))
		f->tail = &f->head;
	return m;
}

static ssize_t take_into(struct mem_chan *c, struct fifo *f, void *buf, size_t size,
                         ssize_t none)
{
	pthread_mutex_lock(&c->lock);
	struct msg *m = fifo_take(f);
	pthread_mutex_unlock(&c->lock);
	if (!m)
		return none;
	ssize_t n = (ssize_t)m->len;
	memcpy(buf, m->data, m->len < size ? m->len : size);
	free(m);
	return n;
}

static ssize_t mem_receive(struct fbx_chan *ch, void *buf, size_t size)
{
	/* As the kernel does, a request longer than the buffer is refused. */
	struct mem_chan *c = (struct mem_chan *)ch;
	pthread_mutex_lock(&c->lock);
	struct msg *m = c->in.head;
	bool big = m && m->len > size;
	pthread_mutex_unlock(&c->lock);
	if (big)
		return -EIO;
	return take_into(c, &c->in, buf, size, -ENODEV);
}

static int mem_send(struct fbx_chan *ch, const struct iovec *iov, int count)
{
	struct mem_chan *c = (struct mem_chan *)ch;
	size_t len = 0;
	for (int i = 0; i < count; i++)
		len += iov[i].iov_len;
	struct msg *m = malloc(sizeof *m + len);
	if (!m)
		return -ENOMEM;
	m->len = len;
	size_t off = 0;
	for (int i = 0; i < count; i++) {
		if (iov[i].iov_len)
			memcpy(m->data + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	pthread_mutex_lock(&c->lock);
	fifo_put(&c->out, m);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static void fifo_free(struct fifo *f)
{
	struct msg *m;
	while ((m = fifo_take(f)))
		free(m);
}

static void mem_close(struct fbx_chan *ch)
{
	struct mem_chan *c = (struct mem_chan *)ch;
	fifo_free(&c->in);
	fifo_free(&c->out);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static const struct fbx_chan_ops mem_ops = {
	.receive = mem_receive,
	.send = mem_send,
	.close = mem_close,
};

struct fbx_chan *fbx_chan_mem_new(void)
{
	struct mem_chan *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->ch.ops = &mem_ops;
	c->ch.fd = -1;
	pthread_mutex_init(&c->lock, NULL);
	c->in.tail = &c->in.head;
	c->out.tail = &c->out.head;
	return &c->ch;
}

int fbx_chan_mem_push(struct fbx_chan *ch, const void *msg, size_t len)
{
	struct mem_chan *c = (struct mem_chan *)ch;
	struct msg *m = malloc(sizeof *m + len);
	if (!m)
		return -ENOMEM;
	m->len = len;
	memcpy(m->data, msg, len);
	pthread_mutex_lock(&c->lock);
	fifo_put(&c->in, m);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

ssize_t fbx_chan_mem_pop(struct fbx_chan *ch, void *buf, size_t size)
{
	struct mem_chan *c = (struct mem_chan *)ch;
	return take_into(c, &c->out, buf, size, -ENOENT);
}
