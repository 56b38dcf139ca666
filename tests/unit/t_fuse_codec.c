/*
 * t_fuse_codec -- the FUSE request decoder and reply encoders, driven
 * with hand-built messages: well-formed ones of every layout, and
 * truncated, oversized and inconsistent ones that must be refused.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>

#include "../lib/check.h"
#include "fuse/codec.h"

static const struct fbx_proto proto = { .minor = 45 };

/* Build header + parts into buf; returns the total length. */
static size_t build(char *buf, uint32_t opcode, uint64_t nodeid,
                    const void *arg, size_t arglen, const char *tail, size_t taillen)
{
	struct fbx_k_in_header h = { 0 };
	size_t len = sizeof(h) + arglen + taillen;
	h.len = (uint32_t)len;
	h.opcode = opcode;
	h.unique = 42;
	h.nodeid = nodeid;
	h.uid = 1000;
	h.gid = 100;
	h.pid = 7;
	memcpy(buf, &h, sizeof(h));
	if (arglen)
		memcpy(buf + sizeof(h), arg, arglen);
	if (taillen)
		memcpy(buf + sizeof(h) + arglen, tail, taillen);
	return len;
}

static void test_lookup(void)
{
	char buf[256];
	struct fbx_msg m;
	size_t n = build(buf, FBX_K_LOOKUP, 1, NULL, 0, "name", 5);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), 0);
	CHECK_EQ_STR(m.name, "name");
	CHECK_EQ_INT(m.unique, 42);
	CHECK_EQ_INT(m.uid, 1000);
	/* Unterminated name: refused, never read past the end. */
	n = build(buf, FBX_K_LOOKUP, 1, NULL, 0, "name", 4);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), -EINVAL);
	CHECK_EQ_INT(m.unique, 42);   /* still known, so an error reply is possible */
}

static void test_header(void)
{
	char buf[256];
	struct fbx_msg m;
	size_t n = build(buf, FBX_K_GETATTR, 1, &(struct fbx_k_getattr_in){ 0 },
	                 sizeof(struct fbx_k_getattr_in), NULL, 0);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), 0);
	/* Shorter than a header, or a length field that disagrees. */
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, 39, &proto), -EPROTO);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n - 1, &proto), -EPROTO);
	((struct fbx_k_in_header *)buf)->len = 1u << 31;
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), -EPROTO);
	/* Truncated fixed argument. */
	n = build(buf, FBX_K_GETATTR, 1, "abcd", 4, NULL, 0);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), -EINVAL);
	/* Unknown opcodes. */
	n = build(buf, 7, 1, NULL, 0, NULL, 0);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), -ENOSYS);
	n = build(buf, 100000, 1, NULL, 0, NULL, 0);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), -ENOSYS);
	/* Extension length beyond the message. */
	n = build(buf, FBX_K_STATFS, 1, NULL, 0, NULL, 0);
	((struct fbx_k_in_header *)buf)->total_extlen = 1;
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), -EINVAL);
	/* Trailing bytes where the opcode has none. */
	n = build(buf, FBX_K_STATFS, 1, NULL, 0, "xxxxxxxx", 8);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), -EINVAL);
	/* ...unless they are declared as extensions. */
	((struct fbx_k_in_header *)buf)->total_extlen = 1;
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), 0);
}

static void test_two_names(void)
{
	char buf[256];
	struct fbx_msg m;
	struct fbx_k_rename2_in r = { .newdir = 5, .flags = 1 };
	size_t n = build(buf, FBX_K_RENAME2, 1, &r, sizeof(r), "old\0new", 8);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), 0);
	CHECK_EQ_STR(m.name, "old");
	CHECK_EQ_STR(m.name2, "new");
	n = build(buf, FBX_K_RENAME2, 1, &r, sizeof(r), "old\0new", 7);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), -EINVAL);
	n = build(buf, FBX_K_SYMLINK, 1, NULL, 0, "link\0/target", 13);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), 0);
	CHECK_EQ_STR(m.name, "link");
	CHECK_EQ_STR(m.name2, "/target");
}

