#!/usr/bin/env bash
# Where the kernel offers FUSE over io_uring but this process cannot make
# a ring (io_uring switched off by kernel.io_uring_disabled, or a build
# without liburing), the mount must not take io_uring at INIT: once it
# has, the kernel holds every request until the rings are registered, so
# a ring that cannot be made is a mount that hangs forever. The daemon
# serves through /dev/fuse instead, and -o io_uring says why not.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
PARAM=/sys/module/fuse/parameters/enable_uring
SYSCTL=/proc/sys/kernel/io_uring_disabled
MEMFS=$BUILD/examples/memfs
[ "$(id -u)" = 0 ] || skip "needs root (enable_uring, sysctl)"
[ -e "$PARAM" ] || skip "kernel without FUSE over io_uring ($PARAM missing)"
[ -e "$SYSCTL" ] || skip "kernel without $SYSCTL"
[ -x "$MEMFS" ] || { echo "missing $MEMFS (run make)"; exit 1; }

OLD_PARAM=$(cat "$PARAM"); OLD_SYSCTL=$(cat "$SYSCTL")
# shellcheck disable=SC2317 # called by the EXIT trap of fbx.sh
fbx_cleanup_hook() {
	echo "$OLD_SYSCTL" >"$SYSCTL" 2>/dev/null
	echo "$OLD_PARAM" >"$PARAM" 2>/dev/null
}
echo 1 >"$PARAM" 2>/dev/null || skip "cannot write $PARAM"
echo 2 >"$SYSCTL" 2>/dev/null || skip "cannot write $SYSCTL"

MNT=$TMP/mnt
mkdir -p "$MNT"
for opts in "" "-o io_uring"; do
	label=${opts:-auto}
	# shellcheck disable=SC2086 # opts is one option or none
	start_fs "$TMP/log" "$MEMFS" -f $opts "$MNT"
	wait_mounted "$MNT" "$PID" || { cat "$TMP/log"; echo "FAIL  [$label] not mounted"; exit 1; }
	got=$(timeout 10 sh -c "echo hi > $MNT/f && cat $MNT/f" 2>&1)
	check "[$label] the mount answers (no wait for rings)" hi "$got"
	if [ "$got" = hi ]; then
		umount "$MNT"
	else   # a hung mount: a plain umount would wait for it too
		umount -l "$MNT"; kill -9 "$PID"
	fi
	wait_exit "$PID" 50 >/dev/null
	if [ -n "$opts" ]; then
		# The reason is the first thing that stands in the way.
		why="Operation not permitted"
		ldd "$MEMFS" | grep -q liburing || why="this fusebox was built without liburing"
		check_contains "[$label] says why io_uring is not used" \
			"-o io_uring: $why; serving through /dev/fuse" "$(cat "$TMP/log")"
	else
		check "[$label] nothing to say when io_uring was not asked for" "" "$(cat "$TMP/log")"
	fi
done
finish
