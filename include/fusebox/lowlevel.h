/*
 * fusebox/lowlevel.h -- the inode-based FUSE session API.
 *
 * This is the layer closest to the kernel. The kernel names files by
 * 64-bit node ids ("ino" below; the root is FBX_ROOT_ID), and every
 * request arrives as one call of struct fbx_ll_ops. The filesystem
 * answers each request exactly once with one fbx_reply_*() call; the
 * reply may be sent later, from any thread (asynchronous replies). A
 * request left unanswered keeps the calling process waiting.
 *
 * Lifetimes: pointer arguments of an op (names, write data, the file
 * info) are valid only until the op returns. The fbx_req itself stays
 * valid until it is replied to, and is freed by the reply.
 *
 * Missing ops: every op is optional. What the library does when one is
 * NULL is said beside it; mostly it replies ENOSYS, and for ops the
 * kernel remembers ENOSYS for (so it stops asking), that is the kernel's
 * own fallback.
 *
 * Return convention of the fbx_* functions: 0 (or a count) on success,
 * a negated errno on failure. Errors passed to fbx_reply_err() are
 * negated errnos too (-ENOENT); a positive value is taken as its negation.
 *
 * File handles (name_to_handle_at(2), open_by_handle_at(2), exporting
 * the mount over NFS): the kernel encodes a node id and the low 32 bits
 * of its generation, whatever the filesystem does, and decodes them
 * from its inode cache while it holds the node. To decode a handle of a
 * node it has forgotten, and to reconnect a directory to its parent,
 * it needs FBX_CAP_EXPORT_SUPPORT (ask for it in init): then lookup
 * gets name "." with the node id itself as `parent` -- an id the kernel
 * may hold no reference to, or one it never got from us (a forged NFS
 * handle): check it before trusting it -- and ".." for the parent of a
 * directory it holds. Answer with the same node id and generation the
 * node had, counting one lookup, or ESTALE (ENOENT counts as ESTALE).
 * For a handle to stay valid a filesystem must keep, past FORGET,
 * enough to find the node again from its id (its own handle of the
 * file, a path, an inode number), and never give an id:generation pair
 * to another file: a deleted file's handle must give ESTALE, also after
 * its id or inode number was reused, and also after a daemon restart
 * (an NFS client keeps handles across it; start generations at a value
 * no earlier run used). The root's generation is 0 (the kernel's root
 * inode has no other). Readdir's d_ino must equal the st_ino the kernel
 * shows: it finds a directory's name in its parent by that number.
 * Without EXPORT_SUPPORT a handle works only while the kernel caches
 * the node, and a disconnected directory's never (ESTALE).
 *
 * Threads: by default requests are served by a pool of worker threads,
 * each reading its own clone of the /dev/fuse descriptor; ops may run
 * concurrently, also for the same inode. How many read at once follows
 * the load (options.h, spin): one polling for a lone client, as many as
 * CPUs for several, all of them once handlers block. An op may block,
 * also on another request; that request is read within a millisecond
 * or so. With -s, one thread serves all.
 *
 * Caching: which settings make which workload fast, and what each costs
 * in coherence (a change made by someone other than the kernel, e.g. a
 * process writing a passthrough's source directory). Every request is a
 * round trip to the daemon; the kernel answers from its caches instead
 * where the filesystem lets it:
 *  - entry_timeout / attr_timeout (fbx_entry, fbx_reply_attr): stat,
 *    git status, make's timestamp checks. Cost: a change from outside is
 *    seen up to that many seconds late.
 *  - keep_cache (fbx_file_info, set on open): repeated reads of files
 *    (headers in a build, a git pack, a database). Without it the kernel
 *    drops the file's pages at every open. Cost: data changed from
 *    outside since the kernel cached it stays visible; set it only when
 *    the file cannot have changed (you are its only writer, or, as
 *    examples/passthrough.c does, its mtime/ctime/size are those you saw
 *    at the last release).
 *  - auto_inval_data (on by default; clear FBX_CAP_AUTO_INVAL_DATA in
 *    conn->want to turn it off): the kernel drops a file's pages when a
 *    refreshed mtime or size differs from what it had. This is what makes
 *    outside changes visible, but every WRITE changes mtime, so without
 *    the writeback cache a writer that also reads (SQLite) loses its
 *    cached pages after each write and reads through the daemon. A
 *    filesystem that is its files' only writer turns it off (memfs).
 *  - writeback_cache (-o writeback_cache, or FBX_CAP_WRITEBACK_CACHE in
 *    init): writes land in the page cache and reach the daemon later in
 *    large WRITEs (tar, builds, SQLite: often 2-4x fewer WRITEs); the
 *    kernel then keeps size and mtime itself and ignores those the
 *    daemon reports for files it caches. Cost: a file changed or resized
 *    from outside is not seen correctly while cached; the daemon must
 *    take reads on write-only opens and writes at any offset (no
 *    O_APPEND below). Safe for data when the daemon is the files' only
 *    writer, but Linux 6.18 sends lseek SEEK_DATA/SEEK_HOLE before
 *    writing dirty pages back (the daemon sees an old size), so a
 *    filesystem with lseek gets wrong answers for fresh data (memfs
 *    replies -ENOSYS, and the kernel calls the whole file data); the
 *    st_blocks the daemon reports leaves out pages still dirty in the
 *    kernel until close(2) writes them back and drops the kernel's
 *    copy (fsync(2) does not drop it); reads served from the cache
 *    never reach the daemon to set atime, also of data just written;
 *    and the kernel keeps ctime too, so every unlink(2) or link(2) of a
 *    regular file is followed by a SETATTR carrying the new ctime, even
 *    when the last name went (rm -rf of a tar tree: 10 500 requests
 *    against 7 500 without the writeback cache; memfs, bench/README.md).
 *  - FLUSH: the kernel sends one per close(2). FOPEN_NOFLUSH (noflush)
 *    stops that except under writeback_cache; a flush op that replies
 *    -ENOSYS stops it for good (close still writes dirty pages first).
 *  - FUSE passthrough (FBX_CAP_PASSTHROUGH, fbx_backing_open; root,
 *    Linux >= 6.9): reads, writes and mmap of a file go to a backing file
 *    without the daemon. Every READ and WRITE round trip goes (tar -x,
 *    SQLite: 25k inserts 61 600 requests -> 4 600). No coherence cost
 *    when the backing file is the data itself (a mirror): the page cache
 *    is that file's own. Cost: no writeback_cache beside it (the kernel
 *    refuses both), no keep_cache/direct_io on such opens, and the
 *    daemon no longer sees the I/O (suid/sgid bits are not cleared for
 *    it: give such files no backing file, as examples/passthrough.c does).
 *  - handle_killpriv_v2 (FBX_CAP_HANDLE_KILLPRIV_V2): the kernel asks
 *    for security.capability (GETXATTR) before the first write after
 *    each reply with attributes instead of before every write(2); the
 *    filesystem then clears suid/sgid itself (kill_priv). Every chown(2)
 *    still asks once (the VFS checks for a capability to drop), as long
 *    as the filesystem answers getxattr at all: ENOSYS once turns every
 *    getxattr off for the mount (no xattrs, no ACLs), and with it both
 *    round trips (examples/passthrough.c -o no_xattr).
 *  - readdirplus: a listing returns attributes with the names, which
 *    saves a LOOKUP per entry for `ls -l` and git status on a cold cache.
 * What stays a round trip whatever the settings: the LOOKUP of a name
 * about to be created (no negative entry yet), CREATE/MKDIR, each
 * SETATTR (tar sends chown, chmod and utimens separately), RELEASE. So
 * tar -x costs at least 6 per file; with xattrs served 8 (two GETXATTR
 * of security.capability), plus its WRITEs unless passthrough carries
 * them (writeback_cache: one per file; neither: one per 10 KiB record
 * tar writes). bench/README.md (workloads) has the counts. To count
 * them: FBX_REQUEST_COUNTS, next.
 *
 * Counting round trips: with FBX_REQUEST_COUNTS set (non-empty) in the
 * environment, the session counts the requests of each kind and, when
 * its loop ends, prints one line to stderr:
 *   fusebox: requests: total=N LOOKUP=N GETATTR=N ...
 * (opcodes in numeric order, those never seen left out, INIT and
 * DESTROY included). Unset, the cost is one test per request. Counts
 * do not change with the machine's load, so they compare cache settings
 * better than timings do (bench/README.md, workloads).
 */
