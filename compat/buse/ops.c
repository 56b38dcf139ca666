/*
 * compat/buse/ops.c -- BUSE's callbacks as a struct fbx_dev_ops.
 *
 * fusebox's device-call layer has already checked each request (range,
 * alignment, read-only, the 32 MiB cap on a read or write), so what is
 * left is the shape of the call: argument order, 32-bit lengths, BUSE's
 * error convention, and BUSE's promise of one callback at a time.
 */
#include "buse_int.h"

#include <errno.h>
#include <stdint.h>

int fbx_buse_errno(int r)
{
	if (r == 0)
		return 0;
	/* BUSE sent the value on as the NBD error: any non-zero one is a
	 * failure, whichever sign the program gave it. -1 is C's "failed",
	 * not EPERM. */
	if (r > 0 && r < 4096)
		return -r;
	if (r < -1 && r > -4096)
		return r;
	return -EIO;
}

static void enter(struct fbx_buse *b)
{
	while (sem_wait(&b->slots) != 0) {
		/* EINTR: the only error sem_wait can give here */
	}
}

static void leave(struct fbx_buse *b)
{
	sem_post(&b->slots);
}

static int b_read(void *ud, void *buf, uint64_t len, uint64_t off, unsigned flags)
{
	struct fbx_buse *b = ud;
	enter(b);
	int r = b->bop.read(buf, (u_int32_t)len, off, b->userdata);
	leave(b);
	return fbx_buse_errno(r);
}

static int b_write(void *ud, const void *buf, uint64_t len, uint64_t off, unsigned flags)
{
	struct fbx_buse *b = ud;
	enter(b);
	int r = b->bop.write(buf, (u_int32_t)len, off, b->userdata);
	leave(b);
	return fbx_buse_errno(r);
}

static int b_flush(void *ud, unsigned flags)
{
	struct fbx_buse *b = ud;
	enter(b);
	int r = b->bop.flush(b->userdata);
	leave(b);
	return fbx_buse_errno(r);
}

/* A discard from ublk or FUSE+loop may be longer than BUSE's 32-bit
 * length: pass it on in pieces that are whole 4 KiB blocks (so aligned
 * to any blksize), in order, stopping at the first error. */
static int b_trim(void *ud, uint64_t len, uint64_t off, unsigned flags)
{
	struct fbx_buse *b = ud;
	const uint64_t piece = UINT32_MAX & ~(uint64_t)4095;
	int r = 0;
	while (r == 0 && len > 0) {
		uint64_t n = len < piece ? len : piece;
		enter(b);
		r = fbx_buse_errno(b->bop.trim(off, (u_int32_t)n, b->userdata));
		leave(b);
		off += n;
		len -= n;
	}
	return r;
}

void fbx_buse_dev_ops(const struct buse_operations *bop, struct fbx_dev_ops *ops)
{
	*ops = (struct fbx_dev_ops){
		.read = b_read,
		.write = bop->write ? b_write : NULL,
		.flush = bop->flush ? b_flush : NULL,
		.trim = bop->trim ? b_trim : NULL,
	};
}
