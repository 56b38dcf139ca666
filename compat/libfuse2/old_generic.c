/*
 * old_generic.c -- fuse_session_new: libfuse 2's generic session, whose
 * requests the program decodes itself (struct fuse_session_ops).
 *
 * It has no fusebox session under it (se->fbx is NULL, se->gen holds the
 * ops): the session calls of session.c and raw.c hand it to this file.
 * Its channel is one the program made: a fuse_chan_new one (read and
 * written through its ops) or a fuse_kern_chan_new descriptor, mounted
 * already (fuse_mount_compat25, or a parent's); a fuse_mount channel is
 * refused (fusebox mounts those with its own sessions only). Its loop
 * runs in the calling thread, fuse_session_loop_mt's too. Stop signals
 * (fuse_set_signal_handlers) end the loop when they interrupt its read.
 */
#include "fuse2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fuse_session *fuse_session_new(struct fuse_session_ops *op, void *data)
{
	if (!op || !op->process) {
		fbx_fuse2_err("fuse_session_new: the session needs a process op\n");
		return NULL;
	}
	struct fuse_session *se = calloc(1, sizeof(*se));
	struct fbx_fuse2_generic *gen = calloc(1, sizeof(*gen));
	if (!se || !gen) {
		fbx_fuse2_err("failed to allocate session\n");
		free(se);
		free(gen);
		return NULL;
	}
	gen->op = *op;
	gen->data = data;
	atomic_init(&gen->exited, 0);
	atomic_init(&se->signal, 0);
	se->gen = gen;
	return se;
}

int fbx_fuse2_gen_attach(struct fuse_session *se, struct fuse_chan *ch)
{
	if (ch->custom || ch->fd >= 0)
		return 0;
	fbx_fuse2_err("fuse_session_add_chan: a generic session (fuse_session_new) serves a "
	              "fuse_chan_new channel or a fuse_kern_chan_new descriptor, not a "
	              "fuse_mount channel\n");
	se->mount_failed = 1;
	return -1;
}

int fbx_fuse2_gen_recv(struct fuse_chan **chp, char *buf, size_t size)
{
	struct fuse_chan *ch = *chp;
	if (ch->custom)
		return ch->op.receive(chp, buf, size);
	for (;;) {
		ssize_t n = read(ch->fd, buf, size);
		if (n >= 0)
			return (int)n;
		if (errno == ENOENT)
			continue;   /* the request was interrupted before we read it */
		if (errno == ENODEV)
			return 0;   /* unmounted: the end */
		return -errno;
	}
}

int fbx_fuse2_gen_loop(struct fuse_session *se)
{
	struct fuse_chan *ch = se->ch;
	if (!ch || se->mount_failed) {
		fbx_fuse2_err("fuse_session_loop: the session has no usable channel "
		              "(fuse_session_add_chan)\n");
		return -1;
	}
	size_t size = fuse_chan_bufsize(ch);
	char *buf = malloc(size);
	if (!buf) {
		fbx_fuse2_err("fuse: cannot allocate a request buffer\n");
		return -1;
	}
	int r = 0;
	while (!fuse_session_exited(se)) {
		struct fuse_chan *from = ch;
		r = fuse_chan_recv(&from, buf, size);
		if (r == -EINTR) {
			int signo = fbx_compat_signals_pending(se);
			if (signo) {
				atomic_store(&se->signal, signo);
				fuse_session_exit(se);
			}
			r = 0;
			continue;
		}
		if (r <= 0)
			break;
		fuse_session_process(se, buf, (size_t)r, from);
	}
	free(buf);
	fuse_session_reset(se);
	return r < 0 ? -1 : 0;
}

/* val 1: exit, 0: reset. The program's exit op, if any, decides. */
void fbx_fuse2_gen_exit(struct fuse_session *se, int val)
{
	if (se->gen->op.exit)
		se->gen->op.exit(se->gen->data, val);
	atomic_store(&se->gen->exited, val);
}

int fbx_fuse2_gen_exited(struct fuse_session *se)
{
	if (se->gen->op.exited)
		return se->gen->op.exited(se->gen->data);
	return atomic_load(&se->gen->exited);
}

/* The program's destroy op; a descriptor channel's descriptor closes
 * with the session, as libfuse's kernel channel closes it. */
void fbx_fuse2_gen_destroy(struct fuse_session *se)
{
	if (se->gen->op.destroy)
		se->gen->op.destroy(se->gen->data);
	if (se->ch && !se->ch->custom && se->ch->fd >= 0) {
		close(se->ch->fd);
		se->ch->fd = -1;
	}
}
