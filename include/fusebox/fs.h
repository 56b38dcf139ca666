/*
 * fusebox/fs.h -- the path API: a filesystem as a struct of callbacks
 * that take path names, and one main call.
 *
 *   static const struct fbx_fs_ops ops = { .getattr = my_getattr, ... };
 *   int main(int argc, char *argv[])
 *   { return fbx_main(argc, argv, &ops, sizeof ops, NULL); }
 *
 * Return convention of every callback: 0, or a positive count where one
 * is asked for (read, write, ...), on success; a negated errno (-ENOENT)
 * on failure. Paths are absolute within the filesystem ("/", "/a/b").
 *
 * Every callback is optional; what a missing one means is said beside
 * it. The library keeps the kernel's inode view itself: lookup counts,
 * FORGET, node ids. When getattr reports a stable st_ino (non-zero) for
 * the same file under several names (hard links, st_nlink > 1), the
 * kernel sees one inode; st_nlink must count those names.
 *
 * Inode numbers: a name is the identity of a file, as in libfuse. A name
 * the kernel holds keeps its node when getattr reports another st_ino
 * for it (many filesystems number files as they go: fuse-zip renumbers
 * as its archive changes); only another file type makes it a new file.
 * st_ino joins names into one node only for a file with st_nlink > 1.
 * With -o use_ino the filesystem promises stable numbers: then a new
 * st_ino for a known name is a file replaced behind the mount's back (a
 * new node), and a one-link file whose st_ino the library still knows
 * under another name drops that name (the old file was removed and its
 * number recycled). Nodes the kernel has forgotten (.flag_remember) are
 * always checked against st_ino, so a file handle never opens another
 * file.
 *
 * Open files: the ops on an open file (read, write, flush, release,
 * fsync, lock, flock, fallocate, lseek, ioctl, poll, copy_file_range,
 * fgetattr and setattr with fi) get the path it was opened under,
 * following renames, while that name exists, also when it has other
 * names (hard links); then another of its names. When a filesystem
 * gives several opens of a file the same fh, the latest one's name is
 * used. A file unlinked or renamed over while open stays usable until
 * its last close: it is renamed to ".fbx_hidden<N>" and removed on the
 * last release (-o hard_remove: removed at once, and later ops on the
 * open file get a NULL path if .flag_nullpath_ok, else -ENOENT).
 *
 * Caching: the settings that save round trips (timeouts, keep_cache,
 * writeback_cache, readdirplus, a missing flush op) and what each costs
 * in coherence are in fusebox/lowlevel.h ("Caching"); the path API
 * reaches them through fi->keep_cache in open/create, the options, and
 * conn->want in init (examples/memfs.c turns auto_inval_data off
 * there). A filesystem that is the only writer of its files gets the
 * most from keep_cache and writeback_cache; one that mirrors data others
 * change needs attr_timeout and auto_inval_data to see those changes.
 * By workload (bench/workloads.sh counts the requests): tar -x and
 * builds write in small pieces, one WRITE per write(2) unless
 * writeback_cache gathers them (tar: 2.7 WRITEs per entry -> 0.95);
 * SQLite rewrites and rereads pages, so it wants writeback_cache and
 * keep_cache (or a backing file with the low-level API, which takes
 * all I/O off the daemon); git status and make stat every file and
 * live on attr_timeout and entry_timeout; rm -rf and ls -l on
 * readdirplus. Leaving getxattr NULL (or -ENOSYS) saves tar two
 * GETXATTR of security.capability per file, and costs every xattr.
 *
 * suid/sgid: by default the kernel clears them itself, and asks for
 * security.capability (GETXATTR) before every write(2) to decide. A
 * filesystem whose init sets FBX_CAP_HANDLE_KILLPRIV_V2 in conn->want
 * (when conn->capable has it) saves those round trips (the kernel asks
 * once per inode) and leaves the clearing to the library, which does
 * it as Linux does: after a write by a caller without CAP_FSETID (the
 * kernel's fi->kill_priv; delayed writeback never has it), a truncate
 * (also of an open with O_TRUNC) or chown the kernel flags, and a
 * fallocate or copy_file_range by a caller without CAP_FSETID
 * (fbx_req_capable()), it reads the mode with fgetattr or getattr and
 * clears S_ISUID, and S_ISGID when the file has S_IXGRP or the caller
 * is not in its group, with fchmod or chmod, then drops the kernel's
 * cached attributes. So chmod must accept that change from any caller
 * (the kernel checked the permission for the write), and the
 * filesystem's own write need not clear anything (examples/memfs.c).
 *
 * File handles (name_to_handle_at(2), open_by_handle_at(2), an NFS
 * export of the mount): the kernel encodes the node id and its
 * generation; the library gives every node an id never reused within
 * the mount, and one generation per mount, so a handle names one file
 * or gives ESTALE, never another file, also after a daemon restart.
 * Decoding a handle of a node the kernel has forgotten asks the library
 * for that id ("." by node id), and reconnecting a directory asks for
 * its parent (".."): both are answered from the node table, by getattr
 * of the node's path, and only when that path still shows the same
 * st_ino and type (else ESTALE). The table keeps a node while the kernel
 * holds it, while it is open and while it has children; .flag_remember
 * keeps it until its name is removed, so handles outlive the kernel's
 * cache. A filesystem that wants handles to work must report a stable
 * st_ino (non-zero) in getattr and readdir: the kernel finds a
 * directory's name in its parent by comparing readdir's d_ino with the
 * directory's st_ino.
 *
 * Who is calling: fbx_fs_context() inside a callback gives the caller's
 * uid, gid, pid and umask, and private_data. Filesystems that create
 * files should give them the caller's uid/gid, as a native one does.
 */
