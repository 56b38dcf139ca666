/*
 * lib/attach/attach.c -- fusebox/attach.h: pick a path, run it.
 *
 * A path is a struct fbx_attach_path_ops (attach_int.h). AUTO takes the
 * first path whose probe passes and whose start succeeds, in the order
 * of attach.h; a path named explicitly is the only one tried, and when
 * this machine cannot take it the probe's message says why.
 */
#include "attach/attach_int.h"
#include "common/signals.h"
#include "attach/attach_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>


/* What attach.c keeps besides struct fbx_attach (which the paths see). */
struct attach_full {
	struct fbx_attach at;       /* first: fbx_attach * <-> attach_full * */
	int               sig_fd;   /* signalfd when handle_signals, else -1 */
	int               quit_fd;  /* eventfd: the signal thread ends */
	pthread_t         sig_thr;
	int               sig_started;
	int               waited;
	int               started;  /* the path's start succeeded */
};

/* ---- helpers shared with the paths (attach_util.h) ---------------- */

int fbx_attach_evfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

void fbx_attach_poke(int efd)
{
	int e = errno;
	uint64_t one = 1;
	if (efd >= 0 && write(efd, &one, sizeof one) < 0) {
		/* counter already non-zero: readable anyway */
	}
	errno = e;
}

void fbx_attach_wake(struct fbx_attach *at)
{
	fbx_attach_poke(at->wake_fd);
}

static void drain(int efd)
{
	uint64_t v;
	if (read(efd, &v, sizeof v) < 0) {
		/* nothing pending (EAGAIN): fine */
	}
}

int fbx_attach_sleep(struct fbx_attach *at, bool (*ended)(struct fbx_attach *at))
{
	struct pollfd p = { .fd = at->wake_fd, .events = POLLIN };
	while (!ended(at) && !atomic_load(&at->stopping)) {
		int n = poll(&p, 1, -1);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			drain(at->wake_fd);
	}
	return 0;
}

struct fbx_nbd_server *fbx_attach_nbd_server(struct fbx_attach *at)
{
	struct fbx_nbd_server *srv =
		fbx_nbd_server_new(&at->dev.ops, sizeof at->dev.ops, &at->info, at->dev.ud);
	if (!srv)
		fprintf(stderr, "attach: cannot create the NBD server: %s\n", strerror(errno));
	else
		fbx_nbd_server_set_verbose(srv, !at->opts.quiet);
	return srv;
}

unsigned fbx_attach_nbd_conns(const struct fbx_attach *at, unsigned dflt)
{
	if (!at->info.can_multi_conn)
		return 1;
	unsigned n = at->opts.connections ? at->opts.connections : dflt;
	return n < 1 ? 1 : n > 16 ? 16 : n;
}

uint32_t fbx_attach_block_size(const struct fbx_attach *at)
{
	uint32_t b = at->info.block_min;
	return b <= 512 ? 512 : b >= 4096 ? 4096 : b;
}

int fbx_attach_dev_index(const char *dev, const char *prefix)
{
	size_t n = strlen(prefix);
	if (!dev || strncmp(dev, prefix, n) != 0)
		return -1;
	const char *d = dev + n;
	if (!*d || strspn(d, "0123456789") != strlen(d) || strlen(d) > 6)
		return -1;
	return atoi(d);
}

void fbx_attach_sync_dev(const char *dev)
{
	int fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return;
	if (fsync(fd) < 0) {
		/* best effort: the disconnect that follows reports real trouble */
	}
	close(fd);
}

unsigned fbx_attach_dead_timeout(const struct fbx_attach *at)
{
	return at->opts.dead_timeout ? at->opts.dead_timeout : 30;
}

/* ---- the public API ------------------------------------------------ */

static const struct fbx_attach_path_ops *path_ops(enum fbx_attach_path p)
{
	switch (p) {
	case FBX_ATTACH_UBLK:        return &fbx_attach_ublk;
	case FBX_ATTACH_NBD_NETLINK: return &fbx_attach_nbd_netlink;
	case FBX_ATTACH_NBD_IOCTL:   return &fbx_attach_nbd_ioctl;
	case FBX_ATTACH_FUSELOOP:    return &fbx_attach_fuseloop;
	default:                     return NULL;
	}
}

