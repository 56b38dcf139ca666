/*
 * lib/fs/main.c -- the path filesystem object: fbx_main, fbx_fs_new,
 * init/destroy, and which low-level ops a path filesystem gets.
 *
 * A low-level op is left NULL when its path callback is missing and the
 * low-level default is what fs.h promises (ENOSYS the kernel remembers:
 * xattrs, access, fallocate, lseek, copy_file_range, create; no lock
 * ops: the kernel keeps locks locally; no statx: answered from getattr).
 * open/release/opendir/releasedir are always ours: open handles are
 * counted for hidden files, and directory handles carry the snapshots.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs_int.h"

static void fs_ll_init(void *userdata, struct fbx_conn *conn)
{
	struct fbx_fs *fs = userdata;
	/* The kernel applies the umask before sending a mode (no DONT_MASK),
	 * and opens with O_TRUNC come as open + setattr(size), which fs.h's
	 * open does not promise to handle (no ATOMIC_O_TRUNC). */
	conn->want &= ~(FBX_CAP_DONT_MASK | FBX_CAP_ATOMIC_O_TRUNC | FBX_CAP_EXPORT_SUPPORT |
	                FBX_CAP_HANDLE_KILLPRIV | FBX_CAP_HANDLE_KILLPRIV_V2 |
	                FBX_CAP_POSIX_ACL);
	if (!fs->ops.lock)
		conn->want &= ~FBX_CAP_POSIX_LOCKS;
	if (!fs->ops.flock)
		conn->want &= ~FBX_CAP_FLOCK_LOCKS;
	if (!fs->ops.getattr || !fs->ops.readdir)
		conn->want &= ~(FBX_CAP_READDIRPLUS | FBX_CAP_READDIRPLUS_AUTO);
	conn->want |= FBX_CAP_BIG_WRITES & conn->capable;
	fs_enter_noreq(fs);
	if (fs->ops.init)
		fs->private_data = fs->ops.init(conn);
	fs->inited = 1;
	fs_leave();
}

/* Files still hidden at unmount (the kernel did not release them, e.g.
 * the connection was aborted) are removed now: nothing is left behind. */
static void remove_hidden(struct fbx_fs *fs)
{
	char **paths;
	size_t n;
	if (!fs->ops.unlink)
		return;
	(void)fbx_nodes_hidden_paths(fs->nodes, &paths, &n);
	for (size_t i = 0; i < n; i++) {
		fs->ops.unlink(paths[i]);
		free(paths[i]);
	}
	free(paths);
}

static void fs_ll_destroy(void *userdata)
{
	struct fbx_fs *fs = userdata;
	fs_enter_noreq(fs);
	if (fs->inited)
		remove_hidden(fs);
	if (fs->inited && fs->ops.destroy)
		fs->ops.destroy(fs->private_data);
	fs->inited = 0;
	fs_leave();
}

static void make_ll_ops(const struct fbx_fs_ops *o, struct fbx_ll_ops *ll)
{
	memset(ll, 0, sizeof *ll);
	ll->init = fs_ll_init;
	ll->destroy = fs_ll_destroy;
	ll->lookup = fs_ll_lookup;
	ll->forget = fs_ll_forget;
	ll->forget_multi = fs_ll_forget_multi;
	ll->getattr = fs_ll_getattr;
	ll->setattr = fs_ll_setattr;
	ll->open = fs_ll_open;
	ll->read = fs_ll_read;
	ll->write = fs_ll_write;
	/* Nothing to do at close: the low level answers ENOSYS once and
	 * the kernel sends no more FLUSH. */
	ll->flush = o->flush || o->lock ? fs_ll_flush : NULL;
	ll->release = fs_ll_release;
	ll->fsync = fs_ll_fsync;
	ll->opendir = fs_ll_opendir;
	ll->releasedir = fs_ll_releasedir;
	ll->fsyncdir = fs_ll_fsyncdir;
	ll->unlink = fs_ll_unlink;
	ll->rename = fs_ll_rename;
	ll->mknod = fs_ll_mknod;
	ll->readlink = o->readlink ? fs_ll_readlink : NULL;
	ll->mkdir = o->mkdir ? fs_ll_mkdir : NULL;
	ll->rmdir = o->rmdir ? fs_ll_rmdir : NULL;
	ll->symlink = o->symlink ? fs_ll_symlink : NULL;
	ll->link = o->link ? fs_ll_link : NULL;
	ll->statfs = o->statfs ? fs_ll_statfs : NULL;
	ll->setxattr = o->setxattr ? fs_ll_setxattr : NULL;
	ll->getxattr = o->getxattr ? fs_ll_getxattr : NULL;
	ll->listxattr = o->listxattr ? fs_ll_listxattr : NULL;
	ll->removexattr = o->removexattr ? fs_ll_removexattr : NULL;
	ll->access = o->access ? fs_ll_access : NULL;
	ll->create = o->create ? fs_ll_create : NULL;
	ll->getlk = o->lock ? fs_ll_getlk : NULL;
	ll->setlk = o->lock ? fs_ll_setlk : NULL;
	ll->flock = o->flock ? fs_ll_flock : NULL;
	ll->bmap = o->bmap ? fs_ll_bmap : NULL;
	ll->fallocate = o->fallocate ? fs_ll_fallocate : NULL;
	ll->lseek = o->lseek ? fs_ll_lseek : NULL;
	ll->copy_file_range = o->copy_file_range ? fs_ll_copy_file_range : NULL;
	ll->statx = o->statx ? fs_ll_statx : NULL;
	ll->readdir = o->readdir ? fs_ll_readdir : NULL;
	ll->readdirplus = o->readdir && o->getattr ? fs_ll_readdirplus : NULL;
}

