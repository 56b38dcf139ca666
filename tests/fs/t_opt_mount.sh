#!/usr/bin/env bash
# Command line and mount options (fusebox/options.h) on real mounts:
#   -s                 single-threaded: the daemon keeps one worker (plus
#                      lib/fuse/main.c's signal-watcher thread: <= 2 tasks)
#                      even under parallel load; the default grows past 2
#   -o max_threads=3   at most 3 workers (+ the watcher and the sentinel of
#                      the polling reader, lib/fuse/reader.c) under load
#   -o fsname=, subtype=   /proc/mounts: NAME as source, type fuse.TYPE
#   -r, -o ro          the mount is read-only (EROFS)
#   -o nonempty        mounting over a non-empty directory works (as root
#                      and through fusermount3 as a user)
#   -d, -o debug       stays in the foreground and prints every request
#   no -f              goes to the background once mounted (exit 0)
# The thread checks pin -o no_io_uring: with enable_uring on (someone may
# have switched it), the io_uring queue threads come on top. Then -s is
# checked once more with io_uring (enable_uring switched on for that and
# restored): single-threaded must hold there too.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
. "$FBX_ROOT/tests/fs/opt_common.sh"

URING_PARAM=/sys/module/fuse/parameters/enable_uring
OLD_URING="" OLD_MODE=""
# shellcheck disable=SC2317 # called by the EXIT trap of fbx.sh
fbx_cleanup_hook() {
	if [ -n "$OLD_MODE" ]; then
		is_fuse_mounted "$TMP/ufull" && as_nobody "$FUSERMOUNT" -u -z "$TMP/ufull" 2>/dev/null
		chmod "$OLD_MODE" /dev/fuse
	fi
	[ -n "$OLD_URING" ] && echo "$OLD_URING" >"$URING_PARAM"
}

