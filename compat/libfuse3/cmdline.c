/*
 * cmdline.c -- fuse_parse_cmdline and the help texts.
 *
 * Two struct sizes exist in the wild: programs built against libfuse
 * before 3.12 know struct fuse_cmdline_opts without max_threads (40
 * bytes) and bind to fuse_parse_cmdline@FUSE_3.0, which must not write
 * past that; newer ones get the whole struct.
 */
#include "compat.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPT(t, field, v) { t, offsetof(struct fuse_cmdline_opts, field), v }

static const struct fuse_opt cmdline_opts[] = {
	OPT("-h", show_help, 1),
	OPT("--help", show_help, 1),
	OPT("-V", show_version, 1),
	OPT("--version", show_version, 1),
	OPT("-d", debug, 1),
	OPT("debug", debug, 1),
	OPT("-d", foreground, 1),
	OPT("debug", foreground, 1),
	/* debug is the session's business too: it stays in args */
	FUSE_OPT_KEY("-d", FUSE_OPT_KEY_KEEP),
	FUSE_OPT_KEY("debug", FUSE_OPT_KEY_KEEP),
	OPT("-f", foreground, 1),
	OPT("-s", singlethread, 1),
	/* a program that names its filesystem gets no default subtype */
	OPT("fsname=", nodefault_subtype, 1),
	FUSE_OPT_KEY("fsname=", FUSE_OPT_KEY_KEEP),
	OPT("subtype=", nodefault_subtype, 1),
	FUSE_OPT_KEY("subtype=", FUSE_OPT_KEY_KEEP),
	OPT("clone_fd", clone_fd, 1),
	OPT("max_idle_threads=%u", max_idle_threads, 0),
	OPT("max_threads=%u", max_threads, 0),
	FUSE_OPT_END
};

/* "/dev/fd/N": a /dev/fuse descriptor the caller opened (and mounted). */
static int is_fd_path(const char *arg)
{
	int fd, end = 0;
	return sscanf(arg, "/dev/fd/%d%n", &fd, &end) == 1 && arg[end] == '\0' && fd >= 0;
}

static int take_mountpoint(void *data, const char *arg, int key, struct fuse_args *out)
{
	struct fuse_cmdline_opts *o = data;
	(void)out;
	if (key != FUSE_OPT_KEY_NONOPT)
		return 1;   /* not ours: left for the session */
	if (o->mountpoint) {
		fbx_fuse3_err("invalid argument `%s'\n", arg);
		return -1;
	}
	if (is_fd_path(arg)) {
		o->mountpoint = strdup(arg);
	} else {
		char abs[PATH_MAX];
		if (!realpath(arg, abs)) {
			fbx_fuse3_err("bad mount point `%s': %s\n", arg, strerror(errno));
			return -1;
		}
		o->mountpoint = strdup(abs);
	}
	if (!o->mountpoint) {
		fbx_fuse3_err("memory allocation failed\n");
		return -1;
	}
	return 0;
}

/* Without -o fsname or -o subtype the mount shows the program's name
 * as its subtype ("fuse.hello_ll"), as with libfuse. */
static int add_default_subtype(struct fuse_args *args)
{
	const char *prog = args->argv[0] ? args->argv[0] : "fuse";
	const char *base = strrchr(prog, '/');
	base = base ? base + 1 : prog;
	char *opt = malloc(strlen(base) + sizeof("-osubtype="));
	if (!opt)
		return -1;
	strcpy(opt, "-osubtype=");
	/* a comma would start a new option */
	for (char *d = opt + strlen(opt); *base; base++)
		if (*base != ',')
			*d++ = *base, *d = '\0';
	int r = fuse_opt_add_arg(args, opt);
	free(opt);
	return r;
}

FBX_SYMVER("fuse_parse_cmdline@@FUSE_3.12")
int fuse_parse_cmdline_312(struct fuse_args *args, struct fuse_cmdline_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->max_idle_threads = UINT_MAX;   /* 3.12: no limit unless asked */
	opts->max_threads = 10;
	if (fuse_opt_parse(args, opts, cmdline_opts, take_mountpoint) == -1)
		return -1;
	if (!opts->nodefault_subtype && add_default_subtype(args) == -1)
		return -1;
	return 0;
}

FBX_SYMVER("fuse_parse_cmdline@FUSE_3.0")
int fuse_parse_cmdline_30(struct fuse_args *args, struct fuse_cmdline_opts *opts)
{
	struct fuse_cmdline_opts full;
	int r = fuse_parse_cmdline_312(args, &full);
	/* before 3.12 the idle default was 10 */
	if (full.max_idle_threads == UINT_MAX)
		full.max_idle_threads = 10;
	memcpy(opts, &full, offsetof(struct fuse_cmdline_opts, max_threads));
	return r;
}

void fuse_cmdline_help(void)
{
	printf("    -h   --help            print help\n"
	       "    -V   --version         print version\n"
	       "    -d   -o debug          enable debug output (implies -f)\n"
	       "    -f                     foreground operation\n"
	       "    -s                     disable multi-threaded operation\n"
	       "    -o clone_fd            use separate fuse device fd for each thread\n"
	       "                           (always the case with fusebox)\n"
	       "    -o max_idle_threads    the maximum number of idle worker threads\n"
	       "                           allowed (accepted; fusebox sizes its pool itself)\n"
	       "    -o max_threads         the maximum number of worker threads\n"
	       "                           allowed (default: 10)\n");
}

void fuse_lowlevel_help(void)
{
	/* The session and mount options are fusebox's: its own help lists
	 * them all (fuse_session_new accepts every one). */
	printf("Options of fusebox's libfuse 3 session (-o opt[,opt...]):\n"
	       "    allow_other, allow_root, auto_unmount, default_permissions,\n"
	       "    fsname=NAME, subtype=NAME, max_read=N, ro, rw, dev, nodev,\n"
	       "    suid, nosuid, exec, noexec, atime, noatime, sync, async, dirsync,\n"
	       "    blkdev (fuseblk on the block device fsname=DEVICE, root only),\n"
	       "    blksize=N (its block size, 512..65536; default: the kernel's)\n"
	       "    and fusebox's session options: max_write=N, max_threads=N, spin=N,\n"
	       "    io_uring / no_io_uring (off unless asked), writeback_cache, ...\n"
	       "    (see fusebox/options.h)\n");
}
