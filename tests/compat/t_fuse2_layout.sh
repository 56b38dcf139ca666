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

# The older APIs' own structs (fuse_compat.h, fuse_lowlevel_compat.h,
# fuse_common_compat.h), at each version that maps onto them: 11 (with
# libfuse's deprecation warning), 21, 22, 25 for fuse.h; 24, 25 for
# fuse_lowlevel.h.
cat >"$TMP/probe_old.c" <<'EOF'
#include <fuse.h>
#include <stddef.h>
#include <stdio.h>

#define S(t)     printf("sizeof %s %zu align %zu\n", #t, sizeof(t), _Alignof(t))
#define O(t, m)  printf("offsetof %s.%s %zu size %zu\n", #t, #m, offsetof(t, m), sizeof(((t *)0)->m))
#define C(c)     printf("const %s %lld\n", #c, (long long)(c))

typedef struct fuse_operations_compat25 o25;
typedef struct fuse_operations_compat22 o22;
typedef struct fuse_operations_compat2 o2;
typedef struct fuse_operations_compat1 o1;
typedef struct fuse_file_info_compat fic;
typedef struct fuse_statfs_compat1 sf1;

int main(void)
{
	printf("FUSE_USE_VERSION %d\n", FUSE_USE_VERSION);
	C(FUSE_MAJOR_VERSION); C(FUSE_MINOR_VERSION); C(FUSE_VERSION);
	S(struct fuse_operations); S(struct fuse_file_info);
	S(fic); O(fic, flags); O(fic, fh); O(fic, writepage);
	S(o25);
	O(o25, getattr); O(o25, readlink); O(o25, getdir); O(o25, mknod); O(o25, mkdir);
	O(o25, unlink); O(o25, rmdir); O(o25, symlink); O(o25, rename); O(o25, link);
	O(o25, chmod); O(o25, chown); O(o25, truncate); O(o25, utime); O(o25, open);
	O(o25, read); O(o25, write); O(o25, statfs); O(o25, flush); O(o25, release);
	O(o25, fsync); O(o25, setxattr); O(o25, getxattr); O(o25, listxattr);
	O(o25, removexattr); O(o25, opendir); O(o25, readdir); O(o25, releasedir);
	O(o25, fsyncdir); O(o25, init); O(o25, destroy); O(o25, access); O(o25, create);
	O(o25, ftruncate); O(o25, fgetattr);
	S(o22);
	O(o22, getattr); O(o22, readlink); O(o22, getdir); O(o22, mknod); O(o22, mkdir);
	O(o22, unlink); O(o22, rmdir); O(o22, symlink); O(o22, rename); O(o22, link);
	O(o22, chmod); O(o22, chown); O(o22, truncate); O(o22, utime); O(o22, open);
	O(o22, read); O(o22, write); O(o22, statfs); O(o22, flush); O(o22, release);
	O(o22, fsync); O(o22, setxattr); O(o22, getxattr); O(o22, listxattr);
	O(o22, removexattr); O(o22, opendir); O(o22, readdir); O(o22, releasedir);
	O(o22, fsyncdir); O(o22, init); O(o22, destroy);
	S(o2);
	O(o2, getattr); O(o2, readlink); O(o2, getdir); O(o2, mknod); O(o2, mkdir);
	O(o2, unlink); O(o2, rmdir); O(o2, symlink); O(o2, rename); O(o2, link); O(o2, chmod);
	O(o2, chown); O(o2, truncate); O(o2, utime); O(o2, open); O(o2, read); O(o2, write);
	O(o2, statfs); O(o2, flush); O(o2, release); O(o2, fsync); O(o2, setxattr);
	O(o2, getxattr); O(o2, listxattr); O(o2, removexattr);
	S(o1);
	O(o1, getattr); O(o1, readlink); O(o1, getdir); O(o1, mknod); O(o1, mkdir);
	O(o1, unlink); O(o1, rmdir); O(o1, symlink); O(o1, rename); O(o1, link); O(o1, chmod);
	O(o1, chown); O(o1, truncate); O(o1, utime); O(o1, open); O(o1, read); O(o1, write);
	O(o1, statfs); O(o1, release); O(o1, fsync);
	S(sf1); O(sf1, block_size); O(sf1, blocks); O(sf1, blocks_free); O(sf1, files);
	O(sf1, files_free); O(sf1, namelen);
	C(FUSE_DEBUG_COMPAT1);
	return 0;
}
EOF
cat >"$TMP/probe_oldll.c" <<'EOF'
#include <fuse_lowlevel.h>
#include <stddef.h>
#include <stdio.h>

#define S(t)     printf("sizeof %s %zu align %zu\n", #t, sizeof(t), _Alignof(t))
#define O(t, m)  printf("offsetof %s.%s %zu size %zu\n", #t, #m, offsetof(t, m), sizeof(((t *)0)->m))
#define C(c)     printf("const %s %lld\n", #c, (long long)(c))

