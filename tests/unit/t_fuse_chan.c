/*
 * t_fuse_chan -- requests through the in-memory channel (lib/fuse/
 * chan_mem.c), served by the real session: the worker loop and
 * fbx_session_receive/process, INIT, dispatch to the ops, the reply
 * encoders, and the answers to bad input, all checked byte for byte
 * in the replies. No root, no mount, no kernel.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/check.h"
#include "fuse/session.h"

static const char data[] = "hello, world\n";
static int destroyed;

static void t_lookup(struct fbx_req *req, uint64_t parent, const char *name)
{
	struct fbx_entry e = { 0 };
	if (parent != FBX_ROOT_ID || strcmp(name, "hello") != 0) {
		fbx_reply_err(req, -ENOENT);
		return;
	}
	e.ino = 2;
	e.generation = 7;
	e.attr.st_ino = 2;
	e.attr.st_mode = S_IFREG | 0444;
	e.attr.st_nlink = 1;
	e.attr.st_size = sizeof data - 1;
	e.entry_timeout = 1.5;
	e.attr_timeout = 2;
	fbx_reply_entry(req, &e);
}

static void t_getattr(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct stat st = { 0 };
	st.st_ino = ino;
	st.st_mode = ino == FBX_ROOT_ID ? S_IFDIR | 0755 : S_IFREG | 0444;
	st.st_nlink = 1;
	st.st_uid = fbx_req_ctx(req)->uid;   /* the caller's, to see ctx decoded */
	fbx_reply_attr(req, &st, 3);
}

static void t_read(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                   struct fbx_file_info *fi)
{
	size_t len = sizeof data - 1;
	if ((size_t)off >= len)
		size = 0;
	else if (size > len - (size_t)off)
		size = len - (size_t)off;
	fbx_reply_buf(req, data + off, size);
}

static void t_destroy(void *userdata) { destroyed++; }

static const struct fbx_ll_ops ops = {
	.lookup = t_lookup, .getattr = t_getattr, .read = t_read, .destroy = t_destroy,
};

/* ---- requests as the kernel writes them ------------------------------ */

static size_t req(char *buf, uint32_t opcode, uint64_t unique, uint64_t nodeid,
                  const void *arg, size_t arglen, const char *name)
{
	struct fbx_k_in_header h = { 0 };
	size_t namelen = name ? strlen(name) + 1 : 0;
	h.len = (uint32_t)(sizeof h + arglen + namelen);
	h.opcode = opcode;
	h.unique = unique;
	h.nodeid = nodeid;
	h.uid = 1000;
	h.gid = 100;
	h.pid = 4242;
	memcpy(buf, &h, sizeof h);
	if (arglen)
		memcpy(buf + sizeof h, arg, arglen);
	if (name)
		memcpy(buf + sizeof h + arglen, name, namelen);
	return h.len;
}

static void push(struct fbx_chan *ch, uint32_t opcode, uint64_t unique, uint64_t nodeid,
                 const void *arg, size_t arglen, const char *name)
{
	char buf[512];
	CHECK_EQ_INT(fbx_chan_mem_push(ch, buf, req(buf, opcode, unique, nodeid, arg, arglen, name)), 0);
}

static size_t init_req(char *buf, uint64_t unique)
{
	struct fbx_k_init_in in = { 0 };
	in.major = 7;
	in.minor = 45;
	in.max_readahead = 1 << 17;
	in.flags = (uint32_t)(FBX_CAP_ASYNC_READ | FBX_CAP_BIG_WRITES | FBX_CAP_MAX_PAGES);
	return req(buf, FBX_K_INIT, unique, 0, &in, sizeof in, NULL);
}

