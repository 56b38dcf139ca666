#!/usr/bin/env bash
# suid/sgid after a change of a file's data, through examples/passthrough
# beside the same change made directly on its source (tmpfs): every way
# in (write, pwrite, truncate, ftruncate, fallocate, copy_file_range,
# mmap, and a chgrp, which the kernel treats alike), every bit (04777, 02777, 06777, and 02767: sgid without
# group-exec, which the kernel clears only for a writer outside the
# file's group), by uid 65534 and by root, in each mode: the default
# (handle_killpriv_v2: we clear the bits), -o passthrough (the kernel
# writes the backing file itself: setuid/setgid files get none), without
# killpriv_v2 (the kernel clears them through SETATTR), and over io_uring
# where the kernel offers it.
#
# Passthrough's hard cases: a file made setuid while a backing file is
# attached (a write through it still clears the bits, on the mount at
# once), and security.capability, which any write removes.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
PT=$BUILD/examples/passthrough
OPS=$FBX_ROOT/tests/fs/write_ops.py
[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
[ -x "$PT" ] || { echo "missing $PT (run make)"; exit 1; }

SRC=$TMP/src; MNT=$TMP/mnt
mkdir -p "$SRC" "$MNT"
mount -t tmpfs -o size=64m fbx-test "$SRC" || skip "cannot mount a tmpfs"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
fill() { printf 'abcdefgh%.0s' $(seq 600) > "$1"; }

# apply DIR WHO: every op on a fresh file of each mode; prints
# "op mode who result" lines.
apply() {
	local dir=$1 who=$2 op m f run=()
	[ "$who" = nobody ] && run=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	fill "$dir/data"; chmod 644 "$dir/data"
	for op in append pwrite truncate ftruncate fallocate copy_file_range mmap chgrp; do
		for m in 4777 2777 6777 2767; do
			f=$dir/f.$op.$m.$who
			fill "$f"
			# chgrp: nobody's file in root's group, which nobody is not in
			[ $op = chgrp ] && chown 65534:0 "$f"
			chmod "$m" "$f"
			"${run[@]}" /usr/bin/python3 "$OPS" "$op" "$f" "$dir/data" ||
				echo "$op $m $who: the call failed"
			echo "$op $m $who $(stat -c %a "$f")"
		done
	done
}
apply "$SRC" nobody > "$TMP/native"
apply "$SRC" root >> "$TMP/native"
rm -f "$SRC"/f.* "$SRC"/data

run_mode() {   # run_mode LABEL [passthrough options]
	local label=$1
	shift
	start_fs "$TMP/log" "$PT" -f -o allow_other,default_permissions "$@" "$SRC" "$MNT"
	wait_mounted "$MNT" "$PID" || { cat "$TMP/log"; echo "FAIL  [$label] not mounted"; exit 1; }

	{ apply "$MNT" nobody; apply "$MNT" root; } > "$TMP/mount"
	local want got line
	while read -r line; do
		set -- $line
		want=$4
		# Without killpriv_v2 the kernel's FUSE code decides, and it
		# keeps sgid without group-exec (fuse_setattr): known, and not
		# a privilege (exec honours sgid only with group-exec).
		[ "$label" = no_killpriv_v2 ] && [ "$2" = 2767 ] && [ "$3" = nobody ] && want=2767
		got=$(awk -v k="$1 $2 $3" '$1" "$2" "$3 == k {print $4}' "$TMP/mount")
		check "[$label] $1 on $2 by $3: mode on the mount" "$want" "$got"
		got=$(stat -c %a "$SRC/f.$1.$2.$3")
		check "[$label] $1 on $2 by $3: mode underneath" "$want" "$got"
	done < "$TMP/native"

	# Made setuid while open (so a backing file is attached under -o
	# passthrough), then written by another user through a second open.
	echo abc > "$MNT/late"; chmod 777 "$MNT/late"
	exec 7<"$MNT/late"
	chmod 4777 "$MNT/late"
	as_nobody sh -c "echo x >> $MNT/late"
	check "[$label] setuid while open, then written: on the mount" 777 "$(stat -c %a "$MNT/late")"
	check "[$label] ...underneath" 777 "$(stat -c %a "$SRC/late")"
	exec 7<&-

	if command -v setcap >/dev/null; then
		echo abc > "$MNT/cap"; chmod 777 "$MNT/cap"
		setcap cap_net_raw+ep "$MNT/cap"
		as_nobody sh -c "echo x >> $MNT/cap"
		check "[$label] a write removes security.capability" "" "$(getcap "$MNT/cap")"
	fi

	umount "$MNT"
	wait_exit "$PID" 50 >/dev/null
	rm -f "$SRC"/*
}

# memfs (handle_killpriv_v2 by default, path API: the library clears
# the bits on truncate, memfs on write and fallocate) against the same
# tmpfs reference, on the mount only.
run_memfs() {   # run_memfs LABEL [memfs options]
	local label=$1 want got line
	shift
	start_fs "$TMP/log" "$BUILD/examples/memfs" -f -o allow_other,default_permissions "$@" "$MNT"
	wait_mounted "$MNT" "$PID" || { cat "$TMP/log"; echo "FAIL  [$label] not mounted"; exit 1; }
	chmod 1777 "$MNT"
	{ apply "$MNT" nobody; apply "$MNT" root; } > "$TMP/mount"
	while read -r line; do
		set -- $line
		want=$4
		[ "$label" = memfs_no_killpriv_v2 ] && [ "$2" = 2767 ] && [ "$3" = nobody ] && want=2767
		got=$(awk -v k="$1 $2 $3" '$1" "$2" "$3 == k {print $4}' "$TMP/mount")
		check "[$label] $1 on $2 by $3" "$want" "$got"
	done < "$TMP/native"
	umount "$MNT"
	wait_exit "$PID" 50 >/dev/null
}

run_memfs memfs
run_memfs memfs_no_killpriv_v2 -o no_killpriv_v2
run_mode default
run_mode passthrough -o passthrough
run_mode no_killpriv_v2 -o no_killpriv_v2
if [ "$(cat /sys/module/fuse/parameters/enable_uring 2>/dev/null)" = Y ]; then
	run_mode io_uring -o io_uring
fi
finish
