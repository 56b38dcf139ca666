#!/usr/bin/env bash
# The manual pages: `make install` puts every page of doc/man/ under
# PREFIX/share/man/manN; each renders with man(1) and groff without a
# single warning; every program in examples/ and tools/ has a page,
# and every option its -h prints is in that page; every function a
# section-3 page names is declared in a public header and has a page
# (or a .so link) of its own name, and fusebox(7) names every public
# header.
set -u
cd "$FBX_ROOT" || exit 1
command -v man >/dev/null && command -v groff >/dev/null ||
  { echo "skip: needs man-db and groff-base (tests/install-deps)"; exit 77; }
T=$(mktemp -d /tmp/fbx-man.XXXXXX)
# A sanitizer build (FBX_SAN=1 from tests/run, SAN=1 under `make check
# SAN=1`) must stay one: the installed .pc then asks for the runtime.
san=${FBX_SAN:-${SAN:-0}}
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

make -s install BUILD="$BUILD" SAN="$san" PREFIX="$T/usr" >"$T/install.log" 2>&1 ||
  { cat "$T/install.log"; exit 1; }
M=$T/usr/share/man
for p in doc/man/*.[0-9]; do
  f=$(basename "$p") s=${p##*.}
  [ -f "$M/man$s/$f" ] || bad "$f is not installed in $M/man$s"
done

# Render from the installed tree, where `.so man1/hello.1` resolves.
cd "$M" || exit 1
for p in man*/*; do
  out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=all -E UTF-8 -l "$p" 2>"$T/err")
  [ -s "$T/err" ] && bad "$p: man warns: $(head -n3 "$T/err")"
  [ -n "$out" ] || bad "$p renders empty"
  grep -q '^\.so ' "$p" && continue
  LC_ALL=C.UTF-8 groff -ww -z -man -Tutf8 "$p" 2>"$T/err" || bad "$p: groff failed"
  [ -s "$T/err" ] && bad "$p: groff warns: $(head -n3 "$T/err")"
done
cd "$FBX_ROOT" || exit 1

# The page's text with roff escapes taken out, for looking up options.
plain() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' "$1"; }
# Options a -h text names: -x, --long, and the NAME of each -o NAME.
options() {
  grep -oE '(^|[][ ,|(])--?[A-Za-z][A-Za-z0-9-]*' | sed -E 's/^[][ ,|(]//'
  grep -oE '^ *-o [a-z][a-z0-9_]*(\|[a-z][a-z0-9_]*)*' "$T/help" | sed -E 's/^ *-o //' | tr '|' '\n'
}
for src in examples/*.c tools/*.c; do
  prog=$(basename "$src" .c) bin=$BUILD/${src%.c}
  page=doc/man/$prog.1
  [ -f "$page" ] || { bad "$prog has no page doc/man/$prog.1"; continue; }
  grep -q '^\.so man1/' "$page" && page=doc/man/$(sed -n 's|^\.so man1/||p' "$page")
  "$bin" -h >"$T/help" 2>&1 || bad "$prog -h exits $?"
  plain "$page" >"$T/page"
  missing=
  for o in $(options <"$T/help" | sort -u); do
    grep -qE -- "(^|[^A-Za-z0-9_-])$o([^A-Za-z0-9_-]|$)" "$T/page" || missing="$missing $o"
  done
  [ -z "$missing" ] || bad "$prog -h lists options its page $page does not:$missing"
done

# Section 3: each name in NAME is a public call; section 7 covers the headers.
for p in doc/man/*.3; do
  grep -q '^\.so ' "$p" && continue
  names=$(sed -n '/^\.SH NAME/{n;p}' "$p" | sed 's/ \\-.*//; s/,//g')
  for n in $names; do
    grep -qE "\b${n}[[:space:]]*\(" include/fusebox/*.h include/compat/buse/buse.h ||
      bad "$p names $n, which no public header declares"
    [ -f "$M/man3/$n.3" ] || bad "man $n: no page installed for it"
  done
done
for h in include/fusebox/*.h; do
  grep -q "fusebox/$(basename "$h")" doc/man/fusebox.7 || bad "fusebox(7) does not name fusebox/$(basename "$h")"
done
[ $fail = 0 ] && echo "$(ls doc/man | wc -l) pages installed, render cleanly, and cover every -h option"
exit $fail
