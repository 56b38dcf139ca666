/*
 * opt2_preset.c -- a libfuse 2 program's way with fuse_opt_parse: the
 * field of a "%s" option preset to a string literal (convmvfs does
 * this), then replaced by the option's value. libfuse 2 overwrites the
 * pointer; freeing the literal would abort. Prints the value.
 * Built by t_fuse2_examples.sh against our headers and Debian's.
 */
#define FUSE_USE_VERSION 26
#include <fuse_opt.h>
#include <stddef.h>
#include <stdio.h>

struct conf { char *charset; };
static const struct fuse_opt opts[] = {
	{ "charset=%s", offsetof(struct conf, charset), 0 },
	FUSE_OPT_END
};

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct conf c = { "utf-8" };   /* not from malloc */
	if (fuse_opt_parse(&args, &c, opts, NULL) != 0)
		return 1;
	printf("charset=%s\n", c.charset);
	fuse_opt_free_args(&args);
	return 0;
}
