/*
 * options.c -- the command line and -o options (fusebox/options.h).
 *
 * What ends up where:
 *   - fields of struct fbx_options, one per option;
 *   - mount_flags: the MS_* flags of mount(2) (ro/rw and the generic
 *     mount options), default MS_NOSUID|MS_NODEV as any FUSE mount;
 *   - kernel_opts: the options for the FUSE kernel module's own parser,
 *     comma-separated, in this order and only when set:
 *         default_permissions, allow_other, max_read=N, blksize=N,
 *         subtype=NAME
 *     Every one of these is accepted both in the data string of mount(2)
 *     and by fusermount3. allow_other is also put there for allow_root:
 *     the kernel knows no allow_root, so the session must itself refuse
 *     requests from users other than the mount owner and root.
 *     Not in kernel_opts: fd=, rootmode=, user_id=, group_id= (the mount
 *     code adds them), fsname (the mount source of mount(2); fusermount3
 *     takes fsname=), auto_unmount and nonempty (fusermount3 only), and
 *     the mount flags (mount_flags), blkdev (it picks the type
 *     "fuseblk" of mount(2); fusermount3 takes blkdev). blksize=N only
 *     with blkdev: the kernel refuses it for "fuse". The string is ""
 *     when none is set.
 *
 * Nothing here is global: every call works on the struct it is given.
 */
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "fuse/options_int.h"

#ifndef FBX_VERSION
#define FBX_VERSION "unknown"
#endif

#define FBX_DEFAULT_MAX_WRITE   (1u << 20)
#define FBX_MIN_MAX_WRITE       4096u
/* The kernel caps a request at max_pages (256 pages = 1 MiB on most
 * configurations, more with a larger fuse_max_pages_limit); 16 MiB
 * leaves room for that without accepting nonsense. */
#define FBX_MAX_MAX_WRITE       (16u << 20)
#define FBX_DEFAULT_MAX_THREADS 10u
/* A bound that only catches typos: threads are started on demand. */
#define FBX_MAX_MAX_THREADS     65536u
/* Long enough for a client woken by our reply to send its next request
 * (10-15 us measured here), short enough to cost little when none comes. */
#define FBX_DEFAULT_SPIN_US     20u
#define FBX_MAX_SPIN_US         1000000u
#define FBX_DEFAULT_MOUNT_FLAGS (MS_NOSUID | MS_NODEV)
/* What a block size may be anywhere (sb_set_blocksize); the kernel
 * narrows it to its page size and the device's sector size. */
#define FBX_MIN_BLKSIZE         512u
#define FBX_MAX_BLKSIZE         65536u

const char *fbx_version(void)
{
	return FBX_VERSION;
}

static const char *prog_of(const struct fbx_options *o)
{
	return o->progname && *o->progname ? o->progname : "fusebox";
}

void fbx_options_init(struct fbx_options *o)
{
	memset(o, 0, sizeof *o);
	o->max_write = FBX_DEFAULT_MAX_WRITE;
	o->max_threads = FBX_DEFAULT_MAX_THREADS;
	o->spin_us = FBX_DEFAULT_SPIN_US;
	o->attr_timeout = 1.0;
	o->entry_timeout = 1.0;
	o->negative_timeout = 0.0;
	o->writeback_cache = FBX_AUTO;
	o->splice = FBX_AUTO;
	o->readdirplus = FBX_AUTO;
	o->passthrough = FBX_AUTO;
	o->io_uring = FBX_AUTO;
	o->mount_flags = FBX_DEFAULT_MOUNT_FLAGS;
}

