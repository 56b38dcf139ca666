/*
 * attach_step -- a block device handed to the kernel, step by step: the
 * snippet of fusebox/attach.h as a program.
 *
 *   attach_step [PATH]     PATH: auto (default), ublk, nbd, nbd-ioctl, fuse
 *
 * prints "device: /dev/..." once the kernel's device works, serves until
 * SIGINT/SIGTERM/SIGHUP or until the device is detached, then detaches
 * and exits. The disk is fusebox's ready-made 64 MiB memory disk; any
 * struct fbx_dev_ops (examples/ramdisk.c) attaches the same way.
 */
#include <stdio.h>
#include <string.h>

#include <fusebox/attach.h>
#include <fusebox/blockdev.h>

int main(int argc, char *argv[])
{
	/* 1. Which way into the kernel: named on the command line, or auto. */
	struct fbx_attach_opts ao = { .path = FBX_ATTACH_AUTO, .handle_signals = true };
	bool help = argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
	if (help || argc > 2 || (argc == 2 && fbx_attach_parse_path(argv[1], &ao.path) < 0)) {
		fprintf(help ? stdout : stderr, "usage: %s [auto|ublk|nbd|nbd-ioctl|fuse]\n", argv[0]);
		return help ? 0 : 2;
	}
	/* 2. The device: callbacks, their state, and what it is. */
	uint64_t size = 64 << 20;
	struct fbx_memdisk *md = fbx_memdisk_new(size);
	if (!md) {
		perror("attach_step: memory disk");
		return 1;
	}
	struct fbx_dev_info info = { .size = size, .nonblocking = true };
	/* 3. Attach: returns once the device node exists and I/O works. */
	struct fbx_attach *at;
	int err = fbx_attach_start(&at, &fbx_memdisk_ops, sizeof fbx_memdisk_ops, &info, md, &ao);
	if (err) {
		fprintf(stderr, "attach_step: %s\n", strerror(-err));
		fbx_memdisk_free(md);
		return 1;
	}
	printf("device: %s (%s)\n", fbx_attach_device(at),
	       fbx_attach_path_name(fbx_attach_path_taken(at)));
	fflush(stdout);
	/* 4. Serve until a signal or the kernel detaches it, 5. then clean up. */
	err = fbx_attach_wait(at);
	fbx_attach_destroy(at);
	fbx_memdisk_free(md);
	return err ? 1 : 0;
}
