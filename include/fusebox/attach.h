/*
 * fusebox/attach.h -- giving a fusebox block device (fusebox/blockdev.h)
 * to the kernel, so it appears as /dev/nbdN, /dev/ublkbN or /dev/loopN
 * and mkfs, mount and every other program can use it.
 *
 *   struct fbx_attach_opts ao = { .path = FBX_ATTACH_AUTO };
 *   struct fbx_attach *at;
 *   int err = fbx_attach_start(&at, &ops, sizeof ops, &info, ud, &ao);
 *   if (err == 0) {
 *       printf("device: %s\n", fbx_attach_device(at));
 *       fbx_attach_wait(at);      // serve until detached or a signal
 *       fbx_attach_destroy(at);   // detach (if not yet) and free
 *   }
 *
 * The paths, and what FBX_ATTACH_AUTO picks, in this order:
 *   1. FBX_ATTACH_UBLK: /dev/ublk-control exists (module ublk_drv) and
 *      fusebox was built with liburing. One thread per queue, io_uring
 *      commands; a blocking device (info.nonblocking false) gets
 *      info.threads workers per queue, so requests overlap. The fastest
 *      path. Without CAP_SYS_ADMIN (but with access to /dev/ublk-control)
 *      the device is added unprivileged (UBLK_F_UNPRIVILEGED_DEV, Linux
 *      6.5 on): its nodes are created for root, and something (a udev
 *      rule) must give /dev/ublkcN to the user within 5 s.
 *   2. FBX_ATTACH_NBD_NETLINK: the nbd module is loaded and its generic
 *      netlink family answers: one socket per connection, a dead-
 *      connection timeout, clean disconnect.
 *   3. FBX_ATTACH_NBD_IOCTL: the old BUSE way (NBD_SET_SOCK, NBD_DO_IT),
 *      when netlink is unavailable.
 *   4. FBX_ATTACH_FUSELOOP: none of the above (this is what a kernel
 *      without nbd and ublk gets): the device becomes one file of a
 *      private FUSE mount, attached to a loop device with direct I/O.
 *      Limit: the loop driver's writes pass through our own FUSE mount,
 *      so under memory pressure writeback of the loop device can wait on
 *      the daemon while the daemon waits for memory (the page-cache
 *      deadlock nbdfuse warns of). We lower that risk by using direct
 *      I/O on the backing file (no page cache of the FUSE file) and a
 *      daemon that does not allocate on the data path, but it is not
 *      zero: prefer ublk or nbd for production swap or heavy writeback.
 * A path named explicitly that the machine lacks fails with a message
 * that says what is missing ("modprobe nbd", "modprobe ublk_drv").
 *
 * Detaching: on fbx_attach_stop(), SIGINT/SIGTERM/SIGHUP (when
 * opts.handle_signals), or when the kernel side goes away. The device
 * is removed and every in-flight request completed or failed, never
 * left hanging. If the serving process dies, the kernel errors out I/O
 * on the device (nbd: the socket closes; ublk: the daemon's io_uring
 * goes; fuse+loop: the FUSE connection aborts), unless it was attached
 * recoverable (ublk, opts.recoverable): then I/O waits for a new process
 * started with opts.recover, which takes the same device over.
 *
 * Return convention: 0 or a negated errno; messages go to stderr.
 */
#ifndef FUSEBOX_ATTACH_H
#define FUSEBOX_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

#include "fusebox/blockdev.h"

