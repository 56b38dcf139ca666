/*
 * old_ll.c -- the 2.4 and 2.5 low-level API (fuse_lowlevel_compat.h) on
 * the 2.9 one, and the 2.4 channel ops.
 *
 * 2.5's ops are 2.9's but for init (no connection info) and statfs (no
 * inode): those two are kept in se->old and called from lowlevel.c's
 * init and a translation here. 2.4's ops also take the 2.4 file info,
 * which is the start of struct fuse_file_info (its fh is where fh_old
 * is, and fusebox fills fh_old with the handle): the translations hand
 * the same record over, as libfuse 2.9 does. So an open answers with
 * fuse_reply_open_compat; a 2.4 create answering with fuse_reply_create
 * loses the handle it set, in libfuse 2.9 as here (that reply reads the
 * 2.9 fh).
 */
#include "fuse2.h"

#include <stdlib.h>
#include <string.h>

#define OLD(req) (fbx_fuse2_session(fbx_fuse2_req(req))->old)
#define FI24(fi) ((struct fuse_file_info_compat *)(fi))
#define OP24(req) (OLD(req)->op24)

static void statfs_old(fuse_req_t req, fuse_ino_t ino)
{
	OLD(req)->statfs(req);
}

/* ---- 2.5 ----------------------------------------------------------------- */

FBX_SYMVER("fuse_lowlevel_new@FUSE_2.5")
struct fuse_session *fuse_lowlevel_new_compat25(struct fuse_args *args,
                                                const struct fuse_lowlevel_ops_compat25 *op,
                                                size_t op_size, void *userdata)
{
	struct fuse_lowlevel_ops_compat25 p;
	struct fuse_lowlevel_ops ops;
	struct fbx_fuse2_old_ll old;
	memset(&p, 0, sizeof(p));
	memcpy(&p, op, op_size < sizeof(p) ? op_size : sizeof(p));
	memset(&ops, 0, sizeof(ops));
	memset(&old, 0, sizeof(old));
#define SAME(name) ops.name = p.name
	SAME(destroy); SAME(lookup); SAME(forget); SAME(getattr); SAME(setattr);
	SAME(readlink); SAME(mknod); SAME(mkdir); SAME(unlink); SAME(rmdir);
	SAME(symlink); SAME(rename); SAME(link); SAME(open); SAME(read);
	SAME(write); SAME(flush); SAME(release); SAME(fsync); SAME(opendir);
	SAME(readdir); SAME(releasedir); SAME(fsyncdir); SAME(setxattr);
	SAME(getxattr); SAME(listxattr); SAME(removexattr); SAME(access);
	SAME(create);
#undef SAME
	old.init = p.init;
	old.statfs = p.statfs;
	if (p.statfs)
		ops.statfs = statfs_old;
	return fbx_fuse2_session_new(args, &ops, sizeof(ops), userdata, &old);
}

/* ---- 2.4: the same record as the 2.4 file info ------------------------------- */

static void getattr24(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	OP24(req).getattr(req, ino, FI24(fi));
}

static void setattr24(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                      struct fuse_file_info *fi)
{
	OP24(req).setattr(req, ino, attr, to_set, FI24(fi));
}

static void open24(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	OP24(req).open(req, ino, FI24(fi));
}

static void read24(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                   struct fuse_file_info *fi)
{
	OP24(req).read(req, ino, size, off, FI24(fi));
}

static void write24(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
                    off_t off, struct fuse_file_info *fi)
{
	OP24(req).write(req, ino, buf, size, off, FI24(fi));
}

static void flush24(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	OP24(req).flush(req, ino, FI24(fi));
}

static void release24(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	OP24(req).release(req, ino, FI24(fi));
}

static void fsync24(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	OP24(req).fsync(req, ino, datasync, FI24(fi));
}

static void opendir24(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	OP24(req).opendir(req, ino, FI24(fi));
}

static void readdir24(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                      struct fuse_file_info *fi)
{
	OP24(req).readdir(req, ino, size, off, FI24(fi));
}

static void releasedir24(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	OP24(req).releasedir(req, ino, FI24(fi));
}

static void fsyncdir24(fuse_req_t req, fuse_ino_t ino, int datasync,
                       struct fuse_file_info *fi)
{
	OP24(req).fsyncdir(req, ino, datasync, FI24(fi));
}

static void create24(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                     struct fuse_file_info *fi)
{
	OP24(req).create(req, parent, name, mode, FI24(fi));
}

/* The options as one "-o" string (NULL: none). */
FBX_SYMVER("fuse_lowlevel_new@FUSE_2.4")
struct fuse_session *fuse_lowlevel_new_compat(const char *opts,
                                              const struct fuse_lowlevel_ops_compat *op,
                                              size_t op_size, void *userdata)
{
	struct fuse_lowlevel_ops ops;
	struct fbx_fuse2_old_ll old;
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_lowlevel_ops_compat *p = &old.op24;
	memset(&old, 0, sizeof(old));
	memcpy(p, op, op_size < sizeof(*p) ? op_size : sizeof(*p));
	memset(&ops, 0, sizeof(ops));
#define SAME(name) ops.name = p->name
#define FI(name) if (p->name) ops.name = name##24
	SAME(destroy); SAME(lookup); SAME(forget); SAME(readlink); SAME(mknod);
	SAME(mkdir); SAME(unlink); SAME(rmdir); SAME(symlink); SAME(rename);
	SAME(link); SAME(setxattr); SAME(getxattr); SAME(listxattr);
	SAME(removexattr); SAME(access);
	FI(getattr); FI(setattr); FI(open); FI(read); FI(write); FI(flush);
	FI(release); FI(fsync); FI(opendir); FI(readdir); FI(releasedir);
	FI(fsyncdir); FI(create);
#undef FI
#undef SAME
	old.init = p->init;
	old.statfs = p->statfs;
	if (p->statfs)
		ops.statfs = statfs_old;
	struct fuse_session *se = NULL;
	if (fbx_fuse2_opts_args(&args, opts) == 0)
		se = fbx_fuse2_session_new(&args, &ops, sizeof(ops), userdata, &old);
	fuse_opt_free_args(&args);
	return se;
}

/* ---- the 2.4 channel ops: receive without the pointer to the channel ---------- */

static int receive24(struct fuse_chan **chp, char *buf, size_t size)
{
	return (*chp)->op24.receive(*chp, buf, size);
}

FBX_SYMVER("fuse_chan_new@FUSE_2.4")
struct fuse_chan *fuse_chan_new_compat24(struct fuse_chan_ops_compat24 *op, int fd,
                                         size_t bufsize, void *data)
{
	if (!op || !op->receive) {
		fbx_fuse2_err("fuse_chan_new: the channel needs receive and send\n");
		return NULL;
	}
	struct fuse_chan_ops ops = { receive24, op->send, op->destroy };
	struct fuse_chan *ch = fuse_chan_new(&ops, fd, bufsize, data);
	if (ch)
		ch->op24 = *op;
	return ch;
}
