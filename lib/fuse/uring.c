/*
 * lib/fuse/uring.c -- FUSE over io_uring (protocol 7.42).
 *
 * Instead of read()/writev() on /dev/fuse, the daemon lends the kernel
 * buffers through io_uring commands: each entry is a header buffer and
 * a payload buffer registered with FUSE_IO_URING_CMD_REGISTER; its
 * completion means "a request is in the buffers", and the answer goes
 * back with COMMIT_AND_FETCH, which also lends the entry again. The
 * kernel picks the queue of the CPU the caller runs on, so there is one
 * queue per possible CPU, each served by one thread pinned to that CPU:
 * a request is answered where it was made, with no wake-up elsewhere.
 *
 * The kernel only switches to the rings once every queue has entries,
 * and keeps using /dev/fuse for FORGET and INTERRUPT, so the ordinary
 * workers go on running beside the queues. Requests reach the same
 * dispatcher: the header and the fixed argument are copied in front of
 * the payload so the decoder sees one contiguous message. Each entry
 * is the channel (chan.h) of the request it carries: the reply is put
 * into its buffers and committed, whichever thread sends it.
 *
 * Needs the kernel parameter /sys/module/fuse/parameters/enable_uring
 * (root) and liburing at build time; without either, nothing changes.
 */
#include "fuse/session.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#ifdef FBX_HAVE_LIBURING
#include <liburing.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <stdlib.h>
#include <unistd.h>

#define ENTRIES_PER_QUEUE 8
/* ring slots: one per entry, one for the wake read, and slack */
#define RING_SLOTS (ENTRIES_PER_QUEUE * 2)
#define PREFIX (sizeof(struct fbx_k_in_header) + FBX_K_URING_OP_IN_OUT_SZ)
_Static_assert(PREFIX <= FBX_REPLY_ALIGN, "the request header fits before the payload");

struct fbx_uring_ent {
	struct fbx_chan                ch;        /* first: the request's channel */
	struct fbx_uring_queue        *q;
	struct fbx_k_uring_req_header *hdr;
	char                          *buf;       /* a page (header at its end), then the payload */
	char                          *payload;
	size_t                         payload_size;
	uint64_t                       commit_id;
	struct iovec                   iov[2];
	struct fbx_uring_ent          *next_pending;
};

struct fbx_uring_queue {
	struct fbx_session   *se;
	unsigned              qid;
	struct io_uring       ring;
	int                   ring_ok;
	pthread_mutex_t       sq_lock;    /* guards the SQ ring and `pending` */
	struct fbx_worker    *w;          /* in se->workers: interrupts and shutdown */
	int                   efd;        /* wakes the queue thread for `pending` */
	uint64_t              efd_val;
	struct fbx_uring_ent *pending;    /* commits made by other threads */
	struct fbx_uring_ent  ents[ENTRIES_PER_QUEUE];
};

struct fbx_uring {
	unsigned               nqueues;
	struct fbx_uring_queue q[];
};

/* Queue a command for the next io_uring_submit(): the queue thread's
 * loop submits its commits together with the wait for the next request,
 * so a request costs one io_uring_enter, not two. */
static int prep_cmd(struct fbx_uring_ent *e, uint32_t cmd)
{
	struct fbx_uring_queue *q = e->q;
	pthread_mutex_lock(&q->sq_lock);
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);
	if (!sqe) {
		pthread_mutex_unlock(&q->sq_lock);
		return -EBUSY;   /* cannot happen: one SQE per entry at most */
	}
	memset(sqe, 0, 2 * sizeof *sqe);   /* SQE128: the command area follows */
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = q->se->fd;
	sqe->cmd_op = cmd;
	sqe->addr = (uint64_t)(uintptr_t)e->iov;
	sqe->len = 2;
	sqe->user_data = (uint64_t)(uintptr_t)e;
	struct fbx_k_uring_cmd_req *c = (struct fbx_k_uring_cmd_req *)sqe->cmd;
	c->qid = (uint16_t)q->qid;
	c->commit_id = e->commit_id;
	pthread_mutex_unlock(&q->sq_lock);
	return 0;
}

