/*
 * uds_relay -- the privileged half of a FUSE filesystem served over a
 * socket (libfuse's example/hello_ll_uds.c is the other half, run on
 * our fuse_session_custom_io): mounts MOUNTPOINT on a new /dev/fuse
 * connection, connects to SOCKET, and passes each request from the
 * kernel to the socket and each message (reply, notification) from the
 * socket to the kernel, until either side ends.
 *
 *   uds_relay SOCKET MOUNTPOINT       (root; used by t_fuse3_uds.sh)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BUFSIZE ((1u << 20) + 4096 * 2)

static int dev = -1, sock = -1;

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* kernel -> socket: one read() is one whole request */
static void *to_socket(void *arg)
{
	char *buf = malloc(BUFSIZE);
	for (;;) {
		ssize_t n = read(dev, buf, BUFSIZE);
		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;
		if (n <= 0 || write_all(sock, buf, (size_t)n) < 0)
			break;
	}
	free(buf);
	shutdown(sock, SHUT_RDWR);
	return NULL;
}

/* socket -> kernel: a message is framed by its header's length */
static void *to_kernel(void *arg)
{
	char *buf = malloc(BUFSIZE);
	for (;;) {
		uint32_t len;
		if (read_all(sock, buf, 16) < 0)
			break;
		memcpy(&len, buf, sizeof len);
		if (len < 16 || len > BUFSIZE || read_all(sock, buf + 16, len - 16) < 0)
			break;
		if (write(dev, buf, len) < 0 && errno != ENOENT)
			fprintf(stderr, "uds_relay: writing to /dev/fuse: %s\n", strerror(errno));
	}
	free(buf);
	return NULL;
}

int main(int argc, char *argv[])
{
	if (argc != 3) {
		fprintf(stderr, "usage: uds_relay SOCKET MOUNTPOINT\n");
		return 2;
	}
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", argv[1]);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf(stderr, "uds_relay: connect %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	dev = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		fprintf(stderr, "uds_relay: /dev/fuse: %s\n", strerror(errno));
		return 1;
	}
	char opts[128];
	snprintf(opts, sizeof opts, "fd=%d,rootmode=40000,user_id=0,group_id=0", dev);
	if (mount("hello_ll_uds", argv[2], "fuse.hello_ll_uds", MS_NOSUID | MS_NODEV, opts) < 0) {
		fprintf(stderr, "uds_relay: mount %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	pthread_t a, b;
	pthread_create(&a, NULL, to_socket, NULL);
	pthread_create(&b, NULL, to_kernel, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return 0;
}
