/*
 * fuse.h -- fusebox's libfuse 3 compatible path API.
 *
 * The filesystem implements struct fuse_operations on path names; the
 * library keeps the node table (path <-> node id), so ops see
 * "/dir/file" strings. Underneath runs fusebox's path layer
 * (include/fusebox/fs.h): hard links are one node, a file unlinked
 * while open stays usable, lookup counts are exact.
 *
 * Return convention of the ops: 0 (or a count where said) on success,
 * a negated errno on failure (-ENOENT). An op left NULL gets -ENOSYS
 * unless its text says otherwise. Ops run in the worker threads and
 * may be called concurrently; fuse_get_context() tells who called.
 *
 * Define FUSE_USE_VERSION (see fuse_common.h) before including this.
 */
#ifndef FUSE_H_
#define FUSE_H_

#include "fuse_common.h"

#include <fcntl.h>
#include <time.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque: one mounted high-level filesystem. */
struct fuse;

/** Flags given to readdir. */
enum fuse_readdir_flags {
	/** The kernel wants attributes too (readdirplus): the filler's
	 *  stbuf should be complete, and FUSE_FILL_DIR_PLUS set. */
	FUSE_READDIR_PLUS = (1 << 0)
};

/** Flags the readdir filler takes. */
enum fuse_fill_dir_flags {
	/** stbuf is complete (all attributes), not just type and ino. */
	FUSE_FILL_DIR_PLUS = (1 << 1)
};

/**
 * Adds one entry to a readdir reply. Two ways to list:
 *  - all at once: pass off 0 for every entry and ignore readdir's own
 *    offset; the library keeps the listing and pages it to the kernel;
 *  - in pieces: pass each entry's next offset (non-zero); stop when the
 *    filler returns 1 (buffer full) and continue from readdir's `off`.
 * stbuf may be NULL. Returns 0, or 1 when full.
 */
typedef int (*fuse_fill_dir_t)(void *buf, const char *name,
                               const struct stat *stbuf, off_t off,
                               enum fuse_fill_dir_flags flags);

/**
 * Settings of the path layer, from -o options; the init op may change
 * them.
 */
struct fuse_config {
	int set_gid;            /* -o gid=N: show every file with gid N */
	unsigned int gid;
	int set_uid;            /* -o uid=N */
	unsigned int uid;
	int set_mode;           /* -o umask=M: mask every file's mode */
	unsigned int umask;
	double entry_timeout;   /* seconds names are cached (default 1) */
	double negative_timeout;/* seconds "no such name" is cached (0) */
	double attr_timeout;    /* seconds attributes are cached (1) */
	int intr;               /* -o intr: interrupt ops with intr_signal */
	int intr_signal;        /* default SIGUSR1 */
	int remember;           /* seconds nodes are kept after forget (-1 forever) */
	int hard_remove;        /* unlink open files at once instead of renaming */
	int use_ino;            /* st_ino from getattr is shown as is */
	int readdir_ino;        /* without use_ino: st_ino of known names in readdir */
	int direct_io;          /* every open bypasses the page cache */
	int kernel_cache;       /* every open keeps the page cache */
	int auto_cache;         /* keep the cache while mtime and size stay */
	int no_rofd_flush;      /* no flush for read-only descriptors */
	int ac_attr_timeout_set;
	double ac_attr_timeout; /* attribute timeout for auto_cache checks */
	int nullpath_ok;        /* ops on open handles may get path NULL */
	int show_help;
	char *modules;          /* -o modules=a:b (stacked modules) */
	int debug;
};

/**
 * The operations, 336 bytes on x86-64. fuse_main()/fuse_new() take the
 * caller's sizeof, so a program built with fewer ops works.
 */
