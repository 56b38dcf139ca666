/*
 * fuse_compat.h -- the libfuse 1.x .. 2.5 high-level API: their own
 * struct fuse_operations forms and the calls that take them. fuse.h
 * includes it for FUSE_USE_VERSION below 26 and maps the current names
 * onto these (fuse_operations, fuse_main, fuse_new, ...); a program does
 * not include it itself.
 *
 * fusebox runs each form on the 2.9 high-level layer: the old callbacks
 * are called through small translations (file info, statfs results, the
 * getdir filler without inode numbers, init without connection info).
 * Callbacks return 0 or a negated errno, as in fuse.h.
 */
#ifndef FUSE_COMPAT_H_
#define FUSE_COMPAT_H_

#if !defined(FUSE_H_)
# error "include <fuse.h>, not <fuse_compat.h>"
#endif

#include <sys/statfs.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- 2.5: the 2.6 layout up to fgetattr, init without connection info ---- */

struct fuse_operations_compat25 {
	int (*getattr)(const char *path, struct stat *st);
	int (*readlink)(const char *path, char *buf, size_t size);
	int (*getdir)(const char *path, fuse_dirh_t h, fuse_dirfil_t filler);
	int (*mknod)(const char *path, mode_t mode, dev_t rdev);
	int (*mkdir)(const char *path, mode_t mode);
	int (*unlink)(const char *path);
	int (*rmdir)(const char *path);
	int (*symlink)(const char *target, const char *path);
	int (*rename)(const char *from, const char *to);
	int (*link)(const char *from, const char *to);
	int (*chmod)(const char *path, mode_t mode);
	int (*chown)(const char *path, uid_t uid, gid_t gid);
	int (*truncate)(const char *path, off_t size);
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
	/** The result becomes fuse_get_context()->private_data. */
	void *(*init)(void);
	void (*destroy)(void *private_data);
	int (*access)(const char *path, int mask);
	int (*create)(const char *path, mode_t mode, struct fuse_file_info *fi);
	int (*ftruncate)(const char *path, off_t size, struct fuse_file_info *fi);
	int (*fgetattr)(const char *path, struct stat *st, struct fuse_file_info *fi);
};

/** fuse_new on a descriptor of fuse_mount_compat25, with the library's
 *  options in args. NULL after a message. */
struct fuse *fuse_new_compat25(int fd, struct fuse_args *args,
                               const struct fuse_operations_compat25 *op,
                               size_t op_size);
/** fuse_main_real for the 2.5 ops: 0, or 1 after a message. */
int fuse_main_real_compat25(int argc, char *argv[],
                            const struct fuse_operations_compat25 *op,
                            size_t op_size);
/** fuse_setup for the 2.5 ops; *fd gets the mounted descriptor. */
struct fuse *fuse_setup_compat25(int argc, char *argv[],
                                 const struct fuse_operations_compat25 *op,
                                 size_t op_size, char **mountpoint,
                                 int *multithreaded, int *fd);
/** Undo a fuse_setup_compat*: handlers, destroy, unmount, free mountpoint. */
void fuse_teardown_compat22(struct fuse *fuse, int fd, char *mountpoint);

/* ---- 2.2: the 2.4 file info, statfs as struct statfs, no access..fgetattr ---- */

struct fuse_operations_compat22 {
	int (*getattr)(const char *path, struct stat *st);
	int (*readlink)(const char *path, char *buf, size_t size);
	int (*getdir)(const char *path, fuse_dirh_t h, fuse_dirfil_t filler);
	int (*mknod)(const char *path, mode_t mode, dev_t rdev);
	int (*mkdir)(const char *path, mode_t mode);
	int (*unlink)(const char *path);
	int (*rmdir)(const char *path);
	int (*symlink)(const char *target, const char *path);
	int (*rename)(const char *from, const char *to);
	int (*link)(const char *from, const char *to);
	int (*chmod)(const char *path, mode_t mode);
	int (*chown)(const char *path, uid_t uid, gid_t gid);
	int (*truncate)(const char *path, off_t size);
	int (*utime)(const char *path, struct utimbuf *times);
	int (*open)(const char *path, struct fuse_file_info_compat *fi);
	int (*read)(const char *path, char *buf, size_t size, off_t off,
	            struct fuse_file_info_compat *fi);
	int (*write)(const char *path, const char *buf, size_t size, off_t off,
	             struct fuse_file_info_compat *fi);
	int (*statfs)(const char *path, struct statfs *st);
	int (*flush)(const char *path, struct fuse_file_info_compat *fi);
	int (*release)(const char *path, struct fuse_file_info_compat *fi);
	int (*fsync)(const char *path, int datasync, struct fuse_file_info_compat *fi);
	int (*setxattr)(const char *path, const char *name, const char *value,
	                size_t size, int flags);
	int (*getxattr)(const char *path, const char *name, char *value, size_t size);
	int (*listxattr)(const char *path, char *list, size_t size);
	int (*removexattr)(const char *path, const char *name);
	int (*opendir)(const char *path, struct fuse_file_info_compat *fi);
	int (*readdir)(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
	               struct fuse_file_info_compat *fi);
	int (*releasedir)(const char *path, struct fuse_file_info_compat *fi);
	int (*fsyncdir)(const char *path, int datasync, struct fuse_file_info_compat *fi);
	void *(*init)(void);
	void (*destroy)(void *private_data);
};

