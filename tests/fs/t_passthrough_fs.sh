#!/usr/bin/env bash
# examples/passthrough_fs, the path-API mirror: what is done through the
# mount is what SOURCEDIR holds, name by name (create, write, read,
# mkdir, rename, hard and symbolic links, chmod, truncate, times, unlink,
# rmdir, listing); a file unlinked while open stays usable through its
# descriptor and leaves nothing behind at the last close; a file made by
# another user belongs to that user in SOURCEDIR, with the group of a
# set-group-ID directory; inode numbers are the source's; an open
# directory renamed over still answers
# fstat; with -o noforget file handles outlive the
# kernel's cache; a missing SOURCEDIR is refused.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
[ "$(id -u)" = 0 ] || skip "needs root to mount"
PFS=$BUILD/examples/passthrough_fs
[ -x "$PFS" ] || { echo "missing $PFS (run make)"; exit 1; }
S=$TMP/src M=$TMP/mnt
mkdir "$S" "$M"
chmod 1777 "$S"
start_fs "$TMP/log" "$PFS" -f -o allow_other,default_permissions "$S" "$M"
wait_mounted "$M" "$PID" || { cat "$TMP/log"; echo "mount failed"; exit 1; }

echo hello >"$M/f"
check "write lands in SOURCEDIR" hello "$(cat "$S/f")"
echo more >>"$S/f"
check "read sees SOURCEDIR" "hello more" "$(tr '\n' ' ' <"$M/f" | sed 's/ $//')"
mkdir -p "$M/d/e"
check_true "mkdir -p" test -d "$S/d/e"
mv "$M/f" "$M/d/g"
check_true "rename: old name gone" test ! -e "$S/f"
check "rename: new name" hello "$(head -1 "$S/d/g")"
ln "$M/d/g" "$M/h"
check "hard link count" 2 "$(stat -c %h "$M/h")"
check "hard link: one inode" "$(stat -c %i "$M/h")" "$(stat -c %i "$M/d/g")"
ln -s d/g "$M/l"
check "symlink target" d/g "$(readlink "$S/l")"
check "read through the symlink" hello "$(head -1 "$M/l")"
chmod 640 "$M/h"
check "chmod" 640 "$(stat -c %a "$S/h")"
truncate -s 3 "$M/h"
check "truncate" hel "$(cat "$S/h")"
touch -d @1000000000 "$M/h"
check "utimens" 1000000000 "$(stat -c %Y "$S/h")"
check "listing" "d h l" "$(ls "$M" | tr '\n' ' ' | sed 's/ $//')"
# device numbers both ways (the kernel's rdev is new_encode_dev's; numbers
# past 255 take its split layout)
mknod "$M/cdev" c 8 17
check "mknod: device numbers in SOURCEDIR" "8,17" "$(stat -c '%Hr,%Lr' "$S/cdev")"
mknod "$S/bdev" b 259 1000
check "a device of SOURCEDIR as the mount shows it" "259,1000 block special file" \
	"$(stat -c '%Hr,%Lr %F' "$M/bdev")"
rm "$M/cdev" "$M/bdev"
rm "$M/h" "$M/l"
rmdir "$M/d/e"
check "unlink and rmdir" "g" "$(ls "$S/d")"

# unlinked while open: the descriptor still works, nothing is left after
exec 7<>"$M/open"
echo data >&7
rm "$M/open"
check_true "unlinked: gone from the mount" test ! -e "$M/open"
check "unlinked: fstat nlink" 0 "$(stat -L -c %h /proc/self/fd/7)"
exec 7>&-
# The kernel sends RELEASE after close() has returned (asynchronously):
# give the daemon a moment, as a program looking at SOURCEDIR would.
for _ in $(seq 50); do [ "$(ls -A "$S")" = d ] && break; sleep 0.02; done
check "last close: no hidden file left" "d" "$(ls -A "$S" | tr '\n' ' ' | sed 's/ $//')"

