#!/usr/bin/env bash
# Nothing of ours survives a daemon killed with -9.
#
# memfs -o auto_unmount, killed while `ls -lR` walks it, many times: the
# mount must be gone each time (fusermount3 unmounts it only if it finds
# the connection dead, so the socket it waits on must close after our
# last /dev/fuse descriptor: lib/fuse/unmount_guard.c), and the walking
# caller must see the mount fail, not wait. FBX_KILL9_RUNS sets the
# count (default 60; the issue's acceptance run used 200).
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
MEMFS=$BUILD/examples/memfs
RUNS=${FBX_KILL9_RUNS:-60}
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v fusermount3 >/dev/null || skip "no fusermount3 (Debian's fuse3)"
[ -x "$MEMFS" ] || { echo "missing $MEMFS (run make)"; exit 1; }

MNT=$TMP/mnt
mkdir -p "$MNT"
mounted() { is_fuse_mounted "$MNT"; }
dead=0 stuck=0 guards=0
for i in $(seq "$RUNS"); do
	start_fs "$TMP/log" "$MEMFS" -f -o auto_unmount "$MNT"
	wait_mounted "$MNT" "$PID" || { cat "$TMP/log"; echo "FAIL  run $i: not mounted"; exit 1; }
	mkdir -p "$MNT/d/e"
	for f in $(seq 100); do echo "$f" > "$MNT/d/e/$f"; done
	( while ls -lR "$MNT/d" >/dev/null 2>&1; do :; done ) &
	walker=$!
	PIDS="$PIDS $walker"
	sleep "0.0$(( RANDOM % 9 + 1 ))"
	kill -9 "$PID"
	wait "$PID" 2>/dev/null
	# The walker must stop by itself: its ls fails once the daemon is gone.
	for _ in $(seq 50); do kill -0 "$walker" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$walker" 2>/dev/null; then
		stuck=$((stuck + 1)); kill -9 "$walker"
	fi
	wait "$walker" 2>/dev/null
	for _ in $(seq 30); do mounted || break; sleep 0.1; done
	if mounted; then dead=$((dead + 1)); umount -l "$MNT"; fi
	pgrep -f "$MEMFS -f -o auto_unmount $MNT" >/dev/null && guards=$((guards + 1))
	pkill -9 -f "$MEMFS -f -o auto_unmount $MNT" 2>/dev/null
done
check "dead mounts after $RUNS kill -9 of memfs -o auto_unmount" 0 "$dead"
check "callers still waiting 5 s after the kill" 0 "$stuck"
check "processes of ours left 3 s after the kill" 0 "$guards"

# busexmp --attach fuse: its private FUSE mount (the loop device's file)
# is detached as soon as the loop device holds the file, so a kill -9
# leaves no dead mount and no directory under /run; the loop device
# (autoclear) goes with the process. Root only (loop devices).
BUSEXMP=$BUILD/examples/busexmp
if [ "$(id -u)" = 0 ] && [ -e /dev/loop-control ] && [ -x "$BUSEXMP" ]; then
	left_mounts=0 left_dirs=0 left_loops=0
	for i in $(seq 10); do
		before=$(ls -d /run/fusebox-loop.* /tmp/fusebox-loop.* 2>/dev/null | sort)
		start_fs "$TMP/bx.out" "$BUSEXMP" --attach fuse
		for _ in $(seq 200); do grep -q "/dev/loop" "$TMP/bx.out" && break; sleep 0.1; done
		dev=$(grep -o '/dev/loop[0-9]*' "$TMP/bx.out" | head -n1)
		[ -n "$dev" ] || { cat "$TMP/bx.out"; echo "FAIL  busexmp run $i did not attach"; exit 1; }
		dd if=/dev/zero of="$dev" bs=64k count=16 oflag=direct 2>/dev/null
		kill -9 "$PID"
		wait "$PID" 2>/dev/null
		sleep 0.5
		grep -q 'fusebox-loop' /proc/mounts && left_mounts=$((left_mounts + 1))
		after=$(ls -d /run/fusebox-loop.* /tmp/fusebox-loop.* 2>/dev/null | sort)
		[ "$before" = "$after" ] || left_dirs=$((left_dirs + 1))
		losetup -a | grep -q fusebox-loop && left_loops=$((left_loops + 1))
		for m in $(awk '$2 ~ /fusebox-loop/ {print $2}' /proc/mounts); do umount -l "$m"; done
	done
	check "busexmp --attach fuse, 10 kill -9: mounts left" 0 "$left_mounts"
	check "busexmp --attach fuse, 10 kill -9: directories left" 0 "$left_dirs"
	check "busexmp --attach fuse, 10 kill -9: loop devices left" 0 "$left_loops"
fi
finish
