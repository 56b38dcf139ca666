/*
 * lib/attach/devmain.c -- fbx_dev_main, the BUSE-style one call: parse
 * a small command line, listen (or attach to a kernel device), print
 * the URI, serve until a signal.
 *
 * It sits above both frontends, the NBD server and kernel attach, and
 * uses only their public calls: nothing below calls up into it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusebox/attach.h"
#include "fusebox/blockdev.h"

#define NAME_MAX_LEN 4096   /* NBD's limit on export names */


static void usage(FILE *f, const char *prog)
{
	fprintf(f,
	        "usage: %s [TARGET] [-r] [--threads N] [--name NAME] [-q]\n"
	        "TARGET:\n"
	        "  --socket PATH, PATH, nbd+unix:///?socket=PATH   serve on a Unix socket\n"
	        "  --tcp HOST:PORT, --tcp PORT, nbd://HOST[:PORT]  serve on TCP ([v6addr]:port ok)\n"
	        "  --systemd                                      sockets from LISTEN_FDS\n"
	        "  /dev/nbdN                                      attach to a kernel device\n"
	        "  --attach PATH     attach to the kernel by PATH: auto, ublk, nbd,\n"
	        "                    nbd-netlink, nbd-ioctl, fuse (env FBX_ATTACH overrides)\n"
	        "  (default: nbd://127.0.0.1:10809, or LISTEN_FDS when set)\n"
	        "  -r, --read-only   refuse writes\n"
	        "  --threads N       worker threads per connection\n"
	        "  --name NAME       export name (clients asking for another name get\n"
	        "                    this export too, unless --strict-name)\n"
	        "  --strict-name     refuse clients that ask for a name other than NAME\n"
	        "  --disconnect /dev/nbdN   free an nbd device whose server died, and exit\n"
	        "  --disconnect /dev/ublkbN remove a ublk device whose server died, and exit\n"
	        "  --recoverable     ublk: if this server dies, the device stays and its\n"
	        "                    I/O waits for a new server started with --recover\n"
	        "  --recover /dev/ublkbN|/dev/nbdN   take over that device, whose server died\n"
	        "  -q, --quiet       do not log refused requests\n"
	        "  --tls=off|on|require     TLS for network clients (STARTTLS); require:\n"
	        "                    nothing is served before the TLS handshake\n"
	        "  --tls-certificates=DIR   X.509: DIR/ca-cert.pem, server-cert.pem,\n"
	        "                    server-key.pem\n"
	        "  --tls-psk=FILE    PSK: a keys file as psktool writes it\n"
	        "  --tls-verify-peer clients must show a certificate signed by ca-cert.pem\n"
	        "  -h, --help        this text\n",
	        prog);
}

enum kind { K_DEFAULT, K_UNIX, K_TCP, K_SYSTEMD, K_DEV };

struct target {
	enum kind kind;
	char host[256], port[32];
	const char *path;
	char name[NAME_MAX_LEN + 1];
	bool has_name;
};

/* "host:port", "[v6]:port", "host", "port" (all digits). */
static int split_hostport(const char *s, struct target *t, bool digits_is_port)
{
	const char *colon;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb)
			return -1;
		colon = rb[1] == ':' ? rb + 1 : NULL;
		if (rb[1] && !colon)
			return -1;
		snprintf(t->host, sizeof t->host, "%.*s", (int)(rb - s - 1), s + 1);
	} else {
		colon = strrchr(s, ':');
		if (!colon && digits_is_port && *s && strspn(s, "0123456789") == strlen(s)) {
			snprintf(t->port, sizeof t->port, "%s", s);
			return 0;
		}
		snprintf(t->host, sizeof t->host, "%.*s", colon ? (int)(colon - s) : (int)strlen(s), s);
	}
	if (colon)
		snprintf(t->port, sizeof t->port, "%s", colon + 1);
	return 0;
}

