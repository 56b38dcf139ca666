#!/usr/bin/env bash
# Debian's libfuse 2 programs, unchanged binaries, run on our
# libfuse.so.2 through fusebox-run (which checks each binary's symbols
# against ours, then execs it with build/compat first in its loader path): fuse-zip (zip a tree, mount it, diff -r, write through
# it, unmount, unzip and compare) and bindfs (a mirror with its
# ownership and permission options).
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
[ "${FBX_SAN:-0}" = 1 ] && skip "peer programs run in the normal build only"
command -v fuse-zip >/dev/null || skip "no fuse-zip (apt-get install fuse-zip)"
command -v bindfs >/dev/null || skip "no bindfs (apt-get install bindfs)"
command -v zip >/dev/null && command -v unzip >/dev/null || skip "no zip/unzip"
LIB=$FBX_ROOT/$BUILD/compat/libfuse.so.2
FBXRUN=$FBX_ROOT/$BUILD/tools/fusebox-run
for f in "$LIB" "$FBXRUN"; do [ -f "$f" ] || { echo "missing $f (run make)"; exit 1; }; done

# How a program is run on our library.
RUN=("$FBXRUN" -q)
for p in fuse-zip bindfs; do
	check "fusebox-run -c $p" "$(command -v $p): ok, runs on $(dirname "$LIB")" "$("$FBXRUN" -c "$(command -v $p)" 2>&1)"
done
# runs_ours NAME: the running daemon ($PID, exec'd by fusebox-run) mapped our library
runs_ours() {
	check "$1: the daemon runs on our library" yes \
		"$(grep -qF "$LIB" "/proc/$PID/maps" 2>/dev/null && echo yes)"
}

# ---- fuse-zip -----------------------------------------------------------------
TREE=$TMP/tree MNT=$TMP/mnt
mkdir -p "$TREE/sub/deeper" "$MNT" "$TMP/out"
echo "first" >"$TREE/a"
head -c 300000 /dev/urandom >"$TREE/sub/blob"
printf 'x%.0s' $(seq 1000) >"$TREE/sub/deeper/text"
ln -s a "$TREE/link"
(cd "$TREE" && zip -qry "$TMP/t.zip" .) || { echo "zip failed"; exit 1; }

start_fs "$TMP/zip.log" "${RUN[@]}" fuse-zip -f "$TMP/t.zip" "$MNT"
if wait_mounted "$MNT" "$PID"; then
	runs_ours fuse-zip
	check_true "fuse-zip: the mount shows the tree (diff -r)" diff -r "$TREE" "$MNT"
	check "fuse-zip: symlink" "a" "$(readlink "$MNT/link")"
	echo "written through" >"$MNT/new"
	check "fuse-zip: reads what it was given" "written through" "$(cat "$MNT/new")"
	mkdir "$MNT/made"
	cp "$TREE/sub/blob" "$MNT/made/copy"
	echo "appended" >>"$MNT/a"
	rm "$MNT/sub/deeper/text"
	mv "$MNT/sub/blob" "$MNT/sub/moved"
	# Read back through the mount: fuse-zip renumbers st_ino as its
	# archive changes, and names the kernel caches keep their nodes
	# (fusebox/fs.h "Inode numbers"), so none answers ENOENT.
	check "fuse-zip: new file read back" "written through" "$(cat "$MNT/new")"
	check_true "fuse-zip: copy read back" cmp -s "$TREE/sub/blob" "$MNT/made/copy"
	check_true "fuse-zip: renamed file read back" cmp -s "$TREE/sub/blob" "$MNT/sub/moved"
	check "fuse-zip: appended, read back" "first appended" "$(tr '\n' ' ' <"$MNT/a" | sed 's/ $//')"
	check "fuse-zip: removed is gone" "no" "$([ -e "$MNT/sub/deeper/text" ] && echo yes || echo no)"
	check_true "fuse-zip: symlink still resolves" cmp -s "$MNT/a" "$MNT/link"
	umount "$MNT"
	# fuse-zip writes the archive when it ends: wait for that
	wait_exit "$PID" 300; check "fuse-zip: exits 0 after umount" 0 $?
	if (cd "$TMP/out" && unzip -q "$TMP/t.zip"); then
		check "fuse-zip: new file in the archive" "written through" "$(cat "$TMP/out/new")"
		check_true "fuse-zip: copied file intact" cmp -s "$TREE/sub/blob" "$TMP/out/made/copy"
		check_true "fuse-zip: renamed file intact" cmp -s "$TREE/sub/blob" "$TMP/out/sub/moved"
		check "fuse-zip: appended" "first appended" "$(tr '\n' ' ' <"$TMP/out/a" | sed 's/ $//')"
		check "fuse-zip: removed stays removed" "no" "$([ -e "$TMP/out/sub/deeper/text" ] && echo yes || echo no)"
	else
		echo "FAIL  fuse-zip: the archive it wrote does not unzip"; fails=$((fails + 1))
	fi
else
	echo "FAIL  fuse-zip did not mount"; sed 's/^/      /' "$TMP/zip.log"; fails=$((fails + 1))
fi

# ---- bindfs ---------------------------------------------------------------------
SRC=$TMP/src
mkdir -p "$SRC/d"
echo "below" >"$SRC/f"
chmod 600 "$SRC/f"
start_fs "$TMP/bindfs.log" "${RUN[@]}" bindfs -f -u 1234 -g 4321 -p a+r "$SRC" "$MNT"
if wait_mounted "$MNT" "$PID"; then
	runs_ours bindfs
	check "bindfs: owner and mode mapped" "1234 4321 644" "$(stat -c '%u %g %a' "$MNT/f")"
	check "bindfs: reads" "below" "$(cat "$MNT/f")"
	echo "through" >"$MNT/d/new"
	check "bindfs: writes land below" "through" "$(cat "$SRC/d/new")"
	check "bindfs: the file below is root's" "0" "$(stat -c %u "$SRC/d/new")"
	mv "$MNT/d/new" "$MNT/moved" && rmdir "$MNT/d"
	check "bindfs: rename, rmdir" "f moved" "$(ls "$SRC" | tr '\n' ' ' | sed 's/ $//')"
	umount "$MNT"
	wait_exit "$PID"; check "bindfs: exits 0 after umount" 0 $?
else
	echo "FAIL  bindfs did not mount"; sed 's/^/      /' "$TMP/bindfs.log"; fails=$((fails + 1))
fi

[ $fails -eq 0 ]
