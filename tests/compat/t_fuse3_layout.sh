#!/usr/bin/env bash
# fusebox's libfuse 3 headers (include/compat/fuse3) describe the same ABI
# as Debian's libfuse3-dev (/usr/include/fuse3): one probe program is built
# against each, at several FUSE_USE_VERSIONs, and prints every sizeof,
# offsetof, bit-field position (a field set alone, the struct's bytes
# shown) and constant; the outputs must be identical.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

REF=/usr/include/fuse3
OURS=$FBX_ROOT/include/compat/fuse3
[ -f "$REF/fuse_lowlevel.h" ] || skip "no $REF/fuse_lowlevel.h (apt-get install libfuse3-dev)"
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
typedef struct fuse_config fcfg;
typedef struct fuse_operations fops;
typedef struct fuse_lowlevel_ops llops;

int main(void)
{
	printf("FUSE_USE_VERSION %d\n", FUSE_USE_VERSION);
	C(FUSE_MAJOR_VERSION); C(FUSE_MINOR_VERSION); C(FUSE_VERSION);
	C(FUSE_MAKE_VERSION(3, 12)); C(FUSE_ROOT_ID);

	S(struct fuse_file_info);
	O(ffi, flags); O(ffi, fh); O(ffi, lock_owner); O(ffi, poll_events);
	B(ffi, writepage); B(ffi, direct_io); B(ffi, keep_cache); B(ffi, flush);
	B(ffi, nonseekable); B(ffi, flock_release); B(ffi, cache_readdir);
	B(ffi, noflush); B(ffi, padding); B(ffi, padding2);

	S(struct fuse_conn_info);
	O(fci, proto_major); O(fci, proto_minor); O(fci, max_write); O(fci, max_read);
	O(fci, max_readahead); O(fci, capable); O(fci, want); O(fci, max_background);
	O(fci, congestion_threshold); O(fci, time_gran); O(fci, reserved);

	S(struct fuse_config);
	O(fcfg, set_gid); O(fcfg, gid); O(fcfg, set_uid); O(fcfg, uid);
	O(fcfg, set_mode); O(fcfg, umask); O(fcfg, entry_timeout);
	O(fcfg, negative_timeout); O(fcfg, attr_timeout); O(fcfg, intr);
	O(fcfg, intr_signal); O(fcfg, remember); O(fcfg, hard_remove);
	O(fcfg, use_ino); O(fcfg, readdir_ino); O(fcfg, direct_io);
	O(fcfg, kernel_cache); O(fcfg, auto_cache); O(fcfg, no_rofd_flush);
	O(fcfg, ac_attr_timeout_set); O(fcfg, ac_attr_timeout);
	O(fcfg, nullpath_ok); O(fcfg, show_help); O(fcfg, modules); O(fcfg, debug);

	S(struct fuse_operations);
	O(fops, getattr); O(fops, readlink); O(fops, mknod); O(fops, mkdir);
	O(fops, unlink); O(fops, rmdir); O(fops, symlink); O(fops, rename);
	O(fops, link); O(fops, chmod); O(fops, chown); O(fops, truncate);
	O(fops, open); O(fops, read); O(fops, write); O(fops, statfs);
	O(fops, flush); O(fops, release); O(fops, fsync); O(fops, setxattr);
	O(fops, getxattr); O(fops, listxattr); O(fops, removexattr);
	O(fops, opendir); O(fops, readdir); O(fops, releasedir); O(fops, fsyncdir);
	O(fops, init); O(fops, destroy); O(fops, access); O(fops, create);
	O(fops, lock); O(fops, utimens); O(fops, bmap); O(fops, ioctl);
	O(fops, poll); O(fops, write_buf); O(fops, read_buf); O(fops, flock);
	O(fops, fallocate); O(fops, copy_file_range); O(fops, lseek);

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
	O(llops, fallocate); O(llops, readdirplus); O(llops, copy_file_range);
	O(llops, lseek);

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
	S(struct fuse_cmdline_opts);
	O(struct fuse_cmdline_opts, singlethread); O(struct fuse_cmdline_opts, foreground);
	O(struct fuse_cmdline_opts, debug); O(struct fuse_cmdline_opts, nodefault_subtype);
	O(struct fuse_cmdline_opts, mountpoint); O(struct fuse_cmdline_opts, show_version);
	O(struct fuse_cmdline_opts, show_help); O(struct fuse_cmdline_opts, clone_fd);
	O(struct fuse_cmdline_opts, max_idle_threads); O(struct fuse_cmdline_opts, max_threads);
	S(struct fuse_ctx);
	O(struct fuse_ctx, uid); O(struct fuse_ctx, gid); O(struct fuse_ctx, pid);
	O(struct fuse_ctx, umask);
	S(struct fuse_context);
	O(struct fuse_context, fuse); O(struct fuse_context, uid);
	O(struct fuse_context, gid); O(struct fuse_context, pid);
	O(struct fuse_context, private_data); O(struct fuse_context, umask);
	S(struct fuse_entry_param);
	O(struct fuse_entry_param, ino); O(struct fuse_entry_param, generation);
	O(struct fuse_entry_param, attr); O(struct fuse_entry_param, attr_timeout);
	O(struct fuse_entry_param, entry_timeout);
	S(struct fuse_forget_data);
	O(struct fuse_forget_data, ino); O(struct fuse_forget_data, nlookup);
	S(struct fuse_custom_io);
	O(struct fuse_custom_io, writev); O(struct fuse_custom_io, read);
	O(struct fuse_custom_io, splice_receive); O(struct fuse_custom_io, splice_send);
	S(fuse_ino_t);
	S(struct cuse_info);
	O(struct cuse_info, dev_major); O(struct cuse_info, dev_minor);
	O(struct cuse_info, dev_info_argc); O(struct cuse_info, dev_info_argv);
	O(struct cuse_info, flags);
	S(struct cuse_lowlevel_ops);
	O(struct cuse_lowlevel_ops, init); O(struct cuse_lowlevel_ops, init_done);
	O(struct cuse_lowlevel_ops, destroy); O(struct cuse_lowlevel_ops, open);
	O(struct cuse_lowlevel_ops, read); O(struct cuse_lowlevel_ops, write);
	O(struct cuse_lowlevel_ops, flush); O(struct cuse_lowlevel_ops, release);
	O(struct cuse_lowlevel_ops, fsync); O(struct cuse_lowlevel_ops, ioctl);
	O(struct cuse_lowlevel_ops, poll);
	C(CUSE_UNRESTRICTED_IOCTL);
#if FUSE_USE_VERSION < FUSE_MAKE_VERSION(3, 12)
	S(struct fuse_loop_config);
	O(struct fuse_loop_config, clone_fd); O(struct fuse_loop_config, max_idle_threads);
#else
	S(struct fuse_loop_config_v1);
	O(struct fuse_loop_config_v1, clone_fd); O(struct fuse_loop_config_v1, max_idle_threads);
#endif
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
	C(FUSE_CAP_EXPORT_SUPPORT); C(FUSE_CAP_DONT_MASK); C(FUSE_CAP_SPLICE_WRITE);
	C(FUSE_CAP_SPLICE_MOVE); C(FUSE_CAP_SPLICE_READ); C(FUSE_CAP_FLOCK_LOCKS);
	C(FUSE_CAP_IOCTL_DIR); C(FUSE_CAP_AUTO_INVAL_DATA); C(FUSE_CAP_READDIRPLUS);
	C(FUSE_CAP_READDIRPLUS_AUTO); C(FUSE_CAP_ASYNC_DIO); C(FUSE_CAP_WRITEBACK_CACHE);
	C(FUSE_CAP_NO_OPEN_SUPPORT); C(FUSE_CAP_PARALLEL_DIROPS); C(FUSE_CAP_POSIX_ACL);
	C(FUSE_CAP_HANDLE_KILLPRIV); C(FUSE_CAP_CACHE_SYMLINKS);
	C(FUSE_CAP_NO_OPENDIR_SUPPORT); C(FUSE_CAP_EXPLICIT_INVAL_DATA);
	C(FUSE_CAP_EXPIRE_ONLY);
	C(FUSE_IOCTL_COMPAT); C(FUSE_IOCTL_UNRESTRICTED); C(FUSE_IOCTL_RETRY);
	C(FUSE_IOCTL_DIR); C(FUSE_IOCTL_MAX_IOV);
	C(FUSE_SET_ATTR_MODE); C(FUSE_SET_ATTR_UID); C(FUSE_SET_ATTR_GID);
	C(FUSE_SET_ATTR_SIZE); C(FUSE_SET_ATTR_ATIME); C(FUSE_SET_ATTR_MTIME);
	C(FUSE_SET_ATTR_ATIME_NOW); C(FUSE_SET_ATTR_MTIME_NOW); C(FUSE_SET_ATTR_FORCE);
	C(FUSE_SET_ATTR_CTIME); C(FUSE_SET_ATTR_KILL_SUID); C(FUSE_SET_ATTR_KILL_SGID);
	C(FUSE_SET_ATTR_FILE); C(FUSE_SET_ATTR_KILL_PRIV); C(FUSE_SET_ATTR_OPEN);
	C(FUSE_SET_ATTR_TIMES_SET); C(FUSE_SET_ATTR_TOUCH);
	C(FUSE_BUF_IS_FD); C(FUSE_BUF_FD_SEEK); C(FUSE_BUF_FD_RETRY);
	C(FUSE_BUF_NO_SPLICE); C(FUSE_BUF_FORCE_SPLICE); C(FUSE_BUF_SPLICE_MOVE);
	C(FUSE_BUF_SPLICE_NONBLOCK);
	C(FUSE_OPT_KEY_OPT); C(FUSE_OPT_KEY_NONOPT); C(FUSE_OPT_KEY_KEEP);
	C(FUSE_OPT_KEY_DISCARD);
	C(FUSE_LOG_EMERG); C(FUSE_LOG_ALERT); C(FUSE_LOG_CRIT); C(FUSE_LOG_ERR);
	C(FUSE_LOG_WARNING); C(FUSE_LOG_NOTICE); C(FUSE_LOG_INFO); C(FUSE_LOG_DEBUG);
	C(FUSE_READDIR_PLUS); C(FUSE_FILL_DIR_PLUS); C(FUSE_LL_EXPIRE_ONLY);
	S(enum fuse_buf_flags); S(enum fuse_log_level); S(enum fuse_readdir_flags);
	return 0;
}
EOF

