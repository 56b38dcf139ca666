/*
 * passthrough_fs -- a directory mirrored at a mount point, on the path
 * API (fusebox/fs.h): every callback is one system call on the same path
 * below SOURCEDIR.
 *
 *   passthrough_fs [options] SOURCEDIR MOUNTPOINT
 *
 * The middle step of the ladder between memfs (data of its own) and
 * passthrough.c (the low-level API, node ids, credentials, passthrough
 * I/O): here the library keeps the node table and hands us paths, and we
 * keep nothing but one descriptor of SOURCEDIR. Paths are resolved with
 * the *at() calls relative to it ("/a/b" is "a/b" below SOURCEDIR), so
 * the mirror does not depend on the process's working directory, and the
 * last name is never followed if it is a symlink. The names before it
 * are walked again on every call: if SOURCEDIR is changed behind the
 * mount's back (a directory swapped for a symlink), that walk follows
 * the change, out of SOURCEDIR too. passthrough.c keeps a descriptor per
 * node and cannot be led out that way; this is the price of paths.
 * Open files and directories keep their descriptor in fi->fh, so I/O,
 * fstat, fchmod, fchown and futimens need no path: a file unlinked while
 * open stays usable (the library hides it until the last close, or with
 * -o hard_remove hands us a NULL path), and fstat of a directory renamed
 * away while open still answers (.flag_fgetattr_dir).
 *
 * New files are created by the daemon; as root, they are then given to
 * the caller (fbx_fs_context), as a native file system would (the group
 * of a set-group-ID directory stays; set-ID bits a caller other than
 * root asks for at creation do not survive that chown). Mount with
 * -o allow_other,default_permissions to let the kernel check permissions
 * against SOURCEDIR's modes for every user. For a mirror that acts as
 * the caller for every call, see passthrough.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <fusebox/fs.h>

struct mirror {
	char *source;   /* from the command line */
	int dir;        /* O_PATH descriptor of it */
	int no_use_ino; /* -o no_use_ino: the path layer's numbers */
};

static struct mirror *mirror(void) { return fbx_fs_context()->private_data; }

/* "/" is "." and "/a/b" is "a/b", both relative to the source. */
static const char *rel(const char *path) { return path[1] ? path + 1 : "."; }

static int neg(int r) { return r < 0 ? -errno : r; }

/* Does the directory holding `path` pass its group on (set-group-ID)? */
static int parent_setgid(const char *path)
{
	char parent[PATH_MAX];
	struct stat st;
	snprintf(parent, sizeof parent, "%s", rel(path));
	char *slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	return fstatat(mirror()->dir, slash ? parent : ".", &st, 0) == 0 &&
	       (st.st_mode & S_ISGID);
}

/* As root, the caller owns what it makes (not the daemon). The group is
 * the caller's too, but below a set-group-ID directory, where the file
 * already has the directory's group, as on any native file system. A
 * chown clears a file's set-user/group-ID bits, so none is made when
 * nothing changes (root creating); another caller loses those bits. */
