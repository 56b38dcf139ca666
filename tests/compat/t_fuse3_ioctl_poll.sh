#!/usr/bin/env bash
# libfuse 3.14's ioctl and poll examples, from Debian's source package
# fuse3 (fetched at test time, cached under $BUILD/compat-src), built
# unchanged against our headers and run on our libfuse3.so.3 with their
# own clients, as libfuse's test_examples.py runs them: ioctl (FIOC_GET_SIZE
# and FIOC_SET_SIZE through fuse_operations.ioctl) and poll (select(2) on
# sixteen files woken by fuse_notify_poll from a producer thread).
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v cc >/dev/null || skip "no C compiler"
LIB=$FBX_ROOT/$BUILD/compat/libfuse3.so.3
[ -f "$LIB" ] || { echo "missing $LIB (run make)"; exit 1; }

CACHE=$FBX_ROOT/$BUILD/compat-src/fuse3
tests/compat/fetch_src.sh fuse3 "$CACHE" >"$TMP/fetch.log" 2>&1
case $? in
0) ;;
77) skip "libfuse source not available: $(tail -n1 "$TMP/fetch.log")";;
*) cat "$TMP/fetch.log"; exit 1;;
esac
EX=$CACHE/src/example
BIN=$TMP/bin
mkdir -p "$BIN" "$TMP/inc"
# poll_client.c includes libfuse's generated build config and needs nothing from it.
: >"$TMP/inc/libfuse_config.h"

SANFLAGS=
if [ "${FBX_SAN:-0}" = 1 ]; then
	SANFLAGS="-fsanitize=address,undefined"
	export LSAN_OPTIONS="suppressions=$FBX_ROOT/tests/compat/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
fi
build() {   # build NAME SOURCE: a filesystem, against our headers and library
	if ! cc -O1 -g -Wall $SANFLAGS -I"$FBX_ROOT/include/compat/fuse3" -D_FILE_OFFSET_BITS=64 \
		-o "$BIN/$1" "$2" -L"$FBX_ROOT/$BUILD/compat" -lfuse3 -pthread \
		-Wl,-rpath,"$FBX_ROOT/$BUILD/compat" >"$TMP/cc_$1.log" 2>&1; then
		echo "FAIL  $1 does not build against our headers:"
		sed 's/^/      /' "$TMP/cc_$1.log" | head -20
		exit 1
	fi
	check "$1 builds unchanged and links our libfuse3.so.3" "$LIB" \
		"$(ldd "$BIN/$1" | awk '$1 == "libfuse3.so.3" {print $3}')"
}
build ioctl "$EX/ioctl.c"
build poll "$EX/poll.c"
cc -O1 -g -o "$BIN/ioctl_client" "$EX/ioctl_client.c" || { echo "ioctl_client does not build"; exit 1; }
cc -O1 -g -I"$TMP/inc" -o "$BIN/poll_client" "$EX/poll_client.c" ||
	{ echo "poll_client does not build"; exit 1; }

MNT=$TMP/mnt
mkdir -p "$MNT"

# ---- ioctl: the size of /fioc through FIOC_GET_SIZE / FIOC_SET_SIZE --------
start_fs "$TMP/ioctl.log" "$BIN/ioctl" -f "$MNT"
if wait_mounted "$MNT" "$PID"; then
	check "ioctl: FIOC_GET_SIZE of an empty file" 0 "$("$BIN/ioctl_client" "$MNT/fioc" 2>&1)"
	printf foobar >"$MNT/fioc"
	check "ioctl: FIOC_GET_SIZE after a write" 6 "$("$BIN/ioctl_client" "$MNT/fioc" 2>&1)"
	check_true "ioctl: FIOC_SET_SIZE 3" "$BIN/ioctl_client" "$MNT/fioc" 3
	check "ioctl: the file was cut by the ioctl" foo "$(cat "$MNT/fioc")"
	# An ioctl the example does not know: its -EINVAL reaches the caller.
	check "ioctl: unknown command" EINVAL "$(python3 -c 'import fcntl, sys, errno
try: fcntl.ioctl(open(sys.argv[1]), 0x4501)
except OSError as e: print(errno.errorcode[e.errno])' "$MNT/fioc")"
	fusermount3 -u "$MNT"
	wait_exit "$PID"; check "ioctl: exits 0" 0 $?
else
	echo "FAIL  ioctl did not mount"; sed 's/^/      /' "$TMP/ioctl.log"; fails=$((fails + 1))
fi

# ---- poll: select(2) sleeps until the producer's fuse_notify_poll ----------
start_fs "$TMP/poll.log" "$BIN/poll" -f "$MNT"
if wait_mounted "$MNT" "$PID"; then
	# Without working notifications select(2) sleeps forever: bounded.
	(cd "$MNT" && timeout 60 "$BIN/poll_client") >"$TMP/client.log" 2>&1
	rc=$?
	[ $rc = 0 ] || sed 's/^/      /' "$TMP/client.log" | tail -5
	check "poll: poll_client's sixteen selects return (exit 0)" 0 $rc
	check "poll: sixteen rounds of reads" 16 "$(grep -c ':' "$TMP/client.log")"
	fusermount3 -u "$MNT"
	wait_exit "$PID"; rc=$?
	[ $rc = 0 ] || sed 's/^/      /' "$TMP/poll.log" | tail -10
	check "poll: exits 0" 0 $rc
	check_contains "poll: the daemon notified sleeping pollers" "NOTIFY" "$(cat "$TMP/poll.log")"
else
	echo "FAIL  poll did not mount"; sed 's/^/      /' "$TMP/poll.log"; fails=$((fails + 1))
fi

[ $fails -eq 0 ]
