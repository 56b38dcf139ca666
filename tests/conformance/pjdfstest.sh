#!/usr/bin/env bash
# pjdfstest.sh -- pjdfstest (POSIX semantics of chmod, chown, link,
# mkdir, open, rename, unlink, utimensat...: 8 798 checks) on memfs and
# passthrough, by hand like xfstests.sh (see README.md here).
#
#   tests/conformance/pjdfstest.sh PJDFSTEST_SRC
#
# PJDFSTEST_SRC: a checkout of github.com/pjd/pjdfstest; it is copied to a
# temporary directory and built there (autoreconf, configure, make). Both
# file systems run as root with -o allow_other,default_permissions (the
# kernel checks permissions; pjdfstest switches users and groups), the
# passthrough over a fresh directory of the machine's own file system.
# Needs perl's prove. Exit 0 when prove passes on both.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD:-$root/build}
src=${1:-}
[ -n "$src" ] && [ -f "$src/pjdfstest.c" ] || { echo "usage: $0 PJDFSTEST_SRC" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "pjdfstest needs root" >&2; exit 2; }
command -v prove >/dev/null || { echo "no prove (perl)" >&2; exit 2; }
[ -x "$build/examples/memfs" ] || { echo "build first (make)" >&2; exit 2; }

work=$(mktemp -d /tmp/fbx-pjdfstest.XXXXXX)
chmod 755 "$work"   # pjdfstest works in the mount as other users
cleanup() {
	mountpoint -q "$work/mnt" 2>/dev/null && { fusermount3 -u "$work/mnt" 2>/dev/null || umount -l "$work/mnt"; }
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cp -a "$src" "$work/p" && rm -rf "$work/p/.git"
(cd "$work/p" && autoreconf -ifs && ./configure && make pjdfstest) >"$work/build.log" 2>&1 ||
	{ tail -n 20 "$work/build.log"; echo "pjdfstest did not build (autoconf, automake, gcc)" >&2; exit 2; }
mkdir -p "$work/mnt" "$work/src"

fails=0
# run NAME DAEMON-ARGS...: mount (the daemon forks), prove, unmount
run() {
	local name=$1
	shift
	if ! "$@" >"$work/daemon-$name.log" 2>&1 || ! mountpoint -q "$work/mnt"; then
		echo "FAIL $name: not mounted ($(tail -n1 "$work/daemon-$name.log"))"; fails=$((fails + 1)); return
	fi
	if (cd "$work/mnt" && prove -r "$work/p/tests") >"$work/prove-$name.log" 2>&1; then
		echo "ok   $name: $(grep -E '^Files=' "$work/prove-$name.log")"
	else
		grep -vE '\.\. ok$' "$work/prove-$name.log" | tail -n 40
		echo "FAIL $name"; fails=$((fails + 1))
	fi
	fusermount3 -u "$work/mnt"
}

run memfs "$build/examples/memfs" -o allow_other,default_permissions "$work/mnt"
run passthrough "$build/examples/passthrough" -o allow_other,default_permissions "$work/src" "$work/mnt"
[ "$fails" = 0 ]