void fbx_options_free(struct fbx_options *o)
{
	if (!o)
		return;
	free(o->mountpoint);
	free(o->fsname);
	free(o->subtype);
	free(o->kernel_opts);
	free(o->progname);
	o->mountpoint = o->fsname = o->subtype = o->kernel_opts = NULL;
	o->progname = NULL;
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

int fbx_options_copy(struct fbx_options *dst, const struct fbx_options *src)
{
	*dst = *src;
	dst->mountpoint = dst->fsname = dst->subtype = NULL;
	dst->kernel_opts = dst->progname = NULL;
	if (dup_str(&dst->mountpoint, src->mountpoint) ||
	    dup_str(&dst->fsname, src->fsname) ||
	    dup_str(&dst->subtype, src->subtype) ||
	    dup_str(&dst->kernel_opts, src->kernel_opts) ||
	    dup_str(&dst->progname, src->progname)) {
		fbx_options_free(dst);
		return -ENOMEM;
	}
	return 0;
}

/* ---- kernel_opts ------------------------------------------------------ */

int fbx_kernel_opts_build(const struct fbx_options *o, const char *subtype, char **out)
{
	char max_read[32] = "", blksize[32] = "";
	if (o->max_read)
		snprintf(max_read, sizeof max_read, "max_read=%u", o->max_read);
	if (o->blkdev && o->blksize)
		snprintf(blksize, sizeof blksize, "blksize=%u", o->blksize);
	const char *parts[] = {
		o->default_permissions ? "default_permissions" : "",
		o->allow_other || o->allow_root ? "allow_other" : "",
		max_read,
		blksize,
	};
	size_t n = sizeof parts / sizeof parts[0];
	size_t len = 1 + (subtype ? strlen(",subtype=") + strlen(subtype) : 0);
	for (size_t i = 0; i < n; i++)
		len += strlen(parts[i]) + 1;
	char *s = malloc(len);
	if (!s)
		return -ENOMEM;
	size_t at = 0;
	s[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (*parts[i])
			at += (size_t)snprintf(s + at, len - at, "%s%s", at ? "," : "", parts[i]);
	if (subtype)
		snprintf(s + at, len - at, "%ssubtype=%s", at ? "," : "", subtype);
	*out = s;
	return 0;
}

static int build_kernel_opts(struct fbx_options *o)
{
	char *s;
	int err = fbx_kernel_opts_build(o, o->subtype, &s);
	if (err)
		return err;
	free(o->kernel_opts);
	o->kernel_opts = s;
	return 0;
}

/* ---- values ----------------------------------------------------------- */

/* Strict unsigned decimal: digits only, no sign, no blanks, no overflow. */
static int parse_ulong(const char *v, int base, unsigned long max, unsigned long *out)
{
	if (!v || !*v)
		return -EINVAL;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > (base == 8 ? '7' : '9'))
			return -EINVAL;
	}
	errno = 0;
	char *end;
	unsigned long x = strtoul(v, &end, base);
	if (errno || *end || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

/* Seconds: a finite, non-negative decimal number. */
static int parse_seconds(const char *v, double *out)
{
	if (!v || !*v || !((*v >= '0' && *v <= '9') || *v == '.'))
		return -EINVAL;
	for (const char *p = v; *p; p++) {
		/* Only plain decimal notation: no hex floats, inf or nan. */
		if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' ||
		      *p == 'E' || *p == '-' || *p == '+'))
			return -EINVAL;
	}
	errno = 0;
	char *end;
	double d = strtod(v, &end);
	if (errno || *end || !isfinite(d) || d < 0)
		return -EINVAL;
	*out = d;
	return 0;
}

/* ---- the -o table ------------------------------------------------------ */

enum kind {
	K_FLAG,     /* int field = 1 */
	K_TRI_ON,   /* tristate = FBX_ON */
	K_TRI_OFF,  /* tristate = FBX_OFF */
	K_SPECIAL,  /* handled by code, no value */
	K_VALUE,    /* needs =VALUE, handled by code */
};

enum special {
	S_NONE, S_RO, S_RW, S_ALLOW_OTHER, S_ALLOW_ROOT, S_DEBUG,
	S_MSET, S_MCLEAR,
	S_FSNAME, S_SUBTYPE, S_MAX_READ, S_MAX_WRITE, S_MAX_THREADS, S_SPIN,
	S_ENTRY_TO, S_ATTR_TO, S_NEG_TO, S_READDIRPLUS, S_UMASK, S_UID, S_GID, S_REMEMBER,
	S_FUSEBLK_SIZE,
};

