/*
 * t_fs_paths -- the path layer end to end: a path filesystem of our own
 * (a passthrough to a backing directory, so what the layer does to the
 * filesystem is visible there) is mounted in this process and used
 * through syscalls.
 *
 * Checked: hard links are one inode (same st_ino, shared attributes);
 * a file unlinked or renamed over while open stays usable and leaves
 * nothing behind after the last close (and is not listed meanwhile);
 * -o hard_remove removes at once and fh ops go on with a NULL path;
 * renamed directories carry their children; readdir offsets survive a
 * directory changing under a listing; setattr pieces; the node table
 * empties again when the kernel forgets.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "../lib/check.h"
#include "fs/fs_int.h"
#include "fusebox/fs.h"

/* ---- the filesystem: passthrough to a directory ------------------------ */

struct pt {
	int fd;       /* the backing directory */
	int offsets;  /* readdir gives its own offsets (else 0: the layer pages) */
};

static struct pt *pt(void) { return fbx_fs_context()->private_data; }
static const char *rel(const char *path) { return path[1] ? path + 1 : "."; }
static int ret(int r) { return r < 0 ? -errno : 0; }

static int pt_getattr(const char *path, struct stat *st)
{
	return ret(fstatat(pt()->fd, rel(path), st, AT_SYMLINK_NOFOLLOW));
}
static int pt_fgetattr(const char *path, struct stat *st, struct fbx_file_info *fi)
{
	return ret(fstat((int)fi->fh, st));
}
static int pt_readlink(const char *path, char *buf, size_t size)
{
	ssize_t n = readlinkat(pt()->fd, rel(path), buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}
static int pt_mknod(const char *path, mode_t mode, dev_t rdev)
{
	return ret(mknodat(pt()->fd, rel(path), mode, rdev));
}
static int pt_mkdir(const char *path, mode_t mode)
{
	return ret(mkdirat(pt()->fd, rel(path), mode));
}
static int pt_unlink(const char *path) { return ret(unlinkat(pt()->fd, rel(path), 0)); }
static int pt_rmdir(const char *path)
{
	return ret(unlinkat(pt()->fd, rel(path), AT_REMOVEDIR));
}
static int pt_symlink(const char *target, const char *path)
{
	return ret(symlinkat(target, pt()->fd, rel(path)));
}
static int pt_rename(const char *from, const char *to, unsigned flags)
{
	return ret(renameat2(pt()->fd, rel(from), pt()->fd, rel(to), flags));
}
static int pt_link(const char *from, const char *to)
{
	return ret(linkat(pt()->fd, rel(from), pt()->fd, rel(to), 0));
}
static int pt_chmod(const char *path, mode_t mode)
{
	return ret(fchmodat(pt()->fd, rel(path), mode, 0));
}
static int pt_chown(const char *path, uid_t uid, gid_t gid)
{
	return ret(fchownat(pt()->fd, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW));
}
static int pt_truncate(const char *path, off_t size)
{
	int fd = openat(pt()->fd, rel(path), O_WRONLY);
	if (fd < 0)
		return -errno;
	int r = ret(ftruncate(fd, size));
	close(fd);
	return r;
}
static int pt_ftruncate(const char *path, off_t size, struct fbx_file_info *fi)
{
	return ret(ftruncate((int)fi->fh, size));
}
static int pt_utimens(const char *path, const struct timespec tv[2])
{
	return ret(utimensat(pt()->fd, rel(path), tv, AT_SYMLINK_NOFOLLOW));
}
static int pt_open(const char *path, struct fbx_file_info *fi)
{
	int fd = openat(pt()->fd, rel(path), fi->flags & ~O_CREAT);
	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}
static int pt_create(const char *path, mode_t mode, struct fbx_file_info *fi)
{
	int fd = openat(pt()->fd, rel(path), fi->flags | O_CREAT, mode);
	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}
static int pt_read(const char *path, char *buf, size_t size, off_t off,
                   struct fbx_file_info *fi)
{
	ssize_t n = pread((int)fi->fh, buf, size, off);
	return n < 0 ? -errno : (int)n;
}
static int pt_write(const char *path, const char *buf, size_t size, off_t off,
                    struct fbx_file_info *fi)
{
	ssize_t n = pwrite((int)fi->fh, buf, size, off);
	return n < 0 ? -errno : (int)n;
}
static int pt_release(const char *path, struct fbx_file_info *fi)
{
	close((int)fi->fh);
	return 0;
}
static int pt_statfs(const char *path, struct statvfs *st)
{
	return ret(fstatvfs(pt()->fd, st));
}
static int pt_readdir(const char *path, void *buf, fbx_fill_dir_t filler, off_t off,
                      struct fbx_file_info *fi)
{
	int fd = openat(pt()->fd, rel(path), O_RDONLY | O_DIRECTORY);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	if (pt()->offsets && off)
		seekdir(d, off);
	while ((de = readdir(d))) {
		struct stat st;
		memset(&st, 0, sizeof st);
		st.st_ino = de->d_ino;
		st.st_mode = (mode_t)de->d_type << 12;
		if (filler(buf, de->d_name, &st, pt()->offsets ? telldir(d) : 0))
			break;
	}
	closedir(d);
	return 0;
}
static void *pt_init(struct fbx_conn *conn)
{
	return fbx_fs_context()->private_data;
}

static const struct fbx_fs_ops pt_ops = {
	.getattr = pt_getattr, .readlink = pt_readlink, .mknod = pt_mknod,
	.mkdir = pt_mkdir, .unlink = pt_unlink, .rmdir = pt_rmdir,
	.symlink = pt_symlink, .rename = pt_rename, .link = pt_link,
	.chmod = pt_chmod, .chown = pt_chown, .truncate = pt_truncate,
	.open = pt_open, .read = pt_read, .write = pt_write, .statfs = pt_statfs,
	.release = pt_release, .readdir = pt_readdir, .init = pt_init,
	.create = pt_create, .ftruncate = pt_ftruncate, .fgetattr = pt_fgetattr,
	.utimens = pt_utimens, .flag_nullpath_ok = 1,
};

/* ---- mounting in this process -------------------------------------------- */

struct mount {
	char tmp[64], back[96], mnt[96];
	struct pt pt;
	struct fbx_fs *fs;
	pthread_t thread;
};

static void *loop_main(void *p)
{
	struct mount *m = p;
	fbx_session_loop(fbx_fs_session(m->fs));
	return NULL;
}

static int mount_start(struct mount *m, int hard_remove, int offsets)
{
	struct fbx_options o;
	strcpy(m->tmp, "/tmp/fbx-test.XXXXXX");
	if (!mkdtemp(m->tmp))
		return -1;
	snprintf(m->back, sizeof m->back, "%s/back", m->tmp);
	snprintf(m->mnt, sizeof m->mnt, "%s/mnt", m->tmp);
	mkdir(m->back, 0755);
	mkdir(m->mnt, 0755);
	m->pt.fd = open(m->back, O_RDONLY | O_DIRECTORY);
	m->pt.offsets = offsets;
	fbx_options_init(&o);
	o.hard_remove = hard_remove;
	o.foreground = 1;
	m->fs = fbx_fs_new(&o, &pt_ops, sizeof pt_ops, &m->pt);
	fbx_options_free(&o);
	if (!m->fs || fbx_session_mount(fbx_fs_session(m->fs), m->mnt) < 0)
		return -1;
	return pthread_create(&m->thread, NULL, loop_main, m) ? -1 : 0;
}

static void mount_stop(struct mount *m)
{
	if (umount2(m->mnt, 0) < 0)
		umount2(m->mnt, MNT_DETACH);
	pthread_join(m->thread, NULL);
	fbx_fs_destroy(m->fs);
	close(m->pt.fd);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", m->tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", m->tmp);
}