const char *fbx_attach_path_name(enum fbx_attach_path p)
{
	if (p == FBX_ATTACH_AUTO)
		return "auto";
	const struct fbx_attach_path_ops *o = path_ops(p);
	return o ? o->name : "unknown";
}

int fbx_attach_parse_path(const char *s, enum fbx_attach_path *out)
{
	static const struct { const char *name; enum fbx_attach_path p; } names[] = {
		{ "auto", FBX_ATTACH_AUTO },
		{ "ublk", FBX_ATTACH_UBLK },
		{ "nbd", FBX_ATTACH_NBD_NETLINK },
		{ "nbd-netlink", FBX_ATTACH_NBD_NETLINK },
		{ "netlink", FBX_ATTACH_NBD_NETLINK },
		{ "nbd-ioctl", FBX_ATTACH_NBD_IOCTL },
		{ "ioctl", FBX_ATTACH_NBD_IOCTL },
		{ "fuse", FBX_ATTACH_FUSELOOP },
		{ "loop", FBX_ATTACH_FUSELOOP },
		{ "fuse+loop", FBX_ATTACH_FUSELOOP },
		{ "fuseloop", FBX_ATTACH_FUSELOOP },
	};
	if (!s || !out)
		return -EINVAL;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].p;
			return 0;
		}
	return -EINVAL;
}

static void *sig_thread(void *arg)
{
	struct attach_full *f = arg;
	struct pollfd p[2] = {
		{ .fd = f->sig_fd, .events = POLLIN },
		{ .fd = f->quit_fd, .events = POLLIN },
	};
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (p[1].revents)
			return NULL;
		struct signalfd_siginfo si;
		if (p[0].revents && read(f->sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
			if (!f->at.opts.quiet)
				fprintf(stderr, "attach: %s: signal %u, detaching\n", f->at.device,
				        si.ssi_signo);
			fbx_attach_stop(&f->at);
		}
	}
}

static int start_signals(struct attach_full *f)
{
	sigset_t set;
	int e = fbx_block_stop_signals(&set, NULL);
	if (e)
		return e;
	f->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (f->sig_fd < 0)
		return -errno;
	f->quit_fd = fbx_attach_evfd();
	if (f->quit_fd < 0)
		return f->quit_fd;
	e = fbx_thread_start(&f->sig_thr, sig_thread, f, false);
	if (e)
		return e;
	f->sig_started = 1;
	return 0;
}

static void free_full(struct attach_full *f)
{
	if (f->sig_started) {
		fbx_attach_poke(f->quit_fd);
		pthread_join(f->sig_thr, NULL);
	}
	if (f->sig_fd >= 0)
		close(f->sig_fd);
	if (f->quit_fd >= 0)
		close(f->quit_fd);
	fbx_dev_fini(&f->at.dev);
	close(f->at.wake_fd);
	free(f);
}

/* One path: probe, start; on failure undo what start did. */
static int try_path(struct attach_full *f, enum fbx_attach_path p, bool auto_mode)
{
	struct fbx_attach *at = &f->at;
	const struct fbx_attach_path_ops *o = path_ops(p);
	char why[256] = "";
	int e = o->probe(why, sizeof why);
	if (e) {
		if (!auto_mode)
			fprintf(stderr, "attach: %s\n", why[0] ? why : strerror(-e));
		return e;
	}
	at->p = o;
	at->path = p;
	at->device[0] = 0;
	at->priv = NULL;
	atomic_store(&at->stopping, 0);
	drain(at->wake_fd);
	e = o->start(at);
	if (e) {
		o->destroy(at);
		at->priv = NULL;
		at->p = NULL;
		if (auto_mode && !at->opts.quiet)
			fprintf(stderr, "attach: %s failed (%s), trying the next way\n", o->name,
			        strerror(-e));
		return e;
	}
	return 0;
}

