#!/usr/bin/env bash
# Debian's libfuse 3 programs that serve a disk image as a file, unchanged
# binaries on our libfuse3.so.3 through fusebox-run:
#  - nbdfuse (libnbd-bin) exporting an nbdkit memory disk as MNT/nbd:
#    data written and read back, then ext4 made on it, loop-mounted,
#    filled, unmounted and checked clean with e2fsck;
#  - qemu-storage-daemon's FUSE export of a qcow2 image, writable: data
#    written with fsync, the daemon stopped, the image checked with
#    qemu-img check and its data compared with qemu-img convert;
#  - ostree's rofiles-fuse over a tree: new files, renames, links and
#    modes reach the source, and a write to a file with two links is
#    refused (EROFS), as rofiles-fuse promises;
#  - lxcfs: its /proc and /sys views, the same on our library as on
#    Debian's libfuse (MemTotal, cpu online list, the /proc listing);
#  - tup, the build system that runs each command inside its own FUSE
#    filesystem to see what it reads: a build, an incremental one after
#    an edit, and a rule rerun after a change to an input it never
#    declared (seen only through the FUSE fs).
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

# ---- rofiles-fuse (ostree) --------------------------------------------------------
if command -v rofiles-fuse >/dev/null; then
	SRCT=$TMP/rosrc ROM=$TMP/romnt
	mkdir -p "$SRCT/d" "$ROM" && echo hello >"$SRCT/f" && ln "$SRCT/f" "$SRCT/hl"
	start_fs "$TMP/rofiles.log" "$RUN" -q rofiles-fuse "$SRCT" "$ROM" -f
	if wait_mounted "$ROM" "$PID"; then
		runs_ours rofiles-fuse
		echo new >"$ROM/new" && mv "$ROM/new" "$ROM/new2" && chmod 600 "$ROM/new2" &&
			mkdir "$ROM/d2" && ln -s f "$ROM/sl" && touch -d @1000 "$ROM/new2"
		check "rofiles-fuse: create, rename, chmod, utimens, mkdir, symlink reach the source" \
			"new 600 1000 d2 f" "$(cat "$SRCT/new2") $(stat -c '%a %Y' "$SRCT/new2") $([ -d "$SRCT/d2" ] && echo d2) $(readlink "$SRCT/sl")"
		err=$( (echo x >>"$ROM/f") 2>&1 )
		check_contains "rofiles-fuse: a file with two links is read-only" "Read-only file system" "$err"
		check "rofiles-fuse: and unchanged" hello "$(cat "$SRCT/f")"
		rm "$ROM/hl"
		check "rofiles-fuse: unlink reaches the source" "1" "$(stat -c %h "$SRCT/f")"
		fusermount3 -u "$ROM"
		wait_exit "$PID" 100; check "rofiles-fuse: exits 0 after umount" 0 $?
	else
		echo "FAIL  rofiles-fuse did not mount"; sed 's/^/      /' "$TMP/rofiles.log"; fails=$((fails + 1))
	fi
else
	echo "note: no rofiles-fuse (ostree, tests/install-deps): not run"
fi

# ---- lxcfs ------------------------------------------------------------------------
# lxcfs_view SIDE: mounts lxcfs on Debian's libfuse (peer) or ours, prints
# what does not change between two runs
lxcfs_view() {
	local m=$TMP/lxcfs-$1
	mkdir -p "$m"
	if [ "$1" = ours ]; then start_fs "$TMP/lxcfs-$1.log" "$RUN" -q lxcfs -f "$m"
	else start_fs "$TMP/lxcfs-$1.log" lxcfs -f "$m"; fi
	wait_mounted "$m" "$PID" || { echo "lxcfs did not mount: $(tail -n2 "$TMP/lxcfs-$1.log" | tr '\n' ' ')"; return; }
	[ "$1" = ours ] && runs_ours lxcfs >&2
	(cd "$m" && ls . proc)
	grep MemTotal "$m/proc/meminfo"
	grep -c '^processor' "$m/proc/cpuinfo"
	cat "$m/sys/devices/system/cpu/online"
	fusermount3 -u "$m"
	wait_exit "$PID" 100; echo "exit $?"
}
if command -v lxcfs >/dev/null; then
	peer=$(lxcfs_view peer) ours=$(lxcfs_view ours)
	check "lxcfs: the same views on our library as on Debian's" "$peer" "$ours"
	check_contains "lxcfs: mounted, read and exited 0" "exit 0" "$ours"
else
	echo "note: no lxcfs (tests/install-deps): not run"
fi

# ---- tup ------------------------------------------------------------------------
if command -v tup >/dev/null && command -v gcc >/dev/null; then
	P=$TMP/tupproj
	mkdir -p "$P" && (cd "$P" && tup init >/dev/null 2>&1)
	echo 'int f(void){return 1;}' >"$P/f.c"
	echo 'int f(void); int main(void){return f() - 1;}' >"$P/main.c"
	printf ': foreach *.c |> gcc -c %%f -o %%o |> %%B.o\n: *.o |> gcc %%f -o %%o |> prog\n' >"$P/Tupfile"
	(cd "$P" && LD_DEBUG=files "$RUN" -q tup) >"$TMP/tup1.log" 2>&1
	check_contains "tup: runs on our library" "calling init: $LIB" "$(grep 'calling init:.*libfuse3' "$TMP/tup1.log")"
	check_true "tup: the build made a program that runs" "$P/prog"
	sleep 1   # tup sees a change by its mtime, in seconds
	echo 'int f(void){return 2;}' >"$P/f.c"
	(cd "$P" && "$RUN" -q tup) >"$TMP/tup2.log" 2>&1
	check "tup: after an edit, f.o and prog rebuilt, main.o not" "gcc -c f.c -o f.o|gcc f.o main.o -o prog" \
		"$(grep -oE 'gcc [^[]*' "$TMP/tup2.log" | sed 's/ *$//' | sort | paste -sd'|')"
	check "tup: the new program" 1 "$("$P/prog"; echo $?)"
	echo ': |> cat secret > out |> out' >"$P/Tupfile" && echo s >"$P/secret"
	(cd "$P" && "$RUN" -q tup) >"$TMP/tup3.log" 2>&1
	sleep 1
	echo t >"$P/secret"
	(cd "$P" && "$RUN" -q tup) >"$TMP/tup4.log" 2>&1
	check "tup: an input read through its FUSE fs, never declared, reruns the rule" \
		"cat secret > out t" "$(grep -oE 'cat secret > out' "$TMP/tup4.log") $(cat "$P/out")"
else
	echo "note: no tup or gcc (tests/install-deps): not run"
fi

[ $fails -eq 0 ]
