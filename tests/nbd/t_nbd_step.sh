#!/usr/bin/env bash
# examples/nbd_step, a server built call by call: it prints one URI per
# listener (Unix socket and TCP), a client reads back what it wrote over
# one and sees it over the other (one disk behind both), SIGTERM stops it
# with exit 0 and removes the socket file, and a socket path it cannot
# use is refused with a message naming it.
set -eu
BUILD=${BUILD:-build}
cd "${FBX_ROOT:-$(dirname "$0")/../..}"
command -v nbdinfo >/dev/null && command -v qemu-io >/dev/null ||
	{ echo "missing nbdinfo/qemu-io (tests/install-deps)"; exit 77; }
P=$BUILD/examples/nbd_step
[ -x "$P" ] || { echo "missing $P (run make)"; exit 1; }
D=$(mktemp -d /tmp/fbx-test.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# A free TCP port: ask the kernel for one, then hand it over.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$P" "$D/s" "127.0.0.1:$port" >"$D/out" 2>"$D/err" &
pid=$!
for _ in $(seq 200); do [ "$(wc -l <"$D/out")" -ge 2 ] && break; sleep 0.02; done
grep -qx "nbd+unix:///?socket=$D/s" "$D/out" || { cat "$D/out" "$D/err"; fail "unix URI"; }
grep -q "^nbd://127.0.0.1:$port" "$D/out" || { cat "$D/out" "$D/err"; fail "TCP URI"; }
echo "ok    URIs: $(tr '\n' ' ' <"$D/out")"

nbdinfo "nbd+unix:///?socket=$D/s" | grep -q 'export-size: 67108864' || fail "size"
qemu-io -f raw -c "write -P 0x5a 4M 256k" "nbd+unix:///?socket=$D/s" >"$D/q1" || { cat "$D/q1"; fail "write"; }
qemu-io -f raw -c "read -P 0x5a 4M 256k" "nbd://127.0.0.1:$port" >"$D/q2" || { cat "$D/q2"; fail "read over TCP"; }
grep -q 'Pattern verification failed' "$D/q2" && fail "data over TCP"
echo "ok    written over the socket, read back over TCP"

kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?; pid=
[ $rc = 0 ] || fail "exit $rc after SIGTERM"
[ -e "$D/s" ] && fail "socket file left"
echo "ok    SIGTERM: exit 0, socket removed"

rc=0; "$P" "$D/no/such/dir/s" >/dev/null 2>"$D/bad" || rc=$?
[ $rc = 1 ] || fail "bad socket path: exit $rc"
grep -q "$D/no/such/dir/s" "$D/bad" || { cat "$D/bad"; fail "bad socket path not named"; }
echo "ok    bad socket path refused: $(cat "$D/bad")"
echo "all passed"
