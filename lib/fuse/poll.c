/*
 * lib/fuse/poll.c -- poll(2) on files of a FUSE mount: the poll reply,
 * and the handles that wake a sleeping caller later.
 *
 * A handle names one poll request of the kernel (its `kh`); the
 * filesystem keeps it as long as it likes, often in another thread and
 * past the end of the session (libfuse's poll example notifies from a
 * producer thread that outlives fuse_main). So a handle does not point
 * at the session but at a small hub, shared and counted: the session
 * cuts itself off the hub when destroyed, and a late notify finds it
 * gone (-ENOTCONN) instead of freed memory.
 */
#include "fuse/session.h"

#include <errno.h>
#include <stdlib.h>

struct fbx_pollhub {
	pthread_mutex_t     lock;     /* held while sending: se stays alive */
	struct fbx_session *se;       /* NULL once the session is destroyed */
	atomic_int          refs;     /* the session's, plus one per handle */
};

struct fbx_pollhandle {
	struct fbx_pollhub *hub;
	uint64_t            kh;
};

struct fbx_pollhub *fbx_pollhub_new(struct fbx_session *se)
{
	struct fbx_pollhub *hub = malloc(sizeof *hub);
	if (!hub)
		return NULL;
	pthread_mutex_init(&hub->lock, NULL);
	hub->se = se;
	atomic_init(&hub->refs, 1);
	return hub;
}

void fbx_pollhub_release(struct fbx_pollhub *hub, bool detach)
{
	if (!hub)
		return;
	if (detach) {
		pthread_mutex_lock(&hub->lock);
		hub->se = NULL;
		pthread_mutex_unlock(&hub->lock);
	}
	if (atomic_fetch_sub(&hub->refs, 1) == 1) {
		pthread_mutex_destroy(&hub->lock);
		free(hub);
	}
}

struct fbx_pollhandle *fbx_pollhandle_new(struct fbx_session *se, uint64_t kh)
{
	struct fbx_pollhandle *ph = malloc(sizeof *ph);
	if (!ph)
		return NULL;
	ph->hub = se->pollhub;
	ph->kh = kh;
	atomic_fetch_add(&ph->hub->refs, 1);
	return ph;
}

void fbx_pollhandle_destroy(struct fbx_pollhandle *ph)
{
	if (!ph)
		return;
	fbx_pollhub_release(ph->hub, false);
	free(ph);
}

int fbx_notify_poll(struct fbx_pollhandle *ph)
{
	struct fbx_k_notify_poll_wakeup_out o = { ph->kh };
	struct iovec iov[2] = { { 0 }, { &o, sizeof o } };
	int err = -ENOTCONN;
	pthread_mutex_lock(&ph->hub->lock);
	if (ph->hub->se)
		err = fbx_notify_send(ph->hub->se, FBX_K_NOTIFY_POLL, iov, 2);
	pthread_mutex_unlock(&ph->hub->lock);
	return err;
}

int fbx_reply_poll(struct fbx_req *req, unsigned revents)
{
	struct fbx_k_poll_out o = { revents, 0 };
	struct iovec iov = { &o, sizeof o };
	return fbx_reply_raw(req, 0, &iov, 1);
}
