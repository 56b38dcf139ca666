/*
 * lib/fs/ops_entry.c -- ops on names and attributes: lookup, forget,
 * getattr, setattr, readlink, mknod, mkdir, symlink, link, unlink,
 * rmdir, rename, statx.
 *
 * Pattern of every op: build the path(s) under the table lock, call the
 * filesystem with no lock held, then update the table and reply.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fs/fs_int.h"

/* ---- lookup, forget --------------------------------------------------- */

/*
 * "." and ".." by node id (FUSE_EXPORT_SUPPORT): the kernel decoding a
 * file handle asks for a node it may have forgotten ("."), or for the
 * parent of a directory it reconnects (".."). The node is answered only
 * while the table still knows it and its path still leads to the same
 * file; anything else is ESTALE, never another file.
 */
static int lookup_dot(struct fbx_fs *fs, uint64_t id, bool dotdot, struct fbx_entry *e)
{
	struct stat st;
	char *path;
	int err = dotdot ? fbx_nodes_parent(fs->nodes, id, &id) : 0;
	if (!err)
		err = fbx_fsi_path(fs, id, NULL, &path);
	if (err)
		return -ESTALE;
	err = fbx_fsi_getattr(fs, path, &st, NULL);
	free(path);
	if (err)
		return err == -ENOENT ? -ESTALE : err;
	err = fbx_nodes_ref(fs->nodes, id, &st);
	if (!err)
		fbx_fsi_fill_entry(fs, id, &st, e);
	return err;
}

static bool is_dot(const char *name, bool *dotdot)
{
	*dotdot = name[0] == '.' && name[1] == '.' && !name[2];
	return name[0] == '.' && (!name[1] || *dotdot);
}

void fbx_fsi_ll_lookup(struct fbx_req *req, uint64_t parent, const char *name)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	struct fbx_entry e;
	char *path;
	bool dotdot;
	int err;
	if (is_dot(name, &dotdot)) {
		err = lookup_dot(fs, parent, dotdot, &e);
		if (err)
			fbx_fsi_reply_err(req, err);
		else
			fbx_fsi_reply_entry(fs, req, &e);
		fbx_fsi_leave();
		return;
	}
	/* The commonest request: its path is built on the stack when it fits. */
	char mem[FS_PATH_STACK];
	err = fbx_fsi_path_in(fs, parent, name, mem, sizeof mem, &path);
	if (!err)
		err = fbx_fsi_lookup_path(fs, parent, name, path, NULL, 0, &e);
	if (path != mem)
		free(path);
	if (err == -ENOENT && fs->opts->negative_timeout > 0) {
		/* ino 0 with a timeout: the kernel caches "no such name". */
		memset(&e, 0, sizeof e);
		e.entry_timeout = fs->opts->negative_timeout;
		err = 0;
	}
	if (err)
		fbx_fsi_reply_err(req, err);
	else
		fbx_fsi_reply_entry(fs, req, &e);
	fbx_fsi_leave();
}

void fbx_fsi_ll_forget(struct fbx_req *req, uint64_t ino, uint64_t nlookup)
{
	struct fbx_fs *fs = fbx_req_userdata(req);
	fbx_nodes_forget(fs->nodes, ino, nlookup);
	fbx_reply_none(req);
}

void fbx_fsi_ll_forget_multi(struct fbx_req *req, size_t count, const uint64_t *inos,
                        const uint64_t *nlookups)
{
	struct fbx_fs *fs = fbx_req_userdata(req);
	for (size_t i = 0; i < count; i++)
		fbx_nodes_forget(fs->nodes, inos[i], nlookups[i]);
	fbx_reply_none(req);
}

/* ---- attributes -------------------------------------------------------- */

static void reply_attr(struct fbx_fs *fs, struct fbx_req *req, uint64_t ino,
                       const char *path, struct fbx_file_info *fi)
{
	struct stat st;
	int err = fbx_fsi_getattr(fs, path, &st, fi);
	if (err) {
		fbx_fsi_reply_err(req, err);
		return;
	}
	fbx_fsi_fix_hidden(fs, ino, path, &st);
	fbx_fsi_fix_attr(fs, ino, &st);
	(void)fbx_reply_attr(req, &st, fs->opts->attr_timeout);
}

/* fstat(2) comes without a handle; for an open file whose name is gone
 * (hard_remove) one of its handles answers instead, and for a directory
 * a rename removed while open, its opendir handle if the filesystem
 * takes those in fgetattr (flag_fgetattr_dir). */
