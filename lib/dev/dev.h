/*
 * lib/dev/dev.h -- the device-call layer: the one checked entry every
 * frontend (the NBD server, ublk, FUSE+loop) uses to reach a device's
 * callbacks. Not installed.
 *
 * A frontend never calls struct fbx_dev_ops itself. It wraps the
 * program's ops and info once in a struct fbx_dev (fbx_dev_init, which
 * also validates them) and calls fbx_dev_read/write/... per request.
 * These apply fusebox/blockdev.h's promises in one place:
 *  - read-only: a device that is read-only (info.read_only or no write
 *    callback) never sees write, trim or write_zeroes: -EPERM;
 *  - ranges: [off, off+len) inside the device, len > 0, aligned to
 *    block_min; past the end a write or zeroing gets -ENOSPC, anything
 *    else -EINVAL, and the device is not called;
 *  - reads and writes over block_max are split into block_max pieces,
 *    so a callback never sees more than the device said it takes;
 *  - a missing callback: -EOPNOTSUPP (flush, cache: nothing to do, 0);
 *  - FUA: passed on as FBX_DEV_FUA when info.can_fua, else honoured by
 *    a flush after a successful write, trim or write_zeroes (and
 *    dropped when there is no flush callback: such a device has no
 *    cache to write back);
 *  - flags: only those the callback's documentation lists reach it;
 *  - errors: a callback's positive return is success, anything that is
 *    not a negated errno (below -4095) becomes -EIO.
 */
#ifndef FBX_DEV_H
#define FBX_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fusebox/blockdev.h"

#define FBX_DEV_MAX_PAYLOAD (32u << 20)   /* cap on block_max */

struct fbx_dev {
	struct fbx_dev_ops ops;
	void *ud;
	uint64_t size;
	uint32_t block_min, block_pref, block_max;
	bool read_only;          /* effective: info.read_only or no write */
	bool can_fua, can_multi_conn, rotational, nonblocking, strict_name;
	unsigned threads;        /* 1..64 */
	char *name, *desc;       /* owned copies (name never NULL) */
};

/** Copy ops (ops_size bytes of them) and info into d, with defaults
 *  filled in. 0, or -EINVAL (no read callback, size 0 or not a multiple
 *  of block_min, bad block sizes, map without unmap or the reverse, a
 *  string over 4096 bytes) or -ENOMEM. */
int fbx_dev_init(struct fbx_dev *d, const struct fbx_dev_ops *ops, size_t ops_size,
                 const struct fbx_dev_info *info, void *ud);
/** Free what init allocated. */
void fbx_dev_fini(struct fbx_dev *d);
/** d as a struct fbx_dev_info (strings point into d). */
void fbx_dev_get_info(const struct fbx_dev *d, struct fbx_dev_info *info);

/* What a frontend may offer (features with no callback are not). */
static inline bool fbx_dev_writable(const struct fbx_dev *d) { return !d->read_only; }
static inline bool fbx_dev_can_flush(const struct fbx_dev *d) { return d->ops.flush != NULL; }
static inline bool fbx_dev_can_trim(const struct fbx_dev *d)
{ return !d->read_only && d->ops.trim; }
static inline bool fbx_dev_can_zero(const struct fbx_dev *d)
{ return !d->read_only && d->ops.write_zeroes; }
/** FUA can be offered: the device does it, or a flush emulates it. */
static inline bool fbx_dev_can_fua(const struct fbx_dev *d)
{ return !d->read_only && (d->can_fua || d->ops.flush); }

/* The calls. flags: FBX_DEV_* as blockdev.h lists them per callback;
 * others are dropped. Each returns 0 or a negated errno. */
int fbx_dev_read(struct fbx_dev *d, void *buf, uint64_t len, uint64_t off);
int fbx_dev_write(struct fbx_dev *d, const void *buf, uint64_t len, uint64_t off,
                  unsigned flags);
int fbx_dev_flush(struct fbx_dev *d);
int fbx_dev_trim(struct fbx_dev *d, uint64_t len, uint64_t off, unsigned flags);
int fbx_dev_zero(struct fbx_dev *d, uint64_t len, uint64_t off, unsigned flags);
int fbx_dev_cache(struct fbx_dev *d, uint64_t len, uint64_t off);
/** extents as the callback (-EOPNOTSUPP without one). */
int fbx_dev_extents(struct fbx_dev *d, uint64_t len, uint64_t off, unsigned flags,
                    struct fbx_extents *ex);
/** map as the callback: n iovecs, -ENOBUFS, or -errno; -EOPNOTSUPP
 *  without map; FBX_DEV_MAP_WRITE on a read-only device: -EPERM. */
int fbx_dev_map(struct fbx_dev *d, struct iovec *iov, int max, uint64_t len, uint64_t off,
                unsigned flags);
/** End a map. For a write (flags FBX_DEV_MAP_WRITE, plus FBX_DEV_FUA
 *  when the client asked for it) FUA is passed on or emulated as for
 *  fbx_dev_write. */
int fbx_dev_unmap(struct fbx_dev *d, const struct iovec *iov, int n, uint64_t len,
                  uint64_t off, unsigned flags);
/** A connection ended. */
void fbx_dev_disc(struct fbx_dev *d);

/* ---- extents lists (extents.c) ---- */

struct fbx_extent_item {
	uint64_t len;
	uint32_t type;
};

struct fbx_extents {
	uint64_t next, end;        /* next expected offset, end of asked range */
	unsigned n, cap;
	bool one;
	struct fbx_extent_item *v;
};
void fbx_extents_reset(struct fbx_extents *ex, struct fbx_extent_item *v, unsigned cap,
                       uint64_t off, uint64_t len, bool one);

/* arena_backing.c: whether the memory disk's next arena is a trial of
 * both page sizes (its first FBX_BACKING_HEAD bytes huge pages, the next
 * as many small ones, each populated and timed), and which madvise(2)
 * hint backs the rest of it (MADV_HUGEPAGE or MADV_NOHUGEPAGE). Zeroed
 * is the initial state; every arena made calls next() or, after a
 * trial, result() with the two times (< 0: populating failed). */
#define FBX_BACKING_HEAD (4u << 20)
struct fbx_backing {
	unsigned arenas;     /* made so far */
	unsigned trial_at;   /* the arena that is the next trial */
	unsigned every;      /* arenas between trials */
	int chosen;          /* the quicker hint; 0 before the first trial */
	int untimed;         /* populating is not supported: always huge */
};
int fbx_backing_trial(const struct fbx_backing *b);
int fbx_backing_advice(const struct fbx_backing *b);
void fbx_backing_next(struct fbx_backing *b);
void fbx_backing_result(struct fbx_backing *b, int64_t huge_ns, int64_t small_ns);

#endif
