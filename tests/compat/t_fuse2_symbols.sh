#!/usr/bin/env bash
# The dynamic symbols of our libfuse.so.2 against Debian's libfuse 2.9.9:
# every name we export must be exported there under the same version,
# default (@@) or not (@) alike, nothing else may leak out (fbx_*
# internals), and none may be missing: all 196, the 1.x .. 2.5 ones too.
# Names that are one function there (fuse_new@FUSE_2.2 is
# fuse_new_compat22) must be one here, bar the exception below.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

REF=/lib/x86_64-linux-gnu/libfuse.so.2
OURS=$BUILD/compat/libfuse.so.2
[ -f "$REF" ] || skip "no Debian libfuse.so.2 (apt-get install libfuse2)"
command -v objdump >/dev/null || skip "no objdump (binutils)"
[ -f "$OURS" ] || { echo "missing $OURS (run make)"; exit 1; }

# "name@VERSION" for a non-default version, "name@@VERSION" for the default.
syms() {
	objdump -T "$1" | awk '$2 == "g" && ($3 == "DF" || $3 == "DO") && $NF !~ /^FUSE_2/ {
		v = $(NF-1); if (v ~ /^\(/) { gsub(/[()]/, "", v); print $NF "@" v } else print $NF "@@" v }' | sort -u
}
syms "$REF" >"$TMP/ref"
syms "$OURS" >"$TMP/ours"

check "no symbol beyond libfuse's (or at another version)" "" "$(comm -13 "$TMP/ref" "$TMP/ours" | tr '\n' ' ')"
check "none missing" "" "$(comm -23 "$TMP/ref" "$TMP/ours" | tr '\n' ' ')"

# Aliases: the names at one address, as "a=b" pairs. Left out on purpose:
# __fuse_teardown@Base, which libfuse binds to the 2.6 fuse_teardown
# (fuse, mountpoint) although 2.1 callers pass (fuse, fd, mountpoint),
# the form of fuse_teardown_compat22 that fusebox gives it.
aliases() {
	objdump -T "$1" | awk '$2 == "g" && $3 == "DF" && $NF != "__fuse_teardown" {
		v = $(NF-1); gsub(/[()]/, "", v); n[$1] = n[$1] " " $NF "@" v }
		END { for (a in n) { k = split(substr(n[a], 2), s, " "); if (k < 2) continue
			for (i = 1; i <= k; i++) for (j = 1; j <= k; j++) if (s[i] < s[j]) print s[i] "=" s[j] } }' | sort
}
aliases "$REF" >"$TMP/ref_alias"
aliases "$OURS" >"$TMP/ours_alias"
check "the same aliases ($(wc -l <"$TMP/ref_alias") pairs)" "" \
	"$(comm -3 "$TMP/ref_alias" "$TMP/ours_alias" | tr -d '\t' | tr '\n' ' ')"
check "version nodes" "$(readelf -V "$REF" | grep -o 'Name: FUSE_2[.0-9]*' | sort -u | tr '\n' ' ')" \
	"$(readelf -V "$OURS" | grep -o 'Name: FUSE_2[.0-9]*' | sort -u | tr '\n' ' ')"
check "soname" "libfuse.so.2" "$(objdump -p "$OURS" | awk '$1 == "SONAME" { print $2 }')"
echo "info  $(wc -l <"$TMP/ours") of $(wc -l <"$TMP/ref") libfuse 2 symbols exported"
[ $fails -eq 0 ]
