#!/usr/bin/env bash
# Debian's squashfuse and squashfuse_ll (libfuse 3: the high-level and
# the low-level API), unchanged, on our libfuse3.so.3 through
# fusebox-run: a squashfs image of a tree with a hard link, a symlink, a
# sparse file and an empty folder is mounted, compared with the tree
# (diff -r, the hard link's count, and its one inode on the low-level one), read under
# parallel readers, and unmounted; the daemon must then exit 0.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ "${FBX_SAN:-0}" = 1 ] && skip "Debian's programs run in the normal build only"
[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v squashfuse >/dev/null || skip "no squashfuse (tests/install-deps)"
command -v mksquashfs >/dev/null || skip "no mksquashfs (apt-get install squashfs-tools)"
RUN=$FBX_ROOT/$BUILD/tools/fusebox-run
LIB=$FBX_ROOT/$BUILD/compat/libfuse3.so.3
[ -x "$RUN" ] && [ -f "$LIB" ] || { echo "missing $RUN or $LIB (run make)"; exit 1; }

TREE=$TMP/tree MNT=$TMP/mnt
mkdir -p "$TREE/sub/deeper" "$TREE/empty" "$MNT"
echo "first" >"$TREE/a"
ln "$TREE/a" "$TREE/sub/hard"
ln -s ../a "$TREE/sub/link"
head -c 3000000 /dev/urandom >"$TREE/sub/deeper/blob"
truncate -s 50M "$TREE/sparse" && echo tail >>"$TREE/sparse"
mksquashfs "$TREE" "$TMP/t.sqfs" -quiet -noappend >/dev/null || { echo "mksquashfs failed"; exit 1; }

for prog in squashfuse squashfuse_ll; do
	check "fusebox-run -c $prog" "$(command -v $prog): ok, runs on $(dirname "$LIB")" \
		"$("$RUN" -c "$(command -v $prog)" 2>&1)"
	start_fs "$TMP/$prog.log" "$RUN" -q "$prog" -f "$TMP/t.sqfs" "$MNT"
	if ! wait_mounted "$MNT" "$PID"; then
		echo "FAIL  $prog did not mount"; sed 's/^/      /' "$TMP/$prog.log"; fails=$((fails + 1))
		continue
	fi
	check "$prog: the daemon runs on our library" yes \
		"$(grep -qF "$LIB" "/proc/$PID/maps" 2>/dev/null && echo yes)"
	check_true "$prog: the mount shows the tree (diff -r)" diff -r "$TREE" "$MNT"
	check "$prog: hard link: two names" "2 2" "$(stat -c %h "$MNT/a" "$MNT/sub/hard" | xargs)"
	# The low-level one numbers inodes itself (the high-level one gives
	# no st_ino, so each name is a node, as on libfuse).
	[ $prog = squashfuse_ll ] && check "$prog: hard link: one inode" yes \
		"$([ "$(stat -c %i "$MNT/a")" = "$(stat -c %i "$MNT/sub/hard")" ] && echo yes)"
	check "$prog: symlink" "../a" "$(readlink "$MNT/sub/link")"
	check "$prog: sparse file size" "$(stat -c %s "$TREE/sparse")" "$(stat -c %s "$MNT/sparse")"
	want=$(md5sum <"$TREE/sub/deeper/blob")
	readers=()
	for i in 1 2 3 4; do md5sum <"$MNT/sub/deeper/blob" >"$TMP/par.$i" & readers+=($!); done
	wait "${readers[@]}"
	check "$prog: four parallel readers see the same bytes" "4" \
		"$(grep -cxF -- "$want" "$TMP"/par.* | awk -F: '{s += $2} END {print s}')"
	check "$prog: read-only" "Read-only file system" \
		"$(touch "$MNT/new" 2>&1 | grep -o 'Read-only file system')"
	umount "$MNT"
	wait_exit "$PID"; check "$prog: exits 0 after umount" 0 $?
done

[ $fails -eq 0 ]
