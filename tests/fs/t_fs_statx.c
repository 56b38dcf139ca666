/*
 * t_fs_statx -- the path API's attribute fix-ups (-o uid=, gid=, umask=,
 * and the node id as st_ino) apply alike whether the kernel asks with
 * GETATTR (stat) or FUSE_STATX (statx), which reach different callbacks
 * of the filesystem. Both answers must show the same owner, mode and
 * inode number. Needs a kernel with FUSE_STATX (6.6+) for the statx
 * half (it sends STATX when btime is asked for); that half is skipped,
 * not failed, elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fusebox/fs.h>

#include "../lib/check.h"

static atomic_int statx_calls;

static int fill(const char *path, struct stat *st)
{
	memset(st, 0, sizeof *st);
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0777;
		st->st_nlink = 2;
	} else if (strcmp(path, "/f") == 0) {
		st->st_mode = S_IFREG | 0666;
		st->st_nlink = 1;
		st->st_size = 5;
	} else {
		return -ENOENT;
	}
	st->st_ino = 999;   /* no use_ino: replaced by the node id */
	st->st_uid = 1;
	st->st_gid = 2;
	return 0;
}

static int t_getattr(const char *path, struct stat *st) { return fill(path, st); }

static int t_statx(const char *path, int flags, unsigned mask, struct statx *stx,
                   struct fbx_file_info *fi)
{
	struct stat st;
	int err = fill(path, &st);
	if (err)
		return err;
	atomic_fetch_add(&statx_calls, 1);
	memset(stx, 0, sizeof *stx);
	stx->stx_mask = STATX_BASIC_STATS;
	stx->stx_mode = (uint16_t)st.st_mode;
	stx->stx_nlink = (uint32_t)st.st_nlink;
	stx->stx_size = (uint64_t)st.st_size;
	stx->stx_ino = st.st_ino;
	stx->stx_uid = st.st_uid;
	stx->stx_gid = st.st_gid;
	return 0;
}

static const struct fbx_fs_ops ops = { .getattr = t_getattr, .statx = t_statx };

static void *loop_thread(void *arg)
{
	fbx_session_loop(fbx_fs_session(arg));
	return NULL;
}

int main(void)
{
	if (geteuid() != 0)
		check_skip("needs root to mount");
	char mnt[64], f[96];
	snprintf(mnt, sizeof mnt, "/tmp/fbx-test.XXXXXX");
	CHECK_FATAL(mkdtemp(mnt) != NULL);
	snprintf(f, sizeof f, "%s/f", mnt);

	struct fbx_options o;
	char *argv[] = { "t_fs_statx", "-o", "uid=1234,gid=4321,umask=027,attr_timeout=0,"
	                 "entry_timeout=0,no_io_uring", mnt, NULL };
	CHECK_FATAL(fbx_options_parse(&o, 4, argv, NULL, NULL) == 0);
	struct fbx_fs *fs = fbx_fs_new(&o, &ops, sizeof ops, NULL);
	fbx_options_free(&o);
	CHECK_FATAL(fs != NULL);
	int err = fbx_session_mount(fbx_fs_session(fs), mnt);
	if (err) {
		fbx_fs_destroy(fs);
		rmdir(mnt);
		check_skip("cannot mount: %s", strerror(-err));
	}
	pthread_t loop;
	CHECK_FATAL(pthread_create(&loop, NULL, loop_thread, fs) == 0);

	struct stat st;
	CHECK(stat(f, &st) == 0);
	CHECK_EQ_INT(st.st_uid, 1234);
	CHECK_EQ_INT(st.st_gid, 4321);
	CHECK_EQ_INT(st.st_mode & 07777, 0750);   /* 0777 & ~027 */
	CHECK(st.st_ino != 999);

	struct statx stx;
	int before = atomic_load(&statx_calls);
	CHECK(statx(AT_FDCWD, f, AT_STATX_FORCE_SYNC, STATX_BASIC_STATS | STATX_BTIME, &stx) == 0);
	int skipped = atomic_load(&statx_calls) == before;
	if (skipped) {
		fprintf(stderr, "(the kernel sent no FUSE_STATX: statx half not run)\n");
	} else {
		CHECK_EQ_INT(stx.stx_uid, 1234);
		CHECK_EQ_INT(stx.stx_gid, 4321);
		CHECK_EQ_INT(stx.stx_mode & 07777, 0750);
		CHECK_EQ_INT(stx.stx_ino, st.st_ino);
		CHECK_EQ_INT(stx.stx_size, 5);
	}

	fbx_session_unmount(fbx_fs_session(fs));
	pthread_join(loop, NULL);
	fbx_fs_destroy(fs);
	rmdir(mnt);
	return check_exit();
}
