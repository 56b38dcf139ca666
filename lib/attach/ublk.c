/*
 * lib/attach/ublk.c -- the ublk path: the kernel's userspace block
 * driver (ublk_drv), spoken directly with io_uring commands, the device
 * callbacks called with no NBD in between.
 *
 * Control (/dev/ublk-control, a 128-byte-SQE ring): ADD_DEV (queues,
 * depth, largest I/O), SET_PARAMS (sizes, cache/FUA, discard), then
 * START_DEV once every queue thread has its FETCH_REQs in (the driver
 * waits for them), STOP_DEV and DEL_DEV to detach.
 *
 * I/O (/dev/ublkcN): one thread and one ring per queue. The driver puts
 * each request's descriptor in a shared read-only array (mmap of the
 * char device) and completes the tag's pending FETCH; the data moves
 * through the buffer whose address we gave with the command (the
 * driver copies writes in before, reads out after). We answer with
 * COMMIT_AND_FETCH_REQ carrying the result, which also re-arms the tag.
 *
 * Overlap: a nonblocking device (memdisk) is called on the queue thread
 * itself. A blocking one (filedisk) would serialise the queue there, so
 * each queue has info.threads workers: the queue thread hands them tags
 * (every tag has its own buffer), they call the device, and hand the
 * results back through a list and an eventfd the ring polls; only the
 * queue thread talks to the driver, as it must (the driver accepts a
 * queue's commands from the thread that fetched them only).
 *
 * If this process dies, its rings go away: the driver aborts the queues
 * and fails the requests; nothing waits for us. Unless the device was
 * added recoverable (UBLK_F_USER_RECOVERY, _REISSUE): then the driver
 * quiesces it and holds its I/O (the requests we had are issued again),
 * until a new process takes over: START_USER_RECOVERY (refused while
 * the old char device is still open: we retry), GET_DEV_INFO for the
 * queues and depth to serve, FETCHes on every queue as at the start,
 * END_USER_RECOVERY with our pid.
 */
#include "attach/attach_int.h"
#include "attach/attach_util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if FBX_HAVE_LIBURING

#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "attach/ublk_abi.h"

#define QUIT_TAG  UINT64_MAX      /* user_data of the poll on quit_fd */
#define DONE_TAG  (UINT64_MAX - 1) /* user_data of the poll on a queue's done_fd */
#define MAX_WORKERS 64
#define MAX_QUEUES 16

struct ublk;

struct ublk_q {
	struct ublk            *ub;
	unsigned                id;
	pthread_t               thr;
	int                     started;
	struct io_uring         ring;
	int                     ring_ok;
	struct ublksrv_io_desc *iods;
	size_t                  iods_len;
	char                   *bufs;
	int                     result;   /* why the thread ended: 0 or -errno */
	/* the workers (blocking devices only): todo and done hold tags,
	 * each at most once, so depth slots suffice */
	unsigned                nworkers;
	pthread_t               wthr[MAX_WORKERS];
	pthread_mutex_t         wlock;
	pthread_cond_t          wcond;
	bool                    wstop;
	unsigned               *todo, ntodo, todo_head;
	unsigned               *done, ndone;
	int                    *res;      /* per tag: the result a worker got */
	int                     done_fd;  /* eventfd: done has tags */
	atomic_uint             busy, peak; /* requests in the device now, at most */
};

struct ublk {
	struct fbx_attach *at;
	int                ctrl_fd, cdev_fd;
	struct io_uring    ctrl;
	int                ctrl_ok;
	bool               legacy;        /* the driver wants the bare command numbers */
	bool               unpriv;        /* an unprivileged device: commands name it */
	int                dev_id;        /* -1 until added */
	bool               owned;         /* ours to remove: added, or recovered */
	int                dev_started;
	unsigned           nq, depth, bufsize;
	struct ublk_q      qs[MAX_QUEUES];
	int                quit_fd;       /* eventfd: queue threads end */
	atomic_int         live;          /* queue threads running */
	pthread_mutex_t    lock;
	pthread_cond_t     cond;
	unsigned           ready;         /* queues with their FETCHes in */
	int                ready_err;
};

static unsigned ctrl_op(const struct ublk *ub, unsigned nr)
{
	if (ub->legacy)
		return nr;
	switch (nr) {
	case UBLK_CMD_ADD_DEV:    return FBX_UBLK_U_CMD_ADD_DEV;
	case UBLK_CMD_DEL_DEV:    return FBX_UBLK_U_CMD_DEL_DEV;
	case UBLK_CMD_START_DEV:  return FBX_UBLK_U_CMD_START_DEV;
	case UBLK_CMD_STOP_DEV:   return FBX_UBLK_U_CMD_STOP_DEV;
	case UBLK_CMD_SET_PARAMS: return FBX_UBLK_U_CMD_SET_PARAMS;
	case UBLK_CMD_GET_PARAMS: return FBX_UBLK_U_CMD_GET_PARAMS;
	case UBLK_CMD_GET_DEV_INFO: return FBX_UBLK_U_CMD_GET_DEV_INFO;
	case UBLK_CMD_START_USER_RECOVERY: return FBX_UBLK_U_CMD_START_USER_RECOVERY;
	case UBLK_CMD_END_USER_RECOVERY: return FBX_UBLK_U_CMD_END_USER_RECOVERY;
	case FBX_UBLK_CMD_GET_DEV_INFO2: return FBX_UBLK_U_CMD_GET_DEV_INFO2;
	default:                  return nr;
	}
}

