#!/usr/bin/env bash
# fetch_src.sh PACKAGE DESTDIR: Debian 12's source package PACKAGE unpacked
# into DESTDIR/src (once: a later call finds it there). apt-get source runs
# with a private configuration in a temporary directory holding one
# deb-src line for bookworm on the mirror the machine's own sources use,
# so the system's apt state is left alone.
# Exit 0 with the tree in place, 77 when it cannot be fetched (no
# network, no mirror), 1 on other errors.
set -u
pkg=$1 dest=$2
if [ -f "$dest/src/.fetched" ]; then exit 0; fi
command -v apt-get >/dev/null || { echo "no apt-get"; exit 77; }
command -v dpkg-source >/dev/null || { echo "no dpkg-source (apt-get install dpkg-dev)"; exit 77; }

mirror=$(grep -rhE '^[[:space:]]*(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
	grep -oE 'https?://[^ ]*debian[^ ]*' | grep -v security | head -n1)
mirror=${mirror:-http://deb.debian.org/debian}
tmp=$(mktemp -d /tmp/fbx-apt.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/get"
echo "deb-src [trusted=yes] $mirror bookworm main" >"$tmp/sources.list"
apt_opts=(-o Dir::Etc::SourceList="$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$tmp/lists" -o Dir::Cache="$tmp/cache"
	-o APT::Sandbox::User=root -o Acquire::Retries=0 -o Acquire::http::Timeout=20)
if ! apt-get "${apt_opts[@]}" update >"$tmp/log" 2>&1 ||
   grep -qE '^(Err|W: Failed)' "$tmp/log"; then
	tail -n3 "$tmp/log"
	echo "cannot reach $mirror for the $pkg source (no network?)"
	exit 77
fi
if ! (cd "$tmp/get" && apt-get "${apt_opts[@]}" source "$pkg" >"$tmp/log" 2>&1); then
	tail -n5 "$tmp/log"
	echo "apt-get source $pkg failed"
	exit 77
fi
dir=$(find "$tmp/get" -mindepth 1 -maxdepth 1 -type d | head -n1)
[ -n "$dir" ] || { echo "apt-get source $pkg unpacked nothing"; exit 1; }
rm -rf "$dest/src"
mkdir -p "$dest"
mv "$dir" "$dest/src"
touch "$dest/src/.fetched"
