/*
 * ownloop.c -- a libfuse session served by the program's own loop or
 * over its own transport: fuse_session_receive_buf/process_buf,
 * fuse_session_custom_io, and fuse_open_channel. Translations onto
 * fbx_session_receive/process, fbx_session_custom_io and
 * fbx_session_release_fd (fusebox/lowlevel.h).
 */
#include "session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fusebox/options.h"

int fuse_session_receive_buf(struct fuse_session *se, struct fuse_buf *buf)
{
	/* As libfuse: the buffer holds the largest request, whatever
	 * buf->size said, and is the program's to free. */
	size_t size = fbx_session_bufsize(se->fbx);
	if (size == 0)
		return -ENOTCONN;
	if (!buf->mem) {
		buf->mem = malloc(size);
		if (!buf->mem) {
			fbx_fuse3_err("failed to allocate read buffer\n");
			return -ENOMEM;
		}
	}
	ssize_t n = fbx_session_receive(se->fbx, buf->mem, size);
	if (n > 0) {
		buf->size = (size_t)n;
		buf->flags = 0;
	}
	return (int)n;
}

void fuse_session_process_buf(struct fuse_session *se, const struct fuse_buf *buf)
{
	if (buf->flags & FUSE_BUF_IS_FD) {
		/* receive_buf never makes one: fusebox does not splice */
		fbx_fuse3_err("fuse_session_process_buf: a descriptor buffer is not supported\n");
		return;
	}
	fbx_session_process(se->fbx, buf->mem, buf->size);
}

/* ---- custom I/O -------------------------------------------------------- */

/* libfuse's read and writev behave as read(2)/writev(2) (-1, errno);
 * fusebox's custom I/O returns negated errnos. The program's writev may
 * change the iovec (hello_ll_uds.c advances it), so it gets a copy. */
static ssize_t io_read(int fd, void *buf, size_t size, void *data)
{
	struct fuse_session *se = data;
	ssize_t n = se->io.read(fd, buf, size, se->userdata);
	return n < 0 ? -(errno ? errno : EIO) : n;
}

static ssize_t io_writev(int fd, const struct iovec *iov, int count, void *data)
{
	struct fuse_session *se = data;
	struct iovec local[8], *v = local;
	if (count > 8 && !(v = malloc(sizeof *v * (size_t)count)))
		return -ENOMEM;
	memcpy(v, iov, sizeof *v * (size_t)count);
	errno = 0;
	ssize_t n = se->io.writev(fd, v, count, se->userdata);
	int err = errno;
	if (v != local)
		free(v);
	return n < 0 ? -(err ? err : EIO) : n;
}

static const struct fbx_custom_io io_ops = { .read = io_read, .writev = io_writev };

int fuse_session_custom_io(struct fuse_session *se, const struct fuse_custom_io *io, int fd)
{
	if (fd < 0) {
		fbx_fuse3_err("invalid file descriptor value %d passed to fuse_session_custom_io()\n", fd);
		return -EBADF;
	}
	if (!io || !io->read || !io->writev) {
		fbx_fuse3_err("fuse_session_custom_io() needs both read and writev\n");
		return -EINVAL;
	}
	if (io->splice_receive || io->splice_send)
		fuse_log(FUSE_LOG_DEBUG, "fuse: custom splice functions unused (fusebox copies)\n");
	se->io = *io;
	return fbx_session_custom_io(se->fbx, &io_ops, sizeof io_ops, fd, se);
}

/* ---- fuse_open_channel ------------------------------------------------- */

static const struct fbx_ll_ops no_ops;

int fuse_open_channel(const char *mountpoint, const char *options)
{
	struct fbx_options o;
	fbx_fuse3_options_init(&o);
	if (options && *options && fbx_options_parse_o(&o, options, NULL, NULL) < 0) {
		fbx_options_free(&o);
		return -1;
	}
	struct fbx_session *s = fbx_session_new(&o, &no_ops, sizeof no_ops, NULL);
	fbx_options_free(&o);
	if (!s) {
		fbx_fuse3_err("cannot create session: %s\n", strerror(errno));
		return -1;
	}
	int fd = -1;
	int err = fbx_session_mount(s, mountpoint);
	if (err == 0 && (fd = fbx_session_release_fd(s)) < 0)
		fbx_fuse3_err("fuse_open_channel: %s\n", strerror(-fd));
	fbx_session_destroy(s);
	return fd < 0 ? -1 : fd;
}
