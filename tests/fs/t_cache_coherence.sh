#!/usr/bin/env bash
# What the caches of memfs and passthrough promise, on real mounts.
#
# memfs (page cache kept across opens and its own writes, and the
# writeback cache, by default):
#   - a file written and then read twice is read from the page cache: no
#     READ reaches the daemon (FBX_REQUEST_COUNTS); with -o no_keep_cache
#     the same reads do reach it (the check can fail);
#   - the same with -o no_writeback_cache (writes go through);
#   - a randomized data check (tests/fs/datacheck.py: pwrite, ftruncate,
#     pread, mmap writes, reopen) sees exactly the data written.
# passthrough, defaults (as root on Linux >= 6.9: FUSE passthrough, so
# no READ at all), -o no_passthrough and -o writeback_cache:
#   - the page cache is kept across opens of a file that did not change
#     below: a second cat sends no READ;
#   - without writeback_cache, a change made underneath (another process
#     writes the source file) while the file is not open through the
#     mount is seen at the next open, data and size; one made while it is
#     open is seen once the attributes are refreshed: with attr_timeout=0,
#     at the next stat(2) through the mount. With writeback_cache the
#     kernel keeps size and mtime itself, so only a change that keeps the
#     size is checked there (the cost passthrough.c documents);
#   - overlapping opens of one file (a writer after a reader, a reader
#     and an mmap writer after a write-only create) see each other's
#     writes, and by default none of it reaches the daemon;
#   - a store through a shared mapping dates the file: stat through the
#     mount sees the new mtime and ctime at once (attr_timeout=60);
#   - the randomized data check, on the mount and then below it.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
PT=$BUILD/examples/passthrough
MEMFS=$BUILD/examples/memfs
[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v python3 >/dev/null || skip "no python3"
[ -x "$PT" ] && [ -x "$MEMFS" ] || { echo "missing $PT or $MEMFS (run make)"; exit 1; }
DC=$FBX_ROOT/tests/fs/datacheck.py
SRC=$TMP/src; MNT=$TMP/mnt
mkdir -p "$SRC" "$MNT"
export FBX_REQUEST_COUNTS=1

# reads LOG: the READ count of the daemon's exit line (0 if none)
reads() { sed -n 's/^fusebox: requests: .* READ=\([0-9]*\).*/\1/p' "$1" | tail -n1 | grep . || echo 0; }
stop() { umount "$MNT"; wait_exit "$PID" 50 >/dev/null; }
mount_fs() { # LOG PROGRAM ARGS...
	local log=$1; shift
	start_fs "$log" "$@"
	wait_mounted "$MNT" "$PID" || { cat "$log"; echo "FAIL  not mounted: $*"; exit 1; }
}

# --- memfs ---------------------------------------------------------------
for mode in default no_writeback_cache nocache; do
	opts=(); [ $mode = nocache ] && opts=(-o no_keep_cache)
	[ $mode = no_writeback_cache ] && opts=(-o no_writeback_cache)
	mount_fs "$TMP/m.log" "$MEMFS" -f "${opts[@]}" "$MNT"
	head -c 1048576 /dev/urandom >"$TMP/ref"
	cp "$TMP/ref" "$MNT/f"
	cmp -s "$TMP/ref" "$MNT/f"; check "[memfs $mode] data read back" 0 $?
	cmp -s "$TMP/ref" "$MNT/f"; check "[memfs $mode] and again, through a new open" 0 $?
	stop
	n=$(reads "$TMP/m.log")
	if [ $mode != nocache ]; then
		check "[memfs $mode] no READ reaches the daemon" 0 "$n"
	else
		check_true "[memfs $mode] READs reach the daemon ($n)" test "$n" -gt 0
	fi
	mount_fs "$TMP/m.log" "$MEMFS" -f "${opts[@]}" "$MNT"
	out=$(python3 "$DC" "$MNT/d" 14 400); rc=$?
	check "[memfs $mode] randomized data check${out:+ ($out)}" 0 $rc
	stop
done

# --- passthrough -----------------------------------------------------------
kmaj=$(uname -r | cut -d. -f1); kmin=$(uname -r | cut -d. -f2)
for mode in default no_passthrough writeback_cache; do
	opts=(); [ $mode != default ] && opts=(-o "$mode")
	head -c 262144 /dev/urandom >"$SRC/f"
	mount_fs "$TMP/p1.log" "$PT" -f "${opts[@]}" "$SRC" "$MNT"
	cat "$MNT/f" >/dev/null
	stop
	one=$(reads "$TMP/p1.log")
	if [ $mode = default ] && { [ "$kmaj" -gt 6 ] || { [ "$kmaj" = 6 ] && [ "$kmin" -ge 9 ]; }; }; then
		check "[pt $mode] FUSE passthrough by default: cat sends no READ" 0 "$one"
	fi
	mount_fs "$TMP/p2.log" "$PT" -f "${opts[@]}" "$SRC" "$MNT"
	cat "$MNT/f" >/dev/null; cat "$MNT/f" >/dev/null
	stop
	check "[pt $mode] unchanged file: the second cat sends no READ" "$one" "$(reads "$TMP/p2.log")"

	# Overlapping opens share the inode's one backing file, whatever the
	# first open's mode: a writer after a reader, a reader and an mmap
	# writer after a write-only create.
	printf 'original\n' >"$SRC/s"
	mount_fs "$TMP/ps.log" "$PT" -f "${opts[@]}" "$SRC" "$MNT"
	got=$(python3 - "$MNT" <<'PY'
import mmap, os, sys
m = sys.argv[1]
r = os.open(m + "/s", os.O_RDONLY)
w = os.open(m + "/s", os.O_WRONLY)
os.pwrite(w, b"WRITTEN!", 0)
a = os.pread(r, 8, 0)
os.close(w); os.close(r)
w = os.open(m + "/t", os.O_CREAT | os.O_WRONLY, 0o600)
r = os.open(m + "/t", os.O_RDONLY)
os.write(w, b"hello t")
b = os.pread(r, 7, 0)
rw = os.open(m + "/t", os.O_RDWR)
mm = mmap.mmap(rw, 7); mm[0:1] = b"H"; mm.flush(); mm.close()
for fd in (w, r, rw): os.close(fd)
print(a.decode(), b.decode())
PY
)
	stop
	check "[pt $mode] overlapping opens: each sees the other's writes" "WRITTEN! hello t" "$got"
	check "[pt $mode] overlapping opens: below" "WRITTEN! Hello t" \
		"$(head -c 8 "$SRC/s") $(cat "$SRC/t")"
	if [ $mode = default ] && { [ "$kmaj" -gt 6 ] || { [ "$kmaj" = 6 ] && [ "$kmin" -ge 9 ]; }; }; then
		check "[pt $mode] overlapping opens: FUSE passthrough, no READ or WRITE" "" \
			"$(grep -oE ' (READ|WRITE)=[0-9]+' "$TMP/ps.log")"
	fi
	rm -f "$SRC/s" "$SRC/t"

	# A store through a shared mapping dates the file (mtime, ctime)
	# below only: stat through the mount, within attr_timeout of a stat
	# made before the open, must see it.
	printf 'mapped\n' >"$SRC/m"; touch -d 2020-01-01 "$SRC/m"
	mount_fs "$TMP/pm.log" "$PT" -f -o default_permissions,attr_timeout=60 "${opts[@]}" "$SRC" "$MNT"
	before=$(stat -c %y "$MNT/m")
	python3 -c 'import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
mm = mmap.mmap(fd, 6); mm[0:1] = b"M"; mm.close(); os.close(fd)' "$MNT/m"
	got=$(stat -c %y "$MNT/m")
	stop
	[ "$got" != "$before" ] && got=changed
	check "[pt $mode] mmap store: stat through the mount sees the new mtime" changed "$got"
	check "[pt $mode] mmap store: below" Mapped "$(head -c 6 "$SRC/m")"
	rm -f "$SRC/m"

	# underneath, while closed: seen at the next open
	mount_fs "$TMP/p3.log" "$PT" -f -o attr_timeout=0 "${opts[@]}" "$SRC" "$MNT"
	printf 'first\n' >"$MNT/g"
	check "[pt $mode] written through the mount" first "$(cat "$MNT/g")"
	printf 'SECOND' | dd of="$SRC/g" conv=notrunc status=none
	check "[pt $mode] same size, changed below while closed: next open sees it" SECOND "$(cat "$MNT/g")"
	if [ $mode != writeback_cache ]; then
		printf 'third, longer\n' >"$SRC/g"
		check "[pt $mode] changed size below: next open sees it" "third, longer" "$(cat "$MNT/g")"
		# underneath, while open: seen once the attributes are refreshed
		exec 7<"$MNT/g"
		head -c 5 <&7 >/dev/null
		printf 'fourth, longest of all\n' >"$SRC/g"
		stat "$MNT/g" >/dev/null
		got=$(python3 -c 'import os; print(os.pread(7, 100, 0).decode().strip())' 7<&7)
		check "[pt $mode] changed below while open: seen after a stat" "fourth, longest of all" "$got"
		exec 7<&-
	fi
	out=$(python3 "$DC" "$MNT/d" 15 400 "$SRC/d"); rc=$?
	check "[pt $mode] randomized data check, mount and below${out:+ ($out)}" 0 $rc
	stop
	rm -f "$SRC"/*
done
finish
