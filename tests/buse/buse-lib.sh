# shellcheck shell=bash
# tests/buse/buse-lib.sh -- sourced by the BUSE tests (tests/buse,
# tests/vm/t_buse.sh). buse_build DIR installs this build (`make install
# PREFIX=DIR/usr`, a sanitizer build when FBX_SAN=1) and compiles the
# BUSE programs tests/buse/src/*.c into DIR/ against it the way a BUSE
# user would: `pkg-config --cflags --libs fusebox`, with the C99
# -pedantic flags of BUSE's own Makefile plus -Werror.
buse_build() {
  local out=$1 san=${FBX_SAN:-${SAN:-0}} p
  if ! { make -s -C "$FBX_ROOT" BUILD="$BUILD" SAN="$san" &&
         make -s -C "$FBX_ROOT" install BUILD="$BUILD" SAN="$san" PREFIX="$out/usr"; } \
       >"$out/build.log" 2>&1; then
    cat "$out/build.log"; echo "make install PREFIX=$out/usr failed"; return 1
  fi
  local flags cflags
  export PKG_CONFIG_PATH=$out/usr/lib/pkgconfig
  flags=$(pkg-config --cflags --libs fusebox) && cflags=$(pkg-config --cflags fusebox) || return 1
  # shellcheck disable=SC2086 # the pkg-config flags are words
  if command -v g++ >/dev/null &&
     ! echo '#include <buse.h>' | g++ -Wall -Wextra -Werror $cflags -x c++ -fsyntax-only -; then
    echo "buse.h does not compile as C++"; return 1
  fi
  for p in memdisk filedisk; do
    # shellcheck disable=SC2086 # the pkg-config flags are words
    cc -std=c99 -pedantic -Wall -Wextra -Werror -o "$out/$p" "$FBX_ROOT/tests/buse/src/$p.c" $flags ||
      { echo "building the BUSE program $p.c against the installed buse.h failed"; return 1; }
  done
}

# buse_dev LOG PID: wait until the program's stderr names its device
# (attach's "... is the device" line); prints it. 1 if PID died first.
buse_dev() {
  local d _
  for _ in $(seq 200); do
    d=$(sed -n 's/^attach: \(\/dev\/[a-z0-9]*\) is the device.*/\1/p' "$1" | head -n1)
    [ -n "$d" ] && [ -b "$d" ] && { echo "$d"; return 0; }
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
