/*
 * fuse.h -- fusebox's libfuse 2 compatible high-level API: a filesystem
 * as a struct of callbacks that take path names.
 *
 * Runs on fusebox's path layer (fusebox/fs.h): hard links are one inode
 * when getattr gives a stable st_ino, a file unlinked while open stays
 * usable, lookup counts are exact. Return convention of every callback:
 * 0 (or a count where one is asked for) on success, a negated errno on
 * failure. See fuse_common.h for FUSE_USE_VERSION.
 */
#ifndef FUSE_H_
#define FUSE_H_

/* libfuse's default: the 2.1 API. */
#ifndef FUSE_USE_VERSION
# define FUSE_USE_VERSION 21
#endif

#include "fuse_common.h"

#include <fcntl.h>
#include <time.h>
#include <utime.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque: a filesystem made by fuse_new. */
struct fuse;
/** Opaque: one raw request (fuse_read_cmd). */
struct fuse_cmd;

/** readdir's filler: add `name` (st may be NULL; only st_ino and the
 *  type bits are used). off 0 for every entry: the library pages the
 *  listing; else off is the next entry's offset. 1 when full, else 0. */
typedef int (*fuse_fill_dir_t)(void *buf, const char *name,
                               const struct stat *stbuf, off_t off);

/* The old getdir op's filler: one call per entry with its d_type. */
typedef struct fuse_dirhandle *fuse_dirh_t;
typedef int (*fuse_dirfil_t)(fuse_dirh_t h, const char *name, int type, ino_t ino);

/**
 * The callbacks. Every one is optional; fuse_main/fuse_new take
 * sizeof(the struct) so an older program's shorter struct works.
 * What fusebox does without one is what libfuse 2 does: -ENOSYS, or the
 * kernel's own fallback (flush, locks, access, create).
 */
struct fuse_operations {
	int (*getattr)(const char *path, struct stat *st);
	int (*readlink)(const char *path, char *buf, size_t size);
	/** Old directory listing, used when readdir is missing. */
	int (*getdir)(const char *path, fuse_dirh_t h, fuse_dirfil_t filler);
	int (*mknod)(const char *path, mode_t mode, dev_t rdev);
	int (*mkdir)(const char *path, mode_t mode);
	int (*unlink)(const char *path);
	int (*rmdir)(const char *path);
	int (*symlink)(const char *target, const char *path);
	/** Plain rename (renameat2 flags are refused with -EINVAL). */
	int (*rename)(const char *from, const char *to);
	int (*link)(const char *from, const char *to);
	int (*chmod)(const char *path, mode_t mode);
	int (*chown)(const char *path, uid_t uid, gid_t gid);
	int (*truncate)(const char *path, off_t size);
	/** Seconds-precision times, used when utimens is missing. */
	int (*utime)(const char *path, struct utimbuf *times);
	int (*open)(const char *path, struct fuse_file_info *fi);
	int (*read)(const char *path, char *buf, size_t size, off_t off,
	            struct fuse_file_info *fi);
	int (*write)(const char *path, const char *buf, size_t size, off_t off,
	             struct fuse_file_info *fi);
	int (*statfs)(const char *path, struct statvfs *st);
	int (*flush)(const char *path, struct fuse_file_info *fi);
	int (*release)(const char *path, struct fuse_file_info *fi);
	int (*fsync)(const char *path, int datasync, struct fuse_file_info *fi);
	int (*setxattr)(const char *path, const char *name, const char *value,
	                size_t size, int flags);
	int (*getxattr)(const char *path, const char *name, char *value, size_t size);
	int (*listxattr)(const char *path, char *list, size_t size);
	int (*removexattr)(const char *path, const char *name);
	int (*opendir)(const char *path, struct fuse_file_info *fi);
	int (*readdir)(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
	               struct fuse_file_info *fi);
	int (*releasedir)(const char *path, struct fuse_file_info *fi);
	int (*fsyncdir)(const char *path, int datasync, struct fuse_file_info *fi);
	/** After mounting; the result becomes fuse_get_context()->private_data. */
	void *(*init)(struct fuse_conn_info *conn);
	void (*destroy)(void *private_data);
	int (*access)(const char *path, int mask);
	int (*create)(const char *path, mode_t mode, struct fuse_file_info *fi);
	int (*ftruncate)(const char *path, off_t size, struct fuse_file_info *fi);
	int (*fgetattr)(const char *path, struct stat *st, struct fuse_file_info *fi);
	int (*lock)(const char *path, struct fuse_file_info *fi, int cmd,
	            struct flock *lock);
	int (*utimens)(const char *path, const struct timespec tv[2]);
	int (*bmap)(const char *path, size_t blocksize, uint64_t *idx);

