/*
 * cuse_lowlevel.h -- fusebox's libfuse 3 compatible CUSE API: character
 * devices served from user space.
 *
 * A CUSE server registers a device (/dev/NAME, with a major and minor
 * number) through /dev/cuse instead of mounting a filesystem; programs
 * then open, read, write and ioctl that device, and each of those calls
 * arrives as an op of struct cuse_lowlevel_ops, answered with the same
 * fuse_reply_*() calls as a low-level filesystem's (fuse_lowlevel.h).
 * There are no inodes: every op works on the open file (fi->fh).
 *
 * Status in fusebox: complete, with libfuse 3.14's layouts, over
 * fusebox's own CUSE sessions (fusebox/cuse.h). A CUSE session serves
 * with one thread even when asked for more (the kernel cannot clone a
 * /dev/cuse descriptor per worker); ops may still reply from other
 * threads. libfuse's cuse example and client run on it unchanged
 * (tests/vm/t_cuse.sh).
 *
 * Define FUSE_USE_VERSION (see fuse_common.h) before including this.
 */
#ifndef CUSE_LOWLEVEL_H_
#define CUSE_LOWLEVEL_H_

#include "fuse_lowlevel.h"

#include <fcntl.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** cuse_info.flags: ioctls are unrestricted (the server may ask to
 *  retry with any caller memory, see fuse_reply_ioctl_retry). */
#define CUSE_UNRESTRICTED_IOCTL (1 << 0)

struct fuse_session;

/** The device to create. */
struct cuse_info {
	unsigned dev_major;          /* 0: the kernel picks one */
	unsigned dev_minor;
	unsigned dev_info_argc;      /* number of strings in dev_info_argv */
	const char **dev_info_argv;  /* "DEVNAME=name" and other KEY=VALUE for udev */
	unsigned flags;              /* CUSE_* */
};

/**
 * The device's operations. Each one that replies may instead reply
 * fuse_reply_err(req, errno). NULL ops get ENOSYS, except open (success).
 */
struct cuse_lowlevel_ops {
	/** After the kernel's INIT, as for a filesystem. No reply. */
	void (*init)(void *userdata, struct fuse_conn_info *conn);
	/** The device node exists now (a daemon may detach here). */
	void (*init_done)(void *userdata);
	/** The session ends. No reply. */
	void (*destroy)(void *userdata);
	/** open(2) of the device. Reply open. */
	void (*open)(fuse_req_t req, struct fuse_file_info *fi);
	/** Reply buf, iov or data with at most size bytes. */
	void (*read)(fuse_req_t req, size_t size, off_t off,
	             struct fuse_file_info *fi);
	/** Reply write with the count taken. */
	void (*write)(fuse_req_t req, const char *buf, size_t size, off_t off,
	              struct fuse_file_info *fi);
	/** Each close(2). Reply err. */
	void (*flush)(fuse_req_t req, struct fuse_file_info *fi);
	/** The last close. Reply err. */
	void (*release)(fuse_req_t req, struct fuse_file_info *fi);
	/** fsync(2). Reply err. */
	void (*fsync)(fuse_req_t req, int datasync, struct fuse_file_info *fi);
	/** ioctl(2), as in fuse_lowlevel_ops. Reply ioctl, ioctl_iov or
	 *  ioctl_retry. */
	void (*ioctl)(fuse_req_t req, int cmd, void *arg,
	              struct fuse_file_info *fi, unsigned int flags,
	              const void *in_buf, size_t in_bufsz, size_t out_bufsz);
	/** poll(2), as in fuse_lowlevel_ops. Reply poll. */
	void (*poll)(fuse_req_t req, struct fuse_file_info *fi,
	             struct fuse_pollhandle *ph);
};

/** A CUSE session for `ci` with the options in args (as
 *  fuse_session_new). NULL after a message. */
struct fuse_session *cuse_lowlevel_new(struct fuse_args *args,
                                       const struct cuse_info *ci,
                                       const struct cuse_lowlevel_ops *clop,
                                       void *userdata);

/** Parse the command line (-f, -s, -d, -o), create the device,
 *  daemonize unless -f, set the signal handlers; *multithreaded is
 *  set unless -s. NULL after a message. */
struct fuse_session *cuse_lowlevel_setup(int argc, char *argv[],
                                         const struct cuse_info *ci,
                                         const struct cuse_lowlevel_ops *clop,
                                         int *multithreaded, void *userdata);
/** Undo cuse_lowlevel_setup: signal handlers, the session. */
void cuse_lowlevel_teardown(struct fuse_session *se);
/** setup, loop (threaded unless -s), teardown. Returns 0, or 1 after a
 *  message. */
int cuse_lowlevel_main(int argc, char *argv[], const struct cuse_info *ci,
                       const struct cuse_lowlevel_ops *clop, void *userdata);

#ifdef __cplusplus
}
#endif
#endif /* CUSE_LOWLEVEL_H_ */
