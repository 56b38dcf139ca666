#!/usr/bin/env bash
# `make demo`: the main job. Mounts the demo filesystem (memfs) and the
# demo block device (busexmp's 128 MB memory disk, attached to the kernel
# by the best path this machine has, with ext4 on it), says where they
# are, and waits for Ctrl-C; then unmounts and detaches everything.
# Without a terminal (CI, scripts) it shows both working and ends by
# itself after FBX_DEMO_SECONDS (default 0: at once).
set -u
BUILD=${BUILD:-build}
D=${FBX_DEMO_DIR:-/tmp/fusebox-demo}
FS=$D/fs DISK=$D/disk
pids=() devmounted=

say() { printf '%s\n' "$*"; }
cleanup() {
  trap - EXIT INT TERM
  say "demo: cleaning up"
  [ -n "$devmounted" ] && umount "$DISK" 2>/dev/null
  mountpoint -q "$FS" 2>/dev/null && umount "$FS"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rmdir "$FS" "$DISK" "$D" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 0' INT TERM

[ "$(id -u)" = 0 ] || { say "demo: run as root (it mounts and attaches a loop/nbd device)"; exit 1; }
mkdir -p "$FS" "$DISK"

# 1. the filesystem
"$BUILD/examples/memfs" -f -o allow_other,default_permissions,fsname=fusebox-demo "$FS" &
pids+=($!)
for _ in $(seq 50); do mountpoint -q "$FS" && break; sleep 0.1; done
mountpoint -q "$FS" || { say "demo: memfs did not mount"; exit 1; }
echo "Hello from fusebox" > "$FS/hello.txt"
say "filesystem: memfs mounted at $FS ($(grep " $FS " /proc/mounts | cut -d' ' -f1,3))"

# 2. the block device
log=$D.busexmp.log
"$BUILD/examples/busexmp" --attach auto >"$log" 2>&1 &
pids+=($!)
dev=
for _ in $(seq 100); do
  dev=$(grep -o '/dev/[a-z]*[0-9][0-9]*' "$log" | head -n1)
  [ -n "$dev" ] && [ -b "$dev" ] && break
  kill -0 "${pids[-1]}" 2>/dev/null || break
  sleep 0.1
done
if [ -n "$dev" ] && [ -b "$dev" ]; then
  mkfs.ext4 -q -F "$dev" && mount "$dev" "$DISK" && devmounted=1
  echo "Hello from a fusebox block device" > "$DISK/hello.txt"
  say "block device: busexmp 128 MB memory disk attached as $dev, ext4 mounted at $DISK"
  say "              $(head -n3 "$log" | tr '\n' ' ')"
else
  say "demo: the block device did not attach:"; sed 's/^/    /' "$log"
fi

say ""
say "try:   ls -l $FS $DISK;  cat $FS/hello.txt $DISK/hello.txt;  df -h $FS $DISK"
if [ -t 0 ]; then
  say "press Ctrl-C to unmount and detach"
  while sleep 3600; do :; done
else
  ls -l "$FS" "$DISK"
  sleep "${FBX_DEMO_SECONDS:-0}"
fi
