/*
 * lib/fuse/codec.c -- request validation and reply encoding; no I/O.
 */
#include "fuse/codec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/uio.h>

/* What follows the header of each opcode. */
struct layout {
	const char *name;
	uint16_t    arg;    /* size of the fixed argument */
	uint8_t     names;  /* NUL-terminated strings after it */
	uint8_t     data;   /* 1: trailing bytes allowed */
};

#define L(op, nm, a, n, d) [op] = { nm, a, n, d }
static const struct layout layouts[FBX_K_OPCODE_MAX] = {
	L(FBX_K_LOOKUP, "LOOKUP", 0, 1, 0),
	L(FBX_K_FORGET, "FORGET", sizeof(struct fbx_k_forget_in), 0, 0),
	L(FBX_K_GETATTR, "GETATTR", sizeof(struct fbx_k_getattr_in), 0, 0),
	L(FBX_K_SETATTR, "SETATTR", sizeof(struct fbx_k_setattr_in), 0, 0),
	L(FBX_K_READLINK, "READLINK", 0, 0, 0),
	L(FBX_K_SYMLINK, "SYMLINK", 0, 2, 0),
	L(FBX_K_MKNOD, "MKNOD", sizeof(struct fbx_k_mknod_in), 1, 0),
	L(FBX_K_MKDIR, "MKDIR", sizeof(struct fbx_k_mkdir_in), 1, 0),
	L(FBX_K_UNLINK, "UNLINK", 0, 1, 0),
	L(FBX_K_RMDIR, "RMDIR", 0, 1, 0),
	L(FBX_K_RENAME, "RENAME", sizeof(struct fbx_k_rename_in), 2, 0),
	L(FBX_K_LINK, "LINK", sizeof(struct fbx_k_link_in), 1, 0),
	L(FBX_K_OPEN, "OPEN", sizeof(struct fbx_k_open_in), 0, 0),
	L(FBX_K_READ, "READ", sizeof(struct fbx_k_read_in), 0, 0),
	L(FBX_K_WRITE, "WRITE", sizeof(struct fbx_k_write_in), 0, 1),
	L(FBX_K_STATFS, "STATFS", 0, 0, 0),
	L(FBX_K_RELEASE, "RELEASE", sizeof(struct fbx_k_release_in), 0, 0),
	L(FBX_K_FSYNC, "FSYNC", sizeof(struct fbx_k_fsync_in), 0, 0),
	L(FBX_K_SETXATTR, "SETXATTR", FBX_K_COMPAT_SETXATTR_IN_SIZE, 1, 1),
	L(FBX_K_GETXATTR, "GETXATTR", sizeof(struct fbx_k_getxattr_in), 1, 0),
	L(FBX_K_LISTXATTR, "LISTXATTR", sizeof(struct fbx_k_getxattr_in), 0, 0),
	L(FBX_K_REMOVEXATTR, "REMOVEXATTR", 0, 1, 0),
	L(FBX_K_FLUSH, "FLUSH", sizeof(struct fbx_k_flush_in), 0, 0),
	L(FBX_K_INIT, "INIT", FBX_K_COMPAT_INIT_IN_SIZE, 0, 1),
	L(FBX_K_OPENDIR, "OPENDIR", sizeof(struct fbx_k_open_in), 0, 0),
	L(FBX_K_READDIR, "READDIR", sizeof(struct fbx_k_read_in), 0, 0),
	L(FBX_K_RELEASEDIR, "RELEASEDIR", sizeof(struct fbx_k_release_in), 0, 0),
	L(FBX_K_FSYNCDIR, "FSYNCDIR", sizeof(struct fbx_k_fsync_in), 0, 0),
	L(FBX_K_GETLK, "GETLK", sizeof(struct fbx_k_lk_in), 0, 0),
	L(FBX_K_SETLK, "SETLK", sizeof(struct fbx_k_lk_in), 0, 0),
	L(FBX_K_SETLKW, "SETLKW", sizeof(struct fbx_k_lk_in), 0, 0),
	L(FBX_K_ACCESS, "ACCESS", sizeof(struct fbx_k_access_in), 0, 0),
	L(FBX_K_CREATE, "CREATE", sizeof(struct fbx_k_create_in), 1, 0),
	L(FBX_K_INTERRUPT, "INTERRUPT", sizeof(struct fbx_k_interrupt_in), 0, 0),
	L(FBX_K_BMAP, "BMAP", sizeof(struct fbx_k_bmap_in), 0, 0),
	L(FBX_K_DESTROY, "DESTROY", 0, 0, 0),
	L(FBX_K_IOCTL, "IOCTL", sizeof(struct fbx_k_ioctl_in), 0, 1),
	L(FBX_K_POLL, "POLL", sizeof(struct fbx_k_poll_in), 0, 0),
	L(FBX_K_NOTIFY_REPLY, "NOTIFY_REPLY", sizeof(struct fbx_k_write_in), 0, 1),
	L(FBX_K_BATCH_FORGET, "BATCH_FORGET", sizeof(struct fbx_k_batch_forget_in), 0, 1),
	L(FBX_K_FALLOCATE, "FALLOCATE", sizeof(struct fbx_k_fallocate_in), 0, 0),
	L(FBX_K_READDIRPLUS, "READDIRPLUS", sizeof(struct fbx_k_read_in), 0, 0),
	L(FBX_K_RENAME2, "RENAME2", sizeof(struct fbx_k_rename2_in), 2, 0),
	L(FBX_K_LSEEK, "LSEEK", sizeof(struct fbx_k_lseek_in), 0, 0),
	L(FBX_K_COPY_FILE_RANGE, "COPY_FILE_RANGE", sizeof(struct fbx_k_copy_file_range_in), 0, 0),
	L(FBX_K_SYNCFS, "SYNCFS", sizeof(struct fbx_k_syncfs_in), 0, 0),
	L(FBX_K_TMPFILE, "TMPFILE", sizeof(struct fbx_k_create_in), 1, 0),
	L(FBX_K_STATX, "STATX", sizeof(struct fbx_k_statx_in), 0, 0),
	L(FBX_K_COPY_FILE_RANGE_64, "COPY_FILE_RANGE_64", sizeof(struct fbx_k_copy_file_range_in), 0, 0),
};
#undef L

