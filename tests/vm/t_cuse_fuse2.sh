#!/usr/bin/env bash
# CUSE through fusebox's libfuse.so.2, in the VM (the host kernel has no
# cuse module): libfuse 2.9.9's example cusexmp.c with its client
# fioclient.c (Debian's source package fuse, fetched at test time),
# built unchanged on this host against our headers and run in the VM:
# the size ioctls, data written and read back through the unrestricted
# FIOC_WRITE/FIOC_READ (retry rounds), read(2) of the node, and the node
# gone after SIGTERM. The same source linked to Debian's libfuse.so.2
# runs the same checks for comparison (reported as info; ours decide).
# Skips (77) when the VM or the libfuse source cannot be had here.
set -u
root=${FBX_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD;; esac
# shellcheck source=tests/vm/lib.sh
. "$root/tests/vm/lib.sh"
LIB=$BUILD/compat/libfuse.so.2
DEBLIB=/lib/x86_64-linux-gnu/libfuse.so.2
[ -e "$LIB" ] || { echo "FAIL: $LIB not built"; exit 1; }
command -v cc >/dev/null || { echo "skip: no C compiler"; exit 77; }
tmp=$(mktemp -d /tmp/fbx-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
CACHE=$BUILD/compat-src/fuse
"$root/tests/compat/fetch_src.sh" fuse "$CACHE" >"$tmp/fetch.log" 2>&1
case $? in
0) ;;
77) echo "skip: libfuse source not available: $(tail -n1 "$tmp/fetch.log")"; exit 77;;
*) cat "$tmp/fetch.log"; exit 1;;
esac
vm_require
EX=$CACHE/src/example
SANFLAGS=""
vmenv=()
if [ "${FBX_SAN:-0}" = 1 ]; then
  SANFLAGS="-fsanitize=address,undefined"
  # cusexmp never frees the arguments its fuse_opt_parse built (it hands
  # them to cuse_lowlevel_main and returns): the program's leak, not ours
  { cat "$root/tests/compat/lsan.supp"; echo "leak:fuse_opt_parse"; } >"$tmp/lsan.supp"
  vmenv=(--env LSAN_OPTIONS=suppressions=/fbx/lsan.supp)
fi
CFLAGS=(-O1 -g -Wall -I"$root/include/compat/fuse2" -D_FILE_OFFSET_BITS=64)
# shellcheck disable=SC2086 # SANFLAGS: zero or one word
cc "${CFLAGS[@]}" $SANFLAGS -o "$tmp/cusexmp" "$EX/cusexmp.c" -L"$BUILD/compat" -lfuse -pthread \
  -Wl,-rpath,"$BUILD/compat" || { echo "FAIL: cusexmp.c does not build against our headers"; exit 1; }
cc -O1 -g -o "$tmp/fioclient" "$EX/fioclient.c" || { echo "FAIL: fioclient.c does not build"; exit 1; }
[ "$(ldd "$tmp/cusexmp" | awk '$1 == "libfuse.so.2" {print $3}')" = "$LIB" ] ||
  { echo "FAIL: cusexmp does not link $LIB"; exit 1; }
files=("$tmp/cusexmp" "$tmp/fioclient")
[ -n "$SANFLAGS" ] && files+=("$tmp/lsan.supp:/fbx/lsan.supp")
# Debian's library, for comparison (not with a sanitizer build)
if [ -f "$DEBLIB" ] && [ -z "$SANFLAGS" ] &&
   cc "${CFLAGS[@]}" -o "$tmp/cusexmp_debian" "$EX/cusexmp.c" "$DEBLIB" -pthread 2>"$tmp/cc.log"; then
  files+=("$tmp/cusexmp_debian")
fi

cat >"$tmp/body.sh" <<'BODY'
#!/bin/bash
set -u
fails=0
check() { if [ "$2" = "$3" ]; then echo "${P}ok    $1"; else echo "${P}FAIL  $1: want '$2', got '$3'"; fails=$((fails + 1)); fi; }
[ -c /dev/cuse ] || modprobe cuse
[ -c /dev/cuse ] || { echo "FAIL  no /dev/cuse in the VM"; exit 1; }

# run PROGRAM LABEL
run() {
  local prog=$1 who=$2 dev=/dev/fbx$2 pid
  echo "== libfuse 2's cusexmp on $who's libfuse.so.2"
  "$prog" -f --name="fbx$who" >"/tmp/$who.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do [ -c "$dev" ] && break; sleep 0.1; done
  if [ ! -c "$dev" ]; then
    echo "${P}FAIL  $who: $dev did not appear"; sed 's/^/      /' "/tmp/$who.log"
    kill -9 $pid; fails=$((fails + 1)); return
  fi
  check "$who: the device node appears" yes yes
  check "$who: FIOC_GET_SIZE" 0 "$(fioclient "$dev" s 2>&1)"
  printf 'hello, device' | fioclient "$dev" w 13 >/tmp/w.log 2>&1
  check "$who: FIOC_WRITE (retry for a struct, then its buffer)" 0 $?
  check "$who: FIOC_GET_SIZE after the write" 13 "$(fioclient "$dev" s 2>&1)"
  check "$who: FIOC_READ reads it back" "hello, device" "$(fioclient "$dev" r 13 2>/dev/null)"
  check "$who: FIOC_READ at an offset" "device" "$(fioclient "$dev" r 6 7 2>/dev/null)"
  fioclient "$dev" s 5; check "$who: FIOC_SET_SIZE" 0 $?
  check "$who: read(2) of the device" "hello" "$(head -c 5 "$dev")"
  kill -TERM $pid
  for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  wait $pid; rc=$?
  [ $rc = 0 ] || tail -n 30 "/tmp/$who.log"
  check "$who: cusexmp exits 0 on SIGTERM" 0 $rc
  check "$who: the node is gone" no "$([ -e "$dev" ] && echo yes || echo no)"
}
P="" run cusexmp fusebox
ours=$fails
if command -v cusexmp_debian >/dev/null; then
  P="info  " run cusexmp_debian debian
  echo "info  the same checks on Debian's libfuse.so.2 are above (info lines)"
fi
[ $ours = 0 ]
BODY

vm_run --timeout 120 --modules cuse "${vmenv[@]}" "$tmp/body.sh" "${files[@]}"
rc=$?
[ $rc = 0 ] && echo "PASS" || echo "FAIL: VM body exited $rc"
exit $rc