/* One control command, synchronously; the cqe's result (0 or -errno).
 * On an unprivileged device (and for GET_DEV_INFO2) the buffer starts
 * with the char device's path. */
static int ctrl_cmd(struct ublk *ub, unsigned nr, uint32_t dev_id, void *buf, uint16_t len,
                    uint64_t data0)
{
	char named[512];
	uint16_t plen = 0;
	if ((ub->unpriv && nr != UBLK_CMD_ADD_DEV) || nr == FBX_UBLK_CMD_GET_DEV_INFO2) {
		int n = snprintf(named, sizeof named, "/dev/ublkc%u", dev_id);
		if (n < 0 || (size_t)n + len > sizeof named)
			return -EINVAL;
		plen = (uint16_t)n;
		if (len)
			memcpy(named + plen, buf, len);
	}
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ub->ctrl);
	if (!sqe)
		return -EBUSY;
	memset(sqe, 0, 2 * sizeof *sqe);   /* a 128-byte SQE */
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = ub->ctrl_fd;
	sqe->cmd_op = ctrl_op(ub, nr);
	struct ublksrv_ctrl_cmd *c = (struct ublksrv_ctrl_cmd *)sqe->cmd;
	c->dev_id = dev_id;
	c->queue_id = (uint16_t)-1;
	c->addr = (uint64_t)(uintptr_t)(plen ? named : buf);
	c->len = (uint16_t)(plen + len);
	c->data[0] = data0;
	memcpy(&c->data[1], &plen, sizeof plen);
	int e = io_uring_submit(&ub->ctrl);
	if (e < 0)
		return e;
	struct io_uring_cqe *cqe;
	do
		e = io_uring_wait_cqe(&ub->ctrl, &cqe);
	while (e == -EINTR);
	if (e < 0)
		return e;
	int res = cqe->res;
	io_uring_cqe_seen(&ub->ctrl, cqe);
	if (plen && len)
		memcpy(buf, named + plen, len);   /* what a GET wrote */
	return res;
}

static int ublk_probe(char *why, size_t whysize)
{
	struct stat st;
	if (stat("/dev/ublk-control", &st) != 0) {
		snprintf(why, whysize, "ublk: no /dev/ublk-control: the ublk_drv module is not "
		         "loaded (modprobe ublk_drv)");
		return -ENODEV;
	}
	if (access("/dev/ublk-control", R_OK | W_OK) != 0) {
		snprintf(why, whysize, "ublk: /dev/ublk-control is not usable (%s; attaching "
		         "needs root)", strerror(errno));
		return -EPERM;
	}
	return 0;
}

/* ---- the queues -------------------------------------------------- */

static int queue_io_cmd(struct ublk_q *q, unsigned tag, unsigned nr, int result)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);
	if (!sqe) {
		io_uring_submit(&q->ring);
		sqe = io_uring_get_sqe(&q->ring);
		if (!sqe)
			return -EBUSY;   /* cannot be: the ring has a slot per tag */
	}
	memset(sqe, 0, sizeof *sqe);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = q->ub->cdev_fd;
	if (q->ub->legacy)
		sqe->cmd_op = nr;
	else
		sqe->cmd_op = nr == UBLK_IO_FETCH_REQ ? FBX_UBLK_U_IO_FETCH_REQ
		                                      : FBX_UBLK_U_IO_COMMIT_AND_FETCH_REQ;
	struct ublksrv_io_cmd *c = (struct ublksrv_io_cmd *)sqe->cmd;
	c->q_id = (uint16_t)q->id;
	c->tag = (uint16_t)tag;
	c->result = result;
	c->addr = (uint64_t)(uintptr_t)(q->bufs + (size_t)tag * q->ub->bufsize);
	sqe->user_data = tag;
	return 0;
}

/* Run one request against the device; the result for COMMIT: bytes
 * moved for reads and writes, 0 for the rest, or -errno. */
