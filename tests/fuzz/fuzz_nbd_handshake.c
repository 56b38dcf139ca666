/*
 * fuzz_nbd_handshake -- the NBD handshake codec on arbitrary client
 * bytes: client flags, then option headers and data, as the server's
 * connection loop feeds them.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nbd/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fbx_nbd_hs hs;
	struct fbx_nbd_export ex = {
		.size = 1 << 30, .tflags = FBX_NBD_FLAG_SEND_FLUSH | FBX_NBD_FLAG_SEND_TRIM,
		.block_min = 1, .block_pref = 4096, .block_max = 1 << 25,
		.has_extents = size & 1, .name = "disk", .description = "fuzz",
	};
	fbx_nbd_hs_init(&hs, &ex);
	if (size < 5)
		return 0;
	hs.shutting_down = data[0] == 0xff;
	/* TLS off / on / required, and any-name or strict, from the same byte */
	ex.tls = (uint8_t)((data[0] >> 1) % 3);
	ex.any_name = data[0] & 0x40;
	data++, size--;
	if (fbx_nbd_hs_client_flags(&hs, data) < 0)
		return 0;
	data += 4, size -= 4;
	while (size >= 16) {
		uint8_t h[16];
		memcpy(h, data, 16);
		/* let most inputs past the magic check */
		if (h[0] != 0xff)
			fbx_be64(h, FBX_NBD_IHAVEOPT);
		uint32_t opt, len;
		if (fbx_nbd_hs_option_header(&hs, h, &opt, &len) < 0)
			return 0;
		data += 16, size -= 16;
		if (len > size)
			len = (uint32_t)size;
		int r = fbx_nbd_hs_option(&hs, opt % 16, len ? data : NULL, len);
		if (hs.outlen > sizeof hs.out)
			__builtin_trap();
		/* under require nothing but STARTTLS and ABORT gets an answer
		 * other than TLS_REQD before the handshake */
		if (ex.tls == 2 && !hs.tls_up && r == FBX_NBD_HS_TRANSMIT)
			__builtin_trap();
		if (r == FBX_NBD_HS_STARTTLS) {
			hs.tls_up = true;     /* as conn.c does after the handshake */
			r = FBX_NBD_HS_CONTINUE;
		}
		if (r != FBX_NBD_HS_CONTINUE)
			return 0;
		data += len, size -= len;
	}
	return 0;
}
