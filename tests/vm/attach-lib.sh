# shellcheck shell=bash
# shellcheck disable=SC2086,SC2015  # TARGET words are split on purpose; ok || bad is the report idiom
# Sourced inside the VM by tests/vm/t_attach_*.sh bodies (bash). Each t_*
# function runs one scenario against build/examples/{busexmp,filedisk} and
# prints "ok ..." or "FAIL ..." lines; `finish` exits 1 if any failed.
fails=0
W=$(mktemp -d /tmp/fbx-test.XXXXXX)
mkdir -p "$W/mnt"
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

# start LOG ENV PROG ARGS...: run PROG in the background with ENV
# (space-separated NAME=VAL words), wait for the device line on its stdout.
# Sets $pid and $dev.
start() {
  local log=$1 envs=$2; shift 2
  # shellcheck disable=SC2086
  env $envs "$@" >"$log" 2>&1 &
  pid=$!
  dev=
  for _ in $(seq 300); do
    dev=$(grep -m1 '^/dev/' "$log" || true)
    [ -n "$dev" ] && [ -b "$dev" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "--- $log:"; cat "$log"
  return 1
}

# stop_dev: SIGTERM the server, wait for it to detach and exit (bounded).
stop_dev() {
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid"; return $?; }
    sleep 0.1
  done
  echo "server $pid did not exit on SIGTERM"; kill -9 "$pid"; return 1
}

# reap PID SECS: wait (bounded) for the killed server PID to exit and reap
# it; if it is still there after SECS, print the state, wait channel and
# kernel stack of each of its threads (and hung tasks to the console),
# SIGKILL it once more and return 1.
reap() {
  local p=$1 s=$2 t
  # gone when no thread of it is left but zombies (a zombie leader
  # whose other threads still run is not reaped yet: wait would hang)
  for _ in $(seq $((s * 10))); do
    grep -qs '^State:[[:space:]]*[^ZX]' /proc/$p/task/*/status || { wait "$p" 2>/dev/null; return 0; }
    sleep 0.1
  done
  echo "server $p still running $s s after kill -9; its threads:"
  for t in /proc/$p/task/*; do
    echo "  task ${t##*/} $(sed -n 's/^State:[[:space:]]*//p' $t/status) wchan=$(cat $t/wchan 2>/dev/null) comm=$(cat $t/comm)"
    sed 's/^/      /' $t/stack 2>/dev/null
  done
  echo w >/proc/sysrq-trigger 2>/dev/null
  kill -9 "$p" 2>/dev/null
  return 1
}

