/*
 * hello_ll -- the hello filesystem on the low-level (inode) API.
 *
 * One read-only file, /hello, saying "Hello, world!\n". Where the path
 * API (hello.c) gets names, this one gets node ids: the root is
 * FBX_ROOT_ID, and we hand out id 2 for the file in lookup. Every
 * request is answered with exactly one fbx_reply_*() call.
 *
 *   hello_ll [-f] [-d] [-o opts] MOUNTPOINT
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fusebox/lowlevel.h>

#define HELLO_ID 2
static const char hello_name[] = "hello";
static const char hello_text[] = "Hello, world!\n";

/* Attributes of our two nodes; 0 if the id is not ours. */
static int fill_stat(uint64_t ino, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = ino;
	st->st_uid = getuid();
	st->st_gid = getgid();
	if (ino == FBX_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else if (ino == HELLO_ID) {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = sizeof hello_text - 1;
	} else {
		return 0;
	}
	return 1;
}

static void hello_lookup(struct fbx_req *req, uint64_t parent, const char *name)
{
	struct fbx_entry e = { .attr_timeout = 1.0, .entry_timeout = 1.0 };
	if (parent != FBX_ROOT_ID || strcmp(name, hello_name) != 0) {
		fbx_reply_err(req, -ENOENT);
		return;
	}
	e.ino = HELLO_ID;
	fill_stat(HELLO_ID, &e.attr);
	fbx_reply_entry(req, &e);
}

static void hello_getattr(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct stat st;
	if (fill_stat(ino, &st))
		fbx_reply_attr(req, &st, 1.0);
	else
		fbx_reply_err(req, -ENOENT);
}

static void hello_readdir(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                          struct fbx_file_info *fi)
{
	/* Entry i carries offset i + 1: the offset to continue after it. */
	static const struct { const char *name; uint64_t ino; mode_t mode; } ents[] = {
		{ ".", FBX_ROOT_ID, S_IFDIR }, { "..", FBX_ROOT_ID, S_IFDIR },
		{ hello_name, HELLO_ID, S_IFREG },
	};
	char buf[512];
	size_t used = 0;
	if (ino != FBX_ROOT_ID) {
		fbx_reply_err(req, -ENOTDIR);
		return;
	}
	if (size > sizeof buf)
		size = sizeof buf;
	for (off_t i = off; i < 3; i++) {
		struct stat st = { .st_ino = ents[i].ino, .st_mode = ents[i].mode };
		size_t n = fbx_dirent_add(buf + used, size - used, ents[i].name, &st, i + 1);
		if (n > size - used)
			break;
		used += n;
	}
	fbx_reply_buf(req, buf, used);
}

static void hello_open(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	if (ino != HELLO_ID)
		fbx_reply_err(req, -EISDIR);
	else if ((fi->flags & O_ACCMODE) != O_RDONLY)
		fbx_reply_err(req, -EACCES);
	else
		fbx_reply_open(req, fi);
}

static void hello_read(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                       struct fbx_file_info *fi)
{
	size_t len = sizeof hello_text - 1;
	if ((size_t)off >= len)
		fbx_reply_buf(req, NULL, 0);
	else
		fbx_reply_buf(req, hello_text + off, size < len - (size_t)off ? size : len - (size_t)off);
}

static const struct fbx_ll_ops hello_ops = {
	.lookup = hello_lookup,
	.getattr = hello_getattr,
	.readdir = hello_readdir,
	.open = hello_open,
	.read = hello_read,
};

int main(int argc, char *argv[])
{
	return fbx_ll_main(argc, argv, &hello_ops, sizeof hello_ops, NULL);
}
