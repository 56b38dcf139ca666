#!/usr/bin/env bash
# Debian's libfuse 2 programs, unchanged binaries, run on our
# libfuse.so.2 through fusebox-run (which checks each binary's symbols
# against ours, then execs it with build/compat first in its loader path): fuse-zip (zip a tree, mount it, diff -r, write through
# it, unmount, unzip and compare), bindfs (a mirror with its
# ownership and permission options), archivemount (a tar mounted, edited
# and written back; it sets FD_CLOEXEC on fuse_chan_fd between fuse_mount
# and fuse_new), fuse2fs (an ext4 image filled through the mount, then
# e2fsck), encfs (an encrypted tree written, remounted, read back),
# unionfs-fuse (copy-on-write over a read-only branch) and fuseiso (an
# ISO 9660 image with Rock Ridge and Joliet names, compared with its tree).
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
[ "${FBX_SAN:-0}" = 1 ] && skip "peer programs run in the normal build only"
command -v fuse-zip >/dev/null || skip "no fuse-zip (apt-get install fuse-zip)"
command -v bindfs >/dev/null || skip "no bindfs (apt-get install bindfs)"
command -v zip >/dev/null && command -v unzip >/dev/null || skip "no zip/unzip"
command -v archivemount >/dev/null || skip "no archivemount (apt-get install archivemount)"
command -v fuse2fs >/dev/null || skip "no fuse2fs (apt-get install fuse2fs)"
command -v encfs >/dev/null || skip "no encfs (apt-get install encfs)"
command -v unionfs >/dev/null || skip "no unionfs (apt-get install unionfs-fuse)"
command -v fuseiso >/dev/null || skip "no fuseiso (apt-get install fuseiso)"
command -v genisoimage >/dev/null || skip "no genisoimage (apt-get install genisoimage)"
LIB=$FBX_ROOT/$BUILD/compat/libfuse.so.2
FBXRUN=$FBX_ROOT/$BUILD/tools/fusebox-run
for f in "$LIB" "$FBXRUN"; do [ -f "$f" ] || { echo "missing $f (run make)"; exit 1; }; done

# How a program is run on our library.
RUN=("$FBXRUN" -q)
for p in fuse-zip bindfs archivemount fuse2fs encfs unionfs fuseiso; do
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

# ---- archivemount ---------------------------------------------------------------
# Names without "./": archivemount cannot resolve a hard link stored as
# "./x link to ./y" (on libfuse too: its readdir answers ENOENT).
ln "$TREE/a" "$TREE/hard"
tar cf "$TMP/t.tar" -C "$TREE" a hard link sub || { echo "tar failed"; exit 1; }
start_fs "$TMP/am.log" "${RUN[@]}" archivemount -f "$TMP/t.tar" "$MNT"
if wait_mounted "$MNT" "$PID"; then
	runs_ours archivemount
	check_true "archivemount: the mount shows the tree (diff -r)" diff -r "$TREE" "$MNT"
	check "archivemount: FD_CLOEXEC on fuse_chan_fd before fuse_new" "" \
		"$(grep -i 'cloexec\|bad file descriptor' "$TMP/am.log")"
	echo "added" >"$MNT/new"
	mkdir "$MNT/dir"
	mv "$MNT/sub/blob" "$MNT/dir/blob"
	check "archivemount: reads what it was given" "added" "$(cat "$MNT/new")"
	umount "$MNT"
	wait_exit "$PID" 300; check "archivemount: exits 0 after umount" 0 $?
	rm -rf "$TMP/out" && mkdir -p "$TMP/out"
	if tar xf "$TMP/t.tar" -C "$TMP/out"; then
		check "archivemount: new file in the archive" "added" "$(cat "$TMP/out/new")"
		check_true "archivemount: moved file intact" cmp -s "$TREE/sub/blob" "$TMP/out/dir/blob"
	else
		echo "FAIL  archivemount: the archive it wrote does not untar"; fails=$((fails + 1))
	fi
else
	echo "FAIL  archivemount did not mount"; sed 's/^/      /' "$TMP/am.log"; fails=$((fails + 1))
