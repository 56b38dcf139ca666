/*
 * lib/nbd/listen.c -- listening sockets: Unix, TCP (IPv4/IPv6), an fd
 * handed over, systemd-style socket activation; and the URI a client
 * uses for each (NBD URI spec: nbd://host:port/name,
 * nbd+unix:///name?socket=path).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "nbd/internal.h"

static void make_uri(struct fbx_nbd_server *srv, struct fbx_nbd_listener *l)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	const char *name = srv->name ? srv->name : "";
	l->uri[0] = 0;
	if (getsockname(l->fd, (struct sockaddr *)&ss, &sl) < 0)
		return;
	if (ss.ss_family == AF_UNIX) {
		struct sockaddr_un *un = (struct sockaddr_un *)&ss;
		snprintf(l->uri, sizeof l->uri, "nbd+unix:///%s?socket=%s", name, un->sun_path);
	} else if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		char h[INET_ADDRSTRLEN] = "127.0.0.1";
		if (in->sin_addr.s_addr != htonl(INADDR_ANY))
			inet_ntop(AF_INET, &in->sin_addr, h, sizeof h);
		snprintf(l->uri, sizeof l->uri, "nbd://%s:%u/%s", h, ntohs(in->sin_port), name);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		char h[INET6_ADDRSTRLEN] = "::1";
		if (!IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
			inet_ntop(AF_INET6, &in6->sin6_addr, h, sizeof h);
		snprintf(l->uri, sizeof l->uri, "nbd://[%s]:%u/%s", h, ntohs(in6->sin6_port), name);
	}
}

static int add(struct fbx_nbd_server *srv, int fd, const char *unix_path)
{
	if (srv->nlis >= FBX_NBD_MAX_LISTENERS) {
		close(fd);
		return -EMFILE;
	}
	/* Non-blocking: a client that vanishes between poll and accept
	 * must not block the loop. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	struct fbx_nbd_listener *l = &srv->lis[srv->nlis];
	l->fd = fd;
	l->unix_path = unix_path ? strdup(unix_path) : NULL;
	make_uri(srv, l);
	srv->nlis++;
	return 0;
}

int fbx_nbd_server_listen_unix(struct fbx_nbd_server *srv, const char *path)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	if (!path || !*path)
		return -EINVAL;
	if (strlen(path) >= sizeof un.sun_path)
		return -ENAMETOOLONG;
	strcpy(un.sun_path, path);
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);   /* a stale socket from an earlier run */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&un, sizeof un) < 0 || listen(fd, 128) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return add(srv, fd, path);
}

/* getaddrinfo takes "99999" and the port wraps to 34463 in the 16-bit
 * field: refuse a number out of range (a service name such as "nbd"
 * stays getaddrinfo's to resolve). */
static int check_port(const char *port)
{
	if (!port || !*port || strspn(port, "0123456789") != strlen(port))
		return 0;
	return strlen(port) > 5 || strtoul(port, NULL, 10) > 65535 ? -ERANGE : 0;
}

int fbx_nbd_server_listen_tcp(struct fbx_nbd_server *srv, const char *host, const char *port)
{
	char h[256];
	if (check_port(port) < 0)
		return -ERANGE;
	if (host && *host) {
		size_t n = strlen(host);
		if (n >= sizeof h)
			return -EINVAL;
		if (host[0] == '[' && host[n - 1] == ']') {
			memcpy(h, host + 1, n - 2);
			h[n - 2] = 0;
		} else {
			strcpy(h, host);
		}
	} else {
		h[0] = 0;
	}
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_ADDRCONFIG, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res;
	int g = getaddrinfo(h[0] ? h : NULL, port && *port ? port : "10809", &hints, &res);
	if (g == EAI_SYSTEM)
		return -errno;
	if (g == EAI_AGAIN)
		return -EAGAIN;  /* the resolver did not answer */
	if (g == EAI_NONAME || g == EAI_FAIL || g == EAI_SERVICE)
		return -ENXIO;   /* no such host (or service name) */
	if (g)
		return -EADDRNOTAVAIL;
	int err = -EADDRNOTAVAIL, bound = 0;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (a->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
		if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 128) < 0) {
			err = -errno;
			close(fd);
			continue;
		}
		if ((err = add(srv, fd, NULL)) == 0)
			bound++;
	}
	freeaddrinfo(res);
	return bound ? 0 : err;
}

int fbx_nbd_server_listen_fd(struct fbx_nbd_server *srv, int fd)
{
	int acc = 0;
	socklen_t l = sizeof acc;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l) < 0)
		return -errno;
	if (!acc)
		return -EINVAL;
	return add(srv, fd, NULL);
}

int fbx_nbd_server_listen_systemd(struct fbx_nbd_server *srv)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	if (!pid || !fds || strtol(pid, NULL, 10) != getpid())
		return 0;
	long n = strtol(fds, NULL, 10);
	if (n <= 0 || n > FBX_NBD_MAX_LISTENERS)
		return n == 0 ? 0 : -EINVAL;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	for (int i = 0; i < n; i++) {
		int e = fbx_nbd_server_listen_fd(srv, 3 + i);
		if (e)
			return e;
	}
	return (int)n;
}

int fbx_nbd_server_uri(struct fbx_nbd_server *srv, unsigned i, char *buf, size_t size)
{
	if (i >= srv->nlis)
		return -ENOENT;
	snprintf(buf, size, "%s", srv->lis[i].uri);
	return 0;
}

void fbx_nbd_listeners_close(struct fbx_nbd_server *srv)
{
	for (unsigned i = 0; i < srv->nlis; i++) {
		close(srv->lis[i].fd);
		if (srv->lis[i].unix_path) {
			unlink(srv->lis[i].unix_path);
			free(srv->lis[i].unix_path);
		}
	}
	srv->nlis = 0;
}
