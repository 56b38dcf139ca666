/*
 * lib/nbd/conn.c -- one client connection: handshake, then the
 * transmission loop.
 *
 * Every connection has its own reading thread, so a slow or vanished
 * client only ever stalls itself. The reader buffers input (one recv
 * usually brings many requests) and decodes requests with the codec.
 * Then, two ways to run them:
 *  - inline (info.nonblocking): the reader runs the callback itself and
 *    appends the reply to an output buffer that is sent in one go when
 *    no complete request is left in the input: no thread hand-offs and
 *    one send per batch. Big reads and writes still go to two workers,
 *    so copying one overlaps sending another. With one connection busy,
 *    the reader polls the socket briefly before it sleeps (SPIN_NS);
 *  - workers: requests go to a queue served by info.threads threads,
 *    which send their replies as they finish (out of order).
 * Requests live in slots allocated once per connection, each with a
 * data buffer kept between requests: no malloc on the hot path.
 *
 * Devices with map/unmap (the memory disk) are zero-copy: a read reply
 * is sent with sendmsg straight from the device's pages, and a big
 * write's payload is received straight into them by the reader (no
 * hand-off: the reader has to receive those bytes anyway).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/clock.h"
#include "nbd/internal.h"

#define IN_CAP    (256u << 10)
#define OUT_CAP   (256u << 10)
#define COPY_MAX  (64u << 10)   /* larger replies bypass the output buffer */
#define BIG_IO    (64u << 10)   /* inline mode: reads/writes this big go to workers */
#define BIG_WORKERS 2
#define KEEP_MAX  (4u << 20)    /* buffers above this are freed after use */
#define MAP_IOV   256           /* iovecs per mapped request (8 MiB of memdisk
                                   pages); bigger ones are copied */
#define HS_TIMEOUT_S   30
#define SEND_TIMEOUT_S 30

struct slot {
	struct fbx_nbd_req req;
	struct slot *next;
	uint8_t *buf;              /* write payload in, read data / extents out */
	size_t cap;
	struct fbx_extent_item *extv;
	struct iovec iov[MAP_IOV + 1];   /* >= 2 * FBX_NBD_READ_SPLIT + 4 */
	int niov;
	int mapped;                /* iov[1..mapped] are the device's: unmap after sending */
	uint8_t hdr[(FBX_NBD_READ_SPLIT + 2) * (FBX_NBD_MAX_HDR + 16) + 300];
};

struct fbx_nbd_conn {
	struct fbx_nbd_server *srv;
	int fd;
	struct fbx_nbd_conn *next, **pprev;
	struct fbx_nbd_tx tx;
	atomic_bool dead;          /* sending failed: stop sending */
	struct fbx_nbd_tls_sess *tls;   /* after STARTTLS: all I/O goes through it */

	uint8_t *in;
	size_t in_cap, in_pos, in_end;
	uint8_t *out;
	size_t out_len, out_cap;
	pthread_mutex_t send_lock;

	bool inline_ok;            /* the reader runs small requests itself */
	bool after_big;            /* the last request was a big write */
	unsigned nthreads;
	pthread_t *thr;
	pthread_mutex_t qlock;
	pthread_cond_t qcond, freecond;
	struct slot *qhead, *qtail, *freelist;
	bool closing;
	struct slot *slots;
	unsigned nslots;

	struct iovec wiov[MAP_IOV];   /* the reader's mapped write */
};

/* ---------- sockets ---------- */

/* Send iov[0..n) whole. The caller's iovecs are left as they were (a
 * mapped read gives them back to the device afterwards): a partial send
 * goes on from a copy. */
