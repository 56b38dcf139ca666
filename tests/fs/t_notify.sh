#!/usr/bin/env bash
# examples/notify_ll: a change the filesystem makes itself reaches a
# reader only because it tells the kernel. /counter is cached (keep_cache,
# hour-long attributes); each write to /bump increments it and sends
# FUSE_NOTIFY_INVAL_INODE. With the notification every cat sees the new
# value; with -o no_notify the kernel keeps serving its cached copy (when
# nothing else on the machine drops caches meanwhile: then that half is
# reported, not failed, since it only shows why the first half matters).
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
[ "$(id -u)" = 0 ] || skip "needs root to mount"
NL=$BUILD/examples/notify_ll
[ -x "$NL" ] || { echo "missing $NL (run make)"; exit 1; }
M=$TMP/mnt
mkdir "$M"

start_fs "$TMP/n.log" "$NL" -f -o no_io_uring "$M"
wait_mounted "$M" "$PID" || { cat "$TMP/n.log"; echo "mount failed"; exit 1; }
check "first read" 00000001 "$(cat "$M/counter")"
check "read again (cached)" 00000001 "$(cat "$M/counter")"
echo > "$M/bump"
check "after one bump" 00000002 "$(cat "$M/counter")"
echo > "$M/bump"; echo > "$M/bump"
check "after three bumps" 00000004 "$(cat "$M/counter")"
check_true "counter size stays" test "$(stat -c %s "$M/counter")" = 9
umount "$M"
wait_exit "$PID"; rc=$?
check "daemon exits 0 after umount" 0 $rc

start_fs "$TMP/s.log" "$NL" -f -o no_io_uring,no_notify "$M"
wait_mounted "$M" "$PID" || { cat "$TMP/s.log"; echo "mount failed"; exit 1; }
check "no_notify: first read" 00000001 "$(cat "$M/counter")"
echo > "$M/bump"
stale=$(cat "$M/counter")
case $stale in
00000001) echo "ok    no_notify: the kernel still serves its copy";;
00000002) echo "note  no_notify: the cache was dropped meanwhile (someone ran drop_caches?)";;
*) echo "FAIL  no_notify: read $stale"; fails=$((fails + 1));;
esac
umount "$M"
wait_exit "$PID" >/dev/null

[ $fails = 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