static int do_io_dev(struct ublk_q *q, unsigned tag)
{
	struct fbx_attach *at = q->ub->at;
	const struct ublksrv_io_desc *iod = &q->iods[tag];
	unsigned op = iod->op_flags & 0xff, fl = iod->op_flags >> 8;
	uint64_t off = iod->start_sector << 9, len = (uint64_t)iod->nr_sectors << 9;
	char *buf = q->bufs + (size_t)tag * q->ub->bufsize;
	unsigned dfl = ((fl & UBLK_IO_F_FUA) ? FBX_DEV_FUA : 0) |
	               ((fl & UBLK_IO_F_NOUNMAP) ? FBX_DEV_NO_HOLE : 0);
	int r;
	switch (op) {
	case UBLK_IO_OP_READ:
		if (len > q->ub->bufsize)
			return -EINVAL;
		r = fbx_dev_read(&at->dev, buf, len, off);
		return r ? r : (int)len;
	case UBLK_IO_OP_WRITE:
		if (len > q->ub->bufsize)
			return -EINVAL;
		r = fbx_dev_write(&at->dev, buf, len, off, dfl);
		return r ? r : (int)len;
	case UBLK_IO_OP_FLUSH:
		return fbx_dev_flush(&at->dev);
	case UBLK_IO_OP_DISCARD:
		return fbx_dev_trim(&at->dev, len, off, dfl);
	case UBLK_IO_OP_WRITE_ZEROES:
		return fbx_dev_zero(&at->dev, len, off, dfl);
	default:
		return -EOPNOTSUPP;
	}
}

/* do_io_dev, counting how many requests of this queue are in the
 * device at once (the peak is reported on detach: it shows whether a
 * queue's I/O overlapped). */
static int do_io(struct ublk_q *q, unsigned tag)
{
	unsigned now = atomic_fetch_add(&q->busy, 1) + 1;
	unsigned old = atomic_load(&q->peak);
	while (now > old && !atomic_compare_exchange_weak(&q->peak, &old, now))
		;
	int r = do_io_dev(q, tag);
	atomic_fetch_sub(&q->busy, 1);
	return r;
}

/* ---- the workers of a queue (blocking devices) --------------------- */

static void *worker_thread(void *arg)
{
	struct ublk_q *q = arg;
	pthread_mutex_lock(&q->wlock);
	for (;;) {
		while (!q->ntodo && !q->wstop)
			pthread_cond_wait(&q->wcond, &q->wlock);
		if (q->wstop)
			break;
		unsigned tag = q->todo[q->todo_head];
		q->todo_head = (q->todo_head + 1) % q->ub->depth;
		q->ntodo--;
		pthread_mutex_unlock(&q->wlock);
		int r = do_io(q, tag);
		pthread_mutex_lock(&q->wlock);
		q->res[tag] = r;
		q->done[q->ndone++] = tag;
		if (q->ndone == 1)
			fbx_attach_poke(q->done_fd);
	}
	pthread_mutex_unlock(&q->wlock);
	return NULL;
}

static void hand_to_worker(struct ublk_q *q, unsigned tag)
{
	pthread_mutex_lock(&q->wlock);
	q->todo[(q->todo_head + q->ntodo) % q->ub->depth] = tag;
	q->ntodo++;
	pthread_cond_signal(&q->wcond);
	pthread_mutex_unlock(&q->wlock);
}

static void arm_done_poll(struct ublk_q *q)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);
	if (!sqe) {
		io_uring_submit(&q->ring);
		sqe = io_uring_get_sqe(&q->ring);
	}
	io_uring_prep_poll_add(sqe, q->done_fd, POLLIN);
	sqe->user_data = DONE_TAG;
}

/* The workers' results: commit them (re-arming their tags), and listen
 * for the next ones. Returns how many commands could not be queued. */
static unsigned commit_done(struct ublk_q *q)
{
	uint64_t v;
	if (read(q->done_fd, &v, sizeof v) < 0) {
		/* nothing to read (EAGAIN): the list says what is done */
	}
	unsigned lost = 0;
	pthread_mutex_lock(&q->wlock);
	for (unsigned i = 0; i < q->ndone; i++)
		if (queue_io_cmd(q, q->done[i], UBLK_IO_COMMIT_AND_FETCH_REQ, q->res[q->done[i]]))
			lost++;
	q->ndone = 0;
	pthread_mutex_unlock(&q->wlock);
	arm_done_poll(q);
	return lost;
}

static int workers_start(struct ublk_q *q)
{
	struct ublk *ub = q->ub;
	unsigned n = ub->at->info.threads ? ub->at->info.threads : 4;
	n = n > ub->depth ? ub->depth : n > MAX_WORKERS ? MAX_WORKERS : n;
	q->todo = calloc(ub->depth, sizeof *q->todo);
	q->done = calloc(ub->depth, sizeof *q->done);
	q->res = calloc(ub->depth, sizeof *q->res);
	if (!q->todo || !q->done || !q->res)
		return -ENOMEM;
	if ((q->done_fd = fbx_attach_evfd()) < 0)
		return q->done_fd;
	for (; q->nworkers < n; q->nworkers++) {
		int e = fbx_thread_start(&q->wthr[q->nworkers], worker_thread, q, false);
		if (e)
			return e;
	}
	arm_done_poll(q);
	return 0;
}

/* Let the workers finish the request each is running, then end them. */
static void workers_stop(struct ublk_q *q)
{
	pthread_mutex_lock(&q->wlock);
	q->wstop = true;
	pthread_cond_broadcast(&q->wcond);
	pthread_mutex_unlock(&q->wlock);
	for (unsigned i = 0; i < q->nworkers; i++)
		pthread_join(q->wthr[i], NULL);
	q->nworkers = 0;
}

