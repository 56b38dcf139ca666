/*
 * fuse_common.h -- what fusebox's libfuse 2 compatible high-level
 * (fuse.h) and low-level (fuse_lowlevel.h) APIs share. Include one of
 * those, not this file.
 *
 * fusebox provides libfuse.so.2 with the ABI of libfuse 2.9.9 on Linux:
 * the same symbols under the same version nodes, the same struct
 * layouts and constants, so programs built against libfuse 2 run
 * unchanged, and their sources build unchanged against these headers.
 * Underneath is fusebox's own session and path layer (fusebox/fs.h,
 * fusebox/lowlevel.h). The wording here is fusebox's.
 *
 * FUSE_USE_VERSION: 26 to 29 (the 2.6 .. 2.9 API, which differ only in
 * what was added), and the older source APIs as libfuse 2.9 keeps them:
 * 25, 22 and 21 (and 11, deprecated) for fuse.h, 25 and 24 for
 * fuse_lowlevel.h. For those the current names are mapped onto the old
 * forms (fuse_compat.h, fuse_lowlevel_compat.h, fuse_common_compat.h).
 * Without a definition fuse.h assumes 21 and fuse_lowlevel.h 24, as
 * libfuse does. Any other version is refused at compile time.
 *
 * Conventions, unless a call says otherwise: int results are 0 (or a
 * count) on success, -1 or a negated errno on failure; messages go to
 * stderr.
 */
#if !defined(FUSE_H_) && !defined(FUSE_LOWLEVEL_H_)
# error "include <fuse.h> or <fuse_lowlevel.h>, not <fuse_common.h>"
#endif

#ifndef FUSE_COMMON_H_
#define FUSE_COMMON_H_

#if !defined(FUSE_USE_VERSION)
# error "FUSE_USE_VERSION undefined: include <fuse.h> or <fuse_lowlevel.h>, which default it"
#elif FUSE_USE_VERSION > 29 || (FUSE_USE_VERSION < 26 && FUSE_USE_VERSION != 25 && \
      FUSE_USE_VERSION != 24 && FUSE_USE_VERSION != 22 && FUSE_USE_VERSION != 21 && \
      FUSE_USE_VERSION != 11)
# error "FUSE_USE_VERSION not supported by fusebox's libfuse 2 (it provides 26..29, and 25, 24, 22, 21, 11 as libfuse 2.9 does; 30 and up are libfuse 3's: use fuse3)"
#endif

#include "fuse_opt.h"
#include <stdint.h>
#include <sys/types.h>

/* The interface version these headers describe. */
#define FUSE_MAJOR_VERSION 2
#define FUSE_MINOR_VERSION 9
#define FUSE_MAKE_VERSION(maj, min) ((maj) * 10 + (min))
#define FUSE_VERSION FUSE_MAKE_VERSION(FUSE_MAJOR_VERSION, FUSE_MINOR_VERSION)

/* off_t crosses the ABI in many calls: it must be 64 bits. */
#if !defined(_FILE_OFFSET_BITS) || _FILE_OFFSET_BITS != 64
# error "compile with -D_FILE_OFFSET_BITS=64 (pkg-config --cflags fuse gives it)"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/**
 * An open file, shared by open/create/opendir and the calls on the
 * handle they return. "in" fields come from the library, "out" fields
 * are the filesystem's answer to open, create or opendir.
 */
struct fuse_file_info {
	int flags;                  /**< in: open(2) flags */
	unsigned long fh_old;       /**< unused (the 2.4 place of fh) */
	int writepage;              /**< in (write): from the page cache */
	unsigned int direct_io : 1;     /**< out: bypass the page cache */
	unsigned int keep_cache : 1;    /**< out: keep the cached data */
	unsigned int flush : 1;         /**< in (release, lock): flush first */
	unsigned int nonseekable : 1;   /**< out: the file cannot seek */
	unsigned int flock_release : 1; /**< in (release): drop the flock */
	unsigned int padding : 27;
	uint64_t fh;                /**< out: any value, given back later */
	uint64_t lock_owner;        /**< in: owner (flush, release, locks) */
};

/* Capability bits of fuse_conn_info.capable / .want: the kernel's own
 * INIT flag numbers for these. */
#define FUSE_CAP_ASYNC_READ     (1 << 0)
#define FUSE_CAP_POSIX_LOCKS    (1 << 1)
#define FUSE_CAP_ATOMIC_O_TRUNC (1 << 3)
#define FUSE_CAP_EXPORT_SUPPORT (1 << 4)
#define FUSE_CAP_BIG_WRITES     (1 << 5)
#define FUSE_CAP_DONT_MASK      (1 << 6)
#define FUSE_CAP_SPLICE_WRITE   (1 << 7)
#define FUSE_CAP_SPLICE_MOVE    (1 << 8)
#define FUSE_CAP_SPLICE_READ    (1 << 9)
#define FUSE_CAP_FLOCK_LOCKS    (1 << 10)
#define FUSE_CAP_IOCTL_DIR      (1 << 11)

/* ioctl flags (the flags argument of the ioctl ops). */
#define FUSE_IOCTL_COMPAT       (1 << 0)
#define FUSE_IOCTL_UNRESTRICTED (1 << 1)
#define FUSE_IOCTL_RETRY        (1 << 2)
#define FUSE_IOCTL_DIR          (1 << 4)
#define FUSE_IOCTL_MAX_IOV      256

/** The connection, as init sees it; init may lower the limits and
 *  change want (a subset of capable). */
