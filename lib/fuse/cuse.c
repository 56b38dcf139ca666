/*
 * lib/fuse/cuse.c -- CUSE sessions: a character device instead of a
 * mount, on the same workers, dispatch and replies as a filesystem.
 *
 * The differences are all at the start: the descriptor comes from
 * /dev/cuse, and its first request is CUSE_INIT, whose answer carries
 * the device (name, numbers, udev lines). After that the kernel sends
 * ordinary FUSE requests (OPEN, READ, WRITE, IOCTL, POLL, RELEASE) with
 * node id 0.
 */
#include "fuse/session.h"
#include "fuse/chan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fusebox/cuse.h"

struct fbx_cuse {
	uint32_t flags, dev_major, dev_minor;
	void   (*init_done)(void *userdata);
	size_t   infolen;
	char     info[FBX_K_CUSE_INIT_INFO_MAX];
};

struct fbx_session *fbx_cuse_new(const struct fbx_options *opts,
                                 const struct fbx_cuse_info *ci,
                                 const struct fbx_ll_ops *ops, size_t ops_size,
                                 void *userdata)
{
	struct fbx_cuse *c = malloc(sizeof *c);
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	int n = fbx_cuse_info_encode(c->info, sizeof c->info, ci->dev_name, ci->dev_info);
	if (n < 0) {
		free(c);
		errno = -n;
		return NULL;
	}
	c->infolen = (size_t)n;
	c->flags = ci->flags & FBX_CUSE_UNRESTRICTED_IOCTL ? FBX_K_CUSE_UNRESTRICTED_IOCTL : 0;
	c->dev_major = ci->dev_major;
	c->dev_minor = ci->dev_minor;
	c->init_done = ci->init_done;
	struct fbx_session *se = fbx_session_new(opts, ops, ops_size, userdata);
	if (!se) {
		free(c);
		return NULL;
	}
	se->cuse = c;
	return se;
}

int fbx_cuse_open(struct fbx_session *se)
{
	if (se->fd >= 0 || se->ch)
		return -EBUSY;
	int fd = open("/dev/cuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		fprintf(stderr, "fusebox: cannot open /dev/cuse: %s%s\n", strerror(err),
		        err == ENOENT || err == ENODEV
		        ? " (is the cuse module loaded? try `modprobe cuse')" : "");
		return -err;
	}
	/* The session closes se->fd at destroy; the channel only borrows it. */
	struct fbx_chan *ch = fbx_chan_dev_new(fd, false);
	if (!ch) {
		close(fd);
		return -ENOMEM;
	}
	fbx_session_set_chan(se, ch);
	return 0;
}

void fbx_cuse_reply_init(struct fbx_session *se, struct fbx_chan *ch, const struct fbx_msg *m)
{
	const struct fbx_k_cuse_init_in *in = m->arg;
	struct fbx_k_cuse_init_out out;
	struct fbx_k_out_header h = { sizeof h, 0, m->unique };
	struct iovec iov[3] = { { &h, sizeof h }, { &out, sizeof out },
	                        { se->cuse->info, se->cuse->infolen } };
	/* INIT's first four fields are CUSE_INIT's, but the flags are not
	 * FUSE capabilities: a device negotiates none. */
	struct fbx_k_init_in init = { .major = in->major, .minor = in->minor };
	if (fbx_init_begin(&se->conn, &init, FBX_K_COMPAT_INIT_IN_SIZE, &se->opts, 0) < 0) {
		fprintf(stderr, "fusebox: kernel CUSE protocol %u.%u is not supported "
		        "(need 7.31 or later)\n", in->major, in->minor);
		h.error = -EPROTO;
		fbx_chan_send(ch, iov, 1);
		fbx_session_die(se, -EPROTO);
		return;
	}
	se->conn.capable = se->conn.want = 0;
	if (se->ops.init)
		se->ops.init(se->userdata, &se->conn);
	se->conn.capable = se->conn.want = 0;
	fbx_cuse_init_encode(&out, &se->conn, se->cuse->flags & in->flags,
	                     se->cuse->dev_major, se->cuse->dev_minor);
	se->proto.minor = se->conn.proto_minor;
	atomic_store(&se->got_init, 1);
	h.len += (uint32_t)(sizeof out + se->cuse->infolen);
	if (se->opts.debug)
		fprintf(stderr, "CUSE_INIT: %u.%u, %s, flags 0x%x\n", out.major, out.minor,
		        se->cuse->info, out.flags);
	if (fbx_chan_send(ch, iov, 3) == 0 && se->cuse->init_done)
		se->cuse->init_done(se->userdata);
}
