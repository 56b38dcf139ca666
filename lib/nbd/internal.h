/*
 * lib/nbd/internal.h -- what server.c, conn.c and listen.c share. Not installed.
 */
#ifndef FBX_NBD_INTERNAL_H
#define FBX_NBD_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "common/signals.h"
#include "fusebox/blockdev.h"
#include "dev/dev.h"
#include "nbd/proto.h"
#include "nbd/tls.h"

#define FBX_NBD_MAX_LISTENERS 16
#define FBX_NBD_MAX_CONNS     256
#define FBX_NBD_LOG_KINDS     32
#define FBX_NBD_EXT_MAX       1024  /* descriptors per block status reply */
#define FBX_NBD_READ_SPLIT    32    /* chunks per hole-aware read */
#define FBX_NBD_HOLE_MIN_READ (64u << 10) /* smaller reads are sent as data */

struct fbx_nbd_listener {
	int fd;
	char *unix_path;           /* to unlink on destroy */
	char uri[320];
};

struct fbx_nbd_conn;

struct fbx_nbd_server {
	struct fbx_dev dev;        /* every device call goes through it */
	struct fbx_nbd_export ex;  /* what the handshake offers */
	struct fbx_nbd_tls_creds *tls;   /* NULL: no TLS (ex.tls is 0) */
	const char *name;          /* dev.name (listen.c puts it in URIs) */
	atomic_bool verbose;

	struct fbx_nbd_listener lis[FBX_NBD_MAX_LISTENERS];
	unsigned nlis;

	int wake_fd;               /* eventfd: readable once stopped */
	int sig_fd;                /* signalfd or -1 */
	atomic_bool stopping;
	pthread_t watcher;

	pthread_mutex_t lock;      /* conns, nconns */
	pthread_cond_t cond;       /* a connection ended */
	struct fbx_nbd_conn *conns;
	unsigned nconns;
	atomic_uint active;        /* connections in transmission */

	pthread_mutex_t log_lock;
	struct { const char *why; time_t last; unsigned suppressed; } logs[FBX_NBD_LOG_KINDS];
};

/* conn.c */
/** Serve fd: handshake (unless raw) and transmission. Registers the
 *  connection with the server (counted: the caller already counted it
 *  in nconns), closes fd, returns 0 or -errno. */
int fbx_nbd_conn_serve(struct fbx_nbd_server *srv, int fd, bool raw, bool counted);
/** Shut down (how: SHUT_RD / SHUT_RDWR) every connection's socket. */
void fbx_nbd_conns_shutdown(struct fbx_nbd_server *srv, int how);

/* server.c */
/** Log a refused request or a protocol violation, rate-limited per
 *  `why` (a string literal). */
void fbx_nbd_log(struct fbx_nbd_server *srv, const char *why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** Start a thread with all signals blocked (signals belong to the
 *  program's main thread or the server's signalfd). */

/* listen.c */
void fbx_nbd_listeners_close(struct fbx_nbd_server *srv);

#endif