/* The next reply: header checked, payload into out (up to size). */
static size_t pop(struct fbx_chan *ch, uint64_t unique, int error, void *out, size_t size)
{
	char buf[4096];
	struct fbx_k_out_header h;
	ssize_t n = fbx_chan_mem_pop(ch, buf, sizeof buf);
	CHECK_FATAL(n >= (ssize_t)sizeof h);
	memcpy(&h, buf, sizeof h);
	CHECK_EQ_INT(h.len, n);
	CHECK_EQ_INT(h.unique, unique);
	CHECK_EQ_INT(h.error, error);
	size_t len = (size_t)n - sizeof h;
	if (out)
		memcpy(out, buf + sizeof h, len < size ? len : size);
	return len;
}

static void check_init(struct fbx_chan *ch, uint64_t unique)
{
	struct fbx_k_init_out o = { 0 };
	CHECK_EQ_INT(pop(ch, unique, 0, &o, sizeof o), sizeof o);
	CHECK_EQ_INT(o.major, 7);
	CHECK_EQ_INT(o.minor, 45);
	CHECK(o.flags & FBX_CAP_BIG_WRITES);
	CHECK(o.max_write >= 4096);
}

static void check_lookup(struct fbx_chan *ch, uint64_t unique)
{
	struct fbx_k_entry_out e = { 0 };
	CHECK_EQ_INT(pop(ch, unique, 0, &e, sizeof e), sizeof e);
	CHECK_EQ_INT(e.nodeid, 2);
	CHECK_EQ_INT(e.generation, 7);
	CHECK_EQ_INT(e.entry_valid, 1);
	CHECK_EQ_INT(e.entry_valid_nsec, 500000000);
	CHECK_EQ_INT(e.attr_valid, 2);
	CHECK_EQ_INT(e.attr.size, sizeof data - 1);
	CHECK_EQ_INT(e.attr.mode, S_IFREG | 0444);
}

/* The worker loop over the channel: every request below, then the
 * channel says the connection ended and the loop returns. */
static void test_loop(void)
{
	struct fbx_options o;
	fbx_options_init(&o);
	o.singlethread = 1;   /* one worker: replies in request order */
	struct fbx_session *se = fbx_session_new(&o, &ops, sizeof ops, NULL);
	fbx_options_free(&o);
	CHECK_FATAL(se);
	struct fbx_chan *ch = fbx_chan_mem_new();
	CHECK_FATAL(ch);
	fbx_session_set_chan(se, ch);

	char buf[512];
	struct fbx_k_getattr_in ga = { 0 };
	push(ch, FBX_K_GETATTR, 1, FBX_ROOT_ID, &ga, sizeof ga, NULL);   /* before INIT */
	CHECK_EQ_INT(fbx_chan_mem_push(ch, buf, init_req(buf, 2)), 0);
	push(ch, FBX_K_LOOKUP, 3, FBX_ROOT_ID, NULL, 0, "hello");
	push(ch, FBX_K_LOOKUP, 4, FBX_ROOT_ID, NULL, 0, "nothing");
	push(ch, FBX_K_GETATTR, 5, 2, &ga, sizeof ga, NULL);
	struct fbx_k_read_in rd = { 0 };
	rd.offset = 7;
	rd.size = 100;
	push(ch, FBX_K_READ, 6, 2, &rd, sizeof rd, NULL);
	/* malformed: a name without its NUL; an argument cut short; a
	 * header whose length disagrees with what came; an opcode nobody
	 * knows; an op the filesystem lacks */
	size_t n = req(buf, FBX_K_LOOKUP, 7, FBX_ROOT_ID, NULL, 0, "hello");
	CHECK_EQ_INT(fbx_chan_mem_push(ch, buf, n - 1), 0);   /* shorter than h.len */
	struct fbx_k_in_header h;
	n = req(buf, FBX_K_LOOKUP, 8, FBX_ROOT_ID, NULL, 0, "hello");
	memcpy(&h, buf, sizeof h);
	h.len = (uint32_t)n - 1;   /* consistent, but the name loses its NUL */
	memcpy(buf, &h, sizeof h);
	CHECK_EQ_INT(fbx_chan_mem_push(ch, buf, n - 1), 0);
	push(ch, FBX_K_READ, 9, 2, &rd, sizeof rd - 8, NULL);
	push(ch, 9999, 10, 2, NULL, 0, NULL);
	push(ch, FBX_K_READLINK, 11, 2, NULL, 0, NULL);
	char tiny[8] = { 0 };
	fbx_chan_mem_push(ch, tiny, sizeof tiny);

	CHECK_EQ_INT(fbx_session_loop(se), 0);
	CHECK_EQ_INT(destroyed, 1);

	CHECK_EQ_INT(pop(ch, 1, -EIO, NULL, 0), 0);
	check_init(ch, 2);
	check_lookup(ch, 3);
	CHECK_EQ_INT(pop(ch, 4, -ENOENT, NULL, 0), 0);
	struct fbx_k_attr_out a = { 0 };
	CHECK_EQ_INT(pop(ch, 5, 0, &a, sizeof a), sizeof a);
	CHECK_EQ_INT(a.attr_valid, 3);
	CHECK_EQ_INT(a.attr.ino, 2);
	CHECK_EQ_INT(a.attr.uid, 1000);
	char got[64] = { 0 };
	CHECK_EQ_INT(pop(ch, 6, 0, got, sizeof got), sizeof data - 1 - 7);
	CHECK_EQ_STR(got, "world\n");
	/* unique 7: its length disagreed with the header: dropped, no reply */
	CHECK_EQ_INT(pop(ch, 8, -EINVAL, NULL, 0), 0);
	CHECK_EQ_INT(pop(ch, 9, -EINVAL, NULL, 0), 0);
	CHECK_EQ_INT(pop(ch, 10, -ENOSYS, NULL, 0), 0);
	CHECK_EQ_INT(pop(ch, 11, -ENOSYS, NULL, 0), 0);
	CHECK_EQ_INT(fbx_chan_mem_pop(ch, buf, sizeof buf), -ENOENT);   /* nothing more */
	fbx_session_destroy(se);
	CHECK_EQ_INT(destroyed, 1);   /* the loop ran it: once */
}

