/*
 * t_devcall -- the device-call layer's promises (lib/dev/dev.h), seen
 * by a recording device: first called directly, then through the NBD
 * server (raw transmission over a socketpair), then through FUSE+loop
 * (root, /dev/fuse and loop needed; skipped otherwise). The same rules
 * are asserted for each: a FUA write is durable when it returns (the
 * callback got FBX_DEV_FUA, or a flush followed), a read-only device
 * never sees a write, nothing outside the device reaches it.
 * ublk shares these calls; tests/vm runs it in a VM.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fusebox/attach.h"
#include "fusebox/blockdev.h"
#include "dev/dev.h"
#include "../lib/check.h"

#define SIZE (4u << 20)
#define MAXLOG 4096

enum { OP_READ, OP_WRITE, OP_FLUSH, OP_TRIM, OP_ZERO };
static const char *const opname[] = { "read", "write", "flush", "trim", "zero" };

struct call { int op; uint64_t len, off; unsigned flags; };

struct rec {
	pthread_mutex_t lock;
	struct call log[MAXLOG];
	unsigned n;
	int ret;                  /* what write returns (to test error mapping) */
	uint8_t data[SIZE];
};

static void note(struct rec *r, int op, uint64_t len, uint64_t off, unsigned flags)
{
	pthread_mutex_lock(&r->lock);
	if (r->n < MAXLOG)
		r->log[r->n++] = (struct call){ op, len, off, flags };
	pthread_mutex_unlock(&r->lock);
}

static int r_read(void *ud, void *buf, uint64_t len, uint64_t off, unsigned flags)
{
	struct rec *r = ud;
	note(r, OP_READ, len, off, flags);
	if (off + len > SIZE)
		return -EFAULT;       /* the layer must never let this through */
	memcpy(buf, r->data + off, len);
	return 0;
}

static int r_write(void *ud, const void *buf, uint64_t len, uint64_t off, unsigned flags)
{
	struct rec *r = ud;
	note(r, OP_WRITE, len, off, flags);
	if (off + len > SIZE)
		return -EFAULT;
	memcpy(r->data + off, buf, len);
	return r->ret;
}

static int r_flush(void *ud, unsigned flags)
{
	note(ud, OP_FLUSH, 0, 0, flags);
	return 0;
}

static int r_trim(void *ud, uint64_t len, uint64_t off, unsigned flags)
{
	note(ud, OP_TRIM, len, off, flags);
	return 0;
}

static int r_zero(void *ud, uint64_t len, uint64_t off, unsigned flags)
{
	note(ud, OP_ZERO, len, off, flags);
	return 0;
}

static const struct fbx_dev_ops rec_ops = {
	.read = r_read, .write = r_write, .flush = r_flush, .trim = r_trim, .write_zeroes = r_zero,
};

static void reset(struct rec *r)
{
	pthread_mutex_lock(&r->lock);
	r->n = 0;
	r->ret = 0;
	pthread_mutex_unlock(&r->lock);
}

static struct rec *rec_new(void)
{
	struct rec *r = calloc(1, sizeof *r);
	CHECK_FATAL(r != NULL);
	pthread_mutex_init(&r->lock, NULL);
	return r;
}

/* The call of op at off, or -1. */
static int find(struct rec *r, int op, uint64_t off, unsigned from)
{
	for (unsigned i = from; i < r->n; i++)
		if (r->log[i].op == op && r->log[i].off == off)
			return (int)i;
	return -1;
}

static int count(struct rec *r, int op)
{
	int n = 0;
	for (unsigned i = 0; i < r->n; i++)
		n += r->log[i].op == op;
	return n;
}

/* The rules every frontend must show. */

/* The op at off with FUA asked for was made durable: FBX_DEV_FUA on a
 * device that can do it, else no FUA flag and a flush after it. */
static void expect_durable(const char *via, struct rec *r, int op, uint64_t off, bool can_fua)
{
	int i = find(r, op, off, 0);
	if (i < 0) {
		check_fail(__FILE__, __LINE__, "%s: no %s at %llu", via, opname[op],
		           (unsigned long long)off);
		return;
	}
	bool fua = r->log[i].flags & FBX_DEV_FUA;
	bool flushed = find(r, OP_FLUSH, 0, (unsigned)i + 1) >= 0;
	if (!(fua || flushed))
		check_fail(__FILE__, __LINE__, "%s: %s at %llu not made durable", via, opname[op],
		           (unsigned long long)off);
	if (fua && !can_fua)
		check_fail(__FILE__, __LINE__, "%s: FUA flag reached a device without FUA", via);
	check_count++;
}

