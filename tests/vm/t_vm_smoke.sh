#!/usr/bin/env bash
# The VM harness works: a Debian 6.12 kernel boots under qemu TCG with nbd and
# ublk_drv loadable (modprobe with parameters too), ext4 on a loop device
# mounts, survives a write/remount, and fsck finds it clean; files, trees and
# environment reach the VM; the exit code of the script comes back, and the
# in-VM time limit turns a hung script into 124.
# Skips (77) only when qemu or the kernel package cannot be obtained here.
set -u
root=${FBX_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
vm=$root/tests/vm

. "$vm/lib.sh"
vm_require

tmp=$(mktemp -d /tmp/fbx-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tree/sub"
echo "tree payload" >"$tmp/tree/sub/data.txt"
printf '#!/bin/sh\necho tree-exec-ok\n' >"$tmp/tree/sub/hello"
chmod +x "$tmp/tree/sub/hello"
host_sum=$(command -v sha1sum)

cat >"$tmp/body.sh" <<'EOF'
#!/bin/sh
set -eu
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "== $*"; }

step "kernel $(uname -r)"
case $(uname -r) in 6.12.*) ;; *) fail "unexpected kernel $(uname -r)";; esac
[ "${FBX_VM:-}" = 1 ] || fail "FBX_VM not set"
[ "${SMOKE_WORD:-}" = "it's a test" ] || fail "--env value lost: '${SMOKE_WORD:-}'"

step "modules"
for m in nbd ublk_drv loop ext4 jbd2; do
  [ -d /sys/module/$m ] || fail "module $m not loaded"
done
[ -b /dev/nbd0 ] || fail "no /dev/nbd0"
[ -c /dev/ublk-control ] || fail "no /dev/ublk-control"
rmmod nbd || fail "rmmod nbd"
[ ! -e /dev/nbd0 ] || fail "/dev/nbd0 survived rmmod"
modprobe nbd nbds_max=2 || fail "modprobe nbd nbds_max=2"
[ -b /dev/nbd1 ] && [ ! -e /dev/nbd2 ] || fail "nbds_max=2 not honoured"
rmmod ublk_drv && modprobe ublk_drv || fail "ublk_drv reload"
[ -c /dev/ublk-control ] || fail "no /dev/ublk-control after modprobe"

step "files and trees"
[ "$(cat /fbx/tree/sub/data.txt)" = "tree payload" ] || fail "tree file"
[ "$(/fbx/tree/sub/hello)" = tree-exec-ok ] || fail "tree exec"
# a dynamic host binary runs: its libraries and loader came along
echo abc | host-sha1sum | grep -q '^03cfd743661f07975fa2f1220c5194cbaff48451 ' ||
  fail "host-sha1sum"

step "ext4 on loop"
d=$(mktemp -d /tmp/fbx-test.XXXXXX)
mkdir "$d/mnt"
truncate -s 64M "$d/img"
dev=$(losetup -f) || fail "no free loop device"
losetup "$dev" "$d/img" || fail "losetup $dev"
mkfs.ext4 -q -F -E nodiscard,lazy_itable_init=1,lazy_journal_init=1 -L fbxsmoke "$dev" || fail "mkfs.ext4"
blkid "$dev" | grep -q 'TYPE="ext4"' || fail "blkid does not see ext4"
mount -t ext4 "$dev" "$d/mnt" || fail "mount"
dd if=/dev/urandom of="$d/mnt/blob" bs=64k count=64 2>/dev/null
mkdir -p "$d/mnt/a/b/c"; echo hello >"$d/mnt/a/b/c/f"; ln -s c/f "$d/mnt/a/b/l"
sum=$(md5sum <"$d/mnt/blob")
fio --name=smoke --filename="$d/mnt/fio.dat" --size=1M --bs=4k --rw=randwrite \
    --ioengine=psync --verify=crc32c --do_verify=1 --output=/dev/null ||
  fail "fio verify"
umount "$d/mnt" || fail "umount"
fsck.ext4 -fn "$dev" || fail "fsck.ext4 -fn not clean"
mount -t ext4 -o ro "$dev" "$d/mnt" || fail "remount"
[ "$(md5sum <"$d/mnt/blob")" = "$sum" ] || fail "data changed across remount"
[ "$(cat "$d/mnt/a/b/l")" = hello ] || fail "symlink/data"
umount "$d/mnt"
losetup -d "$dev"
echo "smoke: all good"
exit 0
EOF

fails=0
echo "--- boot 1: smoke body"
SMOKE_WORD="it's a test" \
  vm_run --timeout 90 --env SMOKE_WORD --tree "$tmp/tree" \
  "$tmp/body.sh" "$host_sum:/fbx/bin/host-sha1sum"
rc=$?
if [ $rc != 0 ]; then echo "FAIL: smoke body exited $rc"; fails=$((fails+1)); fi

echo "--- boot 2: in-VM time limit"
printf 'echo sleeping; sleep 100\n' >"$tmp/hang.sh"
vm_run --no-fio --timeout 3 --log "$tmp/console.log" "$tmp/hang.sh"
rc=$?
if [ $rc != 124 ]; then echo "FAIL: hung script gave $rc, want 124"; fails=$((fails+1)); fi
grep -q '^sleeping$' "$tmp/console.log" || { echo "FAIL: --log lacks the script output"; fails=$((fails+1)); }

[ $fails = 0 ] || exit 1
echo "PASS"
