/*
 * lib/nbd/codec.c -- pure NBD codec: handshake options in, option
 * replies out; request headers in, verdicts and reply headers out.
 * Nothing here reads or writes a socket, so the fuzzers drive it alone.
 */
#include <errno.h>
#include <string.h>

#include "nbd/proto.h"

uint32_t fbx_nbd_wire_error(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:         return 0;
	case EPERM: case EROFS: case EACCES:
	                return FBX_NBD_EPERM;
	case EIO:       return FBX_NBD_EIO;
	case ENOMEM:    return FBX_NBD_ENOMEM;
	case EINVAL:    return FBX_NBD_EINVAL;
	case ENOSPC: case EDQUOT: case EFBIG:
	                return FBX_NBD_ENOSPC;
	case EOVERFLOW: return FBX_NBD_EOVERFLOW;
	case ENOTSUP:   return FBX_NBD_ENOTSUP;
	case ESHUTDOWN: return FBX_NBD_ESHUTDOWN;
	default:        return FBX_NBD_EIO;
	}
}

/* ===================== handshake ===================== */

void fbx_nbd_hs_init(struct fbx_nbd_hs *hs, const struct fbx_nbd_export *ex)
{
	memset(hs, 0, offsetof(struct fbx_nbd_hs, out));
	hs->ex = ex;
}

size_t fbx_nbd_hs_greeting(uint8_t buf[18])
{
	fbx_be64(buf, FBX_NBD_MAGIC);
	fbx_be64(buf + 8, FBX_NBD_IHAVEOPT);
	fbx_be16(buf + 16, FBX_NBD_FLAG_FIXED_NEWSTYLE | FBX_NBD_FLAG_NO_ZEROES);
	return 18;
}

int fbx_nbd_hs_client_flags(struct fbx_nbd_hs *hs, const uint8_t buf[4])
{
	uint32_t f = fbx_ld32(buf);
	/* The spec: unknown client flags mean we must drop the connection. */
	if (f & ~(uint32_t)(FBX_NBD_FLAG_C_FIXED_NEWSTYLE | FBX_NBD_FLAG_C_NO_ZEROES))
		return -EPROTO;
	hs->fixed = f & FBX_NBD_FLAG_C_FIXED_NEWSTYLE;
	hs->no_zeroes = f & FBX_NBD_FLAG_C_NO_ZEROES;
	return 0;
}

int fbx_nbd_hs_option_header(struct fbx_nbd_hs *hs, const uint8_t buf[16],
                             uint32_t *opt, uint32_t *len)
{
	if (fbx_ld64(buf) != FBX_NBD_IHAVEOPT)
		return -EPROTO;
	*opt = fbx_ld32(buf + 8);
	*len = fbx_ld32(buf + 12);
	if (*len > FBX_NBD_MAX_OPTLEN)
		return -E2BIG;
	if (++hs->nopts > FBX_NBD_MAX_OPTIONS)
		return -ELOOP;
	return 0;
}

/* Append one option reply; data may be split in two parts. Overflow
 * cannot happen with our limits, but is checked: it becomes an error. */
static void rep(struct fbx_nbd_hs *hs, uint32_t opt, uint32_t type,
                const void *a, size_t alen, const void *b, size_t blen)
{
	if (hs->outlen + 20 + alen + blen > sizeof hs->out) {
		type = FBX_NBD_REP_ERR_TOO_BIG;
		alen = blen = 0;
		if (hs->outlen + 20 > sizeof hs->out)
			hs->outlen = 0;
	}
	uint8_t *p = hs->out + hs->outlen;
	fbx_be64(p, FBX_NBD_OPT_REPLY_MAGIC);
	fbx_be32(p + 8, opt);
	fbx_be32(p + 12, type);
	fbx_be32(p + 16, (uint32_t)(alen + blen));
	if (alen)
		memcpy(p + 20, a, alen);
	if (blen)
		memcpy(p + 20 + alen, b, blen);
	hs->outlen += 20 + alen + blen;
}