static void queue_ready(struct ublk *ub, int err)
{
	pthread_mutex_lock(&ub->lock);
	ub->ready++;
	if (err && !ub->ready_err)
		ub->ready_err = err;
	pthread_cond_broadcast(&ub->cond);
	pthread_mutex_unlock(&ub->lock);
}

static int queue_setup(struct ublk_q *q)
{
	struct ublk *ub = q->ub;
	long page = sysconf(_SC_PAGESIZE);
	size_t stride = ((size_t)FBX_UBLK_MAX_QUEUE_DEPTH * sizeof(struct ublksrv_io_desc) +
	                 (size_t)page - 1) & ~((size_t)page - 1);
	q->iods_len = ((size_t)ub->depth * sizeof(struct ublksrv_io_desc) + (size_t)page - 1) &
	              ~((size_t)page - 1);
	void *p = mmap(NULL, q->iods_len, PROT_READ, MAP_SHARED | MAP_POPULATE, ub->cdev_fd,
	               (off_t)(UBLKSRV_CMD_BUF_OFFSET + q->id * stride));
	if (p == MAP_FAILED)
		return -errno;
	q->iods = p;
	p = mmap(NULL, (size_t)ub->depth * ub->bufsize, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	q->bufs = p;
	/* room for every tag's command plus the quit and done polls */
	int e = io_uring_queue_init(ub->depth + 4, &q->ring, 0);
	if (e < 0)
		return e;
	q->ring_ok = 1;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);
	io_uring_prep_poll_add(sqe, ub->quit_fd, POLLIN);
	sqe->user_data = QUIT_TAG;
	if (!ub->at->info.nonblocking && (e = workers_start(q)) != 0)
		return e;
	for (unsigned t = 0; t < ub->depth; t++)
		if ((e = queue_io_cmd(q, t, UBLK_IO_FETCH_REQ, 0)) != 0)
			return e;
	e = io_uring_submit(&q->ring);
	return e < 0 ? e : 0;
}

static void *queue_thread(void *arg)
{
	struct ublk_q *q = arg;
	struct ublk *ub = q->ub;
	int e = queue_setup(q);
	queue_ready(ub, e);
	unsigned aborted = 0;
	bool quit = e != 0;
	while (!quit) {
		e = io_uring_submit_and_wait(&q->ring, 1);
		if (e < 0 && e != -EINTR && e != -EAGAIN && e != -EBUSY) {
			q->result = e;
			break;
		}
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;
		io_uring_for_each_cqe(&q->ring, head, cqe) {
			n++;
			if (cqe->user_data == QUIT_TAG) {
				quit = true;
				continue;
			}
			if (cqe->user_data == DONE_TAG) {
				aborted += commit_done(q);
				continue;
			}
			unsigned tag = (unsigned)cqe->user_data;
			if (cqe->res == UBLK_IO_RES_OK && tag < ub->depth) {
				if (q->nworkers) {
					hand_to_worker(q, tag);
					continue;
				}
				int r = do_io(q, tag);
				if (queue_io_cmd(q, tag, UBLK_IO_COMMIT_AND_FETCH_REQ, r) != 0)
					aborted++;
			} else {
				/* UBLK_IO_RES_ABORT: the device is going away; any
				 * other error: this tag is dead */
				if (cqe->res != UBLK_IO_RES_ABORT && !q->result)
					q->result = cqe->res;
				if (++aborted >= ub->depth)
					quit = true;
			}
		}
		io_uring_cq_advance(&q->ring, n);
	}
	workers_stop(q);
	if (q->result && q->result != -ENODEV && !ub->at->opts.quiet &&
	    !atomic_load(&ub->at->stopping))
		fprintf(stderr, "ublk: queue %u: %s\n", q->id, strerror(-q->result));
	atomic_fetch_sub(&ub->live, 1);
	fbx_attach_wake(ub->at);   /* one queue gone is the device gone */
	return NULL;
}

static void queue_free(struct ublk_q *q)
{
	/* Leaving the ring cancels the FETCHes still pending in the driver. */
	if (q->ring_ok)
		io_uring_queue_exit(&q->ring);
	if (q->iods)
		munmap(q->iods, q->iods_len);
	if (q->bufs)
		munmap(q->bufs, (size_t)q->ub->depth * q->ub->bufsize);
	q->ring_ok = 0;
	q->iods = NULL;
	q->bufs = NULL;
	if (q->done_fd >= 0)
		close(q->done_fd);
	q->done_fd = -1;
	free(q->todo);
	free(q->done);
	free(q->res);
	q->todo = q->done = NULL;
	q->res = NULL;
	pthread_cond_destroy(&q->wcond);
	pthread_mutex_destroy(&q->wlock);
}

/* ---- the device -------------------------------------------------- */

static unsigned ilog2(uint32_t v)
{
	unsigned s = 0;
	while ((1u << (s + 1)) <= v)
		s++;
	return s;
}

