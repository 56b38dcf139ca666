/*
 * t_fs_open_paths -- on a real mount, the path each op on an open file
 * receives (fusebox/fs.h "Open files", "Inode numbers"):
 *  - a file with two names (hard links) opened under one of them gets
 *    that path in read, write, fsync, ftruncate, fgetattr, flush and
 *    release, also after the other name was looked up last, and the new
 *    path after a rename (libfuse gives these; sshfs with max_conns > 1
 *    finds its connection by it);
 *  - a filesystem that renumbers st_ino (no use_ino) keeps a name's node:
 *    a file open across a renumbering and a new lookup of its name still
 *    reads (fuse-zip renumbers as its archive changes).
 * The filesystem is in this process: a few names in "/", each naming an
 * inode of a few bytes; every callback records the path it got.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fusebox/fs.h>

#include "../lib/check.h"

enum { OP_OPEN, OP_READ, OP_WRITE, OP_FSYNC, OP_FTRUNC, OP_FGETATTR, OP_FLUSH,
       OP_RELEASE, OP_N };

#define NNAMES 8
struct ent { char name[32]; int ino; };   /* ino 0: free slot */
static struct ent names[NNAMES] = { { "a", 1 }, { "b", 1 }, { "c", 2 } };
static char data[3][16] = { "", "linked", "numbered" };
static atomic_int renumber;                /* added to st_ino: fuse-zip's way */
static char seen[OP_N][64];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void rec(int op, const char *path)
{
	pthread_mutex_lock(&mu);
	snprintf(seen[op], sizeof seen[op], "%s", path ? path : "(null)");
	pthread_mutex_unlock(&mu);
}

static const char *got(int op)
{
	static char buf[64];
	pthread_mutex_lock(&mu);
	snprintf(buf, sizeof buf, "%s", seen[op]);
	seen[op][0] = '\0';
	pthread_mutex_unlock(&mu);
	return buf;
}

/* Under mu. */
static struct ent *find(const char *path)
{
	for (int i = 0; i < NNAMES; i++)
		if (names[i].ino && strcmp(path + 1, names[i].name) == 0)
			return &names[i];
	return NULL;
}

static int nlinks(int ino)
{
	int n = 0;
	for (int i = 0; i < NNAMES; i++)
		n += names[i].ino == ino;
	return n;
}

static int fill(const char *path, struct stat *st)
{
	memset(st, 0, sizeof *st);
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	pthread_mutex_lock(&mu);
	struct ent *e = find(path);
	if (e) {
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = (nlink_t)nlinks(e->ino);
		st->st_ino = (ino_t)(e->ino + 100 * atomic_load(&renumber));
		st->st_size = (off_t)strlen(data[e->ino]);
	}
	pthread_mutex_unlock(&mu);
	return e ? 0 : -ENOENT;
}

static int p_getattr(const char *path, struct stat *st) { return fill(path, st); }

static int p_fgetattr(const char *path, struct stat *st, struct fbx_file_info *fi)
{
	(void)fi;
	rec(OP_FGETATTR, path);
	return fill(path, st);
}

static int p_open(const char *path, struct fbx_file_info *fi)
{
	static atomic_uint next_fh;
	rec(OP_OPEN, path);
	fi->direct_io = 1;   /* every read and write comes here */
	fi->fh = atomic_fetch_add(&next_fh, 1);  /* one per open, as sshfs's */
	struct stat st;
	return fill(path, &st);
}

static int ino_of(const char *path)
{
	pthread_mutex_lock(&mu);
	struct ent *e = path ? find(path) : NULL;
	int ino = e ? e->ino : 0;
	pthread_mutex_unlock(&mu);
	return ino;
}

static int p_read(const char *path, char *buf, size_t size, off_t off,
                  struct fbx_file_info *fi)
{
	(void)fi;
	rec(OP_READ, path);
	int ino = ino_of(path);
	if (!ino)
		return -ENOENT;
	size_t len = strlen(data[ino]);
	if ((size_t)off >= len)
		return 0;
	if (size > len - (size_t)off)
		size = len - (size_t)off;
	memcpy(buf, data[ino] + off, size);
	return (int)size;
}

static int p_write(const char *path, const char *buf, size_t size, off_t off,
                   struct fbx_file_info *fi)
{
	(void)fi;
	rec(OP_WRITE, path);
	int ino = ino_of(path);
	if (!ino)
		return -ENOENT;
	if ((size_t)off + size >= sizeof data[ino])
		return -EFBIG;
	memcpy(data[ino] + off, buf, size);
	return (int)size;
}

static int p_fsync(const char *path, int datasync, struct fbx_file_info *fi)
{
	(void)datasync, (void)fi;
	rec(OP_FSYNC, path);
	return 0;
}

static int p_ftruncate(const char *path, off_t size, struct fbx_file_info *fi)
{
	(void)fi;
	rec(OP_FTRUNC, path);
	int ino = ino_of(path);
	if (!ino)
		return -ENOENT;
	if ((size_t)size < sizeof data[ino])
		data[ino][size] = '\0';
	return 0;
}

static int p_flush(const char *path, struct fbx_file_info *fi)
{
	(void)fi;
	rec(OP_FLUSH, path);
	return 0;
}

static int p_release(const char *path, struct fbx_file_info *fi)
{
	(void)fi;
	rec(OP_RELEASE, path);
	return 0;
}