static int rep_err(struct fbx_nbd_hs *hs, uint32_t opt, uint32_t type, const char *msg)
{
	hs->outlen = 0;         /* an error replaces anything half-built */
	rep(hs, opt, type, msg, strlen(msg), NULL, 0);
	return FBX_NBD_HS_CONTINUE;
}

static bool name_ok(struct fbx_nbd_hs *hs, const uint8_t *name, uint32_t len)
{
	if (len == 0 || hs->ex->any_name)
		return true;   /* "" is the default export; any_name: ours is the only one */
	const char *n = hs->ex->name ? hs->ex->name : "";
	if (strlen(n) == len && memcmp(n, name, len) == 0)
		return true;
	hs->refused_name = name;
	hs->refused_len = len;
	return false;
}

static uint16_t final_tflags(const struct fbx_nbd_hs *hs)
{
	uint16_t f = hs->ex->tflags | FBX_NBD_FLAG_HAS_FLAGS;
	if (hs->structured)
		f |= FBX_NBD_FLAG_SEND_DF;
	return f;
}

static int opt_info_go(struct fbx_nbd_hs *hs, uint32_t opt, const uint8_t *d, uint32_t len)
{
	if (len < 6)
		return rep_err(hs, opt, FBX_NBD_REP_ERR_INVALID, "option too short");
	uint32_t nlen = fbx_ld32(d);
	if (nlen > len - 6)
		return rep_err(hs, opt, FBX_NBD_REP_ERR_INVALID, "bad name length");
	uint16_t nreq = fbx_ld16(d + 4 + nlen);
	if ((uint64_t)4 + nlen + 2 + 2u * nreq != len)
		return rep_err(hs, opt, FBX_NBD_REP_ERR_INVALID, "bad option length");
	if (!name_ok(hs, d + 4, nlen))
		return rep_err(hs, opt, FBX_NBD_REP_ERR_UNKNOWN, "no such export");

	const struct fbx_nbd_export *ex = hs->ex;
	uint16_t tflags = final_tflags(hs);
	uint8_t b[14];
	fbx_be16(b, FBX_NBD_INFO_EXPORT);
	fbx_be64(b + 2, ex->size);
	fbx_be16(b + 10, tflags);
	rep(hs, opt, FBX_NBD_REP_INFO, b, 12, NULL, 0);

	bool sent_name = false, sent_desc = false;
	const uint8_t *q = d + 4 + nlen + 2;
	for (unsigned i = 0; i < nreq; i++) {
		uint16_t what = fbx_ld16(q + 2 * i);
		if (what == FBX_NBD_INFO_NAME && !sent_name) {
			const char *n = ex->name ? ex->name : "";
			fbx_be16(b, FBX_NBD_INFO_NAME);
			rep(hs, opt, FBX_NBD_REP_INFO, b, 2, n, strlen(n));
			sent_name = true;
		} else if (what == FBX_NBD_INFO_DESCRIPTION && !sent_desc && ex->description) {
			fbx_be16(b, FBX_NBD_INFO_DESCRIPTION);
			rep(hs, opt, FBX_NBD_REP_INFO, b, 2, ex->description, strlen(ex->description));
			sent_desc = true;
		}
	}
	/* Block sizes, asked for or not: a client learns the largest
	 * request we take (the spec lets the server send it unasked). */
	fbx_be16(b, FBX_NBD_INFO_BLOCK_SIZE);
	fbx_be32(b + 2, ex->block_min);
	fbx_be32(b + 6, ex->block_pref);
	fbx_be32(b + 10, ex->block_max);
	rep(hs, opt, FBX_NBD_REP_INFO, b, 14, NULL, 0);
	rep(hs, opt, FBX_NBD_REP_ACK, NULL, 0, NULL, 0);
	if (opt == FBX_NBD_OPT_GO) {
		hs->tflags = tflags;
		return FBX_NBD_HS_TRANSMIT;
	}
	return FBX_NBD_HS_CONTINUE;
}

