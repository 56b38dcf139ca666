#!/usr/bin/env bash
# A high-level libfuse 3 program without a truncate op
# (tests/compat/src/notrunc_fs.c): libfuse 3 asks the kernel for
# ATOMIC_O_TRUNC by default, so `> f` reaches the program as an open with
# O_TRUNC, not as open + SETATTR(size 0), which it would fail with
# ENOSYS. Run on Debian's libfuse too when its headers are there.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v cc >/dev/null || skip "no C compiler"
LIBDIR=$FBX_ROOT/$BUILD/compat
[ -f "$LIBDIR/libfuse3.so.3" ] || { echo "missing $LIBDIR/libfuse3.so.3 (run make)"; exit 1; }
SANFLAGS=
[ "${FBX_SAN:-0}" = 1 ] && SANFLAGS="-fsanitize=address,undefined"
PROG=$FBX_ROOT/tests/compat/src/notrunc_fs.c
sides=ours
cc -O1 -g $SANFLAGS -D_FILE_OFFSET_BITS=64 -I"$FBX_ROOT/include/compat/fuse3" -o "$TMP/ours" "$PROG" \
	-L"$LIBDIR" -lfuse3 -pthread -Wl,-rpath,"$LIBDIR" || { echo "FAIL  does not build against ours"; exit 1; }
if [ -f /usr/include/fuse3/fuse.h ] &&
   cc -O1 -g -D_FILE_OFFSET_BITS=64 -I/usr/include/fuse3 -o "$TMP/debian" "$PROG" -lfuse3 -pthread 2>/dev/null; then
	sides="debian ours"
fi

MNT=$TMP/mnt
mkdir -p "$MNT"
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
