/*
 * lib/nbd/proto.h -- the NBD protocol: wire constants (our own
 * definitions, from the spec's doc/proto.md) and the pure codec
 * (codec.c): it parses handshake options and request headers out of
 * byte buffers and builds replies into byte buffers. No I/O, no
 * allocation, no threads: it is fuzzed on its own.
 *
 * All multi-byte fields are big-endian on the wire.
 */
#ifndef FBX_NBD_PROTO_H
#define FBX_NBD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- handshake --- */
#define FBX_NBD_MAGIC            0x4e42444d41474943ull /* "NBDMAGIC" */
#define FBX_NBD_IHAVEOPT         0x49484156454F5054ull /* "IHAVEOPT" */
#define FBX_NBD_OPT_REPLY_MAGIC  0x3e889045565a9ull

#define FBX_NBD_FLAG_FIXED_NEWSTYLE   (1u << 0)  /* handshake flags */
#define FBX_NBD_FLAG_NO_ZEROES        (1u << 1)
#define FBX_NBD_FLAG_C_FIXED_NEWSTYLE (1u << 0)  /* client flags */
#define FBX_NBD_FLAG_C_NO_ZEROES      (1u << 1)

enum {
	FBX_NBD_OPT_EXPORT_NAME = 1, FBX_NBD_OPT_ABORT = 2, FBX_NBD_OPT_LIST = 3,
	FBX_NBD_OPT_STARTTLS = 5, FBX_NBD_OPT_INFO = 6, FBX_NBD_OPT_GO = 7,
	FBX_NBD_OPT_STRUCTURED_REPLY = 8, FBX_NBD_OPT_LIST_META_CONTEXT = 9,
	FBX_NBD_OPT_SET_META_CONTEXT = 10, FBX_NBD_OPT_EXTENDED_HEADERS = 11,
};

#define FBX_NBD_REP_ERR(n) (0x80000000u | (n))
enum {
	FBX_NBD_REP_ACK = 1, FBX_NBD_REP_SERVER = 2, FBX_NBD_REP_INFO = 3,
	FBX_NBD_REP_META_CONTEXT = 4,
};
#define FBX_NBD_REP_ERR_UNSUP           FBX_NBD_REP_ERR(1)
#define FBX_NBD_REP_ERR_POLICY          FBX_NBD_REP_ERR(2)
#define FBX_NBD_REP_ERR_INVALID         FBX_NBD_REP_ERR(3)
#define FBX_NBD_REP_ERR_PLATFORM        FBX_NBD_REP_ERR(4)
#define FBX_NBD_REP_ERR_TLS_REQD        FBX_NBD_REP_ERR(5)
#define FBX_NBD_REP_ERR_UNKNOWN         FBX_NBD_REP_ERR(6)
#define FBX_NBD_REP_ERR_SHUTDOWN        FBX_NBD_REP_ERR(7)
#define FBX_NBD_REP_ERR_BLOCK_SIZE_REQD FBX_NBD_REP_ERR(8)
#define FBX_NBD_REP_ERR_TOO_BIG         FBX_NBD_REP_ERR(9)
#define FBX_NBD_REP_ERR_EXT_HEADER_REQD FBX_NBD_REP_ERR(10)

enum { FBX_NBD_INFO_EXPORT = 0, FBX_NBD_INFO_NAME = 1, FBX_NBD_INFO_DESCRIPTION = 2,
       FBX_NBD_INFO_BLOCK_SIZE = 3 };

/* transmission flags (16 bits) */
#define FBX_NBD_FLAG_HAS_FLAGS         (1u << 0)
#define FBX_NBD_FLAG_READ_ONLY         (1u << 1)
#define FBX_NBD_FLAG_SEND_FLUSH        (1u << 2)
#define FBX_NBD_FLAG_SEND_FUA          (1u << 3)
#define FBX_NBD_FLAG_ROTATIONAL        (1u << 4)
#define FBX_NBD_FLAG_SEND_TRIM         (1u << 5)
#define FBX_NBD_FLAG_SEND_WRITE_ZEROES (1u << 6)
#define FBX_NBD_FLAG_SEND_DF           (1u << 7)
#define FBX_NBD_FLAG_CAN_MULTI_CONN    (1u << 8)
#define FBX_NBD_FLAG_SEND_CACHE        (1u << 10)
#define FBX_NBD_FLAG_SEND_FAST_ZERO    (1u << 11)

/* --- transmission --- */
#define FBX_NBD_REQUEST_MAGIC     0x25609513u
#define FBX_NBD_EXT_REQUEST_MAGIC 0x21e41c71u
#define FBX_NBD_SIMPLE_MAGIC      0x67446698u
#define FBX_NBD_STRUCTURED_MAGIC  0x668e33efu
#define FBX_NBD_EXT_REPLY_MAGIC   0x6e8a278cu

