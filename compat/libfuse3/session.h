/*
 * session.h -- internal: what a libfuse 3 struct fuse_session is here.
 *
 * A thin shell around a fusebox session: the program's ops (kept so
 * lowlevel.c can call them), its userdata, and what the libfuse API
 * promises beyond fusebox's (the signal that ended the loop).
 */
#ifndef FBX_COMPAT_LIBFUSE3_SESSION_H
#define FBX_COMPAT_LIBFUSE3_SESSION_H

#include "compat.h"

#include <stdatomic.h>

#include "fusebox/lowlevel.h"

struct fuse_session {
	struct fbx_session *fbx;
	struct fuse_lowlevel_ops op;   /* the program's, zero beyond its op_size */
	void *userdata;
	struct fbx_ll_ops ll;          /* lowlevel.c's translations of op */
	int debug;
	atomic_int signal;             /* the signal that ended the loop, or 0 */
	struct fuse_custom_io io;      /* fuse_session_custom_io's, or zero */
};

/* session.c: fuse_session_new's options in args onto o (0, or -1
 * after a message); o is to be freed either way. */
int fbx_fuse3_session_opts(struct fbx_options *o, struct fuse_args *args);

/* lowlevel.c: fill se->ll with a translation for each op the program has. */
void fbx_fuse3_ops(struct fuse_session *se);

/* The request handle the program sees is fusebox's own. */
static inline struct fbx_req *fbx_fuse3_req(fuse_req_t req) { return (struct fbx_req *)req; }
static inline fuse_req_t fbx_fuse3_ureq(struct fbx_req *req) { return (fuse_req_t)req; }
static inline struct fuse_session *fbx_fuse3_session(struct fbx_req *req)
{
	return fbx_req_userdata(req);
}

/* fusebox's file info as the program's (the other way, and entries:
 * fbx_compat_fi_out, fbx_compat_entry_out in common.h) */
void fbx_fuse3_fi_in(struct fuse_file_info *f, const struct fbx_file_info *b);

/* loop_cfg.c: the pool bound of an opaque loop configuration. */
unsigned fbx_fuse3_cfg_max_threads(const struct fuse_loop_config *config);

/* conn.c: libfuse's FUSE_CAP_* numbers <-> the kernel's (FBX_CAP_*). */
unsigned fbx_fuse3_caps_from_kernel(uint64_t caps, unsigned proto_minor);
uint64_t fbx_fuse3_caps_to_kernel(unsigned caps);

#endif
