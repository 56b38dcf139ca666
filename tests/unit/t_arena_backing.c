/*
 * t_arena_backing -- the memory disk's page size (lib/dev/arena_backing.c):
 * the first arena is a trial of both sizes and the quicker backs the
 * arenas after it; trials come again 2 arenas on, then ever more rarely
 * while the choice holds, and a size that turned quicker takes over;
 * where populating cannot be timed, arenas ask for huge pages as before.
 */
#include <sys/mman.h>

#include "../lib/check.h"
#include "dev/dev.h"

/* Make one arena with the two sizes timed so; the hint of its bulk, or
 * 0 when it was a trial (then the result decides the next ones). */
static int arena(struct fbx_backing *b, int64_t huge_ns, int64_t small_ns)
{
	if (fbx_backing_trial(b)) {
		fbx_backing_result(b, huge_ns, small_ns);
		return 0;
	}
	fbx_backing_next(b);
	return fbx_backing_advice(b);
}

int main(void)
{
	/* Huge faults dear (memory the host backs on first touch). */
	struct fbx_backing b = { 0 };
	CHECK(fbx_backing_trial(&b));
	CHECK_EQ_INT(arena(&b, 12000000, 1000000), 0);
	CHECK_EQ_INT(fbx_backing_advice(&b), MADV_NOHUGEPAGE);
	CHECK_EQ_INT(arena(&b, 12000000, 1000000), MADV_NOHUGEPAGE);
	/* The 2nd after the trial tries again; huge pages are quicker now
	 * and take over. */
	CHECK_EQ_INT(arena(&b, 500000, 1000000), 0);
	CHECK_EQ_INT(arena(&b, 500000, 1000000), MADV_HUGEPAGE);

	/* Small faults dear (a PVM guest): huge pages from the start, and
	 * trials after 2 arenas, then 4, 8, ... while that holds. */
	struct fbx_backing p = { 0 };
	int trials[64], ntrials = 0;
	for (int i = 0; i < 1 + 2 + 4 + 8 + 2; i++) {
		int a = arena(&p, 500000, 8000000);
		if (!a)
			trials[ntrials++] = i;
		else
			CHECK_EQ_INT(a, MADV_HUGEPAGE);
	}
	CHECK_EQ_INT(ntrials, 4);
	CHECK_EQ_INT(trials[0], 0);
	CHECK_EQ_INT(trials[1], 2);
	CHECK_EQ_INT(trials[2], 2 + 4);
	CHECK_EQ_INT(trials[3], 2 + 4 + 8);

	/* No MADV_POPULATE_WRITE: nothing to time, huge pages always. */
	struct fbx_backing u = { 0 };
	arena(&u, -1, -1);
	for (int i = 0; i < 20; i++) {
		CHECK(!fbx_backing_trial(&u));
		CHECK_EQ_INT(arena(&u, -1, -1), MADV_HUGEPAGE);
	}
	return check_exit();
}
