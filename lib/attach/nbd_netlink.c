/*
 * lib/attach/nbd_netlink.c -- the nbd path over the driver's generic
 * netlink family "nbd": one NBD_CMD_CONNECT hands the kernel the size,
 * the flags, the timeouts and every socket at once; NBD_CMD_DISCONNECT
 * ends it. Raw AF_NETLINK sockets, no libnl.
 *
 * Each connection is a socketpair whose other end a thread of ours
 * serves with fbx_nbd_server_serve_transmission_fd. The device is
 * detached by us (stop) or by anyone else (the kernel then closes the
 * sockets and our threads end, which ends wait). If this process dies,
 * the sockets close: requests fail after the request timeout plus the
 * dead-connection timeout (opts.dead_timeout each), never hang.
 *
 * Taking over (opts.recover): the driver keeps a device whose sockets
 * all died bound, and holds its I/O for the dead-connection timeout.
 * NBD_CMD_RECONFIGURE with new sockets puts each in a dead one's place,
 * and the held I/O goes on through them: a filesystem mounted on the
 * device never notices beyond the wait. The size must be the device's
 * (a resize under a mounted filesystem is not what anyone wants).
 */
#include "attach/attach_int.h"
#include "attach/attach_util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/nbd-netlink.h>
#include <linux/nbd.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 16
#define MSG_CAP   4096

struct nbd_nl;

struct nbd_nl_conn {
	struct nbd_nl *nl;
	int fd;
	pthread_t thr;
	int started;
};

struct nbd_nl {
	struct fbx_attach     *at;
	struct fbx_nbd_server *srv;
	int                    index;        /* -1 until connected */
	uint16_t               family;
	atomic_int             live;         /* serving threads still running */
	unsigned               nconns;
	struct nbd_nl_conn     conns[MAX_CONNS];
};

/* ---- a tiny netlink message builder -------------------------------- */

struct msg {
	union {
		struct nlmsghdr nh;
		char buf[MSG_CAP];
	} u;
	int overflow;
};

static void msg_init(struct msg *m, uint16_t type, uint8_t cmd, uint8_t version)
{
	memset(m, 0, sizeof *m);
	m->u.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->u.nh.nlmsg_type = type;
	m->u.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	m->u.nh.nlmsg_seq = 1;
	struct genlmsghdr *g = NLMSG_DATA(&m->u.nh);
	g->cmd = cmd;
	g->version = version;
}

/* Start an attribute; returns its offset (for nest_end) or -1. */
static int attr_put(struct msg *m, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(m->u.nh.nlmsg_len);
	size_t need = NLA_HDRLEN + NLA_ALIGN(len);
	if (off + need > sizeof m->u.buf) {
		m->overflow = 1;
		return -1;
	}
	struct nlattr *a = (struct nlattr *)(m->u.buf + off);
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	m->u.nh.nlmsg_len = (uint32_t)(off + need);
	return (int)off;
}

static void put_u32(struct msg *m, uint16_t type, uint32_t v) { attr_put(m, type, &v, sizeof v); }
static void put_u64(struct msg *m, uint16_t type, uint64_t v) { attr_put(m, type, &v, sizeof v); }

static void nest_end(struct msg *m, int off)
{
	if (off < 0)
		return;
	struct nlattr *a = (struct nlattr *)(m->u.buf + off);
	a->nla_len = (uint16_t)(m->u.nh.nlmsg_len - (uint32_t)off);
}

/* Send m on a fresh socket and read the answer up to the ack. For each
 * genl message in the answer, cb(attrs, len, arg) is called. Returns 0
 * or the -errno the kernel acked with. */
static int transact(struct msg *m, void (*cb)(const struct nlattr *, size_t, void *), void *arg)
{
	if (m->overflow)
		return -EMSGSIZE;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int e = 0;
	if (sendto(fd, m->u.buf, m->u.nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof sa) < 0) {
		e = -errno;
		goto out;
	}
	/* No answer in 30 s: the driver is stuck; do not hang with it. */
	struct timeval tv = { .tv_sec = 30 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	for (;;) {
		union { struct nlmsghdr nh; char b[16384]; } r;
		ssize_t n = recv(fd, r.b, sizeof r.b, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			e = errno == EAGAIN ? -ETIMEDOUT : -errno;
			goto out;
		}
		size_t left = (size_t)n;
		for (struct nlmsghdr *h = &r.nh; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *er = NLMSG_DATA(h);
				e = er->error;   /* 0: the ack */
				goto out;
			}
			if (h->nlmsg_type == NLMSG_DONE)
				goto out;
			if (h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN) || !cb)
				continue;
			const char *p = (const char *)NLMSG_DATA(h) + GENL_HDRLEN;
			cb((const struct nlattr *)p, h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), arg);
		}
	}
