/*
 * intr_fs.c -- a libfuse 3 low-level filesystem whose one file, "slow",
 * never answers a read until the kernel interrupts it: the read waits
 * for the callback registered with fuse_req_interrupt_func(), then
 * replies EINTR. Built by t_fuse3_intr.sh against Debian's libfuse and
 * against ours; not by make.
 */
#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int fired;

static void stat_of(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = ino == FUSE_ROOT_ID ? S_IFDIR | 0755 : S_IFREG | 0444;
	st->st_nlink = 1;
	st->st_size = ino == FUSE_ROOT_ID ? 0 : 4096;
}

static void on_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	if (parent != FUSE_ROOT_ID || strcmp(name, "slow") != 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = 2;
	stat_of(2, &e.attr);
	fuse_reply_entry(req, &e);
}

static void on_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	(void)fi;
	stat_of(ino, &st);
	fuse_reply_attr(req, &st, 0);
}

static void on_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	fi->direct_io = 1;
	fuse_reply_open(req, fi);
}

static void interrupted(fuse_req_t req, void *data)
{
	(void)req; (void)data;
	pthread_mutex_lock(&lock);
	fired = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

static void on_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
	(void)ino; (void)size; (void)off; (void)fi;
	fprintf(stderr, "read waiting\n");
	pthread_mutex_lock(&lock);
	fired = 0;
	pthread_mutex_unlock(&lock);
	fuse_req_interrupt_func(req, interrupted, NULL);
	pthread_mutex_lock(&lock);
	while (!fired)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	fprintf(stderr, "read interrupted: %d\n", fuse_req_interrupted(req));
	fuse_reply_err(req, EINTR);
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = on_lookup, .getattr = on_getattr, .open = on_open, .read = on_read,
};

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts o;
	int ret = 1;
	if (fuse_parse_cmdline(&args, &o) != 0 || !o.mountpoint)
		return 1;
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (se && fuse_set_signal_handlers(se) == 0) {
		if (fuse_session_mount(se, o.mountpoint) == 0) {
			struct fuse_loop_config *cfg = fuse_loop_cfg_create();
			ret = fuse_session_loop_mt(se, cfg) ? 1 : 0;
			fuse_loop_cfg_destroy(cfg);
			fuse_session_unmount(se);
		}
		fuse_remove_signal_handlers(se);
	}
	if (se)
		fuse_session_destroy(se);
	free(o.mountpoint);
	fuse_opt_free_args(&args);
	return ret;
}
