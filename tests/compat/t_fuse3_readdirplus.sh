#!/usr/bin/env bash
# A high-level filesystem's readdirplus (tests/compat/src/plus_fs.c):
# libfuse looks up only the entries readdir filled with
# FUSE_FILL_DIR_PLUS; the others reach the kernel as names (the path
# layer's fbx_fill_dir_nolookup), so listing 200 files costs no getattr.
# With --plus (offset 0, as almost every program fills) libfuse 3.14
# keeps the entries in its list and sends them as names too: no getattr
# either (tup counts on it: its getattr records a read and fails for
# outputs not made yet). Run on Debian's libfuse too when its headers
# are there, for the same count.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v cc >/dev/null || skip "no C compiler"
LIBDIR=$FBX_ROOT/$BUILD/compat
[ -f "$LIBDIR/libfuse3.so.3" ] || { echo "missing $LIBDIR/libfuse3.so.3 (run make)"; exit 1; }
SANFLAGS=
[ "${FBX_SAN:-0}" = 1 ] && SANFLAGS="-fsanitize=address,undefined"
PROG=$FBX_ROOT/tests/compat/src/plus_fs.c
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
	for mode in names plus; do
		args=(); [ $mode = plus ] && args=(--plus)
		start_fs "$TMP/$side-$mode.log" "$TMP/$side" "${args[@]}" -f -o entry_timeout=60,attr_timeout=60 "$MNT"
		if ! wait_mounted "$MNT" "$PID"; then
			echo "FAIL  $side $mode: did not mount"; sed 's/^/      /' "$TMP/$side-$mode.log"; fails=$((fails + 1)); continue
		fi
		n=$(find "$MNT" -maxdepth 1 -name 'f*' | wc -l)
		got=$(cat "$MNT/count")
		check "$side $mode: all 200 names listed" 200 "$n"
		if [ $mode = names ]; then
			check "$side: entries filled without FUSE_FILL_DIR_PLUS are not looked up" 0 "$got"
		else
			check "$side: FUSE_FILL_DIR_PLUS entries (offset 0) are not looked up" 0 "$got"
		fi
		umount "$MNT"
		wait_exit "$PID" 50 >/dev/null
	done
done
finish
