/*
 * lib/fuse/abi.h -- the kernel's FUSE wire format, protocol 7.45.
 *
 * Our own definitions, written from the kernel's uapi description of
 * the protocol (include/uapi/linux/fuse.h). We keep them in the tree
 * because distribution headers lag (Debian 12 has 7.38) and because a
 * name clash with <linux/fuse.h> must never matter: everything here is
 * prefixed fbx_k_ / FBX_K_. All structures are little-endian on x86 and
 * padded to 64 bits, so they can be read straight out of the buffer
 * after a length check (see codec.c).
 */
#ifndef FBX_FUSE_ABI_H
#define FBX_FUSE_ABI_H

#include <stdint.h>
#include <sys/ioctl.h>

#define FBX_K_MAJOR 7
#define FBX_K_MINOR 45
#define FBX_K_MIN_READ_BUFFER 8192

/* opcodes */
enum {
	FBX_K_LOOKUP = 1, FBX_K_FORGET = 2, FBX_K_GETATTR = 3, FBX_K_SETATTR = 4,
	FBX_K_READLINK = 5, FBX_K_SYMLINK = 6, FBX_K_MKNOD = 8, FBX_K_MKDIR = 9,
	FBX_K_UNLINK = 10, FBX_K_RMDIR = 11, FBX_K_RENAME = 12, FBX_K_LINK = 13,
	FBX_K_OPEN = 14, FBX_K_READ = 15, FBX_K_WRITE = 16, FBX_K_STATFS = 17,
	FBX_K_RELEASE = 18, FBX_K_FSYNC = 20, FBX_K_SETXATTR = 21,
	FBX_K_GETXATTR = 22, FBX_K_LISTXATTR = 23, FBX_K_REMOVEXATTR = 24,
	FBX_K_FLUSH = 25, FBX_K_INIT = 26, FBX_K_OPENDIR = 27, FBX_K_READDIR = 28,
	FBX_K_RELEASEDIR = 29, FBX_K_FSYNCDIR = 30, FBX_K_GETLK = 31,
	FBX_K_SETLK = 32, FBX_K_SETLKW = 33, FBX_K_ACCESS = 34, FBX_K_CREATE = 35,
	FBX_K_INTERRUPT = 36, FBX_K_BMAP = 37, FBX_K_DESTROY = 38, FBX_K_IOCTL = 39,
	FBX_K_POLL = 40, FBX_K_NOTIFY_REPLY = 41, FBX_K_BATCH_FORGET = 42,
	FBX_K_FALLOCATE = 43, FBX_K_READDIRPLUS = 44, FBX_K_RENAME2 = 45,
	FBX_K_LSEEK = 46, FBX_K_COPY_FILE_RANGE = 47, FBX_K_SETUPMAPPING = 48,
	FBX_K_REMOVEMAPPING = 49, FBX_K_SYNCFS = 50, FBX_K_TMPFILE = 51,
	FBX_K_STATX = 52, FBX_K_COPY_FILE_RANGE_64 = 53,
	FBX_K_OPCODE_MAX = 54,
};

/* CUSE: the first request on /dev/cuse, and its answer (then the
 * device's info strings, "DEVNAME=name\0KEY=VALUE\0...", at most
 * FBX_K_CUSE_INIT_INFO_MAX bytes). */
#define FBX_K_CUSE_INIT 4096
#define FBX_K_CUSE_UNRESTRICTED_IOCTL (1u << 0)
#define FBX_K_CUSE_INIT_INFO_MAX 4096
struct fbx_k_cuse_init_in { uint32_t major, minor, unused, flags; };
struct fbx_k_cuse_init_out {
	uint32_t major, minor, unused, flags;
	uint32_t max_read, max_write;
	uint32_t dev_major, dev_minor;   /* 0, 0: the kernel picks */
	uint32_t spare[10];
};

/* notification codes (unique == 0 in the out header) */
enum {
	FBX_K_NOTIFY_POLL = 1, FBX_K_NOTIFY_INVAL_INODE = 2,
	FBX_K_NOTIFY_INVAL_ENTRY = 3, FBX_K_NOTIFY_STORE = 4,
	FBX_K_NOTIFY_RETRIEVE = 5, FBX_K_NOTIFY_DELETE = 6,
	FBX_K_NOTIFY_RESEND = 7, FBX_K_NOTIFY_INC_EPOCH = 8,
	FBX_K_NOTIFY_PRUNE = 9,
};

/* setattr valid bits: the same values as FBX_SET_* of lowlevel.h */
#define FBX_K_FATTR_FH        (1u << 6)
#define FBX_K_FATTR_LOCKOWNER (1u << 9)

