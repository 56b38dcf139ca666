/*
 * lib/nbd/attach_none.c -- the fallback of fbx_nbd_attach_kernel for
 * builds of lib/nbd without lib/attach (the nbd fuzz targets).
 *
 * It lives in a file of its own, not in devmain.c: in the static
 * library a weak definition inside devmain.o would satisfy the
 * reference, and the linker would never pull the strong one
 * (lib/attach/attach.o) out of the archive. As a member of its own
 * that sorts before devmain.o, it is passed over in the scan that
 * brings devmain.o in, and the next scan of the archive index finds
 * lib/attach/attach.o first (the Makefile sorts the sources). GNU ld
 * and lld both resolve it so; the shared library has both and the
 * strong one wins.
 */
#include <errno.h>
#include <stdio.h>

#include "nbd/internal.h"

__attribute__((weak)) int fbx_nbd_attach_kernel(struct fbx_nbd_server *srv, const char *dev,
                                                char *err, size_t errlen)
{
	snprintf(err, errlen, "this build of fusebox has no kernel attach support (lib/attach)");
	return -ENOSYS;
}
