/*
 * fuse_lowlevel.h -- fusebox's libfuse 3 compatible inode API.
 *
 * The kernel names files by 64-bit node ids (fuse_ino_t; the root is
 * FUSE_ROOT_ID). Each request calls one op of struct fuse_lowlevel_ops
 * with a request handle (fuse_req_t), and the filesystem answers it
 * exactly once with one fuse_reply_*() call, then or later, from any
 * thread. Replying frees the request; an unanswered one keeps the
 * calling process waiting.
 *
 * Underneath runs fusebox's own session (include/fusebox/lowlevel.h):
 * this API is a translation onto it, so requests are served by
 * fusebox's workers, each on its own clone of /dev/fuse.
 *
 * Reply conventions: each op lists the replies it accepts; every op
 * that replies at all may instead reply fuse_reply_err(req, errno)
 * (a positive errno; 0 means success where "err" is the reply).
 * fuse_reply_*() return 0, or a negated errno when the reply could not
 * be sent (the request is freed all the same). An op left NULL gets
 * the default written beside it.
 *
 * Pointer arguments of an op (names, data, fi) are valid until the op
 * returns; copy what a later reply needs.
 */
#ifndef FUSE_LOWLEVEL_H_
#define FUSE_LOWLEVEL_H_

#ifndef FUSE_USE_VERSION
#error "define FUSE_USE_VERSION (30 or more, e.g. 35 or FUSE_MAKE_VERSION(3, 12)) before including <fuse_lowlevel.h>"
#endif

#include "fuse_common.h"

#include <utime.h>
#include <fcntl.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Node id of the root directory. */
#define FUSE_ROOT_ID 1

/** A node id. */
typedef uint64_t fuse_ino_t;
/** A request in flight, valid until replied to. */
typedef struct fuse_req *fuse_req_t;

/** One FUSE connection: its options, its device, its loop. */
struct fuse_session;

/** The answer to lookup and to the ops that create a name. */
struct fuse_entry_param {
	/** Node id; must be unique while the kernel knows it. 0 together
	 *  with entry_timeout > 0 caches "no such name" (lookup only). */
	fuse_ino_t ino;
	/** ino + generation must never repeat over the life of the
	 *  filesystem (NFS export); 0 when ids are never reused. */
	uint64_t generation;
	/** Attributes; st_ino is what stat(2) shows (may differ from ino). */
	struct stat attr;
	/** Seconds the attributes may be cached. */
	double attr_timeout;
	/** Seconds the name may be cached. */
	double entry_timeout;
};

/** The caller of a request. */
struct fuse_ctx {
	uid_t uid;     /* effective uid */
	gid_t gid;     /* effective gid */
	pid_t pid;     /* thread id of the caller; 0 for kernel-internal requests */
	mode_t umask;  /* caller's umask (create, mknod, mkdir) */
};

/** One element of forget_multi. */
struct fuse_forget_data {
	fuse_ino_t ino;
	uint64_t nlookup;
};

/**
 * Replacement transport for fuse_session_custom_io(): the library calls
 * these instead of read/writev/splice on the device descriptor.
 */
struct fuse_custom_io {
	ssize_t (*writev)(int fd, struct iovec *iov, int count, void *userdata);
	ssize_t (*read)(int fd, void *buf, size_t buf_len, void *userdata);
	ssize_t (*splice_receive)(int fdin, off_t *offin, int fdout,
	                          off_t *offout, size_t len,
	                          unsigned int flags, void *userdata);
	ssize_t (*splice_send)(int fdin, off_t *offin, int fdout,
	                       off_t *offout, size_t len,
	                       unsigned int flags, void *userdata);
};

/** Flags of fuse_lowlevel_notify_expire_entry. */
enum fuse_expire_flags {
	/** Only mark the name stale; do not drop it (needs FUSE_CAP_EXPIRE_ONLY). */
	FUSE_LL_EXPIRE_ONLY = (1 << 0),
};

