#!/usr/bin/env bash
# The life of a mount, on memfs:
#  - SIGINT, SIGTERM, SIGHUP: clean unmount and exit 0;
#  - an external `umount MNT`: the daemon exits 0;
#  - -o auto_unmount: after kill -9 of the daemon the mount goes away;
#  - without auto_unmount, kill -9 leaves a stale mount: ENOTCONN, and
#    umount -l clears it;
#  - daemon mode (no -f): the command returns once the mount is up; a
#    bad mount point or a mount failure is reported before detaching
#    (non-zero exit); the detached daemon exits after umount.
. "$(dirname "$0")/../lib/fbx.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
MEMFS=$BUILD/examples/memfs
[ -x "$MEMFS" ] || skip "$MEMFS not built"
MNT=$TMP/mnt
mkdir "$MNT"

# A started daemon that died must not count as mounted.
start_memfs() {   # ARGS... (after -f); sets PID
	start_fs "$TMP/log" "$MEMFS" -f "$@" "$MNT"
	if ! wait_mounted "$MNT" "$PID"; then
		echo "FAIL  memfs $* did not mount"; sed 's/^/      | /' "$TMP/log"
		fails=$((fails + 1))
		return 1
	fi
	echo hello >"$MNT/probe"
}

# ---- signals -------------------------------------------------------------
for sig in INT TERM HUP; do
	start_memfs || continue
	kill -s $sig "$PID"
	wait_exit "$PID" 100; rc=$?
	check "SIG$sig: exit status" 0 $rc
	check_true "SIG$sig: unmounted" wait_unmounted "$MNT" 10
	[ $rc = 124 ] && kill -9 "$PID" 2>/dev/null
	umount -l "$MNT" 2>/dev/null
done

# ---- external umount -------------------------------------------------------
if start_memfs; then
	umount "$MNT"; check "umount succeeds" 0 $?
	wait_exit "$PID" 100; check "daemon exits 0 after umount" 0 $?
fi
# Every worker reads ENODEV at an external umount and ends the session at
# once: with many workers, one of them once signalled a thread another
# had already joined (SIGSEGV at exit, about 1 in 60 unmounts). Many
# short mounts with all workers started.
bad=""
for i in $(seq 25); do
	start_memfs || break
	head -c 1M /dev/zero >"$MNT/probe"
	readers=""   # concurrent O_DIRECT reads: the pool grows to ~8 workers
	for _ in 1 2 3 4 5 6 7 8; do
		dd if="$MNT/probe" of=/dev/null bs=4k iflag=direct status=none & readers="$readers $!"
	done
	# shellcheck disable=SC2086
	wait $readers
	umount "$MNT"
	wait_exit "$PID" 100; rc=$?
	[ "$rc" = 0 ] || bad="$bad $i:$rc"
done
check "daemon exits 0 after 25 unmounts with busy workers (cycle:status)" "" "${bad# }"

# lazy umount while a file is open: the daemon ends once the file is closed
if start_memfs; then
	exec 7<"$MNT/probe"
	umount -l "$MNT"
	check "reading an open file after umount -l" hello "$(cat <&7)"
	exec 7<&-
	wait_exit "$PID" 100; check "daemon exits 0 after umount -l and close" 0 $?
fi

# ---- auto_unmount ------------------------------------------------------------
if start_memfs -o auto_unmount; then
	helper=$(pgrep -a -f -- "fusermount3.*auto" || true)
	kill -9 "$PID"; wait "$PID" 2>/dev/null
	if ! wait_unmounted "$MNT" 50; then
		echo "FAIL  auto_unmount: mount gone within 5 s of kill -9"; fails=$((fails + 1))
		echo "      helper before the kill: ${helper:-none}"
		echo "      helper now: $(pgrep -a -f -- "fusermount3" || echo none)"
		sed 's/^/      | /' "$TMP/log"
	else
		echo "ok    auto_unmount: mount gone within 5 s of kill -9"
	fi
	check "auto_unmount: mount point is a plain dir again" ok "$(errno_of listdir "$MNT")"
	umount -l "$MNT" 2>/dev/null
