# shellcheck shell=bash
# tests/lib/fbx.sh -- shared shell helpers for the mount tests. Source it:
#   . "$FBX_ROOT/tests/lib/fbx.sh"
# It cds to the repo root, sets BUILD, makes $TMP (a mktemp -d
# /tmp/fbx-test.XXXXXX, mode 0755) and installs an EXIT trap that
# unmounts everything below $TMP, kills the pids in $PIDS and removes
# $TMP, even when the test fails half-way, then detaches the loop
# devices in $LOOPS (see loop_attach). Extra cleanup: define
# fbx_cleanup_hook.
set -u
cd "${FBX_ROOT:-$(dirname "${BASH_SOURCE[0]}")/../..}" || exit 1
export FBX_ROOT=$PWD
BUILD=${BUILD:-build}
PIDS=""
LOOPS=""
fails=0

TMP=$(mktemp -d /tmp/fbx-test.XXXXXX)
chmod 755 "$TMP"

fbx_cleanup() {
	local rc=$?
	if declare -F fbx_cleanup_hook >/dev/null; then fbx_cleanup_hook; fi
	local m
	for m in $(awk -v t="$TMP/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	local p
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	for p in $LOOPS; do losetup -d "$p" 2>/dev/null; done
	rm -rf --one-file-system "$TMP"
	exit $rc
}
trap fbx_cleanup EXIT
trap 'exit 1' INT TERM

skip() { echo "SKIP: $*"; exit 77; }

# loop_attach FILE: a loop device over FILE, printed; added to $LOOPS
# (detached at exit). Call it as LOOP=$(loop_attach F) && LOOPS+=" $LOOP":
# a $(...) cannot change the caller's LOOPS.
loop_attach() { losetup --find --show "$1" 2>/dev/null; }

# fuseblk_abort DEVICE: abort the FUSE connection of a fuseblk mount of
# the block DEVICE (named by the device's number in fusectl), so that a
# daemon or an unmount stuck on it ends; for a test's failure path.
fuseblk_abort() {
	local mm
	mm=$(stat -c '%t %T' "$1") || return 0
	set -- $mm
	mountpoint -q /sys/fs/fuse/connections || mount -t fusectl none /sys/fs/fuse/connections
	echo 1 >"/sys/fs/fuse/connections/$(( (0x$1 << 20) | 0x$2 ))/abort" 2>/dev/null
}

# fuseblk_sigterm LABEL PID DEVICE: SIGTERM the daemon of a fuseblk mount
# of DEVICE; it must be gone within 10 s (ok/FAIL line). One stuck on the
# kernel's DESTROY is freed with fuseblk_abort so that the test goes on.
fuseblk_sigterm() {
	kill -TERM "$2"
	if wait_gone "$2" 100; then
		echo "ok    $1: exits on SIGTERM"
		return 0
	fi
	echo "FAIL  $1: still there after SIGTERM (state $(awk '{print $3}' "/proc/$2/stat" 2>/dev/null))"
	fails=$((fails + 1))
	fuseblk_abort "$3"
	wait_gone "$2" 100
	return 1
}

# check NAME WANT GOT
check() {
	if [ "$2" = "$3" ]; then
		echo "ok    $1"
	else
		echo "FAIL  $1"; echo "      want: $2"; echo "      got:  $3"
		fails=$((fails + 1))
	fi
}
# check_true NAME COMMAND...  (the command must succeed)
check_true() {
	local name=$1; shift
	if "$@"; then echo "ok    $name"; else echo "FAIL  $name ($*)"; fails=$((fails + 1)); fi
}
# check_contains NAME NEEDLE HAYSTACK
check_contains() {
	case "$3" in
	*"$2"*) echo "ok    $1";;
	*) echo "FAIL  $1"; echo "      want text: $2"; echo "      got: $(echo "$3" | head -5)"
	   fails=$((fails + 1));;
	esac
}

