/*
 * lib/dev/filedisk.c -- a block device backed by a regular file or a
 * block device (fbx_filedisk_*, declared in fusebox/blockdev.h); used
 * by examples/filedisk and `fusebox-nbd file`.
 *
 * What each NBD command becomes:
 *   READ/WRITE    pread/pwrite
 *   FLUSH, FUA    fdatasync (FUA: after the write, before the reply)
 *   TRIM          fallocate(PUNCH_HOLE): the file becomes sparse there
 *   WRITE_ZEROES  PUNCH_HOLE, or ZERO_RANGE with NO_HOLE; FAST_ZERO
 *                 fails with ENOTSUP when only writing zeroes would do
 *   BLOCK_STATUS  lseek(SEEK_DATA/SEEK_HOLE)
 * The callbacks block on disk I/O: serve with info.nonblocking false.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fusebox/blockdev.h"

struct fbx_filedisk {
	int fd;
	uint64_t size;
};

static int fd_read(void *ud, void *buf, uint64_t len, uint64_t off, unsigned flags)
{
	struct fbx_filedisk *d = ud;
	while (len) {
		ssize_t r = pread(d->fd, buf, len, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0) {                 /* file shorter than the disk: zeroes */
			memset(buf, 0, len);
			break;
		}
		buf = (char *)buf + r;
		len -= (uint64_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static int fd_sync(struct fbx_filedisk *d, unsigned flags)
{
	if ((flags & FBX_DEV_FUA) && fdatasync(d->fd) < 0)
		return -errno;
	return 0;
}

static int fd_write(void *ud, const void *buf, uint64_t len, uint64_t off, unsigned flags)
{
	struct fbx_filedisk *d = ud;
	while (len) {
		ssize_t w = pwrite(d->fd, buf, len, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf = (const char *)buf + w;
		len -= (uint64_t)w;
		off += (uint64_t)w;
	}
	return fd_sync(d, flags);
}

static int fd_flush(void *ud, unsigned flags)
{
	struct fbx_filedisk *d = ud;
	return fdatasync(d->fd) < 0 ? -errno : 0;
}

static int fd_trim(void *ud, uint64_t len, uint64_t off, unsigned flags)
{
	struct fbx_filedisk *d = ud;
	if (fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) < 0)
		return errno == EOPNOTSUPP ? 0 : -errno;   /* trim is advisory */
	return fd_sync(d, flags);
}

static int fd_zero(void *ud, uint64_t len, uint64_t off, unsigned flags)
{
	struct fbx_filedisk *d = ud;
	int mode = flags & FBX_DEV_NO_HOLE ? FALLOC_FL_ZERO_RANGE
	                                   : FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	if (fallocate(d->fd, mode, (off_t)off, (off_t)len) == 0)
		return fd_sync(d, flags);
	if (mode != FALLOC_FL_ZERO_RANGE &&
	    fallocate(d->fd, FALLOC_FL_ZERO_RANGE, (off_t)off, (off_t)len) == 0)
		return fd_sync(d, flags);
	if (flags & FBX_DEV_FAST_ZERO)
		return -ENOTSUP;          /* only slow writing would do: say so at once */
	static const char zero[65536];
	while (len) {
		uint64_t n = len < sizeof zero ? len : sizeof zero;
		int e = fd_write(ud, zero, n, off, 0);
		if (e)
			return e;
		len -= n;
		off += n;
	}
	return fd_sync(d, flags);
}

static int fd_extents(void *ud, uint64_t len, uint64_t off, unsigned flags, struct fbx_extents *ex)
{
	struct fbx_filedisk *d = ud;
	uint64_t end = off + len;
	while (off < end) {
		off_t data = lseek(d->fd, (off_t)off, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			data = (off_t)end;           /* only a hole up to EOF */
		else if (data < 0)
			return fbx_extents_add(ex, off, end - off, FBX_EXTENT_DATA) < 0 ? -EIO : 0;
		if ((uint64_t)data > off) {
			uint64_t h = (uint64_t)data < end ? (uint64_t)data : end;
			if (fbx_extents_add(ex, off, h - off, FBX_EXTENT_HOLE | FBX_EXTENT_ZERO))
				return 0;
			off = h;
			continue;
		}
		off_t hole = lseek(d->fd, (off_t)off, SEEK_HOLE);
		uint64_t h = hole < 0 || (uint64_t)hole > end ? end : (uint64_t)hole;
		if (fbx_extents_add(ex, off, h - off, FBX_EXTENT_DATA))
			return 0;
		off = h;
	}
	return 0;
}

const struct fbx_dev_ops fbx_filedisk_ops = {
	.read = fd_read,
	.write = fd_write,
	.flush = fd_flush,
	.trim = fd_trim,
	.write_zeroes = fd_zero,
	.extents = fd_extents,
};

struct fbx_filedisk *fbx_filedisk_open(const char *path, bool read_only)
{
	struct stat st;
	int fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		goto fail;
	uint64_t size = (uint64_t)st.st_size;
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(fd, 0, SEEK_END);
		size = end > 0 ? (uint64_t)end : 0;
	} else if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	struct fbx_filedisk *d = malloc(sizeof *d);
	if (!d)
		goto fail;
	d->fd = fd;
	d->size = size;
	return d;
fail:;
	int e = errno;
	close(fd);
	errno = e;
	return NULL;
}

uint64_t fbx_filedisk_size(const struct fbx_filedisk *d)
{
	return d->size;
}

void fbx_filedisk_close(struct fbx_filedisk *d)
{
	if (d) {
		close(d->fd);
		free(d);
	}
}
