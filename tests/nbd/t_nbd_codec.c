/*
 * t_nbd_codec -- the pure NBD codec with hand-built messages: the
 * handshake options (good, truncated, oversized, out of order) and the
 * request checks of the spec's error rules.
 */
#include <errno.h>
#include <string.h>

#include "nbd/proto.h"
#include "../lib/check.h"

static struct fbx_nbd_export ex = {
	.size = 1 << 20,
	.tflags = FBX_NBD_FLAG_SEND_FLUSH | FBX_NBD_FLAG_SEND_FUA | FBX_NBD_FLAG_SEND_TRIM |
	          FBX_NBD_FLAG_SEND_WRITE_ZEROES | FBX_NBD_FLAG_SEND_FAST_ZERO,
	.block_min = 1, .block_pref = 4096, .block_max = 1 << 16,
	.has_extents = true, .name = "disk", .description = "a test disk",
};

/* Walk hs->out as option replies; return the type of reply i, or 0. */
static uint32_t reply_type(const struct fbx_nbd_hs *hs, int i, uint32_t *len, const uint8_t **data)
{
	size_t p = 0;
	for (;;) {
		if (p + 20 > hs->outlen)
			return 0;
		CHECK(fbx_ld64(hs->out + p) == FBX_NBD_OPT_REPLY_MAGIC);
		uint32_t l = fbx_ld32(hs->out + p + 16);
		if (i-- == 0) {
			if (len)
				*len = l;
			if (data)
				*data = hs->out + p + 20;
			return fbx_ld32(hs->out + p + 12);
		}
		p += 20 + l;
	}
}

static size_t go_data(uint8_t *b, const char *name, int nreq, const uint16_t *req)
{
	size_t n = strlen(name), p = 0;
	fbx_be32(b, (uint32_t)n);
	memcpy(b + 4, name, n);
	p = 4 + n;
	fbx_be16(b + p, (uint16_t)nreq);
	p += 2;
	for (int i = 0; i < nreq; i++, p += 2)
		fbx_be16(b + p, req[i]);
	return p;
}

static size_t meta_data(uint8_t *b, const char *name, int nq, const char *const *q)
{
	size_t n = strlen(name), p = 0;
	fbx_be32(b, (uint32_t)n);
	memcpy(b + 4, name, n);
	p = 4 + n;
	fbx_be32(b + p, (uint32_t)nq);
	p += 4;
	for (int i = 0; i < nq; i++) {
		size_t l = strlen(q[i]);
		fbx_be32(b + p, (uint32_t)l);
		memcpy(b + p + 4, q[i], l);
		p += 4 + l;
	}
	return p;
}

