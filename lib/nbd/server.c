/*
 * lib/nbd/server.c -- the server object: configuration, the accept
 * loop, stopping, the refusal log, and the extents list callbacks fill.
 *
 * Stopping: fbx_nbd_server_stop only sets a flag and writes an eventfd
 * (so it is async-signal-safe). A watcher thread, started with the
 * server, waits on that eventfd and then shuts down the read side of
 * every connection: readers see end-of-file, requests in flight finish
 * and are answered; a client that does not take its replies is cut off
 * after a grace period.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nbd/internal.h"
#include "common/signals.h"

#define GRACE_S 5

/* ---------- helpers ---------- */

void fbx_nbd_log(struct fbx_nbd_server *srv, const char *why, const char *fmt, ...)
{
	if (!atomic_load_explicit(&srv->verbose, memory_order_relaxed))
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	unsigned suppressed = 0;
	bool print = false;
	pthread_mutex_lock(&srv->log_lock);
	unsigned i;
	for (i = 0; i < FBX_NBD_LOG_KINDS - 1; i++)
		if (srv->logs[i].why == why || !srv->logs[i].why)
			break;
	if (srv->logs[i].why != why || ts.tv_sec - srv->logs[i].last >= 10) {
		suppressed = srv->logs[i].why == why ? srv->logs[i].suppressed : 0;
		srv->logs[i].why = why;
		srv->logs[i].last = ts.tv_sec;
		srv->logs[i].suppressed = 0;
		print = true;
	} else {
		srv->logs[i].suppressed++;
	}
	pthread_mutex_unlock(&srv->log_lock);
	if (!print)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (suppressed)
		fprintf(stderr, "fusebox-nbd: %s (and %u more like it)\n", msg, suppressed);
	else
		fprintf(stderr, "fusebox-nbd: %s\n", msg);
}

/* ---------- lifetime ---------- */

static void *watcher(void *arg)
{
	struct fbx_nbd_server *srv = arg;
	struct pollfd p = { .fd = srv->wake_fd, .events = POLLIN };
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	fbx_nbd_conns_shutdown(srv, SHUT_RD);
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += GRACE_S;
	pthread_mutex_lock(&srv->lock);
	while (srv->nconns && pthread_cond_timedwait(&srv->cond, &srv->lock, &dl) == 0)
		;
	bool left = srv->nconns != 0;
	pthread_mutex_unlock(&srv->lock);
	if (left)
		fbx_nbd_conns_shutdown(srv, SHUT_RDWR);
	return NULL;
}

/* The transmission flags a client without structured replies gets:
 * every feature the device-call layer will honour. */
static uint16_t export_flags(const struct fbx_dev *d)
{
	uint16_t f = FBX_NBD_FLAG_HAS_FLAGS;
	if (!fbx_dev_writable(d))
		f |= FBX_NBD_FLAG_READ_ONLY;
	if (fbx_dev_can_flush(d))
		f |= FBX_NBD_FLAG_SEND_FLUSH;
	if (fbx_dev_can_fua(d))
		f |= FBX_NBD_FLAG_SEND_FUA;
	if (d->rotational)
		f |= FBX_NBD_FLAG_ROTATIONAL;
	if (fbx_dev_can_trim(d))
		f |= FBX_NBD_FLAG_SEND_TRIM;
	if (fbx_dev_can_zero(d))
		f |= FBX_NBD_FLAG_SEND_WRITE_ZEROES | FBX_NBD_FLAG_SEND_FAST_ZERO;
	if (d->can_multi_conn)
		f |= FBX_NBD_FLAG_CAN_MULTI_CONN;
	if (d->ops.cache)
		f |= FBX_NBD_FLAG_SEND_CACHE;
	return f;
}

struct fbx_nbd_server *fbx_nbd_server_new(const struct fbx_dev_ops *ops, size_t ops_size,
                                          const struct fbx_dev_info *info, void *userdata)
{
	struct fbx_nbd_server *srv = calloc(1, sizeof *srv);
	if (!srv)
		return NULL;
	srv->wake_fd = srv->sig_fd = -1;
	int e = fbx_dev_init(&srv->dev, ops, ops_size, info, userdata);
	if (e) {
		free(srv);
		errno = -e;
		return NULL;
	}
	const struct fbx_dev *d = &srv->dev;
	srv->name = d->name;
	srv->ex = (struct fbx_nbd_export){
		.size = d->size, .tflags = export_flags(d), .block_min = d->block_min,
		.block_pref = d->block_pref, .block_max = d->block_max,
		.has_extents = d->ops.extents != NULL, .name = d->name, .description = d->desc,
		.any_name = !d->strict_name,
	};
	atomic_init(&srv->verbose, true);
	atomic_init(&srv->stopping, false);
	atomic_init(&srv->active, 0);
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->cond, NULL);
	pthread_mutex_init(&srv->log_lock, NULL);
	srv->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (srv->wake_fd < 0)
		goto fail;
	e = fbx_thread_start(&srv->watcher, watcher, srv, false);
	if (e) {
		errno = -e;
		goto fail;
	}
	return srv;
fail:
	e = errno;
	if (srv->wake_fd >= 0)
		close(srv->wake_fd);
	fbx_dev_fini(&srv->dev);
	free(srv);
	errno = e;
	return NULL;
}

void fbx_nbd_server_stop(struct fbx_nbd_server *srv)
{
	int e = errno;   /* signal handlers must not clobber errno */
	atomic_store(&srv->stopping, true);
	uint64_t one = 1;
	if (write(srv->wake_fd, &one, sizeof one) < 0) {
		/* the counter is already non-zero: it is readable either way */
	}
	errno = e;
}