#ifndef FUSEBOX_LOWLEVEL_H
#define FUSEBOX_LOWLEVEL_H

#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "fusebox/options.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Node id of the root directory. */
#define FBX_ROOT_ID 1

/** Opaque: one mounted (or to-be-mounted) FUSE connection. */
struct fbx_session;
/** Opaque: one request from the kernel, alive until replied to. */
struct fbx_req;

/** Who made a request: the calling process's credentials. */
struct fbx_ctx {
	uid_t  uid;   /**< effective uid of the caller (as the kernel maps it) */
	gid_t  gid;   /**< effective gid of the caller */
	pid_t  pid;   /**< id of the calling thread (its TID); 0 for kernel-internal requests */
	mode_t umask; /**< caller's umask: valid in create, mknod, mkdir, tmpfile */
};

/**
 * Per-open state, shared by open/create/opendir and the ops that follow
 * on the same handle. Fields marked "in" are set by the library, "out"
 * are set by the filesystem before replying to open/create/opendir.
 */
struct fbx_file_info {
	int      flags;         /**< in: open(2) flags */
	uint64_t fh;            /**< out: any value; passed back on later ops */
	uint64_t lock_owner;    /**< in: owner id (flush, release, lock, read, write) */
	unsigned direct_io : 1;              /**< out: bypass the page cache */
	unsigned keep_cache : 1;             /**< out: keep cached data on open */
	unsigned nonseekable : 1;            /**< out: the file cannot seek */
	unsigned cache_readdir : 1;          /**< out (opendir): cache the listing */
	unsigned noflush : 1;                /**< out: no FLUSH on close */
	unsigned parallel_direct_writes : 1; /**< out: allow parallel direct writes */
	unsigned flush : 1;          /**< in (release): flush before release */
	unsigned flock_release : 1;  /**< in (release): drop this owner's flock */
	unsigned writepage : 1;      /**< in (write): delayed write from the page cache */
	/** in (write; open and create with O_TRUNC): the caller lacks
	 *  CAP_FSETID, so the filesystem must clear S_ISUID, and S_ISGID if
	 *  S_IXGRP is set, as the kernel would. Only ever set when the
	 *  filesystem asked for FBX_CAP_HANDLE_KILLPRIV_V2 in init. */
	unsigned kill_priv : 1;
	/** out: a backing id from fbx_backing_open(): the kernel then does
	 *  read/write/mmap on that file itself (FUSE passthrough). 0 = none. */
	int32_t  backing_id;
};

/** An entry: the answer to lookup, mknod, mkdir, symlink, link, create. */
struct fbx_entry {
	uint64_t    ino;           /**< node id; 0 with entry_timeout > 0 caches "no such name" */
	uint64_t    generation;    /**< ino:generation must be unique for the mount's life
	                                (the low 32 bits: file handles keep only those) */
	struct stat attr;          /**< attributes; attr.st_ino is what stat(2) shows */
	double      attr_timeout;  /**< seconds the kernel may cache attr */
	double      entry_timeout; /**< seconds the kernel may cache the name */
};

/* Bits of `flags` in rename: renameat2(2)'s RENAME_* values, which the
 * kernel passes on unchanged. Named here because <stdio.h> declares
 * RENAME_* only with _GNU_SOURCE. */
#define FBX_RENAME_NOREPLACE (1u << 0)
#define FBX_RENAME_EXCHANGE  (1u << 1)
#define FBX_RENAME_WHITEOUT  (1u << 2)

/* Bits of `to_set` in setattr. */
#define FBX_SET_MODE      (1u << 0)
#define FBX_SET_UID       (1u << 1)
#define FBX_SET_GID       (1u << 2)
#define FBX_SET_SIZE      (1u << 3)
#define FBX_SET_ATIME     (1u << 4)  /**< set atime to attr->st_atim */
#define FBX_SET_MTIME     (1u << 5)  /**< set mtime to attr->st_mtim */
#define FBX_SET_ATIME_NOW (1u << 7)  /**< set atime to the current time */
#define FBX_SET_MTIME_NOW (1u << 8)  /**< set mtime to the current time */
#define FBX_SET_CTIME     (1u << 10) /**< set ctime to attr->st_ctim */
#define FBX_SET_KILL_SUIDGID (1u << 11) /**< clear suid/sgid (handle_killpriv_v2) */

