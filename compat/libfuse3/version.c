/*
 * version.c -- which libfuse this library stands in for.
 *
 * Programs compare fuse_version() against FUSE_VERSION to decide what
 * they may call, so it reports the ABI we provide (3.14), not fusebox's
 * own version; fuse_lowlevel_version() names both.
 */
#include "compat.h"

#include <stdio.h>

#include "fusebox/options.h"
#include "fuse/abi.h" /* the protocol version fusebox speaks, nothing more */

int fuse_version(void)
{
	return FUSE_VERSION;
}

const char *fuse_pkgversion(void)
{
	return FBX_FUSE3_PKGVERSION;
}

void fuse_lowlevel_version(void)
{
	printf("using FUSE kernel interface version %d.%d\n", FBX_K_MAJOR, FBX_K_MINOR);
	printf("fusebox %s (libfuse %s compatible)\n", fbx_version(), FBX_FUSE3_PKGVERSION);
}
