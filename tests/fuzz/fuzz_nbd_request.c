/*
 * fuzz_nbd_request -- NBD request decoding, checking and reply building
 * on arbitrary bytes, in every negotiated mode (compact, structured,
 * extended headers; read-only; block size limits).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nbd/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t mode = data[0], lim = data[1];
	data += 2, size -= 2;
	struct fbx_nbd_tx tx = {
		.size = (uint64_t)1 << (20 + (lim & 31)),
		.tflags = (uint16_t)(FBX_NBD_FLAG_HAS_FLAGS | (mode & 0x80 ? FBX_NBD_FLAG_READ_ONLY : 0) |
		          (mode & 0x40 ? 0x0fff & ~FBX_NBD_FLAG_READ_ONLY : FBX_NBD_FLAG_SEND_FLUSH)),
		.extended = mode & 1, .structured = mode & 3, .meta_alloc = mode & 4,
		.block_min = 1u << ((lim >> 5) & 7), .block_max = 1u << 25,
	};
	uint8_t out[FBX_NBD_MAX_HDR + 6 + 256 + 64];
	while (size) {
		struct fbx_nbd_req r;
		int n = fbx_nbd_decode_request(data, size, tx.extended, &r);
		if (n < 0) {
			/* bad magic: pretend the client had sent the right one */
			uint8_t h[FBX_NBD_EXT_REQ_SIZE];
			size_t k = size < sizeof h ? size : sizeof h;
			memcpy(h, data, k);
			fbx_be32(h, tx.extended ? FBX_NBD_EXT_REQUEST_MAGIC : FBX_NBD_REQUEST_MAGIC);
			n = fbx_nbd_decode_request(h, k, tx.extended, &r);
		}
		if (n <= 0)
			break;
		struct fbx_nbd_verdict v;
		fbx_nbd_check_request(&tx, &r, &v);
		if (!v.error && r.type != FBX_NBD_CMD_DISC) {
			/* what the server relies on once a request is accepted */
			if (r.type <= FBX_NBD_CMD_BLOCK_STATUS && r.type != FBX_NBD_CMD_FLUSH &&
			    (r.len == 0 || r.offset > tx.size || r.len > tx.size - r.offset))
				__builtin_trap();
			/* a write fits block_max; a longer read is served in pieces,
			 * up to FBX_NBD_MAX_READ */
			if (r.type == FBX_NBD_CMD_WRITE && r.len > tx.block_max)
				__builtin_trap();
			if (r.type == FBX_NBD_CMD_READ && r.len > FBX_NBD_MAX_READ)
				__builtin_trap();
			if (r.type == FBX_NBD_CMD_WRITE && (tx.tflags & FBX_NBD_FLAG_READ_ONLY))
				__builtin_trap();
		}
		size_t w = fbx_nbd_put_done(out, &tx, &r, v.error, v.why);
		w += fbx_nbd_put_read_hdr(out, &tx, &r, 1, r.offset, r.len);
		if (tx.structured) {
			fbx_nbd_put_hole(out, &tx, &r, 0, r.offset, (uint32_t)r.len);
			fbx_nbd_put_bs_hdr(out, &tx, &r, (uint32_t)r.len);
			fbx_nbd_put_extent(out, &tx, r.len, r.flags);
		}
		(void)w;
		fbx_nbd_wire_error(-(int)(r.cookie & 0xff));
		data += n, size -= (size_t)n;
		/* skip the payload the verdict says follows, as the server does */
		uint64_t skip = v.payload < size ? v.payload : size;
		data += skip, size -= (size_t)skip;
	}
	return 0;
}
