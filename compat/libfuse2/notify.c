/*
 * notify.c -- fuse_lowlevel_notify_*: cache notifications to the kernel
 * through the mounted channel's fusebox session.
 */
#include "fuse2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct fbx_session *mounted(struct fuse_chan *ch)
{
	return ch && ch->mounted_by ? ch->mounted_by->fbx : NULL;
}

int fuse_lowlevel_notify_inval_inode(struct fuse_chan *ch, fuse_ino_t ino,
                                     off_t off, off_t len)
{
	struct fbx_session *s = mounted(ch);
	return s ? fbx_notify_inval_inode(s, ino, off, len) : -EINVAL;
}

/* fusebox takes NUL-terminated names: a copy of namelen bytes. */
static char *name_copy(const char *name, size_t namelen)
{
	char *n = malloc(namelen + 1);
	if (n) {
		memcpy(n, name, namelen);
		n[namelen] = '\0';
	}
	return n;
}

int fuse_lowlevel_notify_inval_entry(struct fuse_chan *ch, fuse_ino_t parent,
                                     const char *name, size_t namelen)
{
	struct fbx_session *s = mounted(ch);
	if (!s)
		return -EINVAL;
	char *n = name_copy(name, namelen);
	if (!n)
		return -ENOMEM;
	int r = fbx_notify_inval_entry(s, parent, n);
	free(n);
	return r;
}

int fuse_lowlevel_notify_delete(struct fuse_chan *ch, fuse_ino_t parent,
                                fuse_ino_t child, const char *name, size_t namelen)
{
	struct fbx_session *s = mounted(ch);
	if (!s)
		return -EINVAL;
	char *n = name_copy(name, namelen);
	if (!n)
		return -ENOMEM;
	int r = fbx_notify_delete(s, parent, child, n);
	free(n);
	return r;
}

int fuse_lowlevel_notify_store(struct fuse_chan *ch, fuse_ino_t ino, off_t offset,
                               struct fuse_bufvec *bufv, enum fuse_buf_copy_flags flags)
{
	struct fbx_session *s = mounted(ch);
	if (!s)
		return -EINVAL;
	size_t size = fuse_buf_size(bufv);
	struct fuse_bufvec mem = FUSE_BUFVEC_INIT(size);
	mem.buf[0].mem = malloc(size ? size : 1);
	if (!mem.buf[0].mem)
		return -ENOMEM;
	ssize_t n = fuse_buf_copy(&mem, bufv, flags);
	int r = n < 0 ? (int)n : fbx_notify_store(s, ino, offset, mem.buf[0].mem, (size_t)n);
	free(mem.buf[0].mem);
	return r;
}

int fuse_lowlevel_notify_retrieve(struct fuse_chan *ch, fuse_ino_t ino,
                                  size_t size, off_t offset, void *cookie)
{
	struct fbx_session *s = mounted(ch);
	return s ? fbx_notify_retrieve(s, ino, offset, size, cookie) : -EINVAL;
}

/* A libfuse poll handle is fusebox's, under libfuse's struct name. */
int fuse_lowlevel_notify_poll(struct fuse_pollhandle *ph)
{
	return fbx_notify_poll((struct fbx_pollhandle *)ph);
}

void fuse_pollhandle_destroy(struct fuse_pollhandle *ph)
{
	fbx_pollhandle_destroy((struct fbx_pollhandle *)ph);
}
