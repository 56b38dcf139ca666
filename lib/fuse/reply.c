/*
 * lib/fuse/reply.c -- requests and their replies.
 *
 * A request is registered in its worker's in-flight list while an op
 * works on it, so that INTERRUPT can find it; the reply unregisters it,
 * frees it, and sends header + payload to the channel the request came
 * in on (chan.h: one writev() on /dev/fuse).
 *
 * Layer boundary: every request gets exactly one reply (fbx_reply_* or
 * fbx_reply_none). A second one would answer whatever request reused the
 * freed struct (w->spare), or touch freed memory; `live` catches it with
 * an assert (on in every build we make: nothing defines NDEBUG).
 */
#include "fuse/session.h"
#include "common/io.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fbx_req *fbx_req_new(struct fbx_worker *w, const struct fbx_msg *m)
{
	struct fbx_req *req = atomic_exchange(&w->spare, NULL);
	if (!req && !(req = malloc(sizeof *req)))
		return NULL;
	req->se = w->se;
	req->w = w;
	req->ch = w->ch;
	req->unique = m->unique;
	req->opcode = m->opcode;
	req->ctx.uid = m->uid;
	req->ctx.gid = m->gid;
	req->ctx.pid = (pid_t)m->pid;
	req->ctx.umask = 0;
	req->live = 1;
	atomic_init(&req->interrupted, 0);
	atomic_init(&req->refs, 1);
	req->on_intr = NULL;
	req->on_intr_data = NULL;
	pthread_mutex_lock(&w->lock);
	req->next = w->inflight.next;
	req->prev = &w->inflight;
	w->inflight.next->prev = req;
	w->inflight.next = req;
	pthread_mutex_unlock(&w->lock);
	return req;
}

static void req_free(struct fbx_req *req)
{
	assert(req->live && "a FUSE request was replied to twice");
	req->live = 0;
	struct fbx_worker *w = req->w;
	pthread_mutex_lock(&w->lock);
	req->prev->next = req->next;
	req->next->prev = req->prev;
	pthread_mutex_unlock(&w->lock);
	if (atomic_fetch_sub(&req->refs, 1) != 1)
		return;   /* an interrupt callback still runs; it frees req */
	struct fbx_req *none = NULL;
	if (!atomic_compare_exchange_strong(&w->spare, &none, req))
		free(req);
}

/* INTERRUPT: mark the request if some worker still has it in flight.
 * If none does, it was read but not yet registered, or just answered:
 * EAGAIN makes the kernel send the interrupt again later, and it drops
 * it by itself once the request is answered. */
void fbx_interrupt(struct fbx_session *se, uint64_t unique, struct fbx_worker *self,
                   uint64_t req_unique)
{
	int found = 0;
	struct fbx_req *call = NULL;
	pthread_mutex_lock(&se->workers_lock);
	/* se->ext: the requests of fbx_session_process() callers */
	for (struct fbx_worker *w = se->ext ? se->ext : se->workers; w && !found;
	     w = w == se->ext ? se->workers : w->next) {
		pthread_mutex_lock(&w->lock);
		for (struct fbx_req *r = w->inflight.next; r != &w->inflight; r = r->next) {
			if (r->unique == req_unique) {
				/* once: a repeated INTERRUPT finds it marked */
				if (!atomic_exchange(&r->interrupted, 1) && r->on_intr) {
					atomic_fetch_add(&r->refs, 1);
					call = r;
				}
				found = 1;
				break;
			}
		}
		pthread_mutex_unlock(&w->lock);
	}
	pthread_mutex_unlock(&se->workers_lock);
	/* Outside the locks: the callback may reply to the request. */
	if (call) {
		call->on_intr(call, call->on_intr_data);
		if (atomic_fetch_sub(&call->refs, 1) == 1)
			free(call);
	}
	if (!found) {
		struct fbx_k_out_header h = { sizeof h, -EAGAIN, unique };
		struct iovec iov = { &h, sizeof h };
		fbx_chan_send(self->ch, &iov, 1);
	}
}

int fbx_reply_raw(struct fbx_req *req, int err, const struct iovec *iov, int count)
{
	assert(req->live && "a FUSE request was replied to twice");
	struct iovec v[8];
	struct fbx_k_out_header h;
	if (count > 7)
		count = 7;
	if (err > 0)
		err = -err;
	if (err < -4095 || err > 0)
		err = -EIO;
	h.error = err;
	h.unique = req->unique;
	h.len = sizeof h;
	v[0].iov_base = &h;
	v[0].iov_len = sizeof h;
	if (err == 0) {
		for (int i = 0; i < count; i++) {
			v[i + 1] = iov[i];
			h.len += (uint32_t)iov[i].iov_len;
		}
	} else {
		count = 0;
	}
	struct fbx_session *se = req->se;
	struct fbx_chan *ch = req->ch;
	/* libfuse's layout of this line ("error: -2 (No such file...)"):
	 * its test suite and users' log filters know it. */
	if (se->opts.debug && err)
		fprintf(stderr, "   unique: %llu, error: %d (%s), outsize: %u\n",
		        (unsigned long long)req->unique, err, strerror(-err), h.len);
	else if (se->opts.debug)
		fprintf(stderr, "   unique: %llu, success, outsize: %u\n",
		        (unsigned long long)req->unique, h.len);
	req_free(req);
	return fbx_chan_send(ch, v, count + 1);
}