/*
 * Capabilities negotiated at INIT. The kernel offers some, the
 * filesystem wants some (struct fbx_conn). Values are the kernel's own
 * flag bits, flags2 shifted up by 32.
 */
#define FBX_CAP_ASYNC_READ        (1ull << 0)
#define FBX_CAP_POSIX_LOCKS       (1ull << 1)
#define FBX_CAP_ATOMIC_O_TRUNC    (1ull << 3)
#define FBX_CAP_EXPORT_SUPPORT    (1ull << 4)
#define FBX_CAP_BIG_WRITES        (1ull << 5)
#define FBX_CAP_DONT_MASK         (1ull << 6)
#define FBX_CAP_SPLICE_WRITE      (1ull << 7)
#define FBX_CAP_SPLICE_MOVE       (1ull << 8)
#define FBX_CAP_SPLICE_READ       (1ull << 9)
#define FBX_CAP_FLOCK_LOCKS       (1ull << 10)
#define FBX_CAP_IOCTL_DIR         (1ull << 11)
#define FBX_CAP_AUTO_INVAL_DATA   (1ull << 12)
#define FBX_CAP_READDIRPLUS       (1ull << 13)
#define FBX_CAP_READDIRPLUS_AUTO  (1ull << 14)
#define FBX_CAP_ASYNC_DIO         (1ull << 15)
#define FBX_CAP_WRITEBACK_CACHE   (1ull << 16)
#define FBX_CAP_NO_OPEN_SUPPORT   (1ull << 17)
#define FBX_CAP_PARALLEL_DIROPS   (1ull << 18)
#define FBX_CAP_HANDLE_KILLPRIV   (1ull << 19)
#define FBX_CAP_POSIX_ACL         (1ull << 20)
#define FBX_CAP_ABORT_ERROR       (1ull << 21)
#define FBX_CAP_MAX_PAGES         (1ull << 22)
#define FBX_CAP_CACHE_SYMLINKS    (1ull << 23)
#define FBX_CAP_NO_OPENDIR_SUPPORT (1ull << 24)
#define FBX_CAP_EXPLICIT_INVAL_DATA (1ull << 25)
/** The filesystem clears suid/sgid itself when fi->kill_priv or
 *  FBX_SET_KILL_SUIDGID says so; the kernel then checks security.capability
 *  once per inode instead of asking before every write(2). */
#define FBX_CAP_HANDLE_KILLPRIV_V2 (1ull << 28)
#define FBX_CAP_SETXATTR_EXT      (1ull << 29)
#define FBX_CAP_DIRECT_IO_ALLOW_MMAP (1ull << 36)
#define FBX_CAP_PASSTHROUGH       (1ull << 37)
#define FBX_CAP_NO_EXPORT_SUPPORT (1ull << 38)
#define FBX_CAP_OVER_IO_URING     (1ull << 41)

/*
 * Bits of `flags` in the ioctl op: the kernel's own values.
 *  COMPAT        the caller is a 32-bit program on a 64-bit kernel
 *                (its compat_ioctl path)
 *  UNRESTRICTED  the ioctl is not bound by its command's encoded size
 *                and direction (CUSE devices that allow it). Only
 *                these may be answered
 *                with fbx_reply_ioctl_retry().
 *  RETRY         this request is the kernel's answer to a retry reply
 *  32BIT         the caller's pointers and longs are 32 bits wide
 *  DIR           the file is a directory (fi is its opendir handle)
 *  COMPAT_X32    the caller uses the x32 ABI
 */
#define FBX_IOCTL_COMPAT       (1u << 0)
#define FBX_IOCTL_UNRESTRICTED (1u << 1)
#define FBX_IOCTL_RETRY        (1u << 2)
#define FBX_IOCTL_32BIT        (1u << 3)
#define FBX_IOCTL_DIR          (1u << 4)
#define FBX_IOCTL_COMPAT_X32   (1u << 5)
/** Most iovecs (in + out) one fbx_reply_ioctl_retry() may name. */
#define FBX_IOCTL_MAX_IOV      256

/** Opaque: the right to wake the poll(2)/select(2)/epoll callers of one
 *  open file, given to the poll op (see fbx_notify_poll()). */
struct fbx_pollhandle;

/** Connection parameters, seen and adjusted by the init op. */
struct fbx_conn {
	unsigned proto_major;     /**< negotiated protocol version (7) */
	unsigned proto_minor;     /**< min(kernel's, ours = 45) */
	uint64_t capable;         /**< FBX_CAP_* the kernel offers (read-only) */
	uint64_t want;            /**< FBX_CAP_* to enable; preset from options */
	uint32_t max_write;       /**< largest WRITE payload; preset from -o max_write */
	uint32_t max_read;        /**< largest READ; preset from -o max_read (0 = any) */
	uint32_t max_readahead;   /**< kernel's offer; may be lowered */
	uint32_t max_background;  /**< async requests the kernel may queue */
	uint32_t congestion_threshold;
	uint32_t time_gran;       /**< timestamp granularity in ns (1 = ns) */
	uint32_t max_stack_depth; /**< passthrough: stacking depth of backing files */
};

/**
 * The operations. Append-only: new ops are added at the end, and the
 * caller passes sizeof(its struct) so an older program keeps working.
 */
struct fbx_ll_ops {
	/** Called once after INIT, before any other op. May change conn->want
	 *  and the limits. Runs before requests are served; no reply. */
	void (*init)(void *userdata, struct fbx_conn *conn);
	/** Called once when the session ends (unmount or exit); no reply. */
	void (*destroy)(void *userdata);

