/*
 * fuse_lowlevel.h -- fusebox's libfuse 2 compatible low-level API:
 * requests by inode number, answered with one fuse_reply_*() each.
 *
 * A fuse_req_t is fusebox's own request (fusebox/lowlevel.h): replies
 * may come from any thread, later. Every op is optional; a missing one
 * gets libfuse 2's answer (mostly ENOSYS). See fuse_common.h for
 * FUSE_USE_VERSION.
 */
#ifndef FUSE_LOWLEVEL_H_
#define FUSE_LOWLEVEL_H_

/* libfuse's default: the 2.4 low-level API. */
#ifndef FUSE_USE_VERSION
# define FUSE_USE_VERSION 24
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

/** Inode number of the root directory. */
#define FUSE_ROOT_ID 1

typedef unsigned long fuse_ino_t;
typedef struct fuse_req *fuse_req_t;

struct fuse_session;
struct fuse_chan;

/** The answer to lookup, mknod, mkdir, symlink, link, create. */
struct fuse_entry_param {
	fuse_ino_t ino;            /**< 0 with entry_timeout: cache "no such name" */
	unsigned long generation;
	struct stat attr;
	double attr_timeout;       /**< seconds the kernel may keep attr */
	double entry_timeout;      /**< seconds the kernel may keep the name */
};

/** The caller of a request. */
struct fuse_ctx {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	mode_t umask;
};

/** One node of forget_multi. */
struct fuse_forget_data {
	uint64_t ino;
	uint64_t nlookup;
};

/* setattr's to_set bits */
#define FUSE_SET_ATTR_MODE      (1 << 0)
#define FUSE_SET_ATTR_UID       (1 << 1)
#define FUSE_SET_ATTR_GID       (1 << 2)
#define FUSE_SET_ATTR_SIZE      (1 << 3)
#define FUSE_SET_ATTR_ATIME     (1 << 4)
#define FUSE_SET_ATTR_MTIME     (1 << 5)
#define FUSE_SET_ATTR_ATIME_NOW (1 << 7)
#define FUSE_SET_ATTR_MTIME_NOW (1 << 8)

/** The requests. Each op answers with exactly one fuse_reply_*(). */
struct fuse_lowlevel_ops {
	void (*init)(void *userdata, struct fuse_conn_info *conn);
	void (*destroy)(void *userdata);
	void (*lookup)(fuse_req_t req, fuse_ino_t parent, const char *name);
	void (*forget)(fuse_req_t req, fuse_ino_t ino, unsigned long nlookup);
	void (*getattr)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
	void (*setattr)(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
	                int to_set, struct fuse_file_info *fi);
	void (*readlink)(fuse_req_t req, fuse_ino_t ino);
	void (*mknod)(fuse_req_t req, fuse_ino_t parent, const char *name,
	              mode_t mode, dev_t rdev);
	void (*mkdir)(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
	void (*unlink)(fuse_req_t req, fuse_ino_t parent, const char *name);
	void (*rmdir)(fuse_req_t req, fuse_ino_t parent, const char *name);
	void (*symlink)(fuse_req_t req, const char *link, fuse_ino_t parent,
	                const char *name);
	/** Plain rename (renameat2 flags are refused with -EINVAL). */
	void (*rename)(fuse_req_t req, fuse_ino_t parent, const char *name,
	               fuse_ino_t newparent, const char *newname);
	void (*link)(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
	             const char *newname);
	void (*open)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
	void (*read)(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
	             struct fuse_file_info *fi);
	void (*write)(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
	              off_t off, struct fuse_file_info *fi);
	void (*flush)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
	void (*release)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
	void (*fsync)(fuse_req_t req, fuse_ino_t ino, int datasync,
	              struct fuse_file_info *fi);
	void (*opendir)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
	void (*readdir)(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
	                struct fuse_file_info *fi);
	void (*releasedir)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
	void (*fsyncdir)(fuse_req_t req, fuse_ino_t ino, int datasync,
	                 struct fuse_file_info *fi);
	void (*statfs)(fuse_req_t req, fuse_ino_t ino);
	void (*setxattr)(fuse_req_t req, fuse_ino_t ino, const char *name,
	                 const char *value, size_t size, int flags);
	void (*getxattr)(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
	void (*listxattr)(fuse_req_t req, fuse_ino_t ino, size_t size);
	void (*removexattr)(fuse_req_t req, fuse_ino_t ino, const char *name);
	void (*access)(fuse_req_t req, fuse_ino_t ino, int mask);
	void (*create)(fuse_req_t req, fuse_ino_t parent, const char *name,
	               mode_t mode, struct fuse_file_info *fi);
	void (*getlk)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
	              struct flock *lock);
	void (*setlk)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
	              struct flock *lock, int sleep);
	void (*bmap)(fuse_req_t req, fuse_ino_t ino, size_t blocksize, uint64_t idx);
	/** ioctl(2): reply with fuse_reply_ioctl(_iov), or _retry for an
	 *  unrestricted one (CUSE_UNRESTRICTED_IOCTL), or an error. */
	void (*ioctl)(fuse_req_t req, fuse_ino_t ino, int cmd, void *arg,
	              struct fuse_file_info *fi, unsigned flags,
	              const void *in_buf, size_t in_bufsz, size_t out_bufsz);
	/** poll(2): fuse_reply_poll(); a non-NULL ph is the op's to keep for
	 *  fuse_lowlevel_notify_poll() or to fuse_pollhandle_destroy(). */
	void (*poll)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
	             struct fuse_pollhandle *ph);
	void (*write_buf)(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv,
	                  off_t off, struct fuse_file_info *fi);
	void (*retrieve_reply)(fuse_req_t req, void *cookie, fuse_ino_t ino,
	                       off_t offset, struct fuse_bufvec *bufv);
	void (*forget_multi)(fuse_req_t req, size_t count,
	                     struct fuse_forget_data *forgets);
	void (*flock)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op);
	void (*fallocate)(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
	                  off_t length, struct fuse_file_info *fi);
};

