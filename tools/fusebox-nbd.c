/*
 * fusebox-nbd -- serve a built-in block device over NBD, no C needed.
 *
 *   fusebox-nbd memory SIZE   sparse RAM disk (SIZE: bytes, or with K/M/G/T)
 *   fusebox-nbd file PATH     a file or block device
 *   fusebox-nbd null SIZE     reads zeroes, swallows writes
 * followed by the usual target and options (fusebox-nbd --help).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fusebox/attach.h>
#include <fusebox/blockdev.h>
#include <fusebox/size.h>

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: fusebox-nbd BACKEND ARG [TARGET] [OPTIONS]\n"
	        "       fusebox-nbd --disconnect /dev/nbdN   free a device whose server died\n"
	        "       fusebox-nbd --disconnect /dev/ublkbN remove a device whose server died\n"
	        "backends:\n"
	        "  memory SIZE    sparse RAM disk (SIZE like 1G, 512M, 4096)\n"
	        "  file PATH      a regular file or a block device\n"
	        "  null SIZE      reads return zeroes, writes are discarded\n"
	        "targets:\n"
	        "  --socket PATH | PATH | nbd+unix:///?socket=PATH   Unix socket\n"
	        "  --tcp HOST:PORT | --tcp PORT | nbd://HOST[:PORT]  TCP (default 127.0.0.1:10809)\n"
	        "  --systemd                                      LISTEN_FDS sockets\n"
	        "  /dev/nbdN                                      kernel attach to that device\n"
	        "  --attach PATH     kernel attach by PATH: auto, ublk, nbd, nbd-netlink,\n"
	        "                    nbd-ioctl, fuse (env FBX_ATTACH overrides); prints the device\n"
	        "options:\n"
	        "  -r, --read-only   refuse writes\n"
	        "  --threads N       worker threads per connection (file: default 4;\n"
	        "                    memory/null run inline unless this is given)\n"
	        "  --name NAME       export name\n"
	        "  -q, --quiet       do not log refused requests\n"
	        "  --recoverable     ublk: the device outlives this server; its I/O waits\n"
	        "                    for a new one started with --recover\n"
	        "  --recover /dev/ublkbN|/dev/nbdN   take over that device, whose server died\n"
	        "  --strict-name               refuse clients asking for another export name\n"
	        "  --tls=off|on|require        TLS for network clients (require: nothing\n"
	        "                              before the TLS handshake)\n"
	        "  --tls-certificates=DIR      X.509: ca-cert.pem, server-cert.pem, server-key.pem\n"
	        "  --tls-psk=FILE              PSK keys file (psktool)\n"
	        "  --tls-verify-peer           require client certificates signed by the CA\n"
	        "  -h, --help        this text\n"
	        "The URI to connect to is printed on stdout. Stop with SIGINT/SIGTERM.\n");
}

/* the null device */
static int null_read(void *ud, void *buf, uint64_t len, uint64_t off, unsigned flags)
{
	memset(buf, 0, len);
	return 0;
}
static int null_write(void *ud, const void *buf, uint64_t len, uint64_t off, unsigned flags)
{
	return 0;
}
static int null_flush(void *ud, unsigned flags) { return 0; }
static int null_zero(void *ud, uint64_t len, uint64_t off, unsigned flags) { return 0; }
static int null_extents(void *ud, uint64_t len, uint64_t off, unsigned flags, struct fbx_extents *ex)
{
	return fbx_extents_add(ex, off, len, FBX_EXTENT_HOLE | FBX_EXTENT_ZERO) < 0 ? -EIO : 0;
}
static const struct fbx_dev_ops null_ops = {
	.read = null_read, .write = null_write, .flush = null_flush, .trim = null_zero,
	.write_zeroes = null_zero, .cache = null_zero, .extents = null_extents,
};

int main(int argc, char *argv[])
{
	if (argc == 3 && !strcmp(argv[1], "--disconnect")) {
		bool ub = !strncmp(argv[2], "/dev/ublkb", 10);
		int e = ub ? fbx_attach_ublk_remove(argv[2]) : fbx_attach_nbd_disconnect(argv[2]);
		if (e)
			fprintf(stderr, "fusebox-nbd: --disconnect %s: %s\n", argv[2],
			        e == -EINVAL ? (ub ? "not a ublk device (/dev/ublkbN)"
			                           : "not an nbd device (/dev/nbdN)")
			        : e == -ENODEV ? (ub ? "no such device, or no ublk_drv module"
			                             : "the nbd module is not loaded")
			        : strerror(-e));
		else
			printf("%s: %s\n", argv[2], ub ? "removed" : "disconnected");
		return e ? 1 : 0;
	}
	/* Anywhere on the line, as fbx_dev_main takes it, but with the
	 * backends in the text. */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
	if (argc < 3) {
		usage(stderr);
		return 2;
	}
	const char *backend = argv[1], *arg = argv[2];
	bool ro = false;
	for (int i = 3; i < argc; i++)
		if (!strcmp(argv[i], "-r") || !strcmp(argv[i], "--read-only"))
			ro = true;
	/* the rest of the command line, after "BACKEND ARG", goes to fbx_dev_main */
	argv[2] = argv[0];
	int dargc = argc - 2;
	char **dargv = argv + 2;
	struct fbx_dev_info info = { .can_fua = true, .can_multi_conn = true };
	int rc;

	if (!strcmp(backend, "memory")) {
		if (fbx_parse_size(arg, &info.size) < 0 || !info.size) {
			fprintf(stderr, "fusebox-nbd: bad size '%s'\n", arg);
			return 2;
		}
		struct fbx_memdisk *md = fbx_memdisk_new(info.size);
		if (!md) {
			fprintf(stderr, "fusebox-nbd: memory %s: %s\n", arg, strerror(errno));
			return 1;
		}
		info.nonblocking = true;
		rc = fbx_dev_main(dargc, dargv, &fbx_memdisk_ops, sizeof fbx_memdisk_ops, &info, md);
		fbx_memdisk_free(md);
	} else if (!strcmp(backend, "null")) {
		if (fbx_parse_size(arg, &info.size) < 0 || !info.size) {
			fprintf(stderr, "fusebox-nbd: bad size '%s'\n", arg);
			return 2;
		}
		info.nonblocking = true;
		rc = fbx_dev_main(dargc, dargv, &null_ops, sizeof null_ops, &info, NULL);
	} else if (!strcmp(backend, "file")) {
		struct fbx_filedisk *d = fbx_filedisk_open(arg, ro);
		if (!d || !fbx_filedisk_size(d)) {
			fprintf(stderr, "fusebox-nbd: %s%s%s\n", arg, d ? " is empty (0 bytes)" : ": ",
			        d ? ": nothing to serve" : strerror(errno));
			fbx_filedisk_close(d);
			return 1;
		}
		info.size = fbx_filedisk_size(d);
		info.description = arg;
		rc = fbx_dev_main(dargc, dargv, &fbx_filedisk_ops, sizeof fbx_filedisk_ops, &info, d);
		fbx_filedisk_close(d);
	} else {
		fprintf(stderr, "fusebox-nbd: unknown backend '%s'\n", backend);
		usage(stderr);
		return 2;
	}
	return rc;
}
