/*
 * notrunc_fs.c -- a libfuse 3 high-level filesystem with one file /f in
 * memory and no truncate op: O_TRUNC is honored in open, which libfuse 3
 * (ATOMIC_O_TRUNC asked for by default) lets a program do (lxcfs takes
 * O_TRUNC in open and refuses truncate). t_fuse3_o_trunc.sh checks that
 * `> f` works. Built by that test against Debian's libfuse and ours.
 */
#define FUSE_USE_VERSION 31
#include <fuse.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
static char data[4096] = "hello\n"; static size_t len = 6;
static int gattr(const char *p, struct stat *st, struct fuse_file_info *fi) {
	memset(st, 0, sizeof *st);
	if (!strcmp(p, "/")) { st->st_mode = S_IFDIR | 0755; st->st_nlink = 2; return 0; }
	if (!strcmp(p, "/f")) { st->st_mode = S_IFREG | 0644; st->st_nlink = 1; st->st_size = len; return 0; }
	return -ENOENT;
}
static int rdir(const char *p, void *b, fuse_fill_dir_t fill, off_t o, struct fuse_file_info *fi, enum fuse_readdir_flags fl) {
	fill(b, ".", NULL, 0, 0); fill(b, "..", NULL, 0, 0); fill(b, "f", NULL, 0, 0); return 0;
}
static int op(const char *p, struct fuse_file_info *fi) {
	if (strcmp(p, "/f")) return -ENOENT;
	if (fi->flags & O_TRUNC) len = 0;
	return 0;
}
static int rd(const char *p, char *b, size_t s, off_t o, struct fuse_file_info *fi) {
	if (o >= (off_t)len)
		return 0;
	if (o + s > len)
		s = len - o;
	memcpy(b, data + o, s);
	return s;
}
static int wr(const char *p, const char *b, size_t s, off_t o, struct fuse_file_info *fi) {
	if (o + s > sizeof data)
		return -EFBIG;
	memcpy(data + o, b, s);
	if (o + s > len)
		len = o + s;
	return s;
}
static void *init(struct fuse_conn_info *c, struct fuse_config *cfg) { cfg->direct_io = 1; return NULL; }
static const struct fuse_operations ops = { .getattr = gattr, .readdir = rdir, .open = op, .read = rd, .write = wr, .init = init };
int main(int argc, char **argv) { return fuse_main(argc, argv, &ops, NULL); }