/* Nothing the device saw leaves it. */
static void expect_inside(const char *via, struct rec *r)
{
	for (unsigned i = 0; i < r->n; i++)
		if (r->log[i].off > SIZE || r->log[i].len > SIZE - r->log[i].off)
			check_fail(__FILE__, __LINE__, "%s: %s at %llu+%llu is outside the device", via,
			           opname[r->log[i].op], (unsigned long long)r->log[i].off,
			           (unsigned long long)r->log[i].len);
	check_count++;
}

static void expect_no_writes(const char *via, struct rec *r)
{
	if (count(r, OP_WRITE) || count(r, OP_TRIM) || count(r, OP_ZERO))
		check_fail(__FILE__, __LINE__, "%s: a read-only device was written", via);
	check_count++;
}

/* ---------- 1. the layer itself ---------- */

static void direct(void)
{
	struct rec *r = rec_new();
	struct fbx_dev d;
	uint8_t buf[8192] = { 0 };
	struct fbx_dev_info info = { .size = SIZE, .block_max = 4096 };
	CHECK_FATAL(fbx_dev_init(&d, &rec_ops, sizeof rec_ops, &info, r) == 0);

	/* FUA emulated the same way for write, trim and zero */
	CHECK_EQ_INT(fbx_dev_write(&d, buf, 512, 0, FBX_DEV_FUA), 0);
	CHECK_EQ_INT(fbx_dev_trim(&d, 512, 4096, FBX_DEV_FUA), 0);
	CHECK_EQ_INT(fbx_dev_zero(&d, 512, 8192, FBX_DEV_FUA | FBX_DEV_NO_HOLE), 0);
	CHECK_EQ_INT(r->n, 6);
	expect_durable("direct", r, OP_WRITE, 0, false);
	expect_durable("direct", r, OP_TRIM, 4096, false);
	expect_durable("direct", r, OP_ZERO, 8192, false);
	CHECK_EQ_INT(r->log[4].flags, FBX_DEV_NO_HOLE);   /* translated flag kept */

	/* ranges: past the end, empty, wrapping: the device is not called */
	reset(r);
	CHECK_EQ_INT(fbx_dev_read(&d, buf, 4096, SIZE - 512), -EINVAL);
	CHECK_EQ_INT(fbx_dev_write(&d, buf, 4096, SIZE - 512, 0), -ENOSPC);
	CHECK_EQ_INT(fbx_dev_zero(&d, 1024, SIZE, 0), -ENOSPC);
	CHECK_EQ_INT(fbx_dev_trim(&d, UINT64_MAX, 512, 0), -ENOSPC);
	CHECK_EQ_INT(fbx_dev_read(&d, buf, 0, 0), -EINVAL);
	CHECK_EQ_INT(r->n, 0);

	/* over block_max: split, never more than the device takes */
	CHECK_EQ_INT(fbx_dev_read(&d, buf, 8192, 0), 0);
	CHECK_EQ_INT(r->n, 2);
	CHECK(r->log[0].len == 4096 && r->log[1].len == 4096 && r->log[1].off == 4096);

	/* error mapping: positive is success, a non-errno is EIO */
	reset(r);
	r->ret = 7;
	CHECK_EQ_INT(fbx_dev_write(&d, buf, 512, 0, 0), 0);
	r->ret = -100000;
	CHECK_EQ_INT(fbx_dev_write(&d, buf, 512, 0, 0), -EIO);
	r->ret = -ENOSPC;
	CHECK_EQ_INT(fbx_dev_write(&d, buf, 512, 0, FBX_DEV_FUA), -ENOSPC);
	CHECK_EQ_INT(count(r, OP_FLUSH), 0);   /* no flush after a failed write */
	fbx_dev_fini(&d);

	/* can_fua: passed on, no extra flush; unknown flags dropped */
	reset(r);
	info.can_fua = true;
	CHECK_FATAL(fbx_dev_init(&d, &rec_ops, sizeof rec_ops, &info, r) == 0);
	CHECK_EQ_INT(fbx_dev_write(&d, buf, 512, 0, FBX_DEV_FUA | FBX_DEV_REQ_ONE), 0);
	CHECK_EQ_INT(r->n, 1);
	CHECK_EQ_INT(r->log[0].flags, FBX_DEV_FUA);
	fbx_dev_fini(&d);

	/* read-only */
	reset(r);
	info.read_only = true;
	CHECK_FATAL(fbx_dev_init(&d, &rec_ops, sizeof rec_ops, &info, r) == 0);
	CHECK_EQ_INT(fbx_dev_write(&d, buf, 512, 0, 0), -EPERM);
	CHECK_EQ_INT(fbx_dev_trim(&d, 512, 0, 0), -EPERM);
	CHECK_EQ_INT(fbx_dev_zero(&d, 512, 0, 0), -EPERM);
	expect_no_writes("direct", r);
	fbx_dev_fini(&d);

	/* alignment to block_min, and bad devices refused */
	info = (struct fbx_dev_info){ .size = SIZE, .block_min = 512 };
	CHECK_FATAL(fbx_dev_init(&d, &rec_ops, sizeof rec_ops, &info, r) == 0);
	CHECK_EQ_INT(fbx_dev_read(&d, buf, 100, 0), -EINVAL);
	fbx_dev_fini(&d);
	info.size = SIZE + 1;
	CHECK_EQ_INT(fbx_dev_init(&d, &rec_ops, sizeof rec_ops, &info, r), -EINVAL);
	free(r);
}

