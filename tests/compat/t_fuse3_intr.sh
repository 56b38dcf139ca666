#!/usr/bin/env bash
# fuse_req_interrupt_func: a read that only the kernel's INTERRUPT can end
# (tests/compat/src/intr_fs.c) is ended when its reader gets a signal,
# through the callback the read registered. Run on Debian's libfuse first
# (the reference) and then on ours; a missing callback leaves the reader
# hanging, which fails the test.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

. "$FBX_ROOT/tests/compat/both_libs.sh"
both_libs_build "$FBX_ROOT/tests/compat/src/intr_fs.c"
for side in $sides; do
	start_fs "$TMP/$side.log" "$TMP/$side" -f "$MNT"
	if ! wait_mounted "$MNT" "$PID"; then
		echo "FAIL  $side: did not mount"; sed 's/^/      /' "$TMP/$side.log"; fails=$((fails + 1)); continue
	fi
	# A background job of a script ignores SIGINT; SIGTERM kills it the same way.
	cat "$MNT/slow" >/dev/null 2>&1 &
	READER=$!
	PIDS="$PIDS $READER"
	for _ in $(seq 100); do grep -q "read waiting" "$TMP/$side.log" && break; sleep 0.1; done
	check "$side: the read is waiting in the filesystem" yes \
		"$(grep -q "read waiting" "$TMP/$side.log" && echo yes || echo no)"
	kill -TERM "$READER"
	wait_exit "$READER"; rc=$?
	check "$side: the signalled reader ends (killed by SIGTERM)" 143 $rc
	check_contains "$side: the interrupt callback ran, fuse_req_interrupted() says 1" \
		"read interrupted: 1" "$(cat "$TMP/$side.log")"
	fusermount3 -u "$MNT"
	wait_exit "$PID"; check "$side: daemon exits 0" 0 $?
done
[ $fails -eq 0 ]
