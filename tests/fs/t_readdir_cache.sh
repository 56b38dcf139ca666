#!/usr/bin/env bash
# examples/passthrough keeps directory listings in the kernel (on by
# default, -o no_readdir_cache turns it off), and a cached listing is
# never staler than attr_timeout:
#  - a second listing sends no READDIR (counted in the -d request log);
#  - names made or removed through the mount show at once;
#  - names made or removed behind the mount, in SOURCEDIR, show once
#    attr_timeout has passed (the kernel then sees the new mtime);
#  - with -o no_readdir_cache every listing is a READDIR again.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
PT=$BUILD/examples/passthrough
[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
[ -x "$PT" ] || { echo "missing $PT (run make)"; exit 1; }

SRC=$TMP/src; MNT=$TMP/mnt
mkdir -p "$SRC/d" "$MNT"
for i in $(seq 50); do : > "$SRC/d/f$i"; done
readdirs() { grep -c "opcode: READDIR" "$TMP/log" || true; }
names() { ls "$MNT/d" | sort | tr '\n' ' '; }
want() { ls "$SRC/d" | sort | tr '\n' ' '; }

run_mode() {   # run_mode LABEL CACHED(1|0) [options]
	local label=$1 cached=$2 before n
	shift 2
	start_fs "$TMP/log" "$PT" -f -d -o attr_timeout=0.5,entry_timeout=0.5 "$@" "$SRC" "$MNT"
	wait_mounted "$MNT" "$PID" || { cat "$TMP/log"; echo "FAIL  [$label] not mounted"; exit 1; }

	check "[$label] first listing" "$(want)" "$(names)"
	before=$(readdirs)
	names >/dev/null
	n=$(( $(readdirs) - before ))
	if [ "$cached" = 1 ]; then check "[$label] second listing from the kernel's cache" 0 "$n"
	else check "[$label] second listing asks the daemon" 1 "$(( n >= 1 ))"; fi

	: > "$MNT/d/new-through-mount"
	rm "$MNT/d/f1"
	check "[$label] changes through the mount show at once" "$(want)" "$(names)"

	: > "$SRC/d/new-behind"
	rm "$SRC/d/f2"
	sleep 0.7   # > attr_timeout
	check "[$label] changes behind the mount show after attr_timeout" "$(want)" "$(names)"

	umount "$MNT"
	wait_exit "$PID" 50 >/dev/null
	rm -f "$SRC/d/new-through-mount" "$SRC/d/new-behind"
	: > "$SRC/d/f1"; : > "$SRC/d/f2"
}

run_mode default 1
run_mode no_readdir_cache 0 -o no_readdir_cache
finish
