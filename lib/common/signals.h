/*
 * lib/common/signals.h -- the signals every fusebox main loop ends on.
 *
 * SIGINT, SIGTERM and SIGHUP are blocked in the calling thread (and so
 * in the threads it starts) and taken synchronously (sigwait or a
 * signalfd), so no handler and no global variable is needed.
 */
#ifndef FBX_COMMON_SIGNALS_H
#define FBX_COMMON_SIGNALS_H

#include <signal.h>

/* Fill `set` with the stop signals and block them; the previous mask
 * goes to `old` if not NULL. Returns 0 or a negated errno. */
int fbx_block_stop_signals(sigset_t *set, sigset_t *old);

#endif
