#!/usr/bin/env bash
# Kernel ublk attach (lib/attach/ublk.c) in the VM: busexmp's memory disk
# and filedisk's file become /dev/ublkbN, ext4 round trips, the file-backed
# disk attached again reads its files back, and a server killed with -9 in
# the middle of a direct dd makes the kernel fail the dd (within a bound).
# Prints one fio randrw 4k figure (information, not a criterion).
# Skips (77) only when the VM cannot run here, or fusebox has no liburing.
set -u
root=${FBX_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD;; esac
# shellcheck source=tests/vm/lib.sh
. "$root/tests/vm/lib.sh"
for p in busexmp filedisk; do
  [ -x "$BUILD/examples/$p" ] || { echo "FAIL: $BUILD/examples/$p not built"; exit 1; }
done
if ! nm "$BUILD/examples/busexmp" 2>/dev/null | grep -q io_uring_queue_init; then
  echo "skip: fusebox built without liburing: no ublk path"
  exit 77
fi
vm_require

tmp=$(mktemp -d /tmp/fbx-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/body.sh" <<'BODY'
#!/bin/bash
set -u
. /fbx/bin/attach-lib.sh
t_roundtrip ublk "" "--attach ublk"
t_roundtrip ublk-named "" /dev/ublkb3
t_kill ublk "" "--attach ublk"
[ "${FBX_FIO:-1}" = 1 ] && t_fio ublk "" "--attach ublk"
finish
BODY

vm_run --timeout 170 --env FBX_FIO "$tmp/body.sh" \
  "$BUILD/examples/busexmp" "$BUILD/examples/filedisk" "$root/tests/vm/attach-lib.sh"
rc=$?
[ $rc = 0 ] && echo "PASS" || echo "FAIL: VM body exited $rc"
exit $rc