/* Bits of `to_set` in setattr: which fields of attr to apply. */
#define FUSE_SET_ATTR_MODE      (1 << 0)
#define FUSE_SET_ATTR_UID       (1 << 1)
#define FUSE_SET_ATTR_GID       (1 << 2)
#define FUSE_SET_ATTR_SIZE      (1 << 3)
#define FUSE_SET_ATTR_ATIME     (1 << 4)  /* to attr->st_atim */
#define FUSE_SET_ATTR_MTIME     (1 << 5)  /* to attr->st_mtim */
#define FUSE_SET_ATTR_ATIME_NOW (1 << 7)  /* to the current time */
#define FUSE_SET_ATTR_MTIME_NOW (1 << 8)  /* to the current time */
#define FUSE_SET_ATTR_FORCE     (1 << 9)
#define FUSE_SET_ATTR_CTIME     (1 << 10) /* to attr->st_ctim */
#define FUSE_SET_ATTR_KILL_SUID (1 << 11)
#define FUSE_SET_ATTR_KILL_SGID (1 << 12)
#define FUSE_SET_ATTR_FILE      (1 << 13)
#define FUSE_SET_ATTR_KILL_PRIV (1 << 14)
#define FUSE_SET_ATTR_OPEN      (1 << 15)
#define FUSE_SET_ATTR_TIMES_SET (1 << 16)
#define FUSE_SET_ATTR_TOUCH     (1 << 17)

/**
 * The operations, 352 bytes on x86-64. fuse_session_new() takes the
 * caller's sizeof, so a program built with fewer ops still works.
 */
struct fuse_lowlevel_ops {
	/** After the kernel's INIT: adjust conn (want, limits). No reply. */
	void (*init)(void *userdata, struct fuse_conn_info *conn);
	/** When the session ends (unmount, exit). No reply. */
	void (*destroy)(void *userdata);

