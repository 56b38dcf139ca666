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

# The drop-in libfuse3: in its own folder, never over the system's.
L=$T/usr/lib/fusebox
for f in "$L/libfuse3.so.3" "$L/pkgconfig/fuse3.pc" "$T/usr/include/fusebox/fuse3/fuse_lowlevel.h"; do
  [ -f "$f" ] || { echo "make install did not install $f"; exit 1; }
done
for f in "$T"/usr/lib/libfuse3.so* "$T"/usr/lib/libfuse.so*; do
  [ -e "$f" ] && { echo "$f: a libfuse installed beside libfusebox, not in lib/fusebox"; exit 1; }
done
# An unchanged program asking pkg-config for fuse3 builds against ours
# when that folder comes first, and runs on ours (the .pc's rpath).
export PKG_CONFIG_PATH="$L/pkgconfig:$T/usr/lib/pkgconfig"
[ "$(pkg-config --variable=prefix fuse3)" = "$T/usr" ] ||
  { echo "installed fuse3.pc says prefix=$(pkg-config --variable=prefix fuse3), not $T/usr"; exit 1; }
cat >"$T/ll.c" <<'EOF2'
#define FUSE_USE_VERSION 31
#include <fuse_lowlevel.h>
int main(void)
{
	fuse_lowlevel_version();
	return 0;
}
EOF2
# shellcheck disable=SC2046 # pkg-config's words are separate flags
(cd "$T" && cc -o ll ll.c $(pkg-config --cflags --libs fuse3)) || { echo "a fuse3 program does not build with the installed fuse3.pc"; exit 1; }
ldd "$T/ll" | grep -q "libfuse3.so.3 => $L/libfuse3.so.3" ||
  { echo "the fuse3 program does not load the installed library:"; ldd "$T/ll"; exit 1; }
"$T/ll" | grep -q fusebox || { echo "the fuse3 program does not run on ours: $("$T/ll")"; exit 1; }
# fusebox-run, installed, finds that folder by itself.
"$T/usr/bin/fusebox-run" -c "$T/ll" | grep -q "runs on $L\$" ||
  { echo "installed fusebox-run does not use $L: $("$T/usr/bin/fusebox-run" -c "$T/ll" 2>&1)"; exit 1; }
# A program built against the system's libfuse3 (not under sanitizers:
# an ASan library cannot load into a plain program) runs on ours.
if [ "$san" != 1 ] && [ -f /usr/include/fuse3/fuse_lowlevel.h ]; then
  # shellcheck disable=SC2046
  (cd "$T" && cc -o sys ll.c $(PKG_CONFIG_PATH='' pkg-config --cflags --libs fuse3)) ||
    { echo "cannot build against the system's libfuse3"; exit 1; }
  out=$("$T/usr/bin/fusebox-run" "$T/sys")
  case $out in *fusebox*) ;; *) echo "fusebox-run sys does not run on ours: $out"; exit 1;; esac
fi

# The drop-in libfuse 2 beside it: the same for a fuse 2 program. -V
# makes libfuse's own command line parser print the library's version
# (ours names fusebox).
for f in "$L/libfuse.so.2" "$L/pkgconfig/fuse.pc" "$T/usr/include/fusebox/fuse2/fuse.h" \
         "$T/usr/include/fusebox/fuse2/cuse_lowlevel.h"; do
  [ -f "$f" ] || { echo "make install did not install $f"; exit 1; }
done
[ "$(pkg-config --variable=includedir fuse)" = "$T/usr/include/fusebox/fuse2" ] ||
  { echo "installed fuse.pc says includedir=$(pkg-config --variable=includedir fuse)"; exit 1; }
cat >"$T/v2.c" <<'EOF2'
#define FUSE_USE_VERSION 26
#include <fuse.h>
int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	return fuse_parse_cmdline(&args, NULL, NULL, NULL);
}
EOF2
# shellcheck disable=SC2046 # pkg-config's words are separate flags
(cd "$T" && cc -o v2 v2.c $(pkg-config --cflags --libs fuse)) || { echo "a fuse 2 program does not build with the installed fuse.pc"; exit 1; }
ldd "$T/v2" | grep -q "libfuse.so.2 => $L/libfuse.so.2" ||
  { echo "the fuse 2 program does not load the installed library:"; ldd "$T/v2"; exit 1; }
"$T/v2" -V 2>&1 | grep -q fusebox || { echo "the fuse 2 program does not run on ours: $("$T/v2" -V 2>&1)"; exit 1; }
"$T/usr/bin/fusebox-run" -c "$T/v2" | grep -q "runs on $L\$" ||
  { echo "installed fusebox-run does not use $L for libfuse 2: $("$T/usr/bin/fusebox-run" -c "$T/v2" 2>&1)"; exit 1; }
if [ "$san" != 1 ] && [ -f /usr/include/fuse/fuse.h ]; then
  # shellcheck disable=SC2046
  (cd "$T" && cc -o sys2 v2.c $(PKG_CONFIG_PATH='' pkg-config --cflags --libs fuse)) ||
    { echo "cannot build against the system's libfuse 2"; exit 1; }
  "$T/sys2" -V 2>&1 | grep -q fusebox && { echo "sys2 runs on ours without fusebox-run?"; exit 1; }
  out=$("$T/usr/bin/fusebox-run" "$T/sys2" -V 2>&1)
  case $out in *fusebox*) ;; *) echo "fusebox-run sys2 does not run on ours: $out"; exit 1;; esac
fi
echo "installed headers, library and pkg-config file work; fuse3.pc, fuse.pc, libfuse3.so.3 and libfuse.so.2 in lib/fusebox"