static int parse_uri(const char *a, struct target *t, char *buf, size_t bufsz)
{
	if (strncmp(a, "nbd://", 6) == 0) {
		snprintf(buf, bufsz, "%s", a + 6);
		char *slash = strchr(buf, '/');
		if (slash) {
			*slash = 0;
			if (slash[1]) {
				snprintf(t->name, sizeof t->name, "%s", slash + 1);
				t->has_name = true;
			}
		}
		t->kind = K_TCP;
		if (split_hostport(buf, t, false) < 0)
			return -1;
		if (!t->host[0])
			snprintf(t->host, sizeof t->host, "127.0.0.1");
		return 0;
	}
	/* nbd+unix:///NAME?socket=PATH */
	const char *q = strstr(a, "?socket=");
	if (!q)
		q = strstr(a, "&socket=");
	if (!q)
		return -1;
	const char *n = a + strlen("nbd+unix://");
	if (*n == '/')
		n++;
	if (n < q && *n != '?') {
		snprintf(t->name, sizeof t->name, "%.*s", (int)(strcspn(n, "?")), n);
		t->has_name = true;
	}
	snprintf(buf, bufsz, "%.*s", (int)strcspn(q + 8, "&"), q + 8);
	t->path = buf;
	t->kind = K_UNIX;
	return 0;
}

/* The target as the user wrote it, for messages. */
static void describe(const struct target *t, char *buf, size_t n)
{
	if (t->kind == K_UNIX)
		snprintf(buf, n, "%s", t->path);
	else if (t->kind == K_DEV)
		snprintf(buf, n, strncmp(t->path, "/dev/", 5) ? "--attach %s" : "%s", t->path);
	else if (t->kind == K_SYSTEMD)
		snprintf(buf, n, "the LISTEN_FDS sockets");
	else if (t->kind == K_TCP)
		snprintf(buf, n, strchr(t->host, ':') ? "[%s]:%s" : "%s:%s",
		         t->host[0] ? t->host : "*", t->port[0] ? t->port : "10809");
	else
		snprintf(buf, n, "127.0.0.1:10809");
}

/* One target at a time: a later one replaces an earlier one, and the
 * user hears about it rather than finding the first silently dropped. */
static void warn_replaced(const char *prog, const char *before, const struct target *t)
{
	char now[300];
	describe(t, now, sizeof now);
	if (before[0] && strcmp(before, now))
		fprintf(stderr, "%s: %s: not using %s (one target at a time)\n", prog, now, before);
}

/*
 * dev: "/dev/nbdN" (one of the nbd paths, that device), "/dev/ublkbN",
 * or a path name for `--attach PATH` ("auto", "nbd-ioctl", ...). The
 * environment may choose for tests and scripts: FBX_ATTACH=PATH picks
 * the path, FBX_ATTACH_DEAD_TIMEOUT=S the dead-server timeout.
 */
static int attach_kernel(const char *prog, const char *dev, const struct fbx_dev_ops *ops,
                         size_t ops_size, const struct fbx_dev_info *info, void *ud, bool quiet,
                         bool recoverable, bool recover)
{
	struct fbx_attach_opts o = { .path = FBX_ATTACH_AUTO, .handle_signals = true,
	                             .quiet = quiet, .recoverable = recoverable,
	                             .recover = recover };
	if (!strncmp(dev, "/dev/", 5)) {
		o.device = dev;
		if (!strncmp(dev, "/dev/ublkb", 10))
			o.path = FBX_ATTACH_UBLK;
	} else if (fbx_attach_parse_path(dev, &o.path) < 0) {
		fprintf(stderr, "%s: unknown attach path '%s' (auto, ublk, nbd, nbd-netlink, "
		        "nbd-ioctl, fuse)\n", prog, dev);
		return 2;
	}
	const char *env = getenv("FBX_ATTACH");
	if (env && *env && fbx_attach_parse_path(env, &o.path) < 0) {
		fprintf(stderr, "%s: FBX_ATTACH=%s: unknown attach path\n", prog, env);
		return 2;
	}
	env = getenv("FBX_ATTACH_DEAD_TIMEOUT");
	if (env && *env)
		o.dead_timeout = (unsigned)strtoul(env, NULL, 10);
	struct fbx_attach *at;
	int e = fbx_attach_start(&at, ops, ops_size, info, ud, &o);
	if (e) {
		fprintf(stderr, "%s: %s: kernel attach not available: %s\n", prog, dev,
		        e == -ENODEV || e == -ENOENT ? "the kernel has no way to take it (see above)"
		                                     : strerror(-e));
		return 1;
	}
	printf("%s\n", fbx_attach_device(at));
	fflush(stdout);
	e = fbx_attach_wait(at);
	fbx_attach_destroy(at);
	if (e)
		fprintf(stderr, "%s: %s: %s\n", prog, dev, strerror(-e));
	return e ? 1 : 0;
}

