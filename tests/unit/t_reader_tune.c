/*
 * t_reader_tune -- the choice between polling and the pool for a lone
 * client (lib/fuse/reader_tune.c), on a clock this test turns:
 *  - where a request takes less time in POOL, the probe ends in POOL and
 *    holds it (reader.c's moves out of POOL wait); where SPIN is quicker
 *    or the two are within the margin, it stays SPIN;
 *  - the choice is looked at again after its run, and a run doubles
 *    while the choice holds, back to the shortest when it changes;
 *  - a window the client paused in does not decide;
 *  - a move to CAP (several clients) ends the tuning and lets go of
 *    POOL; the next SPIN probes again, or resumes a POOL run that CAP
 *    cut short;
 *  - probes that keep losing their SPIN windows to CAP count as SPIN
 *    losing: after three in a row, the next SPIN is a POOL run.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "../lib/check.h"
#include "fuse/session.h"

static uint64_t clock_ns;
static uint64_t fake_clock(void) { return clock_ns; }

static struct fbx_reader r;

static void setup(void)
{
	memset(&r, 0, sizeof r);
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.park, NULL);
	pthread_cond_init(&r.wake, NULL);
	atomic_store(&r.spin_ns, 20000);
	atomic_store(&r.mode, MODE_SPIN);
	r.tune.clock = fake_clock;
	fbx_tune_mode_changed(&r, MODE_SPIN);
}

/* n requests, each taking spin_ns or pool_ns by the mode it runs in. */
static void serve(unsigned n, uint64_t spin_ns, uint64_t pool_ns)
{
	for (unsigned i = 0; i < n; i++) {
		clock_ns += atomic_load(&r.mode) == MODE_POOL ? pool_ns : spin_ns;
		fbx_tune_count(&r);
	}
}

/* Requests until the mode is `mode` (at most `limit`); how many it took. */
static unsigned serve_until(int mode, unsigned limit, uint64_t spin_ns, uint64_t pool_ns)
{
	unsigned n = 0;
	while (atomic_load(&r.mode) != mode && n < limit) {
		serve(1, spin_ns, pool_ns);
		n++;
	}
	return n;
}

