/*
 * lib/fuse/dispatch.c -- from a validated request to one op call, and
 * the documented default when the op is missing.
 *
 * Each handler turns the kernel's argument struct into the op's
 * parameters. Handlers run in the worker thread that read the request;
 * the message buffer stays valid until the handler returns.
 */
#include "fuse/session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/file.h>
#include <sys/stat.h>

#define OPS(req) (&(req)->se->ops)

static void fi_from_open(struct fbx_file_info *fi, uint32_t flags, uint32_t open_flags,
                         const struct fbx_options *o)
{
	memset(fi, 0, sizeof *fi);
	fi->flags = (int)flags;
	/* O_TRUNC by a caller without CAP_FSETID (handle_killpriv_v2 only). */
	fi->kill_priv = (open_flags & FBX_K_OPEN_KILL_SUIDGID) ? 1 : 0;
	fi->direct_io = o->direct_io ? 1 : 0;
	fi->keep_cache = o->kernel_cache ? 1 : 0;
}

static void fi_with_fh(struct fbx_file_info *fi, uint64_t fh, uint32_t flags)
{
	memset(fi, 0, sizeof *fi);
	fi->fh = fh;
	fi->flags = (int)flags;
}

static void h_lookup(struct fbx_req *req, const struct fbx_msg *m)
{
	if (!OPS(req)->lookup)
		fbx_reply_err(req, -ENOSYS);
	else
		OPS(req)->lookup(req, m->nodeid, m->name);
}

static void h_getattr(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_getattr_in *in = m->arg;
	struct fbx_file_info fi, *fip = NULL;
	if (in->getattr_flags & FBX_K_GETATTR_FH) {
		fi_with_fh(&fi, in->fh, 0);
		fip = &fi;
	}
	if (!OPS(req)->getattr)
		fbx_reply_err(req, -ENOSYS);
	else
		OPS(req)->getattr(req, m->nodeid, fip);
}

static void h_statx(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_statx_in *in = m->arg;
	struct fbx_file_info fi, *fip = NULL;
	if (in->getattr_flags & FBX_K_GETATTR_FH) {
		fi_with_fh(&fi, in->fh, 0);
		fip = &fi;
	}
	if (OPS(req)->statx)
		OPS(req)->statx(req, m->nodeid, (int)in->sx_flags, in->sx_mask, fip);
	else if (OPS(req)->getattr)   /* fbx_reply_attr answers in statx form */
		OPS(req)->getattr(req, m->nodeid, fip);
	else
		fbx_reply_err(req, -ENOSYS);
}

static void h_setattr(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_setattr_in *in = m->arg;
	struct stat st;
	struct fbx_file_info fi, *fip = NULL;
	unsigned to_set = fbx_setattr_decode(&st, in);
	if (in->valid & FBX_K_FATTR_FH) {
		fi_with_fh(&fi, in->fh, 0);
		if (in->valid & FBX_K_FATTR_LOCKOWNER)
			fi.lock_owner = in->lock_owner;
		fip = &fi;
	}
	if (!OPS(req)->setattr)
		fbx_reply_err(req, -ENOSYS);
	else
		OPS(req)->setattr(req, m->nodeid, &st, to_set, fip);
}

static void h_readlink(struct fbx_req *req, const struct fbx_msg *m)
{
	if (!OPS(req)->readlink)
		fbx_reply_err(req, -ENOSYS);
	else
		OPS(req)->readlink(req, m->nodeid);
}

static void h_symlink(struct fbx_req *req, const struct fbx_msg *m)
{
	/* The kernel sends the new entry's name first, then the target. */
	if (!OPS(req)->symlink)
		fbx_reply_err(req, -ENOSYS);
	else
		OPS(req)->symlink(req, m->name2, m->nodeid, m->name);
}

static void h_mknod(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_mknod_in *in = m->arg;
	req->ctx.umask = in->umask;
	if (!OPS(req)->mknod)
		fbx_reply_err(req, -ENOSYS);
	else
		OPS(req)->mknod(req, m->nodeid, m->name, in->mode,
		                /* new_encode_dev() of the kernel: see codec.c */
		                makedev((in->rdev & 0xfff00) >> 8,
		                        (in->rdev & 0xff) | ((in->rdev >> 12) & 0xfff00)));
}

