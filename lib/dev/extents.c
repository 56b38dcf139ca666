/*
 * lib/dev/extents.c -- the list an extents callback fills
 * (fbx_extents_add in fusebox/blockdev.h): clipped to the asked range,
 * neighbours of one type merged, bounded by the frontend's room.
 */
#include <errno.h>

#include "dev/dev.h"

void fbx_extents_reset(struct fbx_extents *ex, struct fbx_extent_item *v, unsigned cap,
                       uint64_t off, uint64_t len, bool one)
{
	*ex = (struct fbx_extents){ .next = off, .end = off + len, .cap = cap, .one = one, .v = v };
}

int fbx_extents_add(struct fbx_extents *ex, uint64_t off, uint64_t len, uint32_t type)
{
	if (!ex)
		return -EINVAL;
	if (ex->next >= ex->end || ex->n == ex->cap || (ex->one && ex->n))
		return 1;
	if (off > ex->next || len > UINT64_MAX - off)
		return -EINVAL;         /* a gap, or nonsense */
	if (off + len <= ex->next)
		return 0;               /* entirely before what we still need */
	len -= ex->next - off;
	off = ex->next;
	if (len > ex->end - off)
		len = ex->end - off;
	type &= FBX_EXTENT_HOLE | FBX_EXTENT_ZERO;
	if (ex->n && ex->v[ex->n - 1].type == type)
		ex->v[ex->n - 1].len += len;
	else
		ex->v[ex->n++] = (struct fbx_extent_item){ len, type };
	ex->next = off + len;
	return ex->next >= ex->end || ex->one ? 1 : 0;
}