# another user's new file is that user's
setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "echo x > '$M/nb'" ||
	{ echo "FAIL  nobody could not create"; fails=$((fails + 1)); }
check "owner of nobody's file" "65534:65534" "$(stat -c %u:%g "$S/nb" 2>/dev/null)"

# a set-group-ID directory hands its group on, and root's set-group-ID
# file keeps its bit (a chown to the same owner would clear it)
mkdir "$M/sg" && chgrp 65534 "$M/sg" && chmod 2777 "$M/sg"
setpriv --reuid=65534 --regid=100 --clear-groups sh -c "echo y > '$M/sg/f'" ||
	{ echo "FAIL  nobody could not create in sg"; fails=$((fails + 1)); }
check "set-group-ID directory: the file's group is the directory's" "65534:65534" \
	"$(stat -c %u:%g "$S/sg/f" 2>/dev/null)"
(umask 0; install -m 2755 /dev/null "$M/sg/x")
check "set-group-ID file by root: bit and group kept" "2755 0:65534" \
	"$(stat -c '%a %u:%g' "$S/sg/x" 2>/dev/null)"

# the source's inode numbers, in stat and in listings alike (use_ino)
check "inode numbers: the source's, in stat and listing" \
	"$(stat -c %i "$S/d/g") $(stat -c %i "$S/d/g")" "$(stat -c %i "$M/d/g") $(ls -i "$M/d" | awk '$2 == "g" {print $1}')"

# fstat, fchmod and futimens of an open directory a rename replaced:
# its handle is a descriptor, so they answer with its name gone
mkdir "$M/od1" "$M/od2"
check "open directory renamed over: fstat, fchmod, futimens answer" "ok 700 1000000000" "$(python3 -c '
import os, stat, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
os.rename(sys.argv[2], sys.argv[1])
try:
    os.fchmod(fd, 0o700); os.utime(fd, (1000000000, 1000000000))
    st = os.fstat(fd)
    print("ok", oct(stat.S_IMODE(st.st_mode))[2:], int(st.st_mtime))
except OSError as e:
    print(e.strerror)' "$M/od1" "$M/od2")"
rmdir "$M/od1"
ls "$M" >/dev/null   # a listing through a directory descriptor
check "listing after the descriptor change" "$(ls "$S" | tr '\n' ' ')" "$(ls "$M" | tr '\n' ' ')"

umount "$M"
wait_exit "$PID"; rc=$?
check "daemon exits 0 after umount" 0 $rc

# File handles (NFS): -o noforget (the path layer's flag_remember, from
# the command line) keeps a handle valid after the kernel forgot the
# node; without it the node goes with the FORGET and the handle is stale
echo "by handle" >"$S/hf"
for opt in noforget remember=-1 plain; do
	o=(); [ $opt != plain ] && o=(-o "$opt")
	start_fs "$TMP/log_$opt" "$PFS" -f "${o[@]}" "$S" "$M"
	wait_mounted "$M" "$PID" || { cat "$TMP/log_$opt"; echo "mount $opt failed"; exit 1; }
	want="by handle"; [ $opt = plain ] && want=ESTALE
	check "file handle after the kernel forgot the node ($opt)" "$want" \
		"$(python3 tests/lib/handle_reopen.py "$M" "$M/hf")"
	umount "$M"
	wait_exit "$PID"
done
out=$(timeout 10 "$PFS" -f -o remember=soon "$S" "$M" 2>&1); rc=$?
check "remember=soon: refused" 1 "$((rc != 0))"
check_contains "remember=soon: named" "remember" "$out"

out=$(timeout 10 "$PFS" -f "$TMP/none" "$M" 2>&1); rc=$?
check "missing SOURCEDIR: exit 1" 1 $rc
check_contains "missing SOURCEDIR named" "$TMP/none" "$out"

[ $fails = 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