/* ---------- 2. through NBD ---------- */

struct served { struct fbx_nbd_server *srv; int fd; };

static void *serve(void *arg)
{
	struct served *s = arg;
	fbx_nbd_server_serve_transmission_fd(s->srv, s->fd);
	return NULL;
}

static void be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint32_t ld32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int full(int fd, void *p, size_t n, bool out)
{
	while (n) {
		ssize_t k = out ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);
		if (k <= 0)
			return -1;
		p = (uint8_t *)p + k;
		n -= (size_t)k;
	}
	return 0;
}

/* One request; returns the reply's NBD error (0 ok), -1 on a broken
 * connection. Reads the data of a successful read. */
static int nbd_req(int fd, uint16_t type, uint16_t flags, uint64_t off, uint32_t len)
{
	static uint8_t payload[1 << 16];
	uint8_t h[28];
	be(h, 0x25609513, 4);
	be(h + 4, flags, 2);
	be(h + 6, type, 2);
	be(h + 8, 42, 8);
	be(h + 16, off, 8);
	be(h + 24, len, 4);
	if (full(fd, h, 28, true) || (type == 1 && full(fd, payload, len, true)))
		return -1;
	uint8_t rep[16];
	if (full(fd, rep, 16, false) || ld32(rep) != 0x67446698)
		return -1;
	uint32_t err = ld32(rep + 4);
	if (!err && type == 0 && full(fd, payload, len, false))
		return -1;
	return (int)err;
}

enum { CMD_READ = 0, CMD_WRITE = 1, CMD_DISC = 2, CMD_TRIM = 4, CMD_ZERO = 6 };
#define F_FUA 1
#define F_NO_HOLE 2

