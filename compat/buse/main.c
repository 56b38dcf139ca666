/*
 * compat/buse/main.c -- buse_main: BUSE's one call, as a kernel attach
 * of fusebox/attach.h.
 *
 * The program named an nbd device; the environment may choose another
 * path (buse.h lists FBX_ATTACH and friends). The device's callbacks
 * are the program's, wrapped by ops.c; the rest (kernel attach, NBD,
 * signals, detaching cleanly) is libfusebox's public API.
 */
#include "buse_int.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusebox/attach.h"

#define ME "buse_main"
#define MAX_THREADS 64u   /* fbx_dev_info.threads' own cap */

/* "/dev/nbdN": what BUSE programs are given, and all buse_main takes. */
static bool is_nbd_name(const char *s)
{
	static const char prefix[] = "/dev/nbd";
	if (!s || strncmp(s, prefix, sizeof prefix - 1) != 0)
		return false;
	size_t n = strspn(s + sizeof prefix - 1, "0123456789");
	return n > 0 && n <= 6 && s[sizeof prefix - 1 + n] == 0;
}

/* The environment variable name as an unsigned in [lo, hi]; dflt when
 * unset or empty. -EINVAL (with a message) for anything else. */
static int env_uint(const char *name, unsigned lo, unsigned hi, unsigned dflt,
                    unsigned *out)
{
	const char *s = getenv(name);
	*out = dflt;
	if (!s || !*s)
		return 0;
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || s[0] == '-' || v < lo || v > hi) {
		fprintf(stderr, "%s: %s=%s: expected a number from %u to %u\n", ME, name, s,
		        lo, hi);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

/* Which path, and which device, from dev and FBX_ATTACH. */
static int attach_opts(const char *dev, struct fbx_attach_opts *o)
{
	/* AUTO with /dev/nbdN named: the nbd paths on that device only */
	o->path = FBX_ATTACH_AUTO;
	o->device = dev;
	o->handle_signals = true;
	const char *env = getenv("FBX_ATTACH");
	if (env && *env) {
		if (fbx_attach_parse_path(env, &o->path) < 0) {
			fprintf(stderr, "%s: FBX_ATTACH=%s: unknown attach path (auto, ublk, "
			        "nbd-netlink, nbd-ioctl, fuse)\n", ME, env);
			return -EINVAL;
		}
		/* The named device is an nbd one: other paths make their own. */
		if (o->path != FBX_ATTACH_NBD_NETLINK && o->path != FBX_ATTACH_NBD_IOCTL)
			o->device = NULL;
	}
	return env_uint("FBX_ATTACH_DEAD_TIMEOUT", 1, 86400, 0, &o->dead_timeout);
}

static void say_attach_error(const char *dev, int e)
{
	const char *env = getenv("FBX_ATTACH");
	bool chosen = env && *env;
	fprintf(stderr, "%s: cannot attach %s%s%s%s: %s\n", ME, dev,
	        chosen ? " (FBX_ATTACH=" : "", chosen ? env : "", chosen ? ")" : "",
	        e == -ENODEV ? "the kernel lacks that way (see above)" : strerror(-e));
	if (e == -ENODEV && !chosen)
		fprintf(stderr, "%s: load the module (modprobe nbd), or set FBX_ATTACH=auto "
		        "to take the best way this kernel has (ublk, FUSE+loop)\n", ME);
}

/* Attach, serve until detached, call disc. 0 or a negated errno. */
static int serve(const char *dev, struct fbx_buse *b, const struct fbx_dev_info *info,
                 const struct fbx_attach_opts *o)
{
	struct fbx_dev_ops ops;
	fbx_buse_dev_ops(&b->bop, &ops);
	struct fbx_attach *at;
	int e = fbx_attach_start(&at, &ops, sizeof ops, info, b, o);
	if (e) {
		say_attach_error(dev, e);
		return e;
	}
	char got[64];   /* kept past fbx_attach_destroy, for the last message */
	snprintf(got, sizeof got, "%s", fbx_attach_device(at));
	if (strcmp(got, dev) != 0)
		fprintf(stderr, "%s: %s is the device (%s), not %s\n", ME, got,
		        fbx_attach_path_name(fbx_attach_path_taken(at)), dev);
	e = fbx_attach_wait(at);
	fbx_attach_destroy(at);
	if (e)
		fprintf(stderr, "%s: %s: %s\n", ME, got, strerror(-e));
	if (b->bop.disc)
		b->bop.disc(b->userdata);
	return e;
}

static int run(const char *dev, const struct buse_operations *bop, void *userdata)
{
	if (!bop || !bop->read) {
		fprintf(stderr, "%s: %s\n", ME, bop ? "no read callback in buse_operations"
		        : "no buse_operations");
		return -EINVAL;
	}
	if (!is_nbd_name(dev)) {
		fprintf(stderr, "%s: %s: not an nbd device name (/dev/nbdN)\n", ME,
		        dev ? dev : "(null)");
		return -EINVAL;
	}
	char why[200];
	struct fbx_dev_info info = { 0 };
	int e = fbx_buse_geometry(bop, &info, why, sizeof why);
	if (e) {
		fprintf(stderr, "%s: %s\n", ME, why);
		return e;
	}
	struct fbx_attach_opts o = { 0 };
	unsigned threads;
	if ((e = attach_opts(dev, &o)) != 0 ||
	    (e = env_uint("FBX_BUSE_THREADS", 1, MAX_THREADS, 1, &threads)) != 0)
		return e;
	info.threads = threads;
	info.can_multi_conn = threads > 1;

	struct fbx_buse b = { .bop = *bop, .userdata = userdata };
	if (sem_init(&b.slots, 0, threads) != 0)
		return -errno;
	/* the attach blocks the stop signals in this thread: give the
	 * program back the mask it had */
	sigset_t mask;
	pthread_sigmask(SIG_BLOCK, NULL, &mask);
	e = serve(dev, &b, &info, &o);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	sem_destroy(&b.slots);
	return e;
}

int buse_main(const char *dev_file, const struct buse_operations *bop, void *userdata)
{
	int e = run(dev_file, bop, userdata);
	if (e) {
		errno = -e;
		return 1;
	}
	return 0;
}