static int set_params(struct ublk *ub)
{
	const struct fbx_attach *at = ub->at;
	uint32_t bs = fbx_attach_block_size(at);
	uint32_t pref = at->info.block_pref ? at->info.block_pref : 4096;
	uint32_t phys = pref < bs ? bs : pref > 4096 ? 4096 : pref;
	uint32_t opt = pref < bs ? bs : pref > ub->bufsize ? ub->bufsize : pref;
	struct ublk_params p;
	memset(&p, 0, sizeof p);
	p.len = sizeof p;
	p.types = UBLK_PARAM_TYPE_BASIC;
	bool ro = !fbx_dev_writable(&at->dev);
	p.basic.attrs = (ro ? UBLK_ATTR_READ_ONLY : 0) |
	                (at->info.rotational ? UBLK_ATTR_ROTATIONAL : 0) |
	                (fbx_dev_can_flush(&at->dev) ? UBLK_ATTR_VOLATILE_CACHE : 0) |
	                (fbx_dev_can_flush(&at->dev) && at->info.can_fua ? UBLK_ATTR_FUA : 0);
	p.basic.logical_bs_shift = (uint8_t)ilog2(bs);
	p.basic.physical_bs_shift = (uint8_t)ilog2(phys);
	p.basic.io_min_shift = (uint8_t)ilog2(phys);
	p.basic.io_opt_shift = (uint8_t)ilog2(opt);
	p.basic.max_sectors = ub->bufsize >> 9;
	p.basic.dev_sectors = at->info.size >> 9;
	if (fbx_dev_can_trim(&at->dev) || fbx_dev_can_zero(&at->dev)) {
		p.types |= UBLK_PARAM_TYPE_DISCARD;
		p.discard.discard_granularity = bs;
		p.discard.max_discard_sectors = fbx_dev_can_trim(&at->dev) ? (1u << 30) >> 9 : 0;
		p.discard.max_discard_segments = 1;
		p.discard.max_write_zeroes_sectors = fbx_dev_can_zero(&at->dev) ? (1u << 30) >> 9 : 0;
	}
	return ctrl_cmd(ub, UBLK_CMD_SET_PARAMS, (uint32_t)ub->dev_id, &p, sizeof p, 0);
}

static int add_dev(struct ublk *ub, int want)
{
	struct ublksrv_ctrl_dev_info info;
	memset(&info, 0, sizeof info);
	info.nr_hw_queues = (uint16_t)ub->nq;
	info.queue_depth = (uint16_t)ub->depth;
	info.max_io_buf_bytes = ub->bufsize;
	info.dev_id = want >= 0 ? (uint32_t)want : (uint32_t)-1;
	info.ublksrv_pid = getpid();
	info.flags = ub->legacy ? 0 : FBX_UBLK_F_CMD_IOCTL_ENCODE;
	if (ub->at->opts.recoverable)
		info.flags |= UBLK_F_USER_RECOVERY | UBLK_F_USER_RECOVERY_REISSUE;
	if (ub->unpriv)
		info.flags |= FBX_UBLK_F_UNPRIVILEGED_DEV;
	int e = ctrl_cmd(ub, UBLK_CMD_ADD_DEV, info.dev_id, &info, sizeof info, 0);
	if (e == 0) {
		ub->dev_id = (int)info.dev_id;
		ub->owned = true;
	}
	return e;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000 * 1000 };
	nanosleep(&ts, NULL);
}

/* GET_DEV_INFO of device id, trying the ioctl encoding first; an
 * unprivileged device (or a caller without CAP_SYS_ADMIN) needs
 * GET_DEV_INFO2, which names the char device. */
static int get_info(struct ublk *ub, int id, struct ublksrv_ctrl_dev_info *info)
{
	memset(info, 0, sizeof *info);
	int e = ctrl_cmd(ub, UBLK_CMD_GET_DEV_INFO, (uint32_t)id, info, sizeof *info, 0);
	if (e == -EOPNOTSUPP) {
		ub->legacy = true;
		e = ctrl_cmd(ub, UBLK_CMD_GET_DEV_INFO, (uint32_t)id, info, sizeof *info, 0);
	}
	if (e == -EPERM || e == -EINVAL) {
		int e2 = ctrl_cmd(ub, FBX_UBLK_CMD_GET_DEV_INFO2, (uint32_t)id, info, sizeof *info, 0);
		if (e2 == 0)
			e = 0;
	}
	if (e == 0)
		ub->unpriv = info->flags & FBX_UBLK_F_UNPRIVILEGED_DEV;
	return e;
}

/* Whether process pid still runs: a zombie has let go of its files
 * already, so it does not count (without /proc, it does). */
