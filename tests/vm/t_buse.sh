#!/usr/bin/env bash
# BUSE programs (buse.h, buse_main) on the kernel's own paths, in the VM:
# the seed's words, `memdisk /dev/nbd0` with nbd loaded, attach that very
# device (nbd over netlink); FBX_ATTACH=ublk gives /dev/ublkbN and says
# so; FBX_ATTACH=nbd-ioctl takes a named device the old way. Each: ext4
# made, mounted, written, unmounted, fsck -n clean, SIGTERM detaches and
# disc is called. A device another server holds is a clear error. The programs (tests/buse/src) are built on the host
# against `make install` with pkg-config, as a BUSE user would.
# Skips (77) only when the VM cannot run here.
set -u
root=${FBX_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
export FBX_ROOT=$root
BUILD=${BUILD:-build}
# shellcheck source=tests/vm/lib.sh
. "$root/tests/vm/lib.sh"
# shellcheck source=tests/buse/buse-lib.sh
. "$root/tests/buse/buse-lib.sh"
vm_require

tmp=$(mktemp -d /tmp/fbx-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
buse_build "$tmp" || exit 1
ublk=ublk
nm "$root/$BUILD/libfusebox.a" 2>/dev/null | grep -q io_uring_queue_init ||
  { echo "note: fusebox built without liburing: no ublk run"; ublk=; }

cat >"$tmp/body.sh" <<'BODY'
#!/bin/bash
set -u
export LD_LIBRARY_PATH=/fbx/lib   # the VM's /tmp hides the host's staging prefix
fails=0
W=$(mktemp -d /tmp/fbx-test.XXXXXX)
mkdir -p "$W/mnt"
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

# run NAME ENV PROG ARGS...: start a BUSE program, wait for its device;
# sets pid and dev.
run() {
  local log=$W/$1.log envs=$2; shift 2
  # shellcheck disable=SC2086 # ENV is NAME=VAL words
  env $envs "$@" >"$log" 2>&1 &
  pid=$! dev=
  for _ in $(seq 300); do
    dev=$(sed -n 's/^attach: \(\/dev\/[a-z0-9]*\) is the device.*/\1/p' "$log" | head -n1)
    [ -n "$dev" ] && [ -b "$dev" ] && return 0
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
  done
  cat "$log"; return 1
}
# roundtrip NAME ENV PROG ARGS...: ext4 on the device, SIGTERM, disc.
roundtrip() {
  local name=$1 log=$W/$1.log
  if ! run "$@"; then bad "$name: did not attach"; return; fi
  ok "$name: attached as $dev"
  if mkfs.ext4 -q -F "$dev" && mount "$dev" "$W/mnt"; then
    for i in 1 2 3; do head -c $((i * 500000)) /dev/urandom >"$W/mnt/f$i"; done
    umount "$W/mnt"
    if fsck.ext4 -fn "$dev" >"$W/fsck.log" 2>&1; then ok "$name: mkfs/mount/write/umount/fsck -n clean"
    else bad "$name: fsck"; cat "$W/fsck.log"; fi
  else
    bad "$name: mkfs/mount"
  fi
  kill -TERM $pid
  for _ in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  if kill -0 $pid 2>/dev/null; then bad "$name: no exit after SIGTERM"; kill -9 $pid; return; fi
  wait $pid && ok "$name: exit 0 after SIGTERM" || bad "$name: exit status $?"
  [ ! -e "/sys/block/${dev#/dev/}/pid" ] || bad "$name: $dev still connected"
  case $3 in
    *memdisk) grep -q "memdisk: disc from" "$log" && ok "$name: disc called" || bad "$name: no disc";;
  esac
}

roundtrip seed "" memdisk /dev/nbd0
[ "$dev" = /dev/nbd0 ] && ! grep -q "^buse_main:" "$W/seed.log" &&
  ok "seed: /dev/nbd0 as named, by $(sed -n 's/.*is the device (\([a-z-]*\),.*/\1/p' "$W/seed.log")" ||
  bad "seed: got '$dev', or buse_main said something: $(cat "$W/seed.log")"
truncate -s 64M "$W/disk.img"
roundtrip ioctl "FBX_ATTACH=nbd-ioctl" filedisk "$W/disk.img" /dev/nbd2
[ "$dev" = /dev/nbd2 ] && ok "ioctl: the named /dev/nbd2" || bad "ioctl: got $dev, not /dev/nbd2"
if [ -n "${BUSE_UBLK:-}" ]; then
  roundtrip ublk "FBX_ATTACH=ublk" memdisk /dev/nbd0
  grep -q "buse_main: /dev/ublkb[0-9]* is the device (ublk), not /dev/nbd0" "$W/ublk.log" &&
    ok "ublk: stderr names the device" || { bad "ublk: no line naming the device"; cat "$W/ublk.log"; }
fi
# a device another server holds: a clear error, the holder unharmed
if run busy "" memdisk /dev/nbd1; then
  timeout 60 memdisk /dev/nbd1 >"$W/busy2.log" 2>&1; rc=$?
  [ $rc = 1 ] && ok "/dev/nbd1 in use: exit 1: $(grep '^buse_main' "$W/busy2.log" | head -n1)" ||
    { bad "/dev/nbd1 in use: exit $rc"; cat "$W/busy2.log"; }
  dd if=/dev/nbd1 of=/dev/null bs=4k count=1 iflag=direct status=none &&
    ok "/dev/nbd1: the first server still serves" || bad "/dev/nbd1: the first server broke"
  kill -TERM $pid; wait $pid
fi
echo "---- $fails failure(s)"
[ $fails = 0 ]
BODY

vm_run --timeout 170 --env BUSE_UBLK="$ublk" "$tmp/body.sh" "$tmp/memdisk" "$tmp/filedisk" \
  "$tmp/usr/lib/libfusebox.so.0:/fbx/lib/libfusebox.so.0"
rc=$?
[ $rc = 0 ] && echo "PASS" || echo "FAIL: VM body exited $rc"
exit $rc