#ifndef FUSEBOX_FS_H
#define FUSEBOX_FS_H

#include <stdint.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <time.h>
#include <utime.h>

#include "fusebox/lowlevel.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque: a mounted path filesystem. */
struct fbx_fs;

/** The context of the callback now running (thread-local, valid only
 *  inside a callback). */
struct fbx_fs_context {
	struct fbx_fs *fs;
	uid_t  uid;          /**< caller's effective uid */
	gid_t  gid;          /**< caller's effective gid */
	pid_t  pid;          /**< caller's pid */
	mode_t umask;        /**< caller's umask (create, mknod, mkdir) */
	void  *private_data; /**< userdata of fbx_main, then init's return */
	struct fbx_req *req; /**< the request (NULL in init/destroy) */
};

/**
 * readdir's filler: add `name`; st may be NULL (only st_ino and the
 * type bits of st_mode are used). With off == 0 for every entry the
 * library pages the listing itself (from a snapshot taken when the
 * listing starts, so offsets stay valid while the directory changes);
 * with off != 0, off is the offset of the next entry and the callback
 * is asked again from it. Returns 1 when the reply buffer is full
 * (stop adding), else 0.
 */
typedef int (*fbx_fill_dir_t)(void *buf, const char *name,
                              const struct stat *st, off_t off);

/**
 * The same as the filler readdir was given (pass it readdir's buf), for
 * an entry that a readdirplus listing sends with its name and type only:
 * no lookup and no getattr is made for it, and the kernel sends a LOOKUP
 * when it needs the entry's attributes. For a filesystem whose getattr
 * is dear and whose listings are mostly read for names. The plain
 * filler looks every entry up in a readdirplus listing. Returns as the
 * filler does.
 */
int fbx_fill_dir_nolookup(void *buf, const char *name, const struct stat *st, off_t off);

/**
 * The same as the filler readdir was given (pass it readdir's buf), for
 * an entry that a readdirplus listing sends with the attributes in st,
 * taken as they are: no getattr is made for it (st NULL: as
 * fbx_fill_dir_nolookup). What libfuse's high-level API does for an
 * entry filled with FUSE_FILL_DIR_PLUS; for a filesystem whose readdir
 * knows the attributes, or whose getattr must not run for a listing.
 * Returns as the filler does.
 */
int fbx_fill_dir_attr(void *buf, const char *name, const struct stat *st, off_t off);

