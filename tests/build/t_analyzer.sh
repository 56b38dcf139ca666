#!/usr/bin/env bash
# gcc -fanalyzer over every lib/ source, compiled as the library is
# (same defines, liburing paths included when liburing is installed).
# Every finding must be listed, with the reason it is not a bug, in
# tests/build/analyzer-known.txt (matched by file, function and warning,
# not by line); anything else fails, and so does a listed finding that
# no longer appears (the list stays true).
set -u
# It checks sources (fuzz: its own clang build), not this build: run once.
[ "${FBX_SAN:-0}" = 1 ] && { echo "skip: runs in the normal build only (it does not use the build)"; exit 77; }
cd "${FBX_ROOT:-$(dirname "$0")/../..}" || exit 1
command -v gcc >/dev/null || { echo "no gcc"; exit 77; }
echo 'int x;' | gcc -fanalyzer -x c -c - -o /dev/null 2>/dev/null ||
	{ echo "this gcc has no -fanalyzer"; exit 77; }
T=$(mktemp -d /tmp/fbx-analyzer.XXXXXX)
trap 'rm -rf "$T"' EXIT

defs=(-Iinclude -Ilib -D_GNU_SOURCE -DFBX_VERSION='"analyze"')
pkg-config --exists liburing 2>/dev/null && defs+=(-DFBX_HAVE_LIBURING=1)
for f in lib/*/*.c; do
	gcc "${defs[@]}" -std=c11 -O0 -pthread -fanalyzer -fdiagnostics-path-format=none \
		-fno-diagnostics-show-caret -c "$f" -o /dev/null 2>&1
done >"$T/out"
# "FILE: In function 'NAME':" then "FILE:L:C: warning: ... [-Wanalyzer-X]"
awk '
	/: In function / { fn = $0; sub(/.*In function [^[:alnum:]_]*/, "", fn); sub(/[^[:alnum:]_].*/, "", fn) }
	/: warning: .*\[-Wanalyzer-/ {
		file = $0; sub(/:.*/, "", file)
		opt = $0; sub(/.*\[-Wanalyzer-/, "-Wanalyzer-", opt); sub(/\].*/, "", opt)
		print file, fn, opt
	}' "$T/out" | sort -u >"$T/found"
grep -v '^#' tests/build/analyzer-known.txt | awk 'NF { print $1, $2, $3 }' | sort -u >"$T/known"
comm -23 "$T/found" "$T/known" >"$T/new"
comm -13 "$T/found" "$T/known" >"$T/gone"
rc=0
if [ -s "$T/new" ]; then
	echo "new -fanalyzer findings (fix them, or judge and list them in analyzer-known.txt):"
	sed 's/^/  /' "$T/new"
	grep -F -f <(awk '{print $1}' "$T/new") "$T/out" | grep 'warning:' | sed 's/^/    /'
	rc=1
fi
if [ -s "$T/gone" ]; then
	echo "listed in analyzer-known.txt but no longer found (remove them):"
	sed 's/^/  /' "$T/gone"
	rc=1
fi
echo "$(ls lib/*/*.c | wc -l) files, $(wc -l <"$T/found") findings, all judged: $([ $rc = 0 ] && echo yes || echo no)"
exit $rc
