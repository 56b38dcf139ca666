#!/usr/bin/env bash
# Debian's libfuse 3 programs that serve a disk image as a file, unchanged
# binaries on our libfuse3.so.3 through fusebox-run:
#  - nbdfuse (libnbd-bin) exporting an nbdkit memory disk as MNT/nbd:
#    data written and read back, then ext4 made on it, loop-mounted,
#    filled, unmounted and checked clean with e2fsck;
#  - qemu-storage-daemon's FUSE export of a qcow2 image, writable: data
#    written with fsync, the daemon stopped, the image checked with
#    qemu-img check and its data compared with qemu-img convert.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ "${FBX_SAN:-0}" = 1 ] && skip "Debian's programs run in the normal build only"
[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
RUN=$FBX_ROOT/$BUILD/tools/fusebox-run
LIB=$FBX_ROOT/$BUILD/compat/libfuse3.so.3
[ -x "$RUN" ] && [ -f "$LIB" ] || { echo "missing $RUN or $LIB (run make)"; exit 1; }
runs_ours() {   # runs_ours NAME: the daemon ($PID, exec'd by fusebox-run) mapped our library
	check "$1: the daemon runs on our library" yes \
		"$(grep -qF "$LIB" "/proc/$PID/maps" 2>/dev/null && echo yes)"
}
LOOPDIR=$TMP/loopmnt
fbx_cleanup_hook() { mountpoint -q "$LOOPDIR" 2>/dev/null && umount "$LOOPDIR"; }
MNT=$TMP/mnt; mkdir -p "$MNT" "$LOOPDIR"
head -c 8388608 /dev/urandom >"$TMP/data"

# ---- nbdfuse -----------------------------------------------------------------
if command -v nbdfuse >/dev/null && command -v nbdkit >/dev/null; then
	start_fs "$TMP/nbdfuse.log" "$RUN" -q nbdfuse "$MNT" --command nbdkit -s memory 128M
	if wait_mounted "$MNT" "$PID"; then
		runs_ours nbdfuse
		check "nbdfuse: the disk's size" 134217728 "$(stat -c %s "$MNT/nbd")"
		dd if="$TMP/data" of="$MNT/nbd" bs=1M conv=notrunc,fsync status=none
		check_true "nbdfuse: data read back" cmp -n 8388608 "$TMP/data" "$MNT/nbd"
		mkfs.ext4 -q -F "$MNT/nbd"
		if mount -o loop "$MNT/nbd" "$LOOPDIR"; then
			cp -a "$FBX_ROOT/lib" "$LOOPDIR/lib"
			check_true "nbdfuse: ext4 on it, through a loop device" diff -r "$FBX_ROOT/lib" "$LOOPDIR/lib"
			umount "$LOOPDIR"
			check_true "nbdfuse: e2fsck finds it clean" e2fsck -fn "$MNT/nbd"
		else
			echo "FAIL  nbdfuse: cannot loop-mount the disk"; fails=$((fails + 1))
		fi
		umount "$MNT"
		wait_exit "$PID" 100; check "nbdfuse: exits 0 after umount" 0 $?
	else
		echo "FAIL  nbdfuse did not mount"; sed 's/^/      /' "$TMP/nbdfuse.log"; fails=$((fails + 1))
	fi
else
	echo "note: no nbdfuse or nbdkit (tests/install-deps): not run"
fi

# ---- qemu-storage-daemon --export type=fuse -------------------------------------
if command -v qemu-storage-daemon >/dev/null && command -v qemu-img >/dev/null; then
	IMG=$TMP/img.qcow2 EXP=$TMP/export
	qemu-img create -q -f qcow2 "$IMG" 64M && touch "$EXP"
	start_fs "$TMP/qsd.log" "$RUN" -q qemu-storage-daemon \
		--blockdev driver=file,node-name=file,filename="$IMG" \
		--blockdev driver=qcow2,node-name=disk,file=file \
		--export type=fuse,id=exp,node-name=disk,mountpoint="$EXP",writable=on
	if wait_mounted "$EXP" "$PID"; then
		runs_ours qemu-storage-daemon
		check "qemu-storage-daemon: the export's size" 67108864 "$(stat -c %s "$EXP")"
		dd if="$TMP/data" of="$EXP" bs=64k seek=16 conv=notrunc,fsync status=none
		check_true "qemu-storage-daemon: data read back" \
			cmp -n 8388608 "$TMP/data" <(tail -c +1048577 "$EXP")
		kill -TERM "$PID"
		wait_exit "$PID" 100; check "qemu-storage-daemon: exits 0 on SIGTERM" 0 $?
		check "qemu-storage-daemon: the export is gone" no "$(is_fuse_mounted "$EXP" && echo yes || echo no)"
		check_true "qemu-storage-daemon: qemu-img check is clean" qemu-img check -q "$IMG"
		qemu-img convert -O raw "$IMG" "$TMP/out.raw"
		check_true "qemu-storage-daemon: the image holds the data" \
			cmp -n 8388608 "$TMP/data" <(tail -c +1048577 "$TMP/out.raw")
	else
		echo "FAIL  qemu-storage-daemon did not export"; sed 's/^/      /' "$TMP/qsd.log"; fails=$((fails + 1))
	fi
else
	echo "note: no qemu-storage-daemon (tests/install-deps): not run"
fi

[ $fails -eq 0 ]