	/** Find `name` in `parent`. Reply entry (adds one lookup to the
	 *  node) or err (ENOENT). NULL: ENOSYS. */
	void (*lookup)(fuse_req_t req, fuse_ino_t parent, const char *name);
	/** The kernel drops `nlookup` lookups of `ino`; at zero the node may
	 *  go. Reply none. NULL: nothing done. */
	void (*forget)(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
	/** Attributes (fi non-NULL for fstat on an open file). Reply attr.
	 *  NULL: ENOSYS. */
	void (*getattr)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
	/** Change what `to_set` (FUSE_SET_ATTR_*) names to the values in
	 *  attr; fi is non-NULL for ftruncate/futimens/fchmod. Reply attr
	 *  with the new attributes. NULL: ENOSYS. */
	void (*setattr)(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
	                int to_set, struct fuse_file_info *fi);
	/** Reply readlink with the target. NULL: ENOSYS. */
	void (*readlink)(fuse_req_t req, fuse_ino_t ino);
	/** Make a file, fifo, socket or device node. Reply entry. */
	void (*mknod)(fuse_req_t req, fuse_ino_t parent, const char *name,
	              mode_t mode, dev_t rdev);
	/** Make a directory. Reply entry. */
	void (*mkdir)(fuse_req_t req, fuse_ino_t parent, const char *name,
	              mode_t mode);
	/** Remove a name (not a directory). Reply err. The node lives on
	 *  until its lookups are forgotten. */
	void (*unlink)(fuse_req_t req, fuse_ino_t parent, const char *name);
	/** Remove an empty directory. Reply err. */
	void (*rmdir)(fuse_req_t req, fuse_ino_t parent, const char *name);
	/** Make `name` in parent a symlink to `link`. Reply entry. */
	void (*symlink)(fuse_req_t req, const char *link, fuse_ino_t parent,
	                const char *name);
	/** Rename; flags RENAME_EXCHANGE / RENAME_NOREPLACE (reply EINVAL to
	 *  refuse one). Reply err. */
	void (*rename)(fuse_req_t req, fuse_ino_t parent, const char *name,
	               fuse_ino_t newparent, const char *newname,
	               unsigned int flags);
	/** Hard link `ino` as newparent/newname. Reply entry. */
	void (*link)(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
	             const char *newname);
	/** Open (no O_CREAT/O_EXCL/O_NOCTTY in fi->flags). Set fi->fh and
	 *  the out flags; reply open. NULL: success, fh 0. */
	void (*open)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
	/** Read `size` bytes at `off`. Reply buf, iov or data; fewer bytes
	 *  than asked mean end of file (except with direct_io). */
	void (*read)(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
	             struct fuse_file_info *fi);
	/** Write `size` bytes of buf at `off`. Reply write with the count
	 *  (with direct_io a short count is what write(2) returns).
	 *  write_buf, when set, is called instead. */
	void (*write)(fuse_req_t req, fuse_ino_t ino, const char *buf,
	              size_t size, off_t off, struct fuse_file_info *fi);
	/** Each close(2) of a descriptor of this open. Reply err. NULL:
	 *  ENOSYS, which the kernel then takes as success for good. */
	void (*flush)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
	/** The last descriptor is gone. Reply err (the kernel ignores it).
	 *  NULL: success. */
	void (*release)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
	/** fsync (datasync non-zero: data only). Reply err. NULL: ENOSYS,
	 *  then fsync succeeds without asking. */
	void (*fsync)(fuse_req_t req, fuse_ino_t ino, int datasync,
	              struct fuse_file_info *fi);
	/** Open a directory. Reply open. NULL: success, fh 0. */
	void (*opendir)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
	/** List entries after `off` (0: from the start), at most `size`
	 *  bytes made with fuse_add_direntry(). Reply buf (empty: the end)
	 *  or data. NULL: ENOSYS. */
	void (*readdir)(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
	                struct fuse_file_info *fi);
	/** The directory handle closes. Reply err. NULL: success. */
	void (*releasedir)(fuse_req_t req, fuse_ino_t ino,
	                   struct fuse_file_info *fi);
	/** fsync of a directory. Reply err. NULL: ENOSYS (then success). */
	void (*fsyncdir)(fuse_req_t req, fuse_ino_t ino, int datasync,
	                 struct fuse_file_info *fi);
	/** Filesystem statistics. Reply statfs. NULL: a reply with
	 *  name length 255, block size 512, counts 0. */
	void (*statfs)(fuse_req_t req, fuse_ino_t ino);
	/** Set an extended attribute (flags XATTR_CREATE, XATTR_REPLACE).
	 *  Reply err. NULL: ENOSYS (then EOPNOTSUPP for good). */
	void (*setxattr)(fuse_req_t req, fuse_ino_t ino, const char *name,
	                 const char *value, size_t size, int flags);
	/** size 0: reply xattr with the value's length; otherwise reply buf
	 *  with the value, or err ERANGE if it is longer than size. */
	void (*getxattr)(fuse_req_t req, fuse_ino_t ino, const char *name,
	                 size_t size);
	/** As getxattr, for the list of names, each NUL-terminated. */
	void (*listxattr)(fuse_req_t req, fuse_ino_t ino, size_t size);
	/** Remove an extended attribute. Reply err. */
	void (*removexattr)(fuse_req_t req, fuse_ino_t ino, const char *name);
	/** access(2) (not sent with -o default_permissions). Reply err.
	 *  NULL: ENOSYS, then all access is allowed without asking. */
	void (*access)(fuse_req_t req, fuse_ino_t ino, int mask);
	/** Create and open a file. Reply create. NULL: the kernel falls
	 *  back to mknod and open. */
	void (*create)(fuse_req_t req, fuse_ino_t parent, const char *name,
	               mode_t mode, struct fuse_file_info *fi);
	/** F_GETLK: reply lock with the conflicting lock, or with l_type
	 *  F_UNLCK. NULL (with setlk): the kernel keeps locks locally. */
	void (*getlk)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
	              struct flock *lock);
	/** F_SETLK, F_SETLKW when sleep is non-zero. Reply err. */
	void (*setlk)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
	              struct flock *lock, int sleep);
	/** Map a file block to a device block (fuseblk mounts). Reply bmap. */
	void (*bmap)(fuse_req_t req, fuse_ino_t ino, size_t blocksize,
	             uint64_t idx);
	/** ioctl(2). Restricted (normal) ioctls carry in_bufsz bytes in and
	 *  may return out_bufsz. Reply ioctl, ioctl_iov, or ioctl_retry
	 *  (unrestricted only). The type of cmd changed in 3.5. */
