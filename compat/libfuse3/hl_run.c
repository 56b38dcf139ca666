/*
 * hl_run.c -- a struct fuse's life: mount, loops, exit, unmount,
 * destroy, and the calls that act on a mounted one.
 *
 * A struct fuse carries a struct fuse_session shell over the path
 * layer's fusebox session (fuse_get_session), so the low-level loops,
 * signal handlers and notifications of session.c/signals.c/notify.c
 * serve the high-level API unchanged.
 */
#include "hl.h"

#include <errno.h>
#include <stdlib.h>

int fuse_mount(struct fuse *f, const char *mountpoint)
{
	return fuse_session_mount(&f->se, mountpoint);
}

void fuse_unmount(struct fuse *f)
{
	fuse_session_unmount(&f->se);
}

struct fuse_session *fuse_get_session(struct fuse *f)
{
	return &f->se;
}

int fuse_loop(struct fuse *f)
{
	if (!f)
		return -1;
	return fuse_session_loop(&f->se);
}

FBX_SYMVER("fuse_loop_mt@@FUSE_3.12")
int fuse_loop_mt_312(struct fuse *f, struct fuse_loop_config *config)
{
	if (!f)
		return -1;
	return fuse_session_loop_mt_312(&f->se, config);
}

FBX_SYMVER("fuse_loop_mt@FUSE_3.2")
int fuse_loop_mt_32(struct fuse *f, struct fuse_loop_config_v1 *config)
{
	if (!f)
		return -1;
	return fuse_session_loop_mt_32(&f->se, config);
}

FBX_SYMVER("fuse_loop_mt@FUSE_3.0")
int fuse_loop_mt_31(struct fuse *f, int clone_fd)
{
	if (!f)
		return -1;
	return fuse_session_loop_mt_31(&f->se, clone_fd);
}

void fuse_exit(struct fuse *f)
{
	fuse_session_exit(&f->se);
}

void fuse_destroy(struct fuse *f)
{
	if (!f)
		return;
	/* Ends the session: the layers' destroy ops run if init did. Not
	 * an unmount (fuse_unmount's, as in libfuse): skipped, the mount
	 * stays, dead. */
	fbx_session_keep_mount(fbx_fs_session(f->fbx));
	fbx_fs_destroy(f->fbx);
	free(f->fs);   /* only left when init never ran: no destroy op then */
	free(f->conf.modules);
	fbx_hl_cache_free(f);
	free(f);
}

int fuse_invalidate_path(struct fuse *f, const char *path)
{
	return fbx_fs_invalidate_path(f->fbx, path);
}

/* Nodes live exactly as long as the kernel holds them (fs.h), so there
 * is no cache of forgotten nodes to clean: the calls succeed and the
 * next cleaning is "not soon". */
#define HL_NO_CLEANING 3600

int fuse_start_cleanup_thread(struct fuse *f)
{
	(void)f;
	return 0;
}

void fuse_stop_cleanup_thread(struct fuse *f)
{
	(void)f;
}

int fuse_clean_cache(struct fuse *f)
{
	(void)f;
	return HL_NO_CLEANING;
}
