#!/usr/bin/env bash
# libfuse's 2.4 and 2.5 low-level APIs (fuse_lowlevel_compat.h) and the
# generic session (fuse_session_new) on our libfuse.so.2: a filesystem of
# our own (tests/compat/src/old_ll_fs.c) built at FUSE_USE_VERSION 24 and
# 25, against our headers and against Debian's, served the 2.5-era way
# (fuse_mount's descriptor, fuse_kern_chan_new): by its low-level session
# (kern), and by a fuse_session_new session of its own that hands each
# request over (generic: its process, exit, exited and destroy ops are
# called). Each run on a real mount: ls, cat (the handle open set), stat,
# statfs (2.4: a struct statfs answer), init/destroy, exit 0 on umount.
# Debian's binaries run unchanged on ours through fusebox-run; the kern
# runs on Debian's own library are reported for comparison (its generic
# session crashes in fuse_session_loop with this program: not run there).
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
SRC=$FBX_ROOT/tests/compat/src/old_ll_fs.c
MNT=$TMP/mnt
mkdir -p "$MNT"

# build V SIDE: $TMP/ll_V_SIDE (ours: our headers and library; deb: Debian's)
build() {
	local inc=$FBX_ROOT/include/compat/fuse2 lib=(-L"$OURDIR") san=$SANFLAGS
	if [ "$2" = deb ]; then inc=$REF lib=() san=; fi
	# shellcheck disable=SC2086 # san: zero or one word
	cc -O1 -g -Wall -Werror $san -D_FILE_OFFSET_BITS=64 -DFUSE_USE_VERSION="$1" -I"$inc" \
		-o "$TMP/ll_$1_$2" "$SRC" "${lib[@]}" -lfuse -pthread 2>"$TMP/cc.log"
}

# run LABEL MODE PROGRAM...: mount, look, umount, check the exit
run() {
	local label=$1 mode=$2; shift 2
	start_fs "$TMP/run.log" "$@" "$mode" "$MNT"
	if ! wait_mounted "$MNT" "$PID"; then
		echo "FAIL  $label: not mounted"; sed 's/^/      /' "$TMP/run.log"
		fails=$((fails + 1)); return
	fi
	check "$label: ls" "hello" "$(ls "$MNT")"
	check "$label: cat (the handle open set)" "hello, old low level" "$(cat "$MNT/hello")"
	check "$label: stat" "21 -r--r--r-- 2" "$(stat -c '%s %A %i' "$MNT/hello")"
	check "$label: statfs" "2048 1000 500 400 77 33 200" "$(stat -f -c '%S %b %f %a %c %d %l' "$MNT")"
	check "$label: missing name" "ENOENT" "$(errno_of stat "$MNT/nothere")"
	check "$label: mount option fsname" "oldll" "$(awk -v m="$MNT" '$2 == m { print $1 }' /proc/mounts)"
	umount "$MNT"
	wait_exit "$PID"; check "$label: exits 0 on umount" 0 $?
	check "$label: init ran before destroy" "destroy after init" "$(grep '^destroy' "$TMP/run.log")"
	if [ "$mode" = generic ]; then
		check "$label: the generic session served the requests" yes \
			"$(awk '/^generic destroy, served/ { print ($4 > 4 ? "yes" : "no: " $4) }' "$TMP/run.log")"
	fi
	check "$label: nothing left mounted" no "$(is_fuse_mounted "$MNT" && echo yes || echo no)"
}

deb=no
[ -f "$REF/fuse_lowlevel_compat.h" ] && [ -f /lib/x86_64-linux-gnu/libfuse.so.2 ] && deb=yes
for v in 24 25; do
	if ! build $v ours; then
		echo "FAIL  old_ll_fs.c does not build against our headers at FUSE_USE_VERSION $v"
		sed 's/^/      /' "$TMP/cc.log"; fails=$((fails + 1)); continue
	fi
	for mode in kern generic; do
		run "ours $v $mode" $mode env LD_LIBRARY_PATH="$OURDIR" "$TMP/ll_${v}_ours"
	done
	[ $deb = yes ] && [ -z "$SANFLAGS" ] || continue
	build $v deb || { echo "FAIL  old_ll_fs.c does not build against Debian's headers"; fails=$((fails + 1)); continue; }
	for mode in kern generic; do
		run "Debian's $v build on ours $mode" $mode "$FBXRUN" -q "$TMP/ll_${v}_deb"
	done
	ours=$fails
	run "Debian's $v build on Debian's library kern" kern "$TMP/ll_${v}_deb" 2>&1 |
		sed 's/^ok    /info  ok    /; s/^FAIL  /info  FAIL  /'
	fails=$ours
done
[ $deb = yes ] || echo "info  no Debian libfuse-dev/libfuse2: only our build was run"
[ $fails -eq 0 ]