struct fuse_operations {
	/** stat(2) of path (fi non-NULL when asked through an open file;
	 *  path may then be NULL with nullpath_ok). st_dev and st_blksize
	 *  are ignored; st_ino only with use_ino. */
	int (*getattr)(const char *, struct stat *, struct fuse_file_info *fi);
	/** Put the symlink's target, NUL-terminated, into the buffer of
	 *  the given size (truncate if longer). Return 0. */
	int (*readlink)(const char *, char *, size_t);
	/** Make a non-directory, non-symlink node. NULL with create set:
	 *  regular files are made by create. */
	int (*mknod)(const char *, mode_t, dev_t);
	/** Make a directory (mode may lack S_IFDIR). */
	int (*mkdir)(const char *, mode_t);
	int (*unlink)(const char *);
	int (*rmdir)(const char *);
	/** symlink(target, linkpath). */
	int (*symlink)(const char *, const char *);
	/** rename(from, to, flags): flags RENAME_EXCHANGE, RENAME_NOREPLACE;
	 *  return -EINVAL for one not supported. */
	int (*rename)(const char *, const char *, unsigned int flags);
	/** link(existing, newpath). */
	int (*link)(const char *, const char *);
	int (*chmod)(const char *, mode_t, struct fuse_file_info *fi);
	/** uid or gid (uid_t)-1 / (gid_t)-1: leave it unchanged. */
	int (*chown)(const char *, uid_t, gid_t, struct fuse_file_info *fi);
	int (*truncate)(const char *, off_t, struct fuse_file_info *fi);
	/** Open: check flags and permissions, set fi->fh and the out flags
	 *  of fi. NULL: success. */
	int (*open)(const char *, struct fuse_file_info *);
	/** Read up to size bytes at offset; return the count (less only at
	 *  end of file, except with direct_io). */
	int (*read)(const char *, char *, size_t, off_t, struct fuse_file_info *);
	/** Write; return the count written (all of it, except with direct_io). */
	int (*write)(const char *, const char *, size_t, off_t,
	             struct fuse_file_info *);
	/** statvfs(2); f_favail, f_fsid and f_flag are ignored. NULL: zeros
	 *  with name length 255. */
	int (*statfs)(const char *, struct statvfs *);
	/** Each close(2) of a descriptor; may come several times per open
	 *  or never. Errors are returned to close(2). */
	int (*flush)(const char *, struct fuse_file_info *);
	/** Last close of an open file; the return value is ignored. */
	int (*release)(const char *, struct fuse_file_info *);
	/** fsync; datasync non-zero: data only. */
	int (*fsync)(const char *, int, struct fuse_file_info *);
	/** setxattr(path, name, value, size, flags). */
	int (*setxattr)(const char *, const char *, const char *, size_t, int);
	/** getxattr(path, name, buf, size): size 0 returns the length;
	 *  otherwise the length copied, or -ERANGE. */
	int (*getxattr)(const char *, const char *, char *, size_t);
	/** listxattr(path, buf, size): as getxattr for the name list. */
	int (*listxattr)(const char *, char *, size_t);
	int (*removexattr)(const char *, const char *);
	/** Open a directory (set fi->fh). NULL: success. */
	int (*opendir)(const char *, struct fuse_file_info *);
	/** List a directory through the filler (see fuse_fill_dir_t). */
	int (*readdir)(const char *, void *, fuse_fill_dir_t, off_t,
	               struct fuse_file_info *, enum fuse_readdir_flags);
	int (*releasedir)(const char *, struct fuse_file_info *);
	int (*fsyncdir)(const char *, int, struct fuse_file_info *);
	/** Once, before other ops: adjust conn and cfg; the return value
	 *  becomes fuse_get_context()->private_data for every op (return
	 *  the given private_data to keep it). */
	void *(*init)(struct fuse_conn_info *conn, struct fuse_config *cfg);
	/** At the end, with init's return value. */
	void (*destroy)(void *private_data);
	/** access(2) (not with -o default_permissions). NULL: allowed. */
	int (*access)(const char *, int);
	/** Create and open a regular file. NULL: mknod then open. */
	int (*create)(const char *, mode_t, struct fuse_file_info *);
	/** fcntl locks: cmd F_GETLK, F_SETLK or F_SETLKW. For F_GETLK fill
	 *  in the conflicting lock or set l_type F_UNLCK. NULL: locks are
	 *  local to the machine (kept by the kernel). */
	int (*lock)(const char *, struct fuse_file_info *, int cmd,
	            struct flock *);
	/** Set times (tv[0] atime, tv[1] mtime; tv_nsec may be UTIME_NOW
	 *  or UTIME_OMIT). */
	int (*utimens)(const char *, const struct timespec tv[2],
	               struct fuse_file_info *fi);
	/** Map a block (fuseblk mounts): *idx in, device block out. */
	int (*bmap)(const char *, size_t blocksize, uint64_t *idx);
	/** ioctl: data is in/out as the command's encoding says. The type
	 *  of cmd changed in 3.5. */
#if FUSE_USE_VERSION < 35
	int (*ioctl)(const char *, int cmd, void *arg,
	             struct fuse_file_info *, unsigned int flags, void *data);
#else
	int (*ioctl)(const char *, unsigned int cmd, void *arg,
	             struct fuse_file_info *, unsigned int flags, void *data);
#endif
	/** poll: set *reventsp; keep ph (if non-NULL) to wake the caller
	 *  with fuse_notify_poll() later, then fuse_pollhandle_destroy(). */
	int (*poll)(const char *, struct fuse_file_info *,
	            struct fuse_pollhandle *ph, unsigned *reventsp);
	/** As write, from a buffer vector; used instead of write when set.
	 *  Return the count. */
	int (*write_buf)(const char *, struct fuse_bufvec *buf, off_t off,
	                 struct fuse_file_info *);
	/** As read, returning a malloc'd buffer vector in *bufp (freed by
	 *  the library, with its memory buffers). Used instead of read. */
	int (*read_buf)(const char *, struct fuse_bufvec **bufp,
	                size_t size, off_t off, struct fuse_file_info *);
	/** flock(2): op LOCK_SH/LOCK_EX/LOCK_UN [|LOCK_NB]. NULL: local. */
	int (*flock)(const char *, struct fuse_file_info *, int op);
	/** fallocate(2) (mode FALLOC_FL_*). */
	int (*fallocate)(const char *, int, off_t, off_t, struct fuse_file_info *);
	/** copy_file_range(2); return the bytes copied. */
	ssize_t (*copy_file_range)(const char *path_in,
	                           struct fuse_file_info *fi_in,
	                           off_t offset_in, const char *path_out,
	                           struct fuse_file_info *fi_out,
	                           off_t offset_out, size_t size, int flags);
	/** lseek(2) (SEEK_DATA, SEEK_HOLE); return the new offset. */
	off_t (*lseek)(const char *, off_t off, int whence, struct fuse_file_info *);
};