# TARGET below is busexmp's target argument(s), word-split: "/dev/nbd0",
# "--attach ublk".
# t_roundtrip NAME ENV TARGET: memory disk then file disk, ext4 round trips.
t_roundtrip() {
  local name=$1 envs=$2 want=$3 log=$W/$1.log
  if ! start "$log" "$envs" busexmp $want; then bad "$name: busexmp $want did not attach"; return; fi
  ok "$name: busexmp $want attached as $dev ($(sed -n 's/.*(\([a-z+-]*\),.*/\1/p' "$log" | head -n1))"
  if mkfs.ext4 -q -F -E nodiscard "$dev" && mount "$dev" "$W/mnt"; then
    for i in 1 2 3 4 5; do head -c $((i * 300000)) /dev/urandom >"$W/mnt/f$i"; done
    (cd "$W/mnt" && md5sum f* >"$W/sums")
    umount "$W/mnt" && fsck.ext4 -fn "$dev" >/dev/null 2>&1 && ok "$name: memdisk mkfs/mount/write/umount/fsck clean" ||
      bad "$name: memdisk umount/fsck"
  else
    bad "$name: memdisk mkfs/mount"
  fi
  stop_dev && ok "$name: busexmp detached on SIGTERM (exit 0)" || bad "$name: busexmp detach (exit $?)"
  [ ! -e "/sys/block/${dev#/dev/}/pid" ] || bad "$name: $dev still connected after detach"

  # the file-backed disk: write, detach, attach again, read back
  truncate -s 64M "$W/disk.img"
  if ! start "$log" "$envs" filedisk "$W/disk.img" $want; then bad "$name: filedisk did not attach"; return; fi
  if mkfs.ext4 -q -F "$dev" && mount "$dev" "$W/mnt"; then
    for i in 1 2 3; do head -c $((i * 400000)) /dev/urandom >"$W/mnt/g$i"; done
    mkdir -p "$W/mnt/d/e"; echo hello >"$W/mnt/d/e/h"
    (cd "$W/mnt" && md5sum g* d/e/h >"$W/sums2")
    umount "$W/mnt" || bad "$name: filedisk umount"
  else
    bad "$name: filedisk mkfs/mount"
  fi
  stop_dev || bad "$name: filedisk detach"
  if ! start "$log" "$envs" filedisk "$W/disk.img" $want; then bad "$name: filedisk re-attach"; return; fi
  if mount -o ro "$dev" "$W/mnt" && (cd "$W/mnt" && md5sum -c "$W/sums2" >/dev/null); then
    ok "$name: filedisk re-attached, files read back intact"
  else
    bad "$name: filedisk files after re-attach"
  fi
  umount "$W/mnt" 2>/dev/null
  fsck.ext4 -fn "$dev" >/dev/null 2>&1 && ok "$name: filedisk fsck clean" || bad "$name: filedisk fsck"
  stop_dev || bad "$name: filedisk detach 2"
}

# t_kill NAME ENV TARGET: kill -9 the server during a direct-I/O dd; the dd
# must fail, within 90 s.
t_kill() {
  local name=$1 envs=$2 want=$3 log=$W/$1.kill.log
  if ! start "$log" "$envs" busexmp $want; then bad "$name: kill: did not attach"; return; fi
  # The disk fills in well under a second now, so write it over and over
  # until a dd fails; the loop's status is that failure.
  ( while dd if=/dev/zero of="$dev" bs=64k count=1024 oflag=direct 2>"$W/dd.err"; do :; done
    exit 1 ) &
  local ddpid=$!
  sleep 2
  kill -0 $ddpid 2>/dev/null || { bad "$name: dd ended before the kill: $(cat "$W/dd.err")"; return; }
  kill -9 "$pid"
  wait "$pid" 2>/dev/null
  local t1=$SECONDS rc=
  for _ in $(seq 900); do
    kill -0 $ddpid 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 $ddpid 2>/dev/null; then
    bad "$name: dd still running 90 s after kill -9 of the server"
    grep -E 'State|Name' /proc/$ddpid/status
    cat /proc/$ddpid/stack 2>/dev/null
    kill -9 $ddpid
    return
  fi
  wait $ddpid; rc=$?
  if [ $rc != 0 ]; then
    ok "$name: kill -9 of the server: dd failed after $((SECONDS - t1)) s ($(tail -n1 "$W/dd.err" | head -c 80))"
  else
    bad "$name: dd succeeded although the server was killed"
  fi
  # and the device answers instead of hanging: an error, or nothing left
  # to read (the driver dropped the device to size 0)
  local got
  got=$(timeout 60 dd if="$dev" bs=4k count=1 iflag=direct 2>/dev/null | wc -c)
  [ "$got" = 0 ] && ok "$name: a read after the kill returns no data, without hanging" ||
    bad "$name: a read after the kill returned $got bytes"
}

