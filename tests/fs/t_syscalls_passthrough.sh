#!/usr/bin/env bash
# The syscall comparison (tests/fs/fsops_compare.c) for: passthrough.
# native compares two tmpfs directories and so checks the comparator itself.
set -u
cd "${FBX_ROOT:-$(dirname "$0")/../..}" || exit 1
BUILD=${BUILD:-build}
bin=$BUILD/tests/fs/fsops_compare
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
exec "$bin" passthrough "$@"
