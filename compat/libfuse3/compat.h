/*
 * compat.h -- internal to fusebox's libfuse3.so.3 (compat/libfuse3/).
 *
 * Every file here is built with -DFUSE_USE_VERSION=314 against our own
 * headers (include/compat/fuse3), so the public prototypes are checked
 * against the definitions. The old variants of a few calls, which the
 * 3.14 headers no longer declare under these names, are declared here.
 *
 * Symbol versions: fuse3.map lists the nodes; FBX_SYMVER("name@NODE")
 * on a definition also exports it as that old, non-default version,
 * and "name@@NODE" as the default one (see fuse3.map).
 */
#ifndef FBX_COMPAT_LIBFUSE3_H
#define FBX_COMPAT_LIBFUSE3_H

#include <fuse_lowlevel.h>

#include "common.h"

#define FBX_SYMVER(spec) __attribute__((symver(spec)))

/* The libfuse release whose ABI this library has. */
#define FBX_FUSE3_PKGVERSION "3.14.0"

/* Variants of the multi-threaded loop: 3.0/3.1 (clone_fd), 3.2..3.11
 * (the old struct), 3.12 (the opaque one). */
int fuse_session_loop_mt_31(struct fuse_session *se, int clone_fd);
int fuse_session_loop_mt_32(struct fuse_session *se,
                            struct fuse_loop_config_v1 *config);
int fuse_session_loop_mt_312(struct fuse_session *se,
                             struct fuse_loop_config *config);

/* fuse_parse_cmdline for the 40-byte (3.0) and 48-byte (3.12) struct. */
int fuse_parse_cmdline_30(struct fuse_args *args, struct fuse_cmdline_opts *opts);
int fuse_parse_cmdline_312(struct fuse_args *args, struct fuse_cmdline_opts *opts);

/* One -o item or argument of fuse_session_new/fuse_new onto `o`:
 * 0, or -1 after a message (a non-option argument is refused, naming
 * `mount_call`, which takes the mount point). */
struct fbx_options;
int fbx_fuse3_session_item(struct fbx_options *o, const char *arg, int key,
                           const char *mount_call);
/* fbx_options_init with what libfuse 3 does unasked: no io_uring (its
 * programs' handlers may wait on each other), a mount goes on top of
 * whatever is mounted there (libfuse 3 has no nonempty check), and the
 * type has a subtype only if -o subtype= says one (fuse_parse_cmdline
 * adds the program's name unless fsname= or subtype= is given). */
void fbx_fuse3_options_init(struct fbx_options *o);

/** The library's own messages: fuse_log() at FUSE_LOG_ERR, prefixed
 *  "fuse: " (compat/common/common.h; log.c routes them). */
#define fbx_fuse3_err(...) fbx_compat_err(__VA_ARGS__)

#endif /* FBX_COMPAT_LIBFUSE3_H */
