/*
 * reply.c -- the reply calls only libfuse 3 has (fuse_reply_lseek,
 * fuse_add_direntry_plus) and fuse_req_userdata; the rest are
 * compat/common/reply.c.
 */
#include "session.h"

#define REQ(r) fbx_fuse3_req(r)

int fuse_reply_lseek(fuse_req_t req, off_t off)
{
	return fbx_reply_lseek(REQ(req), off);
}

size_t fuse_add_direntry_plus(fuse_req_t req, char *buf, size_t bufsize,
                              const char *name, const struct fuse_entry_param *e,
                              off_t off)
{
	(void)req;
	struct fbx_entry b;
	fbx_compat_entry_out(&b, e);
	return fbx_direntplus_add(buf, buf ? bufsize : 0, name, &b, off);
}

/* ---- about the request ---------------------------------------------------- */

void *fuse_req_userdata(fuse_req_t req)
{
	return fbx_fuse3_session(REQ(req))->userdata;
}
