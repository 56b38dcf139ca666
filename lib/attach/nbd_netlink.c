#include "attach/attach_int.h"
#include <errno.h>
#include <stdio.h>
static int p(char *w, size_t n) { snprintf(w, n, "nbd_netlink: not implemented yet"); return -ENOTSUP; }
static int s(struct fbx_attach *at) { return -ENOTSUP; }
static void d(struct fbx_attach *at) { }
const struct fbx_attach_path_ops fbx_attach_nbd_netlink = { .name = "nbd_netlink", .probe = p, .start = s, .wait = s, .stop = d, .destroy = d };
