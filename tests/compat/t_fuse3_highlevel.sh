#!/usr/bin/env bash
# libfuse 3.14's own high-level examples (Debian source package fuse3,
# fetched at test time into build/fuse3-src, never committed), built
# unchanged against our headers and $BUILD/compat/libfuse3.so.3, mounted
# and used:
#   hello            ls, cat, stat; and under -o modules=subdir,subdir=/
#   passthrough      every name and attribute call through the mount,
#   passthrough_fh   the results checked on the backing directory; a
#                    hard link is one inode; a file unlinked while open
#                    stays usable through its descriptor
#   passthrough + -o modules=subdir,subdir=DIR: DIR becomes the root
#   passthrough + -o modules=iconv: Latin-1 names below, UTF-8 above
#   invalidate_path  (FUSE_USE_VERSION 34: fuse_loop_mt@FUSE_3.2) caches
#                    attributes forever and calls fuse_invalidate_path
#                    each second: a stat must see the file grow
# ldd must show the binaries bound to our library. Under a SAN build the
# examples are linked with the sanitizer runtime the library needs.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v cc >/dev/null || skip "no C compiler"
LIB=$FBX_ROOT/$BUILD/compat/libfuse3.so.3
[ -f "$LIB" ] || { echo "missing $LIB (run make)"; exit 1; }

# One cached copy for every build directory (build/ is never committed).
SRC=$FBX_ROOT/build/fuse3-src
out=$(bash "$FBX_ROOT/tests/compat/fetch_src.sh" fuse3 "$SRC" 2>&1)
case $? in
0) ;;
77) echo "$out"; skip "no fuse3 source package (no network?)";;
*) echo "$out"; echo "fetching the fuse3 source failed"; exit 1;;
esac
EX=$SRC/src/example

SANFLAGS=
[ "${FBX_SAN:-0}" = 1 ] && SANFLAGS="-fsanitize=address,undefined"
# The examples' configure-time switches, as Debian's build of 3.14 sets
# them on this system (glibc has all of these; ulockmgr it has not).
HAVE="-DHAVE_SETXATTR -DHAVE_UTIMENSAT -DHAVE_POSIX_FALLOCATE -DHAVE_COPY_FILE_RANGE
      -DHAVE_FSTATAT -DHAVE_FDATASYNC"
build() {   # build NAME: $TMP/bin/NAME from example/NAME.c
	mkdir -p "$TMP/bin"
	# shellcheck disable=SC2086
	cc -O1 -g -w $SANFLAGS -D_FILE_OFFSET_BITS=64 $HAVE -I"$FBX_ROOT/include/compat/fuse3" \
		-o "$TMP/bin/$1" "$EX/$1.c" -L"$FBX_ROOT/$BUILD/compat" -lfuse3 -pthread \
		-Wl,-rpath,"$FBX_ROOT/$BUILD/compat" || { echo "cannot build example/$1.c"; exit 1; }
	local bound
	bound=$(ldd "$TMP/bin/$1" | awk '$1 == "libfuse3.so.3" {print $3}')
	check "ldd $1: libfuse3.so.3 is ours" "$(readlink -f "$LIB")" "$(readlink -f "$bound")"
}
for p in hello passthrough passthrough_fh invalidate_path; do build $p; done

MNT=$TMP/mnt
mkdir -p "$MNT"
# mount LOG PROGRAM ARGS...: run it in the foreground mode in the background
mount_fs() {
	local log=$1; shift
	start_fs "$log" "$@" -f "$MNT"
	wait_mounted "$MNT" "$PID" || { cat "$log"; echo "$1 did not mount"; exit 1; }
}
# unmount_fs NAME: umount, and the program must exit 0 by itself
unmount_fs() {
	umount "$MNT"
	local rc=0
	wait_exit "$PID" || rc=$?
	check "$1 exits 0 after umount" 0 "$rc"
	wait_unmounted "$MNT" || { echo "$MNT still mounted"; exit 1; }
}

# ---- hello -----------------------------------------------------------------
mount_fs "$TMP/hello.log" "$TMP/bin/hello"
check "hello: ls" "hello" "$(ls "$MNT")"
check "hello: cat" "Hello World!" "$(cat "$MNT/hello")"
check "hello: stat" "regular file 444 13" "$(stat -c '%F %a %s' "$MNT/hello")"
check "hello: no other name" "ENOENT" "$(errno_of stat "$MNT/nothing")"
check "hello: read-only" "EACCES" "$(errno_of write "$MNT/hello")"
unmount_fs hello

mount_fs "$TMP/hello_sd.log" "$TMP/bin/hello" -o modules=subdir,subdir=/
check "hello+subdir=/: ls" "hello" "$(ls "$MNT")"
check "hello+subdir=/: cat" "Hello World!" "$(cat "$MNT/hello")"
unmount_fs "hello+subdir"

