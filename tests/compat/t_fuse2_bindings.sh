#!/usr/bin/env bash
# Debian's language bindings of libfuse 2, unchanged, on our libfuse.so.2
# (LD_LIBRARY_PATH, as fusebox-run -f does for an interpreter), and the
# same checks on Debian's libfuse.so.2 for comparison (reported, not
# judged):
#   libfuse-perl   its loopback.pl example: data read back through its
#                  read_buf, which returns the byte count (libfuse takes
#                  any count >= 0 as success)
#   python3-fuse   its xmp.py example under -o umask=077: permissions
#                  0777 & ~077, libfuse's meaning of umask
#   python3-fusepy a small filesystem written here: mknod of a regular
#                  file is made by its create (fusepy's default mknod
#                  refuses with EROFS, as libfuse never calls it then);
#                  mkdir gets the permission bits alone, as from libfuse
#   python3-llfuse close(unmount=False) leaves the mount in place: once
#                  the process is gone it answers ENOTCONN, as llfuse
#                  documents, until it is unmounted
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
[ "${FBX_SAN:-0}" = 1 ] && skip "interpreters run in the normal build only"
PY=/usr/bin/python3
PERLEX=/usr/share/doc/libfuse-perl/examples/loopback.pl
XMP=/usr/share/doc/python3-fuse/examples/example/xmp.py
[ -f "$PERLEX" ] || skip "no $PERLEX (apt-get install libfuse-perl)"
[ -f "$XMP" ] || skip "no $XMP (apt-get install python3-fuse)"
"$PY" -c 'import fusepy, llfuse' 2>/dev/null || skip "no fusepy/llfuse (apt-get install python3-fusepy python3-llfuse)"
OURDIR=$FBX_ROOT/$BUILD/compat
LIB=$OURDIR/libfuse.so.2
[ -f "$LIB" ] || { echo "missing $LIB (run make)"; exit 1; }
DEBLIB=/lib/x86_64-linux-gnu/libfuse.so.2

MNT=$TMP/mnt SRC=$TMP/src
mkdir -p "$MNT" "$SRC"
# The example says `use blib` (for its source tree): run a copy without it.
sed '/^use blib;/d' "$PERLEX" >"$TMP/loopback.pl"

# The small fusepy filesystem: one directory level in memory; mkdir keeps
# the mode it was given, readable as the file /modes.
cat >"$TMP/memfs.py" <<'EOF'
import errno, stat, sys, time
import fusepy as F
class Mem(F.Operations):
    def __init__(self):
        now = time.time()
        self.files = {'/': dict(st_mode=stat.S_IFDIR | 0o755, st_nlink=2,
                                st_ctime=now, st_mtime=now, st_atime=now)}
        self.data = {}
        self.modes = []
    def getattr(self, path, fh=None):
        if path == '/modes':
            return dict(st_mode=stat.S_IFREG | 0o444, st_nlink=1, st_size=len(self.text()))
        if path not in self.files:
            raise F.FuseOSError(errno.ENOENT)
        return self.files[path]
    def text(self):
        return ''.join('%o\n' % m for m in self.modes).encode()
    def readdir(self, path, fh):
        return ['.', '..', 'modes'] + [p[1:] for p in self.files if p != '/']
    def create(self, path, mode, fi=None):
        self.files[path] = dict(st_mode=stat.S_IFREG | (mode & 0o7777), st_nlink=1, st_size=0)
        self.data[path] = b''
        return 0
    # mknod: fusepy's default (EROFS)
    def mkdir(self, path, mode):
        self.modes.append(mode)
        self.files[path] = dict(st_mode=stat.S_IFDIR | (mode & 0o7777), st_nlink=2)
    def open(self, path, flags):
        return 0
    def read(self, path, size, offset, fh):
        d = self.text() if path == '/modes' else self.data[path]
        return d[offset:offset + size]
F.FUSE(Mem(), sys.argv[1], foreground=True)
EOF

# llfuse: the main loop ends on a handler's exception, then
# close(unmount=False).
cat >"$TMP/ll_keep.py" <<'EOF'
import errno, sys, llfuse
class Ops(llfuse.Operations):
    def getattr(self, inode, ctx=None):
        if inode != llfuse.ROOT_INODE:
            raise llfuse.FUSEError(errno.ENOENT)
        e = llfuse.EntryAttributes()
        e.st_mode = 0o40755; e.st_nlink = 2; e.st_ino = 1
        return e
    def lookup(self, parent, name, ctx=None):
        raise RuntimeError('the filesystem fails here')
llfuse.init(Ops(), sys.argv[1], ['fsname=llkeep'])
try:
    llfuse.main(workers=1)
except RuntimeError:
    llfuse.close(unmount=False)
    print('closed', flush=True)
EOF

# runs_on LIBDIR: the daemon $PID mapped that library
runs_on() {
	local want=${1:-$DEBLIB}
	grep -qF "$(readlink -f "$want")" "/proc/$PID/maps" 2>/dev/null && echo yes
}

