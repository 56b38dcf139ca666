/*
 * notify.c -- fuse_lowlevel_notify_*: the filesystem tells the kernel.
 *
 * libfuse passes names with a length; fusebox takes NUL-terminated
 * ones, so a name is copied when it is not terminated where its length
 * says. Data for the page cache may come as any buffer vector and is
 * gathered into memory first.
 */
#include "session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A NUL-terminated copy of name[0..len) in buf (or the heap). */
static const char *terminated(const char *name, size_t len, char *buf, size_t bufsize,
                              char **heap)
{
	*heap = NULL;
	if (memchr(name, '\0', len + 1) == name + len)
		return name;
	char *d = len < bufsize ? buf : (*heap = malloc(len + 1));
	if (!d)
		return NULL;
	memcpy(d, name, len);
	d[len] = '\0';
	return d;
}

int fuse_lowlevel_notify_inval_inode(struct fuse_session *se, fuse_ino_t ino,
                                     off_t off, off_t len)
{
	return fbx_notify_inval_inode(se->fbx, ino, off, len);
}

int fuse_lowlevel_notify_inval_entry(struct fuse_session *se, fuse_ino_t parent,
                                     const char *name, size_t namelen)
{
	char buf[256], *heap;
	const char *n = terminated(name, namelen, buf, sizeof(buf), &heap);
	if (!n)
		return -ENOMEM;
	int r = fbx_notify_inval_entry(se->fbx, parent, n);
	free(heap);
	return r;
}

int fuse_lowlevel_notify_delete(struct fuse_session *se, fuse_ino_t parent,
                                fuse_ino_t child, const char *name, size_t namelen)
{
	char buf[256], *heap;
	const char *n = terminated(name, namelen, buf, sizeof(buf), &heap);
	if (!n)
		return -ENOMEM;
	int r = fbx_notify_delete(se->fbx, parent, child, n);
	free(heap);
	return r;
}

int fuse_lowlevel_notify_store(struct fuse_session *se, fuse_ino_t ino,
                               off_t offset, struct fuse_bufvec *bufv,
                               enum fuse_buf_copy_flags flags)
{
	size_t size = fuse_buf_size(bufv);
	struct fuse_bufvec mem = FUSE_BUFVEC_INIT(size);
	mem.buf[0].mem = malloc(size ? size : 1);
	if (!mem.buf[0].mem)
		return -ENOMEM;
	ssize_t n = fuse_buf_copy(&mem, bufv, flags);
	int r = n < 0 ? (int)n : fbx_notify_store(se->fbx, ino, offset, mem.buf[0].mem, (size_t)n);
	free(mem.buf[0].mem);
	return r;
}

int fuse_lowlevel_notify_expire_entry(struct fuse_session *se, fuse_ino_t parent,
                                      const char *name, size_t namelen,
                                      enum fuse_expire_flags flags)
{
	char buf[256], *heap;
	const char *n = terminated(name, namelen, buf, sizeof(buf), &heap);
	if (!n)
		return -ENOMEM;
	int r = (flags & FUSE_LL_EXPIRE_ONLY) ? fbx_notify_expire_entry(se->fbx, parent, n)
	                                      : fbx_notify_inval_entry(se->fbx, parent, n);
	free(heap);
	return r;
}

int fuse_lowlevel_notify_retrieve(struct fuse_session *se, fuse_ino_t ino,
                                  size_t size, off_t offset, void *cookie)
{
	return fbx_notify_retrieve(se->fbx, ino, offset, size, cookie);
}

/* A libfuse poll handle is fusebox's, under libfuse's struct name. */
static struct fbx_pollhandle *ph_of(struct fuse_pollhandle *ph)
{
	return (struct fbx_pollhandle *)ph;
}

int fuse_lowlevel_notify_poll(struct fuse_pollhandle *ph)
{
	return fbx_notify_poll(ph_of(ph));
}

void fuse_pollhandle_destroy(struct fuse_pollhandle *ph)
{
	fbx_pollhandle_destroy(ph_of(ph));
}
