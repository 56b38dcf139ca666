#!/usr/bin/env bash
# libfuse 2's raw-request calls on our libfuse.so.2: a filesystem of our
# own (tests/compat/src/raw2_fs.c) serves from its own loop, one way per
# mode: fuse_session_receive_buf/process_buf and fuse_chan_recv/
# fuse_session_process by turns; a fuse_chan_new channel over its own
# mount(2) of /dev/fuse; fuse_read_cmd/fuse_process_cmd; and
# fuse_loop_mt_proc. Each mode: the file reads right (and, low level,
# answers an ioctl and a poll of its own), requests went
# through the program's own code, it exits 0 on umount. Then the same
# program on Debian's libfuse.so.2 for comparison (reported; ours decide).
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v cc >/dev/null || skip "no C compiler"
OURDIR=$FBX_ROOT/$BUILD/compat
LIB=$OURDIR/libfuse.so.2
[ -f "$LIB" ] || { echo "missing $LIB (run make)"; exit 1; }
DEBLIB=/lib/x86_64-linux-gnu/libfuse.so.2
SANFLAGS=
if [ "${FBX_SAN:-0}" = 1 ]; then
	SANFLAGS="-fsanitize=address,undefined"
	export LSAN_OPTIONS="suppressions=$FBX_ROOT/tests/compat/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
fi
# shellcheck disable=SC2086 # SANFLAGS: zero or one word
cc -O1 -g -Wall -Werror $SANFLAGS -I"$FBX_ROOT/include/compat/fuse2" -D_FILE_OFFSET_BITS=64 \
	-o "$TMP/raw2_fs" "$FBX_ROOT/tests/compat/src/raw2_fs.c" -L"$OURDIR" -lfuse -pthread ||
	{ echo "FAIL  raw2_fs.c does not build against our headers"; exit 1; }

MNT=$TMP/mnt
mkdir -p "$MNT"

suite() {   # suite LIBDIR LABEL ("" = Debian's)
	local dir=$1 who=$2 mode
	for mode in buf custom cmd mtproc; do
		start_fs "$TMP/$who-$mode.log" env LD_LIBRARY_PATH="$dir" "$TMP/raw2_fs" "$mode" "$MNT"
		if ! wait_mounted "$MNT" "$PID"; then
			echo "FAIL  $who: $mode: not mounted"; sed 's/^/      /' "$TMP/$who-$mode.log"
			fails=$((fails + 1)); continue
		fi
		check "$who: $mode: the file reads" "hello, raw" "$(cat "$MNT/hello")"
		check "$who: $mode: a missing name" "ENOENT" "$(errno_of stat "$MNT/nothere")"
		case $mode in buf|custom)   # the low-level ioctl and poll ops
			check "$who: $mode: ioctl, poll" "11 POLLOUT" "$(python3 -c '
import fcntl, os, select, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
size = struct.unpack("N", fcntl.ioctl(fd, 0x80084500, bytes(8)))[0]
p = select.poll(); p.register(fd, select.POLLIN | select.POLLOUT)
ev = p.poll(0)[0][1]
print(size, "POLLOUT" if ev == select.POLLOUT else ev)' "$MNT/hello" 2>&1)";;
		esac
		umount "$MNT"
		wait_exit "$PID"; check "$who: $mode: exits 0 on umount" 0 $?
		local n
		n=$(sed -n 's/^served //p' "$TMP/$who-$mode.log")
		check "$who: $mode: requests went through the program's loop" yes "$([ "${n:-0}" -gt 2 ] && echo yes)"
	done
}

suite "$OURDIR" fusebox
ours=$fails
if [ -f "$DEBLIB" ] && [ -z "$SANFLAGS" ]; then
	fails=0
	suite "" debian 2>&1 | sed 's/^ok    /info  ok    /; s/^FAIL  /info  FAIL  /'
	echo "info  the same checks on Debian's libfuse.so.2 are above (info lines)"
fi
fails=$ours
[ $fails -eq 0 ]