static int getattr_by_fh(struct fbx_fs *fs, uint64_t ino, struct fbx_file_info *fi)
{
	if (!fs->ops.fgetattr || !fs->ops.flag_nullpath_ok)
		return -ENOENT;
	memset(fi, 0, sizeof *fi);
	return fbx_nodes_get_fh(fs->nodes, ino, fs->ops.flag_fgetattr_dir, &fi->fh, &fi->flags);
}

void fbx_fsi_ll_getattr(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	struct fbx_file_info ofi;
	char *path, mem[FS_PATH_STACK];
	int err = fi ? fbx_fsi_path_fi(fs, ino, fi, &path)
	             : fbx_fsi_path_in(fs, ino, NULL, mem, sizeof mem, &path);
	if (err == -ENOENT && !fi && getattr_by_fh(fs, ino, &ofi) == 0) {
		fi = &ofi;
		err = 0;
	}
	if (err)
		fbx_fsi_reply_err(req, err);
	else
		reply_attr(fs, req, ino, path, fi);
	if (path != mem)
		free(path);
	fbx_fsi_leave();
}

static int set_times_utime(struct fbx_fs *fs, const char *path, const struct timespec tv[2])
{
	struct utimbuf ub;
	struct stat st;
	time_t now = time(NULL);
	if (!fs->ops.utime)
		return -ENOSYS;
	/* utime sets both times: an omitted one keeps its current value. */
	if (tv[0].tv_nsec == UTIME_OMIT || tv[1].tv_nsec == UTIME_OMIT) {
		int err = fbx_fsi_getattr(fs, path, &st, NULL);
		if (err)
			return err;
		ub.actime = st.st_atime;
		ub.modtime = st.st_mtime;
	}
	if (tv[0].tv_nsec != UTIME_OMIT)
		ub.actime = tv[0].tv_nsec == UTIME_NOW ? now : tv[0].tv_sec;
	if (tv[1].tv_nsec != UTIME_OMIT)
		ub.modtime = tv[1].tv_nsec == UTIME_NOW ? now : tv[1].tv_sec;
	return fs->ops.utime(path, &ub);
}

static int set_times(struct fbx_fs *fs, const char *path, const struct stat *attr,
                     unsigned to_set, struct fbx_file_info *fi)
{
	struct timespec tv[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	if (to_set & FBX_SET_ATIME_NOW)
		tv[0].tv_nsec = UTIME_NOW;
	else if (to_set & FBX_SET_ATIME)
		tv[0] = attr->st_atim;
	if (to_set & FBX_SET_MTIME_NOW)
		tv[1].tv_nsec = UTIME_NOW;
	else if (to_set & FBX_SET_MTIME)
		tv[1] = attr->st_mtim;
	if (fi && fs->ops.futimens)
		return fs->ops.futimens(path, tv, fi);
	if (!path)
		return -ENOENT;
	if (fs->ops.utimens)
		return fs->ops.utimens(path, tv);
	return set_times_utime(fs, path, tv);
}

static int set_size(struct fbx_fs *fs, const char *path, off_t size,
                    struct fbx_file_info *fi)
{
	if (fi && fs->ops.ftruncate)
		return fs->ops.ftruncate(path, size, fi);
	if (!path)
		return -ENOENT;
	return fs->ops.truncate ? fs->ops.truncate(path, size) : -ENOSYS;
}

/*
 * Owner first, then mode: the kernel sends a mode with suid/sgid
 * cleared together with a chown, and a chown that fails (EPERM) must
 * leave the mode alone.
 */
static int do_setattr(struct fbx_fs *fs, const char *path, const struct stat *attr,
                      unsigned to_set, struct fbx_file_info *fi)
{
	int err = 0;
	int chown_kill = (to_set & FBX_SET_KILL_SUIDGID) && !(to_set & FBX_SET_MODE) &&
	                 (to_set & (FBX_SET_UID | FBX_SET_GID));
	mode_t kill = 0;
	if (chown_kill && (err = fbx_fsi_chown_kill_plan(fs, path, fi, &kill)))
		return err;
	if (to_set & (FBX_SET_UID | FBX_SET_GID)) {
		uid_t uid = to_set & FBX_SET_UID ? attr->st_uid : (uid_t)-1;
		gid_t gid = to_set & FBX_SET_GID ? attr->st_gid : (gid_t)-1;
		if (fi && fs->ops.fchown)
			err = fs->ops.fchown(path, uid, gid, fi);
		else
			err = !path ? -ENOENT : fs->ops.chown ? fs->ops.chown(path, uid, gid) : -ENOSYS;
	}
	if (!err && (to_set & FBX_SET_MODE) && fi && fs->ops.fchmod)
		err = fs->ops.fchmod(path, attr->st_mode, fi);
	else if (!err && (to_set & FBX_SET_MODE))
		err = !path ? -ENOENT : fs->ops.chmod ? fs->ops.chmod(path, attr->st_mode) : -ENOSYS;
	if (!err && (to_set & FBX_SET_SIZE))
		err = set_size(fs, path, attr->st_size, fi);
	if (!err && chown_kill)
		err = fbx_fsi_chown_kill(fs, path, fi, kill);
	else if (!err && (to_set & FBX_SET_KILL_SUIDGID) && !(to_set & FBX_SET_MODE)) {
		int r = fbx_fsi_kill_suidgid(fs, path, fi);
		err = r < 0 ? r : 0;
	}
	if (!err && (to_set & (FBX_SET_ATIME | FBX_SET_MTIME | FBX_SET_ATIME_NOW |
	                       FBX_SET_MTIME_NOW)))
		err = set_times(fs, path, attr, to_set, fi);
	return err;
}

#define TIMES_ONLY (FBX_SET_ATIME | FBX_SET_MTIME | FBX_SET_ATIME_NOW | \
                    FBX_SET_MTIME_NOW | FBX_SET_CTIME)

