/*
 * common.h -- internal: what fusebox's libfuse 3 (compat/libfuse3) and
 * libfuse 2 (compat/libfuse2) libraries share.
 *
 *   opt.c     fuse_opt_*: the template-driven option parser
 *   buf.c     fuse_buf_size, fuse_buf_copy
 *   daemon.c  fuse_daemonize
 *   signals.c fuse_set_signal_handlers, fuse_remove_signal_handlers
 *   reply.c   fuse_reply_*, fuse_add_direntry, fuse_req_* (what both APIs have)
 *   pathmap.c a high-level layer that maps paths (pathmap.h), under
 *   mod_subdir.c, mod_iconv.c  the built-in modules subdir and iconv
 *
 * Each library compiles these files itself, with its own header folder
 * first on the include path: <fuse_lowlevel.h> below is libfuse 3's or
 * libfuse 2's. The structs these files touch (fuse_args, fuse_opt,
 * fuse_buf, fuse_bufvec) and the calls they define have the same layout
 * and signature in both APIs, so one text serves both.
 */
#ifndef FBX_COMPAT_COMMON_H
#define FBX_COMPAT_COMMON_H

#include <fuse_lowlevel.h>

/** The library's own error messages: each library routes them (libfuse 3
 *  through fuse_log, libfuse 2 to stderr). Prefixed "fuse: " as
 *  libfuse's are: programs and tests grep for them. */
void fbx_compat_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define fbx_compat_err(...) fbx_compat_log("fuse: " __VA_ARGS__)

/* Each library's session, as signals.c needs it: the fusebox session
 * under it, and where the signal that ended its loop is kept. */
struct fbx_session;
struct fbx_session *fbx_compat_session_fbx(struct fuse_session *se);
_Atomic int *fbx_compat_session_signal(struct fuse_session *se);

/* signals.c: the thread that turns a caught signal into an exit runs
 * while a loop does (it would not survive fuse_daemonize's fork); the
 * libraries' loops call these around it. */
void fbx_compat_signals_loop_start(struct fuse_session *se);
void fbx_compat_signals_loop_end(struct fuse_session *se);
/* For a loop that runs without that thread (libfuse 2's generic
 * session, whose exit is the program's): after its read was interrupted,
 * the stop signal caught for se and not yet taken, or 0. */
int fbx_compat_signals_pending(struct fuse_session *se);

/* A program's file info and entry as fusebox's. The entry's layout is
 * the same in both APIs (reply.c); the file info's is not, so each
 * library defines fbx_compat_fi_out for its own (lowlevel.c). */
struct fbx_file_info;
struct fbx_entry;
void fbx_compat_fi_out(struct fbx_file_info *b, const struct fuse_file_info *f);
void fbx_compat_entry_out(struct fbx_entry *b, const struct fuse_entry_param *e);

#endif /* FBX_COMPAT_COMMON_H */