static void test_write(void)
{
	char buf[256];
	struct fbx_msg m;
	struct fbx_k_write_in w = { .fh = 3, .offset = 10, .size = 5 };
	size_t n = build(buf, FBX_K_WRITE, 2, &w, sizeof(w), "hello", 5);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), 0);
	CHECK_EQ_INT(m.datalen, 5);
	CHECK(memcmp(m.data, "hello", 5) == 0);
	/* The announced size must match the payload, both ways. */
	w.size = 6;
	n = build(buf, FBX_K_WRITE, 2, &w, sizeof(w), "hello", 5);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), -EINVAL);
	w.size = 0xffffffff;
	n = build(buf, FBX_K_WRITE, 2, &w, sizeof(w), "hello", 5);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), -EINVAL);
}

static void test_setxattr(void)
{
	char buf[256];
	struct fbx_msg m;
	struct fbx_k_setxattr_in x = { .size = 3, .flags = 1 };
	size_t n = build(buf, FBX_K_SETXATTR, 2, &x, 8, "user.a\0abc", 10);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), 0);
	CHECK_EQ_STR(m.name, "user.a");
	CHECK_EQ_INT(m.datalen, 3);
	/* With SETXATTR_EXT the argument is 16 bytes. */
	struct fbx_proto ext = { .minor = 45, .setxattr_ext = 1 };
	n = build(buf, FBX_K_SETXATTR, 2, &x, sizeof(x), "user.a\0abc", 10);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &ext), 0);
	CHECK_EQ_INT(m.datalen, 3);
}

static void test_batch_forget(void)
{
	char buf[256];
	struct fbx_msg m;
	struct fbx_k_batch_forget_in b = { .count = 2 };
	struct fbx_k_forget_one ones[2] = { { 5, 1 }, { 6, 2 } };
	size_t n = build(buf, FBX_K_BATCH_FORGET, 0, &b, sizeof(b), (char *)ones, sizeof(ones));
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), 0);
	/* A count larger than the array sent must not be trusted. */
	b.count = 1000000;
	n = build(buf, FBX_K_BATCH_FORGET, 0, &b, sizeof(b), (char *)ones, sizeof(ones));
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), -EINVAL);
}

static void test_init(void)
{
	char buf[256];
	struct fbx_msg m;
	struct fbx_k_init_in in = { .major = 7, .minor = 45, .max_readahead = 131072,
	                            .flags = (uint32_t)(FBX_CAP_ASYNC_READ | FBX_K_MAX_PAGES |
	                                                FBX_K_INIT_EXT | FBX_CAP_POSIX_LOCKS),
	                            .flags2 = (uint32_t)(FBX_CAP_PASSTHROUGH >> 32) };
	size_t n = build(buf, FBX_K_INIT, 0, &in, sizeof(in), NULL, 0);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), 0);
	CHECK_EQ_INT(m.arglen, sizeof(in));

	struct fbx_options o;
	struct fbx_conn c;
	struct fbx_k_init_out out;
	fbx_options_init(&o);
	CHECK_EQ_INT(fbx_init_begin(&c, m.arg, m.arglen, &o, 0), 0);
	CHECK_EQ_INT(c.proto_minor, 45);
	CHECK(c.want & FBX_CAP_ASYNC_READ);
	CHECK(!(c.want & FBX_CAP_POSIX_LOCKS));       /* no lock ops: kernel-local locks */
	CHECK(!(c.want & FBX_CAP_PASSTHROUGH));       /* only when asked for */
	CHECK_EQ_INT(fbx_init_finish(&out, &c), sizeof(out));
	CHECK_EQ_INT(out.max_write, 1 << 20);
	CHECK_EQ_INT(out.max_pages, (1 << 20) / 4096);
	CHECK(out.flags & FBX_K_INIT_EXT);
	CHECK_EQ_INT(fbx_init_begin(&c, m.arg, m.arglen, &o, FBX_CAP_POSIX_LOCKS), 0);
	CHECK(c.want & FBX_CAP_POSIX_LOCKS);
	o.passthrough = FBX_ON;
	CHECK_EQ_INT(fbx_init_begin(&c, m.arg, m.arglen, &o, 0), 0);
	CHECK(c.want & FBX_CAP_PASSTHROUGH);
	fbx_init_finish(&out, &c);
	CHECK_EQ_INT(out.flags2, FBX_CAP_PASSTHROUGH >> 32);
	CHECK_EQ_INT(out.max_stack_depth, 1);
	/* -o splice is accepted and does nothing (options.h): even when the
	 * kernel offers every splice mode, we ask for none. */
	o.passthrough = FBX_AUTO;
	o.splice = FBX_ON;
	in.flags |= (uint32_t)(FBX_CAP_SPLICE_READ | FBX_CAP_SPLICE_WRITE | FBX_CAP_SPLICE_MOVE);
	CHECK_EQ_INT(fbx_init_begin(&c, &in, sizeof(in), &o, 0), 0);
	CHECK(c.capable & FBX_CAP_SPLICE_READ);
	CHECK(!(c.want & (FBX_CAP_SPLICE_READ | FBX_CAP_SPLICE_WRITE | FBX_CAP_SPLICE_MOVE)));
	fbx_init_finish(&out, &c);
	CHECK(!(out.flags & (FBX_CAP_SPLICE_READ | FBX_CAP_SPLICE_WRITE | FBX_CAP_SPLICE_MOVE)));
	/* Old or foreign kernels. */
	in.minor = 20;
	CHECK_EQ_INT(fbx_init_begin(&c, &in, sizeof(in), &o, 0), -EPROTONOSUPPORT);
	in.major = 8;
	CHECK_EQ_INT(fbx_init_begin(&c, &in, sizeof(in), &o, 0), -EPROTO);
	CHECK_EQ_INT(fbx_init_begin(&c, &in, 8, &o, 0), -EINVAL);
	/* A kernel newer than us in minor: we answer with ours. */
	in.major = 7;
	in.minor = 99;
	CHECK_EQ_INT(fbx_init_begin(&c, &in, sizeof(in), &o, 0), 0);
	CHECK_EQ_INT(c.proto_minor, FBX_K_MINOR);
	fbx_options_free(&o);
}