static void test_handshake(void)
{
	static struct fbx_nbd_hs hs;
	uint8_t b[256], g[18];
	fbx_nbd_hs_init(&hs, &ex);
	CHECK_EQ_INT(fbx_nbd_hs_greeting(g), 18);
	CHECK(fbx_ld64(g) == FBX_NBD_MAGIC && fbx_ld64(g + 8) == FBX_NBD_IHAVEOPT);
	CHECK_EQ_INT(fbx_ld16(g + 16), 3);

	/* client flags: unknown bits mean disconnect */
	fbx_be32(b, 4);
	CHECK_EQ_INT(fbx_nbd_hs_client_flags(&hs, b), -EPROTO);
	fbx_be32(b, 3);
	CHECK_EQ_INT(fbx_nbd_hs_client_flags(&hs, b), 0);
	CHECK(hs.fixed && hs.no_zeroes);

	/* option headers */
	uint32_t opt, len;
	fbx_be64(b, FBX_NBD_IHAVEOPT);
	fbx_be32(b + 8, FBX_NBD_OPT_GO);
	fbx_be32(b + 12, 10);
	CHECK_EQ_INT(fbx_nbd_hs_option_header(&hs, b, &opt, &len), 0);
	CHECK_EQ_INT(opt, FBX_NBD_OPT_GO);
	CHECK_EQ_INT(len, 10);
	fbx_be32(b + 12, FBX_NBD_MAX_OPTLEN + 1);
	CHECK_EQ_INT(fbx_nbd_hs_option_header(&hs, b, &opt, &len), -E2BIG);
	b[0] ^= 1;
	CHECK_EQ_INT(fbx_nbd_hs_option_header(&hs, b, &opt, &len), -EPROTO);

	/* unknown option, STARTTLS, LIST with data */
	CHECK_EQ_INT(fbx_nbd_hs_option(&hs, 999, NULL, 0), FBX_NBD_HS_CONTINUE);
	CHECK(reply_type(&hs, 0, NULL, NULL) == FBX_NBD_REP_ERR_UNSUP);
	CHECK_EQ_INT(fbx_nbd_hs_option(&hs, FBX_NBD_OPT_STARTTLS, NULL, 0), FBX_NBD_HS_CONTINUE);
	CHECK(reply_type(&hs, 0, NULL, NULL) == FBX_NBD_REP_ERR_UNSUP);
	CHECK_EQ_INT(fbx_nbd_hs_option(&hs, FBX_NBD_OPT_LIST, b, 3), FBX_NBD_HS_CONTINUE);
	CHECK(reply_type(&hs, 0, NULL, NULL) == FBX_NBD_REP_ERR_INVALID);
	CHECK_EQ_INT(fbx_nbd_hs_option(&hs, FBX_NBD_OPT_LIST, NULL, 0), FBX_NBD_HS_CONTINUE);
	const uint8_t *d;
	CHECK(reply_type(&hs, 0, &len, &d) == FBX_NBD_REP_SERVER);
	CHECK(len == 8 && fbx_ld32(d) == 4 && memcmp(d + 4, "disk", 4) == 0);
	CHECK(reply_type(&hs, 1, NULL, NULL) == FBX_NBD_REP_ACK);

	/* meta contexts need structured replies first */
	const char *q[] = { "base:allocation" };
	size_t n = meta_data(b, "disk", 1, q);
	fbx_nbd_hs_option(&hs, FBX_NBD_OPT_SET_META_CONTEXT, b, (uint32_t)n);
	CHECK(reply_type(&hs, 0, NULL, NULL) == FBX_NBD_REP_ERR_INVALID);
	CHECK_EQ_INT(fbx_nbd_hs_option(&hs, FBX_NBD_OPT_STRUCTURED_REPLY, NULL, 0), FBX_NBD_HS_CONTINUE);
	CHECK(reply_type(&hs, 0, NULL, NULL) == FBX_NBD_REP_ACK);
	fbx_nbd_hs_option(&hs, FBX_NBD_OPT_STRUCTURED_REPLY, NULL, 0);
	CHECK(reply_type(&hs, 0, NULL, NULL) == FBX_NBD_REP_ERR_INVALID);
	fbx_nbd_hs_option(&hs, FBX_NBD_OPT_SET_META_CONTEXT, b, (uint32_t)n);
	CHECK(reply_type(&hs, 0, &len, &d) == FBX_NBD_REP_META_CONTEXT);
	CHECK(len == 4 + 15 && fbx_ld32(d) == FBX_NBD_META_ID_ALLOC);
	CHECK(reply_type(&hs, 1, NULL, NULL) == FBX_NBD_REP_ACK);
	CHECK(hs.meta_alloc);
	/* truncated query: length says more than there is */
	fbx_nbd_hs_option(&hs, FBX_NBD_OPT_SET_META_CONTEXT, b, (uint32_t)n - 1);
	CHECK(reply_type(&hs, 0, NULL, NULL) == FBX_NBD_REP_ERR_INVALID);
	/* wrong export */
	n = meta_data(b, "other", 1, q);
	fbx_nbd_hs_option(&hs, FBX_NBD_OPT_LIST_META_CONTEXT, b, (uint32_t)n);
	CHECK(reply_type(&hs, 0, NULL, NULL) == FBX_NBD_REP_ERR_UNKNOWN);
	/* LIST with "base:" lists, unknown namespace lists nothing */
	const char *q2[] = { "base:" }, *q3[] = { "qemu:dirty-bitmap:x" };
	n = meta_data(b, "", 1, q2);
	fbx_nbd_hs_option(&hs, FBX_NBD_OPT_LIST_META_CONTEXT, b, (uint32_t)n);
	CHECK(reply_type(&hs, 0, &len, &d) == FBX_NBD_REP_META_CONTEXT && fbx_ld32(d) == 0);
	n = meta_data(b, "", 1, q3);
	fbx_nbd_hs_option(&hs, FBX_NBD_OPT_LIST_META_CONTEXT, b, (uint32_t)n);
	CHECK(reply_type(&hs, 0, NULL, NULL) == FBX_NBD_REP_ACK);
	/* query length over the limit */
	fbx_be32(b, 0);
	fbx_be32(b + 4, 1);
	fbx_be32(b + 8, 100000);
	fbx_nbd_hs_option(&hs, FBX_NBD_OPT_LIST_META_CONTEXT, b, 12);
	CHECK(reply_type(&hs, 0, NULL, NULL) == FBX_NBD_REP_ERR_TOO_BIG);

	/* INFO: bad lengths, unknown export, then a good one */
	uint16_t req[] = { FBX_NBD_INFO_NAME, FBX_NBD_INFO_DESCRIPTION, FBX_NBD_INFO_BLOCK_SIZE };
	n = go_data(b, "disk", 3, req);
	fbx_nbd_hs_option(&hs, FBX_NBD_OPT_INFO, b, (uint32_t)n - 1);
	CHECK(reply_type(&hs, 0, NULL, NULL) == FBX_NBD_REP_ERR_INVALID);
	fbx_nbd_hs_option(&hs, FBX_NBD_OPT_INFO, b, 3);
	CHECK(reply_type(&hs, 0, NULL, NULL) == FBX_NBD_REP_ERR_INVALID);
	fbx_be32(b, 0xffffffffu);
	fbx_nbd_hs_option(&hs, FBX_NBD_OPT_INFO, b, (uint32_t)n);
	CHECK(reply_type(&hs, 0, NULL, NULL) == FBX_NBD_REP_ERR_INVALID);
	n = go_data(b, "nope", 0, NULL);
	fbx_nbd_hs_option(&hs, FBX_NBD_OPT_INFO, b, (uint32_t)n);
	CHECK(reply_type(&hs, 0, NULL, NULL) == FBX_NBD_REP_ERR_UNKNOWN);
	n = go_data(b, "disk", 3, req);
	CHECK_EQ_INT(fbx_nbd_hs_option(&hs, FBX_NBD_OPT_INFO, b, (uint32_t)n), FBX_NBD_HS_CONTINUE);
	CHECK(reply_type(&hs, 0, &len, &d) == FBX_NBD_REP_INFO);
	CHECK(len == 12 && fbx_ld16(d) == FBX_NBD_INFO_EXPORT && fbx_ld64(d + 2) == ex.size);
	uint16_t tf = fbx_ld16(d + 10);
	CHECK(tf & FBX_NBD_FLAG_HAS_FLAGS && tf & FBX_NBD_FLAG_SEND_DF && tf & FBX_NBD_FLAG_SEND_TRIM);
	CHECK(reply_type(&hs, 1, &len, &d) == FBX_NBD_REP_INFO && fbx_ld16(d) == FBX_NBD_INFO_NAME);
	CHECK(reply_type(&hs, 2, &len, &d) == FBX_NBD_REP_INFO && fbx_ld16(d) == FBX_NBD_INFO_DESCRIPTION);
	CHECK(reply_type(&hs, 3, &len, &d) == FBX_NBD_REP_INFO && len == 14 &&
	      fbx_ld32(d + 10) == ex.block_max);
	CHECK(reply_type(&hs, 4, NULL, NULL) == FBX_NBD_REP_ACK);

	/* extended headers after structured: ok, then structured is refused */
	CHECK_EQ_INT(fbx_nbd_hs_option(&hs, FBX_NBD_OPT_EXTENDED_HEADERS, NULL, 0), 0);
	CHECK(reply_type(&hs, 0, NULL, NULL) == FBX_NBD_REP_ACK);
	CHECK(!hs.meta_alloc);      /* contexts are negotiated again */
	fbx_nbd_hs_option(&hs, FBX_NBD_OPT_STRUCTURED_REPLY, NULL, 0);
	CHECK(reply_type(&hs, 0, NULL, NULL) == FBX_NBD_REP_ERR_EXT_HEADER_REQD);
	/* EXPORT_NAME is not allowed with extended headers */
	CHECK_EQ_INT(fbx_nbd_hs_option(&hs, FBX_NBD_OPT_EXPORT_NAME, (const uint8_t *)"", 0), -EPROTO);
	/* shutting down: options are refused, ABORT still acknowledged */
	hs.shutting_down = true;
	fbx_nbd_hs_option(&hs, FBX_NBD_OPT_LIST, NULL, 0);
	CHECK(reply_type(&hs, 0, NULL, NULL) == FBX_NBD_REP_ERR_SHUTDOWN);
	CHECK_EQ_INT(fbx_nbd_hs_option(&hs, FBX_NBD_OPT_ABORT, NULL, 0), FBX_NBD_HS_CLOSE);
	CHECK(reply_type(&hs, 0, NULL, NULL) == FBX_NBD_REP_ACK);
	hs.shutting_down = false;
	/* GO enters transmission */
	n = go_data(b, "", 0, NULL);
	CHECK_EQ_INT(fbx_nbd_hs_option(&hs, FBX_NBD_OPT_GO, b, (uint32_t)n), FBX_NBD_HS_TRANSMIT);
	CHECK(hs.tflags & FBX_NBD_FLAG_SEND_DF);

	/* old-style EXPORT_NAME: 10 bytes with NO_ZEROES, 134 without */
	fbx_nbd_hs_init(&hs, &ex);
	fbx_be32(b, 1);
	fbx_nbd_hs_client_flags(&hs, b);
	CHECK_EQ_INT(fbx_nbd_hs_option(&hs, FBX_NBD_OPT_EXPORT_NAME, (const uint8_t *)"disk", 4),
	             FBX_NBD_HS_TRANSMIT);
	CHECK_EQ_INT(hs.outlen, 134);
	CHECK(!(fbx_ld16(hs.out + 8) & FBX_NBD_FLAG_SEND_DF));
	fbx_nbd_hs_init(&hs, &ex);
	CHECK_EQ_INT(fbx_nbd_hs_option(&hs, FBX_NBD_OPT_EXPORT_NAME, (const uint8_t *)"x", 1), -EPROTO);
	/* too many options */
	fbx_be64(b, FBX_NBD_IHAVEOPT);
	fbx_be32(b + 8, 1);
	fbx_be32(b + 12, 0);
	int rc = 0;
	for (int i = 0; i <= FBX_NBD_MAX_OPTIONS && rc == 0; i++)
		rc = fbx_nbd_hs_option_header(&hs, b, &opt, &len);
	CHECK_EQ_INT(rc, -ELOOP);
}

