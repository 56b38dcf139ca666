#!/usr/bin/env bash
# BUSE programs (buse.h, buse_main) on this host, through FUSE + loop
# (FBX_ATTACH=fuse: the host kernel has no nbd). Two programs written to
# BUSE's interface (tests/buse/src: the seed's busexmp shape, 128 MB in
# memory, and a file-backed one like BUSE's loopback) are built against
# `make install` with pkg-config, attached, formatted ext4, mounted,
# written, unmounted and found clean by fsck; SIGTERM detaches them,
# disc is called once and nothing is left. The file disk's image is
# checked again after the detach. Bad input: a device name that is not
# /dev/nbdN, FBX_ATTACH=nonsense, the default path without the nbd
# module, a read callback failing with EIO, -EIO or -1 (the reader sees
# EIO), kill -9 (I/O
# fails, no loop device or mount left). Callbacks run one at a time by
# default and up to N at once with FBX_BUSE_THREADS=N.
. "$FBX_ROOT/tests/lib/fbx.sh"
. "$FBX_ROOT/tests/buse/buse-lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (mount, loop devices)"
[ -e /dev/loop-control ] || skip "no loop driver (/dev/loop-control)"
command -v mkfs.ext4 >/dev/null || skip "no mkfs.ext4 (e2fsprogs)"
fbx_cleanup_hook() {   # detach cleanly what is still attached
  local p
  for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
  for p in $PIDS; do wait_gone "$p" 50; done
}
buse_build "$TMP" || exit 1
mkdir "$TMP/mnt"
export FBX_ATTACH=fuse

# run LOG PROG ARGS...: start a BUSE program; sets PID and DEV.
run() {
  local log=$1; shift
  start_fs "$log" "$@"
  DEV=$(buse_dev "$log" "$PID") || { echo "--- $log:"; cat "$log"; return 1; }
}
# stop: SIGTERM, then the exit status must be 0 and the device gone.
stop() {
  kill -TERM "$PID"
  wait_exit "$PID" 150
  local rc=$?
  check "$1: exit status after SIGTERM" 0 "$rc"
  check_true "$1: $DEV detached, no FUSE mount left" \
    eval "! losetup '$DEV' >/dev/null 2>&1 && ! grep -q fusebox-disk /proc/mounts"
}
# ext4 NAME: mkfs, mount, write files, unmount, fsck -n; sums in $TMP/NAME.sums
ext4() {
  if mkfs.ext4 -q -F "$DEV" && mount "$DEV" "$TMP/mnt"; then
    local i
    for i in 1 2 3 4; do head -c $((i * 700000)) /dev/urandom >"$TMP/mnt/f$i"; done
    mkdir -p "$TMP/mnt/d/e" && echo hello >"$TMP/mnt/d/e/h"
    (cd "$TMP/mnt" && md5sum f* d/e/h) >"$TMP/$1.sums"
    umount "$TMP/mnt"
    check_true "$1: mkfs.ext4, mount, write, umount, fsck -n clean on $DEV" \
      eval "fsck.ext4 -fn $DEV >$TMP/fsck.log 2>&1 || { cat $TMP/fsck.log; false; }"
  else
    check_true "$1: mkfs.ext4 and mount on $DEV" false
  fi
}

# 1. the seed's shape: 128 MB in memory
if run "$TMP/mem.log" "$TMP/memdisk" /dev/nbd0; then
  check "memdisk: size" 134217728 "$(blockdev --getsize64 "$DEV")"
  check_contains "memdisk: stderr says which device, not /dev/nbd0" \
    "buse_main: $DEV is the device (fuse+loop), not /dev/nbd0" "$(cat "$TMP/mem.log")"
  ext4 memdisk
  stop memdisk
  check "memdisk: disc called once, callbacks one at a time" \
    "memdisk: disc from /dev/nbd0, at most 1 callbacks at once" "$(grep disc "$TMP/mem.log")"
else
  check_true "memdisk attached" false
fi

# 2. file-backed, size in blocks; its image is an ext4 file system after
truncate -s 64M "$TMP/disk.img"
if run "$TMP/file.log" "$TMP/filedisk" "$TMP/disk.img" /dev/nbd3; then
  check "filedisk: size from blksize x size_blocks" 67108864 "$(blockdev --getsize64 "$DEV")"
  check "filedisk: logical block size" 4096 "$(blockdev --getss "$DEV")"
  ext4 filedisk
  stop filedisk
  check_true "filedisk: the image file itself is clean ext4" fsck.ext4 -fn "$TMP/disk.img"
  if run "$TMP/file2.log" "$TMP/filedisk" "$TMP/disk.img" /dev/nbd3; then
    check_true "filedisk: files read back after re-attach" \
      eval "mount -o ro '$DEV' '$TMP/mnt' && (cd '$TMP/mnt' && md5sum -c --quiet '$TMP/filedisk.sums')"
    umount "$TMP/mnt" 2>/dev/null
    stop filedisk-again
  fi
