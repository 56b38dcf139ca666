/*
 * lib/attach/attach_util.h -- small helpers shared by attach.c and the
 * kernel paths (nbd_ioctl.c, nbd_netlink.c, ublk.c). Not installed.
 */
#ifndef FBX_ATTACH_UTIL_H
#define FBX_ATTACH_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct fbx_attach;
struct fbx_nbd_server;

/* Threads start through fbx_thread_start (common/signals.h): signals
 * belong to the program (or to attach.c's signal thread), and a signal
 * landing in a thread that sits in NBD_DO_IT would tear the device down. */
#include "common/signals.h"

/** An eventfd used as a "something happened" flag: readable once poked.
 *  fbx_attach_poke is async-signal-safe. */
int fbx_attach_evfd(void);
void fbx_attach_poke(int efd);

/** The one way a path's wait sleeps: until ended(at) is true or stop
 *  was asked, woken by fbx_attach_wake. Returns 0 or -errno (poll). */
int fbx_attach_sleep(struct fbx_attach *at, bool (*ended)(struct fbx_attach *at));
/** Make the sleeper look again: call it when what ended() tests changed
 *  (fbx_attach_stop calls it too). Async-signal-safe. */
void fbx_attach_wake(struct fbx_attach *at);

/** The server every NBD path serves the kernel with (a plain server
 *  over at->ops/info). NULL with a message on stderr on error. */
struct fbx_nbd_server *fbx_attach_nbd_server(struct fbx_attach *at);

/** Connections for the NBD paths: opts.connections, or dflt; 1 unless
 *  the device allows several (info.can_multi_conn). */
unsigned fbx_attach_nbd_conns(const struct fbx_attach *at, unsigned dflt);

/** The kernel's logical block size for the device: block_min, at least
 *  512, at most 4096 (what nbd and ublk accept). */
uint32_t fbx_attach_block_size(const struct fbx_attach *at);

/** "/dev/nbd7" -> 7; -1 for anything else. prefix: "/dev/nbd". */
int fbx_attach_dev_index(const char *dev, const char *prefix);

/** Write back what the page cache of the block device holds, before a
 *  disconnect: best effort, errors ignored. */
void fbx_attach_sync_dev(const char *dev);

/** Seconds before a dead server fails I/O (opts.dead_timeout, default 30). */
unsigned fbx_attach_dead_timeout(const struct fbx_attach *at);

#endif
