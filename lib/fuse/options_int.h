/*
 * lib/fuse/options_int.h -- the one builder of the options string the
 * FUSE kernel module parses (options.c), shared by the parser, which
 * keeps it in fbx_options.kernel_opts, and the mount code, which hands
 * it to mount(2) or fusermount3. Private to lib/fuse.
 */
#ifndef FBX_FUSE_OPTIONS_INT_H
#define FBX_FUSE_OPTIONS_INT_H

#include "fusebox/options.h"

/**
 * The kernel's options for `o` (see options.c for which and in what
 * order), with subtype=SUBTYPE last when `subtype` is not NULL.
 * Stores a malloc'ed string ("" when none applies) in *out.
 * Returns 0 or -ENOMEM (*out untouched).
 */
int fbx_kernel_opts_build(const struct fbx_options *o, const char *subtype, char **out);

#endif