typedef struct fuse_lowlevel_ops_compat25 l25;
typedef struct fuse_lowlevel_ops_compat l24;
typedef struct fuse_chan_ops_compat24 c24;

int main(void)
{
	printf("FUSE_USE_VERSION %d\n", FUSE_USE_VERSION);
	C(FUSE_MAJOR_VERSION); C(FUSE_MINOR_VERSION); C(FUSE_VERSION);
	S(struct fuse_lowlevel_ops); S(struct fuse_file_info); S(struct fuse_chan_ops);
	S(l25);
	O(l25, init); O(l25, destroy); O(l25, lookup); O(l25, forget); O(l25, getattr);
	O(l25, setattr); O(l25, readlink); O(l25, mknod); O(l25, mkdir); O(l25, unlink);
	O(l25, rmdir); O(l25, symlink); O(l25, rename); O(l25, link); O(l25, open);
	O(l25, read); O(l25, write); O(l25, flush); O(l25, release); O(l25, fsync);
	O(l25, opendir); O(l25, readdir); O(l25, releasedir); O(l25, fsyncdir); O(l25, statfs);
	O(l25, setxattr); O(l25, getxattr); O(l25, listxattr); O(l25, removexattr);
	O(l25, access); O(l25, create);
	S(l24);
	O(l24, init); O(l24, destroy); O(l24, lookup); O(l24, forget); O(l24, getattr);
	O(l24, setattr); O(l24, readlink); O(l24, mknod); O(l24, mkdir); O(l24, unlink);
	O(l24, rmdir); O(l24, symlink); O(l24, rename); O(l24, link); O(l24, open);
	O(l24, read); O(l24, write); O(l24, flush); O(l24, release); O(l24, fsync);
	O(l24, opendir); O(l24, readdir); O(l24, releasedir); O(l24, fsyncdir); O(l24, statfs);
	O(l24, setxattr); O(l24, getxattr); O(l24, listxattr); O(l24, removexattr);
	O(l24, access); O(l24, create);
	S(c24); O(c24, receive); O(c24, send); O(c24, destroy);
	return 0;
}
EOF
for pv in old:11 old:21 old:22 old:25 oldll:24 oldll:25; do
	p=${pv%%:*} v=${pv#*:}
	for side in ref ours; do
		inc=$REF; [ $side = ours ] && inc=$OURS
		if ! cc -std=gnu11 -Wall -Werror -Wno-cpp -D_FILE_OFFSET_BITS=64 -DFUSE_USE_VERSION="$v" \
			-I"$inc" -o "$TMP/probe_$side" "$TMP/probe_$p.c" 2>"$TMP/cc_$side.log"; then
			echo "FAIL  $p probe does not build against $inc at FUSE_USE_VERSION $v:"
			sed 's/^/      /' "$TMP/cc_$side.log" | head -8
			fails=$((fails + 1)); continue 2
		fi
		"$TMP/probe_$side" >"$TMP/out_$side.$p$v"
	done
	if diff -u "$TMP/out_ref.$p$v" "$TMP/out_ours.$p$v" >"$TMP/diff.$p$v"; then
		echo "ok    FUSE_USE_VERSION $v ($p): $(wc -l <"$TMP/out_ours.$p$v") lines identical"
	else
		echo "FAIL  FUSE_USE_VERSION $v ($p): layouts differ (- Debian, + ours)"
		sed 's/^/      /' "$TMP/diff.$p$v" | head -40
		fails=$((fails + 1))
	fi
done

# No FUSE_USE_VERSION: fuse.h takes 21 and fuse_lowlevel.h 24, as libfuse.
for h in fuse.h:21 fuse_lowlevel.h:24; do
	printf '#include <%s>\n_Static_assert(FUSE_USE_VERSION == %s, "default");\n' \
		"${h%%:*}" "${h#*:}" >"$TMP/none.c"
	check_true "no FUSE_USE_VERSION: ${h%%:*} assumes ${h#*:}" \
		cc -I"$OURS" -D_FILE_OFFSET_BITS=64 -c -o "$TMP/none.o" "$TMP/none.c"
done

# A version libfuse 2.9 does not provide is refused with a message naming
# the problem: 20, 23, 30 (libfuse 3's), 24 for fuse.h (low-level only),
# 22 for fuse_lowlevel.h (high-level only).
for hv in fuse.h:20 fuse.h:23 fuse.h:24 fuse.h:30 fuse_lowlevel.h:22; do
	h=${hv%%:*} v=${hv#*:}
	printf '#define FUSE_USE_VERSION %s\n#include <%s>\n' "$v" "$h" >"$TMP/bad.c"
	if cc -I"$OURS" -D_FILE_OFFSET_BITS=64 -c -o "$TMP/bad.o" "$TMP/bad.c" 2>"$TMP/bad.log"; then
		echo "FAIL  FUSE_USE_VERSION $v accepted by $h"; fails=$((fails + 1))
	else
		check_contains "FUSE_USE_VERSION $v refused by $h" "FUSE_USE_VERSION" "$(cat "$TMP/bad.log")"
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
