/*
 * old_mount.c -- the 1.x .. 2.5 mount calls (fuse_common_compat.h): they
 * return a mounted /dev/fuse descriptor, not a channel.
 *
 * A throwaway fusebox session mounts (with the mount options of args,
 * as root or through fusermount3) and hands its descriptor over
 * (fbx_session_release_fd); the session the program makes on that
 * descriptor later (fuse_new_compat*, or fuse_kern_chan_new) serves it
 * as "/dev/fd/N". Nobody owns the mount then, so it goes by path:
 * fuse_unmount_compat22 (fbx_unmount_path).
 */
#include "fuse2.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The throwaway session never serves a request. */
static const struct fbx_ll_ops no_ops;

static int mount_fd(const char *mountpoint, struct fbx_options *o)
{
	struct stat st;
	if (!o->nonempty && stat(mountpoint, &st) == 0 &&
	    fbx_fuse2_check_empty(mountpoint, &st) < 0)
		return -1;
	struct fbx_session *se = fbx_session_new(o, &no_ops, sizeof(no_ops), NULL);
	if (!se) {
		fbx_fuse2_err("cannot create session: %s\n", strerror(errno));
		return -1;
	}
	int fd = fbx_session_mount(se, mountpoint);   /* says why itself */
	if (fd == 0) {
		fd = fbx_session_release_fd(se);
		if (fd < 0)
			fbx_fuse2_err("fuse_mount: cannot hand the mount's descriptor over: %s%s\n",
			              strerror(-fd), fd == -EINVAL ? " (-o auto_unmount needs the"
			              " 2.6 API: fuse_mount returning a channel)" : "");
	}
	fbx_session_destroy(se);   /* unmounts unless the descriptor went out */
	return fd < 0 ? -1 : fd;
}

FBX_SYMVER("fuse_mount@FUSE_2.5")
int fuse_mount_compat25(const char *mountpoint, struct fuse_args *args)
{
	struct fbx_options o;
	if (fbx_fuse2_no_mount(args))
		return -1;
	if (!mountpoint) {
		fbx_fuse2_err("missing mountpoint parameter\n");
		return -1;
	}
	int fd = -1;
	if (fbx_fuse2_session_options(&o, args, NULL) == 0)
		fd = mount_fd(mountpoint, &o);
	fbx_options_free(&o);
	return fd;
}

int fbx_fuse2_opts_args(struct fuse_args *args, const char *opts)
{
	if (fuse_opt_add_arg(args, "") < 0)
		return -1;
	if (opts && (fuse_opt_add_arg(args, "-o") < 0 || fuse_opt_add_arg(args, opts) < 0))
		return -1;
	return 0;
}

FBX_SYMVER("fuse_mount@FUSE_2.2")
int fuse_mount_compat22(const char *mountpoint, const char *opts)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	int fd = -1;
	if (fbx_fuse2_opts_args(&args, opts) == 0)
		fd = fuse_mount_compat25(mountpoint, &args);
	fuse_opt_free_args(&args);
	return fd;
}

int fuse_mount_compat1(const char *mountpoint, const char *args[])
{
	/* args: fusermount arguments of 1.x, ignored (as libfuse 2.9 does) */
	return fuse_mount_compat22(mountpoint, NULL);
}

FBX_SYMVER("fuse_unmount@FUSE_2.2")
void fuse_unmount_compat22(const char *mountpoint)
{
	int r = fbx_unmount_path(mountpoint);
	if (r < 0 && r != -EINVAL)
		fbx_fuse2_err("fuse_unmount: %s: %s\n", mountpoint ? mountpoint : "(null)",
		              strerror(-r));
}