static int reply_one(struct fbx_req *req, const void *p, size_t len)
{
	struct iovec iov = { (void *)p, len };
	return fbx_reply_raw(req, 0, &iov, 1);
}

int fbx_reply_err(struct fbx_req *req, int err)
{
	return fbx_reply_raw(req, err, NULL, 0);
}

void fbx_reply_none(struct fbx_req *req)
{
	req_free(req);
}

int fbx_reply_entry(struct fbx_req *req, const struct fbx_entry *e)
{
	struct fbx_k_entry_out o;
	if (!e->ino && !(e->entry_timeout > 0))
		return fbx_reply_err(req, -ENOENT);
	fbx_entry_encode(&o, e);
	return reply_one(req, &o, sizeof o);
}

int fbx_reply_create(struct fbx_req *req, const struct fbx_entry *e,
                     const struct fbx_file_info *fi)
{
	struct {
		struct fbx_k_entry_out e;
		struct fbx_k_open_out o;
	} out;
	fbx_entry_encode(&out.e, e);
	fbx_open_encode(&out.o, fi);
	return reply_one(req, &out, sizeof out);
}

int fbx_reply_attr(struct fbx_req *req, const struct stat *attr, double timeout)
{
	if (req->opcode == FBX_K_STATX) {
		/* A statx request answered by a getattr op (no statx op). */
		struct statx stx;
		fbx_statx_from_stat(&stx, attr);
		return fbx_reply_statx(req, &stx, timeout);
	}
	struct fbx_k_attr_out o;
	memset(&o, 0, sizeof o);
	fbx_timeout_encode(timeout, &o.attr_valid, &o.attr_valid_nsec);
	fbx_attr_encode(&o.attr, attr);
	return reply_one(req, &o, sizeof o);
}

int fbx_reply_statx(struct fbx_req *req, const struct statx *stx, double timeout)
{
	struct fbx_k_statx_out o;
	memset(&o, 0, sizeof o);
	fbx_timeout_encode(timeout, &o.attr_valid, &o.attr_valid_nsec);
	fbx_statx_encode(&o.stat, stx);
	return reply_one(req, &o, sizeof o);
}

int fbx_reply_readlink(struct fbx_req *req, const char *target)
{
	return reply_one(req, target, strlen(target));
}

int fbx_reply_open(struct fbx_req *req, const struct fbx_file_info *fi)
{
	struct fbx_k_open_out o;
	fbx_open_encode(&o, fi);
	return reply_one(req, &o, sizeof o);
}

int fbx_reply_write(struct fbx_req *req, size_t count)
{
	if (req->opcode == FBX_K_COPY_FILE_RANGE_64) {
		struct fbx_k_copy_file_range_out o = { count };
		return reply_one(req, &o, sizeof o);
	}
	struct fbx_k_write_out o = { (uint32_t)count, 0 };
	return reply_one(req, &o, sizeof o);
}

int fbx_reply_buf(struct fbx_req *req, const void *buf, size_t size)
{
	return reply_one(req, buf, size);
}