#if FUSE_USE_VERSION < 35
	void (*ioctl)(fuse_req_t req, fuse_ino_t ino, int cmd, void *arg,
	              struct fuse_file_info *fi, unsigned flags,
	              const void *in_buf, size_t in_bufsz, size_t out_bufsz);
#else
	void (*ioctl)(fuse_req_t req, fuse_ino_t ino, unsigned int cmd,
	              void *arg, struct fuse_file_info *fi, unsigned flags,
	              const void *in_buf, size_t in_bufsz, size_t out_bufsz);
#endif
	/** poll(2). Reply poll with the ready events; keep ph (if non-NULL)
	 *  to wake the caller later with fuse_lowlevel_notify_poll(), then
	 *  fuse_pollhandle_destroy() it. NULL: the file is always ready. */
	void (*poll)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
	             struct fuse_pollhandle *ph);
	/** Write from a buffer vector (may be a descriptor); replaces write
	 *  when set. Reply write. */
	void (*write_buf)(fuse_req_t req, fuse_ino_t ino,
	                  struct fuse_bufvec *bufv, off_t off,
	                  struct fuse_file_info *fi);
	/** The data asked for by fuse_lowlevel_notify_retrieve() (`cookie`
	 *  as given there). Reply none. */
	void (*retrieve_reply)(fuse_req_t req, void *cookie, fuse_ino_t ino,
	                       off_t offset, struct fuse_bufvec *bufv);
	/** Several forgets at once. Reply none. NULL: forget for each. */
	void (*forget_multi)(fuse_req_t req, size_t count,
	                     struct fuse_forget_data *forgets);
	/** flock(2): op is LOCK_SH/LOCK_EX/LOCK_UN, maybe with LOCK_NB.
	 *  Reply err. NULL: the kernel keeps flock locks locally. */
	void (*flock)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
	              int op);
	/** fallocate(2) with its mode. Reply err. NULL: ENOSYS (EOPNOTSUPP). */
	void (*fallocate)(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
	                  off_t length, struct fuse_file_info *fi);
	/** As readdir, entries made with fuse_add_direntry_plus(); each
	 *  entry except "." and ".." counts as a lookup. NULL: readdir is
	 *  used and readdirplus is not offered. */
	void (*readdirplus)(fuse_req_t req, fuse_ino_t ino, size_t size,
	                    off_t off, struct fuse_file_info *fi);
	/** copy_file_range(2) within the filesystem. Reply write with the
	 *  bytes copied. NULL: ENOSYS, the kernel copies itself. */
	void (*copy_file_range)(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
	                        struct fuse_file_info *fi_in,
	                        fuse_ino_t ino_out, off_t off_out,
	                        struct fuse_file_info *fi_out, size_t len,
	                        int flags);
	/** lseek(2) with SEEK_DATA/SEEK_HOLE. Reply lseek. NULL: ENOSYS. */
	void (*lseek)(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
	              struct fuse_file_info *fi);
};

/* ---- replies ----------------------------------------------------------
 * Each frees req and returns 0, or a negated errno if sending failed. */

