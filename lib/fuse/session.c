/*
 * lib/fuse/session.c -- the session and its worker threads.
 *
 * The first worker reads from the mount's own /dev/fuse descriptor and
 * answers INIT before anything else runs. Further workers are started
 * on demand, when no worker is left idle, up to max_threads; each gets
 * its own clone of the session's channel (chan.h; for /dev/fuse a clone
 * of the descriptor, FUSE_DEV_IOC_CLONE), so reading, decoding and
 * replying share no lock between threads.
 *
 * Ending: fbx_session_exit() marks the session and wakes workers blocked
 * in read() with FBX_WAKE_SIGNAL (its handler is installed without
 * SA_RESTART, so read() returns EINTR, and it also makes a read about to
 * start return at once: see wake_handler); it leaves the mount alone, which
 * is fbx_session_unmount()'s job (fbx_session_main calls it after the
 * loop, and before exit on a signal). Workers also end on their own when
 * read() says ENODEV: the filesystem was unmounted.
 */
#include "fuse/session.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The descriptor this thread reads requests from, if the wake may make
 * it non-blocking; -1 otherwise. Thread-local because a signal handler
 * has no other way to find its thread's worker. */
static _Thread_local int wake_fd = -1;

/* A thread-directed signal is lost if it lands just before read(): the
 * thread then sleeps with nothing left to wake it (a CUSE device is
 * never unmounted; a libfuse program's session may be ended by another
 * thread). So besides interrupting a read, the wake makes the thread's
 * descriptor non-blocking: a read about to start returns EAGAIN at
 * once. The channel puts it back (chan_dev.c) and the worker, seeing
 * `exited`, leaves. Only fbx_session_exit sends this signal. */
static void wake_handler(int sig)
{
	(void)sig;
	int fd = wake_fd;
	if (fd < 0)
		return;
	int saved = errno;
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	errno = saved;
}

static void install_wake_handler(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = wake_handler;   /* no SA_RESTART: read() must return */
	sigemptyset(&sa.sa_mask);
	sigaction(FBX_WAKE_SIGNAL, &sa, NULL);
}

struct fbx_session *fbx_session_new(const struct fbx_options *opts,
                                    const struct fbx_ll_ops *ops, size_t ops_size,
                                    void *userdata)
{
	struct fbx_session *se = calloc(1, sizeof *se);
	if (!se)
		return NULL;
	struct fbx_options defaults;
	if (!opts) {
		fbx_options_init(&defaults);
		opts = &defaults;
	}
	if (fbx_options_copy(&se->opts, opts) < 0 || !(se->pollhub = fbx_pollhub_new(se))) {
		fbx_options_free(&se->opts);
		free(se);
		errno = ENOMEM;
		return NULL;
	}
	if (ops_size > sizeof se->ops)
		ops_size = sizeof se->ops;   /* a newer program: ops we don't know */
	memcpy(&se->ops, ops, ops_size);
	se->ops_caps = fbx_ops_caps(&se->ops);
	se->userdata = userdata;
	se->owner = getuid();
	se->fd = -1;
	se->commfd = -1;
	pthread_mutex_init(&se->workers_lock, NULL);
	pthread_mutex_init(&se->retrieve_lock, NULL);
	pthread_mutex_init(&se->reader.lock, NULL);
	pthread_cond_init(&se->reader.park, NULL);
	pthread_cond_init(&se->reader.wake, NULL);
	return se;
}

int fbx_session_fd(const struct fbx_session *se) { return se->fd; }
const struct fbx_options *fbx_session_options(const struct fbx_session *se) { return &se->opts; }
int fbx_session_exited(const struct fbx_session *se) { return atomic_load(&se->exited); }

void fbx_session_reset(struct fbx_session *se)
{
	if (atomic_load(&se->nworkers) == 0)
		atomic_store(&se->exited, 0);
}

int fbx_session_set_threads(struct fbx_session *se, unsigned max_threads)
{
	if (max_threads == 0)
		return -EINVAL;
	if (atomic_load(&se->nworkers) > 0)
		return -EBUSY;
	se->opts.singlethread = max_threads == 1;
	if (max_threads > 1)
		se->opts.max_threads = max_threads;
	return 0;
}