/* ---- helpers ----------------------------------------------------------- */

static char *at(const struct mount *m, const char *dir, const char *name)
{
	static char buf[4][256];
	static int i;
	char *p = buf[i++ % 4];
	snprintf(p, 256, "%s/%s", dir, name);
	return p;
}

static void put(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, data, strlen(data)), (long)strlen(data));
	close(fd);
}

/* Names in dir starting with prefix. */
static int count_prefix(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

/* RELEASE reaches the filesystem after close(2) returns: wait for it. */
static int hidden_left(const struct mount *m, int want)
{
	int n = 0;
	for (int tries = 0; tries < 100; tries++) {
		n = count_prefix(m->back, ".fbx_hidden");
		if (n == want)
			break;
		usleep(20000);
	}
	return n;
}

/* ---- the tests ----------------------------------------------------------- */

static void test_hard_links(struct mount *m)
{
	struct stat a, b;
	put(at(m, m->mnt, "a"), "hello");
	CHECK_EQ_INT(link(at(m, m->mnt, "a"), at(m, m->mnt, "b")), 0);
	CHECK_EQ_INT(stat(at(m, m->mnt, "a"), &a), 0);
	CHECK_EQ_INT(stat(at(m, m->mnt, "b"), &b), 0);
	CHECK_EQ_INT(a.st_ino, b.st_ino);
	CHECK_EQ_INT(b.st_nlink, 2);
	CHECK_EQ_INT(chmod(at(m, m->mnt, "a"), 0600), 0);
	CHECK_EQ_INT(stat(at(m, m->mnt, "b"), &b), 0);
	CHECK_EQ_INT(b.st_mode & 07777, 0600);
	/* Unlinking the current name: the other keeps working. */
	CHECK_EQ_INT(unlink(at(m, m->mnt, "b")), 0);
	CHECK_EQ_INT(stat(at(m, m->mnt, "a"), &a), 0);
	CHECK_EQ_INT(a.st_nlink, 1);
	CHECK_EQ_INT(truncate(at(m, m->mnt, "a"), 2), 0);
	CHECK_EQ_INT(stat(at(m, m->back, "a"), &a), 0);
	CHECK_EQ_INT(a.st_size, 2);
	/* A name made behind the kernel's back is found as the same inode. */
	CHECK_EQ_INT(link(at(m, m->back, "a"), at(m, m->back, "c")), 0);
	CHECK_EQ_INT(stat(at(m, m->mnt, "a"), &a), 0);
	CHECK_EQ_INT(stat(at(m, m->mnt, "c"), &b), 0);
	CHECK_EQ_INT(a.st_ino, b.st_ino);
	unlink(at(m, m->mnt, "a"));
	unlink(at(m, m->mnt, "c"));
}

static void test_unlinked_open(struct mount *m, int hard_remove)
{
	char buf[16] = "";
	struct stat st;
	put(at(m, m->mnt, "f"), "data");
	int fd = open(at(m, m->mnt, "f"), O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ_INT(unlink(at(m, m->mnt, "f")), 0);
	CHECK_EQ_INT(access(at(m, m->mnt, "f"), F_OK), -1);
	CHECK_EQ_INT(count_prefix(m->back, ".fbx_hidden"), hard_remove ? 0 : 1);
	CHECK_EQ_INT(count_prefix(m->mnt, ".fbx_hidden"), 0);  /* not listed */
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_nlink, 0);   /* the hidden name is not a link to show */
	CHECK_EQ_INT(pread(fd, buf, sizeof buf, 0), 4);
	CHECK_EQ_STR(buf, "data");
	CHECK_EQ_INT(pwrite(fd, "more", 4, 4), 4);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_size, 8);
	CHECK_EQ_INT(ftruncate(fd, 1), 0);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_size, 1);
	close(fd);
	CHECK_EQ_INT(hidden_left(m, 0), 0);

	/* Renamed over while open. */
	put(at(m, m->mnt, "old"), "old");
	put(at(m, m->mnt, "new"), "new");
	fd = open(at(m, m->mnt, "old"), O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ_INT(rename(at(m, m->mnt, "new"), at(m, m->mnt, "old")), 0);
	memset(buf, 0, sizeof buf);
	CHECK_EQ_INT(pread(fd, buf, sizeof buf, 0), 3);
	CHECK_EQ_STR(buf, "old");
	close(fd);
	CHECK_EQ_INT(hidden_left(m, 0), 0);
	CHECK_EQ_INT(count_prefix(m->back, "new"), 0);
	unlink(at(m, m->mnt, "old"));
}