/** Error reply: `err` is a positive errno, or 0 for success. */
int fuse_reply_err(fuse_req_t req, int err);
/** No reply at all (forget, forget_multi, retrieve_reply). */
void fuse_reply_none(fuse_req_t req);
/** lookup, mknod, mkdir, symlink, link. */
int fuse_reply_entry(fuse_req_t req, const struct fuse_entry_param *e);
/** create: the new entry and the open handle. */
int fuse_reply_create(fuse_req_t req, const struct fuse_entry_param *e,
                      const struct fuse_file_info *fi);
/** getattr, setattr. */
int fuse_reply_attr(fuse_req_t req, const struct stat *attr,
                    double attr_timeout);
/** readlink. */
int fuse_reply_readlink(fuse_req_t req, const char *link);
/** open, opendir. */
int fuse_reply_open(fuse_req_t req, const struct fuse_file_info *fi);
/** write, write_buf, copy_file_range. */
int fuse_reply_write(fuse_req_t req, size_t count);
/** read, readdir, readdirplus, getxattr, listxattr. */
int fuse_reply_buf(fuse_req_t req, const char *buf, size_t size);
/** As fuse_reply_buf, the data taken from a buffer vector (memory or
 *  descriptors). */
int fuse_reply_data(fuse_req_t req, struct fuse_bufvec *bufv,
                    enum fuse_buf_copy_flags flags);
/** As fuse_reply_buf, gathered from `count` iovecs. */
int fuse_reply_iov(fuse_req_t req, const struct iovec *iov, int count);
/** statfs. */
int fuse_reply_statfs(fuse_req_t req, const struct statvfs *stbuf);
/** getxattr, listxattr with size 0: the length needed. */
int fuse_reply_xattr(fuse_req_t req, size_t count);
/** getlk. */
int fuse_reply_lock(fuse_req_t req, const struct flock *lock);
/** bmap. */
int fuse_reply_bmap(fuse_req_t req, uint64_t idx);

/**
 * Append one readdir entry to buf (bufsize bytes left). Only st_ino and
 * the type bits of st_mode are used. `off` is where a later readdir
 * continues (the next entry's offset). Returns the bytes the entry
 * needs; if that is more than bufsize nothing was written. req may be
 * NULL; buf NULL just measures.
 */
size_t fuse_add_direntry(fuse_req_t req, char *buf, size_t bufsize,
                         const char *name, const struct stat *stbuf,
                         off_t off);
/** As fuse_add_direntry for readdirplus, with a whole entry. */
size_t fuse_add_direntry_plus(fuse_req_t req, char *buf, size_t bufsize,
                              const char *name,
                              const struct fuse_entry_param *e, off_t off);

/** ioctl (unrestricted only): ask the kernel to resend the request
 *  with these caller memory ranges copied in and out. */
int fuse_reply_ioctl_retry(fuse_req_t req,
                           const struct iovec *in_iov, size_t in_count,
                           const struct iovec *out_iov, size_t out_count);
/** ioctl: ioctl(2)'s return value and `size` bytes of output. */
int fuse_reply_ioctl(fuse_req_t req, int result, const void *buf,
                     size_t size);
/** As fuse_reply_ioctl, the output gathered from iovecs. */
int fuse_reply_ioctl_iov(fuse_req_t req, int result,
                         const struct iovec *iov, int count);
/** poll: the ready events (POLLIN, ...). */
int fuse_reply_poll(fuse_req_t req, unsigned revents);
/** lseek: the resulting offset. */
int fuse_reply_lseek(fuse_req_t req, off_t off);

/* ---- notifications: the filesystem tells the kernel ------------------
 * Each returns 0, or a negated errno (-ENOENT: the kernel does not know
 * the node or name, which is not a failure of the filesystem; -ENOSYS:
 * the kernel is too old). Call them from any thread except from within
 * an op that holds the node (the kernel may wait for that op). */

