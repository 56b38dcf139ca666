/*
 * cmdline.c -- fuse_parse_cmdline, the help texts, fuse_version.
 *
 * As in libfuse 2, -h and -V leave a marker in args ("-ho",
 * "--version") after printing, so that fuse_mount, which sees it, makes
 * no mount and the program ends the way it would with libfuse.
 */
#include "fuse2.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cmdline {
	char *mountpoint;
	int singlethread, foreground, nodefault_subtype, help, version;
};

enum { K_HELP, K_VERSION };

#define OPT(t, field, v) { t, offsetof(struct cmdline, field), v }

static const struct fuse_opt cmdline_opts[] = {
	FUSE_OPT_KEY("-h", K_HELP),
	FUSE_OPT_KEY("--help", K_HELP),
	FUSE_OPT_KEY("-ho", K_HELP),
	FUSE_OPT_KEY("-V", K_VERSION),
	FUSE_OPT_KEY("--version", K_VERSION),
	OPT("-d", foreground, 1),
	OPT("debug", foreground, 1),
	/* debug is the session's business too: it stays in args */
	FUSE_OPT_KEY("-d", FUSE_OPT_KEY_KEEP),
	FUSE_OPT_KEY("debug", FUSE_OPT_KEY_KEEP),
	OPT("-f", foreground, 1),
	FUSE_OPT_KEY("-f", FUSE_OPT_KEY_DISCARD),
	OPT("-s", singlethread, 1),
	FUSE_OPT_KEY("-s", FUSE_OPT_KEY_DISCARD),
	OPT("fsname=", nodefault_subtype, 1),
	FUSE_OPT_KEY("fsname=", FUSE_OPT_KEY_KEEP),
	OPT("subtype=", nodefault_subtype, 1),
	FUSE_OPT_KEY("subtype=", FUSE_OPT_KEY_KEEP),
	FUSE_OPT_END
};

static void usage(const char *prog)
{
	fprintf(stderr,
	        "usage: %s mountpoint [options]\n\n"
	        "general options:\n"
	        "    -o opt,[opt...]        mount options\n"
	        "    -h   --help            print help\n"
	        "    -V   --version         print version\n"
	        "\n"
	        "FUSE options:\n"
	        "    -d   -o debug          enable debug output (implies -f)\n"
	        "    -f                     foreground operation\n"
	        "    -s                     disable multi-threaded operation\n"
	        "\n", prog);
	/* The mount, session and high-level options are fusebox's parser's:
	 * its own help lists every one (libfuse 2's names included). */
	fbx_options_help(stderr, prog);
}

/* The mount point handed to the program, which frees it (libfuse's
 * examples do not: tests/compat/lsan.supp names this function). */
static char *mountpoint_for_caller(const char *path)
{
	return strdup(path);
}

static int take(void *data, const char *arg, int key, struct fuse_args *out)
{
	struct cmdline *c = data;
	switch (key) {
	case K_HELP:
		c->help = 1;
		usage(out->argv[0]);
		return fuse_opt_add_arg(out, "-ho");
	case K_VERSION:
		c->version = 1;
		fprintf(stderr, "FUSE library version: %s (fusebox %s)\n", "2.9.9", fbx_version());
		return fuse_opt_add_arg(out, "--version");
	case FUSE_OPT_KEY_NONOPT:
		break;
	default:
		return 1;   /* not ours: left for fuse_mount and the session */
	}
	if (c->mountpoint) {
		fbx_fuse2_err("invalid argument `%s'\n", arg);
		return -1;
	}
	char abs[PATH_MAX];
	if (strncmp(arg, "/dev/fd/", 8) == 0)
		c->mountpoint = mountpoint_for_caller(arg);
	else if (realpath(arg, abs))
		c->mountpoint = mountpoint_for_caller(abs);
	else {
		fbx_fuse2_err("bad mount point `%s': %s\n", arg, strerror(errno));
		return -1;
	}
	return c->mountpoint ? 0 : -1;
}

/* Without -o fsname or -o subtype the mount shows the program's name
 * as its subtype ("fuse.hello"), as with libfuse. */
static int add_default_subtype(struct fuse_args *args)
{
	const char *prog = args->argv[0] ? args->argv[0] : "fuse";
	const char *base = strrchr(prog, '/');
	base = base ? base + 1 : prog;
	char *opt = malloc(strlen(base) + sizeof("-osubtype="));
	if (!opt)
		return -1;
	strcpy(opt, "-osubtype=");
	char *d = opt + strlen(opt);
	for (; *base; base++)
		if (*base != ',')   /* a comma would start a new option */
			*d++ = *base;
	*d = '\0';
	int r = fuse_opt_add_arg(args, opt);
	free(opt);
	return r;
}

int fuse_parse_cmdline(struct fuse_args *args, char **mountpoint,
                       int *multithreaded, int *foreground)
{
	struct cmdline c;
	memset(&c, 0, sizeof(c));
	if (fuse_opt_parse(args, &c, cmdline_opts, take) == -1 ||
	    (!c.nodefault_subtype && add_default_subtype(args) == -1)) {
		free(c.mountpoint);
		return -1;
	}
	if (mountpoint)
		*mountpoint = c.mountpoint;
	else
		free(c.mountpoint);
	if (multithreaded)
		*multithreaded = !c.singlethread;
	if (foreground)
		*foreground = c.foreground;
	return 0;
}

int fuse_version(void)
{
	return FUSE_VERSION;
}

/* 2.5 binaries bind fuse_opt_insert_arg@FUSE_2.5: the same call. */
int fuse_opt_insert_arg_compat25(struct fuse_args *args, int pos, const char *arg);
FBX_SYMVER("fuse_opt_insert_arg@FUSE_2.5")
int fuse_opt_insert_arg_compat25(struct fuse_args *args, int pos, const char *arg)
{
	return fuse_opt_insert_arg(args, pos, arg);
}
