#!/usr/bin/env bash
# The NBD server under valgrind (memcheck, full leak check): memory disk
# inline and with workers, the file disk; nbdcopy and libnbd sessions
# (read, write, trim, zero, flush, block status, FUA, a connection cut
# mid-request), then the malformed-input suite. Any error or leak makes
# valgrind exit 9 and the test fail with its log.
set -eu
BUILD=${BUILD:-build}
ROOT=${FBX_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT"
command -v valgrind >/dev/null || { echo "valgrind not installed"; exit 77; }
for t in nbdcopy nbdinfo; do command -v $t >/dev/null || { echo "missing $t"; exit 77; }; done
/usr/bin/python3 -c 'import nbd' 2>/dev/null || { echo "python3-libnbd not installed"; exit 77; }
if nm "$BUILD/tools/fusebox-nbd" 2>/dev/null | grep -q __asan_init; then
  echo "sanitizer build: valgrind cannot run it"; exit 77
fi
D=$(mktemp -d /tmp/fbx-test.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$D"; }
trap cleanup EXIT
VG="valgrind -q --leak-check=full --show-leak-kinds=definite,possible --errors-for-leak-kinds=definite,possible --error-exitcode=9"
fail() { echo "FAIL: $*"; for f in "$D"/*.vg; do echo "== $f"; cat "$f"; done; exit 1; }

# serve NAME ARGS...: fusebox-nbd under valgrind on $D/NAME.sock
serve() {
  local name=$1; shift
  $VG --log-file="$D/$name.vg" "$BUILD/tools/fusebox-nbd" "$@" --socket "$D/$name.sock" \
    >"$D/$name.out" 2>"$D/$name.err" &
  pid=$!; pids+=("$pid")
  for _ in $(seq 600); do [ -S "$D/$name.sock" ] && return 0; sleep 0.05; done
  fail "server $name did not start: $(cat "$D/$name.err")"
}
# finish PID NAME: SIGTERM, then valgrind's verdict
finish() {
  kill -TERM "$1"
  local rc=0; wait "$1" || rc=$?
  [ $rc = 0 ] || fail "$2: exit $rc (9: valgrind errors)"
}
py() { /usr/bin/python3 -c "import nbd,sys; h=nbd.NBD(); h.add_meta_context('base:allocation'); h.connect_uri(sys.argv[1]); $1" "$2"; }
session() {
  local U="nbd+unix:///?socket=$D/$1.sock"
  nbdcopy "$D/pat" "$U"
  nbdcopy "$U" "$D/back"
  cmp <(head -c $((4 << 20)) "$D/back") "$D/pat" || fail "$1: round trip"
  py "
h.pwrite(b'x' * 100000, 12345, nbd.CMD_FLAG_FUA)
assert h.pread(100000, 12345) == b'x' * 100000
h.trim(1 << 20, 0); h.zero(65536, 1 << 20); h.flush()
if h.can_cache(): h.cache(4096, 0)
ex = []
h.block_status(8 << 20, 0, lambda m, o, e, err: ex.append(e))
assert ex, 'no extents'
assert h.pread(2 << 20, 0)[:4096] == bytes(4096)
big = bytes(range(256)) * 4096
c = [h.aio_pwrite(big, i << 20) for i in range(4)] + [h.aio_pread(nbd.Buffer(1 << 20), i << 20) for i in range(4)]
while h.aio_in_flight(): h.poll(-1)
h.shutdown()" "$U" || fail "$1: libnbd session"
  # a client that goes away halfway through a big write and a big read
  /usr/bin/python3 -c "
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.recv(18); s.sendall(struct.pack('>I', 3))
s.sendall(struct.pack('>QII', 0x49484156454F5054, 1, 0))   # EXPORT_NAME ''
s.recv(134)
s.sendall(struct.pack('>IHHQQI', 0x25609513, 0, 0, 1, 0, 1 << 20))
s.sendall(struct.pack('>IHHQQI', 0x25609513, 0, 1, 2, 0, 1 << 20) + b'z' * 5000)
s.close()" "$D/$1.sock"
  nbdinfo --map "$U" >/dev/null || fail "$1: nbdinfo --map"
}

head -c $((4 << 20)) /dev/urandom >"$D/pat"
serve mem memory 64M;            session mem;  finish $pid mem
serve thr memory 64M --threads 2; session thr; finish $pid thr
truncate -s 64M "$D/disk.img"
serve file file "$D/disk.img";   session file; finish $pid file

# the malformed-input suite, its server under valgrind
FBX_NBD_WRAP="$VG --log-file=$D/malformed.vg" BUILD=$BUILD FBX_ROOT=$ROOT \
  /usr/bin/python3 tests/nbd/t_malformed.py >"$D/malformed.log" 2>&1 \
  || { cat "$D/malformed.log"; fail "t_malformed.py under valgrind"; }
echo ok