/* "--tls=on" or "--tls on": the value of option name at argv[*i], or
 * NULL if argv[*i] is not that option (or lacks its value). */
static const char *opt_value(const char *name, int argc, char *argv[], int *i)
{
	size_t n = strlen(name);
	const char *a = argv[*i];
	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] == 0 && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int tls_mode(const char *s, enum fbx_nbd_tls_mode *m)
{
	if (!strcmp(s, "off"))
		*m = FBX_NBD_TLS_OFF;
	else if (!strcmp(s, "on"))
		*m = FBX_NBD_TLS_ON;
	else if (!strcmp(s, "require"))
		*m = FBX_NBD_TLS_REQUIRE;
	else
		return -1;
	return 0;
}

/* nbd://... as nbds://... when the server does TLS. */
static void tls_uri(char *uri, size_t size, bool tls)
{
	size_t n = strlen(uri);
	if (!tls || n + 2 > size || strncmp(uri, "nbd", 3) != 0 || (uri[3] != ':' && uri[3] != '+'))
		return;
	memmove(uri + 4, uri + 3, n - 2);   /* the rest and its NUL */
	uri[3] = 's';
}

int fbx_dev_main(int argc, char *argv[], const struct fbx_dev_ops *ops, size_t ops_size,
                 const struct fbx_dev_info *info, void *userdata)
{
	const char *prog = argc > 0 && argv[0] ? argv[0] : "fbx-dev";
	struct target t = { 0 };
	char uribuf[4200];
	struct fbx_dev_info inf = *info;
	bool quiet = false, recoverable = false, recover = false;
	struct fbx_nbd_tls tls = { .mode = FBX_NBD_TLS_OFF };

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		char before[300] = "";
		if (t.kind != K_DEFAULT)
			describe(&t, before, sizeof before);
		const char *v;
		if (!strcmp(a, "--tls-verify-peer")) {
			tls.verify_peer = true;
		} else if (!strncmp(a, "--tls-certificates", 18)) {
			if (!(v = opt_value("--tls-certificates", argc, argv, &i)))
				goto bad;
			tls.certificates = v;
		} else if (!strncmp(a, "--tls-psk", 9)) {
			if (!(v = opt_value("--tls-psk", argc, argv, &i)))
				goto bad;
			tls.psk = v;
		} else if (!strncmp(a, "--tls", 5) && (a[5] == 0 || a[5] == '=')) {
			if (!(v = opt_value("--tls", argc, argv, &i)) || tls_mode(v, &tls.mode) < 0) {
				fprintf(stderr, "%s: --tls takes off, on or require\n", prog);
				return 2;
			}
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout, prog);
			return 0;
		} else if (!strcmp(a, "-r") || !strcmp(a, "--read-only")) {
			inf.read_only = true;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			quiet = true;
		} else if (!strcmp(a, "--threads") && val) {
			inf.threads = (unsigned)strtoul(val, NULL, 10);
			inf.nonblocking = false;
			i++;
		} else if (!strcmp(a, "--name") && val) {
			snprintf(t.name, sizeof t.name, "%s", val);
			t.has_name = true;
			i++;
		} else if (!strcmp(a, "--disconnect") && val) {
			bool ub = !strncmp(val, "/dev/ublkb", 10);
			int e = ub ? fbx_attach_ublk_remove(val) : fbx_attach_nbd_disconnect(val);
			if (e)
				fprintf(stderr, "%s: --disconnect %s: %s\n", prog, val,
				        e == -EINVAL ? (ub ? "not a ublk device (/dev/ublkbN)"
				                           : "not an nbd device (/dev/nbdN)")
				        : e == -ENODEV ? (ub ? "no such device, or no ublk_drv module"
				                             : "the nbd module is not loaded")
				        : strerror(-e));
			else
				printf("%s: %s\n", val, ub ? "removed" : "disconnected");
			return e ? 1 : 0;
		} else if (!strcmp(a, "--recoverable")) {
			recoverable = true;
		} else if (!strcmp(a, "--recover") && val) {
			recover = true;
			t.kind = K_DEV;
			t.path = val;
			i++;
		} else if (!strcmp(a, "--strict-name")) {
			inf.strict_name = true;
		} else if (!strcmp(a, "--socket") && val) {
			t.kind = K_UNIX;
			t.path = val;
			i++;
		} else if (!strcmp(a, "--tcp") && val) {
			t.kind = K_TCP;
			if (split_hostport(val, &t, true) < 0)
				goto bad;
			i++;
		} else if (!strcmp(a, "--systemd")) {
			t.kind = K_SYSTEMD;
		} else if (!strncmp(a, "nbd://", 6) || !strncmp(a, "nbd+unix://", 11)) {
			if (parse_uri(a, &t, uribuf, sizeof uribuf) < 0)
				goto bad;
		} else if (!strcmp(a, "--attach") && val) {
			t.kind = K_DEV;
			t.path = val;
			i++;
		} else if (!strncmp(a, "/dev/", 5)) {
			t.kind = K_DEV;
			t.path = a;
		} else if (a[0] == '-') {
			goto bad;
		} else {
			t.kind = K_UNIX;
			t.path = a;
		}
		warn_replaced(prog, before, &t);
		continue;
