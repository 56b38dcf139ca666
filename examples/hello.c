/*
 * hello -- the smallest useful fusebox filesystem: one read-only file.
 *
 *   hello [options] MOUNTPOINT      (options: hello -h)
 *   cat MOUNTPOINT/hello            -> Hello, world!
 *   fusermount3 -u MOUNTPOINT       (or umount as root)
 *
 * A path filesystem is a struct of callbacks (fusebox/fs.h) that each
 * get a path such as "/hello" and answer with 0, a byte count, or a
 * negated errno. Whatever we leave out, the library answers sensibly.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fusebox/fs.h>

static const char hello_text[] = "Hello, world!\n";

/* Who mounted us: the files belong to that user. main() hands it to
 * fbx_main as userdata; callbacks find it in their context. */
struct hello_owner {
	uid_t uid;
	gid_t gid;
};

static int hello_getattr(const char *path, struct stat *st)
{
	const struct hello_owner *owner = fbx_fs_context()->private_data;
	time_t now = time(NULL);

	memset(st, 0, sizeof *st);
	st->st_uid = owner->uid;
	st->st_gid = owner->gid;
	/* The files are made up on the spot, so they are always "new". */
	st->st_atime = st->st_mtime = st->st_ctime = now;
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		st->st_size = 123;  /* any size will do for a directory */
	} else if (strcmp(path, "/hello") == 0) {
		st->st_mode = S_IFREG | 0440;
		st->st_nlink = 1;
		st->st_size = sizeof hello_text - 1;
	} else {
		return -ENOENT;
	}
	return 0;
}

static int hello_readdir(const char *path, void *buf, fbx_fill_dir_t filler,
                         off_t off, struct fbx_file_info *fi)
{
	if (strcmp(path, "/") != 0)
		return -ENOENT;
	/* Offset 0 for every entry: the library pages the listing for us. */
	filler(buf, ".", NULL, 0);
	filler(buf, "..", NULL, 0);
	filler(buf, "hello", NULL, 0);
	return 0;
}

static int hello_open(const char *path, struct fbx_file_info *fi)
{
	if (strcmp(path, "/hello") != 0)
		return -ENOENT;
	/* The mode bits say 0440, but only with -o default_permissions does
	 * the kernel check them: refuse writing here ourselves. */
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	return 0;
}

static int hello_read(const char *path, char *buf, size_t size, off_t off,
                      struct fbx_file_info *fi)
{
	size_t len = sizeof hello_text - 1;

	if (strcmp(path, "/hello") != 0)
		return -ENOENT;
	if (off < 0 || (size_t)off >= len)
		return 0;                       /* 0 bytes = end of file */
	if (size > len - (size_t)off)
		size = len - (size_t)off;
	memcpy(buf, hello_text + off, size);
	return (int)size;
}

static const struct fbx_fs_ops hello_ops = {
	.getattr = hello_getattr,
	.readdir = hello_readdir,
	.open    = hello_open,
	.read    = hello_read,
};

int main(int argc, char *argv[])
{
	struct hello_owner owner = { getuid(), getgid() };

	/* Parses the options, mounts, serves until unmounted. */
	return fbx_main(argc, argv, &hello_ops, sizeof hello_ops, &owner);
}