static const char meta_alloc_name[] = "base:allocation";

static int opt_meta(struct fbx_nbd_hs *hs, uint32_t opt, const uint8_t *d, uint32_t len)
{
	bool set = opt == FBX_NBD_OPT_SET_META_CONTEXT;
	if (!hs->structured)
		return rep_err(hs, opt, FBX_NBD_REP_ERR_INVALID, "structured replies not negotiated");
	/* Validate the whole message before answering any of it. */
	if (len < 8)
		return rep_err(hs, opt, FBX_NBD_REP_ERR_INVALID, "option too short");
	uint32_t nlen = fbx_ld32(d);
	if (nlen > len - 8)
		return rep_err(hs, opt, FBX_NBD_REP_ERR_INVALID, "bad name length");
	uint32_t nq = fbx_ld32(d + 4 + nlen);
	uint64_t pos = 8 + (uint64_t)nlen;
	for (uint32_t i = 0; i < nq; i++) {
		if (len - pos < 4)
			return rep_err(hs, opt, FBX_NBD_REP_ERR_INVALID, "truncated query");
		uint32_t ql = fbx_ld32(d + pos);
		if (ql > FBX_NBD_MAX_STRING)
			return rep_err(hs, opt, FBX_NBD_REP_ERR_TOO_BIG, "query too long");
		if (ql > len - pos - 4)
			return rep_err(hs, opt, FBX_NBD_REP_ERR_INVALID, "truncated query");
		pos += 4 + ql;
	}
	if (pos != len)
		return rep_err(hs, opt, FBX_NBD_REP_ERR_INVALID, "bad option length");
	if (!name_ok(hs, d + 4, nlen))
		return rep_err(hs, opt, FBX_NBD_REP_ERR_UNKNOWN, "no such export");

	bool match = false;
	if (nq == 0 && !set)
		match = true;           /* LIST with no query lists everything */
	pos = 8 + (uint64_t)nlen;
	for (uint32_t i = 0; i < nq; i++) {
		uint32_t ql = fbx_ld32(d + pos);
		const uint8_t *s = d + pos + 4;
		pos += 4 + ql;
		if (ql == sizeof meta_alloc_name - 1 && memcmp(s, meta_alloc_name, ql) == 0)
			match = true;
		else if (!set && ql == 5 && memcmp(s, "base:", 5) == 0)
			match = true;   /* a bare namespace lists all of it */
	}
	match = match && hs->ex->has_extents;
	if (set)
		hs->meta_alloc = match;
	if (match) {
		uint8_t id[4];
		fbx_be32(id, set ? FBX_NBD_META_ID_ALLOC : 0);
		rep(hs, opt, FBX_NBD_REP_META_CONTEXT, id, 4, meta_alloc_name, sizeof meta_alloc_name - 1);
	}
	rep(hs, opt, FBX_NBD_REP_ACK, NULL, 0, NULL, 0);
	return FBX_NBD_HS_CONTINUE;
}

