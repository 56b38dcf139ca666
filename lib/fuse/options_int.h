/*
 * lib/fuse/options_int.h -- what options.c and main.c share with the
 * rest of lib/ (private, not installed): the program skeleton behind
 * fbx_ll_main_app and fbx_main_app, its help printer, and the one
 * builder of the options string the FUSE kernel module parses, used by
 * the parser (fbx_options.kernel_opts) and by mount.c (mount(2) data,
 * fusermount3 -o).
 */
#ifndef FBX_FUSE_OPTIONS_INT_H
#define FBX_FUSE_OPTIONS_INT_H

#include <stdio.h>

#include "fusebox/options.h"

struct fbx_session;

/**
 * The kernel's options for `o` (see options.c for which and in what
 * order), with subtype=SUBTYPE last when `subtype` is not NULL.
 * Stores a malloc'ed string ("" when none applies) in *out.
 * Returns 0 or -ENOMEM (*out untouched).
 */
int fbx_kernel_opts_build(const struct fbx_options *o, const char *subtype, char **out);

/** fbx_options_help with a program's usage arguments and text (app may
 *  be NULL: the plain help). */
void fbx_options_help_app(FILE *out, const char *progname, const struct fbx_app *app);

/**
 * A layer's object for the skeleton: made from the parsed options, the
 * program's ops and userdata; *se is set to its session. NULL with
 * errno set on failure.
 */
typedef void *(*fbx_layer_make_fn)(const struct fbx_options *o, const void *ops,
                                   size_t ops_size, void *userdata, struct fbx_session **se);

/**
 * The program skeleton behind fbx_ll_main_app and fbx_main_app (main.c):
 * parse with app's hook, -h, -V, app->setup, make(), fbx_session_main,
 * destroy(), app->cleanup. Returns the process exit status.
 */
int fbx_program_main(int argc, char *argv[], const struct fbx_app *app,
                     fbx_layer_make_fn make, void (*destroy)(void *obj),
                     const void *ops, size_t ops_size, void *userdata);

#endif