int fbx_attach_start(struct fbx_attach **out, const struct fbx_dev_ops *ops, size_t ops_size,
                     const struct fbx_dev_info *info, void *userdata,
                     const struct fbx_attach_opts *opts)
{
	if (!out || !ops || !info)
		return -EINVAL;
	*out = NULL;
	struct attach_full *f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	f->sig_fd = f->quit_fd = -1;
	struct fbx_attach *at = &f->at;
	if ((at->wake_fd = fbx_attach_evfd()) < 0) {
		int e = at->wake_fd;
		free(f);
		return e;
	}
	int e = fbx_dev_init(&at->dev, ops, ops_size, info, userdata);
	if (e) {
		fprintf(stderr, "attach: %s\n", e == -EINVAL ? "bad device: it needs a read "
		        "callback, a size that is a multiple of block_min, and block sizes that "
		        "are powers of two up to 32 MiB" : strerror(-e));
		close(at->wake_fd);
		free(f);
		return e;
	}
	fbx_dev_get_info(&at->dev, &at->info);
	if (opts)
		at->opts = *opts;
	atomic_init(&at->stopping, 0);

	if (at->opts.recover) {
		/* taking over names the device, and its kind names the path */
		if (fbx_attach_dev_index(at->opts.device, "/dev/ublkb") >= 0) {
			at->opts.path = FBX_ATTACH_UBLK;
		} else if (fbx_attach_dev_index(at->opts.device, "/dev/nbd") >= 0) {
			at->opts.path = FBX_ATTACH_NBD_NETLINK;
		} else {
			fprintf(stderr, "attach: recover: %s is not a device that can be taken over "
			        "(/dev/ublkbN, /dev/nbdN)\n", at->opts.device ? at->opts.device
			                                                 : "no device");
			free_full(f);
			return -EINVAL;
		}
	}
	if (at->opts.handle_signals && (e = start_signals(f)) != 0) {
		fprintf(stderr, "attach: cannot set up signal handling: %s\n", strerror(-e));
		free_full(f);
		return e;
	}

	if (at->opts.path == FBX_ATTACH_AUTO) {
		static const enum fbx_attach_path order[] = {
			FBX_ATTACH_UBLK, FBX_ATTACH_NBD_NETLINK, FBX_ATTACH_NBD_IOCTL,
			FBX_ATTACH_FUSELOOP,
		};
		/* a device named for nbd means one of the nbd paths */
		bool nbd_dev = fbx_attach_dev_index(at->opts.device, "/dev/nbd") >= 0;
		e = -ENODEV;
		for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
			if (nbd_dev && order[i] != FBX_ATTACH_NBD_NETLINK &&
			    order[i] != FBX_ATTACH_NBD_IOCTL)
				continue;
			e = try_path(f, order[i], true);
			if (e == 0)
				break;
		}
		if (e) {
			fprintf(stderr, "attach: no way to attach a block device on this machine:\n");
			for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
				char why[256] = "";
				if (nbd_dev && order[i] != FBX_ATTACH_NBD_NETLINK &&
				    order[i] != FBX_ATTACH_NBD_IOCTL)
					continue;
				if (path_ops(order[i])->probe(why, sizeof why) != 0)
					fprintf(stderr, "  %s\n", why);
			}
		}
	} else if (path_ops(at->opts.path)) {
		e = try_path(f, at->opts.path, false);
	} else {
		fprintf(stderr, "attach: unknown path %d\n", (int)at->opts.path);
		e = -EINVAL;
	}
	if (e) {
		free_full(f);
		return e;
	}
	f->started = 1;
	if (!at->opts.quiet)
		fprintf(stderr, "attach: %s is the device (%s, %llu bytes)\n", at->device,
		        at->p->name, (unsigned long long)at->info.size);
	*out = at;
	return 0;
}

const char *fbx_attach_device(const struct fbx_attach *at)
{
	return at ? at->device : "";
}

enum fbx_attach_path fbx_attach_path_taken(const struct fbx_attach *at)
{
	return at ? at->path : FBX_ATTACH_AUTO;
}

int fbx_attach_wait(struct fbx_attach *at)
{
	if (!at)
		return -EINVAL;
	struct attach_full *f = (struct attach_full *)at;
	int e = at->p->wait(at);
	f->waited = 1;
	return e;
}

void fbx_attach_stop(struct fbx_attach *at)
{
	if (!at)
		return;
	atomic_store(&at->stopping, 1);
	fbx_attach_wake(at);
}

void fbx_attach_destroy(struct fbx_attach *at)
{
	if (!at)
		return;
	struct attach_full *f = (struct attach_full *)at;
	if (f->started) {
		if (!f->waited) {
			fbx_attach_stop(at);
			at->p->wait(at);
		}
		at->p->destroy(at);
		if (!at->opts.quiet)
			fprintf(stderr, "attach: %s detached\n", at->device);
	}
	free_full(f);
}