# is_fuse_mounted PATH: a fuse filesystem is mounted exactly at PATH
is_fuse_mounted() {
	awk -v m="$1" '$2 == m && $3 ~ /^fuse/ {f=1} END {exit !f}' /proc/mounts
}
# anything mounted at or below PATH
anything_mounted_under() {
	awk -v m="$1" '$2 == m || index($2, m "/") == 1 {f=1} END {exit !f}' /proc/mounts
}

# wait_mounted PATH [PID] [TENTHS]: 0 once mounted; 1 if PID died or time ran out
wait_mounted() {
	local _
	for _ in $(seq "${3:-100}"); do
		is_fuse_mounted "$1" && return 0
		if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then return 1; fi
		sleep 0.1
	done
	return 1
}
# wait_unmounted PATH [TENTHS]
wait_unmounted() {
	local _
	for _ in $(seq "${2:-100}"); do
		is_fuse_mounted "$1" || return 0
		sleep 0.1
	done
	return 1
}
# wait_exit PID [TENTHS]: the exit status of our child PID, or 124 on timeout
wait_exit() {
	local _
	for _ in $(seq "${2:-100}"); do
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1"
			return $?
		fi
		sleep 0.1
	done
	return 124
}
# wait_gone PID [TENTHS]: for a process that is not our child
wait_gone() {
	local _
	for _ in $(seq "${2:-100}"); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# start_fs LOG PROGRAM ARGS...: run in the background, set PID, add to PIDS
start_fs() {
	local log=$1; shift
	"$@" >"$log" 2>&1 &
	PID=$!
	PIDS="$PIDS $PID"
}

# errnos: read lines "LABEL OP PATH [ARG]" on stdin, run each syscall in one
# python process (starting python is slow), print "LABEL=ok" or "LABEL=ERRNO".
errnos() {
	python3 -c '
import errno, os, sys
def run(op, path, arg):
    if op == "create":
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
    elif op == "write":
        fd = os.open(path, os.O_WRONLY); os.write(fd, b"x"); os.close(fd)
    elif op == "read":
        fd = os.open(path, os.O_RDONLY); os.read(fd, 10); os.close(fd)
    elif op == "append":
        fd = os.open(path, os.O_WRONLY | os.O_APPEND); os.write(fd, b"x"); os.close(fd)
    elif op == "mkdir": os.mkdir(path, 0o755)
    elif op == "rmdir": os.rmdir(path)
    elif op == "unlink": os.unlink(path)
    elif op == "chmod": os.chmod(path, int(arg or "600", 8))
    elif op == "chown": os.chown(path, int(arg or "1"), int(arg or "1"))
    elif op == "truncate": os.truncate(path, int(arg or "0"))
    elif op == "utime": os.utime(path, (1, 1))
    elif op == "rename": os.rename(path, arg)
    elif op == "link": os.link(path, arg)
    elif op == "symlink": os.symlink("target", path)
    elif op == "mknod": os.mkfifo(path)
    elif op == "setxattr": os.setxattr(path, "user.t", b"v")
    elif op == "removexattr": os.removexattr(path, "user.t")
    elif op == "stat": os.stat(path)
    elif op == "listdir": os.listdir(path)
    else: raise SystemExit("errnos: unknown op " + op)
for line in sys.stdin:
    f = line.split()
    if len(f) < 3:
        continue
    try:
        run(f[1], f[2], f[3] if len(f) > 3 else None)
        r = "ok"
    except OSError as e:
        r = errno.errorcode.get(e.errno, str(e.errno))
    print(f[0] + "=" + r, flush=True)
'
}
# errno_of OP PATH [ARG]: one call; prints "ok" or the errno name
errno_of() {
	echo "x $*" | errnos | sed 's/^x=//'
}

# finish: the exit status of the test from $fails
finish() {
	if [ "$fails" -gt 0 ]; then echo "$fails checks failed"; exit 1; fi
	echo "all checks passed"
	exit 0
}
