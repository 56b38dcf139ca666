#!/usr/bin/env bash
# Kernel NBD attach (lib/attach nbd-ioctl and nbd-netlink) in the VM: for
# each path, busexmp's memory disk and filedisk's file are attached,
# formatted ext4, mounted, written, unmounted and found clean by fsck; the
# file-backed disk is attached again and its files read back; a server
# killed with -9 in the middle of a dd makes the kernel fail the dd (within
# a bound), never hang; then busexmp --disconnect frees the netlink device
# and a new server takes it. `busexmp /dev/nbd0` works as typed (nbd-netlink).
# NBD_CMD_RECONFIGURE: ext4 mounted on filedisk's /dev/nbd6, a writer
# running, the server killed with -9, `filedisk --recover /dev/nbd6` takes
# the device over, the writer finishes, files intact, fsck clean.
# Prints one fio randrw 4k figure per path (information, not a criterion).
# Skips (77) only when the VM cannot run here.
set -u
root=${FBX_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD;; esac
# shellcheck source=tests/vm/lib.sh
. "$root/tests/vm/lib.sh"
for p in busexmp filedisk; do
  [ -x "$BUILD/examples/$p" ] || { echo "FAIL: $BUILD/examples/$p not built"; exit 1; }
done
vm_require

tmp=$(mktemp -d /tmp/fbx-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/body.sh" <<'BODY'
#!/bin/bash
set -u
. /fbx/bin/attach-lib.sh
for mode in ${FBX_MODES:-nbd-ioctl nbd-netlink}; do
  case $mode in
    nbd-ioctl) t_roundtrip "$mode" FBX_ATTACH=nbd-ioctl /dev/nbd0 ;;
    nbd-netlink) t_roundtrip "$mode" "" /dev/nbd0 ;;   # busexmp /dev/nbd0, as typed
  esac
done
t_kill nbd-ioctl "FBX_ATTACH=nbd-ioctl" /dev/nbd2
t_kill nbd-netlink "FBX_ATTACH=nbd-netlink FBX_ATTACH_DEAD_TIMEOUT=5" /dev/nbd3
t_disconnect /dev/nbd3
takeover nbd-netlink-reconfigure "FBX_ATTACH_DEAD_TIMEOUT=$FBX_TAKEOVER_TIMEOUT" /dev/nbd6
[ "${FBX_FIO:-1}" = 1 ] && { t_fio nbd-ioctl FBX_ATTACH=nbd-ioctl /dev/nbd4; t_fio nbd-netlink FBX_ATTACH=nbd-netlink /dev/nbd5; }
finish
BODY

# The takeover must attach before the dead timeout and the request
# timeout after it have both run out (the kernel then fails the I/O it
# held): a sanitizer build starts slowly under TCG, so it gets longer.
FBX_TAKEOVER_TIMEOUT=10
[ "${FBX_SAN:-0}" = 1 ] && FBX_TAKEOVER_TIMEOUT=40
export FBX_TAKEOVER_TIMEOUT
vm_run --timeout 200 --env FBX_MODES --env FBX_FIO --env FBX_TAKEOVER_TIMEOUT "$tmp/body.sh" \
  "$BUILD/examples/busexmp" "$BUILD/examples/filedisk" "$root/tests/vm/attach-lib.sh"
rc=$?
[ $rc = 0 ] && echo "PASS" || echo "FAIL: VM body exited $rc"
exit $rc
