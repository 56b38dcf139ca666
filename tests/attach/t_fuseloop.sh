#!/usr/bin/env bash
# The FUSE + loop attach path on this host (no nbd, no ublk needed):
# busexmp --attach fuse gives /dev/loopN; ext4 on it takes a few
# thousand files and checks clean; SIGTERM detaches (no loop device, no
# FUSE mount left). A file-backed disk keeps its files across a
# re-attach. kill -9 of the server mid-I/O makes I/O on the device fail
# rather than hang.
set -u
B=$FBX_ROOT/${BUILD:-build}
[ "$(id -u)" = 0 ] || { echo "skip: needs root (mount, loop devices)"; exit 77; }
[ -e /dev/loop-control ] || { echo "skip: no loop driver (/dev/loop-control)"; exit 77; }
T=$(mktemp -d /tmp/fbx-test.XXXXXX)
pids=() fails=0
cleanup() {
  mountpoint -q "$T/mnt" 2>/dev/null && umount "$T/mnt"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  for l in $(losetup -j "$T/disk.img" -O NAME -n 2>/dev/null); do losetup -d "$l"; done
  rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T/mnt"
ok()   { echo "ok    $*"; }
fail() { echo "FAIL  $*"; fails=$((fails+1)); }

# attach PROG ARGS...: starts it with --attach fuse; sets DEV and PID.
attach() {
  local log=$T/attach.$RANDOM.log i
  : >"$log"
  "$@" --attach fuse >"$log" 2>&1 &
  PID=$!; pids+=("$PID"); DEV=
  for ((i=0; i<100; i++)); do
    DEV=$(grep -o '/dev/loop[0-9]*' "$log" | head -n1)
    [ -n "$DEV" ] && [ -b "$DEV" ] && return 0
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$log"; return 1
}

# gone PID DEV: the server exited, its loop device and FUSE mount are gone.
gone() {
  local i
  for ((i=0; i<100; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$1" 2>/dev/null && ! losetup "$2" >/dev/null 2>&1 &&
    ! grep -q fusebox-disk /proc/mounts
}

# 1. memory disk: mkfs, files, fsck, detach
if attach "$B/examples/busexmp"; then
  ok "busexmp attached as $DEV"
  mkfs.ext4 -q -F "$DEV" && mount "$DEV" "$T/mnt" || fail "mkfs/mount on $DEV"
  for i in $(seq 3000); do echo "file $i" > "$T/mnt/f$i"; done
  [ "$(ls "$T/mnt" | wc -l)" -ge 3000 ] && ok "3000 files written" || fail "files missing"
  umount "$T/mnt"
  e2fsck -fn "$DEV" >"$T/fsck.log" 2>&1 && ok "fsck clean" || { fail "fsck"; cat "$T/fsck.log"; }
  kill -TERM "$PID"
  gone "$PID" "$DEV" && ok "SIGTERM: detached, nothing left" || fail "not detached after SIGTERM"
else
  fail "busexmp did not attach"
fi

# 2. file-backed disk: files survive a re-attach
truncate -s 64M "$T/disk.img"
if attach "$B/examples/filedisk" "$T/disk.img"; then
  mkfs.ext4 -q -F "$DEV" && mount "$DEV" "$T/mnt" && echo "kept" > "$T/mnt/keep" && umount "$T/mnt"
  kill -TERM "$PID"; gone "$PID" "$DEV" || fail "filedisk not detached"
  if attach "$B/examples/filedisk" "$T/disk.img"; then
    mount "$DEV" "$T/mnt" && [ "$(cat "$T/mnt/keep")" = kept ] && ok "file-backed disk: data kept across re-attach" ||
      fail "file-backed disk lost its data"
    umount "$T/mnt"; kill -TERM "$PID"; gone "$PID" "$DEV" || fail "filedisk not detached (2)"
  else
    fail "filedisk did not re-attach"
  fi
else
  fail "filedisk did not attach"
fi

# 3. kill -9 mid-I/O: the device errors out, nothing hangs
if attach "$B/examples/busexmp"; then
  dev=$DEV
  dd if=/dev/zero of="$dev" bs=1M count=4096 oflag=direct 2>/dev/null &
  ddpid=$!
  sleep 0.5; kill -9 "$PID"
  for ((i=0; i<150; i++)); do kill -0 "$ddpid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$ddpid" 2>/dev/null; then
    fail "dd still running 15 s after kill -9 (hung)"; kill -9 "$ddpid"
  else
    wait "$ddpid"; rc=$?
    [ $rc -ne 0 ] && ok "kill -9: I/O failed (dd exit $rc), no hang" || fail "dd succeeded after kill -9"
  fi
  # The FUSE mount is dead now; detach what the dead server left.
  losetup -d "$dev" 2>/dev/null
  for m in $(awk '$1 == "fusebox-disk" {print $2}' /proc/mounts); do umount -l "$m"; done
  dd if="$dev" of=/dev/null bs=4k count=1 2>/dev/null
  ok "reading $dev after the kill returned (no hang)"
else
  fail "busexmp did not attach (kill test)"
fi

[ $fails -eq 0 ]
