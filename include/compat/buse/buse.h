/*
 * buse.h -- BUSE's interface (github.com/acozzette/BUSE), served by
 * fusebox. A program written for BUSE compiles unchanged against this
 * header and links with `pkg-config --libs fusebox`:
 *
 *   cc -o busexmp busexmp.c $(pkg-config --cflags --libs fusebox)
 *   ./busexmp 128M /dev/nbd0
 *
 * The program fills a struct buse_operations and calls buse_main; the
 * device appears as the block device it named, mkfs and mount use it,
 * and buse_main returns when it is detached. Underneath this is a thin
 * translation onto fusebox's own block-device API (fusebox/blockdev.h,
 * fusebox/attach.h): the kernel attach, the NBD protocol and the
 * request checks are fusebox's, not BUSE's.
 *
 * Where it lives: the header is installed as
 * PREFIX/include/fusebox/compat/buse/buse.h and fusebox.pc's Cflags
 * name that directory, so both `#include "buse.h"` (as BUSE's own
 * programs write it) and `#include <buse.h>` find it. buse_main is in
 * libfusebox-buse.a, a small static archive that fusebox.pc's Libs name
 * before -lfusebox: libfusebox.so exports only fbx_ names, a program
 * that never calls buse_main pulls nothing from the archive (and gets
 * no extra run-time dependency), and one that does gets a few hundred
 * bytes of translation linked in, calling libfusebox's public fbx_
 * API. BUSE itself was a static libbuse.a, too.
 *
 * ---- The callbacks --------------------------------------------------
 *
 * Each is called with the userdata given to buse_main. read and write
 * get ranges inside the device (len > 0, at most 32 MiB, aligned to
 * blksize when it is set); trim may be called several times for one
 * kernel discard, so that len fits its 32 bits.
 *
 * Return convention (BUSE's): 0 is success, anything else a failure.
 * The value says which error: a positive errno value (EIO, ENOSPC) or
 * a negated one (-EIO) is that error; -1 and anything outside the
 * errno range mean EIO. The kernel's NBD client turns every error into
 * EIO for the program doing the I/O; on ublk and FUSE+loop the block
 * layer maps the errno as it does for any disk. Unlike BUSE, the error
 * goes on the NBD wire in network byte order.
 *
 * Missing callbacks: without write the device is read-only (the kernel
 * is told so, writes fail with EPERM); without flush or trim the kernel
 * is not offered flush or discard (BUSE offered them and answered 0).
 * read is required (buse_main fails with EINVAL without it). disc is
 * called once, after the device has been detached and every request
 * answered (signal or kernel disconnect), just before buse_main
 * returns; not when the attach failed.
 *
 * Threads: the kernel keeps many requests in flight (BUSE answered one
 * at a time), but by default the callbacks are called one at a time,
 * never concurrently, as BUSE programs expect: BUSE's own loopback
 * example shares one file offset between lseek and read. A program
 * whose callbacks are thread-safe is run with FBX_BUSE_THREADS=N in
 * the environment (1..64) to let up to N of them run at once.
 *
 * ---- The size ------------------------------------------------------
 *
 * Either size (bytes), or blksize and size_blocks. blksize, when set,
 * is the device's logical block size: a power of two from 512 to 4096.
 * size_blocks without blksize counts 1024-byte blocks (the kernel nbd
 * driver's default block size, as BUSE relied on). Both size and
 * size_blocks set must agree. A size that is not a whole number of
 * blocks (512 bytes by default) is rounded down, as the kernel did.
 *
 * ---- buse_main ----------------------------------------------------
 *
 * dev_file must name an nbd device, "/dev/nbdN". By default buse_main
 * attaches to exactly that device through the kernel's nbd driver
 * (netlink, or the NBD ioctls on kernels without it), as BUSE did; when
 * the nbd module is not loaded it fails with a message saying so
 * ("modprobe nbd") rather than attach something else. The environment
 * chooses another way, since a BUSE program has no option for it:
 *
 *   FBX_ATTACH=auto         the best path this kernel has (fusebox/attach.h:
 *                           ublk, nbd over netlink, nbd ioctls, FUSE+loop)
 *   FBX_ATTACH=ublk         /dev/ublkbN (module ublk_drv)
 *   FBX_ATTACH=nbd-netlink  dev_file, over netlink ("nbd" is the same)
 *   FBX_ATTACH=nbd-ioctl    dev_file, by the NBD ioctls
 *   FBX_ATTACH=fuse         /dev/loopN backed by a FUSE file (any kernel)
 *   FBX_ATTACH_DEAD_TIMEOUT=S  nbd netlink: seconds before a dead server's
 *                           device fails I/O (default 30)
 *
 * When the device attached is not dev_file, buse_main says which on
 * stderr ("buse_main: /dev/loop3 is the device, not /dev/nbd0"); the
 * attach itself logs a line or two there too.
 *
 * It serves until SIGINT, SIGTERM or SIGHUP (the device is detached
 * cleanly: writes in flight complete, then disc is called) or until the
 * kernel side disconnects. Those signals are blocked in the calling
 * thread while buse_main runs and unblocked again when it returns.
 *
 * Returns 0 when the device was detached cleanly, else 1 with errno
 * set and the reason on stderr (nothing is left attached): EINVAL for
 * a bad dev_file, bop, size or environment value, ENODEV when the
 * kernel lacks the way asked for (the missing module is named), EBUSY
 * for a device in use, or the error the attach met. It never calls
 * exit() or abort(); the program carries on after it returns.
 */
#ifndef FUSEBOX_COMPAT_BUSE_H
#define FUSEBOX_COMPAT_BUSE_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct buse_operations {
	int (*read)(void *buf, u_int32_t len, u_int64_t offset, void *userdata);
	int (*write)(const void *buf, u_int32_t len, u_int64_t offset, void *userdata);
	void (*disc)(void *userdata);
	int (*flush)(void *userdata);
	int (*trim)(u_int64_t from, u_int32_t len, void *userdata);

	/* set size, or both blksize and size_blocks (see above) */
	u_int64_t size;
	u_int32_t blksize;
	u_int64_t size_blocks;
};

int buse_main(const char *dev_file, const struct buse_operations *bop, void *userdata);

#ifdef __cplusplus
}
#endif

#endif
