/*
 * lib/dev/arena_backing.c -- huge or small pages for the memory disk's
 * arenas, by what each costs here.
 *
 * Filling the disk is mostly the kernel faulting memory in. Which page
 * size does that faster depends on the machine, measured both ways:
 *  - a PVM guest, where each 4 KiB fault costs about 13 us: arenas of
 *    2 MiB pages made fio's 1M writes 1.9x faster and the first read of
 *    fresh data 7x faster;
 *  - a guest whose memory the host backs on first touch: 2 MiB pages
 *    come from memory the guest never touched and fill at 330 MiB/s,
 *    where 4 KiB pages (recycled, already backed) fill at 2-3.7 GiB/s.
 * So memdisk.c faults each arena in when it makes it (madvise
 * MADV_POPULATE_WRITE), and some arenas are trials: their first HEAD
 * bytes are huge pages and the next HEAD small ones, each populated and
 * timed, and the quicker size backs the rest of the arena and the
 * arenas after it. The first arena is a trial; then the RECHECK-th
 * after it, then twice as far while the choice holds (the guest's free
 * memory changes: a trial may meet pages just freed, warm, and the next
 * ones cold, hence the early second look), up to RECHECK_MAX. A trial
 * of the worse size costs HEAD bytes of it: about 12 ms for cold huge
 * pages above. Without
 * MADV_POPULATE_WRITE (Linux < 5.14) nothing is timed and arenas ask
 * for huge pages, as they always did.
 */
#include <sys/mman.h>

#include "dev/dev.h"

#define RECHECK     2
#define RECHECK_MAX 256   /* arenas: 8 GiB */

int fbx_backing_trial(const struct fbx_backing *b)
{
	return !b->untimed && b->arenas == b->trial_at;
}

int fbx_backing_advice(const struct fbx_backing *b)
{
	return b->untimed || !b->chosen ? MADV_HUGEPAGE : b->chosen;
}

void fbx_backing_next(struct fbx_backing *b)
{
	b->arenas++;
}

void fbx_backing_result(struct fbx_backing *b, int64_t huge_ns, int64_t small_ns)
{
	unsigned n = b->arenas++;
	if (huge_ns < 0 || small_ns < 0) {
		b->untimed = 1;   /* no MADV_POPULATE_WRITE here */
		return;
	}
	int was = b->chosen;
	b->chosen = huge_ns <= small_ns ? MADV_HUGEPAGE : MADV_NOHUGEPAGE;
	if (!was || b->chosen != was)
		b->every = RECHECK;
	else
		b->every = b->every * 2 > RECHECK_MAX ? RECHECK_MAX : b->every * 2;
	b->trial_at = n + b->every;
}
