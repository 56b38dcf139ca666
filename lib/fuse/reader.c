/*
 * lib/fuse/reader.c -- which worker reads the next request from /dev/fuse.
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
 * Hence two modes:
 *   SPIN  one worker holds the baton and is the only reader. After each
 *         reply it polls for spin_us (O_NONBLOCK reads), then sleeps in
 *         read(). The other workers wait on a condition variable, off the
 *         device.
 *   POOL  every idle worker sleeps in read(): the classic pool, with more
 *         workers started on demand (session.c).
 * A lone reader must never leave requests unread for long: a handler may
 * block (on the network, on a lock another request holds, on a request it
 * caused itself). A sentinel thread looks at the reader once a millisecond
 * while it is busy; a reader still inside the request it was in at the
 * last look moves the session to POOL. So does a reader that finds
 * requests already queued, or from a different caller than the last one,
 * several times in a row: there is more than one client, and a pool
 * serves them in parallel. The session goes back to SPIN after many
 * requests in a row from one caller, each served while no other worker
 * was busy.
 * With io_uring queues running, /dev/fuse carries little and stays POOL.
 *
 * Invariants (struct fbx_reader in session.h; the asserts below check
 * the ones a single thread can see without racing):
 *  I1 mode is MODE_POOL or MODE_SPIN. It becomes SPIN only while
 *     spin_ns != 0, and spin_ns only ever drops to 0 (no_spin), so once
 *     polling is off the session stays POOL.
 *  I2 baton is 1 exactly while one worker has has_baton set. It is taken
 *     only by compare-and-swap 0 -> 1 in SPIN mode and cleared only by
 *     its holder, on its way to the pool.
 *  I3 handling, asleep and gen are written only by the baton holder;
 *     asleep is 1 only inside its blocking read(), with handling 0.
 *     The sentinel reads them: a holder still handling with gen
 *     unchanged after SENTINEL_NS has blocked, and the session goes POOL.
 *  I4 A worker waiting on `park` does not hold the baton, and waits only
 *     while mode is SPIN and the baton is taken: every change of mode to
 *     POOL broadcasts `park` under `lock`, so no worker sleeps there
 *     while requests go unread.
 *  I5 sentinel_parked is 1 only while the sentinel waits on `wake` under
 *     `lock`; whoever makes it worth looking again (the holder leaving
 *     read(), a switch to SPIN) signals `wake`.
 *  I6 last_pid, alone and the workers' backlog/callers counts are hints:
 *     a lost update only delays a mode change, never loses a request.
 *  I7 Once se->exited is set every wait ends: fbx_reader_wake_all
 *     broadcasts both condition variables and spin_read stops polling.
 */
#include "fuse/session.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { MODE_POOL = 0, MODE_SPIN = 1 };

#define SENTINEL_NS    1000000L  /* how often a busy lone reader is checked */
#define BACKLOG_TO_POOL 8        /* requests in a row found already queued */
#define CALLERS_TO_POOL 4        /* requests in a row from another caller than the last */
#define ALONE_TO_SPIN  256       /* POOL requests in a row: one caller, no other worker busy */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void set_nonblock(struct fbx_worker *w, int on)
{
	struct fbx_chan *ch = w->ch;
	if (w->nonblock == on || !ch->ops->set_nonblock)
		return;   /* a channel that cannot poll only means no polling */
	if (ch->ops->set_nonblock(ch, on) == 0)
		w->nonblock = on;
}

static void to_pool(struct fbx_reader *r)
{
	pthread_mutex_lock(&r->lock);
	if (atomic_load(&r->mode) == MODE_SPIN) {
		atomic_store(&r->mode, MODE_POOL);
		pthread_cond_broadcast(&r->park);
	}
	pthread_mutex_unlock(&r->lock);
}

/* Parks after this many looks at an idle reader, so an idle mount
 * costs no wakeups; the reader wakes it when it takes a request. */
#define SENTINEL_IDLE_LOOKS 100

