/*
 * lib/fuse/reader.c -- which workers read the next request from /dev/fuse.
 *
 * A request that finds its reader asleep in read() pays for a wakeup: an
 * IPI to an idle CPU and a context switch there and back. For a client
 * that waits for each reply before sending the next request (one process
 * doing stat after stat, a 4 KiB random read at queue depth 1) that is
 * most of the round trip. A worker that polls the device for a few
 * microseconds after sending its reply catches the next request without
 * it -- but only if no other worker sleeps in read(), because the kernel
 * wakes a sleeper for every request it queues.
 *
 * With several clients, every idle worker asleep in read() costs the
 * same way: the kernel hands each request to the sleeper that has waited
 * longest, so ten workers take turns, each turn a wakeup of a cold
 * thread, while a worker that has just replied finds nothing left to
 * read and goes to sleep itself. As many readers as CPUs is enough while
 * handlers do not block: a reader back from a reply takes the next
 * queued request without sleeping. Four metadata clients on two cores
 * showed five times fewer context switches in the daemon and a third
 * less CPU with two readers than with ten.
 *
 * Hence three modes:
 *   SPIN  one worker holds a baton and is the only reader. After each
 *         reply it polls for spin_ns (O_NONBLOCK reads), then sleeps in
 *         read().
 *   CAP   ncap workers (the online CPUs, at least 2) hold batons and
 *         read, blocking; they do not poll, the CPUs are the clients'.
 *   POOL  every idle worker sleeps in read(): the classic pool, with more
 *         workers started on demand (session.c).
 * In SPIN and CAP, workers without a baton wait on a condition variable,
 * off the device. Capped readers must never leave requests unread for
 * long: a handler may block (on the network, on a lock another request
 * holds, on a request it caused itself). A sentinel thread looks once a
 * millisecond while every baton holder is inside a request; if none of
 * them has taken a new one since the last look, they are blocked, and
 * the session goes POOL. Then it takes ever longer runs of quick
 * requests (fast_need, doubled at each such stall) before capping again,
 * so a filesystem whose handlers block now and then ends up in POOL.
 * SPIN becomes CAP when the lone reader finds requests already queued,
 * or from a different caller than the last one, several times in a row:
 * there is more than one client. Any mode becomes SPIN after many
 * requests in a row from one caller, each served while no other worker
 * was busy. With io_uring queues running, /dev/fuse carries little and
 * stays POOL. Whether SPIN beats POOL for a lone client depends on the
 * machine (what waking an idle CPU costs against a same-CPU switch), so
 * reader_tune.c measures both while the client runs and keeps the
 * quicker.
 *
 * Invariants (struct fbx_reader in session.h; the asserts below check
 * the ones a single thread can see without racing):
 *  I1 mode is MODE_POOL, MODE_SPIN or MODE_CAP. It leaves POOL only while
 *     spin_ns != 0, and spin_ns only ever drops to 0 (no_spin), so once
 *     polling is off the session stays POOL.
 *  I2 batons counts the workers with has_baton set. A baton is taken
 *     only by compare-and-swap below the mode's cap, and given back only
 *     by its holder: on its way to the pool, or when the cap shrank.
 *  I3 handling counts the holders with in_req set; gen only grows. Both
 *     change only in holders. The sentinel reads them: handling at the
 *     cap and gen unchanged after SENTINEL_NS means every holder has
 *     been in one request all along, and the session goes POOL.
 *  I4 A worker waits on `park` only without a baton, and only while the
 *     mode is not POOL and every baton of it is taken: every change of
 *     mode broadcasts `park` under `lock`, so no worker sleeps there
 *     while a baton is free or requests go unread in POOL.
 *  I5 sentinel_parked is 1 only while the sentinel waits on `wake` under
 *     `lock`; whoever makes it worth looking again (a holder filling the
 *     last free slot of handling, a change of mode) signals `wake`.
 *  I6 last_pid, alone, fast and the workers' backlog/callers counts are
 *     hints: a lost update only delays a mode change, never loses a
 *     request.
 *  I7 Once se->exited is set every wait ends: fbx_reader_wake_all
 *     broadcasts both condition variables, spin_read stops polling, and
 *     no blocking read starts (blocking_receive) or lasts (the wake
 *     signal, session.c).
 */
#include "common/clock.h"
#include "fuse/session.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#define SENTINEL_NS    1000000L  /* how often busy capped readers are checked */
#define BACKLOG_TO_CAP 8         /* SPIN: requests in a row found already queued */
#define CALLERS_TO_CAP 4         /* SPIN: requests in a row from another caller than the last */
#define ALONE_TO_SPIN  256       /* requests in a row: one caller, no other worker busy */
#define FAST_NS        200000u   /* POOL: a request handled this quickly counts as quick */
#define FAST_TO_CAP    256       /* POOL: quick requests in a row that make it CAP... */
#define FAST_TO_CAP_MAX (1 << 16) /* ...doubled at each stall, up to this */

