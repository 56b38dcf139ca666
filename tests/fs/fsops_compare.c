/*
 * fsops_compare.c -- run the same system calls on a native reference
 * directory (a tmpfs) and on a fusebox mount, and compare what they do.
 *
 *   fsops_compare native|memfs|passthrough [CASE...]
 *
 * native: the reference against a second tmpfs directory (checks the
 * comparator itself: must always pass). memfs: build/examples/memfs.
 * passthrough: build/examples/passthrough over a directory of the tmpfs.
 * Both are mounted with -f -o allow_other,default_permissions.
 *
 * Each case runs in its own subdirectory and records observations:
 * results with errno names, and stat fields reduced to what must be
 * equal (modes, sizes, link counts, owners, inode equalities, time
 * orderings; never raw inode numbers, devices or times of "now").
 * Observations are then compared by name. Output: "ok CASE (n checks)"
 * per case, and "FAIL CASE.NAME: native=..., fuse=..." per mismatch;
 * "note" lines for allowed differences (soft observations). The exit
 * status is 1 if anything failed. The tests/fs/t_syscalls_*.sh scripts
 * run this program (it is not named t_* so tests/run skips it).
 * FBX_FSOPS_VERBOSE=1 prints every observation; FBX_FSOPS_WRAP="valgrind -q"
 * runs the daemon under that command; FBX_FSOPS_OPTS="a,b" adds -o options.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <linux/falloc.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "../lib/check.h"
#include "../lib/mount_helper.h"

#define NOBODY 65534

/* ---- observations ------------------------------------------------------ */

struct ob {
	char *name;   /* "case.what" */
	char *val;
	int soft;     /* a difference is allowed (printed as a note) */
};

struct rec {
	struct ob *v;
	size_t n, cap;
};

/* The recorder of this process. In a forked child, observations go to
 * a pipe instead (child_fd) and the parent adds them to its recorder. */
static struct rec *cur;
static const char *cur_case = "";
static int child_fd = -1;

static void add(struct rec *r, const char *name, const char *val, int soft)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		r->v = realloc(r->v, r->cap * sizeof *r->v);
		if (!r->v)
			abort();
	}
	/* names must be unique within a run: number repeats */
	char *nm = strdup(name);
	for (int k = 2;; k++) {
		size_t i;
		for (i = 0; i < r->n; i++)
			if (strcmp(r->v[i].name, nm) == 0)
				break;
		if (i == r->n)
			break;
		free(nm);
		if (asprintf(&nm, "%s#%d", name, k) < 0)
			abort();
	}
	r->v[r->n++] = (struct ob){ nm, strdup(val), soft };
}

static void vobs(int soft, const char *what, const char *fmt, va_list ap)
{
	char val[512], name[256];
	vsnprintf(val, sizeof val, fmt, ap);
	for (char *p = val; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	snprintf(name, sizeof name, "%s.%s", cur_case, what);
	if (child_fd >= 0) {
		dprintf(child_fd, "%d\t%s\t%s\n", soft, name, val);
		return;
	}
	add(cur, name, val, soft);
}

static void obs(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void obs(const char *what, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vobs(0, what, fmt, ap);
	va_end(ap);
}

static void obs_soft(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void obs_soft(const char *what, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vobs(1, what, fmt, ap);
	va_end(ap);
}

static const char *ename(int e)
{
	const char *s = strerrorname_np(e);
	static __thread char buf[16];
	if (s)
		return s;
	snprintf(buf, sizeof buf, "E%d", e);
	return buf;
}

/* Record a syscall result: "0", a count, or "-1 ENAME". */
static long obs_rc(const char *what, long rc, int err)
{
	if (rc < 0)
		obs(what, "-1 %s", ename(err));
	else
		obs(what, "%ld", rc);
	return rc;
}

/* The filesystem under test runs with the kernel's writeback cache
 * (memfs unless -o no_writeback_cache; passthrough with
 * -o writeback_cache): set in main from the mode and FBX_FSOPS_OPTS. */
static int g_wb;

/* ...and its page fills are reads of a real file below (passthrough),
 * which date that file's atime as any read does: the kernel reads a
 * page in before writing part of it, so there a write may change atime
 * (doc/man/passthrough.1). */
static int g_wb_reads_below;

static int wb_expected(const char *mode, const char *opts)
{
	int wb = !strcmp(mode, "memfs");
	char *copy = strdup(opts ? opts : ""), *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "writeback_cache"))
			wb = 1;
		else if (!strcmp(t, "no_writeback_cache"))
			wb = 0;
	}
	free(copy);
	return wb;
}

/* A data extent [lo, hi) of a file whose layout the case knows. */
struct ext { off_t lo, hi; };

/* Under the writeback cache the kernel asks the filesystem for
 * SEEK_DATA/SEEK_HOLE before writing its dirty pages back (fusebox/
 * lowlevel.h, Caching), so the exact answer is not promised there; what
 * is: no data is ever called a hole, and ENXIO/EINVAL exactly as for
 * any file. The raw answer stays a (soft) observation; the soundness
 * of it is the hard one. Without the writeback cache: exact, as R(). */
static void oseek(const char *what, int fd, off_t off, int whence, off_t size,
                  const struct ext *x, int nx)
{
	errno = 0;
	off_t r = lseek(fd, off, whence);
	int err = errno, sound;
	char name[64];

	if (!g_wb) {
		obs_rc(what, (long)r, err);
		return;
	}
	if (r < 0)
		obs_soft(what, "-1 %s", ename(err));
	else
		obs_soft(what, "%lld", (long long)r);
	if (off < 0) {
		sound = r < 0;                       /* ENXIO on tmpfs */
	} else if (off >= size) {
		sound = r < 0 && err == ENXIO;
	} else if (whence == SEEK_DATA) {
		off_t next = size;           /* the first data at or after off */
		for (int i = 0; i < nx; i++)
			if (x[i].hi > off && (x[i].lo > off ? x[i].lo : off) < next)
				next = x[i].lo > off ? x[i].lo : off;
		sound = r < 0 ? err == ENXIO && next == size : r >= off && r <= next && r < size;
	} else {
		sound = r >= off && r <= size;       /* r must not fall inside data */
		for (int i = 0; i < nx && sound; i++)
			if (r >= x[i].lo && r < x[i].hi)
				sound = 0;
	}
	snprintf(name, sizeof name, "%s_sound", what);
	obs(name, "%d", sound);
}
#define R(what, expr) ({ errno = 0; long r_ = (long)(expr); obs_rc(what, r_, errno); })
/* For calls returning a descriptor: "fd" rather than its number. */
#define RFD(what, expr) ({ errno = 0; int f_ = (expr); \
	if (f_ < 0) obs(what, "-1 %s", ename(errno)); else obs(what, "fd"); f_; })

static const char *ftype(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return "reg";
	case S_IFDIR: return "dir";
	case S_IFLNK: return "lnk";
	case S_IFIFO: return "fifo";
	case S_IFCHR: return "chr";
	case S_IFBLK: return "blk";
	case S_IFSOCK: return "sock";
	default: return "?";
	}
}

static void fmt_stat(char *buf, size_t len, const struct stat *st)
{
	int n = snprintf(buf, len, "%s mode=%04o nlink=%lu uid=%u gid=%u", ftype(st->st_mode),
	                 (unsigned)(st->st_mode & 07777), (unsigned long)st->st_nlink,
	                 (unsigned)st->st_uid, (unsigned)st->st_gid);
	/* a directory's size is the filesystem's business */
	if (!S_ISDIR(st->st_mode) && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " size=%lld", (long long)st->st_size);
	if ((S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) && n > 0 && (size_t)n < len) {
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, " rdev=%u:%u", major(st->st_rdev), minor(st->st_rdev));
	}
}

/* lstat (follow=0) or stat (follow=1) of a path, recorded. */
static int ostat(const char *what, const char *path, int follow, struct stat *out)
{
	struct stat st;
	char buf[200];
	int rc = follow ? stat(path, &st) : lstat(path, &st);
	if (rc != 0) {
		obs(what, "-1 %s", ename(errno));
		return -1;
	}
	fmt_stat(buf, sizeof buf, &st);
	obs(what, "%s", buf);
	if (out)
		*out = st;
	return 0;
}

static int ofstat(const char *what, int fd, struct stat *out)
{
	struct stat st;
	char buf[200];
	if (fstat(fd, &st) != 0) {
		obs(what, "-1 %s", ename(errno));
		return -1;
	}
	fmt_stat(buf, sizeof buf, &st);
	obs(what, "%s", buf);
	if (out)
		*out = st;
	return 0;
}

/* ---- small helpers ------------------------------------------------------ */

static char *P(const char *dir, const char *name)
{
	/* a ring of buffers: several P() in one call are fine */
	static char bufs[8][PATH_MAX];
	static int i;
	char *b = bufs[i++ & 7];
	snprintf(b, PATH_MAX, "%s/%s", dir, name);
	return b;
}

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const unsigned char *c = p;
	if (!h)
		h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 1099511628211ull;
	}
	return h;
}

static void pattern(unsigned char *buf, size_t n, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (unsigned char)(x >> 16);
	}
}

static int write_file(const char *path, const void *data, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, data, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

static int put(const char *path, const char *s)
{
	return write_file(path, s, strlen(s), 0644);
}

/* The file's whole content, as text (for small files). */
static void ocontent(const char *what, const char *path)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		obs(what, "-1 %s", ename(errno));
		return;
	}
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) {
		obs(what, "read -1 %s", ename(errno));
		return;
	}
	buf[n] = '\0';
	obs(what, "\"%s\"", buf);
}

/* Hash of [off, off+len) read with pread, and how many bytes came back. */
static void ohash(const char *what, int fd, off_t off, size_t len)
{
	unsigned char *buf = malloc(len ? len : 1);
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, off + (off_t)got);
		if (n < 0) {
			obs(what, "-1 %s", ename(errno));
			free(buf);
			return;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	obs(what, "len=%zu fnv=%016llx", got, (unsigned long long)fnv(buf, got, 0));
	free(buf);
}

static int all_zero(const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of a directory, without . and .., joined by spaces. */
static void olist(const char *what, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		obs(what, "-1 %s", ename(errno));
		return;
	}
	char *names[256];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 256)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof *names, cmpstr);
	char buf[480] = "";
	for (size_t i = 0; i < n; i++) {
		if (strlen(buf) + strlen(names[i]) + 2 < sizeof buf) {
			strcat(buf, names[i]);
			strcat(buf, " ");
		}
		free(names[i]);
	}
	obs(what, "[%s]", buf);
}

static int64_t ns_of(struct timespec t)
{
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void set_old_times(const char *path)
{
	struct timespec ts[2] = { { 1000, 0 }, { 1000, 0 } };
	utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

/* Run fn(dir, arg) in a child with the given ids; its observations come
 * back through a pipe. Returns the child's exit status. */
static int as_user(uid_t uid, gid_t gid, void (*fn)(const char *, void *), const char *dir,
                   void *arg)
{
	int p[2];
	if (pipe(p) != 0)
		abort();
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		child_fd = p[1];
		if (uid != (uid_t)-1) {
			if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
				obs("setuid", "-1 %s", ename(errno));
				_exit(1);
			}
		}
		fn(dir, arg);
		_exit(0);
	}
	close(p[1]);
	FILE *f = fdopen(p[0], "r");
	char line[1024];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		char *t1 = strchr(line, '\t');
		char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (!t2)
			continue;
		*t1 = *t2 = '\0';
		add(cur, t1 + 1, t2 + 1, line[0] == '1');
	}
	fclose(f);
	int st = 0;
	waitpid(pid, &st, 0);
	return st;
}

/* ---- the cases ----------------------------------------------------------- */

