/*
 * lib/fuse/counts.c -- FBX_REQUEST_COUNTS: how many requests of each
 * kind the kernel sent, printed to stderr when the session loop ends.
 *
 * Round trips are what a cache setting saves, and unlike timings they do
 * not depend on what else the machine is doing, so bench/ and a
 * filesystem author compare settings by them. The counters exist only
 * when the variable is set (non-empty): otherwise a request costs one
 * NULL test. Relaxed atomics: workers and io_uring queue threads count
 * concurrently, and only the total at the end matters.
 */
#include "fuse/session.h"

#include <stdio.h>
#include <stdlib.h>

void fbx_counts_init(struct fbx_session *se)
{
	const char *v = getenv("FBX_REQUEST_COUNTS");
	if (!v || !*v || se->counts)
		return;
	se->counts = calloc(FBX_K_OPCODE_MAX, sizeof *se->counts);
	if (!se->counts)
		fprintf(stderr, "fusebox: FBX_REQUEST_COUNTS: out of memory, not counting\n");
}

/* One line, "fusebox: requests: total=N LOOKUP=N ...", opcodes in
 * numeric order, those never seen left out (INIT and DESTROY included:
 * a script subtracts nothing, a mount costs its INIT). */
void fbx_counts_print(struct fbx_session *se)
{
	if (!se->counts)
		return;
	uint64_t total = 0;
	for (unsigned i = 0; i < FBX_K_OPCODE_MAX; i++)
		total += atomic_load_explicit(&se->counts[i], memory_order_relaxed);
	char line[2048];
	int n = snprintf(line, sizeof line, "fusebox: requests: total=%llu", (unsigned long long)total);
	for (unsigned i = 0; i < FBX_K_OPCODE_MAX && n > 0 && (size_t)n < sizeof line; i++) {
		uint64_t c = atomic_load_explicit(&se->counts[i], memory_order_relaxed);
		if (c)
			n += snprintf(line + n, sizeof line - (size_t)n, " %s=%llu",
			              i ? fbx_opcode_name(i) : "UNKNOWN", (unsigned long long)c);
	}
	fprintf(stderr, "%s\n", line);
	free(se->counts);
	se->counts = NULL;
}