out:
	close(fd);
	return e;
}

/* Walks the attributes in [a0, a0+len0), checking each length. */
#define FOR_ATTRS(a0, len0, a)                                                           \
	for (const struct nlattr *a = (a0); (len0) >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && \
	                                    (size_t)((const char *)a - (const char *)(a0)) + a->nla_len <= (len0); \
	     a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len)))

struct family_ans { uint16_t id; };

static void family_cb(const struct nlattr *attrs, size_t len, void *arg)
{
	struct family_ans *f = arg;
	FOR_ATTRS(attrs, len, a)
		if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID && a->nla_len >= NLA_HDRLEN + 2)
			memcpy(&f->id, (const char *)a + NLA_HDRLEN, 2);
}

static int resolve_family(uint16_t *id)
{
	struct msg m;
	msg_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	attr_put(&m, CTRL_ATTR_FAMILY_NAME, NBD_GENL_FAMILY_NAME, sizeof NBD_GENL_FAMILY_NAME);
	struct family_ans f = { 0 };
	int e = transact(&m, family_cb, &f);
	if (e)
		return e;
	if (!f.id)
		return -ENOENT;
	*id = f.id;
	return 0;
}

static int nl_probe(char *why, size_t whysize)
{
	struct stat st;
	if (stat("/sys/module/nbd", &st) != 0 && stat("/sys/block/nbd0", &st) != 0) {
		snprintf(why, whysize, "nbd-netlink: the nbd module is not loaded (modprobe nbd)");
		return -ENODEV;
	}
	uint16_t id;
	int e = resolve_family(&id);
	if (e) {
		snprintf(why, whysize, "nbd-netlink: the kernel's nbd netlink family does not "
		         "answer (%s); the nbd-ioctl path may work", strerror(-e));
		return e;
	}
	return 0;
}

/* ---- the path ---------------------------------------------------- */

static void *serve_thread(void *arg)
{
	struct nbd_nl_conn *c = arg;
	struct nbd_nl *nl = c->nl;
	int fd = c->fd;
	c->fd = -1;
	fbx_nbd_server_serve_transmission_fd(nl->srv, fd);
	if (atomic_fetch_sub(&nl->live, 1) == 1)
		fbx_attach_wake(nl->at);
	return NULL;
}

struct connect_ans { int index; };

static void connect_cb(const struct nlattr *attrs, size_t len, void *arg)
{
	struct connect_ans *c = arg;
	FOR_ATTRS(attrs, len, a)
		if ((a->nla_type & NLA_TYPE_MASK) == NBD_ATTR_INDEX && a->nla_len >= NLA_HDRLEN + 4) {
			uint32_t v;
			memcpy(&v, (const char *)a + NLA_HDRLEN, 4);
			c->index = (int)v;
		}
}

/* Bytes of /dev/nbdN as the kernel has it, or -errno. */
static int64_t dev_bytes(int index)
{
	char path[64], buf[32];
	snprintf(path, sizeof path, "/sys/block/nbd%d/size", index);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	int64_t r = fgets(buf, sizeof buf, f) ? (int64_t)strtoull(buf, NULL, 10) * 512 : -EIO;
	fclose(f);
	return r;
}