_Static_assert(sizeof(struct fbx_k_read_in) == sizeof(struct fbx_k_write_in),
               "a READ ends where a WRITE's data begins (FBX_WRITE_AT)");

/* The largest request is a WRITE of max_write plus its headers. */
static size_t request_bufsize(const struct fbx_session *se)
{
	uint32_t mw = se->opts.max_write ? se->opts.max_write : 1u << 20;
	return (size_t)(mw < 4096 ? 4096 : mw) + FBX_REPLY_ALIGN;
}

void fbx_session_set_chan(struct fbx_session *se, struct fbx_chan *ch)
{
	se->ch = ch;
	se->fd = ch->fd;
	se->bufsize = request_bufsize(se);
}

int fbx_session_mount(struct fbx_session *se, const char *mountpoint)
{
	if (se->fd >= 0 || se->ch)
		return -EBUSY;
	int err = fbx_mount(se, mountpoint);
	if (err)
		return err;
	/* The mount's descriptor stays se->fd (closed by destroy). */
	struct fbx_chan *ch = fbx_chan_dev_new(se->fd, false);
	if (!ch) {
		fbx_unmount(se);
		return -ENOMEM;
	}
	fbx_session_set_chan(se, ch);
	return 0;
}

int fbx_session_release_fd(struct fbx_session *se)
{
	if (se->fd < 0 || !se->ch || !se->ch->ops->clone)
		return -ENOTCONN;
	if (atomic_load(&se->nworkers) > 0 || se->ext || atomic_load(&se->got_init))
		return -EBUSY;
	if (atomic_load(&se->commfd) >= 0)
		return -EINVAL;
	int fd = se->fd;
	fbx_chan_close(se->ch);
	se->ch = NULL;
	se->fd = -1;
	free(se->mountpoint);
	se->mountpoint = NULL;
	return fd;
}

int fbx_session_keep_mount(struct fbx_session *se)
{
	if (!se->mountpoint)
		return -ENOTCONN;
	free(se->mountpoint);
	se->mountpoint = NULL;
	return 0;
}

void fbx_session_unmount(struct fbx_session *se)
{
	if (!se->mountpoint)
		return;
	/* fuseblk: the kernel sends DESTROY when the superblock goes and
	 * waits for the answer in the thread that unmounts (the last mntput
	 * of umount2, MNT_DETACH or not). With the loop ended nobody reads
	 * /dev/fuse, so that thread would wait forever (a SIGTERM'd
	 * mount.exfat-fuse stays in D state). As libfuse's
	 * fuse_kern_unmount, close the descriptor first: the connection is
	 * aborted and no DESTROY is sent. Only when no worker serves. */
	if (se->opts.blkdev && se->fd >= 0 && !se->ext && atomic_load(&se->nworkers) == 0) {
		fbx_chan_close(se->ch);
		se->ch = NULL;
		close(se->fd);
		se->fd = -1;
	}
	fbx_unmount(se);
}

void fbx_session_die(struct fbx_session *se, int err)
{
	int zero = 0;
	atomic_compare_exchange_strong(&se->error, &zero, err);
	fbx_session_exit(se);
}

void fbx_session_exit(struct fbx_session *se)
{
	if (atomic_exchange(&se->exited, 1))
		return;
	fbx_reader_wake_all(se);
	/* Every worker sees ENODEV at unmount, so another thread may already
	 * be joining workers; it zeroes `thread` (under the lock) for each
	 * one it takes, and a joined thread must not be signalled. */
	pthread_mutex_lock(&se->workers_lock);
	for (struct fbx_worker *w = se->workers; w; w = w->next)
		if (w->thread != 0 && !pthread_equal(w->thread, pthread_self()))
			pthread_kill(w->thread, FBX_WAKE_SIGNAL);
	pthread_mutex_unlock(&se->workers_lock);
}

/* ---- INIT ------------------------------------------------------------ */

/* Once INIT has taken io_uring the kernel holds every request until all
 * rings are registered, so a ring we could not make means a hung mount:
 * take io_uring only where rings can be made at all. */