struct optdef {
	const char *name;
	enum kind kind;
	size_t off;          /* field offset for K_FLAG / K_TRI_* */
	enum special sp;
	unsigned long mflag; /* for S_MSET / S_MCLEAR */
	const char *help;    /* one line for fbx_options_help */
};

#define F(field) offsetof(struct fbx_options, field)

static const struct optdef optdefs[] = {
	/* kernel / mount */
	{ "ro", K_SPECIAL, 0, S_RO, 0, "mount read-only (same as -r)" },
	{ "rw", K_SPECIAL, 0, S_RW, 0, "mount read-write (the default)" },
	{ "default_permissions", K_FLAG, F(default_permissions), S_NONE, 0,
	  "let the kernel check permissions from the file modes" },
	{ "allow_other", K_SPECIAL, 0, S_ALLOW_OTHER, 0,
	  "let all users access the mount (needs user_allow_other for non-root)" },
	{ "allow_root", K_SPECIAL, 0, S_ALLOW_ROOT, 0,
	  "let the owner and root access the mount (not with allow_other)" },
	{ "nonempty", K_FLAG, F(nonempty), S_NONE, 0,
	  "mount over another mount (refused without it); a non-empty directory is fine anyway" },
	{ "auto_unmount", K_FLAG, F(auto_unmount), S_NONE, 0,
	  "unmount automatically when the filesystem process dies" },
	{ "fsname", K_VALUE, 0, S_FSNAME, 0, "=NAME  the source shown in /proc/mounts" },
	{ "subtype", K_VALUE, 0, S_SUBTYPE, 0, "=NAME  type shown as fuse.NAME" },
	{ "max_read", K_VALUE, 0, S_MAX_READ, 0, "=N  largest read request in bytes (0 = no limit)" },
	{ "blkdev", K_FLAG, F(blkdev), S_NONE, 0,
	  "mount as fuseblk on the block device named by fsname= (root only)" },
	{ "blksize", K_VALUE, 0, S_FUSEBLK_SIZE, 0,
	  "=N  fuseblk block size, a power of two 512..65536 (default: the kernel's)" },
	/* generic mount flags */
	{ "dev", K_SPECIAL, 0, S_MCLEAR, MS_NODEV, "allow device special files" },
	{ "nodev", K_SPECIAL, 0, S_MSET, MS_NODEV, "do not interpret device special files (default)" },
	{ "suid", K_SPECIAL, 0, S_MCLEAR, MS_NOSUID, "honour set-user/group-id bits" },
	{ "nosuid", K_SPECIAL, 0, S_MSET, MS_NOSUID, "ignore set-user/group-id bits (default)" },
	{ "exec", K_SPECIAL, 0, S_MCLEAR, MS_NOEXEC, "allow running programs (default)" },
	{ "noexec", K_SPECIAL, 0, S_MSET, MS_NOEXEC, "do not allow running programs" },
	{ "atime", K_SPECIAL, 0, S_MCLEAR, MS_NOATIME, "update access times (default)" },
	{ "noatime", K_SPECIAL, 0, S_MSET, MS_NOATIME, "do not update access times" },
	{ "nodiratime", K_SPECIAL, 0, S_MSET, MS_NODIRATIME, "do not update directories' access times" },
	{ "diratime", K_SPECIAL, 0, S_MCLEAR, MS_NODIRATIME, "update directories' access times (default)" },
	{ "strictatime", K_SPECIAL, 0, S_MSET, MS_STRICTATIME, "update access times on every read" },
	{ "relatime", K_SPECIAL, 0, S_MCLEAR, MS_STRICTATIME,
	  "update access times only if older than the last change, or a day (default)" },
	{ "sync", K_SPECIAL, 0, S_MSET, MS_SYNCHRONOUS, "synchronous I/O" },
	{ "async", K_SPECIAL, 0, S_MCLEAR, MS_SYNCHRONOUS, "asynchronous I/O (default)" },
	{ "dirsync", K_SPECIAL, 0, S_MSET, MS_DIRSYNC, "synchronous directory updates" },
	/* session */
	{ "max_write", K_VALUE, 0, S_MAX_WRITE, 0,
	  "=N  largest write request in bytes (4096..16777216, default 1048576)" },
	{ "max_threads", K_VALUE, 0, S_MAX_THREADS, 0,
	  "=N  worker threads at most (1..65536, default 10)" },
	{ "spin", K_VALUE, 0, S_SPIN, 0,
	  "=N  microseconds to poll for the next request after a reply (default 20, 0 off)" },
	{ "kernel_cache", K_FLAG, F(kernel_cache), S_NONE, 0, "keep cached file data on open" },
	{ "direct_io", K_FLAG, F(direct_io), S_NONE, 0, "bypass the page cache for file data" },
	{ "large_read", K_FLAG, F(large_read), S_NONE, 0,
	  "accepted for compatibility (no effect since Linux 2.6)" },
	{ "entry_timeout", K_VALUE, 0, S_ENTRY_TO, 0, "=S  seconds names are cached (default 1.0)" },
	{ "attr_timeout", K_VALUE, 0, S_ATTR_TO, 0, "=S  seconds attributes are cached (default 1.0)" },
	{ "negative_timeout", K_VALUE, 0, S_NEG_TO, 0,
	  "=S  seconds a missing name is cached (default 0)" },
	{ "writeback_cache", K_TRI_ON, F(writeback_cache), S_NONE, 0, "let the kernel cache writes" },
	{ "no_writeback_cache", K_TRI_OFF, F(writeback_cache), S_NONE, 0, "write through (no write cache)" },
	{ "splice", K_TRI_ON, F(splice), S_NONE, 0, "accepted; fusebox does not splice (measured no gain)" },
	{ "no_splice", K_TRI_OFF, F(splice), S_NONE, 0, "accepted; same as the default" },
	{ "readdirplus", K_VALUE, 0, S_READDIRPLUS, 0,
	  "=yes|no|auto  return attributes with directory listings" },
	{ "passthrough", K_TRI_ON, F(passthrough), S_NONE, 0, "allow FUSE passthrough of file I/O" },
	{ "no_passthrough", K_TRI_OFF, F(passthrough), S_NONE, 0, "never use FUSE passthrough" },
	{ "io_uring", K_TRI_ON, F(io_uring), S_NONE, 0, "serve requests over io_uring" },
	{ "no_io_uring", K_TRI_OFF, F(io_uring), S_NONE, 0, "never use io_uring" },
	{ "debug", K_SPECIAL, 0, S_DEBUG, 0, "print every request and reply (same as -d)" },
	/* path API */
	{ "hard_remove", K_FLAG, F(hard_remove), S_NONE, 0,
	  "remove open files at once (no .fbx_hidden<N> files)" },
	{ "use_ino", K_FLAG, F(use_ino), S_NONE, 0, "use the filesystem's inode numbers" },
	{ "readdir_ino", K_FLAG, F(readdir_ino), S_NONE, 0,
	  "fill in inode numbers in listings when use_ino is off" },
	{ "noforget", K_FLAG, F(noforget), S_NONE, 0,
	  "keep forgotten nodes while they have a name (file handles, NFS)" },
	{ "remember", K_VALUE, 0, S_REMEMBER, 0, "=T  as noforget unless T is 0 (seconds in libfuse)" },
	{ "umask", K_VALUE, 0, S_UMASK, 0, "=M  every file's permissions are 0777 & ~M (octal)" },
	{ "uid", K_VALUE, 0, S_UID, 0, "=N  owner of all files" },
	{ "gid", K_VALUE, 0, S_GID, 0, "=N  group of all files" },
};