/** Versioned with sizeof: new callbacks are only ever appended. */
struct fbx_fs_ops {
	/** stat(2) of path. Required for almost everything. Missing: only
	 *  "/" exists, as an empty directory. */
	int (*getattr)(const char *path, struct stat *st);
	/** Target of a symlink into buf (size bytes with the NUL; truncate
	 *  if longer). Return 0. Missing: -ENOSYS. */
	int (*readlink)(const char *path, char *buf, size_t size);
	/** Make a file node (S_IFREG, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK
	 *  in mode). A regular file is made by create (then release) when
	 *  the filesystem has create, as libfuse does, and reaches mknod
	 *  only if create returns -ENOSYS. Missing: -ENOSYS. */
	int (*mknod)(const char *path, mode_t mode, dev_t rdev);
	/** mode: S_IFDIR with the permission bits. Missing: -ENOSYS. */
	int (*mkdir)(const char *path, mode_t mode);
	int (*unlink)(const char *path);                   /**< Missing: -ENOSYS. */
	int (*rmdir)(const char *path);                    /**< Missing: -ENOSYS. */
	/** Make symlink `path` with contents `target`. Missing: -ENOSYS. */
	int (*symlink)(const char *target, const char *path);
	/** Rename from -> to; flags 0, FBX_RENAME_NOREPLACE or
	 *  FBX_RENAME_EXCHANGE (fusebox/lowlevel.h; return -EINVAL for a flag
	 *  not supported). Missing: -ENOSYS. */
	int (*rename)(const char *from, const char *to, unsigned int flags);
	/** Hard link: make `to` another name of `from`. Missing: -ENOSYS. */
	int (*link)(const char *from, const char *to);
	int (*chmod)(const char *path, mode_t mode);       /**< Missing: -ENOSYS. */
	/** uid or gid (uid_t)-1 / (gid_t)-1 means "leave". Missing: -ENOSYS. */
	int (*chown)(const char *path, uid_t uid, gid_t gid);
	int (*truncate)(const char *path, off_t size);     /**< Missing: -ENOSYS. */
	/** Old-style times (seconds). Used when utimens is missing. */
	int (*utime)(const char *path, struct utimbuf *times);
	/** Open; may set fi->fh and fi->direct_io etc. Missing: success. */
	int (*open)(const char *path, struct fbx_file_info *fi);
	/** Read up to size bytes at off; return the count (0 at the end).
	 *  Missing: -ENOSYS. */
	int (*read)(const char *path, char *buf, size_t size, off_t off,
	            struct fbx_file_info *fi);
	/** Write size bytes at off; return the count. Missing: -ENOSYS. */
	int (*write)(const char *path, const char *buf, size_t size, off_t off,
	             struct fbx_file_info *fi);
	/** statvfs(2). Missing: zero counts, namemax 255. */
	int (*statfs)(const char *path, struct statvfs *st);
	/** Each close(2) of a descriptor. Missing (and no lock op either):
	 *  close succeeds and the kernel stops sending FLUSH altogether,
	 *  which saves a round trip per close. */
	int (*flush)(const char *path, struct fbx_file_info *fi);
	/** Last close; the result is ignored. Missing: nothing. */
	int (*release)(const char *path, struct fbx_file_info *fi);
	/** fsync (datasync != 0: data only). Missing: success. */
	int (*fsync)(const char *path, int datasync, struct fbx_file_info *fi);
	/** Missing (all four xattr ops): -EOPNOTSUPP. */
	int (*setxattr)(const char *path, const char *name, const char *value,
	                size_t size, int flags);
	/** size 0: return the value's size; else copy it and return its size
	 *  (-ERANGE if size is too small). */
	int (*getxattr)(const char *path, const char *name, char *value, size_t size);
	/** As getxattr, the NUL-separated names. */
	int (*listxattr)(const char *path, char *list, size_t size);
	int (*removexattr)(const char *path, const char *name);
	/** Missing: success. */
	int (*opendir)(const char *path, struct fbx_file_info *fi);
	/** Call filler for each entry (see fbx_fill_dir_t). Missing: -ENOSYS. */
	int (*readdir)(const char *path, void *buf, fbx_fill_dir_t filler, off_t off,
	               struct fbx_file_info *fi);
	int (*releasedir)(const char *path, struct fbx_file_info *fi); /**< Missing: success. */
	int (*fsyncdir)(const char *path, int datasync, struct fbx_file_info *fi); /**< Missing: success. */
	/** Called once mounted; its return value becomes private_data and
	 *  is passed to destroy. Missing: private_data stays the userdata. */
	void *(*init)(struct fbx_conn *conn);
	/** Called at unmount with init's return value. */
	void (*destroy)(void *private_data);
	/** access(2); not called with -o default_permissions. Missing: the
	 *  kernel stops asking and allows (mode bits still apply with
	 *  default_permissions). */
	int (*access)(const char *path, int mask);
	/** Create and open a regular file. Missing: mknod + open. */
	int (*create)(const char *path, mode_t mode, struct fbx_file_info *fi);
	/** Truncate an open file. Missing: truncate(path). */
	int (*ftruncate)(const char *path, off_t size, struct fbx_file_info *fi);
	/** fstat of an open file. Missing: getattr(path). */
	int (*fgetattr)(const char *path, struct stat *st, struct fbx_file_info *fi);
	/** POSIX locks: cmd F_GETLK, F_SETLK or F_SETLKW; fi->lock_owner
	 *  identifies the owner. Missing: the kernel keeps locks locally. */
	int (*lock)(const char *path, struct fbx_file_info *fi, int cmd, struct flock *lk);
	/** Set times with ns precision; tv[i].tv_nsec may be UTIME_NOW or
	 *  UTIME_OMIT. Missing: utime. */
	int (*utimens)(const char *path, const struct timespec tv[2]);
	/** Map logical block *idx (of blocksize bytes) to a device block,
	 *  stored back in *idx: the FIBMAP ioctl, on fuseblk mounts only
	 *  (-o blkdev, fusebox/options.h). Missing: -ENOSYS. */
	int (*bmap)(const char *path, size_t blocksize, uint64_t *idx);
	/** flock(2) op (LOCK_SH/EX/UN | LOCK_NB). Missing: kernel-local. */
	int (*flock)(const char *path, struct fbx_file_info *fi, int op);
	/** fallocate(2). Missing: -EOPNOTSUPP. */
	int (*fallocate)(const char *path, int mode, off_t off, off_t len,
	                 struct fbx_file_info *fi);
	/** SEEK_DATA / SEEK_HOLE: return the new offset or -errno (-ENXIO
	 *  past the end). Missing: the kernel treats the file as all data. */
	off_t (*lseek)(const char *path, off_t off, int whence, struct fbx_file_info *fi);
	/** Copy len bytes; return the count. Missing: the kernel copies
	 *  through read and write. */
	ssize_t (*copy_file_range)(const char *path_in, struct fbx_file_info *fi_in,
	                           off_t off_in, const char *path_out,
	                           struct fbx_file_info *fi_out, off_t off_out,
	                           size_t len, int flags);
	/** statx(2). Missing: answered from getattr/fgetattr. */
	int (*statx)(const char *path, int flags, unsigned mask, struct statx *stx,
	             struct fbx_file_info *fi);

