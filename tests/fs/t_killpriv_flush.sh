#!/usr/bin/env bash
# examples/passthrough: handle_killpriv_v2 and FLUSH-less close, each on
# by default and each switched off by its option.
#
# killpriv_v2: the daemon clears suid/sgid itself for writers without
# CAP_FSETID (write, truncate, open with O_TRUNC; sgid without group-exec
# only for a writer outside the file's group), and the kernel asks for
# security.capability once per inode rather than before every write(2).
# Checked: the bits are gone both on the mount (the kernel's cached mode
# was invalidated) and underneath; root's writes keep them; over 32
# writes the kernel sends at most a few GETXATTRs (32 with the option off).
#
# noflush: on a local source (tmpfs here) close(2) sends no FLUSH;
# -o flush brings it back. Counted from the -d request log.
#
# no_xattr: no GETXATTR after the first (see xattr_mode); exclusive:
# writes gathered by the writeback cache (see exclusive_mode).
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
PT=$BUILD/examples/passthrough
[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
[ -x "$PT" ] || { echo "missing $PT (run make)"; exit 1; }

SRC=$TMP/src; MNT=$TMP/mnt
mkdir -p "$SRC" "$MNT"
mount -t tmpfs -o size=64m fbx-test "$SRC" || skip "cannot mount a tmpfs"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
count() { grep -c "opcode: $1 " "$TMP/log" || true; }

run_mode() {   # run_mode LABEL KILLPRIV(1|0) FLUSH(1|0) [passthrough options]
	local label=$1 kp=$2 fl=$3 f
	shift 3
	start_fs "$TMP/log" "$PT" -f -d -o allow_other,default_permissions "$@" "$SRC" "$MNT"
	wait_mounted "$MNT" "$PID" || { cat "$TMP/log"; echo "FAIL  [$label] not mounted"; exit 1; }

	for f in w t o r; do install -m 6777 /dev/null "$MNT/$f"; done
	as_nobody sh -c "echo x >> $MNT/w"
	as_nobody truncate -s 10 "$MNT/t"
	echo data > "$MNT/o"
	as_nobody sh -c ": > $MNT/o"
	echo root >> "$MNT/r"
	for f in w t o; do
		check "[$label] $f by nobody: suid/sgid gone on the mount" "-rwxrwxrwx" "$(stat -c %A "$MNT/$f")"
		check "[$label] $f by nobody: gone underneath" "-rwxrwxrwx" "$(stat -c %A "$SRC/$f")"
	done
	check "[$label] write by root keeps suid/sgid" "-rwsrwsrwx" "$(stat -c %A "$MNT/r")"

	# sgid without group-exec: with killpriv_v2 cleared for a writer
	# outside the file's group and kept for a member (by gid or a
	# supplementary group), as tmpfs does. Without it the kernel's FUSE
	# code decides, and it clears sgid only with group-exec (fuse_setattr).
	install -m 2666 /dev/null "$MNT/g"
	install -m 2666 /dev/null "$MNT/s"
	install -m 2666 -g 65534 /dev/null "$MNT/m"
	install -m 2666 /dev/null "$MNT/tg"
	as_nobody sh -c "echo x >> $MNT/g; echo x >> $MNT/m"
	setpriv --reuid=65534 --regid=65534 --groups=0 sh -c "echo x >> $MNT/s"
	as_nobody truncate -s 3 "$MNT/tg"
	local nonmember=-rw-rwSrw-
	[ "$kp" = 1 ] && nonmember=-rw-rw-rw-
	check "[$label] write by a non-member (no g+x)" "$nonmember" "$(stat -c %A "$MNT/g")"
	check "[$label] ...underneath too" "$nonmember" "$(stat -c %A "$SRC/g")"
	check "[$label] truncate by a non-member (no g+x)" "$nonmember" "$(stat -c %A "$MNT/tg")"
	check "[$label] write by the group keeps sgid (no g+x)" "-rw-rwSrw-" "$(stat -c %A "$MNT/m")"
	check "[$label] write by a supplementary member keeps sgid" "-rw-rwSrw-" "$(stat -c %A "$MNT/s")"

	: > "$MNT/big"
	local before; before=$(count GETXATTR)
	dd if=/dev/zero of="$MNT/big" bs=64k count=32 conv=notrunc 2>/dev/null
	local n=$(( $(count GETXATTR) - before ))
	if [ "$kp" = 1 ]; then check "[$label] GETXATTR per 32 writes is at most 2" 1 "$(( n <= 2 ))"
	else check "[$label] GETXATTR before every write" 1 "$(( n >= 32 ))"; fi

	before=$(count FLUSH)
	for f in 1 2 3 4 5; do cat "$MNT/big" >/dev/null; done
	n=$(( $(count FLUSH) - before ))
	if [ "$fl" = 1 ]; then check "[$label] FLUSH on each close" 1 "$(( n >= 5 ))"
	else check "[$label] no FLUSH on close" 0 "$n"; fi

	umount "$MNT"
	wait_exit "$PID" 50 >/dev/null
	rm -f "$SRC"/*
}

# xattr_mode default|no_xattr: with -o no_xattr the first xattr call is
# answered ENOSYS and the kernel asks no more, neither before a file's
# first write nor before a chown (the two GETXATTRs tar costs per file),
# and xattrs are refused; by default they are served, and each new file
# costs them.
xattr_mode() {
	local mode=$1 f opts=(); [ "$mode" = default ] || opts=(-o "$mode")
	start_fs "$TMP/log" "$PT" -f -d "${opts[@]}" "$SRC" "$MNT"
	wait_mounted "$MNT" "$PID" || { cat "$TMP/log"; echo "FAIL  [$mode] not mounted"; exit 1; }
	for f in 1 2 3 4; do echo x >"$MNT/x$f"; chown 65534 "$MNT/x$f"; done
	local n; n=$(count GETXATTR)
	local set; set=$(python3 -c 'import os, sys
try: os.setxattr(sys.argv[1], "user.t", b"v"); print(os.getxattr(sys.argv[1], "user.t").decode())
except OSError as e: print(os.strerror(e.errno))' "$MNT/x1")
	if [ "$mode" = no_xattr ]; then
		check "[$mode] 4 files written and chowned: at most 1 GETXATTR" 1 "$(( n <= 1 ))"
		check "[$mode] setxattr refused" "$(python3 -c 'import os, errno; print(os.strerror(errno.EOPNOTSUPP))')" "$set"
	else
		check "[$mode] 4 files written and chowned: 8 GETXATTR" 8 "$n"
		check "[$mode] setxattr and getxattr served" v "$set"
	fi
	umount "$MNT"
	wait_exit "$PID" 50 >/dev/null
	rm -f "$SRC"/*
}

# -o exclusive (nothing else writes the source): the writeback cache
# where FUSE passthrough is not used, so 64 one-byte writes reach the
# daemon as one or two WRITEs; without it, as 64.
exclusive_mode() {
	local eo=$1 want=$2
	start_fs "$TMP/log" "$PT" -f -d -o "$eo" "$SRC" "$MNT"
	wait_mounted "$MNT" "$PID" || { cat "$TMP/log"; echo "FAIL  [$eo] not mounted"; exit 1; }
	python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
for i in range(64): os.write(fd, b"x")
os.close(fd)' "$MNT/e"
	check "[$eo] 64 bytes written" 64 "$(stat -c %s "$SRC/e")"
	local n; n=$(count WRITE)
	if [ "$want" = few ]; then check "[$eo] 64 one-byte writes: at most 2 WRITEs" 1 "$(( n <= 2 ))"
	else check "[$eo] 64 one-byte writes: 64 WRITEs" 64 "$n"; fi
	umount "$MNT"
	wait_exit "$PID" 50 >/dev/null
	rm -f "$SRC"/*
}

run_mode default 1 0
xattr_mode default
xattr_mode no_xattr
exclusive_mode exclusive,no_passthrough few
exclusive_mode no_passthrough each
run_mode no_killpriv_v2,flush 0 1 -o no_killpriv_v2,flush
# The same over io_uring, where the kernel offers it (enable_uring=Y).
if [ "$(cat /sys/module/fuse/parameters/enable_uring 2>/dev/null)" = Y ]; then
	run_mode io_uring 1 0 -o io_uring
fi
finish
