#!/usr/bin/env bash
# The syscall comparison (tests/fs/fsops_compare.c) for: memfs, with its
# defaults (the writeback cache: the comparator checks what it promises
# where the answers differ from tmpfs) and with -o no_writeback_cache
# (every answer exact).
# native compares two tmpfs directories and so checks the comparator itself.
set -u
cd "${FBX_ROOT:-$(dirname "$0")/../..}" || exit 1
BUILD=${BUILD:-build}
bin=$BUILD/tests/fs/fsops_compare
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
"$bin" memfs "$@"; rc=$?
[ $rc = 0 ] || exit $rc
echo "--- again with -o no_writeback_cache"
FBX_FSOPS_OPTS=${FBX_FSOPS_OPTS:+$FBX_FSOPS_OPTS,}no_writeback_cache exec "$bin" memfs "$@"
