/*
 * compat/buse/geometry.c -- BUSE's size fields as a struct fbx_dev_info.
 *
 * BUSE handed its three fields to the nbd driver's ioctls one after the
 * other (block size, size in bytes, size in blocks); we compute the
 * device those ioctls would have made, and refuse what they would have
 * refused or silently made inconsistent.
 */
#include "buse_int.h"

#include <errno.h>
#include <stdio.h>

/* The nbd driver's block size when none was set. */
#define NBD_DEFAULT_BLKSIZE 1024u

int fbx_buse_geometry(const struct buse_operations *bop, struct fbx_dev_info *info,
                      char *why, size_t whysize)
{
	uint32_t bs = bop->blksize;
	if (bs && (bs < 512 || bs > 4096 || (bs & (bs - 1)))) {
		snprintf(why, whysize, "blksize %u: a block size is a power of two from 512 "
		         "to 4096", bs);
		return -EINVAL;
	}
	uint64_t size = bop->size;
	if (bop->size_blocks) {
		uint64_t unit = bs ? bs : NBD_DEFAULT_BLKSIZE;
		if (bop->size_blocks > UINT64_MAX / unit) {
			snprintf(why, whysize, "size_blocks %llu of %llu bytes overflows",
			         (unsigned long long)bop->size_blocks, (unsigned long long)unit);
			return -EINVAL;
		}
		uint64_t bytes = bop->size_blocks * unit;
		if (size && size != bytes) {
			snprintf(why, whysize, "size (%llu) and size_blocks x blksize (%llu) "
			         "disagree: set one of them", (unsigned long long)size,
			         (unsigned long long)bytes);
			return -EINVAL;
		}
		size = bytes;
	}
	/* The kernel addresses whole blocks only: a tail is unreachable. */
	size -= size % (bs ? bs : 512);
	if (size == 0) {
		snprintf(why, whysize, "no size: set size (bytes), or blksize and size_blocks, "
		         "to at least one block");
		return -EINVAL;
	}
	info->size = size;
	info->block_min = bs;
	return 0;
}