/** fuse_new on a descriptor of fuse_mount_compat22; opts is the "-o"
 *  string of library options (may be NULL). */
struct fuse *fuse_new_compat22(int fd, const char *opts,
                               const struct fuse_operations_compat22 *op,
                               size_t op_size);
struct fuse *fuse_setup_compat22(int argc, char *argv[],
                                 const struct fuse_operations_compat22 *op,
                                 size_t op_size, char **mountpoint,
                                 int *multithreaded, int *fd);
int fuse_main_real_compat22(int argc, char *argv[],
                            const struct fuse_operations_compat22 *op,
                            size_t op_size);

/* ---- 2.1 and 1.x: no file info at all, getdir's filler without ino ---- */

typedef int (*fuse_dirfil_t_compat)(fuse_dirh_t h, const char *name, int type);

struct fuse_operations_compat2 {
	int (*getattr)(const char *path, struct stat *st);
	int (*readlink)(const char *path, char *buf, size_t size);
	int (*getdir)(const char *path, fuse_dirh_t h, fuse_dirfil_t_compat filler);
	int (*mknod)(const char *path, mode_t mode, dev_t rdev);
	int (*mkdir)(const char *path, mode_t mode);
	int (*unlink)(const char *path);
	int (*rmdir)(const char *path);
	int (*symlink)(const char *target, const char *path);
	int (*rename)(const char *from, const char *to);
	int (*link)(const char *from, const char *to);
	int (*chmod)(const char *path, mode_t mode);
	int (*chown)(const char *path, uid_t uid, gid_t gid);
	int (*truncate)(const char *path, off_t size);
	int (*utime)(const char *path, struct utimbuf *times);
	/** flags are open(2)'s; there is no handle. */
	int (*open)(const char *path, int flags);
	int (*read)(const char *path, char *buf, size_t size, off_t off);
	int (*write)(const char *path, const char *buf, size_t size, off_t off);
	int (*statfs)(const char *path, struct statfs *st);
	int (*flush)(const char *path);
	int (*release)(const char *path, int flags);
	int (*fsync)(const char *path, int datasync);
	int (*setxattr)(const char *path, const char *name, const char *value,
	                size_t size, int flags);
	int (*getxattr)(const char *path, const char *name, char *value, size_t size);
	int (*listxattr)(const char *path, char *list, size_t size);
	int (*removexattr)(const char *path, const char *name);
};

int fuse_main_compat2(int argc, char *argv[], const struct fuse_operations_compat2 *op);
struct fuse *fuse_new_compat2(int fd, const char *opts,
                              const struct fuse_operations_compat2 *op);
struct fuse *fuse_setup_compat2(int argc, char *argv[],
                                const struct fuse_operations_compat2 *op,
                                char **mountpoint, int *multithreaded, int *fd);

/** The 1.x statfs answer. */
struct fuse_statfs_compat1 {
	long block_size;
	long blocks;
	long blocks_free;
	long files;
	long files_free;
	long namelen;
};

struct fuse_operations_compat1 {
	int (*getattr)(const char *path, struct stat *st);
	int (*readlink)(const char *path, char *buf, size_t size);
	int (*getdir)(const char *path, fuse_dirh_t h, fuse_dirfil_t_compat filler);
	int (*mknod)(const char *path, mode_t mode, dev_t rdev);
	int (*mkdir)(const char *path, mode_t mode);
	int (*unlink)(const char *path);
	int (*rmdir)(const char *path);
	int (*symlink)(const char *target, const char *path);
	int (*rename)(const char *from, const char *to);
	int (*link)(const char *from, const char *to);
	int (*chmod)(const char *path, mode_t mode);
	int (*chown)(const char *path, uid_t uid, gid_t gid);
	int (*truncate)(const char *path, off_t size);
	int (*utime)(const char *path, struct utimbuf *times);
	int (*open)(const char *path, int flags);
	int (*read)(const char *path, char *buf, size_t size, off_t off);
	int (*write)(const char *path, const char *buf, size_t size, off_t off);
	int (*statfs)(struct fuse_statfs_compat1 *st);
	int (*release)(const char *path, int flags);
	int (*fsync)(const char *path, int datasync);
};

/** fuse_new_compat1's flags: print every request (-o debug). */
#define FUSE_DEBUG_COMPAT1 (1 << 1)

struct fuse *fuse_new_compat1(int fd, int flags, const struct fuse_operations_compat1 *op);
void fuse_main_compat1(int argc, char *argv[], const struct fuse_operations_compat1 *op);

#ifdef __cplusplus
}
#endif

#endif /* FUSE_COMPAT_H_ */
