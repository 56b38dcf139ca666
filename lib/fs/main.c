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
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "fs/fs_int.h"
#include "fuse/options_int.h"

static void fbx_fsi_ll_init(void *userdata, struct fbx_conn *conn)
{
	struct fbx_fs *fs = userdata;
	/* The kernel applies the umask before sending a mode (no DONT_MASK),
	 * and opens with O_TRUNC come as open + setattr(size), which fs.h's
	 * open does not promise to handle (no ATOMIC_O_TRUNC). killpriv_v2
	 * is the filesystem's to ask for in its init (fs.h, "suid/sgid"). */
	conn->want &= ~(FBX_CAP_DONT_MASK | FBX_CAP_ATOMIC_O_TRUNC |
	                FBX_CAP_HANDLE_KILLPRIV | FBX_CAP_HANDLE_KILLPRIV_V2 |
	                FBX_CAP_POSIX_ACL);
	/* Lookups of "." and ".." by id are answered from the node table
	 * (ops_entry.c), an id the table no longer knows with ESTALE. */
	conn->want |= FBX_CAP_EXPORT_SUPPORT & conn->capable;
	if (!fs->ops.lock)
		conn->want &= ~FBX_CAP_POSIX_LOCKS;
	if (!fs->ops.flock)
		conn->want &= ~FBX_CAP_FLOCK_LOCKS;
	if (!fs->ops.getattr || !fs->ops.readdir)
		conn->want &= ~(FBX_CAP_READDIRPLUS | FBX_CAP_READDIRPLUS_AUTO);
	conn->want |= FBX_CAP_BIG_WRITES & conn->capable;
	fbx_fsi_enter_noreq(fs);
	if (fs->ops.init)
		fs->private_data = fs->ops.init(conn);
	/* init may have turned use_ino on or off (fbx_fs_options). */
	fbx_nodes_set_stable_ino(fs->nodes, fs->opts->use_ino);
	fs->killpriv = (conn->want & FBX_CAP_HANDLE_KILLPRIV_V2) != 0;
	fs->inited = 1;
	fbx_fsi_leave();
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

static void fbx_fsi_ll_destroy(void *userdata)
{
	struct fbx_fs *fs = userdata;
	fbx_fsi_enter_noreq(fs);
	if (fs->inited)
		remove_hidden(fs);
	if (fs->inited && fs->ops.destroy)
		fs->ops.destroy(fs->private_data);
	fs->inited = 0;
	fbx_fsi_leave();
}

static void make_ll_ops(const struct fbx_fs_ops *o, struct fbx_ll_ops *ll)
{
	memset(ll, 0, sizeof *ll);
	ll->init = fbx_fsi_ll_init;
	ll->destroy = fbx_fsi_ll_destroy;
	ll->lookup = fbx_fsi_ll_lookup;
	ll->forget = fbx_fsi_ll_forget;
	ll->forget_multi = fbx_fsi_ll_forget_multi;
	ll->getattr = fbx_fsi_ll_getattr;
	ll->setattr = fbx_fsi_ll_setattr;
	ll->open = fbx_fsi_ll_open;
	ll->read = fbx_fsi_ll_read;
	ll->write = fbx_fsi_ll_write;
	/* Nothing to do at close: the low level answers ENOSYS once and
	 * the kernel sends no more FLUSH. */
	ll->flush = o->flush || o->lock ? fbx_fsi_ll_flush : NULL;
	ll->release = fbx_fsi_ll_release;
	ll->fsync = fbx_fsi_ll_fsync;
	ll->opendir = fbx_fsi_ll_opendir;
	ll->releasedir = fbx_fsi_ll_releasedir;
	ll->fsyncdir = fbx_fsi_ll_fsyncdir;
	ll->unlink = fbx_fsi_ll_unlink;
	ll->rename = fbx_fsi_ll_rename;
	ll->mknod = fbx_fsi_ll_mknod;
	ll->readlink = o->readlink ? fbx_fsi_ll_readlink : NULL;
	ll->mkdir = o->mkdir ? fbx_fsi_ll_mkdir : NULL;
	ll->rmdir = o->rmdir ? fbx_fsi_ll_rmdir : NULL;
	ll->symlink = o->symlink ? fbx_fsi_ll_symlink : NULL;
	ll->link = o->link ? fbx_fsi_ll_link : NULL;
	ll->statfs = o->statfs ? fbx_fsi_ll_statfs : NULL;
	ll->setxattr = o->setxattr ? fbx_fsi_ll_setxattr : NULL;
	ll->getxattr = o->getxattr ? fbx_fsi_ll_getxattr : NULL;
	ll->listxattr = o->listxattr ? fbx_fsi_ll_listxattr : NULL;
	ll->removexattr = o->removexattr ? fbx_fsi_ll_removexattr : NULL;
	ll->access = o->access ? fbx_fsi_ll_access : NULL;
	ll->create = o->create ? fbx_fsi_ll_create : NULL;
	ll->getlk = o->lock ? fbx_fsi_ll_getlk : NULL;
	ll->setlk = o->lock ? fbx_fsi_ll_setlk : NULL;
	ll->flock = o->flock ? fbx_fsi_ll_flock : NULL;
	ll->bmap = o->bmap ? fbx_fsi_ll_bmap : NULL;
	ll->fallocate = o->fallocate ? fbx_fsi_ll_fallocate : NULL;
	ll->lseek = o->lseek ? fbx_fsi_ll_lseek : NULL;
	ll->copy_file_range = o->copy_file_range ? fbx_fsi_ll_copy_file_range : NULL;
	ll->statx = o->statx ? fbx_fsi_ll_statx : NULL;
	ll->ioctl = o->ioctl ? fbx_fsi_ll_ioctl : NULL;
	ll->poll = o->poll ? fbx_fsi_ll_poll : NULL;
	ll->readdir = o->readdir ? fbx_fsi_ll_readdir : NULL;
	ll->readdirplus = o->readdir && o->getattr ? fbx_fsi_ll_readdirplus : NULL;
}

/* Nonzero, and unlikely to be an earlier mount's: a handle kept across a
 * daemon restart (an NFS client's) then fails with ESTALE instead of
 * naming whatever file the new mount gave that node id. */
static uint32_t mount_generation(void)
{
	uint32_t g = 0;
	struct timespec now;
	if (getrandom(&g, sizeof g, GRND_NONBLOCK) != (ssize_t)sizeof g) {
		clock_gettime(CLOCK_REALTIME, &now);
		g = (uint32_t)now.tv_nsec ^ (uint32_t)now.tv_sec ^ (uint32_t)getpid() << 16;
	}
	return g ? g : 1;
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
	fs->generation = mount_generation();
	make_ll_ops(&fs->ops, &ll);
	fs->se = fbx_session_new(opts, &ll, sizeof ll, fs);
	if (!fs->se)
		goto fail;
	if (fbx_options_copy(&fs->cfg, fbx_session_options(fs->se)) < 0) {
		fbx_session_destroy(fs->se);
		goto fail;
	}
	fs->opts = &fs->cfg;
	fbx_nodes_set_stable_ino(fs->nodes, fs->opts->use_ino);
	fs->remember = fs->ops.flag_remember || fs->opts->noforget;
	fbx_nodes_set_remember(fs->nodes, fs->remember);
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

static void *fs_make(const struct fbx_options *o, const void *ops, size_t ops_size,
                     void *userdata, struct fbx_session **se)
{
	struct fbx_fs *fs = fbx_fs_new(o, ops, ops_size, userdata);
	if (fs)
		*se = fbx_fs_session(fs);
	return fs;
}

static void fs_destroy(void *fs) { fbx_fs_destroy(fs); }

int fbx_main_app(int argc, char *argv[], const struct fbx_fs_ops *ops, size_t ops_size,
                 void *userdata, const struct fbx_app *app)
{
	return fbx_program_main(argc, argv, app, fs_make, fs_destroy, ops, ops_size, userdata);
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
	return fbx_main_app(argc, argv, ops, ops_size, userdata, NULL);
}