static void test_rename_dirs(struct mount *m)
{
	struct stat st;
	char buf[8] = "";
	CHECK_EQ_INT(mkdir(at(m, m->mnt, "d"), 0755), 0);
	CHECK_EQ_INT(mkdir(at(m, m->mnt, "d/sub"), 0755), 0);
	put(at(m, m->mnt, "d/sub/f"), "x");
	CHECK_EQ_INT(stat(at(m, m->mnt, "d/sub/f"), &st), 0);
	CHECK_EQ_INT(rename(at(m, m->mnt, "d"), at(m, m->mnt, "e")), 0);
	int fd = open(at(m, m->mnt, "e/sub/f"), O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ_INT(read(fd, buf, sizeof buf), 1);
	close(fd);
	/* Exchange a file and a directory. */
	put(at(m, m->mnt, "g"), "g");
	CHECK_EQ_INT(renameat2(AT_FDCWD, at(m, m->mnt, "g"), AT_FDCWD, at(m, m->mnt, "e"),
	                       RENAME_EXCHANGE), 0);
	CHECK_EQ_INT(stat(at(m, m->mnt, "g/sub/f"), &st), 0);
	CHECK_EQ_INT(stat(at(m, m->mnt, "e"), &st), 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ_INT(renameat2(AT_FDCWD, at(m, m->mnt, "e"), AT_FDCWD, at(m, m->mnt, "g"),
	                       RENAME_NOREPLACE), -1);
	CHECK_EQ_INT(errno, EEXIST);
	unlink(at(m, m->mnt, "e"));
	unlink(at(m, m->mnt, "g/sub/f"));
	rmdir(at(m, m->mnt, "g/sub"));
	CHECK_EQ_INT(rmdir(at(m, m->mnt, "g")), 0);
}

/* Every entry present when the listing started and still there is seen
 * exactly once, though half of them are deleted and others added
 * meanwhile; a deleted one is seen at most once (POSIX leaves open
 * whether: readdirplus leaves it out, plain readdir may not). */
static void test_readdir_stable(struct mount *m)
{
	enum { N = 600 };
	char name[512], dir[200];
	static unsigned char seen[N];
	snprintf(dir, sizeof dir, "%s/big", m->mnt);
	CHECK_EQ_INT(mkdir(dir, 0755), 0);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "%s/%0200d", dir, i);
		close(open(name, O_CREAT | O_WRONLY, 0644));
	}
	memset(seen, 0, sizeof seen);
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0, dup = 0;
	CHECK_FATAL(d != NULL);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		int i = atoi(de->d_name);
		if (i >= 0 && i < N) {
			dup += seen[i];
			seen[i] = 1;
		}
		if (++n == 10) {
			/* Change the directory under the listing. */
			for (int j = 0; j < N; j += 2) {
				snprintf(name, sizeof name, "%s/%0200d", dir, j);
				unlink(name);
				snprintf(name, sizeof name, "%s/x%0200d", dir, j);
				close(open(name, O_CREAT | O_WRONLY, 0644));
			}
		}
	}
	closedir(d);
	int missing = 0;
	for (int i = 1; i < N; i += 2)
		missing += !seen[i];
	CHECK_EQ_INT(dup, 0);
	CHECK_EQ_INT(missing, 0);
	for (int j = 0; j < N; j++) {
		snprintf(name, sizeof name, "%s/%0200d", dir, j);
		unlink(name);
		snprintf(name, sizeof name, "%s/x%0200d", dir, j);
		unlink(name);
	}
	CHECK_EQ_INT(rmdir(dir), 0);
}

