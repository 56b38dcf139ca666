/*
 * fuzz_fuse_request -- libFuzzer target for the FUSE request decoder.
 *
 * Whatever the bytes, fbx_msg_decode() must either refuse them or hand
 * back pointers that lie inside the buffer with names NUL-terminated
 * there; we touch every byte it hands back so ASan sees any overrun.
 * INIT messages also go through the negotiation.
 *   make fuzz && ./build-fuzz/fuzz_fuse_request -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuse/codec.h"

static volatile size_t sink;

static void touch(const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		sink += c[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The decoder may assume the kernel's 8-byte alignment; give it that. */
	void *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct fbx_proto p = { .minor = 45, .setxattr_ext = size & 1 };
	struct fbx_msg m;
	if (fbx_msg_decode(&m, buf, size, &p) == 0) {
		if (m.arg)
			touch(m.arg, m.arglen);
		if (m.name)
			touch(m.name, strlen(m.name) + 1);
		if (m.name2)
			touch(m.name2, strlen(m.name2) + 1);
		if (m.data)
			touch(m.data, m.datalen);
		if (m.opcode == FBX_K_INIT) {
			struct fbx_options o;
			struct fbx_conn c;
			struct fbx_k_init_out out;
			fbx_options_init(&o);
			if (fbx_init_begin(&c, m.arg, m.arglen, &o, 0) == 0)
				fbx_init_finish(&out, &c);
			fbx_options_free(&o);
		}
	}
	free(buf);
	return 0;
}
