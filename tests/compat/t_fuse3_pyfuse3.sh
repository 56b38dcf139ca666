#!/usr/bin/env bash
# pyfuse3 (Debian's python3-pyfuse3, unchanged) on our libfuse3.so.3.
# pyfuse3 runs its own trio event loop over fuse_session_receive_buf and
# fuse_session_process_buf, and replies from coroutines.
#  1. tests/compat/src/pyfuse3_memfs.py (ours) with the workload
#     pyfuse3_work.py, once on Debian's libfuse and once on ours
#     (LD_LIBRARY_PATH; /proc/PID/maps must show ours): same output.
#  2. close(unmount=False) after the main loop ended on a handler's
#     exception leaves the mount, dead (ENOTCONN), as libfuse 3's
#     fuse_session_destroy does not unmount: on both libraries.
#  3. When Debian's source package pyfuse3 can be fetched: its examples
#     hello.py, tmpfs.py and passthroughfs.py on ours (maps checked,
#     a read through each), then its test suite (test/) with pytest on
#     Debian's libfuse and on ours: every test that passes there must
#     pass with ours (the counts of both are printed).
# Normal build only: the suite is the peer's, not a sanitizer target.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ "${FBX_SAN:-0}" = 1 ] && skip "pyfuse3 runs in the normal build only"
[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
PY=/usr/bin/python3   # Debian's python, which python3-pyfuse3 is built for
"$PY" -c 'import pyfuse3, trio' 2>/dev/null || skip "no python3-pyfuse3 / python3-trio"
OURS=$FBX_ROOT/$BUILD/compat
[ -f "$OURS/libfuse3.so.3" ] || { echo "missing $OURS/libfuse3.so.3 (run make)"; exit 1; }
SRCDIR=$FBX_ROOT/tests/compat/src

# lib_of PID: the libfuse3.so.3 the process has mapped
lib_of() { awk '$6 ~ /libfuse3\.so\.3$/ {print $6}' "/proc/$1/maps" 2>/dev/null | sort -u; }
# mount_py LIB LOG SCRIPT ARGS... MNT: start a pyfuse3 filesystem, wait for it
mount_py() {
	local lib=$1 log=$2; shift 2
	local mnt=${*: -1}
	if [ "$lib" = ours ]; then
		LD_LIBRARY_PATH=$OURS "$PY" "$@" >"$log" 2>&1 &
	else
		"$PY" "$@" >"$log" 2>&1 &
	fi
	PID=$!
	PIDS="$PIDS $PID"
	wait_mounted "$mnt" "$PID" || { echo "FAIL  $* did not mount on $lib:"; sed 's/^/      /' "$log" | tail; fails=$((fails + 1)); return 1; }
	if [ "$lib" = ours ]; then
		check "$(basename "$1") runs on our libfuse3.so.3" "$OURS/libfuse3.so.3" "$(lib_of "$PID")"
	fi
}
# stop MNT: unmount; the filesystem's process must end with status 0
stop() {
	umount "$1"
	wait_exit "$PID" 100; local rc=$?
	check "$2 ends with status 0 after umount" 0 "$rc"
}

# ---- 1: our pyfuse3 filesystem, Debian's libfuse and ours -----------------
for lib in debian ours; do
	mkdir -p "$TMP/mnt-$lib"
	mount_py "$lib" "$TMP/memfs-$lib.log" "$SRCDIR/pyfuse3_memfs.py" "$TMP/mnt-$lib" || continue
	"$PY" "$SRCDIR/pyfuse3_work.py" "$TMP/mnt-$lib" >"$TMP/work-$lib.out" 2>&1
	stop "$TMP/mnt-$lib" "pyfuse3_memfs.py on $lib"
done
if diff -u "$TMP/work-debian.out" "$TMP/work-ours.out" >"$TMP/work.diff"; then
	echo "ok    pyfuse3_memfs.py: $(wc -l <"$TMP/work-ours.out") workload steps as on Debian's libfuse"
else
	echo "FAIL  pyfuse3_memfs.py: the workload differs from Debian's libfuse:"
	sed 's/^/      /' "$TMP/work.diff"; fails=$((fails + 1))
fi

# ---- 2: close(unmount=False) --------------------------------------------------
cat >"$TMP/keep.py" <<'EOF'
import errno, sys, pyfuse3, trio
class Ops(pyfuse3.Operations):
    async def getattr(self, inode, ctx=None):
        if inode != pyfuse3.ROOT_INODE:
            raise pyfuse3.FUSEError(errno.ENOENT)
        e = pyfuse3.EntryAttributes()
        e.st_mode = 0o40755; e.st_nlink = 2; e.st_ino = 1
        return e
    async def lookup(self, parent, name, ctx=None):
        raise RuntimeError('the filesystem fails here')
pyfuse3.init(Ops(), sys.argv[1], ['fsname=keep'])
try:
    trio.run(pyfuse3.main)
except BaseException:
    pyfuse3.close(unmount=False)
    print('closed', flush=True)
EOF
for lib in debian ours; do
	mkdir -p "$TMP/keep-$lib"
	mount_py "$lib" "$TMP/keep-$lib.log" "$TMP/keep.py" "$TMP/keep-$lib" || continue
	stat "$TMP/keep-$lib/x" >/dev/null 2>&1   # its lookup raises: the loop ends
	wait_exit "$PID"
	check "close(unmount=False) on $lib: returned" closed "$(grep -x closed "$TMP/keep-$lib.log")"
	check "close(unmount=False) on $lib: the mount stays, dead" ENOTCONN "$(errno_of stat "$TMP/keep-$lib")"
	umount "$TMP/keep-$lib" 2>/dev/null || umount -l "$TMP/keep-$lib"
done

# ---- 3: pyfuse3's own examples and test suite -------------------------------
CACHE=$FBX_ROOT/$BUILD/compat-src/pyfuse3
tests/compat/fetch_src.sh pyfuse3 "$CACHE" >"$TMP/fetch.log" 2>&1
case $? in
0) ;;
77) echo "info  pyfuse3's examples and test suite not run: its source is not available ($(tail -n1 "$TMP/fetch.log"))"
    [ $fails -eq 0 ]; exit;;