/* io_uring cancels a command when the thread that submitted it exits,
 * so only the queue's own thread submits. Another thread's commit is
 * queued here and the queue thread woken through its eventfd. */
static int arm_wake(struct fbx_uring_queue *q)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, q->efd, &q->efd_val, sizeof q->efd_val, 0);
	sqe->user_data = 0;
	return 0;
}

static void submit_pending(struct fbx_uring_queue *q)
{
	pthread_mutex_lock(&q->sq_lock);
	struct fbx_uring_ent *e = q->pending;
	q->pending = NULL;
	pthread_mutex_unlock(&q->sq_lock);
	while (e) {
		struct fbx_uring_ent *next = e->next_pending;
		prep_cmd(e, FBX_K_URING_CMD_COMMIT_AND_FETCH);
		e = next;
	}
}

static int commit_submit(struct fbx_uring_ent *e)
{
	struct fbx_uring_queue *q = e->q;
	if (pthread_equal(pthread_self(), q->w->thread))
		return prep_cmd(e, FBX_K_URING_CMD_COMMIT_AND_FETCH);
	pthread_mutex_lock(&q->sq_lock);
	e->next_pending = q->pending;
	q->pending = e;
	pthread_mutex_unlock(&q->sq_lock);
	uint64_t one = 1;
	return write(q->efd, &one, sizeof one) == sizeof one ? 0 : -errno;
}

/* iov[0] is the reply's header; the rest goes into the payload. */
static int ent_send(struct fbx_chan *ch, const struct iovec *iov, int count)
{
	struct fbx_uring_ent *e = (struct fbx_uring_ent *)ch;
	struct fbx_k_out_header *oh = (struct fbx_k_out_header *)e->hdr->in_out;
	struct fbx_k_out_header h;
	memcpy(&h, iov[0].iov_base, sizeof h);
	int err = h.error;
	size_t total = 0;
	for (int i = 1; err == 0 && i < count; i++) {
		if (total + iov[i].iov_len > e->payload_size) {
			err = -EIO;   /* larger than the kernel allowed for */
			break;
		}
		/* fbx_reply_fd read in place; an empty reply may carry NULL. */
		if (iov[i].iov_len && iov[i].iov_base != e->payload + total)
			memmove(e->payload + total, iov[i].iov_base, iov[i].iov_len);
		total += iov[i].iov_len;
	}
	if (err)
		total = 0;
	oh->len = (uint32_t)(sizeof *oh + total);
	oh->error = err;
	oh->unique = h.unique;
	e->hdr->ring_ent_in_out.payload_sz = (uint32_t)total;
	return commit_submit(e);
}

/* A read answered from a file goes straight into the payload buffer. */
static void *ent_data_buf(struct fbx_chan *ch, size_t *room)
{
	struct fbx_uring_ent *e = (struct fbx_uring_ent *)ch;
	*room = e->payload_size;
	return e->payload;
}

/* Entries belong to their queue: nothing to free one by one. */
static void ent_close(struct fbx_chan *ch) { }

static const struct fbx_chan_ops ent_ops = {
	.send = ent_send,
	.data_buf = ent_data_buf,
	.close = ent_close,
};

static void handle(struct fbx_uring_queue *q, struct fbx_uring_ent *e)
{
	struct fbx_session *se = q->se;
	struct fbx_k_in_header ih;
	memcpy(&ih, e->hdr->in_out, sizeof ih);
	e->commit_id = e->hdr->ring_ent_in_out.commit_id;
	uint32_t psz = e->hdr->ring_ent_in_out.payload_sz;
	struct fbx_msg m;
	memset(&m, 0, sizeof m);
	int err = -EPROTO;
	if (ih.len >= sizeof ih + psz && ih.len - sizeof ih - psz <= FBX_K_URING_OP_IN_OUT_SZ &&
	    psz <= e->payload_size) {
		size_t arglen = ih.len - sizeof ih - psz;
		char *msg = e->payload - arglen - sizeof ih;
		memcpy(msg, &ih, sizeof ih);
		memcpy(msg + sizeof ih, e->hdr->op_in, arglen);
		err = fbx_msg_decode(&m, msg, ih.len, &se->proto);
	}
	if (err == 0)
		fbx_count(se, m.opcode);
	if (se->opts.debug && err == 0)
		fbx_debug_req(&m, (int)q->qid);
	struct fbx_req *req = fbx_req_new(q->w, &m);
	if (!req)
		return;   /* the entry stays with us; the queue has others */
	req->unique = ih.unique;
	req->ch = &e->ch;
	if (err)
		fbx_reply_err(req, err == -EPROTO ? -EIO : err);
	else
		fbx_dispatch_req(req, &m);
}