/* Under writeback_cache the kernel writes the times it kept back with
 * a SETATTR of its own, also for a file whose last name and last open
 * are gone (syncfs(2), eviction): nobody can see them any more, and
 * tmpfs would not fail, so neither do we (syncfs would report ENOENT).
 * The kernel does not read this reply's attributes back
 * (fuse_flush_times): they are what it sent. It keeps no times of
 * anything but regular files, and a caller's futimens(2) of a removed
 * directory it holds open comes here too: that one gets ENOENT, as
 * attributes of the wrong type would make the kernel's inode bad
 * (EIO for every later call on the descriptor). */
static void times_of_gone(struct fbx_fs *fs, struct fbx_req *req, uint64_t ino,
                          const struct stat *attr)
{
	struct fbx_node_info info;
	if (fbx_nodes_info(fs->nodes, ino, &info) != 0 || !S_ISREG(info.type)) {
		fbx_fsi_reply_err(req, -ENOENT);
		return;
	}
	struct stat st = *attr;
	st.st_ino = ino;
	st.st_mode = S_IFREG;
	st.st_nlink = 0;
	(void)fbx_reply_attr(req, &st, 0);
}

void fbx_fsi_ll_setattr(struct fbx_req *req, uint64_t ino, const struct stat *attr,
                   unsigned to_set, struct fbx_file_info *fi)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	struct fbx_file_info ofi;
	char *path;
	int err = fi ? fbx_fsi_path_fi(fs, ino, fi, &path) : fbx_fsi_path(fs, ino, NULL, &path);
	int gone = err == -ENOENT && !fi;
	/* fchmod(2) and the like come without a handle, as fstat(2) does:
	 * with the name gone, an open handle answers (getattr_by_fh) */
	if (gone && getattr_by_fh(fs, ino, &ofi) == 0) {
		fi = &ofi;
		err = 0;
	}
	if (!err)
		err = do_setattr(fs, path, attr, to_set, fi);
	if (err == -ENOENT && gone && !(to_set & ~TIMES_ONLY))
		times_of_gone(fs, req, ino, attr);
	else if (err)
		fbx_fsi_reply_err(req, err);
	else
		reply_attr(fs, req, ino, path, fi);
	free(path);
	fbx_fsi_leave();
}

void fbx_fsi_ll_statx(struct fbx_req *req, uint64_t ino, int flags, unsigned mask,
                 struct fbx_file_info *fi)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	struct statx stx;
	char *path;
	int err = fi ? fbx_fsi_path_fi(fs, ino, fi, &path) : fbx_fsi_path(fs, ino, NULL, &path);
	memset(&stx, 0, sizeof stx);
	if (!err)
		err = fs->ops.statx(path, flags, mask, &stx, fi);
	free(path);
	if (err) {
		fbx_fsi_reply_err(req, err);
	} else {
		fbx_fsi_fix_statx(fs, ino, &stx);
		(void)fbx_reply_statx(req, &stx, fs->opts->attr_timeout);
	}
	fbx_fsi_leave();
}

