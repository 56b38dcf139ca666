/*
 * fusebox/options.h -- the command line and mount options of a
 * fusebox filesystem, shared by the low-level and the path API.
 *
 *   prog [options] MOUNTPOINT
 *     -h, --help      print this help (fbx_options_help) and exit
 *     -V, --version   print the fusebox version and exit
 *     -d              debug: print every request and reply (implies -f)
 *     -f              stay in the foreground
 *     -s              single-threaded
 *     -r              read-only (same as -o ro)
 *     -o OPT[,OPT...] options below
 *
 * Kernel / mount options:
 *   ro, default_permissions, allow_other, allow_root, nonempty,
 *   auto_unmount, fsname=NAME, subtype=NAME, max_read=N,
 *   blkdev, blksize=N (see fuseblk below)
 * Session options:
 *   max_write=N (bytes, default 1 MiB), max_threads=N (default 10),
 *   spin=N (microseconds a worker polls /dev/fuse after a reply before
 *   it sleeps, default 20; 0 never polls nor limits the readers, see
 *   below),
 *   kernel_cache, direct_io, large_read (accepted, no effect on 2.6+),
 *   entry_timeout=S, attr_timeout=S (default 1.0), negative_timeout=S
 *   (default 0), writeback_cache / no_writeback_cache, splice / no_splice,
 *   readdirplus=yes|no|auto, passthrough / no_passthrough,
 *   io_uring / no_io_uring (auto: used when the kernel offers it, i.e.
 *   /sys/module/fuse/parameters/enable_uring is on and this process can
 *   make a ring, except with -s or auto_unmount; -o io_uring where no
 *   ring can be made says why and serves through /dev/fuse), debug.
 *   A daemon that holds its own mount open (a loop device on one of its
 *   files, as attach's FUSE+loop path does) must not use io_uring: killed,
 *   its queue thread can hang in the kernel (seen on Linux 6.18). Over io_uring each CPU's requests are served
 *   in order by that CPU's one queue thread: a handler that waits for
 *   another request sent from the same CPU waits forever. A filesystem
 *   whose handlers wait on each other must reply asynchronously
 *   (fusebox/lowlevel.h) or run with no_io_uring.
 *   splice / no_splice are accepted for compatibility; fusebox copies
 *   instead (the copy from /dev/fuse is not where the time goes, see
 *   bench/README.md).
 * spin: a client that waits for each reply (stat after stat, reads at
 *   queue depth 1) sends its next request a few microseconds after our
 *   reply; a worker still polling takes it without the kernel waking a
 *   sleeping thread (an IPI and two context switches). One worker polls,
 *   and only while it is the sole reader. With several clients at once,
 *   as many workers as CPUs read (without polling) and the others wait
 *   off the device: each request the kernel queues would otherwise wake
 *   a different sleeping worker, where a reader back from its reply
 *   takes the next one without sleeping. When every reader has been
 *   blocked in a handler for over a millisecond (not merely waiting for
 *   a CPU), every idle worker goes back to read(), and stays there until
 *   long runs of quick requests show the handlers do not block. The
 *   cost is up to N microseconds of one CPU after a reply, nothing while
 *   the mount is idle. Polling does not pay on every machine: where a
 *   switch between two threads on one CPU is cheaper than reaching
 *   another CPU, the pool (the woken worker runs on the client's CPU)
 *   serves a lone client faster, up to twice as fast on a 4 KiB read at
 *   queue depth 1. So while one client runs, the session measures both
 *   by turns (a few hundred requests each) and keeps the quicker,
 *   looking again at ever longer intervals while the choice holds; a
 *   client whose next request is always queued before the poller looks
 *   (so polling never gets a fair trial) gets the pool
 *   (lib/fuse/reader_tune.c). spin=0 turns all of this off: every idle
 *   worker waits in read(). With -s the one thread polls or not, as
 *   measured; with io_uring nothing does.
 * fuseblk: -o blkdev mounts the kernel's "fuseblk" type instead of
 *   "fuse", with the block device named by -o fsname=DEVICE as the mount
 *   source (the kernel opens it exclusively while mounted). Only there
 *   does the kernel send BMAP (the FIBMAP ioctl on a file of the mount,
 *   the bmap op of lowlevel.h and fs.h), with the mount's block size:
 *   -o blksize=N, a power of two from 512 to 65536 (the kernel also
 *   refuses one above its page size or below the device's sector size;
 *   without it the kernel picks: the device's block size on Linux 6.18,
 *   512 on older kernels). Root only. Refused before mounting, with a message:
 *   blkdev without fsname, an fsname that is not a block device,
 *   blksize without blkdev. The kernel sends DESTROY at unmount and
 *   waits for its reply, which the session gives.
 * Path-API options (fusebox/fs.h):
 *   hard_remove, use_ino, readdir_ino, umask=M (octal), uid=N, gid=N
 *   noforget, remember=T: keep the node of every name the kernel looked
 *   up after the kernel forgets it, until the name is removed, so file
 *   handles (NFS) stay valid (fs.h, flag_remember, which a filesystem
 *   sets for itself). libfuse's spellings: remember=T keeps nodes for T
 *   seconds there, here until the name goes (T = 0: off, as libfuse).
 *
 * An unknown or malformed option is an error naming it; nothing is
 * mounted. A program may take options of its own through the `app_opt`
 * hook of fbx_options_parse(): it sees every unknown -o option and every
 * non-option argument first (a program like passthrough takes its source
 * directory that way); a non-option argument it does not take is the
 * mountpoint, and only one is allowed.
 */
