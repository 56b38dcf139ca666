#!/usr/bin/env bash
# The library's symbol table is its public headers. The shared library
# exports exactly the functions and objects include/fusebox/*.h declare
# (nothing missing, nothing extra), the static library defines all of
# them, and every global the static library defines carries the fbx_
# prefix, so a program's own names cannot collide with ours in a static
# link. Internal globals (fbx_<layer>_...) may stay in the .a: a static
# archive has no way to hide them (doc/HACKING.md, "Symbols").
#
# What the headers declare is read by the compiler, not by grep: gcc
# -aux-info lists every function prototype with the file it came from,
# and the preprocessed headers give the extern objects. Comments and
# macros that mention a name therefore do not count as declarations.
set -eu
cd "$FBX_ROOT"
B=${BUILD:-build}
so=$B/libfusebox.so a=$B/libfusebox.a
for f in "$so" "$a"; do
  [ -e "$f" ] || { echo "missing $f: build the library first (make BUILD=$B)"; exit 1; }
done
T=$(mktemp -d /tmp/fbx-exports.XXXXXX)
trap 'rm -rf "$T"' EXIT

for h in include/fusebox/*.h; do echo "#include <fusebox/${h##*/}>"; done >"$T/all.c"
gcc -std=c11 -D_GNU_SOURCE -Iinclude -fsyntax-only -aux-info "$T/aux" "$T/all.c"
# Function prototypes from our headers: "/* path:line:NC */ extern T name (args);"
grep -E '^/\* [^ ]*include/fusebox/[a-z_]+\.h:' "$T/aux" |
  sed -E 's/^.*\*\/ *//; s/ \(.*$//; s/^.*[ *]//' >"$T/decl.fn"
# Objects: extern declarations (no parameter list) in our headers' text
# after preprocessing, one statement per record.
gcc -std=c11 -D_GNU_SOURCE -Iinclude -E "$T/all.c" |
  awk '/^# [0-9]+ "/ { ours = ($3 ~ /include\/fusebox\//); next } ours' |
  tr '\n' ' ' | tr ';' '\n' |
  sed -nE 's/^[[:space:]]*extern[^(]*[[:space:]*](fbx_[a-z0-9_]+)[[:space:]]*$/\1/p' >"$T/decl.obj"
sort -u "$T/decl.fn" "$T/decl.obj" >"$T/declared"
[ -s "$T/decl.fn" ] || { echo "found no function declarations in include/fusebox/*.h"; exit 1; }

# Defined globals: text, data, bss, read-only, small, weak, ifunc, unique.
nm -D --defined-only "$so" | awk 'NF == 3 && $2 != "A" { sub(/@.*/, "", $3); print $3 }' |
  sort -u >"$T/so"
# __odr_asan.*: AddressSanitizer's one-definition-rule markers, made by
# the compiler in SAN builds, not names of ours.
nm -g --defined-only "$a" | awk 'NF == 3 && $2 ~ /^[BCDGRSTVWiu]$/ && $3 !~ /^__odr_asan\./ { print $3 }' |
  sort -u >"$T/a"

fail=0
report() { # title file
  if [ -s "$2" ]; then echo "$1:"; sed 's/^/  /' "$2"; fail=1; fi
}
comm -23 "$T/declared" "$T/so" >"$T/missing.so"
comm -13 "$T/declared" "$T/so" >"$T/extra.so"
comm -23 "$T/declared" "$T/a" >"$T/missing.a"
grep -v '^fbx_' "$T/a" >"$T/unprefixed.a" || true
report "declared in include/fusebox/*.h but not exported by $so" "$T/missing.so"
report "exported by $so but declared in no public header" "$T/extra.so"
report "declared in include/fusebox/*.h but not defined in $a" "$T/missing.a"
report "globals of $a without the fbx_ prefix" "$T/unprefixed.a"
# libfusebox-buse.a (compat/buse) is linked into BUSE programs: its one
# name for them is buse_main, as buse.h declares; all else is fbx_.
buse=$B/compat/libfusebox-buse.a
[ -e "$buse" ] || { echo "missing $buse"; exit 1; }
nm -g --defined-only "$buse" | awk 'NF == 3 && $2 ~ /^[BCDGRSTVWiu]$/ && $3 !~ /^__odr_asan\./ { print $3 }' |
  grep -v '^fbx_' | sort -u >"$T/buse"
[ "$(cat "$T/buse")" = buse_main ] ||
  { echo "globals of $buse without the fbx_ prefix, want only buse_main:"; sed 's/^/  /' "$T/buse"; fail=1; }
[ $fail = 0 ] || exit 1
echo "$(wc -l <"$T/declared") declared = $(wc -l <"$T/so") exported by the .so;" \
     "$(wc -l <"$T/a") globals in the .a, all fbx_"
