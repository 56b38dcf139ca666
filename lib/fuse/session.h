/*
 * lib/fuse/session.h -- what the session, its workers and its requests
 * are made of. Private to lib/fuse.
 */
#ifndef FBX_FUSE_SESSION_H
#define FBX_FUSE_SESSION_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "fuse/chan.h"
#include "fuse/codec.h"
#include "fusebox/lowlevel.h"

struct fbx_worker;

/* A worker's buffer holds the largest request: max_write bytes of data
 * after at most this much header. fbx_reply_fd puts file data at this
 * offset, page-aligned, past any READ request. */
#define FBX_REPLY_ALIGN 4096
/* A worker reads each request this far before a page boundary: a WRITE's
 * headers end there and its data begins page-aligned, so a daemon can
 * hand it to O_DIRECT I/O (which refuses unaligned memory) as it is.
 * The page after the boundary is also where fbx_reply_fd puts a READ's
 * data: that request ends at the boundary too (fuse_read_in is as long
 * as fuse_write_in). */
#define FBX_WRITE_AT (FBX_REPLY_ALIGN - sizeof(struct fbx_k_in_header) - \
                      sizeof(struct fbx_k_write_in))

/* Wakes a worker blocked in read() (see session.c). */
#define FBX_WAKE_SIGNAL (SIGRTMAX - 1)

struct fbx_req {
	struct fbx_session *se;
	struct fbx_worker  *w;       /* whose in-flight list it is on */
	struct fbx_chan    *ch;      /* where the reply goes: the channel it came in on */
	uint64_t            unique;
	uint32_t            opcode;
	struct fbx_ctx      ctx;
	atomic_int          interrupted;
	int                 live;         /* set by fbx_req_new, cleared by the reply:
	                                   * a second reply is a bug (asserted) */
	/* fbx_req_on_interrupt: called once when INTERRUPT comes. `refs` keeps
	 * the request alive while that call runs, even if it is replied to
	 * meanwhile (1 = the op's own reference, dropped by the reply). */
	void              (*on_intr)(struct fbx_req *req, void *data);
	void               *on_intr_data;
	atomic_int          refs;
	uint32_t            ioctl_flags;  /* IOCTL: the request's flags and */
	uint32_t            ioctl_out;    /* out_size, which the replies check */
	struct fbx_req     *prev, *next;  /* in w->inflight */
};

/*
 * A worker owns one channel (chan.h; for /dev/fuse a clone of the
 * descriptor): the kernel hands a request to whichever reader is free,
 * and its reply must be written to the descriptor it was read from.
 * An io_uring queue thread is a worker too, its requests coming in on
 * ring entries (uring.c). `lock` only guards `inflight`,
 * which INTERRUPT searches; it is per worker so the hot path shares no
 * lock across threads.
 */
struct fbx_worker {
	struct fbx_session *se;
	pthread_t           thread;
	struct fbx_chan    *ch;          /* se->ch, or a clone of it (closed with the worker) */
	int                 nonblock;    /* ch polls now (reader.c) */
	int                 has_baton;   /* this worker is one of the capped readers */
	atomic_int          in_req;      /* ...and inside a request (counted in handling) */
	pid_t               tid;         /* set before in_req first is: the sentinel reads it */
	int                 backlog;     /* requests in a row found already queued */
	int                 callers;     /* requests in a row from another caller */
	uint32_t            pid;         /* caller of the request in buf (0: the kernel) */
	uint64_t            taken_ns;    /* POOL: when the request in buf was read */
	char               *buf;         /* requests are read here (bufsize bytes) */
	size_t              bufsize;
	char               *mem;         /* buf's allocation: FBX_WRITE_AT bytes more */
	pthread_mutex_t     lock;
	struct fbx_req      inflight;    /* list head */
	struct fbx_req *_Atomic spare;   /* one freed request, reused: no malloc per request */
	struct fbx_worker  *next;
};

/* reader.c's modes: every idle worker reads, one polling reader, or a
 * few blocking ones. */
enum { MODE_POOL = 0, MODE_SPIN = 1, MODE_CAP = 2 };

