#!/usr/bin/env bash
# The syscall comparison (tests/fs/fsops_compare.c) with FUSE over
# io_uring: run by t_syscalls_memfs_uring.sh and
# t_syscalls_passthrough_uring.sh as `syscalls_uring.sh memfs|passthrough`.
#
# Switches /sys/module/fuse/parameters/enable_uring on for the run (the
# old value is restored on exit), runs the same comparator as
# t_syscalls_<fs>.sh, and checks that the daemon really served through
# io_uring: while it runs it holds io_uring rings (anon_inode:[io_uring]
# in /proc/PID/fd), one per CPU, and requests come through them: its -d
# log tags each request a ring brought with "io_uring queue N".
# The daemon runs under a wrapper (FBX_FSOPS_WRAP) that notes its pid
# and adds -d.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
MODE=${1:?usage: syscalls_uring.sh memfs|passthrough}
shift
PARAM=/sys/module/fuse/parameters/enable_uring
bin=$BUILD/tests/fs/fsops_compare
[ "$(id -u)" = 0 ] || skip "needs root (enable_uring, tmpfs)"
[ -x "$bin" ] || skip "$bin not built"
[ -x "$BUILD/examples/$MODE" ] || skip "$BUILD/examples/$MODE not built"
[ -e "$PARAM" ] || skip "kernel without FUSE over io_uring ($PARAM missing)"
if ! nm "$BUILD/examples/$MODE" 2>/dev/null | grep -q io_uring_queue_init; then
	skip "built without liburing: io_uring support is a stub"
fi

OLD=$(cat "$PARAM")
# shellcheck disable=SC2317 # called by the EXIT trap of fbx.sh
fbx_cleanup_hook() { echo "$OLD" >"$PARAM" 2>/dev/null; }
echo 1 >"$PARAM" 2>/dev/null || skip "cannot write $PARAM"
[ "$(cat "$PARAM")" = Y ] || skip "enable_uring did not switch on"
echo "enable_uring: was $OLD, now $(cat "$PARAM") for this test"

# the wrapper: note the pid, then become the daemon, with -d: its request
# log says which requests came through an io_uring queue
cat >"$TMP/wrap" <<EOF
#!/bin/sh
echo \$\$ >"$TMP/daemon.pid"
exec "\$@" -d 2>>"$TMP/daemon.log"
EOF
chmod 755 "$TMP/wrap"

# the watcher: samples the daemon's rings until it exits
watch_rings() {
	local pid="" rings fd
	for _ in $(seq 300); do
		[ -s "$TMP/daemon.pid" ] && pid=$(cat "$TMP/daemon.pid") && break
		sleep 0.05
	done
	[ -n "$pid" ] || { echo "nopid" >"$TMP/rings"; return; }
	echo 0 >"$TMP/rings"
	while kill -0 "$pid" 2>/dev/null; do
		rings=0
		for fd in /proc/"$pid"/fd/*; do
			[ "$(readlink "$fd" 2>/dev/null)" = "anon_inode:[io_uring]" ] && rings=$((rings + 1))
		done
		[ "$rings" -gt "$(cat "$TMP/rings")" ] && echo "$rings" >"$TMP/rings"
		sleep 0.02
	done
}
watch_rings &
WATCHER=$!
PIDS="$PIDS $WATCHER"

FBX_FSOPS_WRAP="$TMP/wrap" "$bin" "$MODE" "$@" >"$TMP/out" 2>&1
rc=$?
cat "$TMP/out"
wait "$WATCHER" 2>/dev/null

check "comparator ($MODE over io_uring) exit status" 0 "$rc"
ncpu=$(getconf _NPROCESSORS_CONF)
check "io_uring rings held by the daemon (one per CPU)" "$ncpu" "$(cat "$TMP/rings" 2>/dev/null || echo none)"
# The comparator makes thousands of requests. (Sampling the rings'
# CqTail while the daemon ran missed most of them in about one run in
# three: the log counts every one.)
cq=$(grep -c ', io_uring queue [0-9]' "$TMP/daemon.log" 2>/dev/null || true)
if [ "${cq:-0}" -ge 1000 ]; then
	echo "ok    requests through the rings ($cq in the daemon's -d log)"
else
	echo "FAIL  requests through the rings: ${cq:-0} in the daemon's -d log (want >= 1000)"
	fails=$((fails + 1))
fi
if grep -Eq "io_uring queues not started|io_uring queue [0-9]+ (refused|not registered)" "$TMP/out" "$TMP/daemon.log"; then
	echo "FAIL  the daemon fell back to /dev/fuse:"
	grep -Eh "io_uring queues not started|io_uring queue [0-9]+ (refused|not registered)" "$TMP/out" "$TMP/daemon.log" | sed 's/^/      | /'
	fails=$((fails + 1))
fi
finish