static const struct optdef *find_opt(const char *key)
{
	for (size_t i = 0; i < sizeof optdefs / sizeof optdefs[0]; i++)
		if (strcmp(optdefs[i].name, key) == 0)
			return &optdefs[i];
	return NULL;
}

static int bad_value(const struct fbx_options *o, const char *key, const char *val,
                     const char *want)
{
	fprintf(stderr, "%s: bad value `%s' in option `-o %s=%s' (%s)\n",
	        prog_of(o), val, key, val, want);
	return -EINVAL;
}

/* A subtype goes into kernel_opts, which has no escapes: no commas there.
 * The fsname is the mount source and may hold any character. */
static int set_string(const struct fbx_options *o, char **field, const char *key,
                      const char *val, int comma_ok)
{
	if (!*val)
		return bad_value(o, key, val, "a non-empty name expected");
	if (!comma_ok && strchr(val, ','))
		return bad_value(o, key, val, "a name without commas expected");
	char *s = strdup(val);
	if (!s) {
		fprintf(stderr, "%s: out of memory\n", prog_of(o));
		return -ENOMEM;
	}
	free(*field);
	*field = s;
	return 0;
}

static int apply_value(struct fbx_options *o, const struct optdef *d, const char *val)
{
	unsigned long x;
	double t;

	switch (d->sp) {
	case S_FSNAME:
		return set_string(o, &o->fsname, d->name, val, 1);
	case S_SUBTYPE:
		return set_string(o, &o->subtype, d->name, val, 0);
	case S_MAX_READ:
		if (parse_ulong(val, 10, UINT_MAX, &x))
			return bad_value(o, d->name, val, "a number of bytes expected");
		o->max_read = (unsigned)x;
		return 0;
	case S_MAX_WRITE:
		if (parse_ulong(val, 10, UINT_MAX, &x) || x < FBX_MIN_MAX_WRITE ||
		    x > FBX_MAX_MAX_WRITE)
			return bad_value(o, d->name, val, "4096..16777216 bytes expected");
		o->max_write = (unsigned)x;
		return 0;
	case S_MAX_THREADS:
		if (parse_ulong(val, 10, FBX_MAX_MAX_THREADS, &x) || x < 1)
			return bad_value(o, d->name, val, "1..65536 expected");
		o->max_threads = (unsigned)x;
		return 0;
	case S_FUSEBLK_SIZE:
		if (parse_ulong(val, 10, FBX_MAX_BLKSIZE, &x) || x < FBX_MIN_BLKSIZE ||
		    (x & (x - 1)))
			return bad_value(o, d->name, val, "a power of two 512..65536 expected");
		o->blksize = (unsigned)x;
		return 0;
	case S_SPIN:
		if (parse_ulong(val, 10, FBX_MAX_SPIN_US, &x))
			return bad_value(o, d->name, val, "0..1000000 microseconds expected");
		o->spin_us = (unsigned)x;
		return 0;
	case S_ENTRY_TO:
	case S_ATTR_TO:
	case S_NEG_TO:
		if (parse_seconds(val, &t))
			return bad_value(o, d->name, val, "seconds >= 0 expected");
		if (d->sp == S_ENTRY_TO)
			o->entry_timeout = t;
		else if (d->sp == S_ATTR_TO)
			o->attr_timeout = t;
		else
			o->negative_timeout = t;
		return 0;
	case S_READDIRPLUS:
		if (strcmp(val, "yes") == 0)
			o->readdirplus = FBX_ON;
		else if (strcmp(val, "no") == 0)
			o->readdirplus = FBX_OFF;
		else if (strcmp(val, "auto") == 0)
			o->readdirplus = FBX_AUTO;
		else
			return bad_value(o, d->name, val, "yes, no or auto expected");
		return 0;
	case S_REMEMBER:
		/* libfuse's -1 ("forever") is as good as any other non-zero T */
		if (strcmp(val, "-1") != 0 && parse_ulong(val, 10, UINT_MAX, &x))
			return bad_value(o, d->name, val, "seconds (or -1) expected");
		o->noforget = strcmp(val, "0") != 0;
		return 0;
	case S_UMASK:
		if (parse_ulong(val, 8, 0777, &x))
			return bad_value(o, d->name, val, "an octal mode expected");
		o->umask = (mode_t)x;
		o->set_umask = 1;
		return 0;
	case S_UID:
	case S_GID:
		/* (uid_t)-1 means "unchanged" to chown(2): never a real owner. */
		if (parse_ulong(val, 10, (unsigned long)UINT_MAX - 1, &x))
			return bad_value(o, d->name, val, "a numeric id expected");
		if (d->sp == S_UID) {
			o->uid = (uid_t)x;
			o->set_uid = 1;
		} else {
			o->gid = (gid_t)x;
			o->set_gid = 1;
		}
		return 0;
	default:
		return -EINVAL;
	}
}

