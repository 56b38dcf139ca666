/*
 * fuse_common.h -- what fusebox's libfuse 3 compatible high-level
 * (fuse.h) and low-level (fuse_lowlevel.h) APIs share.
 *
 * fusebox provides libfuse3.so.3 with the ABI of libfuse 3.14 on
 * Linux: the same symbols under the same version nodes, the same
 * struct layouts and constants, so programs built against libfuse run
 * unchanged, and sources build unchanged against these headers. The
 * wording here is fusebox's; where behaviour differs from libfuse the
 * text says so.
 *
 * A program defines FUSE_USE_VERSION before the first include, as
 * MAJOR*10+MINOR for 3.0..3.9 (30..39), or MAJOR*100+MINOR
 * (FUSE_MAKE_VERSION(3, 12) is 312; FUSE_MAKE_VERSION(3, 5) is 305 and
 * means 3.5 like 35). It selects which variant of a few calls the
 * program gets (fuse_new, fuse_loop_mt, fuse_session_loop_mt, the ioctl
 * signature) by comparing numbers, as libfuse's headers do. Values below
 * 30 are refused at compile time; values above 314 get the 3.14
 * interface, as with libfuse 3.14's own headers, so a program that asks
 * for a later version builds as long as it uses nothing newer.
 *
 * Conventions, unless a call says otherwise: functions returning int
 * return 0 (or a count) on success and -1 or a negated errno on
 * failure, as stated beside each; messages go through fuse_log().
 */
#ifndef FUSE_COMMON_H_
#define FUSE_COMMON_H_

/* The interface version these headers describe. Defined before the
 * check below: a program may spell its version with the macro. */
#define FUSE_MAJOR_VERSION 3
#define FUSE_MINOR_VERSION 14
#define FUSE_MAKE_VERSION(maj, min) ((maj) * 100 + (min))
#define FUSE_VERSION FUSE_MAKE_VERSION(FUSE_MAJOR_VERSION, FUSE_MINOR_VERSION)

#if !defined(FUSE_USE_VERSION)
# error "define FUSE_USE_VERSION (30 or more, e.g. 35 or FUSE_MAKE_VERSION(3, 12)) before including a libfuse 3 header"
#elif FUSE_USE_VERSION < 30
# error "FUSE_USE_VERSION not supported by fusebox's libfuse 3: below 30 is the libfuse 2 API (build against fuse.pc, fusebox's libfuse 2)"
#endif

#include "fuse_opt.h"
#include "fuse_log.h"
#include <stdint.h>
#include <sys/types.h>

/* Set by libfuse's generated config header when its library carries
 * symbol versions, as ours always does: the plain names below are then
 * the right ones for every FUSE_USE_VERSION. */
#ifndef LIBFUSE_BUILT_WITH_VERSIONED_SYMBOLS
#define LIBFUSE_BUILT_WITH_VERSIONED_SYMBOLS 1
#endif

