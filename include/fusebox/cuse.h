/*
 * fusebox/cuse.h -- character devices served from user space (CUSE).
 *
 * A CUSE server makes a device node, /dev/NAME, through /dev/cuse
 * instead of mounting a filesystem. Programs open, read, write, ioctl
 * and poll that device, and each call reaches the server as an op of
 * the low-level API (fusebox/lowlevel.h), answered with the same
 * fbx_reply_*() calls. A device has no inodes: `ino` is always 0, and
 * each op works on the open file (fi->fh, as the open op set it).
 *
 *   struct fbx_session *se = fbx_cuse_new(NULL, &info, &ops, sizeof ops, ud);
 *   if (se && fbx_cuse_open(se) == 0)
 *       fbx_session_loop(se);            // until fbx_session_exit()
 *   fbx_session_destroy(se);             // the device goes away
 *
 * The ops a device gets: init, destroy, open, read, write, release,
 * ioctl (unrestricted with FBX_CUSE_UNRESTRICTED_IOCTL: see
 * fbx_reply_ioctl_retry()) and poll; flush and fsync only if the
 * kernel sends them. The rest are never called. Needs root (or access
 * to /dev/cuse) and the kernel's cuse module.
 *
 * A CUSE session serves with one thread: the kernel cannot clone a
 * /dev/cuse descriptor per worker as it does /dev/fuse. An op may
 * still reply later from another thread.
 */
#ifndef FUSEBOX_CUSE_H
#define FUSEBOX_CUSE_H

#include "fusebox/lowlevel.h"

#ifdef __cplusplus
extern "C" {
#endif

/** fbx_cuse_info.flags: ioctls are not bound by their command's
 *  encoding; the ioctl op gets FBX_IOCTL_UNRESTRICTED and may answer
 *  with fbx_reply_ioctl_retry(). */
#define FBX_CUSE_UNRESTRICTED_IOCTL (1u << 0)

/** The device to make. Copied by fbx_cuse_new(). */
struct fbx_cuse_info {
	const char *dev_name;          /**< the node is /dev/dev_name (required) */
	unsigned    dev_major;         /**< 0 with dev_minor 0: the kernel picks */
	unsigned    dev_minor;
	/** More "KEY=VALUE" lines for udev (e.g. "MODE=0666"), NULL-terminated;
	 *  may be NULL. */
	const char *const *dev_info;
	unsigned    flags;             /**< FBX_CUSE_* */
	/** Called once the kernel took the device (it exists from now on),
	 *  after the init op; may be NULL. */
	void      (*init_done)(void *userdata);
};

/**
 * A CUSE session for the device `ci` with the low-level `ops`
 * (ops_size = sizeof(*ops)) and options `opts` (NULL for defaults; of
 * them debug, max_write and max_read apply). Nothing is created yet.
 * NULL on error with errno: EINVAL for a missing or empty dev_name or a
 * dev_info line that is not KEY=VALUE, ENAMETOOLONG when the strings
 * exceed the kernel's 4096 bytes, ENOMEM.
 */
struct fbx_session *fbx_cuse_new(const struct fbx_options *opts,
                                 const struct fbx_cuse_info *ci,
                                 const struct fbx_ll_ops *ops, size_t ops_size,
                                 void *userdata);
/**
 * Open /dev/cuse for the session: the kernel then asks for the device
 * (CUSE_INIT), which fbx_session_loop() answers first; the node appears
 * once it has. Returns 0, or a negated errno after a message on stderr
 * (-ENOENT: no /dev/cuse, the cuse module is not loaded; -EBUSY: already
 * open).
 */
int fbx_cuse_open(struct fbx_session *se);

#ifdef __cplusplus
}
#endif
#endif /* FUSEBOX_CUSE_H */
