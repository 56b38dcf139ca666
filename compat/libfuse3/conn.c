/*
 * conn.c -- libfuse's capability numbers and fusebox's.
 *
 * struct fuse_conn_info speaks libfuse's FUSE_CAP_* bits, which are not
 * the kernel's INIT flags fusebox uses (FBX_CAP_*): POSIX_ACL and
 * HANDLE_KILLPRIV trade places, EXPIRE_ONLY is no flag at all but a
 * protocol version. One table says which is which.
 */
#include "session.h"

static const struct { unsigned lib; uint64_t k; } caps[] = {
	{ FUSE_CAP_ASYNC_READ,          FBX_CAP_ASYNC_READ },
	{ FUSE_CAP_POSIX_LOCKS,         FBX_CAP_POSIX_LOCKS },
	{ FUSE_CAP_ATOMIC_O_TRUNC,      FBX_CAP_ATOMIC_O_TRUNC },
	{ FUSE_CAP_EXPORT_SUPPORT,      FBX_CAP_EXPORT_SUPPORT },
	{ FUSE_CAP_DONT_MASK,           FBX_CAP_DONT_MASK },
	{ FUSE_CAP_SPLICE_WRITE,        FBX_CAP_SPLICE_WRITE },
	{ FUSE_CAP_SPLICE_MOVE,         FBX_CAP_SPLICE_MOVE },
	{ FUSE_CAP_SPLICE_READ,         FBX_CAP_SPLICE_READ },
	{ FUSE_CAP_FLOCK_LOCKS,         FBX_CAP_FLOCK_LOCKS },
	{ FUSE_CAP_IOCTL_DIR,           FBX_CAP_IOCTL_DIR },
	{ FUSE_CAP_AUTO_INVAL_DATA,     FBX_CAP_AUTO_INVAL_DATA },
	{ FUSE_CAP_READDIRPLUS,         FBX_CAP_READDIRPLUS },
	{ FUSE_CAP_READDIRPLUS_AUTO,    FBX_CAP_READDIRPLUS_AUTO },
	{ FUSE_CAP_ASYNC_DIO,           FBX_CAP_ASYNC_DIO },
	{ FUSE_CAP_WRITEBACK_CACHE,     FBX_CAP_WRITEBACK_CACHE },
	{ FUSE_CAP_NO_OPEN_SUPPORT,     FBX_CAP_NO_OPEN_SUPPORT },
	{ FUSE_CAP_PARALLEL_DIROPS,     FBX_CAP_PARALLEL_DIROPS },
	{ FUSE_CAP_POSIX_ACL,           FBX_CAP_POSIX_ACL },
	{ FUSE_CAP_HANDLE_KILLPRIV,     FBX_CAP_HANDLE_KILLPRIV },
	{ FUSE_CAP_CACHE_SYMLINKS,      FBX_CAP_CACHE_SYMLINKS },
	{ FUSE_CAP_NO_OPENDIR_SUPPORT,  FBX_CAP_NO_OPENDIR_SUPPORT },
	{ FUSE_CAP_EXPLICIT_INVAL_DATA, FBX_CAP_EXPLICIT_INVAL_DATA },
};

unsigned fbx_fuse3_caps_from_kernel(uint64_t k, unsigned proto_minor)
{
	unsigned lib = 0;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (k & caps[i].k)
			lib |= caps[i].lib;
	/* Open and opendir may always answer ENOSYS ("none needed") on the
	 * kernels fusebox runs on (7.31+); expiring an entry without
	 * dropping it came with 7.38. */
	lib |= FUSE_CAP_NO_OPEN_SUPPORT | FUSE_CAP_NO_OPENDIR_SUPPORT;
	if (proto_minor >= 38)
		lib |= FUSE_CAP_EXPIRE_ONLY;
	return lib;
}

uint64_t fbx_fuse3_caps_to_kernel(unsigned lib)
{
	uint64_t k = 0;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (lib & caps[i].lib)
			k |= caps[i].k;
	/* Not INIT flags: the kernel acts on an ENOSYS reply by itself. */
	return k & ~(FBX_CAP_NO_OPEN_SUPPORT | FBX_CAP_NO_OPENDIR_SUPPORT);
}
