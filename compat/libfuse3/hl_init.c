/*
 * hl_init.c -- the path layer's init and destroy for a libfuse program:
 * struct fbx_conn as struct fuse_conn_info, the -o settings as struct
 * fuse_config, and what init changed in either carried back.
 */
#include "hl.h"

#include <string.h>

/* Kernel features fusebox's path layer turned off (fs.h: it promises
 * neither unmasked modes, nor killpriv or ACLs) and libfuse's splice
 * bits, which fusebox notes but does not act on: a program's init cannot
 * turn these on. Export stays as the path layer offers it (libfuse 3's
 * high level asks for it too): file handles, which -o noforget keeps
 * valid after the kernel forgets a node. ATOMIC_O_TRUNC is not among them: libfuse 3
 * asks for it by default, so its programs get O_TRUNC in open's
 * fi->flags and no truncate (lxcfs refuses truncate but takes O_TRUNC;
 * a program without a truncate op would fail every `> file`). */
#define HL_NEVER (FUSE_CAP_DONT_MASK | \
                  FUSE_CAP_HANDLE_KILLPRIV | FUSE_CAP_POSIX_ACL | FUSE_CAP_SPLICE_READ | \
                  FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE)

static void conn_in(struct fuse_conn_info *ci, const struct fbx_conn *c)
{
	memset(ci, 0, sizeof(*ci));
	ci->proto_major = c->proto_major;
	ci->proto_minor = c->proto_minor;
	ci->max_write = c->max_write;
	ci->max_read = c->max_read;
	ci->max_readahead = c->max_readahead;
	ci->capable = fbx_fuse3_caps_from_kernel(c->capable, c->proto_minor);
	ci->want = fbx_fuse3_caps_from_kernel(c->want, c->proto_minor) & ci->capable;
	/* libfuse 3's default, which the path layer leaves to its fs's init. */
	ci->want |= FUSE_CAP_ATOMIC_O_TRUNC & ci->capable;
	ci->max_background = c->max_background;
	ci->congestion_threshold = c->congestion_threshold;
	ci->time_gran = c->time_gran;
}

static void conn_out(struct fbx_conn *c, struct fuse_conn_info *ci, unsigned readahead)
{
	unsigned extra = ci->want & ~ci->capable;
	if (extra) {
		fbx_fuse3_err("error: filesystem requested capabilities 0x%x that are "
		              "not supported by kernel; left out\n", extra);
		ci->want &= ci->capable;
	}
	/* Bits libfuse has no name for stay as fusebox set them. */
	uint64_t named = fbx_fuse3_caps_to_kernel(~0u);
	c->want = (c->want & ~named) | fbx_fuse3_caps_to_kernel(ci->want & ~HL_NEVER);
	c->max_write = ci->max_write;
	if (ci->max_readahead < readahead)
		c->max_readahead = ci->max_readahead;
	c->max_background = ci->max_background;
	c->congestion_threshold = ci->congestion_threshold;
	c->time_gran = ci->time_gran;
}

/* fuse_config -> the path layer's options (what init may have changed). */
static void conf_out(struct fbx_fs *fs, const struct fuse_config *cf)
{
	struct fbx_options *o = fbx_fs_options(fs);
	o->entry_timeout = cf->entry_timeout;
	o->attr_timeout = cf->attr_timeout;
	o->negative_timeout = cf->negative_timeout;
	o->hard_remove = cf->hard_remove;
	o->use_ino = cf->use_ino;
	o->readdir_ino = cf->readdir_ino;
	o->direct_io = cf->direct_io;
	o->kernel_cache = cf->kernel_cache;
	o->set_umask = cf->set_mode;
	o->umask = cf->umask;
	o->set_uid = cf->set_uid;
	o->uid = cf->uid;
	o->set_gid = cf->set_gid;
	o->gid = cf->gid;
	fbx_fs_set_nullpath_ok(fs, cf->nullpath_ok);
}

void *fbx_hl_init(struct fbx_conn *c)
{
	struct fbx_fs *fs = fbx_fs_context()->fs;
	struct fuse *f = fbx_hl_enter();
	struct fuse_conn_info ci;
	conn_in(&ci, c);
	unsigned readahead = ci.max_readahead;
	fuse_fs_init(f->fs, &ci, &f->conf);
	conn_out(c, &ci, readahead);
	conf_out(fs, &f->conf);
	f->inited = 1;
	return f;   /* the path layer's private data stays the struct fuse */
}

void fbx_hl_destroy(void *private_data)
{
	struct fuse *f = private_data;
	fbx_hl_enter();
	fuse_fs_destroy(f->fs);
	f->fs = NULL;
	f->inited = 0;
}