#define FBX_NBD_REQ_SIZE      28
#define FBX_NBD_EXT_REQ_SIZE  32
#define FBX_NBD_SIMPLE_SIZE   16
#define FBX_NBD_CHUNK_SIZE    20
#define FBX_NBD_EXT_CHUNK_SIZE 32
#define FBX_NBD_MAX_HDR       32

enum {
	FBX_NBD_CMD_READ = 0, FBX_NBD_CMD_WRITE = 1, FBX_NBD_CMD_DISC = 2,
	FBX_NBD_CMD_FLUSH = 3, FBX_NBD_CMD_TRIM = 4, FBX_NBD_CMD_CACHE = 5,
	FBX_NBD_CMD_WRITE_ZEROES = 6, FBX_NBD_CMD_BLOCK_STATUS = 7,
};
#define FBX_NBD_CMD_FLAG_FUA         (1u << 0)
#define FBX_NBD_CMD_FLAG_NO_HOLE     (1u << 1)
#define FBX_NBD_CMD_FLAG_DF          (1u << 2)
#define FBX_NBD_CMD_FLAG_REQ_ONE     (1u << 3)
#define FBX_NBD_CMD_FLAG_FAST_ZERO   (1u << 4)
#define FBX_NBD_CMD_FLAG_PAYLOAD_LEN (1u << 5)

#define FBX_NBD_REPLY_FLAG_DONE (1u << 0)
enum {
	FBX_NBD_REPLY_NONE = 0, FBX_NBD_REPLY_OFFSET_DATA = 1, FBX_NBD_REPLY_OFFSET_HOLE = 2,
	FBX_NBD_REPLY_BLOCK_STATUS = 5, FBX_NBD_REPLY_BLOCK_STATUS_EXT = 6,
	FBX_NBD_REPLY_ERROR = 0x8001, FBX_NBD_REPLY_ERROR_OFFSET = 0x8002,
};

/* wire errno values */
enum {
	FBX_NBD_EPERM = 1, FBX_NBD_EIO = 5, FBX_NBD_ENOMEM = 12, FBX_NBD_EINVAL = 22,
	FBX_NBD_ENOSPC = 28, FBX_NBD_EOVERFLOW = 75, FBX_NBD_ENOTSUP = 95,
	FBX_NBD_ESHUTDOWN = 108,
};

#define FBX_NBD_STATE_HOLE 1u
#define FBX_NBD_STATE_ZERO 2u

#define FBX_NBD_META_ID_ALLOC 1u   /* our id for base:allocation */

/* limits */
#define FBX_NBD_MAX_STRING  4096          /* spec: names, messages */
#define FBX_NBD_MAX_OPTLEN  (64u << 10)   /* larger option data: hard disconnect */
#define FBX_NBD_MAX_OPTIONS 1024          /* options per handshake before we give up */
#define FBX_NBD_MAX_PAYLOAD (32u << 20)   /* our cap on read/write payloads */
#define FBX_NBD_MAX_READ    (256u << 20)  /* reads over block_max up to this are
                                             served in pieces; beyond: EOVERFLOW */
#define FBX_NBD_MAX_DRAIN   (64u << 20)   /* oversized write payloads up to this are
                                             read and dropped; beyond: disconnect */

