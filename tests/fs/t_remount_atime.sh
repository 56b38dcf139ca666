#!/usr/bin/env bash
# Remount and access times, beside the native file system.
#
# remount: `mount -o remount,ro MNT` makes mount(8) run /sbin/mount.fuse3,
# which runs the program again as `PROG SOURCE MNT -o remount,...`: that
# run asks the kernel (MS_REMOUNT) and exits, the daemon goes on. Checked
# through mount.fuse3 itself (mount(8) would find only programs in the
# system's PATH), through the program directly, and with `mount -i`: ro
# refuses writes (EROFS) and keeps reads, rw writes again, nosuid/nodev
# stay, an ordinary user is told that only root can remount.
#
# atime: the kernel leaves access times of a FUSE mount to the daemon, so
# memfs keeps noatime/relatime/strictatime itself, and passthrough reads
# its source (a relatime tmpfs) through a copy of that mount carrying
# its own mount's rule (under -o passthrough the kernel reads backing
# files on the source's mount): exec, read and reread as on tmpfs.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
MEMFS=$BUILD/examples/memfs
PT=$BUILD/examples/passthrough
[ "$(id -u)" = 0 ] || skip "needs root (remount, tmpfs)"
[ -c /dev/fuse ] || skip "no /dev/fuse"
[ -x "$MEMFS" ] && [ -x "$PT" ] || { echo "missing $MEMFS or $PT (run make)"; exit 1; }
MNT=$TMP/mnt SRC=$TMP/src NAT=$TMP/native
mkdir -p "$MNT" "$SRC" "$NAT"
opts_of() { awk -v m="$1" '$2 == m {print $4}' /proc/mounts; }
has_opt() { case ",$(opts_of "$1")," in *",$2,"*) echo yes;; *) echo no;; esac; }

# ---- remount ----------------------------------------------------------
start_fs "$TMP/log" "$MEMFS" -f "$MNT"
wait_mounted "$MNT" "$PID" || { cat "$TMP/log"; echo "FAIL  not mounted"; exit 1; }
echo a > "$MNT/a"
if [ -x /sbin/mount.fuse3 ]; then
	PATH=$FBX_ROOT/$BUILD/examples:$PATH /sbin/mount.fuse3 memfs "$MNT" -t fuse.memfs -o remount,ro
	check "mount.fuse3 -o remount,ro: exit status" 0 $?
	check "...the mount is read-only" yes "$(has_opt "$MNT" ro)"
	check "...a write is refused" EROFS "$(errno_of create "$MNT/b")"
	check "...a read works" a "$(cat "$MNT/a")"
	check "...nosuid stays" yes "$(has_opt "$MNT" nosuid)"
	check "...nodev stays" yes "$(has_opt "$MNT" nodev)"
fi
"$MEMFS" "$MNT" -o remount,rw
check "PROG MNT -o remount,rw: writable again" ok "$(errno_of create "$MNT/b")"
check "...nosuid still there" yes "$(has_opt "$MNT" nosuid)"
mount -i -o remount,ro "$MNT"
check "mount -i -o remount,ro: the kernel switches" EROFS "$(errno_of create "$MNT/c")"
"$MEMFS" "$MNT" -o remount,rw,noatime
check "remount,rw,noatime: noatime" yes "$(has_opt "$MNT" noatime)"
msg=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$MEMFS" "$MNT" -o remount,ro 2>&1)
check_contains "remount as a user: says why not" "only root can remount" "$msg"
check "...and the mount is as it was" yes "$(has_opt "$MNT" rw)"
check "the daemon served throughout" 0 "$(kill -0 "$PID"; echo $?)"
umount "$MNT"
wait_exit "$PID" 50 >/dev/null

# ---- atime ------------------------------------------------------------
# exec_read DIR: the atime of a fresh file after exec, and after a read
# of a file whose atime is older than its mtime (relatime updates that).
exec_read() {
	cp /bin/true "$1/t"; touch -a -d 2020-01-01 "$1/t"
	"$1/t"; echo -n "exec:$(stat -c %X "$1/t") "
	echo data > "$1/r"; touch -a -d 2020-01-01 "$1/r"
	cat "$1/r" >/dev/null
	[ "$(stat -c %X "$1/r")" = 1577836800 ] && echo -n "read:kept " || echo -n "read:updated "
	# read again: only strictatime dates it again (nanoseconds tell)
	echo data > "$1/s"; cat "$1/s" >/dev/null
	# (a tick apart: the kernel dates with a coarse clock)
	local a; a=$(stat -c %x "$1/s"); sleep 0.05; cat "$1/s" >/dev/null
	[ "$(stat -c %x "$1/s")" = "$a" ] && echo "reread:kept" || echo "reread:updated"
}
for o in noatime relatime strictatime; do
	mount -t tmpfs -o "$o" fbx-test "$NAT"
	want=$(exec_read "$NAT" | sed 's/exec:1577836800 /exec:kept /; s/exec:[0-9][0-9]* /exec:updated /')
	umount "$NAT"
	for fs in memfs passthrough; do
		if [ $fs = memfs ]; then
			# Reads the kernel serves from its cache never reach memfs,
			# and under its default writeback cache the data just
			# written is all cached: write through to see memfs's own
			# atime rules at work (memfs.1, CACHING).
			start_fs "$TMP/log" "$MEMFS" -f -o "$o,no_writeback_cache" "$MNT"
		else
			mount -t tmpfs -o relatime fbx-test "$SRC"
			start_fs "$TMP/log" "$PT" -f -o "$o" "$SRC" "$MNT"
		fi
		wait_mounted "$MNT" "$PID" || { cat "$TMP/log"; echo "FAIL  $fs not mounted"; exit 1; }
		got=$(exec_read "$MNT" | sed 's/exec:1577836800 /exec:kept /; s/exec:[0-9][0-9]* /exec:updated /')
		check "[$fs -o $o] exec and read date the file as tmpfs does" "$want" "$got"
		umount "$MNT"
		wait_exit "$PID" 50 >/dev/null
		[ $fs = passthrough ] && umount "$SRC"
	done
done
finish
