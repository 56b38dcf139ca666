/*
 * lib/fs/ops_ioctl.c -- ioctl and poll by path.
 *
 * ioctl: one buffer serves both directions, as large as the larger of
 * the kernel's two sizes (both are _IOC_SIZE(cmd) for a read-write
 * command), so the callback reads its input and writes its output in
 * the same place.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs_int.h"

void fbx_fsi_ll_ioctl(struct fbx_req *req, uint64_t ino, unsigned int cmd, uint64_t arg,
                      struct fbx_file_info *fi, unsigned flags, const void *in_buf,
                      size_t in_bufsz, size_t out_bufsz)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	size_t size = in_bufsz > out_bufsz ? in_bufsz : out_bufsz;
	char *path = NULL, *data = NULL;
	/* The path API has no retry: the kernel could not tell it what an
	 * unrestricted command's argument points to. */
	int ret = (flags & FBX_IOCTL_UNRESTRICTED) ? -EPERM : fbx_fsi_path_fi(fs, ino, fi, &path);
	if (!ret && !(data = calloc(1, size ? size : 1)))
		ret = -ENOMEM;
	if (!ret) {
		if (in_bufsz)
			memcpy(data, in_buf, in_bufsz);
		if (flags & FBX_IOCTL_DIR)
			fi = fbx_fsi_dir_fi(fi);
		ret = fs->ops.ioctl(path, cmd, arg, fi, flags, data);
	}
	if (ret < 0)
		fbx_fsi_reply_err(req, ret);
	else
		(void)fbx_reply_ioctl(req, ret, data, out_bufsz);
	free(data);
	free(path);
	fbx_fsi_leave();
}

void fbx_fsi_ll_poll(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi,
                     unsigned events, struct fbx_pollhandle *ph)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path;
	unsigned revents = 0;
	int err = fbx_fsi_path_fi(fs, ino, fi, &path);
	if (err)
		fbx_pollhandle_destroy(ph);   /* the callback never saw it */
	else
		err = fs->ops.poll(path, fi, events, ph, &revents);
	if (err)
		fbx_fsi_reply_err(req, err);
	else
		(void)fbx_reply_poll(req, revents);
	free(path);
	fbx_fsi_leave();
}