	/** Look up `name` in directory `parent`; reply entry or error. Each
	 *  successful entry reply adds one to the node's lookup count. With
	 *  FBX_CAP_EXPORT_SUPPORT also "." (the node `parent` itself, an id
	 *  to check first) and ".." (see File handles at the top). */
	void (*lookup)(struct fbx_req *req, uint64_t parent, const char *name);
	/** The kernel drops `nlookup` references to `ino`; when the count
	 *  reaches zero the id may be reused. Reply with fbx_reply_none().
	 *  Missing: forget_multi is called with one node, or, without it
	 *  too, nothing is done. */
	void (*forget)(struct fbx_req *req, uint64_t ino, uint64_t nlookup);
	/** Attributes of `ino`; fi is non-NULL when asked through an open
	 *  file (fstat). Reply attr. Missing: ENOSYS. */
	void (*getattr)(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi);
	/** Change the attributes named by `to_set` (FBX_SET_*) to those in
	 *  attr; fi is non-NULL for ftruncate/futimens. Reply attr (the new
	 *  attributes). Missing: ENOSYS. */
	void (*setattr)(struct fbx_req *req, uint64_t ino, const struct stat *attr,
	                unsigned to_set, struct fbx_file_info *fi);
	/** Reply readlink with the target. Missing: ENOSYS. */
	void (*readlink)(struct fbx_req *req, uint64_t ino);
	/** Create a node (regular, fifo, socket, device). Reply entry. */
	void (*mknod)(struct fbx_req *req, uint64_t parent, const char *name,
	              mode_t mode, dev_t rdev);
	/** Create a directory; mode is S_IFDIR with the permission bits
	 *  (libfuse passes the permissions alone). Reply entry. */
	void (*mkdir)(struct fbx_req *req, uint64_t parent, const char *name, mode_t mode);
	/** Remove a non-directory name. Reply err (0 on success). */
	void (*unlink)(struct fbx_req *req, uint64_t parent, const char *name);
	/** Remove an empty directory. Reply err. */
	void (*rmdir)(struct fbx_req *req, uint64_t parent, const char *name);
	/** Create symlink `name` in parent pointing at `target`. Reply entry. */
	void (*symlink)(struct fbx_req *req, const char *target, uint64_t parent,
	                const char *name);
	/** Rename; flags may hold FBX_RENAME_NOREPLACE, FBX_RENAME_EXCHANGE or
	 *  FBX_RENAME_WHITEOUT (an unsupported flag: reply -EINVAL). Reply err. */
	void (*rename)(struct fbx_req *req, uint64_t parent, const char *name,
	               uint64_t newparent, const char *newname, unsigned flags);
	/** Hard link `ino` as newparent/newname. Reply entry (of ino). */
	void (*link)(struct fbx_req *req, uint64_t ino, uint64_t newparent, const char *newname);
	/** Open a file. Reply open (set fi->fh and the out flags). Missing:
	 *  success with fh 0 (and the kernel is told opens need no call). */
	void (*open)(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi);
	/** Read up to `size` bytes at `off`. Reply buf/iov/fd with the data;
	 *  a short reply means end of file (unless direct_io). */
	void (*read)(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
	             struct fbx_file_info *fi);
	/** Write `size` bytes at `off`. Reply write with the count written.
	 *  `buf` starts on a page boundary when fusebox's own loop read the
	 *  request (fbx_session_loop, its workers or io_uring queues), so it
	 *  can go to a file opened with O_DIRECT as it is; with a loop of
	 *  your own (fbx_session_receive) it starts 80 bytes into your buffer
	 *  (the request's headers). */
	void (*write)(struct fbx_req *req, uint64_t ino, const char *buf, size_t size,
	              off_t off, struct fbx_file_info *fi);
	/** close(2) of one descriptor (may come several times). Reply err.
	 *  Missing: ENOSYS, which the kernel remembers: no more FLUSH
	 *  requests, and close(2) succeeds. */
	void (*flush)(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi);
	/** Last close of an open file. Reply err (ignored by the kernel).
	 *  Missing: success. */
	void (*release)(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi);
	/** fsync/fdatasync (datasync != 0). Reply err. Missing: ENOSYS,
	 *  which the kernel remembers and then treats fsync as success. */
	void (*fsync)(struct fbx_req *req, uint64_t ino, int datasync, struct fbx_file_info *fi);
	/** Open a directory. Reply open. Missing: success, fh 0. */
	void (*opendir)(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi);
	/** List a directory: reply buf with entries made by fbx_dirent_add(),
	 *  starting after offset `off` (0 = from the start); an empty reply
	 *  ends the listing. Missing: ENOSYS. */
	void (*readdir)(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
	                struct fbx_file_info *fi);
	/** As readdir, entries made by fbx_direntplus_add(); each entry other
	 *  than "." and ".." counts as a lookup. Missing: the library answers
	 *  with plain readdir and readdirplus is not enabled. */
	void (*readdirplus)(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
	                    struct fbx_file_info *fi);
	/** Last close of a directory. Reply err. Missing: success. */
	void (*releasedir)(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi);
	/** fsync of a directory. Reply err. Missing: ENOSYS (kernel: success). */
	void (*fsyncdir)(struct fbx_req *req, uint64_t ino, int datasync, struct fbx_file_info *fi);
	/** Filesystem statistics. Reply statfs. Missing: a reply with
	 *  namemax 255, bsize 512 and all counts 0. */
	void (*statfs)(struct fbx_req *req, uint64_t ino);
	/** Set an extended attribute (flags: XATTR_CREATE, XATTR_REPLACE).
	 *  Reply err. Missing: ENOSYS, remembered by the kernel (EOPNOTSUPP). */
	void (*setxattr)(struct fbx_req *req, uint64_t ino, const char *name,
	                 const char *value, size_t size, int flags);
	/** size 0: reply xattr with the value's size; else reply buf with the
	 *  value, or -ERANGE if it does not fit. Missing: ENOSYS (EOPNOTSUPP). */
	void (*getxattr)(struct fbx_req *req, uint64_t ino, const char *name, size_t size);
	/** As getxattr, with the NUL-separated list of names. */
	void (*listxattr)(struct fbx_req *req, uint64_t ino, size_t size);
	/** Remove an extended attribute. Reply err. */
	void (*removexattr)(struct fbx_req *req, uint64_t ino, const char *name);
	/** access(2) (only without -o default_permissions). Reply err.
	 *  Missing: ENOSYS, remembered by the kernel, then always allowed. */
	void (*access)(struct fbx_req *req, uint64_t ino, int mask);
	/** Create and open a regular file. Reply create. Missing: the kernel
	 *  falls back to mknod + open. */
	void (*create)(struct fbx_req *req, uint64_t parent, const char *name,
	               mode_t mode, struct fbx_file_info *fi);
	/** Test for a POSIX lock (F_GETLK). Reply lock. Missing: locks are
	 *  kept by the kernel, local to this machine (getlk, setlk, flock). */
	void (*getlk)(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi,
	              struct flock *lock);
	/** Set/clear a POSIX lock; sleep != 0 for F_SETLKW (may be
	 *  interrupted, see fbx_req_interrupted()). Reply err. */
	void (*setlk)(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi,
	              struct flock *lock, int sleep);
	/** flock(2): op is LOCK_SH, LOCK_EX or LOCK_UN, with LOCK_NB. Reply err.
	 *  Missing: the kernel keeps flock locks itself. */
	void (*flock)(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi, int op);
	/** Map block `idx` of size `blocksize` to a device block: the FIBMAP
	 *  ioctl on a file, sent only on fuseblk mounts (-o blkdev,
	 *  fusebox/options.h), `blocksize` being the mount's. Reply bmap.
	 *  Missing: ENOSYS, and the kernel answers FIBMAP with 0 from then on. */
	void (*bmap)(struct fbx_req *req, uint64_t ino, size_t blocksize, uint64_t idx);
	/** fallocate(2) with `mode` (FALLOC_FL_*). Reply err. Missing: ENOSYS,
	 *  remembered by the kernel (EOPNOTSUPP). */
	void (*fallocate)(struct fbx_req *req, uint64_t ino, int mode, off_t off,
	                  off_t len, struct fbx_file_info *fi);
	/** lseek for SEEK_DATA/SEEK_HOLE. Reply lseek. Missing: ENOSYS,
	 *  remembered; the kernel then treats the file as all data. */
	void (*lseek)(struct fbx_req *req, uint64_t ino, off_t off, int whence,
	              struct fbx_file_info *fi);
	/** copy_file_range(2) inside this filesystem. Reply write with the
	 *  count copied. Missing: ENOSYS, remembered; the kernel copies. */
	void (*copy_file_range)(struct fbx_req *req, uint64_t ino_in, off_t off_in,
	                        struct fbx_file_info *fi_in, uint64_t ino_out,
	                        off_t off_out, struct fbx_file_info *fi_out,
	                        size_t len, int flags);
	/** statx(2) with its flags and mask. Reply statx. Missing: the
	 *  library answers from getattr. */
	void (*statx)(struct fbx_req *req, uint64_t ino, int flags, unsigned mask,
	              struct fbx_file_info *fi);
	/** The kernel forgets many nodes at once (BATCH_FORGET); when set it
	 *  gets every batch, even if forget is set too. Missing: forget is
	 *  called for each one. Reply with fbx_reply_none(). */
	void (*forget_multi)(struct fbx_req *req, size_t count,
	                     const uint64_t *inos, const uint64_t *nlookups);
	/** syncfs(2). Reply err. Missing: success. */
	void (*syncfs)(struct fbx_req *req, uint64_t ino);
	/** O_TMPFILE in directory `parent`. Reply create. Missing: EOPNOTSUPP. */
	void (*tmpfile)(struct fbx_req *req, uint64_t parent, mode_t mode,
	                struct fbx_file_info *fi);
	/** The kernel's answer to fbx_notify_retrieve(): `size` bytes of its
	 *  cache of `ino` from `off` (fewer than asked where it had none),
	 *  with the cookie given there. Reply with fbx_reply_none(). Missing:
	 *  the data is dropped. */
	void (*retrieve_reply)(struct fbx_req *req, void *cookie, uint64_t ino,
	                       off_t off, const void *data, size_t size);
	/**
	 * ioctl(2) of an open file (or directory: FBX_IOCTL_DIR in flags, fi
	 * from opendir). `arg` is the caller's argument as it passed it: an
	 * address in the caller's memory, or a plain number; never
	 * dereference it. For an ordinary (restricted) ioctl the kernel
	 * follows the command's encoding (_IOC_DIR, _IOC_SIZE): in_buf holds
	 * the in_bufsz bytes the caller passes in (_IOW), and the reply may
	 * return up to out_bufsz bytes (_IOR), which the kernel copies to
	 * `arg`. Valid replies: fbx_reply_ioctl(), fbx_reply_ioctl_iov(),
	 * fbx_reply_ioctl_retry() (only with FBX_IOCTL_UNRESTRICTED), err.
	 * Directory ioctls reach the op only while conn->want keeps
	 * FBX_CAP_IOCTL_DIR (on by default); else -ENOTTY. Missing: ENOSYS,
	 * which the kernel turns into ENOTTY for the caller.
	 */
	void (*ioctl)(struct fbx_req *req, uint64_t ino, unsigned int cmd, uint64_t arg,
	              struct fbx_file_info *fi, unsigned flags, const void *in_buf,
	              size_t in_bufsz, size_t out_bufsz);
	/**
	 * poll(2), select(2), epoll of an open file: which of `events`
	 * (POLLIN, POLLOUT, ...) are ready now. Valid replies:
	 * fbx_reply_poll(), err. When `ph` is non-NULL the caller will sleep
	 * if nothing is ready, and the op owns ph: keep it, and when the
	 * file becomes ready call fbx_notify_poll(ph) (the kernel then polls
	 * again, with a new handle), then fbx_pollhandle_destroy(ph); or
	 * destroy it at once if the file never changes. A handle kept for
	 * the same file replaces nothing by itself: the op destroys an older
	 * one it no longer needs. Missing: ENOSYS, which the kernel
	 * remembers: every file of the mount is then always ready for
	 * reading and writing.
	 */
	void (*poll)(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi,
	             unsigned events, struct fbx_pollhandle *ph);
};