struct fuse_conn_info {
	unsigned proto_major;
	unsigned proto_minor;
	unsigned async_read;        /**< 1: reads may be in parallel (also FUSE_CAP_ASYNC_READ) */
	unsigned max_write;
	unsigned max_readahead;
	unsigned capable;           /**< FUSE_CAP_* the kernel offers */
	unsigned want;              /**< FUSE_CAP_* to use */
	unsigned max_background;
	unsigned congestion_threshold;
	unsigned reserved[23];
};

struct fuse_session;
struct fuse_chan;
struct fuse_pollhandle;

/**
 * Prepare the mount of `mountpoint` with the mount options in args
 * (-o allow_other, fsname=, ...). fusebox mounts when the session is
 * made on this channel (fuse_new, or fuse_lowlevel_new followed by
 * fuse_session_add_chan): mount errors are reported there. NULL on
 * error (a missing mount point, a bad option), after a message.
 */
struct fuse_chan *fuse_mount(const char *mountpoint, struct fuse_args *args);
/** Unmount (if mounted) and free the channel unless a session still
 *  holds it (fuse_session_destroy/fuse_destroy free it then). */
void fuse_unmount(const char *mountpoint, struct fuse_chan *ch);
/**
 * The generic options: -h, -V, -d/-o debug (implies -f), -f, -s and
 * the mount point (made absolute, *mountpoint malloc'd). Any of the
 * result pointers may be NULL. -h and -V print and return as libfuse
 * does (the help leaves args for fuse_new to add its part). 0 or -1.
 */
int fuse_parse_cmdline(struct fuse_args *args, char **mountpoint,
                       int *multithreaded, int *foreground);
/** Into the background unless foreground (then only chdir("/")). */
int fuse_daemonize(int foreground);
/** FUSE_VERSION of the library (29). */
int fuse_version(void);
/** Free a poll handle given to a poll op (NULL: nothing). */
void fuse_pollhandle_destroy(struct fuse_pollhandle *ph);

/* ---- data buffers ------------------------------------------------------ */

enum fuse_buf_flags {
	FUSE_BUF_IS_FD    = (1 << 1),   /**< fd holds the data, not mem */
	FUSE_BUF_FD_SEEK  = (1 << 2),   /**< read/write fd at pos */
	FUSE_BUF_FD_RETRY = (1 << 3),   /**< repeat short reads/writes */
};

/** Hints to fuse_buf_copy; fusebox copies through memory and ignores them. */
enum fuse_buf_copy_flags {
	FUSE_BUF_NO_SPLICE       = (1 << 1),
	FUSE_BUF_FORCE_SPLICE    = (1 << 2),
	FUSE_BUF_SPLICE_MOVE     = (1 << 3),
	FUSE_BUF_SPLICE_NONBLOCK = (1 << 4),
};

/** One buffer: memory, or a file descriptor (at pos with FD_SEEK). */
struct fuse_buf {
	size_t size;
	enum fuse_buf_flags flags;
	void *mem;
	int fd;
	off_t pos;
};

/** A list of buffers; idx/off say where the unused part starts. */
struct fuse_bufvec {
	size_t count;
	size_t idx;
	size_t off;
	struct fuse_buf buf[1];
};

/** A one-buffer vector of `size__` bytes, memory not yet given. */
#define FUSE_BUFVEC_INIT(size__) \
	((struct fuse_bufvec) { \
		/* .count = */ 1, /* .idx = */ 0, /* .off = */ 0, \
		/* .buf = */ { /* [0] = */ { \
			/* .size = */ (size__), /* .flags = */ (enum fuse_buf_flags)0, \
			/* .mem = */ NULL, /* .fd = */ -1, /* .pos = */ 0, \
		} } \
	})

/** Total bytes in bufv. */
size_t fuse_buf_size(const struct fuse_bufvec *bufv);
/** Copy from src to dst as far as both reach; the count, or a negated errno. */
ssize_t fuse_buf_copy(struct fuse_bufvec *dst, struct fuse_bufvec *src,
                      enum fuse_buf_copy_flags flags);

/* ---- signals ------------------------------------------------------------ */

/** SIGHUP, SIGINT, SIGTERM end the session's loop; SIGPIPE is ignored.
 *  Signals that already have a handler are left alone. 0 or -1. */
int fuse_set_signal_handlers(struct fuse_session *se);
void fuse_remove_signal_handlers(struct fuse_session *se);

#ifdef __cplusplus
}
#endif

/* ---- the older APIs: their names for the mount calls ------------------- */

#if FUSE_USE_VERSION < 26
# include "fuse_common_compat.h"
# undef FUSE_MINOR_VERSION
# define fuse_unmount fuse_unmount_compat22
# if FUSE_USE_VERSION == 25
#  define FUSE_MINOR_VERSION 5
#  define fuse_mount fuse_mount_compat25
# elif FUSE_USE_VERSION == 24 || FUSE_USE_VERSION == 22
#  define FUSE_MINOR_VERSION 4
#  define fuse_mount fuse_mount_compat22
# elif FUSE_USE_VERSION == 21
#  define FUSE_MINOR_VERSION 1
#  define fuse_mount fuse_mount_compat22
# else /* 11 */
#  warning "FUSE_USE_VERSION 11 (the libfuse 1.1 API) is deprecated"
#  undef FUSE_MAJOR_VERSION
#  define FUSE_MAJOR_VERSION 1
#  define FUSE_MINOR_VERSION 1
#  define fuse_mount fuse_mount_compat1
# endif
#endif

#endif /* FUSE_COMMON_H_ */
