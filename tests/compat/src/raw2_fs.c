/*
 * raw2_fs.c -- a libfuse 2 filesystem with one file, "hello", served by
 * the program's own loop over libfuse 2's raw-request calls, one way per
 * mode:
 *   buf     fuse_session_receive_buf + fuse_session_process_buf, and
 *           fuse_chan_recv + fuse_session_process, by turns
 *   custom  mount(2) of its own /dev/fuse descriptor, a fuse_chan_new
 *           channel whose receive/send are read(2)/writev(2) on it, and
 *           fuse_session_loop
 *   cmd     high level: fuse_read_cmd + fuse_process_cmd
 *   mtproc  high level: fuse_loop_mt_proc
 * The low-level modes also answer an ioctl (_IOR('E', 0, size_t): the
 * file's size) and poll (always writable, never readable).
 * Serves until unmounted, then prints "served N" (requests its own code
 * saw) and exits 0. Built by t_fuse2_raw.sh against Debian's libfuse 2
 * and against ours; not by make.
 */
#define FUSE_USE_VERSION 29
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static const char text[] = "hello, raw\n";
static atomic_int served;

/* ---- low level ---------------------------------------------------------- */

static void stat_of(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = ino == FUSE_ROOT_ID ? S_IFDIR | 0755 : S_IFREG | 0444;
	st->st_nlink = 1;
	st->st_size = ino == FUSE_ROOT_ID ? 0 : (off_t)strlen(text);
}

static void ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	if (parent != FUSE_ROOT_ID || strcmp(name, "hello") != 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = 2;
	stat_of(2, &e.attr);
	fuse_reply_entry(req, &e);
}

static void ll_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	(void)fi;
	stat_of(ino, &st);
	fuse_reply_attr(req, &st, 0);
}

static void ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
	size_t len = strlen(text);
	(void)ino; (void)fi;
	if ((size_t)off >= len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, text + off, off + size > len ? len - off : size);
}

static void ll_ioctl(fuse_req_t req, fuse_ino_t ino, int cmd, void *arg,
                     struct fuse_file_info *fi, unsigned flags, const void *in_buf,
                     size_t in_bufsz, size_t out_bufsz)
{
	size_t size = strlen(text);
	(void)ino; (void)arg; (void)fi; (void)flags; (void)in_buf; (void)in_bufsz;
	if ((unsigned)cmd != (unsigned)_IOR('E', 0, size_t) || out_bufsz < sizeof(size))
		fuse_reply_err(req, ENOTTY);
	else
		fuse_reply_ioctl(req, 0, &size, sizeof(size));
}

static void ll_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
                    struct fuse_pollhandle *ph)
{
	(void)ino; (void)fi;
	fuse_pollhandle_destroy(ph);   /* never readable: nothing to wake */
	fuse_reply_poll(req, POLLOUT);
}

static const struct fuse_lowlevel_ops ll_ops = {
	.lookup = ll_lookup, .getattr = ll_getattr, .read = ll_read,
	.ioctl = ll_ioctl, .poll = ll_poll,
};

static int own_loop(struct fuse_session *se, struct fuse_chan *ch)
{
	size_t size = fuse_chan_bufsize(ch);
	char *mem = malloc(size);
	int turn = 0, r = 0;
	while (mem && !fuse_session_exited(se)) {
		struct fuse_chan *c = ch;
		if (turn++ % 2) {
			struct fuse_buf fb = { .size = size, .mem = mem };
			r = fuse_session_receive_buf(se, &fb, &c);
			if (r > 0)
				fuse_session_process_buf(se, &fb, c);
		} else {
			r = fuse_chan_recv(&c, mem, size);
			if (r > 0)
				fuse_session_process(se, mem, (size_t)r, c);
		}
		if (r == -EINTR || r == -EAGAIN)
			continue;
		if (r <= 0)
			break;
		served++;
	}
	free(mem);
	return r < 0 ? 1 : 0;
}