	/** Ops on an open file whose name is gone (hard_remove) may get a
	 *  NULL path; set this when the callbacks handle that through fi. */
	unsigned flag_nullpath_ok : 1;
	/** Keep the node of every name the kernel looked up, also after the
	 *  kernel forgot it, until the name is removed through the mount:
	 *  then a file handle (see "File handles" above) stays valid as long
	 *  as the file keeps a name, as on a native filesystem, at the cost
	 *  of one node (about 100 bytes and the name) per name ever looked
	 *  up. Set it when paths and st_ino do not change behind the mount's
	 *  back (memfs does); without it, a handle of a node the kernel
	 *  forgot gives ESTALE. The user turns it on for any filesystem
	 *  with -o noforget (fusebox/options.h). */
	unsigned flag_remember : 1;
	/** fgetattr also takes a directory's handle (the fi opendir filled),
	 *  with a NULL path: then fstat(2) of a directory that a rename
	 *  removed while it was open still answers (the kernel asks a
	 *  directory's attributes without a handle, and its path is gone).
	 *  So do fchmod, fchown and futimens, when set (fchmod(2) and the
	 *  like come without a handle too). Needs flag_nullpath_ok. Without
	 *  it such calls give ENOENT, as under libfuse, whose programs'
	 *  fgetattr expects a file's handle. */
	unsigned flag_fgetattr_dir : 1;

