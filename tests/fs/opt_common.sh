# shellcheck shell=bash disable=SC2034 # sourced: its variables are used by the tests
# tests/fs/opt_common.sh -- helpers of the mount option tests
# (tests/fs/t_opt_*.sh). Source it after tests/lib/fbx.sh. Not a test
# itself (no t_ prefix).
#
#   mnt NAME PROG ARGS...   mount PROG -f ARGS on $TMP/NAME; sets M (the
#                           mount point), PID and LOG ($TMP/NAME.log)
#   umnt                    unmount M and reap PID (a FAIL if it hangs)
#   as_nobody CMD...        run CMD as uid/gid 65534, no groups
#   nobody_errno OP PATH    errno_of as uid 65534 ("ok" or "EACCES", ...)
#   nreq OPCODE [NAME]      how many OPCODE requests (for NAME) LOG holds
#   mark                    remember the length of LOG; nreq then only
#                           counts what came after (unmark to reset)

NOBODY=65534
MEMFS=$BUILD/examples/memfs
PASSTHROUGH=$BUILD/examples/passthrough
[ "$(id -u)" = 0 ] || skip "needs root (mounts, setpriv)"
[ -x "$MEMFS" ] || skip "$MEMFS not built"
[ -c /dev/fuse ] || skip "no /dev/fuse"
MARK=0

mnt() {
	local name=$1 prog=$2; shift 2
	M=$TMP/$name
	LOG=$TMP/$name.log
	MARK=0
	mkdir -p "$M"
	start_fs "$LOG" "$prog" -f "$@" "$M"
	if ! wait_mounted "$M" "$PID"; then
		echo "FAIL  mount $name: $prog -f $* $M"
		sed 's/^/      | /' "$LOG" | tail -n 20
		fails=$((fails + 1))
		return 1
	fi
}

umnt() {
	umount "$M" 2>/dev/null || umount -l "$M"
	local rc=0
	wait_exit "$PID" || rc=$?
	if [ "$rc" != 0 ]; then
		echo "FAIL  daemon on $M: exit status $rc after umount (want 0)"
		sed 's/^/      | /' "$LOG" | tail -n 20
		fails=$((fails + 1))
	fi
}

as_nobody() {
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$@"
}

# errno_of as uid 65534 (from /, so python's start needs nothing of ours)
nobody_errno() {
	echo "x $*" | (cd / && as_nobody bash -c "$(declare -f errnos); errnos") | sed 's/^x=//'
}

mark() { MARK=$(wc -l <"$LOG"); }
unmark() { MARK=0; }

# Lines of the -d log look like
#   unique: 12, opcode: LOOKUP (1), nodeid: 1, pid: 345, name: f
nreq() {
	tail -n +"$((MARK + 1))" "$LOG" |
	awk -v op="$1" -v nm="${2:-}" '
		$1 == "unique:" && $3 == "opcode:" && $4 == op {
			t = ", name: " nm
			if (nm == "" || substr($0, length($0) - length(t) + 1) == t) n++
		}
		END { print n + 0 }'
}

# check_le NAME MAX GOT / check_ge NAME MIN GOT (numbers)
check_le() {
	if [ "$3" -le "$2" ]; then echo "ok    $1 ($3 <= $2)"
	else echo "FAIL  $1: got $3, want <= $2"; fails=$((fails + 1)); fi
}
check_ge() {
	if [ "$3" -ge "$2" ]; then echo "ok    $1 ($3 >= $2)"
	else echo "FAIL  $1: got $3, want >= $2"; fails=$((fails + 1)); fi
}