int fbx_nbd_hs_option(struct fbx_nbd_hs *hs, uint32_t opt, const uint8_t *d, uint32_t len)
{
	hs->outlen = 0;
	hs->refused_name = NULL;
	hs->tls_refused = false;
	if (len && !d)
		return -EINVAL;
	if (hs->ex->tls == 2 && !hs->tls_up && opt != FBX_NBD_OPT_STARTTLS &&
	    opt != FBX_NBD_OPT_ABORT) {
		hs->tls_refused = true;
		if (opt == FBX_NBD_OPT_EXPORT_NAME)
			return -EPROTO;    /* no way to send an error: hang up */
		return rep_err(hs, opt, FBX_NBD_REP_ERR_TLS_REQD,
		               "TLS required: send NBD_OPT_STARTTLS first");
	}
	if (hs->shutting_down && opt != FBX_NBD_OPT_ABORT) {
		if (opt == FBX_NBD_OPT_EXPORT_NAME)
			return -EPROTO;
		return rep_err(hs, opt, FBX_NBD_REP_ERR_SHUTDOWN, "server shutting down");
	}
	switch (opt) {
	case FBX_NBD_OPT_EXPORT_NAME: {
		/* Cannot send an error: an unknown export ends the session. */
		if (hs->extended || !name_ok(hs, d, len))
			return -EPROTO;
		hs->tflags = final_tflags(hs);
		uint8_t *p = hs->out;
		fbx_be64(p, hs->ex->size);
		fbx_be16(p + 8, hs->tflags);
		hs->outlen = 10;
		if (!hs->no_zeroes) {
			memset(p + 10, 0, 124);
			hs->outlen += 124;
		}
		return FBX_NBD_HS_TRANSMIT;
	}
	case FBX_NBD_OPT_ABORT:
		rep(hs, opt, FBX_NBD_REP_ACK, NULL, 0, NULL, 0);
		return FBX_NBD_HS_CLOSE;
	case FBX_NBD_OPT_LIST: {
		if (len)
			return rep_err(hs, opt, FBX_NBD_REP_ERR_INVALID, "LIST takes no data");
		const char *n = hs->ex->name ? hs->ex->name : "";
		uint8_t b[4];
		fbx_be32(b, (uint32_t)strlen(n));
		rep(hs, opt, FBX_NBD_REP_SERVER, b, 4, n, strlen(n));
		rep(hs, opt, FBX_NBD_REP_ACK, NULL, 0, NULL, 0);
		return FBX_NBD_HS_CONTINUE;
	}
	case FBX_NBD_OPT_INFO:
	case FBX_NBD_OPT_GO:
		return opt_info_go(hs, opt, d, len);
	case FBX_NBD_OPT_STRUCTURED_REPLY:
		if (len)
			return rep_err(hs, opt, FBX_NBD_REP_ERR_INVALID, "option takes no data");
		if (hs->extended)
			return rep_err(hs, opt, FBX_NBD_REP_ERR_EXT_HEADER_REQD, "extended headers already on");
		if (hs->structured)
			return rep_err(hs, opt, FBX_NBD_REP_ERR_INVALID, "already negotiated");
		hs->structured = true;
		hs->meta_alloc = false;
		rep(hs, opt, FBX_NBD_REP_ACK, NULL, 0, NULL, 0);
		return FBX_NBD_HS_CONTINUE;
	case FBX_NBD_OPT_EXTENDED_HEADERS:
		if (len)
			return rep_err(hs, opt, FBX_NBD_REP_ERR_INVALID, "option takes no data");
		if (hs->extended)
			return rep_err(hs, opt, FBX_NBD_REP_ERR_INVALID, "already negotiated");
		hs->extended = hs->structured = true;
		hs->meta_alloc = false;
		rep(hs, opt, FBX_NBD_REP_ACK, NULL, 0, NULL, 0);
		return FBX_NBD_HS_CONTINUE;
	case FBX_NBD_OPT_LIST_META_CONTEXT:
	case FBX_NBD_OPT_SET_META_CONTEXT:
		return opt_meta(hs, opt, d, len);
	case FBX_NBD_OPT_STARTTLS:
		if (len)
			return rep_err(hs, opt, FBX_NBD_REP_ERR_INVALID, "option takes no data");
		if (!hs->ex->tls)
			return rep_err(hs, opt, FBX_NBD_REP_ERR_UNSUP, "TLS not enabled on this server");
		if (hs->tls_up)
			return rep_err(hs, opt, FBX_NBD_REP_ERR_INVALID, "TLS already on");
		/* what was negotiated in plaintext does not carry over */
		hs->structured = hs->extended = hs->meta_alloc = false;
		rep(hs, opt, FBX_NBD_REP_ACK, NULL, 0, NULL, 0);
		return FBX_NBD_HS_STARTTLS;
	default:
		return rep_err(hs, opt, FBX_NBD_REP_ERR_UNSUP, "unknown option");
	}
}

