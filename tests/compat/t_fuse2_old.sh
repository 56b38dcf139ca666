#!/usr/bin/env bash
# libfuse's 2.1, 2.2 and 2.5 high-level APIs (fuse_compat.h) on our
# libfuse.so.2: a filesystem of our own (tests/compat/src/old_fs.c) built
# at FUSE_USE_VERSION 21, 22 and 25, once against our headers and once
# against Debian's, each run two ways (fuse_main; fuse_mount + fuse_new +
# fuse_loop + fuse_unmount) on a real mount: ls, cat, stat, statfs, the
# mount options, init's result as the context's private data, the handle
# open set, exit 0 on umount. Our build runs on our library; Debian's
# binary runs unchanged on ours through fusebox-run (its symbols bind to
# the same versions: fuse_main_real@FUSE_2.2, fuse_new@FUSE_2.5, ...)
# and, for comparison, on Debian's library (reported; ours decide).
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v cc >/dev/null || skip "no C compiler"
OURDIR=$FBX_ROOT/$BUILD/compat
LIB=$OURDIR/libfuse.so.2
FBXRUN=$FBX_ROOT/$BUILD/tools/fusebox-run
for f in "$LIB" "$FBXRUN"; do [ -f "$f" ] || { echo "missing $f (run make)"; exit 1; }; done
REF=/usr/include/fuse
SANFLAGS=
if [ "${FBX_SAN:-0}" = 1 ]; then
	SANFLAGS="-fsanitize=address,undefined"
	export LSAN_OPTIONS="suppressions=$FBX_ROOT/tests/compat/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
fi
SRC=$FBX_ROOT/tests/compat/src/old_fs.c
MNT=$TMP/mnt
mkdir -p "$MNT"

# build V SIDE: $TMP/old_V_SIDE (ours: our headers and library; deb: Debian's)
build() {
	local inc=$FBX_ROOT/include/compat/fuse2 lib=(-L"$OURDIR") san=$SANFLAGS
	if [ "$2" = deb ]; then inc=$REF lib=() san=; fi
	# shellcheck disable=SC2086 # san: zero or one word
	cc -O1 -g -Wall -Werror $san -D_FILE_OFFSET_BITS=64 -DFUSE_USE_VERSION="$1" -I"$inc" \
		-o "$TMP/old_$1_$2" "$SRC" "${lib[@]}" -lfuse -pthread 2>"$TMP/cc.log"
}

# run LABEL V MODE PROGRAM...: mount, look, umount, check the exit
run() {
	local label=$1 v=$2 mode=$3; shift 3
	local src=oldmain args=(-f -o fsname=oldmain "$MNT")
	[ "$mode" = steps ] && src=oldsteps args=(steps "$MNT")
	start_fs "$TMP/run.log" "$@" "${args[@]}"
	if ! wait_mounted "$MNT" "$PID"; then
		echo "FAIL  $label: not mounted"; sed 's/^/      /' "$TMP/run.log"
		fails=$((fails + 1)); return
	fi
	local init="init ran" destroy="destroy gets init's result"
	[ "$v" = 21 ] && init="no init" destroy=""
	check "$label: ls" "ctx hello" "$(ls "$MNT" | tr '\n' ' ' | sed 's/ $//')"
	check "$label: cat (the handle open set)" "hello, old API" "$(cat "$MNT/hello")"
	check "$label: init's result is the private data" "$init" "$(cat "$MNT/ctx")"
	check "$label: stat" "15 -r--r--r-- regular file" "$(stat -c '%s %A %F' "$MNT/hello")"
	check "$label: statfs" "2048 1000 500 400 77 33 200" "$(stat -f -c '%S %b %f %a %c %d %l' "$MNT")"
	check "$label: missing name" "ENOENT" "$(errno_of stat "$MNT/nothere")"
	check "$label: mount option fsname" "$src" "$(awk -v m="$MNT" '$2 == m { print $1 }' /proc/mounts)"
	if [ -n "${OURS_MAPPED:-}" ]; then
		check "$label: runs on our library" yes "$(grep -qF "$LIB" "/proc/$PID/maps" && echo yes)"
	fi
	umount "$MNT"
	wait_exit "$PID"; check "$label: exits 0 on umount" 0 $?
	check "$label: destroy" "$destroy" "$(grep '^destroy' "$TMP/run.log")"
	check "$label: nothing left mounted" no "$(is_fuse_mounted "$MNT" && echo yes || echo no)"
}

deb=no
[ -f "$REF/fuse_compat.h" ] && [ -f /lib/x86_64-linux-gnu/libfuse.so.2 ] && deb=yes
for v in 21 22 25; do
	if ! build $v ours; then
		echo "FAIL  old_fs.c does not build against our headers at FUSE_USE_VERSION $v"
		sed 's/^/      /' "$TMP/cc.log"; fails=$((fails + 1)); continue
	fi
	for mode in main steps; do
		OURS_MAPPED=1 run "ours $v $mode" $v $mode env LD_LIBRARY_PATH="$OURDIR" "$TMP/old_${v}_ours"
	done
	[ $deb = yes ] && [ -z "$SANFLAGS" ] || continue
	build $v deb || { echo "FAIL  old_fs.c does not build against Debian's headers"; fails=$((fails + 1)); continue; }
	check "Debian's $v build: fusebox-run -c" "$TMP/old_${v}_deb: ok, runs on $OURDIR" \
		"$("$FBXRUN" -c "$TMP/old_${v}_deb" 2>&1)"
	for mode in main steps; do
		OURS_MAPPED=1 run "Debian's $v build on ours $mode" $v $mode "$FBXRUN" -q "$TMP/old_${v}_deb"
	done
	ours=$fails
	for mode in main steps; do
		run "Debian's $v build on Debian's library $mode" $v $mode "$TMP/old_${v}_deb"
	done 2>&1 | sed 's/^ok    /info  ok    /; s/^FAIL  /info  FAIL  /'
	fails=$ours
done
[ $deb = yes ] || echo "info  no Debian libfuse-dev/libfuse2: only our build was run"
[ $fails -eq 0 ]