/* ---- requests --------------------------------------------------------- */

/** The caller's credentials. */
const struct fbx_ctx *fbx_req_ctx(const struct fbx_req *req);
/** The userdata given to fbx_session_new(). */
void *fbx_req_userdata(const struct fbx_req *req);
/** The session the request came from (to send notifications). */
struct fbx_session *fbx_req_session(const struct fbx_req *req);
/** Non-zero once the kernel asked to interrupt this request (the caller
 *  got a signal). A long op should then reply -EINTR soon. */
int fbx_req_interrupted(const struct fbx_req *req);
/**
 * Call fn(req, data) once when the kernel interrupts this request (at
 * once if it already has), from another thread; NULL unregisters. The
 * request stays valid during the call even if replied to meanwhile, and
 * fn may reply itself (say -EINTR); it must not block for long, since
 * it runs on a worker. For ops that wait on something only a callback
 * can stop (libfuse's fuse_req_interrupt_func).
 */
void fbx_req_on_interrupt(struct fbx_req *req, void (*fn)(struct fbx_req *req, void *data),
                          void *data);
/** Supplementary groups of the caller, from /proc/TID/status (FUSE sends
 *  no group list): fills up to `size` ids and returns how many there are
 *  (call again with a larger list when that is more than `size`), or a
 *  negated errno: -ESRCH for a kernel-internal request (pid 0), -ENOENT
 *  when the caller is gone, -EIO if /proc has no Groups line. */
