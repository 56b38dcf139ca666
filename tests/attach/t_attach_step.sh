#!/usr/bin/env bash
# examples/attach_step, the attach.h snippet as a program, on the path
# this host has (FUSE + loop): it prints the device once I/O works; a
# pattern written with O_DIRECT reads back; SIGTERM detaches and nothing
# is left (no loop device on it, no private FUSE mount, the process gone).
# A path name it does not know is refused with its usage.
set -u
B=$FBX_ROOT/${BUILD:-build}
[ "$(id -u)" = 0 ] || { echo "skip: needs root (loop devices)"; exit 77; }
[ -e /dev/loop-control ] || { echo "skip: no loop driver (/dev/loop-control)"; exit 77; }
T=$(mktemp -d /tmp/fbx-test.XXXXXX)
PID='' fails=0
cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
ok()   { echo "ok    $*"; }
fail() { echo "FAIL  $*"; fails=$((fails + 1)); }

"$B/examples/attach_step" fuse >"$T/out" 2>"$T/err" &
PID=$!
DEV=
for _ in $(seq 100); do
	DEV=$(grep -o '/dev/loop[0-9]*' "$T/out" | head -n1)
	[ -n "$DEV" ] && [ -b "$DEV" ] && break
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.1
done
if [ -n "$DEV" ] && [ -b "$DEV" ]; then
	ok "attached: $(cat "$T/out")"
	head -c 1048576 /dev/urandom >"$T/pat"
	dd if="$T/pat" of="$DEV" bs=64k seek=16 oflag=direct status=none || fail "write to $DEV"
	dd if="$DEV" of="$T/back" bs=64k skip=16 count=16 iflag=direct status=none || fail "read $DEV"
	cmp -s "$T/pat" "$T/back" && ok "pattern reads back" || fail "pattern differs"
	kill -TERM "$PID"
	for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$PID" 2>/dev/null; then
		fail "still running after SIGTERM"
	else
		wait "$PID"; rc=$?; PID=
		[ $rc = 0 ] && ok "exit 0 after SIGTERM" || fail "exit $rc after SIGTERM"
	fi
	losetup "$DEV" 2>/dev/null | grep -q fusebox && fail "$DEV still attached"
	grep -q fusebox-disk /proc/mounts && fail "private FUSE mount left"
	ok "detached"
else
	cat "$T/out" "$T/err"
	fail "no device attached"
fi

"$B/examples/attach_step" nonsense >/dev/null 2>"$T/usage"; rc=$?
[ $rc = 2 ] && grep -q usage "$T/usage" && ok "unknown path refused" || fail "unknown path: exit $rc"

[ $fails = 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