	/** Ops on an open file whose name is gone may get a NULL path. */
	unsigned int flag_nullpath_ok : 1;
	/** No path is needed by the ops on open files (fusebox: as nullpath_ok). */
	unsigned int flag_nopath : 1;
	/** utimens understands UTIME_NOW and UTIME_OMIT (fusebox passes them
	 *  in any case: a filesystem without this flag gets them too). */
	unsigned int flag_utime_omit_ok : 1;
	unsigned int flag_reserved : 29;

	/** ioctl(2) of an open file: restricted ioctls only (data holds the
	 *  encoded in/out bytes); the result is what ioctl(2) returns, or a
	 *  negated errno. Missing: the caller gets ENOTTY. */
	int (*ioctl)(const char *path, int cmd, void *arg, struct fuse_file_info *fi,
	             unsigned int flags, void *data);
	/** poll(2): set *reventsp to the ready events and return 0; keep a
	 *  non-NULL ph for fuse_notify_poll() (then fuse_pollhandle_destroy()
	 *  it) or destroy it. Missing: files poll as always ready. */
	int (*poll)(const char *path, struct fuse_file_info *fi,
	            struct fuse_pollhandle *ph, unsigned *reventsp);
	/** Write from a buffer vector (preferred over write when set). */
	int (*write_buf)(const char *path, struct fuse_bufvec *buf, off_t off,
	                 struct fuse_file_info *fi);
	/** Read into a buffer vector the op allocates (*bufp; the library
	 *  frees it and the memory it points at). Preferred over read. */
	int (*read_buf)(const char *path, struct fuse_bufvec **bufp, size_t size,
	                off_t off, struct fuse_file_info *fi);
	int (*flock)(const char *path, struct fuse_file_info *fi, int op);
	int (*fallocate)(const char *path, int mode, off_t off, off_t len,
	                 struct fuse_file_info *fi);
};

/** Who is calling, inside a callback (fuse_get_context). */
struct fuse_context {
	struct fuse *fuse;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	void *private_data;   /**< fuse_new's user_data, then init's result */
	mode_t umask;
};

/**
 * The whole program in one call: parse the command line, mount,
 * daemonize unless -f/-d, serve (threads unless -s), unmount on a
 * signal or umount. Returns 0, or 1 after a message.
 */
int fuse_main_real(int argc, char *argv[], const struct fuse_operations *op,
                   size_t op_size, void *user_data);
#define fuse_main(argc, argv, op, user_data) \
	fuse_main_real(argc, argv, op, sizeof(*(op)), user_data)

/** A filesystem on channel ch (fuse_mount), with the library's -o
 *  options in args; this is where fusebox mounts. NULL on error. */
struct fuse *fuse_new(struct fuse_chan *ch, struct fuse_args *args,
                      const struct fuse_operations *op, size_t op_size,
                      void *user_data);
/** Free f; runs destroy if init ran, frees the channel. */
void fuse_destroy(struct fuse *f);
/** Serve in the calling thread until unmounted or fuse_exit. 0 or -1. */
int fuse_loop(struct fuse *f);
/** Serve with a pool of threads. 0 or -1. */
int fuse_loop_mt(struct fuse *f);
/** End the loop (from any thread). */
void fuse_exit(struct fuse *f);
/** The context of the running callback. */
struct fuse_context *fuse_get_context(void);
/** The caller's supplementary groups (as getgroups(2)); -errno. */
int fuse_getgroups(int size, gid_t list[]);
/** Non-zero when the running request was interrupted. */
int fuse_interrupted(void);
/** Obsolete: does nothing, returns -EINVAL (as libfuse 2.9). */
int fuse_invalidate(struct fuse *f, const char *path);
/** 1 if opt is an option of fuse_new (or of the low-level session). */
int fuse_is_lib_option(const char *opt);

/* Forgotten-node cleaning: fusebox keeps nodes by exact lookup counts,
 * so there is nothing to clean; these succeed. */
int fuse_start_cleanup_thread(struct fuse *fuse);
void fuse_stop_cleanup_thread(struct fuse *fuse);
int fuse_clean_cache(struct fuse *fuse);

/* ---- stacking ----------------------------------------------------------- */

/** A layer of callbacks; fuse_fs_* call its op (or the default). */
struct fuse_fs;

int fuse_fs_getattr(struct fuse_fs *fs, const char *path, struct stat *buf);
int fuse_fs_fgetattr(struct fuse_fs *fs, const char *path, struct stat *buf,
                     struct fuse_file_info *fi);