# FUSE_MAKE_VERSION(3, 12) as libfuse's own examples spell it; 305 is
# 3.5 spelled with the macro; 317 asks for more than 3.14 provides,
# which libfuse 3.14's headers accept (as 3.14) and so must ours.
for v in 30 31 32 34 35 39 312 314 'FUSE_MAKE_VERSION(3,12)' 305 317; do
	for side in ref ours; do
		inc=$REF; [ $side = ours ] && inc=$OURS
		if ! cc -std=gnu11 -Wall -Werror -D_FILE_OFFSET_BITS=64 -DFUSE_USE_VERSION="$v" \
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

# A version below 3.0 (the libfuse 2 API) is refused with a message.
for v in 29 26; do
	printf '#define FUSE_USE_VERSION %s\n#include <fuse_lowlevel.h>\n' $v >"$TMP/bad.c"
	if cc -I"$OURS" -D_FILE_OFFSET_BITS=64 -c -o "$TMP/bad.o" "$TMP/bad.c" 2>"$TMP/bad.log"; then
		echo "FAIL  FUSE_USE_VERSION $v accepted"; fails=$((fails + 1))
	else
		check_contains "FUSE_USE_VERSION $v refused" "FUSE_USE_VERSION not supported" "$(cat "$TMP/bad.log")"
	fi
done

[ $fails -eq 0 ]