/** Who made the current request (valid inside an op, in its thread). */
struct fuse_context {
	struct fuse *fuse;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	/** init's return value (or fuse_main's private_data). */
	void *private_data;
	mode_t umask;
};

/**
 * The whole program in one call: parse the command line (generic
 * options, -o options of the library and the kernel, the mountpoint),
 * mount, daemonize unless -f, serve (multi-threaded unless -s) until
 * unmounted or a signal, unmount. Returns the exit status: 0 on
 * success, non-zero after a message (1 bad arguments, ...).
 */
#define fuse_main(argc, argv, op, private_data) \
	fuse_main_real(argc, argv, op, sizeof(*(op)), private_data)

/** Print the path layer's -o options (and those of its modules). */
void fuse_lib_help(struct fuse_args *args);

/**
 * A filesystem for the options in args (parsed out of it; an unknown
 * one is an error). Not mounted yet. NULL after a message.
 */
#if FUSE_USE_VERSION == 30
struct fuse *fuse_new_30(struct fuse_args *args, const struct fuse_operations *op,
                         size_t op_size, void *private_data);
#define fuse_new(args, op, size, data) fuse_new_30(args, op, size, data)
#else
struct fuse *fuse_new(struct fuse_args *args, const struct fuse_operations *op,
                      size_t op_size, void *private_data);
#endif

/** Mount at mountpoint. Returns 0 or -1 after a message. */
int fuse_mount(struct fuse *f, const char *mountpoint);
/** Unmount, if mounted. */
void fuse_unmount(struct fuse *f);
/** Free the filesystem (calls destroy). */
void fuse_destroy(struct fuse *f);
/** Serve requests in this thread until exit or unmount. Returns 0, a
 *  negated errno, or the signal's number when a handler installed by
 *  fuse_set_signal_handlers() ended it. */
int fuse_loop(struct fuse *f);
/** Make the loop end. */
void fuse_exit(struct fuse *f);

/* Multi-threaded loop; the variant follows FUSE_USE_VERSION. */
#if FUSE_USE_VERSION < 32
int fuse_loop_mt_31(struct fuse *f, int clone_fd);
#define fuse_loop_mt(f, clone_fd) fuse_loop_mt_31(f, clone_fd)
#elif FUSE_USE_VERSION < FUSE_MAKE_VERSION(3, 12)
int fuse_loop_mt_32(struct fuse *f, struct fuse_loop_config *config);
#define fuse_loop_mt(f, config) fuse_loop_mt_32(f, config)
#else
int fuse_loop_mt(struct fuse *f, struct fuse_loop_config *config);
#endif