	/** chmod, chown and utimens of an open file (fchmod(2), fchown(2),
	 *  futimens(2)); path may be NULL as for the other ops on open
	 *  files. Missing: chmod, chown, utimens by path. */
	int (*fchmod)(const char *path, mode_t mode, struct fbx_file_info *fi);
	int (*fchown)(const char *path, uid_t uid, gid_t gid, struct fbx_file_info *fi);
	int (*futimens)(const char *path, const struct timespec tv[2],
	                struct fbx_file_info *fi);

	/**
	 * ioctl(2) of an open file, or of a directory (FBX_IOCTL_DIR in
	 * flags, fi from opendir; see the ioctl op in fusebox/lowlevel.h for
	 * the flags). The command's encoding says the data's size and
	 * direction: `data` holds _IOC_SIZE(cmd) bytes, filled with the
	 * caller's input for _IOW commands; for _IOR ones the callback fills
	 * it and the library copies it back to the caller. `arg` is the
	 * caller's argument as passed (an address in its memory or a number:
	 * never dereference it). Return ioctl(2)'s result (>= 0) or a
	 * negated errno. Unrestricted ioctls (CUSE only) are refused with
	 * -EPERM. Missing: the caller gets ENOTTY.
	 */
	int (*ioctl)(const char *path, unsigned int cmd, uint64_t arg,
	             struct fbx_file_info *fi, unsigned int flags, void *data);
	/**
	 * poll(2) of an open file: set *reventsp to the ready ones among
	 * `events` (POLLIN, POLLOUT, ...) and return 0, or a negated errno.
	 * A non-NULL `ph` belongs to the callback, also when it fails: keep
	 * it to wake the caller with fbx_notify_poll() once the file is
	 * ready, then fbx_pollhandle_destroy() it; or destroy it at once.
	 * Missing: the kernel takes every file as always ready.
	 */
	int (*poll)(const char *path, struct fbx_file_info *fi, unsigned events,
	            struct fbx_pollhandle *ph, unsigned *reventsp);
};

/** The context of the running callback (see struct fbx_fs_context). */
struct fbx_fs_context *fbx_fs_context(void);

/**
 * The seeds' one call: parse options (fusebox/options.h), mount,
 * daemonize unless -f/-d, serve, unmount on signal or umount. Returns
 * the process exit status (0, or 1 after a message on stderr).
 */
int fbx_main(int argc, char *argv[], const struct fbx_fs_ops *ops,
             size_t ops_size, void *userdata);
/**
 * fbx_main() for a program with its own options, usage and setup
 * (struct fbx_app in fusebox/options.h; app may be NULL). Same return.
 */
int fbx_main_app(int argc, char *argv[], const struct fbx_fs_ops *ops,
                 size_t ops_size, void *userdata, const struct fbx_app *app);

/* Step by step, for programs that manage the mount themselves. */
struct fbx_fs *fbx_fs_new(const struct fbx_options *opts,
                          const struct fbx_fs_ops *ops, size_t ops_size,
                          void *userdata);
/** The low-level session under the path layer (mount, loop, exit). */
struct fbx_session *fbx_fs_session(struct fbx_fs *fs);
void fbx_fs_destroy(struct fbx_fs *fs);

/**
 * The path layer's own copy of its options. The init callback may
 * change the path-API fields (hard_remove, use_ino, readdir_ino,
 * umask/uid/gid and their set_ flags), the three timeouts, kernel_cache
 * and direct_io: they apply to every request after init (the session's
 * mount and protocol options are fixed by then and are not read from
 * here). Reached from init through fbx_fs_context()->fs.
 */
struct fbx_options *fbx_fs_options(struct fbx_fs *fs);
/** As flag_nullpath_ok in the ops, decided later (from init). */
void fbx_fs_set_nullpath_ok(struct fbx_fs *fs, int on);
/**
 * Drop what the kernel caches of `path` (an absolute path in the fs):
 * its attributes and data, and its name in its parent directory.
 * Returns 0, -ENOENT when the kernel has no node for path (then it
 * caches nothing of it either), or the notification's negated errno.
 * Callable from any thread once mounted, also inside a callback.
 */
int fbx_fs_invalidate_path(struct fbx_fs *fs, const char *path);

#ifdef __cplusplus
}
#endif
#endif /* FUSEBOX_FS_H */
