#!/usr/bin/env bash
# fuse_req_interrupt_func: a read that only the kernel's INTERRUPT can end
# (tests/compat/src/intr_fs.c) is ended when its reader gets a signal,
# through the callback the read registered. Run on Debian's libfuse first
# (the reference) and then on ours; a missing callback leaves the reader
# hanging, which fails the test.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v cc >/dev/null || skip "no C compiler"
LIBDIR=$FBX_ROOT/$BUILD/compat
[ -f "$LIBDIR/libfuse3.so.3" ] || { echo "missing $LIBDIR/libfuse3.so.3 (run make)"; exit 1; }
SANFLAGS=
[ "${FBX_SAN:-0}" = 1 ] && SANFLAGS="-fsanitize=address,undefined"
PROG=$FBX_ROOT/tests/compat/src/intr_fs.c
sides=ours
cc -O1 -g $SANFLAGS -D_FILE_OFFSET_BITS=64 -I"$FBX_ROOT/include/compat/fuse3" -o "$TMP/ours" "$PROG" \
	-L"$LIBDIR" -lfuse3 -pthread -Wl,-rpath,"$LIBDIR" || { echo "FAIL  does not build against ours"; exit 1; }
if [ -f /usr/include/fuse3/fuse_lowlevel.h ] &&
   cc -O1 -g -D_FILE_OFFSET_BITS=64 -I/usr/include/fuse3 -o "$TMP/debian" "$PROG" -lfuse3 -pthread 2>/dev/null; then
	sides="debian ours"
fi

MNT=$TMP/mnt
mkdir -p "$MNT"
for side in $sides; do
	start_fs "$TMP/$side.log" "$TMP/$side" -f "$MNT"
	if ! wait_mounted "$MNT" "$PID"; then
		echo "FAIL  $side: did not mount"; sed 's/^/      /' "$TMP/$side.log"; fails=$((fails + 1)); continue
	fi
	# A background job of a script ignores SIGINT; SIGTERM kills it the same way.
	cat "$MNT/slow" >/dev/null 2>&1 &
	READER=$!
	PIDS="$PIDS $READER"
	for _ in $(seq 100); do grep -q "read waiting" "$TMP/$side.log" && break; sleep 0.1; done
	check "$side: the read is waiting in the filesystem" yes \
		"$(grep -q "read waiting" "$TMP/$side.log" && echo yes || echo no)"
	kill -TERM "$READER"
	wait_exit "$READER"; rc=$?
	check "$side: the signalled reader ends (killed by SIGTERM)" 143 $rc
	check_contains "$side: the interrupt callback ran, fuse_req_interrupted() says 1" \
		"read interrupted: 1" "$(cat "$TMP/$side.log")"
	fusermount3 -u "$MNT"
	wait_exit "$PID"; check "$side: daemon exits 0" 0 $?
done
[ $fails -eq 0 ]
