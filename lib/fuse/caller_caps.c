/*
 * caller_caps.c -- what the caller of a request may do: its capabilities,
 * which FUSE does not pass (the kernel says only uid, gid and pid), read
 * from /proc for the rare requests whose outcome depends on them.
 */
#include "fuse/session.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int fbx_req_capable(const struct fbx_req *req, int cap)
{
	char path[64], line[256];
	if (cap < 0 || cap > 63)
		return -EINVAL;
	if (req->ctx.pid <= 0)
		return -ESRCH;
	/* The pid is the calling thread's id, and threads may differ in
	 * their capabilities: the task's own status first. */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", req->ctx.pid, req->ctx.pid);
	FILE *f = fopen(path, "re");
	if (!f) {
		snprintf(path, sizeof(path), "/proc/%d/status", req->ctx.pid);
		f = fopen(path, "re");
	}
	if (!f)
		return -errno;
	int r = -EIO;
	while (fgets(line, sizeof(line), f)) {
		uint64_t eff;
		if (sscanf(line, "CapEff: %" SCNx64, &eff) == 1) {
			r = (int)((eff >> cap) & 1);
			break;
		}
	}
	fclose(f);
	return r;
}