/* A program's own loop: receive into its buffer, process. */
static void test_receive_process(void)
{
	destroyed = 0;
	struct fbx_session *se = fbx_session_new(NULL, &ops, sizeof ops, NULL);
	CHECK_FATAL(se);
	char buf[512];
	CHECK_EQ_INT(fbx_session_bufsize(se), 0);
	CHECK_EQ_INT(fbx_session_receive(se, buf, sizeof buf), -ENOTCONN);
	struct fbx_chan *ch = fbx_chan_mem_new();
	CHECK_FATAL(ch);
	fbx_session_set_chan(se, ch);
	CHECK(fbx_session_bufsize(se) > 4096);

	CHECK_EQ_INT(fbx_chan_mem_push(ch, buf, init_req(buf, 20)), 0);
	push(ch, FBX_K_LOOKUP, 21, FBX_ROOT_ID, NULL, 0, "hello");
	ssize_t n;
	int served = 0;
	while ((n = fbx_session_receive(se, buf, sizeof buf)) > 0) {
		CHECK_EQ_INT(fbx_session_process(se, buf, (size_t)n), 0);
		served++;
	}
	CHECK_EQ_INT(n, 0);   /* the channel ended: the session did too */
	CHECK_EQ_INT(served, 2);
	CHECK(fbx_session_exited(se));
	check_init(ch, 20);
	check_lookup(ch, 21);
	/* a malformed header is dropped with -EPROTO and no reply */
	size_t len = req(buf, FBX_K_LOOKUP, 22, FBX_ROOT_ID, NULL, 0, "hello");
	CHECK_EQ_INT(fbx_session_process(se, buf, len - 3), -EPROTO);
	CHECK_EQ_INT(fbx_chan_mem_pop(ch, buf, sizeof buf), -ENOENT);
	CHECK_EQ_INT(destroyed, 0);
	fbx_session_destroy(se);   /* no loop ran destroy: this does */
	CHECK_EQ_INT(destroyed, 1);
}

