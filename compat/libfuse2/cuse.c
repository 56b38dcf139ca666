/*
 * cuse.c -- cuse_lowlevel_* (libfuse 2.8/2.9) onto fusebox/cuse.h.
 *
 * A CUSE session is a libfuse 2 session (fuse_session_loop, _exit,
 * _destroy and the fuse_reply_* calls work on it unchanged) whose
 * fbx_ll_ops translate to the device's struct cuse_lowlevel_ops, kept
 * beside it. libfuse gives the device's name as one of the udev lines
 * ("DEVNAME=name"); fusebox takes it apart from the others.
 *
 * Unlike libfuse 2, cuse_lowlevel_new opens /dev/cuse itself (libfuse 2
 * leaves that to cuse_lowlevel_setup): fusebox's CUSE session owns its
 * descriptor, so the session has no channel to add.
 */
#include "fuse2.h"

#include <cuse_lowlevel.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fusebox/cuse.h"

struct cuse_session {
	struct fuse_session se;        /* first: fuse_session_destroy frees it */
	struct cuse_lowlevel_ops clop;
};

#define UREQ(req) fbx_fuse2_ureq(req)
#define CLOP(req) (((struct cuse_session *)fbx_fuse2_session(req))->clop)
#define FI(name, b) struct fuse_file_info name; fbx_fuse2_fi_in(&name, b)

static void cl_init(void *userdata, struct fbx_conn *c)
{
	struct cuse_session *cs = userdata;
	struct fuse_conn_info ci;
	memset(&ci, 0, sizeof(ci));
	ci.proto_major = c->proto_major;
	ci.proto_minor = c->proto_minor;
	ci.max_write = c->max_write;
	ci.max_readahead = c->max_readahead;
	cs->clop.init(cs->se.userdata, &ci);
	if (ci.max_write && ci.max_write < c->max_write)
		c->max_write = ci.max_write;
}

static void cl_init_done(void *userdata)
{
	struct cuse_session *cs = userdata;
	if (cs->clop.init_done)
		cs->clop.init_done(cs->se.userdata);
}

static void cl_destroy(void *userdata)
{
	struct cuse_session *cs = userdata;
	cs->clop.destroy(cs->se.userdata);
}

static void cl_open(struct fbx_req *req, uint64_t ino, struct fbx_file_info *b)
{
	(void)ino;
	FI(fi, b);
	CLOP(req).open(UREQ(req), &fi);
}

static void cl_read(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                    struct fbx_file_info *b)
{
	(void)ino;
	FI(fi, b);
	CLOP(req).read(UREQ(req), size, off, &fi);
}

static void cl_write(struct fbx_req *req, uint64_t ino, const char *buf, size_t size,
                     off_t off, struct fbx_file_info *b)
{
	(void)ino;
	FI(fi, b);
	CLOP(req).write(UREQ(req), buf, size, off, &fi);
}

static void cl_flush(struct fbx_req *req, uint64_t ino, struct fbx_file_info *b)
{
	(void)ino;
	FI(fi, b);
	CLOP(req).flush(UREQ(req), &fi);
}

static void cl_release(struct fbx_req *req, uint64_t ino, struct fbx_file_info *b)
{
	(void)ino;
	FI(fi, b);
	CLOP(req).release(UREQ(req), &fi);
}

static void cl_fsync(struct fbx_req *req, uint64_t ino, int datasync, struct fbx_file_info *b)
{
	(void)ino;
	FI(fi, b);
	CLOP(req).fsync(UREQ(req), datasync, &fi);
}

static void cl_ioctl(struct fbx_req *req, uint64_t ino, unsigned int cmd, uint64_t arg,
                     struct fbx_file_info *b, unsigned flags, const void *in_buf,
                     size_t in_bufsz, size_t out_bufsz)
{
	(void)ino;
	FI(fi, b);
	CLOP(req).ioctl(UREQ(req), (int)cmd, (void *)(uintptr_t)arg, &fi, flags, in_buf,
	                in_bufsz, out_bufsz);
}

static void cl_poll(struct fbx_req *req, uint64_t ino, struct fbx_file_info *b,
                    unsigned events, struct fbx_pollhandle *ph)
{
	(void)ino;
	(void)events;
	FI(fi, b);
	CLOP(req).poll(UREQ(req), &fi, (struct fuse_pollhandle *)ph);
}

static void make_ops(struct cuse_session *cs)
{
	const struct cuse_lowlevel_ops *o = &cs->clop;
	struct fbx_ll_ops *l = &cs->se.ll;
	memset(l, 0, sizeof(*l));
#define SET(name) if (o->name) l->name = cl_##name
	SET(init); SET(destroy); SET(open); SET(read); SET(write); SET(flush);
	SET(release); SET(fsync); SET(ioctl); SET(poll);
#undef SET
}

