/*
 * fuse2.h -- internal to fusebox's libfuse.so.2 (compat/libfuse2/).
 *
 * Every file here is built with -DFUSE_USE_VERSION=29 against our own
 * headers (include/compat/fuse2), so the public prototypes are checked
 * against the definitions. FBX_SYMVER("name@NODE") on a definition also
 * exports it as that old, non-default version (see fuse2.map).
 *
 *   chan.c      fuse_mount/fuse_unmount and the fuse_chan_* calls
 *   session.c   fuse_lowlevel_new, the session's channel, loops, exit
 *   lowlevel.c  struct fuse_lowlevel_ops onto struct fbx_ll_ops
 *   reply.c     fuse_reply_*, fuse_req_*, directory entries
 *   notify.c    fuse_lowlevel_notify_*, poll handles
 *   cuse.c      cuse_lowlevel_*: character devices (fusebox/cuse.h)
 *   raw.c       raw requests: fuse_chan_new/recv/send, receive and
 *               process one request, fuse_read_cmd, fuse_loop_mt_proc
 *   cmdline.c   fuse_parse_cmdline, fuse_version, option lists
 *   hl_*.c      the high-level API (fuse.h) over fusebox's path layer
 *   log.c       where messages go (stderr)
 *   old_*.c     the 1.x .. 2.5 APIs (fuse_compat.h, fuse_lowlevel_compat.h,
 *               fuse_common_compat.h) as translations onto the above:
 *               old_mount.c the descriptor mounts, old_hl.c the old
 *               struct fuse_operations forms, old_ll.c the 2.4/2.5
 *               low-level ops and channel ops, old_generic.c the generic
 *               session (fuse_session_new)
 * and compat/common/ (fuse_opt, buffers, daemonize, signals), shared
 * with the libfuse 3 layer.
 *
 * A libfuse 2 program mounts before it makes its session (fuse_mount
 * returns a channel, fuse_new / fuse_lowlevel_new take it), while
 * fusebox's session mounts itself with the options it was made with.
 * So a channel made by fuse_mount only holds the mount point and the
 * mount options; the session made on it takes those options too and
 * mounts (fuse_new, or fuse_session_add_chan for the low-level API).
 */
#ifndef FBX_COMPAT_LIBFUSE2_H
#define FBX_COMPAT_LIBFUSE2_H

#include <fuse.h>
#include <fuse_lowlevel.h>
/* The 1.x .. 2.5 forms, declared here at any FUSE_USE_VERSION. */
#include <fuse_common_compat.h>
#include <fuse_compat.h>
#include <fuse_lowlevel_compat.h>

#include <stdatomic.h>

#include "common.h"
#include "fusebox/fs.h"
#include "fusebox/lowlevel.h"

#define FBX_SYMVER(spec) __attribute__((symver(spec)))

#define fbx_fuse2_err(...) fbx_compat_err(__VA_ARGS__)

struct stat;
int fbx_fuse2_check_empty(const char *mnt, const struct stat *st);

struct fuse_chan {
	char *mountpoint;           /* absolute, or "/dev/fd/N" (fuse_kern_chan_new) */
	struct fuse_args margs;     /* the mount options fuse_mount was given */
	struct fuse_session *se;    /* the session holding it, or NULL */
	struct fuse_session *mounted_by;   /* whose fusebox session mounted it */
	/* The program took the channel back (fuse_session_remove_chan) and
	 * destroyed the session: the mount is the channel's now, as in libfuse
	 * 2 -- it stays (dead once early_fd closes) until fuse_unmount. */
	int keeps_mount;
	struct fuse_chan *next_pending;    /* made, not yet taken by a session */
	/* fuse_mount: what fuse_chan_fd gives before the session mounts (a
	 * /dev/fuse descriptor, for the program's fcntl FD_CLOEXEC); once
	 * mounted, a duplicate of the mount's descriptor under that number. */
	int early_fd;
	/* fuse_chan_new: the program's own transport (raw.c) */
	int custom;
	struct fuse_chan_ops op;
	int fd;
	size_t bufsize;
	void *data;
	struct fuse_chan_ops_compat24 op24;   /* fuse_chan_new_compat24's (old_ll.c) */
};

/* The parts of a 2.4/2.5 low-level program that the 2.9 ops cannot hold
 * (old_ll.c); NULL for a 2.6+ program. */
struct fbx_fuse2_old_ll {
	void (*init)(void *userdata);                 /* init without connection info */
	void (*statfs)(fuse_req_t req);               /* statfs without an inode */
	struct fuse_lowlevel_ops_compat op24;         /* 2.4: the ops with the 2.4 file info */
};

/* A generic session's ops (fuse_session_new, old_generic.c). */
struct fbx_fuse2_generic {
	struct fuse_session_ops op;
	void *data;
	atomic_int exited;
};

/* libfuse 2's connection options (-o sync_read, max_readahead=N, ...),
 * applied to struct fuse_conn_info before the program's init sees it. */
struct fbx_fuse2_conn_opts {
	unsigned clear;             /* FUSE_CAP_* to turn off */
	unsigned max_readahead, max_background, congestion_threshold;
	int set_readahead, set_background, set_congestion;
	int auto_inval_data;        /* -o auto_inval_data (fusebox's; off as in 2.9) */
};

struct fuse_session {
	struct fbx_session *fbx;
	struct fuse_lowlevel_ops op;   /* the program's, zero beyond its op_size */
	void *userdata;
	struct fbx_ll_ops ll;          /* lowlevel.c's translations of op */
	struct fuse_chan *ch;          /* the one channel */
	struct fuse_chan *mounted;     /* the channel it mounted (even once removed) */
	struct fuse *f;                /* the high-level filesystem, if this is its session */
	struct fbx_fuse2_conn_opts conn;
	int mount_failed;              /* the channel could not be mounted: loops fail */
	atomic_int signal;             /* the signal that ended the loop, or 0 */
	struct fbx_fuse2_old_ll *old;  /* a 2.4/2.5 program's (old_ll.c), or NULL */
	struct fbx_fuse2_generic *gen; /* fuse_session_new's: no fusebox session (fbx NULL) */
};

