#!/usr/bin/env bash
# The syscall comparison (tests/fs/fsops_compare.c) for: memfs, served over
# FUSE io_uring (enable_uring switched on for the run; see syscalls_uring.sh).
exec "${FBX_ROOT:-$(dirname "$0")/../..}/tests/fs/syscalls_uring.sh" memfs "$@"
