/*
 * lib/fs/fs_int.h -- internals of the path layer (fusebox/fs.h over
 * fusebox/lowlevel.h), shared by the lib/fs sources.
 *
 *   main.c      fbx_main, fbx_fs_new, init/destroy, the ll ops table
 *   context.c   fbx_fs_context, attribute fix-ups, path helpers
 *   ops_entry.c lookup, forget, getattr, setattr, names (mknod..link)
 *   ops_file.c  open, read, write, release, locks, xattrs, misc
 *   ops_ioctl.c ioctl and poll
 *   ops_dir.c   opendir, readdir(plus) with snapshots, releasedir
 *   nodes.c     the node table
 */
#ifndef FBX_FS_INT_H
#define FBX_FS_INT_H

#include "fusebox/fs.h"
#include "fs/nodes.h"

struct fbx_fs {
	struct fbx_fs_ops ops;         /* the caller's, zero-filled past its size */
	struct fbx_session *se;
	const struct fbx_options *opts; /* = &cfg */
	struct fbx_options cfg;        /* ours, changeable from init (fbx_fs_options) */
	struct fbx_nodes *nodes;
	void *userdata;
	void *private_data;            /* userdata, then init's return value */
	int inited;
	unsigned long hidden_seq;      /* next .fbx_hidden<N> (atomic) */
	uint32_t generation;           /* of every node but the root: per mount */
	int killpriv;                  /* init asked for handle_killpriv_v2 */
	bool remember;                 /* flag_remember or -o noforget */
};

/* ---- killpriv.c -------------------------------------------------------- */

/** Clear suid/sgid of path (fi) as Linux does for a caller without
 *  CAP_FSETID: 1 if a bit was cleared, 0 if none was set, or -errno. */
int fbx_fsi_kill_suidgid(struct fbx_fs *fs, const char *path, struct fbx_file_info *fi);
/** A chown under handle_killpriv_v2 (the kernel sends kill_suidgid
 *  with every chown of a non-directory): which bits Linux's chown takes,
 *  judged before the owner changes (the file's old group counts), then
 *  cleared once it has. 0 or a negated errno. */
int fbx_fsi_chown_kill_plan(struct fbx_fs *fs, const char *path, struct fbx_file_info *fi,
                            mode_t *kill);
int fbx_fsi_chown_kill(struct fbx_fs *fs, const char *path, struct fbx_file_info *fi,
                       mode_t kill);
/** After a write-like op that succeeded: clear the bits when `kill`
 *  (write's kill_priv) or, with kill < 0, when the caller lacks
 *  CAP_FSETID (fallocate, copy_file_range), and drop the kernel's
 *  cached attributes of ino if that changed the mode. */
void fbx_fsi_kill_after(struct fbx_fs *fs, struct fbx_req *req, uint64_t ino,
                        const char *path, struct fbx_file_info *fi, int kill);

/* ---- context.c -------------------------------------------------------- */

/* Enter/leave a callback: sets the thread's fbx_fs_context from req. */
struct fbx_fs *fbx_fsi_enter(struct fbx_req *req);
void fbx_fsi_enter_noreq(struct fbx_fs *fs);
void fbx_fsi_leave(void);

/** Fix up attributes before they reach the kernel: st_ino (use_ino),
 *  umask/uid/gid overrides. */
void fbx_fsi_fix_attr(const struct fbx_fs *fs, uint64_t id, struct stat *st);
/** The same fix-ups for statx. */
struct statx;
void fbx_fsi_fix_statx(const struct fbx_fs *fs, uint64_t id, struct statx *stx);
/** Names of files hidden while open: FS_HIDDEN_PREFIX<N>. */
#define FS_HIDDEN_PREFIX ".fbx_hidden"
/** nlink as the user sees it when path is a name we hid. */
void fbx_fsi_fix_hidden(struct fbx_fs *fs, uint64_t id, const char *path, struct stat *st);
/** An entry for node id with attributes st and the option timeouts. */
void fbx_fsi_fill_entry(const struct fbx_fs *fs, uint64_t id, const struct stat *st,
                   struct fbx_entry *e);

/** Path of ino (plus "/name"); see fbx_nodes_path. */
int fbx_fsi_path(struct fbx_fs *fs, uint64_t ino, const char *name, char **path);
/** fbx_fsi_path into mem (room bytes) when it fits: free *path only
 *  when it is not mem. */
int fbx_fsi_path_in(struct fbx_fs *fs, uint64_t ino, const char *name, char *mem,
                    size_t room, char **path);
/** Room for the paths of the commonest requests, on the stack. */
#define FS_PATH_STACK 512
/** Path of ino for an op on open file fi (NULL: before it has a handle):
 *  the name it was opened under (fbx_nodes_path_fh). When the node has no
 *  name any more (hard_remove) *path is NULL if the fs takes that, else
 *  -ENOENT. */
int fbx_fsi_path_fi(struct fbx_fs *fs, uint64_t ino, const struct fbx_file_info *fi,
                    char **path);
/** fbx_fsi_path_fi into mem as fbx_fsi_path_in. */
int fbx_fsi_path_fi_in(struct fbx_fs *fs, uint64_t ino, const struct fbx_file_info *fi,
                       char *mem, size_t room, char **path);

/** getattr, or fgetattr when fi is given and the fs has it. */
int fbx_fsi_getattr(struct fbx_fs *fs, const char *path, struct stat *st,
               struct fbx_file_info *fi);
/** getattr of path and enter it into the table (one lookup counted);
 *  fills e. With open != 0 the node also counts one open handle. */
