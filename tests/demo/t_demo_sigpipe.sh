#!/usr/bin/env bash
# `make demo 2>&1 | tee log`, then Ctrl-C: the reader dies with the
# rest of the terminal's process group and the demo's cleanup must
# still unmount the ext4 and the filesystem, detach the block device,
# end memfs and busexmp, and leave no log file behind. Here the reader
# quits on its own once the demo is up (so the demo's next write meets
# a closed pipe), then SIGINT goes to the whole group, as a terminal
# sends it (with SIGINT at its default, as under a terminal: a
# background job of a script starts with it ignored).
set -u
cd "$FBX_ROOT" || exit 1
[ "$(id -u)" = 0 ] || { echo "skip: needs root (the demo mounts and attaches)"; exit 77; }
[ -e /dev/fuse ] && [ -e /dev/loop-control ] || { echo "skip: needs /dev/fuse and loop"; exit 77; }
T=$(mktemp -d /tmp/fbx-test.XXXXXX)
D=$T/demo
pgid=
cleanup() {
  [ -n "$pgid" ] && kill -KILL -- "-$pgid" 2>/dev/null
  for m in $(awk -v d="$T" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m"; done
  rm -rf "$T"
}
trap cleanup EXIT

# The reader: keeps what it read, quits after the "try:" line.
cat > "$T/reader" <<'R'
#!/usr/bin/env bash
while IFS= read -r l; do
  printf '%s\n' "$l" >> "$1"
  case $l in try:*) exit 0;; esac
done
R
chmod +x "$T/reader"
setsid env --default-signal=INT,PIPE bash -c 'FBX_DEMO_DIR="$1" FBX_DEMO_SECONDS=100000 BUILD="$2" tools/demo.sh 2>&1 | "$3/reader" "$3/out"' \
  demo "$D" "$BUILD" "$T" &
pgid=$!
# The demo is up when the reader has seen "try:" and gone.
until grep -q '^try:' "$T/out" 2>/dev/null; do
  kill -0 "$pgid" 2>/dev/null || break
  sleep 0.1
done
while pgrep -g "$pgid" -f "$T/reader" >/dev/null; do sleep 0.1; done
cat "$T/out"
grep -q '^block device: .* attached as /dev/' "$T/out" || { echo "FAIL: the demo did not attach its block device"; exit 1; }
dev=$(grep -o 'attached as /dev/[a-z]*[0-9]*' "$T/out" | cut -d' ' -f3)
back=$(losetup -n -O BACK-FILE "$dev" 2>/dev/null)
kill -INT -- "-$pgid"
wait "$pgid"
# Whatever the group left running, after the pipeline's shell is gone
# (a zombie is not running: a sanitizer's helper task can linger as
# one for a moment until init reaps it).
left=$(ps -o pid=,stat=,args= -g "$pgid" | awk '$2 !~ /^Z/')
pgid_was=$pgid; pgid=
fail=0
[ -z "$left" ] || { echo "FAIL: still running after SIGINT: $left"; kill -KILL -- "-$pgid_was"; fail=1; }
mounts=$(awk -v d="$T" 'index($2, d) == 1 {print $1, $2, $3}' /proc/mounts)
[ -z "$mounts" ] || { echo "FAIL: still mounted: $mounts"; fail=1; }
if [ -n "$back" ] && [ "$(losetup -n -O BACK-FILE "$dev" 2>/dev/null)" = "$back" ]; then
  echo "FAIL: $dev still attached to $back"; fail=1
fi
ls -d "$D"* 2>/dev/null && { echo "FAIL: the demo left files behind"; fail=1; }
[ $fail = 0 ] && echo "demo cleaned up after SIGINT with its reader gone"
exit $fail