# fuse_parse_cmdline gives the program's name as subtype unless fsname=
# or subtype= is given
mount_fs "$TMP/hello_fsname.log" "$TMP/bin/hello" -o fsname=named
check "hello -o fsname=: type fuse, no subtype" "named fuse" \
	"$(awk -v m="$MNT" '$2 == m {print $1, $3}' /proc/mounts)"
unmount_fs "hello -o fsname="
mount_fs "$TMP/hello_sub.log" "$TMP/bin/hello"
check "hello: subtype from the program's name" "fuse.hello" "$(awk -v m="$MNT" '$2 == m {print $3}' /proc/mounts)"
unmount_fs "hello (subtype)"

# libfuse 3 mounts on top of whatever is mounted there (it has no
# nonempty check), and so does our libfuse3.so.3
mount -t tmpfs fbx-under "$MNT" && touch "$MNT/under"
mount_fs "$TMP/hello_top.log" "$TMP/bin/hello"
check "hello over a tmpfs mount: on top" "hello" "$(ls "$MNT")"
unmount_fs "hello over a tmpfs mount"
check "hello over a tmpfs mount: the tmpfs is back" "under" "$(ls "$MNT")"
umount "$MNT"

out=$("$TMP/bin/hello" -o modules=subdir -f "$MNT" 2>&1); rc=$?
check "subdir without subdir=: fails" 1 "$((rc != 0))"
check_contains "subdir without subdir=: says why" "subdir" "$out"
out=$("$TMP/bin/hello" -o modules=nosuchmodule -f "$MNT" 2>&1); rc=$?
check "unknown module: fails" 1 "$((rc != 0))"
check_contains "unknown module: named" "nosuchmodule" "$out"
out=$("$TMP/bin/hello" -o no_such_option -f "$MNT" 2>&1); rc=$?
check "unknown -o option: fails" 1 "$((rc != 0))"
check_contains "unknown -o option: named" "no_such_option" "$out"
check "nothing left mounted after the failures" 1 "$(is_fuse_mounted "$MNT"; echo $?)"
out=$("$TMP/bin/hello" --help 2>&1)
check_contains "hello --help lists the library's options" "hard_remove" "$out"

# ---- passthrough, passthrough_fh ---------------------------------------------
# exercise NAME VIEW BACK: VIEW shows the directory BACK through the mount
exercise() {
	local n=$1 v=$2 b=$3
	echo "data one" >"$v/f"
	check "$n: write then read back" "data one" "$(cat "$v/f")"
	check "$n: backing file written" "data one" "$(cat "$b/f")"
	printf 'x%.0s' $(seq 70000) >"$v/big"
	check "$n: large write" 70000 "$(stat -c %s "$b/big")"
	check "$n: large read" "$(md5sum <"$b/big")" "$(md5sum <"$v/big")"
	mkdir "$v/d"
	check "$n: mkdir" directory "$(stat -c %F "$b/d")"
	mv "$v/f" "$v/d/g"
	check "$n: rename" "data one|absent" "$(cat "$b/d/g")|$( [ -e "$b/f" ] && echo present || echo absent)"
	ln "$v/d/g" "$v/h"
	check "$n: hard link: same st_ino on both names" "$(stat -c %i "$v/d/g")" "$(stat -c %i "$v/h")"
	check "$n: hard link: nlink 2" 2 "$(stat -c %h "$v/h")"
	check "$n: hard link: backing inode shared" "$(stat -c %i "$b/d/g")" "$(stat -c %i "$b/h")"
	ln -s d/g "$v/s"
	check "$n: symlink" "d/g" "$(readlink "$v/s")"
	check "$n: read through symlink" "data one" "$(cat "$v/s")"
	chmod 640 "$v/h"
	check "$n: chmod" 640 "$(stat -c %a "$b/d/g")"
	truncate -s 4 "$v/h"
	check "$n: truncate" "data" "$(cat "$b/d/g")"
	touch -d @1000000000 "$v/h"
	check "$n: utimens" 1000000000 "$(stat -c %Y "$b/d/g")"
	check "$n: utimens seen through the mount" 1000000000 "$(stat -c %Y "$v/d/g")"
	check "$n: ls" "big d h s" "$(ls "$v" | tr '\n' ' ' | sed 's/ $//')"
	rm "$v/h"
	check "$n: unlink one name" "1|data" "$(stat -c %h "$v/d/g")|$(cat "$v/d/g")"
	check "$n: rmdir of a full dir" ENOTEMPTY "$(errno_of rmdir "$v/d")"
	rm "$v/d/g" "$v/s" "$v/big"
	rmdir "$v/d"
	check "$n: all gone" "" "$(ls -A "$b")"
	# A file unlinked while open stays readable and writable through
	# its descriptor, and its name is gone at once.
	check "$n: unlinked while open" "hello world|gone|" "$(python3 - "$v/u" <<'EOF'
import os, sys
p = sys.argv[1]
fd = os.open(p, os.O_CREAT | os.O_RDWR, 0o644)
os.write(fd, b"hello")
os.unlink(p)
os.write(fd, b" world")
os.lseek(fd, 0, 0)
data = os.read(fd, 100).decode()
gone = "present" if os.path.exists(p) else "gone"
os.close(fd)
print(data + "|" + gone + "|" + " ".join(n for n in os.listdir(os.path.dirname(p)) if not n.startswith(".fbx_hidden")))
EOF
)"
	check "$n: nothing hidden left after close" "" "$(ls -A "$b")"
}