int fuse_fs_rename(struct fuse_fs *fs, const char *oldpath, const char *newpath);
int fuse_fs_unlink(struct fuse_fs *fs, const char *path);
int fuse_fs_rmdir(struct fuse_fs *fs, const char *path);
int fuse_fs_symlink(struct fuse_fs *fs, const char *linkname, const char *path);
int fuse_fs_link(struct fuse_fs *fs, const char *oldpath, const char *newpath);
int fuse_fs_release(struct fuse_fs *fs, const char *path, struct fuse_file_info *fi);
int fuse_fs_open(struct fuse_fs *fs, const char *path, struct fuse_file_info *fi);
int fuse_fs_read(struct fuse_fs *fs, const char *path, char *buf, size_t size,
                 off_t off, struct fuse_file_info *fi);
int fuse_fs_read_buf(struct fuse_fs *fs, const char *path, struct fuse_bufvec **bufp,
                     size_t size, off_t off, struct fuse_file_info *fi);
int fuse_fs_write(struct fuse_fs *fs, const char *path, const char *buf,
                  size_t size, off_t off, struct fuse_file_info *fi);
int fuse_fs_write_buf(struct fuse_fs *fs, const char *path, struct fuse_bufvec *buf,
                      off_t off, struct fuse_file_info *fi);
int fuse_fs_fsync(struct fuse_fs *fs, const char *path, int datasync,
                  struct fuse_file_info *fi);
int fuse_fs_flush(struct fuse_fs *fs, const char *path, struct fuse_file_info *fi);
int fuse_fs_statfs(struct fuse_fs *fs, const char *path, struct statvfs *buf);
int fuse_fs_opendir(struct fuse_fs *fs, const char *path, struct fuse_file_info *fi);
int fuse_fs_readdir(struct fuse_fs *fs, const char *path, void *buf,
                    fuse_fill_dir_t filler, off_t off, struct fuse_file_info *fi);
int fuse_fs_fsyncdir(struct fuse_fs *fs, const char *path, int datasync,
                     struct fuse_file_info *fi);
int fuse_fs_releasedir(struct fuse_fs *fs, const char *path, struct fuse_file_info *fi);
int fuse_fs_create(struct fuse_fs *fs, const char *path, mode_t mode,
                   struct fuse_file_info *fi);
int fuse_fs_lock(struct fuse_fs *fs, const char *path, struct fuse_file_info *fi,
                 int cmd, struct flock *lock);
int fuse_fs_flock(struct fuse_fs *fs, const char *path, struct fuse_file_info *fi, int op);
int fuse_fs_chmod(struct fuse_fs *fs, const char *path, mode_t mode);
int fuse_fs_chown(struct fuse_fs *fs, const char *path, uid_t uid, gid_t gid);
int fuse_fs_truncate(struct fuse_fs *fs, const char *path, off_t size);
int fuse_fs_ftruncate(struct fuse_fs *fs, const char *path, off_t size,
                      struct fuse_file_info *fi);
int fuse_fs_utimens(struct fuse_fs *fs, const char *path, const struct timespec tv[2]);
int fuse_fs_access(struct fuse_fs *fs, const char *path, int mask);
int fuse_fs_readlink(struct fuse_fs *fs, const char *path, char *buf, size_t len);
int fuse_fs_mknod(struct fuse_fs *fs, const char *path, mode_t mode, dev_t rdev);
int fuse_fs_mkdir(struct fuse_fs *fs, const char *path, mode_t mode);
int fuse_fs_setxattr(struct fuse_fs *fs, const char *path, const char *name,
                     const char *value, size_t size, int flags);
int fuse_fs_getxattr(struct fuse_fs *fs, const char *path, const char *name,
                     char *value, size_t size);
int fuse_fs_listxattr(struct fuse_fs *fs, const char *path, char *list, size_t size);
int fuse_fs_removexattr(struct fuse_fs *fs, const char *path, const char *name);
int fuse_fs_bmap(struct fuse_fs *fs, const char *path, size_t blocksize, uint64_t *idx);
int fuse_fs_ioctl(struct fuse_fs *fs, const char *path, int cmd, void *arg,
                  struct fuse_file_info *fi, unsigned int flags, void *data);
int fuse_fs_poll(struct fuse_fs *fs, const char *path, struct fuse_file_info *fi,
                 struct fuse_pollhandle *ph, unsigned *reventsp);
int fuse_fs_fallocate(struct fuse_fs *fs, const char *path, int mode, off_t offset,
                      off_t length, struct fuse_file_info *fi);
void fuse_fs_init(struct fuse_fs *fs, struct fuse_conn_info *conn);
void fuse_fs_destroy(struct fuse_fs *fs);
/** Wake the poll(2) callers of ph's file (fuse_lowlevel_notify_poll). */
int fuse_notify_poll(struct fuse_pollhandle *ph);