static int cap_of(const struct fbx_reader *r, int mode)
{
	return mode == MODE_SPIN ? 1 : r->ncap;
}

static void set_nonblock(struct fbx_worker *w, int on)
{
	struct fbx_chan *ch = w->ch;
	if (w->nonblock == on || !ch->ops->set_nonblock)
		return;   /* a channel that cannot poll only means no polling */
	if (ch->ops->set_nonblock(ch, on) == 0)
		w->nonblock = on;
}

/* Every waiter looks again after a change (I4, I5). */
int fbx_reader_set_mode(struct fbx_reader *r, int from, int to, int tuner)
{
	int done = 0;
	pthread_mutex_lock(&r->lock);
	int m = atomic_load(&r->mode);
	if (m != to && (m == from || (from < 0 && m != MODE_POOL)) &&
	    (to == MODE_POOL || atomic_load(&r->spin_ns))) {   /* I1 */
		atomic_store(&r->mode, to);
		pthread_cond_broadcast(&r->park);
		pthread_cond_signal(&r->wake);
		done = 1;
	}
	pthread_mutex_unlock(&r->lock);
	if (done && !tuner)
		fbx_tune_mode_changed(r, to);
	return done;
}

static int set_mode(struct fbx_reader *r, int from, int to)
{
	return fbx_reader_set_mode(r, from, to, 0);
}

/* Parks after this many looks at idle readers, so an idle mount costs no
 * wakeups; a holder filling the last slot wakes it. */
#define SENTINEL_IDLE_LOOKS 100

static int holders_full(struct fbx_reader *r, int mode)
{
	return mode != MODE_POOL && atomic_load(&r->handling) >= cap_of(r, mode);
}

static void sentinel_park(struct fbx_session *se)
{
	struct fbx_reader *r = &se->reader;
	pthread_mutex_lock(&r->lock);
	atomic_store(&r->sentinel_parked, 1);
	while (!atomic_load(&se->exited) && !holders_full(r, atomic_load(&r->mode)))
		pthread_cond_wait(&r->wake, &r->lock);
	atomic_store(&r->sentinel_parked, 0);
	pthread_mutex_unlock(&r->lock);
}