BACK=$TMP/back
mkdir -p "$BACK"
for prog in passthrough passthrough_fh; do
	mount_fs "$TMP/$prog.log" "$TMP/bin/$prog"
	exercise "$prog" "$MNT$BACK" "$BACK"
	unmount_fs "$prog"
done

# File handles (NFS): with -o noforget a handle still opens its file after
# the kernel forgot the node; without it the node goes with the FORGET.
echo "by handle" >"$BACK/h"
mount_fs "$TMP/pt_nf.log" "$TMP/bin/passthrough" -o noforget
check "passthrough -o noforget: a handle opens its file after the kernel forgot it" "by handle" \
	"$(python3 tests/lib/handle_reopen.py "$MNT" "$MNT$BACK/h")"
unmount_fs "passthrough -o noforget"
mount_fs "$TMP/pt_nonf.log" "$TMP/bin/passthrough"
check "passthrough without noforget: the forgotten node's handle is stale" ESTALE \
	"$(python3 tests/lib/handle_reopen.py "$MNT" "$MNT$BACK/h")"
unmount_fs "passthrough (handles)"
rm -f "$BACK/h"

# subdir over passthrough: the backing directory becomes the root.
echo inside >"$BACK/file"
mount_fs "$TMP/pt_sd.log" "$TMP/bin/passthrough" -o "modules=subdir,subdir=$BACK"
check "passthrough+subdir: root is the subdir" "file" "$(ls "$MNT")"
check "passthrough+subdir: read" "inside" "$(cat "$MNT/file")"
echo more >"$MNT/new"
check "passthrough+subdir: create lands in the subdir" "more" "$(cat "$BACK/new")"
unmount_fs "passthrough+subdir"
rm -f "$BACK/file" "$BACK/new"

# iconv over passthrough: names stored in Latin-1 are shown in UTF-8.
printf 'latin' >"$BACK/$(printf 'caf\351')"
mount_fs "$TMP/pt_ic.log" "$TMP/bin/passthrough" -o modules=iconv,from_code=ISO-8859-1,to_code=UTF-8
check "passthrough+iconv: the Latin-1 name is shown in UTF-8" "café" "$(ls "$MNT$BACK")"
check "passthrough+iconv: opened by its UTF-8 name" "latin" "$(cat "$MNT$BACK/café")"
echo new >"$MNT$BACK/né"
check "passthrough+iconv: a new name is stored in Latin-1" "new" "$(cat "$BACK/$(printf 'n\351')")"
ln -s "café" "$MNT$BACK/lnk"
check "passthrough+iconv: symlink target stored in Latin-1" "$(printf 'caf\351')" "$(readlink "$BACK/lnk")"
check "passthrough+iconv: and shown in UTF-8" "café" "$(readlink "$MNT$BACK/lnk")"
unmount_fs "passthrough+iconv"
rm -f "$BACK"/*
out=$("$TMP/bin/hello" -o modules=iconv,from_code=NO-SUCH-CHARSET -f "$MNT" 2>&1); rc=$?
check "iconv with an unknown charset: fails" 1 "$((rc != 0))"
check_contains "iconv with an unknown charset: named" "NO-SUCH-CHARSET" "$out"

# ---- invalidate_path ------------------------------------------------------------
mount_fs "$TMP/inval.log" "$TMP/bin/invalidate_path" --update-interval=1
s1=$(stat -c %s "$MNT/growing")
check "invalidate_path: current_time" "The current time is" "$(cut -c1-19 "$MNT/current_time")"
grown=no
for _ in $(seq 100); do   # the program grows the file once a second
	[ "$(stat -c %s "$MNT/growing")" -gt "$s1" ] && { grown=yes; break; }
	sleep 0.1
done
check "invalidate_path: the cached size is invalidated" yes "$grown"
check "invalidate_path: the program is alive (its asserts held)" yes \
	"$(kill -0 "$PID" 2>/dev/null && echo yes || echo no)"
unmount_fs invalidate_path

finish
