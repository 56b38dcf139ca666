#!/usr/bin/env bash
# ublk beyond the basics (lib/attach/ublk.c), in the VM: a blocking device
# (filedisk) at queue depth 32 has several requests in the device at once
# (its workers), and fio's verification finds every block intact; user
# recovery: filedisk --recoverable with ext4 mounted and a writer running
# is killed with -9, a new filedisk --recover takes the same /dev/ublkbN
# over, the writer finishes, the files match and fsck is clean; a size
# mismatch is refused, and --disconnect removes an orphaned device;
# filedisk run as uid 1000 adds an unprivileged device that root formats.
# FBX_UBLK_ONLY=unpriv runs the last part only.
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
if [ "${FBX_UBLK_ONLY:-}" != unpriv ]; then
  t_overlap ublk "--attach ublk"
  t_recover ublk "--attach ublk"
fi
t_unpriv ublk
finish
BODY

# util-linux's setpriv (busybox's cannot change uids) for the
# unprivileged device
setpriv=$(command -v setpriv) || { echo "FAIL: no setpriv (util-linux) on the host"; exit 1; }
vm_run --timeout 220 --env FBX_UBLK_ONLY "$tmp/body.sh" \
  "$BUILD/examples/busexmp" "$BUILD/examples/filedisk" "$root/tests/vm/attach-lib.sh" "$setpriv"
rc=$?
[ $rc = 0 ] && echo "PASS" || echo "FAIL: VM body exited $rc"
exit $rc