static void h_mkdir(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_mkdir_in *in = m->arg;
	req->ctx.umask = in->umask;
	if (!OPS(req)->mkdir)
		fbx_reply_err(req, -ENOSYS);
	else
		OPS(req)->mkdir(req, m->nodeid, m->name, in->mode | S_IFDIR);
}

static void h_unlink(struct fbx_req *req, const struct fbx_msg *m)
{
	void (*op)(struct fbx_req *, uint64_t, const char *) =
		m->opcode == FBX_K_UNLINK ? OPS(req)->unlink : OPS(req)->rmdir;
	if (!op)
		fbx_reply_err(req, -ENOSYS);
	else
		op(req, m->nodeid, m->name);
}

static void h_rename(struct fbx_req *req, const struct fbx_msg *m)
{
	uint64_t newdir;
	unsigned flags = 0;
	if (m->opcode == FBX_K_RENAME2) {
		const struct fbx_k_rename2_in *in = m->arg;
		newdir = in->newdir;
		flags = in->flags;
	} else {
		newdir = ((const struct fbx_k_rename_in *)m->arg)->newdir;
	}
	if (!OPS(req)->rename)
		fbx_reply_err(req, -ENOSYS);
	else
		OPS(req)->rename(req, m->nodeid, m->name, newdir, m->name2, flags);
}

static void h_link(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_link_in *in = m->arg;
	if (!OPS(req)->link)
		fbx_reply_err(req, -ENOSYS);
	else
		OPS(req)->link(req, in->oldnodeid, m->nodeid, m->name);
}

static void h_open(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_open_in *in = m->arg;
	struct fbx_file_info fi;
	fi_from_open(&fi, in->flags, in->open_flags, &req->se->opts);
	void (*op)(struct fbx_req *, uint64_t, struct fbx_file_info *) =
		m->opcode == FBX_K_OPEN ? OPS(req)->open : OPS(req)->opendir;
	if (m->opcode == FBX_K_OPENDIR)
		fi.direct_io = fi.keep_cache = 0;
	if (op)
		op(req, m->nodeid, &fi);
	else
		fbx_reply_open(req, &fi);
}

static void h_read(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_read_in *in = m->arg;
	struct fbx_file_info fi;
	fi_with_fh(&fi, in->fh, in->flags);
	if (in->read_flags & FBX_K_READ_LOCKOWNER)
		fi.lock_owner = in->lock_owner;
	void (*op)(struct fbx_req *, uint64_t, size_t, off_t, struct fbx_file_info *) =
		m->opcode == FBX_K_READ ? OPS(req)->read :
		m->opcode == FBX_K_READDIR ? OPS(req)->readdir : OPS(req)->readdirplus;
	if (in->offset > INT64_MAX)
		fbx_reply_err(req, -EINVAL);
	else if (!op)
		fbx_reply_err(req, -ENOSYS);
	else
		op(req, m->nodeid, in->size, (off_t)in->offset, &fi);
}

static void h_write(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_write_in *in = m->arg;
	struct fbx_file_info fi;
	fi_with_fh(&fi, in->fh, in->flags);
	if (in->write_flags & FBX_K_WRITE_LOCKOWNER)
		fi.lock_owner = in->lock_owner;
	fi.writepage = (in->write_flags & FBX_K_WRITE_CACHE) ? 1 : 0;
	fi.kill_priv = (in->write_flags & FBX_K_WRITE_KILL_SUIDGID) ? 1 : 0;
	if (in->offset > INT64_MAX)
		fbx_reply_err(req, -EINVAL);
	else if (!OPS(req)->write)
		fbx_reply_err(req, -ENOSYS);
	else
		OPS(req)->write(req, m->nodeid, m->data, m->datalen, (off_t)in->offset, &fi);
}

static void h_statfs(struct fbx_req *req, const struct fbx_msg *m)
{
	if (OPS(req)->statfs) {
		OPS(req)->statfs(req, m->nodeid);
		return;
	}
	struct statvfs st;
	memset(&st, 0, sizeof st);
	st.f_namemax = 255;
	st.f_bsize = 512;
	fbx_reply_statfs(req, &st);
}

