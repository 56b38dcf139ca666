/*
 * lib/dev/call.c -- the checked calls of the device-call layer (dev.h
 * says what each promises). Every frontend comes through here, so the
 * rules of blockdev.h hold the same for NBD, ublk and FUSE+loop.
 */
#include <errno.h>

#include "dev/dev.h"

/* A callback's result as the frontends may pass it on. */
static int status(int r)
{
	if (r >= 0)
		return 0;
	return r < -4095 ? -EIO : r;
}

/* 0 if [off, off+len) is a request the device may see; past_end is the
 * error for a range that leaves the device. */
static int range(const struct fbx_dev *d, uint64_t len, uint64_t off, int past_end)
{
	if (len == 0)
		return -EINVAL;
	if (off > d->size || len > d->size - off)
		return past_end;
	if (((off | len) & (uint64_t)(d->block_min - 1)) != 0)
		return -EINVAL;
	return 0;
}

static int writing(const struct fbx_dev *d, uint64_t len, uint64_t off)
{
	if (d->read_only)
		return -EPERM;
	return range(d, len, off, -ENOSPC);
}

/* What FUA becomes for the callback: passed on, or 0 with *after set
 * when a flush afterwards has to make up for it. */
static unsigned fua_flag(const struct fbx_dev *d, unsigned flags, bool *after)
{
	*after = false;
	if (!(flags & FBX_DEV_FUA))
		return 0;
	if (d->can_fua)
		return FBX_DEV_FUA;
	*after = d->ops.flush != NULL;
	return 0;
}

static int finish(struct fbx_dev *d, int r, bool flush_after)
{
	r = status(r);
	if (r == 0 && flush_after)
		r = status(d->ops.flush(d->ud, 0));
	return r;
}

int fbx_dev_read(struct fbx_dev *d, void *buf, uint64_t len, uint64_t off)
{
	int r = range(d, len, off, -EINVAL);
	for (uint64_t done = 0; r == 0 && done < len; done += d->block_max) {
		uint64_t n = len - done < d->block_max ? len - done : d->block_max;
		r = status(d->ops.read(d->ud, (char *)buf + done, n, off + done, 0));
	}
	return r;
}

int fbx_dev_write(struct fbx_dev *d, const void *buf, uint64_t len, uint64_t off,
                  unsigned flags)
{
	int r = writing(d, len, off);
	if (r)
		return r;
	bool after;
	unsigned fl = fua_flag(d, flags, &after);
	for (uint64_t done = 0; r == 0 && done < len; done += d->block_max) {
		uint64_t n = len - done < d->block_max ? len - done : d->block_max;
		/* FUA covers the whole request: on the last piece it is enough
		 * only if the earlier ones are durable too, so each carries it */
		r = status(d->ops.write(d->ud, (const char *)buf + done, n, off + done, fl));
	}
	return finish(d, r, after);
}

int fbx_dev_flush(struct fbx_dev *d)
{
	return d->ops.flush ? status(d->ops.flush(d->ud, 0)) : 0;
}

int fbx_dev_trim(struct fbx_dev *d, uint64_t len, uint64_t off, unsigned flags)
{
	int r = writing(d, len, off);
	if (r)
		return r;
	if (!d->ops.trim)
		return -EOPNOTSUPP;
	bool after;
	unsigned fl = fua_flag(d, flags, &after);
	return finish(d, d->ops.trim(d->ud, len, off, fl), after);
}

int fbx_dev_zero(struct fbx_dev *d, uint64_t len, uint64_t off, unsigned flags)
{
	int r = writing(d, len, off);
	if (r)
		return r;
	if (!d->ops.write_zeroes)
		return -EOPNOTSUPP;
	bool after;
	unsigned fl = fua_flag(d, flags, &after) | (flags & (FBX_DEV_NO_HOLE | FBX_DEV_FAST_ZERO));
	return finish(d, d->ops.write_zeroes(d->ud, len, off, fl), after);
}

int fbx_dev_cache(struct fbx_dev *d, uint64_t len, uint64_t off)
{
	int r = range(d, len, off, -EINVAL);
	if (r || !d->ops.cache)
		return r;
	return status(d->ops.cache(d->ud, len, off, 0));
}

int fbx_dev_extents(struct fbx_dev *d, uint64_t len, uint64_t off, unsigned flags,
                    struct fbx_extents *ex)
{
	int r = range(d, len, off, -EINVAL);
	if (r)
		return r;
	if (!d->ops.extents)
		return -EOPNOTSUPP;
	return status(d->ops.extents(d->ud, len, off, flags & FBX_DEV_REQ_ONE, ex));
}

int fbx_dev_map(struct fbx_dev *d, struct iovec *iov, int max, uint64_t len, uint64_t off,
                unsigned flags)
{
	bool w = flags & FBX_DEV_MAP_WRITE;
	int r = w ? writing(d, len, off) : range(d, len, off, -EINVAL);
	if (r)
		return r;
	if (!d->ops.map)
		return -EOPNOTSUPP;
	r = d->ops.map(d->ud, iov, max, len, off, flags & FBX_DEV_MAP_WRITE);
	return r >= 0 ? r : status(r);
}

int fbx_dev_unmap(struct fbx_dev *d, const struct iovec *iov, int n, uint64_t len,
                  uint64_t off, unsigned flags)
{
	bool after = false;
	unsigned fl = flags & FBX_DEV_MAP_WRITE;
	if (fl)
		fl |= fua_flag(d, flags, &after);
	return finish(d, d->ops.unmap(d->ud, iov, n, len, off, fl), after);
}

void fbx_dev_disc(struct fbx_dev *d)
{
	if (d->ops.disc)
		d->ops.disc(d->ud);
}