static void test_setattr(struct mount *m)
{
	struct stat st;
	struct timespec tv[2] = { { 1000000000, 5 }, { 0, UTIME_OMIT } };
	put(at(m, m->mnt, "t"), "0123456789");
	CHECK_EQ_INT(utimensat(AT_FDCWD, at(m, m->mnt, "t"), tv, 0), 0);
	CHECK_EQ_INT(stat(at(m, m->back, "t"), &st), 0);
	CHECK_EQ_INT(st.st_atim.tv_sec, 1000000000);
	CHECK_EQ_INT(st.st_atim.tv_nsec, 5);
	CHECK(st.st_mtim.tv_sec > 1000000000);
	CHECK_EQ_INT(chown(at(m, m->mnt, "t"), 123, 456), 0);
	CHECK_EQ_INT(stat(at(m, m->mnt, "t"), &st), 0);
	CHECK_EQ_INT(st.st_uid, 123);
	CHECK_EQ_INT(st.st_gid, 456);
	int fd = open(at(m, m->mnt, "t"), O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_size, 0);
	close(fd);
	CHECK_EQ_INT(symlink("target", at(m, m->mnt, "s")), 0);
	char buf[32] = "";
	CHECK_EQ_INT(readlink(at(m, m->mnt, "s"), buf, sizeof buf), 6);
	CHECK_EQ_INT(mkfifo(at(m, m->mnt, "p"), 0600), 0);
	CHECK_EQ_INT(lstat(at(m, m->back, "p"), &st), 0);
	CHECK(S_ISFIFO(st.st_mode));
	unlink(at(m, m->mnt, "t"));
	unlink(at(m, m->mnt, "s"));
	unlink(at(m, m->mnt, "p"));
}