# t_disconnect DEV: after t_kill on the netlink path, DEV may still be
# bound to the dead server's sockets; busexmp --disconnect frees it, and
# a new server takes the same device.
t_disconnect() {
  local d=$1 n=${1#/dev/} log=$W/disconnect.log
  [ -e /sys/block/$n/pid ] && ok "$d: still bound after the kill (pid $(cat /sys/block/$n/pid))" ||
    echo "note $d: not bound after the kill"
  if busexmp --disconnect "$d" >"$log" 2>&1; then ok "busexmp --disconnect $d: $(head -n1 "$log")"
  else bad "busexmp --disconnect $d failed: $(cat "$log")"; fi
  for _ in $(seq 50); do [ -e /sys/block/$n/pid ] || break; sleep 0.1; done
  [ ! -e /sys/block/$n/pid ] && ok "$d: freed" || bad "$d: still bound after --disconnect"
  busexmp --disconnect /dev/sda >"$log" 2>&1 && bad "--disconnect /dev/sda succeeded" ||
    { grep -q "not an nbd device" "$log" && ok "--disconnect /dev/sda: $(cat "$log")" || bad "--disconnect /dev/sda: $(cat "$log")"; }
  if start "$W/retake.log" "FBX_ATTACH=nbd-netlink" busexmp "$d"; then
    echo retaken | dd of="$dev" bs=4k conv=sync oflag=direct 2>/dev/null
    [ "$(dd if="$dev" bs=4k count=1 iflag=direct 2>/dev/null | head -c 7)" = retaken ] &&
      ok "$d: taken again by a new server, I/O works" || bad "$d: I/O after re-take"
    stop_dev || bad "$d: re-taken server did not detach"
  else
    bad "$d: a new server could not take it after --disconnect"
  fi
}

# t_fio NAME ENV TARGET: fio randrw 4k for 20 s on busexmp's raw device.
t_fio() {
  local name=$1 envs=$2 want=$3 log=$W/$1.fio.log
  command -v fio >/dev/null || { echo "info $name: no fio in the VM"; return; }
  if ! start "$log" "$envs" busexmp $want; then bad "$name: fio: did not attach"; return; fi
  fio --name=r --filename="$dev" --rw=randrw --bs=4k --direct=1 --ioengine=libaio \
      --iodepth=16 --runtime=20 --time_based --size=100M --output-format=terse \
      --terse-version=3 >"$W/fio.out" 2>&1
  # terse v3: field 8 read iops, 49 write iops
  local r w
  r=$(awk -F';' '{print $8}' "$W/fio.out"); w=$(awk -F';' '{print $49}' "$W/fio.out")
  echo "fio  $name: randrw 4k qd16 20 s (TCG): read $r IOPS, write $w IOPS"
  stop_dev || bad "$name: fio detach"
}

# t_overlap NAME TARGET: filedisk on TARGET, fio random writes at queue
# depth 32 with verification (every block read back and checked); the
# server's "up to N requests in the device at once" on detach must say
# N > 1 (a blocking device is not serialised).
t_overlap() {
  local name=$1 want=$2 log=$W/$1.ov.log n
  command -v fio >/dev/null || { bad "$name: overlap needs fio in the VM"; return; }
  truncate -s 128M "$W/ov.img"
  if ! start "$log" "" filedisk "$W/ov.img" $want --threads 8; then bad "$name: overlap: did not attach"; return; fi
  if fio --name=ov --filename="$dev" --rw=randwrite --bs=4k --direct=1 --ioengine=libaio \
       --iodepth=32 --size=16M --verify=crc32c --verify_fatal=1 --do_verify=1 \
       --output-format=terse --terse-version=3 >"$W/ov.out" 2>&1; then
    ok "$name: fio randwrite 4k QD32 16 MiB, verified ($(awk -F';' '{print $49}' "$W/ov.out") write IOPS under TCG)"
  else
    bad "$name: fio verify failed: $(tail -n3 "$W/ov.out")"
  fi
  stop_dev || bad "$name: overlap detach"
  n=$(sed -n 's/.*up to \([0-9]*\) request.*/\1/p' "$log")
  [ "${n:-0}" -gt 1 ] && ok "$name: filedisk saw up to $n requests at once" ||
    bad "$name: requests did not overlap (peak '${n:-none}'): $(cat "$log")"
}

# t_recover NAME TARGET: takeover with --recoverable (ublk), then a size
# mismatch refused and an orphaned device removed with --disconnect.
# takeover NAME ENV TARGET: filedisk on TARGET, ext4 mounted, a writer
# (files written and fsync'ed one after another, until a second after the
# restart) running while the server is killed with -9 and a new one started with --recover on the same
# device; the writer ends well, the files match, fsck is clean; SIGTERM
# then detaches. Returns 1 when the device could not be had at all.
takeover() {
  local name=$1 envs=$2 want=$3 log=$W/$1.rec.log i n f wpid d rc
  truncate -s 64M "$W/rec.img"
  head -c 100000 /dev/urandom >"$W/src"; rm -f "$W/stop"
  if ! start "$log" "$envs" filedisk "$W/rec.img" $want; then bad "$name: takeover: did not attach"; return 1; fi
  d=$dev
  if ! { mkfs.ext4 -q -F "$d" && mount "$d" "$W/mnt"; }; then bad "$name: recover: mkfs/mount"; stop_dev; return 1; fi
  env $envs filedisk "$W/rec.img" --recover "$d" >"$W/rec1.log" 2>&1 && bad "$name: --recover took $d from a live server" ||
    { grep -q "still running" "$W/rec1.log" && ok "$name: --recover of a live server's device refused: $(grep -m1 'still running' "$W/rec1.log")" ||
      bad "$name: --recover of a live device: $(cat "$W/rec1.log")"; }
  # the writer goes on until told to stop (after the restart), at most
  # 400 files (40 MB)
  ( i=0; while [ $i -lt 400 ] && { [ $i -lt 5 ] || [ ! -e "$W/stop" ]; }; do
      i=$((i + 1)); dd if="$W/src" of="$W/mnt/f$i" bs=64k conv=fsync 2>"$W/w.err" || exit 1
    done ) &
  wpid=$!
  sleep 1
  kill -0 $wpid 2>/dev/null || bad "$name: the writer ended before the kill"
  kill -9 "$pid"
  if ! reap "$pid" 30; then
    bad "$name: the killed server did not exit"
    kill -9 $wpid 2>/dev/null; busexmp --disconnect "$d"; umount -l "$W/mnt"; return 1
  fi
  sleep 1
  # Until the new server runs, nothing may touch the filesystem: even an
  # ls (its atime update) can wait for the journal commit, which waits
  # for the device's held I/O: the test would hang itself before the
  # restart (that was the "intermittent ublk recovery hang").
  kill -0 $wpid 2>/dev/null && ok "$name: server killed, the writer waits"
  if start "$W/$1.rec2.log" "$envs" filedisk "$W/rec.img" --recover "$d"; then
    [ "$dev" = "$d" ] && ok "$name: a new server took $d over" || bad "$name: recovered as $dev, not $d"
  else
    bad "$name: --recover $d failed"; cat "$W/$1.rec2.log"
    busexmp --disconnect "$d"; umount -l "$W/mnt"; return 1
  fi
  sleep 1; touch "$W/stop"
  for _ in $(seq 600); do kill -0 $wpid 2>/dev/null || break; sleep 0.1; done
  if kill -0 $wpid 2>/dev/null; then bad "$name: writer still blocked 60 s after recovery"; kill -9 $wpid
  else wait $wpid; rc=$?; [ $rc = 0 ] && ok "$name: the writer finished across the restart" || bad "$name: writer failed: $(cat "$W/w.err")"; fi
  i=0 n=0; for f in "$W"/mnt/f*; do n=$((n + 1)); cmp -s "$f" "$W/src" || i=$((i + 1)); done
  [ $i = 0 ] && ok "$name: all $n files intact" || bad "$name: $i of $n files differ"
  umount "$W/mnt" || bad "$name: umount after recovery"
  fsck.ext4 -fn "$d" >"$W/fsck.out" 2>&1 && ok "$name: fsck clean after the restart" || { bad "$name: fsck after recovery"; tail -n5 "$W/fsck.out"; }
  stop_dev || bad "$name: recovered server did not detach"
  case $d in
    /dev/nbd*) [ ! -e "/sys/block/${d#/dev/}/pid" ] && ok "$name: $d disconnected on SIGTERM" || bad "$name: $d bound after detach";;
    *) [ ! -e "$d" ] && ok "$name: $d removed on SIGTERM" || bad "$name: $d left after detach";;
  esac
}

