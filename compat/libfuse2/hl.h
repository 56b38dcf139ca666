/*
 * hl.h -- internal: libfuse 2's high-level API (fuse.h) over fusebox's
 * path layer (fusebox/fs.h).
 *
 *   hl_new.c      fuse_new: its -o options, modules, the path filesystem
 *   hl_ops.c      struct fbx_fs_ops whose callbacks call fuse_fs_*() on
 *                 the top layer, and init/destroy
 *   hl_fs.c       fuse_fs_new and every fuse_fs_* call, with libfuse 2's
 *                 fallbacks (getdir, utime, fgetattr, ftruncate, read_buf)
 *   hl_run.c      loops, exit, destroy, fuse_setup/teardown, fuse_main_real
 *   hl_context.c  fuse_get_context, fuse_getgroups, fuse_interrupted
 *   old_hl.c      the 1.x .. 2.5 forms of struct fuse_operations
 *
 * The path layer's private_data is always the struct fuse: the
 * program's private data lives in the top layer (struct fuse_fs), and
 * fuse_get_context() reports that.
 */
#ifndef FBX_COMPAT_LIBFUSE2_HL_H
#define FBX_COMPAT_LIBFUSE2_HL_H

#include "fuse2.h"

struct fuse_fs {
	struct fuse_operations op;   /* zero beyond the caller's op_size */
	void *user_data;             /* private data; init's return replaces it */
	void *dl;                    /* dlopen handle of a module's library */
};

/* The high-level options libfuse 2 has and fusebox's parser does not. */
struct hl_conf {
	int auto_cache, intr, intr_signal, utime_omit_ok;
	int remember;   /* noforget (-1) or remember=T: flag_remember */
	char *modules;
};

/* What a 1.x .. 2.5 program's ops need beyond the 2.9 struct, which
 * holds translations calling these (old_hl.c). */
struct fbx_fuse2_old_hl {
	void *(*init)(void);                              /* 2.2, 2.5 */
	struct fuse_operations_compat22 o22;              /* 2.2: the 2.4 file info */
	struct fuse_operations_compat2 o2;                /* 2.1, and 1.x's onto it */
	int (*statfs1)(struct fuse_statfs_compat1 *st);   /* 1.x */
};

struct fuse {
	struct fbx_fs *fbx;
	struct fuse_session se;      /* a shell over fbx's session (fuse_get_session) */
	struct fuse_fs *fs;          /* the top layer (modules over the program) */
	struct hl_conf conf;
	struct fbx_fuse2_old_hl *old;   /* a 1.x .. 2.5 program's ops, or NULL */
};

/* hl_ops.c */
void fbx_hl2_make_ops(const struct fuse_fs *fs, struct fbx_fs_ops *ops);

/* hl_context.c: enter a callback: fills fuse_get_context() from the
 * path layer's context and returns the struct fuse. */
struct fuse *fbx_hl2_enter(void);
/* What fuse_get_context() returns (both its versions). */
struct fuse_context *fbx_hl2_context(void);

/* hl_new.c: stack -o modules= over f->fs. 0, or -1 after a message. */
int fbx_hl2_push_modules(struct fuse *f, struct fuse_args *args);

#endif
