/*
 * busexmp -- the BUSE seed's example: a 128 MB memory disk.
 *
 *   busexmp /path/to/socket          serve on a Unix socket
 *   busexmp nbd://127.0.0.1:10809    serve on TCP
 *   busexmp /dev/nbd0                attach to the kernel (needs lib/attach)
 *
 * then e.g.  nbdinfo 'nbd+unix:///?socket=/path/to/socket'
 *
 * The disk is fusebox's ready-made sparse memory disk (fbx_memdisk_*):
 * a set of callbacks (read, write, flush, trim, write_zeroes, cache,
 * extents) over lazily allocated pages. examples/ramdisk.c writes such
 * callbacks itself, from scratch.
 */
#include <stdio.h>

#include <fusebox/blockdev.h>

int main(int argc, char *argv[])
{
	struct fbx_memdisk *disk = fbx_memdisk_new(128 << 20);
	if (!disk) {
		perror("busexmp");
		return 1;
	}
	struct fbx_dev_info info = {
		.size = 128 << 20,
		.can_fua = true,          /* memory: every write is as durable as it gets */
		.can_multi_conn = true,   /* one shared store behind all connections */
		.nonblocking = true,      /* callbacks never sleep: run them inline */
	};
	int rc = fbx_dev_main(argc, argv, &fbx_memdisk_ops, sizeof fbx_memdisk_ops, &info, disk);
	fbx_memdisk_free(disk);
	return rc;
}