int main(void)
{
	/* Pool quicker: after the probe (6 windows of 256), POOL is held. */
	setup();
	serve(3 * 256, 30000, 15000);
	CHECK_EQ_INT(atomic_load(&r.mode), MODE_POOL);       /* its probe windows */
	serve(3 * 256, 30000, 15000);
	CHECK_EQ_INT(atomic_load(&r.mode), MODE_POOL);       /* and its choice */
	CHECK(fbx_tune_holds_pool(&r));
	/* The run (64 windows) ends in a new probe, in SPIN. */
	unsigned n = serve_until(MODE_SPIN, 100000, 30000, 15000);
	CHECK_EQ_INT(n, 64 * 256);
	serve(6 * 256, 30000, 15000);
	CHECK_EQ_INT(atomic_load(&r.mode), MODE_POOL);
	/* The same choice again: the run doubles. */
	n = serve_until(MODE_SPIN, 1000000, 30000, 15000);
	CHECK_EQ_INT(n, 128 * 256);

	/* The machine turns: SPIN quicker now. The probe chooses SPIN, with
	 * the shortest run again, and lets go of POOL. */
	serve(6 * 256, 15000, 30000);
	CHECK_EQ_INT(atomic_load(&r.mode), MODE_SPIN);
	CHECK(!fbx_tune_holds_pool(&r));
	serve(64 * 256 - 1, 15000, 30000);
	CHECK_EQ_INT(atomic_load(&r.mode), MODE_SPIN);       /* still the run */
	serve(1 + 3 * 256, 15000, 30000);
	CHECK_EQ_INT(atomic_load(&r.mode), MODE_POOL);       /* probing POOL */
	serve(3 * 256, 15000, 30000);
	CHECK_EQ_INT(atomic_load(&r.mode), MODE_SPIN);

	/* Within the margin (POOL 3% quicker): SPIN stays. */
	setup();
	serve(6 * 256, 20000, 19400);
	CHECK_EQ_INT(atomic_load(&r.mode), MODE_SPIN);
	CHECK(!fbx_tune_holds_pool(&r));

	/* A pause inside one POOL window: the other one decides. */
	setup();
	serve(3 * 256 + 256 + 100, 30000, 15000);
	clock_ns += 500000000;                               /* the client sleeps */
	serve(156 + 256, 30000, 15000);
	CHECK_EQ_INT(atomic_load(&r.mode), MODE_POOL);
	CHECK(fbx_tune_holds_pool(&r));

	/* Several clients: reader.c goes CAP; the tuner stops and lets go. */
	setup();
	serve(4 * 256, 30000, 15000);                        /* in a POOL window */
	CHECK(fbx_tune_holds_pool(&r));
	CHECK(fbx_reader_set_mode(&r, MODE_POOL, MODE_CAP, 0));
	CHECK(!fbx_tune_holds_pool(&r));
	serve(20 * 256, 30000, 15000);
	CHECK_EQ_INT(atomic_load(&r.mode), MODE_CAP);        /* left alone */
	/* One client again: SPIN, and a new probe. */
	CHECK(fbx_reader_set_mode(&r, MODE_CAP, MODE_SPIN, 0));
	serve(6 * 256, 30000, 15000);
	CHECK_EQ_INT(atomic_load(&r.mode), MODE_POOL);
	CHECK(fbx_tune_holds_pool(&r));

	/* A POOL run cut short by CAP resumes, without a probe, when one
	 * client is back; the run goes on where it stopped. */
	setup();
	serve(6 * 256 + 10 * 256, 30000, 15000);             /* 10 windows into the run */
	CHECK(fbx_tune_holds_pool(&r));
	CHECK(fbx_reader_set_mode(&r, MODE_POOL, MODE_CAP, 0));
	CHECK(fbx_reader_set_mode(&r, MODE_CAP, MODE_SPIN, 0));
	CHECK_EQ_INT(atomic_load(&r.mode), MODE_POOL);
	CHECK(fbx_tune_holds_pool(&r));
	n = serve_until(MODE_SPIN, 100000, 30000, 15000);
	CHECK_EQ_INT(n, 54 * 256);                           /* the rest of its 64 */

	/* Probes cut short in SPIN by CAP: the third makes POOL the choice. */
	setup();
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(atomic_load(&r.mode), MODE_SPIN);   /* probing */
		serve(100, 30000, 15000);
		CHECK(fbx_reader_set_mode(&r, MODE_SPIN, MODE_CAP, 0));
		CHECK(fbx_reader_set_mode(&r, MODE_CAP, MODE_SPIN, 0));
	}
	CHECK_EQ_INT(atomic_load(&r.mode), MODE_POOL);
	CHECK(fbx_tune_holds_pool(&r));
	n = serve_until(MODE_SPIN, 100000, 30000, 15000);
	CHECK_EQ_INT(n, 64 * 256);                           /* a run, then a probe */

	/* A probe that finishes in between starts the count again. */
	setup();
	for (int i = 0; i < 2; i++) {
		serve(100, 15000, 30000);
		CHECK(fbx_reader_set_mode(&r, MODE_SPIN, MODE_CAP, 0));
		CHECK(fbx_reader_set_mode(&r, MODE_CAP, MODE_SPIN, 0));
	}
	serve(6 * 256, 15000, 30000);                        /* SPIN chosen */
	CHECK_EQ_INT(atomic_load(&r.mode), MODE_SPIN);
	CHECK(fbx_reader_set_mode(&r, MODE_SPIN, MODE_CAP, 0));   /* in its run */
	CHECK(fbx_reader_set_mode(&r, MODE_CAP, MODE_SPIN, 0));
	serve(100, 15000, 30000);
	CHECK(fbx_reader_set_mode(&r, MODE_SPIN, MODE_CAP, 0));   /* in a probe */
	CHECK(fbx_reader_set_mode(&r, MODE_CAP, MODE_SPIN, 0));
	CHECK_EQ_INT(atomic_load(&r.mode), MODE_SPIN);       /* probing again */
	CHECK(!fbx_tune_holds_pool(&r));

	return check_exit();
}
