#!/usr/bin/env bash
# `make demo`: the main job. Mounts the demo filesystem (memfs) and the
# demo block device (busexmp's 128 MB memory disk, attached to the kernel
# by the best path this machine has, with ext4 on it), says where they
# are, and waits for Ctrl-C; then unmounts and detaches everything.
# Without a terminal (CI, scripts) it shows both working and ends by
# itself after FBX_DEMO_SECONDS (default 0: at once).
#
# Environment: FBX_DEMO_DIR  where to mount (default /tmp/fusebox-demo:
#                            fs/ and disk/ in it; removed afterwards)
#              FBX_DEMO_SECONDS  how long to stay up without a terminal
#              BUILD         the build folder (default build)
#
# The cleanup must run to the end however the demo is stopped: the
# output may be a pipe whose reader is gone (`make demo | tee log`, then
# Ctrl-C kills tee too), so SIGPIPE is ignored and messages that cannot
# be written are dropped. The ext4 goes first: busexmp's detach waits
# until nothing holds the device.
set -u
BUILD=${BUILD:-build}
D=${FBX_DEMO_DIR:-/tmp/fusebox-demo}
FS=$D/fs DISK=$D/disk
log=$D/busexmp.log
pids=() dev='' back='' stty_saved='' sleeper=''

trap '' PIPE
say() { printf '%s\n' "$*" 2>/dev/null; }
cleanup() {
  trap - EXIT
  trap '' INT TERM HUP
  [ -n "$stty_saved" ] && stty "$stty_saved" 2>/dev/null
  [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
  say "demo: cleaning up"
  if mountpoint -q "$DISK" 2>/dev/null && ! umount "$DISK" 2>/dev/null; then
    say "demo: $DISK is busy (a shell in it?): unmounting it lazily; busexmp detaches when its last user leaves"
    umount -l "$DISK"
  fi
  mountpoint -q "$FS" 2>/dev/null && umount "$FS" 2>/dev/null
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  # busexmp detaches on its way out; a loop device still bound to its
  # (now gone) FUSE file means it died early.
  if [ -n "$back" ] && [ "$(losetup -n -O BACK-FILE "$dev" 2>/dev/null)" = "$back" ]; then
    losetup -d "$dev" 2>/dev/null
  fi
  rm -f "$log"
  rmdir "$FS" "$DISK" "$D" 2>/dev/null
  return 0
}
trap cleanup EXIT
trap 'exit 0' INT TERM HUP

[ "$(id -u)" = 0 ] || { say "demo: run as root (it mounts and attaches a loop/nbd device)"; exit 1; }
mkdir -p "$FS" "$DISK"

# 1. the filesystem
"$BUILD/examples/memfs" -f -o allow_other,default_permissions,fsname=fusebox-demo "$FS" >>"$log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do mountpoint -q "$FS" && break; sleep 0.1; done
mountpoint -q "$FS" || { say "demo: memfs did not mount:"; sed 's/^/    /' "$log" 2>/dev/null; exit 1; }
echo "Hello from fusebox" > "$FS/hello.txt"
say "filesystem: memfs mounted at $FS ($(grep " $FS " /proc/mounts | cut -d' ' -f1,3))"

# 2. the block device
"$BUILD/examples/busexmp" --attach auto >>"$log" 2>&1 &
pids+=($!)
dev=
for _ in $(seq 100); do
  dev=$(grep -o '/dev/[a-z]*[0-9][0-9]*' "$log" | head -n1)
  [ -n "$dev" ] && [ -b "$dev" ] && break
  kill -0 "${pids[-1]}" 2>/dev/null || break
  sleep 0.1
done
if [ -n "$dev" ] && [ -b "$dev" ]; then
  case $dev in /dev/loop*) back=$(losetup -n -O BACK-FILE "$dev" 2>/dev/null);; esac
  mkfs.ext4 -q -F "$dev" && mount "$dev" "$DISK"
  echo "Hello from a fusebox block device" > "$DISK/hello.txt"
  say "block device: busexmp 128 MB memory disk attached as $dev, ext4 mounted at $DISK"
  say "              $(grep -v memfs "$log" | head -n3 | tr '\n' ' ')"
else
  say "demo: the block device did not attach:"; sed 's/^/    /' "$log" 2>/dev/null
fi

say ""
say "try:   ls -l $FS $DISK;  cat $FS/hello.txt $DISK/hello.txt;  df -h $FS $DISK"
if [ -t 0 ]; then
  # Ctrl-C is read as a key, not sent as SIGINT: make would otherwise
  # get it too and end a normal exit with "*** [demo] Interrupt".
  # (bash's own `read -n` turns signals back on, hence stty and dd.)
  stty_saved=$(stty -g 2>/dev/null)
  stty -isig -icanon -echo min 1 time 0 2>/dev/null
  say "press Ctrl-C (or q, or Enter) to unmount and detach"
  while k=$(dd bs=1 count=1 2>/dev/null); do  # Enter and end of input read as ""
    case $k in $'\x03'|$'\x04'|$'\x1c'|q|"") break;; esac
  done
else
  ls -l "$FS" "$DISK" 2>/dev/null
  # In the background so that a signal runs the cleanup at once.
  sleep "${FBX_DEMO_SECONDS:-0}" & sleeper=$!
  wait $sleeper
fi