int fbx_req_groups(const struct fbx_req *req, int size, gid_t list[]);
/** Whether the calling thread holds capability `cap` (CAP_FSETID, ...)
 *  in its effective set, read from /proc: 1 or 0, or a negated errno
 *  (-ESRCH for a kernel-internal request, or a caller already gone).
 *  FUSE does not pass capabilities; a filesystem needs this where the
 *  kernel leaves a privilege decision to it, e.g. clearing suid/sgid on
 *  fallocate or copy_file_range under FBX_CAP_HANDLE_KILLPRIV_V2, for
 *  which the kernel sends no kill_priv flag. Treat an error as "not
 *  capable" when that is the safe side. */
int fbx_req_capable(const struct fbx_req *req, int cap);
/** 1 if the caller `ctx` (fbx_req_ctx()) is in group `gid`: its
 *  effective gid, or any of its supplementary groups however many it
 *  has; 0 if not, and also when they cannot be read (see
 *  fbx_req_groups): for a permission decision "not a member" is the
 *  safe side. Reads /proc unless gid is the caller's own. */
int fbx_ctx_in_group(const struct fbx_ctx *ctx, gid_t gid);

/* ---- replies: each returns 0 or a negated errno, and frees req ------- */

int fbx_reply_err(struct fbx_req *req, int err);
/** For forget/forget_multi only: sends nothing, frees req. */
void fbx_reply_none(struct fbx_req *req);
int fbx_reply_entry(struct fbx_req *req, const struct fbx_entry *e);
int fbx_reply_create(struct fbx_req *req, const struct fbx_entry *e,
                     const struct fbx_file_info *fi);
int fbx_reply_attr(struct fbx_req *req, const struct stat *attr, double timeout);
int fbx_reply_readlink(struct fbx_req *req, const char *target);
int fbx_reply_open(struct fbx_req *req, const struct fbx_file_info *fi);
int fbx_reply_write(struct fbx_req *req, size_t count);
int fbx_reply_buf(struct fbx_req *req, const void *buf, size_t size);
int fbx_reply_iov(struct fbx_req *req, const struct iovec *iov, int count);
/** Reply to read with `size` bytes of file descriptor `fd` at `off`
 *  (short at end of file, capped at the session's max_read/max_write
 *  buffer). The data is copied: pread(2) into the worker's buffer (or a
 *  temporary one when replying from another thread; over io_uring, the
 *  ring entry's buffer), then one write to the device. fusebox never
 *  splices (options.h on `splice`). A read error is replied as that
 *  error. Returns 0, or the negative errno of sending the reply. */
int fbx_reply_fd(struct fbx_req *req, int fd, off_t off, size_t size);
/** Memory to build a READ's reply data in, *room bytes of it: the worker's
 *  own buffer past the request (over io_uring, the ring entry's payload).
 *  Data read there and sent with fbx_reply_buf(req, buf, n), n <= *room,
 *  needs no allocation and, over io_uring, no copy. Valid until the
 *  reply, and only in the thread the op was called in: NULL (with *room
 *  0) for any other request, thread or channel; then use memory of your
 *  own. fbx_reply_fd reads into the same memory. */
void *fbx_req_read_buf(struct fbx_req *req, size_t *room);
int fbx_reply_statfs(struct fbx_req *req, const struct statvfs *st);
int fbx_reply_xattr(struct fbx_req *req, size_t size);
int fbx_reply_lock(struct fbx_req *req, const struct flock *lock);
int fbx_reply_bmap(struct fbx_req *req, uint64_t idx);
int fbx_reply_lseek(struct fbx_req *req, off_t off);
struct statx;
int fbx_reply_statx(struct fbx_req *req, const struct statx *stx, double timeout);

/**
 * ioctl: `result` is what ioctl(2) returns to the caller (a negative
 * value is taken by the kernel as -errno: the caller gets -1 and that
 * errno, and no data), with `size` bytes of output copied to the
 * caller's memory (at most out_bufsz of the op; for a retried
 * unrestricted ioctl, spread over its out iovecs in order). A size above
 * out_bufsz is refused: the request gets -EIO, as the kernel would
 * answer it, and the call returns -EINVAL.
 */
int fbx_reply_ioctl(struct fbx_req *req, int result, const void *buf, size_t size);
/** fbx_reply_ioctl() with the output gathered from `count` iovecs. */
int fbx_reply_ioctl_iov(struct fbx_req *req, int result, const struct iovec *iov,
                        int count);
/**
 * Unrestricted ioctls only (FBX_IOCTL_UNRESTRICTED in the op's flags):
 * the kernel cannot know from an unrestricted command what the caller's
 * argument points to, so the op names it: `in` are ranges of the
 * caller's memory (addresses in the caller's space, e.g. `arg`, or read
 * from an earlier retry's input) to copy in, `out` ranges to copy out
 * afterwards. The kernel sends the ioctl again with FBX_IOCTL_RETRY,
 * in_buf holding the in ranges one after the other and out_bufsz their
 * total; a retried op may ask again (e.g. after reading a pointer from
 * a struct). At most FBX_IOCTL_MAX_IOV ranges in all; a 32-bit caller's
 * (FBX_IOCTL_COMPAT) must fit 32 bits. A restricted request, too many
 * ranges or one out of bounds: the request gets -EIO (the caller's
 * answer either way) and the call returns -EINVAL.
 */
int fbx_reply_ioctl_retry(struct fbx_req *req, const struct iovec *in, size_t in_count,
                          const struct iovec *out, size_t out_count);
/** poll: the ready events among those asked (POLLIN, POLLOUT, ...). */
int fbx_reply_poll(struct fbx_req *req, unsigned revents);

/**
 * Directory listing helpers. Each appends one entry to buf (bufsize
 * bytes left) and returns the bytes the entry needs; when that exceeds
 * bufsize nothing was written and the listing reply is full. `next_off`
 * is the offset a later readdir continues from (non-zero, increasing
 * is not required, but it must name the next entry stably).
 */
size_t fbx_dirent_add(char *buf, size_t bufsize, const char *name,
                      const struct stat *st, off_t next_off);
size_t fbx_direntplus_add(char *buf, size_t bufsize, const char *name,
                          const struct fbx_entry *e, off_t next_off);

