/*
 * raw.c -- raw requests and program-made transports, on fusebox's
 * receive/process-one calls and custom I/O (fusebox/lowlevel.h):
 *
 *   fuse_chan_new         a channel whose receive/send/destroy are the
 *                         program's; a session given it serves through
 *                         them (fbx_session_custom_io) instead of mounting
 *   fuse_chan_recv/_receive, fuse_session_receive_buf
 *                         read one request (fbx_session_receive)
 *   fuse_session_process/_process_buf
 *                         serve one (fbx_session_process), in this thread
 *   fuse_chan_send        one raw message out on the channel
 *   fuse_read_cmd, fuse_process_cmd, fuse_loop_mt_proc
 *                         the same for a high-level struct fuse
 *
 * A request is always answered on its session's channel, whatever
 * channel the program names to fuse_session_process (a session has one).
 */
#include "hl.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a transport of the program's own -------------------------------------- */

struct fuse_chan *fuse_chan_new(struct fuse_chan_ops *op, int fd, size_t bufsize,
                                void *data)
{
	if (!op || !op->receive || !op->send || fd < 0) {
		fbx_fuse2_err("fuse_chan_new: %s\n", fd < 0 ? "bad descriptor"
		              : "the channel needs receive and send");
		return NULL;
	}
	struct fuse_chan *ch = calloc(1, sizeof(*ch));
	if (!ch) {
		fbx_fuse2_err("failed to allocate channel\n");
		return NULL;
	}
	ch->custom = 1;
	ch->op = *op;
	ch->fd = fd;
	ch->bufsize = bufsize;
	ch->data = data;
	return ch;
}

/* The channel's receive as fusebox's read: both give the length, 0 at
 * the end, -EINTR/-EAGAIN for nothing now. */
static ssize_t custom_read(int fd, void *buf, size_t size, void *data)
{
	(void)fd;
	struct fuse_chan *ch = data;
	return ch->op.receive(&ch, buf, size);
}

/* libfuse 2's send answers 0 for all of it: fusebox wants the bytes. */
static ssize_t custom_writev(int fd, const struct iovec *iov, int count, void *data)
{
	(void)fd;
	struct fuse_chan *ch = data;
	size_t total = 0;
	for (int i = 0; i < count; i++)
		total += iov[i].iov_len;
	int r = ch->op.send(ch, iov, (size_t)count);
	return r < 0 ? r : (ssize_t)total;
}

int fbx_fuse2_attach_custom(struct fuse_session *se, struct fuse_chan *ch)
{
	static const struct fbx_custom_io io = { custom_read, custom_writev };
	/* fusebox closes the descriptor it serves; the program's destroy
	 * op closes its own: each gets one. */
	int fd = dup(ch->fd);
	if (fd < 0) {
		fbx_fuse2_err("fuse_session_add_chan: %s\n", strerror(errno));
		return -1;
	}
	int r = fbx_session_custom_io(se->fbx, &io, sizeof(io), fd, ch);
	if (r < 0) {
		close(fd);
		fbx_fuse2_err("fuse_session_add_chan: %s\n", strerror(-r));
		return -1;
	}
	return 0;
}

/* ---- one request in, one request served ------------------------------------ */

int fuse_chan_recv(struct fuse_chan **chp, char *buf, size_t size)
{
	struct fuse_chan *ch = *chp;
	if (ch->se && ch->se->gen)
		return fbx_fuse2_gen_recv(chp, buf, size);
	if (ch->se)
		return (int)fbx_session_receive(ch->se->fbx, buf, size);
	if (ch->custom)
		return ch->op.receive(chp, buf, size);
	return -ENOTCONN;   /* fuse_mount's channel before a session took it */
}

/* The 2.4 form: -1 for an error, 0 for nothing now or the end. */
int fuse_chan_receive(struct fuse_chan *ch, char *buf, size_t size)
{
	int r = fuse_chan_recv(&ch, buf, size);
	if (r >= 0)
		return r;
	return r == -EINTR || r == -EAGAIN ? 0 : -1;
}

int fuse_chan_send(struct fuse_chan *ch, const struct iovec iov[], size_t count)
{
	if (!ch)
		return -EINVAL;
	if (ch->custom)
		return ch->op.send(ch, iov, count);
	int fd = fuse_chan_fd(ch);
	if (fd < 0)
		return -ENOTCONN;
	if (writev(fd, iov, (int)count) < 0)
		return -errno;   /* ENOENT: the request was interrupted, as libfuse says */
	return 0;
}

void fuse_session_process(struct fuse_session *se, const char *buf, size_t len,
                          struct fuse_chan *ch)
{
	if (se->gen)
		se->gen->op.process(se->gen->data, buf, len, ch);
	else
		fbx_session_process(se->fbx, buf, len);   /* a bad request was reported there */
}

int fuse_session_receive_buf(struct fuse_session *se, struct fuse_buf *buf,
                             struct fuse_chan **chp)
{
	struct fuse_chan *ch = chp && *chp ? *chp : se->ch;
	if (!ch || !buf->mem)
		return -EINVAL;
	int r = fuse_chan_recv(&ch, buf->mem, buf->size);
	if (r > 0) {
		buf->size = (size_t)r;
		buf->flags = 0;
	}
	if (chp)
		*chp = ch;
	return r;
}

