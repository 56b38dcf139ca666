#!/usr/bin/env bash
# libfuse 3.14's own low-level example filesystems, from Debian's source
# package fuse3 (fetched at test time, cached under $BUILD/compat-src),
# built unchanged against our headers (include/compat/fuse3) and run on
# our $BUILD/compat/libfuse3.so.3: hello_ll, passthrough_ll (with
# libfuse's test/test_syscalls.c run through it), notify_inval_inode,
# notify_store_retrieve.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v cc >/dev/null || skip "no C compiler"
LIB=$FBX_ROOT/$BUILD/compat/libfuse3.so.3
[ -f "$LIB" ] || { echo "missing $LIB (run make)"; exit 1; }

CACHE=$FBX_ROOT/$BUILD/compat-src/fuse3
tests/compat/fetch_src.sh fuse3 "$CACHE" >"$TMP/fetch.log" 2>&1
case $? in
0) ;;
77) skip "libfuse source not available: $(tail -n1 "$TMP/fetch.log")";;
*) cat "$TMP/fetch.log"; exit 1;;
esac
SRC=$CACHE/src
BIN=$TMP/bin
mkdir -p "$BIN"

# Sanitizer builds: the library carries ASan, so the program must too.
SANFLAGS=
if [ "${FBX_SAN:-0}" = 1 ]; then
	SANFLAGS="-fsanitize=address,undefined"
	export LSAN_OPTIONS="suppressions=$FBX_ROOT/tests/compat/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
fi
build() {   # build NAME SOURCE...
	local name=$1; shift
	if ! cc -O1 -g -Wall $SANFLAGS -I"$FBX_ROOT/include/compat/fuse3" -D_FILE_OFFSET_BITS=64 \
		-o "$BIN/$name" "$@" -L"$FBX_ROOT/$BUILD/compat" -lfuse3 -pthread \
		-Wl,-rpath,"$FBX_ROOT/$BUILD/compat" >"$TMP/cc_$name.log" 2>&1; then
		echo "FAIL  $name does not build against our headers:"
		sed 's/^/      /' "$TMP/cc_$name.log" | head -20
		exit 1
	fi
	echo "ok    $name builds unchanged"
}
build hello_ll "$SRC/example/hello_ll.c"
build passthrough_ll "$SRC/example/passthrough_ll.c"
build notify_inval_inode "$SRC/example/notify_inval_inode.c"
build notify_store_retrieve "$SRC/example/notify_store_retrieve.c"
# test_syscalls wants libfuse's generated build config; one fact suffices.
mkdir -p "$TMP/inc"
echo '#define HAVE_COPY_FILE_RANGE 1' >"$TMP/inc/fuse_config.h"
cc -O1 -g -I"$TMP/inc" -o "$BIN/test_syscalls" "$SRC/test/test_syscalls.c" ||
	{ echo "test_syscalls does not build"; exit 1; }

# The programs must run on our library, not Debian's.
for p in hello_ll passthrough_ll notify_inval_inode notify_store_retrieve; do
	check "$p links our libfuse3.so.3" "$LIB" \
		"$(ldd "$BIN/$p" | awk '$1 == "libfuse3.so.3" {print $3}')"
done
loaded=$(LD_DEBUG=files "$BIN/hello_ll" --version 2>&1 | grep -oE 'calling init: [^ ]*libfuse3\.so\.3' | sort -u)
check "the loader runs only our library" "calling init: $LIB" "$loaded"
check_contains "hello_ll --version runs on us" "fusebox" "$("$BIN/hello_ll" --version 2>&1)"

# ---- hello_ll: foreground, then daemonized, then ended by SIGTERM ----------
MNT=$TMP/mnt
mkdir -p "$MNT"
start_fs "$TMP/hello.log" "$BIN/hello_ll" -f "$MNT"
if wait_mounted "$MNT" "$PID"; then
	check "hello_ll: readdir" "hello" "$(ls "$MNT")"
	check "hello_ll: read" "Hello World!" "$(cat "$MNT/hello")"
	check "hello_ll: stat" "13 regular file 444" "$(stat -c '%s %F %a' "$MNT/hello")"
	check "hello_ll: write refused" "EACCES" \
		"$(python3 -c 'import sys
try: open(sys.argv[1], "r+")
except OSError as e: print(__import__("errno").errorcode[e.errno])' "$MNT/hello")"
	check "hello_ll: missing name" "ENOENT" \
		"$(python3 -c 'import sys
try: open(sys.argv[1])
except OSError as e: print(__import__("errno").errorcode[e.errno])' "$MNT/nothere")"
	check "hello_ll: subtype is the program" "fuse.hello_ll" \
		"$(awk -v m="$MNT" '$2 == m {print $3}' /proc/mounts)"
	fusermount3 -u "$MNT"
	wait_exit "$PID"; check "hello_ll: exits 0 after fusermount3 -u" 0 $?
else
	echo "FAIL  hello_ll did not mount"; sed 's/^/      /' "$TMP/hello.log"; fails=$((fails + 1))
