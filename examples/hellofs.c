/*
 * hellofs -- a filesystem with one file, /foo, holding "Hello world\n".
 *
 *   hellofs MOUNTPOINT -d
 *
 * Every attribute is fixed (owner root, all times 0, mode 0777), so the
 * listing is the same on every machine. Each callback announces itself
 * on stderr ("+++ getattr: /foo"), which, run with -d, shows how the
 * kernel's requests turn into path calls.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <fusebox/fs.h>

static const char hello_text[] = "Hello world\n";
#define HELLO_SIZE (sizeof hello_text - 1)

/* The attributes of /foo; the root shares them but for ino and mode. */
static void file_stat(struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = 1;
	st->st_mode = S_IFREG | 0777;
	st->st_nlink = 1;
	st->st_size = HELLO_SIZE;
	st->st_blocks = 1;
	st->st_blksize = 4096;
}

static void dir_stat(struct stat *st)
{
	file_stat(st);
	st->st_ino = 2;
	st->st_mode = S_IFDIR | 0777;
}

static int hellofs_getattr(const char *path, struct stat *st)
{
	fprintf(stderr, "+++ getattr: %s\n", path);
	if (strcmp(path, "/") == 0)
		dir_stat(st);
	else if (strcmp(path, "/foo") == 0)
		file_stat(st);
	else
		return -ENOENT;
	return 0;
}

static int hellofs_open(const char *path, struct fbx_file_info *fi)
{
	fprintf(stderr, "+++ open: %s\n", path);
	return strcmp(path, "/foo") == 0 ? 0 : -ENOENT;
}

static int hellofs_read(const char *path, char *buf, size_t size, off_t off,
                        struct fbx_file_info *fi)
{
	fprintf(stderr, "+++ read: %s\n", path);
	if (strcmp(path, "/foo") != 0)
		return -ENOENT;
	/* Only what lies between off and the end of the text: a read past
	 * the end returns 0, which the kernel takes as end of file. */
	if (off < 0 || (size_t)off >= HELLO_SIZE)
		return 0;
	if (size > HELLO_SIZE - (size_t)off)
		size = HELLO_SIZE - (size_t)off;
	memcpy(buf, hello_text + off, size);
	return (int)size;
}

static int hellofs_opendir(const char *path, struct fbx_file_info *fi)
{
	fprintf(stderr, "+++ opendir: %s\n", path);
	return strcmp(path, "/") == 0 ? 0 : -ENOTDIR;
}

static int hellofs_readdir(const char *path, void *buf, fbx_fill_dir_t filler,
                           off_t off, struct fbx_file_info *fi)
{
	struct stat st;

	fprintf(stderr, "+++ readdir: %s\n", path);
	if (strcmp(path, "/") != 0)
		return -ENOTDIR;
	dir_stat(&st);
	filler(buf, ".", &st, 0);
	filler(buf, "..", NULL, 0);
	file_stat(&st);
	filler(buf, "foo", &st, 0);
	return 0;
}

static const struct fbx_fs_ops hellofs_ops = {
	.getattr = hellofs_getattr,
	.open    = hellofs_open,
	.read    = hellofs_read,
	.opendir = hellofs_opendir,
	.readdir = hellofs_readdir,
};

int main(int argc, char *argv[])
{
	return fbx_main(argc, argv, &hellofs_ops, sizeof hellofs_ops, NULL);
}