const char *fbx_opcode_name(uint32_t opcode)
{
	if (opcode < FBX_K_OPCODE_MAX && layouts[opcode].name)
		return layouts[opcode].name;
	if (opcode == FBX_K_CUSE_INIT)
		return "CUSE_INIT";
	return "UNKNOWN";
}

/* Take one NUL-terminated string from [*p, end); NULL if unterminated. */
static const char *take_name(const char **p, const char *end)
{
	const char *s = *p;
	const char *nul = memchr(s, '\0', (size_t)(end - s));
	if (!nul)
		return NULL;
	*p = nul + 1;
	return s;
}

/* Trailing data must agree with the size the fixed argument announces. */
static int check_data(struct fbx_msg *m)
{
	switch (m->opcode) {
	case FBX_K_WRITE: {
		const struct fbx_k_write_in *w = m->arg;
		return w->size == m->datalen ? 0 : -EINVAL;
	}
	case FBX_K_SETXATTR: {
		const struct fbx_k_setxattr_in *x = m->arg;
		return x->size == m->datalen ? 0 : -EINVAL;
	}
	case FBX_K_IOCTL: {
		/* The caller's input, exactly: a retried unrestricted ioctl
		 * sends the bytes of all its input iovecs. */
		const struct fbx_k_ioctl_in *io = m->arg;
		return io->in_size == m->datalen ? 0 : -EINVAL;
	}
	case FBX_K_BATCH_FORGET: {
		const struct fbx_k_batch_forget_in *b = m->arg;
		return (uint64_t)b->count * sizeof(struct fbx_k_forget_one) <= m->datalen
		       ? 0 : -EINVAL;
	}
	default:
		return 0;
	}
}