static void via_nbd(bool can_fua, bool ro)
{
	struct rec *r = rec_new();
	struct fbx_dev_info info = { .size = SIZE, .can_fua = can_fua, .read_only = ro };
	struct fbx_nbd_server *srv = fbx_nbd_server_new(&rec_ops, sizeof rec_ops, &info, r);
	CHECK_FATAL(srv != NULL);
	fbx_nbd_server_set_verbose(srv, false);
	int sv[2];
	CHECK_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	struct served s = { srv, sv[1] };
	pthread_t t;
	CHECK_FATAL(pthread_create(&t, NULL, serve, &s) == 0);
	int fd = sv[0];
	const char *via = ro ? "nbd read-only" : can_fua ? "nbd fua" : "nbd";

	if (ro) {
		CHECK_EQ_INT(nbd_req(fd, CMD_WRITE, 0, 0, 4096), 1);        /* EPERM */
		CHECK_EQ_INT(nbd_req(fd, CMD_READ, 0, 0, 4096), 0);
		expect_no_writes(via, r);
	} else {
		CHECK_EQ_INT(nbd_req(fd, CMD_WRITE, F_FUA, 0, 4096), 0);
		CHECK_EQ_INT(nbd_req(fd, CMD_TRIM, F_FUA, 8192, 4096), 0);
		CHECK_EQ_INT(nbd_req(fd, CMD_ZERO, F_FUA | F_NO_HOLE, 16384, 4096), 0);
		expect_durable(via, r, OP_WRITE, 0, can_fua);
		expect_durable(via, r, OP_TRIM, 8192, can_fua);
		expect_durable(via, r, OP_ZERO, 16384, can_fua);
		int z = find(r, OP_ZERO, 16384, 0);
		CHECK(z >= 0 && (r->log[z].flags & FBX_DEV_NO_HOLE));
		/* past the end: refused, the device sees nothing of it */
		unsigned n0 = r->n;
		CHECK_EQ_INT(nbd_req(fd, CMD_WRITE, 0, SIZE - 512, 4096), 28);  /* ENOSPC */
		CHECK_EQ_INT(nbd_req(fd, CMD_READ, 0, SIZE, 512), 22);          /* EINVAL */
		CHECK_EQ_INT(r->n, n0);
	}
	expect_inside(via, r);
	uint8_t h[28] = { 0 };
	be(h, 0x25609513, 4);
	be(h + 6, CMD_DISC, 2);
	full(fd, h, 28, true);
	pthread_join(t, NULL);
	close(fd);
	fbx_nbd_server_destroy(srv);
	free(r);
}

/* ---------- 3. through FUSE+loop ---------- */

static int via_fuseloop(bool can_fua, bool ro)
{
	struct rec *r = rec_new();
	struct fbx_dev_info info = { .size = SIZE, .can_fua = can_fua, .read_only = ro };
	struct fbx_attach_opts o = { .path = FBX_ATTACH_FUSELOOP, .quiet = true };
	struct fbx_attach *at;
	int e = fbx_attach_start(&at, &rec_ops, sizeof rec_ops, &info, r, &o);
	if (e) {
		free(r);
		return e;
	}
	const char *dev = fbx_attach_device(at);
	const char *via = ro ? "fuse+loop read-only" : can_fua ? "fuse+loop fua" : "fuse+loop";
	void *buf;
	CHECK_FATAL(posix_memalign(&buf, 4096, 4096) == 0);
	memset(buf, 0xab, 4096);
	if (ro) {
		int fd = open(dev, O_RDWR | O_DIRECT);
		if (fd >= 0) {
			CHECK(pwrite(fd, buf, 4096, 0) < 0);
			close(fd);
		}
		expect_no_writes(via, r);
	} else {
		int fd = open(dev, O_RDWR | O_DIRECT | O_DSYNC);
		CHECK_FATAL(fd >= 0);
		CHECK_EQ_INT(pwrite(fd, buf, 4096, 0), 4096);   /* REQ_FUA to the loop device */
		expect_durable(via, r, OP_WRITE, 0, can_fua);
		/* past the end: the kernel stops it; nothing reaches the device */
		CHECK(pwrite(fd, buf, 4096, SIZE) <= 0);
		CHECK_EQ_INT(pread(fd, buf, 4096, SIZE), 0);
		close(fd);
	}
	expect_inside(via, r);
	free(buf);
	fbx_attach_stop(at);
	fbx_attach_wait(at);
	fbx_attach_destroy(at);
	free(r);
	return 0;
}

int main(void)
{
	direct();
	for (int i = 0; i < 3; i++)
		via_nbd(i == 1, i == 2);
	const char *skip = NULL;
	if (geteuid() != 0)
		skip = "fuse+loop part needs root";
	else if (access("/dev/loop-control", W_OK) || access("/dev/fuse", W_OK))
		skip = "fuse+loop part needs /dev/loop-control and /dev/fuse";
	for (int i = 0; !skip && i < 3; i++) {
		int e = via_fuseloop(i == 1, i == 2);
		if (e)
			skip = "fuse+loop: attach failed (see above)";
	}
	int rc = check_exit();
	if (rc == 0 && skip)
		check_skip("direct and NBD passed; %s", skip);
	return rc;
}