/* ---- replies: each returns 0 or a negated errno -------------------------- */

int fuse_reply_err(fuse_req_t req, int err);
void fuse_reply_none(fuse_req_t req);
int fuse_reply_entry(fuse_req_t req, const struct fuse_entry_param *e);
int fuse_reply_create(fuse_req_t req, const struct fuse_entry_param *e,
                      const struct fuse_file_info *fi);
int fuse_reply_attr(fuse_req_t req, const struct stat *attr, double attr_timeout);
int fuse_reply_readlink(fuse_req_t req, const char *link);
int fuse_reply_open(fuse_req_t req, const struct fuse_file_info *fi);
int fuse_reply_write(fuse_req_t req, size_t count);
int fuse_reply_buf(fuse_req_t req, const char *buf, size_t size);
int fuse_reply_data(fuse_req_t req, struct fuse_bufvec *bufv,
                    enum fuse_buf_copy_flags flags);
int fuse_reply_iov(fuse_req_t req, const struct iovec *iov, int count);
int fuse_reply_statfs(fuse_req_t req, const struct statvfs *stbuf);
int fuse_reply_xattr(fuse_req_t req, size_t count);
int fuse_reply_lock(fuse_req_t req, const struct flock *lock);
int fuse_reply_bmap(fuse_req_t req, uint64_t idx);
/** Add one entry to a readdir reply buffer; returns the entry's size
 *  (with buf NULL: the size it would take; nothing written when it
 *  does not fit). */
size_t fuse_add_direntry(fuse_req_t req, char *buf, size_t bufsize,
                         const char *name, const struct stat *stbuf, off_t off);
/* ioctl and poll (fusebox/lowlevel.h's fbx_reply_ioctl* and fbx_reply_poll). */
int fuse_reply_ioctl_retry(fuse_req_t req, const struct iovec *in_iov, size_t in_count,
                           const struct iovec *out_iov, size_t out_count);
int fuse_reply_ioctl(fuse_req_t req, int result, const void *buf, size_t size);
int fuse_reply_ioctl_iov(fuse_req_t req, int result, const struct iovec *iov, int count);
int fuse_reply_poll(fuse_req_t req, unsigned revents);
int fuse_lowlevel_notify_poll(struct fuse_pollhandle *ph);

/* ---- notifications (the mounted channel; 0 or a negated errno) ---------- */

int fuse_lowlevel_notify_inval_inode(struct fuse_chan *ch, fuse_ino_t ino,
                                     off_t off, off_t len);
int fuse_lowlevel_notify_inval_entry(struct fuse_chan *ch, fuse_ino_t parent,
                                     const char *name, size_t namelen);
int fuse_lowlevel_notify_delete(struct fuse_chan *ch, fuse_ino_t parent,
                                fuse_ino_t child, const char *name, size_t namelen);
int fuse_lowlevel_notify_store(struct fuse_chan *ch, fuse_ino_t ino, off_t offset,
                               struct fuse_bufvec *bufv, enum fuse_buf_copy_flags flags);
int fuse_lowlevel_notify_retrieve(struct fuse_chan *ch, fuse_ino_t ino,
                                  size_t size, off_t offset, void *cookie);

/* ---- about a request -------------------------------------------------------- */

void *fuse_req_userdata(fuse_req_t req);
const struct fuse_ctx *fuse_req_ctx(fuse_req_t req);
int fuse_req_getgroups(fuse_req_t req, int size, gid_t list[]);
typedef void (*fuse_interrupt_func_t)(fuse_req_t req, void *data);
/** func runs (once) if the request is interrupted, now if it already was. */
void fuse_req_interrupt_func(fuse_req_t req, fuse_interrupt_func_t func, void *data);
int fuse_req_interrupted(fuse_req_t req);

/* ---- sessions and channels ---------------------------------------------------- */

/** 1 if opt is a low-level session option (debug, max_write=, ...). */
int fuse_lowlevel_is_lib_option(const char *opt);
/** A session serving op; its options (and those of the last channel
 *  fuse_mount made and no session took yet) are fusebox's. */
struct fuse_session *fuse_lowlevel_new(struct fuse_args *args,
                                       const struct fuse_lowlevel_ops *op,
                                       size_t op_size, void *userdata);

