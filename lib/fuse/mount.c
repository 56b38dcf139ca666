/*
 * lib/fuse/mount.c -- getting a /dev/fuse descriptor mounted, and gone.
 *
 * As root we call mount(2) ourselves. Otherwise (or for auto_unmount,
 * which needs a process that outlives us) we run Debian's fusermount3,
 * which is setuid root: it mounts and passes the descriptor back over a
 * socket named by _FUSE_COMMFD. With auto_unmount fusermount3 stays
 * behind and unmounts when that socket closes, i.e. when we die, even
 * by kill -9.
 *
 * -o blkdev mounts the type "fuseblk" with the block device of
 * -o fsname as source (options.h): checked here first, so a mistake
 * gets its own message rather than mount(2)'s ENOTBLK or EINVAL.
 */
#include "fuse/session.h"
#include "fuse/options_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FUSERMOUNT "fusermount3"

/* Append ",s" (or "s" at the start) to a fixed buffer. */
static int opt_add(char *buf, size_t size, const char *fmt, const char *s)
{
	size_t len = strlen(buf);
	int n = snprintf(buf + len, size - len, "%s", len ? "," : "");
	if (n < 0 || (size_t)n >= size - len)
		return -E2BIG;
	len += (size_t)n;
	n = snprintf(buf + len, size - len, fmt, s);
	return (n < 0 || (size_t)n >= size - len) ? -E2BIG : 0;
}

/* The program's name, as mount(8) shows it (source and fuse.TYPE). */
static const char *prog_base(const struct fbx_session *se)
{
	const char *p = se->opts.progname;
	if (!p || !*p)
		return NULL;
	const char *slash = strrchr(p, '/');
	return slash ? slash + 1 : p;
}

static const char *fs_source(const struct fbx_session *se)
{
	if (se->opts.fsname)
		return se->opts.fsname;
	return prog_base(se) ? prog_base(se) : "fusebox";
}

static const char *fs_subtype(const struct fbx_session *se)
{
	if (se->opts.subtype)
		return se->opts.subtype;
	return se->opts.no_default_subtype ? NULL : prog_base(se);
}

/* mount(2) flags as fusermount3 options. */
static int flag_opts(unsigned long f, char *buf, size_t size)
{
	int err = opt_add(buf, size, "%s", (f & MS_RDONLY) ? "ro" : "rw");
	if (f & MS_NOSUID)
		err |= opt_add(buf, size, "%s", "nosuid");
	if (f & MS_NODEV)
		err |= opt_add(buf, size, "%s", "nodev");
	if (f & MS_NOEXEC)
		err |= opt_add(buf, size, "%s", "noexec");
	if (f & MS_NOATIME)
		err |= opt_add(buf, size, "%s", "noatime");
	if (f & MS_NODIRATIME)
		err |= opt_add(buf, size, "%s", "nodiratime");
	if (f & MS_STRICTATIME)
		err |= opt_add(buf, size, "%s", "strictatime");
	if (f & MS_SYNCHRONOUS)
		err |= opt_add(buf, size, "%s", "sync");
	if (f & MS_DIRSYNC)
		err |= opt_add(buf, size, "%s", "dirsync");
	return err ? -E2BIG : 0;
}

/* The data string of mount(2): what only mount(2) takes, then the
 * kernel options of the one builder (options_int.h). The kernel reads
 * at most a page of it. */
static int direct_data(const struct fbx_session *se, int fd, const struct stat *st,
                       char *buf, size_t size)
{
	char *kopts;
	int err = fbx_kernel_opts_build(&se->opts, fs_subtype(se), &kopts);
	if (err)
		return err;
	int n = snprintf(buf, size, "fd=%d,rootmode=%o,user_id=%u,group_id=%u%s%s", fd,
	                 st->st_mode & S_IFMT, getuid(), getgid(), *kopts ? "," : "", kopts);
	free(kopts);
	return n < 0 || (size_t)n >= size ? -E2BIG : 0;
}

static int mount_direct(struct fbx_session *se, const char *mnt, const struct stat *st)
{
	char data[4096];
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		fprintf(stderr, "fusebox: cannot open /dev/fuse: %s%s\n", strerror(err),
		        err == ENOENT ? " (is the fuse module loaded? try `modprobe fuse')" : "");
		return -err;
	}
	int err = direct_data(se, fd, st, data, sizeof data);
	if (err) {
		close(fd);
		if (err == -E2BIG)
			fprintf(stderr, "fusebox: mount options too long (over %zu bytes)\n",
			        sizeof data - 1);
		return err;
	}
	/* The subtype is in data; "fuse.NAME" as well would name it twice. */
	unsigned long flags = se->opts.mount_flags;
	if (se->opts.read_only)
		flags |= MS_RDONLY;
	const char *type = se->opts.blkdev ? "fuseblk" : "fuse";
	if (mount(fs_source(se), mnt, type, flags, data) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	se->fd = fd;
	return 0;
}