int fbx_fsi_lookup_path(struct fbx_fs *fs, uint64_t parent, const char *name,
                   const char *path, struct fbx_file_info *fi, int open,
                   struct fbx_entry *e);

/** Reply an entry; if the kernel did not take it, undo its lookup. */
void fbx_fsi_reply_entry(struct fbx_fs *fs, struct fbx_req *req, const struct fbx_entry *e);
/** Reply an error or 0; the reply's own failure only means the request
 *  was interrupted, and there is nothing left to undo. */
void fbx_fsi_reply_err(struct fbx_req *req, int err);

/* ---- ops_*.c: the low-level ops ------------------------------------- */

void fbx_fsi_ll_lookup(struct fbx_req *req, uint64_t parent, const char *name);
void fbx_fsi_ll_forget(struct fbx_req *req, uint64_t ino, uint64_t nlookup);
void fbx_fsi_ll_forget_multi(struct fbx_req *req, size_t count, const uint64_t *inos,
                        const uint64_t *nlookups);
void fbx_fsi_ll_getattr(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi);
void fbx_fsi_ll_setattr(struct fbx_req *req, uint64_t ino, const struct stat *attr,
                   unsigned to_set, struct fbx_file_info *fi);
void fbx_fsi_ll_readlink(struct fbx_req *req, uint64_t ino);
void fbx_fsi_ll_mknod(struct fbx_req *req, uint64_t parent, const char *name, mode_t mode,
                 dev_t rdev);
void fbx_fsi_ll_mkdir(struct fbx_req *req, uint64_t parent, const char *name, mode_t mode);
void fbx_fsi_ll_unlink(struct fbx_req *req, uint64_t parent, const char *name);
void fbx_fsi_ll_rmdir(struct fbx_req *req, uint64_t parent, const char *name);
void fbx_fsi_ll_symlink(struct fbx_req *req, const char *target, uint64_t parent,
                   const char *name);
void fbx_fsi_ll_rename(struct fbx_req *req, uint64_t parent, const char *name,
                  uint64_t newparent, const char *newname, unsigned flags);
void fbx_fsi_ll_link(struct fbx_req *req, uint64_t ino, uint64_t newparent,
                const char *newname);
void fbx_fsi_ll_statx(struct fbx_req *req, uint64_t ino, int flags, unsigned mask,
                 struct fbx_file_info *fi);

void fbx_fsi_ll_open(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi);
void fbx_fsi_ll_create(struct fbx_req *req, uint64_t parent, const char *name, mode_t mode,
                  struct fbx_file_info *fi);
void fbx_fsi_ll_read(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                struct fbx_file_info *fi);
void fbx_fsi_ll_write(struct fbx_req *req, uint64_t ino, const char *buf, size_t size,
                 off_t off, struct fbx_file_info *fi);
void fbx_fsi_ll_flush(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi);
void fbx_fsi_ll_release(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi);
void fbx_fsi_ll_fsync(struct fbx_req *req, uint64_t ino, int datasync,
                 struct fbx_file_info *fi);
void fbx_fsi_ll_statfs(struct fbx_req *req, uint64_t ino);
void fbx_fsi_ll_setxattr(struct fbx_req *req, uint64_t ino, const char *name,
                    const char *value, size_t size, int flags);
void fbx_fsi_ll_getxattr(struct fbx_req *req, uint64_t ino, const char *name, size_t size);
void fbx_fsi_ll_listxattr(struct fbx_req *req, uint64_t ino, size_t size);
void fbx_fsi_ll_removexattr(struct fbx_req *req, uint64_t ino, const char *name);
void fbx_fsi_ll_access(struct fbx_req *req, uint64_t ino, int mask);
void fbx_fsi_ll_getlk(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi,
                 struct flock *lock);
void fbx_fsi_ll_setlk(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi,
                 struct flock *lock, int sleep);
void fbx_fsi_ll_flock(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi, int op);
void fbx_fsi_ll_bmap(struct fbx_req *req, uint64_t ino, size_t blocksize, uint64_t idx);
void fbx_fsi_ll_fallocate(struct fbx_req *req, uint64_t ino, int mode, off_t off, off_t len,
                     struct fbx_file_info *fi);
void fbx_fsi_ll_lseek(struct fbx_req *req, uint64_t ino, off_t off, int whence,
                 struct fbx_file_info *fi);
void fbx_fsi_ll_copy_file_range(struct fbx_req *req, uint64_t ino_in, off_t off_in,
                           struct fbx_file_info *fi_in, uint64_t ino_out,
                           off_t off_out, struct fbx_file_info *fi_out, size_t len,
                           int flags);

void fbx_fsi_ll_ioctl(struct fbx_req *req, uint64_t ino, unsigned int cmd, uint64_t arg,
                      struct fbx_file_info *fi, unsigned flags, const void *in_buf,
                      size_t in_bufsz, size_t out_bufsz);
void fbx_fsi_ll_poll(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi,
                     unsigned events, struct fbx_pollhandle *ph);

/** The filesystem's own file info of a directory handle (the kernel's
 *  fi->fh of a directory is the path layer's, see ops_dir.c). */
struct fbx_file_info *fbx_fsi_dir_fi(struct fbx_file_info *fi);
void fbx_fsi_ll_opendir(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi);
void fbx_fsi_ll_readdir(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                   struct fbx_file_info *fi);
void fbx_fsi_ll_readdirplus(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                       struct fbx_file_info *fi);
void fbx_fsi_ll_releasedir(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi);
void fbx_fsi_ll_fsyncdir(struct fbx_req *req, uint64_t ino, int datasync,
                    struct fbx_file_info *fi);

#endif /* FBX_FS_INT_H */