static void sentinel_park(struct fbx_session *se)
{
	struct fbx_reader *r = &se->reader;
	pthread_mutex_lock(&r->lock);
	atomic_store(&r->sentinel_parked, 1);
	while (!atomic_load(&se->exited) &&
	       (atomic_load(&r->mode) != MODE_SPIN || atomic_load(&r->asleep)))
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

static void *sentinel_main(void *arg)
{
	struct fbx_session *se = arg;
	struct fbx_reader *r = &se->reader;
	int idle = 0;
	while (!atomic_load(&se->exited)) {
		if (atomic_load(&r->mode) != MODE_SPIN || atomic_load(&r->asleep)) {
			if (++idle >= SENTINEL_IDLE_LOOKS) {
				sentinel_park(se);
				idle = 0;
			}
		} else {
			idle = 0;
		}
		unsigned gen = atomic_load(&r->gen);
		int busy = atomic_load(&r->handling);
		struct timespec ts = { 0, SENTINEL_NS };
		nanosleep(&ts, NULL);
		if (busy && atomic_load(&r->handling) && atomic_load(&r->gen) == gen)
			to_pool(r);
	}
	return NULL;
}

void fbx_reader_init(struct fbx_session *se)
{
	struct fbx_reader *r = &se->reader;
	uint64_t ns = (uint64_t)se->opts.spin_us * 1000;
	if (!se->ch->ops->set_nonblock || !se->ch->ops->clone)
		ns = 0;   /* a channel that cannot poll, or serves one worker */
	atomic_store(&r->spin_ns, ns);
	atomic_store(&r->mode, ns ? MODE_SPIN : MODE_POOL);
	if (!ns || se->opts.singlethread)
		return;   /* one thread: nobody else could read anyway */
	if (pthread_create(&r->sentinel, NULL, sentinel_main, se) != 0)
		atomic_store(&r->mode, MODE_POOL);   /* serve without polling */
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
	to_pool(&se->reader);
}

/* Poll for up to spin_ns; -EAGAIN when nothing came. */
static ssize_t spin_read(struct fbx_worker *w)
{
	struct fbx_reader *r = &w->se->reader;
	set_nonblock(w, 1);
	ssize_t n = fbx_chan_receive(w->ch, w->buf, w->bufsize);
	if (n >= 0) {
		if (++w->backlog >= BACKLOG_TO_POOL) {
			w->backlog = 0;
			to_pool(r);
		}
		return n;
	}
	w->backlog = 0;
	if (n != -EAGAIN || !w->nonblock)
		return n;
	uint64_t end = now_ns() + atomic_load(&r->spin_ns);
	do {
		n = fbx_chan_receive(w->ch, w->buf, w->bufsize);
		if (n != -EAGAIN)
			return n;
	} while (now_ns() < end && !atomic_load(&w->se->exited));
	return -EAGAIN;
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
	if (++w->callers >= CALLERS_TO_POOL) {
		w->callers = 0;
		to_pool(&w->se->reader);
	}
}

static ssize_t read_as_reader(struct fbx_worker *w)
{
	struct fbx_reader *r = &w->se->reader;
	assert(w->has_baton && atomic_load(&r->baton) == 1);   /* I2 */
	atomic_store(&r->handling, 0);
	ssize_t n = spin_read(w);
	if (n == -EAGAIN) {
		set_nonblock(w, 0);
		assert(!atomic_load(&r->handling));   /* I3 */
		atomic_store(&r->asleep, 1);
		n = fbx_chan_receive(w->ch, w->buf, w->bufsize);
		atomic_store(&r->asleep, 0);
		wake_sentinel(r);
	}
	if (n >= 0) {
		atomic_fetch_add(&r->gen, 1);
		atomic_store(&r->handling, 1);
		w->pid = caller_of(w, n);
		note_caller(w);
	}
	return n;
}

ssize_t fbx_reader_next(struct fbx_worker *w)
{
	struct fbx_session *se = w->se;
	struct fbx_reader *r = &se->reader;
	for (;;) {
		if (atomic_load(&se->exited))
			return -EINTR;
		int mode = atomic_load(&r->mode);
		assert(mode == MODE_POOL || mode == MODE_SPIN);   /* I1 */
		if (mode != MODE_SPIN)
			break;
		int free_baton = 0;
		if (w->has_baton || atomic_compare_exchange_strong(&r->baton, &free_baton, 1)) {
			w->has_baton = 1;
			return read_as_reader(w);
		}
		assert(!w->has_baton);   /* I4 */
		pthread_mutex_lock(&r->lock);
		while (!atomic_load(&se->exited) && atomic_load(&r->mode) == MODE_SPIN &&
		       atomic_load(&r->baton))
			pthread_cond_wait(&r->park, &r->lock);
		pthread_mutex_unlock(&r->lock);
	}
	if (w->has_baton) {
		assert(atomic_load(&r->baton) == 1);   /* I2: only the holder clears it */
		w->has_baton = 0;
		atomic_store(&r->handling, 0);
		atomic_store(&r->baton, 0);
	}
	set_nonblock(w, 0);
	ssize_t n = fbx_chan_receive(w->ch, w->buf, w->bufsize);
	w->pid = caller_of(w, n);
	return n;
}

void fbx_reader_done(struct fbx_worker *w, int others_busy)
{
	struct fbx_reader *r = &w->se->reader;
	if (!atomic_load(&r->spin_ns) || atomic_load(&r->mode) == MODE_SPIN || !w->pid)
		return;
	if (caller_changed(r, w->pid) || others_busy) {
		if (atomic_load(&r->alone))
			atomic_store(&r->alone, 0);
		return;
	}
	if (atomic_fetch_add(&r->alone, 1) + 1 >= ALONE_TO_SPIN) {
		atomic_store(&r->alone, 0);
		if (atomic_load(&r->spin_ns))   /* I1 */
			atomic_store(&r->mode, MODE_SPIN);
		wake_sentinel(r);
	}
}