static void c_open(const char *d)
{
	int fd;
	fd = RFD("creat_excl", open(P(d, "f"), O_CREAT | O_EXCL | O_WRONLY, 0644));
	if (fd >= 0) {
		R("write", write(fd, "0123456789", 10));
		ofstat("fstat", fd, NULL);
		close(fd);
	}
	RFD("creat_excl_again", open(P(d, "f"), O_CREAT | O_EXCL | O_WRONLY, 0644));
	fd = RFD("creat_existing", open(P(d, "f"), O_CREAT | O_RDONLY, 0600));
	if (fd >= 0)
		close(fd);
	ostat("stat_after", P(d, "f"), 0, NULL); /* mode stays 0644 */
	RFD("noent", open(P(d, "missing"), O_RDONLY));
	RFD("noent_dir", open(P(d, "missing/x"), O_RDONLY | O_CREAT, 0644));
	RFD("o_directory_on_file", open(P(d, "f"), O_RDONLY | O_DIRECTORY));
	R("mkdir", mkdir(P(d, "dir"), 0755));
	RFD("dir_wronly", open(P(d, "dir"), O_WRONLY));
	RFD("dir_rdwr", open(P(d, "dir"), O_RDWR));
	RFD("creat_on_dir", open(P(d, "dir"), O_CREAT | O_WRONLY, 0644));
	fd = RFD("dir_rdonly", open(P(d, "dir"), O_RDONLY));
	if (fd >= 0) {
		R("read_dir", read(fd, (char[8]){0}, 8));
		close(fd);
	}
	RFD("file_as_dir", open(P(d, "f/x"), O_RDONLY));
	/* O_TRUNC */
	fd = RFD("trunc", open(P(d, "f"), O_WRONLY | O_TRUNC));
	if (fd >= 0) {
		ofstat("trunc_fstat", fd, NULL);
		close(fd);
	}
	ostat("trunc_stat", P(d, "f"), 0, NULL);
	/* O_APPEND: writes go to the end whatever the offset */
	put(P(d, "a"), "abc");
	fd = RFD("append", open(P(d, "a"), O_WRONLY | O_APPEND));
	if (fd >= 0) {
		R("append_lseek", lseek(fd, 0, SEEK_SET));
		R("append_write", write(fd, "def", 3));
		R("append_pos", lseek(fd, 0, SEEK_CUR));
		R("append_pwrite", pwrite(fd, "gh", 2, 0)); /* Linux: appends anyway */
		close(fd);
	}
	ocontent("append_content", P(d, "a"));
	/* O_RDONLY file: write fails EBADF */
	fd = open(P(d, "a"), O_RDONLY);
	R("write_rdonly", write(fd, "x", 1));
	close(fd);
	fd = open(P(d, "a"), O_WRONLY);
	R("read_wronly", read(fd, (char[4]){0}, 4));
	close(fd);
	/* O_NOFOLLOW on a symlink */
	R("symlink", symlink("a", P(d, "lnk")));
	RFD("nofollow", open(P(d, "lnk"), O_RDONLY | O_NOFOLLOW));
	fd = RFD("follow", open(P(d, "lnk"), O_RDONLY));
	if (fd >= 0)
		close(fd);
	/* umask applies to creation */
	mode_t old = umask(027);
	fd = open(P(d, "masked"), O_CREAT | O_WRONLY, 0777);
	close(fd);
	R("mkdir_masked", mkdir(P(d, "maskdir"), 0777));
	umask(old);
	ostat("masked_mode", P(d, "masked"), 0, NULL);
	ostat("maskdir_mode", P(d, "maskdir"), 0, NULL);
}

static void c_rw(const char *d)
{
	unsigned char buf[8192], back[8192];
	pattern(buf, sizeof buf, 1);
	int fd = RFD("open", open(P(d, "f"), O_RDWR | O_CREAT, 0644));
	if (fd < 0)
		return;
	R("write", write(fd, buf, 5000));
	R("pos", lseek(fd, 0, SEEK_CUR));
	R("pwrite", pwrite(fd, buf + 5000, 3192, 5000));
	R("pos_after_pwrite", lseek(fd, 0, SEEK_CUR)); /* pwrite does not move */
	R("lseek0", lseek(fd, 0, SEEK_SET));
	memset(back, 0, sizeof back);
	ssize_t n = read(fd, back, sizeof back);
	obs("read", "%zd equal=%d", n, n == 8192 && memcmp(buf, back, 8192) == 0);
	R("read_eof", read(fd, back, 10));
	R("pread_mid", pread(fd, back, 100, 4000));
	obs("pread_mid_equal", "%d", memcmp(back, buf + 4000, 100) == 0);
	R("pread_tail", pread(fd, back, 100, 8150)); /* short read at EOF */
	R("pread_past", pread(fd, back, 100, 100000));
	R("lseek_end", lseek(fd, 0, SEEK_END));
	R("lseek_neg", lseek(fd, -1, SEEK_SET));
	R("lseek_cur_neg", lseek(fd, -100, SEEK_END));
	R("write_overlap", pwrite(fd, "XYZ", 3, 8190)); /* extends by one */
	ofstat("fstat", fd, NULL);
	R("pwrite_neg", pwrite(fd, "x", 1, -1));
	R("write_zero", write(fd, buf, 0));
	close(fd);
	/* a write through one descriptor is seen by another */
	int a = open(P(d, "g"), O_RDWR | O_CREAT, 0644);
	int b = open(P(d, "g"), O_RDONLY);
	R("w_a", write(a, "shared", 6));
	char s[8] = "";
	R("r_b", read(b, s, 6));
	obs("r_b_data", "%.6s", s);
	close(a);
	close(b);
	/* readv/writev */
	fd = open(P(d, "v"), O_RDWR | O_CREAT, 0644);
	struct iovec iov[3] = { { "one", 3 }, { "-two-", 5 }, { "three", 5 } };
	R("writev", writev(fd, iov, 3));
	char x1[4] = "", x2[10] = "";
	struct iovec riov[2] = { { x1, 4 }, { x2, 9 } };
	R("preadv", preadv(fd, riov, 2, 0));
	obs("preadv_data", "%.4s|%.9s", x1, x2);
	close(fd);
}