/* Once the kernel forgets everything, only the root is left. */
static void test_forget(struct mount *m)
{
	struct fbx_nodes_stats st;
	for (int i = 0; i < 200; i++) {
		char name[32];
		snprintf(name, sizeof name, "n%d", i);
		put(at(m, m->mnt, name), "x");
		if (i % 2)
			unlink(at(m, m->mnt, name));
	}
	for (int i = 0; i < 200; i += 2) {
		char name[32];
		snprintf(name, sizeof name, "n%d", i);
		unlink(at(m, m->mnt, name));
	}
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "no drop_caches: forget not checked\n");
		return;
	}
	for (int tries = 0; tries < 50; tries++) {
		CHECK(write(fd, "2", 1) == 1);
		fbx_nodes_stats(m->fs->nodes, &st);
		if (st.nodes == 1)
			break;
		usleep(100000);
	}
	close(fd);
	CHECK_EQ_INT(st.nodes, 1);
	CHECK_EQ_INT(st.names, 0);
}

int main(void)
{
	struct mount m;
	if (geteuid() != 0)
		check_skip("needs root to mount");
	if (access("/dev/fuse", R_OK | W_OK) != 0)
		check_skip("no /dev/fuse");

	/* Default: hidden files; readdir paged by the layer. */
	memset(&m, 0, sizeof m);
	CHECK_FATAL(mount_start(&m, 0, 0) == 0);
	test_hard_links(&m);
	test_unlinked_open(&m, 0);
	test_rename_dirs(&m);
	test_readdir_stable(&m);
	test_setattr(&m);
	test_forget(&m);
	mount_stop(&m);

	/* hard_remove; readdir with the filesystem's own offsets. */
	memset(&m, 0, sizeof m);
	CHECK_FATAL(mount_start(&m, 1, 1) == 0);
	test_unlinked_open(&m, 1);
	test_rename_dirs(&m);
	test_hard_links(&m);
	mount_stop(&m);
	return check_exit();
}
