#!/usr/bin/env bash
# fsx.sh -- xfstests' fsx (random reads, writes, truncates, mmap,
# fallocate, copy_file_range... checked against a model of the file)
# on memfs and passthrough in each way of serving requests (writeback
# cache or not, FUSE passthrough or not, workers that poll or not, FUSE
# over io_uring), by hand like xfstests.sh (see README.md here).
#
#   tests/conformance/fsx.sh XFSTESTS_SRC [OPS]
#
# Builds ltp/fsx alone from a copy of XFSTESTS_SRC in a temporary
# directory. Each mount variant runs fsx five ways: plain, closing and
# reopening the file now and then (-c 100), with AIO (-A), O_DIRECT (-Z,
# reads and writes 4 KiB-aligned: passthrough hands O_DIRECT to the
# source's file system, and ext4 refuses unaligned direct I/O with
# EINVAL as it does without FUSE) and io_uring (-U); OPS operations each
# (default 20000), seed 1.
# Exit 0 when every run passes; the failing runs' logs are printed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD:-$root/build}
src=${1:-}
ops=${2:-20000}
[ -n "$src" ] && [ -f "$src/ltp/fsx.c" ] || { echo "usage: $0 XFSTESTS_SRC [OPS]" >&2; exit 2; }
[ -x "$build/examples/memfs" ] || { echo "build first (make)" >&2; exit 2; }

work=$(mktemp -d /tmp/fbx-fsx.XXXXXX)
pid=
uring=/sys/module/fuse/parameters/enable_uring
uring_was=$(cat "$uring" 2>/dev/null)
cleanup() {
	mountpoint -q "$work/mnt" 2>/dev/null && { fusermount3 -u "$work/mnt" 2>/dev/null || umount -l "$work/mnt"; }
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	[ -n "$uring_was" ] && echo "$uring_was" >"$uring" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cp -a "$src" "$work/x" && rm -rf "$work/x/.git"
(cd "$work/x" && make configure && ./configure && make -C lib && make -C ltp fsx) >"$work/build.log" 2>&1 ||
	{ tail -n 20 "$work/build.log"; echo "fsx did not build (xfstests.sh lists its packages)" >&2; exit 2; }
fsx=$work/x/ltp/fsx
mkdir -p "$work/mnt" "$work/src"

fails=0 runs=0
# variant NAME DAEMON-ARGS...: mount, run fsx five ways, unmount
variant() {
	local name=$1 mode log i
	shift
	"$@" >"$work/daemon-$name.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 100; i++)); do mountpoint -q "$work/mnt" && break; sleep 0.1; done
	mountpoint -q "$work/mnt" || { echo "FAIL $name: not mounted ($(tail -n1 "$work/daemon-$name.log"))"; fails=$((fails + 1)); runs=$((runs + 1)); return; }
	for mode in plain "-c 100" -A "-Z -r 4096 -w 4096" -U; do
		log=$work/fsx-$name-${mode// /}.log
		runs=$((runs + 1))
		# shellcheck disable=SC2086 # mode is a few words
		if (cd "$work/mnt" && "$fsx" -q -S 1 -N "$ops" ${mode#plain} "fsx-${mode// /}" >"$log" 2>&1); then
			echo "ok   $name fsx $mode"
		else
			echo "FAIL $name fsx $mode"; tail -n 30 "$log"; fails=$((fails + 1))
		fi
	done
	fusermount3 -u "$work/mnt"
	wait "$pid"
	pid=
}

memfs() { variant "$1" "$build/examples/memfs" -f "${@:2}" "$work/mnt"; }
pt() { rm -rf "${work:?}/src/"*; variant "$1" "$build/examples/passthrough" -f "${@:2}" "$work/src" "$work/mnt"; }
memfs memfs
memfs memfs-nowb -o no_writeback_cache
memfs memfs-spin0 -o spin=0
pt passthrough
pt passthrough-wb -o writeback_cache
pt passthrough-nopt -o no_passthrough      # reads and writes reach the daemon
pt passthrough-spin0 -o spin=0
if [ -n "$uring_was" ] && echo Y >"$uring" 2>/dev/null; then
	memfs memfs-uring -o io_uring
	pt passthrough-uring -o io_uring,no_passthrough
else
	echo "note: no enable_uring switch here: the io_uring variants not run"
fi
echo "$((runs - fails)) of $runs fsx runs passed"
[ "$fails" = 0 ]