ntasks() { find "/proc/$PID/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
# Parallel load: 8 threads, each creating, writing, reading, stat'ing and
# removing files of its own. load_max_tasks prints the largest task count
# of the daemon seen while it runs.
LOADPY='
import os, sys, threading
root = sys.argv[1]
def work(k):
    d = os.path.join(root, "t%d" % k)
    os.mkdir(d)
    for i in range(150):
        p = os.path.join(d, "f%d" % i)
        with open(p, "wb") as f:
            f.write(b"x" * 8192)
        with open(p, "rb") as f:
            f.read()
        os.stat(p)
        os.listdir(d)
        os.unlink(p)
    os.rmdir(d)
ts = [threading.Thread(target=work, args=(k,)) for k in range(8)]
for t in ts: t.start()
for t in ts: t.join()
'
load_max_tasks() {
	python3 -c "$LOADPY" "$M" &
	local lp=$! max=0 n
	while kill -0 "$lp" 2>/dev/null; do
		n=$(ntasks)
		[ "$n" -gt "$max" ] && max=$n
		sleep 0.01
	done
	wait "$lp" || echo "FAIL  load on $M failed" >&2
	n=$(ntasks)
	[ "$n" -gt "$max" ] && max=$n
	echo "$max"
}

# ---- threads ---------------------------------------------------------------
if mnt single "$MEMFS" -s -o no_io_uring,entry_timeout=0,attr_timeout=0; then
	check_le "-s: tasks idle" 2 "$(ntasks)"
	check_le "-s: tasks under parallel load" 2 "$(load_max_tasks)"
	check "-s: the load left nothing" "" "$(ls -A "$M")"
	umnt
fi
if mnt multi "$MEMFS" -o no_io_uring,entry_timeout=0,attr_timeout=0; then
	check_ge "default: tasks grow under parallel load" 3 "$(load_max_tasks)"
	check_le "default: at most max_threads 10 + watcher + sentinel" 12 "$(ntasks)"
	umnt
fi
if mnt three "$MEMFS" -o no_io_uring,max_threads=3,entry_timeout=0,attr_timeout=0; then
	check_le "max_threads=3: tasks under parallel load (3 + watcher + sentinel)" 5 "$(load_max_tasks)"
	umnt
fi
if mnt three_nospin "$MEMFS" -o no_io_uring,spin=0,max_threads=3,entry_timeout=0,attr_timeout=0; then
	check_le "max_threads=3,spin=0: no sentinel (3 + watcher)" 4 "$(load_max_tasks)"
	umnt
fi

# -s with io_uring: the queue threads must not serve requests side by side
if [ -w "$URING_PARAM" ] && nm "$MEMFS" 2>/dev/null | grep -q io_uring_queue_init; then
	OLD_URING=$(cat "$URING_PARAM")
	echo 1 >"$URING_PARAM"
	if mnt single_uring "$MEMFS" -s -o io_uring,entry_timeout=0,attr_timeout=0; then
		rings=$(find "/proc/$PID/fd" -mindepth 1 -maxdepth 1 -lname 'anon_inode:\[io_uring\]' | wc -l)
		echo "note  -s -o io_uring: the daemon holds $rings io_uring rings"
		check_le "-s -o io_uring: tasks under parallel load" 2 "$(load_max_tasks)"
		umnt
	fi
	echo "$OLD_URING" >"$URING_PARAM"
	OLD_URING=""
else
	echo "note  no FUSE over io_uring here: -s checked without it only"
fi

# ---- fsname / subtype / ro --------------------------------------------------------
field() { awk -v m="$M" -v f="$1" '$2 == m {print $f}' /proc/mounts; }
if mnt names "$MEMFS" -o fsname=fbxtestsrc,subtype=fbxtesttype; then
	check "fsname: source in /proc/mounts" fbxtestsrc "$(field 1)"
	check "subtype: type in /proc/mounts" fuse.fbxtesttype "$(field 3)"
	check "fsname: df shows it" fbxtestsrc "$(df --output=source "$M" | tail -n 1)"
	umnt
fi
if mnt dflnames "$MEMFS"; then
	check "default: source is the program" memfs "$(field 1)"
	check "default: type fuse.<program>" fuse.memfs "$(field 3)"
	umnt
fi
for ro in "-r" "-o ro"; do
	# shellcheck disable=SC2086 # "-o ro" is two words on purpose
	if mnt "ro${ro// /}" "$MEMFS" $ro; then
		check "$ro: mount flags start with ro" ro "$(field 4 | cut -d, -f1)"
		check "$ro: create fails" EROFS "$(errno_of create "$M/f")"
		check "$ro: mkdir fails" EROFS "$(errno_of mkdir "$M/d")"
		check "$ro: listing works" ok "$(errno_of listdir "$M")"
		umnt
	fi
done
if mnt rw "$MEMFS"; then
	check "default: mount is rw" rw "$(field 4 | cut -d, -f1)"
	umnt
fi

# ---- nonempty ---------------------------------------------------------------------
mkdir -p "$TMP/full"
echo under >"$TMP/full/underneath"
if mnt full "$MEMFS" -o nonempty; then
	check "nonempty: mounted over a non-empty dir" "" "$(ls -A "$M")"
	echo over >"$M/f"
	check "nonempty: works" over "$(cat "$M/f")"
	umnt
	check "nonempty: the files under it are back" under "$(cat "$TMP/full/underneath" 2>&1)"
fi
# through fusermount3, as the user that owns the directory
FUSERMOUNT=$(command -v fusermount3 || true)
if [ -n "$FUSERMOUNT" ] && [ -u "$FUSERMOUNT" ] && command -v setpriv >/dev/null; then
	OLD_MODE=$(stat -c %a /dev/fuse)
	chmod 666 /dev/fuse
	cp "$MEMFS" "$TMP/memfs" && chmod 755 "$TMP/memfs"
	mkdir "$TMP/ufull" && echo under >"$TMP/ufull/underneath" && chown -R $NOBODY:$NOBODY "$TMP/ufull"
	M=$TMP/ufull LOG=$TMP/ufull.log
	start_fs "$LOG" as_nobody "$TMP/memfs" -f -o nonempty "$M"
	if wait_mounted "$M" "$PID"; then
		echo "ok    nonempty: fusermount3 mounts over a non-empty dir"
		check "nonempty (user): empty memfs on top" "" "$(as_nobody ls -A "$M")"
		as_nobody "$FUSERMOUNT" -u "$M"
		wait_exit "$PID"; check "nonempty (user): daemon exits 0" 0 $?
	else
		echo "FAIL  nonempty: fusermount3 mount over a non-empty dir"
		sed 's/^/      | /' "$LOG" | tail -n 5
		fails=$((fails + 1))
	fi
	chmod "$OLD_MODE" /dev/fuse
	OLD_MODE=""
else
	echo "note  no set-uid fusermount3: nonempty checked as root only"
fi

# ---- -d / -o debug / background -------------------------------------------------
for dbg in "-d" "-o debug"; do
	# shellcheck disable=SC2086
	if mnt "dbg${dbg// /}" "$MEMFS" $dbg; then
		stat "$M/nothing" >/dev/null 2>&1
		check "$dbg: still our child, in the foreground" yes \
			"$(kill -0 "$PID" 2>/dev/null && [ "$(ps -o ppid= "$PID" | tr -d ' ')" = $$ ] && echo yes || echo no)"
		check_contains "$dbg: prints requests" "opcode: LOOKUP (1), nodeid: 1" "$(cat "$LOG")"
		check_contains "$dbg: prints replies" "error: -2 (No such file or directory)" "$(cat "$LOG")"
		check_contains "$dbg: prints INIT" "opcode: INIT" "$(cat "$LOG")"
		umnt
	fi
done
# -d implies -f even when -f is not given
M=$TMP/donly LOG=$TMP/donly.log
mkdir -p "$M"
start_fs "$LOG" "$MEMFS" -d "$M"
if wait_mounted "$M" "$PID"; then
	check "-d alone: stays in the foreground" yes "$(kill -0 "$PID" 2>/dev/null && echo yes || echo no)"
	umnt
else
	echo "FAIL  -d alone: did not mount or left the foreground"; fails=$((fails + 1))
fi
if mnt quiet "$MEMFS"; then
	stat "$M/nothing" >/dev/null 2>&1
	check "no -d: prints nothing" "" "$(cat "$LOG")"
	umnt
fi
# without -f the program returns once mounted, leaving a daemon behind
M=$TMP/bg
mkdir -p "$M"
"$MEMFS" "$M" >"$TMP/bg.log" 2>&1
check "background: the program exits 0" 0 $?
check_true "background: mounted when it returns" is_fuse_mounted "$M"
dpid=$(ps -eo pid=,args= | awk -v m="$M" '$NF == m && $2 ~ /memfs$/ {print $1}' | head -n 1)
check_true "background: a daemon serves it" [ -n "$dpid" ]
PIDS="$PIDS $dpid"
echo bg >"$M/f"
check "background: works" bg "$(cat "$M/f" 2>&1)"
umount "$M"
if [ -n "$dpid" ]; then
	check_true "background: daemon leaves after umount" wait_gone "$dpid"
	kill -9 "$dpid" 2>/dev/null
fi

finish
