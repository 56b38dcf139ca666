/*
 * fuse_common_compat.h -- the libfuse 2.1 .. 2.5 forms of what fuse.h
 * and fuse_lowlevel.h share: the 2.4 file info and the mount calls that
 * return a bare /dev/fuse descriptor. fuse_common.h includes it for
 * FUSE_USE_VERSION below 26 and maps the current names onto these; a
 * program does not include it itself.
 *
 * fusebox mounts at once here (the descriptor is mounted on return) and
 * the session made on the descriptor later serves it ("/dev/fd/N",
 * fusebox/lowlevel.h); the mount stays until fuse_unmount_compat22.
 */
#ifndef FUSE_COMMON_COMPAT_H_
#define FUSE_COMMON_COMPAT_H_

#if !defined(FUSE_COMMON_H_)
# error "include <fuse.h> or <fuse_lowlevel.h>, not <fuse_common_compat.h>"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** The 2.4 file info: fh is an unsigned long, and it sits where
 *  struct fuse_file_info has fh_old, so the two share their start. */
struct fuse_file_info_compat {
	int flags;
	unsigned long fh;
	int writepage;
	unsigned int direct_io : 1;
	unsigned int keep_cache : 1;
};

/** Mount with the mount options in args (2.5): the mounted /dev/fuse
 *  descriptor, or -1 after a message. */
int fuse_mount_compat25(const char *mountpoint, struct fuse_args *args);
/** The same with the options as one "-o" string (may be NULL). */
int fuse_mount_compat22(const char *mountpoint, const char *opts);
/** The 1.x form: args (extra fusermount arguments) are ignored, as
 *  libfuse 2.9 ignores them. */
int fuse_mount_compat1(const char *mountpoint, const char *args[]);
/** Unmount mountpoint (lazily, as fusermount -u -z does). */
void fuse_unmount_compat22(const char *mountpoint);

#ifdef __cplusplus
}
#endif

#endif /* FUSE_COMMON_COMPAT_H_ */
