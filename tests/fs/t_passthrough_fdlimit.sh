#!/usr/bin/env bash
# examples/passthrough holds a descriptor per inode the kernel knows, so
# RLIMIT_NOFILE bounds how many files a mount can show at once. Started
# with a hard limit of 300 and given 400 new files: where it may raise
# the limit (root with CAP_SYS_RESOURCE, up to fs.nr_open) every create
# succeeds; where it may not, the creates past the limit fail with
# EMFILE and leave nothing in the source (nor does a mkdir), the daemon
# says once on stderr whose limit it is and what to
# do, keeps serving what it has, and unmounts cleanly.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
[ "$(id -u)" = 0 ] || skip "needs root to mount"
command -v prlimit >/dev/null || skip "no prlimit"
PT=$BUILD/examples/passthrough
[ -x "$PT" ] || { echo "missing $PT (run make)"; exit 1; }
S=$TMP/src M=$TMP/mnt
mkdir "$S" "$M"
start_fs "$TMP/log" prlimit --nofile=300:300 "$PT" -f "$S" "$M"
wait_mounted "$M" "$PID" || { cat "$TMP/log"; echo "mount failed"; exit 1; }
hard=$(awk '/^Max open files/ {print $5}' "/proc/$PID/limits")

made=$(python3 - "$M" <<'PY'
import os, sys
n = 0
for i in range(400):
    try:
        os.close(os.open(os.path.join(sys.argv[1], "f%d" % i), os.O_CREAT | os.O_WRONLY, 0o644))
        n += 1
    except OSError as e:
        print(n, __import__("errno").errorcode[e.errno]); sys.exit()
print(n, "ok")
PY
)
if [ "$hard" -gt 300 ]; then
	echo "ok    the daemon raised its hard limit (300 -> $hard)"
	check "every create succeeds" "400 ok" "$made"
else
	check_contains "creates past the limit fail with EMFILE" "EMFILE" "$made"
	n=${made%% *}
	check_true "most of the limit is used for files ($n)" test "$n" -gt 250
	check_contains "the daemon names the limit" \
		"passthrough: out of file descriptors (Too many open files; RLIMIT_NOFILE 300)" \
		"$(cat "$TMP/log")"
	check "it says so once" 1 "$(grep -c 'out of file descriptors' "$TMP/log")"
	check "files made before still read" "f0" "$(cd "$M" && ls f0)"
	check "the source holds what was made" "$n" "$(ls "$S" | wc -l)"
	dirs=$(python3 - "$M" <<'PY'
import os, sys
for i in range(10):
    try:
        os.mkdir(os.path.join(sys.argv[1], "d%d" % i))
    except OSError as e:
        print(i, __import__("errno").errorcode[e.errno]); sys.exit()
print(10, "ok")
PY
)
	check_contains "a mkdir past the limit fails with EMFILE" "EMFILE" "$dirs"
	check "...and leaves no directory behind" "${dirs%% *}" \
		"$(find "$S" -mindepth 1 -type d | wc -l)"
fi
fusermount3 -u "$M"
wait_exit "$PID"; check "exits 0 after fusermount3 -u" 0 $?
finish
