#!/usr/bin/env bash
# `make install` into a staging prefix, then build a filesystem and a
# block device against it the way a user would: pkg-config for the
# flags, the shared library at run time. Checks the headers are
# self-contained and the library exports what they declare.
set -eu
cd "$FBX_ROOT"
T=$(mktemp -d /tmp/fbx-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
make -s install BUILD="$BUILD" PREFIX="$T/usr" >"$T/install.log" 2>&1 || { cat "$T/install.log"; exit 1; }
export PKG_CONFIG_PATH="$T/usr/lib/pkgconfig"
flags=$(pkg-config --cflags --libs fusebox | sed "s|-I/usr/include|-I$T/usr/include|; s|-L/usr/lib|-L$T/usr/lib|")
# Every public header compiles alone, in C and C++.
for h in "$T"/usr/include/fusebox/*.h; do
  echo "#include <fusebox/$(basename "$h")>" > "$T/one.c"
  gcc -Wall -Wextra -Werror -I"$T/usr/include" -c "$T/one.c" -o "$T/one.o"
  if command -v g++ >/dev/null; then
    cp "$T/one.c" "$T/one.cc"; g++ -Wall -Werror -I"$T/usr/include" -c "$T/one.cc" -o "$T/one.o"
  fi
done
# The seeds' programs, built from the installed copy (a sanitizer build
# of the library needs its runtime in the program too).
san=
[ "${FBX_SAN:-0}" = 1 ] && san="-fsanitize=address,undefined"
for ex in hello hellofs busexmp; do
  gcc -Wall -Werror $san -o "$T/$ex" "examples/$ex.c" \
      -I"$T/usr/include" -L"$T/usr/lib" -lfusebox -pthread
  LD_LIBRARY_PATH="$T/usr/lib" "$T/$ex" -h >/dev/null 2>&1 || { echo "$ex -h failed"; exit 1; }
done
pkg-config --modversion fusebox
echo "installed headers, library and pkg-config file work"