fi

# ---- fuse2fs ----------------------------------------------------------------------
IMG=$TMP/e.img
truncate -s 64M "$IMG" && mkfs.ext4 -q -F "$IMG" || { echo "mkfs.ext4 failed"; exit 1; }
start_fs "$TMP/f2.log" "${RUN[@]}" fuse2fs -f "$IMG" "$MNT" -o fakeroot
if wait_mounted "$MNT" "$PID"; then
	runs_ours fuse2fs
	cp -a "$TREE" "$MNT/copy"
	check_true "fuse2fs: the copied tree reads back (diff -r)" diff -r "$TREE" "$MNT/copy"
	ln "$MNT/copy/a" "$MNT/copy/a2"
	check "fuse2fs: hard links: one inode, three names" "3 yes" \
		"$(stat -c %h "$MNT/copy/a2") $([ "$(stat -c %i "$MNT/copy/a")" = "$(stat -c %i "$MNT/copy/a2")" ] && echo yes)"
	umount "$MNT"
	wait_exit "$PID" 300; check "fuse2fs: exits 0 after umount" 0 $?
	check_true "fuse2fs: e2fsck finds the image clean" e2fsck -fn "$IMG"
	check "fuse2fs: the file is in the image" "$(cat "$TREE/a")" \
		"$(debugfs -R 'cat /copy/a' "$IMG" 2>/dev/null)"
else
	echo "FAIL  fuse2fs did not mount"; sed 's/^/      /' "$TMP/f2.log"; fails=$((fails + 1))
fi

# ---- encfs --------------------------------------------------------------------------
# Its own foreground flag (-f) and a password program; the second mount
# reads what the first wrote, through the cipher.
RAW=$TMP/raw; mkdir -p "$RAW"
echo fusebox-test >"$TMP/pw"
enc_mount() {
	start_fs "$TMP/enc.log" "${RUN[@]}" encfs -f --standard --extpass="cat $TMP/pw" "$RAW" "$MNT"
	wait_mounted "$MNT" "$PID"
}
if enc_mount; then
	runs_ours encfs
	cp -a "$TREE" "$MNT/copy"
	check_true "encfs: the copied tree reads back (diff -r)" diff -r "$TREE" "$MNT/copy"
	check "encfs: names below are encrypted" no "$([ -e "$RAW/copy" ] && echo yes || echo no)"
	umount "$MNT"
	wait_exit "$PID"; check "encfs: exits 0 after umount" 0 $?
	if enc_mount; then
		check_true "encfs: remounted, the tree reads back" diff -r "$TREE" "$MNT/copy"
		umount "$MNT"
		wait_exit "$PID"
	else
		echo "FAIL  encfs did not mount again"; sed 's/^/      /' "$TMP/enc.log"; fails=$((fails + 1))
	fi
else
	echo "FAIL  encfs did not mount"; sed 's/^/      /' "$TMP/enc.log"; fails=$((fails + 1))
fi

# ---- unionfs-fuse -------------------------------------------------------------------
RO=$TMP/ro RW=$TMP/rw
mkdir -p "$RO/d" "$RW"
echo lower >"$RO/f"; echo gone >"$RO/d/g"
start_fs "$TMP/union.log" "${RUN[@]}" unionfs -f -o cow "$RW=RW:$RO=RO" "$MNT"
if wait_mounted "$MNT" "$PID"; then
	runs_ours unionfs
	echo more >>"$MNT/f"
	rm "$MNT/d/g"
	mkdir "$MNT/new" && echo n >"$MNT/new/a" && mv "$MNT/new" "$MNT/new2"
	check "unionfs: the union" "d f new2 | lower more | n" \
		"$(find "$MNT" -mindepth 1 -maxdepth 1 ! -name '.*' -printf '%f\n' | sort | xargs) | $(xargs <"$MNT/f") | $(cat "$MNT/new2/a")"
	check "unionfs: a removed lower file is gone" no "$([ -e "$MNT/d/g" ] && echo yes || echo no)"
	check "unionfs: the read-only branch is untouched" "lower gone" "$(cat "$RO/f" "$RO/d/g" | xargs)"
	check "unionfs: the copy went up" "lower more" "$(xargs <"$RW/f")"
	umount "$MNT"
	wait_exit "$PID"; check "unionfs: exits 0 after umount" 0 $?