void fbx_fsi_ll_readlink(struct fbx_req *req, uint64_t ino)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path, buf[PATH_MAX + 1];
	int err = fbx_fsi_path(fs, ino, NULL, &path);
	if (!err) {
		buf[0] = '\0';
		err = fs->ops.readlink(path, buf, sizeof buf);
		buf[PATH_MAX] = '\0';
	}
	free(path);
	if (err)
		fbx_fsi_reply_err(req, err);
	else
		(void)fbx_reply_readlink(req, buf);
	fbx_fsi_leave();
}

/* ---- making names ------------------------------------------------------ */

/* After the filesystem made parent/name: stat it, enter it, reply. */
static void reply_new_entry(struct fbx_fs *fs, struct fbx_req *req, uint64_t parent,
                            const char *name, const char *path, int err)
{
	struct fbx_entry e;
	if (!err)
		err = fbx_fsi_lookup_path(fs, parent, name, path, NULL, 0, &e);
	if (err)
		fbx_fsi_reply_err(req, err);
	else
		fbx_fsi_reply_entry(fs, req, &e);
}

/* mknod of a regular file: create first, as libfuse does (bindings such
 * as fusepy fill in a mknod that refuses with EROFS, and count on it). */
static int mknod_by_create(struct fbx_fs *fs, const char *path, mode_t mode)
{
	struct fbx_file_info fi;
	memset(&fi, 0, sizeof fi);
	fi.flags = O_CREAT | O_EXCL | O_WRONLY;
	int err = fs->ops.create(path, mode, &fi);
	if (!err && fs->ops.release)
		fs->ops.release(path, &fi);
	return err;
}

void fbx_fsi_ll_mknod(struct fbx_req *req, uint64_t parent, const char *name, mode_t mode,
                 dev_t rdev)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path;
	int err = fbx_fsi_path(fs, parent, name, &path);
	if (!err) {
		err = -ENOSYS;
		if (S_ISREG(mode) && fs->ops.create)
			err = mknod_by_create(fs, path, mode);
		if (err == -ENOSYS && fs->ops.mknod)
			err = fs->ops.mknod(path, mode, rdev);
	}
	reply_new_entry(fs, req, parent, name, path, err);
	free(path);
	fbx_fsi_leave();
}

void fbx_fsi_ll_mkdir(struct fbx_req *req, uint64_t parent, const char *name, mode_t mode)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path;
	int err = fbx_fsi_path(fs, parent, name, &path);
	if (!err)
		err = fs->ops.mkdir(path, mode | S_IFDIR);
	reply_new_entry(fs, req, parent, name, path, err);
	free(path);
	fbx_fsi_leave();
}

void fbx_fsi_ll_symlink(struct fbx_req *req, const char *target, uint64_t parent,
                   const char *name)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path;
	int err = fbx_fsi_path(fs, parent, name, &path);
	if (!err)
		err = fs->ops.symlink(target, path);
	reply_new_entry(fs, req, parent, name, path, err);
	free(path);
	fbx_fsi_leave();
}

/* The new name is entered as another name of node ino (not by st_ino),
 * so the kernel sees one inode even when the fs reports no st_ino. */
void fbx_fsi_ll_link(struct fbx_req *req, uint64_t ino, uint64_t newparent, const char *newname)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	struct fbx_entry e;
	struct stat st;
	char *from = NULL, *to = NULL;
	int err = fbx_nodes_path2(fs->nodes, ino, NULL, &from, newparent, newname, &to);
	if (!err)
		err = fs->ops.link(from, to);
	if (!err)
		err = fbx_fsi_getattr(fs, to, &st, NULL);
	if (!err)
		err = fbx_nodes_link(fs->nodes, ino, newparent, newname, &st);
	if (err) {
		fbx_fsi_reply_err(req, err);
	} else {
		fbx_fsi_fill_entry(fs, ino, &st, &e);
		fbx_fsi_reply_entry(fs, req, &e);
	}
	free(from);
	free(to);
	fbx_fsi_leave();
}

/* ---- removing names ---------------------------------------------------- */

/*
 * Rename the open file dir/name to a fresh dir/.fbx_hidden<N> through
 * the filesystem, so it stays usable until its last release. Returns 0
 * with the hidden name in hidden[64], or a negated errno (nothing done).
 */
