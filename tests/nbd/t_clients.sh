#!/usr/bin/env bash
# Real clients against our servers: nbdinfo (flags like `nbdkit memory`,
# --map, --list), nbdcopy a pattern in and out, qemu-img convert and
# qemu-io verify, fio's nbd engine with crc32c verification, filedisk's
# holes, fusebox-nbd null and TCP.
set -eu
BUILD=${BUILD:-build}
ROOT=${FBX_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT"
for t in nbdinfo nbdcopy qemu-img qemu-io; do
  command -v $t >/dev/null || { echo "missing $t"; exit 77; }
done
D=$(mktemp -d /tmp/fbx-test.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$D"; }
trap cleanup EXIT

# start NAME PROG ARGS...: serve on $D/NAME.sock, wait for the URI
start() {
  local name=$1; shift
  "$@" --socket "$D/$name.sock" >"$D/$name.out" 2>"$D/$name.err" &
  pids+=($!)
  for _ in $(seq 200); do [ -s "$D/$name.out" ] && [ -S "$D/$name.sock" ] && return 0; sleep 0.02; done
  echo "server $name did not start"; cat "$D/$name.err"; exit 1
}
uri() { echo "nbd+unix:///?socket=$D/$1.sock"; }
fail() { echo "FAIL: $*"; exit 1; }

start m "$BUILD/examples/busexmp"
U=$(uri m)
[ "$(cat "$D/m.out")" = "$U" ] || fail "printed URI $(cat "$D/m.out") != $U"

# --- nbdinfo: the same capabilities as nbdkit memory 128M
nbdinfo "$U" >"$D/info"
grep -q 'export-size: 134217728' "$D/info" || fail "size"
caps() { grep -E '^\s+(can_|is_|base:)' "$1" | sort; }
if command -v nbdkit >/dev/null; then
  nbdkit -U "$D/k.sock" -P "$D/k.pid" memory 128M
  for _ in $(seq 100); do [ -s "$D/k.pid" ] && break; sleep 0.02; done
  pids+=("$(cat "$D/k.pid")")
  nbdinfo "$(uri k)" >"$D/kinfo"
  diff <(caps "$D/kinfo") <(caps "$D/info") || fail "capabilities differ from nbdkit memory"
fi
nbdinfo --list "$U" | grep -q 'export=""' || fail "--list"
nbdinfo --map "$U" | grep -q 'hole,zero' || fail "--map of an empty disk"

# --- nbdcopy: a pattern in, out, compare; map shows data and holes
head -c $((8 << 20)) /dev/urandom >"$D/pat"
nbdcopy "$D/pat" "$U"
nbdcopy "$U" "$D/back"
cmp <(head -c $((8 << 20)) "$D/back") "$D/pat" || fail "nbdcopy round trip"
nbdinfo --map "$U" >"$D/map"
grep -q ' 0  *8388608  *0  *data' "$D/map" || { cat "$D/map"; fail "--map data extent"; }
grep -q 'hole,zero' "$D/map" || fail "--map hole after data"

# --- qemu: convert a file in, verify with qemu-io and qemu-img compare
head -c $((4 << 20)) /dev/urandom >"$D/q"
qemu-img convert -n -f raw -O raw "$D/q" "$U"
qemu-io -f raw -c "read -P 0 $((64 << 20)) 1M" -c "write -P 0xab 1M 64k" -c "read -P 0xab 1M 64k" "$U" \
  >"$D/qio" || { cat "$D/qio"; fail "qemu-io"; }
grep -qi 'fail\|error' "$D/qio" && { cat "$D/qio"; fail "qemu-io pattern"; }
printf '\xab%.0s' $(seq 65536) | dd of="$D/q" bs=1 seek=$((1 << 20)) conv=notrunc status=none
nbdcopy "$U" - | head -c $((4 << 20)) | cmp - "$D/q" || fail "qemu-written data"

# --- fio nbd engine: random read/write with verification, QD32
if command -v fio >/dev/null && fio --enghelp 2>/dev/null | grep -q nbd; then
  fio --name=v --ioengine=nbd --uri="$U" --rw=randrw --bs=4k --size=16m --iodepth=32 \
      --verify=crc32c --do_verify=1 --verify_fatal=1 --offset=96m >"$D/fio" 2>&1 \
      || { tail -20 "$D/fio"; fail "fio verify"; }
  grep -q 'err= 0' "$D/fio" || { tail -20 "$D/fio"; fail "fio errors"; }
  fio --name=s --ioengine=nbd --uri="$U" --rw=write --bs=1m --size=32m --iodepth=8 \
      --verify=crc32c --verify_fatal=1 --offset=32m >"$D/fio2" 2>&1 \
      || { tail -20 "$D/fio2"; fail "fio 1M verify"; }
fi

# --- filedisk: file holes show up, trim punches, flush works
truncate -s 64M "$D/disk.img"
start f "$BUILD/examples/filedisk" "$D/disk.img"
F=$(uri f)
nbdinfo "$F" | grep -q 'can_flush: true' || fail "filedisk flush"
nbdcopy "$D/pat" "$F"
cmp <(head -c $((8 << 20)) "$D/disk.img") "$D/pat" || fail "filedisk content"
nbdinfo --map "$F" | grep -q 'hole,zero' || fail "filedisk --map hole"
before=$(du -k "$D/disk.img" | cut -f1)
nbdsh_py() { /usr/bin/python3 -c "import nbd,sys; h=nbd.NBD(); h.connect_uri(sys.argv[1]); $1" "$2"; }
if /usr/bin/python3 -c 'import nbd' 2>/dev/null; then
  nbdsh_py "h.trim(4<<20, 0); h.flush(); h.pwrite(b'z'*4096, 60<<20, nbd.CMD_FLAG_FUA)" "$F"
  after=$(du -k "$D/disk.img" | cut -f1)
  [ "$after" -lt "$before" ] || fail "trim did not punch a hole ($before -> $after KiB)"
  cmp <(dd if="$D/disk.img" bs=4096 skip=$((15360)) count=1 status=none) <(printf 'z%.0s' $(seq 4096)) \
    || fail "FUA write not in the file"
fi

# --- fusebox-nbd null and TCP (port 0: the printed URI has the real port)
start n "$BUILD/tools/fusebox-nbd" null 1G
nbdinfo "$(uri n)" | grep -q 'export-size: 1073741824' || fail "null size"
"$BUILD/tools/fusebox-nbd" memory 1M --tcp 127.0.0.1:0 >"$D/tcp.out" 2>"$D/tcp.err" &
pids+=($!)
for _ in $(seq 200); do [ -s "$D/tcp.out" ] && break; sleep 0.02; done
T=$(head -1 "$D/tcp.out")
case "$T" in nbd://127.0.0.1:[0-9]*/) ;; *) fail "TCP URI '$T'";; esac
nbdinfo "$T" | grep -q 'export-size: 1048576' || fail "TCP nbdinfo"
"$BUILD/tools/fusebox-nbd" --help | grep -q memory || fail "--help"
echo ok