/** The current request's context; only meaningful inside an op. */
struct fuse_context *fuse_get_context(void);
/** The current caller's supplementary groups (see fuse_req_getgroups). */
int fuse_getgroups(int size, gid_t list[]);
/** 1 if the current request was interrupted. */
int fuse_interrupted(void);
/** Drop the kernel's cached data and name of path. Returns 0, -ENOENT
 *  if the library does not know the path, or another negated errno. */
int fuse_invalidate_path(struct fuse *f, const char *path);

/** See fuse_main. */
int fuse_main_real(int argc, char *argv[], const struct fuse_operations *op,
                   size_t op_size, void *private_data);

/** With -o remember: the thread that drops old nodes. fuse_loop()
 *  starts it itself; for programs with their own loop. */
int fuse_start_cleanup_thread(struct fuse *fuse);
void fuse_stop_cleanup_thread(struct fuse *fuse);
/** Drop remembered nodes now; returns seconds until the next run. */
int fuse_clean_cache(struct fuse *fuse);

/* ---- stacking: a filesystem object a module wraps ------------------- */

/** Opaque: one layer (the program's ops, or a module over them). */
struct fuse_fs;

/*
 * Call one op of a layer, as the library would: with the layer's
 * private data as context, -ENOSYS when the layer lacks the op. Return
 * conventions are those of struct fuse_operations.
 */
int fuse_fs_getattr(struct fuse_fs *fs, const char *path, struct stat *buf,
                    struct fuse_file_info *fi);
int fuse_fs_rename(struct fuse_fs *fs, const char *oldpath,
                   const char *newpath, unsigned int flags);
int fuse_fs_unlink(struct fuse_fs *fs, const char *path);
int fuse_fs_rmdir(struct fuse_fs *fs, const char *path);
int fuse_fs_symlink(struct fuse_fs *fs, const char *linkname,
                    const char *path);
int fuse_fs_link(struct fuse_fs *fs, const char *oldpath, const char *newpath);
int fuse_fs_release(struct fuse_fs *fs, const char *path,
                    struct fuse_file_info *fi);
int fuse_fs_open(struct fuse_fs *fs, const char *path,
                 struct fuse_file_info *fi);
int fuse_fs_read(struct fuse_fs *fs, const char *path, char *buf, size_t size,
                 off_t off, struct fuse_file_info *fi);
int fuse_fs_read_buf(struct fuse_fs *fs, const char *path,
                     struct fuse_bufvec **bufp, size_t size, off_t off,
                     struct fuse_file_info *fi);
int fuse_fs_write(struct fuse_fs *fs, const char *path, const char *buf,
                  size_t size, off_t off, struct fuse_file_info *fi);
int fuse_fs_write_buf(struct fuse_fs *fs, const char *path,
                      struct fuse_bufvec *buf, off_t off,
                      struct fuse_file_info *fi);
int fuse_fs_fsync(struct fuse_fs *fs, const char *path, int datasync,
                  struct fuse_file_info *fi);
int fuse_fs_flush(struct fuse_fs *fs, const char *path,
                  struct fuse_file_info *fi);
int fuse_fs_statfs(struct fuse_fs *fs, const char *path, struct statvfs *buf);
int fuse_fs_opendir(struct fuse_fs *fs, const char *path,
                    struct fuse_file_info *fi);
int fuse_fs_readdir(struct fuse_fs *fs, const char *path, void *buf,
                    fuse_fill_dir_t filler, off_t off,
                    struct fuse_file_info *fi, enum fuse_readdir_flags flags);
int fuse_fs_fsyncdir(struct fuse_fs *fs, const char *path, int datasync,
                     struct fuse_file_info *fi);
int fuse_fs_releasedir(struct fuse_fs *fs, const char *path,
                       struct fuse_file_info *fi);
int fuse_fs_create(struct fuse_fs *fs, const char *path, mode_t mode,
                   struct fuse_file_info *fi);
int fuse_fs_lock(struct fuse_fs *fs, const char *path,
                 struct fuse_file_info *fi, int cmd, struct flock *lock);