int fbx_reply_iov(struct fbx_req *req, const struct iovec *iov, int count)
{
	if (count <= 7)
		return fbx_reply_raw(req, 0, iov, count);
	/* Rare: gather into one buffer rather than fail. */
	size_t total = 0;
	for (int i = 0; i < count; i++)
		total += iov[i].iov_len;
	char *b = malloc(total ? total : 1);
	if (!b)
		return fbx_reply_err(req, -ENOMEM);
	size_t off = 0;
	for (int i = 0; i < count; i++) {
		memcpy(b + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	int r = reply_one(req, b, total);
	free(b);
	return r;
}

void *fbx_req_read_buf(struct fbx_req *req, size_t *room)
{
	/* Where the channel wants the data (an io_uring entry's payload
	 * buffer), else inside the op the worker's buffer past the request
	 * (as large as the largest request); an asynchronous reply from
	 * another thread must not touch that one. Only a READ: any other
	 * request's input (a WRITE's data, names) may lie there. */
	struct fbx_chan *ch = req->ch;
	char *buf = NULL;
	*room = 0;
	if (req->opcode != FBX_K_READ)
		return NULL;
	if (ch->ops->data_buf)
		buf = ch->ops->data_buf(ch, room);
	else if (req->w->mem && pthread_equal(pthread_self(), req->w->thread)) {
		/* the page after the READ (session.h, FBX_WRITE_AT): one page
		 * for the kernel to pin per 4 KiB */
		buf = req->w->mem + FBX_REPLY_ALIGN;
		*room = req->w->bufsize - FBX_REPLY_ALIGN;
	}
	return buf;
}

int fbx_reply_fd(struct fbx_req *req, int fd, off_t off, size_t size)
{
	size_t room;
	char *buf = fbx_req_read_buf(req, &room), *own = NULL;
	if (buf && size > room)
		size = room;
	if (!buf && !(buf = own = malloc(size ? size : 1)))
		return fbx_reply_err(req, -ENOMEM);
	size_t got;
	int err = fbx_pread_full(fd, buf, size, off, &got);
	if (err) {
		free(own);
		return fbx_reply_err(req, err);
	}
	int r = reply_one(req, buf, got);
	free(own);
	return r;
}

int fbx_reply_statfs(struct fbx_req *req, const struct statvfs *st)
{
	struct fbx_k_statfs_out o;
	fbx_statfs_encode(&o.st, st);
	return reply_one(req, &o, sizeof o);
}

int fbx_reply_xattr(struct fbx_req *req, size_t size)
{
	struct fbx_k_getxattr_out o = { (uint32_t)size, 0 };
	return reply_one(req, &o, sizeof o);
}

int fbx_reply_lock(struct fbx_req *req, const struct flock *lock)
{
	struct fbx_k_lk_out o;
	fbx_lock_encode(&o.lk, lock);
	return reply_one(req, &o, sizeof o);
}

int fbx_reply_bmap(struct fbx_req *req, uint64_t idx)
{
	struct fbx_k_bmap_out o = { idx };
	return reply_one(req, &o, sizeof o);
}

int fbx_reply_lseek(struct fbx_req *req, off_t off)
{
	struct fbx_k_lseek_out o = { (uint64_t)off };
	return reply_one(req, &o, sizeof o);
}

/* ---- directory entries -------------------------------------------- */

static size_t dirent_put(char *buf, size_t bufsize, size_t head, const char *name,
                         uint64_t ino, mode_t mode, off_t next_off)
{
	size_t namelen = strlen(name);
	size_t need = FBX_K_DIRENT_ALIGN(head + sizeof(struct fbx_k_dirent) + namelen);
	if (!buf || need > bufsize)
		return need;
	struct fbx_k_dirent *d = (struct fbx_k_dirent *)(buf + head);
	/* The padding (under 8 bytes) lies in the record's last 8 bytes:
	 * zero that word first and let the header and the name overwrite
	 * their parts of it. A memset call per entry cost a listing more
	 * than the rest of this function. */
	memset(buf + need - 8, 0, 8);
	d->ino = ino;
	d->off = (uint64_t)next_off;
	d->namelen = (uint32_t)namelen;
	d->type = (mode & S_IFMT) >> 12;
	memcpy(d->name, name, namelen);
	return need;
}

size_t fbx_dirent_add(char *buf, size_t bufsize, const char *name,
                      const struct stat *st, off_t next_off)
{
	uint64_t ino = st ? st->st_ino : 0;
	mode_t mode = st ? st->st_mode : 0;
	/* d_ino 0 would hide the entry from some programs. */
	return dirent_put(buf, bufsize, 0, name, ino ? ino : (uint64_t)-1, mode, next_off);
}

size_t fbx_direntplus_add(char *buf, size_t bufsize, const char *name,
                          const struct fbx_entry *e, off_t next_off)
{
	size_t head = sizeof(struct fbx_k_entry_out);
	size_t need = dirent_put(buf, bufsize, head, name, e->attr.st_ino,
	                         e->attr.st_mode, next_off);
	if (buf && need <= bufsize)
		fbx_entry_encode((struct fbx_k_entry_out *)buf, e);
	return need;
}

/* ---- request accessors -------------------------------------------- */

const struct fbx_ctx *fbx_req_ctx(const struct fbx_req *req) { return &req->ctx; }
void *fbx_req_userdata(const struct fbx_req *req) { return req->se->userdata; }
struct fbx_session *fbx_req_session(const struct fbx_req *req) { return req->se; }
int fbx_req_interrupted(const struct fbx_req *req)
{
	return atomic_load(&((struct fbx_req *)req)->interrupted);
}

void fbx_req_on_interrupt(struct fbx_req *req, void (*fn)(struct fbx_req *req, void *data),
                          void *data)
{
	struct fbx_worker *w = req->w;
	pthread_mutex_lock(&w->lock);
	req->on_intr = fn;
	req->on_intr_data = data;
	int already = atomic_load(&req->interrupted);
	pthread_mutex_unlock(&w->lock);
	if (already && fn)
		fn(req, data);
}