static void h_release(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_release_in *in = m->arg;
	struct fbx_file_info fi;
	fi_with_fh(&fi, in->fh, in->flags);
	fi.lock_owner = in->lock_owner;
	fi.flush = (in->release_flags & FBX_K_RELEASE_FLUSH) ? 1 : 0;
	fi.flock_release = (in->release_flags & FBX_K_RELEASE_FLOCK_UNLOCK) ? 1 : 0;
	void (*op)(struct fbx_req *, uint64_t, struct fbx_file_info *) =
		m->opcode == FBX_K_RELEASE ? OPS(req)->release : OPS(req)->releasedir;
	if (op)
		op(req, m->nodeid, &fi);
	else
		fbx_reply_err(req, 0);
}

static void h_flush(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_flush_in *in = m->arg;
	struct fbx_file_info fi;
	fi_with_fh(&fi, in->fh, 0);
	fi.lock_owner = in->lock_owner;
	/* Without a flush op, ENOSYS: the kernel then stops sending FLUSH
	 * on every close(2) (and close still succeeds). */
	if (OPS(req)->flush)
		OPS(req)->flush(req, m->nodeid, &fi);
	else
		fbx_reply_err(req, -ENOSYS);
}

static void h_fsync(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_fsync_in *in = m->arg;
	struct fbx_file_info fi;
	fi_with_fh(&fi, in->fh, 0);
	int datasync = (in->fsync_flags & FBX_K_FSYNC_FDATASYNC) ? 1 : 0;
	void (*op)(struct fbx_req *, uint64_t, int, struct fbx_file_info *) =
		m->opcode == FBX_K_FSYNC ? OPS(req)->fsync : OPS(req)->fsyncdir;
	if (op)
		op(req, m->nodeid, datasync, &fi);
	else
		fbx_reply_err(req, -ENOSYS);
}

static void h_xattr(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_ll_ops *ops = OPS(req);
	switch (m->opcode) {
	case FBX_K_SETXATTR: {
		const struct fbx_k_setxattr_in *in = m->arg;
		if (!ops->setxattr)
			break;
		ops->setxattr(req, m->nodeid, m->name, m->data, m->datalen, (int)in->flags);
		return;
	}
	case FBX_K_GETXATTR:
		if (!ops->getxattr)
			break;
		ops->getxattr(req, m->nodeid, m->name,
		              ((const struct fbx_k_getxattr_in *)m->arg)->size);
		return;
	case FBX_K_LISTXATTR:
		if (!ops->listxattr)
			break;
		ops->listxattr(req, m->nodeid, ((const struct fbx_k_getxattr_in *)m->arg)->size);
		return;
	case FBX_K_REMOVEXATTR:
		if (!ops->removexattr)
			break;
		ops->removexattr(req, m->nodeid, m->name);
		return;
	}
	fbx_reply_err(req, -ENOSYS);
}

/* flock(2) reaches us as a lock request with FUSE_LK_FLOCK. */
static void h_flock(struct fbx_req *req, const struct fbx_msg *m, struct fbx_file_info *fi)
{
	const struct fbx_k_lk_in *in = m->arg;
	int op = in->lk.type == F_RDLCK ? LOCK_SH : in->lk.type == F_WRLCK ? LOCK_EX : LOCK_UN;
	if (m->opcode == FBX_K_SETLK)
		op |= LOCK_NB;
	if (!OPS(req)->flock)
		fbx_reply_err(req, -ENOSYS);
	else
		OPS(req)->flock(req, m->nodeid, fi, op);
}

static void h_lock(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_lk_in *in = m->arg;
	struct fbx_file_info fi;
	struct flock lk;
	fi_with_fh(&fi, in->fh, 0);
	fi.lock_owner = in->owner;
	if (in->lk_flags & FBX_K_LK_FLOCK) {
		h_flock(req, m, &fi);
		return;
	}
	int err = fbx_lock_decode(&lk, &in->lk);
	if (err)
		fbx_reply_err(req, err);
	else if (m->opcode == FBX_K_GETLK && OPS(req)->getlk)
		OPS(req)->getlk(req, m->nodeid, &fi, &lk);
	else if (m->opcode != FBX_K_GETLK && OPS(req)->setlk)
		OPS(req)->setlk(req, m->nodeid, &fi, &lk, m->opcode == FBX_K_SETLKW);
	else
		fbx_reply_err(req, -ENOSYS);
}

static void h_access(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_access_in *in = m->arg;
	if (!OPS(req)->access)
		fbx_reply_err(req, -ENOSYS);
	else
		OPS(req)->access(req, m->nodeid, (int)in->mask);
}