struct fbx_fs *fbx_fs_new(const struct fbx_options *opts, const struct fbx_fs_ops *ops,
                          size_t ops_size, void *userdata)
{
	struct fbx_fs *fs = calloc(1, sizeof *fs);
	struct fbx_ll_ops ll;
	if (!fs)
		return NULL;
	/* An older caller's struct is shorter: the callbacks it does not
	 * know of stay NULL. A newer one's extra callbacks are ignored. */
	memcpy(&fs->ops, ops, ops_size < sizeof fs->ops ? ops_size : sizeof fs->ops);
	fs->userdata = fs->private_data = userdata;
	fs->nodes = fbx_nodes_new();
	if (!fs->nodes)
		goto fail;
	make_ll_ops(&fs->ops, &ll);
	fs->se = fbx_session_new(opts, &ll, sizeof ll, fs);
	if (!fs->se)
		goto fail;
	if (fbx_options_copy(&fs->cfg, fbx_session_options(fs->se)) < 0) {
		fbx_session_destroy(fs->se);
		goto fail;
	}
	fs->opts = &fs->cfg;
	return fs;
fail:
	fbx_nodes_free(fs->nodes);
	free(fs);
	errno = errno ? errno : ENOMEM;
	return NULL;
}

struct fbx_session *fbx_fs_session(struct fbx_fs *fs)
{
	return fs->se;
}

void fbx_fs_destroy(struct fbx_fs *fs)
{
	if (!fs)
		return;
	fbx_session_destroy(fs->se); /* runs destroy if the fs was inited */
	fbx_nodes_free(fs->nodes);
	fbx_options_free(&fs->cfg);
	free(fs);
}

struct fbx_options *fbx_fs_options(struct fbx_fs *fs)
{
	return &fs->cfg;
}

void fbx_fs_set_nullpath_ok(struct fbx_fs *fs, int on)
{
	fs->ops.flag_nullpath_ok = on ? 1 : 0;
}

int fbx_fs_invalidate_path(struct fbx_fs *fs, const char *path)
{
	uint64_t parent = FBX_ROOT_ID, id = FBX_ROOT_ID;
	char *copy = strdup(path ? path : "");
	char *name = NULL, *save = NULL;
	struct fbx_node_info info;
	int err = 0;
	if (!copy)
		return -ENOMEM;
	if (copy[0] != '/')
		err = -EINVAL;
	/* Walk the names the kernel knows: a path it never looked up has
	 * nothing cached to drop. */
	for (char *c = strtok_r(copy, "/", &save); !err && c; c = strtok_r(NULL, "/", &save)) {
		err = fbx_nodes_find(fs->nodes, id, c, &info);
		parent = id;
		id = info.id;
		name = c;
	}
	if (!err)
		err = fbx_notify_inval_inode(fs->se, id, 0, 0);
	if (!err && name)
		err = fbx_notify_inval_entry(fs->se, parent, name);
	free(copy);
	return err;
}

int fbx_main(int argc, char *argv[], const struct fbx_fs_ops *ops, size_t ops_size,
             void *userdata)
{
	struct fbx_options o;
	int status = 0;
	if (fbx_options_parse(&o, argc, argv, NULL, NULL) < 0)
		return 1;
	if (o.show_help) {
		fbx_options_help(stdout, argv[0]);
	} else if (o.show_version) {
		printf("fusebox %s\n", FBX_VERSION);
	} else {
		struct fbx_fs *fs = fbx_fs_new(&o, ops, ops_size, userdata);
		if (!fs) {
			fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
			status = 1;
		} else {
			status = fbx_session_main(fbx_fs_session(fs));
			fbx_fs_destroy(fs);
		}
	}
	fbx_options_free(&o);
	return status;
}