#ifdef __cplusplus
extern "C" {
#endif

enum fbx_attach_path {
	FBX_ATTACH_AUTO = 0,
	FBX_ATTACH_UBLK,
	FBX_ATTACH_NBD_NETLINK,
	FBX_ATTACH_NBD_IOCTL,
	FBX_ATTACH_FUSELOOP,
};

/** Zero-initialize; 0 means the default for every field. Append-only. */
struct fbx_attach_opts {
	enum fbx_attach_path path;  /**< which way; AUTO picks as above */
	const char *device;         /**< "/dev/nbd3": use this one (nbd paths);
	                                 NULL: the first free one */
	unsigned connections;       /**< nbd sockets / ublk queues (default 1 for
	                                 ioctl, min(ncpu, 4) otherwise) */
	unsigned queue_depth;       /**< ublk queue depth (default 64) */
	unsigned dead_timeout;      /**< nbd netlink: seconds before a dead server
	                                 fails I/O (default 30) */
	const char *fuse_dir;       /**< fuse+loop: directory for the private mount,
	                                 which stays mounted while attached (default:
	                                 a new one under /run or /tmp, unmounted as
	                                 soon as the loop device holds the file, so
	                                 nothing is left behind even by kill -9) */
	bool handle_signals;        /**< detach on SIGINT/SIGTERM/SIGHUP */
	bool quiet;                 /**< no progress lines on stderr */
	bool recoverable;           /**< ublk: the device outlives a serving
	                                 process that dies (UBLK_F_USER_RECOVERY
	                                 and _REISSUE): its I/O waits, requests the
	                                 dead process held are issued again, until
	                                 a new process takes the device over with
	                                 `recover` (or it is removed, see
	                                 fbx_attach_ublk_remove); meanwhile whatever
	                                 touches a filesystem on it may wait too (an
	                                 ls updating an access time), so what starts
	                                 the new process must not depend on it.
	                                 Without it, a dying process fails the
	                                 device's I/O. A clean detach removes the
	                                 device either way */
	bool recover;               /**< take over `device` whose serving process
	                                 died: the same device node, and a
	                                 filesystem mounted on it, go on. Its size
	                                 must equal info.size (-EINVAL otherwise);
	                                 -EBUSY while the old process still runs
	                                 (after 2 s, for one that is dying), or
	                                 when the driver has not let go of a dead
	                                 one's device within 30 s.
	                                 "/dev/ublkbN": a recoverable ublk device
	                                 (its queues and depth are kept).
	                                 "/dev/nbdN": nbd-netlink's
	                                 NBD_CMD_RECONFIGURE, within the dead
	                                 server's dead_timeout (I/O fails after
	                                 it); requests the dead server held are
	                                 sent again when the request timeout
	                                 (dead_timeout too) expires */
};

/** Opaque: one attached device. */
struct fbx_attach;

/** Attach; returns once the device node exists and I/O works. */
int fbx_attach_start(struct fbx_attach **out, const struct fbx_dev_ops *ops,
                     size_t ops_size, const struct fbx_dev_info *info, void *userdata,
                     const struct fbx_attach_opts *opts);
/** "/dev/nbd0", "/dev/ublkb0", "/dev/loop3". */
const char *fbx_attach_device(const struct fbx_attach *at);
/** The path actually taken. */
enum fbx_attach_path fbx_attach_path_taken(const struct fbx_attach *at);
/** Human name of a path ("nbd-netlink", ...). */
const char *fbx_attach_path_name(enum fbx_attach_path p);
/** Serve until detached (by stop, a signal, or the kernel). */
int fbx_attach_wait(struct fbx_attach *at);
/** Ask wait to return after detaching. Async-signal-safe. */
void fbx_attach_stop(struct fbx_attach *at);
/** Detach if still attached; free. */
void fbx_attach_destroy(struct fbx_attach *at);

/**
 * Free /dev/nbdN after its server died: the kernel keeps the device
 * bound to the dead sockets (I/O fails, a new server cannot take it)
 * until told. Asks the nbd driver to disconnect it (netlink, or the
 * ioctl on kernels without it); requests still queued fail. Harmless
 * on a device nobody uses. Returns 0, -EINVAL (not /dev/nbdN), -ENODEV
 * (no nbd module), or the driver's -errno.
 */
int fbx_attach_nbd_disconnect(const char *dev);

/**
 * Remove a ublk device ("/dev/ublkbN") whose serving process died: one
 * attached with opts.recoverable keeps waiting for a new process
 * otherwise. Requests still waiting fail. Returns 0, -EINVAL (not
 * /dev/ublkbN), -ENODEV (no ublk module, or no such device), or the
 * driver's -errno.
 */
int fbx_attach_ublk_remove(const char *dev);

/** The path named on a command line: "auto", "ublk", "nbd", "nbd-netlink",
 *  "nbd-ioctl", "fuse" / "loop"; -EINVAL for anything else. */
int fbx_attach_parse_path(const char *s, enum fbx_attach_path *out);

#ifdef __cplusplus
}
#endif
#endif