static int conflict(const struct fbx_options *o)
{
	fprintf(stderr, "%s: options `allow_other' and `allow_root' are mutually exclusive\n",
	        prog_of(o));
	return -EINVAL;
}

static int apply_flag(struct fbx_options *o, const struct optdef *d)
{
	char *base = (char *)o;

	switch (d->kind) {
	case K_FLAG:
		*(int *)(base + d->off) = 1;
		return 0;
	case K_TRI_ON:
		*(enum fbx_tristate *)(base + d->off) = FBX_ON;
		return 0;
	case K_TRI_OFF:
		*(enum fbx_tristate *)(base + d->off) = FBX_OFF;
		return 0;
	default:
		break;
	}
	switch (d->sp) {
	case S_RO:
		o->read_only = 1;
		o->mount_flags |= MS_RDONLY;
		return 0;
	case S_RW:
		o->read_only = 0;
		o->mount_flags &= ~(unsigned long)MS_RDONLY;
		return 0;
	case S_ALLOW_OTHER:
		if (o->allow_root)
			return conflict(o);
		o->allow_other = 1;
		return 0;
	case S_ALLOW_ROOT:
		if (o->allow_other)
			return conflict(o);
		o->allow_root = 1;
		return 0;
	case S_DEBUG:
		/* Same as -d: debug output goes to the terminal, so stay there. */
		o->debug = 1;
		o->foreground = 1;
		return 0;
	case S_MSET:
		o->mount_flags |= d->mflag;
		return 0;
	case S_MCLEAR:
		o->mount_flags &= ~d->mflag;
		return 0;
	default:
		return -EINVAL;
	}
}

