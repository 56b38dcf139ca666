/*
 * lib/fuse/codec.h -- decoding requests and encoding replies, without I/O.
 *
 * fbx_msg_decode() checks one request read from /dev/fuse against the
 * layout of its opcode: the header length, the fixed argument, every
 * NUL-terminated name, and any trailing data. Only a message that
 * passes is dispatched, so the ops never see a short buffer or an
 * unterminated name. This file is what the fuzzer drives.
 */
#ifndef FBX_FUSE_CODEC_H
#define FBX_FUSE_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "fuse/abi.h"
#include "fusebox/lowlevel.h"

/** A request after validation. Pointers point into the read buffer. */
struct fbx_msg {
	uint32_t opcode;
	uint64_t unique, nodeid;
	uint32_t uid, gid, pid;
	const void *arg;      /**< the fixed argument struct (NULL if none) */
	size_t      arglen;   /**< its length as sent (compat sizes are shorter) */
	const char *name;     /**< first name argument, NUL-terminated */
	const char *name2;    /**< second name (rename's new name, symlink target) */
	const void *data;     /**< trailing data: write payload, xattr value, forgets */
	size_t      datalen;
};

/** Protocol facts the decoder needs (set once INIT is done). */
struct fbx_proto {
	unsigned minor;      /**< negotiated minor version (0 before INIT) */
	int setxattr_ext;    /**< FUSE_SETXATTR_EXT negotiated */
};

/**
 * Validate `len` bytes at `buf` as one request. Returns 0, or:
 *  -EPROTO  the header itself is unusable (too short, length mismatch):
 *           no reply is possible or safe;
 *  -EINVAL  the header is fine but the arguments are malformed: reply
 *           EINVAL to m->unique;
 *  -ENOSYS  an opcode we do not know: reply ENOSYS.
 */
int fbx_msg_decode(struct fbx_msg *m, const void *buf, size_t len,
                   const struct fbx_proto *p);

/** Name of an opcode, for -d output ("LOOKUP"); "UNKNOWN" otherwise. */
const char *fbx_opcode_name(uint32_t opcode);

/* ---- encoding helpers --------------------------------------------- */

void fbx_attr_encode(struct fbx_k_attr *a, const struct stat *st);
void fbx_timeout_encode(double secs, uint64_t *sec, uint32_t *nsec);
void fbx_entry_encode(struct fbx_k_entry_out *o, const struct fbx_entry *e);
void fbx_statfs_encode(struct fbx_k_kstatfs *o, const struct statvfs *st);
void fbx_open_encode(struct fbx_k_open_out *o, const struct fbx_file_info *fi);
void fbx_lock_encode(struct fbx_k_file_lock *o, const struct flock *lk);
/** Kernel lock -> struct flock; returns -EINVAL on a bad range or type. */
int fbx_lock_decode(struct flock *lk, const struct fbx_k_file_lock *in);
/** setattr_in -> struct stat + FBX_SET_* mask. */
unsigned fbx_setattr_decode(struct stat *st, const struct fbx_k_setattr_in *in);
struct statx;
void fbx_statx_encode(struct fbx_k_statx *o, const struct statx *stx);
void fbx_statx_from_stat(struct statx *stx, const struct stat *st);

/**
 * An unrestricted ioctl's request to be sent again with the caller's
 * memory at `in` (copied in) and `out` (copied out): fills o and
 * vec[0..nin+nout) (room for FBX_K_IOCTL_MAX_IOV). Returns that count,
 * or -EPERM for a restricted request (req_flags without UNRESTRICTED:
 * the kernel cannot retry it), -E2BIG for more than FBX_K_IOCTL_MAX_IOV
 * iovecs, -EINVAL for a range past 32 bits in a 32-bit caller's
 * request (FBX_K_IOCTL_COMPAT) or lengths that overflow.
 */
struct iovec;
int fbx_ioctl_retry_encode(struct fbx_k_ioctl_out *o, struct fbx_k_ioctl_iovec *vec,
                           uint32_t req_flags, const struct iovec *in, size_t nin,
                           const struct iovec *out, size_t nout);

/**
 * CUSE_INIT's answer: the info strings "DEVNAME=dev_name" and each of
 * dev_info (NULL-terminated list of "KEY=VALUE"), NUL-terminated one
 * after the other, into info (size bytes, at most the kernel's 4096
 * are used). Returns their length, -EINVAL for an empty name or an item
 * that is not KEY=VALUE (or a second DEVNAME), -ENAMETOOLONG when they
 * do not fit.
 */
int fbx_cuse_info_encode(char *info, size_t size, const char *dev_name,
                         const char *const *dev_info);
/** ...and the fixed part, from the negotiated connection. */
struct fbx_k_cuse_init_out;
void fbx_cuse_init_encode(struct fbx_k_cuse_init_out *o, const struct fbx_conn *conn,
                          uint32_t flags, uint32_t dev_major, uint32_t dev_minor);

/**
 * INIT negotiation, pure: from the kernel's init_in, our options and
 * the ops present, fill conn (for the init op to adjust) and, after the
 * op ran, the reply. Returns 0, or -EPROTO for an unusable major.
 * A kernel major above ours gets a reply naming ours (it then retries).
 */
int fbx_init_begin(struct fbx_conn *conn, const struct fbx_k_init_in *in, size_t inlen,
                   const struct fbx_options *opts, uint64_t ops_caps);
size_t fbx_init_finish(struct fbx_k_init_out *out, const struct fbx_conn *conn);

#endif