static uint64_t uring_deny(struct fbx_session *se)
{
	if (!(se->conn.capable & FBX_CAP_OVER_IO_URING))
		return 0;
	/* The rings need /dev/fuse itself, and a program that reads its
	 * requests itself (fbx_session_process) wants them all in its thread. */
	if (se->ext || !se->ch->ops->clone)
		return FBX_CAP_OVER_IO_URING;
	int err = fbx_uring_probe();
	if (err == 0)
		return 0;
	if (se->opts.io_uring == FBX_ON)
		fprintf(stderr, "fusebox: -o io_uring: %s; serving through /dev/fuse\n",
		        err == -ENOTSUP ? "this fusebox was built without liburing"
		                        : strerror(-err));
	return FBX_CAP_OVER_IO_URING;
}

static void reply_init(struct fbx_session *se, struct fbx_chan *ch, const struct fbx_msg *m)
{
	struct fbx_k_init_out out;
	struct fbx_k_out_header h = { 0, 0, m->unique };
	struct iovec iov[2] = { { &h, sizeof h }, { &out, 0 } };
	int err = fbx_init_begin(&se->conn, m->arg, m->arglen, &se->opts, se->ops_caps);
	if (err == -EPROTO && se->conn.proto_major > FBX_K_MAJOR) {
		/* Newer kernel: name our major; it sends INIT again. */
		memset(&out, 0, sizeof out);
		out.major = FBX_K_MAJOR;
		out.minor = FBX_K_MINOR;
		iov[1].iov_len = FBX_K_COMPAT_INIT_OUT_SIZE;
	} else if (err) {
		fprintf(stderr, "fusebox: kernel FUSE protocol %u.%u is not supported "
		        "(need 7.31 or later)\n", se->conn.proto_major, se->conn.proto_minor);
		h.error = -EPROTO;
		fbx_session_die(se, -EPROTO);
	} else {
		uint64_t deny = uring_deny(se);
		se->conn.want &= ~deny;
		if (se->ops.init)
			se->ops.init(se->userdata, &se->conn);
		se->conn.want &= ~deny;
		iov[1].iov_len = fbx_init_finish(&out, &se->conn);
		se->proto.minor = se->conn.proto_minor;
		atomic_store(&se->got_init, 1);
		if (se->opts.debug)
			fprintf(stderr, "INIT: %u.%u, flags 0x%llx, max_write %u\n",
			        out.major, out.minor,
			        (unsigned long long)(se->conn.want & se->conn.capable), out.max_write);
	}
	h.len = (uint32_t)(sizeof h + (h.error ? 0 : iov[1].iov_len));
	fbx_chan_send(ch, iov, h.error ? 1 : 2);
}

/* ---- workers --------------------------------------------------------- */

static void reply_error_raw(struct fbx_worker *w, uint64_t unique, int err)
{
	struct fbx_k_out_header h = { sizeof h, err, unique };
	struct iovec iov = { &h, sizeof h };
	fbx_chan_send(w->ch, &iov, 1);
}

/* Inlined into the worker loop, as when it had no other caller: a
 * call here costs a dozen instructions per request. */
static inline __attribute__((always_inline))
int handle(struct fbx_worker *w, char *buf, size_t n)
{
	struct fbx_session *se = w->se;
	struct fbx_msg m;
	int err = fbx_msg_decode(&m, buf, n, &se->proto);
	if (err != -EPROTO)
		fbx_count(se, m.opcode);
	if (se->opts.debug && err != -EPROTO)
		fbx_debug_req(&m, -1);
	if (err == -EPROTO) {
		fprintf(stderr, "fusebox: dropped a malformed request (%zu bytes)\n", n);
		return -EPROTO;
	}
	if (err) {
		reply_error_raw(w, m.unique, err);
		return 0;
	}
	if (m.opcode == FBX_K_CUSE_INIT && se->cuse) {
		fbx_cuse_reply_init(se, w->ch, &m);
		return 0;
	}
	if (m.opcode == FBX_K_INIT) {
		reply_init(se, w->ch, &m);
		/* The rings can only be registered once INIT is answered. */
		if (se->conn.want & se->conn.capable & FBX_CAP_OVER_IO_URING) {
			int e = fbx_uring_start(se);
			if (e == 0)
				fbx_reader_no_spin(se);   /* the rings carry the load */
			if (e < 0) {
				/* INIT promised rings: the kernel would wait for them forever. */
				fprintf(stderr, "fusebox: io_uring queues not started (%s); the "
				        "kernel would hold every request, so the session ends "
				        "(mount with -o no_io_uring)\n", strerror(-e));
				fbx_session_die(se, e);
			}
		}
		return 0;
	}
	if (!atomic_load(&se->got_init)) {
		reply_error_raw(w, m.unique, -EIO);
		return 0;
	}
	fbx_dispatch(w, &m);
	return 0;
}

