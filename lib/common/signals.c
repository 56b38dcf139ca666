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

int fbx_thread_start(pthread_t *t, void *(*fn)(void *), void *arg, bool detached)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_t a;
	pthread_attr_init(&a);
	if (detached)
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	int e = pthread_create(t, &a, fn, arg);
	pthread_attr_destroy(&a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -e;
}