/* One -o item, already unescaped: "key" or "key=value". */
static int parse_one(struct fbx_options *o, char *item, fbx_app_opt_fn app_opt,
                     void *app_data)
{
	char *eq = strchr(item, '=');
	const char *val = NULL;
	if (eq) {
		*eq = '\0';
		val = eq + 1;
	}
	const struct optdef *d = find_opt(item);
	if (d) {
		if (d->kind == K_VALUE) {
			if (!val) {
				fprintf(stderr, "%s: option `-o %s' needs a value (-o %s%s)\n",
				        prog_of(o), item, item, d->help);
				return -EINVAL;
			}
			return apply_value(o, d, val);
		}
		if (val) {
			fprintf(stderr, "%s: option `-o %s' takes no value (got `-o %s=%s')\n",
			        prog_of(o), item, item, val);
			return -EINVAL;
		}
		return apply_flag(o, d);
	}
	int rc = app_opt ? app_opt(app_data, item, val, 0) : 0;
	if (rc == 1)
		return 0;
	if (rc == 0)
		fprintf(stderr, "%s: unknown option `-o %s%s%s'\n", prog_of(o), item,
		        val ? "=" : "", val ? val : "");
	else
		fprintf(stderr, "%s: bad option `-o %s%s%s': %s\n", prog_of(o), item,
		        val ? "=" : "", val ? val : "", strerror(rc < 0 ? -rc : rc));
	return -EINVAL;
}

