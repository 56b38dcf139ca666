#include "attach/attach_int.h"
#include <errno.h>
#include <stdio.h>
static int p(char *w, size_t n) { snprintf(w, n, "ublk: not implemented yet"); return -ENOTSUP; }
static int s(struct fbx_attach *at) { return -ENOTSUP; }
static void d(struct fbx_attach *at) { }
const struct fbx_attach_path_ops fbx_attach_ublk = { .name = "ublk", .probe = p, .start = s, .wait = s, .stop = d, .destroy = d };
