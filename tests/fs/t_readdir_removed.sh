#!/usr/bin/env bash
# A directory listing read in pieces while names are removed: under
# readdirplus each name is looked up as it is sent, and one removed
# since opendir is left out rather than listed with a d_ino that
# stat(2) never showed (xfstests generic/637). memfs, -o readdirplus=yes
# (so every piece is readdirplus), getdents64 with a 200-byte buffer.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
MEMFS=$BUILD/examples/memfs
[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
[ -x "$MEMFS" ] || { echo "missing $MEMFS (run make)"; exit 1; }
MNT=$TMP/mnt; mkdir -p "$MNT"
start_fs "$TMP/log" "$MEMFS" -f -o readdirplus=yes "$MNT"
wait_mounted "$MNT" "$PID" || { cat "$TMP/log"; echo "FAIL  not mounted"; exit 1; }
mkdir "$MNT/d"
for n in $(seq 100); do : > "$MNT/d/$n"; done
out=$(/usr/bin/python3 - "$MNT/d" <<'PY'
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
d = sys.argv[1]
inos = {n: os.stat(os.path.join(d, n)).st_ino for n in ("50", "90")}
fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
buf = ctypes.create_string_buffer(200)
seen, bad, first = [], [], True
while True:
    n = libc.syscall(217, fd, buf, 200)   # getdents64
    if n < 0:
        sys.exit("getdents64: " + os.strerror(ctypes.get_errno()))
    if n == 0:
        break
    pos = 0
    while pos < n:
        ino, off, reclen, typ = struct.unpack_from("QqHB", buf.raw, pos)
        name = buf.raw[pos + 19:pos + reclen].split(b"\0")[0].decode()
        seen.append(name)
        if name in inos and ino != inos[name]:
            bad.append("%s:%d" % (name, ino))
        pos += reclen
    if first:
        first = False
        os.unlink(os.path.join(d, "50"))
        os.unlink(os.path.join(d, "90"))
print("listed_removed=%s bad_ino=%s count=%d" % (
    ",".join(x for x in ("50", "90") if x in seen) or "none",
    ",".join(bad) or "none", len([x for x in seen if x not in (".", "..")])))
PY
)
check "names removed while listing: left out, no stray d_ino" \
	"listed_removed=none bad_ino=none count=98" "$out"
umount "$MNT"
wait_exit "$PID" 50 >/dev/null
finish
