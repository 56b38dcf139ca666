#!/usr/bin/env bash
# Builds every libFuzzer target (make fuzz) and runs each for a short
# while on random input: a crash, leak or sanitizer report fails the
# test. Longer runs are for by hand:
#   ./build-fuzz/fuzz_fuse_request -max_total_time=600
set -u
# It checks sources (fuzz: its own clang build), not this build: run once.
[ "${FBX_SAN:-0}" = 1 ] && { echo "skip: runs in the normal build only (it does not use the build)"; exit 77; }
cd "$FBX_ROOT" || exit 1
command -v clang >/dev/null || { echo "skip: clang not installed"; exit 77; }
# Logs in a directory of our own, gone with the test; a crash's artifact
# stays in /tmp/ for whoever looks into it.
LOGS=$(mktemp -d /tmp/fbx-test.XXXXXX) || exit 1
trap 'rm -rf "$LOGS"' EXIT
make -s fuzz >"$LOGS/build.log" 2>&1 || { cat "$LOGS/build.log"; exit 1; }
rc=0
for f in build-fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  echo "== $f"
  "$f" -max_total_time="${FBX_FUZZ_SECONDS:-10}" -rss_limit_mb=1024 \
      -artifact_prefix=/tmp/ >"$LOGS/run.log" 2>&1
  st=$?
  tail -n 3 "$LOGS/run.log"
  if [ $st -ne 0 ]; then
    tail -n 40 "$LOGS/run.log"
    echo "FAIL: $f found a problem (artifact in /tmp/)"; rc=1
  fi
done
exit $rc