static int custom_receive(struct fuse_chan **chp, char *buf, size_t size)
{
	ssize_t n = read(fuse_chan_fd(*chp), buf, size);
	if (n < 0)
		return errno == ENODEV ? 0 : -errno;
	served++;
	return (int)n;
}

static int custom_send(struct fuse_chan *ch, const struct iovec iov[], size_t count)
{
	return writev(fuse_chan_fd(ch), iov, (int)count) < 0 ? -errno : 0;
}

static void custom_destroy(struct fuse_chan *ch)
{
	close(fuse_chan_fd(ch));
}

static int run_ll(const char *mode, const char *mnt, struct fuse_args *args)
{
	struct fuse_chan *ch;
	if (strcmp(mode, "custom") == 0) {
		static struct fuse_chan_ops cops = { custom_receive, custom_send, custom_destroy };
		char opts[128];
		int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
		snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
		if (fd < 0 || mount("raw2", mnt, "fuse.raw2", MS_NOSUID | MS_NODEV, opts) < 0) {
			perror("mount");
			return 1;
		}
		ch = fuse_chan_new(&cops, fd, 1 << 21, NULL);
	} else {
		ch = fuse_mount(mnt, args);
	}
	struct fuse_session *se = ch ? fuse_lowlevel_new(args, &ll_ops, sizeof(ll_ops), NULL) : NULL;
	if (!se)
		return 1;
	fuse_session_add_chan(se, ch);
	int r = strcmp(mode, "custom") == 0 ? fuse_session_loop(se) : own_loop(se, ch);
	fuse_session_remove_chan(ch);
	fuse_session_destroy(se);
	if (strcmp(mode, "custom") == 0)
		fuse_chan_destroy(ch);
	else
		fuse_unmount(mnt, ch);
	return r ? 1 : 0;
}

/* ---- high level --------------------------------------------------------- */

static int hl_getattr(const char *path, struct stat *st)
{
	stat_of(strcmp(path, "/") == 0 ? FUSE_ROOT_ID : 2, st);
	return strcmp(path, "/") == 0 || strcmp(path, "/hello") == 0 ? 0 : -ENOENT;
}

static int hl_read(const char *path, char *buf, size_t size, off_t off,
                   struct fuse_file_info *fi)
{
	size_t len = strlen(text);
	(void)path; (void)fi;
	if ((size_t)off >= len)
		return 0;
	if (off + size > len)
		size = len - off;
	memcpy(buf, text + off, size);
	return (int)size;
}

static const struct fuse_operations hl_ops = { .getattr = hl_getattr, .read = hl_read };

static void proc(struct fuse *f, struct fuse_cmd *cmd, void *data)
{
	(void)data;
	served++;
	fuse_process_cmd(f, cmd);
}

static int run_hl(const char *mode, const char *mnt, struct fuse_args *args)
{
	struct fuse_chan *ch = fuse_mount(mnt, args);
	struct fuse *f = ch ? fuse_new(ch, args, &hl_ops, sizeof(hl_ops), NULL) : NULL;
	if (!f)
		return 1;
	int r = 0;
	if (strcmp(mode, "mtproc") == 0) {
		r = fuse_loop_mt_proc(f, proc, NULL);
	} else {
		while (!fuse_exited(f)) {
			struct fuse_cmd *cmd = fuse_read_cmd(f);
			if (cmd)
				proc(f, cmd, NULL);
		}
	}
	fuse_unmount(mnt, ch);
	fuse_destroy(f);
	return r ? 1 : 0;
}

int main(int argc, char *argv[])
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s buf|custom|cmd|mtproc MOUNTPOINT\n", argv[0]);
		return 2;
	}
	char *fargv[] = { argv[0], NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, fargv);
	const char *mode = argv[1];
	int r = strcmp(mode, "cmd") == 0 || strcmp(mode, "mtproc") == 0
	        ? run_hl(mode, argv[2], &args) : run_ll(mode, argv[2], &args);
	fprintf(stderr, "served %d\n", (int)served);
	return r;
}