/** Wake poll() callers waiting on `ph`. */
int fuse_lowlevel_notify_poll(struct fuse_pollhandle *ph);
/** Drop cached data of ino in [off, off+len) (len 0: to the end; off
 *  negative: drop only the attributes). */
int fuse_lowlevel_notify_inval_inode(struct fuse_session *se, fuse_ino_t ino,
                                     off_t off, off_t len);
/** Drop the cached name `name` (namelen bytes) of parent. */
int fuse_lowlevel_notify_inval_entry(struct fuse_session *se, fuse_ino_t parent,
                                     const char *name, size_t namelen);
/** As inval_entry; with FUSE_LL_EXPIRE_ONLY the name is only marked stale. */
int fuse_lowlevel_notify_expire_entry(struct fuse_session *se, fuse_ino_t parent,
                                      const char *name, size_t namelen,
                                      enum fuse_expire_flags flags);
/** `name` of parent (node child) is gone: drop it and, if the kernel
 *  has it, tell its users (inotify). */
int fuse_lowlevel_notify_delete(struct fuse_session *se, fuse_ino_t parent,
                                fuse_ino_t child, const char *name,
                                size_t namelen);
/** Put data into the kernel's page cache of ino at offset. */
int fuse_lowlevel_notify_store(struct fuse_session *se, fuse_ino_t ino,
                               off_t offset, struct fuse_bufvec *bufv,
                               enum fuse_buf_copy_flags flags);
/** Ask the kernel for cached data of ino; it arrives through the
 *  retrieve_reply op with `cookie`. */
int fuse_lowlevel_notify_retrieve(struct fuse_session *se, fuse_ino_t ino,
                                  size_t size, off_t offset, void *cookie);

/* ---- about a request ---------------------------------------------------- */

/** The userdata given to fuse_session_new(). */
void *fuse_req_userdata(fuse_req_t req);
/** The caller's credentials; valid until the reply. */
const struct fuse_ctx *fuse_req_ctx(fuse_req_t req);
/** The caller's supplementary groups: stores up to `size` in list and
 *  returns how many there are (call again with a bigger list if more),
 *  or a negated errno (-ENOSYS where unknown). */
int fuse_req_getgroups(fuse_req_t req, int size, gid_t list[]);

/** Called (once, from another thread) when the kernel interrupts a
 *  request. */
typedef void (*fuse_interrupt_func_t)(fuse_req_t req, void *data);
/** Register `func` for req; called at once if already interrupted.
 *  NULL unregisters. */
void fuse_req_interrupt_func(fuse_req_t req, fuse_interrupt_func_t func,
                             void *data);
/** 1 if the kernel has interrupted req (a long op should then reply
 *  EINTR), else 0. */
int fuse_req_interrupted(fuse_req_t req);

/* ---- command line ------------------------------------------------------ */

/** Print the library and protocol versions (for --version). */
void fuse_lowlevel_version(void);
/** Print the low-level (session and mount) -o options. */
void fuse_lowlevel_help(void);
/** Print the generic command line options (-h, -V, -d, -f, -s, -o
 *  clone_fd, -o max_idle_threads, -o max_threads). */
void fuse_cmdline_help(void);

/**
 * The generic command line, parsed by fuse_parse_cmdline(). 48 bytes;
 * binaries built against libfuse before 3.12 know it without
 * max_threads (40 bytes) and get a variant that fills only that part.
 */
struct fuse_cmdline_opts {
	int singlethread;       /* -s */
	int foreground;         /* -f (also set by -d) */
	int debug;              /* -d, -o debug */
	int nodefault_subtype;  /* the program set its own subtype */
	char *mountpoint;       /* malloc'd, absolute; NULL if none given */
	int show_version;       /* -V, --version */
	int show_help;          /* -h, --help */
	int clone_fd;           /* -o clone_fd */
	unsigned int max_idle_threads; /* -o max_idle_threads=N (default 10) */
	unsigned int max_threads;      /* -o max_threads=N (default 10) */
};