/* ---- notifications (the filesystem tells the kernel) ----------------- */

/** Drop cached data of `ino` in [off, off+len) (len 0: to the end;
 *  off < 0: only attributes). */
int fbx_notify_inval_inode(struct fbx_session *se, uint64_t ino, off_t off, off_t len);
/** Drop the cached name `name` in `parent`. */
int fbx_notify_inval_entry(struct fbx_session *se, uint64_t parent, const char *name);
/** Mark the cached name `name` in `parent` stale without dropping it:
 *  the next use looks it up again, but a mount on it stays (kernel
 *  protocol 7.38, Linux 6.2; -ENOSYS before). */
int fbx_notify_expire_entry(struct fbx_session *se, uint64_t parent, const char *name);
/** `name` in `parent` (node `child`) was deleted behind the kernel's back. */
int fbx_notify_delete(struct fbx_session *se, uint64_t parent, uint64_t child,
                      const char *name);
/** Put data into the kernel's page cache for `ino`. */
int fbx_notify_store(struct fbx_session *se, uint64_t ino, off_t off,
                     const void *data, size_t size);

/** Ask the kernel for up to `size` bytes of its page cache of `ino` from
 *  `off`; they come to the retrieve_reply op with `cookie` (or never, if
 *  the kernel has nothing cached: keep no state that only the answer
 *  frees). Returns 0 or a negated errno. */
int fbx_notify_retrieve(struct fbx_session *se, uint64_t ino, off_t off,
                        size_t size, void *cookie);

/** Wake the callers waiting in poll(2) on the file `ph` was given for
 *  (any thread, any time after the poll op). The kernel polls again.
 *  0, or a negated errno: -ENOTCONN once the session is destroyed
 *  (the handle stays valid until fbx_pollhandle_destroy()). */
int fbx_notify_poll(struct fbx_pollhandle *ph);
/** Free a poll handle (NULL: nothing). Each handle given to the poll op
 *  is destroyed exactly once, by the filesystem, also after its session
 *  is gone. */
void fbx_pollhandle_destroy(struct fbx_pollhandle *ph);

/** FUSE passthrough (kernel >= 6.9, root): register `fd` as a backing
 *  file; returns an id > 0 for fbx_file_info.backing_id, or -errno.
 *  The kernel then reads and writes the file with the credentials of the
 *  calling thread, which fusebox registers without CAP_FSETID: a write
 *  through a backing file clears suid/sgid as the file system below does
 *  for an unprivileged writer (for every writer, root too: the backing
 *  file is shared by all opens of the inode). A filesystem should still
 *  open setuid/setgid files without a backing file, so that each write
 *  reaches it with kill_priv set exactly as the kernel decides: see
 *  examples/passthrough.c. The kernel takes one backing file per inode,
 *  and all opens of an inode must agree: with a backing file or without. */
int fbx_backing_open(struct fbx_session *se, int fd);
int fbx_backing_close(struct fbx_session *se, int backing_id);

/* ---- the session ------------------------------------------------------ */

/** Make a session; nothing is mounted yet. `ops_size` is sizeof(*ops).
 *  opts may be NULL for defaults; it is copied. NULL on error (errno). */
struct fbx_session *fbx_session_new(const struct fbx_options *opts,
                                    const struct fbx_ll_ops *ops, size_t ops_size,
                                    void *userdata);
/** Mount at `mountpoint`: mount(2) as root, else through fusermount3.
 *  "/dev/fd/N" instead serves descriptor N, a /dev/fuse connection its
 *  opener already mounted (mount.fuse3 -o drop_privileges); that mount
 *  is the opener's and is never unmounted by the session.
 *  Returns 0 or a negated errno, with the reason printed to stderr. */
int fbx_session_mount(struct fbx_session *se, const char *mountpoint);
/** Serve requests until unmounted or fbx_session_exit(): multi-threaded
 *  unless opts->singlethread. Before returning it joins every worker and
 *  runs ops->destroy (once per session). It does not unmount. Returns 0,
 *  or a negated errno (the first fatal error of any worker).
 *  Side effect: it installs the process's handler of SIGRTMAX - 1, the
 *  signal fbx_session_exit() wakes workers with; a program must leave
 *  that signal alone (not block it in workers, not handle it). */
int fbx_session_loop(struct fbx_session *se);
/** Ask the loop to end, from any thread (a handler too); returns at once.
 *  Workers in read(), or about to enter it, are woken (SIGRTMAX - 1) and
 *  fbx_session_loop() returns once they are joined. It does not unmount: the mount stays, and new
 *  requests on it wait unanswered, until fbx_session_unmount() or
 *  fbx_session_destroy(); fbx_session_main() does that after the loop.
 *  Calling it again does nothing. */
void fbx_session_exit(struct fbx_session *se);
/** Non-zero once the session has been asked to end. */
int fbx_session_exited(const struct fbx_session *se);
/** Clear the request to end, so that fbx_session_loop() may serve the
 *  same mount again (only between loops; libfuse's fuse_session_reset). */
void fbx_session_reset(struct fbx_session *se);
/** Unmount if still mounted: umount2(MNT_DETACH) as root, so a busy mount
 *  detaches, else fusermount3 -u -z. Idempotent and safe from any thread;
 *  the loop then ends on its own (the kernel ends the connection). */
void fbx_session_unmount(struct fbx_session *se);
/** Free everything; unmounts first if needed. */
void fbx_session_destroy(struct fbx_session *se);
/** Leave the mount to the caller: the session forgets it, so neither
 *  fbx_session_unmount() nor fbx_session_destroy() unmounts it (the
 *  caller holds a duplicate of the descriptor, or lets the mount go dead,
 *  and unmounts with fbx_unmount_path()). For libfuse 2's
 *  fuse_session_destroy of a session whose channel the program took back.
 *  0, or -ENOTCONN when nothing is mounted. */
int fbx_session_keep_mount(struct fbx_session *se);
/** The /dev/fuse descriptor (-1 before mounting). */
int fbx_session_fd(const struct fbx_session *se);
/** The options the session runs with. */
const struct fbx_options *fbx_session_options(const struct fbx_session *se);
/**
 * Hand the mount's /dev/fuse descriptor over to the caller, who then
 * serves it (or passes it on as /dev/fd/N): the session forgets both the
 * descriptor and the mount, so fbx_session_destroy() neither closes it
 * nor unmounts. For a privileged helper that mounts and passes the
 * connection on (libfuse's fuse_open_channel, mount.fuse3 -o
 * drop_privileges). Returns the descriptor; -ENOTCONN when not mounted
 * on /dev/fuse; -EBUSY once requests were served; -EINVAL with
 * -o auto_unmount (the mount would end with the session anyway).
 */
