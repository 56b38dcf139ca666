/*
 * lib/attach/attach_int.h -- how the attach paths plug into attach.c.
 *
 * attach.c owns struct fbx_attach, picks a path (fusebox/attach.h says
 * in which order) and calls that path's functions. Each path lives in
 * its own file: nbd_ioctl.c, nbd_netlink.c, ublk.c, fuseloop.c.
 */
#ifndef FBX_ATTACH_INT_H
#define FBX_ATTACH_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "fusebox/attach.h"
#include "dev/dev.h"

struct fbx_attach;

struct fbx_attach_path_ops {
	const char *name;                        /* "nbd-netlink" */
	/* 0 if this machine can take this path, else -errno with `why`
	 * filled ("the nbd module is not loaded: modprobe nbd"). */
	int (*probe)(char *why, size_t whysize);
	/* Create the device; on success at->device is set and I/O works. */
	int (*start)(struct fbx_attach *at);
	/* Serve until stopped or the kernel lets go; 0 or -errno. */
	int (*wait)(struct fbx_attach *at);
	/* Remove the device and free the path's state (after wait). */
	void (*destroy)(struct fbx_attach *at);
};

struct fbx_attach {
	const struct fbx_attach_path_ops *p;
	enum fbx_attach_path   path;
	struct fbx_dev         dev;            /* every device call goes through it */
	struct fbx_dev_info    info;           /* dev as info, defaults filled in */
	struct fbx_attach_opts opts;
	char                   device[64];
	atomic_int             stopping;
	int                    wake_fd;        /* eventfd: stop asked, or the path's
	                                          serving side ended (attach_util.h) */
	void                  *priv;           /* the path's own state */
};

extern const struct fbx_attach_path_ops fbx_attach_fuseloop;
extern const struct fbx_attach_path_ops fbx_attach_nbd_ioctl;
extern const struct fbx_attach_path_ops fbx_attach_nbd_netlink;
extern const struct fbx_attach_path_ops fbx_attach_ublk;

#endif