/* --- byte order helpers --- */
static inline void fbx_be16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static inline void fbx_be32(uint8_t *p, uint32_t v)
{ p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = (uint8_t)v; }
static inline void fbx_be64(uint8_t *p, uint64_t v)
{ fbx_be32(p, (uint32_t)(v >> 32)); fbx_be32(p + 4, (uint32_t)v); }
static inline uint16_t fbx_ld16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t fbx_ld32(const uint8_t *p)
{ return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static inline uint64_t fbx_ld64(const uint8_t *p)
{ return (uint64_t)fbx_ld32(p) << 32 | fbx_ld32(p + 4); }

/** THE errno mapping: negated (or positive) errno -> NBD wire error. */
uint32_t fbx_nbd_wire_error(int err);

/* ===================== handshake ===================== */

/** What the server exports, as the handshake needs it. */
struct fbx_nbd_export {
	uint64_t size;
	uint16_t tflags;        /* without SEND_DF (added when structured) */
	uint32_t block_min, block_pref, block_max;
	bool has_extents;       /* offer base:allocation */
	const char *name;       /* "" default */
	const char *description;/* may be NULL */
	bool any_name;          /* every name a client asks for is this export */
	uint8_t tls;            /* enum fbx_nbd_tls_mode: STARTTLS offered/required */
};

#define FBX_NBD_HS_OUT_SIZE (3 * FBX_NBD_MAX_STRING + 512)

/** Handshake state: fed one option at a time, writes replies to out. */
struct fbx_nbd_hs {
	const struct fbx_nbd_export *ex;
	bool fixed, no_zeroes;          /* from client flags */
	bool structured, extended;      /* negotiated reply mode */
	bool meta_alloc;                /* base:allocation selected */
	bool shutting_down;             /* set by the caller: error options */
	bool tls_up;                    /* set by the caller after the TLS handshake */
	bool tls_refused;               /* the last option was refused: TLS first */
	unsigned nopts;
	uint16_t tflags;                /* final flags, valid after GO/EXPORT_NAME */
	const uint8_t *refused_name;    /* set by an option that named another
	                                   export (points into its data) */
	uint32_t refused_len;
	size_t outlen;
	uint8_t out[FBX_NBD_HS_OUT_SIZE];
};

/* results of fbx_nbd_hs_option */
enum {
	FBX_NBD_HS_CONTINUE = 0,   /* send out, read the next option */
	FBX_NBD_HS_TRANSMIT = 1,   /* send out, enter transmission */
	FBX_NBD_HS_CLOSE = 2,      /* send out, then close (ABORT) */
	FBX_NBD_HS_STARTTLS = 3,   /* send out, do the TLS handshake, set tls_up,
	                              read the next option over TLS */
};

void fbx_nbd_hs_init(struct fbx_nbd_hs *hs, const struct fbx_nbd_export *ex);
/** The server's greeting (18 bytes). */
size_t fbx_nbd_hs_greeting(uint8_t buf[18]);
/** The 4 bytes of client flags. 0 or -EPROTO (disconnect). */
int fbx_nbd_hs_client_flags(struct fbx_nbd_hs *hs, const uint8_t buf[4]);
/** A 16-byte option header. 0 (then read *len bytes of data), or
 *  -EPROTO (bad magic), -E2BIG (len over FBX_NBD_MAX_OPTLEN), -ELOOP
 *  (too many options): disconnect. */
int fbx_nbd_hs_option_header(struct fbx_nbd_hs *hs, const uint8_t buf[16],
                             uint32_t *opt, uint32_t *len);
/** Handle option opt with its data. Clears out then writes the replies
 *  to it. Returns FBX_NBD_HS_*, or -EPROTO when the session must end
 *  without a reply (EXPORT_NAME of an unknown export). */
int fbx_nbd_hs_option(struct fbx_nbd_hs *hs, uint32_t opt, const uint8_t *data, uint32_t len);

/* ===================== transmission ===================== */

/** What transmission needs to know about the session. */
struct fbx_nbd_tx {
	uint64_t size;
	uint16_t tflags;
	bool structured, extended, meta_alloc;
	uint32_t block_min, block_max;
};

struct fbx_nbd_req {
	uint16_t flags, type;
	uint64_t cookie, offset, len;
};

/** Decode a request header from buf (avail bytes). Returns the header
 *  size (28 or 32) with *r filled, 0 when more bytes are needed, or
 *  -EPROTO for a bad magic (hard disconnect). */
int fbx_nbd_decode_request(const uint8_t *buf, size_t avail, bool extended,
                           struct fbx_nbd_req *r);

/** What to do with a decoded request. */
struct fbx_nbd_verdict {
	uint32_t error;       /* wire error to reply, 0 = go ahead */
	uint64_t payload;     /* payload bytes that follow the header */
	bool drop_payload;    /* read the payload and throw it away */
	bool disconnect;      /* reply (if error) then hard disconnect: the
	                         payload is too big to read or undefined */
	const char *why;      /* for the log when refused */
};
void fbx_nbd_check_request(const struct fbx_nbd_tx *tx, const struct fbx_nbd_req *r,
                           struct fbx_nbd_verdict *v);

/* Reply builders: write into buf (room for FBX_NBD_MAX_HDR + what is
 * said), return bytes written. */

/** A reply that carries no data: simple (no extended headers) or NONE
 *  chunk with DONE (extended). err: wire error (0 = success). For an
 *  error with structured/extended replies it is an ERROR chunk, so
 *  buf needs FBX_NBD_MAX_HDR + 6 + strlen(msg) (msg capped at 256). */
size_t fbx_nbd_put_done(uint8_t *buf, const struct fbx_nbd_tx *tx, const struct fbx_nbd_req *r,
                        uint32_t err, const char *msg);
/** Header of a read reply with len data bytes following: a simple reply
 *  or an OFFSET_DATA chunk for data at off (flags: DONE or 0). */
size_t fbx_nbd_put_read_hdr(uint8_t *buf, const struct fbx_nbd_tx *tx, const struct fbx_nbd_req *r,
                            uint16_t flags, uint64_t off, uint64_t len);
/** An OFFSET_HOLE chunk (structured/extended only). */
size_t fbx_nbd_put_hole(uint8_t *buf, const struct fbx_nbd_tx *tx, const struct fbx_nbd_req *r,
                        uint16_t flags, uint64_t off, uint32_t len);
/** Header of a block status chunk (DONE) for n descriptors that follow,
 *  each written with fbx_nbd_put_extent. */
size_t fbx_nbd_put_bs_hdr(uint8_t *buf, const struct fbx_nbd_tx *tx, const struct fbx_nbd_req *r,
                          uint32_t n);
size_t fbx_nbd_put_extent(uint8_t *buf, const struct fbx_nbd_tx *tx, uint64_t len, uint32_t flags);

#endif