int fbx_session_handle(struct fbx_worker *w, char *buf, size_t n)
{
	return handle(w, buf, n);
}

/* bufsize 0: a worker without a buffer of its own (the callers of
 * fbx_session_process bring theirs, an io_uring queue has its entries). */
struct fbx_worker *fbx_worker_new(struct fbx_session *se, struct fbx_chan *ch,
                                  size_t bufsize)
{
	struct fbx_worker *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->se = se;
	w->ch = ch;
	w->bufsize = bufsize;
	if (bufsize) {
		if (posix_memalign((void **)&w->mem, FBX_REPLY_ALIGN, FBX_WRITE_AT + bufsize)) {
			free(w);
			return NULL;
		}
		w->buf = w->mem + FBX_WRITE_AT;
	}
	pthread_mutex_init(&w->lock, NULL);
	w->inflight.next = w->inflight.prev = &w->inflight;
	return w;
}

void fbx_worker_free(struct fbx_session *se, struct fbx_worker *w)
{
	if (w->ch != se->ch)
		fbx_chan_close(w->ch);
	pthread_mutex_destroy(&w->lock);
	free(atomic_load(&w->spare));
	free(w->mem);
	free(w);
}

static void *worker_main(void *arg);

/* Start one more worker if the pool is not full. Called when the last
 * idle worker takes a request, so a blocking op never starves the rest. */
static void maybe_spawn(struct fbx_session *se)
{
	/* CUSE: the kernel clones only /dev/fuse descriptors. */
	if (se->opts.singlethread || se->cuse || !se->ch->ops->clone ||
	    atomic_load(&se->exited))
		return;
	if ((unsigned)atomic_load(&se->nworkers) >= se->opts.max_threads)
		return;
	pthread_mutex_lock(&se->workers_lock);
	if ((unsigned)atomic_load(&se->nworkers) >= se->opts.max_threads ||
	    atomic_load(&se->idle) > 0) {
		pthread_mutex_unlock(&se->workers_lock);
		return;
	}
	struct fbx_chan *ch = se->ch->ops->clone(se->ch);
	struct fbx_worker *w = ch ? fbx_worker_new(se, ch, se->bufsize) : NULL;
	if (w && pthread_create(&w->thread, NULL, worker_main, w) == 0) {
		w->next = se->workers;
		se->workers = w;
		atomic_fetch_add(&se->nworkers, 1);
		atomic_fetch_add(&se->idle, 1);
	} else {
		/* Serving on with fewer threads is better than failing. */
		if (w)
			fbx_worker_free(se, w);
		else if (ch && ch != se->ch)
			fbx_chan_close(ch);
	}
	pthread_mutex_unlock(&se->workers_lock);
}

static int worker_loop(struct fbx_worker *w);

static int worker_run(struct fbx_worker *w)
{
	/* Channels that can go non-blocking also come back from it. */
	wake_fd = w->ch->ops->set_nonblock ? w->ch->fd : -1;
	int err = worker_loop(w);
	wake_fd = -1;
	return err;
}

static int worker_loop(struct fbx_worker *w)
{
	struct fbx_session *se = w->se;
	while (!atomic_load(&se->exited)) {
		ssize_t n = fbx_reader_next(w);
		if (n < 0) {
			int err = (int)-n;
			if (err == EINTR || err == EAGAIN || err == ENOENT)
				continue;   /* ENOENT: the request was interrupted before we read it */
			if (err == ENODEV || err == ECONNABORTED) {
				/* Unmounted from outside: the path may already hold a
				 * new mount, which must not be unmounted by us. */
				atomic_store(&se->unmounted, 1);
				fbx_session_exit(se);
				return 0;
			}
			fprintf(stderr, "fusebox: reading /dev/fuse: %s\n", strerror(err));
			fbx_session_die(se, -err);
			return -err;
		}
		if (atomic_fetch_sub(&se->idle, 1) == 1)
			maybe_spawn(se);
		handle(w, w->buf, (size_t)n);
		int busy = atomic_load(&se->nworkers) - atomic_fetch_add(&se->idle, 1);
		fbx_reader_done(w, busy > 1);
	}
	return 0;
}