/* Receive the descriptor fusermount3 sends with SCM_RIGHTS. */
static int recv_fd(int sock)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	                      .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
	ssize_t n;
	do {
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return -EIO;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}

/* fusermount3's -o: the mount flags spelt as names, fsname and
 * auto_unmount (its own), then the kernel options of the one builder. */
static int fusermount_opts(const struct fbx_session *se, char *buf, size_t size)
{
	const struct fbx_options *o = &se->opts;
	int err = flag_opts(o->mount_flags | (o->read_only ? MS_RDONLY : 0), buf, size);
	if (!err)
		err = opt_add(buf, size, "fsname=%s", fs_source(se));
	if (!err && o->auto_unmount)
		err = opt_add(buf, size, "%s", "auto_unmount");
	if (!err && o->blkdev)
		err = opt_add(buf, size, "%s", "blkdev");
	char *kopts = NULL;
	if (!err)
		err = fbx_kernel_opts_build(o, fs_subtype(se), &kopts);
	if (!err && *kopts)
		err = opt_add(buf, size, "%s", kopts);
	free(kopts);
	return err;
}

static int mount_fusermount(struct fbx_session *se, const char *mnt)
{
	char opts[4096] = "";
	const struct fbx_options *o = &se->opts;
	int err = fusermount_opts(se, opts, sizeof opts);
	if (err) {
		if (err == -E2BIG)
			fprintf(stderr, "fusebox: mount options too long (over %zu bytes)\n",
			        sizeof opts - 1);
		return err;
	}

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		err = -errno;
		close(sv[0]);
		close(sv[1]);
		return err;
	}
	if (pid == 0) {
		char env[32];
		int fl = fcntl(sv[0], F_GETFD);
		fcntl(sv[0], F_SETFD, fl & ~FD_CLOEXEC);   /* fusermount3 must inherit it */
		snprintf(env, sizeof env, "%d", sv[0]);
		setenv("_FUSE_COMMFD", env, 1);
		execlp(FUSERMOUNT, FUSERMOUNT, "-o", opts, "--", mnt, (char *)NULL);
		fprintf(stderr, "fusebox: cannot run %s: %s (install Debian's fuse3 package)\n",
		        FUSERMOUNT, strerror(errno));
		_exit(127);
	}
	close(sv[0]);
	int fd = recv_fd(sv[1]);
	if (!o->auto_unmount || fd < 0) {
		/* Without auto_unmount fusermount3 exits right after mounting. */
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		close(sv[1]);
	} else {
		se->commfd = sv[1];   /* closing it (or dying) unmounts */
	}
	if (fd < 0)
		return -EPERM;   /* fusermount3 printed why */
	se->fd = fd;
	se->mounted_by_fusermount = 1;
	return 0;
}

static int check_mountpoint(const char *mnt, struct stat *st)
{
	if (stat(mnt, st) == 0) {
		if (!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode)) {
			fprintf(stderr, "fusebox: mount point %s is not a directory or file\n", mnt);
			return -ENOTDIR;
		}
		return 0;
	}
	int err = errno;
	if (err == ENOTCONN)
		fprintf(stderr, "fusebox: %s is a stale FUSE mount: its daemon died. "
		        "Clear it with `fusermount3 -u %s' (or `umount -l %s' as root).\n",
		        mnt, mnt, mnt);
	else
		fprintf(stderr, "fusebox: bad mount point %s: %s\n", mnt, strerror(err));
	return -err;
}

/* A mount on a directory that already has one goes on top and hides
 * the first without a word (a second `memfs /mnt/x` by mistake); refuse
 * that unless -o nonempty asks for it, and say what is there. */
