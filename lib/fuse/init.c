/*
 * lib/fuse/init.c -- INIT negotiation, kept pure so it can be tested
 * with hand-built messages.
 *
 * What we ask for by default, and why:
 *  - ASYNC_READ, ASYNC_DIO, BIG_WRITES, MAX_PAGES, PARALLEL_DIROPS: more
 *    requests in flight and larger ones; every op may run concurrently.
 *  - AUTO_INVAL_DATA: the kernel drops cached pages when it sees mtime or
 *    size change, which is what a filesystem changed behind its back wants.
 *  - ABORT_ERROR: a reader of an aborted connection gets ECONNABORTED.
 *  - CACHE_SYMLINKS: a symlink's target never changes once made.
 *  - DIRECT_IO_ALLOW_MMAP: shared mmap works on direct_io files.
 *  - DONT_MASK, HANDLE_KILLPRIV, POSIX_ACL: off; the kernel then applies
 *    the umask and clears suid/sgid itself, as for native fs.
 *  - EXPORT_SUPPORT: off; a filesystem asks for it in init once it
 *    answers lookups of "." and ".." by node id (lowlevel.h, File handles).
 *  - POSIX_LOCKS / FLOCK_LOCKS / READDIRPLUS only when the ops exist
 *    (ops_caps), so a filesystem without them gets the kernel's own.
 *  - WRITEBACK_CACHE, PASSTHROUGH: only when the options say so.
 *  - SPLICE_*: never; we do not splice (see options.h on `splice`).
 */
#include "fuse/codec.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_WANT (FBX_CAP_ASYNC_READ | FBX_CAP_BIG_WRITES | FBX_CAP_AUTO_INVAL_DATA | \
                      FBX_CAP_ASYNC_DIO | FBX_CAP_PARALLEL_DIROPS | FBX_CAP_ABORT_ERROR | \
                      FBX_CAP_MAX_PAGES | FBX_CAP_CACHE_SYMLINKS | \
                      FBX_CAP_DIRECT_IO_ALLOW_MMAP | FBX_CAP_IOCTL_DIR)

static uint64_t wanted(const struct fbx_options *o, uint64_t ops_caps)
{
	uint64_t w = DEFAULT_WANT | ops_caps;
	if (o->readdirplus == FBX_OFF)
		w &= ~(FBX_CAP_READDIRPLUS | FBX_CAP_READDIRPLUS_AUTO);
	else if (o->readdirplus == FBX_AUTO && (ops_caps & FBX_CAP_READDIRPLUS))
		w |= FBX_CAP_READDIRPLUS_AUTO;
	if (o->writeback_cache == FBX_ON)
		w |= FBX_CAP_WRITEBACK_CACHE;
	if (o->passthrough == FBX_ON)
		w |= FBX_CAP_PASSTHROUGH;
	/* The kernel offers io_uring only where an admin switched it on
	 * (enable_uring), so taking it when offered is what auto means --
	 * except with auto_unmount: the rings' teardown can outlive a killed
	 * daemon, and fusermount3 then finds the mount still answering and
	 * leaves it (seen with kill -9). Asked for explicitly, it is used. */
	if (o->io_uring == FBX_ON || (o->io_uring == FBX_AUTO && !o->auto_unmount))
		w |= FBX_CAP_OVER_IO_URING;
	/* -s promises one thread in the filesystem; the rings have one per CPU. */
	if (o->singlethread)
		w &= ~FBX_CAP_OVER_IO_URING;
	return w;
}

int fbx_init_begin(struct fbx_conn *conn, const struct fbx_k_init_in *in, size_t inlen,
                   const struct fbx_options *opts, uint64_t ops_caps)
{
	memset(conn, 0, sizeof *conn);
	if (inlen < FBX_K_COMPAT_INIT_IN_SIZE)
		return -EINVAL;
	conn->proto_major = in->major;
	conn->proto_minor = in->minor;
	if (in->major != FBX_K_MAJOR)
		return -EPROTO;
	if (in->minor < 31)
		return -EPROTONOSUPPORT;   /* Linux < 5.10: not worth the compat code */
	if (conn->proto_minor > FBX_K_MINOR)
		conn->proto_minor = FBX_K_MINOR;

	uint64_t caps = in->flags;
	if ((caps & FBX_K_INIT_EXT) && inlen >= offsetof(struct fbx_k_init_in, unused))
		caps |= (uint64_t)in->flags2 << 32;
	conn->capable = caps;
	conn->want = wanted(opts, ops_caps) & caps;
	conn->max_readahead = in->max_readahead;
	long page = sysconf(_SC_PAGESIZE);
	conn->max_write = opts->max_write ? opts->max_write : 1u << 20;
	if (!(caps & FBX_CAP_MAX_PAGES) && conn->max_write > 32 * (uint32_t)page)
		conn->max_write = 32 * (uint32_t)page;
	conn->max_read = opts->max_read;
	conn->max_background = 64;
	conn->congestion_threshold = 48;
	conn->time_gran = 1;
	conn->max_stack_depth = 1;
	return 0;
}

size_t fbx_init_finish(struct fbx_k_init_out *out, const struct fbx_conn *conn)
{
	memset(out, 0, sizeof *out);
	out->major = FBX_K_MAJOR;
	out->minor = conn->proto_minor;
	uint64_t want = conn->want & conn->capable;
	long page = sysconf(_SC_PAGESIZE);
	uint32_t max_write = conn->max_write < 4096 ? 4096 : conn->max_write;
	if (want & FBX_CAP_MAX_PAGES) {
		uint32_t pages = (max_write + (uint32_t)page - 1) / (uint32_t)page;
		out->max_pages = (uint16_t)(pages > 0xffff ? 0xffff : pages);
	}
	out->max_readahead = conn->max_readahead;
	out->max_background = (uint16_t)conn->max_background;
	out->congestion_threshold = (uint16_t)conn->congestion_threshold;
	out->max_write = max_write;
	out->time_gran = conn->time_gran ? conn->time_gran : 1;
	if (want & FBX_CAP_PASSTHROUGH)
		out->max_stack_depth = conn->max_stack_depth ? conn->max_stack_depth : 1;
	out->flags = (uint32_t)want;
	if (conn->capable & FBX_K_INIT_EXT) {
		out->flags |= (uint32_t)FBX_K_INIT_EXT;
		out->flags2 = (uint32_t)(want >> 32);
	}
	return sizeof *out;
}