/* open_out.open_flags */
#define FBX_K_FOPEN_DIRECT_IO   (1u << 0)
#define FBX_K_FOPEN_KEEP_CACHE  (1u << 1)
#define FBX_K_FOPEN_NONSEEKABLE (1u << 2)
#define FBX_K_FOPEN_CACHE_DIR   (1u << 3)
#define FBX_K_FOPEN_STREAM      (1u << 4)
#define FBX_K_FOPEN_NOFLUSH     (1u << 5)
#define FBX_K_FOPEN_PARALLEL_DIRECT_WRITES (1u << 6)
#define FBX_K_FOPEN_PASSTHROUGH (1u << 7)
/* fuse_open_in.open_flags / fuse_create_in.open_flags */
#define FBX_K_OPEN_KILL_SUIDGID (1u << 0)

/* init flags: bits 0..31 in flags, 32..63 in flags2 (FBX_CAP_* values) */
#define FBX_K_INIT_EXT          (1ull << 30)
#define FBX_K_MAX_PAGES         (1ull << 22)

#define FBX_K_RELEASE_FLUSH        (1u << 0)
#define FBX_K_RELEASE_FLOCK_UNLOCK (1u << 1)
#define FBX_K_GETATTR_FH           (1u << 0)
#define FBX_K_LK_FLOCK             (1u << 0)
#define FBX_K_WRITE_CACHE          (1u << 0)
#define FBX_K_WRITE_LOCKOWNER      (1u << 1)
#define FBX_K_WRITE_KILL_SUIDGID   (1u << 2)
#define FBX_K_READ_LOCKOWNER       (1u << 1)
#define FBX_K_FSYNC_FDATASYNC      (1u << 0)

struct fbx_k_attr {
	uint64_t ino, size, blocks, atime, mtime, ctime;
	uint32_t atimensec, mtimensec, ctimensec;
	uint32_t mode, nlink, uid, gid, rdev, blksize, flags;
};

struct fbx_k_sx_time { int64_t tv_sec; uint32_t tv_nsec; int32_t reserved; };

struct fbx_k_statx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, spare0;
	uint64_t ino, size, blocks, attributes_mask;
	struct fbx_k_sx_time atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t spare2[14];
};

struct fbx_k_kstatfs {
	uint64_t blocks, bfree, bavail, files, ffree;
	uint32_t bsize, namelen, frsize, padding;
	uint32_t spare[6];
};

struct fbx_k_file_lock { uint64_t start, end; uint32_t type, pid; };

struct fbx_k_in_header {
	uint32_t len, opcode;
	uint64_t unique, nodeid;
	uint32_t uid, gid, pid;
	uint16_t total_extlen; /* extensions after the arguments, in 8-byte units */
	uint16_t padding;
};

struct fbx_k_out_header { uint32_t len; int32_t error; uint64_t unique; };

struct fbx_k_entry_out {
	uint64_t nodeid, generation, entry_valid, attr_valid;
	uint32_t entry_valid_nsec, attr_valid_nsec;
	struct fbx_k_attr attr;
};

