/*
 * nbd_step -- an NBD server put together step by step, for programs
 * that want more than fbx_dev_main (fusebox/blockdev.h): their own
 * command line, several listeners, their own logging.
 *
 *   nbd_step SOCKET [HOST:PORT]
 *
 * serves the ready-made 64 MiB fbx_memdisk (any struct fbx_dev_ops, such
 * as examples/ramdisk.c's, is served the same way) on a Unix socket and,
 * if given, on TCP; prints each listener's URI; stops on SIGINT, SIGTERM
 * or SIGHUP.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <fusebox/blockdev.h>

static int fail(const char *what, int err)
{
	fprintf(stderr, "nbd_step: %s: %s\n", what, strerror(-err));
	return 1;
}

int main(int argc, char *argv[])
{
	bool help = argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
	if (help || argc < 2 || argc > 3 || argv[1][0] == '-') {
		fprintf(help ? stdout : stderr, "usage: %s SOCKET [HOST:PORT]\n", argv[0]);
		return help ? 0 : 2;
	}
	/* 1. What the device is, and its state. */
	const struct fbx_dev_info info = {
		.size = 64 << 20, .nonblocking = true, .can_multi_conn = true,
		.description = "nbd_step example",
	};
	struct fbx_memdisk *md = fbx_memdisk_new(info.size);
	if (!md)
		return fail("memory disk", -errno);
	/* 2. A server for it (nothing listens yet). */
	struct fbx_nbd_server *srv = fbx_nbd_server_new(&fbx_memdisk_ops, sizeof fbx_memdisk_ops,
	                                                &info, md);
	if (!srv) {
		perror("nbd_step: server");
		fbx_memdisk_free(md);
		return 1;
	}
	/* 3. Listeners: a Unix socket, and TCP when asked. */
	int rc = 0, err = fbx_nbd_server_listen_unix(srv, argv[1]);
	if (err) {
		rc = fail(argv[1], err);
	} else if (argc == 3) {
		char host[256];
		const char *colon = strrchr(argv[2], ':');
		snprintf(host, sizeof host, "%.*s", colon ? (int)(colon - argv[2]) : 0, argv[2]);
		if ((err = fbx_nbd_server_listen_tcp(srv, host, colon ? colon + 1 : argv[2])))
			rc = fail(argv[2], err);
	}
	/* 4. Say where to connect, take the stop signals, serve. */
	char uri[512];
	for (unsigned i = 0; !rc && fbx_nbd_server_uri(srv, i, uri, sizeof uri) == 0; i++)
		printf("%s\n", uri);
	fflush(stdout);
	if (!rc && (err = fbx_nbd_server_stop_on_signals(srv)))
		rc = fail("signals", err);
	if (!rc && (err = fbx_nbd_server_run(srv)))
		rc = fail("serving", err);
	/* 5. Wait for the connections, close the listeners, free. */
	fbx_nbd_server_destroy(srv);
	fbx_memdisk_free(md);
	return rc;
}
