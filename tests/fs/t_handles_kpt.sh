#!/usr/bin/env bash
# File handles (the handles case of tests/fs/fsops_compare.c) on
# passthrough with -o passthrough: nodes with kernel backing files must
# resolve again by handle after the kernel forgot them, as on tmpfs.
set -u
cd "${FBX_ROOT:-$(dirname "$0")/../..}" || exit 1
BUILD=${BUILD:-build}
bin=$BUILD/tests/fs/fsops_compare
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
FBX_FSOPS_OPTS=passthrough exec "$bin" passthrough handles open rw unlinked_open
