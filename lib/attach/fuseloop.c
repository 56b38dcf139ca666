/*
 * lib/attach/fuseloop.c -- the FUSE + loop path: for kernels without
 * nbd or ublk. The device becomes the one file "disk" of a private FUSE
 * mount served by this process (our own low-level API, calling the
 * device's callbacks directly, with no NBD in between), and that file
 * is attached to a loop device with direct I/O.
 *
 * Detach order matters: the loop device holds the FUSE file open, and
 * anything mounted on the loop device keeps writing through it. So we
 * first ask the loop driver to let go (LOOP_CLR_FD, which it does when
 * the device's last user closes it), keep serving until the kernel
 * releases the file (our release op sees the open count reach 0), and
 * only then end the FUSE session. Nothing written is lost on the way.
 */
#include "attach/attach_int.h"
#include "attach/attach_util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fusebox/lowlevel.h"

#define DISK_ID 2
static const char disk_name[] = "disk";

struct fuseloop {
	struct fbx_attach  *at;
	struct fbx_session *se;
	pthread_t           thread;
	int                 loop_result;
	char                dir[128];
	char                file[160];
	int                 loopfd;
	pthread_mutex_t     lock;
	pthread_cond_t      cond;
	int                 opens;       /* kernel's open handles on "disk" */
	int                 session_done;
	int                 started;     /* the session thread exists */
};

/* ---- the FUSE side: one directory with one file ------------------- */

static struct fuseloop *fl_of(struct fbx_req *req) { return fbx_req_userdata(req); }

static void disk_stat(const struct fuseloop *fl, uint64_t ino, struct stat *st)
{
	const struct fbx_attach *at = fl->at;
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = getuid();
	st->st_gid = getgid();
	if (ino == FBX_ROOT_ID) {
		st->st_mode = S_IFDIR | 0700;
		st->st_nlink = 2;
		return;
	}
	bool ro = !fbx_dev_writable(&at->dev);
	st->st_mode = S_IFREG | (ro ? 0400 : 0600);
	st->st_nlink = 1;
	st->st_size = (off_t)at->info.size;
	st->st_blocks = (blkcnt_t)((at->info.size + 511) / 512);
	st->st_blksize = at->info.block_pref ? at->info.block_pref : 4096;
}

static void fl_lookup(struct fbx_req *req, uint64_t parent, const char *name)
{
	struct fbx_entry e = { .ino = DISK_ID, .attr_timeout = 3600, .entry_timeout = 3600 };
	if (parent != FBX_ROOT_ID || strcmp(name, disk_name) != 0) {
		fbx_reply_err(req, -ENOENT);
		return;
	}
	disk_stat(fl_of(req), DISK_ID, &e.attr);
	fbx_reply_entry(req, &e);
}

static void fl_getattr(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct stat st;
	(void)fi;
	if (ino != FBX_ROOT_ID && ino != DISK_ID) {
		fbx_reply_err(req, -ENOENT);
		return;
	}
	disk_stat(fl_of(req), ino, &st);
	fbx_reply_attr(req, &st, 3600);
}

static void fl_open(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct fuseloop *fl = fl_of(req);
	if (ino != DISK_ID) {
		fbx_reply_err(req, -EISDIR);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY &&
	    !fbx_dev_writable(&fl->at->dev)) {
		fbx_reply_err(req, -EROFS);
		return;
	}
	/* No page cache for the disk file: the loop device above has one. */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	pthread_mutex_lock(&fl->lock);
	fl->opens++;
	pthread_mutex_unlock(&fl->lock);
	fbx_reply_open(req, fi);
}

static void fl_release(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct fuseloop *fl = fl_of(req);
	(void)ino;
	(void)fi;
	pthread_mutex_lock(&fl->lock);
	fl->opens--;
	pthread_cond_broadcast(&fl->cond);
	pthread_mutex_unlock(&fl->lock);
	fbx_reply_err(req, 0);
}

/* Clip [off, off+size) to the device; 0 bytes past the end. */
static size_t clip(const struct fbx_attach *at, off_t off, size_t size)
{
	if ((uint64_t)off >= at->info.size)
		return 0;
	uint64_t left = at->info.size - (uint64_t)off;
	return size < left ? size : (size_t)left;
}

static void fl_read(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                    struct fbx_file_info *fi)
{
	struct fuseloop *fl = fl_of(req);
	struct fbx_attach *at = fl->at;
	(void)ino;
	(void)fi;
	size = clip(at, off, size);
	char *buf = malloc(size ? size : 1);
	if (!buf) {
		fbx_reply_err(req, -ENOMEM);
		return;
	}
	int err = size ? fbx_dev_read(&at->dev, buf, size, (uint64_t)off) : 0;
	if (err)
		fbx_reply_err(req, err);
	else
		fbx_reply_buf(req, buf, size);
	free(buf);
}