/* Whether polling pays for a lone client here (reader_tune.c). */
struct fbx_reader_tune {
	atomic_int          phase;       /* TUNE_OFF, a probe window, or TUNE_RUN */
	atomic_int          hold_pool;   /* POOL was faster: stay there for the run */
	atomic_uint         count;       /* requests done in the window */
	_Atomic uint64_t    t0;          /* when the window began */
	/* Only the request that closes a window touches these. */
	uint64_t            best[2];     /* the quickest window of SPIN, of POOL (ns) */
	unsigned            run_left;    /* windows until the next probe */
	unsigned            run_len;     /* the last run's length */
	int                 chose;       /* the last probe's mode */
	atomic_int          spin_lost;   /* probes cut short by CAP in a SPIN window, in a row */
	uint64_t          (*clock)(void); /* ns; NULL: CLOCK_MONOTONIC (tests set it) */
};

/* Who reads /dev/fuse next: one polling reader, a few blocking ones,
 * or the pool (reader.c). */
struct fbx_reader {
	atomic_int          mode;
	_Atomic uint64_t    spin_ns;     /* 0: never poll, never cap */
	int                 ncap;        /* CAP's readers: online CPUs, at least 2 */
	atomic_int          batons;      /* readers' batons taken */
	atomic_int          handling;    /* baton holders inside a request */
	atomic_uint         gen;         /* requests baton holders have taken */
	atomic_int          alone;       /* requests in a row, one caller, no other worker busy */
	atomic_int          fast;        /* POOL: requests in a row handled quickly */
	atomic_int          fast_need;   /* ...that make it CAP again; doubles at each stall */
	atomic_uint         last_pid;    /* caller of the last request */
	atomic_int          sentinel_parked;
	pthread_mutex_t     lock;
	pthread_cond_t      park;        /* workers waiting for a baton */
	pthread_cond_t      wake;        /* the parked sentinel */
	pthread_t           sentinel;
	int                 has_sentinel;
	struct fbx_reader_tune tune;
};

struct fbx_session {
	struct fbx_options  opts;
	struct fbx_ll_ops   ops;
	void               *userdata;
	uid_t               owner;       /* who mounted: allow_root lets only it and root in */
	uint64_t            ops_caps;    /* FBX_CAP_* implied by the ops present */

	int                 fd;          /* the /dev/fuse fd of the mount */
	struct fbx_chan    *ch;          /* the transport of fd (or a custom one); NULL before mounting */
	struct fbx_worker  *ext;         /* the worker of fbx_session_process() callers */
	char               *mountpoint;  /* set once mounted */
	atomic_int          commfd;      /* fusermount3 socket (auto_unmount), or -1 */
	atomic_int          unmounted;
	int                 mounted_by_fusermount;

	struct fbx_proto    proto;
	struct fbx_conn     conn;
	atomic_int          got_init;
	atomic_int          got_destroy;
	atomic_int          exited;
	atomic_int          error;       /* first fatal error, negated errno */

	pthread_mutex_t     workers_lock;
	struct fbx_worker  *workers;
	atomic_int          nworkers;
	atomic_int          idle;
	size_t              bufsize;
	pthread_t           main_thread;
	struct fbx_uring   *uring;       /* io_uring queues, when negotiated */
	struct fbx_reader   reader;

	struct fbx_cuse    *cuse;        /* a CUSE device (cuse.c), else NULL */

	/* poll handles outlive the session; they reach it through this */
	struct fbx_pollhub *pollhub;

	/* fbx_notify_retrieve: cookies waiting for their NOTIFY_REPLY */
	pthread_mutex_t     retrieve_lock;
	struct fbx_retrieve *retrieves;
	uint64_t            retrieve_unique;

	/* FBX_REQUEST_COUNTS: requests per opcode, printed when the loop
	 * ends (counts.c); NULL when the variable is unset, so the cost
	 * is one test per request. */
	atomic_uint_fast64_t *counts;
};

/* reader.c: the next request into w->buf (its length, or a negated
 * errno as fbx_chan_receive gives it); after handling it, done() with
 * whether others were busy. */
void fbx_reader_init(struct fbx_session *se);
ssize_t fbx_reader_next(struct fbx_worker *w);
void fbx_reader_done(struct fbx_worker *w, int others_busy);
void fbx_reader_no_spin(struct fbx_session *se);
void fbx_reader_wake_all(struct fbx_session *se);
void fbx_reader_join(struct fbx_session *se);
/* Change the mode from `from` (-1: any but POOL) to `to`, waking every
 * waiter; 1 if it changed. `tuner`: the change is reader_tune.c's own. */
int fbx_reader_set_mode(struct fbx_reader *r, int from, int to, int tuner);