static int check_not_mounted(const struct fbx_session *se, const char *mnt)
{
	struct statx stx;
	if (se->opts.nonempty || statx(AT_FDCWD, mnt, AT_NO_AUTOMOUNT, 0, &stx) != 0 ||
	    !(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) ||
	    !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
		return 0;
	char what[PATH_MAX + 64] = "", buf[4 * PATH_MAX];
	struct mntent m;
	FILE *f = setmntent("/proc/self/mounts", "r");
	while (f && getmntent_r(f, &m, buf, sizeof buf))
		if (!strcmp(m.mnt_dir, mnt))   /* the last one is on top */
			snprintf(what, sizeof what, " (%s from %s)", m.mnt_type, m.mnt_fsname);
	if (f)
		endmntent(f);
	fprintf(stderr, "fusebox: %s is already a mount point%s: unmount it first, "
	        "or give -o nonempty to mount over it\n", mnt, what);
	return -EBUSY;
}

/* fuseblk: a block device to mount, by root; blksize only there. */
static int check_blkdev(const struct fbx_options *o)
{
	struct stat st;
	if (!o->blkdev) {
		if (!o->blksize)
			return 0;
		fprintf(stderr, "fusebox: -o blksize=%u needs -o blkdev (a fuseblk mount)\n",
		        o->blksize);
		return -EINVAL;
	}
	if (!o->fsname) {
		fprintf(stderr, "fusebox: -o blkdev needs -o fsname=DEVICE, the block device "
		        "to mount\n");
		return -EINVAL;
	}
	if (stat(o->fsname, &st) < 0) {
		int err = errno;
		fprintf(stderr, "fusebox: -o blkdev: device %s: %s\n", o->fsname, strerror(err));
		return -err;
	}
	if (!S_ISBLK(st.st_mode)) {
		fprintf(stderr, "fusebox: -o blkdev: fsname %s is not a block device\n",
		        o->fsname);
		return -ENOTBLK;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "fusebox: -o blkdev needs root (a fuseblk mount opens %s)\n",
		        o->fsname);
		return -EPERM;
	}
	return 0;
}

/*
 * "/dev/fd/N": a /dev/fuse descriptor the caller's parent opened and
 * mounted (mount.fuse3 -o drop_privileges does this). The session
 * serves it; the mount is not ours, so nothing is unmounted later.
 */
static int adopt_fd(struct fbx_session *se, const char *mountpoint)
{
	int fd, end = 0;
	struct stat st;
	if (sscanf(mountpoint, "/dev/fd/%d%n", &fd, &end) != 1 || mountpoint[end] || fd < 0)
		return 1;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode)) {
		fprintf(stderr, "fusebox: %s is not an open /dev/fuse descriptor\n", mountpoint);
		return -EBADF;
	}
	se->fd = fd;
	return 0;
}

int fbx_mount(struct fbx_session *se, const char *mountpoint)
{
	char mnt[PATH_MAX];
	struct stat st;
	if (strncmp(mountpoint, "/dev/fd/", 8) == 0) {
		int r = adopt_fd(se, mountpoint);
		if (r <= 0)
			return r;
	}
	if (!realpath(mountpoint, mnt)) {
		int err = errno;
		if (err == ENOTCONN)
			return check_mountpoint(mountpoint, &st);
		fprintf(stderr, "fusebox: bad mount point %s: %s\n", mountpoint, strerror(err));
		return -err;
	}
	int err = check_blkdev(&se->opts);
	if (!err)
		err = check_mountpoint(mnt, &st);
	if (!err)
		err = check_not_mounted(se, mnt);
	if (err)
		return err;
	err = -EPERM;
	if (geteuid() == 0 && !se->opts.auto_unmount)
		err = mount_direct(se, mnt, &st);
	if (err == -EPERM)
		err = mount_fusermount(se, mnt);
	if (err) {
		if (err != -EPERM && se->opts.blkdev)
			fprintf(stderr, "fusebox: mounting %s as fuseblk on %s (blksize=%u, 0 is the "
			        "kernel's choice): %s\n", mnt, se->opts.fsname, se->opts.blksize,
			        strerror(-err));
		else if (err != -EPERM)
			fprintf(stderr, "fusebox: mounting %s: %s\n", mnt, strerror(-err));
		return err;
	}
	se->mountpoint = strdup(mnt);
	if (!se->mountpoint) {
		fbx_unmount(se);
		return -ENOMEM;
	}
	return 0;
}

/* 0 when fusermount3 unmounted mnt, else -EIO (it said nothing: -q). */
static int run_fusermount_u(const char *mnt)
{
	int status = -1;
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 2);
		execlp(FUSERMOUNT, FUSERMOUNT, "-u", "-q", "-z", "--", mnt, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return -errno;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

int fbx_unmount_path(const char *mountpoint)
{
	if (!mountpoint || !*mountpoint)
		return -EINVAL;
	if (umount2(mountpoint, MNT_DETACH) == 0)
		return 0;
	if (errno != EPERM)
		return -errno;
	return run_fusermount_u(mountpoint);
}

void fbx_unmount(struct fbx_session *se)
{
	/* Several threads may get here (a signal and the loop's end). */
	if (!se->mountpoint || atomic_exchange(&se->unmounted, 1))
		return;
	if (se->mounted_by_fusermount || umount2(se->mountpoint, MNT_DETACH) < 0)
		run_fusermount_u(se->mountpoint);
	int commfd = atomic_exchange(&se->commfd, -1);
	if (commfd >= 0)
		close(commfd);
}