/* NBD_CMD_RECONFIGURE of /dev/nbd<want> with our sockets kfd. */
static int reconfigure(struct nbd_nl *nl, int want, uint64_t size, const int *kfd)
{
	struct fbx_attach *at = nl->at;
	if (want < 0) {
		fprintf(stderr, "nbd-netlink: recover: name the device to take over (/dev/nbdN)\n");
		return -EINVAL;
	}
	int64_t have = dev_bytes(want);
	if (have >= 0 && (uint64_t)have != size) {
		fprintf(stderr, "nbd-netlink: %s has %lld bytes, this device %llu: not taking it "
		        "over\n", at->opts.device, (long long)have, (unsigned long long)size);
		return -EINVAL;
	}
	/* The driver answers a device whose sockets are alive with success
	 * and ignores our sockets; ask who connected it instead. */
	char path[64], buf[32];
	snprintf(path, sizeof path, "/sys/block/nbd%d/pid", want);
	FILE *f = fopen(path, "re");
	long pid = f && fgets(buf, sizeof buf, f) ? strtol(buf, NULL, 10) : 0;
	if (f)
		fclose(f);
	if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM)) {
		fprintf(stderr, "nbd-netlink: %s: its server (pid %ld) is still running\n",
		        at->opts.device, pid);
		return -EBUSY;
	}
	struct msg m;
	unsigned timeout = fbx_attach_dead_timeout(at);
	msg_init(&m, nl->family, NBD_CMD_RECONFIGURE, NBD_GENL_VERSION);
	put_u32(&m, NBD_ATTR_INDEX, (uint32_t)want);
	put_u64(&m, NBD_ATTR_TIMEOUT, timeout);
	put_u64(&m, NBD_ATTR_DEAD_CONN_TIMEOUT, timeout);
	int socks = attr_put(&m, NBD_ATTR_SOCKETS | NLA_F_NESTED, NULL, 0);
	for (unsigned i = 0; i < nl->nconns; i++) {
		int item = attr_put(&m, NBD_SOCK_ITEM | NLA_F_NESTED, NULL, 0);
		put_u32(&m, NBD_SOCK_FD, (uint32_t)kfd[i]);
		nest_end(&m, item);
	}
	nest_end(&m, socks);
	/* Sockets beyond the dead ones are not taken (the driver says
	 * nothing): closing ours ends their serving threads. */
	int e = transact(&m, NULL, NULL);
	if (e) {
		fprintf(stderr, "nbd-netlink: %s: NBD_CMD_RECONFIGURE: %s\n", at->opts.device,
		        e == -EINVAL ? "not bound to a server (nothing to take over)"
		        : e == -EBUSY ? "its server is still alive" : strerror(-e));
		return e;
	}
	nl->index = want;
	return 0;
}

static int nl_start(struct fbx_attach *at)
{
	struct nbd_nl *nl = calloc(1, sizeof *nl);
	if (!nl)
		return -ENOMEM;
	at->priv = nl;
	nl->at = at;
	nl->index = -1;
	atomic_init(&nl->live, 0);
	for (unsigned i = 0; i < MAX_CONNS; i++)
		nl->conns[i].fd = -1;
	int want = -1;
	if (at->opts.device && (want = fbx_attach_dev_index(at->opts.device, "/dev/nbd")) < 0) {
		fprintf(stderr, "nbd-netlink: %s is not an nbd device (/dev/nbdN)\n", at->opts.device);
		return -EINVAL;
	}
	int e = resolve_family(&nl->family);
	if (e) {
		fprintf(stderr, "nbd-netlink: no nbd netlink family: %s\n", strerror(-e));
		return e;
	}
	nl->srv = fbx_attach_nbd_server(at);
	if (!nl->srv)
		return -errno;
	uint64_t size;
	uint16_t flags;
	fbx_nbd_server_export_params(nl->srv, &size, &flags);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	nl->nconns = fbx_attach_nbd_conns(at, ncpu < 1 ? 1 : ncpu > 4 ? 4 : (unsigned)ncpu);

	int kfd[MAX_CONNS];
	for (unsigned i = 0; i < nl->nconns; i++)
		kfd[i] = -1;
	for (unsigned i = 0; i < nl->nconns && !e; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
			e = -errno;
			break;
		}
		kfd[i] = sv[0];
		struct nbd_nl_conn *c = &nl->conns[i];
		c->nl = nl;
		c->fd = sv[1];
		atomic_fetch_add(&nl->live, 1);
		if ((e = fbx_thread_start(&c->thr, serve_thread, c, false)) != 0) {
			atomic_fetch_sub(&nl->live, 1);
			close(sv[1]);
			c->fd = -1;
		} else {
			c->started = 1;
		}
	}
	if (!e && at->opts.recover) {
		e = reconfigure(nl, want, size, kfd);
	} else if (!e) {
		struct msg m;
		unsigned timeout = fbx_attach_dead_timeout(at);
		msg_init(&m, nl->family, NBD_CMD_CONNECT, NBD_GENL_VERSION);
		if (want >= 0)
			put_u32(&m, NBD_ATTR_INDEX, (uint32_t)want);
		put_u64(&m, NBD_ATTR_SIZE_BYTES, size);
		put_u64(&m, NBD_ATTR_BLOCK_SIZE_BYTES, fbx_attach_block_size(at));
		put_u64(&m, NBD_ATTR_SERVER_FLAGS, flags);
		put_u64(&m, NBD_ATTR_TIMEOUT, timeout);
		put_u64(&m, NBD_ATTR_DEAD_CONN_TIMEOUT, timeout);
		int socks = attr_put(&m, NBD_ATTR_SOCKETS | NLA_F_NESTED, NULL, 0);
		for (unsigned i = 0; i < nl->nconns; i++) {
			int item = attr_put(&m, NBD_SOCK_ITEM | NLA_F_NESTED, NULL, 0);
			put_u32(&m, NBD_SOCK_FD, (uint32_t)kfd[i]);
			nest_end(&m, item);
		}
		nest_end(&m, socks);
		struct connect_ans ans = { .index = -1 };
		e = transact(&m, connect_cb, &ans);
		if (!e && ans.index < 0)
			e = -EPROTO;
		if (!e)
			nl->index = ans.index;
		else if (want >= 0 && e == -EBUSY)
			fprintf(stderr, "nbd-netlink: %s is in use\n", at->opts.device);
		else
			fprintf(stderr, "nbd-netlink: NBD_CMD_CONNECT: %s\n", strerror(-e));
	}
	/* Connected: the driver holds its own references to the sockets.
	 * Failed: closing them ends the serving threads. */
	for (unsigned i = 0; i < nl->nconns; i++)
		if (kfd[i] >= 0)
			close(kfd[i]);
	if (e)
		return e;
	snprintf(at->device, sizeof at->device, "/dev/nbd%d", nl->index);
	/* Connect returns with the device live; the node may lag a moment
	 * behind a freshly created device. */
	for (int i = 0; i < 500 && access(at->device, F_OK) != 0; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return 0;
}

