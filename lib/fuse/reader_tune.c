/*
 * lib/fuse/reader_tune.c -- does polling pay for a lone client here?
 *
 * SPIN (reader.c) saves the daemon's wakeup on each request, but keeps a
 * CPU busy, so the client's wakeup on the reply always crosses CPUs. On
 * a machine where waking an idle CPU is dear, that wins; on one where a
 * switch between two threads on the same CPU is cheaper than reaching
 * another CPU, the pool (the worker woken on the client's CPU) wins, by
 * up to two to one on a 4 KiB read at queue depth 1. Which machine this
 * is shows only by trying, and the client's pattern matters too, so the
 * tuner measures while the client runs:
 *
 *   probe  windows of WINDOW requests: three in SPIN, then three in
 *          POOL. The first of each three only lets the switch settle
 *          (workers waking, parking); the quicker of the other two is
 *          the mode's score (a window the client paused in is slower,
 *          not quicker, so the minimum filters pauses out);
 *   run    the better mode (POOL only if clearly better, by MARGIN)
 *          serves RUN_MIN windows, then it probes again. A probe that
 *          chooses as the one before doubles the run, up to RUN_MAX:
 *          each switch costs (the scheduler settles threads on CPUs
 *          anew), so a choice that holds is probed ever more rarely.
 *
 * While POOL runs by the tuner's choice (hold_pool), reader.c's moves
 * out of POOL wait. A move to CAP (several clients, or a client that
 * found the poller busy) ends the tuning: CAP is not the tuner's to
 * change. When reader.c next goes SPIN (one client again), a run of
 * POOL that CAP cut short resumes without a probe: the choice was made
 * on this machine, for a lone client, moments ago. Otherwise it probes
 * anew, keeping the run's length -- unless SPIN_LOST probes in a row
 * lost their SPIN windows to CAP: a client whose next request is
 * already queued whenever the poller looks (it runs on the poller's
 * CPU, or sends background requests beside its own) never lets a probe
 * finish, and each try costs a round of mode changes. That counts as
 * SPIN losing, and POOL serves a run.
 * Every window closes in exactly one request (the one whose count
 * reaches WINDOW), so only that thread touches the fields below t0.
 */
#include "common/clock.h"
#include "fuse/session.h"

/* The probe's windows: which mode each runs in, and whether it counts. */
static const struct { int mode, scored; } probe[] = {
	{ MODE_SPIN, 0 }, { MODE_SPIN, 1 }, { MODE_SPIN, 1 },
	{ MODE_POOL, 0 }, { MODE_POOL, 1 }, { MODE_POOL, 1 },
};
#define PROBES  ((int)(sizeof probe / sizeof probe[0]))
enum { TUNE_OFF = 0, TUNE_PROBE = 1, TUNE_RUN = TUNE_PROBE + PROBES };

#define WINDOW  256u   /* requests per window */
#define RUN_MIN 64     /* windows the chosen mode serves... */
#define RUN_MAX 1024   /* ...doubled up to this while the choice holds */
#define MARGIN  95     /* POOL must take under 95% of SPIN's time */
#define SPIN_LOST 3    /* probes cut short in SPIN that make POOL the choice */

static uint64_t now_ns(const struct fbx_reader_tune *t)
{
	return t->clock ? t->clock() : fbx_now_ns();
}

static void start_window(struct fbx_reader_tune *t, int phase)
{
	atomic_store(&t->count, 0);
	atomic_store(&t->t0, now_ns(t));
	atomic_store(&t->phase, phase);
}

static void start_probe(struct fbx_reader_tune *t)
{
	t->best[0] = t->best[1] = UINT64_MAX;
	start_window(t, TUNE_PROBE);
}

static void stop(struct fbx_reader_tune *t)
{
	atomic_store(&t->phase, TUNE_OFF);
	atomic_store(&t->hold_pool, 0);
}

/* The choice, and how long to keep it: a run that doubles while the
 * choice holds, the shortest again when it changes. */
static int decide(struct fbx_reader_tune *t, int to)
{
	if (t->run_len && to == t->chose)
		t->run_len = t->run_len * 2 > RUN_MAX ? RUN_MAX : t->run_len * 2;
	else
		t->run_len = RUN_MIN;
	t->chose = to;
	t->run_left = t->run_len;
	atomic_store(&t->spin_lost, 0);
	return to;
}

/* Serve the next window in `to`; 0 if reader.c has moved elsewhere. */
static int go(struct fbx_reader *r, int to)
{
	int m = atomic_load(&r->mode);
	if (m == to)
		return 1;
	if (m != MODE_SPIN && m != MODE_POOL)
		return 0;
	atomic_store(&r->tune.hold_pool, to == MODE_POOL);
	return fbx_reader_set_mode(r, m, to, 1) || atomic_load(&r->mode) == to;
}

static int in_spin_probe(int phase)
{
	return phase >= TUNE_PROBE && phase < TUNE_RUN &&
	       probe[phase - TUNE_PROBE].mode == MODE_SPIN;
}

/* A mode change that was not the tuner's: SPIN (a lone client again)
 * resumes a POOL run or starts a probe; anything else ends the tuning. */
void fbx_tune_mode_changed(struct fbx_reader *r, int to)
{
	struct fbx_reader_tune *t = &r->tune;
	if (to != MODE_SPIN) {
		if (in_spin_probe(atomic_load(&t->phase)))
			atomic_fetch_add(&t->spin_lost, 1);
		stop(t);
		return;
	}
	if (atomic_load(&t->phase) != TUNE_OFF)
		return;
	if (atomic_load(&t->spin_lost) >= SPIN_LOST)
		decide(t, MODE_POOL);
	else if (!(t->chose == MODE_POOL && t->run_left > 0)) {
		start_probe(t);   /* run_len and chose stay: the machine is the same */
		return;
	}
	if (go(r, MODE_POOL))
		start_window(t, TUNE_RUN);
}

int fbx_tune_holds_pool(struct fbx_reader *r)
{
	return atomic_load_explicit(&r->tune.hold_pool, memory_order_relaxed);
}

/* The probe is over: the quicker mode (POOL only by MARGIN). */
static int choose(struct fbx_reader_tune *t)
{
	return decide(t, t->best[1] * 100 < t->best[0] * MARGIN ? MODE_POOL : MODE_SPIN);
}

static void close_window(struct fbx_reader *r, int phase, uint64_t took)
{
	struct fbx_reader_tune *t = &r->tune;
	if (phase < TUNE_RUN) {
		int mode = probe[phase - TUNE_PROBE].mode, pool = mode == MODE_POOL;
		if (atomic_load(&r->mode) != mode) {
			stop(t);   /* reader.c moved on (CAP: several clients) */
			return;
		}
		if (probe[phase - TUNE_PROBE].scored && took < t->best[pool])
			t->best[pool] = took;
		int next = phase + 1;
		int to = next < TUNE_RUN ? probe[next - TUNE_PROBE].mode : choose(t);
		if (go(r, to))
			start_window(t, next);
		else
			stop(t);
	} else if (--t->run_left > 0) {
		start_window(t, TUNE_RUN);
	} else if (go(r, probe[0].mode)) {
		start_probe(t);   /* the client may have changed: look again */
	} else {
		stop(t);
	}
}

void fbx_tune_count(struct fbx_reader *r)
{
	struct fbx_reader_tune *t = &r->tune;
	int phase = atomic_load_explicit(&t->phase, memory_order_relaxed);
	if (phase == TUNE_OFF || atomic_fetch_add(&t->count, 1) + 1 != WINDOW)
		return;
	close_window(r, phase, now_ns(t) - atomic_load(&t->t0));
}
