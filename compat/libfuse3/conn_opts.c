/*
 * conn_opts.c -- fuse_parse_conn_info_opts / fuse_apply_conn_info_opts:
 * connection settings given as -o options, applied in the init op.
 *
 * Each option either sets a limit or forces a capability on or off;
 * "on" wins only where the kernel offers it (want bits the kernel lacks
 * would make the session fail), "off" always applies.
 */
#include "compat.h"

#include <stddef.h>
#include <stdlib.h>

struct fuse_conn_info_opts {
	unsigned max_write, max_readahead, max_background, congestion_threshold, time_gran;
	int set_max_write, set_max_readahead, set_max_background,
	    set_congestion_threshold, set_time_gran;
	unsigned on, off;   /* FUSE_CAP_* forced on / off */
};

enum {
	/* keys: a capability to force on (positive) or off (negated) */
	K_BASE = 1000,
};

#define LIMIT(name, field) \
	{ name "=%u", offsetof(struct fuse_conn_info_opts, field), 0 }, \
	{ name "=", offsetof(struct fuse_conn_info_opts, set_##field), 1 }
#define ON(name, cap)  FUSE_OPT_KEY(name, K_BASE + __builtin_ctz(cap))
#define OFF(name, cap) FUSE_OPT_KEY(name, -(K_BASE + __builtin_ctz(cap)))

static const struct fuse_opt templates[] = {
	LIMIT("max_write", max_write),
	LIMIT("max_readahead", max_readahead),
	LIMIT("max_background", max_background),
	LIMIT("congestion_threshold", congestion_threshold),
	LIMIT("time_gran", time_gran),
	ON("async_read", FUSE_CAP_ASYNC_READ),
	OFF("sync_read", FUSE_CAP_ASYNC_READ),
	ON("atomic_o_trunc", FUSE_CAP_ATOMIC_O_TRUNC),
	OFF("no_remote_lock", FUSE_CAP_POSIX_LOCKS),
	OFF("no_remote_lock", FUSE_CAP_FLOCK_LOCKS),
	OFF("no_remote_flock", FUSE_CAP_FLOCK_LOCKS),
	OFF("no_remote_posix_lock", FUSE_CAP_POSIX_LOCKS),
	ON("splice_write", FUSE_CAP_SPLICE_WRITE),
	OFF("no_splice_write", FUSE_CAP_SPLICE_WRITE),
	ON("splice_move", FUSE_CAP_SPLICE_MOVE),
	OFF("no_splice_move", FUSE_CAP_SPLICE_MOVE),
	ON("splice_read", FUSE_CAP_SPLICE_READ),
	OFF("no_splice_read", FUSE_CAP_SPLICE_READ),
	ON("auto_inval_data", FUSE_CAP_AUTO_INVAL_DATA),
	OFF("no_auto_inval_data", FUSE_CAP_AUTO_INVAL_DATA),
	OFF("readdirplus=no", FUSE_CAP_READDIRPLUS),
	OFF("readdirplus=yes", FUSE_CAP_READDIRPLUS_AUTO),
	FUSE_OPT_KEY("readdirplus=auto", FUSE_OPT_KEY_DISCARD),
	ON("async_dio", FUSE_CAP_ASYNC_DIO),
	OFF("no_async_dio", FUSE_CAP_ASYNC_DIO),
	ON("writeback_cache", FUSE_CAP_WRITEBACK_CACHE),
	OFF("no_writeback_cache", FUSE_CAP_WRITEBACK_CACHE),
	FUSE_OPT_END
};

static int take(void *data, const char *arg, int key, struct fuse_args *out)
{
	struct fuse_conn_info_opts *o = data;
	(void)arg; (void)out;
	if (key >= K_BASE) {
		o->on |= 1u << (key - K_BASE);
		o->off &= ~(1u << (key - K_BASE));
		return 0;
	}
	if (key <= -K_BASE) {
		o->off |= 1u << (-key - K_BASE);
		o->on &= ~(1u << (-key - K_BASE));
		return 0;
	}
	return 1;   /* not a connection option: stays in args */
}

struct fuse_conn_info_opts *fuse_parse_conn_info_opts(struct fuse_args *args)
{
	struct fuse_conn_info_opts *o = calloc(1, sizeof(*o));
	if (!o) {
		fbx_fuse3_err("memory allocation failed\n");
		return NULL;
	}
	if (fuse_opt_parse(args, o, templates, take) == -1) {
		free(o);
		return NULL;
	}
	return o;
}

void fuse_apply_conn_info_opts(struct fuse_conn_info_opts *o, struct fuse_conn_info *conn)
{
	if (o->set_max_write)
		conn->max_write = o->max_write;
	if (o->set_max_readahead)
		conn->max_readahead = o->max_readahead;
	if (o->set_max_background)
		conn->max_background = o->max_background;
	if (o->set_congestion_threshold)
		conn->congestion_threshold = o->congestion_threshold;
	if (o->set_time_gran)
		conn->time_gran = o->time_gran;
	conn->want |= o->on & conn->capable;
	conn->want &= ~o->off;
}
