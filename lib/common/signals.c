/*
 * lib/common/signals.c -- see signals.h.
 */
#include "common/signals.h"

#include <pthread.h>

int fbx_block_stop_signals(sigset_t *set, sigset_t *old)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	int e = pthread_sigmask(SIG_BLOCK, set, old);
	return e ? -e : 0;
}
