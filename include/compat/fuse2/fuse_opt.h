/*
 * fuse_opt.h -- fusebox's libfuse 2 compatible option parser.
 *
 * Part of fusebox's drop-in libfuse 2 (libfuse.so.2, ABI of libfuse
 * 2.9.9); the parser is the one of the libfuse 3 layer
 * (compat/common/opt.c). Names, signatures and layouts follow libfuse's documented
 * interface; the text and the implementation are fusebox's own.
 *
 * The parser walks an argument vector and matches every option against
 * a table of templates (struct fuse_opt). It understands:
 *
 *   -o a,b=c   a comma-separated list; each item is matched on its own
 *              ("\," escapes a comma, "\\" a backslash)
 *   -x, --long options given as separate arguments
 *   --         end of options; what follows are non-options
 *   other      non-option arguments (program operands)
 *
 * Template forms (the `templ` string):
 *
 *   "name"        matches exactly "name"
 *   "name="       matches "name=" followed by anything (the value)
 *   "name=%fmt"   as above; the value is converted with sscanf(%fmt)
 *                 and stored at `offset` in the data struct; "%s" stores
 *                 a malloc'd copy (an older value there is freed)
 *   "-x %fmt"     the value may be glued ("-x5") or the next argument
 *   "-x "         the value is the next argument or glued; no conversion
 *   "name,other"  not supported: give two templates
 *
 * With offset != -1U, a match stores `value` as an int at that offset
 * (or the converted value for a %fmt template). With FUSE_OPT_KEY()
 * (offset -1U) the match calls the processing function with `value` as
 * its key instead; the function decides whether the option is kept.
 */
#ifndef FUSE_OPT_H_
#define FUSE_OPT_H_

#ifdef __cplusplus
extern "C" {
#endif

/** One template: what it matches, where the result goes. */
struct fuse_opt {
	/** The pattern, in one of the forms listed above. */
	const char *templ;
	/** Byte offset into the caller's data struct, or -1U for a key. */
	unsigned long offset;
	/** Stored at offset when the template matches (or the key). */
	int value;
};

/** A template that is handed to the processing function as `key`. */
#define FUSE_OPT_KEY(templ, key) { templ, -1U, key }
/** Ends a template table. */
#define FUSE_OPT_END { NULL, 0, 0 }

/** An argument vector the parser owns when `allocated` is set. */
struct fuse_args {
	int argc;
	char **argv;
	/** Non-zero: argv and its strings are malloc'd (free them with
	 *  fuse_opt_free_args). Zero: argv is the caller's (main's) vector,
	 *  and the first change copies it. */
	int allocated;
};

/** A fuse_args over main()'s own argc/argv, copied on first change. */
#define FUSE_ARGS_INIT(argc, argv) { argc, argv, 0 }

/* Keys passed to the processing function besides template keys. */
/** An option no template matched ("-x", "--foo", or one -o item). */
#define FUSE_OPT_KEY_OPT     -1
/** A non-option argument. */
#define FUSE_OPT_KEY_NONOPT  -2
/** As a template's key: keep the option in the output, no call. */
#define FUSE_OPT_KEY_KEEP    -3
/** As a template's key: drop the option, no call. */
#define FUSE_OPT_KEY_DISCARD -4

/**
 * Called for a FUSE_OPT_KEY template match, an unmatched option
 * (FUSE_OPT_KEY_OPT) or a non-option (FUSE_OPT_KEY_NONOPT). `arg` is
 * the whole option ("-x5", "name=value"; for an -o item without the
 * "-o"). `outargs` is the output vector, to which the function may add.
 * Return -1 to stop parsing with an error, 0 to drop the argument,
 * 1 to keep it in the output.
 */
typedef int (*fuse_opt_proc_t)(void *data, const char *arg, int key,
                               struct fuse_args *outargs);

/**
 * Parse `args` against `opts` (may be NULL), storing into `data` and
 * calling `proc` (may be NULL: unmatched options are then kept). On
 * success `args` is replaced by what is kept: argv[0], then the kept
 * options (kept -o items joined into one "-o a,b"), then the
 * non-options. Returns 0, or -1 after printing the reason to stderr
 * (bad value, missing argument, out of memory, proc failed).
 */
int fuse_opt_parse(struct fuse_args *args, void *data,
                   const struct fuse_opt opts[], fuse_opt_proc_t proc);

/** Append `opt` to the comma-separated list *opts (malloc'd, may be
 *  NULL). Returns 0, or -1 when out of memory (*opts unchanged). */
int fuse_opt_add_opt(char **opts, const char *opt);
/** As fuse_opt_add_opt, with commas and backslashes of `opt` escaped. */
int fuse_opt_add_opt_escaped(char **opts, const char *opt);
/** Append a copy of `arg`. Returns 0, or -1 when out of memory. */
int fuse_opt_add_arg(struct fuse_args *args, const char *arg);
/** Insert a copy of `arg` at index `pos` (0..argc). Returns 0 or -1. */
int fuse_opt_insert_arg(struct fuse_args *args, int pos, const char *arg);
/** Free an allocated vector and reset it to empty. */
void fuse_opt_free_args(struct fuse_args *args);
/** 1 if some template of `opts` matches the option `opt`, else 0. */
int fuse_opt_match(const struct fuse_opt opts[], const char *opt);

#ifdef __cplusplus
}
#endif
#endif /* FUSE_OPT_H_ */