static void h_create(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_create_in *in = m->arg;
	struct fbx_file_info fi;
	fi_from_open(&fi, in->flags, in->open_flags, &req->se->opts);
	req->ctx.umask = in->umask;
	if (m->opcode == FBX_K_TMPFILE) {
		if (!OPS(req)->tmpfile)
			fbx_reply_err(req, -EOPNOTSUPP);
		else
			OPS(req)->tmpfile(req, m->nodeid, in->mode, &fi);
	} else if (!OPS(req)->create) {
		fbx_reply_err(req, -ENOSYS);
	} else {
		OPS(req)->create(req, m->nodeid, m->name, in->mode, &fi);
	}
}

static void h_bmap(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_bmap_in *in = m->arg;
	if (!OPS(req)->bmap)
		fbx_reply_err(req, -ENOSYS);
	else
		OPS(req)->bmap(req, m->nodeid, in->blocksize, in->block);
}

static void h_fallocate(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_fallocate_in *in = m->arg;
	struct fbx_file_info fi;
	fi_with_fh(&fi, in->fh, 0);
	if (in->offset > INT64_MAX || in->length > INT64_MAX)
		fbx_reply_err(req, -EINVAL);
	else if (!OPS(req)->fallocate)
		fbx_reply_err(req, -ENOSYS);
	else
		OPS(req)->fallocate(req, m->nodeid, (int)in->mode, (off_t)in->offset,
		                    (off_t)in->length, &fi);
}

static void h_lseek(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_lseek_in *in = m->arg;
	struct fbx_file_info fi;
	fi_with_fh(&fi, in->fh, 0);
	/* A negative offset can never find data or a hole: ENXIO, as the
	 * native filesystems answer. */
	if (in->offset > INT64_MAX)
		fbx_reply_err(req, -ENXIO);
	else if (!OPS(req)->lseek)
		fbx_reply_err(req, -ENOSYS);
	else
		OPS(req)->lseek(req, m->nodeid, (off_t)in->offset, (int)in->whence, &fi);
}

static void h_copy_file_range(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_copy_file_range_in *in = m->arg;
	struct fbx_file_info fin, fout;
	fi_with_fh(&fin, in->fh_in, 0);
	fi_with_fh(&fout, in->fh_out, 0);
	size_t len = (size_t)in->len;
	/* The old opcode answers in 32 bits. */
	if (m->opcode == FBX_K_COPY_FILE_RANGE && len > UINT32_MAX)
		len = UINT32_MAX & ~(size_t)4095;
	if (in->off_in > INT64_MAX || in->off_out > INT64_MAX)
		fbx_reply_err(req, -EINVAL);
	else if (!OPS(req)->copy_file_range)
		fbx_reply_err(req, -ENOSYS);
	else
		OPS(req)->copy_file_range(req, m->nodeid, (off_t)in->off_in, &fin,
		                          in->nodeid_out, (off_t)in->off_out, &fout, len,
		                          (int)in->flags);
}

static void h_syncfs(struct fbx_req *req, const struct fbx_msg *m)
{
	if (OPS(req)->syncfs)
		OPS(req)->syncfs(req, m->nodeid);
	else
		fbx_reply_err(req, 0);
}

static void h_ioctl(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_ioctl_in *in = m->arg;
	struct fbx_file_info fi;
	fi_with_fh(&fi, in->fh, 0);
	req->ioctl_flags = in->flags;
	req->ioctl_out = in->out_size;
	/* The kernel sends directory ioctls whatever INIT said; the
	 * capability is the filesystem's way to say it takes them. */
	if ((in->flags & FBX_K_IOCTL_DIR) && !(req->se->conn.want & FBX_CAP_IOCTL_DIR))
		fbx_reply_err(req, -ENOTTY);
	else if (!OPS(req)->ioctl)
		fbx_reply_err(req, -ENOSYS);
	else
		OPS(req)->ioctl(req, m->nodeid, in->cmd, in->arg, &fi, in->flags,
		                in->in_size ? m->data : NULL, in->in_size, in->out_size);
}

static void h_poll(struct fbx_req *req, const struct fbx_msg *m)
{
	const struct fbx_k_poll_in *in = m->arg;
	struct fbx_file_info fi;
	struct fbx_pollhandle *ph = NULL;
	fi_with_fh(&fi, in->fh, 0);
	if (!OPS(req)->poll) {
		fbx_reply_err(req, -ENOSYS);
		return;
	}
	if ((in->flags & FBX_K_POLL_SCHEDULE_NOTIFY) &&
	    !(ph = fbx_pollhandle_new(req->se, in->kh))) {
		fbx_reply_err(req, -ENOMEM);
		return;
	}
	OPS(req)->poll(req, m->nodeid, &fi, in->events, ph);
}

