/*
 * filedisk -- serve a file (or a block device) as an NBD disk.
 *
 *   filedisk FILE [TARGET] [-r] [--threads N]    (TARGET as for busexmp)
 *
 * FLUSH and FUA become fdatasync, TRIM punches holes, WRITE_ZEROES uses
 * fallocate, BLOCK_STATUS reports the file's holes (SEEK_DATA/SEEK_HOLE):
 * the callbacks are in lib/nbd/filedisk.c, one short function each.
 * They block on disk I/O, so the server runs them on worker threads
 * (info.nonblocking stays false), several requests at a time.
 */
#include <stdio.h>
#include <string.h>

#include <fusebox/blockdev.h>

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
	        "usage: %s FILE [TARGET] [-r] [--threads N] [--name NAME] [-q]\n"
	        "  FILE              a regular file or a block device, not empty\n"
	        "TARGET: --socket PATH | PATH | --tcp HOST:PORT | nbd://HOST:PORT | --systemd\n"
	        "        | /dev/nbdN | --attach auto|ublk|nbd|nbd-netlink|nbd-ioctl|fuse\n"
	        "  -r, --read-only   refuse writes (and open FILE read-only)\n"
	        "  --threads N       worker threads per connection\n"
	        "  --name NAME       export name\n"
	        "  -q, --quiet       do not log refused requests\n"
	        "  --recoverable     ublk: the device outlives this server; its I/O waits\n"
	        "                    for a new one started with --recover\n"
	        "  --recover /dev/ublkbN|/dev/nbdN   take over that device, whose server died\n"
	        "  --disconnect /dev/nbdN|/dev/ublkbN   free a device whose server died\n"
	        "  -h, --help        this text\n", prog);
}

int main(int argc, char *argv[])
{
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout, argv[0]);
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-') {
		usage(stderr, argv[0]);
		return 2;
	}
	bool ro = false;
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "-r") || !strcmp(argv[i], "--read-only"))
			ro = true;
	struct fbx_filedisk *d = fbx_filedisk_open(argv[1], ro);
	if (!d) {
		perror(argv[1]);
		return 1;
	}
	if (fbx_filedisk_size(d) == 0) {
		/* errno is not set here: perror would say "Success". */
		fprintf(stderr, "%s: %s is empty (0 bytes): nothing to serve "
		        "(make it with e.g. truncate -s 1G %s)\n", argv[0], argv[1], argv[1]);
		fbx_filedisk_close(d);
		return 1;
	}
	struct fbx_dev_info info = {
		.size = fbx_filedisk_size(d),
		.can_fua = true,          /* the callbacks fdatasync on FBX_DEV_FUA */
		.can_multi_conn = true,   /* one file and page cache behind all connections */
		.description = argv[1],
	};
	argv[1] = argv[0];             /* the rest is the usual command line */
	int rc = fbx_dev_main(argc - 1, argv + 1, &fbx_filedisk_ops, sizeof fbx_filedisk_ops,
	                      &info, d);
	fbx_filedisk_close(d);
	return rc;
}
