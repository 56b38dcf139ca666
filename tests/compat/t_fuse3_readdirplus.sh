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

. "$FBX_ROOT/tests/compat/both_libs.sh"
both_libs_build "$FBX_ROOT/tests/compat/src/plus_fs.c"
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
