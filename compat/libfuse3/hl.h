/*
 * hl.h -- internal: libfuse 3's high-level API (fuse.h) over fusebox's
 * path layer (fusebox/fs.h).
 *
 *   hl_new.c      fuse_new (3.0 and 3.1 variants), the -o options
 *                 into struct fuse_config, fuse_lib_help
 *   hl_ops.c      struct fbx_fs_ops whose callbacks call fuse_fs_*()
 *                 on the top layer
 *   hl_init.c     init/destroy: fuse_conn_info and fuse_config
 *   hl_fs.c       fuse_fs_new and every fuse_fs_* call
 *   hl_context.c  fuse_get_context, fuse_getgroups, fuse_interrupted
 *   hl_run.c      fuse_mount/unmount/loop/loop_mt/exit/destroy, ...
 *   hl_main.c     fuse_main_real
 *   hl_modules.c  -o modules=: the built-in modules (subdir and iconv,
 *                 compat/common/mod_*.c, shared with libfuse 2) and
 *                 dlopen ones
 *   hl_cache.c    -o auto_cache
 *
 * The path layer's private_data is always the struct fuse: the
 * program's private data lives in the top layer (struct fuse_fs), as in
 * libfuse, and fuse_get_context() reports that.
 */
#ifndef FBX_COMPAT_LIBFUSE3_HL_H
#define FBX_COMPAT_LIBFUSE3_HL_H

#include "session.h"

#include <fuse.h>

#include "fusebox/fs.h"

struct fuse_fs {
	struct fuse_operations op;   /* zero beyond the caller's op_size */
	void *user_data;             /* private data; init's return replaces it */
	void *dl;                    /* dlopen handle of a module's library */
};

struct fuse {
	struct fbx_fs *fbx;
	struct fuse_session se;      /* a shell over fbx's session (fuse_get_session) */
	struct fuse_fs *fs;          /* the top layer (modules over the program) */
	struct fuse_config conf;
	int inited;
	struct hl_cache *cache;      /* -o auto_cache: what each file looked like */
};

/* hl_new.c: fuse_new as both exported variants build it. */
struct fuse *fuse_new_31(struct fuse_args *args, const struct fuse_operations *op,
                         size_t op_size, void *private_data);
struct fuse *fuse_new_30(struct fuse_args *args, const struct fuse_operations *op,
                         size_t op_size, void *private_data);

/* hl_run.c: the loop variants (FUSE_3.0, FUSE_3.2, FUSE_3.12). */
int fuse_loop_mt_31(struct fuse *f, int clone_fd);
int fuse_loop_mt_32(struct fuse *f, struct fuse_loop_config_v1 *config);
int fuse_loop_mt_312(struct fuse *f, struct fuse_loop_config *config);

/* hl_ops.c: the path-layer callbacks for the ops layer fs has. */
void fbx_hl_make_ops(const struct fuse_fs *fs, struct fbx_fs_ops *ops);

/* hl_init.c */
void *fbx_hl_init(struct fbx_conn *conn);
void fbx_hl_destroy(void *private_data);

/* hl_cache.c: -o auto_cache. 1 when path has the mtime and size it had
 * at its last open (then the page cache may stay), else 0; remembers st. */
int fbx_hl_cache_same(struct fuse *f, const char *path, const struct stat *st);
void fbx_hl_cache_free(struct fuse *f);

/* hl_context.c: enter a callback: fills fuse_get_context() from the
 * path layer's context and returns the struct fuse. */
struct fuse *fbx_hl_enter(void);

/* hl_modules.c: stack module `name` over f->fs, taking its options out
 * of args. 0, or -1 after a message. */
int fbx_hl_push_module(struct fuse *f, const char *name, struct fuse_args *args);

#endif