else
  check_true "filedisk attached" false
fi

# 3. bad input: clear errors, exit status 1, nothing attached
bad() { # NAME WANT-TEXT ENV... -- PROG ARGS
  local name=$1 want=$2 out rc; shift 2
  out=$(timeout 30 env "$@" 2>&1); rc=$?
  check "$name: exit status" 1 "$rc"
  check_contains "$name: message" "$want" "$out"
}
bad "device /dev/sda" "/dev/sda: not an nbd device name (/dev/nbdN)" \
  "$TMP/memdisk" /dev/sda
bad "device /dev/nbd" "not an nbd device name" "$TMP/memdisk" /dev/nbd
bad "FBX_ATTACH=nonsense" "FBX_ATTACH=nonsense: unknown attach path" \
  FBX_ATTACH=nonsense "$TMP/memdisk" /dev/nbd0
bad "FBX_BUSE_THREADS=0" "FBX_BUSE_THREADS=0: expected a number from 1 to 64" \
  FBX_BUSE_THREADS=0 "$TMP/memdisk" /dev/nbd0
bad "an empty file" "no size" "$TMP/filedisk" /dev/null /dev/nbd0
if [ ! -e /sys/module/nbd ] && [ ! -e /sys/block/nbd0 ]; then
  bad "default path without the nbd module" "modprobe nbd" FBX_ATTACH= "$TMP/memdisk" /dev/nbd0
  bad "FBX_ATTACH=nbd without the module" "modprobe nbd" FBX_ATTACH=nbd "$TMP/memdisk" /dev/nbd0
fi

# 4. a read callback's error reaches the reader as EIO; the rest reads
if run "$TMP/bad.log" "$TMP/memdisk" /dev/nbd0 $((64 << 20)); then
  for b in "16384 EIO" "16385 -EIO" "16386 -1"; do
    out=$(dd if="$DEV" of=/dev/null bs=4096 skip="${b% *}" count=1 iflag=direct 2>&1)
    check_contains "read callback returning ${b#* }: the reader sees EIO" "Input/output error" "$out"
  done
  check_true "read of the block before it works" \
    dd if="$DEV" of=/dev/null bs=4096 skip=16383 count=1 iflag=direct status=none
  stop bad-read
fi

# 5. FBX_BUSE_THREADS=4: parallel direct reads overlap in the callbacks
if MEMDISK_SLOW_US=20000 FBX_BUSE_THREADS=4 run "$TMP/thr.log" "$TMP/memdisk" /dev/nbd0; then
  readers=()
  for i in 0 1 2 3 4 5 6 7; do
    dd if="$DEV" of=/dev/null bs=4k skip=$((i * 1000)) count=16 iflag=direct status=none &
    readers+=($!)
  done
  wait "${readers[@]}"
  stop threads
  n=$(sed -n 's/.*at most \([0-9]*\) callbacks.*/\1/p' "$TMP/thr.log")
  check_true "FBX_BUSE_THREADS=4: callbacks ran concurrently (at most ${n:-?} at once, 2..4)" \
    eval "[ '${n:-0}' -ge 2 ] && [ '${n:-0}' -le 4 ]"
fi

# 6. kill -9 in the middle of writes: the writer fails, nothing is left
if run "$TMP/kill.log" "$TMP/memdisk" /dev/nbd0; then
  # The writer's shell holds the device open across its dd runs: a kill
  # landing between two runs must not let autoclear unbind the loop
  # device, whose next dd would then see a 0-byte disk (ENOSPC), not the
  # dead daemon's EIO.
  (exec 9<>"$DEV"
   while dd if=/dev/zero of="$DEV" bs=64k count=1024 oflag=direct status=none 2>"$TMP/dd.err"; do :; done) &
  ddpid=$!
  sleep 1
  kill -9 "$PID"
  wait "$PID" 2>/dev/null
  wait_exit "$ddpid" 150
  check "kill -9: the writer stopped" 0 "$?"
  check_contains "kill -9: the write failed with EIO" "Input/output error" "$(cat "$TMP/dd.err")"
  for _ in $(seq 50); do losetup "$DEV" >/dev/null 2>&1 || break; sleep 0.1; done
  check_true "kill -9: $DEV released, no FUSE mount left" \
    eval "! losetup '$DEV' >/dev/null 2>&1 && ! grep -q fusebox-disk /proc/mounts"
  check "kill -9: disc not called" "" "$(grep disc "$TMP/kill.log")"
fi
finish
