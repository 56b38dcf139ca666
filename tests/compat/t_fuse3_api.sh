#!/usr/bin/env bash
# The pure parts of the libfuse 3 API behave as Debian's libfuse 3.14
# does: one probe (tests/compat/src/opt_probe.c: fuse_opt_parse with
# every template form, keys, escapes and errors; fuse_opt_add_*/insert;
# fuse_parse_cmdline; fuse_buf_copy between memory and descriptors) is
# built against Debian's headers and library and against ours, and the
# two outputs must be identical. No root needed.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ -f /usr/include/fuse3/fuse_opt.h ] || skip "no libfuse3-dev (apt-get install libfuse3-dev)"
command -v cc >/dev/null || skip "no C compiler"
LIBDIR=$FBX_ROOT/$BUILD/compat
[ -f "$LIBDIR/libfuse3.so.3" ] || { echo "missing $LIBDIR/libfuse3.so.3 (run make)"; exit 1; }
SANFLAGS=
if [ "${FBX_SAN:-0}" = 1 ]; then
	SANFLAGS="-fsanitize=address,undefined"
	export LSAN_OPTIONS="suppressions=$FBX_ROOT/tests/compat/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
fi
PROBE=$FBX_ROOT/tests/compat/src/opt_probe.c

cc -O1 -g -D_FILE_OFFSET_BITS=64 -I/usr/include/fuse3 -o "$TMP/ref" "$PROBE" -lfuse3 ||
	{ echo "probe does not build against Debian's libfuse"; exit 1; }
cc -O1 -g $SANFLAGS -D_FILE_OFFSET_BITS=64 -I"$FBX_ROOT/include/compat/fuse3" -o "$TMP/ours" "$PROBE" \
	-L"$LIBDIR" -lfuse3 -Wl,-rpath,"$LIBDIR" ||
	{ echo "probe does not build against ours"; exit 1; }
"$TMP/ref" >"$TMP/ref.out" 2>&1; ref_rc=$?
"$TMP/ours" >"$TMP/ours.out" 2>&1; ours_rc=$?
check "probe exit status (Debian's $ref_rc)" "$ref_rc" "$ours_rc"
if diff -u "$TMP/ref.out" "$TMP/ours.out" >"$TMP/diff"; then
	echo "ok    $(wc -l <"$TMP/ours.out") lines of results identical to Debian's libfuse"
else
	echo "FAIL  results differ (- Debian's libfuse, + ours)"
	sed 's/^/      /' "$TMP/diff" | head -60
	fails=$((fails + 1))
fi
[ $fails -eq 0 ]