static void c_large(const char *d)
{
	size_t big = 8u << 20;
	unsigned char *buf = malloc(big);
	pattern(buf, big, 7);
	int fd = RFD("open", open(P(d, "big"), O_RDWR | O_CREAT | O_TRUNC, 0644));
	if (fd < 0) {
		free(buf);
		return;
	}
	/* one 8 MiB write: the kernel splits it at max_write */
	size_t done = 0;
	while (done < big) {
		ssize_t n = write(fd, buf + done, big - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	obs("write_8m", "%zu", done);
	obs("want_hash", "%016llx", (unsigned long long)fnv(buf, big, 0));
	ohash("read_8m", fd, 0, big);
	ohash("read_unaligned", fd, 12345, 3u << 20);
	struct stat st;
	fstat(fd, &st);
	obs("size", "%lld", (long long)st.st_size);
	/* Under the writeback cache the pages may still be dirty in the
	 * kernel, uncounted; close writes them back and makes the kernel
	 * ask again, so from then on st_blocks is exact (fusebox/lowlevel.h). */
	(g_wb ? obs_soft : obs)("blocks_nonzero", "%d", st.st_blocks > 0);
	close(fd);
	stat(P(d, "big"), &st);
	obs("blocks_closed", "%lld", (long long)st.st_blocks);

	/* sparse: a hole of 10 MiB, then one byte */
	fd = open(P(d, "sparse"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	R("pwrite_far", pwrite(fd, "Z", 1, 10u << 20));
	fstat(fd, &st);
	obs("sparse_size", "%lld", (long long)st.st_size);
	obs_soft("sparse_blocks_small", "%d", st.st_blocks * 512 < (1 << 20));
	memset(buf, 0xff, 1 << 20);
	ssize_t n = pread(fd, buf, 1 << 20, 4u << 20);
	obs("hole_read", "%zd zero=%d", n, n > 0 && all_zero(buf, (size_t)n));
	n = pread(fd, buf, 16, (10u << 20) - 8);
	obs("hole_tail", "%zd zero8=%d byte=%c", n, n == 9 && all_zero(buf, 8), n == 9 ? buf[8] : '?');
	close(fd);
	free(buf);
}

static void c_truncate(const char *d)
{
	unsigned char buf[6000];
	put(P(d, "f"), "0123456789");
	R("grow", truncate(P(d, "f"), 5000));
	ostat("grow_stat", P(d, "f"), 0, NULL);
	int fd = open(P(d, "f"), O_RDONLY);
	memset(buf, 0xff, sizeof buf);
	ssize_t n = pread(fd, buf, sizeof buf, 0);
	obs("grow_read", "%zd head=%.10s zeros=%d", n, (char *)buf, n == 5000 && all_zero(buf + 10, 4990));
	R("ftruncate_rdonly", ftruncate(fd, 0));
	close(fd);
	R("shrink", truncate(P(d, "f"), 4));
	ocontent("shrink_content", P(d, "f"));
	fd = open(P(d, "f"), O_RDWR);
	R("ftruncate_grow", ftruncate(fd, 100));
	ofstat("ftruncate_grow_stat", fd, NULL);
	R("ftruncate_zero", ftruncate(fd, 0));
	ofstat("ftruncate_zero_stat", fd, NULL);
	/* shrink then grow: the old bytes must not come back */
	R("pw", pwrite(fd, "abcdefgh", 8, 0));
	R("ftruncate_2", ftruncate(fd, 2));
	R("ftruncate_8", ftruncate(fd, 8));
	memset(buf, 0xff, 8);
	n = pread(fd, buf, 8, 0);
	obs("regrow", "%zd %.2s zeros=%d", n, (char *)buf, all_zero(buf + 2, 6));
	R("ftruncate_neg", ftruncate(fd, -1));
	close(fd);
	R("truncate_noent", truncate(P(d, "missing"), 0));
	mkdir(P(d, "dir"), 0755);
	R("truncate_dir", truncate(P(d, "dir"), 0));
	/* truncate updates mtime and ctime */
	set_old_times(P(d, "f"));
	struct stat a;
	stat(P(d, "f"), &a);
	R("truncate_t", truncate(P(d, "f"), 3));
	struct stat b;
	stat(P(d, "f"), &b);
	obs("truncate_mtime_newer", "%d", ns_of(b.st_mtim) > ns_of(a.st_mtim));
	obs("truncate_ctime_not_older", "%d", ns_of(b.st_ctim) >= ns_of(a.st_ctim));
	/* O_TRUNC on an empty file: no error */
	fd = RFD("otrunc_empty", open(P(d, "f"), O_WRONLY | O_TRUNC));
	close(fd);
	fd = RFD("otrunc_empty2", open(P(d, "f"), O_WRONLY | O_TRUNC));
	close(fd);
}

static void c_dirs(const char *d)
{
	struct stat st;
	ostat("base", d, 0, NULL);
	R("mkdir", mkdir(P(d, "a"), 0755));
	ostat("a", P(d, "a"), 0, NULL);
	ostat("base_after", d, 0, NULL); /* nlink + 1 */
	R("mkdir_exist", mkdir(P(d, "a"), 0755));
	R("mkdir_noent", mkdir(P(d, "x/y"), 0755));
	put(P(d, "file"), "x");
	R("mkdir_exist_file", mkdir(P(d, "file"), 0755));
	R("mkdir_notdir", mkdir(P(d, "file/y"), 0755));
	R("mkdir_nested", mkdir(P(d, "a/b"), 0700));
	ostat("a_nested", P(d, "a"), 0, NULL);
	ostat("b", P(d, "a/b"), 0, NULL);
	R("rmdir_notempty", rmdir(P(d, "a")));
	R("rmdir_noent", rmdir(P(d, "missing")));
	R("rmdir_notdir", rmdir(P(d, "file")));
	R("rmdir_dot", rmdir(P(d, "a/b/.")));
	R("rmdir_b", rmdir(P(d, "a/b")));
	ostat("a_after_rmdir", P(d, "a"), 0, NULL);
	R("rmdir_a", rmdir(P(d, "a")));
	R("stat_gone", stat(P(d, "a"), &st));
	ostat("base_end", d, 0, NULL);
	/* a directory's mtime changes with its entries */
	mkdir(P(d, "t"), 0755);
	set_old_times(P(d, "t"));
	put(P(d, "t/new"), "x");
	stat(P(d, "t"), &st);
	obs("dir_mtime_after_create", "%d", st.st_mtim.tv_sec > 1000);
	set_old_times(P(d, "t"));
	unlink(P(d, "t/new"));
	stat(P(d, "t"), &st);
	obs("dir_mtime_after_unlink", "%d", st.st_mtim.tv_sec > 1000);
	/* unlink */
	R("unlink_dir", unlink(P(d, "t")));
	R("unlink_noent", unlink(P(d, "t/none")));
	R("unlink_file", unlink(P(d, "file")));
	R("unlink_again", unlink(P(d, "file")));
	R("unlink_notdir", unlink(P(d, "nofile/x")));
	/* opendir on a file */
	DIR *x = opendir(P(d, "t"));
	obs("opendir", "%s", x ? "ok" : ename(errno));
	if (x)
		closedir(x);
	put(P(d, "f2"), "y");
	errno = 0;
	x = opendir(P(d, "f2"));
	obs("opendir_file", "%s", x ? "ok" : ename(errno));
	if (x)
		closedir(x);
	/* chdir and relative paths */
	char cwd[PATH_MAX];
	if (getcwd(cwd, sizeof cwd)) {
		R("chdir", chdir(P(d, "t")));
		R("rel_create", put("rel", "r"));
		R("chdir_back", chdir(cwd));
		ocontent("rel_content", P(d, "t/rel"));
	}
}

/* What a rename replaced, still open: fstat, fchmod and futimens work
 * and fstat says nlink 0 (the kernel asks a directory's attributes, and
 * changes them, without its handle). */
static void replaced_open(const char *from, const char *to, const char *kind)
{
	char what[64];
	struct stat st;
	const struct timespec tv[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	int fd = open(to, O_RDONLY);
	snprintf(what, sizeof what, "%s_over_open_%s", kind, kind);
	R(what, rename(from, to));
	snprintf(what, sizeof what, "fchmod_replaced_%s", kind);
	R(what, fchmod(fd, 0700));
	snprintf(what, sizeof what, "futimens_replaced_%s", kind);
	R(what, futimens(fd, tv));
	memset(&st, 0, sizeof st);
	snprintf(what, sizeof what, "fstat_replaced_%s", kind);
	R(what, fstat(fd, &st));
	snprintf(what, sizeof what, "replaced_%s_nlink", kind);
	obs(what, "%lu", (unsigned long)st.st_nlink);
	snprintf(what, sizeof what, "replaced_%s_mode_mtime", kind);
	obs(what, "%o %ld", (unsigned)(st.st_mode & 07777), (long)st.st_mtime);
	close(fd);
}

static void c_rename(const char *d)
{
	struct stat a, b;
	put(P(d, "f1"), "one");
	put(P(d, "f2"), "two");
	stat(P(d, "f1"), &a);
	R("over_file", rename(P(d, "f1"), P(d, "f2")));
	ocontent("over_file_content", P(d, "f2"));
	R("old_gone", access(P(d, "f1"), F_OK));
	stat(P(d, "f2"), &b);
	obs("same_ino_after_rename", "%d", a.st_ino == b.st_ino);
	R("noent", rename(P(d, "f1"), P(d, "f3")));
	R("same_name", rename(P(d, "f2"), P(d, "f2")));
	ocontent("same_name_content", P(d, "f2"));
	mkdir(P(d, "e1"), 0755);
	mkdir(P(d, "e2"), 0755);
	put(P(d, "e2/inside"), "i");
	R("file_over_dir", rename(P(d, "f2"), P(d, "e1")));
	R("dir_over_file", rename(P(d, "e1"), P(d, "f2")));
	R("dir_over_nonempty", rename(P(d, "e1"), P(d, "e2")));
	mkdir(P(d, "e3"), 0755);
	R("dir_over_empty", rename(P(d, "e2"), P(d, "e3")));
	ocontent("moved_inside", P(d, "e3/inside"));
	R("e2_gone", access(P(d, "e2"), F_OK));
	R("into_itself", rename(P(d, "e3"), P(d, "e3/sub")));
	mkdir(P(d, "e3/sub"), 0755);
	R("into_child", rename(P(d, "e3"), P(d, "e3/sub/x")));
	R("parent_into_child_nonempty", rename(P(d, "e3/sub"), P(d, "e3")));
	R("dot", rename(P(d, "e3/."), P(d, "x")));
	/* across directories, nlink of the parents */
	mkdir(P(d, "p1"), 0755);
	mkdir(P(d, "p2"), 0755);
	mkdir(P(d, "p1/c"), 0755);
	R("move_dir", rename(P(d, "p1/c"), P(d, "p2/c")));
	ostat("p1", P(d, "p1"), 0, NULL);
	ostat("p2", P(d, "p2"), 0, NULL);
	ostat("p2c", P(d, "p2/c"), 0, NULL);
	put(P(d, "p1/f"), "moved");
	R("move_file", rename(P(d, "p1/f"), P(d, "p2/f")));
	ocontent("moved_file", P(d, "p2/f"));
	olist("p1_list", P(d, "p1"));
	olist("p2_list", P(d, "p2"));
	mkdir(P(d, "o1"), 0755);
	mkdir(P(d, "o2"), 0755);
	replaced_open(P(d, "o1"), P(d, "o2"), "dir");
	put(P(d, "q1"), "q1");
	put(P(d, "q2"), "q2");
	replaced_open(P(d, "q1"), P(d, "q2"), "file");
	/* renameat2 */
	put(P(d, "n1"), "n1");
	put(P(d, "n2"), "n2");
	R("noreplace_exists", renameat2(AT_FDCWD, P(d, "n1"), AT_FDCWD, P(d, "n2"), RENAME_NOREPLACE));
	ocontent("noreplace_n2", P(d, "n2"));
	R("noreplace_new", renameat2(AT_FDCWD, P(d, "n1"), AT_FDCWD, P(d, "n3"), RENAME_NOREPLACE));
	ocontent("noreplace_n3", P(d, "n3"));
	R("exchange", renameat2(AT_FDCWD, P(d, "n2"), AT_FDCWD, P(d, "n3"), RENAME_EXCHANGE));
	ocontent("exchange_n2", P(d, "n2"));
	ocontent("exchange_n3", P(d, "n3"));
	R("exchange_missing", renameat2(AT_FDCWD, P(d, "n2"), AT_FDCWD, P(d, "nx"), RENAME_EXCHANGE));
	mkdir(P(d, "xd"), 0755);
	put(P(d, "xd/in"), "in");
	R("exchange_file_dir", renameat2(AT_FDCWD, P(d, "n2"), AT_FDCWD, P(d, "xd"), RENAME_EXCHANGE));
	ostat("exchange_n2_type", P(d, "n2"), 0, NULL);
	ostat("exchange_xd_type", P(d, "xd"), 0, NULL);
	ocontent("exchange_n2_in", P(d, "n2/in"));
	R("both_flags", renameat2(AT_FDCWD, P(d, "n2"), AT_FDCWD, P(d, "n3"),
	                          RENAME_EXCHANGE | RENAME_NOREPLACE));
	/* rename keeps a hard link's other name */
	put(P(d, "h1"), "h");
	link(P(d, "h1"), P(d, "h2"));
	R("rename_link_onto_link", rename(P(d, "h1"), P(d, "h2"))); /* same inode: no-op */
	R("h1_still_there", access(P(d, "h1"), F_OK));
	ostat("h2", P(d, "h2"), 0, NULL);
	/* times: rename updates the parent's mtime and the file's ctime */
	set_old_times(P(d, "p2"));
	rename(P(d, "p2/f"), P(d, "p2/g"));
	stat(P(d, "p2"), &a);
	obs("parent_mtime_after_rename", "%d", a.st_mtim.tv_sec > 1000);
	olist("final", d);
}

static void c_link(const char *d)
{
	struct stat a, b;
	put(P(d, "f"), "data");
	R("link", link(P(d, "f"), P(d, "g")));
	ostat("f", P(d, "f"), 0, &a);
	ostat("g", P(d, "g"), 0, &b);
	obs("same_ino", "%d", a.st_ino == b.st_ino);
	R("link_exists", link(P(d, "f"), P(d, "g")));
	R("link_noent", link(P(d, "missing"), P(d, "h")));
	mkdir(P(d, "dir"), 0755);
	R("link_dir", link(P(d, "dir"), P(d, "dirlink")));
	R("link_into_missing", link(P(d, "f"), P(d, "nodir/h")));
	mkdir(P(d, "sub"), 0755);
	R("link_other_dir", link(P(d, "f"), P(d, "sub/h")));
	ostat("f3", P(d, "f"), 0, NULL);
	/* write through one name, read through the other */
	int fd = open(P(d, "g"), O_WRONLY | O_APPEND);
	R("append_g", write(fd, "+more", 5));
	close(fd);
	ocontent("content_f", P(d, "f"));
	ocontent("content_h", P(d, "sub/h"));
	R("unlink_f", unlink(P(d, "f")));
	ostat("g_after_unlink", P(d, "g"), 0, NULL);
	ostat("h_after_unlink", P(d, "sub/h"), 0, NULL);
	/* chmod through one name shows on the other */
	R("chmod_g", chmod(P(d, "g"), 0600));
	ostat("h_after_chmod", P(d, "sub/h"), 0, NULL);
	R("unlink_g", unlink(P(d, "g")));
	ostat("h_last", P(d, "sub/h"), 0, NULL);
	/* a link to a symlink is a link to the symlink itself */
	symlink("sub/h", P(d, "sl"));
	R("link_symlink", linkat(AT_FDCWD, P(d, "sl"), AT_FDCWD, P(d, "sl2"), 0));
	ostat("sl2", P(d, "sl2"), 0, NULL);
	R("link_follow", linkat(AT_FDCWD, P(d, "sl"), AT_FDCWD, P(d, "sl3"), AT_SYMLINK_FOLLOW));
	ostat("sl3", P(d, "sl3"), 0, NULL);
	/* the ctime of a file changes when linked */
	put(P(d, "c"), "c");
	stat(P(d, "c"), &a);
	link(P(d, "c"), P(d, "c2"));
	stat(P(d, "c"), &b);
	obs("ctime_after_link", "%d", ns_of(b.st_ctim) >= ns_of(a.st_ctim));
}

static void c_symlink(const char *d)
{
	char buf[PATH_MAX];
	struct stat st;
	put(P(d, "target"), "T");
	R("symlink", symlink("target", P(d, "l")));
	ostat("lstat", P(d, "l"), 0, NULL);
	ostat("stat", P(d, "l"), 1, NULL);
	ssize_t n = readlink(P(d, "l"), buf, sizeof buf);
	obs("readlink", "%zd %.*s", n, n > 0 ? (int)n : 0, buf);
	n = readlink(P(d, "l"), buf, 3);
	obs("readlink_short", "%zd %.*s", n, n > 0 ? (int)n : 0, buf);
	R("readlink_file", readlink(P(d, "target"), buf, sizeof buf));
	R("readlink_noent", readlink(P(d, "none"), buf, sizeof buf));
	R("symlink_exists", symlink("x", P(d, "l")));
	R("dangling", symlink("nowhere", P(d, "dang")));
	R("stat_dangling", stat(P(d, "dang"), &st));
	ostat("lstat_dangling", P(d, "dang"), 0, NULL);
	/* a long target */
	char longt[4000];
	memset(longt, 'x', sizeof longt - 1);
	longt[sizeof longt - 1] = '\0';
	R("symlink_long", symlink(longt, P(d, "long")));
	n = readlink(P(d, "long"), buf, sizeof buf);
	obs("readlink_long", "%zd same=%d", n, n == 3999 && memcmp(buf, longt, 3999) == 0);
	/* through a symlinked directory */
	mkdir(P(d, "realdir"), 0755);
	put(P(d, "realdir/in"), "in");
	symlink("realdir", P(d, "dl"));
	ocontent("via_dir_link", P(d, "dl/in"));
	R("rmdir_symlink", rmdir(P(d, "dl")));
	R("unlink_symlink", unlink(P(d, "dl")));
	ostat("realdir_kept", P(d, "realdir"), 0, NULL);
	/* loops */
	symlink("loop2", P(d, "loop1"));
	symlink("loop1", P(d, "loop2"));
	R("loop", stat(P(d, "loop1"), &st));
	/* absolute target */
	symlink("/proc/self", P(d, "abs"));
	n = readlink(P(d, "abs"), buf, sizeof buf);
	obs("readlink_abs", "%zd %.*s", n, n > 0 ? (int)n : 0, buf);
	R("symlink_empty", symlink("", P(d, "empty")));
}

static void c_mknod(const char *d)
{
	R("mkfifo", mkfifo(P(d, "fifo"), 0640));
	ostat("fifo", P(d, "fifo"), 0, NULL);
	int fd = RFD("open_fifo_nb", open(P(d, "fifo"), O_RDONLY | O_NONBLOCK));
	if (fd >= 0) {
		int w = RFD("open_fifo_w", open(P(d, "fifo"), O_WRONLY | O_NONBLOCK));
		if (w >= 0) {
			R("fifo_write", write(w, "pipe", 4));
			char b[8] = "";
			R("fifo_read", read(fd, b, sizeof b));
			obs("fifo_data", "%.4s", b);
			close(w);
		}
		close(fd);
	}
	R("mknod_reg", mknod(P(d, "reg"), S_IFREG | 0600, 0));
	ostat("reg", P(d, "reg"), 0, NULL);
	R("mknod_chr", mknod(P(d, "chr"), S_IFCHR | 0600, makedev(1, 3)));
	ostat("chr", P(d, "chr"), 0, NULL);
	R("mknod_blk", mknod(P(d, "blk"), S_IFBLK | 0600, makedev(7, 200)));
	ostat("blk", P(d, "blk"), 0, NULL);
	R("mknod_exists", mknod(P(d, "fifo"), S_IFIFO | 0600, 0));
	R("mknod_sock", mknod(P(d, "sock"), S_IFSOCK | 0600, 0));
	ostat("sock", P(d, "sock"), 0, NULL);
	R("mknod_bad", mknod(P(d, "bad"), 0170000 | 0600, 0));
	olist("list", d);
}

static void c_chmod(const char *d)
{
	struct stat a, b;
	put(P(d, "f"), "x");
	R("chmod", chmod(P(d, "f"), 0751));
	ostat("after_chmod", P(d, "f"), 0, NULL);
	R("chmod_suid", chmod(P(d, "f"), 06755));
	ostat("after_suid", P(d, "f"), 0, NULL);
	R("chmod_sticky", chmod(P(d, "f"), 01644));
	ostat("after_sticky", P(d, "f"), 0, NULL);
	R("chmod_noent", chmod(P(d, "none"), 0644));
	int fd = open(P(d, "f"), O_RDONLY);
	R("fchmod", fchmod(fd, 0604));
	ofstat("after_fchmod", fd, NULL);
	close(fd);
	/* chmod on a symlink follows it */
	symlink("f", P(d, "l"));
	R("chmod_via_link", chmod(P(d, "l"), 0640));
	ostat("target_after", P(d, "f"), 0, NULL);
	R("fchmodat_nofollow", fchmodat(AT_FDCWD, P(d, "l"), 0600, AT_SYMLINK_NOFOLLOW));
	/* chown as root */
	R("chown", chown(P(d, "f"), 1234, 5678));
	ostat("after_chown", P(d, "f"), 0, NULL);
	R("chown_keep", chown(P(d, "f"), (uid_t)-1, (gid_t)-1));
	ostat("after_chown_keep", P(d, "f"), 0, NULL);
	R("chown_gid_only", chown(P(d, "f"), (uid_t)-1, 42));
	ostat("after_chown_gid", P(d, "f"), 0, NULL);
	R("chown_uid_only", chown(P(d, "f"), 77, (gid_t)-1));
	ostat("after_chown_uid", P(d, "f"), 0, NULL);
	R("lchown", lchown(P(d, "l"), 11, 12));
	ostat("link_after_lchown", P(d, "l"), 0, NULL);
	ostat("target_after_lchown", P(d, "f"), 0, NULL);
	/* chown clears set-user-id (and set-group-id with group exec) */
	chmod(P(d, "f"), 06755);
	R("chown_clears_suid", chown(P(d, "f"), 0, 0));
	ostat("after_chown_suid", P(d, "f"), 0, NULL);
	/* a directory keeps its setgid bit on chown */
	mkdir(P(d, "dir"), 0755);
	chmod(P(d, "dir"), 02755);
	R("chown_dir", chown(P(d, "dir"), 5, 6));
	ostat("dir_after_chown", P(d, "dir"), 0, NULL);
	/* chmod changes ctime, not mtime */
	set_old_times(P(d, "f"));
	stat(P(d, "f"), &a);
	chmod(P(d, "f"), 0644);
	stat(P(d, "f"), &b);
	obs("chmod_mtime_kept", "%d", ns_of(b.st_mtim) == ns_of(a.st_mtim));
	obs("chmod_ctime_not_older", "%d", ns_of(b.st_ctim) >= ns_of(a.st_ctim));
	/* write changes mtime and ctime */
	set_old_times(P(d, "f"));
	stat(P(d, "f"), &a);
	fd = open(P(d, "f"), O_WRONLY);
	R("write", write(fd, "y", 1));
	close(fd);
	stat(P(d, "f"), &b);
	obs("write_mtime_newer", "%d", ns_of(b.st_mtim) > ns_of(a.st_mtim));
	obs("write_ctime_not_older", "%d", ns_of(b.st_ctim) >= ns_of(a.st_ctim));
	(g_wb_reads_below ? obs_soft : obs)("write_atime_kept", "%d",
	                                    ns_of(b.st_atim) == ns_of(a.st_atim));
}

static void c_utimens(const char *d)
{
	struct stat st, before;
	struct timespec ts[2];
	put(P(d, "f"), "x");
	ts[0] = (struct timespec){ 1000000000, 123456789 };
	ts[1] = (struct timespec){ 1100000000, 987654321 };
	R("explicit", utimensat(AT_FDCWD, P(d, "f"), ts, 0));
	stat(P(d, "f"), &st);
	obs("explicit_atime", "%lld.%09ld", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
	obs("explicit_mtime", "%lld.%09ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	before = st;
	ts[0] = (struct timespec){ 0, UTIME_OMIT };
	ts[1] = (struct timespec){ 0, UTIME_NOW };
	struct timespec t0, t1;
	clock_gettime(CLOCK_REALTIME, &t0);
	R("omit_now", utimensat(AT_FDCWD, P(d, "f"), ts, 0));
	clock_gettime(CLOCK_REALTIME, &t1);
	stat(P(d, "f"), &st);
	obs("omit_kept_atime", "%d", ns_of(st.st_atim) == ns_of(before.st_atim));
	/* coarse clocks: allow the filesystem's tick below t0 */
	obs("now_mtime_in_range", "%d", st.st_mtim.tv_sec >= t0.tv_sec - 1 &&
	    st.st_mtim.tv_sec <= t1.tv_sec);
	ts[0] = (struct timespec){ 0, UTIME_NOW };
	ts[1] = (struct timespec){ 0, UTIME_OMIT };
	before = st;
	R("now_omit", utimensat(AT_FDCWD, P(d, "f"), ts, 0));
	stat(P(d, "f"), &st);
	obs("omit_kept_mtime", "%d", ns_of(st.st_mtim) == ns_of(before.st_mtim));
	obs("now_atime_recent", "%d", st.st_atim.tv_sec >= t0.tv_sec - 1);
	ts[0] = ts[1] = (struct timespec){ 0, UTIME_OMIT };
	R("omit_omit", utimensat(AT_FDCWD, P(d, "f"), ts, 0));
	R("null_times", utimensat(AT_FDCWD, P(d, "f"), NULL, 0));
	stat(P(d, "f"), &st);
	obs("null_is_now", "%d", st.st_mtim.tv_sec >= t0.tv_sec - 1);
	/* futimens, negative and far-future times, bad nsec */
	int fd = open(P(d, "f"), O_RDONLY);
	ts[0] = (struct timespec){ -1000, 5 };
	ts[1] = (struct timespec){ 4102444800LL, 1 }; /* 2100-01-01 */
	R("futimens", futimens(fd, ts));
	fstat(fd, &st);
	obs("negative_atime", "%lld.%09ld", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
	obs("future_mtime", "%lld.%09ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	ts[0] = (struct timespec){ 0, 1000000000 };
	R("bad_nsec", futimens(fd, ts));
	close(fd);
	/* a symlink's own times */
	symlink("f", P(d, "l"));
	ts[0] = (struct timespec){ 2000, 0 };
	ts[1] = (struct timespec){ 3000, 0 };
	R("symlink_nofollow", utimensat(AT_FDCWD, P(d, "l"), ts, AT_SYMLINK_NOFOLLOW));
	lstat(P(d, "l"), &st);
	obs("symlink_mtime", "%lld", (long long)st.st_mtim.tv_sec);
	stat(P(d, "f"), &st);
	obs("target_mtime_untouched", "%d", st.st_mtim.tv_sec == 4102444800LL);
	R("utimens_noent", utimensat(AT_FDCWD, P(d, "none"), NULL, 0));
	/* directories */
	mkdir(P(d, "dir"), 0755);
	ts[0] = (struct timespec){ 5000, 5 };
	ts[1] = (struct timespec){ 6000, 6 };
	R("dir", utimensat(AT_FDCWD, P(d, "dir"), ts, 0));
	stat(P(d, "dir"), &st);
	obs("dir_mtime", "%lld.%09ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	/* utimes (microseconds) */
	struct timeval tv[2] = { { 7000, 1 }, { 8000, 2 } };
	R("utimes", utimes(P(d, "f"), tv));
	stat(P(d, "f"), &st);
	obs("utimes_mtime", "%lld.%09ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void c_statfs(const char *d)
{
	struct statfs s;
	struct statvfs v;
	R("statfs", statfs(d, &s));
	obs("bsize_positive", "%d", s.f_bsize > 0);
	obs("blocks_ge_free", "%d", s.f_blocks >= s.f_bfree && s.f_bfree >= s.f_bavail);
	obs("namelen", "%ld", (long)s.f_namelen);
	R("statvfs", statvfs(d, &v));
	obs("vfs_namemax", "%lu", v.f_namemax);
	obs("vfs_frsize_positive", "%d", v.f_frsize > 0);
	put(P(d, "f"), "x");
	int fd = open(P(d, "f"), O_RDONLY);
	R("fstatfs", fstatfs(fd, &s));
	close(fd);
	R("statfs_noent", statfs(P(d, "none"), &s));
}

static void c_xattr(const char *d)
{
	char buf[8192];
	char f[PATH_MAX];
	snprintf(f, sizeof f, "%s/f", d);
	put(f, "x");
	R("set", setxattr(f, "user.a", "v1", 2, 0));
	R("get_size", getxattr(f, "user.a", NULL, 0));
	ssize_t n = getxattr(f, "user.a", buf, sizeof buf);
	obs("get", "%zd %.*s", n, n > 0 ? (int)n : 0, buf);
	R("get_erange", getxattr(f, "user.a", buf, 1));
	R("create_exists", setxattr(f, "user.a", "v2", 2, XATTR_CREATE));
	R("replace_missing", setxattr(f, "user.b", "v2", 2, XATTR_REPLACE));
	R("replace", setxattr(f, "user.a", "value2", 6, XATTR_REPLACE));
	n = getxattr(f, "user.a", buf, sizeof buf);
	obs("get_replaced", "%zd %.*s", n, n > 0 ? (int)n : 0, buf);
	R("create_new", setxattr(f, "user.b", "", 0, XATTR_CREATE));
	R("get_empty", getxattr(f, "user.b", buf, sizeof buf));
	memset(buf, 'q', 4000);
	R("set_big", setxattr(f, "user.big", buf, 4000, 0));
	R("get_big", getxattr(f, "user.big", buf, sizeof buf));
	R("get_missing", getxattr(f, "user.zzz", buf, sizeof buf));
	R("trusted", setxattr(f, "trusted.t", "tt", 2, 0));
	R("bad_namespace", setxattr(f, "bogus.x", "v", 1, 0));
	R("list_size", listxattr(f, NULL, 0));
	n = listxattr(f, buf, sizeof buf);
	/* the order of names is the filesystem's: sort them */
	char *names[16];
	int k = 0;
	for (ssize_t i = 0; i < n && k < 16; i += (ssize_t)strlen(buf + i) + 1)
		names[k++] = buf + i;
	qsort(names, (size_t)k, sizeof *names, cmpstr);
	char joined[256] = "";
	for (int i = 0; i < k; i++) {
		strncat(joined, names[i], sizeof joined - strlen(joined) - 2);
		strcat(joined, " ");
	}
	obs("list", "%zd [%s]", n, joined);
	R("list_erange", listxattr(f, buf, 3));
	R("remove", removexattr(f, "user.a"));
	R("get_removed", getxattr(f, "user.a", buf, sizeof buf));
	R("remove_missing", removexattr(f, "user.a"));
	R("list_after_remove", listxattr(f, NULL, 0));
	/* on a directory, through a symlink, and on the symlink itself */
	mkdir(P(d, "dir"), 0755);
	R("set_dir", setxattr(P(d, "dir"), "user.d", "dv", 2, 0));
	R("get_dir", getxattr(P(d, "dir"), "user.d", buf, sizeof buf));
	symlink("f", P(d, "l"));
	R("get_via_link", getxattr(P(d, "l"), "user.big", NULL, 0));
	R("lset_user_on_link", lsetxattr(P(d, "l"), "user.x", "x", 1, 0));
	R("lget_on_link", lgetxattr(P(d, "l"), "user.big", NULL, 0));
	R("noent", getxattr(P(d, "none"), "user.a", buf, sizeof buf));
	int fd = open(f, O_RDONLY);
	R("fset", fsetxattr(fd, "user.f", "fv", 2, 0));
	R("fget", fgetxattr(fd, "user.f", buf, sizeof buf));
	R("fremove", fremovexattr(fd, "user.f"));
	close(fd);
	/* xattrs survive rename and are shared by hard links */
	rename(f, P(d, "g"));
	R("after_rename", getxattr(P(d, "g"), "user.big", NULL, 0));
	link(P(d, "g"), P(d, "h"));
	setxattr(P(d, "g"), "user.via_g", "1", 1, 0);
	R("via_link", getxattr(P(d, "h"), "user.via_g", NULL, 0));
	/* a value too big for the kernel */
	char *huge = calloc(1, 70000);
	R("set_too_big", setxattr(P(d, "g"), "user.huge", huge, 70000, 0));
	free(huge);
	/* name too long */
	char lname[300] = "user.";
	memset(lname + 5, 'n', 260);
	lname[265] = '\0';
	R("name_too_long", setxattr(P(d, "g"), lname, "v", 1, 0));
}

static void c_access(const char *d)
{
	put(P(d, "f"), "x");
	chmod(P(d, "f"), 0644);
	R("f_ok", access(P(d, "f"), F_OK));
	R("rw_ok", access(P(d, "f"), R_OK | W_OK));
	R("x_ok_noexec", access(P(d, "f"), X_OK)); /* root too needs an x bit */
	chmod(P(d, "f"), 0100);
	R("x_ok_owner_x", access(P(d, "f"), X_OK));
	chmod(P(d, "f"), 0);
	R("r_ok_mode0_root", access(P(d, "f"), R_OK));
	R("noent", access(P(d, "none"), F_OK));
	R("notdir", access(P(d, "f/x"), F_OK));
	mkdir(P(d, "dir"), 0700);
	R("dir_x", access(P(d, "dir"), X_OK));
	R("faccessat_eaccess", faccessat(AT_FDCWD, P(d, "f"), R_OK, AT_EACCESS));
	R("bad_mode", access(P(d, "f"), 0100));
}

/* ~1000 entries: the sorted listing equals what was created; d_type. */
static void c_readdir_big(const char *d)
{
	int made = 0;
	for (int i = 0; i < 1000; i++) {
		char name[64];
		snprintf(name, sizeof name, "entry-%04d-%s", i, i % 3 ? "file" : "name-longer-than-usual");
		if (i % 10 == 0)
			made += mkdir(P(d, name), 0755) == 0;
		else
			made += put(P(d, name), "") == 0;
	}
	obs("made", "%d", made);
	DIR *dir = opendir(d);
	if (!dir) {
		obs("opendir", "-1 %s", ename(errno));
		return;
	}
	char **names = calloc(2000, sizeof *names);
	int n = 0, dots = 0, types_ok = 1, types_known = 1;
	struct dirent *e;
	while ((e = readdir(dir)) && n < 2000) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
			dots++;
			continue;
		}
		names[n++] = strdup(e->d_name);
		if (e->d_type == DT_UNKNOWN)
			types_known = 0;
		else if ((e->d_type == DT_DIR) != (strstr(e->d_name, "0-") != NULL &&
		                                   atoi(e->d_name + 6) % 10 == 0))
			types_ok = 0;
	}
	closedir(dir);
	qsort(names, (size_t)n, sizeof *names, cmpstr);
	uint64_t h = 0;
	int dups = 0;
	for (int i = 0; i < n; i++) {
		h = fnv(names[i], strlen(names[i]) + 1, h);
		if (i && !strcmp(names[i], names[i - 1]))
			dups++;
	}
	obs("count", "%d", n);
	obs("dots", "%d", dots);
	obs("dups", "%d", dups);
	obs("hash", "%016llx", (unsigned long long)h);
	obs("d_type_correct", "%d", types_ok);
	obs_soft("d_type_known", "%d", types_known);
	/* d_ino agrees with stat's st_ino */
	dir = opendir(d);
	int ino_ok = 1, checked = 0;
	while ((e = readdir(dir)) && checked < 50) {
		if (e->d_name[0] == '.')
			continue;
		struct stat st;
		if (fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			checked++;
			if (st.st_ino != e->d_ino)
				ino_ok = 0;
		}
	}
	closedir(dir);
	obs_soft("d_ino_matches_stat", "%d", ino_ok);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

struct dent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Entries added and removed while a listing is under way: every entry
 * that exists throughout is listed exactly once, none twice. Uses
 * getdents64 with a small buffer so the listing really is in parts. */
static void c_readdir_mutate(const char *d)
{
	for (int i = 0; i < 300; i++) {
		char name[32];
		snprintf(name, sizeof name, "keep%03d", i);
		put(P(d, name), "");
		if (i < 200) {
			snprintf(name, sizeof name, "del%03d", i);
			put(P(d, name), "");
		}
	}
	int fd = open(d, O_RDONLY | O_DIRECTORY);
	char buf[1024];
	int seen_keep[300] = { 0 }, total = 0, dups = 0, mutated = 0;
	char **all = calloc(2000, sizeof *all);
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
		if (n <= 0) {
			if (n < 0)
				obs("getdents", "-1 %s", ename(errno));
			break;
		}
		for (long off = 0; off < n;) {
			struct dent64 *e = (struct dent64 *)(buf + off);
			off += e->d_reclen;
			if (e->d_name[0] == '.')
				continue;
			for (int j = 0; j < total; j++)
				if (!strcmp(all[j], e->d_name))
					dups++;
			if (total < 2000)
				all[total++] = strdup(e->d_name);
			if (!strncmp(e->d_name, "keep", 4))
				seen_keep[atoi(e->d_name + 4) % 300]++;
		}
		if (!mutated && total >= 100) {
			mutated = 1;
			for (int i = 0; i < 200; i++) {
				char name[32];
				snprintf(name, sizeof name, "del%03d", i);
				unlink(P(d, name));
				snprintf(name, sizeof name, "new%03d", i);
				put(P(d, name), "");
			}
		}
	}
	close(fd);
	int once = 0, missing = 0, twice = 0;
	for (int i = 0; i < 300; i++) {
		once += seen_keep[i] == 1;
		missing += seen_keep[i] == 0;
		twice += seen_keep[i] > 1;
	}
	obs("mutated", "%d", mutated);
	obs("keep_once", "%d", once);
	obs("keep_missing", "%d", missing);
	obs("keep_twice", "%d", twice);
	obs("dups", "%d", dups);
	for (int i = 0; i < total; i++)
		free(all[i]);
	free(all);
	/* and after it, a fresh listing has exactly keep + new */
	DIR *dir = opendir(d);
	int k = 0, nw = 0, del = 0;
	struct dirent *e;
	while ((e = readdir(dir))) {
		k += !strncmp(e->d_name, "keep", 4);
		nw += !strncmp(e->d_name, "new", 3);
		del += !strncmp(e->d_name, "del", 3);
	}
	closedir(dir);
	obs("after", "keep=%d new=%d del=%d", k, nw, del);
}

static void c_seekdir(const char *d)
{
	for (int i = 0; i < 60; i++) {
		char name[16];
		snprintf(name, sizeof name, "e%02d", i);
		put(P(d, name), "");
	}
	DIR *dir = opendir(d);
	char first[256] = "", at10[256] = "";
	long pos10 = -1;
	int count = 0;
	struct dirent *e;
	for (int i = 0; (e = readdir(dir)); i++) {
		if (i == 0)
			snprintf(first, sizeof first, "%s", e->d_name);
		if (i == 10) {
			snprintf(at10, sizeof at10, "%s", e->d_name);
		}
		if (i == 9)
			pos10 = telldir(dir);
		count++;
	}
	obs("count", "%d", count);
	obs("telldir_ok", "%d", pos10 != -1);
	seekdir(dir, pos10);
	e = readdir(dir);
	obs("seekdir_same_entry", "%d", e && !strcmp(e->d_name, at10));
	int rest = e ? 1 : 0;
	while (readdir(dir))
		rest++;
	obs("rest_after_seek", "%d", rest);
	rewinddir(dir);
	e = readdir(dir);
	obs("rewind_same_first", "%d", e && !strcmp(e->d_name, first));
	/* telldir of the end, then seek back to it: nothing more */
	while (readdir(dir))
		;
	long end = telldir(dir);
	seekdir(dir, pos10);
	readdir(dir);
	seekdir(dir, end);
	obs("seek_end_empty", "%d", readdir(dir) == NULL);
	closedir(dir);
	/* lseek on a directory fd back to 0 restarts the listing */
	int fd = open(d, O_RDONLY | O_DIRECTORY);
	char buf[4096];
	long n1 = syscall(SYS_getdents64, fd, buf, sizeof buf);
	R("lseek_dir0", lseek(fd, 0, SEEK_SET));
	long n2 = syscall(SYS_getdents64, fd, buf, sizeof buf);
	obs("relist_same_size", "%d", n1 > 0 && n1 == n2);
	close(fd);
}

static void c_unlinked_open(const char *d)
{
	char b[32] = "";
	int fd = RFD("open", open(P(d, "f"), O_RDWR | O_CREAT, 0644));
	if (fd < 0)
		return;
	R("write", write(fd, "hello", 5));
	R("unlink", unlink(P(d, "f")));
	struct stat st;
	R("stat_gone", stat(P(d, "f"), &st));
	ofstat("fstat_unlinked", fd, NULL);
	R("pwrite_after", pwrite(fd, "world", 5, 5));
	R("pread_after", pread(fd, b, sizeof b, 0));
	obs("data_after", "%.10s", b);
	R("ftruncate_after", ftruncate(fd, 7));
	ofstat("fstat_after_trunc", fd, NULL);
	R("fchmod_after", fchmod(fd, 0600));
	R("fsync_after", fsync(fd));
	{
		/* a path layer without hard_remove may show a hidden name here */
		DIR *dir = opendir(d);
		int others = 0;
		struct dirent *e;
		while ((e = readdir(dir)))
			others += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
		closedir(dir);
		obs_soft("entries_while_open", "%d", others);
	}
	/* a new file of the same name is another file */
	put(P(d, "f"), "new");
	memset(b, 0, sizeof b);
	R("pread_old_still", pread(fd, b, sizeof b, 0));
	obs("old_data", "%.7s", b);
	R("close", close(fd));
	ocontent("new_file", P(d, "f"));
	unlink(P(d, "f"));
	olist("after_close", d);
	/* replaced by rename while open */
	put(P(d, "g"), "old-g");
	fd = open(P(d, "g"), O_RDONLY);
	put(P(d, "h"), "new-g");
	R("rename_over_open", rename(P(d, "h"), P(d, "g")));
	memset(b, 0, sizeof b);
	R("read_replaced", pread(fd, b, sizeof b, 0));
	obs("replaced_data", "%.5s", b);
	close(fd);
	ocontent("g_now", P(d, "g"));
	olist("after_rename_close", d);
	/* two descriptors on an unlinked file */
	int a = open(P(d, "two"), O_RDWR | O_CREAT, 0644);
	int c = open(P(d, "two"), O_RDWR);
	unlink(P(d, "two"));
	R("two_write", write(a, "AB", 2));
	memset(b, 0, sizeof b);
	R("two_read", pread(c, b, 2, 0));
	obs("two_data", "%.2s", b);
	close(a);
	R("two_write_after_first_close", pwrite(c, "CD", 2, 2));
	close(c);
	/* unlinked directory that is still open / the cwd */
	mkdir(P(d, "dir"), 0755);
	int dfd = open(P(d, "dir"), O_RDONLY | O_DIRECTORY);
	R("rmdir_open", rmdir(P(d, "dir")));
	RFD("create_in_removed", openat(dfd, "x", O_CREAT | O_WRONLY, 0644));
	close(dfd);
	olist("final", d);
}

static void c_sync(const char *d)
{
	int fd = open(P(d, "f"), O_RDWR | O_CREAT, 0644);
	write(fd, "data", 4);
	R("fsync", fsync(fd));
	R("fdatasync", fdatasync(fd));
	R("sync_file_range", sync_file_range(fd, 0, 4, SYNC_FILE_RANGE_WRITE));
	close(fd);
	fd = open(d, O_RDONLY | O_DIRECTORY);
	R("fsync_dir", fsync(fd));
	R("syncfs", syncfs(fd));
	close(fd);
	fd = open(P(d, "f"), O_RDONLY);
	R("fsync_rdonly", fsync(fd));
	close(fd);
	fd = open(P(d, "s"), O_RDWR | O_CREAT | O_SYNC, 0644);
	R("write_osync", write(fd, "sync", 4));
	close(fd);
	ocontent("osync_content", P(d, "s"));
}

static void c_fallocate(const char *d)
{
	unsigned char buf[65536];
	struct stat st;
	int fd = open(P(d, "f"), O_RDWR | O_CREAT, 0644);
	R("alloc", fallocate(fd, 0, 0, 65536));
	ofstat("alloc_stat", fd, &st);
	obs("alloc_blocks", "%d", st.st_blocks * 512 >= 65536);
	R("keep_size", fallocate(fd, FALLOC_FL_KEEP_SIZE, 65536, 65536));
	ofstat("keep_size_stat", fd, NULL);
	pattern(buf, sizeof buf, 3);
	pwrite(fd, buf, sizeof buf, 0);
	R("punch", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 8192));
	ofstat("punch_stat", fd, NULL);
	memset(buf, 0xff, sizeof buf);
	ssize_t n = pread(fd, buf, sizeof buf, 0);
	unsigned char want[65536];
	pattern(want, sizeof want, 3);
	obs("punch_data", "%zd head=%d zeros=%d tail=%d", n, !memcmp(buf, want, 4096),
	    all_zero(buf + 4096, 8192), !memcmp(buf + 12288, want + 12288, 65536 - 12288));
	R("punch_no_keep", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096));
	/* Modes the reference (tmpfs) lacks: a filesystem under test may have
	 * them, so where the reference says EOPNOTSUPP the results are soft. */
	errno = 0;
	int zr = fallocate(fd, FALLOC_FL_ZERO_RANGE, 20000, 1000);
	int zr_soft = zr < 0 && errno == EOPNOTSUPP;
	char zs[64];
	snprintf(zs, sizeof zs, "%d %s", zr, zr ? ename(errno) : "");
	(zr_soft ? obs_soft : obs)("zero_range", "%s", zs);
	n = pread(fd, buf, 1000, 20000);
	(zr_soft ? obs_soft : obs)("zero_range_data", "%zd zeros=%d", n, all_zero(buf, 1000));
	errno = 0;
	zr = fallocate(fd, FALLOC_FL_ZERO_RANGE, 65536, 100);
	snprintf(zs, sizeof zs, "%d %s", zr, zr ? ename(errno) : "");
	(zr_soft ? obs_soft : obs)("zero_range_grow", "%s", zs);
	fstat(fd, &st);
	(zr_soft ? obs_soft : obs)("zero_range_grow_size", "%lld", (long long)st.st_size);
	errno = 0;
	zr = fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, 4096);
	snprintf(zs, sizeof zs, "%d %s", zr, zr ? ename(errno) : "");
	(zr < 0 && errno == EOPNOTSUPP ? obs_soft : obs)("collapse", "%s", zs);
	R("bad_len", fallocate(fd, 0, 0, 0));
	R("bad_off", fallocate(fd, 0, -1, 10));
	close(fd);
	fd = open(P(d, "f"), O_RDONLY);
	R("rdonly", fallocate(fd, 0, 0, 10));
	close(fd);
	R("posix_fallocate", ({ int f2 = open(P(d, "p"), O_RDWR | O_CREAT, 0644);
	                        int r2 = posix_fallocate(f2, 0, 10000); close(f2);
	                        r2 ? (errno = r2, -1) : 0; }));
	ostat("posix_fallocate_stat", P(d, "p"), 0, NULL);
}

static void c_lseek(const char *d)
{
	unsigned char buf[4096];
	memset(buf, 'D', sizeof buf);
	const struct ext two[2] = { { 0, 4096 }, { 1 << 20, (1 << 20) + 4096 } };
	const off_t sz = (1 << 20) + 4096;
	int fd = open(P(d, "f"), O_RDWR | O_CREAT, 0644);
	pwrite(fd, buf, sizeof buf, 0);
	pwrite(fd, buf, sizeof buf, 1 << 20);
	oseek("data_0", fd, 0, SEEK_DATA, sz, two, 2);
	oseek("hole_0", fd, 0, SEEK_HOLE, sz, two, 2);
	oseek("data_8192", fd, 8192, SEEK_DATA, sz, two, 2);
	oseek("hole_1m", fd, 1 << 20, SEEK_HOLE, sz, two, 2);
	oseek("data_eof", fd, sz, SEEK_DATA, sz, two, 2);
	oseek("hole_eof", fd, sz, SEEK_HOLE, sz, two, 2);
	oseek("data_past", fd, 5 << 20, SEEK_DATA, sz, two, 2);
	oseek("hole_past", fd, 5 << 20, SEEK_HOLE, sz, two, 2);
	oseek("data_neg", fd, -1, SEEK_DATA, sz, two, 2);
	close(fd);
	/* Closed, the pages are written back; under the writeback cache the
	 * kernel still answers itself (memfs's ENOSYS holds for the mount). */
	fd = open(P(d, "f"), O_RDONLY);
	oseek("closed_hole_0", fd, 0, SEEK_HOLE, sz, two, 2);
	oseek("closed_data_8192", fd, 8192, SEEK_DATA, sz, two, 2);
	close(fd);
	fd = open(P(d, "empty"), O_RDWR | O_CREAT, 0644);
	oseek("empty_data", fd, 0, SEEK_DATA, 0, NULL, 0);
	oseek("empty_hole", fd, 0, SEEK_HOLE, 0, NULL, 0);
	close(fd);
	/* all data: the hole is at EOF */
	const struct ext all[1] = { { 0, 3000 } };
	fd = open(P(d, "full"), O_RDWR | O_CREAT, 0644);
	write(fd, buf, 3000);
	oseek("full_hole", fd, 0, SEEK_HOLE, 3000, all, 1);
	oseek("full_data_mid", fd, 100, SEEK_DATA, 3000, all, 1);
	close(fd);
}

static void c_copy_range(const char *d)
{
	size_t len = 200000;
	unsigned char *buf = malloc(len);
	pattern(buf, len, 9);
	write_file(P(d, "src"), buf, len, 0644);
	int in = open(P(d, "src"), O_RDONLY);
	int out = open(P(d, "dst"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	loff_t oi = 1000, oo = 0;
	size_t total = 0;
	for (;;) {
		ssize_t n = copy_file_range(in, &oi, out, &oo, 100000 - total, 0);
		if (n < 0) {
			obs("copy", "-1 %s", ename(errno));
			break;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total >= 100000)
			break;
	}
	obs("copied", "%zu in_off=%lld out_off=%lld", total, (long long)oi, (long long)oo);
	obs("want", "%016llx", (unsigned long long)fnv(buf + 1000, 100000, 0));
	ohash("dst", out, 0, 100000);
	R("src_pos_unmoved", lseek(in, 0, SEEK_CUR));
	/* past the end of the source: 0 */
	oi = (loff_t)len + 10;
	R("past_eof", copy_file_range(in, &oi, out, NULL, 100, 0));
	/* using the file positions, overlapping the end */
	lseek(in, (off_t)len - 50, SEEK_SET);
	lseek(out, 0, SEEK_END);
	R("short_at_eof", copy_file_range(in, NULL, out, NULL, 100, 0));
	R("pos_in", lseek(in, 0, SEEK_CUR));
	R("pos_out", lseek(out, 0, SEEK_CUR));
	R("bad_flags", copy_file_range(in, NULL, out, NULL, 10, 1));
	int ro = open(P(d, "src"), O_RDONLY);
	R("to_rdonly", copy_file_range(in, NULL, ro, NULL, 10, 0));
	close(ro);
	/* same file, overlapping ranges */
	int rw = open(P(d, "src"), O_RDWR);
	oi = 0;
	oo = 10;
	R("same_overlap", copy_file_range(rw, &oi, rw, &oo, 100, 0));
	oo = 100000;
	R("same_file", copy_file_range(rw, &oi, rw, &oo, 100, 0));
	close(rw);
	close(in);
	close(out);
	free(buf);
}

static void c_statx(const char *d)
{
	struct statx sx;
	put(P(d, "f"), "statx!");
	link(P(d, "f"), P(d, "g"));
	R("statx", statx(AT_FDCWD, P(d, "f"), 0, STATX_BASIC_STATS | STATX_BTIME, &sx));
	obs("mask_basic", "%d", (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
	obs("fields", "mode=%o nlink=%u uid=%u gid=%u size=%llu blocks_pos=%d",
	    sx.stx_mode, sx.stx_nlink, sx.stx_uid, sx.stx_gid,
	    (unsigned long long)sx.stx_size, sx.stx_blocks > 0);
	obs_soft("btime", "%d", !!(sx.stx_mask & STATX_BTIME));
	struct stat st;
	stat(P(d, "f"), &st);
	obs("ino_matches_stat", "%d", sx.stx_ino == st.st_ino);
	obs("mtime_matches_stat", "%d", (int64_t)sx.stx_mtime.tv_sec == st.st_mtim.tv_sec &&
	    sx.stx_mtime.tv_nsec == (uint32_t)st.st_mtim.tv_nsec);
	R("statx_nofollow", statx(AT_FDCWD, P(d, "f"), AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx));
	R("statx_sync", statx(AT_FDCWD, P(d, "f"), AT_STATX_FORCE_SYNC, STATX_SIZE, &sx));
	obs("sync_size", "%llu", (unsigned long long)sx.stx_size);
	R("statx_dontsync", statx(AT_FDCWD, P(d, "f"), AT_STATX_DONT_SYNC, STATX_SIZE, &sx));
	int fd = open(P(d, "f"), O_RDONLY);
	R("statx_empty_path", statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx));
	obs("empty_path_size", "%llu", (unsigned long long)sx.stx_size);
	close(fd);
	R("statx_noent", statx(AT_FDCWD, P(d, "none"), 0, STATX_BASIC_STATS, &sx));
	mkdir(P(d, "dir"), 0750);
	statx(AT_FDCWD, P(d, "dir"), 0, STATX_BASIC_STATS, &sx);
	obs("dir", "mode=%o nlink=%u", sx.stx_mode, sx.stx_nlink);
}

/* ---- locks: two processes ----------------------------------------------- */

struct lockarg { const char *path; };

static void lock_child(const char *d, void *arg)
{
	int fd = open(P(d, "f"), O_RDWR);
	R("child_flock_nb", flock(fd, LOCK_EX | LOCK_NB));
	R("child_flock_sh_nb", flock(fd, LOCK_SH | LOCK_NB));
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100 };
	R("child_setlk", fcntl(fd, F_SETLK, &fl));
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 10 };
	R("child_getlk", fcntl(fd, F_GETLK, &fl));
	obs("child_getlk_holder", "type=%s start=%lld len=%lld pid_is_parent=%d",
	    fl.l_type == F_WRLCK ? "wr" : fl.l_type == F_RDLCK ? "rd" : "un",
	    (long long)fl.l_start, (long long)fl.l_len, fl.l_pid == getppid());
	/* outside the locked range */
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 200, .l_len = 10 };
	R("child_setlk_other_range", fcntl(fd, F_SETLK, &fl));
	fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 300, .l_len = 10 };
	R("child_getlk_free", fcntl(fd, F_GETLK, &fl));
	obs("child_getlk_free_type", "%s", fl.l_type == F_UNLCK ? "unlck" : "locked");
	/* OFD locks conflict with the parent's POSIX lock too */
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	R("child_ofd_setlk", fcntl(fd, F_OFD_SETLK, &fl));
	close(fd);
}

static void lock_child2(const char *d, void *arg)
{
	int fd = open(P(d, "f"), O_RDWR);
	R("child2_flock_nb", flock(fd, LOCK_EX | LOCK_NB));
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100 };
	R("child2_setlk", fcntl(fd, F_SETLK, &fl));
	close(fd);
}

static void c_locks(const char *d)
{
	put(P(d, "f"), "lock me");
	int fd = open(P(d, "f"), O_RDWR);
	R("flock_ex", flock(fd, LOCK_EX));
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100 };
	R("setlk", fcntl(fd, F_SETLK, &fl));
	/* one's own lock does not conflict */
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	R("getlk_own", fcntl(fd, F_GETLK, &fl));
	obs("getlk_own_type", "%s", fl.l_type == F_UNLCK ? "unlck" : "locked");
	as_user((uid_t)-1, 0, lock_child, d, NULL);
	R("flock_un", flock(fd, LOCK_UN));
	fl = (struct flock){ .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	R("unlock", fcntl(fd, F_SETLK, &fl));
	as_user((uid_t)-1, 0, lock_child2, d, NULL);
	/* the child's locks died with it: the parent may lock again */
	R("flock_again", flock(fd, LOCK_EX | LOCK_NB));
	fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	R("setlk_rd_whole", fcntl(fd, F_SETLK, &fl));
	/* a read lock needs a readable descriptor */
	int wo = open(P(d, "f"), O_WRONLY);
	fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	R("rdlock_on_wronly", fcntl(wo, F_SETLK, &fl));
	close(wo);
	R("bad_flock", flock(fd, 12345));
	close(fd);
}

/* ---- names ---------------------------------------------------------------- */

static void c_names(const char *d)
{
	char n255[300], n256[300];
	memset(n255, 'a', 255);
	n255[255] = '\0';
	memset(n256, 'b', 256);
	n256[256] = '\0';
	struct stat st;
	int fd = RFD("create_255", open(P(d, n255), O_CREAT | O_WRONLY, 0644));
	if (fd >= 0)
		close(fd);
	ostat("stat_255", P(d, n255), 0, NULL);
	RFD("create_256", open(P(d, n256), O_CREAT | O_WRONLY, 0644));
	R("stat_256", stat(P(d, n256), &st));
	R("mkdir_256", mkdir(P(d, n256), 0755));
	R("symlink_256", symlink("x", P(d, n256)));
	R("rename_to_256", rename(P(d, n255), P(d, n256)));
	R("link_to_256", link(P(d, n255), P(d, n256)));
	R("unlink_256", unlink(P(d, n256)));
	R("mknod_256", mknod(P(d, n256), S_IFIFO | 0644, 0));
	/* a path beyond PATH_MAX */
	char *longp = malloc(PATH_MAX + 100);
	snprintf(longp, PATH_MAX + 100, "%s/", d);
	while (strlen(longp) < PATH_MAX + 10)
		strcat(longp, "x/");
	R("path_too_long", stat(longp, &st));
	free(longp);
	/* odd but valid names */
	const char *odd[] = { " space", "tab\tname", "new\nline", "ünïcødé", "-dash", "a:b", "#!",
	                      "...", "back\\slash" };
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		char what[32];
		snprintf(what, sizeof what, "odd_%zu", i);
		R(what, put(P(d, odd[i]), odd[i]));
		snprintf(what, sizeof what, "odd_%zu_content", i);
		ocontent(what, P(d, odd[i]));
	}
	RFD("empty_name", open("", O_RDONLY));
	R("trailing_slash_file", stat(P(d, "-dash/"), &st));
	RFD("create_trailing_slash", open(P(d, "newfile/"), O_CREAT | O_WRONLY, 0644));
	R("mkdir_trailing_slash", mkdir(P(d, "newdir/"), 0755));
	ostat("newdir", P(d, "newdir"), 0, NULL);
	R("dotdot_escape", stat(P(d, "newdir/../-dash"), &st));
}

static void c_tmpfile(const char *d)
{
	errno = 0;
	int fd = open(d, O_TMPFILE | O_RDWR, 0600);
	obs_soft("supported", "%s", fd >= 0 ? "yes" : ename(errno));
	if (fd < 0)
		return;
	write(fd, "tmp", 3);
	struct stat st;
	fstat(fd, &st);
	obs_soft("fstat", "nlink=%lu size=%lld", (unsigned long)st.st_nlink, (long long)st.st_size);
	DIR *dir = opendir(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(dir)))
		n += e->d_name[0] != '.';
	closedir(dir);
	obs_soft("invisible", "%d", n == 0);
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	errno = 0;
	int rc = linkat(AT_FDCWD, proc, AT_FDCWD, P(d, "named"), AT_SYMLINK_FOLLOW);
	obs_soft("linkat", "%d %s", rc, rc ? ename(errno) : "");
	close(fd);
	errno = 0;
	fd = open(P(d, "named"), O_RDONLY);
	char b[8] = "";
	if (fd >= 0) {
		read(fd, b, sizeof b);
		close(fd);
	}
	obs_soft("named_content", "%.3s", b);
	fd = open(d, O_TMPFILE | O_RDWR | O_EXCL, 0600);
	if (fd >= 0) {
		errno = 0;
		rc = linkat(AT_FDCWD, proc, AT_FDCWD, P(d, "named2"), AT_SYMLINK_FOLLOW);
		obs_soft("excl_linkat", "%d %s", rc, rc ? ename(errno) : "");
		close(fd);
	}
}

/* ---- as uid/gid 65534 --------------------------------------------------- */

static void nobody_ops(const char *d, void *arg)
{
	struct stat st;
	char b[8];
	obs("whoami", "%u:%u", (unsigned)getuid(), (unsigned)getgid());
	umask(022);
	RFD("open_in_private", open(P(d, "private/f"), O_RDONLY));
	R("stat_in_private", stat(P(d, "private/f"), &st));
	DIR *x = opendir(P(d, "private"));
	obs("opendir_private", "%s", x ? "ok" : ename(errno));
	if (x)
		closedir(x);
	R("access_private", access(P(d, "private/f"), R_OK));
	RFD("write_ro_file", open(P(d, "ro"), O_WRONLY));
	RFD("write_root_644", open(P(d, "r644"), O_WRONLY));
	int fd = RFD("read_root_644", open(P(d, "r644"), O_RDONLY));
	if (fd >= 0) {
		R("read", read(fd, b, sizeof b));
		close(fd);
	}
	R("access_w_ro", access(P(d, "ro"), W_OK));
	R("access_r_ro", access(P(d, "ro"), R_OK));
	R("truncate_root", truncate(P(d, "r644"), 0));
	RFD("create_in_root_dir", open(P(d, "mine"), O_CREAT | O_WRONLY, 0644));
	R("mkdir_in_root_dir", mkdir(P(d, "mydir"), 0755));
	R("unlink_in_root_dir", unlink(P(d, "r644")));
	/* our own files in a world-writable directory */
	fd = RFD("create_pub", open(P(d, "pub/mine"), O_CREAT | O_WRONLY, 0644));
	if (fd >= 0) {
		R("write_pub", write(fd, "mine", 4));
		close(fd);
	}
	ostat("pub_mine", P(d, "pub/mine"), 0, NULL);
	R("mkdir_pub", mkdir(P(d, "pub/mydir"), 0755));
	ostat("pub_mydir", P(d, "pub/mydir"), 0, NULL);
	R("symlink_pub", symlink("mine", P(d, "pub/mylink")));
	ostat("pub_mylink", P(d, "pub/mylink"), 0, NULL);
	R("mkfifo_pub", mkfifo(P(d, "pub/myfifo"), 0600));
	ostat("pub_myfifo", P(d, "pub/myfifo"), 0, NULL);
	R("chown_own_to_root", chown(P(d, "pub/mine"), 0, (gid_t)-1));
	R("chgrp_own_to_other", chown(P(d, "pub/mine"), (uid_t)-1, 0));
	R("chown_own_noop", chown(P(d, "pub/mine"), NOBODY, NOBODY));
	R("chmod_own", chmod(P(d, "pub/mine"), 0600));
	ostat("pub_mine_chmod", P(d, "pub/mine"), 0, NULL);
	R("chmod_root_file", chmod(P(d, "r644"), 0777));
	R("chown_root_file", chown(P(d, "r644"), NOBODY, NOBODY));
	/* chmod setgid on a file of a group we are not in is silently dropped:
	 * make our file's group one we are not in first? We cannot; so: a dir */
	R("chmod_own_sgid", chmod(P(d, "pub/mine"), 02755));
	ostat("pub_mine_sgid", P(d, "pub/mine"), 0, NULL);
	/* times on someone else's file */
	struct timespec ts[2] = { { 100, 0 }, { 100, 0 } };
	R("utimens_explicit_root_666", utimensat(AT_FDCWD, P(d, "r666"), ts, 0));
	R("utimens_now_root_666", utimensat(AT_FDCWD, P(d, "r666"), NULL, 0));
	R("utimens_now_root_644", utimensat(AT_FDCWD, P(d, "r644"), NULL, 0));
	R("utimens_explicit_own", utimensat(AT_FDCWD, P(d, "pub/mine"), ts, 0));
	/* writing clears set-user-id and set-group-id */
	fd = RFD("open_suid", open(P(d, "suid"), O_WRONLY));
	if (fd >= 0) {
		R("write_suid", write(fd, "x", 1));
		close(fd);
	}
	ostat("suid_after_write", P(d, "suid"), 0, NULL);
	/* sticky directory: others' files cannot be removed or renamed */
	R("sticky_unlink", unlink(P(d, "sticky/rootfile")));
	R("sticky_rename", rename(P(d, "sticky/rootfile"), P(d, "sticky/x")));
	fd = open(P(d, "sticky/ours"), O_CREAT | O_WRONLY, 0644);
	close(fd);
	R("sticky_unlink_own", unlink(P(d, "sticky/ours")));
	/* setgid directory: new entries take its group */
	fd = RFD("create_sgid_dir", open(P(d, "sgid/f"), O_CREAT | O_WRONLY, 0644));
	if (fd >= 0)
		close(fd);
	ostat("sgid_f", P(d, "sgid/f"), 0, NULL);
	R("mkdir_sgid_dir", mkdir(P(d, "sgid/sub"), 0755));
	ostat("sgid_sub", P(d, "sgid/sub"), 0, NULL);
	/* xattrs: user.* need write permission; trusted.* need CAP_SYS_ADMIN */
	R("setxattr_root_file", setxattr(P(d, "r644"), "user.x", "1", 1, 0));
	R("getxattr_root_file", getxattr(P(d, "r644"), "user.r", NULL, 0));
	R("setxattr_own", setxattr(P(d, "pub/mine"), "user.x", "1", 1, 0));
	R("trusted_own", setxattr(P(d, "pub/mine"), "trusted.x", "1", 1, 0));
	R("mknod_chr", mknod(P(d, "pub/chr"), S_IFCHR | 0600, makedev(1, 3)));
	R("link_root_file", link(P(d, "r644"), P(d, "pub/hl")));
	R("rmdir_root_sub_of_pub", rmdir(P(d, "pub/rootsub")));
	R("rename_own_into_root_dir", rename(P(d, "pub/mine"), P(d, "stolen")));
}

static void c_nonroot(const char *d)
{
	R("mkdir_private", mkdir(P(d, "private"), 0700));
	put(P(d, "private/f"), "secret");
	put(P(d, "ro"), "readonly");
	chmod(P(d, "ro"), 0444);
	put(P(d, "r644"), "root644");
	chmod(P(d, "r644"), 0644);
	setxattr(P(d, "r644"), "user.r", "r", 1, 0);
	put(P(d, "r666"), "root666");
	chmod(P(d, "r666"), 0666);
	put(P(d, "suid"), "suid");
	chmod(P(d, "suid"), 06777);
	ostat("suid_before", P(d, "suid"), 0, NULL);
	mkdir(P(d, "pub"), 0777);
	chmod(P(d, "pub"), 0777);
	mkdir(P(d, "pub/rootsub"), 0755);
	mkdir(P(d, "sticky"), 0777);
	chmod(P(d, "sticky"), 01777);
	put(P(d, "sticky/rootfile"), "r");
	chmod(P(d, "sticky/rootfile"), 0666);
	mkdir(P(d, "sgid"), 0777);
	chown(P(d, "sgid"), 0, 1234);
	chmod(P(d, "sgid"), 02777);
	ostat("sgid_dir", P(d, "sgid"), 0, NULL);
	int st = as_user(NOBODY, NOBODY, nobody_ops, d, NULL);
	obs("child_status", "%d", st);
	olist("list_after", d);
	olist("pub_after", P(d, "pub"));
}

/* ---- file handles ---------------------------------------------------------- */

#define FH_MAX 128
struct fh_buf {
	struct file_handle h;
	unsigned char space[FH_MAX];
};

static long get_fh(const char *what, const char *path, struct fh_buf *f)
{
	int mnt;
	memset(f, 0, sizeof *f);
	f->h.handle_bytes = FH_MAX;
	return R(what, name_to_handle_at(AT_FDCWD, path, &f->h, &mnt, 0));
}

static int same_fh(const struct fh_buf *a, const struct fh_buf *b)
{
	return a->h.handle_type == b->h.handle_type &&
	       a->h.handle_bytes == b->h.handle_bytes &&
	       memcmp(a->h.f_handle, b->h.f_handle, a->h.handle_bytes) == 0;
}

/* Where a descriptor's file is now, relative to the case directory.
 * soft: a non-directory decoded from a handle may come back as a
 * disconnected alias (its name unknown: "/"), where a filesystem that
 * keeps every dentry (tmpfs) still has it connected. */
static void ofd_path(const char *what, const char *d, int fd, int soft)
{
	char l[64], buf[PATH_MAX];
	size_t dl = strlen(d);
	snprintf(l, sizeof l, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(l, buf, sizeof buf - 1);
	if (n < 0) {
		obs(what, "-1 %s", ename(errno));
		return;
	}
	buf[n] = '\0';
	if (strncmp(buf, d, dl) == 0 && (buf[dl] == '/' || !buf[dl]))
		(soft ? obs_soft : obs)(what, ".%s", buf + dl);
	else
		(soft ? obs_soft : obs)(what, "elsewhere: %s", buf);
}

/*
 * A memory cgroup (v1) of our own for the handles case: reclaiming it
 * (memory.force_empty) makes the kernel drop the dentries and inodes
 * charged to it -- those this process looked up since it joined, and
 * nothing of anyone else's -- and FUSE then sends FORGET for them. The
 * machine-wide drop_caches would reach every other mount too.
 */
static char cg_dir[1024], cg_home[512];

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ok;
	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

static void cg_enter(void)
{
	char line[PATH_MAX], pid[32], *p;
	FILE *f = fopen("/proc/self/cgroup", "r");
	cg_dir[0] = '\0';
	while (f && fgets(line, sizeof line, f)) {
		if (!(p = strstr(line, ":memory:")))
			continue;
		p += 8;
		p[strcspn(p, "\n")] = '\0';
		if (strlen(p) > 400)
			continue;
		snprintf(cg_home, sizeof cg_home, "/sys/fs/cgroup/memory%s", strcmp(p, "/") ? p : "");
		snprintf(cg_dir, sizeof cg_dir, "%s/fbx-handles-%d", cg_home, (int)getpid());
	}
	if (f)
		fclose(f);
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	if (cg_dir[0] && (mkdir(cg_dir, 0755) != 0 ||
	                  write_str(P(cg_dir, "cgroup.procs"), pid) != 0)) {
		rmdir(cg_dir);
		cg_dir[0] = '\0';
	}
}

static void cg_leave(void)
{
	char pid[32];
	if (!cg_dir[0])
		return;
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	write_str(P(cg_home, "cgroup.procs"), pid);
	rmdir(cg_dir);
	cg_dir[0] = '\0';
}

static void forget_nodes(void)
{
	if (cg_dir[0])
		write_str(P(cg_dir, "memory.force_empty"), "0");
}

/* Open by handle; on success record what the descriptor reads and where
 * it is, then close it. */
static void open_fh(const char *what, const char *d, int mfd, struct fh_buf *f, int flags,
                    const char *name_in_dir)
{
	char w[64], b[32] = "";
	struct stat st;
	forget_nodes();
	errno = 0;
	int fd = open_by_handle_at(mfd, &f->h, flags);
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_nlink == 0) {
		/* FUSE pins an inode until the RELEASE of its last close is
		 * answered (sent asynchronously): a handle decoded in that
		 * window still finds the unlinked inode in the kernel's cache,
		 * without asking the filesystem. Not another file, so allowed. */
		obs_soft(what, "fd of the unlinked inode");
		close(fd);
		return;
	}
	if (fd < 0) {
		obs(what, "-1 %s", ename(errno));
		return;
	}
	obs(what, "fd");
	snprintf(w, sizeof w, "%s_path", what);
	ofd_path(w, d, fd, !(flags & O_DIRECTORY));
	snprintf(w, sizeof w, "%s_data", what);
	if (name_in_dir) {
		int x = openat(fd, name_in_dir, O_RDONLY);
		if (x >= 0 && read(x, b, sizeof b - 1) >= 0)
			obs(w, "%s", b);
		else
			obs(w, "-1 %s", ename(errno));
		if (x >= 0)
			close(x);
	} else if (!(flags & O_DIRECTORY)) {
		if (pread(fd, b, sizeof b - 1, 0) >= 0)
			obs(w, "%s", b);
		else
			obs(w, "-1 %s", ename(errno));
	}
	close(fd);
}

/* name_to_handle_at/open_by_handle_at. Between the calls nothing of the
 * case is held open and the kernel is made to forget what it looked up
 * (cg_enter), so the filesystem must find the node again by id (LOOKUP
 * of "." and ".."); without a memory cgroup v1 the kernel's cache
 * answers (noted as "handles.forgetting"). */
static void c_handles(const char *d)
{
	char root[PATH_MAX];
	struct fh_buf f, g, h;
	struct stat a, b;
	snprintf(root, sizeof root, "%s", d);
	*strrchr(root, '/') = '\0';
	int mfd = open(root, O_RDONLY | O_DIRECTORY);

	cg_enter();
	obs_soft("forgetting", "%s", cg_dir[0] ? "memcg" : "none");
	put(P(d, "f"), "file-f");
	get_fh("fh_file", P(d, "f"), &f);
	open_fh("open_file", d, mfd, &f, O_RDONLY, NULL);
	get_fh("fh_file_again", P(d, "f"), &g);
	obs("fh_stable", "%d", same_fh(&f, &g));
	mkdir(P(d, "other"), 0755);
	R("rename", rename(P(d, "f"), P(d, "other/f2")));
	open_fh("open_renamed", d, mfd, &f, O_RDONLY, NULL);

	/* hard links: one handle, valid while a name is left */
	put(P(d, "l1"), "link-data");
	R("link", link(P(d, "l1"), P(d, "l2")));
	get_fh("fh_l1", P(d, "l1"), &f);
	get_fh("fh_l2", P(d, "l2"), &g);
	obs("links_same_handle", "%d", same_fh(&f, &g));
	R("unlink_l1", unlink(P(d, "l1")));
	open_fh("open_link_one_left", d, mfd, &f, O_RDONLY, NULL);
	R("unlink_l2", unlink(P(d, "l2")));
	open_fh("open_link_none_left", d, mfd, &f, O_RDONLY, NULL);

	put(P(d, "u"), "unlinked");
	get_fh("fh_unlinked", P(d, "u"), &f);
	R("unlink_u", unlink(P(d, "u")));
	open_fh("open_unlinked", d, mfd, &f, O_RDONLY, NULL);

	/* unlinked, then new files that may take its inode number, its node
	 * id (passthrough: the node's address) and its source inode */
	put(P(d, "r"), "reused");
	get_fh("fh_reused", P(d, "r"), &f);
	lstat(P(d, "r"), &a);
	R("unlink_r", unlink(P(d, "r")));
	int reused = 0;
	for (int i = 0; i < 32; i++) {
		char n[16];
		snprintf(n, sizeof n, "n%d", i);
		put(P(d, n), "new");
		if (lstat(P(d, n), &b) == 0 && b.st_ino == a.st_ino)
			reused = 1;
	}
	obs_soft("ino_reused", "%d", reused);
	open_fh("open_reused", d, mfd, &f, O_RDONLY, NULL);
	for (int i = 0; i < 32; i++) {
		char n[16];
		snprintf(n, sizeof n, "n%d", i);
		unlink(P(d, n));
	}

	/* a directory three levels down: reconnected through ".." */
	mkdir(P(d, "a"), 0755);
	mkdir(P(d, "a/b"), 0755);
	mkdir(P(d, "a/b/c"), 0755);
	put(P(d, "a/b/c/x"), "in-c");
	get_fh("fh_dir", P(d, "a/b/c"), &f);
	open_fh("open_dir", d, mfd, &f, O_RDONLY | O_DIRECTORY, "x");
	get_fh("fh_dotdot", P(d, "a/b/c/.."), &g);
	get_fh("fh_parent", P(d, "a/b"), &h);
	obs("dotdot_is_parent", "%d", same_fh(&g, &h));
	open_fh("open_dotdot", d, mfd, &g, O_RDONLY | O_DIRECTORY, "c/x");
	R("rename_dir", rename(P(d, "a/b"), P(d, "other/b2")));
	open_fh("open_dir_moved", d, mfd, &f, O_RDONLY | O_DIRECTORY, "x");
	unlink(P(d, "other/b2/c/x"));
	R("rmdir_c", rmdir(P(d, "other/b2/c")));
	open_fh("open_dir_removed", d, mfd, &f, O_RDONLY | O_DIRECTORY, NULL);
	cg_leave();
	if (mfd >= 0)
		close(mfd);
}

/* ---- driver --------------------------------------------------------------- */

struct tcase {
	const char *name;
	void (*fn)(const char *dir);
};

static const struct tcase cases[] = {
	{ "open", c_open },
	{ "rw", c_rw },
	{ "large", c_large },
	{ "truncate", c_truncate },
	{ "dirs", c_dirs },
	{ "rename", c_rename },
	{ "link", c_link },
	{ "symlink", c_symlink },
	{ "mknod", c_mknod },
	{ "chmod", c_chmod },
	{ "utimens", c_utimens },
	{ "statfs", c_statfs },
	{ "xattr", c_xattr },
	{ "access", c_access },
	{ "readdir_big", c_readdir_big },
	{ "readdir_mutate", c_readdir_mutate },
	{ "seekdir", c_seekdir },
	{ "unlinked_open", c_unlinked_open },
	{ "sync", c_sync },
	{ "fallocate", c_fallocate },
	{ "lseek", c_lseek },
	{ "copy_range", c_copy_range },
	{ "statx", c_statx },
	{ "locks", c_locks },
	{ "names", c_names },
	{ "tmpfile", c_tmpfile },
	{ "nonroot", c_nonroot },
	{ "handles", c_handles },
};
#define NCASES (sizeof cases / sizeof cases[0])

static int selected(const char *name, int argc, char **argv)
{
	if (argc <= 2)
		return 1;
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

/* The daemon under test (NULL for native): a case after which it is gone
 * ends the run, so one crash gives one clear failure, not hundreds. */
static struct fbx_mnt *g_mnt;

static int daemon_died(void)
{
	int st;
	if (!g_mnt || !g_mnt->pid || g_mnt->reaped)
		return 0;
	if (waitpid(g_mnt->pid, &st, WNOHANG) == g_mnt->pid) {
		g_mnt->reaped = 1;
		g_mnt->status = st;
		return 1;
	}
	return 0;
}

/* Returns the index of the case during which the daemon died, or -1. */
static int run_all(struct rec *r, const char *root, int argc, char **argv)
{
	cur = r;
	umask(022);
	for (size_t i = 0; i < NCASES; i++) {
		if (!selected(cases[i].name, argc, argv))
			continue;
		char dir[PATH_MAX];
		snprintf(dir, sizeof dir, "%s/%s", root, cases[i].name);
		cur_case = cases[i].name;
		if (mkdir(dir, 0755) != 0) {
			obs("mkdir_case_dir", "-1 %s", ename(errno));
			continue;
		}
		chmod(dir, 0755);
		cases[i].fn(dir);
		if (daemon_died()) {
			cur_case = "";
			return (int)i;
		}
	}
	cur_case = "";
	return -1;
}

static struct ob *find(struct rec *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].name, name))
			return &r->v[i];
	return NULL;
}

/* Print per case; returns the number of failures. */
static int compare(struct rec *a, struct rec *b, const char *aname, const char *bname,
                   size_t ncases)
{
	int fails = 0, verbose = getenv("FBX_FSOPS_VERBOSE") != NULL;
	for (size_t c = 0; c < ncases; c++) {
		size_t plen = strlen(cases[c].name);
		int n = 0, cf = 0, seen = 0;
		for (size_t i = 0; i < a->n; i++) {
			struct ob *x = &a->v[i];
			if (strncmp(x->name, cases[c].name, plen) || x->name[plen] != '.')
				continue;
			seen = 1;
			n++;
			struct ob *y = find(b, x->name);
			if (verbose)
				printf("   %s = %s | %s\n", x->name, x->val, y ? y->val : "(missing)");
			if (y && !strcmp(x->val, y->val))
				continue;
			if (x->soft || (y && y->soft)) {
				printf("note %s: %s=%s, %s=%s (allowed difference)\n", x->name, aname,
				       x->val, bname, y ? y->val : "(missing)");
				continue;
			}
			printf("FAIL %s: %s=%s, %s=%s\n", x->name, aname, x->val, bname,
			       y ? y->val : "(missing)");
			cf++;
		}
		for (size_t i = 0; i < b->n; i++) {
			struct ob *y = &b->v[i];
			if (strncmp(y->name, cases[c].name, plen) || y->name[plen] != '.')
				continue;
			seen = 1;
			if (!find(a, y->name)) {
				printf("%s %s: %s=(missing), %s=%s\n", y->soft ? "note" : "FAIL",
				       y->name, aname, bname, y->val);
				cf += !y->soft;
			}
		}
		if (!seen)
			continue;
		if (cf)
			printf("FAIL %s (%d of %d checks differ)\n", cases[c].name, cf, n);
		else
			printf("ok   %s (%d checks)\n", cases[c].name, n);
		fails += cf;
	}
	fflush(stdout);
	return fails;
}

/* Cleanup from SIGALRM: a hung mount must not outlive the test. */
static void on_alarm(int sig)
{
	static const char msg[] = "fsops_compare: timed out; unmounting\n";
	write(2, msg, sizeof msg - 1);
	if (g_mnt) {
		umount2(g_mnt->mnt, MNT_DETACH);
		if (g_mnt->pid)
			kill(g_mnt->pid, SIGKILL);
	}
	_exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "native") && strcmp(argv[1], "memfs") &&
	                 strcmp(argv[1], "passthrough"))) {
		fprintf(stderr, "usage: %s native|memfs|passthrough [CASE...]\n", argv[0]);
		return 2;
	}
	const char *mode = argv[1];
	g_wb = strcmp(mode, "native") && wb_expected(mode, getenv("FBX_FSOPS_OPTS"));
	g_wb_reads_below = g_wb && !strcmp(mode, "passthrough");
	if (geteuid() != 0)
		check_skip("fsops_compare needs root (tmpfs, chown, setuid)");
	setvbuf(stdout, NULL, _IOLBF, 0);

	struct fbx_mnt m;
	if (fbx_mnt_prepare(&m) != 0)
		return 1;
	signal(SIGALRM, on_alarm);
	alarm(240);

	char native[160], ref[192], other[192], src[192];
	snprintf(native, sizeof native, "%s/native", m.tmp);
	mkdir(native, 0755);
	if (mount("fbx-test-ref", native, "tmpfs", 0, "mode=0755,size=512m") != 0) {
		fprintf(stderr, "cannot mount tmpfs on %s: %s\n", native, strerror(errno));
		fbx_mnt_cleanup(&m);
		return 1;
	}
	snprintf(ref, sizeof ref, "%s/ref", native);
	mkdir(ref, 0755);
	chmod(ref, 0755);

	int rc = 0;
	if (!strcmp(mode, "native")) {
		snprintf(other, sizeof other, "%s/other", native);
		mkdir(other, 0755);
		chmod(other, 0755);
	} else {
		char *prog = fbx_build_path(!strcmp(mode, "memfs") ? "examples/memfs"
		                                                   : "examples/passthrough");
		if (access(prog, X_OK) != 0) {
			fbx_mnt_cleanup(&m);
			check_skip("%s not built", prog);
		}
		snprintf(src, sizeof src, "%s/src", native);
		mkdir(src, 0755);
		chmod(src, 0755);
		/* FBX_FSOPS_OPTS="entry_timeout=0" adds mount options */
		char mopts[256];
		snprintf(mopts, sizeof mopts, "allow_other,default_permissions%s%s",
		         getenv("FBX_FSOPS_OPTS") ? "," : "",
		         getenv("FBX_FSOPS_OPTS") ? getenv("FBX_FSOPS_OPTS") : "");
		char *av_memfs[] = { prog, "-f", "-o", mopts, "@MNT@", NULL };
		char *av_pt[] = { prog, "-f", "-o", mopts, src, "@MNT@", NULL };
		/* FBX_FSOPS_WRAP="valgrind -q" runs the daemon under a tool */
		char *av[24], **base = !strcmp(mode, "memfs") ? av_memfs : av_pt;
		int k = 0;
		char *wrap = getenv("FBX_FSOPS_WRAP") ? strdup(getenv("FBX_FSOPS_WRAP")) : NULL;
		for (char *t = wrap ? strtok(wrap, " ") : NULL; t && k < 16; t = strtok(NULL, " "))
			av[k++] = t;
		for (int j = 0; base[j]; j++)
			av[k++] = base[j];
		av[k] = NULL;
		if (fbx_mnt_start(&m, av, wrap ? 60000 : 10000) != 0) {
			fbx_mnt_cleanup(&m);
			printf("FAIL mount %s\n", mode);
			return 1;
		}
		snprintf(other, sizeof other, "%s", m.mnt);
		free(prog);
		g_mnt = &m;
	}
	printf("reference: %s (tmpfs); under test: %s (%s)\n", ref, other, mode);

	struct rec a = { 0 }, b = { 0 };
	run_all(&a, ref, argc, argv);
	int died = run_all(&b, other, argc, argv);
	int fails = compare(&a, &b, "native", !strcmp(mode, "native") ? "native2" : "fuse",
	                    died < 0 ? NCASES : (size_t)died + 1);
	if (died >= 0) {
		printf("FAIL the daemon died during case `%s' (wait status 0x%x); "
		       "later cases not run\n", cases[died].name, g_mnt->status);
		fails++;
	}

	if (strcmp(mode, "native") && died < 0) {
		int st = fbx_mnt_stop(&m);
		if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			printf("FAIL daemon exit after umount: status 0x%x (want exit 0)\n", st);
			fails++;
		} else {
			printf("ok   daemon exited 0 after umount\n");
		}
	}
	umount2(native, MNT_DETACH);
	fbx_mnt_cleanup(&m);
	for (struct rec *r = &a; r; r = r == &a ? &b : NULL) {
		for (size_t i = 0; i < r->n; i++) {
			free(r->v[i].name);
			free(r->v[i].val);
		}
		free(r->v);
	}
	alarm(0);
	if (fails) {
		printf("%d checks failed\n", fails);
		rc = 1;
	} else {
		printf("all checks passed\n");
	}
	return rc;
}