/* ===================== transmission ===================== */

int fbx_nbd_decode_request(const uint8_t *buf, size_t avail, bool extended,
                           struct fbx_nbd_req *r)
{
	size_t need = extended ? FBX_NBD_EXT_REQ_SIZE : FBX_NBD_REQ_SIZE;
	if (avail < 4)
		return 0;
	uint32_t magic = fbx_ld32(buf);
	if (magic != (extended ? FBX_NBD_EXT_REQUEST_MAGIC : FBX_NBD_REQUEST_MAGIC))
		return -EPROTO;
	if (avail < need)
		return 0;
	r->flags = fbx_ld16(buf + 4);
	r->type = fbx_ld16(buf + 6);
	r->cookie = fbx_ld64(buf + 8);
	r->offset = fbx_ld64(buf + 16);
	r->len = extended ? fbx_ld64(buf + 24) : fbx_ld32(buf + 24);
	return (int)need;
}

static bool in_range(const struct fbx_nbd_tx *tx, const struct fbx_nbd_req *r)
{
	return r->offset <= tx->size && r->len <= tx->size - r->offset;
}

static void refuse(struct fbx_nbd_verdict *v, uint32_t err, const char *why)
{
	if (!v->error) {
		v->error = err;
		v->why = why;
	}
}

void fbx_nbd_check_request(const struct fbx_nbd_tx *tx, const struct fbx_nbd_req *r,
                           struct fbx_nbd_verdict *v)
{
	memset(v, 0, sizeof *v);
	uint16_t tf = tx->tflags;
	bool ro = tf & FBX_NBD_FLAG_READ_ONLY;

	/* First: how many payload bytes follow, so the stream stays in step. */
	if (r->type == FBX_NBD_CMD_WRITE) {
		if (tx->extended && !(r->flags & FBX_NBD_CMD_FLAG_PAYLOAD_LEN)) {
			/* Without the flag the length is not a payload length:
			 * we cannot know where the next request starts. */
			v->error = FBX_NBD_EINVAL;
			v->why = "extended write without PAYLOAD_LEN";
			v->disconnect = true;
			return;
		}
		v->payload = r->len;
	} else if (tx->extended && (r->flags & FBX_NBD_CMD_FLAG_PAYLOAD_LEN)) {
		v->payload = r->len;
		refuse(v, FBX_NBD_EINVAL, "payload on a command that takes none");
	}