static void h_destroy(struct fbx_req *req, const struct fbx_msg *m)
{
	struct fbx_session *se = req->se;
	if (!atomic_exchange(&se->got_destroy, 1) && se->ops.destroy)
		se->ops.destroy(se->userdata);
	fbx_reply_err(req, 0);
}

typedef void (*handler_fn)(struct fbx_req *, const struct fbx_msg *);

static const handler_fn handlers[FBX_K_OPCODE_MAX] = {
	[FBX_K_LOOKUP] = h_lookup, [FBX_K_GETATTR] = h_getattr,
	[FBX_K_SETATTR] = h_setattr, [FBX_K_READLINK] = h_readlink,
	[FBX_K_SYMLINK] = h_symlink, [FBX_K_MKNOD] = h_mknod, [FBX_K_MKDIR] = h_mkdir,
	[FBX_K_UNLINK] = h_unlink, [FBX_K_RMDIR] = h_unlink, [FBX_K_RENAME] = h_rename,
	[FBX_K_RENAME2] = h_rename, [FBX_K_LINK] = h_link, [FBX_K_OPEN] = h_open,
	[FBX_K_OPENDIR] = h_open, [FBX_K_READ] = h_read, [FBX_K_READDIR] = h_read,
	[FBX_K_READDIRPLUS] = h_read, [FBX_K_WRITE] = h_write, [FBX_K_STATFS] = h_statfs,
	[FBX_K_RELEASE] = h_release, [FBX_K_RELEASEDIR] = h_release,
	[FBX_K_FSYNC] = h_fsync, [FBX_K_FSYNCDIR] = h_fsync, [FBX_K_FLUSH] = h_flush,
	[FBX_K_SETXATTR] = h_xattr, [FBX_K_GETXATTR] = h_xattr,
	[FBX_K_LISTXATTR] = h_xattr, [FBX_K_REMOVEXATTR] = h_xattr,
	[FBX_K_GETLK] = h_lock, [FBX_K_SETLK] = h_lock, [FBX_K_SETLKW] = h_lock,
	[FBX_K_ACCESS] = h_access, [FBX_K_CREATE] = h_create, [FBX_K_TMPFILE] = h_create,
	[FBX_K_BMAP] = h_bmap, [FBX_K_DESTROY] = h_destroy, [FBX_K_IOCTL] = h_ioctl,
	[FBX_K_POLL] = h_poll, [FBX_K_FALLOCATE] = h_fallocate, [FBX_K_LSEEK] = h_lseek,
	[FBX_K_COPY_FILE_RANGE] = h_copy_file_range,
	[FBX_K_COPY_FILE_RANGE_64] = h_copy_file_range, [FBX_K_SYNCFS] = h_syncfs,
	[FBX_K_STATX] = h_statx,
};

/* forget_multi takes parallel arrays; small batches live on the stack. */
static void forget_batch(struct fbx_worker *w, const struct fbx_msg *m, uint32_t count,
                         const struct fbx_k_forget_one *one)
{
	uint64_t stack[2 * 64];
	uint64_t *ids = count <= 64 ? stack : malloc(sizeof(uint64_t) * 2 * count);
	struct fbx_req *req = fbx_req_new(w, m);
	if (!ids || !req) {
		/* Forgets are advisory: dropping them leaks nodes, no more. */
		if (ids != stack)
			free(ids);
		if (req)
			fbx_reply_none(req);
		return;
	}
	for (uint32_t i = 0; i < count; i++) {
		ids[i] = one[i].nodeid;
		ids[count + i] = one[i].nlookup;
	}
	w->se->ops.forget_multi(req, count, ids, ids + count);
	if (ids != stack)
		free(ids);
}

/* FORGET and BATCH_FORGET have no reply; without either forget op there
 * is nothing to do, and no request object is made for them. A batch goes
 * to forget_multi when there is one (as libfuse does), a single forget
 * to forget unless only forget_multi is there. */
