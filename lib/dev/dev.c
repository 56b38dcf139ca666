/*
 * lib/dev/dev.c -- a device as the frontends hold it: the program's
 * ops and info, checked once and with every default filled in, so the
 * NBD server, ublk and FUSE+loop all see the same device.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dev/dev.h"

#define MAX_STRING 4096   /* as NBD allows for names and descriptions */

static bool pow2(uint32_t x) { return x && !(x & (x - 1)); }

static int dupstr(char **out, const char *s)
{
	*out = NULL;
	if (!s)
		return 0;
	if (strlen(s) > MAX_STRING)
		return -EINVAL;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

int fbx_dev_init(struct fbx_dev *d, const struct fbx_dev_ops *ops, size_t ops_size,
                 const struct fbx_dev_info *info, void *ud)
{
	memset(d, 0, sizeof *d);
	if (!ops || !info)
		return -EINVAL;
	memcpy(&d->ops, ops, ops_size < sizeof d->ops ? ops_size : sizeof d->ops);
	uint32_t bmin = info->block_min ? info->block_min : 1;
	uint32_t bmax = info->block_max ? info->block_max : FBX_DEV_MAX_PAYLOAD;
	uint32_t bpref = info->block_pref ? info->block_pref : (bmin > 4096 ? bmin : 4096);
	if (!d->ops.read || !info->size || !d->ops.map != !d->ops.unmap || !pow2(bmin) ||
	    bmin > (64u << 10) || !pow2(bpref) || bpref < bmin || bmax > FBX_DEV_MAX_PAYLOAD ||
	    bmax < bmin || bmax % bmin || info->size % bmin || info->size > INT64_MAX)
		return -EINVAL;
	d->ud = ud;
	d->size = info->size;
	d->block_min = bmin;
	d->block_pref = bpref;
	d->block_max = bmax;
	d->read_only = info->read_only || !d->ops.write;
	d->can_fua = info->can_fua;
	d->can_multi_conn = info->can_multi_conn;
	d->rotational = info->rotational;
	d->nonblocking = info->nonblocking;
	d->strict_name = info->strict_name;
	d->threads = info->threads ? (info->threads > 64 ? 64 : info->threads) : 4;
	int e = dupstr(&d->name, info->name ? info->name : "");
	if (!e)
		e = dupstr(&d->desc, info->description);
	if (e)
		fbx_dev_fini(d);
	return e;
}

void fbx_dev_fini(struct fbx_dev *d)
{
	free(d->name);
	free(d->desc);
	d->name = d->desc = NULL;
}

void fbx_dev_get_info(const struct fbx_dev *d, struct fbx_dev_info *info)
{
	*info = (struct fbx_dev_info){
		.size = d->size, .block_min = d->block_min, .block_pref = d->block_pref,
		.block_max = d->block_max, .read_only = d->read_only, .can_fua = d->can_fua,
		.can_multi_conn = d->can_multi_conn, .rotational = d->rotational,
		.nonblocking = d->nonblocking, .threads = d->threads, .name = d->name,
		.description = d->desc, .strict_name = d->strict_name,
	};
}