fi
# and after a normal exit, nothing is left behind either
if start_memfs -o auto_unmount; then
	kill -TERM "$PID"; wait_exit "$PID" 100; check "auto_unmount: SIGTERM exit 0" 0 $?
	check_true "auto_unmount: unmounted after SIGTERM" wait_unmounted "$MNT" 50
	sleep 0.5   # a leftover helper would show here
	check "auto_unmount: no helper left" "" \
		"$(pgrep -f -- "auto.unmount.*$MNT|fusermount3.*$MNT" || true)"
fi

# ---- stale mount -------------------------------------------------------------
if start_memfs; then
	kill -9 "$PID"; wait "$PID" 2>/dev/null
	sleep 0.2
	check_true "kill -9 without auto_unmount: still mounted" is_fuse_mounted "$MNT"
	check "stale mount: stat gives ENOTCONN" ENOTCONN "$(errno_of stat "$MNT/probe")"
	check "stale mount: listdir gives ENOTCONN" ENOTCONN "$(errno_of listdir "$MNT")"
	umount -l "$MNT"; check "stale mount: umount -l" 0 $?
	check_true "stale mount: gone" wait_unmounted "$MNT" 10
fi

# ---- daemon mode -------------------------------------------------------------
out=$(timeout 20 "$MEMFS" "$MNT" 2>&1); rc=$?
check "daemon mode: command exits 0" 0 $rc
# no waiting: the mount must be up when the command returns
check_true "daemon mode: mounted when the command returns" is_fuse_mounted "$MNT"
check "daemon mode: no output" "" "$out"
DPID=$(pgrep -f -- "$MEMFS $MNT\$" | head -1)
check_true "daemon mode: daemon process found" [ -n "$DPID" ]
[ -n "$DPID" ] && PIDS="$PIDS $DPID"
if [ -n "$DPID" ]; then
	check "daemon mode: detached from our session" "1" \
		"$(awk '{print ($6 != '"$(ps -o sess= $$ | tr -d ' ')"')}' /proc/"$DPID"/stat)"
	check "daemon mode: cwd is /" "/" "$(readlink /proc/"$DPID"/cwd)"
fi
echo data >"$MNT/f"; check "daemon mode: works" data "$(cat "$MNT/f")"
umount "$MNT"
if [ -n "$DPID" ]; then
	check_true "daemon mode: daemon exits after umount" wait_gone "$DPID" 100
fi
# errors come before detaching
out=$(timeout 20 "$MEMFS" "$TMP/missing" 2>&1); rc=$?
check_true "daemon mode, bad mount point: non-zero exit" [ $rc -ne 0 -a $rc -ne 124 ]
check_contains "daemon mode, bad mount point: message" "No such file or directory" "$out"
: >"$TMP/file"
out=$(timeout 20 "$MEMFS" "$TMP/file" 2>&1); rc=$?
check_true "daemon mode, file as mount point: non-zero exit" [ $rc -ne 0 -a $rc -ne 124 ]
check_contains "daemon mode, file as mount point: message" "Not a directory" "$out"
# a mount point that cannot be used: a stale (ENOTCONN) mount
start_fs "$TMP/log" "$MEMFS" -f "$MNT"
if wait_mounted "$MNT" "$PID"; then
	kill -9 "$PID"; wait "$PID" 2>/dev/null
	out=$(timeout 20 "$MEMFS" "$MNT" 2>&1); rc=$?
	check_true "daemon mode, mount failure (stale mount point): non-zero exit" [ $rc -ne 0 -a $rc -ne 124 ]
	check_true "daemon mode, mount failure: a message" [ -n "$out" ]
	echo "      (message: $out)"
	umount -l "$MNT" 2>/dev/null
	# in case it did mount on top
	umount -l "$MNT" 2>/dev/null
fi

finish