/* reader_tune.c: a lone client's requests alternate between SPIN and
 * POOL for a few windows, and the quicker mode serves it for a run. */
void fbx_tune_mode_changed(struct fbx_reader *r, int to);
void fbx_tune_count(struct fbx_reader *r);
int fbx_tune_holds_pool(struct fbx_reader *r);

/* counts.c: FBX_REQUEST_COUNTS, requests per opcode. */
void fbx_counts_init(struct fbx_session *se);
static inline void fbx_count(struct fbx_session *se, uint32_t opcode)
{
	if (se->counts)
		atomic_fetch_add_explicit(&se->counts[opcode < FBX_K_OPCODE_MAX ? opcode : 0], 1,
		                          memory_order_relaxed);
}
void fbx_counts_print(struct fbx_session *se);

/* session.c */
void fbx_session_die(struct fbx_session *se, int err);
/* One request of n bytes in buf, read by worker w: INIT, or decoded
 * and dispatched. buf stays valid until the ops called return. 0, or
 * -EPROTO for a malformed request (dropped with a message). */
int fbx_session_handle(struct fbx_worker *w, char *buf, size_t n);
struct fbx_worker *fbx_worker_new(struct fbx_session *se, struct fbx_chan *ch,
                                  size_t bufsize);
void fbx_worker_free(struct fbx_session *se, struct fbx_worker *w);

/* session.c: the session's channel is ch from now on (owned). */
void fbx_session_set_chan(struct fbx_session *se, struct fbx_chan *ch);

/* dispatch.c: handle one decoded request read by worker w. */
void fbx_dispatch(struct fbx_worker *w, const struct fbx_msg *m);
/* ...for a request object already made (io_uring entries). */
void fbx_dispatch_req(struct fbx_req *req, const struct fbx_msg *m);
uint64_t fbx_ops_caps(const struct fbx_ll_ops *ops);

/* notify.c: the cookie of retrieve `unique`, taken off the list; 0 if
 * there is none (the answer is not to us). */
int fbx_retrieve_take(struct fbx_session *se, uint64_t unique, void **cookie);
void fbx_retrieve_free_all(struct fbx_session *se);

/* poll.c: the session's hub for poll handles; released (and cut off
 * from the session) by fbx_session_destroy. */
struct fbx_pollhub *fbx_pollhub_new(struct fbx_session *se);
void fbx_pollhub_release(struct fbx_pollhub *hub, bool detach);
/* A handle for the poll request kh; NULL on ENOMEM. */
struct fbx_pollhandle *fbx_pollhandle_new(struct fbx_session *se, uint64_t kh);

/* cuse.c: answer CUSE_INIT (the first request of a CUSE session). */
void fbx_cuse_reply_init(struct fbx_session *se, struct fbx_chan *ch, const struct fbx_msg *m);

/* notify.c: send one notification (iov[0] is filled with the header). */
int fbx_notify_send(struct fbx_session *se, int code, struct iovec *iov, int count);

/* reply.c */
struct fbx_req *fbx_req_new(struct fbx_worker *w, const struct fbx_msg *m);
int fbx_reply_raw(struct fbx_req *req, int err, const struct iovec *iov, int count);
void fbx_interrupt(struct fbx_session *se, uint64_t unique, struct fbx_worker *w,
                   uint64_t req_unique);

/* uring.c */
struct fbx_uring;
int fbx_uring_start(struct fbx_session *se);
/* 0 if this build and kernel can make a ring at all: -ENOTSUP when
 * built without liburing, else what io_uring_setup said. */
int fbx_uring_probe(void);

/* unmount_guard.c: hand the auto_unmount socket to a process that lets
 * it close only once this one has fully exited. 0 or a negated errno
 * (then the socket stays here, as before). */
int fbx_unmount_guard_start(struct fbx_session *se);

/* remount.c: argv asks for -o remount (mount.fuse3 running us again for
 * `mount -o remount,... MNT`); then fbx_remount_main() does it and
 * returns the exit status. */
bool fbx_remount_asked(int argc, char *argv[]);
int fbx_remount_main(const char *prog, int argc, char *argv[]);
void fbx_uring_free(struct fbx_session *se);

/* mount.c */
int fbx_mount(struct fbx_session *se, const char *mountpoint);
void fbx_unmount(struct fbx_session *se);

/* debug output for -d; qid >= 0: the request came through that io_uring queue */
void fbx_debug_req(const struct fbx_msg *m, int qid);

#endif