static void *worker_main(void *arg)
{
	worker_run(arg);
	return NULL;
}

static void workers_free(struct fbx_session *se)
{
	struct fbx_worker *w = se->workers;
	while (w) {
		struct fbx_worker *next = w->next;
		fbx_worker_free(se, w);
		w = next;
	}
	se->workers = NULL;
	atomic_store(&se->nworkers, 0);
}

int fbx_session_loop(struct fbx_session *se)
{
	if (!se->ch)
		return -ENOTCONN;
	install_wake_handler();
	fbx_counts_init(se);
	int gerr = fbx_unmount_guard_start(se);
	if (gerr < 0)
		fprintf(stderr, "fusebox: auto_unmount guard not started (%s): a "
		        "kill -9 may leave the mount behind\n", strerror(-gerr));
	struct fbx_worker *first = fbx_worker_new(se, se->ch, se->bufsize);
	if (!first)
		return -ENOMEM;
	first->thread = pthread_self();
	pthread_mutex_lock(&se->workers_lock);
	se->workers = first;
	pthread_mutex_unlock(&se->workers_lock);
	atomic_store(&se->nworkers, 1);
	atomic_store(&se->idle, 1);
	fbx_reader_init(se);
	int err = worker_run(first);

	/* Join every other worker; they see `exited` or ENODEV. */
	fbx_session_exit(se);
	for (;;) {
		pthread_mutex_lock(&se->workers_lock);
		struct fbx_worker *w = se->workers;
		while (w && (w == first || w->thread == 0))
			w = w->next;
		pthread_t t = w ? w->thread : 0;
		if (w)
			w->thread = 0;
		pthread_mutex_unlock(&se->workers_lock);
		if (!w)
			break;
		/* Keep nudging until it leaves read(); a signal can land
		 * just before the read starts. */
		while (pthread_tryjoin_np(t, NULL) != 0) {
			pthread_kill(t, FBX_WAKE_SIGNAL);
			usleep(1000);
		}
	}
	fbx_reader_join(se);
	fbx_uring_free(se);
	workers_free(se);
	if (!atomic_exchange(&se->got_destroy, 1) && se->ops.destroy && atomic_load(&se->got_init))
		se->ops.destroy(se->userdata);
	fbx_counts_print(se);
	int fatal = atomic_load(&se->error);
	return fatal ? fatal : err;
}

void fbx_session_destroy(struct fbx_session *se)
{
	if (!se)
		return;
	fbx_session_unmount(se);
	/* A program that served requests itself (fbx_session_process) has
	 * no loop to run destroy: it runs here, as the loop would. */
	if (atomic_load(&se->got_init) && !atomic_exchange(&se->got_destroy, 1) &&
	    se->ops.destroy)
		se->ops.destroy(se->userdata);
	if (se->ext)
		fbx_worker_free(se, se->ext);
	fbx_chan_close(se->ch);
	/* Poll handles the filesystem still holds now answer -ENOTCONN. */
	fbx_pollhub_release(se->pollhub, true);
	if (se->fd >= 0)
		close(se->fd);
	if (se->commfd >= 0)
		close(se->commfd);
	pthread_mutex_destroy(&se->workers_lock);
	fbx_retrieve_free_all(se);
	free(se->counts);
	pthread_mutex_destroy(&se->retrieve_lock);
	pthread_mutex_destroy(&se->reader.lock);
	pthread_cond_destroy(&se->reader.park);
	pthread_cond_destroy(&se->reader.wake);
	fbx_options_free(&se->opts);
	free(se->mountpoint);
	free(se->cuse);
	free(se);
}

/* ---- debug ----------------------------------------------------------- */

void fbx_debug_req(const struct fbx_msg *m, int qid)
{
	char via[32] = "";
	if (qid >= 0)
		snprintf(via, sizeof via, ", io_uring queue %d", qid);
	fprintf(stderr, "unique: %llu, opcode: %s (%u), nodeid: %llu, pid: %u%s%s%s\n",
	        (unsigned long long)m->unique, fbx_opcode_name(m->opcode), m->opcode,
	        (unsigned long long)m->nodeid, m->pid, m->name ? ", name: " : "",
	        m->name ? m->name : "", via);
}
