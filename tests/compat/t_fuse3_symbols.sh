#!/usr/bin/env bash
# The dynamic symbols of our libfuse3.so.3 against Debian's: every name we
# export must be exported by libfuse 3.14 under the same version, default
# (@@) or not (@) alike, and nothing else may leak out (fbx_* internals).
# Names we do not define yet are listed (not a failure until the library
# is complete; FBX_FUSE3_COMPLETE=1 makes them one).
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

REF=/lib/x86_64-linux-gnu/libfuse3.so.3
OURS=$BUILD/compat/libfuse3.so.3
[ -f "$REF" ] || skip "no Debian libfuse3.so.3 (apt-get install libfuse3-3)"
command -v objdump >/dev/null || skip "no objdump (binutils)"
[ -f "$OURS" ] || { echo "missing $OURS (run make)"; exit 1; }

# "name@VERSION" for a non-default version, "name@@VERSION" for the default.
syms() {
	objdump -T "$1" | awk '$2 == "g" && ($3 == "DF" || $3 == "DO") && $NF !~ /^FUSE_3/ {
		v = $(NF-1); if (v ~ /^\(/) { gsub(/[()]/, "", v); print $NF "@" v } else print $NF "@@" v }' | sort -u
}
syms "$REF" >"$TMP/ref"
syms "$OURS" >"$TMP/ours"

extra=$(comm -13 "$TMP/ref" "$TMP/ours")
missing=$(comm -23 "$TMP/ref" "$TMP/ours")
check "no symbol beyond libfuse's (or at another version)" "" "$extra"
check "version nodes" "$(readelf -V "$REF" | grep -o 'Name: FUSE_3[.0-9]*' | sort -u | tr '\n' ' ')" \
	"$(readelf -V "$OURS" | grep -o 'Name: FUSE_3[.0-9]*' | sort -u | tr '\n' ' ')"
echo "info  $(wc -l <"$TMP/ours") of $(wc -l <"$TMP/ref") libfuse symbols exported"
if [ -n "$missing" ]; then
	echo "info  not yet implemented: $(echo $missing)"
	if [ "${FBX_FUSE3_COMPLETE:-0}" = 1 ]; then fails=$((fails + 1)); fi
fi
[ $fails -eq 0 ]
