/*
 * bmapfs -- a low-level filesystem for tests/fs/t_blkdev.sh: one file,
 * /f (1 MiB of nothing), whose bmap op maps block IDX of the mount's
 * block size BS to device block IDX * 1000 + BS / 512, so a FIBMAP
 * result shows both that the op ran and which block size it got.
 *
 *   bmapfs -f -o blkdev,fsname=/dev/loopN[,blksize=N] MOUNTPOINT
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <fusebox/lowlevel.h>

#define FILE_ID 2

static int fill_stat(uint64_t ino, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = ino;
	if (ino == FBX_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else if (ino == FILE_ID) {
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
		st->st_size = 1 << 20;
	} else {
		return 0;
	}
	return 1;
}

static void b_lookup(struct fbx_req *req, uint64_t parent, const char *name)
{
	struct fbx_entry e = { .ino = FILE_ID, .attr_timeout = 1.0, .entry_timeout = 1.0 };
	if (parent != FBX_ROOT_ID || strcmp(name, "f") != 0) {
		fbx_reply_err(req, -ENOENT);
		return;
	}
	fill_stat(FILE_ID, &e.attr);
	fbx_reply_entry(req, &e);
}

static void b_getattr(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct stat st;
	if (fill_stat(ino, &st))
		fbx_reply_attr(req, &st, 1.0);
	else
		fbx_reply_err(req, -ENOENT);
}

static void b_open(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	if (ino != FILE_ID)
		fbx_reply_err(req, -EISDIR);
	else
		fbx_reply_open(req, fi);
}

static void b_bmap(struct fbx_req *req, uint64_t ino, size_t blocksize, uint64_t idx)
{
	if (ino != FILE_ID)
		fbx_reply_err(req, -EINVAL);
	else
		fbx_reply_bmap(req, idx * 1000 + blocksize / 512);
}

static const struct fbx_ll_ops bmap_ops = {
	.lookup = b_lookup,
	.getattr = b_getattr,
	.open = b_open,
	.bmap = b_bmap,
};

int main(int argc, char *argv[])
{
	return fbx_ll_main(argc, argv, &bmap_ops, sizeof bmap_ops, NULL);
}