/* libfuse's udev lines, DEVNAME= among them, as fusebox's name + lines. */
static int split_info(const struct cuse_info *ci, const char **name, const char ***lines)
{
	*name = NULL;
	*lines = calloc(ci->dev_info_argc + 1, sizeof(**lines));
	if (!*lines)
		return -1;
	for (unsigned i = 0, n = 0; i < ci->dev_info_argc; i++) {
		const char *s = ci->dev_info_argv[i];
		if (strncmp(s, "DEVNAME=", 8) == 0)
			*name = s + 8;
		else
			(*lines)[n++] = s;
	}
	return 0;
}

static int make_session(struct cuse_session *cs, const struct fbx_options *o,
                        const struct cuse_info *ci)
{
	const char *name, **lines = NULL;
	if (split_info(ci, &name, &lines) < 0) {
		fbx_fuse2_err("cuse: out of memory\n");
		return -1;
	}
	int r = 0;
	if (!name) {
		fbx_fuse2_err("cuse: no DEVNAME= in the device info\n");
		r = -1;
	} else {
		struct fbx_cuse_info fci = {
			.dev_name = name, .dev_major = ci->dev_major, .dev_minor = ci->dev_minor,
			.dev_info = lines, .init_done = cl_init_done,
			.flags = (ci->flags & CUSE_UNRESTRICTED_IOCTL) ? FBX_CUSE_UNRESTRICTED_IOCTL : 0,
		};
		cs->se.fbx = fbx_cuse_new(o, &fci, &cs->se.ll, sizeof(cs->se.ll), cs);
		if (!cs->se.fbx) {
			fbx_fuse2_err("cuse: bad device info: %s\n", strerror(errno));
			r = -1;
		} else if (fbx_cuse_open(cs->se.fbx) < 0) {
			r = -1;   /* fusebox said why */
		}
	}
	free(lines);
	return r;
}

struct fuse_session *cuse_lowlevel_new(struct fuse_args *args, const struct cuse_info *ci,
                                       const struct cuse_lowlevel_ops *clop,
                                       void *userdata)
{
	struct fbx_options o;
	struct cuse_session *cs = calloc(1, sizeof(*cs));
	int r = fbx_fuse2_session_options(&o, args, NULL);
	if (r == 0 && !cs) {
		fbx_fuse2_err("cuse: out of memory\n");
		r = -1;
	}
	if (r == 0) {
		cs->clop = *clop;
		cs->se.userdata = userdata;
		atomic_init(&cs->se.signal, 0);
		make_ops(cs);
		r = make_session(cs, &o, ci);
	}
	fbx_options_free(&o);
	if (r < 0) {
		if (cs && cs->se.fbx)
			fbx_session_destroy(cs->se.fbx);
		free(cs);
		return NULL;
	}
	return &cs->se;
}

struct fuse_session *cuse_lowlevel_setup(int argc, char *argv[], const struct cuse_info *ci,
                                         const struct cuse_lowlevel_ops *clop,
                                         int *multithreaded, void *userdata)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	int foreground = 0;
	struct fuse_session *se = NULL;
	/* a device has no mount point: fuse_parse_cmdline gets none to fill */
	if (fuse_parse_cmdline(&args, NULL, multithreaded, &foreground) == -1)
		goto out;
	/* -h or -V: printed, nothing to serve (libfuse 2 fails here too) */
	for (int i = 1; i < args.argc; i++)
		if (strcmp(args.argv[i], "-ho") == 0 || strcmp(args.argv[i], "--version") == 0)
			goto out;
	se = cuse_lowlevel_new(&args, ci, clop, userdata);
	if (se && fuse_set_signal_handlers(se) == -1) {
		fuse_session_destroy(se);
		se = NULL;
	}
	if (se && fuse_daemonize(foreground) == -1) {
		cuse_lowlevel_teardown(se);
		se = NULL;
	}
out:
	fuse_opt_free_args(&args);
	return se;
}

void cuse_lowlevel_teardown(struct fuse_session *se)
{
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
}

int cuse_lowlevel_main(int argc, char *argv[], const struct cuse_info *ci,
                       const struct cuse_lowlevel_ops *clop, void *userdata)
{
	int mt = 0;
	struct fuse_session *se = cuse_lowlevel_setup(argc, argv, ci, clop, &mt, userdata);
	if (!se)
		return 1;
	int r = mt ? fuse_session_loop_mt(se) : fuse_session_loop(se);
	cuse_lowlevel_teardown(se);
	return r == -1 ? 1 : 0;
}