static void test_encoders(void)
{
	struct stat st = { 0 };
	struct fbx_k_attr a;
	st.st_ino = 99;
	st.st_mode = S_IFCHR | 0600;
	st.st_rdev = makedev(8, 1);
	st.st_size = 1234;
	st.st_mtim.tv_sec = 5;
	st.st_mtim.tv_nsec = 6;
	fbx_attr_encode(&a, &st);
	CHECK_EQ_INT(a.ino, 99);
	CHECK_EQ_INT(a.rdev, (8 << 8) | 1);   /* new_encode_dev(), as the kernel decodes it */
	CHECK_EQ_INT(a.mtimensec, 6);

	uint64_t s;
	uint32_t ns;
	fbx_timeout_encode(1.5, &s, &ns);
	CHECK_EQ_INT(s, 1);
	CHECK_EQ_INT(ns, 500000000);
	fbx_timeout_encode(-3, &s, &ns);
	CHECK_EQ_INT(s, 0);
	fbx_timeout_encode(0.0 / 0.0, &s, &ns);
	CHECK_EQ_INT(s, 0);

	/* Locks: whole-file lock round trip, bad ranges refused. */
	struct flock lk = { .l_type = F_WRLCK, .l_start = 10, .l_len = 0 }, back;
	struct fbx_k_file_lock k;
	fbx_lock_encode(&k, &lk);
	CHECK_EQ_INT(k.end, INT64_MAX);
	CHECK_EQ_INT(fbx_lock_decode(&back, &k), 0);
	CHECK_EQ_INT(back.l_len, 0);
	k.end = 5;
	CHECK_EQ_INT(fbx_lock_decode(&back, &k), -EINVAL);
	k.end = 20;
	k.type = 77;
	CHECK_EQ_INT(fbx_lock_decode(&back, &k), -EINVAL);

	/* Directory entries are 8-byte aligned and refuse a full buffer. */
	char buf[64];
	struct stat d = { .st_ino = 3, .st_mode = S_IFDIR };
	size_t need = fbx_dirent_add(buf, sizeof(buf), "abc", &d, 1);
	CHECK_EQ_INT(need, 32);
	struct fbx_k_dirent *de = (struct fbx_k_dirent *)buf;
	CHECK_EQ_INT(de->type, DT_DIR);
	CHECK_EQ_INT(de->namelen, 3);
	CHECK_EQ_INT(fbx_dirent_add(buf, 16, "abc", &d, 1), 32);   /* too small: size only */
}