bad:
		fprintf(stderr, "%s: bad argument '%s'\n", prog, a);
		usage(stderr, prog);
		return 2;
	}
	if (t.has_name)
		inf.name = t.name;
	if (t.kind == K_DEV) {
		if (tls.mode != FBX_NBD_TLS_OFF) {
			fprintf(stderr, "%s: --tls is for network clients; a kernel attach (%s) "
			        "does not use it\n", prog, t.path);
			return 2;
		}
		return attach_kernel(prog, t.path, ops, ops_size, &inf, userdata, quiet, recoverable,
		                     recover);
	}
	if (recoverable) {
		fprintf(stderr, "%s: --recoverable is for a kernel attach (--attach ublk)\n", prog);
		return 2;
	}

	struct fbx_nbd_server *srv = fbx_nbd_server_new(ops, ops_size, &inf, userdata);
	if (!srv) {
		fprintf(stderr, "%s: cannot create the server: %s\n", prog, strerror(errno));
		return 1;
	}
	fbx_nbd_server_set_verbose(srv, !quiet);
	int e = fbx_nbd_server_set_tls(srv, &tls);
	if (e < 0) {
		fbx_nbd_server_destroy(srv);
		return e == -EINVAL ? 2 : 1;
	}
	if (t.kind == K_DEFAULT) {
		e = fbx_nbd_server_listen_systemd(srv);
		if (e == 0)
			e = fbx_nbd_server_listen_tcp(srv, "127.0.0.1", "10809");
		else if (e > 0)
			e = 0;
	} else if (t.kind == K_SYSTEMD) {
		e = fbx_nbd_server_listen_systemd(srv);
		if (e == 0) {
			fprintf(stderr, "%s: --systemd: no LISTEN_FDS for this process\n", prog);
			e = -EINVAL;
		} else if (e > 0) {
			e = 0;
		}
	} else if (t.kind == K_UNIX) {
		e = fbx_nbd_server_listen_unix(srv, t.path);
	} else if (t.kind == K_TCP) {
		e = fbx_nbd_server_listen_tcp(srv, t.host, t.port);
	}
	if (e < 0) {
		char where[300];
		describe(&t, where, sizeof where);
		fprintf(stderr, "%s: cannot listen on %s: %s\n", prog, where,
		        e == -ERANGE ? "port out of range (0-65535)"
		        : e == -ENXIO ? "no such host or service name" : strerror(-e));
		fbx_nbd_server_destroy(srv);
		return 1;
	}
	if ((e = fbx_nbd_server_stop_on_signals(srv)) < 0)
		fprintf(stderr, "%s: signals: %s\n", prog, strerror(-e));

	char uri[400];
	for (unsigned i = 0; fbx_nbd_server_uri(srv, i, uri, sizeof uri) == 0; i++) {
		tls_uri(uri, sizeof uri, tls.mode != FBX_NBD_TLS_OFF);
		printf("%s\n", uri);
	}
	fflush(stdout);
	e = fbx_nbd_server_run(srv);
	if (e < 0)
		fprintf(stderr, "%s: %s\n", prog, strerror(-e));
	fbx_nbd_server_destroy(srv);
	return e < 0 ? 1 : 0;
}
