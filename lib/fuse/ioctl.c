/*
 * lib/fuse/ioctl.c -- replies to ioctl(2) on a FUSE or CUSE file.
 *
 * The kernel checks what a reply claims against what it asked for and
 * fails the caller's ioctl with EIO when they disagree; checking here
 * first gives the filesystem a clear error instead (the request is
 * still answered, with the EIO the caller would have got).
 */
#include "fuse/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int refuse(struct fbx_req *req, const char *why)
{
	if (req->se->opts.debug)
		fprintf(stderr, "fusebox: ioctl reply refused: %s\n", why);
	fbx_reply_err(req, -EIO);
	return -EINVAL;
}

int fbx_reply_ioctl_iov(struct fbx_req *req, int result, const struct iovec *iov,
                        int count)
{
	struct iovec v[7];
	size_t total = 0;
	if (count < 0)
		return refuse(req, "negative iovec count");
	for (int i = 0; i < count; i++)
		total += iov[i].iov_len;
	if (total > req->ioctl_out)
		return refuse(req, "more output than the caller's buffer holds");
	struct fbx_k_ioctl_out o = { result, 0, 0, 0 };
	v[0].iov_base = &o;
	v[0].iov_len = sizeof o;
	if (count <= 6) {
		for (int i = 0; i < count; i++)
			v[i + 1] = iov[i];
		return fbx_reply_raw(req, 0, v, count + 1);
	}
	/* Rare: gather into one buffer rather than fail. */
	char *b = malloc(total ? total : 1);
	if (!b)
		return fbx_reply_err(req, -ENOMEM);
	size_t off = 0;
	for (int i = 0; i < count; i++) {
		memcpy(b + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	v[1].iov_base = b;
	v[1].iov_len = total;
	int r = fbx_reply_raw(req, 0, v, 2);
	free(b);
	return r;
}

int fbx_reply_ioctl(struct fbx_req *req, int result, const void *buf, size_t size)
{
	struct iovec iov = { (void *)buf, size };
	return fbx_reply_ioctl_iov(req, result, &iov, size ? 1 : 0);
}

int fbx_reply_ioctl_retry(struct fbx_req *req, const struct iovec *in, size_t in_count,
                          const struct iovec *out, size_t out_count)
{
	struct fbx_k_ioctl_out o;
	struct fbx_k_ioctl_iovec *vec = malloc(sizeof *vec * FBX_K_IOCTL_MAX_IOV);
	if (!vec)
		return fbx_reply_err(req, -ENOMEM);
	int n = fbx_ioctl_retry_encode(&o, vec, req->ioctl_flags, in, in_count, out, out_count);
	if (n < 0) {
		free(vec);
		return refuse(req, n == -EPERM ? "retry of a restricted ioctl" :
		                   n == -E2BIG ? "more than FBX_IOCTL_MAX_IOV iovecs" :
		                   "an iovec beyond the caller's 32-bit address space");
	}
	struct iovec v[2] = { { &o, sizeof o }, { vec, sizeof *vec * (size_t)n } };
	int r = fbx_reply_raw(req, 0, v, 2);
	free(vec);
	return r;
}