struct fbx_k_forget_in { uint64_t nlookup; };
struct fbx_k_forget_one { uint64_t nodeid, nlookup; };
struct fbx_k_batch_forget_in { uint32_t count, dummy; };
struct fbx_k_getattr_in { uint32_t getattr_flags, dummy; uint64_t fh; };
struct fbx_k_attr_out {
	uint64_t attr_valid;
	uint32_t attr_valid_nsec, dummy;
	struct fbx_k_attr attr;
};
struct fbx_k_statx_in {
	uint32_t getattr_flags, reserved;
	uint64_t fh;
	uint32_t sx_flags, sx_mask;
};
struct fbx_k_statx_out {
	uint64_t attr_valid;
	uint32_t attr_valid_nsec, flags;
	uint64_t spare[2];
	struct fbx_k_statx stat;
};
struct fbx_k_mknod_in { uint32_t mode, rdev, umask, padding; };
struct fbx_k_mkdir_in { uint32_t mode, umask; };
struct fbx_k_rename_in { uint64_t newdir; };
struct fbx_k_rename2_in { uint64_t newdir; uint32_t flags, padding; };
struct fbx_k_link_in { uint64_t oldnodeid; };
struct fbx_k_setattr_in {
	uint32_t valid, padding;
	uint64_t fh, size, lock_owner, atime, mtime, ctime;
	uint32_t atimensec, mtimensec, ctimensec, mode, unused4, uid, gid, unused5;
};
struct fbx_k_open_in { uint32_t flags, open_flags; };
struct fbx_k_create_in { uint32_t flags, mode, umask, open_flags; };
struct fbx_k_open_out { uint64_t fh; uint32_t open_flags; int32_t backing_id; };
struct fbx_k_release_in { uint64_t fh; uint32_t flags, release_flags; uint64_t lock_owner; };
struct fbx_k_flush_in { uint64_t fh; uint32_t unused, padding; uint64_t lock_owner; };
struct fbx_k_read_in {
	uint64_t fh, offset;
	uint32_t size, read_flags;
	uint64_t lock_owner;
	uint32_t flags, padding;
};
struct fbx_k_write_in {
	uint64_t fh, offset;
	uint32_t size, write_flags;
	uint64_t lock_owner;
	uint32_t flags, padding;
};
#define FBX_K_COMPAT_WRITE_IN_SIZE 24
struct fbx_k_write_out { uint32_t size, padding; };
struct fbx_k_statfs_out { struct fbx_k_kstatfs st; };
struct fbx_k_fsync_in { uint64_t fh; uint32_t fsync_flags, padding; };
struct fbx_k_setxattr_in { uint32_t size, flags, setxattr_flags, padding; };
#define FBX_K_COMPAT_SETXATTR_IN_SIZE 8
struct fbx_k_getxattr_in { uint32_t size, padding; };
struct fbx_k_getxattr_out { uint32_t size, padding; };
struct fbx_k_lk_in {
	uint64_t fh, owner;
	struct fbx_k_file_lock lk;
	uint32_t lk_flags, padding;
};
struct fbx_k_lk_out { struct fbx_k_file_lock lk; };
struct fbx_k_access_in { uint32_t mask, padding; };
struct fbx_k_init_in {
	uint32_t major, minor, max_readahead, flags;
	uint32_t flags2;          /* 7.36+ */
	uint32_t unused[11];
};
#define FBX_K_COMPAT_INIT_IN_SIZE 16
struct fbx_k_init_out {
	uint32_t major, minor, max_readahead, flags;
	uint16_t max_background, congestion_threshold;
	uint32_t max_write, time_gran;
	uint16_t max_pages, map_alignment;
	uint32_t flags2, max_stack_depth;
	uint16_t request_timeout;
	uint16_t unused[11];
};
#define FBX_K_COMPAT_INIT_OUT_SIZE 8
#define FBX_K_COMPAT_22_INIT_OUT_SIZE 24
struct fbx_k_interrupt_in { uint64_t unique; };
struct fbx_k_bmap_in { uint64_t block; uint32_t blocksize, padding; };
struct fbx_k_bmap_out { uint64_t block; };
struct fbx_k_ioctl_in { uint64_t fh; uint32_t flags, cmd; uint64_t arg; uint32_t in_size, out_size; };
struct fbx_k_poll_in { uint64_t fh, kh; uint32_t flags, events; };
struct fbx_k_poll_out { uint32_t revents, padding; };
#define FBX_K_POLL_SCHEDULE_NOTIFY (1u << 0)   /* poll_in.flags: kh may be notified */
struct fbx_k_notify_poll_wakeup_out { uint64_t kh; };
/* ioctl_in.flags and ioctl_out.flags: the same values as FBX_IOCTL_* of
 * lowlevel.h. A reply with FBX_K_IOCTL_RETRY carries in_iovs + out_iovs
 * fbx_k_ioctl_iovec after ioctl_out (protocol 7.16+: always 64-bit). */
#define FBX_K_IOCTL_COMPAT       (1u << 0)
#define FBX_K_IOCTL_UNRESTRICTED (1u << 1)
#define FBX_K_IOCTL_RETRY        (1u << 2)
#define FBX_K_IOCTL_32BIT        (1u << 3)
#define FBX_K_IOCTL_DIR          (1u << 4)
#define FBX_K_IOCTL_COMPAT_X32   (1u << 5)
#define FBX_K_IOCTL_MAX_IOV      256
struct fbx_k_ioctl_out { int32_t result; uint32_t flags, in_iovs, out_iovs; };
struct fbx_k_ioctl_iovec { uint64_t base, len; };
struct fbx_k_fallocate_in { uint64_t fh, offset, length; uint32_t mode, padding; };
struct fbx_k_lseek_in { uint64_t fh, offset; uint32_t whence, padding; };
struct fbx_k_lseek_out { uint64_t offset; };
struct fbx_k_copy_file_range_in {
	uint64_t fh_in, off_in, nodeid_out, fh_out, off_out, len, flags;
};
struct fbx_k_copy_file_range_out { uint64_t bytes_copied; };
struct fbx_k_syncfs_in { uint64_t padding; };

