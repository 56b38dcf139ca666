#!/usr/bin/env bash
# An unprivileged mount through Debian's fusermount3: memfs run as uid/gid
# 65534 mounts on a directory it owns, works, is private to its owner
# (no allow_other), and `fusermount3 -u` unmounts it cleanly with the
# daemon exiting 0. Also: -o allow_other without user_allow_other in
# /etc/fuse.conf is refused, and nothing is mounted.
# /dev/fuse is made world-accessible for the test and restored after.
. "$(dirname "$0")/../lib/fbx.sh"

[ "$(id -u)" = 0 ] || skip "needs root to switch users"
[ -c /dev/fuse ] || skip "no /dev/fuse"
FUSERMOUNT=$(command -v fusermount3) || skip "fusermount3 not installed (apt-get install fuse3)"
command -v setpriv >/dev/null || skip "setpriv not installed"
[ -u "$FUSERMOUNT" ] || skip "$FUSERMOUNT is not set-user-id root"
MEMFS=$BUILD/examples/memfs
[ -x "$MEMFS" ] || skip "$MEMFS not built"

ID=65534
AS_USER=(setpriv --reuid="$ID" --regid="$ID" --clear-groups)
# The build tree may not be reachable by uid 65534: run a copy.
cp "$MEMFS" "$TMP/memfs"
chmod 755 "$TMP/memfs"
MNT=$TMP/mnt
mkdir "$MNT"
chown $ID:$ID "$MNT"

OLD_MODE=$(stat -c %a /dev/fuse)
fbx_cleanup_hook() {
	# fusermount3 -u as the user first, so the unmount goes the user's way
	is_fuse_mounted "$MNT" && "${AS_USER[@]}" "$FUSERMOUNT" -u -z "$MNT" 2>/dev/null
	chmod "$OLD_MODE" /dev/fuse
}
chmod 666 /dev/fuse

as_user() { "${AS_USER[@]}" "$@"; }

start_fs "$TMP/log" "${AS_USER[@]}" "$TMP/memfs" -f "$MNT"
if ! wait_mounted "$MNT" "$PID"; then
	echo "FAIL  unprivileged memfs did not mount"; sed 's/^/      | /' "$TMP/log"
	exit 1
fi
echo "ok    mounted as uid $ID"
line=$(awk -v m="$MNT" '$2 == m' /proc/mounts)
check_contains "mount type" " fuse.memfs " " $(echo "$line" | cut -d' ' -f3) "
check_contains "mount owner user_id=$ID" "user_id=$ID" "$line"
check_contains "mount group group_id=$ID" "group_id=$ID" "$line"
check_contains "fusermount3 adds nosuid" "nosuid" "$line"
check_contains "fusermount3 adds nodev" "nodev" "$line"
check "daemon runs as $ID" "$ID" "$(ps -o uid= "$PID" | tr -d ' ')"

# the owner can use it
as_user sh -c "echo hello >'$MNT/f' && mkdir '$MNT/d' && echo inner >'$MNT/d/g' && ln -s f '$MNT/l'"
check "owner: create and write" 0 $?
check "owner: read back" hello "$(as_user cat "$MNT/f")"
check "owner: listing" "d f l" "$(as_user ls "$MNT" | tr '\n' ' ' | sed 's/ $//')"
check "owner: file owned by $ID:$ID" "$ID:$ID" "$(as_user stat -c %u:%g "$MNT/f")"
check "owner: readlink" f "$(as_user readlink "$MNT/l")"
as_user sh -c "rm '$MNT/d/g' && rmdir '$MNT/d' && mv '$MNT/f' '$MNT/f2'"
check "owner: remove and rename" 0 $?
check "owner: listing after" "f2 l" "$(as_user ls "$MNT" | tr '\n' ' ' | sed 's/ $//')"
# without allow_other nobody else may enter, root included
check "root is refused (no allow_other)" EACCES "$(errno_of stat "$MNT/f2")"
check "another user is refused" EACCES \
	"$(setpriv --reuid=65533 --regid=65533 --clear-groups bash -c \
	   "$(declare -f errnos errno_of); errno_of stat '$MNT/f2'")"

# unmount the user's way
as_user "$FUSERMOUNT" -u "$MNT"
check "fusermount3 -u exits 0" 0 $?
wait_exit "$PID" 100; check "daemon exits 0 after fusermount3 -u" 0 $?
check_true "unmounted" wait_unmounted "$MNT" 10
check "no fusermount3 left behind" "" "$(pgrep -f -- "fusermount3.*$MNT" || true)"

# another user may not unmount it
start_fs "$TMP/log" "${AS_USER[@]}" "$TMP/memfs" -f "$MNT"
if wait_mounted "$MNT" "$PID"; then
	setpriv --reuid=65533 --regid=65533 --clear-groups "$FUSERMOUNT" -u "$MNT" 2>/dev/null
	check_true "another user cannot fusermount3 -u" [ $? -ne 0 ]
	check_true "still mounted" is_fuse_mounted "$MNT"
	# SIGTERM of an unprivileged daemon also unmounts through fusermount3
	kill -TERM "$PID"; wait_exit "$PID" 100
	check "unprivileged daemon: SIGTERM exit 0" 0 $?
	check_true "unprivileged daemon: unmounted after SIGTERM" wait_unmounted "$MNT" 30
else
	echo "FAIL  second mount"; sed 's/^/      | /' "$TMP/log"; fails=$((fails + 1))
fi

# allow_other needs user_allow_other in /etc/fuse.conf
if ! grep -qs '^[[:space:]]*user_allow_other' /etc/fuse.conf; then
	out=$(timeout 20 "${AS_USER[@]}" "$TMP/memfs" -f -o allow_other "$MNT" 2>&1); rc=$?
	check_true "allow_other without user_allow_other: non-zero exit" [ $rc -ne 0 -a $rc -ne 124 ]
	check_contains "allow_other refused: message" "allow_other" "$out"
	check_true "allow_other refused: nothing mounted" sh -c "! awk -v m='$MNT' '\$2 == m {f=1} END {exit !f}' /proc/mounts"
	is_fuse_mounted "$MNT" && as_user "$FUSERMOUNT" -u -z "$MNT"
fi

finish
