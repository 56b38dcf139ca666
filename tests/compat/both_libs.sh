# shellcheck shell=bash
# tests/compat/both_libs.sh -- sourced by a compat test (after
# tests/lib/fbx.sh) that mounts one small libfuse 3 program of
# tests/compat/src on Debian's libfuse and on ours:
#   both_libs_build SRC.c
# skips without root, /dev/fuse or a C compiler; builds $TMP/ours
# against our headers and $BUILD/compat/libfuse3.so.3 (exit 1 if it does
# not build), and $TMP/debian against Debian's libfuse3-dev when it is
# there; sets $sides to "debian ours" or "ours", and $MNT (made).
# shellcheck disable=SC2034 # sides and MNT are the caller's
both_libs_build() {
	local prog=$1 libdir=$FBX_ROOT/$BUILD/compat san=
	[ "$(id -u)" = 0 ] || skip "needs root to mount"
	[ -c /dev/fuse ] || skip "no /dev/fuse"
	command -v cc >/dev/null || skip "no C compiler"
	[ -f "$libdir/libfuse3.so.3" ] || { echo "missing $libdir/libfuse3.so.3 (run make)"; exit 1; }
	[ "${FBX_SAN:-0}" = 1 ] && san="-fsanitize=address,undefined"
	# shellcheck disable=SC2086 # san is empty or one word
	cc -O1 -g $san -D_FILE_OFFSET_BITS=64 -I"$FBX_ROOT/include/compat/fuse3" -o "$TMP/ours" "$prog" \
		-L"$libdir" -lfuse3 -pthread -Wl,-rpath,"$libdir" ||
		{ echo "FAIL  $(basename "$prog") does not build against ours"; exit 1; }
	sides=ours
	if [ -f /usr/include/fuse3/fuse.h ] &&
	   cc -O1 -g -D_FILE_OFFSET_BITS=64 -I/usr/include/fuse3 -o "$TMP/debian" "$prog" -lfuse3 \
		-pthread 2>/dev/null; then
		sides="debian ours"
	fi
	MNT=$TMP/mnt
	mkdir -p "$MNT"
}
