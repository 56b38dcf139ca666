/*
 * hl_context.c -- fuse_get_context and what it answers from: the path
 * layer's context of the running callback.
 *
 * struct fuse_context is libfuse's own layout and programs write to it
 * (layers swap private_data), so it is a thread-local of ours, filled
 * when a callback starts.
 */
#include "hl.h"

#include <errno.h>
#include <string.h>

static _Thread_local struct fuse_context hl_ctx;

struct fuse_context *fbx_hl2_context(void)
{
	return &hl_ctx;
}

struct fuse_context *fuse_get_context_28(void);
FBX_SYMVER("fuse_get_context@@FUSE_2.8")
struct fuse_context *fuse_get_context_28(void)
{
	return &hl_ctx;
}

/* Before 2.8 the struct ended before umask: the same record serves. */
struct fuse_context *fuse_get_context_compat22(void);
FBX_SYMVER("fuse_get_context@FUSE_2.2")
struct fuse_context *fuse_get_context_compat22(void)
{
	return &hl_ctx;
}

struct fuse *fbx_hl2_enter(void)
{
	const struct fbx_fs_context *c = fbx_fs_context();
	struct fuse *f = c->private_data;
	hl_ctx = (struct fuse_context){
		.fuse = f, .uid = c->uid, .gid = c->gid, .pid = c->pid,
		.umask = c->umask, .private_data = f && f->fs ? f->fs->user_data : NULL,
	};
	return f;
}

int fuse_getgroups(int size, gid_t list[])
{
	struct fbx_req *req = fbx_fs_context()->req;
	if (!req)
		return -EPERM;   /* not inside a request */
	return fbx_req_groups(req, size, list);
}

int fuse_interrupted(void)
{
	struct fbx_req *req = fbx_fs_context()->req;
	return req ? fbx_req_interrupted(req) != 0 : 0;
}

/* Obsolete since 2.6 (threads find their context themselves). */
/* Also its 1.x name (old_hl.c has the others). */
FBX_SYMVER("__fuse_set_getcontext_func@")
void fuse_set_getcontext_func(struct fuse_context *(*func)(void))
{
	(void)func;
}
