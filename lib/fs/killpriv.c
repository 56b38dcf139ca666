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

/* Linux's rule (setattr_should_drop_sgid): S_ISUID always; S_ISGID when
 * it means setgid (group-exec), or for a caller neither in the file's
 * group nor holding CAP_FSETID. `capable` < 0: not known yet, asked only
 * when it decides. The kernel checked the caller's permission for the
 * change that brought us here: the chmod needs none. */
static mode_t kill_mask(const struct stat *st, int capable)
{
	const struct fbx_req *req = fbx_fs_context()->req;
	mode_t kill = S_ISUID;
	if (S_ISDIR(st->st_mode))
		return 0;
	if ((st->st_mode & S_ISGID) &&
	    ((st->st_mode & S_IXGRP) ||
	     (!fbx_ctx_in_group(fbx_req_ctx(req), st->st_gid) &&
	      (capable >= 0 ? !capable : fbx_req_capable(req, CAP_FSETID) != 1))))
		kill |= S_ISGID;
	return st->st_mode & kill;
}

static int clear_bits(struct fbx_fs *fs, const char *path, struct fbx_file_info *fi,
                      mode_t kill)
{
	struct stat st;
	int err = get_mode(fs, path, fi, &st);
	if (err || !(st.st_mode & kill))
		return err;
	st.st_mode &= ~kill;
	if (fi && fs->ops.fchmod)
		err = fs->ops.fchmod(path, st.st_mode, fi);
	else
		err = !path ? -ENOENT : fs->ops.chmod ? fs->ops.chmod(path, st.st_mode) : -ENOSYS;
	return err < 0 ? err : 1;
}

int fbx_fsi_kill_suidgid(struct fbx_fs *fs, const char *path, struct fbx_file_info *fi)
{
	struct stat st;
	int err = get_mode(fs, path, fi, &st);
	if (err)
		return err;
	/* Only a caller without CAP_FSETID gets here (write, truncate). */
	mode_t kill = kill_mask(&st, 0);
	return kill ? clear_bits(fs, path, fi, kill) : 0;
}

int fbx_fsi_chown_kill_plan(struct fbx_fs *fs, const char *path, struct fbx_file_info *fi,
                            mode_t *kill)
{
	struct stat st;
	int err = get_mode(fs, path, fi, &st);
	*kill = err ? 0 : kill_mask(&st, -1);
	return err;
}

int fbx_fsi_chown_kill(struct fbx_fs *fs, const char *path, struct fbx_file_info *fi,
                       mode_t kill)
{
	int r = kill ? clear_bits(fs, path, fi, kill) : 0;
	return r < 0 ? r : 0;
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
