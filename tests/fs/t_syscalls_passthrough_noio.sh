#!/usr/bin/env bash
# The syscall comparison (tests/fs/fsops_compare.c) for: passthrough with
# -o no_passthrough. As root the daemon's default is the kernel's FUSE
# passthrough, which takes reads, writes and mmap off the daemon; this
# keeps its own I/O path (what a non-root daemon serves) compared too.
set -u
cd "${FBX_ROOT:-$(dirname "$0")/../..}" || exit 1
BUILD=${BUILD:-build}
bin=$BUILD/tests/fs/fsops_compare
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
FBX_FSOPS_OPTS=no_passthrough exec "$bin" passthrough "$@"