struct fbx_k_dirent {
	uint64_t ino, off;
	uint32_t namelen, type;
	char name[];
};
struct fbx_k_direntplus {
	struct fbx_k_entry_out entry_out;
	struct fbx_k_dirent dirent;
};
#define FBX_K_DIRENT_ALIGN(x) (((x) + 7) & ~(size_t)7)

struct fbx_k_notify_inval_inode_out { uint64_t ino; int64_t off, len; };
struct fbx_k_notify_inval_entry_out { uint64_t parent; uint32_t namelen, flags; };
#define FBX_K_NOTIFY_EXPIRE_ONLY (1u << 0)   /* flags: mark stale, keep (7.38) */
struct fbx_k_notify_delete_out { uint64_t parent, child; uint32_t namelen, padding; };
struct fbx_k_notify_store_out { uint64_t nodeid, offset; uint32_t size, padding; };
struct fbx_k_notify_retrieve_out { uint64_t notify_unique, nodeid, offset; uint32_t size, padding; };
struct fbx_k_notify_retrieve_in { uint64_t dummy1, offset; uint32_t size, dummy2; uint64_t dummy3, dummy4; };

struct fbx_k_backing_map { int32_t fd; uint32_t flags; uint64_t padding; };

#define FBX_K_DEV_IOC_MAGIC 229
#define FBX_K_DEV_IOC_CLONE         _IOR(FBX_K_DEV_IOC_MAGIC, 0, uint32_t)
#define FBX_K_DEV_IOC_BACKING_OPEN  _IOW(FBX_K_DEV_IOC_MAGIC, 1, struct fbx_k_backing_map)
#define FBX_K_DEV_IOC_BACKING_CLOSE _IOW(FBX_K_DEV_IOC_MAGIC, 2, uint32_t)

/* FUSE over io_uring (7.42): per-entry header buffer and SQE command. */
#define FBX_K_URING_IN_OUT_HEADER_SZ 128
#define FBX_K_URING_OP_IN_OUT_SZ 128
enum { FBX_K_URING_CMD_REGISTER = 1, FBX_K_URING_CMD_COMMIT_AND_FETCH = 2 };
struct fbx_k_uring_ent_in_out {
	uint64_t flags, commit_id;
	uint32_t payload_sz, padding;
	uint64_t reserved;
};
struct fbx_k_uring_req_header {
	char in_out[FBX_K_URING_IN_OUT_HEADER_SZ];   /* in_header, then out_header */
	char op_in[FBX_K_URING_OP_IN_OUT_SZ];        /* the opcode's fixed argument */
	struct fbx_k_uring_ent_in_out ring_ent_in_out;
};
struct fbx_k_uring_cmd_req {
	uint64_t flags, commit_id;
	uint16_t qid;
	uint8_t padding[6];
};

/* Compile-time checks of the wire sizes the kernel expects. */
_Static_assert(sizeof(struct fbx_k_attr) == 88, "fuse_attr");
_Static_assert(sizeof(struct fbx_k_in_header) == 40, "fuse_in_header");
_Static_assert(sizeof(struct fbx_k_out_header) == 16, "fuse_out_header");
_Static_assert(sizeof(struct fbx_k_entry_out) == 128, "fuse_entry_out");
_Static_assert(sizeof(struct fbx_k_attr_out) == 104, "fuse_attr_out");
_Static_assert(sizeof(struct fbx_k_setattr_in) == 88, "fuse_setattr_in");
_Static_assert(sizeof(struct fbx_k_init_in) == 64, "fuse_init_in");
_Static_assert(sizeof(struct fbx_k_init_out) == 64, "fuse_init_out");
_Static_assert(sizeof(struct fbx_k_read_in) == 40, "fuse_read_in");
_Static_assert(sizeof(struct fbx_k_write_in) == 40, "fuse_write_in");
_Static_assert(sizeof(struct fbx_k_kstatfs) == 80, "fuse_kstatfs");
_Static_assert(sizeof(struct fbx_k_statx) == 256, "fuse_statx");
_Static_assert(sizeof(struct fbx_k_lk_in) == 48, "fuse_lk_in");
_Static_assert(sizeof(struct fbx_k_copy_file_range_in) == 56, "copy_file_range_in");
_Static_assert(sizeof(struct fbx_k_dirent) == 24, "fuse_dirent");
_Static_assert(sizeof(struct fbx_k_ioctl_in) == 32, "fuse_ioctl_in");
_Static_assert(sizeof(struct fbx_k_ioctl_out) == 16, "fuse_ioctl_out");
_Static_assert(sizeof(struct fbx_k_poll_in) == 24, "fuse_poll_in");
_Static_assert(sizeof(struct fbx_k_cuse_init_out) == 72, "cuse_init_out");

#endif /* FBX_FUSE_ABI_H */