/** A session whose requests the program decodes itself (the 2.x generic
 *  session): process gets each raw request read from its channel,
 *  exit/exited/destroy (each optional) replace the library's own. Its
 *  loop reads the channel (a fuse_chan_new one, or a /dev/fuse
 *  descriptor of fuse_kern_chan_new) and calls process. */
struct fuse_session_ops {
	void (*process)(void *data, const char *buf, size_t len, struct fuse_chan *ch);
	void (*exit)(void *data, int val);
	int (*exited)(void *data);
	void (*destroy)(void *data);
};
struct fuse_session *fuse_session_new(struct fuse_session_ops *op, void *data);
/** Attach ch (one per session); fusebox mounts it here if not yet (a
 *  fuse_chan_new channel: the session serves through its ops instead). */
void fuse_session_add_chan(struct fuse_session *se, struct fuse_chan *ch);
void fuse_session_remove_chan(struct fuse_chan *ch);
/** The session's channel after ch (NULL: the first); NULL at the end. */
struct fuse_chan *fuse_session_next_chan(struct fuse_session *se, struct fuse_chan *ch);
/** Serve one request read by fuse_chan_recv or fuse_session_receive_buf
 *  in this thread (the reply goes to the session's channel, whatever ch
 *  is). fuse_session_receive_buf reads into buf->mem (buf->size bytes,
 *  at least fuse_chan_bufsize) and sets buf->size: the length, 0 once
 *  the session ended, or a negated errno (-EINTR, -EAGAIN: again). */
void fuse_session_process(struct fuse_session *se, const char *buf, size_t len,
                          struct fuse_chan *ch);
void fuse_session_process_buf(struct fuse_session *se, const struct fuse_buf *buf,
                              struct fuse_chan *ch);
int fuse_session_receive_buf(struct fuse_session *se, struct fuse_buf *buf,
                             struct fuse_chan **chp);
/** Free the session and its channel (unmounting). */
void fuse_session_destroy(struct fuse_session *se);
void fuse_session_exit(struct fuse_session *se);
void fuse_session_reset(struct fuse_session *se);
int fuse_session_exited(struct fuse_session *se);
/** Opaque data of the session (not the program's userdata). */
void *fuse_session_data(struct fuse_session *se);
/** Serve in the calling thread until unmounted or exited: 0 or -1. */
int fuse_session_loop(struct fuse_session *se);
/** Serve with a pool of threads: 0 or -1. */
int fuse_session_loop_mt(struct fuse_session *se);

/** A channel with the program's own transport (fuse_chan_new): a
 *  session it is added to serves through receive (the request's length,
 *  0 at the end, -EINTR/-EAGAIN) and send (0 or a negated errno)
 *  instead of mounting; destroy runs when the channel is freed. */
struct fuse_chan_ops {
	int (*receive)(struct fuse_chan **chp, char *buf, size_t size);
	int (*send)(struct fuse_chan *ch, const struct iovec iov[], size_t count);
	void (*destroy)(struct fuse_chan *ch);
};
struct fuse_chan *fuse_chan_new(struct fuse_chan_ops *op, int fd,
                                size_t bufsize, void *data);
/** The /dev/fuse descriptor (-1 until mounted). */
int fuse_chan_fd(struct fuse_chan *ch);
/** The size a request buffer needs. */
size_t fuse_chan_bufsize(struct fuse_chan *ch);
void *fuse_chan_data(struct fuse_chan *ch);
struct fuse_session *fuse_chan_session(struct fuse_chan *ch);
/** Read one request: its length, 0 once the session ended, or a negated
 *  errno (-EINTR, -EAGAIN: try again). */
int fuse_chan_recv(struct fuse_chan **ch, char *buf, size_t size);
/** Send one raw message (a reply): 0 or a negated errno. */
int fuse_chan_send(struct fuse_chan *ch, const struct iovec iov[], size_t count);
void fuse_chan_destroy(struct fuse_chan *ch);

#ifdef __cplusplus
}
#endif

/* ---- the older APIs: the current names mapped onto their forms --------- */

#if FUSE_USE_VERSION < 26
# include "fuse_lowlevel_compat.h"
# define fuse_chan_ops fuse_chan_ops_compat24
# define fuse_chan_new fuse_chan_new_compat24
# if FUSE_USE_VERSION == 25
#  define fuse_lowlevel_ops fuse_lowlevel_ops_compat25
#  define fuse_lowlevel_new fuse_lowlevel_new_compat25
# elif FUSE_USE_VERSION == 24
#  define fuse_lowlevel_ops fuse_lowlevel_ops_compat
#  define fuse_lowlevel_new fuse_lowlevel_new_compat
#  define fuse_file_info fuse_file_info_compat
#  define fuse_reply_statfs fuse_reply_statfs_compat
#  define fuse_reply_open fuse_reply_open_compat
# else
#  error "FUSE_USE_VERSION below 24 has no low-level API (as in libfuse): use 24 or 25 with fuse_lowlevel.h"
# endif
#endif

#endif /* FUSE_LOWLEVEL_H_ */
