#!/usr/bin/env bash
# A high-level libfuse 3 program without a truncate op
# (tests/compat/src/notrunc_fs.c): libfuse 3 asks the kernel for
# ATOMIC_O_TRUNC by default, so `> f` reaches the program as an open with
# O_TRUNC, not as open + SETATTR(size 0), which it would fail with
# ENOSYS. Run on Debian's libfuse too when its headers are there.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

. "$FBX_ROOT/tests/compat/both_libs.sh"
both_libs_build "$FBX_ROOT/tests/compat/src/notrunc_fs.c"
for side in $sides; do
	start_fs "$TMP/$side.log" "$TMP/$side" -f "$MNT"
	if ! wait_mounted "$MNT" "$PID"; then
		echo "FAIL  $side: did not mount"; sed 's/^/      /' "$TMP/$side.log"; fails=$((fails + 1)); continue
	fi
	err=$( (echo bye > "$MNT/f") 2>&1 )
	check "$side: > f without a truncate op" "" "$err"
	check "$side: f holds what was written" bye "$(cat "$MNT/f")"
	umount "$MNT"
	wait_exit "$PID" 50 >/dev/null
done
finish
