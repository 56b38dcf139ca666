/*
 * hl_run.c -- a struct fuse's life: loops, exit, destroy, and the
 * one-call helpers fuse_setup, fuse_teardown and fuse_main_real.
 */
#include "hl.h"

#include <errno.h>
#include <stdlib.h>

int fuse_loop(struct fuse *f)
{
	return f ? fbx_fuse2_loop(&f->se, 1) : -1;
}

int fuse_loop_mt(struct fuse *f)
{
	return f ? fbx_fuse2_loop(&f->se, 10) : -1;
}

void fuse_exit(struct fuse *f)
{
	fbx_session_exit(f->se.fbx);
}

FBX_SYMVER("__fuse_exited@")   /* its 1.x name */
int fuse_exited(struct fuse *f)
{
	return fbx_session_exited(f->se.fbx);
}

struct fuse_session *fuse_get_session(struct fuse *f)
{
	return &f->se;
}

void fuse_destroy(struct fuse *f)
{
	if (!f)
		return;
	/* Ends the session: the layers' destroy ops run if init did. */
	fbx_fs_destroy(f->fbx);
	fbx_fuse2_chan_session_gone(&f->se);
	while (f->fs) {   /* only left when init never ran: no destroy op then */
		struct fuse_fs *fs = f->fs;
		f->fs = NULL;
		free(fs);
	}
	free(f->conf.modules);
	free(f->old);
	free(f);
}

/* Obsolete in libfuse 2.9 too. */
int fuse_invalidate(struct fuse *f, const char *path)
{
	(void)f; (void)path;
	return -EINVAL;
}

int fuse_is_lib_option(const char *opt)
{
	return fuse_lowlevel_is_lib_option(opt);
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

/* ---- the helpers ------------------------------------------------------------- */

struct fuse *fuse_setup(int argc, char *argv[], const struct fuse_operations *op,
                        size_t op_size, char **mountpoint, int *multithreaded,
                        void *user_data)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	int foreground;
	*mountpoint = NULL;
	if (fuse_parse_cmdline(&args, mountpoint, multithreaded, &foreground) == -1) {
		fuse_opt_free_args(&args);
		return NULL;
	}
	struct fuse_chan *ch = fuse_mount(*mountpoint, &args);
	struct fuse *f = ch ? fuse_new(ch, &args, op, op_size, user_data) : NULL;
	if (ch && !f)
		fuse_unmount(*mountpoint, ch);
	if (f && (fuse_daemonize(foreground) == -1 ||
	          fuse_set_signal_handlers(&f->se) == -1)) {
		fuse_unmount(*mountpoint, f->se.ch);
		fuse_destroy(f);
		f = NULL;
	}
	fuse_opt_free_args(&args);
	if (!f) {
		free(*mountpoint);
		*mountpoint = NULL;
	}
	return f;
}

void fuse_teardown(struct fuse *fuse, char *mountpoint)
{
	struct fuse_session *se = fuse_get_session(fuse);
	fuse_remove_signal_handlers(se);
	fuse_unmount(mountpoint, se->ch);
	fuse_destroy(fuse);
	free(mountpoint);
}

int fuse_main_real(int argc, char *argv[], const struct fuse_operations *op,
                   size_t op_size, void *user_data)
{
	char *mountpoint;
	int multithreaded;
	struct fuse *f = fuse_setup(argc, argv, op, op_size, &mountpoint, &multithreaded,
	                            user_data);
	if (!f)
		return 1;
	int r = multithreaded ? fuse_loop_mt(f) : fuse_loop(f);
	fuse_teardown(f, mountpoint);
	return r == -1 ? 1 : 0;
}