	uint32_t allowed = 0;
	uint32_t oor = FBX_NBD_EINVAL;   /* error for a range past the end */
	switch (r->type) {
	case FBX_NBD_CMD_READ:
		if (tf & FBX_NBD_FLAG_SEND_DF)
			allowed = FBX_NBD_CMD_FLAG_DF;
		break;
	case FBX_NBD_CMD_WRITE:
		oor = FBX_NBD_ENOSPC;
		if (tf & FBX_NBD_FLAG_SEND_FUA)
			allowed = FBX_NBD_CMD_FLAG_FUA;
		if (ro)
			refuse(v, FBX_NBD_EPERM, "write to a read-only export");
		break;
	case FBX_NBD_CMD_FLUSH:
		if (!(tf & FBX_NBD_FLAG_SEND_FLUSH))
			refuse(v, FBX_NBD_EINVAL, "flush not offered");
		if (r->offset || r->len)
			refuse(v, FBX_NBD_EINVAL, "flush with offset or length");
		break;
	case FBX_NBD_CMD_TRIM:
		oor = FBX_NBD_ENOSPC;
		if (ro)     /* EPERM first: a read-only export refuses all writing */
			refuse(v, FBX_NBD_EPERM, "trim on a read-only export");
		if (!(tf & FBX_NBD_FLAG_SEND_TRIM))
			refuse(v, FBX_NBD_EINVAL, "trim not offered");
		if (tf & FBX_NBD_FLAG_SEND_FUA)
			allowed = FBX_NBD_CMD_FLAG_FUA;
		break;
	case FBX_NBD_CMD_CACHE:
		if (!(tf & FBX_NBD_FLAG_SEND_CACHE))
			refuse(v, FBX_NBD_EINVAL, "cache not offered");
		break;
	case FBX_NBD_CMD_WRITE_ZEROES:
		oor = FBX_NBD_ENOSPC;
		if (ro)
			refuse(v, FBX_NBD_EPERM, "write zeroes on a read-only export");
		if (!(tf & FBX_NBD_FLAG_SEND_WRITE_ZEROES))
			refuse(v, FBX_NBD_EINVAL, "write zeroes not offered");
		allowed = FBX_NBD_CMD_FLAG_NO_HOLE;
		if (tf & FBX_NBD_FLAG_SEND_FUA)
			allowed |= FBX_NBD_CMD_FLAG_FUA;
		if (tf & FBX_NBD_FLAG_SEND_FAST_ZERO)
			allowed |= FBX_NBD_CMD_FLAG_FAST_ZERO;
		break;
	case FBX_NBD_CMD_BLOCK_STATUS:
		if (!tx->structured || !tx->meta_alloc)
			refuse(v, FBX_NBD_EINVAL, "block status without a metadata context");
		allowed = FBX_NBD_CMD_FLAG_REQ_ONE;
		break;
	case FBX_NBD_CMD_DISC:
		return;     /* the caller ends the session; flags do not matter */
	default:
		refuse(v, FBX_NBD_EINVAL, "unknown command");
		break;
	}
	if (tx->extended)
		allowed |= FBX_NBD_CMD_FLAG_PAYLOAD_LEN;
	if (r->flags & ~allowed)
		refuse(v, FBX_NBD_EINVAL, "unknown or unexpected command flag");

	if (r->type == FBX_NBD_CMD_READ || r->type == FBX_NBD_CMD_WRITE) {
		/* block_max is what we advertise; a longer read is still served
		 * (in pieces, as the spec allows), up to FBX_NBD_MAX_READ */
		if (r->type == FBX_NBD_CMD_READ ? r->len > FBX_NBD_MAX_READ : r->len > tx->block_max)
			refuse(v, r->type == FBX_NBD_CMD_READ || r->len > UINT32_MAX ? FBX_NBD_EOVERFLOW
			       : FBX_NBD_EINVAL, "request larger than the maximum block size");
	}
	if (r->type != FBX_NBD_CMD_FLUSH && r->type < 8 && r->type != FBX_NBD_CMD_DISC) {
		if (r->len == 0)
			refuse(v, FBX_NBD_EINVAL, "zero length");
		else if (!in_range(tx, r))
			refuse(v, oor, "range past the end of the export");
		else if (tx->block_min > 1 &&
		         ((r->offset | r->len) & (uint64_t)(tx->block_min - 1)))
			refuse(v, FBX_NBD_EINVAL, "unaligned request");
	}

	if (v->payload) {
		if (v->error)
			v->drop_payload = true;
		if (v->payload > FBX_NBD_MAX_DRAIN)
			v->disconnect = true;   /* not worth reading: hang up */
	}
}

/* ---- reply builders ---- */

static size_t put_chunk(uint8_t *b, const struct fbx_nbd_tx *tx, const struct fbx_nbd_req *r,
                        uint16_t flags, uint16_t type, uint64_t plen)
{
	if (tx->extended) {
		fbx_be32(b, FBX_NBD_EXT_REPLY_MAGIC);
		fbx_be16(b + 4, flags);
		fbx_be16(b + 6, type);
		fbx_be64(b + 8, r->cookie);
		fbx_be64(b + 16, r->offset);
		fbx_be64(b + 24, plen);
		return FBX_NBD_EXT_CHUNK_SIZE;
	}
	fbx_be32(b, FBX_NBD_STRUCTURED_MAGIC);
	fbx_be16(b + 4, flags);
	fbx_be16(b + 6, type);
	fbx_be64(b + 8, r->cookie);
	fbx_be32(b + 16, (uint32_t)plen);
	return FBX_NBD_CHUNK_SIZE;
}