static void fl_write(struct fbx_req *req, uint64_t ino, const char *buf, size_t size,
                     off_t off, struct fbx_file_info *fi)
{
	struct fbx_attach *at = fl_of(req)->at;
	(void)ino;
	(void)fi;
	int err = fbx_dev_write(&at->dev, buf, size, (uint64_t)off, 0);
	if (err)
		fbx_reply_err(req, err);
	else
		fbx_reply_write(req, size);
}

static void fl_fsync(struct fbx_req *req, uint64_t ino, int datasync, struct fbx_file_info *fi)
{
	struct fbx_attach *at = fl_of(req)->at;
	(void)ino;
	(void)datasync;
	(void)fi;
	fbx_reply_err(req, fbx_dev_flush(&at->dev));
}

/* Discard (blkdiscard, fstrim) arrives as PUNCH_HOLE; BLKZEROOUT as
 * ZERO_RANGE. */
static void fl_fallocate(struct fbx_req *req, uint64_t ino, int mode, off_t off,
                         off_t len, struct fbx_file_info *fi)
{
	struct fbx_attach *at = fl_of(req)->at;
	(void)ino;
	(void)fi;
	int err;
	if (off < 0 || len <= 0)
		err = -EINVAL;
	else if (mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE))
		err = fbx_dev_trim(&at->dev, (uint64_t)len, (uint64_t)off, 0);
	else if ((mode & ~FALLOC_FL_KEEP_SIZE) == FALLOC_FL_ZERO_RANGE)
		err = fbx_dev_zero(&at->dev, (uint64_t)len, (uint64_t)off, 0);
	else if (mode == 0 || mode == FALLOC_FL_KEEP_SIZE)
		err = 0;   /* a fixed-size disk is always allocated as far as we know */
	else
		err = -EOPNOTSUPP;
	fbx_reply_err(req, err);
}

static void fl_statfs(struct fbx_req *req, uint64_t ino)
{
	struct statvfs st = { .f_bsize = 4096, .f_frsize = 4096, .f_namemax = 255,
	                      .f_files = 2 };
	(void)ino;
	fbx_reply_statfs(req, &st);
}

static const struct fbx_ll_ops fl_ops = {
	.lookup = fl_lookup,
	.getattr = fl_getattr,
	.open = fl_open,
	.release = fl_release,
	.read = fl_read,
	.write = fl_write,
	.fsync = fl_fsync,
	.fallocate = fl_fallocate,
	.statfs = fl_statfs,
};

/* ---- the loop side ------------------------------------------------- */

static int fl_probe(char *why, size_t whysize)
{
	if (access("/dev/fuse", R_OK | W_OK) != 0) {
		snprintf(why, whysize, "fuse+loop: /dev/fuse is not usable (%s; modprobe fuse)",
		         strerror(errno));
		return -ENODEV;
	}
	if (access("/dev/loop-control", R_OK | W_OK) != 0) {
		snprintf(why, whysize, "fuse+loop: /dev/loop-control is not usable (%s; "
		         "modprobe loop, and run as root)", strerror(errno));
		return -ENODEV;
	}
	return 0;
}

static void *session_thread(void *arg)
{
	struct fuseloop *fl = arg;
	fl->loop_result = fbx_session_loop(fl->se);
	pthread_mutex_lock(&fl->lock);
	fl->session_done = 1;
	pthread_cond_broadcast(&fl->cond);
	pthread_mutex_unlock(&fl->lock);
	fbx_attach_wake(fl->at);
	return NULL;
}

static int make_dir(struct fuseloop *fl)
{
	const char *base = fl->at->opts.fuse_dir;
	if (base) {
		snprintf(fl->dir, sizeof(fl->dir), "%s", base);
		return 0;
	}
	snprintf(fl->dir, sizeof(fl->dir), "%s/fusebox-loop.XXXXXX",
	         access("/run", W_OK) == 0 ? "/run" : "/tmp");
	return mkdtemp(fl->dir) ? 0 : -errno;
}

static int start_session(struct fuseloop *fl)
{
	struct fbx_options o;
	fbx_options_init(&o);
	o.max_write = 1u << 20;
	o.max_threads = 8;
	o.fsname = (char *)"fusebox-disk";
	o.subtype = (char *)"fusebox-disk";
	/* Never io_uring here: this process holds its own mount through the
	 * loop device, and when it dies over io_uring (Linux 6.18) the last
	 * close tears the superblock down from the queue thread's exit work,
	 * while that same thread owes the kernel the delivery of a request:
	 * the thread hangs in D state, and every sync(2) after it.
	 * /dev/fuse serves one loop device well enough. */
	o.io_uring = FBX_OFF;
	fl->se = fbx_session_new(&o, &fl_ops, sizeof(fl_ops), fl);
	if (!fl->se)
		return -errno;
	int err = fbx_session_mount(fl->se, fl->dir);
	if (err)
		return err;
	if (pthread_create(&fl->thread, NULL, session_thread, fl) != 0)
		return -EAGAIN;
	fl->started = 1;
	snprintf(fl->file, sizeof(fl->file), "%s/%s", fl->dir, disk_name);
	return 0;
}