static void forget(struct fbx_worker *w, const struct fbx_msg *m)
{
	const struct fbx_ll_ops *ops = &w->se->ops;
	if (m->opcode == FBX_K_FORGET) {
		struct fbx_k_forget_one one = {
			m->nodeid, ((const struct fbx_k_forget_in *)m->arg)->nlookup
		};
		if (ops->forget) {
			struct fbx_req *req = fbx_req_new(w, m);
			if (req)
				ops->forget(req, one.nodeid, one.nlookup);
		} else if (ops->forget_multi) {
			forget_batch(w, m, 1, &one);
		}
		return;
	}
	const struct fbx_k_batch_forget_in *b = m->arg;
	const struct fbx_k_forget_one *one = m->data;
	/* One call for the batch when the filesystem takes one: a batch
	 * after a cache drop holds thousands of nodes, and a request object
	 * per node cost the READDIRPLUS running beside it (bench readdir). */
	if (ops->forget_multi) {
		if (b->count)
			forget_batch(w, m, b->count, one);
		return;
	}
	for (uint32_t i = 0; ops->forget && i < b->count; i++) {
		struct fbx_req *req = fbx_req_new(w, m);
		if (req)
			ops->forget(req, one[i].nodeid, one[i].nlookup);
	}
}

/* NOTIFY_REPLY answers our fbx_notify_retrieve; like FORGET it gets no
 * reply, and the request object only carries the op's handle. */
static void retrieved(struct fbx_worker *w, const struct fbx_msg *m)
{
	void *cookie;
	if (!fbx_retrieve_take(w->se, m->unique, &cookie) || !w->se->ops.retrieve_reply)
		return;
	const struct fbx_k_notify_retrieve_in *in = m->arg;
	size_t size = m->datalen < in->size ? m->datalen : in->size;
	struct fbx_req *req = fbx_req_new(w, m);
	if (req)
		w->se->ops.retrieve_reply(req, cookie, m->nodeid, (off_t)in->offset, m->data, size);
}

void fbx_dispatch(struct fbx_worker *w, const struct fbx_msg *m)
{
	if (m->opcode == FBX_K_FORGET || m->opcode == FBX_K_BATCH_FORGET) {
		forget(w, m);
		return;
	}
	if (m->opcode == FBX_K_NOTIFY_REPLY) {
		retrieved(w, m);
		return;
	}
	if (m->opcode == FBX_K_INTERRUPT) {
		fbx_interrupt(w->se, m->unique, w,
		              ((const struct fbx_k_interrupt_in *)m->arg)->unique);
		return;
	}
	struct fbx_req *req = fbx_req_new(w, m);
	if (!req) {
		struct fbx_k_out_header h = { sizeof h, -ENOMEM, m->unique };
		struct iovec iov = { &h, sizeof h };
		fbx_chan_send(w->ch, &iov, 1);
		return;
	}
	fbx_dispatch_req(req, m);
}

/* allow_root: mounted with allow_other, so the kernel lets everyone in;
 * we refuse all but the owner and root. Requests that only let go of
 * something already granted pass. */
static int refused_by_allow_root(const struct fbx_session *se, const struct fbx_msg *m)
{
	if (!se->opts.allow_root || m->uid == 0 || m->uid == se->owner || m->pid == 0)
		return 0;
	switch (m->opcode) {
	case FBX_K_FORGET: case FBX_K_BATCH_FORGET: case FBX_K_INTERRUPT:
	case FBX_K_RELEASE: case FBX_K_RELEASEDIR: case FBX_K_DESTROY:
	case FBX_K_INIT: case FBX_K_NOTIFY_REPLY: case FBX_K_FLUSH:
		return 0;
	default:
		return 1;
	}
}

void fbx_dispatch_req(struct fbx_req *req, const struct fbx_msg *m)
{
	if (refused_by_allow_root(req->se, m)) {
		fbx_reply_err(req, -EACCES);
		return;
	}
	handler_fn h = m->opcode < FBX_K_OPCODE_MAX ? handlers[m->opcode] : NULL;
	if (h)
		h(req, m);
	else
		fbx_reply_err(req, -ENOSYS);
}

uint64_t fbx_ops_caps(const struct fbx_ll_ops *ops)
{
	uint64_t caps = 0;
	if (ops->getlk || ops->setlk)
		caps |= FBX_CAP_POSIX_LOCKS;
	if (ops->flock)
		caps |= FBX_CAP_FLOCK_LOCKS;
	if (ops->readdirplus)
		caps |= FBX_CAP_READDIRPLUS;
	return caps;
}