fi

"$BIN/hello_ll" "$MNT" >"$TMP/hello_bg.log" 2>&1
check "hello_ll: daemonizing start returns 0" 0 $?
DPID=$(pgrep -f "^$BIN/hello_ll $MNT\$" | head -n1)
PIDS="$PIDS $DPID"
if is_fuse_mounted "$MNT"; then
	check "hello_ll (daemon): read" "Hello World!" "$(cat "$MNT/hello")"
	kill -TERM "$DPID"
	wait_gone "$DPID"; check "hello_ll (daemon): SIGTERM ends it" 0 $?
	wait_unmounted "$MNT"; check "hello_ll (daemon): unmounted itself on SIGTERM" 0 $?
else
	echo "FAIL  hello_ll (daemon) is not mounted after it returned"
	sed 's/^/      /' "$TMP/hello_bg.log"; fails=$((fails + 1))
fi

# ---- hello_ll: SIGTERM while its reader polls for the next request ---------
# The signal thread ends the session while the loop's thread is awake
# (polling, or between polling and read()): the thread-directed wake
# finds no read() to interrupt, and the loop must still end. A long
# spin keeps the reader polling after each reply; a client keeps it
# busy and is killed at the same moment. Before the fix about half the
# rounds hung.
hung=0
for round in $(seq 20); do
	start_fs "$TMP/spin.log" "$BIN/hello_ll" -f -o spin=20000 "$MNT"
	if ! wait_mounted "$MNT" "$PID"; then
		echo "FAIL  hello_ll -o spin=20000 did not mount"; sed 's/^/      /' "$TMP/spin.log"
		fails=$((fails + 1)); break
	fi
	python3 -c 'import os, sys
while True: os.stat(sys.argv[1])' "$MNT/hello" 2>/dev/null &
	CPID=$!
	sleep "0.0$((round % 10))"
	kill -TERM "$CPID" "$PID"
	wait "$CPID" 2>/dev/null
	if ! wait_gone "$PID" 30; then
		hung=$((hung + 1))
		umount -l "$MNT"; kill -9 "$PID" 2>/dev/null
	fi
	wait "$PID" 2>/dev/null
	wait_unmounted "$MNT" 30 || umount -l "$MNT"
done
check "hello_ll: SIGTERM while polling ends the loop (rounds hung of 20)" 0 "$hung"

# ---- passthrough_ll over a scratch directory --------------------------------
DATA=$TMP/data
mkdir -p "$DATA"
echo "hello from below" >"$DATA/below"
start_fs "$TMP/pt.log" "$BIN/passthrough_ll" -f -o source="$DATA" "$MNT"
if wait_mounted "$MNT" "$PID"; then
	check "passthrough_ll: lists the source" "below" "$(ls "$MNT")"
	check "passthrough_ll: reads" "hello from below" "$(cat "$MNT/below")"
	echo "new data" >"$MNT/new"
	check "passthrough_ll: create+write lands below" "new data" "$(cat "$DATA/new")"
	check "passthrough_ll: read back" "new data" "$(cat "$MNT/new")"
	mv "$MNT/new" "$MNT/renamed"
	check "passthrough_ll: rename" "below renamed" "$(ls "$DATA" | tr '\n' ' ' | sed 's/ $//')"
	mkdir "$MNT/dir" && ln -s below "$MNT/dir/link" && ln "$MNT/renamed" "$MNT/hard"
	check "passthrough_ll: symlink" "below" "$(readlink "$MNT/dir/link")"
	check "passthrough_ll: hard link count" "2" "$(stat -c %h "$MNT/renamed")"
	head -c 3000000 /dev/urandom >"$TMP/blob"
	cp "$TMP/blob" "$MNT/blob"
	check_true "passthrough_ll: 3 MB copy intact below" cmp -s "$TMP/blob" "$DATA/blob"
	check_true "passthrough_ll: 3 MB copy intact through the mount" cmp -s "$TMP/blob" "$MNT/blob"
	# passthrough_ll opens the source's file with the caller's flags,
	# O_DIRECT too, and writes the request's data from where it lies:
	# the source refuses unaligned memory (Debian's libfuse fails here).
	if dd if=/dev/zero of="$DATA/dprobe" bs=4096 count=1 oflag=direct status=none 2>/dev/null; then
		head -c 65536 /dev/urandom >"$TMP/d64k"
		check_true "passthrough_ll: O_DIRECT write through the mount" \
			dd if="$TMP/d64k" of="$MNT/direct" bs=65536 count=1 oflag=direct status=none
		check_true "passthrough_ll: O_DIRECT data intact below" cmp -s "$TMP/d64k" "$DATA/direct"
		rm -f "$DATA/dprobe" "$MNT/direct"
	else
		echo "note  the source takes no O_DIRECT: that check not run"
	fi
	truncate -s 10 "$MNT/blob"; chmod 600 "$MNT/blob"
	check "passthrough_ll: truncate+chmod" "10 600" "$(stat -c '%s %a' "$DATA/blob")"
	rm "$MNT/renamed" "$MNT/hard" "$MNT/blob" "$MNT/dir/link"; rmdir "$MNT/dir"
	check "passthrough_ll: unlink/rmdir" "below" "$(ls "$DATA")"
	check_contains "passthrough_ll: statfs" "fuse" "$(stat -f -c %T "$MNT")"
	fusermount3 -u "$MNT"
	wait_exit "$PID"; rc=$?; [ $rc = 0 ] || sed "s/^/      /" "$TMP/pt.log" | tail -30
	check "passthrough_ll: exits 0 after fusermount3 -u" 0 $rc