static struct fbx_nbd_tx tx = {
	.size = 1 << 20,
	.tflags = FBX_NBD_FLAG_HAS_FLAGS | FBX_NBD_FLAG_SEND_FLUSH | FBX_NBD_FLAG_SEND_FUA |
	          FBX_NBD_FLAG_SEND_TRIM | FBX_NBD_FLAG_SEND_WRITE_ZEROES | FBX_NBD_FLAG_SEND_DF,
	.structured = true, .meta_alloc = true, .block_min = 1, .block_max = 1 << 16,
};

static uint32_t verdict(uint16_t type, uint16_t flags, uint64_t off, uint64_t len,
                        struct fbx_nbd_verdict *v)
{
	struct fbx_nbd_req r = { .type = type, .flags = flags, .offset = off, .len = len };
	fbx_nbd_check_request(&tx, &r, v);
	return v->error;
}

static void test_requests(void)
{
	uint8_t b[64];
	struct fbx_nbd_req r;
	/* decode: truncated, bad magic, good */
	fbx_be32(b, FBX_NBD_REQUEST_MAGIC);
	fbx_be16(b + 4, 1);
	fbx_be16(b + 6, FBX_NBD_CMD_WRITE);
	fbx_be64(b + 8, 0x1122334455667788ull);
	fbx_be64(b + 16, 4096);
	fbx_be32(b + 24, 512);
	CHECK_EQ_INT(fbx_nbd_decode_request(b, 27, false, &r), 0);
	CHECK_EQ_INT(fbx_nbd_decode_request(b, 3, false, &r), 0);
	CHECK_EQ_INT(fbx_nbd_decode_request(b, 28, false, &r), 28);
	CHECK(r.type == FBX_NBD_CMD_WRITE && r.flags == 1 && r.cookie == 0x1122334455667788ull &&
	      r.offset == 4096 && r.len == 512);
	CHECK_EQ_INT(fbx_nbd_decode_request(b, 28, true, &r), -EPROTO);
	b[0] = 0;
	CHECK_EQ_INT(fbx_nbd_decode_request(b, 28, false, &r), -EPROTO);
	CHECK_EQ_INT(fbx_nbd_decode_request(b, 4, false, &r), -EPROTO);
	fbx_be32(b, FBX_NBD_EXT_REQUEST_MAGIC);
	fbx_be64(b + 24, 1ull << 40);
	CHECK_EQ_INT(fbx_nbd_decode_request(b, 31, true, &r), 0);
	CHECK_EQ_INT(fbx_nbd_decode_request(b, 32, true, &r), 32);
	CHECK(r.len == 1ull << 40);

	struct fbx_nbd_verdict v;
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_READ, 0, 0, 4096, &v), 0);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_READ, 0, (1 << 20) - 1, 2, &v), FBX_NBD_EINVAL);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_READ, 0, UINT64_MAX, 1, &v), FBX_NBD_EINVAL);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_READ, 0, 0, 0, &v), FBX_NBD_EINVAL);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_READ, FBX_NBD_CMD_FLAG_DF, 0, 1, &v), 0);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_READ, FBX_NBD_CMD_FLAG_FUA, 0, 1, &v), FBX_NBD_EINVAL);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_READ, 0x8000, 0, 1, &v), FBX_NBD_EINVAL);
	/* over block_max: served in pieces (within the export); over
	 * FBX_NBD_MAX_READ: EOVERFLOW */
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_READ, 0, 0, (1 << 16) + 1, &v), 0);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_READ, 0, 0, (uint64_t)FBX_NBD_MAX_READ + 1, &v),
	             FBX_NBD_EOVERFLOW);
	/* writes: payload always accounted for */
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_WRITE, FBX_NBD_CMD_FLAG_FUA, 0, 512, &v), 0);
	CHECK(v.payload == 512 && !v.drop_payload && !v.disconnect);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_WRITE, 0, (1 << 20) - 10, 512, &v), FBX_NBD_ENOSPC);
	CHECK(v.payload == 512 && v.drop_payload && !v.disconnect);
	CHECK(verdict(FBX_NBD_CMD_WRITE, 0, 0, 1 << 17, &v) != 0);
	CHECK(v.drop_payload && !v.disconnect);
	CHECK(verdict(FBX_NBD_CMD_WRITE, 0, 0, 0xffffffffu, &v) != 0);
	CHECK(v.disconnect);        /* not worth reading 4 GB */
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_WRITE, FBX_NBD_CMD_FLAG_NO_HOLE, 0, 1, &v), FBX_NBD_EINVAL);
	/* flush, trim, zero, cache, block status, unknown */
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_FLUSH, 0, 0, 0, &v), 0);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_FLUSH, 0, 1, 0, &v), FBX_NBD_EINVAL);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_TRIM, 0, 0, 1 << 20, &v), 0);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_TRIM, 0, 1, 1 << 20, &v), FBX_NBD_ENOSPC);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_WRITE_ZEROES, FBX_NBD_CMD_FLAG_NO_HOLE | FBX_NBD_CMD_FLAG_FUA,
	                     0, 1 << 20, &v), 0);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_WRITE_ZEROES, FBX_NBD_CMD_FLAG_FAST_ZERO, 0, 1, &v),
	             FBX_NBD_EINVAL);   /* fast zero not offered here */
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_CACHE, 0, 0, 1, &v), FBX_NBD_EINVAL);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_BLOCK_STATUS, FBX_NBD_CMD_FLAG_REQ_ONE, 0, 1 << 20, &v), 0);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_BLOCK_STATUS, 0, 0, (1 << 20) + 1, &v), FBX_NBD_EINVAL);
	CHECK_EQ_INT(verdict(99, 0, 0, 0, &v), FBX_NBD_EINVAL);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_DISC, 0xffff, 0, 0, &v), 0);
	/* read-only */
	tx.tflags |= FBX_NBD_FLAG_READ_ONLY;
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_WRITE, 0, 0, 512, &v), FBX_NBD_EPERM);
	CHECK(v.drop_payload);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_TRIM, 0, 0, 512, &v), FBX_NBD_EPERM);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_WRITE_ZEROES, 0, 0, 512, &v), FBX_NBD_EPERM);
	tx.tflags &= ~FBX_NBD_FLAG_READ_ONLY;
	/* alignment */
	tx.block_min = 512;
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_READ, 0, 512, 1024, &v), 0);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_READ, 0, 1, 512, &v), FBX_NBD_EINVAL);
	tx.block_min = 1;
	/* extended: write needs PAYLOAD_LEN; payload on others is refused and dropped */
	tx.extended = true;
	CHECK(verdict(FBX_NBD_CMD_WRITE, 0, 0, 512, &v) != 0 && v.disconnect);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_WRITE, FBX_NBD_CMD_FLAG_PAYLOAD_LEN, 0, 512, &v), 0);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_TRIM, FBX_NBD_CMD_FLAG_PAYLOAD_LEN, 0, 512, &v), FBX_NBD_EINVAL);
	CHECK(v.payload == 512 && v.drop_payload);
	CHECK_EQ_INT(verdict(FBX_NBD_CMD_TRIM, 0, 0, 1 << 20, &v), 0);
	tx.extended = false;

	/* reply builders */
	uint8_t o[512];
	r = (struct fbx_nbd_req){ .cookie = 7, .offset = 4096, .len = 100 };
	CHECK_EQ_INT(fbx_nbd_put_done(o, &tx, &r, 0, NULL), 16);
	CHECK(fbx_ld32(o) == FBX_NBD_SIMPLE_MAGIC && fbx_ld32(o + 4) == 0 && fbx_ld64(o + 8) == 7);
	CHECK_EQ_INT(fbx_nbd_put_done(o, &tx, &r, FBX_NBD_EIO, "boom"), 20 + 6 + 4);
	CHECK(fbx_ld32(o) == FBX_NBD_STRUCTURED_MAGIC && fbx_ld16(o + 4) == FBX_NBD_REPLY_FLAG_DONE &&
	      fbx_ld16(o + 6) == FBX_NBD_REPLY_ERROR && fbx_ld32(o + 20) == FBX_NBD_EIO);
	CHECK_EQ_INT(fbx_nbd_put_read_hdr(o, &tx, &r, 1, 4096, 100), 28);
	CHECK(fbx_ld32(o + 16) == 108 && fbx_ld64(o + 20) == 4096);
	CHECK_EQ_INT(fbx_nbd_put_hole(o, &tx, &r, 0, 8192, 4096), 32);
	CHECK_EQ_INT(fbx_nbd_put_bs_hdr(o, &tx, &r, 2), 24);
	CHECK(fbx_ld32(o + 16) == 4 + 16);
	tx.extended = true;
	CHECK_EQ_INT(fbx_nbd_put_done(o, &tx, &r, 0, NULL), 32);
	CHECK(fbx_ld32(o) == FBX_NBD_EXT_REPLY_MAGIC && fbx_ld64(o + 16) == 4096 && fbx_ld64(o + 24) == 0);
	CHECK_EQ_INT(fbx_nbd_put_bs_hdr(o, &tx, &r, 3), 40);
	CHECK(fbx_ld16(o + 6) == FBX_NBD_REPLY_BLOCK_STATUS_EXT && fbx_ld64(o + 24) == 8 + 48);
	CHECK_EQ_INT(fbx_nbd_put_extent(o, &tx, 1ull << 40, 3), 16);
	tx.extended = false;
	tx.structured = false;
	CHECK_EQ_INT(fbx_nbd_put_done(o, &tx, &r, FBX_NBD_EIO, "boom"), 16);
	CHECK(fbx_ld32(o + 4) == FBX_NBD_EIO);
	CHECK_EQ_INT(fbx_nbd_put_read_hdr(o, &tx, &r, 1, 4096, 100), 16);
	tx.structured = true;

	/* errno mapping */
	CHECK_EQ_INT(fbx_nbd_wire_error(-EROFS), FBX_NBD_EPERM);
	CHECK_EQ_INT(fbx_nbd_wire_error(-EDQUOT), FBX_NBD_ENOSPC);
	CHECK_EQ_INT(fbx_nbd_wire_error(-ENOENT), FBX_NBD_EIO);
	CHECK_EQ_INT(fbx_nbd_wire_error(-EOPNOTSUPP), FBX_NBD_ENOTSUP);
	CHECK_EQ_INT(fbx_nbd_wire_error(0), 0);
}

int main(void)
{
	test_handshake();
	test_requests();
	return check_exit();
}
