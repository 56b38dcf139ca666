#!/usr/bin/env bash
# The two hello filesystems behave as the seeds show:
#   hello   -- read-only /hello "Hello, world!\n", owned by the mounter
#   hellofs -- /foo "Hello world\n", mode 0777, root, times 0, logs calls
set -u
cd "${FBX_ROOT:-$(dirname "$0")/../..}" || exit 1
BUILD=${BUILD:-build}
HELLO=$BUILD/examples/hello
HELLOFS=$BUILD/examples/hellofs

[ "$(id -u)" = 0 ] || { echo "skip: needs root to mount"; exit 77; }
[ -c /dev/fuse ] || { echo "skip: no /dev/fuse"; exit 77; }
for p in "$HELLO" "$HELLOFS"; do
	[ -x "$p" ] || { echo "missing $p (run make)"; exit 1; }
done

TMP=$(mktemp -d /tmp/fbx-test.XXXXXX)
MNT=$TMP/mnt
mkdir "$MNT"
PID=
cleanup() {
	mountpoint -q "$MNT" 2>/dev/null && umount -l "$MNT" 2>/dev/null
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

fails=0
check() {   # check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		echo "ok    $1"
	else
		echo "FAIL  $1"; echo "      want: $2"; echo "      got:  $3"
		fails=$((fails + 1))
	fi
}

wait_mounted() {
	for _ in $(seq 100); do
		mountpoint -q "$MNT" && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "FAIL  $1 did not mount"; cat "$TMP/log" 2>/dev/null | tail -20
	exit 1
}

unmount() {
	umount "$MNT" || umount -l "$MNT"
	for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
	wait "$PID"; check "$1 exits 0 after umount" 0 $?
	PID=
}

# open(2) errors as strerror text, through a shell redirection.
open_err() {  # MODE PATH -> "ok" or the error text
	local out
	if [ "$1" = w ]; then out=$( { : >>"$2"; } 2>&1 ); else out=$( { : <"$2"; } 2>&1 ); fi
	[ -z "$out" ] && echo ok || echo "${out##*: }"
}

# ---- hello ------------------------------------------------------------
"$HELLO" -f "$MNT" 2>"$TMP/log" &
PID=$!
wait_mounted hello

check "hello: readdir" ". .. hello" "$(ls -a "$MNT" | tr '\n' ' ' | sed 's/ $//')"
check "hello: cat" "Hello, world!" "$(cat "$MNT/hello")"
check "hello: size" 14 "$(stat -c %s "$MNT/hello")"
check "hello: file mode, links, owner" "-r--r----- 1 $(id -u) $(id -g)" \
	"$(stat -c '%A %h %u %g' "$MNT/hello")"
check "hello: root mode, links, owner" "drwxr-xr-x 2 $(id -u) $(id -g)" \
	"$(stat -c '%A %h %u %g' "$MNT")"
check "hello: ls -l" "-r--r----- 1 root root 14 hello" \
	"$(ls -ln "$MNT" | awk 'NR>1 {print $1, $2, ($3==0?"root":$3), ($4==0?"root":$4), $5, $9}')"
now=$(date +%s); mt=$(stat -c %Y "$MNT/hello")
check "hello: mtime is now" 1 "$(( mt >= now - 60 && mt <= now + 60 ))"
check "hello: read at offset" "world!" "$(dd if="$MNT/hello" bs=1 skip=7 count=6 status=none)"
check "hello: open for write" "Permission denied" "$(open_err w "$MNT/hello")"
check "hello: open for read" ok "$(open_err r "$MNT/hello")"
check "hello: other name" "No such file or directory" "$(open_err r "$MNT/nope")"
check "hello: stat other name" 1 "$(stat "$MNT/nope" >/dev/null 2>&1; echo $?)"
unmount hello

# ---- hellofs ----------------------------------------------------------
"$HELLOFS" "$MNT" -d 2>"$TMP/log" &
PID=$!
wait_mounted hellofs

check "hellofs: readdir" ". .. foo" "$(ls -a "$MNT" | tr '\n' ' ' | sed 's/ $//')"
check "hellofs: cat" "Hello world" "$(cat "$MNT/foo")"
check "hellofs: bytes" "48656c6c6f20776f726c640a" "$(od -An -tx1 "$MNT/foo" | tr -d ' \n')"
check "hellofs: file attrs" "-rwxrwxrwx 1 0 0 12 0 0 0" \
	"$(stat -c '%A %h %u %g %s %X %Y %Z' "$MNT/foo")"
check "hellofs: root attrs" "drwxrwxrwx 0 0 0 0 0" \
	"$(stat -c '%A %u %g %X %Y %Z' "$MNT")"
check "hellofs: ls -l" "-rwxrwxrwx 1 root root 12 Jan 1 1970 foo" \
	"$(TZ=UTC LC_ALL=C ls -l "$MNT" | awk 'NR>1 {print $1, $2, $3, $4, $5, $6, $7, $8, $9}')"
check "hellofs: read at offset" "world" "$(dd if="$MNT/foo" bs=1 skip=6 count=5 status=none)"
check "hellofs: read past the end" "" "$(dd if="$MNT/foo" bs=1 skip=12 count=5 status=none)"
check "hellofs: large read stops at 12" 12 "$(dd if="$MNT/foo" bs=1M count=1 status=none | wc -c)"
check "hellofs: other name" "No such file or directory" "$(open_err r "$MNT/bar")"
check "hellofs: foo is no directory" "Not a directory" "$(open_err r "$MNT/foo/")"
for call in "getattr: /foo" "open: /foo" "read: /foo" "opendir: /" "readdir: /" "getattr: /bar"; do
	check "hellofs: logs '+++ $call'" 1 "$(grep -c -m1 -F "+++ $call" "$TMP/log")"
done
# No flush (and no lock) op: the first FLUSH is answered ENOSYS and the
# kernel sends no more, however many closes follow.
for _ in 1 2 3 4 5; do cat "$MNT/foo" >/dev/null; done
check "hellofs: one FLUSH for many closes (no flush op)" 1 "$(grep -c 'opcode: FLUSH' "$TMP/log")"
unmount hellofs

echo
[ $fails = 0 ] && echo "all hello checks passed" && exit 0
echo "$fails hello check(s) failed"
exit 1