/* Parse a list without rebuilding kernel_opts. A backslash makes the next
 * character literal, so a value may hold a comma ("fsname=a\,b"). */
static int parse_list(struct fbx_options *o, const char *list, fbx_app_opt_fn app_opt,
                      void *app_data)
{
	if (!list)
		return 0;
	char *buf = malloc(strlen(list) + 1);
	if (!buf) {
		fprintf(stderr, "%s: out of memory\n", prog_of(o));
		return -ENOMEM;
	}
	const char *p = list;
	int rc = 0;
	while (rc == 0) {
		size_t n = 0;
		while (*p && *p != ',') {
			if (*p == '\\' && p[1])
				p++;
			buf[n++] = *p++;
		}
		buf[n] = '\0';
		if (n)
			rc = parse_one(o, buf, app_opt, app_data);
		if (!*p)
			break;
		p++;
	}
	free(buf);
	return rc;
}

int fbx_options_parse_o(struct fbx_options *o, const char *list,
                        fbx_app_opt_fn app_opt, void *app_data)
{
	int rc = parse_list(o, list, app_opt, app_data);
	if (rc == 0 && build_kernel_opts(o))
		rc = -ENOMEM;
	return rc < 0 ? (rc == -ENOMEM ? rc : -EINVAL) : 0;
}

/* ---- argv ------------------------------------------------------------- */

static int set_progname(struct fbx_options *o, const char *argv0)
{
	const char *b = argv0 ? strrchr(argv0, '/') : NULL;
	b = b ? b + 1 : argv0;
	if (!b || !*b)
		return 0;
	o->progname = strdup(b);
	return o->progname ? 0 : -ENOMEM;
}

static int take_arg(struct fbx_options *o, const char *arg, const char **mnt,
                    fbx_app_opt_fn app_opt, void *app_data)
{
	int rc = app_opt ? app_opt(app_data, arg, NULL, 1) : 0;
	if (rc == 1)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "%s: bad argument `%s': %s\n", prog_of(o), arg, strerror(-rc));
		return -EINVAL;
	}
	if (rc > 1) {
		fprintf(stderr, "%s: bad argument `%s': %s\n", prog_of(o), arg, strerror(rc));
		return -EINVAL;
	}
	if (*mnt) {
		fprintf(stderr, "%s: more than one mount point: `%s' and `%s'\n",
		        prog_of(o), *mnt, arg);
		return -EINVAL;
	}
	*mnt = arg;
	return 0;
}

static int set_mountpoint(struct fbx_options *o, const char *mnt)
{
	char *abs = realpath(mnt, NULL);
	if (!abs) {
		int e = errno;
		fprintf(stderr, "%s: bad mount point `%s': %s\n", prog_of(o), mnt, strerror(e));
		return e == ENOMEM ? -ENOMEM : -EINVAL;
	}
	struct stat st;
	int e = stat(abs, &st) != 0 ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR : 0;
	if (e) {
		fprintf(stderr, "%s: bad mount point `%s': %s\n", prog_of(o), mnt, strerror(e));
		free(abs);
		return -EINVAL;
	}
	o->mountpoint = abs;
	return 0;
}

