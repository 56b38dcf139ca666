/*
 * lib/fs/killpriv.c -- clearing suid/sgid for a path filesystem that
 * asked for handle_killpriv_v2 in init (fusebox/fs.h, "suid/sgid").
 *
 * The kernel then leaves the clearing to the filesystem; the path ops
 * carry no flag for most of the cases, so the library does it for all
 * of them through getattr and chmod, with Linux's rule.
 */
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/fs_int.h"

static int get_mode(struct fbx_fs *fs, const char *path, struct fbx_file_info *fi,
                    struct stat *st)
{
	memset(st, 0, sizeof *st);
	if (fi && fs->ops.fgetattr)
		return fs->ops.fgetattr(path, st, fi);
	if (!path)
		return -ENOENT;
	return fs->ops.getattr ? fs->ops.getattr(path, st) : -ENOSYS;
}

/* S_ISUID always; S_ISGID when it means setgid (group-exec), or for a
 * caller outside the file's group (setattr_should_drop_sgid). The
 * kernel checked the caller's permission for the change that brought
 * us here: the chmod needs none. */
int fbx_fsi_kill_suidgid(struct fbx_fs *fs, const char *path, struct fbx_file_info *fi)
{
	const struct fbx_ctx *ctx = fbx_req_ctx(fbx_fs_context()->req);
	struct stat st;
	mode_t kill = S_ISUID;
	int err = get_mode(fs, path, fi, &st);
	if (err)
		return err;
	if ((st.st_mode & S_ISGID) &&
	    ((st.st_mode & S_IXGRP) || !fbx_ctx_in_group(ctx, st.st_gid)))
		kill |= S_ISGID;
	if (S_ISDIR(st.st_mode) || !(st.st_mode & kill))
		return 0;
	st.st_mode &= ~kill;
	if (fi && fs->ops.fchmod)
		err = fs->ops.fchmod(path, st.st_mode, fi);
	else
		err = !path ? -ENOENT : fs->ops.chmod ? fs->ops.chmod(path, st.st_mode) : -ENOSYS;
	return err < 0 ? err : 1;
}

/* The data change is done and is what the caller gets told; a mode we
 * could not clear is not worth failing it for, as with a native
 * filesystem whose suid clearing cannot fail. */
void fbx_fsi_kill_after(struct fbx_fs *fs, struct fbx_req *req, uint64_t ino,
                        const char *path, struct fbx_file_info *fi, int kill)
{
	if (!fs->killpriv)
		return;
	if (kill < 0)
		kill = fbx_req_capable(req, CAP_FSETID) != 1;
	/* The write's reply carries no attributes: the kernel's cached mode
	 * would keep the bits until attr_timeout. */
	if (kill && fbx_fsi_kill_suidgid(fs, path, fi) > 0)
		(void)fbx_notify_inval_inode(fs->se, ino, -1, 0);
}