static int p_rename(const char *from, const char *to, unsigned flags)
{
	if (flags)
		return -EINVAL;
	pthread_mutex_lock(&mu);
	struct ent *e = find(from), *t = find(to);
	if (e && t)
		t->ino = 0;
	if (e)
		snprintf(e->name, sizeof e->name, "%s", to + 1);
	pthread_mutex_unlock(&mu);
	return e ? 0 : -ENOENT;
}

static const struct fbx_fs_ops ops = {
	.getattr = p_getattr, .fgetattr = p_fgetattr, .open = p_open, .read = p_read,
	.write = p_write, .fsync = p_fsync, .ftruncate = p_ftruncate, .flush = p_flush,
	.release = p_release, .rename = p_rename,
};

static void *loop_thread(void *arg)
{
	fbx_session_loop(fbx_fs_session(arg));
	return NULL;
}

/* RELEASE comes after close(2) returns: wait for it (bounded). */
static const char *got_release(void)
{
	static char buf[64];
	for (int i = 0; i < 500; i++) {
		snprintf(buf, sizeof buf, "%s", got(OP_RELEASE));
		if (buf[0])
			return buf;
		usleep(10000);
	}
	return "(none)";
}

int main(void)
{
	if (geteuid() != 0)
		check_skip("needs root to mount");
	char mnt[64], a[96], b[96], b2[96], c[96], buf[32];
	snprintf(mnt, sizeof mnt, "/tmp/fbx-test.XXXXXX");
	CHECK_FATAL(mkdtemp(mnt) != NULL);
	snprintf(a, sizeof a, "%s/a", mnt);
	snprintf(b, sizeof b, "%s/b", mnt);
	snprintf(b2, sizeof b2, "%s/b2", mnt);
	snprintf(c, sizeof c, "%s/c", mnt);

	struct fbx_options o;
	/* No caching of names or attributes: every path walk is a LOOKUP,
	 * so the other link's name becomes the one looked up last. */
	char *argv[] = { "t_fs_open_paths", "-o",
	                 "attr_timeout=0,entry_timeout=0,negative_timeout=0,no_io_uring",
	                 mnt, NULL };
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

	/* ---- hard links: the name open was given ---- */
	struct stat sa, sb;
	CHECK(stat(a, &sa) == 0 && stat(b, &sb) == 0);
	CHECK_EQ_INT(sa.st_ino, sb.st_ino);                  /* one inode */
	int fd = open(b, O_RDWR);
	CHECK_FATAL(fd >= 0);
	CHECK_EQ_STR(got(OP_OPEN), "/b");
	CHECK(stat(a, &sa) == 0);                            /* "a" looked up last */
	CHECK_EQ_INT(pread(fd, buf, sizeof buf, 0), 6);
	CHECK_EQ_STR(got(OP_READ), "/b");
	CHECK_EQ_INT(pwrite(fd, "L", 1, 0), 1);
	CHECK_EQ_STR(got(OP_WRITE), "/b");
	CHECK(fsync(fd) == 0);
	CHECK_EQ_STR(got(OP_FSYNC), "/b");
	CHECK(ftruncate(fd, 4) == 0);
	CHECK_EQ_STR(got(OP_FTRUNC), "/b");
	CHECK(fstat(fd, &sb) == 0);
	CHECK_EQ_STR(got(OP_FGETATTR), "/b");
	/* a second open under the other name gets its own */
	int fd2 = open(a, O_RDONLY);
	CHECK_FATAL(fd2 >= 0);
	CHECK_EQ_STR(got(OP_OPEN), "/a");
	CHECK_EQ_INT(pread(fd2, buf, sizeof buf, 0), 4);
	CHECK_EQ_STR(got(OP_READ), "/a");
	CHECK(close(fd2) == 0);
	CHECK_EQ_STR(got(OP_FLUSH), "/a");
	CHECK_EQ_STR(got_release(), "/a");
	/* renamed while open: the new name */
	CHECK(rename(b, b2) == 0);
	CHECK(stat(a, &sa) == 0);
	CHECK_EQ_INT(pread(fd, buf, sizeof buf, 0), 4);
	CHECK_EQ_STR(got(OP_READ), "/b2");
	CHECK(close(fd) == 0);
	CHECK_EQ_STR(got(OP_FLUSH), "/b2");
	CHECK_EQ_STR(got_release(), "/b2");

	/* ---- st_ino renumbered behind an open file ---- */
	struct stat s1, s2;
	fd = open(c, O_RDONLY);
	CHECK_FATAL(fd >= 0);
	CHECK(fstat(fd, &s1) == 0);
	atomic_store(&renumber, 1);
	CHECK(stat(c, &s2) == 0);                            /* LOOKUP: a new st_ino */
	CHECK_EQ_INT(s2.st_ino, s1.st_ino);                  /* the same node */
	CHECK_EQ_INT(pread(fd, buf, sizeof buf, 0), 8);      /* not ENOENT */
	CHECK_EQ_STR(got(OP_READ), "/c");
	CHECK(close(fd) == 0);
	fd = open(c, O_RDONLY);                              /* and opens again */
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);

	fbx_session_unmount(fbx_fs_session(fs));
	pthread_join(loop, NULL);
	fbx_fs_destroy(fs);
	rmdir(mnt);
	return check_exit();
}