int fbx_session_release_fd(struct fbx_session *se);
/**
 * Unmount the FUSE mount at `mountpoint` that no session holds (one
 * whose descriptor fbx_session_release_fd() handed over): lazily, as
 * fbx_session_unmount() does (umount2(MNT_DETACH) as root, else
 * fusermount3 -u -z). For the libfuse 2.5-era fuse_unmount(mountpoint).
 * Returns 0; -EINVAL (not a mount point, or no path), -EIO when
 * fusermount3 refused, or another negated errno of umount2.
 */
int fbx_unmount_path(const char *mountpoint);
/**
 * How many threads the next fbx_session_loop() may use: 1 serves every
 * request in the calling thread (as -s does), more makes a pool of at
 * most that many. For callers that choose per loop rather than by
 * option (the libfuse 3 compat layer's fuse_session_loop and
 * fuse_session_loop_mt). Call before the loop; returns 0, or -EINVAL
 * for 0 and -EBUSY while the loop runs.
 */
int fbx_session_set_threads(struct fbx_session *se, unsigned max_threads);

/* ---- a program's own event loop --------------------------------------- */

/*
 * Instead of fbx_session_loop(), a program with an event loop of its
 * own (trio, glib, a qemu main loop) serves requests one at a time: it
 * waits until fbx_session_fd() is readable, reads one request with
 * fbx_session_receive() into a buffer of its own and hands it to
 * fbx_session_process(), which calls the op in that thread. Replies may
 * still come later, from any thread. Such a session never uses io_uring
 * (all requests come to this thread); fbx_session_exit() makes the next
 * receive return 0, and fbx_session_destroy() runs the destroy op if no
 * loop did.
 */

/** Bytes a buffer for fbx_session_receive() needs (the largest request:
 *  max_write plus headers); 0 before mounting or fbx_session_custom_io(). */
size_t fbx_session_bufsize(const struct fbx_session *se);
/**
 * Read one request into buf (size bytes, at least fbx_session_bufsize()).
 * Blocks unless the descriptor is non-blocking (O_NONBLOCK on
 * fbx_session_fd()). Returns the request's length; 0 once the session
 * has ended (unmounted from outside, or fbx_session_exit(): stop serving);
 * -EAGAIN (non-blocking, nothing there) or -EINTR (a signal): wait and
 * try again; -ENOTCONN when not mounted; -EIO for a request shorter
 * than a header; any other negated errno of the read. A request
 * interrupted before it was read is skipped.
 */
ssize_t fbx_session_receive(struct fbx_session *se, void *buf, size_t size);
/**
 * Serve the request of `len` bytes in buf that fbx_session_receive()
 * read: INIT, or one op call in the calling thread. buf may be reused
 * once this returns (ops copy what they keep, see "Lifetimes" above).
 * Several threads may process requests at once. Returns 0; -EPROTO for
 * a malformed request (dropped, with a message on stderr, as the loop
 * does); -ENOTCONN when not mounted; -ENOMEM.
 */
int fbx_session_process(struct fbx_session *se, const void *buf, size_t len);

/**
 * A transport of the program's own, for fbx_session_custom_io(): the
 * session calls these instead of read(2) and writev(2) on /dev/fuse,
 * with the descriptor and the data pointer given there. Append-only;
 * the program passes sizeof(struct fbx_custom_io) as it knows it.
 */
struct fbx_custom_io {
	/** Read one whole request (as the kernel would write it) into buf:
	 *  its length; 0 or -ENODEV when the connection has ended; -EAGAIN,
	 *  -EINTR: nothing now (the loop reads again); another negated errno
	 *  ends the loop with that error. */
	ssize_t (*read)(int fd, void *buf, size_t size, void *data);
	/** Send one whole message (a reply or a notification) gathered from
	 *  iov: the bytes sent, all of them, or a negated errno. Called from
	 *  whichever thread replies, so it must be safe to call from several
	 *  at once when the filesystem replies from other threads. */
	ssize_t (*writev)(int fd, const struct iovec *iov, int count, void *data);
};

/**
 * Serve the connection behind `fd` through `io` instead of mounting
 * (call it instead of fbx_session_mount(): a process that holds
 * /dev/fuse passes requests over a socket, or a test feeds them).
 * fbx_session_fd() is then `fd`, which fbx_session_destroy() closes.
 * fbx_session_loop() serves it with one worker, and so do
 * fbx_session_receive()/fbx_session_process(); io_uring, the polling
 * reader (spin) and fbx_backing_open() need /dev/fuse itself and stay
 * off. Returns 0; -EBADF for fd < 0; -EINVAL without read or writev (or
 * io_size too small for them); -EBUSY when already mounted; -ENOMEM.
 */
int fbx_session_custom_io(struct fbx_session *se, const struct fbx_custom_io *io,
                          size_t io_size, int fd, void *data);

/**
 * Run a session as a program does: mount at its options' mountpoint,
 * daemonize unless -f/-d (mount errors are reported before detaching),
 * serve, and unmount cleanly on SIGINT, SIGTERM, SIGHUP, an external
 * umount or fbx_session_exit(). Returns the process exit status (0, or 1
 * after a message).
 */
int fbx_session_main(struct fbx_session *se);

/**
 * Parse argv (see fusebox/options.h; -h and -V print and return 0), then
 * fbx_session_main(): mount, daemonize unless -f/-d (mount errors are
 * reported before detaching), unmount cleanly on SIGINT, SIGTERM, SIGHUP
 * or an external umount. Returns the process exit status: 0, or 1 with
 * a message on stderr.
 */
int fbx_ll_main(int argc, char *argv[], const struct fbx_ll_ops *ops,
                size_t ops_size, void *userdata);
/**
 * fbx_ll_main() for a program with its own options, usage and setup
 * (struct fbx_app in fusebox/options.h; app may be NULL). Same return.
 */
int fbx_ll_main_app(int argc, char *argv[], const struct fbx_ll_ops *ops,
                    size_t ops_size, void *userdata, const struct fbx_app *app);

#ifdef __cplusplus
}
#endif
#endif /* FUSEBOX_LOWLEVEL_H */