int fbx_msg_decode(struct fbx_msg *m, const void *buf, size_t len,
                   const struct fbx_proto *p)
{
	const struct fbx_k_in_header *h = buf;
	memset(m, 0, sizeof *m);
	if (len < sizeof *h || h->len != len)
		return -EPROTO;
	m->opcode = h->opcode;
	m->unique = h->unique;
	m->nodeid = h->nodeid;
	m->uid = h->uid;
	m->gid = h->gid;
	m->pid = h->pid;

	size_t ext = (size_t)h->total_extlen * 8;
	if (ext > len - sizeof *h)
		return -EINVAL;
	if (m->opcode == FBX_K_CUSE_INIT) {
		/* Outside the table (4096); take what is there, as for INIT. */
		if (len - ext - sizeof *h < sizeof(struct fbx_k_cuse_init_in))
			return -EINVAL;
		m->arg = (const char *)buf + sizeof *h;
		m->arglen = len - ext - sizeof *h;
		return 0;
	}
	if (m->opcode >= FBX_K_OPCODE_MAX || !layouts[m->opcode].name)
		return -ENOSYS;

	const struct layout *l = &layouts[m->opcode];
	const char *pos = (const char *)buf + sizeof *h;
	const char *end = (const char *)buf + len - ext;
	size_t arg = l->arg;
	if (m->opcode == FBX_K_SETXATTR && p->setxattr_ext)
		arg = sizeof(struct fbx_k_setxattr_in);
	if ((size_t)(end - pos) < arg)
		return -EINVAL;
	if (arg) {
		m->arg = pos;
		m->arglen = arg;
		pos += arg;
	}
	if (l->names >= 1 && !(m->name = take_name(&pos, end)))
		return -EINVAL;
	if (l->names >= 2 && !(m->name2 = take_name(&pos, end)))
		return -EINVAL;
	if (m->opcode == FBX_K_INIT) {
		/* INIT's argument grew over the versions: take what is there. */
		m->arglen = (size_t)(end - (const char *)m->arg);
		return 0;
	}
	if (pos < end) {
		if (!l->data)
			return -EINVAL;
		m->data = pos;
		m->datalen = (size_t)(end - pos);
	}
	return check_data(m);
}

/* ---- encoding ------------------------------------------------------ */

void fbx_attr_encode(struct fbx_k_attr *a, const struct stat *st)
{
	memset(a, 0, sizeof *a);
	a->ino = st->st_ino;
	a->size = (uint64_t)st->st_size;
	a->blocks = (uint64_t)st->st_blocks;
	a->atime = (uint64_t)st->st_atim.tv_sec;
	a->mtime = (uint64_t)st->st_mtim.tv_sec;
	a->ctime = (uint64_t)st->st_ctim.tv_sec;
	a->atimensec = (uint32_t)st->st_atim.tv_nsec;
	a->mtimensec = (uint32_t)st->st_mtim.tv_nsec;
	a->ctimensec = (uint32_t)st->st_ctim.tv_nsec;
	a->mode = st->st_mode;
	a->nlink = (uint32_t)st->st_nlink;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	/* The kernel reads rdev with new_decode_dev(): minor's low byte, 12
	 * bits of major, then minor's upper bits -- glibc's dev_t encoding cut
	 * to 32 bits (not the kernel-internal major << 20 | minor). */
	unsigned maj = major(st->st_rdev), min = minor(st->st_rdev);
	a->rdev = (uint32_t)((min & 0xff) | ((maj & 0xfff) << 8) | ((min & ~0xffu) << 12));
	a->blksize = (uint32_t)st->st_blksize;
}

void fbx_timeout_encode(double secs, uint64_t *sec, uint32_t *nsec)
{
	/* Negative or NaN means "do not cache"; huge values saturate. */
	if (!(secs > 0)) {
		*sec = 0;
		*nsec = 0;
		return;
	}
	if (secs >= 1e18) {
		*sec = (uint64_t)1e18;
		*nsec = 0;
		return;
	}
	*sec = (uint64_t)secs;
	double frac = (secs - (double)*sec) * 1e9;
	*nsec = frac >= 999999999.0 ? 999999999u : (uint32_t)frac;
}

void fbx_entry_encode(struct fbx_k_entry_out *o, const struct fbx_entry *e)
{
	memset(o, 0, sizeof *o);
	o->nodeid = e->ino;
	o->generation = e->generation;
	fbx_timeout_encode(e->entry_timeout, &o->entry_valid, &o->entry_valid_nsec);
	fbx_timeout_encode(e->attr_timeout, &o->attr_valid, &o->attr_valid_nsec);
	if (e->ino)
		fbx_attr_encode(&o->attr, &e->attr);
}

void fbx_statfs_encode(struct fbx_k_kstatfs *o, const struct statvfs *st)
{
	memset(o, 0, sizeof *o);
	o->blocks = st->f_blocks;
	o->bfree = st->f_bfree;
	o->bavail = st->f_bavail;
	o->files = st->f_files;
	o->ffree = st->f_ffree;
	o->bsize = (uint32_t)st->f_bsize;
	o->namelen = (uint32_t)st->f_namemax;
	o->frsize = (uint32_t)st->f_frsize;
}