#ifdef __cplusplus
extern "C" {
#endif

/**
 * State of one open file or directory, passed to open/create/opendir
 * and to every later call on the same handle. 40 bytes on x86-64.
 * "in": set by the library; "out": set by the filesystem in its reply
 * to open, create or opendir.
 */
struct fuse_file_info {
	/** in: open(2) flags (O_RDONLY, O_APPEND, ...). */
	int flags;
	/** in (write): the write comes from the page cache (writeback), so
	 *  the caller's credentials are not those of the writer. */
	unsigned int writepage : 1;
	/** out: bypass the page cache for this handle. */
	unsigned int direct_io : 1;
	/** out: keep cached data from earlier opens. */
	unsigned int keep_cache : 1;
	/** in (release, flush): data should be flushed before release. */
	unsigned int flush : 1;
	/** out: the file is not seekable (a stream). */
	unsigned int nonseekable : 1;
	/** in (release): drop the flock locks of the owner. */
	unsigned int flock_release : 1;
	/** out (opendir): the kernel may cache the listing. */
	unsigned int cache_readdir : 1;
	/** out: no FLUSH request when descriptors of this handle close. */
	unsigned int noflush : 1;
	/** Unused; zero. */
	unsigned int padding : 24;
	unsigned int padding2 : 32;
	/** out: any value the filesystem chooses; given back on every
	 *  later call on the handle. */
	uint64_t fh;
	/** in: lock owner id (flush, release, lock calls). */
	uint64_t lock_owner;
	/** in (poll): the events the caller waits for. */
	uint32_t poll_events;
};

/*
 * Thread pool settings of the multi-threaded loops. Programs written
 * for 3.2..3.11 fill this struct themselves; from 3.12 on the struct is
 * opaque (fuse_loop_cfg_*() below) and the old layout is reachable as
 * struct fuse_loop_config_v1.
 */
#if FUSE_USE_VERSION < FUSE_MAKE_VERSION(3, 12)
struct fuse_loop_config_v1;
struct fuse_loop_config {
#else
struct fuse_loop_config_v1 {
#endif
	/** Non-zero: each worker reads its own clone of the /dev/fuse
	 *  descriptor. fusebox's workers always do; accepted for
	 *  compatibility. */
	int clone_fd;
	/** Idle workers kept before extra ones exit (libfuse's default 10). */
	unsigned int max_idle_threads;
};

/*
 * Capability bits of struct fuse_conn_info (capable, want). These are
 * libfuse's numbers, which are not the kernel's INIT flag bits (e.g.
 * POSIX_ACL and HANDLE_KILLPRIV are swapped); the library translates.
 */
#define FUSE_CAP_ASYNC_READ          (1 << 0)  /* reads may be issued in parallel */
#define FUSE_CAP_POSIX_LOCKS         (1 << 1)  /* getlk/setlk are implemented */
#define FUSE_CAP_ATOMIC_O_TRUNC      (1 << 3)  /* O_TRUNC handled in open */
#define FUSE_CAP_EXPORT_SUPPORT      (1 << 4)  /* lookup of "." and ".." works (NFS export) */
#define FUSE_CAP_DONT_MASK           (1 << 6)  /* the kernel does not apply the umask */
#define FUSE_CAP_SPLICE_WRITE        (1 << 7)  /* replies may be spliced to the device */
#define FUSE_CAP_SPLICE_MOVE         (1 << 8)  /* pages may be moved into the cache */
#define FUSE_CAP_SPLICE_READ         (1 << 9)  /* requests may be spliced from the device */
#define FUSE_CAP_FLOCK_LOCKS         (1 << 10) /* flock is implemented */
#define FUSE_CAP_IOCTL_DIR           (1 << 11) /* ioctl on directories */
#define FUSE_CAP_AUTO_INVAL_DATA     (1 << 12) /* cache dropped when mtime/size change */
#define FUSE_CAP_READDIRPLUS         (1 << 13) /* readdirplus is used */
#define FUSE_CAP_READDIRPLUS_AUTO    (1 << 14) /* ... only when it seems worth it */
#define FUSE_CAP_ASYNC_DIO           (1 << 15) /* direct I/O requests in parallel */
#define FUSE_CAP_WRITEBACK_CACHE     (1 << 16) /* writes are cached by the kernel */
#define FUSE_CAP_NO_OPEN_SUPPORT     (1 << 17) /* an ENOSYS open means "no open needed" */
#define FUSE_CAP_PARALLEL_DIROPS     (1 << 18) /* lookups/readdir of a dir in parallel */
#define FUSE_CAP_POSIX_ACL           (1 << 19) /* the kernel enforces POSIX ACLs */
/* The fs clears suid/sgid on write/chown itself. Off unless init asks:
 * libfuse 3.14 listed it as a default but never sent it to the kernel. */
#define FUSE_CAP_HANDLE_KILLPRIV     (1 << 20)
#define FUSE_CAP_CACHE_SYMLINKS      (1 << 23) /* readlink results may be cached */
#define FUSE_CAP_NO_OPENDIR_SUPPORT  (1 << 24) /* an ENOSYS opendir means "none needed" */
#define FUSE_CAP_EXPLICIT_INVAL_DATA (1 << 25) /* cache dropped only by notify_inval */
#define FUSE_CAP_EXPIRE_ONLY         (1 << 26) /* notify_expire_entry may only expire */

/* Flags of the ioctl op. */
#define FUSE_IOCTL_COMPAT       (1 << 0) /* a 32-bit caller on a 64-bit kernel */
#define FUSE_IOCTL_UNRESTRICTED (1 << 1) /* not restricted to the encoded sizes (CUSE) */
#define FUSE_IOCTL_RETRY        (1 << 2) /* internal: a retried request */
#define FUSE_IOCTL_DIR          (1 << 4) /* the file is a directory */
/** Most iovecs an unrestricted ioctl reply may ask for. */
#define FUSE_IOCTL_MAX_IOV 256

/**
 * Connection parameters, shown to the init op (which may change the
 * writable ones). 128 bytes; `reserved` keeps room for growth.
 */
struct fuse_conn_info {
	/** Protocol version in use (read-only). */
	unsigned proto_major;
	unsigned proto_minor;
	/** Largest WRITE payload the filesystem accepts. */
	unsigned max_write;
	/** Largest READ the kernel sends (0: no limit; a mount option). */
	unsigned max_read;
	/** Readahead limit; may only be lowered. */
	unsigned max_readahead;
	/** FUSE_CAP_* the kernel and library support (read-only). */
	unsigned capable;
	/** FUSE_CAP_* to use; preset with the library's defaults. A bit
	 *  not in `capable` makes the session fail. */
	unsigned want;
	/** Background (asynchronous) requests the kernel may queue. */
	unsigned max_background;
	/** Background requests above which the kernel reports congestion. */
	unsigned congestion_threshold;
	/** Timestamp granularity in nanoseconds (a power of 10; 0 or 1:
	 *  nanoseconds). */
	unsigned time_gran;
	unsigned reserved[22];
};

struct fuse_session;
struct fuse_pollhandle;
/** Opaque: connection settings parsed from -o options. */
struct fuse_conn_info_opts;

/**
 * Take the connection options of `args` (max_write=, max_readahead=,
 * max_background=, congestion_threshold=, async_read/sync_read,
 * atomic_o_trunc, no_remote_lock, no_remote_flock, no_remote_posix_lock,
 * splice_write/no_splice_write (and _move, _read), auto_inval_data/
 * no_auto_inval_data, readdirplus=yes|no|auto, async_dio/no_async_dio,
 * writeback_cache/no_writeback_cache, time_gran=) out of args.
 * Returns a malloc'd set (free() it) or NULL after a message.
 */
struct fuse_conn_info_opts *fuse_parse_conn_info_opts(struct fuse_args *args);

/** Apply options parsed by fuse_parse_conn_info_opts to `conn`; meant
 *  for the init op. Wants the kernel cannot give are left out. */
void fuse_apply_conn_info_opts(struct fuse_conn_info_opts *opts,
                               struct fuse_conn_info *conn);

/**
 * Detach from the terminal unless `foreground`: fork, the parent waits
 * until the child is set up and exits 0; the child starts a new
 * session, changes to "/" and points stdin/stdout/stderr at /dev/null.
 * Returns 0 (in the child, or at once when foreground), -1 on failure.
 */
int fuse_daemonize(int foreground);

/** FUSE_VERSION of the library (314). */
int fuse_version(void);
/** The library's version string ("3.14.0" style; fusebox's libfuse 3). */
const char *fuse_pkgversion(void);

/** Free a poll handle the filesystem keeps no longer. */
void fuse_pollhandle_destroy(struct fuse_pollhandle *ph);

/* ---- data buffers ---------------------------------------------------- */

enum fuse_buf_flags {
	/** The buffer is a file descriptor (fd), not memory (mem). */
	FUSE_BUF_IS_FD    = (1 << 1),
	/** With IS_FD: read/write at `pos` (pread/pwrite), not at the
	 *  descriptor's own offset. */
	FUSE_BUF_FD_SEEK  = (1 << 2),
	/** With IS_FD: retry short reads/writes until done or end of file. */
	FUSE_BUF_FD_RETRY = (1 << 3)
};

enum fuse_buf_copy_flags {
	/** Never splice; copy through memory. */
	FUSE_BUF_NO_SPLICE       = (1 << 1),
	/** Splice even if copying looks cheaper; fail if it cannot. */
	FUSE_BUF_FORCE_SPLICE    = (1 << 2),
	/** Allow pages to be moved (SPLICE_F_MOVE). */
	FUSE_BUF_SPLICE_MOVE     = (1 << 3),
	/** Do not block in splice (SPLICE_F_NONBLOCK). */
	FUSE_BUF_SPLICE_NONBLOCK = (1 << 4)
};

/** One piece of data: memory, or a range of a file descriptor. */
struct fuse_buf {
	/** Bytes in the buffer. */
	size_t size;
	enum fuse_buf_flags flags;
	/** The memory (without FUSE_BUF_IS_FD). */
	void *mem;
	/** The descriptor (with FUSE_BUF_IS_FD). */
	int fd;
	/** The file offset (with FUSE_BUF_FD_SEEK). */
	off_t pos;
};

/**
 * A list of buffers read or written in order. `idx` and `off` mark how
 * far a copy has got (buffer index, offset inside it). The array has
 * `count` elements: allocate room for more than the one declared.
 */
struct fuse_bufvec {
	size_t count;
	size_t idx;
	size_t off;
	struct fuse_buf buf[1];
};

/** A one-buffer vector of `size__` bytes, memory to be filled in. */
#define FUSE_BUFVEC_INIT(size__) \
	((struct fuse_bufvec) { 1, 0, 0, \
		{ { (size__), (enum fuse_buf_flags) 0, NULL, -1, 0 } } })

/** Total bytes of all buffers in the vector (saturating). */
size_t fuse_buf_size(const struct fuse_bufvec *bufv);

/**
 * Copy from `src` to `dst` until either runs out, advancing both
 * vectors' idx/off. Memory and descriptor buffers in any combination.
 * Returns the bytes copied (less at end of file), or a negated errno if
 * nothing could be copied.
 */
ssize_t fuse_buf_copy(struct fuse_bufvec *dst, struct fuse_bufvec *src,
                      enum fuse_buf_copy_flags flags);

/* ---- signals ---------------------------------------------------------- */

/**
 * Make SIGHUP, SIGINT and SIGTERM end `se`'s loop (fuse_session_exit)
 * and ignore SIGPIPE. Handlers already set to something other than the
 * default are left alone. One session at a time. Returns 0 or -1.
 */
int fuse_set_signal_handlers(struct fuse_session *se);
/** Restore what fuse_set_signal_handlers changed (for `se` only). */
void fuse_remove_signal_handlers(struct fuse_session *se);

/* ---- loop configuration (3.12 and later) ----------------------------- */

/** A configuration with the defaults (max_idle_threads 10, max_threads
 *  10, no clone_fd); NULL when out of memory. */
struct fuse_loop_config *fuse_loop_cfg_create(void);
void fuse_loop_cfg_destroy(struct fuse_loop_config *config);
/** Idle workers kept; fusebox sizes its pool by max_threads and keeps
 *  this for what fuse_loop_cfg_convert reports. */
void fuse_loop_cfg_set_idle_threads(struct fuse_loop_config *config,
                                    unsigned int value);
/** Most worker threads. */
void fuse_loop_cfg_set_max_threads(struct fuse_loop_config *config,
                                   unsigned int value);
void fuse_loop_cfg_set_clone_fd(struct fuse_loop_config *config,
                                unsigned int value);
/** Fill `config` from an old-style struct (clone_fd, max_idle_threads). */
void fuse_loop_cfg_convert(struct fuse_loop_config *config,
                           struct fuse_loop_config_v1 *v1_conf);

#ifdef __cplusplus
}
#endif

/* The ABI passes off_t by value in many places: a 32-bit off_t would
 * not match the library. A negative array size stops the build. */
typedef char fuse_compat_off_t_must_be_64bit[sizeof(off_t) == 8 ? 1 : -1];

#endif /* FUSE_COMMON_H_ */
