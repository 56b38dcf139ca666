#!/usr/bin/env bash
# The program skeleton every FUSE program shares (fbx_main_app and
# fbx_ll_main_app, struct fbx_app in fusebox/options.h):
#   -V   one line, the same shape for every program:
#        "NAME (fusebox VERSION, FUSE protocol 7.N)"
#   -h   one usage line (the program's own arguments where it has some),
#        then its own help, then the standard options; exit 0
#   an app option is taken (memfs -o size=) or refused with a message
#   a failing setup (passthrough with a missing SOURCEDIR) exits 1 with
#        its message and mounts nothing; one directory alone is refused
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
VERSION=$(sed -n 's/^VERSION *:= *//p' Makefile)
M=$TMP/mnt
mkdir "$M"
for p in hello hello_ll hellofs notify_ll passthrough_fs memfs passthrough; do
	prog=$BUILD/examples/$p
	[ -x "$prog" ] || { echo "missing $prog (run make)"; exit 1; }
	out=$("$prog" -V 2>&1); rc=$?
	check "$p -V exits 0" 0 $rc
	case "$out" in
	"$p (fusebox $VERSION, FUSE protocol 7."[0-9]*")") echo "ok    $p -V: $out";;
	*) echo "FAIL  $p -V: $out"; fails=$((fails + 1));;
	esac
	out=$("$prog" -h 2>&1); rc=$?
	check "$p -h exits 0" 0 $rc
	check "$p -h: one usage line" 1 "$(grep -c '^usage: ' <<<"$out")"
	check_contains "$p -h: standard options" "general options:" "$out"
done
out=$("$BUILD/examples/passthrough" -h)
check "passthrough -h: its usage" "usage: $BUILD/examples/passthrough [options] SOURCEDIR MOUNTPOINT" \
	"$(head -1 <<<"$out")"
check_contains "passthrough -h: its options" "-o killpriv_v2|no_killpriv_v2" "$out"
out=$("$BUILD/examples/memfs" -h)
check "memfs -h: default usage" "usage: $BUILD/examples/memfs [options] MOUNTPOINT" "$(head -1 <<<"$out")"
check_contains "memfs -h: its options" "-o size=N" "$out"
# its help comes before the standard options
check "memfs -h: own options first" "memfs options:" "$(sed -n 2p <<<"$out")"

out=$("$BUILD/examples/memfs" -f -o size=12X "$M" 2>&1); rc=$?
check "memfs -o size=12X exits 1" 1 $rc
check_contains "memfs -o size=12X named" "size=12X" "$out"

out=$(timeout 10 "$BUILD/examples/passthrough" -f "$M" 2>&1); rc=$?
check "passthrough with one directory exits 1" 1 $rc
check_contains "passthrough with one directory says what is missing" "no mount point given" "$out"
out=$(timeout 10 "$BUILD/examples/passthrough" -f "$TMP/none" "$M" 2>&1); rc=$?
check "passthrough with a missing SOURCEDIR exits 1" 1 $rc
check_contains "passthrough with a missing SOURCEDIR names it" "$TMP/none" "$out"
check_true "nothing mounted" test -z "$(awk -v m="$M" '$2 == m' /proc/mounts)"

[ $fails = 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
