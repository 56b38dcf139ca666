#!/usr/bin/env bash
# fuse_session_custom_io: libfuse 3.14's example/hello_ll_uds.c (Debian
# source package fuse3, fetched at test time) built unchanged against
# our headers and run on our libfuse3.so.3. It serves FUSE over a unix
# socket at the fixed path /tmp/libfuse-hello-ll.sock with its own read
# and writev; tests/compat/uds_relay.c mounts and carries the messages
# between /dev/fuse and that socket. The mount must read, list and stat
# like hello_ll, and the program must end cleanly when it is unmounted.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v cc >/dev/null || skip "no C compiler"
LIB=$FBX_ROOT/$BUILD/compat/libfuse3.so.3
RELAY=$FBX_ROOT/$BUILD/tests/compat/uds_relay
[ -f "$LIB" ] || { echo "missing $LIB (run make)"; exit 1; }
[ -x "$RELAY" ] || { echo "missing $RELAY (run make)"; exit 1; }
SOCK=/tmp/libfuse-hello-ll.sock   # the example's own, fixed
[ -e "$SOCK" ] && skip "$SOCK exists: another hello_ll_uds may be running"

CACHE=$FBX_ROOT/$BUILD/compat-src/fuse3
tests/compat/fetch_src.sh fuse3 "$CACHE" >"$TMP/fetch.log" 2>&1
case $? in
0) ;;
77) skip "libfuse source not available: $(tail -n1 "$TMP/fetch.log")";;
*) cat "$TMP/fetch.log"; exit 1;;
esac
EX=$CACHE/src/example/hello_ll_uds.c
[ -f "$EX" ] || skip "this libfuse source has no example/hello_ll_uds.c"

SANFLAGS=
if [ "${FBX_SAN:-0}" = 1 ]; then
	SANFLAGS="-fsanitize=address,undefined"
	export LSAN_OPTIONS="suppressions=$FBX_ROOT/tests/compat/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
fi
# It frames messages with struct fuse_in_header from <fuse_kernel.h>,
# the kernel's protocol header, which libfuse keeps in its source tree
# (Debian does not install it): that one header comes from there,
# searched after ours so every libfuse header is still our own.
BIN=$TMP/hello_ll_uds
if ! cc -O1 -g -Wall $SANFLAGS -I"$FBX_ROOT/include/compat/fuse3" -idirafter "$CACHE/src/include" \
	-D_FILE_OFFSET_BITS=64 \
	-o "$BIN" "$EX" -L"$FBX_ROOT/$BUILD/compat" -lfuse3 -pthread \
	-Wl,-rpath,"$FBX_ROOT/$BUILD/compat" >"$TMP/cc.log" 2>&1; then
	echo "FAIL  hello_ll_uds does not build against our headers:"; sed 's/^/      /' "$TMP/cc.log" | head -20
	exit 1
fi
echo "ok    hello_ll_uds builds unchanged"

# shellcheck disable=SC2317 # called by the EXIT trap of fbx.sh
fbx_cleanup_hook() { rm -f "$SOCK"; }
MNT=$TMP/mnt
mkdir -p "$MNT"
start_fs "$TMP/uds.log" "$BIN"
UDS=$PID
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
check "hello_ll_uds listens on its socket" yes "$([ -S "$SOCK" ] && echo yes)"
check "hello_ll_uds runs on our libfuse3.so.3" "$LIB" \
	"$(awk '$6 ~ /libfuse3\.so\.3$/ {print $6}' "/proc/$UDS/maps" | sort -u)"
start_fs "$TMP/relay.log" "$RELAY" "$SOCK" "$MNT"
RELAY_PID=$PID
if wait_mounted "$MNT" "$RELAY_PID"; then
	check "uds: readdir" "hello" "$(ls "$MNT")"
	check "uds: read" "Hello World!" "$(cat "$MNT/hello")"
	check "uds: stat" "13 regular file 444" "$(stat -c '%s %F %a' "$MNT/hello")"
	check "uds: missing name" "ENOENT" "$(python3 -c 'import sys
try: open(sys.argv[1])
except OSError as e: print(__import__("errno").errorcode[e.errno])' "$MNT/nothere")"
	umount "$MNT"
else
	echo "FAIL  the relay did not mount"; sed 's/^/      /' "$TMP/relay.log"; fails=$((fails + 1))
fi
wait_exit "$UDS" 100; rc=$?
check "hello_ll_uds ends with status 0 once unmounted" 0 "$rc"
wait_exit "$RELAY_PID" 100 >/dev/null
[ $fails -eq 0 ] || { echo "--- hello_ll_uds log"; cat "$TMP/uds.log"; echo "--- relay log"; cat "$TMP/relay.log"; }
[ $fails -eq 0 ]