/* IOCTL carries exactly in_size bytes of the caller's input; POLL none. */
static void test_ioctl_poll(void)
{
	char buf[256];
	struct fbx_msg m;
	struct fbx_k_ioctl_in io = { .fh = 9, .cmd = 0x40084500, .arg = 0x7ffd0000,
	                             .in_size = 8, .out_size = 16 };
	size_t n = build(buf, FBX_K_IOCTL, 2, &io, sizeof(io), "12345678", 8);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), 0);
	CHECK_EQ_INT(m.datalen, 8);
	CHECK(memcmp(m.data, "12345678", 8) == 0);
	/* Fewer or more bytes than announced. */
	n = build(buf, FBX_K_IOCTL, 2, &io, sizeof(io), "1234", 4);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), -EINVAL);
	n = build(buf, FBX_K_IOCTL, 2, &io, sizeof(io), "1234567890", 10);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), -EINVAL);
	io.in_size = 0;
	n = build(buf, FBX_K_IOCTL, 2, &io, sizeof(io), NULL, 0);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), 0);
	CHECK(m.data == NULL);
	/* A truncated argument. */
	n = build(buf, FBX_K_IOCTL, 2, &io, sizeof(io) - 4, NULL, 0);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), -EINVAL);

	struct fbx_k_poll_in pi = { .fh = 1, .kh = 77, .flags = FBX_K_POLL_SCHEDULE_NOTIFY,
	                            .events = 1 };
	n = build(buf, FBX_K_POLL, 2, &pi, sizeof(pi), NULL, 0);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), 0);
	CHECK_EQ_INT(((const struct fbx_k_poll_in *)m.arg)->kh, 77);
	n = build(buf, FBX_K_POLL, 2, &pi, sizeof(pi), "x", 1);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), -EINVAL);
}

/* A retry reply: the iovecs as the kernel reads them, and every case it
 * would fail the caller's ioctl with refused here first. */
static void test_ioctl_retry(void)
{
	static struct fbx_k_ioctl_iovec vec[FBX_K_IOCTL_MAX_IOV];
	static struct iovec many[FBX_K_IOCTL_MAX_IOV + 1];
	struct fbx_k_ioctl_out o;
	struct iovec in[1] = { { (void *)(uintptr_t)0x1000, 24 } };
	struct iovec out[2] = { { (void *)(uintptr_t)0x2000, 8 },
	                        { (void *)(uintptr_t)0x7fff00000000ull, 4096 } };
	uint32_t unr = FBX_K_IOCTL_UNRESTRICTED;
	CHECK_EQ_INT(fbx_ioctl_retry_encode(&o, vec, unr, in, 1, out, 2), 3);
	CHECK_EQ_INT(o.flags, FBX_K_IOCTL_RETRY);
	CHECK_EQ_INT(o.in_iovs, 1);
	CHECK_EQ_INT(o.out_iovs, 2);
	CHECK_EQ_INT(o.result, 0);
	CHECK_EQ_INT(vec[0].base, 0x1000);
	CHECK_EQ_INT(vec[0].len, 24);
	CHECK_EQ_INT(vec[2].base, 0x7fff00000000ll);
	CHECK_EQ_INT(vec[2].len, 4096);
	/* Only nothing at all, too. */
	CHECK_EQ_INT(fbx_ioctl_retry_encode(&o, vec, unr, NULL, 0, NULL, 0), 0);
	/* A restricted ioctl cannot be retried. */
	CHECK_EQ_INT(fbx_ioctl_retry_encode(&o, vec, 0, in, 1, out, 2), -EPERM);
	CHECK_EQ_INT(fbx_ioctl_retry_encode(&o, vec, FBX_K_IOCTL_DIR, in, 1, NULL, 0), -EPERM);
	/* A 32-bit caller: addresses above 4 GiB cannot be its own. */
	CHECK_EQ_INT(fbx_ioctl_retry_encode(&o, vec, unr | FBX_K_IOCTL_COMPAT, in, 1, out, 2),
	             -EINVAL);
	CHECK_EQ_INT(fbx_ioctl_retry_encode(&o, vec, unr | FBX_K_IOCTL_COMPAT, in, 1, out, 1), 2);
	/* At most FBX_K_IOCTL_MAX_IOV in all, either way. */
	for (size_t i = 0; i <= FBX_K_IOCTL_MAX_IOV; i++)
		many[i] = in[0];
	CHECK_EQ_INT(fbx_ioctl_retry_encode(&o, vec, unr, many, FBX_K_IOCTL_MAX_IOV, NULL, 0),
	             FBX_K_IOCTL_MAX_IOV);
	CHECK_EQ_INT(fbx_ioctl_retry_encode(&o, vec, unr, many, FBX_K_IOCTL_MAX_IOV + 1, NULL, 0),
	             -E2BIG);
	CHECK_EQ_INT(fbx_ioctl_retry_encode(&o, vec, unr, many, 200, many, 57), -E2BIG);
	CHECK_EQ_INT(fbx_ioctl_retry_encode(&o, vec, unr, NULL, 0, many, (size_t)-1), -E2BIG);
	/* Lengths that overflow when added. */
	struct iovec huge[2] = { { NULL, SIZE_MAX }, { NULL, 2 } };
	CHECK_EQ_INT(fbx_ioctl_retry_encode(&o, vec, unr, huge, 2, NULL, 0), -EINVAL);
}

