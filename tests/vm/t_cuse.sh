#!/usr/bin/env bash
# CUSE in the VM (the host kernel has no cuse module): fusebox's own
# device test (tests/fs/t_cuse.c: fusebox/cuse.h, node up and down,
# read/write, an unrestricted ioctl in two retry rounds, poll), then
# libfuse 3.14's example cuse.c with its cuse_client.c (Debian's source
# package fuse3, fetched at test time), built unchanged on this host
# against our headers and libfuse3.so.3 and run in the VM: the size
# ioctls, data written and read back through FIOC_WRITE/FIOC_READ, and
# the node gone after SIGTERM.
# Skips (77) when the VM or the libfuse source cannot be had here.
set -u
root=${FBX_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD;; esac
# shellcheck source=tests/vm/lib.sh
. "$root/tests/vm/lib.sh"
LIB=$BUILD/compat/libfuse3.so.3
for f in "$BUILD/tests/fs/t_cuse" "$LIB"; do
  [ -e "$f" ] || { echo "FAIL: $f not built"; exit 1; }
done
command -v cc >/dev/null || { echo "skip: no C compiler"; exit 77; }
tmp=$(mktemp -d /tmp/fbx-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
CACHE=$BUILD/compat-src/fuse3
"$root/tests/compat/fetch_src.sh" fuse3 "$CACHE" >"$tmp/fetch.log" 2>&1
case $? in
0) ;;
77) echo "skip: libfuse source not available: $(tail -n1 "$tmp/fetch.log")"; exit 77;;
*) cat "$tmp/fetch.log"; exit 1;;
esac
vm_require
EX=$CACHE/src/example
SANFLAGS=
[ "${FBX_SAN:-0}" = 1 ] && SANFLAGS="-fsanitize=address,undefined"
# shellcheck disable=SC2086 # SANFLAGS: zero or one word
cc -O1 -g -Wall $SANFLAGS -I"$root/include/compat/fuse3" -D_FILE_OFFSET_BITS=64 \
  -o "$tmp/cuse" "$EX/cuse.c" -L"$BUILD/compat" -lfuse3 -pthread \
  -Wl,-rpath,"$BUILD/compat" || { echo "FAIL: cuse.c does not build against our headers"; exit 1; }
cc -O1 -g -o "$tmp/cuse_client" "$EX/cuse_client.c" || { echo "FAIL: cuse_client.c does not build"; exit 1; }
[ "$(ldd "$tmp/cuse" | awk '$1 == "libfuse3.so.3" {print $3}')" = "$LIB" ] ||
  { echo "FAIL: cuse does not link $LIB"; exit 1; }

cat >"$tmp/body.sh" <<'BODY'
#!/bin/bash
set -u
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok    $1"; else echo "FAIL  $1: want '$2', got '$3'"; fails=$((fails + 1)); fi; }
[ -c /dev/cuse ] || modprobe cuse
[ -c /dev/cuse ] || { echo "FAIL  no /dev/cuse in the VM"; exit 1; }

echo "== fusebox/cuse.h (tests/fs/t_cuse)"
t_cuse; check "t_cuse passes" 0 $?

echo "== libfuse's cuse example on fusebox's libfuse3.so.3"
cuse -f --name=fbxcuse >/tmp/cuse.log 2>&1 &
pid=$!
for _ in $(seq 100); do [ -c /dev/fbxcuse ] && break; sleep 0.1; done
if [ -c /dev/fbxcuse ]; then
  check "the device node appears" yes yes
  check "FIOC_GET_SIZE (retry for the output)" 0 "$(cuse_client /dev/fbxcuse s 2>&1)"
  printf 'hello, device' | cuse_client /dev/fbxcuse w 13 >/tmp/w.log 2>&1
  check "FIOC_WRITE (retry for a struct, then its buffer)" 0 $?
  check "FIOC_GET_SIZE after the write" 13 "$(cuse_client /dev/fbxcuse s 2>&1)"
  check "FIOC_READ reads it back" "hello, device" "$(cuse_client /dev/fbxcuse r 13 2>/dev/null)"
  check "FIOC_READ at an offset" "device" "$(cuse_client /dev/fbxcuse r 6 7 2>/dev/null)"
  cuse_client /dev/fbxcuse s 5; check "FIOC_SET_SIZE" 0 $?
  check "read(2) of the device" "hello" "$(head -c 5 /dev/fbxcuse)"
  kill -TERM $pid
  for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  wait $pid; check "cuse exits 0 on SIGTERM" 0 $?
  check "the node is gone" no "$([ -e /dev/fbxcuse ] && echo yes || echo no)"
else
  echo "FAIL  /dev/fbxcuse did not appear"; sed 's/^/      /' /tmp/cuse.log
  kill -9 $pid; fails=$((fails + 1))
fi
[ $fails = 0 ]
BODY

vm_run --timeout 120 --modules cuse "$tmp/body.sh" "$BUILD/tests/fs/t_cuse" "$tmp/cuse" "$tmp/cuse_client"
rc=$?
[ $rc = 0 ] && echo "PASS" || echo "FAIL: VM body exited $rc"
exit $rc
