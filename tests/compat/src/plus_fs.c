/*
 * plus_fs.c -- a libfuse 3 high-level filesystem with 200 files f0..f199
 * that counts its getattr calls on them; "count" reads that number.
 * With --plus its readdir fills entries with FUSE_FILL_DIR_PLUS, else
 * without. libfuse 3.14 makes no getattr for either in a readdirplus
 * listing filled at offset 0; t_fuse3_readdirplus.sh checks ours does
 * the same.
 * Built by that test against Debian's libfuse and ours; not by make.
 */
#define FUSE_USE_VERSION 314
#include <fuse.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NFILES 200
static atomic_int getattrs;
static int plus;

static int pf_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	st->st_mode = S_IFREG | 0444;
	st->st_nlink = 1;
	if (strcmp(path, "/count") == 0) {
		st->st_size = 32;
		return 0;
	}
	int n;
	if (sscanf(path, "/f%d", &n) != 1 || n < 0 || n >= NFILES)
		return -ENOENT;
	atomic_fetch_add(&getattrs, 1);
	return 0;
}

static int pf_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
                      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)path; (void)off; (void)fi; (void)flags;
	struct stat st;
	char name[16];
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | 0444;
	st.st_nlink = 1;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	fill(buf, "count", &st, 0, plus ? FUSE_FILL_DIR_PLUS : 0);
	for (int i = 0; i < NFILES; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		if (fill(buf, name, &st, 0, plus ? FUSE_FILL_DIR_PLUS : 0))
			break;
	}
	return 0;
}

static int pf_read(const char *path, char *buf, size_t size, off_t off,
                   struct fuse_file_info *fi)
{
	(void)fi;
	char s[32];
	if (strcmp(path, "/count") != 0)
		return -EIO;
	int len = snprintf(s, sizeof(s), "%d\n", atomic_load(&getattrs));
	if (off >= len)
		return 0;
	if ((size_t)(len - off) < size)
		size = (size_t)(len - off);
	memcpy(buf, s + off, size);
	return (int)size;
}

static int pf_open(const char *path, struct fuse_file_info *fi)
{
	fi->direct_io = 1; /* every read asks us */
	return strcmp(path, "/count") == 0 ? 0 : -EACCES;
}

static const struct fuse_operations ops = {
	.getattr = pf_getattr, .readdir = pf_readdir, .read = pf_read, .open = pf_open,
};

int main(int argc, char *argv[])
{
	if (argc > 1 && strcmp(argv[1], "--plus") == 0) {
		plus = 1;
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	return fuse_main(argc, argv, &ops, NULL);
}