static int hide(struct fbx_fs *fs, uint64_t dir, const char *name, const char *path,
                char hidden[64])
{
	char *hpath = NULL;
	struct stat st;
	int err = -EBUSY;
	if (!fs->ops.rename)
		return -ENOSYS;
	for (int tries = 0; tries < 16 && err == -EBUSY; tries++) {
		unsigned long n = __atomic_fetch_add(&fs->hidden_seq, 1, __ATOMIC_RELAXED);
		snprintf(hidden, 64, FS_HIDDEN_PREFIX "%lu", n);
		free(hpath);
		err = fbx_fsi_path(fs, dir, hidden, &hpath);
		if (err)
			break;
		if (fbx_fsi_getattr(fs, hpath, &st, NULL) != -ENOENT) {
			err = -EBUSY; /* taken (or unknown): try the next number */
			continue;
		}
		err = fs->ops.rename(path, hpath, 0);
	}
	if (!err && fbx_nodes_hide(fs->nodes, dir, name, hidden) && fs->ops.unlink)
		fs->ops.unlink(hpath); /* the last release already ran */
	free(hpath);
	return err;
}

/* Undo hide() after the rename it made room for failed. */
static void unhide(struct fbx_fs *fs, uint64_t dir, const char *hidden, const char *name)
{
	char *hpath, *path;
	if (fbx_nodes_path2(fs->nodes, dir, hidden, &hpath, dir, name, &path))
		return;
	if (fs->ops.rename(hpath, path, FBX_RENAME_NOREPLACE) == 0)
		fbx_nodes_rename(fs->nodes, dir, hidden, dir, name, 0);
	free(hpath);
	free(path);
}

/* Must dir/name be hidden rather than removed? Only an open file whose
 * last known name this is; with other names, the file lives on anyway. */
static int needs_hide(struct fbx_fs *fs, uint64_t dir, const char *name)
{
	struct fbx_node_info info;
	/* Without rename there is no hiding: the name goes at once. */
	if (fs->opts->hard_remove || !fs->ops.rename ||
	    fbx_nodes_find(fs->nodes, dir, name, &info))
		return 0;
	return info.open > 0 && info.nnames == 1;
}

void fbx_fsi_ll_unlink(struct fbx_req *req, uint64_t parent, const char *name)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path;
	int err = fbx_fsi_path(fs, parent, name, &path);
	char hidden[64];
	if (!err && needs_hide(fs, parent, name)) {
		err = hide(fs, parent, name, path, hidden);
	} else if (!err) {
		err = fs->ops.unlink ? fs->ops.unlink(path) : -ENOSYS;
		if (!err)
			fbx_nodes_remove(fs->nodes, parent, name);
	}
	free(path);
	fbx_fsi_reply_err(req, err);
	fbx_fsi_leave();
}

void fbx_fsi_ll_rmdir(struct fbx_req *req, uint64_t parent, const char *name)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *path;
	int err = fbx_fsi_path(fs, parent, name, &path);
	if (!err)
		err = fs->ops.rmdir(path);
	if (!err)
		fbx_nodes_remove(fs->nodes, parent, name);
	free(path);
	fbx_fsi_reply_err(req, err);
	fbx_fsi_leave();
}

/*
 * A rename over an open file hides the target first (unless exchanging:
 * then both names live on). If the rename then fails, the target is put
 * back under its name.
 */
void fbx_fsi_ll_rename(struct fbx_req *req, uint64_t parent, const char *name,
                  uint64_t newparent, const char *newname, unsigned flags)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	char *from = NULL, *to = NULL, hidden[64];
	int hid = 0;
	int err = fbx_nodes_path2(fs->nodes, parent, name, &from, newparent, newname, &to);
	if (!err && (flags & ~(FBX_RENAME_NOREPLACE | FBX_RENAME_EXCHANGE)))
		err = -EINVAL;
	if (!err && !fs->ops.rename)
		err = -ENOSYS;
	if (!err && !(flags & FBX_RENAME_EXCHANGE) && needs_hide(fs, newparent, newname)) {
		/* Hiding moves the target away; NOREPLACE must still fail. */
		err = (flags & FBX_RENAME_NOREPLACE) ? -EEXIST
		                                 : hide(fs, newparent, newname, to, hidden);
		hid = !err;
	}
	if (!err)
		err = fs->ops.rename(from, to, flags);
	if (!err)
		fbx_nodes_rename(fs->nodes, parent, name, newparent, newname, flags);
	else if (hid)
		unhide(fs, newparent, hidden, newname);
	free(from);
	free(to);
	fbx_fsi_reply_err(req, err);
	fbx_fsi_leave();
}