/* chan.c */
/* fuse_parse_cmdline printed the help or the version into args: no mount. */
int fbx_fuse2_no_mount(const struct fuse_args *args);
/* The oldest channel fuse_mount made that no session took: its mount
 * options belong to the next fuse_lowlevel_new. */
struct fuse_chan *fbx_fuse2_pending_chan(void);
/* Attach ch to se and mount it with se's fusebox session: 0 or -1. */
int fbx_fuse2_attach(struct fuse_session *se, struct fuse_chan *ch);
/* se is going away: its channel is freed, a channel it mounted forgets it. */
void fbx_fuse2_chan_session_gone(struct fuse_session *se);

/* old_mount.c: the "-o opts" string of the 2.2-era calls as arguments
 * (an empty program name first). 0 or -1. */
int fbx_fuse2_opts_args(struct fuse_args *args, const char *opts);

/* raw.c: serve a fuse_chan_new channel's transport with se's session. */
int fbx_fuse2_attach_custom(struct fuse_session *se, struct fuse_chan *ch);

/* session.c: the options of args (and of the channel's mount options)
 * onto o, for fbx_session_new / fbx_fs_new. 0 or -1 after a message. */
int fbx_fuse2_session_options(struct fbx_options *o, const struct fuse_args *args,
                              const struct fuse_chan *ch);
/* The same, keeping the connection options in *conn (may be NULL). */
int fbx_fuse2_session_options_conn(struct fbx_options *o, const struct fuse_args *args,
                                   const struct fuse_chan *ch,
                                   struct fbx_fuse2_conn_opts *conn);
/* fuse_mount's check: as fbx_fuse2_session_options, but an option no
 * one here knows passes (a module may take it in fuse_new); a known
 * one with a bad value fails. */
int fbx_fuse2_mount_options(struct fbx_options *o, const struct fuse_args *args);
/* Apply conn options to ci. */
void fbx_fuse2_conn_apply(const struct fbx_fuse2_conn_opts *c, struct fuse_conn_info *ci);
int fbx_fuse2_loop(struct fuse_session *se, unsigned threads);
/* fuse_lowlevel_new with the 2.4/2.5 program's extra parts (old may be
 * NULL; it is copied). */
struct fuse_session *fbx_fuse2_session_new(struct fuse_args *args,
                                           const struct fuse_lowlevel_ops *op,
                                           size_t op_size, void *userdata,
                                           const struct fbx_fuse2_old_ll *old);

/* old_generic.c: the session calls on a generic session (se->gen). */
int fbx_fuse2_gen_attach(struct fuse_session *se, struct fuse_chan *ch);
int fbx_fuse2_gen_recv(struct fuse_chan **chp, char *buf, size_t size);
int fbx_fuse2_gen_loop(struct fuse_session *se);
void fbx_fuse2_gen_exit(struct fuse_session *se, int val);
int fbx_fuse2_gen_exited(struct fuse_session *se);
void fbx_fuse2_gen_destroy(struct fuse_session *se);

/* lowlevel.c */
void fbx_fuse2_ops(struct fuse_session *se);
void fbx_fuse2_fi_in(struct fuse_file_info *f, const struct fbx_file_info *b);
/* libfuse 2's FUSE_CAP_* are the kernel's flag bits; want/capable are 32 bits. */
unsigned fbx_fuse2_caps(uint64_t kernel_caps);
/* Kernel capabilities fusebox's core asks for by default that libfuse 2.9
 * never negotiates, and that a 2.9 program can neither see nor turn off
 * (no FUSE_CAP_* names them): they change what the program's users see.
 *  - CACHE_SYMLINKS: the kernel keeps a symlink's target in its page
 *    cache and never asks again. The high-level API numbers nodes by
 *    path, so a symlink replaced behind the filesystem's back (loopback,
 *    network filesystems) keeps its node and readlink stays stale.
 *  - AUTO_INVAL_DATA: cached pages are dropped whenever an attribute
 *    reply shows another mtime or size, and with attr_timeout=0 every
 *    read(2) costs a GETATTR first (loggedfs: 14 288 GETATTRs reading
 *    100 KB 7 bytes at a time); libfuse 2.9 leaves the pages (its own
 *    auto_cache option is the 2.9 way). -o auto_inval_data asks. */
#define FBX_FUSE2_NOT_WANTED (FBX_CAP_CACHE_SYMLINKS | FBX_CAP_AUTO_INVAL_DATA)
/* session.c: the core's `want` with those bits as the options say. */
uint64_t fbx_fuse2_core_want(const struct fbx_fuse2_conn_opts *c, uint64_t want,
                             uint64_t capable);

/* The request handle the program sees is fusebox's own. */
static inline struct fbx_req *fbx_fuse2_req(fuse_req_t req) { return (struct fbx_req *)req; }
static inline fuse_req_t fbx_fuse2_ureq(struct fbx_req *req) { return (fuse_req_t)req; }
static inline struct fuse_session *fbx_fuse2_session(struct fbx_req *req)
{
	return fbx_req_userdata(req);
}

/* reply.c: a struct statfs answer as a struct statvfs. */
void fbx_fuse2_statfs_vfs(struct statvfs *v, const struct statfs *st);

/* cmdline.c: libfuse's option names */
int fbx_fuse2_is_hl_option(const char *opt);

#endif /* FBX_COMPAT_LIBFUSE2_H */