#ifndef FUSEBOX_OPTIONS_H
#define FUSEBOX_OPTIONS_H

#include <stdio.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Three-way switch for features that may be on, off, or left to us. */
enum fbx_tristate { FBX_AUTO = 0, FBX_ON = 1, FBX_OFF = 2 };

struct fbx_options {
	char *mountpoint;        /**< the one non-option argument (absolute) */
	/* command line */
	int show_help, show_version, debug, foreground, singlethread;
	/* mount */
	int read_only, default_permissions, allow_other, allow_root;
	int nonempty, auto_unmount;
	char *fsname, *subtype;
	unsigned max_read;       /**< 0: no limit */
	/* session */
	unsigned max_write;      /**< bytes; default 1 MiB */
	unsigned max_threads;    /**< worker threads at most; default 10 */
	unsigned spin_us;        /**< poll /dev/fuse this long after a reply; default 20, 0 off */
	int kernel_cache, direct_io, large_read;
	double entry_timeout, attr_timeout, negative_timeout;
	enum fbx_tristate writeback_cache, splice, readdirplus, passthrough, io_uring;
	/* path API */
	int hard_remove, use_ino, readdir_ino;
	int set_umask, set_uid, set_gid;
	mode_t umask;
	uid_t uid;
	gid_t gid;
	/**
	 * The FUSE kernel module's own options as the parser saw them
	 * (default_permissions, allow_other, max_read=N, subtype=NAME; "" if
	 * none), for display. Read-only: at mount time the same builder runs
	 * again on the session's options, adds the program's name as subtype
	 * when none is set, and passes the result to mount(2) or fusermount3.
	 */
	char *kernel_opts;
	/**
	 * MS_* flags for mount(2), from -r/ro/rw and the generic mount options
	 * (dev/nodev, suid/nosuid, exec/noexec, atime/noatime, sync/async,
	 * dirsync). Default MS_NOSUID|MS_NODEV. For fusermount3 they are spelt
	 * as option names (ro, nosuid, ...) by the mount code.
	 */
	unsigned long mount_flags;
	/** basename of argv[0] (set by fbx_options_parse), for messages */
	char *progname;
	/* fuseblk (see the top); last, so the fields above keep their offsets */
	int blkdev;              /**< mount type fuseblk on the device named by fsname */
	unsigned blksize;        /**< fuseblk block size; 0: the kernel picks */
	/** no subtype unless subtype= says one (libfuse 2: its fuse_main adds
	 * the program's name itself, and not when fsname= is given) */
	int no_default_subtype;
	/** noforget / remember=T: the path layer remembers forgotten nodes */
	int noforget;
};

/**
 * Application options: called for each -o KEY[=VALUE] fusebox does not
 * know, and for each extra non-option argument (key = the argument,
 * value = NULL, is_arg = 1). Return 1 if taken, 0 if unknown (an error),
 * or a negated errno if the value is bad.
 */
typedef int (*fbx_app_opt_fn)(void *app_data, const char *key,
                              const char *value, int is_arg);

/**
 * What a program adds to the standard command line, for fbx_main_app()
 * (fusebox/fs.h) and fbx_ll_main_app() (fusebox/lowlevel.h). Those do
 * the rest the same way for every program: parse, -h (the usage line,
 * `help`, then every standard option), -V (one line: "PROG (fusebox
 * VERSION, FUSE protocol MAJOR.MINOR)"), setup, mount and serve,
 * cleanup. Every field may be NULL (zero-initialize the struct).
 */
struct fbx_app {
	/** The arguments after "usage: PROG " (default "[options] MOUNTPOINT"). */
	const char *usage;
	/** Printed after the usage line in -h: what the program does and its
	 *  own options, ending with a newline. */
	const char *help;
	/** The program's -o options and extra arguments; gets the userdata
	 *  of the main call as app_data. */
	fbx_app_opt_fn opt;
	/** After parsing (not for -h/-V), before the session is made: check
	 *  what the options gave and set up the userdata. Returns 0, or a
	 *  negated errno after printing why to stderr (the program then
	 *  exits with status 1 without mounting). */
	int (*setup)(void *userdata, const struct fbx_options *o);
	/** Last, once the session is gone, whenever setup was called
	 *  (whatever it returned): free what it set up. */
	void (*cleanup)(void *userdata);
};

/** The fusebox version, "MAJOR.MINOR.PATCH" (what -V prints). */
const char *fbx_version(void);

/** Fill `o` with the defaults. */
void fbx_options_init(struct fbx_options *o);
/**
 * Parse argv into `o` (initialised here). Returns 0, or -EINVAL after
 * printing "PROG: <what is wrong>" to stderr. With -h/-V the flags are
 * set and no mountpoint is required.
 */
int fbx_options_parse(struct fbx_options *o, int argc, char *argv[],
                      fbx_app_opt_fn app_opt, void *app_data);
/** Parse one comma-separated -o list into `o` (same rules). */
int fbx_options_parse_o(struct fbx_options *o, const char *list,
                        fbx_app_opt_fn app_opt, void *app_data);
/** Print the usage and every option with a line of help. */
void fbx_options_help(FILE *out, const char *progname);
/** Copy (deep) and free. */
int fbx_options_copy(struct fbx_options *dst, const struct fbx_options *src);
void fbx_options_free(struct fbx_options *o);

#ifdef __cplusplus
}
#endif
#endif /* FUSEBOX_OPTIONS_H */