/* A request in a descriptor (a splice pipe the program filled) is read
 * into memory first: fusebox decodes from memory. */
void fuse_session_process_buf(struct fuse_session *se, const struct fuse_buf *buf,
                              struct fuse_chan *ch)
{
	if (!(buf->flags & FUSE_BUF_IS_FD)) {
		fuse_session_process(se, buf->mem, buf->size, ch);
		return;
	}
	char *mem = malloc(buf->size);
	if (!mem) {
		fbx_fuse2_err("fuse: cannot allocate a request buffer\n");
		return;
	}
	ssize_t n = buf->flags & FUSE_BUF_FD_SEEK ? pread(buf->fd, mem, buf->size, buf->pos)
	                                           : read(buf->fd, mem, buf->size);
	if (n < 0)
		fbx_fuse2_err("fuse: reading the request: %s\n", strerror(errno));
	else
		fuse_session_process(se, mem, (size_t)n, ch);
	free(mem);
}

/* ---- the same for the high-level API ------------------------------------- */

struct fuse_cmd {
	size_t len;
	char buf[];
};

/* `cancellable`: fuse_loop_mt_proc's workers may be cancelled while
 * they wait for a request (and only then): the command is freed. */
static struct fuse_cmd *read_cmd(struct fuse *f, int cancellable)
{
	size_t size = fbx_session_bufsize(f->se.fbx);
	struct fuse_cmd *cmd = size ? malloc(sizeof(*cmd) + size) : NULL;
	if (!cmd) {
		fbx_fuse2_err("fuse: %s\n", size ? "cannot allocate a command" : "not mounted");
		return NULL;
	}
	ssize_t n;
	pthread_cleanup_push(free, cmd);
	if (cancellable)
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	n = fbx_session_receive(f->se.fbx, cmd->buf, size);
	if (cancellable)
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	pthread_cleanup_pop(0);
	if (n <= 0) {
		free(cmd);
		/* 0: the session ended (already exited); EINTR/EAGAIN: none now */
		if (n < 0 && n != -EINTR && n != -EAGAIN)
			fuse_exit(f);
		return NULL;
	}
	cmd->len = (size_t)n;
	return cmd;
}

FBX_SYMVER("__fuse_read_cmd@")   /* the 1.x names, here and below */
struct fuse_cmd *fuse_read_cmd(struct fuse *f)
{
	return read_cmd(f, 0);
}

FBX_SYMVER("__fuse_process_cmd@")
void fuse_process_cmd(struct fuse *f, struct fuse_cmd *cmd)
{
	fbx_session_process(f->se.fbx, cmd->buf, cmd->len);
	free(cmd);
}

/* fuse_loop_mt_proc's workers: each reads commands and hands them to
 * the program's proc. Cancellation is on only while reading, so a
 * command being processed is never cut short. */
#define PROC_THREADS 4

struct proc_loop {
	struct fuse *f;
	fuse_processor_t proc;
	void *data;
	pthread_mutex_t lock;
	pthread_cond_t done;
	int finished;
};

static void *proc_worker(void *arg)
{
	struct proc_loop *pl = arg;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	while (!fuse_exited(pl->f)) {
		struct fuse_cmd *cmd = read_cmd(pl->f, 1);
		if (cmd)
			pl->proc(pl->f, cmd, pl->data);
	}
	pthread_mutex_lock(&pl->lock);
	pl->finished = 1;
	pthread_cond_signal(&pl->done);
	pthread_mutex_unlock(&pl->lock);
	return NULL;
}

FBX_SYMVER("__fuse_loop_mt@")
int fuse_loop_mt_proc(struct fuse *f, fuse_processor_t proc, void *data)
{
	if (!f || !proc || fbx_session_fd(f->se.fbx) < 0) {
		fbx_fuse2_err("fuse_loop_mt_proc: %s\n", proc ? "not mounted" : "no processor");
		return -1;
	}
	struct proc_loop pl = { .f = f, .proc = proc, .data = data, .finished = 0 };
	pthread_t th[PROC_THREADS];
	int n = 0;
	pthread_mutex_init(&pl.lock, NULL);
	pthread_cond_init(&pl.done, NULL);
	for (; n < PROC_THREADS; n++)
		if (pthread_create(&th[n], NULL, proc_worker, &pl) != 0)
			break;
	if (n > 0) {
		pthread_mutex_lock(&pl.lock);
		while (!pl.finished)
			pthread_cond_wait(&pl.done, &pl.lock);
		pthread_mutex_unlock(&pl.lock);
		/* the loop has ended: the others may still wait for a request */
		fuse_exit(f);
		for (int i = 0; i < n; i++)
			pthread_cancel(th[i]);
		for (int i = 0; i < n; i++)
			pthread_join(th[i], NULL);
	} else {
		fbx_fuse2_err("fuse_loop_mt_proc: cannot start a thread\n");
	}
	pthread_cond_destroy(&pl.done);
	pthread_mutex_destroy(&pl.lock);
	fbx_session_reset(f->se.fbx);
	return n > 0 ? 0 : -1;
}