int fbx_nbd_server_set_tls(struct fbx_nbd_server *srv, const struct fbx_nbd_tls *tls)
{
	if (!srv || !tls || tls->mode > FBX_NBD_TLS_REQUIRE)
		return -EINVAL;
	if (srv->tls)
		return -EBUSY;
	if (tls->mode == FBX_NBD_TLS_OFF) {
		if (!tls->certificates && !tls->psk && !tls->verify_peer)
			return 0;
		fprintf(stderr, "fusebox-nbd: TLS certificates or keys given with TLS off "
		        "(--tls=on or --tls=require)\n");
		return -EINVAL;
	}
	char err[600] = "";
	int e = fbx_nbd_tls_creds_new(tls, &srv->tls, err, sizeof err);
	if (e) {
		fprintf(stderr, "fusebox-nbd: %s\n", err);
		return e;
	}
	srv->ex.tls = (uint8_t)tls->mode;
	return 0;
}

void fbx_nbd_server_set_verbose(struct fbx_nbd_server *srv, bool on)
{
	atomic_store(&srv->verbose, on);
}

int fbx_nbd_server_stop_on_signals(struct fbx_nbd_server *srv)
{
	sigset_t set;
	int e = fbx_block_stop_signals(&set, NULL);
	if (e)
		return e;
	if (srv->sig_fd < 0)
		srv->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return srv->sig_fd < 0 ? -errno : 0;
}

void fbx_nbd_server_export_params(struct fbx_nbd_server *srv, uint64_t *size, uint16_t *flags)
{
	*size = srv->ex.size;
	*flags = srv->ex.tflags | FBX_NBD_FLAG_HAS_FLAGS;
}

int fbx_nbd_server_serve_fd(struct fbx_nbd_server *srv, int fd)
{
	return fbx_nbd_conn_serve(srv, fd, false, false);
}

int fbx_nbd_server_serve_transmission_fd(struct fbx_nbd_server *srv, int fd)
{
	return fbx_nbd_conn_serve(srv, fd, true, false);
}

struct accepted {
	struct fbx_nbd_server *srv;
	int fd;
};

static void *conn_thread(void *arg)
{
	struct accepted a = *(struct accepted *)arg;
	free(arg);
	fbx_nbd_conn_serve(a.srv, a.fd, false, true);
	return NULL;
}

static void wait_conns(struct fbx_nbd_server *srv)
{
	pthread_mutex_lock(&srv->lock);
	while (srv->nconns)
		pthread_cond_wait(&srv->cond, &srv->lock);
	pthread_mutex_unlock(&srv->lock);
}

static void accept_one(struct fbx_nbd_server *srv, int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			fbx_nbd_log(srv, "accept failed", "accept: %s", strerror(errno));
			usleep(100 * 1000);   /* let connections end before retrying */
		}
		return;
	}
	/* Count the connection before its thread runs, so run and destroy
	 * never miss it; conn_serve takes the count over. */
	pthread_mutex_lock(&srv->lock);
	bool full = srv->nconns >= FBX_NBD_MAX_CONNS;
	if (!full)
		srv->nconns++;
	pthread_mutex_unlock(&srv->lock);
	if (full) {
		fbx_nbd_log(srv, "connection refused", "connection refused: too many connections");
		close(fd);
		return;
	}
	struct accepted *a = malloc(sizeof *a);
	pthread_t t;
	int e = -ENOMEM;
	if (a) {
		*a = (struct accepted){ srv, fd };
		e = fbx_thread_start(&t, conn_thread, a, true);
	}
	if (e) {
		fbx_nbd_log(srv, "thread failed", "cannot start a connection thread: %s", strerror(-e));
		close(fd);
		free(a);
		pthread_mutex_lock(&srv->lock);
		srv->nconns--;
		pthread_cond_broadcast(&srv->cond);
		pthread_mutex_unlock(&srv->lock);
	}
}

int fbx_nbd_server_run(struct fbx_nbd_server *srv)
{
	if (!srv->nlis)
		return -EINVAL;
	struct pollfd p[FBX_NBD_MAX_LISTENERS + 2];
	unsigned n = 0;
	for (unsigned i = 0; i < srv->nlis; i++)
		p[n++] = (struct pollfd){ .fd = srv->lis[i].fd, .events = POLLIN };
	p[n++] = (struct pollfd){ .fd = srv->wake_fd, .events = POLLIN };
	if (srv->sig_fd >= 0)
		p[n++] = (struct pollfd){ .fd = srv->sig_fd, .events = POLLIN };
	while (!atomic_load(&srv->stopping)) {
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			fbx_nbd_server_stop(srv);
			wait_conns(srv);
			return -e;
		}
		if (srv->sig_fd >= 0 && (p[n - 1].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(srv->sig_fd, &si, sizeof si) > 0)
				fbx_nbd_server_stop(srv);
		}
		for (unsigned i = 0; i < srv->nlis; i++)
			if (p[i].revents & POLLIN)
				accept_one(srv, p[i].fd);
	}
	wait_conns(srv);
	return 0;
}

void fbx_nbd_server_destroy(struct fbx_nbd_server *srv)
{
	if (!srv)
		return;
	fbx_nbd_server_stop(srv);
	pthread_join(srv->watcher, NULL);
	wait_conns(srv);
	fbx_nbd_listeners_close(srv);
	close(srv->wake_fd);
	if (srv->sig_fd >= 0)
		close(srv->sig_fd);
	pthread_mutex_destroy(&srv->lock);
	pthread_cond_destroy(&srv->cond);
	pthread_mutex_destroy(&srv->log_lock);
	fbx_nbd_tls_creds_free(srv->tls);
	fbx_dev_fini(&srv->dev);
	free(srv);
}
