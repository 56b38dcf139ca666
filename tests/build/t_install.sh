#!/usr/bin/env bash
# `make install` into a staging prefix, then build a filesystem and a
# block device against it the way a user would: pkg-config for the
# flags (the README's line word for word), the shared library found at
# run time through the rpath the .pc carries for a non-system prefix. Checks the headers are
# self-contained and the library exports what they declare.
set -eu
cd "$FBX_ROOT"
T=$(mktemp -d /tmp/fbx-install.XXXXXX)
cleanup() {
  mountpoint -q "$T/mnt" 2>/dev/null && umount "$T/mnt"
  rm -rf "$T"
}
# A sanitizer build (FBX_SAN=1 from tests/run, SAN=1 under `make check
# SAN=1`) must stay one: the installed .pc then asks for the runtime.
san=${FBX_SAN:-${SAN:-0}}
trap cleanup EXIT
# A plain `make` first, as a user does before `make install PREFIX=...`:
# the pkg-config file must follow the prefix given at install time.
make -s BUILD="$BUILD" SAN="$san" >"$T/build.log" 2>&1 || { cat "$T/build.log"; exit 1; }
make -s install BUILD="$BUILD" SAN="$san" PREFIX="$T/usr" >"$T/install.log" 2>&1 || { cat "$T/install.log"; exit 1; }
export PKG_CONFIG_PATH="$T/usr/lib/pkgconfig"
[ "$(pkg-config --variable=prefix fusebox)" = "$T/usr" ] ||
  { echo "installed fusebox.pc says prefix=$(pkg-config --variable=prefix fusebox), not $T/usr"; exit 1; }
# The README's build line, word for word, on a path filesystem.
cp examples/hello.c "$T/myfs.c"
(cd "$T" && cc -o myfs myfs.c $(pkg-config --cflags --libs fusebox)) ||
  { echo "the README's cc line failed"; exit 1; }
mkdir "$T/mnt"
# It runs as built, with no LD_LIBRARY_PATH: the .pc's rpath finds the
# library in the staging prefix (and not some other installed copy).
unset LD_LIBRARY_PATH
ldd "$T/myfs" | grep -q "libfusebox.so.0 => $T/usr/lib/" ||
  { echo "myfs does not load the installed library:"; ldd "$T/myfs"; exit 1; }
"$T/myfs" "$T/mnt"
[ "$(cat "$T/mnt/hello")" = "Hello, world!" ] || { echo "myfs: wrong content"; exit 1; }
umount "$T/mnt"
# Every public header compiles alone, in C and C++.
for h in "$T"/usr/include/fusebox/*.h; do
  echo "#include <fusebox/$(basename "$h")>" > "$T/one.c"
  gcc -Wall -Wextra -Werror -I"$T/usr/include" -c "$T/one.c" -o "$T/one.o"
  if command -v g++ >/dev/null; then
    cp "$T/one.c" "$T/one.cc"; g++ -Wall -Werror -I"$T/usr/include" -c "$T/one.cc" -o "$T/one.o"
  fi
done
# The seeds' programs, built from the installed copy.
for ex in hello hellofs busexmp; do
  gcc -Wall -Werror -o "$T/$ex" "examples/$ex.c" $(pkg-config --cflags --libs fusebox)
  "$T/$ex" -h >/dev/null 2>&1 || { echo "$ex -h failed"; exit 1; }
done
pkg-config --modversion fusebox
echo "installed headers, library and pkg-config file work"