static void wake_sentinel(struct fbx_reader *r)
{
	if (!atomic_load(&r->sentinel_parked))
		return;
	pthread_mutex_lock(&r->lock);
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

/* Every capped reader is blocked in a handler: serve with the pool, and
 * ask for a longer run of quick requests before capping again. */
static void stalled(struct fbx_reader *r, int mode)
{
	if (!set_mode(r, mode, MODE_POOL))
		return;
	int need = atomic_load(&r->fast_need);
	if (need < FAST_TO_CAP_MAX)
		atomic_store(&r->fast_need, need * 2);
	atomic_store(&r->fast, 0);
}

/* Is thread tid of this process running or runnable ('R' in its stat)?
 * A holder that is only waiting for a CPU -- four clients and the
 * daemon share two here -- is not blocked, and will take its next
 * request as soon as it runs. */
static int thread_running(pid_t tid)
{
	char path[64], st[512];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;   /* cannot tell: treat as blocked, the safe side */
	ssize_t n = read(fd, st, sizeof st - 1);
	close(fd);
	if (n <= 0)
		return 0;
	st[n] = 0;
	const char *p = strrchr(st, ')');   /* the name may hold spaces and parens */
	return p && p[1] == ' ' && p[2] == 'R';
}

static int a_holder_runs(struct fbx_session *se)
{
	int runs = 0;
	pthread_mutex_lock(&se->workers_lock);
	for (struct fbx_worker *w = se->workers; w && !runs; w = w->next)
		if (atomic_load(&w->in_req) && w->tid)
			runs = thread_running(w->tid);
	pthread_mutex_unlock(&se->workers_lock);
	return runs;
}

static void *sentinel_main(void *arg)
{
	struct fbx_session *se = arg;
	struct fbx_reader *r = &se->reader;
	int idle = 0;
	while (!atomic_load(&se->exited)) {
		int mode = atomic_load(&r->mode);
		int busy = holders_full(r, mode);
		if (!busy && ++idle >= SENTINEL_IDLE_LOOKS) {
			sentinel_park(se);
			idle = 0;
			continue;
		}
		if (busy)
			idle = 0;
		unsigned gen = atomic_load(&r->gen);
		struct timespec ts = { 0, SENTINEL_NS };
		nanosleep(&ts, NULL);
		if (busy && atomic_load(&r->mode) == mode && holders_full(r, mode) &&
		    atomic_load(&r->gen) == gen && !a_holder_runs(se))
			stalled(r, mode);
	}
	return NULL;
}

void fbx_reader_init(struct fbx_session *se)
{
	struct fbx_reader *r = &se->reader;
	uint64_t ns = (uint64_t)se->opts.spin_us * 1000;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	r->ncap = cpus < 2 ? 2 : cpus > 64 ? 64 : (int)cpus;
	atomic_store(&r->fast_need, FAST_TO_CAP);
	if (!se->ch->ops->set_nonblock || !se->ch->ops->clone)
		ns = 0;   /* a channel that cannot poll, or serves one worker */
	atomic_store(&r->spin_ns, ns);
	atomic_store(&r->mode, ns ? MODE_SPIN : MODE_POOL);
	if (ns)
		fbx_tune_mode_changed(r, MODE_SPIN);
	if (!ns || se->opts.singlethread)
		return;   /* one thread: nobody else could read anyway */
	if (pthread_create(&r->sentinel, NULL, sentinel_main, se) != 0)
		atomic_store(&r->mode, MODE_POOL);   /* serve without capping */
	else
		r->has_sentinel = 1;
}

void fbx_reader_wake_all(struct fbx_session *se)
{
	struct fbx_reader *r = &se->reader;
	pthread_mutex_lock(&r->lock);
	pthread_cond_broadcast(&r->park);
	pthread_cond_broadcast(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

void fbx_reader_join(struct fbx_session *se)
{
	struct fbx_reader *r = &se->reader;
	if (r->has_sentinel) {
		fbx_reader_wake_all(se);
		pthread_join(r->sentinel, NULL);
		r->has_sentinel = 0;
	}
}

void fbx_reader_no_spin(struct fbx_session *se)
{
	atomic_store(&se->reader.spin_ns, 0);
	set_mode(&se->reader, -1, MODE_POOL);
}

/* Poll for up to spin_ns; -EAGAIN when nothing came. */
static ssize_t spin_read(struct fbx_worker *w)
{
	struct fbx_reader *r = &w->se->reader;
	set_nonblock(w, 1);
	ssize_t n = fbx_chan_receive(w->ch, w->buf, w->bufsize);
	if (n >= 0) {
		if (++w->backlog >= BACKLOG_TO_CAP) {
			w->backlog = 0;
			set_mode(r, MODE_SPIN, MODE_CAP);
		}
		return n;
	}
	w->backlog = 0;
	if (n != -EAGAIN || !w->nonblock)
		return n;
	uint64_t end = fbx_now_ns() + atomic_load(&r->spin_ns);
	do {
		n = fbx_chan_receive(w->ch, w->buf, w->bufsize);
		if (n != -EAGAIN)
			return n;
	} while (fbx_now_ns() < end && !atomic_load(&w->se->exited));
	return -EAGAIN;
}

/* Sleep in receive until a request comes. `exited` is looked at only
 * after the channel is back to blocking: the wake signal of
 * fbx_session_exit may have come while this thread polled (spin_read
 * then ends on `exited`), or before it got here, and found it in no
 * read() to interrupt. A later signal finds the read, or turns the
 * descriptor non-blocking under it (session.c), so the read returns. */
static ssize_t blocking_receive(struct fbx_worker *w)
{
	set_nonblock(w, 0);
	if (atomic_load(&w->se->exited))
		return -EINTR;
	return fbx_chan_receive(w->ch, w->buf, w->bufsize);
}

/* The calling thread (0 for the kernel's own: FORGET, async RELEASE). */
static uint32_t caller_of(const struct fbx_worker *w, ssize_t n)
{
	struct fbx_k_in_header h;
	if (n < (ssize_t)sizeof h)
		return 0;
	memcpy(&h, w->buf, sizeof h);
	return h.pid;
}

/* Remember pid as the last caller; 1 if it is not the one before. */
static int caller_changed(struct fbx_reader *r, uint32_t pid)
{
	if (pid == atomic_load_explicit(&r->last_pid, memory_order_relaxed))
		return 0;
	atomic_store_explicit(&r->last_pid, pid, memory_order_relaxed);
	return 1;
}

static void note_caller(struct fbx_worker *w)
{
	if (!w->pid)
		return;
	if (!caller_changed(&w->se->reader, w->pid)) {
		w->callers = 0;
		return;
	}
	if (++w->callers >= CALLERS_TO_CAP) {
		w->callers = 0;
		set_mode(&w->se->reader, MODE_SPIN, MODE_CAP);
	}
}

/* The holder's previous request is over (I3). */
static void leave_req(struct fbx_worker *w)
{
	if (atomic_load_explicit(&w->in_req, memory_order_relaxed)) {
		atomic_store(&w->in_req, 0);
		atomic_fetch_sub(&w->se->reader.handling, 1);
	}
}

static void drop_baton(struct fbx_worker *w)
{
	struct fbx_reader *r = &w->se->reader;
	leave_req(w);
	w->has_baton = 0;
	int was = atomic_fetch_sub(&r->batons, 1);
	assert(was > 0);   /* I2 */
	(void)was;
}

static ssize_t read_as_holder(struct fbx_worker *w, int mode)
{
	struct fbx_reader *r = &w->se->reader;
	assert(w->has_baton && atomic_load(&r->batons) >= 1);   /* I2 */
	leave_req(w);
	ssize_t n = -EAGAIN;
	if (mode == MODE_SPIN)
		n = spin_read(w);
	if (n == -EAGAIN)
		n = blocking_receive(w);
	if (n >= 0) {
		atomic_fetch_add(&r->gen, 1);
		if (!w->tid)
			w->tid = gettid();
		atomic_store(&w->in_req, 1);
		if (atomic_fetch_add(&r->handling, 1) + 1 >= cap_of(r, atomic_load(&r->mode)))
			wake_sentinel(r);
		w->pid = caller_of(w, n);
		if (mode == MODE_SPIN)
			note_caller(w);
	}
	return n;
}

/* A baton for w if one is free under the cap; 1 if taken. */
static int take_baton(struct fbx_worker *w, int cap)
{
	struct fbx_reader *r = &w->se->reader;
	int b = atomic_load(&r->batons);
	while (b < cap) {
		if (atomic_compare_exchange_weak(&r->batons, &b, b + 1)) {
			w->has_baton = 1;
			return 1;
		}
	}
	return 0;
}

ssize_t fbx_reader_next(struct fbx_worker *w)
{
	struct fbx_session *se = w->se;
	struct fbx_reader *r = &se->reader;
	for (;;) {
		if (atomic_load(&se->exited))
			return -EINTR;
		int mode = atomic_load(&r->mode);
		assert(mode == MODE_POOL || mode == MODE_SPIN || mode == MODE_CAP);   /* I1 */
		if (mode == MODE_POOL)
			break;
		int cap = cap_of(r, mode);
		if (w->has_baton) {
			if (atomic_load(&r->batons) <= cap)
				return read_as_holder(w, mode);
			drop_baton(w);   /* the cap shrank (CAP -> SPIN) */
		} else if (take_baton(w, cap)) {
			return read_as_holder(w, mode);
		}
		assert(!w->has_baton);   /* I4 */
		pthread_mutex_lock(&r->lock);
		while (!atomic_load(&se->exited) && atomic_load(&r->mode) == mode &&
		       atomic_load(&r->batons) >= cap)
			pthread_cond_wait(&r->park, &r->lock);
		pthread_mutex_unlock(&r->lock);
	}
	if (w->has_baton)
		drop_baton(w);
	ssize_t n = blocking_receive(w);
	w->pid = caller_of(w, n);
	if (n >= 0 && atomic_load(&r->spin_ns))
		w->taken_ns = fbx_now_ns();
	return n;
}

/* POOL: a long enough run of quick requests makes it CAP again. */
static void count_quick(struct fbx_worker *w)
{
	struct fbx_reader *r = &w->se->reader;
	if (!w->taken_ns)
		return;
	uint64_t took = fbx_now_ns() - w->taken_ns;
	w->taken_ns = 0;
	if (took >= FAST_NS) {
		if (atomic_load_explicit(&r->fast, memory_order_relaxed))
			atomic_store(&r->fast, 0);
		return;
	}
	if (atomic_fetch_add(&r->fast, 1) + 1 >= atomic_load(&r->fast_need)) {
		atomic_store(&r->fast, 0);
		set_mode(r, MODE_POOL, MODE_CAP);
	}
}

void fbx_reader_done(struct fbx_worker *w, int others_busy)
{
	struct fbx_reader *r = &w->se->reader;
	if (!atomic_load(&r->spin_ns))
		return;
	fbx_tune_count(r);
	int mode = atomic_load(&r->mode);
	if (mode == MODE_POOL && fbx_tune_holds_pool(r))
		return;   /* the tuner found the pool quicker for this client */
	if (mode == MODE_POOL)
		count_quick(w);
	if (mode == MODE_SPIN || !w->pid)
		return;
	if (caller_changed(r, w->pid) || others_busy) {
		if (atomic_load(&r->alone))
			atomic_store(&r->alone, 0);
		return;
	}
	if (atomic_fetch_add(&r->alone, 1) + 1 >= ALONE_TO_SPIN) {
		atomic_store(&r->alone, 0);
		set_mode(r, mode, MODE_SPIN);
	}
}
