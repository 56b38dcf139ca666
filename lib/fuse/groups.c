/*
 * lib/fuse/groups.c -- the caller's supplementary groups. FUSE passes
 * only uid, gid and the thread id, so the group list comes from the
 * "Groups:" line of /proc/TID/status (credentials are per thread). The
 * line is read whole, however long: a process may have 65536 groups.
 */
#include "fuse/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Walk the caller's groups, storing up to `size` of them in list; with
 * `want`, stop at that group and set *found. Returns how many groups
 * were walked (all of them unless found), or a negated errno. */
static int scan_groups(pid_t tid, int size, gid_t list[], const gid_t *want, int *found)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	if (tid <= 0)
		return -ESRCH;
	snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	int n = -EIO;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		n = 0;
		char *end;
		for (char *p = line + 7;; p = end) {
			unsigned long g = strtoul(p, &end, 10);
			if (end == p)
				break;
			if (n < size)
				list[n] = (gid_t)g;
			n++;
			if (want && (gid_t)g == *want) {
				*found = 1;
				break;
			}
		}
		break;
	}
	free(line);
	fclose(f);
	return n;
}

int fbx_req_groups(const struct fbx_req *req, int size, gid_t list[])
{
	return scan_groups(req->ctx.pid, size < 0 ? 0 : size, list, NULL, NULL);
}

int fbx_ctx_in_group(const struct fbx_ctx *ctx, gid_t gid)
{
	int found = 0;
	if (ctx->gid == gid)
		return 1;
	scan_groups(ctx->pid, 0, NULL, &gid, &found);   /* unreadable: not a member */
	return found;
}