static int parse_argv(struct fbx_options *o, int argc, char *argv[],
                      fbx_app_opt_fn app_opt, void *app_data)
{
	const char *mnt = NULL;
	int rc, only_args = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!a)
			break;
		if (only_args || a[0] != '-' || a[1] == '\0') {
			if ((rc = take_arg(o, a, &mnt, app_opt, app_data)))
				return rc;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_args = 1;
			continue;
		}
		if (strcmp(a, "--help") == 0) {
			o->show_help = 1;
			continue;
		}
		if (strcmp(a, "--version") == 0) {
			o->show_version = 1;
			continue;
		}
		if (a[1] == '-') {
			fprintf(stderr, "%s: unknown option `%s'\n", prog_of(o), a);
			return -EINVAL;
		}
		/* A cluster of one-letter flags ("-df"); -o takes the rest of
		 * the word or the next argument. */
		int word_done = 0;
		for (const char *c = a + 1; *c && !word_done; c++) {
			switch (*c) {
			case 'h': o->show_help = 1; break;
			case 'V': o->show_version = 1; break;
			case 'd': o->debug = 1; o->foreground = 1; break;
			case 'f': o->foreground = 1; break;
			case 's': o->singlethread = 1; break;
			case 'r':
				o->read_only = 1;
				o->mount_flags |= MS_RDONLY;
				break;
			case 'o': {
				const char *list = c[1] ? c + 1 : NULL;
				if (!list) {
					if (i + 1 >= argc || !argv[i + 1]) {
						fprintf(stderr, "%s: option `-o' needs an argument\n",
						        prog_of(o));
						return -EINVAL;
					}
					list = argv[++i];
				}
				if ((rc = parse_list(o, list, app_opt, app_data)))
					return rc;
				word_done = 1; /* the list ends this word */
				break;
			}
			default:
				fprintf(stderr, "%s: unknown option `-%c'\n", prog_of(o), *c);
				return -EINVAL;
			}
		}
	}
	if (o->show_help || o->show_version) {
		/* Nothing will be mounted; keep a given mount point as it is. */
		if (mnt && !(o->mountpoint = strdup(mnt)))
			return -ENOMEM;
		return 0;
	}
	if (!mnt) {
		fprintf(stderr, "%s: no mount point given (see %s --help)\n",
		        prog_of(o), prog_of(o));
		return -EINVAL;
	}
	return set_mountpoint(o, mnt);
}

int fbx_options_parse(struct fbx_options *o, int argc, char *argv[],
                      fbx_app_opt_fn app_opt, void *app_data)
{
	fbx_options_init(o);
	int rc = set_progname(o, argc > 0 && argv ? argv[0] : NULL);
	if (rc == 0)
		rc = parse_argv(o, argc, argv, app_opt, app_data);
	if (rc == 0)
		rc = build_kernel_opts(o);
	if (rc) {
		if (rc == -ENOMEM)
			fprintf(stderr, "%s: out of memory\n", prog_of(o));
		fbx_options_free(o);
		fbx_options_init(o);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	return 0;
}

/* ---- help ------------------------------------------------------------- */

void fbx_options_help(FILE *out, const char *progname)
{
	fbx_options_help_app(out, progname, NULL);
}

void fbx_options_help_app(FILE *out, const char *progname, const struct fbx_app *app)
{
	const char *p = progname && *progname ? progname : "fusebox";
	fprintf(out, "usage: %s %s\n", p, app && app->usage ? app->usage : "[options] MOUNTPOINT");
	if (app && app->help)
		fprintf(out, "%s", app->help);
	fprintf(out,
	        "\n"
	        "general options:\n"
	        "    -h, --help             print this help and exit\n"
	        "    -V, --version          print the fusebox version (%s) and exit\n"
	        "    -d                     debug: print every request and reply (implies -f)\n"
	        "    -f                     stay in the foreground\n"
	        "    -s                     single-threaded\n"
	        "    -r                     read-only (same as -o ro)\n"
	        "    -o OPT[,OPT...]        mount and session options:\n",
	        FBX_VERSION);
	for (size_t i = 0; i < sizeof optdefs / sizeof optdefs[0]; i++) {
		const struct optdef *d = &optdefs[i];
		char left[64];
		const char *help = d->help;
		if (d->kind == K_VALUE) {
			/* The help of a value option starts "=ARG  text". */
			const char *sp = strstr(help, "  ");
			int arglen = sp ? (int)(sp - help) : 0;
			snprintf(left, sizeof left, "-o %s%.*s", d->name, arglen, help);
			help = sp ? sp + 2 : help;
		} else {
			snprintf(left, sizeof left, "-o %s", d->name);
		}
		fprintf(out, "    %-22s %s\n", left, help);
	}
}