suite() {
	local dir=$1 who=$2 rc
	local RUN=(env LD_LIBRARY_PATH="$dir")

	# ---- Perl: loopback.pl serves /tmp/fusetest-$LOGNAME ----
	local name=fbx$$ pidf=$TMP/perl.pid
	local back=/tmp/fusetest-$name
	rm -rf "$back"; mkdir "$back"
	echo frog >"$back/f"
	env LD_LIBRARY_PATH="$dir" LOGNAME=$name perl "$TMP/loopback.pl" "$MNT" --pidfile "$pidf" \
		--logfile "$TMP/perl.log"
	for _ in $(seq 100); do is_fuse_mounted "$MNT" && break; sleep 0.05; done
	PID=$(cat "$pidf" 2>/dev/null)
	PIDS="$PIDS $PID"
	if is_fuse_mounted "$MNT" && [ -n "$PID" ]; then
		check "$who: perl: runs on $who's library" yes "$(runs_on "$dir${dir:+/libfuse.so.2}")"
		check "$who: perl: read_buf's data read back" frog "$(cat "$MNT/f")"
		echo toad >"$MNT/g"
		check "$who: perl: a write lands below" toad "$(cat "$back/g")"
		umount "$MNT"; wait_gone "$PID"
	else
		echo "FAIL  $who: loopback.pl did not mount"; sed 's/^/      /' "$TMP/perl.log" 2>/dev/null
		fails=$((fails + 1))
	fi
	rm -rf "$back"

	# ---- python-fuse: xmp.py -o umask=077 ----
	rm -rf "${SRC:?}"/*
	echo x >"$SRC/f"; chmod 644 "$SRC/f"
	start_fs "$TMP/xmp.log" "${RUN[@]}" "$PY" "$XMP" -f -o "root=$SRC,umask=077" "$MNT"
	if wait_mounted "$MNT" "$PID"; then
		check "$who: python-fuse: runs on $who's library" yes "$(runs_on "$dir${dir:+/libfuse.so.2}")"
		check "$who: python-fuse: umask=077 gives 700" 700 "$(stat -c %a "$MNT/f")"
		umount "$MNT"; wait_exit "$PID"
	else
		echo "FAIL  $who: xmp.py did not mount"; sed 's/^/      /' "$TMP/xmp.log"; fails=$((fails + 1))
	fi

	# ---- fusepy ----
	start_fs "$TMP/fusepy.log" "${RUN[@]}" "$PY" "$TMP/memfs.py" "$MNT"
	if wait_mounted "$MNT" "$PID"; then
		check "$who: fusepy: runs on $who's library" yes "$(runs_on "$dir${dir:+/libfuse.so.2}")"
		"$PY" -c 'import os, stat, sys; os.mknod(sys.argv[1], stat.S_IFREG | 0o640)' "$MNT/node" \
			>"$TMP/mknod.err" 2>&1
		check "$who: fusepy: mknod of a regular file goes to create" "ok 640" \
			"$([ $? = 0 ] && echo ok || cat "$TMP/mknod.err") $(stat -c %a "$MNT/node" 2>&1)"
		mkdir -m 750 "$MNT/d"
		check "$who: fusepy: mkdir gets the permission bits alone" 750 "$(cat "$MNT/modes")"
		umount "$MNT"; wait_exit "$PID"
	else
		echo "FAIL  $who: the fusepy filesystem did not mount"; sed 's/^/      /' "$TMP/fusepy.log"
		fails=$((fails + 1))
	fi

	# ---- llfuse: close(unmount=False) ----
	start_fs "$TMP/ll.log" "${RUN[@]}" "$PY" "$TMP/ll_keep.py" "$MNT"
	if wait_mounted "$MNT" "$PID"; then
		check "$who: llfuse: runs on $who's library" yes "$(runs_on "$dir${dir:+/libfuse.so.2}")"
		stat "$MNT/x" >/dev/null 2>&1   # its lookup raises: the loop ends
		wait_exit "$PID"
		check "$who: llfuse: close(unmount=False) returned" closed "$(cat "$TMP/ll.log" | grep -x closed)"
		check "$who: llfuse: the mount stays, dead" "ENOTCONN" "$(errno_of stat "$MNT")"
		umount "$MNT" 2>/dev/null || umount -l "$MNT"
		check "$who: llfuse: and is unmounted by hand" no "$(is_fuse_mounted "$MNT" && echo yes || echo no)"
	else
		echo "FAIL  $who: the llfuse filesystem did not mount"; sed 's/^/      /' "$TMP/ll.log"
		fails=$((fails + 1))
	fi
}

suite "$OURDIR" fusebox
ours=$fails
if [ -f "$DEBLIB" ]; then
	fails=0
	suite "" debian 2>&1 | sed 's/^ok    /info  ok    /; s/^FAIL  /info  FAIL  /'
	echo "info  the same checks on Debian's libfuse.so.2 are above (info lines)"
fi
fails=$ours
[ $fails -eq 0 ]