static int configure_loop(struct fuseloop *fl)
{
	struct fbx_attach *at = fl->at;
	bool ro = !fbx_dev_writable(&at->dev);
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	int n = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	if (n < 0)
		return -errno;
	snprintf(at->device, sizeof(at->device), "/dev/loop%d", n);
	int file = open(fl->file, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (file < 0)
		return -errno;
	fl->loopfd = open(at->device, O_RDWR | O_CLOEXEC);
	if (fl->loopfd < 0) {
		int err = -errno;
		close(file);
		return err;
	}
	struct loop_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.fd = (uint32_t)file;
	cfg.block_size = at->info.block_min > 512 ? at->info.block_min : 512;
	cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO | (ro ? LO_FLAGS_READ_ONLY : 0);
	/* losetup -l shows this name; it is cut to the field's 64 bytes. */
	size_t n_name = strnlen(fl->file, sizeof(cfg.info.lo_file_name) - 1);
	memcpy(cfg.info.lo_file_name, fl->file, n_name);
	int rc = ioctl(fl->loopfd, LOOP_CONFIGURE, &cfg);
	if (rc < 0 && errno == EINVAL) {
		/* Direct I/O refused: buffered then (the page-cache risk of
		 * attach.h applies more). */
		cfg.info.lo_flags &= ~(uint32_t)LO_FLAGS_DIRECT_IO;
		rc = ioctl(fl->loopfd, LOOP_CONFIGURE, &cfg);
	}
	int err = rc < 0 ? -errno : 0;
	close(file);   /* the loop device holds its own reference */
	return err;
}

static int fl_start(struct fbx_attach *at)
{
	struct fuseloop *fl = calloc(1, sizeof(*fl));
	if (!fl)
		return -ENOMEM;
	fl->at = at;
	fl->loopfd = -1;
	pthread_mutex_init(&fl->lock, NULL);
	pthread_cond_init(&fl->cond, NULL);
	at->priv = fl;
	int err = make_dir(fl);
	if (!err)
		err = start_session(fl);
	if (!err)
		err = configure_loop(fl);
	if (!err && !at->opts.fuse_dir) {
		/* The loop device holds the file now, and through it the
		 * superblock: the mount itself is needed no more. Detached at
		 * once, it cannot outlive us when we are killed (it did, as a
		 * dead mount under /run, on every kill -9). A fuse_dir the user
		 * chose stays mounted, for them to look at. */
		fbx_session_unmount(fl->se);
		rmdir(fl->dir);
		fl->dir[0] = '\0';
	}
	if (err && !at->opts.quiet)
		fprintf(stderr, "fuse+loop: attaching failed: %s\n", strerror(-err));
	return err;
}

static bool fl_ended(struct fbx_attach *at)
{
	struct fuseloop *fl = at->priv;
	pthread_mutex_lock(&fl->lock);
	bool done = fl->session_done;
	pthread_mutex_unlock(&fl->lock);
	return done;
}

/* Returns when the session ends by itself or stop was asked. */
static int fl_wait(struct fbx_attach *at)
{
	struct fuseloop *fl = at->priv;
	int e = fbx_attach_sleep(at, fl_ended);
	return e ? e : fl_ended(at) ? fl->loop_result : 0;
}

/* Let the loop device go, wait for the kernel to release the file, then
 * end the FUSE session. */
static void fl_destroy(struct fbx_attach *at)
{
	struct fuseloop *fl = at->priv;
	if (!fl)
		return;
	if (fl->loopfd >= 0) {
		if (ioctl(fl->loopfd, LOOP_CLR_FD) < 0 && errno != ENXIO && !at->opts.quiet)
			fprintf(stderr, "fuse+loop: %s still in use, detaching when it is closed\n",
			        at->device);
		close(fl->loopfd);
		fl->loopfd = -1;
		pthread_mutex_lock(&fl->lock);
		while (fl->opens > 0 && !fl->session_done)
			pthread_cond_wait(&fl->cond, &fl->lock);
		pthread_mutex_unlock(&fl->lock);
	}
	if (fl->se) {
		fbx_session_unmount(fl->se);
		fbx_session_exit(fl->se);
		if (fl->started)
			pthread_join(fl->thread, NULL);
		fbx_session_destroy(fl->se);
	}
	if (!at->opts.fuse_dir && fl->dir[0])
		rmdir(fl->dir);
	pthread_cond_destroy(&fl->cond);
	pthread_mutex_destroy(&fl->lock);
	free(fl);
	at->priv = NULL;
}

const struct fbx_attach_path_ops fbx_attach_fuseloop = {
	.name = "fuse+loop",
	.probe = fl_probe,
	.start = fl_start,
	.wait = fl_wait,
	.destroy = fl_destroy,
};
