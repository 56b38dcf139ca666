/*
 * hl_main.c -- fuse_main_real: the whole program in one call, built
 * from the public calls as libfuse's is, with libfuse's exit statuses:
 * 1 bad command line, 2 no mount point, 3 fuse_new failed, 4 mount
 * failed, 5 daemonizing failed, 6 signal handlers failed, 7 the loop
 * ended with an error (or a signal, as libfuse 3.14 reports it).
 */
#include "hl.h"

#include <stdio.h>
#include <stdlib.h>

static int serve(struct fuse *f, const struct fuse_cmdline_opts *opts)
{
	if (opts->singlethread)
		return fuse_loop(f);
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -1;
	fuse_loop_cfg_set_clone_fd(cfg, (unsigned)opts->clone_fd);
	fuse_loop_cfg_set_idle_threads(cfg, opts->max_idle_threads);
	fuse_loop_cfg_set_max_threads(cfg, opts->max_threads);
	int r = fuse_loop_mt_312(f, cfg);
	fuse_loop_cfg_destroy(cfg);
	return r;
}

static int run(struct fuse_args *args, const struct fuse_cmdline_opts *opts,
               const struct fuse_operations *op, size_t op_size, void *private_data)
{
	struct fuse *f = fuse_new_31(args, op, op_size, private_data);
	int status = 0;
	if (!f)
		return 3;
	if (fuse_mount(f, opts->mountpoint) != 0) {
		status = 4;
	} else {
		struct fuse_session *se = fuse_get_session(f);
		if (fuse_daemonize(opts->foreground) != 0)
			status = 5;
		else if (fuse_set_signal_handlers(se) != 0)
			status = 6;
		else {
			if (serve(f, opts) != 0)
				status = 7;
			fuse_remove_signal_handlers(se);
		}
		fuse_unmount(f);
	}
	fuse_destroy(f);
	return status;
}

int fuse_main_real(int argc, char *argv[], const struct fuse_operations *op,
                   size_t op_size, void *private_data)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts;
	int status;
	if (fuse_parse_cmdline_312(&args, &opts) != 0)
		return 1;
	if (opts.show_version) {
		printf("FUSE library version %s\n", fuse_pkgversion());
		fuse_lowlevel_version();
		status = 0;
	} else if (opts.show_help) {
		if (args.argv[0][0] != '\0')
			printf("usage: %s [options] <mountpoint>\n\n", args.argv[0]);
		printf("FUSE options:\n");
		fuse_cmdline_help();
		fuse_lib_help(&args);
		status = 0;
	} else if (!opts.mountpoint) {
		fbx_fuse3_err("error: no mountpoint specified\n");
		status = 2;
	} else {
		status = run(&args, &opts, op, op_size, private_data);
	}
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	return status;
}