/* Handle every completion that is ready. < 0: the queue must stop. */
static int drain_cqes(struct fbx_uring_queue *q)
{
	struct io_uring_cqe *cqe;
	while (io_uring_peek_cqe(&q->ring, &cqe) == 0) {
		struct fbx_uring_ent *e = (void *)(uintptr_t)cqe->user_data;
		int res = cqe->res;
		io_uring_cqe_seen(&q->ring, cqe);
		if (!e) {   /* the eventfd: commits from other threads */
			submit_pending(q);
			arm_wake(q);
			continue;
		}
		if (res < 0) {
			/* ENOTCONN/ECANCELED: the connection is going away. Anything
			 * else means the kernel refused the ring; /dev/fuse serves on. */
			if (res != -ENOTCONN && res != -ECANCELED)
				fprintf(stderr, "fusebox: io_uring queue %u refused: %s; "
				        "serving through /dev/fuse\n", q->qid, strerror(-res));
			return res;
		}
		handle(q, e);
	}
	return 0;
}

static void *queue_main(void *arg)
{
	struct fbx_uring_queue *q = arg;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(q->qid, &set);
	/* best effort. Unpinned, 4k randread with 1 job lost about a third
	 * on a loaded 2-CPU machine. Pinned, the thread shares its CPU with
	 * the caller, who sleeps until the reply: so nothing here polls
	 * for the next request as reader.c's spin does, which would only
	 * keep that caller from running. */
	pthread_setaffinity_np(pthread_self(), sizeof set, &set);
	char name[16];   /* for top -H, and for tests to find the queue threads */
	snprintf(name, sizeof name, "fbx-uring-%u", q->qid);
	pthread_setname_np(pthread_self(), name);
	int err = arm_wake(q);
	for (unsigned i = 0; !err && i < ENTRIES_PER_QUEUE; i++)
		err = prep_cmd(&q->ents[i], FBX_K_URING_CMD_REGISTER);
	if (!err) {
		int r = io_uring_submit(&q->ring);
		err = r < 0 ? r : 0;
	}
	if (err) {
		/* The kernel uses the rings only once every queue is ready. */
		fprintf(stderr, "fusebox: io_uring queue %u not registered (%s); "
		        "serving through /dev/fuse\n", q->qid, strerror(-err));
		return NULL;
	}
	while (!atomic_load(&q->se->exited)) {
		/* Commits prepared while handling go in with this wait. */
		int r = io_uring_submit_and_wait(&q->ring, 1);
		if (r == -EINTR || r == -EAGAIN || r == -EBUSY)
			continue;
		if (r < 0)
			break;
		if (drain_cqes(q) < 0)
			break;
	}
	return NULL;
}

