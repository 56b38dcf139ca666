#!/usr/bin/env bash
# libfuse 3.14's own pytest suite (test/test_examples.py of Debian's
# source package fuse3, fetched at test time into build/fuse3-src) on
# the HIGH-LEVEL examples: hello, null, passthrough (also --plus) and
# passthrough_fh. It runs twice: with the examples built against
# Debian's libfuse, and built unchanged against our headers and
# libfuse3.so.3. Every one of these tests that passes on Debian's must
# pass on ours.
#
# PENDING names test ids that are run and reported but not counted (a
# pattern; '^$' names none): empty now that the low-level layer mounts
# through /dev/fd/N and prints libfuse's "-d" reply format.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
PENDING='^$'
# A peer's whole suite runs once, in the normal build; the sanitizer
# pass runs our own tests (and t_fuse3_highlevel runs these examples).
[ "${FBX_SAN:-0}" = 1 ] && skip "libfuse's suite runs in the normal build only"

[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
PY=/usr/bin/python3
"$PY" -c 'import pytest, py' 2>/dev/null || skip "no python3-pytest"
[ -f /usr/include/fuse3/fuse.h ] || skip "no libfuse3-dev"
LIBDIR=$FBX_ROOT/$BUILD/compat
[ -f "$LIBDIR/libfuse3.so.3" ] || { echo "missing $LIBDIR/libfuse3.so.3 (run make)"; exit 1; }

SRC=$FBX_ROOT/build/fuse3-src
out=$(bash "$FBX_ROOT/tests/compat/fetch_src.sh" fuse3 "$SRC" 2>&1)
case $? in
0) ;;
77) echo "$out"; skip "no fuse3 source package (no network?)";;
*) echo "$out"; echo "fetching the fuse3 source failed"; exit 1;;
esac
SRC=$SRC/src

SANFLAGS=
[ "${FBX_SAN:-0}" = 1 ] && SANFLAGS="-fsanitize=address,undefined"
EXAMPLES="hello null passthrough passthrough_fh ioctl poll"
HAVE="-DHAVE_SETXATTR -DHAVE_UTIMENSAT -DHAVE_POSIX_FALLOCATE -DHAVE_COPY_FILE_RANGE
      -DHAVE_FSTATAT -DHAVE_FDATASYNC"

# A tree shaped like libfuse's build directory: example/, test/, util/.
tree() {   # tree DIR SIDE
	local w=$1 side=$2 e
	mkdir -p "$w/example" "$w/test" "$w/util"
	cp "$SRC"/test/*.py "$SRC/test/pytest.ini" "$w/test/"
	ln -s "$(command -v fusermount3)" "$w/util/fusermount3"
	ln -s "$(command -v mount.fuse3 || echo /sbin/mount.fuse3)" "$w/util/mount.fuse3"
	echo '#define HAVE_COPY_FILE_RANGE 1' >"$w/fuse_config.h"
	cc -O1 -g -I"$w" -o "$w/test/test_syscalls" "$SRC/test/test_syscalls.c" || return 1
	cc -O1 -g -o "$w/test/readdir_inode" "$SRC/test/readdir_inode.c" || return 1
	# the clients of ioctl and poll (poll_client wants libfuse's build config)
	: >"$w/libfuse_config.h"
	cc -O1 -g -o "$w/example/ioctl_client" "$SRC/example/ioctl_client.c" || return 1
	cc -O1 -g -I"$w" -o "$w/example/poll_client" "$SRC/example/poll_client.c" || return 1
	for e in $EXAMPLES; do
		# shellcheck disable=SC2086
		if [ "$side" = debian ]; then
			cc -O1 -g -w -D_FILE_OFFSET_BITS=64 $HAVE -I/usr/include/fuse3 -o "$w/example/$e" \
				"$SRC/example/$e.c" -lfuse3 -pthread
		else
			cc -O1 -g -w $SANFLAGS -D_FILE_OFFSET_BITS=64 $HAVE \
				-I"$FBX_ROOT/include/compat/fuse3" -o "$w/example/$e" "$SRC/example/$e.c" \
				-L"$LIBDIR" -lfuse3 -pthread -Wl,-rpath,"$LIBDIR"
		fi || { echo "FAIL  $side: example/$e.c does not build"; return 1; }
	done
}

# run SIDE: the suite's verdicts as "PASSED|FAILED|... test-id" lines
run() {
	local side=$1 w=$TMP/$1
	tree "$w" "$side" || exit 1
	(cd "$w/test" && TMPDIR="$TMP" timeout -k 10 600 "$PY" -m pytest -p no:cacheprovider -o addopts="" -rA -q \
		test_examples.py -k "(test_hello or test_null or test_passthrough or test_ioctl or test_poll) and not _ll and not _hp" \
		>"$TMP/pytest_$side.log" 2>&1)
	grep -E '^(PASSED|FAILED|ERROR) ' "$TMP/pytest_$side.log" | sed -E 's/ - .*//' |
		sort -u >"$TMP/verdicts_$side"
}
run debian
run ours
ids() { grep "^$1 " "$TMP/verdicts_$2" | cut -d' ' -f2 | sort -u; }
# A test that also errored in teardown counts as not passed.
passed() { comm -23 <(ids PASSED "$1") <(ids FAILED "$1"; ids ERROR "$1" | sort -u); }
for side in debian ours; do
	echo "info  $side: $(passed $side | wc -l) passed; not passed: $(comm -23 \
		<(cat <(ids FAILED $side) <(ids ERROR $side) | sort -u) /dev/null | tr '\n' ' ')"
done
[ -n "$(passed debian)" ] || { echo "FAIL  no test passed on Debian's libfuse"; tail -20 "$TMP/pytest_debian.log"; exit 1; }
echo "info  passing on both: $(comm -12 <(passed debian) <(passed ours) | wc -l)"
pending=$(comm -23 <(passed debian) <(passed ours) | grep -E "$PENDING")
[ -n "$pending" ] && echo "info  pending the low-level branch: $(echo $pending)"
lost=$(comm -23 <(passed debian) <(passed ours) | grep -vE "$PENDING")
check "every test passing on Debian's libfuse passes on ours" "" "$lost"
if [ -n "$lost" ]; then
	grep -E '^E  ' "$TMP/pytest_ours.log" | head -20 | sed 's/^/      /'
fi
counted=$(passed debian | grep -vcE "$PENDING")
check "the suite ran tests we count (at least 8)" yes "$([ "$counted" -ge 8 ] && echo yes || echo no)"
finish