static int send_iov(struct fbx_nbd_conn *c, const struct iovec *iov_in, int n)
{
	struct iovec tmp[MAP_IOV + 1];
	struct iovec *iov = (struct iovec *)iov_in;   /* not written until copied */
	bool copied = false;
	if (c->tls && n > 0) {
		if (atomic_load_explicit(&c->dead, memory_order_relaxed))
			return -EPIPE;
		int e = fbx_nbd_tls_sendv(c->tls, iov_in, n);
		if (e) {
			atomic_store(&c->dead, true);
			shutdown(c->fd, SHUT_RDWR);
		}
		return e;
	}
	while (n > 0) {
		if (atomic_load_explicit(&c->dead, memory_order_relaxed))
			return -EPIPE;
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		ssize_t w = sendmsg(c->fd, &m, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			/* The client is gone or stuck: wake our reader too. */
			atomic_store(&c->dead, true);
			shutdown(c->fd, SHUT_RDWR);
			return -e;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			if (!copied) {
				memcpy(tmp, iov, (size_t)n * sizeof *iov);
				iov = tmp;
				copied = true;
			}
			iov->iov_base = (uint8_t *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int send_bytes(struct fbx_nbd_conn *c, const void *p, size_t len)
{
	struct iovec iov = { (void *)p, len };
	return send_iov(c, &iov, 1);
}

/* The one receive: over TLS once it is up. */
static ssize_t io_recv(struct fbx_nbd_conn *c, void *p, size_t len)
{
	return c->tls ? fbx_nbd_tls_recv(c->tls, p, len) : recv(c->fd, p, len, 0);
}

static int recv_exact(struct fbx_nbd_conn *c, void *p, size_t len)
{
	while (len) {
		ssize_t r = io_recv(c, p, len);
		if (r == 0)
			return -ECONNRESET;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p = (uint8_t *)p + r;
		len -= (size_t)r;
	}
	return 0;
}

static void flush_out(struct fbx_nbd_conn *c)
{
	if (c->out_len) {
		/* workers send too (big requests): one sender at a time */
		pthread_mutex_lock(&c->send_lock);
		send_bytes(c, c->out, c->out_len);
		pthread_mutex_unlock(&c->send_lock);
		c->out_len = 0;
	}
}

/* Before a reader sleeps in recv, it polls the socket this long (inline
 * mode, one busy connection). A client that sends its next request
 * within that time finds the reader awake: its send then does not pay
 * for waking us (on a VM that is an IPI and a VM exit, which showed as
 * the client's biggest kernel cost under fio), and we skip a sleep and
 * a wakeup. An idle client costs this much CPU once per batch. */
#define SPIN_NS 50000

/* Over TLS, whether the next request is here or on its way: a whole
 * record is read ahead, or part of one is (the client is mid-send, the
 * rest comes within microseconds; we wait up to SPIN_NS for it). While
 * so, the replies gathered stay in the batch: flushing costs a TLS
 * record and a sendmsg each time. A client that stops mid-record gets
 * its replies after SPIN_NS all the same. */
static bool tls_more_coming(struct fbx_nbd_conn *c)
{
	uint64_t t0 = 0;
	for (;;) {
		int r = fbx_nbd_tls_ready(c->tls);
		if (r)
			return r > 0;
		if (!t0)
			t0 = fbx_now_ns();
		else if (fbx_now_ns() - t0 >= SPIN_NS)
			return false;
	}
}

static bool again(ssize_t r)
{
	return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* Wait for input (the input buffer is empty or holds a partial request).
 * In inline mode, the replies gathered so far go out first: that is the
 * batching. */
static ssize_t wait_input(struct fbx_nbd_conn *c, void *p, size_t len)
{
	if (!c->inline_ok)
		return io_recv(c, p, len);
	if (c->tls && tls_more_coming(c))
		return io_recv(c, p, len);
	flush_out(c);
	/* With several connections busy, their spinning readers would take
	 * the CPUs their clients need. Not over TLS: tried, no gain there
	 * (the client's own TLS work paces it). */
	if (!c->tls && atomic_load_explicit(&c->srv->active, memory_order_relaxed) == 1) {
		uint64_t t0 = fbx_now_ns();
		do {
			ssize_t r = recv(c->fd, p, len, MSG_DONTWAIT);
			if (!again(r))
				return r;
		} while (fbx_now_ns() - t0 < SPIN_NS);
	}
	return io_recv(c, p, len);
}

/* Make at least need bytes available at in + in_pos. Before blocking
 * in recv, the replies gathered so far go out: that is the batching.
 * exact: receive no more than need (see transmission). */
static int fill(struct fbx_nbd_conn *c, size_t need, bool exact)
{
	while (c->in_end - c->in_pos < need) {
		if (c->in_cap - c->in_pos < need) {
			memmove(c->in, c->in + c->in_pos, c->in_end - c->in_pos);
			c->in_end -= c->in_pos;
			c->in_pos = 0;
			if (c->in_cap < need) {
				size_t cap = (need + 0xffff) & ~(size_t)0xffff;
				uint8_t *p = realloc(c->in, cap);
				if (!p)
					return -ENOMEM;
				c->in = p;
				c->in_cap = cap;
			}
		}
		size_t want = c->in_cap - c->in_end;
		if (exact && want > need - (c->in_end - c->in_pos))
			want = need - (c->in_end - c->in_pos);
		ssize_t r = wait_input(c, c->in + c->in_end, want);
		if (r == 0)
			return -ECONNRESET;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c->in_end += (size_t)r;
	}
	return 0;
}

/* Read and throw away n payload bytes of a refused request. */
static int drain(struct fbx_nbd_conn *c, uint64_t n)
{
	while (n) {
		size_t have = c->in_end - c->in_pos;
		if (!have) {
			c->in_pos = c->in_end = 0;
			int e = fill(c, 1, false);
			if (e)
				return e;
			have = c->in_end - c->in_pos;
		}
		size_t take = have < n ? have : (size_t)n;
		c->in_pos += take;
		n -= take;
	}
	return 0;
}

/* ---------- replies ---------- */

/* Send a reply. The reader in inline mode batches small ones in the
 * output buffer; workers send theirs at once. */
static void emit(struct fbx_nbd_conn *c, struct iovec *iov, int n, bool reader)
{
	if (reader && c->inline_ok) {
		size_t total = 0;
		for (int i = 0; i < n; i++)
			total += iov[i].iov_len;
		if (total <= COPY_MAX) {
			if (c->out_len + total > c->out_cap)
				flush_out(c);
			for (int i = 0; i < n; i++) {
				memcpy(c->out + c->out_len, iov[i].iov_base, iov[i].iov_len);
				c->out_len += iov[i].iov_len;
			}
			return;
		}
		flush_out(c);
	}
	pthread_mutex_lock(&c->send_lock);
	send_iov(c, iov, n);
	pthread_mutex_unlock(&c->send_lock);
}

static void reply_error(struct fbx_nbd_conn *c, const struct fbx_nbd_req *r, uint32_t err,
                        const char *why)
{
	uint8_t b[FBX_NBD_MAX_HDR + 6 + 256];
	struct iovec iov = { b, fbx_nbd_put_done(b, &c->tx, r, err, why) };
	emit(c, &iov, 1, true);
}

/* Answer r with the status of a callback (0 or -errno). */
static void reply_status(struct fbx_nbd_conn *c, const struct fbx_nbd_req *r, int e)
{
	reply_error(c, r, fbx_nbd_wire_error(e), e ? strerrordesc_np(-e) : NULL);
}

/* A small read in inline mode: header and data are written straight
 * into the output batch, no staging copy and no page references. */
static void read_to_out(struct fbx_nbd_conn *c, const struct fbx_nbd_req *r)
{
	struct fbx_nbd_server *srv = c->srv;
	if (c->out_len + FBX_NBD_MAX_HDR + r->len > c->out_cap)
		flush_out(c);
	uint8_t *p = c->out + c->out_len;
	size_t h = fbx_nbd_put_read_hdr(p, &c->tx, r, FBX_NBD_REPLY_FLAG_DONE, r->offset, r->len);
	int e = fbx_dev_read(&srv->dev, p + h, r->len, r->offset);
	if (e < 0)
		reply_status(c, r, e);   /* written over the unfinished one */
	else
		c->out_len += h + r->len;
}

static int slot_buf(struct slot *s, size_t need)
{
	if (s->cap >= need)
		return 0;
	size_t cap = (need + 0xffff) & ~(size_t)0xffff;
	free(s->buf);
	s->buf = malloc(cap);
	s->cap = s->buf ? cap : 0;
	return s->buf ? 0 : -ENOMEM;
}

static void slot_trim(struct slot *s)
{
	if (s->cap > KEEP_MAX) {
		free(s->buf);
		s->buf = NULL;
		s->cap = 0;
	}
}

static int slot_extv(struct slot *s)
{
	if (!s->extv)
		s->extv = malloc(FBX_NBD_EXT_MAX * sizeof *s->extv);
	return s->extv ? 0 : -ENOMEM;
}

/* After the reply left: give mapped pages back to the device. */
static void slot_unmap(struct fbx_nbd_conn *c, struct slot *s)
{
	if (s->mapped) {
		fbx_dev_unmap(&c->srv->dev, s->iov + 1, s->mapped, s->req.len, s->req.offset, 0);
		s->mapped = 0;
	}
}

static void set_done(struct fbx_nbd_conn *c, struct slot *s, int err)
{
	uint32_t w = fbx_nbd_wire_error(err);
	const char *msg = err ? strerrordesc_np(-err) : NULL;
	s->iov[0] = (struct iovec){ s->hdr, fbx_nbd_put_done(s->hdr, &c->tx, &s->req, w, msg) };
	s->niov = 1;
}

/* A read that reports zero extents as holes (structured replies only). */
static int read_split(struct fbx_nbd_conn *c, struct slot *s)
{
	struct fbx_nbd_server *srv = c->srv;
	const struct fbx_nbd_req *r = &s->req;
	struct fbx_extents ex;
	fbx_extents_reset(&ex, s->extv, FBX_NBD_READ_SPLIT, r->offset, r->len, false);
	if (fbx_dev_extents(&srv->dev, r->len, r->offset, 0, &ex) < 0 || ex.n == 0 ||
	    (ex.n == 1 && !(ex.v[0].type & FBX_EXTENT_ZERO)))
		return 1;          /* nothing to gain: send it as plain data */

	size_t hp = 0, last = 0;
	uint64_t pos = r->offset, end = r->offset + r->len;
	int niov = 0;
	for (unsigned i = 0; i <= ex.n && pos < end; i++) {
		/* past the listed extents, the rest is data */
		uint64_t l = i < ex.n ? ex.v[i].len : end - pos;
		bool zero = i < ex.n && (ex.v[i].type & FBX_EXTENT_ZERO);
		size_t h0 = hp;
		last = hp;
		if (zero) {
			hp += fbx_nbd_put_hole(s->hdr + hp, &c->tx, r, 0, pos, (uint32_t)l);
		} else {
			int e = fbx_dev_read(&srv->dev, s->buf + (pos - r->offset), l, pos);
			if (e < 0) {
				set_done(c, s, e);
				return 0;
			}
			hp += fbx_nbd_put_read_hdr(s->hdr + hp, &c->tx, r, 0, pos, l);
		}
		/* consecutive headers share one iovec */
		if (niov && (uint8_t *)s->iov[niov - 1].iov_base + s->iov[niov - 1].iov_len == s->hdr + h0)
			s->iov[niov - 1].iov_len += hp - h0;
		else
			s->iov[niov++] = (struct iovec){ s->hdr + h0, hp - h0 };
		if (!zero)
			s->iov[niov++] = (struct iovec){ s->buf + (pos - r->offset), l };
		pos += l;
	}
	fbx_be16(s->hdr + last + 4, FBX_NBD_REPLY_FLAG_DONE);   /* flags of the final chunk */
	s->niov = niov;
	return 0;
}

#define PIECE_MAX (4u << 20)   /* a long read is read and sent this much at a time */

/* A read over block_max: the client went past the advertised limit,
 * which the spec lets a server serve. Read and sent piece by piece,
 * so memory stays bounded, under the send lock, so that a simple reply
 * is not cut by another. Sends itself: leaves s->iov empty, or an
 * error reply when one can still be given. */
static void read_long(struct fbx_nbd_conn *c, struct slot *s)
{
	const struct fbx_nbd_req *r = &s->req;
	uint64_t piece = c->tx.block_max < PIECE_MAX ? c->tx.block_max : PIECE_MAX;
	s->niov = 0;
	if (slot_buf(s, piece) < 0)
		return set_done(c, s, -ENOMEM);
	pthread_mutex_lock(&c->send_lock);
	for (uint64_t done = 0, n; done < r->len; done += n) {
		n = r->len - done < piece ? r->len - done : piece;
		int e = fbx_dev_read(&c->srv->dev, s->buf, n, r->offset + done);
		if (e < 0 && (done == 0 || c->tx.structured)) {
			set_done(c, s, e);     /* an error chunk, or the only reply */
			break;
		}
		if (e < 0) {
			/* a simple reply half sent: only hanging up tells the client */
			fbx_nbd_log(c->srv, "long read failed", "read of %llu bytes failed midway: %s: "
			            "disconnecting", (unsigned long long)r->len, strerrordesc_np(-e));
			atomic_store(&c->dead, true);
			shutdown(c->fd, SHUT_RDWR);
			break;
		}
		bool last = done + n == r->len;
		size_t h = 0;
		if (c->tx.structured || done == 0)
			h = fbx_nbd_put_read_hdr(s->hdr, &c->tx, r, last || !c->tx.structured
			                         ? FBX_NBD_REPLY_FLAG_DONE : 0,
			                         c->tx.structured ? r->offset + done : r->offset,
			                         c->tx.structured ? n : r->len);
		struct iovec iov[2] = { { s->hdr, h }, { s->buf, n } };
		if (send_iov(c, iov, 2) < 0)
			break;
	}
	pthread_mutex_unlock(&c->send_lock);
}

static void do_read(struct fbx_nbd_conn *c, struct slot *s)
{
	struct fbx_nbd_server *srv = c->srv;
	const struct fbx_nbd_req *r = &s->req;
	if (r->len > c->tx.block_max)
		return read_long(c, s);
	bool split = c->tx.structured && srv->dev.ops.extents && r->len >= FBX_NBD_HOLE_MIN_READ &&
	             !(r->flags & FBX_NBD_CMD_FLAG_DF);
	if (split && slot_buf(s, r->len) == 0 && slot_extv(s) == 0 && read_split(c, s) == 0)
		return;
	int e;
	if (srv->dev.ops.map) {
		e = fbx_dev_map(&srv->dev, s->iov + 1, MAP_IOV, r->len, r->offset, 0);
		if (e >= 0) {
			s->mapped = e;
			s->niov = 1 + e;
			goto hdr;
		}
		if (e != -ENOBUFS)
			return set_done(c, s, e);
	}
	if (slot_buf(s, r->len) < 0)
		return set_done(c, s, -ENOMEM);
	e = fbx_dev_read(&srv->dev, s->buf, r->len, r->offset);
	if (e < 0)
		return set_done(c, s, e);
	s->iov[1] = (struct iovec){ s->buf, r->len };
	s->niov = 2;
hdr:
	s->iov[0] = (struct iovec){ s->hdr, fbx_nbd_put_read_hdr(s->hdr, &c->tx, r,
	                            FBX_NBD_REPLY_FLAG_DONE, r->offset, r->len) };
}

static void do_block_status(struct fbx_nbd_conn *c, struct slot *s)
{
	struct fbx_nbd_server *srv = c->srv;
	const struct fbx_nbd_req *r = &s->req;
	bool one = r->flags & FBX_NBD_CMD_FLAG_REQ_ONE;
	if (slot_extv(s) < 0 || slot_buf(s, FBX_NBD_EXT_MAX * 16) < 0)
		return set_done(c, s, -ENOMEM);
	struct fbx_extents ex;
	fbx_extents_reset(&ex, s->extv, FBX_NBD_EXT_MAX, r->offset, r->len, one);
	int e = fbx_dev_extents(&srv->dev, r->len, r->offset, one ? FBX_DEV_REQ_ONE : 0, &ex);
	if (e < 0)
		return set_done(c, s, e);
	if (ex.n == 0) {
		ex.v[0] = (struct fbx_extent_item){ r->len, 0 };
		ex.n = 1;
	}
	size_t p = 0;
	for (unsigned i = 0; i < ex.n; i++)
		p += fbx_nbd_put_extent(s->buf + p, &c->tx, ex.v[i].len, ex.v[i].type & 3);
	s->iov[0] = (struct iovec){ s->hdr, fbx_nbd_put_bs_hdr(s->hdr, &c->tx, r, ex.n) };
	s->iov[1] = (struct iovec){ s->buf, p };
	s->niov = 2;
}

/* NBD command flags as the device-call layer takes them. */
static unsigned dev_flags(const struct fbx_nbd_req *r)
{
	return (r->flags & FBX_NBD_CMD_FLAG_FUA ? FBX_DEV_FUA : 0) |
	       (r->flags & FBX_NBD_CMD_FLAG_NO_HOLE ? FBX_DEV_NO_HOLE : 0) |
	       (r->flags & FBX_NBD_CMD_FLAG_FAST_ZERO ? FBX_DEV_FAST_ZERO : 0);
}

/* Run one request the codec accepted; leaves its reply in s->iov. The
 * device-call layer applies read-only, ranges and FUA. */
static void process(struct fbx_nbd_conn *c, struct slot *s, const uint8_t *payload)
{
	struct fbx_dev *d = &c->srv->dev;
	const struct fbx_nbd_req *r = &s->req;
	int e;

	switch (r->type) {
	case FBX_NBD_CMD_READ:
		return do_read(c, s);
	case FBX_NBD_CMD_BLOCK_STATUS:
		return do_block_status(c, s);
	case FBX_NBD_CMD_WRITE:
		e = fbx_dev_write(d, payload, r->len, r->offset, dev_flags(r));
		break;
	case FBX_NBD_CMD_FLUSH:
		e = fbx_dev_flush(d);
		break;
	case FBX_NBD_CMD_TRIM:
		e = fbx_dev_trim(d, r->len, r->offset, dev_flags(r));
		break;
	case FBX_NBD_CMD_CACHE:
		e = fbx_dev_cache(d, r->len, r->offset);
		break;
	case FBX_NBD_CMD_WRITE_ZEROES:
		e = fbx_dev_zero(d, r->len, r->offset, dev_flags(r));
		break;
	default:
		e = -EINVAL;   /* the codec refuses these first */
		break;
	}
	set_done(c, s, e);
}

/* ---------- workers ---------- */

static void *worker(void *arg)
{
	struct fbx_nbd_conn *c = arg;
	for (;;) {
		pthread_mutex_lock(&c->qlock);
		while (!c->qhead && !c->closing)
			pthread_cond_wait(&c->qcond, &c->qlock);
		struct slot *s = c->qhead;
		if (!s) {
			pthread_mutex_unlock(&c->qlock);
			return NULL;
		}
		c->qhead = s->next;
		if (!c->qhead)
			c->qtail = NULL;
		pthread_mutex_unlock(&c->qlock);

		process(c, s, s->buf);
		emit(c, s->iov, s->niov, false);
		slot_unmap(c, s);
		slot_trim(s);

		pthread_mutex_lock(&c->qlock);
		s->next = c->freelist;
		c->freelist = s;
		pthread_cond_signal(&c->freecond);
		pthread_mutex_unlock(&c->qlock);
	}
}

static struct slot *get_slot(struct fbx_nbd_conn *c)
{
	pthread_mutex_lock(&c->qlock);
	while (!c->freelist)
		pthread_cond_wait(&c->freecond, &c->qlock);
	struct slot *s = c->freelist;
	c->freelist = s->next;
	pthread_mutex_unlock(&c->qlock);
	return s;
}

static void put_slot(struct fbx_nbd_conn *c, struct slot *s, bool queue)
{
	pthread_mutex_lock(&c->qlock);
	s->next = NULL;
	if (queue) {
		if (c->qtail)
			c->qtail->next = s;
		else
			c->qhead = s;
		c->qtail = s;
		pthread_cond_signal(&c->qcond);
	} else {
		s->next = c->freelist;
		c->freelist = s;
	}
	pthread_mutex_unlock(&c->qlock);
}

/* ---------- mapped writes ---------- */

/* Receive len bytes into the iovecs v[0..n) (which stay untouched: they
 * are unmapped afterwards), taking what is buffered first. */
static int recv_iov(struct fbx_nbd_conn *c, const struct iovec *v, int n)
{
	int i = 0;
	size_t done = 0;          /* bytes of v[i] filled */
	size_t have = c->in_end - c->in_pos;
	while (i < n && have) {
		size_t take = v[i].iov_len - done < have ? v[i].iov_len - done : have;
		memcpy((uint8_t *)v[i].iov_base + done, c->in + c->in_pos, take);
		c->in_pos += take;
		have -= take;
		done += take;
		if (done == v[i].iov_len) {
			i++;
			done = 0;
		}
	}
	if (i < n && c->inline_ok && !(c->tls && tls_more_coming(c)))
		flush_out(c);      /* replies first: we are about to block */
	while (c->tls && i < n) {
		ssize_t r = fbx_nbd_tls_recv(c->tls, (uint8_t *)v[i].iov_base + done,
		                             v[i].iov_len - done);
		if (r <= 0)
			return r == 0 ? -ECONNRESET : -errno;
		done += (size_t)r;
		if (done == v[i].iov_len) {
			i++;
			done = 0;
		}
	}
	struct iovec tmp[MAP_IOV];
	while (i < n) {
		int k = n - i;
		memcpy(tmp, v + i, (size_t)k * sizeof *tmp);
		tmp[0].iov_base = (uint8_t *)tmp[0].iov_base + done;
		tmp[0].iov_len -= done;
		struct msghdr m = { .msg_iov = tmp, .msg_iovlen = (size_t)k };
		ssize_t r = recvmsg(c->fd, &m, MSG_WAITALL);
		if (r == 0)
			return -ECONNRESET;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		size_t got = (size_t)r;
		while (i < n && got >= v[i].iov_len - done) {
			got -= v[i].iov_len - done;
			i++;
			done = 0;
		}
		done += got;
	}
	return 0;
}

/* Whether [off, off+len) has a hole, as far as extents tells quickly.
 * Writing into holes allocates memory, and its first touch (page faults)
 * is slower than the receive itself: such writes go through the workers,
 * so that the reader receives the next payload meanwhile. */
static bool has_hole(struct fbx_nbd_conn *c, const struct fbx_nbd_req *r)
{
	struct fbx_nbd_server *srv = c->srv;
	if (!srv->dev.ops.extents)
		return false;
	struct fbx_extent_item v[2];
	struct fbx_extents ex;
	fbx_extents_reset(&ex, v, 2, r->offset, r->len, false);
	if (fbx_dev_extents(&srv->dev, r->len, r->offset, 0, &ex) < 0)
		return false;
	for (unsigned i = 0; i < ex.n; i++)
		if (ex.v[i].type & FBX_EXTENT_HOLE)
			return true;
	return false;
}

/* A big write received straight into the device's memory. 1: the device
 * cannot map this one (use the usual path), 0: done, <0: connection
 * error. */
static int write_mapped(struct fbx_nbd_conn *c, const struct fbx_nbd_req *r)
{
	struct fbx_dev *d = &c->srv->dev;
	unsigned fl = FBX_DEV_MAP_WRITE | (dev_flags(r) & FBX_DEV_FUA);
	int n = fbx_dev_map(d, c->wiov, MAP_IOV, r->len, r->offset, FBX_DEV_MAP_WRITE);
	if (n == -ENOBUFS)
		return 1;
	int e = n < 0 ? n : recv_iov(c, c->wiov, n);
	if (n >= 0) {
		int u = fbx_dev_unmap(d, c->wiov, n, r->len, r->offset, fl);
		if (e)
			return e;          /* the client is gone: no reply */
		e = u;
	} else if ((e = drain(c, r->len)) == 0) {
		e = n;                 /* payload consumed: answer the map error */
	} else {
		return e;
	}
	reply_status(c, r, e);
	return 0;
}

/* ---------- transmission ---------- */

static const char *cmd_name(uint16_t t)
{
	static const char *const n[] = { "READ", "WRITE", "DISC", "FLUSH", "TRIM", "CACHE",
	                                 "WRITE_ZEROES", "BLOCK_STATUS" };
	return t < 8 ? n[t] : "unknown";
}

static int transmission(struct fbx_nbd_conn *c)
{
	struct fbx_nbd_server *srv = c->srv;
	size_t hsize = c->tx.extended ? FBX_NBD_EXT_REQ_SIZE : FBX_NBD_REQ_SIZE;
	for (;;) {
		struct fbx_nbd_req r;
		int n, e;
		/* After a big write, another big payload most likely follows the
		 * next header: take just the header, so that the payload is
		 * received where it belongs instead of copied from here. */
		if (c->in_end - c->in_pos < hsize && (e = fill(c, hsize, c->after_big)) != 0)
			return e == -ECONNRESET ? 0 : e;
		n = fbx_nbd_decode_request(c->in + c->in_pos, c->in_end - c->in_pos, c->tx.extended, &r);
		if (n <= 0) {
			fbx_nbd_log(srv, "bad request magic", "bad request magic 0x%08x: disconnecting",
			            fbx_ld32(c->in + c->in_pos));
			return -EPROTO;
		}
		c->in_pos += (size_t)n;
		c->after_big = false;

		struct fbx_nbd_verdict v;
		fbx_nbd_check_request(&c->tx, &r, &v);
		if (r.type == FBX_NBD_CMD_DISC)
			return 0;
		if (!v.error && atomic_load_explicit(&srv->stopping, memory_order_relaxed)) {
			v.error = FBX_NBD_ESHUTDOWN;
			v.why = "server shutting down";
			v.drop_payload = v.payload != 0;
		}
		if (v.error || v.disconnect) {
			fbx_nbd_log(srv, v.why, "%s: %s offset %llu length %llu flags 0x%x%s", v.why,
			            cmd_name(r.type), (unsigned long long)r.offset,
			            (unsigned long long)r.len, r.flags, v.disconnect ? ": disconnecting" : "");
			if (v.disconnect) {
				if (v.error)
					reply_error(c, &r, v.error, v.why);
				return -EPROTO;
			}
			if (v.drop_payload && (e = drain(c, v.payload)) != 0)
				return e == -ECONNRESET ? 0 : e;
			reply_error(c, &r, v.error, v.why);
			continue;
		}

		bool big = (r.type == FBX_NBD_CMD_READ || r.type == FBX_NBD_CMD_WRITE) && r.len >= BIG_IO;
		c->after_big = big && r.type == FBX_NBD_CMD_WRITE;
		if (big && r.type == FBX_NBD_CMD_WRITE && srv->dev.ops.map && !has_hole(c, &r) &&
		    (e = write_mapped(c, &r)) <= 0) {
			if (e < 0)
				return e == -ECONNRESET ? 0 : e;
			continue;
		}
		if (c->inline_ok && !big) {
			if (r.type == FBX_NBD_CMD_READ && r.len < FBX_NBD_HOLE_MIN_READ &&
			    r.len <= COPY_MAX) {
				read_to_out(c, &r);
				continue;
			}
			struct slot *s = &c->slots[0];
			s->req = r;
			const uint8_t *payload = NULL;
			if (v.payload) {
				if ((e = fill(c, v.payload, false)) != 0)
					return e == -ECONNRESET ? 0 : e;
				payload = c->in + c->in_pos;
			}
			process(c, s, payload);
			c->in_pos += v.payload;
			emit(c, s->iov, s->niov, true);
			slot_unmap(c, s);
			slot_trim(s);
			if (c->in_pos == c->in_end && c->in_cap > KEEP_MAX) {
				free(c->in);
				c->in = malloc(IN_CAP);
				c->in_cap = c->in ? IN_CAP : 0;
				c->in_pos = c->in_end = 0;
				if (!c->in)
					return -ENOMEM;
			}
			continue;
		}
		struct slot *s = get_slot(c);
		s->req = r;
		if (v.payload) {
			/* copy what is buffered, receive the rest straight into the slot */
			if (slot_buf(s, v.payload) < 0) {
				put_slot(c, s, false);
				return -ENOMEM;
			}
			size_t have = c->in_end - c->in_pos;
			size_t take = have < v.payload ? have : (size_t)v.payload;
			memcpy(s->buf, c->in + c->in_pos, take);
			c->in_pos += take;
			if (take < v.payload && (e = recv_exact(c, s->buf + take, v.payload - take))) {
				put_slot(c, s, false);
				return e == -ECONNRESET ? 0 : e;
			}
		}
		put_slot(c, s, true);
	}
}

/* ---------- handshake ---------- */

/* 0: go to transmission; 1: client ended it (ABORT); <0: error. */
static int handshake(struct fbx_nbd_conn *c)
{
	struct fbx_nbd_server *srv = c->srv;
	struct fbx_nbd_hs *hs = malloc(sizeof *hs);
	uint8_t *data = malloc(FBX_NBD_MAX_OPTLEN);
	int rc = -ENOMEM;
	if (!hs || !data)
		goto out;
	fbx_nbd_hs_init(hs, &srv->ex);
	uint8_t b[18];
	if ((rc = send_bytes(c, b, fbx_nbd_hs_greeting(b))) != 0 ||
	    (rc = recv_exact(c, b, 4)) != 0)
		goto out;
	if ((rc = fbx_nbd_hs_client_flags(hs, b)) != 0) {
		fbx_nbd_log(srv, "bad client flags", "unknown client flags 0x%08x: disconnecting",
		            fbx_ld32(b));
		goto out;
	}
	for (;;) {
		uint8_t h[16];
		uint32_t opt, len;
		if ((rc = recv_exact(c, h, 16)) != 0)
			goto out;
		if ((rc = fbx_nbd_hs_option_header(hs, h, &opt, &len)) != 0) {
			fbx_nbd_log(srv, "bad option header", "handshake: %s: disconnecting",
			            rc == -EPROTO ? "bad option magic" : rc == -E2BIG
			            ? "option data too long" : "too many options");
			goto out;
		}
		if ((rc = recv_exact(c, data, len)) != 0)
			goto out;
		hs->shutting_down = atomic_load(&srv->stopping);
		int r = fbx_nbd_hs_option(hs, opt, data, len);
		if (hs->refused_name)
			fbx_nbd_log(srv, "export name refused", "handshake: client asked for export "
			            "\"%.*s\": refused, this server exports only \"%s\" (--strict-name)%s",
			            (int)(hs->refused_len > 200 ? 200 : hs->refused_len),
			            (const char *)hs->refused_name, srv->dev.name,
			            r < 0 ? ": disconnecting" : "");
		else if (r < 0)
			fbx_nbd_log(srv, "export name refused", "handshake: NBD_OPT_EXPORT_NAME refused: disconnecting");
		if (r < 0) {
			rc = r;
			goto out;
		}
		if (hs->tls_refused)
			fbx_nbd_log(srv, "TLS required", "handshake: option %u before STARTTLS refused "
			            "(--tls=require)%s", opt, r < 0 ? ": disconnecting" : "");
		if (hs->outlen && (rc = send_bytes(c, hs->out, hs->outlen)) != 0)
			goto out;
		if (r == FBX_NBD_HS_STARTTLS) {
			char why[300] = "";
			if ((rc = fbx_nbd_tls_accept(srv->tls, c->fd, &c->tls, why, sizeof why)) != 0) {
				fbx_nbd_log(srv, "TLS handshake failed", "TLS handshake failed: %s: "
				            "disconnecting", why);
				goto out;
			}
			hs->tls_up = true;
			continue;
		}
		if (r == FBX_NBD_HS_CLOSE) {
			rc = 1;
			goto out;
		}
		if (r == FBX_NBD_HS_TRANSMIT) {
			c->tx = (struct fbx_nbd_tx){
				.size = srv->ex.size, .tflags = hs->tflags,
				.structured = hs->structured, .extended = hs->extended,
				.meta_alloc = hs->meta_alloc,
				.block_min = srv->ex.block_min, .block_max = srv->ex.block_max,
			};
			rc = 0;
			goto out;
		}
	}
out:
	free(hs);
	free(data);
	return rc;
}

/* ---------- lifetime ---------- */

static void set_timeout(int fd, int opt, int secs)
{
	struct timeval tv = { .tv_sec = secs };
	setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv);
}

static void conn_free(struct fbx_nbd_conn *c)
{
	for (unsigned i = 0; i < c->nslots; i++) {
		free(c->slots[i].buf);
		free(c->slots[i].extv);
	}
	free(c->slots);
	free(c->thr);
	free(c->in);
	free(c->out);
	pthread_mutex_destroy(&c->send_lock);
	pthread_mutex_destroy(&c->qlock);
	pthread_cond_destroy(&c->qcond);
	pthread_cond_destroy(&c->freecond);
	free(c);
}

static int start_workers(struct fbx_nbd_conn *c)
{
	c->thr = calloc(c->nthreads, sizeof *c->thr);
	if (!c->thr)
		return -ENOMEM;
	for (unsigned i = c->inline_ok ? 1 : 0; i < c->nslots; i++) {   /* slot 0: the reader's */
		c->slots[i].next = c->freelist;
		c->freelist = &c->slots[i];
	}
	for (unsigned i = 0; i < c->nthreads; i++) {
		int e = fbx_thread_start(&c->thr[i], worker, c, false);
		if (e) {
			c->nthreads = i;
			return e;
		}
	}
	return 0;
}

int fbx_nbd_conn_serve(struct fbx_nbd_server *srv, int fd, bool raw, bool counted)
{
	struct fbx_nbd_conn *c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->srv = srv;
	c->fd = fd;
	pthread_mutex_init(&c->send_lock, NULL);
	pthread_mutex_init(&c->qlock, NULL);
	pthread_cond_init(&c->qcond, NULL);
	pthread_cond_init(&c->freecond, NULL);

	pthread_mutex_lock(&srv->lock);
	bool full = !counted && (srv->nconns >= FBX_NBD_MAX_CONNS || atomic_load(&srv->stopping));
	if (!full) {
		c->next = srv->conns;
		if (c->next)
			c->next->pprev = &c->next;
		c->pprev = &srv->conns;
		srv->conns = c;
		if (!counted)
			srv->nconns++;
		/* stopped between accept and here: the watcher may have missed us */
		if (atomic_load(&srv->stopping))
			shutdown(fd, SHUT_RD);
	}
	pthread_mutex_unlock(&srv->lock);
	if (full) {
		fbx_nbd_log(srv, "connection refused", "connection refused: %s",
		            atomic_load(&srv->stopping) ? "shutting down" : "too many connections");
		close(fd);
		conn_free(c);
		return -EBUSY;
	}

	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);   /* fails on Unix sockets: fine */
	set_timeout(fd, SO_SNDTIMEO, SEND_TIMEOUT_S);
	/* Room for a few of nbdcopy's 256 KiB replies in the socket (the
	 * kernel doubles this), so a worker can hand one over and copy the
	 * next while the client reads. Not much more: the client then reads
	 * skbs we filled recently, still in cache (with 4 MiB, nbdcopy read
	 * the disk back 10 % slower). */
	int sb = 512 << 10;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);
	int rc;
	bool transmitting = false;
	if (raw) {
		uint16_t f;
		fbx_nbd_server_export_params(srv, &c->tx.size, &f);
		c->tx.tflags = f;
		c->tx.block_min = srv->ex.block_min;
		c->tx.block_max = srv->ex.block_max;
		rc = 0;
	} else {
		set_timeout(fd, SO_RCVTIMEO, HS_TIMEOUT_S);   /* a silent client is dropped */
		rc = handshake(c);
		set_timeout(fd, SO_RCVTIMEO, 0);
	}
	if (rc == 0) {
		transmitting = true;
		c->inline_ok = srv->dev.nonblocking;
		c->nthreads = c->inline_ok ? BIG_WORKERS : srv->dev.threads;
		c->nslots = 2 * c->nthreads + 4 + (c->inline_ok ? 1 : 0);
		c->slots = calloc(c->nslots, sizeof *c->slots);
		c->in = malloc(IN_CAP);
		c->in_cap = IN_CAP;
		c->out = malloc(OUT_CAP);
		c->out_cap = OUT_CAP;
		if (!c->slots || !c->in || !c->out)
			rc = -ENOMEM;
		else if ((rc = start_workers(c)) == 0) {
			atomic_fetch_add(&srv->active, 1);
			rc = transmission(c);
			atomic_fetch_sub(&srv->active, 1);
		}
		if (c->thr) {
			pthread_mutex_lock(&c->qlock);
			c->closing = true;
			pthread_cond_broadcast(&c->qcond);
			pthread_mutex_unlock(&c->qlock);
			for (unsigned i = 0; i < c->nthreads; i++)
				pthread_join(c->thr[i], NULL);
		}
		if (c->out)
			flush_out(c);
	}
	if (transmitting)
		fbx_dev_disc(&srv->dev);
	fbx_nbd_tls_end(c->tls, !atomic_load(&c->dead));

	pthread_mutex_lock(&srv->lock);
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	srv->nconns--;
	close(fd);
	pthread_cond_broadcast(&srv->cond);
	pthread_mutex_unlock(&srv->lock);
	conn_free(c);
	return rc == 1 ? 0 : rc == -ECONNRESET ? 0 : rc;
}

void fbx_nbd_conns_shutdown(struct fbx_nbd_server *srv, int how)
{
	pthread_mutex_lock(&srv->lock);
	for (struct fbx_nbd_conn *c = srv->conns; c; c = c->next)
		shutdown(c->fd, how);
	pthread_mutex_unlock(&srv->lock);
}
