#!/usr/bin/env bash
# A second filesystem on a directory that already has a mount used to go
# on top silently, hiding the first. Now it is refused with a message
# naming what is mounted there and the option that allows it
# (-o nonempty), and nothing new is mounted; with -o nonempty it stacks.
# Also: the -o hard_remove help names the hidden files the library
# makes (.fbx_hidden<N>, not libfuse's .fuse_hidden).
. "$(dirname "$0")/../lib/fbx.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
MEMFS=$BUILD/examples/memfs HELLO=$BUILD/examples/hello
for p in "$MEMFS" "$HELLO"; do [ -x "$p" ] || skip "$p not built"; done
M=$TMP/mnt
mkdir "$M"
count() { awk -v m="$M" '$2 == m' /proc/mounts | wc -l; }

"$MEMFS" "$M" || { echo "FAIL  memfs did not mount"; exit 1; }
check "one mount" 1 "$(count)"
err=$("$HELLO" "$M" 2>&1); rc=$?
check_true "second mount refused (exit $rc)" [ "$rc" -ne 0 ]
check_contains "names the mount point and what is there" \
	"$M is already a mount point (fuse.memfs from memfs)" "$err"
check_contains "names the option" "-o nonempty" "$err"
check "still one mount" 1 "$(count)"
check "the first one is still served" "" "$(ls -A "$M")"

"$HELLO" -o nonempty "$M"; rc=$?
check "-o nonempty: mounts over it" 0 "$rc"
check "-o nonempty: two mounts" 2 "$(count)"
check "-o nonempty: the new one is on top" "Hello, world!" "$(cat "$M/hello" 2>&1)"
umount "$M"; umount "$M"

help=$("$MEMFS" -h)
check_contains "hard_remove help names .fbx_hidden<N>" ".fbx_hidden<N>" "$(echo "$help" | grep hard_remove)"
case $help in *fuse_hidden*) echo "FAIL  help still says .fuse_hidden"; fails=$((fails + 1));; esac
finish