static int queue_init(struct fbx_session *se, struct fbx_uring_queue *q, unsigned qid,
                      size_t payload)
{
	q->se = se;
	q->qid = qid;
	pthread_mutex_init(&q->sq_lock, NULL);
	q->efd = eventfd(0, EFD_CLOEXEC);
	if (q->efd < 0)
		return -errno;
	struct io_uring_params p;
	memset(&p, 0, sizeof p);
	/* COOP_TASKRUN: completions wait for our next io_uring_enter instead
	 * of interrupting the thread (it is in io_uring_enter when idle).
	 * SINGLE_ISSUER|DEFER_TASKRUN (ring enabled by the queue thread) was
	 * measured on fio 4k randread, 1 job (Linux 6.18, 2 CPUs): no change
	 * in IOPS or daemon CPU per read, so not worth the extra setup. */
	p.flags = IORING_SETUP_SQE128 | IORING_SETUP_COOP_TASKRUN;
	int r = io_uring_queue_init_params(RING_SLOTS, &q->ring, &p);
	if (r == -EINVAL) {   /* before Linux 5.19 */
		memset(&p, 0, sizeof p);
		p.flags = IORING_SETUP_SQE128;
		r = io_uring_queue_init_params(RING_SLOTS, &q->ring, &p);
	}
	if (r < 0)
		return r;
	q->ring_ok = 1;
	for (unsigned i = 0; i < ENTRIES_PER_QUEUE; i++) {
		struct fbx_uring_ent *e = &q->ents[i];
		e->ch.ops = &ent_ops;
		e->ch.fd = se->fd;
		e->q = q;
		e->hdr = calloc(1, sizeof *e->hdr);
		/* The payload starts on a page (the kernel pins fewer pages
		 * to copy it); the header is rebuilt just in front of it. */
		e->buf = aligned_alloc(FBX_REPLY_ALIGN, FBX_REPLY_ALIGN + payload);  /* payload: whole pages */
		if (!e->hdr || !e->buf)
			return -ENOMEM;
		e->payload = e->buf + FBX_REPLY_ALIGN;
		e->payload_size = payload;
		e->iov[0] = (struct iovec){ e->hdr, sizeof *e->hdr };
		e->iov[1] = (struct iovec){ e->payload, payload };
	}
	return 0;
}


int fbx_uring_probe(void)
{
	struct io_uring ring;
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SQE128;
	int r = io_uring_queue_init_params(2, &ring, &p);
	if (r == 0)
		io_uring_queue_exit(&ring);
	return r;
}

int fbx_uring_start(struct fbx_session *se)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	if (ncpu < 1 || ncpu > 4096)
		return -EINVAL;
	struct fbx_uring *u = calloc(1, sizeof *u + (size_t)ncpu * sizeof u->q[0]);
	if (!u)
		return -ENOMEM;
	u->nqueues = (unsigned)ncpu;
	se->uring = u;
	/* The kernel wants room for its largest request in every entry. */
	size_t payload = se->conn.max_write;
	if (payload < FBX_K_MIN_READ_BUFFER)
		payload = FBX_K_MIN_READ_BUFFER;
	size_t pages = (size_t)((payload + 4095) / 4096) * 4096;
	for (unsigned i = 0; i < u->nqueues; i++) {
		struct fbx_uring_queue *q = &u->q[i];
		int err = queue_init(se, q, i, pages);
		if (err)
			return err;
		/* A worker on se->workers, so the shutdown and interrupt code
		 * sees the queue thread; its requests carry their entry. */
		q->w = fbx_worker_new(se, se->ch, 0);
		if (!q->w)
			return -ENOMEM;
		if (pthread_create(&q->w->thread, NULL, queue_main, q) != 0) {
			/* Not on se->workers yet, so nothing else would free it. */
			fbx_worker_free(se, q->w);
			q->w = NULL;
			return -EAGAIN;
		}
		pthread_mutex_lock(&se->workers_lock);
		q->w->next = se->workers;
		se->workers = q->w;
		pthread_mutex_unlock(&se->workers_lock);
	}
	return 0;
}

/* After every thread has been joined. */
void fbx_uring_free(struct fbx_session *se)
{
	struct fbx_uring *u = se->uring;
	if (!u)
		return;
	for (unsigned i = 0; i < u->nqueues; i++) {
		struct fbx_uring_queue *q = &u->q[i];
		if (q->ring_ok)
			io_uring_queue_exit(&q->ring);
		if (q->efd > 0)
			close(q->efd);
		for (unsigned j = 0; j < ENTRIES_PER_QUEUE; j++) {
			free(q->ents[j].hdr);
			free(q->ents[j].buf);
		}
		pthread_mutex_destroy(&q->sq_lock);
	}
	free(u);
	se->uring = NULL;
}

#else /* !FBX_HAVE_LIBURING */

int fbx_uring_start(struct fbx_session *se) { return -ENOTSUP; }
int fbx_uring_probe(void) { return -ENOTSUP; }
void fbx_uring_free(struct fbx_session *se) { }

#endif