/**
 * Take the generic options and the mountpoint out of args, leaving the
 * rest (for fuse_session_new). -o debug stays in args as well.
 * Returns 0, or -1 after printing what is wrong. With -h or -V the
 * flags are set and no mountpoint is needed. Free opts->mountpoint.
 */
int fuse_parse_cmdline(struct fuse_args *args, struct fuse_cmdline_opts *opts);

/* ---- sessions ----------------------------------------------------------- */

/**
 * A session for the options in args (those it does not know are an
 * error, except that a lone "-o debug" is fine). `op_size` is
 * sizeof(*op) as the program knows it. Nothing is mounted yet.
 * Returns NULL after a message.
 */
struct fuse_session *fuse_session_new(struct fuse_args *args,
                                      const struct fuse_lowlevel_ops *op,
                                      size_t op_size, void *userdata);

/** Use `io` instead of read/writev on `fd` for this session (a device
 *  descriptor obtained elsewhere). Returns 0 or a negated errno. */
int fuse_session_custom_io(struct fuse_session *se,
                           const struct fuse_custom_io *io, int fd);

/**
 * Mount at `mountpoint`: mount(2) as root, else through fusermount3.
 * "/dev/fd/N" means N is an already open /dev/fuse descriptor (the
 * parent mounted it). Returns 0 or -1 after a message.
 */
int fuse_session_mount(struct fuse_session *se, const char *mountpoint);

/** Serve requests in the calling thread until the session exits or the
 *  filesystem is unmounted. Returns 0, a negated errno, or the signal's
 *  number when a handler of fuse_set_signal_handlers() ended it. */
int fuse_session_loop(struct fuse_session *se);

/*
 * Serve requests with a pool of threads. Which call a program gets
 * depends on FUSE_USE_VERSION; all end like fuse_session_loop.
 */
#if FUSE_USE_VERSION < 32
int fuse_session_loop_mt_31(struct fuse_session *se, int clone_fd);
#define fuse_session_loop_mt(se, clone_fd) fuse_session_loop_mt_31(se, clone_fd)
#elif FUSE_USE_VERSION < FUSE_MAKE_VERSION(3, 12)
int fuse_session_loop_mt_32(struct fuse_session *se,
                            struct fuse_loop_config *config);
#define fuse_session_loop_mt(se, config) fuse_session_loop_mt_32(se, config)
#else
/** config from fuse_loop_cfg_create(), or NULL for the defaults. */
int fuse_session_loop_mt(struct fuse_session *se,
                         struct fuse_loop_config *config);
#endif

/** Make the loop end (from any thread or a signal handler). */
void fuse_session_exit(struct fuse_session *se);
/** Clear the exit flag so the session may be looped again. */
void fuse_session_reset(struct fuse_session *se);
/** Non-zero once the session was asked to exit. */
int fuse_session_exited(struct fuse_session *se);
/** Unmount, if mounted. */
void fuse_session_unmount(struct fuse_session *se);
/** Free the session (call destroy if it ran; unmount if needed). */
void fuse_session_destroy(struct fuse_session *se);
/** The /dev/fuse descriptor, for a program's own event loop; -1 if
 *  not mounted. */
int fuse_session_fd(struct fuse_session *se);

/** Dispatch one request read by fuse_session_receive_buf(). */
void fuse_session_process_buf(struct fuse_session *se,
                              const struct fuse_buf *buf);
/**
 * Read one request into buf (allocating buf->mem when NULL; keep it for
 * the next call and free() it at the end). Returns the bytes read, 0
 * when the filesystem was unmounted, or a negated errno (-EINTR,
 * -EAGAIN on a non-blocking descriptor: try again).
 */
int fuse_session_receive_buf(struct fuse_session *se, struct fuse_buf *buf);

#ifdef __cplusplus
}
#endif
#endif /* FUSE_LOWLEVEL_H_ */
