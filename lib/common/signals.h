/*
 * lib/common/signals.h -- the signals every fusebox main loop ends on.
 *
 * SIGINT, SIGTERM and SIGHUP are blocked in the calling thread (and so
 * in the threads it starts) and taken synchronously (sigwait or a
 * signalfd), so no handler and no global variable is needed.
 */
#ifndef FBX_COMMON_SIGNALS_H
#define FBX_COMMON_SIGNALS_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

/* Fill `set` with the stop signals and block them; the previous mask
 * goes to `old` if not NULL. Returns 0 or a negated errno. */
int fbx_block_stop_signals(sigset_t *set, sigset_t *old);

/* Start a thread with every signal blocked, so signals reach only the
 * thread that waits for them; `detached` as pthread's. 0 or -errno. */
int fbx_thread_start(pthread_t *t, void *(*fn)(void *), void *arg, bool detached);

#endif