void fbx_open_encode(struct fbx_k_open_out *o, const struct fbx_file_info *fi)
{
	memset(o, 0, sizeof *o);
	o->fh = fi->fh;
	if (fi->direct_io)
		o->open_flags |= FBX_K_FOPEN_DIRECT_IO;
	if (fi->keep_cache)
		o->open_flags |= FBX_K_FOPEN_KEEP_CACHE;
	if (fi->nonseekable)
		o->open_flags |= FBX_K_FOPEN_NONSEEKABLE;
	if (fi->cache_readdir)
		o->open_flags |= FBX_K_FOPEN_CACHE_DIR;
	if (fi->noflush)
		o->open_flags |= FBX_K_FOPEN_NOFLUSH;
	if (fi->parallel_direct_writes)
		o->open_flags |= FBX_K_FOPEN_PARALLEL_DIRECT_WRITES;
	if (fi->backing_id > 0) {
		o->open_flags |= FBX_K_FOPEN_PASSTHROUGH;
		o->backing_id = fi->backing_id;
	}
}

void fbx_lock_encode(struct fbx_k_file_lock *o, const struct flock *lk)
{
	memset(o, 0, sizeof *o);
	o->type = (uint32_t)lk->l_type;
	if (lk->l_type != F_UNLCK) {
		o->start = (uint64_t)lk->l_start;
		o->end = lk->l_len == 0 ? INT64_MAX : (uint64_t)(lk->l_start + lk->l_len - 1);
	}
	o->pid = (uint32_t)lk->l_pid;
}

int fbx_lock_decode(struct flock *lk, const struct fbx_k_file_lock *in)
{
	memset(lk, 0, sizeof *lk);
	if (in->type != F_RDLCK && in->type != F_WRLCK && in->type != F_UNLCK)
		return -EINVAL;
	if (in->start > INT64_MAX || in->end < in->start)
		return -EINVAL;
	lk->l_type = (short)in->type;
	lk->l_whence = SEEK_SET;
	lk->l_start = (off_t)in->start;
	lk->l_len = in->end >= INT64_MAX ? 0 : (off_t)(in->end - in->start + 1);
	lk->l_pid = (pid_t)in->pid;
	return 0;
}

unsigned fbx_setattr_decode(struct stat *st, const struct fbx_k_setattr_in *in)
{
	memset(st, 0, sizeof *st);
	st->st_mode = in->mode;
	st->st_uid = in->uid;
	st->st_gid = in->gid;
	st->st_size = (off_t)in->size;
	st->st_atim.tv_sec = (time_t)in->atime;
	st->st_atim.tv_nsec = in->atimensec;
	st->st_mtim.tv_sec = (time_t)in->mtime;
	st->st_mtim.tv_nsec = in->mtimensec;
	st->st_ctim.tv_sec = (time_t)in->ctime;
	st->st_ctim.tv_nsec = in->ctimensec;
	unsigned keep = FBX_SET_MODE | FBX_SET_UID | FBX_SET_GID | FBX_SET_SIZE |
	                FBX_SET_ATIME | FBX_SET_MTIME | FBX_SET_ATIME_NOW |
	                FBX_SET_MTIME_NOW | FBX_SET_CTIME | FBX_SET_KILL_SUIDGID;
	return in->valid & keep;
}

void fbx_statx_from_stat(struct statx *stx, const struct stat *st)
{
	memset(stx, 0, sizeof *stx);
	stx->stx_mask = STATX_BASIC_STATS;
	stx->stx_blksize = (uint32_t)st->st_blksize;
	stx->stx_nlink = (uint32_t)st->st_nlink;
	stx->stx_uid = st->st_uid;
	stx->stx_gid = st->st_gid;
	stx->stx_mode = (uint16_t)st->st_mode;
	stx->stx_ino = st->st_ino;
	stx->stx_size = (uint64_t)st->st_size;
	stx->stx_blocks = (uint64_t)st->st_blocks;
	stx->stx_atime.tv_sec = st->st_atim.tv_sec;
	stx->stx_atime.tv_nsec = (uint32_t)st->st_atim.tv_nsec;
	stx->stx_mtime.tv_sec = st->st_mtim.tv_sec;
	stx->stx_mtime.tv_nsec = (uint32_t)st->st_mtim.tv_nsec;
	stx->stx_ctime.tv_sec = st->st_ctim.tv_sec;
	stx->stx_ctime.tv_nsec = (uint32_t)st->st_ctim.tv_nsec;
	stx->stx_rdev_major = major(st->st_rdev);
	stx->stx_rdev_minor = minor(st->st_rdev);
}

static void sx_time(struct fbx_k_sx_time *o, const struct statx_timestamp *t)
{
	o->tv_sec = t->tv_sec;
	o->tv_nsec = t->tv_nsec;
	o->reserved = 0;
}