int fuse_fs_flock(struct fuse_fs *fs, const char *path,
                  struct fuse_file_info *fi, int op);
int fuse_fs_chmod(struct fuse_fs *fs, const char *path, mode_t mode,
                  struct fuse_file_info *fi);
int fuse_fs_chown(struct fuse_fs *fs, const char *path, uid_t uid, gid_t gid,
                  struct fuse_file_info *fi);
int fuse_fs_truncate(struct fuse_fs *fs, const char *path, off_t size,
                     struct fuse_file_info *fi);
int fuse_fs_utimens(struct fuse_fs *fs, const char *path,
                    const struct timespec tv[2], struct fuse_file_info *fi);
int fuse_fs_access(struct fuse_fs *fs, const char *path, int mask);
int fuse_fs_readlink(struct fuse_fs *fs, const char *path, char *buf,
                     size_t len);
int fuse_fs_mknod(struct fuse_fs *fs, const char *path, mode_t mode,
                  dev_t rdev);
int fuse_fs_mkdir(struct fuse_fs *fs, const char *path, mode_t mode);
int fuse_fs_setxattr(struct fuse_fs *fs, const char *path, const char *name,
                     const char *value, size_t size, int flags);
int fuse_fs_getxattr(struct fuse_fs *fs, const char *path, const char *name,
                     char *value, size_t size);
int fuse_fs_listxattr(struct fuse_fs *fs, const char *path, char *list,
                      size_t size);
int fuse_fs_removexattr(struct fuse_fs *fs, const char *path,
                        const char *name);
int fuse_fs_bmap(struct fuse_fs *fs, const char *path, size_t blocksize,
                 uint64_t *idx);
#if FUSE_USE_VERSION < 35
int fuse_fs_ioctl(struct fuse_fs *fs, const char *path, int cmd,
                  void *arg, struct fuse_file_info *fi, unsigned int flags,
                  void *data);
#else
int fuse_fs_ioctl(struct fuse_fs *fs, const char *path, unsigned int cmd,
                  void *arg, struct fuse_file_info *fi, unsigned int flags,
                  void *data);
#endif
int fuse_fs_poll(struct fuse_fs *fs, const char *path,
                 struct fuse_file_info *fi, struct fuse_pollhandle *ph,
                 unsigned *reventsp);
int fuse_fs_fallocate(struct fuse_fs *fs, const char *path, int mode,
                      off_t offset, off_t length, struct fuse_file_info *fi);
ssize_t fuse_fs_copy_file_range(struct fuse_fs *fs, const char *path_in,
                                struct fuse_file_info *fi_in, off_t off_in,
                                const char *path_out,
                                struct fuse_file_info *fi_out, off_t off_out,
                                size_t len, int flags);
off_t fuse_fs_lseek(struct fuse_fs *fs, const char *path, off_t off,
                    int whence, struct fuse_file_info *fi);
/** Run the layer's init / destroy. */
void fuse_fs_init(struct fuse_fs *fs, struct fuse_conn_info *conn,
                  struct fuse_config *cfg);
void fuse_fs_destroy(struct fuse_fs *fs);

/** Wake poll() callers of a handle given to the poll op. */
int fuse_notify_poll(struct fuse_pollhandle *ph);

/** A layer for op (op_size = sizeof(*op)) with its private data;
 *  NULL when out of memory. */
struct fuse_fs *fuse_fs_new(const struct fuse_operations *op, size_t op_size,
                            void *private_data);

/**
 * A module's factory: take its options out of args and return the new
 * layer wrapping fs[0] (fs[1] is NULL), or NULL after a message.
 */
typedef struct fuse_fs *(*fuse_module_factory_t)(struct fuse_args *args,
                                                 struct fuse_fs *fs[]);

/** Make a module (a shared object or part of the program) known to
 *  -o modules=name by its factory. */
#define FUSE_REGISTER_MODULE(name_, factory_) \
	fuse_module_factory_t fuse_module_ ## name_ ## _factory = factory_

/** The low-level session under f (for notifications, signals). */
struct fuse_session *fuse_get_session(struct fuse *f);

/** Mount at mountpoint with the kernel option string `options` and
 *  return the /dev/fuse descriptor, or -1 after a message. */
int fuse_open_channel(const char *mountpoint, const char *options);

#ifdef __cplusplus
}
#endif
#endif /* FUSE_H_ */
