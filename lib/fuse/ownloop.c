/*
 * lib/fuse/ownloop.c -- serving requests from a program's own event
 * loop (pyfuse3 with trio, qemu, kio-fuse): it waits for the session's
 * descriptor to be readable, reads one request into its own buffer and
 * has it processed, one at a time, in its thread.
 *
 * Such requests belong to one worker of the session (se->ext) that has
 * no thread and no buffer: its in-flight list lets INTERRUPT find them,
 * and an fbx_reply_fd() to them reads into memory of its own.
 */
#include "fuse/session.h"

#include <errno.h>
#include <stdio.h>

size_t fbx_session_bufsize(const struct fbx_session *se)
{
	return se->ch ? se->bufsize : 0;
}

ssize_t fbx_session_receive(struct fbx_session *se, void *buf, size_t size)
{
	if (!se->ch)
		return -ENOTCONN;
	for (;;) {
		if (atomic_load(&se->exited))
			return 0;
		ssize_t n = fbx_chan_receive(se->ch, buf, size);
		if (n == -ENOENT)
			continue;   /* interrupted before we read it: gone */
		if (n == -ENODEV || n == -ECONNABORTED || n == 0) {
			/* Unmounted from outside: the path may hold a new mount. */
			atomic_store(&se->unmounted, 1);
			fbx_session_exit(se);
			return 0;
		}
		if (n > 0 && (size_t)n < sizeof(struct fbx_k_in_header)) {
			fprintf(stderr, "fusebox: short request (%zd bytes)\n", n);
			return -EIO;
		}
		return n;
	}
}

static struct fbx_worker *ext_worker(struct fbx_session *se)
{
	pthread_mutex_lock(&se->workers_lock);
	if (!se->ext)
		se->ext = fbx_worker_new(se, se->ch, 0);
	struct fbx_worker *w = se->ext;
	pthread_mutex_unlock(&se->workers_lock);
	return w;
}

int fbx_session_process(struct fbx_session *se, const void *buf, size_t len)
{
	if (!se->ch)
		return -ENOTCONN;
	struct fbx_worker *w = ext_worker(se);
	if (!w)
		return -ENOMEM;
	/* The decoder only reads; the cast is for the loop's shared path. */
	return fbx_session_handle(w, (char *)buf, len);
}
