/*
 * lib/fs/context.c -- what every path op shares: the caller's context,
 * attribute fix-ups, paths, and entry replies.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs_int.h"

/* fbx_fs_context() has no argument, so the running callback's context
 * can only live in a thread-local: each worker thread serves one
 * request at a time, and the value is reset after every callback. */
static _Thread_local struct fbx_fs_context fs_tls;

struct fbx_fs_context *fbx_fs_context(void)
{
	return &fs_tls;
}

struct fbx_fs *fbx_fsi_enter(struct fbx_req *req)
{
	struct fbx_fs *fs = fbx_req_userdata(req);
	const struct fbx_ctx *c = fbx_req_ctx(req);
	fs_tls = (struct fbx_fs_context){
		.fs = fs, .uid = c->uid, .gid = c->gid, .pid = c->pid,
		.umask = c->umask, .private_data = fs->private_data, .req = req,
	};
	return fs;
}

void fbx_fsi_enter_noreq(struct fbx_fs *fs)
{
	fs_tls = (struct fbx_fs_context){ .fs = fs, .private_data = fs->private_data };
}

void fbx_fsi_leave(void)
{
	memset(&fs_tls, 0, sizeof fs_tls);
}

/* The option overrides, on the four fields stat and statx both have
 * (under other names and widths). */
static void fix_ids(const struct fbx_options *o, uint64_t id, uint64_t *ino, unsigned *mode,
                    unsigned *uid, unsigned *gid)
{
	/* Without use_ino the kernel's node id is the inode number: it is
	 * unique, and hard links share it because they share the node. */
	if (!o->use_ino)
		*ino = id;
	/* umask=M means what it means to libfuse and to vfat: the
	 * permissions are 0777 & ~M, whatever the filesystem reported. */
	if (o->set_umask)
		*mode = (*mode & S_IFMT) | (0777 & ~o->umask);
	if (o->set_uid)
		*uid = o->uid;
	if (o->set_gid)
		*gid = o->gid;
}

void fbx_fsi_fix_attr(const struct fbx_fs *fs, uint64_t id, struct stat *st)
{
	uint64_t ino = st->st_ino;
	unsigned mode = st->st_mode, uid = st->st_uid, gid = st->st_gid;
	fix_ids(fs->opts, id, &ino, &mode, &uid, &gid);
	st->st_ino = ino;
	st->st_mode = mode;
	st->st_uid = uid;
	st->st_gid = gid;
}

void fbx_fsi_fix_statx(const struct fbx_fs *fs, uint64_t id, struct statx *stx)
{
	uint64_t ino = stx->stx_ino;
	unsigned mode = stx->stx_mode, uid = stx->stx_uid, gid = stx->stx_gid;
	fix_ids(fs->opts, id, &ino, &mode, &uid, &gid);
	stx->stx_ino = ino;
	stx->stx_mode = (uint16_t)mode;
	stx->stx_uid = uid;
	stx->stx_gid = gid;
}

/* A file we hid (unlinked while open) has one link the user no longer
 * sees: fstat after unlink shows nlink 0, as on a native filesystem. */
void fbx_fsi_fix_hidden(struct fbx_fs *fs, uint64_t id, const char *path, struct stat *st)
{
	const char *base = path ? strrchr(path, '/') : NULL;
	struct fbx_node_info info;
	if (base && strncmp(base + 1, FS_HIDDEN_PREFIX, sizeof FS_HIDDEN_PREFIX - 1) == 0 &&
	    fbx_nodes_info(fs->nodes, id, &info) == 0 && info.hidden && st->st_nlink > 0)
		st->st_nlink--;
}

void fbx_fsi_fill_entry(const struct fbx_fs *fs, uint64_t id, const struct stat *st,
                   struct fbx_entry *e)
{
	memset(e, 0, sizeof *e);
	e->ino = id;
	/* Ids are never reused within a mount; the generation tells this
	 * mount's nodes from an earlier one's (the kernel's root has 0). */
	e->generation = id == FBX_ROOT_ID ? 0 : fs->generation;
	e->attr = *st;
	fbx_fsi_fix_attr(fs, id, &e->attr);
	e->attr_timeout = fs->opts->attr_timeout;
	e->entry_timeout = fs->opts->entry_timeout;
}

int fbx_fsi_path(struct fbx_fs *fs, uint64_t ino, const char *name, char **path)
{
	*path = NULL;
	return fbx_nodes_path(fs->nodes, ino, name, path);
}

int fbx_fsi_path_in(struct fbx_fs *fs, uint64_t ino, const char *name, char *mem,
                    size_t room, char **path)
{
	*path = NULL;
	return fbx_nodes_path_in(fs->nodes, ino, name, mem, room, path);
}

int fbx_fsi_path_fi(struct fbx_fs *fs, uint64_t ino, const struct fbx_file_info *fi,
                    char **path)
{
	return fbx_fsi_path_fi_in(fs, ino, fi, NULL, 0, path);
}

int fbx_fsi_path_fi_in(struct fbx_fs *fs, uint64_t ino, const struct fbx_file_info *fi,
                       char *mem, size_t room, char **path)
{
	*path = NULL;
	int err = fi ? fbx_nodes_path_fh_in(fs->nodes, ino, fi->fh, mem, room, path)
	             : fbx_nodes_path_in(fs->nodes, ino, NULL, mem, room, path);
	if (err == -ENOENT && fs->ops.flag_nullpath_ok)
		return 0;
	return err;
}

int fbx_fsi_getattr(struct fbx_fs *fs, const char *path, struct stat *st,
               struct fbx_file_info *fi)
{
	memset(st, 0, sizeof *st);
	if (fi && fs->ops.fgetattr)
		return fs->ops.fgetattr(path, st, fi);
	if (!path)
		return -ENOENT;
	if (fs->ops.getattr)
		return fs->ops.getattr(path, st);
	/* No getattr: only "/" exists, as an empty directory. */
	if (strcmp(path, "/") != 0)
		return -ENOENT;
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
	return 0;
}

int fbx_fsi_lookup_path(struct fbx_fs *fs, uint64_t parent, const char *name,
                   const char *path, struct fbx_file_info *fi, int open,
                   struct fbx_entry *e)
{
	struct stat st;
	uint64_t id;
	int err = fbx_fsi_getattr(fs, path, &st, fi);
	if (err)
		return err;
	err = fbx_nodes_enter(fs->nodes, parent, name, &st, open, &id);
	if (err)
		return err;
	fbx_fsi_fill_entry(fs, id, &st, e);
	return 0;
}

void fbx_fsi_reply_entry(struct fbx_fs *fs, struct fbx_req *req, const struct fbx_entry *e)
{
	uint64_t id = e->ino;
	/* A failed reply (interrupted request) never reached the kernel, so
	 * the lookup it carried must not be counted. */
	if (fbx_reply_entry(req, e) < 0 && id)
		fbx_nodes_forget(fs->nodes, id, 1);
}

void fbx_fsi_reply_err(struct fbx_req *req, int err)
{
	(void)fbx_reply_err(req, err);
}
