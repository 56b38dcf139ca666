#!/usr/bin/env bash
# The syscall comparison (tests/fs/fsops_compare.c) for: passthrough with
# -o writeback_cache, the setting bench/workloads.sh's [pt wb] rows and
# -o exclusive use. The kernel then keeps sizes and times itself and
# reads pages in before partial writes; what that may change (a write
# dating atime below) is a soft observation, shown but not failed.
set -u
cd "${FBX_ROOT:-$(dirname "$0")/../..}" || exit 1
BUILD=${BUILD:-build}
bin=$BUILD/tests/fs/fsops_compare
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
FBX_FSOPS_OPTS=writeback_cache exec "$bin" passthrough "$@"