else
	echo "FAIL  passthrough_ll did not mount"; sed 's/^/      /' "$TMP/pt.log"; fails=$((fails + 1))
fi

# A write by another user clears suid/sgid (the kernel does it: libfuse
# 3.14 never handed HANDLE_KILLPRIV to it, and passthrough_ll writes as
# root, which keeps the bits).
KP=$TMP/kp; mkdir -p "$KP/src" "$KP/mnt"; chmod 755 "$TMP" "$KP" "$KP/src"
start_fs "$TMP/pt3.log" "$BIN/passthrough_ll" -f -o allow_other,source="$KP/src" "$KP/mnt"
if wait_mounted "$KP/mnt" "$PID"; then
	for m in 4777 2777 6777; do
		rm -f "$KP/mnt/f"; : >"$KP/mnt/f"; chmod $m "$KP/mnt/f"
		setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "echo x >>'$KP/mnt/f'"
		check "passthrough_ll: another user's write clears $m" "777 777" \
			"$(stat -c %a "$KP/mnt/f") $(stat -c %a "$KP/src/f")"
	done
	fusermount3 -u "$KP/mnt"
	wait_exit "$PID"; check "passthrough_ll (allow_other): exits 0" 0 $?
else
	echo "FAIL  passthrough_ll (allow_other) did not mount"; sed 's/^/      /' "$TMP/pt3.log"; fails=$((fails + 1))
fi

# libfuse's own syscall test, as its test_examples.py runs it (source /)
mkdir -p "$TMP/sys"
start_fs "$TMP/pt2.log" "$BIN/passthrough_ll" -f "$MNT"
if wait_mounted "$MNT" "$PID"; then
	if "$BIN/test_syscalls" "$MNT$TMP/sys" ":$TMP/sys" >"$TMP/sys.log" 2>&1; then
		echo "ok    passthrough_ll: libfuse's test_syscalls ($(grep -c '^[0-9 ]*\[' "$TMP/sys.log") cases)"
	else
		echo "FAIL  passthrough_ll: libfuse's test_syscalls"; grep -iE 'fail|error' "$TMP/sys.log" | head -20 | sed 's/^/      /'
		fails=$((fails + 1))
	fi
	fusermount3 -u "$MNT"
	wait_exit "$PID"; check "passthrough_ll (/): exits 0" 0 $?
else
	echo "FAIL  passthrough_ll (/) did not mount"; sed 's/^/      /' "$TMP/pt2.log"; fails=$((fails + 1))
fi

# ---- notify_inval_inode: the kernel's cached copy follows the daemon --------
start_fs "$TMP/notify.log" "$BIN/notify_inval_inode" -f --update-interval=1 "$MNT"
if wait_mounted "$MNT" "$PID"; then
	first=$(cat "$MNT/current_time")
	changed=no
	for _ in $(seq 50); do
		sleep 0.1
		[ "$(cat "$MNT/current_time")" != "$first" ] && { changed=yes; break; }
	done
	check "notify_inval_inode: cached contents invalidated by the daemon" yes $changed
	fusermount3 -u "$MNT"
	wait_exit "$PID"; check "notify_inval_inode: exits 0" 0 $?
else
	echo "FAIL  notify_inval_inode did not mount"; sed 's/^/      /' "$TMP/notify.log"; fails=$((fails + 1))
fi

# ---- notify_store_retrieve: data pushed into the cache and read back ----------
# The program asserts at exit that its last retrieve was answered.
start_fs "$TMP/nsr.log" "$BIN/notify_store_retrieve" -f --update-interval=1 "$MNT"
if wait_mounted "$MNT" "$PID"; then
	first=$(cat "$MNT/current_time")
	changed=no
	for _ in $(seq 50); do
		sleep 0.1
		[ "$(cat "$MNT/current_time")" != "$first" ] && { changed=yes; break; }
	done
	check "notify_store_retrieve: the kernel shows the stored data" yes $changed
	sleep 1.2   # one more store + retrieve round
	fusermount3 -u "$MNT"
	wait_exit "$PID"; rc=$?
	[ $rc = 0 ] || sed 's/^/      /' "$TMP/nsr.log" | tail -10
	check "notify_store_retrieve: every retrieve answered (exit 0)" 0 $rc
else
	echo "FAIL  notify_store_retrieve did not mount"; sed 's/^/      /' "$TMP/nsr.log"; fails=$((fails + 1))
fi

[ $fails -eq 0 ]