t_recover() {
  local name=$1 want=$2 log=$W/$1.rec.log d
  takeover "$name" "" "$want --recoverable" || return
  # a recoverable device whose server died and is not coming back
  if start "$log" "" filedisk "$W/rec.img" $want --recoverable; then
    d=$dev; kill -9 "$pid"; reap "$pid" 30 || bad "$name: the killed server did not exit"
    busexmp --recover "$d" >"$W/rec3.log" 2>&1 && bad "$name: a 64 MiB device taken over by a 128 MiB one" ||
      { grep -q "not taking it over" "$W/rec3.log" && ok "$name: size mismatch refused: $(grep -m1 'not taking' "$W/rec3.log")" || bad "$name: size mismatch: $(cat "$W/rec3.log")"; }
    busexmp --disconnect "$d" >"$W/rec4.log" 2>&1 && ok "$name: busexmp --disconnect $d: $(cat "$W/rec4.log")" || bad "$name: --disconnect $d: $(cat "$W/rec4.log")"
    for _ in $(seq 50); do [ -e "$d" ] || break; sleep 0.1; done
    [ ! -e "$d" ] && ok "$name: $d gone" || bad "$name: $d still there after --disconnect"
  else
    bad "$name: second recoverable attach"
  fi
}

# t_unpriv NAME: filedisk run as uid 1000 adds its own ublk device
# (UBLK_F_UNPRIVILEGED_DEV; /dev/ublk-control opened to all, and a loop
# standing in for the udev rule that gives the new char device to its
# user); root makes ext4 on it, fsck clean; SIGTERM removes it.
t_unpriv() {
  local name=$1 log=$W/$1.unpriv.log gpid
  chmod 755 "$W"; truncate -s 64M "$W/u.img"; chown 1000:1000 "$W/u.img"
  chmod 666 /dev/ublk-control
  ( for _ in $(seq 300); do for c in /dev/ublkc*; do [ -c "$c" ] && chown 1000:1000 "$c"; done; sleep 0.05; done ) &
  gpid=$!
  if start "$log" "" /fbx/bin/setpriv --reuid=1000 --regid=1000 --clear-groups filedisk "$W/u.img" --attach ublk; then
    ok "$name: uid 1000 attached $dev"
    if mkfs.ext4 -q -F "$dev" && mount "$dev" "$W/mnt"; then
      head -c 500000 /dev/urandom >"$W/mnt/u"; cp "$W/mnt/u" "$W/u.copy"
      umount "$W/mnt" && fsck.ext4 -fn "$dev" >/dev/null 2>&1 && ok "$name: ext4 on the unprivileged device, fsck clean" ||
        bad "$name: unprivileged umount/fsck"
    else
      bad "$name: unprivileged mkfs/mount"
    fi
    stop_dev && [ ! -e "$dev" ] && ok "$name: removed on SIGTERM" || bad "$name: unprivileged detach"
  else
    bad "$name: uid 1000 could not attach: $(cat "$log")"
  fi
  kill $gpid 2>/dev/null; wait $gpid 2>/dev/null
  chmod 600 /dev/ublk-control
}

finish() {
  echo "---- $fails failure(s)"
  [ $fails = 0 ]
  exit $?
}