/* ---- forgets: which op gets a FORGET and a BATCH_FORGET ------------- */

static int n_forget, n_multi;
static uint64_t forgot;   /* sum of ino * nlookup over every node forgotten */

static void f_forget(struct fbx_req *req, uint64_t ino, uint64_t nlookup)
{
	n_forget++;
	forgot += ino * nlookup;
	fbx_reply_none(req);
}

static void f_multi(struct fbx_req *req, size_t count, const uint64_t *inos,
                    const uint64_t *nlookups)
{
	n_multi++;
	for (size_t i = 0; i < count; i++)
		forgot += inos[i] * nlookups[i];
	fbx_reply_none(req);
}

/* INIT, one FORGET (ino 3, nlookup 2), a batch of `count` (ino i+10,
 * nlookup 1), served one by one; only INIT is answered. */
static void serve_forgets(const struct fbx_ll_ops *o, uint32_t count)
{
	n_forget = n_multi = 0;
	forgot = 0;
	struct fbx_session *se = fbx_session_new(NULL, o, sizeof *o, NULL);
	CHECK_FATAL(se);
	struct fbx_chan *ch = fbx_chan_mem_new();
	CHECK_FATAL(ch);
	fbx_session_set_chan(se, ch);
	static char buf[16384];
	CHECK_EQ_INT(fbx_chan_mem_push(ch, buf, init_req(buf, 1)), 0);
	struct fbx_k_forget_in f = { .nlookup = 2 };
	push(ch, FBX_K_FORGET, 2, 3, &f, sizeof f, NULL);
	struct {
		struct fbx_k_batch_forget_in b;
		struct fbx_k_forget_one one[800];
	} bf = { .b = { .count = count } };
	CHECK_FATAL(count <= 800);
	for (uint32_t i = 0; i < count; i++)
		bf.one[i] = (struct fbx_k_forget_one){ i + 10, 1 };
	size_t len = req(buf, FBX_K_BATCH_FORGET, 3, 0, &bf,
	                 sizeof bf.b + count * sizeof bf.one[0], NULL);
	CHECK_EQ_INT(fbx_chan_mem_push(ch, buf, len), 0);
	ssize_t n;
	while ((n = fbx_session_receive(se, buf, sizeof buf)) > 0)
		CHECK_EQ_INT(fbx_session_process(se, buf, (size_t)n), 0);
	CHECK_EQ_INT(n, 0);
	check_init(ch, 1);
	CHECK_EQ_INT(fbx_chan_mem_pop(ch, buf, sizeof buf), -ENOENT);   /* no replies */
	fbx_session_destroy(se);
	uint64_t want = 3 * 2;
	for (uint32_t i = 0; i < count; i++)
		want += i + 10;
	CHECK_EQ_INT(forgot, want);
}

/* A batch goes to forget_multi whenever it is set (libfuse does the
 * same): one call, however many nodes, on the stack or not. */
static void test_forgets(void)
{
	struct fbx_ll_ops both = { .forget = f_forget, .forget_multi = f_multi };
	serve_forgets(&both, 3);
	CHECK_EQ_INT(n_forget, 1);
	CHECK_EQ_INT(n_multi, 1);
	serve_forgets(&both, 700);
	CHECK_EQ_INT(n_forget, 1);
	CHECK_EQ_INT(n_multi, 1);
	struct fbx_ll_ops single = { .forget = f_forget };
	serve_forgets(&single, 5);
	CHECK_EQ_INT(n_forget, 6);
	CHECK_EQ_INT(n_multi, 0);
	struct fbx_ll_ops multi = { .forget_multi = f_multi };
	serve_forgets(&multi, 5);
	CHECK_EQ_INT(n_forget, 0);
	CHECK_EQ_INT(n_multi, 2);
}

int main(void)
{
	test_loop();
	test_receive_process();
	test_forgets();
	return check_exit();
}