/** A layer with op (op_size bytes of it) and its private data. */
struct fuse_fs *fuse_fs_new(const struct fuse_operations *op, size_t op_size,
                            void *user_data);

/** A stacking module (-o modules=NAME): factory makes its layer over fs[0]. */
struct fuse_module {
	const char *name;
	struct fuse_fs *(*factory)(struct fuse_args *args, struct fuse_fs *fs[]);
	struct fuse_module *next;
	struct fusemod_so *so;
	int ctr;
};
/** Make mod known to -o modules=. */
void fuse_register_module(struct fuse_module *mod);
/** Define a module in a shared library "libfusemod_NAME.so": the
 *  library looks for this symbol, fuse_fusemod_NAME_module, when
 *  -o modules=NAME names a module it does not know yet. */
#define FUSE_REGISTER_MODULE(name_, factory_) \
	struct fuse_module fuse_fusemod_ ## name_ ## _module = { \
		#name_, factory_, NULL, NULL, 0 \
	};

/* ---- step by step --------------------------------------------------------- */

typedef void (*fuse_processor_t)(struct fuse *, struct fuse_cmd *, void *);

/** fuse_main_real without the loop: parse, mount, fuse_new, daemonize,
 *  signal handlers. *mountpoint is malloc'd. NULL after a message. */
struct fuse *fuse_setup(int argc, char *argv[], const struct fuse_operations *op,
                        size_t op_size, char **mountpoint, int *multithreaded,
                        void *user_data);
/** Undo fuse_setup: handlers, unmount, destroy, free mountpoint. */
void fuse_teardown(struct fuse *fuse, char *mountpoint);
/** Raw requests, for a loop of the program's own: fuse_read_cmd reads
 *  one (NULL: none now, or the session ended: see fuse_exited);
 *  fuse_process_cmd serves it in this thread and frees it;
 *  fuse_loop_mt_proc has a few threads read commands and hand each to
 *  proc (which calls fuse_process_cmd) until the session ends: 0 or -1. */
struct fuse_cmd *fuse_read_cmd(struct fuse *f);
void fuse_process_cmd(struct fuse *f, struct fuse_cmd *cmd);
int fuse_loop_mt_proc(struct fuse *f, fuse_processor_t proc, void *data);
/** Non-zero once the loop was asked to end. */
int fuse_exited(struct fuse *f);
/** Obsolete; does nothing. */
void fuse_set_getcontext_func(struct fuse_context *(*func)(void));
/** The low-level session under f. */
struct fuse_session *fuse_get_session(struct fuse *f);

#ifdef __cplusplus
}
#endif

/* ---- the older APIs: the current names mapped onto their forms --------- */

#if FUSE_USE_VERSION < 26
# include "fuse_compat.h"
# undef fuse_main
# if FUSE_USE_VERSION == 25
#  define fuse_main(argc, argv, op) \
	fuse_main_real_compat25(argc, argv, op, sizeof(*(op)))
#  define fuse_new fuse_new_compat25
#  define fuse_setup fuse_setup_compat25
#  define fuse_teardown fuse_teardown_compat22
#  define fuse_operations fuse_operations_compat25
# elif FUSE_USE_VERSION == 22
#  define fuse_main(argc, argv, op) \
	fuse_main_real_compat22(argc, argv, op, sizeof(*(op)))
#  define fuse_new fuse_new_compat22
#  define fuse_setup fuse_setup_compat22
#  define fuse_teardown fuse_teardown_compat22
#  define fuse_operations fuse_operations_compat22
#  define fuse_file_info fuse_file_info_compat
# elif FUSE_USE_VERSION == 24
#  error "FUSE_USE_VERSION 24 is a low-level API version only (as in libfuse): use 22 or 25 with fuse.h"
# else
#  define fuse_dirfil_t fuse_dirfil_t_compat
#  define __fuse_read_cmd fuse_read_cmd
#  define __fuse_process_cmd fuse_process_cmd
#  define __fuse_loop_mt fuse_loop_mt_proc
#  if FUSE_USE_VERSION == 21
#   define fuse_operations fuse_operations_compat2
#   define fuse_main fuse_main_compat2
#   define fuse_new fuse_new_compat2
#   define __fuse_setup fuse_setup_compat2
#   define __fuse_teardown fuse_teardown_compat22
#   define __fuse_exited fuse_exited
#   define __fuse_set_getcontext_func fuse_set_getcontext_func
#  else /* 11 */
#   define fuse_statfs fuse_statfs_compat1
#   define fuse_operations fuse_operations_compat1
#   define fuse_main fuse_main_compat1
#   define fuse_new fuse_new_compat1
#   define FUSE_DEBUG FUSE_DEBUG_COMPAT1
#  endif
# endif
#endif

#endif /* FUSE_H_ */
