#!/usr/bin/env bash
# Asynchronous O_DIRECT writes (fio, libaio, queue depth 8) to a memfs
# file that buffered readers keep reading meanwhile: afterwards a
# buffered read must see only what the last write pass wrote, never
# pages cached from before it (the kernel drops those only for a write
# that completes in the writer's call: memfs turns async_dio off while
# it keeps pages across opens; xfstests generic/451).
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
MEMFS=$BUILD/examples/memfs
[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v fio >/dev/null || skip "no fio (tests/install-deps)"
[ -x "$MEMFS" ] || { echo "missing $MEMFS (run make)"; exit 1; }
MNT=$TMP/mnt; mkdir -p "$MNT"
start_fs "$TMP/log" "$MEMFS" -f "$MNT"
wait_mounted "$MNT" "$PID" || { cat "$TMP/log"; echo "FAIL  not mounted"; exit 1; }
F=$MNT/f
head -c 655360 /dev/zero >"$F"
touch "$TMP/reading"
readers=()
for _ in 1 2; do
	( while [ -e "$TMP/reading" ]; do cat "$F" >/dev/null 2>&1; done ) &
	readers+=($!)
done
stale=0
for pass in $(seq 30); do
	pat=$(printf '%02x' $((pass * 37 % 255 + 1)))
	fio --name=w --filename="$F" --ioengine=libaio --direct=1 --rw=write \
		--bs=64k --iodepth=8 --size=640k --buffer_pattern="0x$pat" \
		--output=/dev/null || { echo "FAIL  fio"; fails=$((fails + 1)); break; }
	got=$(od -An -tx1 -v "$F" | tr -s ' \n' '\n' | grep -v '^$' | sort | uniq -c | awk '{print $2 ":" $1}' | xargs)
	[ "$got" = "$pat:655360" ] || { stale=$((stale + 1)); echo "pass $pass: want $pat, bytes $got"; }
done
rm -f "$TMP/reading"
wait "${readers[@]}"
check "buffered reads after async O_DIRECT writes: no stale pages (30 passes)" 0 "$stale"
umount "$MNT"
wait_exit "$PID" 50 >/dev/null
finish