else
	echo "FAIL  unionfs did not mount"; sed 's/^/      /' "$TMP/union.log"; fails=$((fails + 1))
fi

# ---- exfat-fuse: fuseblk on a loop device ------------------------------------------
# A SIGTERM ends its loop, and libfuse 2's teardown unmounts: the kernel
# answers a fuseblk unmount with DESTROY and waits for the reply, so the
# library must let go of /dev/fuse first (libfuse does) or the daemon
# stays in D state for good. If it hangs, the connection is aborted so
# that the test can clean up.
exfat_pid() { pgrep -f "^mount.exfat-fuse .*$LOOP " | head -n1; }
if command -v mount.exfat-fuse >/dev/null && command -v mkfs.exfat >/dev/null &&
   truncate -s 64M "$TMP/exfat.img" && mkfs.exfat "$TMP/exfat.img" >/dev/null 2>&1 &&
   LOOP=$(loop_attach "$TMP/exfat.img"); then
	LOOPS+=" $LOOP"
	"${RUN[@]}" mount.exfat-fuse "$LOOP" "$MNT" >"$TMP/exfat.log" 2>&1
	PID=$(exfat_pid); PIDS="$PIDS $PID"
	if [ -n "$PID" ] && wait_mounted "$MNT" "$PID"; then
		runs_ours exfat-fuse
		check "exfat-fuse: a fuseblk mount of the device, no subtype" "$LOOP fuseblk" \
			"$(awk -v m="$MNT" '$2 == m {print $1, $3}' /proc/mounts)"
		cp "$TREE/sub/blob" "$MNT/blob"
		fuseblk_sigterm exfat-fuse "$PID" "$LOOP"
		check "exfat-fuse: unmounted on SIGTERM" "" "$(awk -v m="$MNT" '$2 == m' /proc/mounts)"
		check_true "exfat-fuse: fsck.exfat finds the volume clean" fsck.exfat -n "$LOOP"
		"${RUN[@]}" mount.exfat-fuse -o ro "$LOOP" "$MNT" >>"$TMP/exfat.log" 2>&1
		PID=$(exfat_pid); PIDS="$PIDS $PID"
		if [ -n "$PID" ] && wait_mounted "$MNT" "$PID"; then
			check_true "exfat-fuse: the file written before SIGTERM is intact" cmp -s "$TREE/sub/blob" "$MNT/blob"
			umount "$MNT"; wait_gone "$PID"
		else
			echo "FAIL  exfat-fuse: no second mount"; sed 's/^/      /' "$TMP/exfat.log"; fails=$((fails + 1))
		fi
	else
		echo "FAIL  exfat-fuse did not mount"; sed 's/^/      /' "$TMP/exfat.log"; fails=$((fails + 1))
	fi
else
	echo "info  exfat-fuse not run: no exfat-fuse/exfatprogs or no loop device"
fi

# ---- fuseiso ------------------------------------------------------------------------
genisoimage -quiet -R -J -o "$TMP/t.iso" "$TREE" || { echo "genisoimage failed"; exit 1; }
start_fs "$TMP/iso.log" "${RUN[@]}" fuseiso -n "$TMP/t.iso" "$MNT" -f
if wait_mounted "$MNT" "$PID"; then
	runs_ours fuseiso
	check_true "fuseiso: the image shows the tree (diff -r)" diff -r "$TREE" "$MNT"
	check "fuseiso: read-only" yes "$(touch "$MNT/new" 2>/dev/null || echo yes)"
	umount "$MNT"
	wait_exit "$PID"; check "fuseiso: exits 0 after umount" 0 $?
else
	echo "FAIL  fuseiso did not mount"; sed 's/^/      /' "$TMP/iso.log"; fails=$((fails + 1))
fi

[ $fails -eq 0 ]
