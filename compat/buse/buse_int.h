/*
 * compat/buse/buse_int.h -- the pieces of buse_main (libfusebox-buse.a).
 *
 * BUSE's struct buse_operations is wrapped once in a struct fbx_buse,
 * which is the userdata of a struct fbx_dev_ops (ops.c) that fusebox's
 * attach paths call. Every name here carries the fbx_buse_ prefix: the
 * archive is linked into programs, and only buse_main is theirs to see.
 */
#ifndef FBX_COMPAT_BUSE_INT_H
#define FBX_COMPAT_BUSE_INT_H

#include <semaphore.h>
#include <stddef.h>

#include "buse.h"
#include "fusebox/blockdev.h"

struct fbx_buse {
	struct buse_operations bop;   /* the program's, copied */
	void *userdata;               /* the program's */
	sem_t slots;                  /* callbacks allowed to run at once */
};

/* Fill ops with callbacks taking a struct fbx_buse * as userdata, one
 * for each callback bop has (a missing one is a feature not offered).
 * No disc: buse_main calls the program's once, after the detach. */
void fbx_buse_dev_ops(const struct buse_operations *bop, struct fbx_dev_ops *ops);

/* A BUSE callback's return as a fusebox one: 0, or a negated errno. */
int fbx_buse_errno(int r);

/* The device's size and block size from bop into info (zeroed by the
 * caller). 0, or -EINVAL with the reason in why. */
int fbx_buse_geometry(const struct buse_operations *bop, struct fbx_dev_info *info,
                      char *why, size_t whysize);

#endif