static bool nl_ended(struct fbx_attach *at)
{
	struct nbd_nl *nl = at->priv;
	return atomic_load(&nl->live) == 0;
}

static int nl_wait(struct fbx_attach *at)
{
	return fbx_attach_sleep(at, nl_ended);
}

static void nl_destroy(struct fbx_attach *at)
{
	struct nbd_nl *nl = at->priv;
	if (!nl)
		return;
	if (nl->index >= 0) {
		/* Also when our connections are gone already (the driver cut
		 * them after a timeout): the device stays bound until told. */
		bool live = atomic_load(&nl->live) > 0;
		if (live)
			fbx_attach_sync_dev(at->device);
		struct msg m;
		msg_init(&m, nl->family, NBD_CMD_DISCONNECT, NBD_GENL_VERSION);
		put_u32(&m, NBD_ATTR_INDEX, (uint32_t)nl->index);
		int e = transact(&m, NULL, NULL);
		if (e && live && !at->opts.quiet)
			fprintf(stderr, "nbd-netlink: %s: NBD_CMD_DISCONNECT: %s\n", at->device,
			        strerror(-e));
	}
	/* The driver has shut its sockets; stopping the server also ends a
	 * connection whose kernel side is somehow still there. */
	if (nl->srv)
		fbx_nbd_server_stop(nl->srv);
	for (unsigned i = 0; i < nl->nconns; i++)
		if (nl->conns[i].started)
			pthread_join(nl->conns[i].thr, NULL);
	fbx_nbd_server_destroy(nl->srv);
	free(nl);
	at->priv = NULL;
}

/* ---- freeing a device whose server is gone ------------------------ */

static int ioctl_disconnect(const char *dev)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int e = ioctl(fd, NBD_DISCONNECT) < 0 ? -errno : 0;
	ioctl(fd, NBD_CLEAR_SOCK);
	close(fd);
	return e;
}

int fbx_attach_nbd_disconnect(const char *dev)
{
	int index = fbx_attach_dev_index(dev, "/dev/nbd");
	if (index < 0)
		return -EINVAL;
	struct stat st;
	if (stat("/sys/module/nbd", &st) != 0 && stat("/sys/block/nbd0", &st) != 0)
		return -ENODEV;
	uint16_t family;
	if (resolve_family(&family) != 0)
		return ioctl_disconnect(dev);   /* a kernel without the netlink family */
	struct msg m;
	msg_init(&m, family, NBD_CMD_DISCONNECT, NBD_GENL_VERSION);
	put_u32(&m, NBD_ATTR_INDEX, (uint32_t)index);
	int e = transact(&m, NULL, NULL);
	/* a device set up by the ioctls has no netlink config to drop */
	return e == -EINVAL ? ioctl_disconnect(dev) : e;
}

const struct fbx_attach_path_ops fbx_attach_nbd_netlink = {
	.name = "nbd-netlink",
	.probe = nl_probe,
	.start = nl_start,
	.wait = nl_wait,
	.destroy = nl_destroy,
};