*) cat "$TMP/fetch.log"; exit 1;;
esac
SRC=$CACHE/src

# Copied out of the tree: beside setup.py an example would import the
# source's modules instead of the installed package.
mkdir -p "$TMP/ex" "$TMP/exsrc" "$TMP/examples"
echo "from pyfuse3" >"$TMP/exsrc/file"
for ex in hello tmpfs passthroughfs; do
	[ -f "$SRC/examples/$ex.py" ] || { echo "FAIL  no examples/$ex.py in the source"; fails=$((fails + 1)); continue; }
	cp "$SRC/examples/$ex.py" "$TMP/examples/"
	args=("$TMP/examples/$ex.py")
	[ $ex = passthroughfs ] && args+=("$TMP/exsrc")
	mount_py ours "$TMP/$ex.log" "${args[@]}" "$TMP/ex" || continue
	case $ex in
	# listing first, as its own test does: 3.2.1's hello.py lookup
	# forgets an await, which a lookup before the listing runs into
	hello) check "hello.py: listing" "message" "$(ls "$TMP/ex")"
	       check "hello.py: read" "hello world" "$(cat "$TMP/ex/message")";;
	tmpfs) echo data >"$TMP/ex/f"; check "tmpfs.py: write and read" "data" "$(cat "$TMP/ex/f")";;
	passthroughfs) check "passthroughfs.py: read" "from pyfuse3" "$(cat "$TMP/ex/file")";;
	esac
	stop "$TMP/ex" "$ex.py"
done

# The suite: as Debian's pytest runs it on the installed package. It
# needs no pytest-trio (its fs tests call trio.run themselves).
"$PY" -c 'import pytest' 2>/dev/null || { echo "info  no python3-pytest: pyfuse3's suite not run"; [ $fails -eq 0 ]; exit; }
suite() {   # suite LIB: "PASSED test/x.py::name" lines in $TMP/suite-LIB
	local env=()
	[ "$1" = ours ] && env=(LD_LIBRARY_PATH="$OURS")
	(cd "$SRC" && env "${env[@]}" TMPDIR="$TMP" timeout 600 "$PY" -m pytest -p no:cacheprovider --installed \
		-o addopts= -v -rA --basetemp="$TMP/pytest-$1" test/) >"$TMP/suite-$1.log" 2>&1
	grep -oE '^(PASSED|FAILED|ERROR|SKIPPED) [^ ]+' "$TMP/suite-$1.log" | sort -u >"$TMP/suite-$1"
	echo "info  pyfuse3 suite on $1: $(tail -n1 "$TMP/suite-$1.log" | tr -d '=')"
}
suite debian
suite ours
grep '^PASSED' "$TMP/suite-debian" | sort >"$TMP/pass-debian"
grep '^PASSED' "$TMP/suite-ours" | sort >"$TMP/pass-ours"
[ -s "$TMP/pass-debian" ] || { echo "FAIL  no test passed on Debian's libfuse (see below)"; tail -20 "$TMP/suite-debian.log"; fails=$((fails + 1)); }
lost=$(comm -23 "$TMP/pass-debian" "$TMP/pass-ours")
check "pyfuse3 suite: every test that passes on Debian's libfuse passes on ours" "" "$lost"
[ -z "$lost" ] || grep -E '^(E |FAILED|ERROR)' "$TMP/suite-ours.log" | head -30
[ $fails -eq 0 ]