/* CUSE_INIT sits outside the opcode table; its answer's info strings. */
static void test_cuse(void)
{
	char buf[256], info[64];
	struct fbx_msg m;
	struct fbx_k_cuse_init_in ci = { 7, 41, 0, FBX_K_CUSE_UNRESTRICTED_IOCTL };
	size_t n = build(buf, FBX_K_CUSE_INIT, 0, &ci, sizeof(ci), NULL, 0);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), 0);
	CHECK_EQ_INT(m.arglen, sizeof(ci));
	CHECK_EQ_STR(fbx_opcode_name(FBX_K_CUSE_INIT), "CUSE_INIT");
	n = build(buf, FBX_K_CUSE_INIT, 0, &ci, 12, NULL, 0);
	CHECK_EQ_INT(fbx_msg_decode(&m, buf, n, &proto), -EINVAL);

	const char *lines[] = { "MODE=0666", NULL };
	int len = fbx_cuse_info_encode(info, sizeof(info), "dev0", lines);
	CHECK_EQ_INT(len, 23);
	CHECK(memcmp(info, "DEVNAME=dev0\0MODE=0666\0", 23) == 0);
	CHECK_EQ_INT(fbx_cuse_info_encode(info, sizeof(info), "", NULL), -EINVAL);
	CHECK_EQ_INT(fbx_cuse_info_encode(info, sizeof(info), NULL, NULL), -EINVAL);
	const char *noeq[] = { "MODE", NULL }, *twice[] = { "DEVNAME=x", NULL };
	CHECK_EQ_INT(fbx_cuse_info_encode(info, sizeof(info), "d", noeq), -EINVAL);
	CHECK_EQ_INT(fbx_cuse_info_encode(info, sizeof(info), "d", twice), -EINVAL);
	CHECK_EQ_INT(fbx_cuse_info_encode(info, 13, "dev0", NULL), 13);
	CHECK_EQ_INT(fbx_cuse_info_encode(info, 12, "dev0", NULL), -ENAMETOOLONG);
	CHECK_EQ_INT(fbx_cuse_info_encode(info, 20, "dev0", lines), -ENAMETOOLONG);

	struct fbx_conn conn = { .proto_minor = 41, .max_write = 65536 };
	struct fbx_k_cuse_init_out o;
	fbx_cuse_init_encode(&o, &conn, 0xff, 10, 3);
	CHECK_EQ_INT(o.major, 7);
	CHECK_EQ_INT(o.minor, 41);
	CHECK_EQ_INT(o.flags, FBX_K_CUSE_UNRESTRICTED_IOCTL);
	CHECK_EQ_INT(o.max_read, 65536);
	CHECK_EQ_INT(o.max_write, 65536);
	CHECK_EQ_INT(o.dev_major, 10);
	CHECK_EQ_INT(o.dev_minor, 3);
}

int main(void)
{
	test_cuse();
	test_ioctl_poll();
	test_ioctl_retry();
	test_lookup();
	test_header();
	test_two_names();
	test_write();
	test_setxattr();
	test_batch_forget();
	test_init();
	test_encoders();
	return check_exit();
}
