#!/usr/bin/env bash
# make prints one short line per step ("  CC   lib/fuse/codec.c", AR,
# LD, GEN), the full commands with V=1, and nothing with -s. Builds the
# static library, one program and the pkg-config file into a scratch
# build folder, so the real one is left alone.
set -u
cd "$FBX_ROOT" || exit 1
T=$(mktemp -d /tmp/fbx-make.XXXXXX)
trap 'rm -rf "$T"' EXIT
B=$T/b
fail=0
# As a user types it: not a sub-make of `make check` (whose MAKEFLAGS
# and MAKELEVEL would add jobserver warnings and directory lines).
unset MAKEFLAGS MFLAGS MAKELEVEL
bad() { echo "FAIL: $*"; fail=1; }

make -j2 BUILD="$B" "$B/libfusebox.a" "$B/examples/hello" "$B/fusebox.pc" >"$T/out" 2>&1 ||
  { cat "$T/out"; exit 1; }
grep -vE '^  (CC|AR|LD|GEN) +[^ ]+$' "$T/out" >"$T/other" && { echo "lines that are not one short step:"; head "$T/other"; fail=1; }
grep -qx '  CC   lib/fuse/codec.c' "$T/out" || bad "no 'CC lib/fuse/codec.c' line"
grep -qx "  AR   $B/libfusebox.a" "$T/out" || bad "no AR line"
grep -qx "  LD   $B/examples/hello" "$T/out" || bad "no LD line"
grep -qx "  GEN  $B/fusebox.pc" "$T/out" || bad "no GEN line"
[ "$(grep -c '^  CC ' "$T/out")" = "$(ls lib/*/*.c examples/hello.c | wc -l)" ] || bad "not one CC line per file"

make -B V=1 BUILD="$B" "$B/lib/fuse/codec.o" >"$T/v" 2>&1 || { cat "$T/v"; exit 1; }
grep -q -- "-c lib/fuse/codec.c -o $B/lib/fuse/codec.o" "$T/v" || bad "V=1 does not print the command: $(cat "$T/v")"
grep -q '^  CC ' "$T/v" && bad "V=1 prints the short line too"

make -s -B BUILD="$B" "$B/lib/fuse/codec.o" "$B/fusebox.pc" >"$T/s" 2>&1 || { cat "$T/s"; exit 1; }
[ -s "$T/s" ] && bad "make -s printed: $(cat "$T/s")"
[ $fail = 0 ] && echo "one line per step, V=1 full commands, -s silent"
exit $fail