static int give_to_caller(const char *path)
{
	const struct fbx_fs_context *c = fbx_fs_context();
	struct stat st;
	if (geteuid() != 0)
		return 0;
	gid_t gid = parent_setgid(path) ? (gid_t)-1 : c->gid;
	if (fstatat(mirror()->dir, rel(path), &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (st.st_uid == c->uid && (gid == (gid_t)-1 || st.st_gid == gid))
		return 0;
	return neg(fchownat(mirror()->dir, rel(path), c->uid, gid, AT_SYMLINK_NOFOLLOW));
}

/* ---- names ------------------------------------------------------------ */

static int m_getattr(const char *path, struct stat *st)
{
	return neg(fstatat(mirror()->dir, rel(path), st, AT_SYMLINK_NOFOLLOW));
}

static int m_fgetattr(const char *path, struct stat *st, struct fbx_file_info *fi)
{
	return neg(fstat((int)fi->fh, st));
}

static int m_readlink(const char *path, char *buf, size_t size)
{
	ssize_t n = readlinkat(mirror()->dir, rel(path), buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int m_mknod(const char *path, mode_t mode, dev_t rdev)
{
	int err = neg(mknodat(mirror()->dir, rel(path), mode, rdev));
	return err ? err : give_to_caller(path);
}

static int m_mkdir(const char *path, mode_t mode)
{
	int err = neg(mkdirat(mirror()->dir, rel(path), mode));
	return err ? err : give_to_caller(path);
}

static int m_symlink(const char *target, const char *path)
{
	int err = neg(symlinkat(target, mirror()->dir, rel(path)));
	return err ? err : give_to_caller(path);
}

static int m_unlink(const char *path) { return neg(unlinkat(mirror()->dir, rel(path), 0)); }

static int m_rmdir(const char *path)
{
	return neg(unlinkat(mirror()->dir, rel(path), AT_REMOVEDIR));
}

static int m_rename(const char *from, const char *to, unsigned flags)
{
	int d = mirror()->dir;
	return neg(renameat2(d, rel(from), d, rel(to), flags));
}

static int m_link(const char *from, const char *to)
{
	int d = mirror()->dir;
	return neg(linkat(d, rel(from), d, rel(to), 0));
}

/* ---- attributes ------------------------------------------------------- */

static int m_chmod(const char *path, mode_t mode)
{
	return neg(fchmodat(mirror()->dir, rel(path), mode, AT_SYMLINK_NOFOLLOW));
}

static int m_chown(const char *path, uid_t uid, gid_t gid)
{
	return neg(fchownat(mirror()->dir, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW));
}

static int m_truncate(const char *path, off_t size)
{
	int fd = openat(mirror()->dir, rel(path), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int err = neg(ftruncate(fd, size));
	close(fd);
	return err;
}

static int m_ftruncate(const char *path, off_t size, struct fbx_file_info *fi)
{
	return neg(ftruncate((int)fi->fh, size));
}

static int m_utimens(const char *path, const struct timespec tv[2])
{
	return neg(utimensat(mirror()->dir, rel(path), tv, AT_SYMLINK_NOFOLLOW));
}

/* The same on an open file or directory: its name may be gone (NULL). */
static int m_fchmod(const char *path, mode_t mode, struct fbx_file_info *fi)
{
	return neg(fchmod((int)fi->fh, mode));
}

static int m_fchown(const char *path, uid_t uid, gid_t gid, struct fbx_file_info *fi)
{
	return neg(fchown((int)fi->fh, uid, gid));
}

static int m_futimens(const char *path, const struct timespec tv[2], struct fbx_file_info *fi)
{
	return neg(futimens((int)fi->fh, tv));
}

/* SOURCEDIR's file system (one mounted below it reports as SOURCEDIR's). */
static int m_statfs(const char *path, struct statvfs *st)
{
	return neg(fstatvfs(mirror()->dir, st));
}

/* ---- files -------------------------------------------------------------- */

static int m_open(const char *path, struct fbx_file_info *fi)
{
	int fd = openat(mirror()->dir, rel(path), (fi->flags & ~O_CREAT) | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}

static int m_create(const char *path, mode_t mode, struct fbx_file_info *fi)
{
	int fd = openat(mirror()->dir, rel(path), fi->flags | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	int err = give_to_caller(path);
	if (err) {   /* no half-made file: the kernel will not release it */
		close(fd);
		unlinkat(mirror()->dir, rel(path), 0);
		return err;
	}
	fi->fh = (uint64_t)fd;
	return 0;
}

static int m_read(const char *path, char *buf, size_t size, off_t off, struct fbx_file_info *fi)
{
	ssize_t n = pread((int)fi->fh, buf, size, off);
	return n < 0 ? -errno : (int)n;
}

static int m_write(const char *path, const char *buf, size_t size, off_t off,
                   struct fbx_file_info *fi)
{
	ssize_t n = pwrite((int)fi->fh, buf, size, off);
	return n < 0 ? -errno : (int)n;
}

static int m_fsync(const char *path, int datasync, struct fbx_file_info *fi)
{
	return neg(datasync ? fdatasync((int)fi->fh) : fsync((int)fi->fh));
}

static int m_release(const char *path, struct fbx_file_info *fi)
{
	close((int)fi->fh);
	return 0;
}

/* ---- directories ---------------------------------------------------------- */

/* A directory's handle is a descriptor, as a file's: fgetattr, fchmod
 * and the rest serve both. */
static int m_opendir(const char *path, struct fbx_file_info *fi)
{
	int fd = openat(mirror()->dir, rel(path), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}

/* Offsets 0: the library snapshots the listing (once per open, mostly)
 * and pages it itself. The stream reads a duplicate of the handle. */
static int m_readdir(const char *path, void *buf, fbx_fill_dir_t filler, off_t off,
                     struct fbx_file_info *fi)
{
	int fd = dup((int)fi->fh);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;
	if (!d) {
		int err = -errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	rewinddir(d);
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		struct stat st = { .st_ino = e->d_ino, .st_mode = (mode_t)DTTOIF(e->d_type) };
		if (filler(buf, e->d_name, &st, 0))
			break;
	}
	int err = errno ? -errno : 0;
	closedir(d);
	return err;
}

/* ---- numbers ------------------------------------------------------------ */

/* SOURCEDIR's inode numbers are stable, so the mirror shows them (-o
 * use_ino, as libfuse's passthrough sets in its init): st_ino and the
 * d_ino of listings agree, as ls -i, find -inum and xfstests expect,
 * and a file replaced behind the mount's back is seen as a new one.
 * -o no_use_ino leaves the numbering to the path layer. */
static void *m_init(struct fbx_conn *conn)
{
	if (!mirror()->no_use_ino)
		fbx_fs_options(fbx_fs_context()->fs)->use_ino = 1;
	return fbx_fs_context()->private_data;   /* stays the struct mirror */
}

static const struct fbx_fs_ops mirror_ops = {
	.getattr = m_getattr, .fgetattr = m_fgetattr, .readlink = m_readlink,
	.mknod = m_mknod, .mkdir = m_mkdir, .symlink = m_symlink,
	.unlink = m_unlink, .rmdir = m_rmdir, .rename = m_rename, .link = m_link,
	.chmod = m_chmod, .chown = m_chown, .truncate = m_truncate,
	.ftruncate = m_ftruncate, .utimens = m_utimens, .statfs = m_statfs,
	.open = m_open, .create = m_create, .read = m_read, .write = m_write,
	.fsync = m_fsync, .release = m_release,
	.opendir = m_opendir, .readdir = m_readdir, .releasedir = m_release,
	.fchmod = m_fchmod, .fchown = m_fchown, .futimens = m_futimens,
	.init = m_init,
	/* every op on an open file or directory works from its descriptor */
	.flag_nullpath_ok = 1,
	.flag_fgetattr_dir = 1,
};

/* ---- the program ---------------------------------------------------------- */

/* The first argument that is not an option is SOURCEDIR; -o no_use_ino
 * is ours. */
static int m_opt(void *data, const char *key, const char *value, int is_arg)
{
	struct mirror *m = data;
	if (!is_arg && !value && strcmp(key, "no_use_ino") == 0) {
		m->no_use_ino = 1;
		return 1;
	}
	if (!is_arg || m->source)
		return 0;
	m->source = strdup(key);
	return m->source ? 1 : -ENOMEM;
}

static int m_setup(void *data, const struct fbx_options *o)
{
	struct mirror *m = data;
	if (!m->source) {
		fprintf(stderr, "passthrough_fs: no SOURCEDIR given (see --help)\n");
		return -EINVAL;
	}
	m->dir = open(m->source, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (m->dir < 0) {
		fprintf(stderr, "passthrough_fs: %s: %s\n", m->source, strerror(errno));
		return -errno;
	}
	umask(0);   /* the kernel applied the caller's umask to every mode already */
	return 0;
}

static void m_cleanup(void *data)
{
	struct mirror *m = data;
	if (m->dir >= 0)
		close(m->dir);
	free(m->source);
}

static const struct fbx_app mirror_app = {
	.usage = "[options] SOURCEDIR MOUNTPOINT",
	.help = "Mirror SOURCEDIR at MOUNTPOINT, one system call per callback.\n"
	        "    -o no_use_ino          number files as the path layer does, not\n"
	        "                           with SOURCEDIR's inode numbers\n",
	.opt = m_opt, .setup = m_setup, .cleanup = m_cleanup,
};

int main(int argc, char *argv[])
{
	struct mirror m = { .dir = -1 };
	return fbx_main_app(argc, argv, &mirror_ops, sizeof mirror_ops, &m, &mirror_app);
}