static bool proc_running(int pid)
{
	if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
		return false;
	char path[64], st[512];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	ssize_t n = read(fd, st, sizeof st - 1);
	close(fd);
	st[n > 0 ? n : 0] = 0;
	const char *paren = strrchr(st, ')');   /* "pid (comm) S ..." */
	return !(paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'));
}

#define RECOVER_WAIT_MS 30000  /* for the driver, once the old server is gone */
#define RECOVER_GRACE_MS 2000  /* for an old server still there to finish dying */

/* START_USER_RECOVERY on device id, whose server was old_pid. The
 * driver refuses (-EBUSY) until the old server's char device is
 * released and the device quiesced; both trail its death (its rings
 * are torn down by a kernel worker, late on a loaded machine). So keep
 * asking while the old server is gone; one still there gets a moment
 * to finish dying, then it is running and we refuse (*alive says
 * which). */
static int start_recovery(struct ublk *ub, int id, int old_pid, bool *alive)
{
	for (long waited = 0;; waited += 50) {
		int e = ctrl_cmd(ub, UBLK_CMD_START_USER_RECOVERY, (uint32_t)id, NULL, 0, 0);
		if (e != -EBUSY)
			return e;
		*alive = proc_running(old_pid);
		if (waited >= (*alive ? RECOVER_GRACE_MS : RECOVER_WAIT_MS))
			return e;
		nap_ms(50);
	}
}

/* Take over device `id`, whose daemon died: check it is one we can
 * serve, and begin the recovery; the queues are set up after. */
static int recover_begin(struct ublk *ub, int id)
{
	struct fbx_attach *at = ub->at;
	struct ublksrv_ctrl_dev_info info;
	int e = get_info(ub, id, &info);
	if (e) {
		fprintf(stderr, "ublk: /dev/ublkb%d: %s\n", id,
		        e == -ENODEV ? "no such device" : strerror(-e));
		return e;
	}
	if (!(info.flags & UBLK_F_USER_RECOVERY)) {
		fprintf(stderr, "ublk: /dev/ublkb%d was not attached recoverable: it cannot be "
		        "taken over\n", id);
		return -EINVAL;
	}
	if (info.nr_hw_queues > MAX_QUEUES || !info.nr_hw_queues || !info.queue_depth ||
	    info.max_io_buf_bytes < 4096) {
		fprintf(stderr, "ublk: /dev/ublkb%d: %u queues of depth %u: more than we serve\n",
		        id, info.nr_hw_queues, info.queue_depth);
		return -EINVAL;
	}
	struct ublk_params p;
	memset(&p, 0, sizeof p);
	p.len = sizeof p;
	if ((e = ctrl_cmd(ub, UBLK_CMD_GET_PARAMS, (uint32_t)id, &p, sizeof p, 0)) != 0) {
		fprintf(stderr, "ublk: /dev/ublkb%d: GET_PARAMS: %s\n", id, strerror(-e));
		return e;
	}
	if (p.basic.dev_sectors != at->info.size >> 9) {
		fprintf(stderr, "ublk: /dev/ublkb%d has %llu bytes, this device %llu: not taking "
		        "it over\n", id, (unsigned long long)p.basic.dev_sectors << 9,
		        (unsigned long long)at->info.size);
		return -EINVAL;
	}
	ub->nq = info.nr_hw_queues;
	ub->depth = info.queue_depth;
	ub->bufsize = info.max_io_buf_bytes;
	bool alive = false;
	if ((e = start_recovery(ub, id, info.ublksrv_pid, &alive)) != 0) {
		if (e == -EBUSY && alive)
			fprintf(stderr, "ublk: /dev/ublkb%d: START_USER_RECOVERY: its serving process "
			        "(pid %d) is still running\n", id, info.ublksrv_pid);
		else if (e == -EBUSY)
			fprintf(stderr, "ublk: /dev/ublkb%d: START_USER_RECOVERY: its serving process "
			        "is gone, but the driver has not let go of the device after %d s\n", id,
			        RECOVER_WAIT_MS / 1000);
		else
			fprintf(stderr, "ublk: /dev/ublkb%d: START_USER_RECOVERY: %s\n", id,
			        strerror(-e));
		return e;
	}
	ub->dev_id = id;
	return 0;
}

static int wait_node(const char *path)
{
	for (int i = 0; i < 500; i++) {
		if (access(path, F_OK) == 0)
			return 0;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return -ENOENT;
}

/* Open the char device; an unprivileged device's node is created for
 * root and given to us by udev a moment later: wait for that. */
static int open_cdev(struct ublk *ub, const char *cdev)
{
	for (int i = 0; i < (ub->unpriv ? 100 : 1); i++) {
		if ((ub->cdev_fd = open(cdev, O_RDWR | O_CLOEXEC)) >= 0)
			return 0;
		if (errno != EACCES)
			break;
		nap_ms(50);
	}
	return -errno;
}

static int ublk_start(struct fbx_attach *at)
{
	struct ublk *ub = calloc(1, sizeof *ub);
	if (!ub)
		return -ENOMEM;
	at->priv = ub;
	ub->at = at;
	ub->ctrl_fd = ub->cdev_fd = ub->quit_fd = -1;
	ub->dev_id = -1;
	atomic_init(&ub->live, 0);
	pthread_mutex_init(&ub->lock, NULL);
	pthread_cond_init(&ub->cond, NULL);
	if ((ub->quit_fd = fbx_attach_evfd()) < 0)
		return ub->quit_fd;

	int want = -1;
	if (at->opts.device && (want = fbx_attach_dev_index(at->opts.device, "/dev/ublkb")) < 0) {
		fprintf(stderr, "ublk: %s is not a ublk device (/dev/ublkbN)\n", at->opts.device);
		return -EINVAL;
	}
	if (at->opts.recover && want < 0) {
		fprintf(stderr, "ublk: recover: name the device to take over (/dev/ublkbN)\n");
		return -EINVAL;
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned nq = at->opts.connections ? at->opts.connections
	                                   : ncpu < 1 ? 1 : ncpu > 4 ? 4 : (unsigned)ncpu;
	ub->nq = nq > MAX_QUEUES ? MAX_QUEUES : nq;
	unsigned depth = at->opts.queue_depth ? at->opts.queue_depth : 64;
	ub->depth = depth > 1024 ? 1024 : depth;
	uint32_t bmax = at->info.block_max ? at->info.block_max : 32u << 20;
	uint32_t bufsize = bmax < (512u << 10) ? bmax : 512u << 10;
	ub->bufsize = bufsize < 4096 ? 4096 : bufsize & ~4095u;

	ub->ctrl_fd = open("/dev/ublk-control", O_RDWR | O_CLOEXEC);
	if (ub->ctrl_fd < 0) {
		int e = -errno;
		fprintf(stderr, "ublk: /dev/ublk-control: %s\n", strerror(-e));
		return e;
	}
	int e = io_uring_queue_init(4, &ub->ctrl, IORING_SETUP_SQE128);
	if (e < 0) {
		fprintf(stderr, "ublk: io_uring: %s\n", strerror(-e));
		return e;
	}
	ub->ctrl_ok = 1;
	if (at->opts.recover) {
		if ((e = recover_begin(ub, want)) != 0)
			return e;
	} else {
		e = add_dev(ub, want);
		if (e == -EOPNOTSUPP || e == -EINVAL) {
			ub->legacy = true;   /* a driver from before the ioctl encoding */
			e = add_dev(ub, want);
		}
		if (e == -EPERM) {
			/* not CAP_SYS_ADMIN: a device of our own, where the
			 * driver allows it (6.5 on) */
			ub->unpriv = true;
			e = add_dev(ub, want);
			if (e == -EINVAL || e == -EOPNOTSUPP) {
				fprintf(stderr, "ublk: ADD_DEV: not permitted, and this kernel has no "
				        "unprivileged ublk devices (attaching needs root)\n");
				return -EPERM;
			}
		}
		if (e) {
			fprintf(stderr, "ublk: ADD_DEV: %s\n", e == -EEXIST ? "the device exists already"
			                                                   : strerror(-e));
			return e;
		}
	}
	char cdev[64];
	snprintf(cdev, sizeof cdev, "/dev/ublkc%d", ub->dev_id);
	snprintf(at->device, sizeof at->device, "/dev/ublkb%d", ub->dev_id);
	if ((e = wait_node(cdev)) != 0 || (e = open_cdev(ub, cdev)) != 0) {
		if (e == -EACCES && ub->unpriv)
			fprintf(stderr, "ublk: %s: this user cannot open it: an unprivileged ublk "
			        "device needs its nodes given to its user (a udev rule)\n", cdev);
		else
			fprintf(stderr, "ublk: %s: %s\n", cdev, strerror(-e));
		return e;
	}
	/* after the open: an unprivileged device's commands are checked
	 * against our access to the char device */
	if (!at->opts.recover && (e = set_params(ub)) != 0) {
		fprintf(stderr, "ublk: SET_PARAMS: %s\n", strerror(-e));
		return e;
	}
	for (unsigned i = 0; i < ub->nq; i++) {
		struct ublk_q *q = &ub->qs[i];
		q->ub = ub;
		q->id = i;
		q->done_fd = -1;
		pthread_mutex_init(&q->wlock, NULL);
		pthread_cond_init(&q->wcond, NULL);
		atomic_fetch_add(&ub->live, 1);
		if ((e = fbx_thread_start(&q->thr, queue_thread, q, false)) != 0) {
			atomic_fetch_sub(&ub->live, 1);
			queue_ready(ub, e);
		} else {
			q->started = 1;
		}
	}
	pthread_mutex_lock(&ub->lock);
	while (ub->ready < ub->nq)
		pthread_cond_wait(&ub->cond, &ub->lock);
	e = ub->ready_err;
	pthread_mutex_unlock(&ub->lock);
	if (e) {
		fprintf(stderr, "ublk: setting up the queues: %s\n", strerror(-e));
		return e;
	}
	/* Returns once the disk is added (its partition scan served by the
	 * queue threads already running); or, recovering, once the driver
	 * has the queues back and lets the held I/O go. */
	unsigned cmd = at->opts.recover ? UBLK_CMD_END_USER_RECOVERY : UBLK_CMD_START_DEV;
	if ((e = ctrl_cmd(ub, cmd, (uint32_t)ub->dev_id, NULL, 0, (uint64_t)getpid())) != 0) {
		fprintf(stderr, "ublk: %s: %s\n", at->opts.recover ? "END_USER_RECOVERY"
		        : "START_DEV", strerror(-e));
		return e;
	}
	ub->owned = true;
	ub->dev_started = 1;
	if ((e = wait_node(at->device)) != 0) {
		fprintf(stderr, "ublk: %s did not appear\n", at->device);
		return e;
	}
	return 0;
}

static bool ublk_ended(struct fbx_attach *at)
{
	struct ublk *ub = at->priv;
	return atomic_load(&ub->live) < (int)ub->nq;
}

static int ublk_wait(struct fbx_attach *at)
{
	return fbx_attach_sleep(at, ublk_ended);
}

static void ublk_destroy(struct fbx_attach *at)
{
	struct ublk *ub = at->priv;
	if (!ub)
		return;
	if (ub->dev_started) {
		if (atomic_load(&ub->live) == (int)ub->nq)
			fbx_attach_sync_dev(at->device);
		/* removes the disk once the requests in flight are answered
		 * (the queue threads still serve them) */
		int e = ctrl_cmd(ub, UBLK_CMD_STOP_DEV, (uint32_t)ub->dev_id, NULL, 0, 0);
		if (e && !at->opts.quiet)
			fprintf(stderr, "ublk: %s: STOP_DEV: %s\n", at->device, strerror(-e));
	}
	fbx_attach_poke(ub->quit_fd);
	for (unsigned i = 0; i < ub->nq; i++) {
		if (ub->qs[i].started)
			pthread_join(ub->qs[i].thr, NULL);
		if (ub->qs[i].ub)
			queue_free(&ub->qs[i]);
	}
	unsigned peak = 0;
	for (unsigned i = 0; i < ub->nq; i++)
		if (atomic_load(&ub->qs[i].peak) > peak)
			peak = atomic_load(&ub->qs[i].peak);
	if (peak && !at->opts.quiet)
		fprintf(stderr, "ublk: %s: up to %u request%s of a queue in the device at once\n",
		        at->device, peak, peak == 1 ? "" : "s");
	if (ub->cdev_fd >= 0)
		close(ub->cdev_fd);
	/* DEL_DEV waits until the char device is released: closed above. A
	 * device we failed to take over stays for another try. */
	if (ub->dev_id >= 0 && ub->owned) {
		int e = ctrl_cmd(ub, UBLK_CMD_DEL_DEV, (uint32_t)ub->dev_id, NULL, 0, 0);
		if (e && !at->opts.quiet)
			fprintf(stderr, "ublk: %s: DEL_DEV: %s\n", at->device, strerror(-e));
	}
	if (ub->ctrl_ok)
		io_uring_queue_exit(&ub->ctrl);
	if (ub->ctrl_fd >= 0)
		close(ub->ctrl_fd);
	if (ub->quit_fd >= 0)
		close(ub->quit_fd);
	pthread_cond_destroy(&ub->cond);
	pthread_mutex_destroy(&ub->lock);
	free(ub);
	at->priv = NULL;
}

int fbx_attach_ublk_remove(const char *dev)
{
	int id = fbx_attach_dev_index(dev, "/dev/ublkb");
	if (id < 0)
		return -EINVAL;
	struct ublk *ub = calloc(1, sizeof *ub);
	if (!ub)
		return -ENOMEM;
	int e = 0;
	ub->ctrl_fd = open("/dev/ublk-control", O_RDWR | O_CLOEXEC);
	if (ub->ctrl_fd < 0) {
		e = errno == ENOENT ? -ENODEV : -errno;
		goto out;
	}
	if ((e = io_uring_queue_init(4, &ub->ctrl, IORING_SETUP_SQE128)) < 0)
		goto out;
	ub->ctrl_ok = 1;
	struct ublksrv_ctrl_dev_info info;
	if ((e = get_info(ub, id, &info)) != 0)
		goto out;
	/* STOP_DEV fails the held I/O and removes the disk (an error means
	 * it was never started: DEL_DEV alone will do) */
	ctrl_cmd(ub, UBLK_CMD_STOP_DEV, (uint32_t)id, NULL, 0, 0);
	e = ctrl_cmd(ub, UBLK_CMD_DEL_DEV, (uint32_t)id, NULL, 0, 0);
out:
	if (ub->ctrl_ok)
		io_uring_queue_exit(&ub->ctrl);
	if (ub->ctrl_fd >= 0)
		close(ub->ctrl_fd);
	free(ub);
	return e;
}

#else /* !FBX_HAVE_LIBURING */

int fbx_attach_ublk_remove(const char *dev)
{
	return fbx_attach_dev_index(dev, "/dev/ublkb") < 0 ? -EINVAL : -ENOTSUP;
}

static int ublk_probe(char *why, size_t whysize)
{
	snprintf(why, whysize, "ublk: fusebox was built without liburing");
	return -ENOTSUP;
}

static int ublk_start(struct fbx_attach *at) { return -ENOTSUP; }
static int ublk_wait(struct fbx_attach *at) { return 0; }
static void ublk_destroy(struct fbx_attach *at) { }

#endif

const struct fbx_attach_path_ops fbx_attach_ublk = {
	.name = "ublk",
	.probe = ublk_probe,
	.start = ublk_start,
	.wait = ublk_wait,
	.destroy = ublk_destroy,
};
