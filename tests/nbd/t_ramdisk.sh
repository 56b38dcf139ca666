#!/usr/bin/env bash
# examples/ramdisk, the from-scratch block device, against real clients:
# nbdinfo sees the size and every callback it offers (flush, fua, trim,
# zero, block status); qemu-io writes a pattern, trims and zeroes parts
# and reads back what each must leave; nbdinfo --map shows chunks never
# written or trimmed whole as holes; a bad SIZE is refused.
set -eu
BUILD=${BUILD:-build}
cd "${FBX_ROOT:-$(dirname "$0")/../..}"
for t in nbdinfo qemu-io; do
	command -v $t >/dev/null || { echo "missing $t (tests/install-deps)"; exit 77; }
done
RD=$BUILD/examples/ramdisk
[ -x "$RD" ] || { echo "missing $RD (run make)"; exit 1; }
D=$(mktemp -d /tmp/fbx-test.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$RD" 16M --socket "$D/s" >"$D/out" 2>"$D/err" &
pid=$!
for _ in $(seq 200); do [ -S "$D/s" ] && [ -s "$D/out" ] && break; sleep 0.02; done
[ -S "$D/s" ] || { cat "$D/err"; fail "ramdisk did not start"; }
U="nbd+unix:///?socket=$D/s"

nbdinfo "$U" >"$D/info"
grep -q 'export-size: 16777216' "$D/info" || fail "size"
for cap in can_flush can_fua can_trim can_zero can_multi_conn; do
	grep -qE "^\s+$cap: true" "$D/info" || { cat "$D/info"; fail "$cap"; }
done
grep -q 'base:allocation' "$D/info" || fail "no block status context"
nbdinfo --map "$U" | grep -qE '^\s+0\s+16777216\s+3\s+hole,zero' || fail "empty disk is not one hole"

# 1M of 0xab at 1M; trim its first chunk (which joins the hole before
# it); zero 4k inside the second
qemu-io -f raw \
	-c "write -P 0xab 1M 1M" \
	-c "read -P 0xab 1M 1M" \
	-c "discard 1M 64k" \
	-c "read -P 0 1M 64k" \
	-c "write -z 1152k 4k" \
	-c "read -P 0 1152k 4k" \
	-c "read -P 0xab 1088k 64k" \
	-c "read -P 0xab 1156k 60k" \
	-c "read -P 0 0 1M" \
	"$U" >"$D/qio" 2>&1 || { cat "$D/qio"; fail "qemu-io"; }
grep -q 'Pattern verification failed' "$D/qio" && { cat "$D/qio"; fail "data"; }
nbdinfo --map "$U" >"$D/map"
grep -qE '^\s+0\s+1114112\s+3\s+hole,zero' "$D/map" || { cat "$D/map"; fail "trimmed chunk not a hole"; }
grep -qE '^\s+1114112\s+983040\s+0\s+data' "$D/map" || { cat "$D/map"; fail "written chunks not data"; }

kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
"$RD" 12X --socket "$D/t" >/dev/null 2>"$D/bad" && fail "bad size accepted"
grep -q usage "$D/bad" || fail "bad size: no usage line"
echo "ramdisk passed"