void fbx_statx_encode(struct fbx_k_statx *o, const struct statx *s)
{
	memset(o, 0, sizeof *o);
	o->mask = s->stx_mask;
	o->blksize = s->stx_blksize;
	o->attributes = s->stx_attributes;
	o->nlink = s->stx_nlink;
	o->uid = s->stx_uid;
	o->gid = s->stx_gid;
	o->mode = s->stx_mode;
	o->ino = s->stx_ino;
	o->size = s->stx_size;
	o->blocks = s->stx_blocks;
	o->attributes_mask = s->stx_attributes_mask;
	sx_time(&o->atime, &s->stx_atime);
	sx_time(&o->btime, &s->stx_btime);
	sx_time(&o->ctime, &s->stx_ctime);
	sx_time(&o->mtime, &s->stx_mtime);
	o->rdev_major = s->stx_rdev_major;
	o->rdev_minor = s->stx_rdev_minor;
	o->dev_major = s->stx_dev_major;
	o->dev_minor = s->stx_dev_minor;
}

/* ---- ioctl --------------------------------------------------------- */

static int iov_put(struct fbx_k_ioctl_iovec *o, const struct iovec *v, size_t n,
                   int compat, uint64_t *total)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t base = (uint64_t)(uintptr_t)v[i].iov_base, len = v[i].iov_len;
		/* A 32-bit caller's addresses and sizes fit 32 bits; the
		 * kernel fails the ioctl with EIO on one that does not. */
		if (compat && (base > UINT32_MAX || len > UINT32_MAX))
			return -EINVAL;
		if (len > UINT64_MAX - *total)
			return -EINVAL;
		*total += len;
		o[i].base = base;
		o[i].len = len;
	}
	return 0;
}

int fbx_ioctl_retry_encode(struct fbx_k_ioctl_out *o, struct fbx_k_ioctl_iovec *vec,
                           uint32_t req_flags, const struct iovec *in, size_t nin,
                           const struct iovec *out, size_t nout)
{
	memset(o, 0, sizeof *o);
	if (!(req_flags & FBX_K_IOCTL_UNRESTRICTED))
		return -EPERM;
	if (nin > FBX_K_IOCTL_MAX_IOV || nout > FBX_K_IOCTL_MAX_IOV ||
	    nin + nout > FBX_K_IOCTL_MAX_IOV)
		return -E2BIG;
	int compat = (req_flags & FBX_K_IOCTL_COMPAT) != 0;
	uint64_t tin = 0, tout = 0;
	if (iov_put(vec, in, nin, compat, &tin) || iov_put(vec + nin, out, nout, compat, &tout))
		return -EINVAL;
	o->flags = FBX_K_IOCTL_RETRY;
	o->in_iovs = (uint32_t)nin;
	o->out_iovs = (uint32_t)nout;
	return (int)(nin + nout);
}

/* ---- CUSE ---------------------------------------------------------- */

static int info_put(char *info, size_t size, size_t *len, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la + lb + 1 > size - *len)
		return -ENAMETOOLONG;
	memcpy(info + *len, a, la);
	memcpy(info + *len + la, b, lb + 1);
	*len += la + lb + 1;
	return 0;
}

int fbx_cuse_info_encode(char *info, size_t size, const char *dev_name,
                         const char *const *dev_info)
{
	size_t len = 0;
	if (!dev_name || !*dev_name)
		return -EINVAL;
	if (size > FBX_K_CUSE_INIT_INFO_MAX)
		size = FBX_K_CUSE_INIT_INFO_MAX;
	int err = info_put(info, size, &len, "DEVNAME=", dev_name);
	for (size_t i = 0; !err && dev_info && dev_info[i]; i++) {
		/* The kernel reads KEY=VALUE; DEVNAME is the one above. */
		const char *eq = strchr(dev_info[i], '=');
		if (!eq || eq == dev_info[i] || strncmp(dev_info[i], "DEVNAME=", 8) == 0)
			return -EINVAL;
		err = info_put(info, size, &len, dev_info[i], "");
	}
	return err ? err : (int)len;
}

void fbx_cuse_init_encode(struct fbx_k_cuse_init_out *o, const struct fbx_conn *conn,
                          uint32_t flags, uint32_t dev_major, uint32_t dev_minor)
{
	memset(o, 0, sizeof *o);
	o->major = FBX_K_MAJOR;
	o->minor = conn->proto_minor;
	o->flags = flags & FBX_K_CUSE_UNRESTRICTED_IOCTL;
	o->max_read = conn->max_read ? conn->max_read : conn->max_write;
	o->max_write = conn->max_write;
	o->dev_major = dev_major;
	o->dev_minor = dev_minor;
}
