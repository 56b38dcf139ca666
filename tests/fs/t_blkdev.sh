#!/usr/bin/env bash
# fuseblk mounts (-o blkdev,fsname=DEVICE[,blksize=N]) on a loop device
# over a temp file: the mount has type fuseblk with the device as source,
# the FIBMAP ioctl on a file reaches the bmap op with the mount's block
# size and returns the block it gave, umount is clean and the daemon
# exits 0. Once with a native low-level program (tests/fs/bmapfs.c),
# once with a libfuse 3 high-level one on our libfuse3.so.3
# (tests/compat/src/bmap_hl.c). Bad input is refused before mounting,
# with a message: blkdev without fsname, a non-block fsname, blksize
# without blkdev, a blksize that is no power of two.
. "$(dirname "$0")/../lib/fbx.sh"

[ "$(id -u)" = 0 ] || skip "needs root (fuseblk and loop devices)"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v losetup >/dev/null || skip "no losetup"
grep -qw fuseblk /proc/filesystems || skip "the kernel has no fuseblk"
BMAPFS=$BUILD/tests/fs/bmapfs
[ -x "$BMAPFS" ] || { echo "missing $BMAPFS (run make)"; exit 1; }

truncate -s 16M "$TMP/img"
LOOP=$(loop_attach "$TMP/img") || skip "no free loop device"
LOOPS+=" $LOOP"
M=$TMP/mnt
mkdir "$M"

# fibmap FILE BLOCK: the device block FIBMAP gives (or the error)
fibmap() {
	python3 -c '
import fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
try:
    print(struct.unpack("i", fcntl.ioctl(fd, 1, struct.pack("i", int(sys.argv[2]))))[0])
except OSError as e:
    print("errno", e.errno)' "$@"
}

umount_retry() {
	local _
	for _ in 1 2 3 4 5; do umount "$1" 2>/dev/null && return 0; sleep 0.2; done
	umount "$1"
}

# run_one NAME WANT5 PROGRAM ARGS...: mount with PROGRAM, FIBMAP block 5
run_one() {
	local name=$1 want=$2; shift 2
	start_fs "$TMP/$name.log" "$@"
	if ! wait_mounted "$M" "$PID"; then
		echo "FAIL  $name: did not mount"; sed 's/^/      /' "$TMP/$name.log"
		fails=$((fails + 1)); return
	fi
	check "$name: /proc/mounts shows fuseblk on $LOOP" "$LOOP fuseblk" \
		"$(awk -v m="$M" '$2 == m {sub(/\..*/, "", $3); print $1, $3}' /proc/mounts)"
	local got
	got=$(fibmap "$M/f" 5)
	case $want:$got in
	any:50[0-9][0-9]|any:51[0-2][0-9]) want=$got;;
	esac
	check "$name: FIBMAP of block 5 comes from the bmap op" "$want" "$got"
	# (a reader's last fput may still be on its way: busy, briefly)
	check_true "$name: umount" umount_retry "$M"
	wait_exit "$PID" 50
	check "$name: the daemon exits 0 after umount" 0 "$?"
	check "$name: nothing left mounted" "" "$(awk -v m="$M" '$2 == m' /proc/mounts)"
}

# 5 * 1000 + blksize / 512 (+ 7 from the libfuse program)
run_one native "5008" "$BMAPFS" -f -o "blkdev,fsname=$LOOP,blksize=4096" "$M"
# Without blksize the kernel picks (the device's block size on 6.18,
# 512 on older kernels): any power of two from 512 is fine.
run_one "native, default blksize" any "$BMAPFS" -f -o "blkdev,fsname=$LOOP" "$M"

# SIGTERM: the loop ends and the daemon unmounts. The kernel answers a
# fuseblk unmount with DESTROY and waits for the reply in the unmounting
# thread, so the daemon must let go of /dev/fuse first (as libfuse does)
# or stay in D state for good; if it hangs here, the connection is
# aborted so that the test can clean up.
start_fs "$TMP/term.log" "$BMAPFS" -f -o "blkdev,fsname=$LOOP" "$M"
if wait_mounted "$M" "$PID"; then
	fuseblk_sigterm "fuseblk daemon" "$PID" "$LOOP"
	check "SIGTERM: nothing left mounted" "" "$(awk -v m="$M" '$2 == m' /proc/mounts)"
else
	echo "FAIL  SIGTERM case: did not mount"; sed 's/^/      /' "$TMP/term.log"; fails=$((fails + 1))
fi

# bad input: refused, nothing mounted, a message naming the problem
bad() {   # bad NAME NEEDLE OPTIONS
	local out rc
	out=$(timeout 20 "$BMAPFS" -f -o "$3" "$M" 2>&1); rc=$?
	check "$1: refused" 1 "$rc"
	check_contains "$1: says why" "$2" "$out"
	check "$1: nothing mounted" "" "$(awk -v m="$M" '$2 == m' /proc/mounts)"
}
bad "blkdev without fsname" "needs -o fsname=DEVICE" blkdev
bad "fsname not a block device" "is not a block device" "blkdev,fsname=$TMP/img"
bad "fsname missing" "No such file" "blkdev,fsname=$TMP/none"
bad "blksize without blkdev" "needs -o blkdev" blksize=4096
bad "blksize not a power of two" "a power of two" "blkdev,fsname=$LOOP,blksize=1000"

# the same through libfuse's API on our libfuse3.so.3
LIB=$FBX_ROOT/$BUILD/compat/libfuse3.so.3
if [ "${FBX_SKIP_COMPAT:-0}" != 1 ] && [ -f "$LIB" ] && command -v cc >/dev/null; then
	SANFLAGS=
	if [ "${FBX_SAN:-0}" = 1 ]; then
		SANFLAGS="-fsanitize=address,undefined"
		export LSAN_OPTIONS="suppressions=$FBX_ROOT/tests/compat/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	fi
	# shellcheck disable=SC2086 # SANFLAGS is empty or one word
	if cc -O1 -g -Wall $SANFLAGS -I"$FBX_ROOT/include/compat/fuse3" -D_FILE_OFFSET_BITS=64 \
		-o "$TMP/bmap_hl" tests/compat/src/bmap_hl.c -L"$FBX_ROOT/$BUILD/compat" -lfuse3 \
		-pthread -Wl,-rpath,"$FBX_ROOT/$BUILD/compat" >"$TMP/cc.log" 2>&1; then
		run_one libfuse3 "5015" "$TMP/bmap_hl" -f -o "blkdev,fsname=$LOOP,blksize=4096" "$M"
		check "libfuse3: fuse_lib_help lists blkdev and blksize" 2 \
			"$("$TMP/bmap_hl" -h 2>&1 | grep -cE '(^| )blkdev|blksize=')"
	else
		echo "FAIL  bmap_hl does not build:"; sed 's/^/      /' "$TMP/cc.log" | head -20
		fails=$((fails + 1))
	fi
else
	echo "(no libfuse3 part: no $LIB or no cc)"
fi

[ "$fails" = 0 ]
