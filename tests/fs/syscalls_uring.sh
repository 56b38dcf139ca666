#!/usr/bin/env bash
# The syscall comparison (tests/fs/fsops_compare.c) with FUSE over
# io_uring: run by t_syscalls_memfs_uring.sh and
# t_syscalls_passthrough_uring.sh as `syscalls_uring.sh memfs|passthrough`.
#
# Switches /sys/module/fuse/parameters/enable_uring on for the run (the
# old value is restored on exit), runs the same comparator as
# t_syscalls_<fs>.sh, and checks that the daemon really served through
# io_uring: while it runs it holds io_uring rings (anon_inode:[io_uring]
# in /proc/PID/fd), one per CPU, and requests complete on them (a ring
# posts a completion only when the kernel hands it a request; the
# entries the daemon registers are submissions, not completions).
# The daemon runs under a wrapper (FBX_FSOPS_WRAP) that notes its pid.
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

# the wrapper: note the pid, then become the daemon
cat >"$TMP/wrap" <<EOF
#!/bin/sh
echo \$\$ >"$TMP/daemon.pid"
exec "\$@"
EOF
chmod 755 "$TMP/wrap"

# the watcher: samples the daemon's rings until it exits
watch_rings() {
	local pid="" rings max=0 sum fd
	for _ in $(seq 300); do
		[ -s "$TMP/daemon.pid" ] && pid=$(cat "$TMP/daemon.pid") && break
		sleep 0.05
	done
	[ -n "$pid" ] || { echo "nopid" >"$TMP/rings"; return; }
	echo 0 >"$TMP/rings"
	while kill -0 "$pid" 2>/dev/null; do
		rings=0 sum=0
		for fd in /proc/"$pid"/fd/*; do
			[ "$(readlink "$fd" 2>/dev/null)" = "anon_inode:[io_uring]" ] || continue
			rings=$((rings + 1))
			sum=$((sum + $(awk '$1 == "CqTail:" {print $2}' /proc/"$pid"/fdinfo/"${fd##*/}" 2>/dev/null || echo 0)))
		done
		[ "$rings" -gt "$(cat "$TMP/rings")" ] && echo "$rings" >"$TMP/rings"
		[ "$sum" -gt "$max" ] && max=$sum && echo "$max" >"$TMP/cq"
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
cq=$(cat "$TMP/cq" 2>/dev/null || echo 0)
# the comparator makes thousands of requests; sampling misses the last ones
if [ "$cq" -ge 100 ]; then
	echo "ok    requests completed through the rings ($cq CQEs seen)"
else
	echo "FAIL  requests completed through the rings: $cq CQEs seen (want >= 100)"
	fails=$((fails + 1))
fi
if grep -q "io_uring queues not started\|io_uring queue refused" "$TMP/out"; then
	echo "FAIL  the daemon fell back to /dev/fuse:"
	grep "io_uring" "$TMP/out" | sed 's/^/      | /'
	fails=$((fails + 1))
fi
finish