static size_t put_simple(uint8_t *b, uint32_t err, uint64_t cookie)
{
	fbx_be32(b, FBX_NBD_SIMPLE_MAGIC);
	fbx_be32(b + 4, err);
	fbx_be64(b + 8, cookie);
	return FBX_NBD_SIMPLE_SIZE;
}

size_t fbx_nbd_put_done(uint8_t *b, const struct fbx_nbd_tx *tx, const struct fbx_nbd_req *r,
                        uint32_t err, const char *msg)
{
	if (!tx->structured)
		return put_simple(b, err, r->cookie);
	if (!err) {
		if (!tx->extended)
			return put_simple(b, 0, r->cookie);
		return put_chunk(b, tx, r, FBX_NBD_REPLY_FLAG_DONE, FBX_NBD_REPLY_NONE, 0);
	}
	size_t ml = msg ? strnlen(msg, 256) : 0;
	size_t n = put_chunk(b, tx, r, FBX_NBD_REPLY_FLAG_DONE, FBX_NBD_REPLY_ERROR, 6 + ml);
	fbx_be32(b + n, err);
	fbx_be16(b + n + 4, (uint16_t)ml);
	if (ml)
		memcpy(b + n + 6, msg, ml);
	return n + 6 + ml;
}

size_t fbx_nbd_put_read_hdr(uint8_t *b, const struct fbx_nbd_tx *tx, const struct fbx_nbd_req *r,
                            uint16_t flags, uint64_t off, uint64_t len)
{
	if (!tx->structured)
		return put_simple(b, 0, r->cookie);
	size_t n = put_chunk(b, tx, r, flags, FBX_NBD_REPLY_OFFSET_DATA, 8 + len);
	fbx_be64(b + n, off);
	return n + 8;
}

size_t fbx_nbd_put_hole(uint8_t *b, const struct fbx_nbd_tx *tx, const struct fbx_nbd_req *r,
                        uint16_t flags, uint64_t off, uint32_t len)
{
	size_t n = put_chunk(b, tx, r, flags, FBX_NBD_REPLY_OFFSET_HOLE, 12);
	fbx_be64(b + n, off);
	fbx_be32(b + n + 8, len);
	return n + 12;
}

size_t fbx_nbd_put_bs_hdr(uint8_t *b, const struct fbx_nbd_tx *tx, const struct fbx_nbd_req *r,
                          uint32_t n)
{
	if (tx->extended) {
		size_t h = put_chunk(b, tx, r, FBX_NBD_REPLY_FLAG_DONE, FBX_NBD_REPLY_BLOCK_STATUS_EXT,
		                     8 + 16 * (uint64_t)n);
		fbx_be32(b + h, FBX_NBD_META_ID_ALLOC);
		fbx_be32(b + h + 4, n);
		return h + 8;
	}
	size_t h = put_chunk(b, tx, r, FBX_NBD_REPLY_FLAG_DONE, FBX_NBD_REPLY_BLOCK_STATUS,
	                     4 + 8 * (uint64_t)n);
	fbx_be32(b + h, FBX_NBD_META_ID_ALLOC);
	return h + 4;
}

size_t fbx_nbd_put_extent(uint8_t *b, const struct fbx_nbd_tx *tx, uint64_t len, uint32_t flags)
{
	if (tx->extended) {
		fbx_be64(b, len);
		fbx_be64(b + 8, flags);
		return 16;
	}
	fbx_be32(b, (uint32_t)len);
	fbx_be32(b + 4, flags);
	return 8;
}
