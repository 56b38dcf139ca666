#!/usr/bin/env bash
# fusebox's libfuse 2 headers (include/compat/fuse2) describe the same ABI
# as Debian's libfuse-dev 2.9.9 (/usr/include/fuse): one probe program is
# built against each, at every FUSE_USE_VERSION we provide, and prints
# every sizeof, offsetof, bit-field position (a field set alone, the
# struct's bytes shown) and constant; the outputs must be identical.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

REF=/usr/include/fuse
OURS=$FBX_ROOT/include/compat/fuse2
[ -f "$REF/fuse_lowlevel.h" ] || skip "no $REF/fuse_lowlevel.h (apt-get install libfuse-dev)"
command -v cc >/dev/null || skip "no C compiler"

cat >"$TMP/probe.c" <<'EOF'
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <cuse_lowlevel.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define S(t)     printf("sizeof %s %zu align %zu\n", #t, sizeof(t), _Alignof(t))
#define O(t, m)  printf("offsetof %s.%s %zu size %zu\n", #t, #m, offsetof(t, m), sizeof(((t *)0)->m))
#define C(c)     printf("const %s %lld\n", #c, (long long)(c))
/* A bit-field's place: the struct's bytes with only that field set to 1,
 * and with it set to all ones (0 minus 1: its width). */
#define B(t, m) do { t x_; unsigned char *p_ = (unsigned char *)&x_; \
	printf("bits %s.%s", #t, #m); \
	memset(&x_, 0, sizeof x_); x_.m = 1; dump(p_, sizeof x_); \
	memset(&x_, 0, sizeof x_); x_.m--; dump(p_, sizeof x_); \
	printf("\n"); } while (0)

static void dump(const unsigned char *p, size_t n)
{
	printf(" ");
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

typedef struct fuse_file_info ffi;
typedef struct fuse_conn_info fci;
typedef struct fuse_operations fops;
typedef struct fuse_lowlevel_ops llops;
typedef struct cuse_lowlevel_ops clops;

int main(void)
{
	printf("FUSE_USE_VERSION %d\n", FUSE_USE_VERSION);
	C(FUSE_MAJOR_VERSION); C(FUSE_MINOR_VERSION); C(FUSE_VERSION);
	C(FUSE_MAKE_VERSION(2, 8)); C(FUSE_ROOT_ID);

	S(struct fuse_file_info);
	O(ffi, flags); O(ffi, fh_old); O(ffi, writepage); O(ffi, fh); O(ffi, lock_owner);
	B(ffi, direct_io); B(ffi, keep_cache); B(ffi, flush); B(ffi, nonseekable);
	B(ffi, flock_release); B(ffi, padding);

	S(struct fuse_conn_info);
	O(fci, proto_major); O(fci, proto_minor); O(fci, async_read); O(fci, max_write);
	O(fci, max_readahead); O(fci, capable); O(fci, want); O(fci, max_background);
	O(fci, congestion_threshold); O(fci, reserved);

	S(struct fuse_operations);
	O(fops, getattr); O(fops, readlink); O(fops, getdir); O(fops, mknod);
	O(fops, mkdir); O(fops, unlink); O(fops, rmdir); O(fops, symlink);
	O(fops, rename); O(fops, link); O(fops, chmod); O(fops, chown);
	O(fops, truncate); O(fops, utime); O(fops, open); O(fops, read);
	O(fops, write); O(fops, statfs); O(fops, flush); O(fops, release);
	O(fops, fsync); O(fops, setxattr); O(fops, getxattr); O(fops, listxattr);
	O(fops, removexattr); O(fops, opendir); O(fops, readdir); O(fops, releasedir);
	O(fops, fsyncdir); O(fops, init); O(fops, destroy); O(fops, access);
	O(fops, create); O(fops, ftruncate); O(fops, fgetattr); O(fops, lock);
	O(fops, utimens); O(fops, bmap);
	B(fops, flag_nullpath_ok); B(fops, flag_nopath); B(fops, flag_utime_omit_ok);
	B(fops, flag_reserved);
	O(fops, ioctl); O(fops, poll); O(fops, write_buf); O(fops, read_buf);
	O(fops, flock); O(fops, fallocate);

	S(struct fuse_context);
	O(struct fuse_context, fuse); O(struct fuse_context, uid);
	O(struct fuse_context, gid); O(struct fuse_context, pid);
	O(struct fuse_context, private_data); O(struct fuse_context, umask);
	S(struct fuse_module);
	O(struct fuse_module, name); O(struct fuse_module, factory);
	O(struct fuse_module, next); O(struct fuse_module, so); O(struct fuse_module, ctr);

	S(struct fuse_lowlevel_ops);
	O(llops, init); O(llops, destroy); O(llops, lookup); O(llops, forget);
	O(llops, getattr); O(llops, setattr); O(llops, readlink); O(llops, mknod);
	O(llops, mkdir); O(llops, unlink); O(llops, rmdir); O(llops, symlink);
	O(llops, rename); O(llops, link); O(llops, open); O(llops, read);
	O(llops, write); O(llops, flush); O(llops, release); O(llops, fsync);
	O(llops, opendir); O(llops, readdir); O(llops, releasedir);
	O(llops, fsyncdir); O(llops, statfs); O(llops, setxattr);
	O(llops, getxattr); O(llops, listxattr); O(llops, removexattr);
	O(llops, access); O(llops, create); O(llops, getlk); O(llops, setlk);
	O(llops, bmap); O(llops, ioctl); O(llops, poll); O(llops, write_buf);
	O(llops, retrieve_reply); O(llops, forget_multi); O(llops, flock);
	O(llops, fallocate);

	S(struct fuse_session_ops);
	O(struct fuse_session_ops, process); O(struct fuse_session_ops, exit);
	O(struct fuse_session_ops, exited); O(struct fuse_session_ops, destroy);
	S(struct fuse_chan_ops);
	O(struct fuse_chan_ops, receive); O(struct fuse_chan_ops, send);
	O(struct fuse_chan_ops, destroy);
	S(struct fuse_args);
	O(struct fuse_args, argc); O(struct fuse_args, argv); O(struct fuse_args, allocated);
	S(struct fuse_opt);
	O(struct fuse_opt, templ); O(struct fuse_opt, offset); O(struct fuse_opt, value);
	S(struct fuse_buf);
	O(struct fuse_buf, size); O(struct fuse_buf, flags); O(struct fuse_buf, mem);
	O(struct fuse_buf, fd); O(struct fuse_buf, pos);
	S(struct fuse_bufvec);
	O(struct fuse_bufvec, count); O(struct fuse_bufvec, idx);
	O(struct fuse_bufvec, off); O(struct fuse_bufvec, buf);
	S(struct fuse_ctx);
	O(struct fuse_ctx, uid); O(struct fuse_ctx, gid); O(struct fuse_ctx, pid);
	O(struct fuse_ctx, umask);
	S(struct fuse_entry_param);
	O(struct fuse_entry_param, ino); O(struct fuse_entry_param, generation);
	O(struct fuse_entry_param, attr); O(struct fuse_entry_param, attr_timeout);
	O(struct fuse_entry_param, entry_timeout);
	S(struct fuse_forget_data);
	O(struct fuse_forget_data, ino); O(struct fuse_forget_data, nlookup);
	S(fuse_ino_t);
	S(struct cuse_info);
	O(struct cuse_info, dev_major); O(struct cuse_info, dev_minor);
	O(struct cuse_info, dev_info_argc); O(struct cuse_info, dev_info_argv);
	O(struct cuse_info, flags);
	S(clops);
	O(clops, init); O(clops, init_done); O(clops, destroy); O(clops, open);
	O(clops, read); O(clops, write); O(clops, flush); O(clops, release);
	O(clops, fsync); O(clops, ioctl); O(clops, poll);
	C(CUSE_UNRESTRICTED_IOCTL);
	{	/* the initialisers' values, byte for byte */
		struct fuse_bufvec bv = FUSE_BUFVEC_INIT(4096);
		struct fuse_args a = FUSE_ARGS_INIT(3, NULL);
		struct fuse_opt o[] = { FUSE_OPT_KEY("-x", 7), FUSE_OPT_END };
		printf("FUSE_BUFVEC_INIT"); dump((unsigned char *)&bv, sizeof bv);
		printf("\nFUSE_ARGS_INIT %d %p %d\n", a.argc, (void *)a.argv, a.allocated);
		printf("FUSE_OPT_KEY %s %lu %d / %p %lu %d\n", o[0].templ, o[0].offset,
		       o[0].value, (void *)o[1].templ, o[1].offset, o[1].value);
	}

	C(FUSE_CAP_ASYNC_READ); C(FUSE_CAP_POSIX_LOCKS); C(FUSE_CAP_ATOMIC_O_TRUNC);
	C(FUSE_CAP_EXPORT_SUPPORT); C(FUSE_CAP_BIG_WRITES); C(FUSE_CAP_DONT_MASK);
	C(FUSE_CAP_SPLICE_WRITE); C(FUSE_CAP_SPLICE_MOVE); C(FUSE_CAP_SPLICE_READ);
	C(FUSE_CAP_FLOCK_LOCKS); C(FUSE_CAP_IOCTL_DIR);
	C(FUSE_IOCTL_COMPAT); C(FUSE_IOCTL_UNRESTRICTED); C(FUSE_IOCTL_RETRY);
	C(FUSE_IOCTL_DIR); C(FUSE_IOCTL_MAX_IOV);
	C(FUSE_SET_ATTR_MODE); C(FUSE_SET_ATTR_UID); C(FUSE_SET_ATTR_GID);
	C(FUSE_SET_ATTR_SIZE); C(FUSE_SET_ATTR_ATIME); C(FUSE_SET_ATTR_MTIME);
	C(FUSE_SET_ATTR_ATIME_NOW); C(FUSE_SET_ATTR_MTIME_NOW);
	C(FUSE_BUF_IS_FD); C(FUSE_BUF_FD_SEEK); C(FUSE_BUF_FD_RETRY);
	C(FUSE_BUF_NO_SPLICE); C(FUSE_BUF_FORCE_SPLICE); C(FUSE_BUF_SPLICE_MOVE);
	C(FUSE_BUF_SPLICE_NONBLOCK);
	C(FUSE_OPT_KEY_OPT); C(FUSE_OPT_KEY_NONOPT); C(FUSE_OPT_KEY_KEEP);
	C(FUSE_OPT_KEY_DISCARD);
	S(enum fuse_buf_flags); S(enum fuse_buf_copy_flags);
	return 0;
}
EOF

for v in 26 27 28 29; do
	for side in ref ours; do
		inc=$REF; [ $side = ours ] && inc=$OURS
		if ! cc -std=gnu11 -Wall -Werror -D_FILE_OFFSET_BITS=64 -DFUSE_USE_VERSION=$v \
			-I"$inc" -o "$TMP/probe_$side" "$TMP/probe.c" 2>"$TMP/cc_$side.log"; then
			echo "FAIL  probe does not build against $inc at FUSE_USE_VERSION $v:"
			sed 's/^/      /' "$TMP/cc_$side.log" | head -8
			fails=$((fails + 1)); continue 2
		fi
		"$TMP/probe_$side" >"$TMP/out_$side.$v"
	done
	n=$(wc -l <"$TMP/out_ours.$v")
	if diff -u "$TMP/out_ref.$v" "$TMP/out_ours.$v" >"$TMP/diff.$v"; then
		echo "ok    FUSE_USE_VERSION $v: $n lines identical"
	else
		echo "FAIL  FUSE_USE_VERSION $v: layouts differ (- Debian, + ours)"
		sed 's/^/      /' "$TMP/diff.$v" | head -40
		fails=$((fails + 1))
	fi
done

# The 2.1..2.5 source API, a version outside 2.x, or none at all, is
# refused with a message naming the problem.
for v in 21 25 30 none; do
	{ [ $v = none ] || printf '#define FUSE_USE_VERSION %s\n' $v; echo '#include <fuse.h>'; } >"$TMP/bad.c"
	if cc -I"$OURS" -D_FILE_OFFSET_BITS=64 -c -o "$TMP/bad.o" "$TMP/bad.c" 2>"$TMP/bad.log"; then
		echo "FAIL  FUSE_USE_VERSION $v accepted"; fails=$((fails + 1))
	else
		check_contains "FUSE_USE_VERSION $v refused" "FUSE_USE_VERSION" "$(cat "$TMP/bad.log")"
	fi
done
# Without -D_FILE_OFFSET_BITS=64 off_t would not match the library's.
printf '#define FUSE_USE_VERSION 26\n#include <fuse.h>\n' >"$TMP/bad.c"
if cc -I"$OURS" -c -o "$TMP/bad.o" "$TMP/bad.c" 2>"$TMP/bad.log"; then
	echo "FAIL  32-bit off_t accepted"; fails=$((fails + 1))
else
	check_contains "32-bit off_t refused" "_FILE_OFFSET_BITS=64" "$(cat "$TMP/bad.log")"
fi

[ $fails -eq 0 ]
