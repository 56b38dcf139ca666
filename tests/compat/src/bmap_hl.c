/*
 * bmap_hl.c -- a libfuse 3 high-level filesystem with a bmap op, for
 * tests/fs/t_blkdev.sh: one file, /f (1 MiB), whose block IDX of the
 * mount's block size BS maps to device block IDX * 1000 + BS / 512 + 7
 * (the 7 tells it from the native program's answer). Built by that
 * script against include/compat/fuse3; not by make.
 *
 *   bmap_hl -f -o blkdev,fsname=/dev/loopN[,blksize=N] MOUNTPOINT
 */
#define FUSE_USE_VERSION 314
#include <fuse.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static int b_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof *st);
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else if (strcmp(path, "/f") == 0) {
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
		st->st_size = 1 << 20;
	} else {
		return -ENOENT;
	}
	return 0;
}

static int b_open(const char *path, struct fuse_file_info *fi)
{
	(void)fi;
	return strcmp(path, "/f") == 0 ? 0 : -EISDIR;
}

static int b_bmap(const char *path, size_t blocksize, uint64_t *idx)
{
	if (strcmp(path, "/f") != 0)
		return -EINVAL;
	*idx = *idx * 1000 + blocksize / 512 + 7;
	return 0;
}

static const struct fuse_operations ops = {
	.getattr = b_getattr,
	.open = b_open,
	.bmap = b_bmap,
};

int main(int argc, char *argv[])
{
	return fuse_main(argc, argv, &ops, NULL);
}
