#!/usr/bin/env bash
# Error paths of a mounted filesystem and of the command line:
#  - read-only mounts (-r, -o ro): every modifying call fails EROFS, on
#    memfs and on passthrough over a populated directory, while reads
#    keep working; compared with a native read-only tmpfs;
#  - ENAMETOOLONG for a 256-byte name;
#  - option errors (unknown, malformed, conflicting, bad mount point):
#    non-zero exit, a message naming the option, and nothing mounted;
#  - -h lists every option of options.h; -V prints the version.
. "$(dirname "$0")/../lib/fbx.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
MEMFS=$BUILD/examples/memfs
PT=$BUILD/examples/passthrough
for p in "$MEMFS" "$PT"; do [ -x "$p" ] || skip "$p not built"; done
VERSION=$(sed -n 's/^VERSION *:= *//p' Makefile)

MNT=$TMP/mnt
mkdir "$MNT"

# ---- read-only ---------------------------------------------------------
# A native reference: a tmpfs with a file, a dir and a symlink, remounted ro.
populate() {
	mkdir "$1/dir"; echo data >"$1/file"; ln -s file "$1/link"; : >"$1/dir/inner"
	setfattr -n user.t -v v "$1/file" 2>/dev/null || true
}
REF=$TMP/ref; SRC=$TMP/src
mkdir "$REF" "$SRC"
mount -t tmpfs -o size=16m fbx-test-ro "$REF" || { echo "FAIL cannot mount tmpfs"; exit 1; }
populate "$REF"
populate "$SRC"
mount -o remount,ro "$REF"

ro_ops() {   # DIR -> one line per operation: "op:path=ERRNO"
	local d=$1
	for spec in "create new" "write file" "append file" "truncate file" "mkdir newdir" \
	            "rmdir dir" "unlink file" "unlink dir/inner" "chmod file" "chown file" \
	            "utime file" "rename file:moved" "link file:hard" "symlink sym" \
	            "mknod fifo" "setxattr file" "removexattr file" "chmod dir" \
	            "read file" "stat link" "listdir dir" "unlink missing" "mkdir dir"; do
		set -- $spec
		local path=${2%%:*} arg=
		case $2 in *:*) arg=$d/${2#*:};; esac
		echo "$1:$path $1 $d/$path $arg"
	done | errnos
}
want=$(ro_ops "$REF")
check_contains "reference really is read-only" "create:new=EROFS" "$want"
check_contains "reference reads work" "read:file=ok" "$want"

for variant in "-r" "-o ro"; do
	start_fs "$TMP/pt.log" "$PT" -f $variant -o allow_other "$SRC" "$MNT"
	if wait_mounted "$MNT" "$PID"; then
		got=$(ro_ops "$MNT")
		check "passthrough $variant: every call as on a read-only tmpfs" "$want" "$got"
		check_contains "passthrough $variant: ro in mount options" " ro," \
			"$(awk -v m="$MNT" '$2 == m {print " " $4 ","}' /proc/mounts)"
		umount "$MNT"; wait_exit "$PID" 50; check "passthrough $variant exits 0" 0 $?
	else
		echo "FAIL  passthrough $variant did not mount"; cat "$TMP/pt.log"; fails=$((fails + 1))
	fi
	check "source untouched after $variant" "data" "$(cat "$SRC/file")"
done

start_fs "$TMP/memfs.log" "$MEMFS" -f -r "$MNT"
if wait_mounted "$MNT" "$PID"; then
	got=$(errnos <<EOF
create create $MNT/new
mkdir mkdir $MNT/d
symlink symlink $MNT/s
mknod mknod $MNT/p
unlink unlink $MNT/none
chmod chmod $MNT 700
chown chown $MNT 5
utime utime $MNT
setxattr setxattr $MNT
listdir listdir $MNT
EOF
)
	check "memfs -r: every modifying call EROFS" \
		"$(printf '%s\n' create=EROFS mkdir=EROFS symlink=EROFS mknod=EROFS unlink=EROFS \
		   chmod=EROFS chown=EROFS utime=EROFS setxattr=EROFS listdir=ok)" "$got"
	umount "$MNT"; wait_exit "$PID" 50; check "memfs -r exits 0" 0 $?
else
	echo "FAIL  memfs -r did not mount"; cat "$TMP/memfs.log"; fails=$((fails + 1))
fi

# ---- ENAMETOOLONG ------------------------------------------------------
start_fs "$TMP/memfs.log" "$MEMFS" -f "$MNT"
if wait_mounted "$MNT" "$PID"; then
	long=$(printf 'n%.0s' $(seq 256))
	got=$(errnos <<EOF
create256 create $MNT/$long
mkdir256 mkdir $MNT/$long
stat256 stat $MNT/$long
create255 create $MNT/${long:1}
stat255 stat $MNT/${long:1}
EOF
)
	check "256-byte names ENAMETOOLONG, 255 fine" \
		"$(printf '%s\n' create256=ENAMETOOLONG mkdir256=ENAMETOOLONG stat256=ENAMETOOLONG \
		   create255=ok stat255=ok)" "$got"
	umount "$MNT"; wait_exit "$PID" 50; check "memfs exits 0" 0 $?
else
	echo "FAIL  memfs did not mount"; cat "$TMP/memfs.log"; fails=$((fails + 1))
fi

# ---- command-line errors -----------------------------------------------
: >"$TMP/afile"
# bad_cmdline NAME TEXT ARGS...: exits non-zero, says TEXT, mounts nothing
bad_cmdline() {
	local name=$1 text=$2; shift 2
	local out rc
	out=$(timeout 10 "$MEMFS" "$@" 2>&1 </dev/null); rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ]; then echo "ok    $name: exit $rc"
	else echo "FAIL  $name: exit $rc (want non-zero, no hang)"; fails=$((fails + 1)); fi
	check_contains "$name: message" "$text" "$out"
	if anything_mounted_under "$MNT" || pgrep -f "$MEMFS.*$TMP" >/dev/null; then
		echo "FAIL  $name: something is mounted or still running"; fails=$((fails + 1))
		umount -l "$MNT" 2>/dev/null
	fi
}
bad_cmdline "unknown -o" "unknown option \`-o bogus'" -f -o bogus "$MNT"
bad_cmdline "unknown -o in list" "unknown option \`-o nope=1'" -f -o ro,nope=1 "$MNT"
bad_cmdline "unknown dash option" "unknown option \`-x'" -f -x "$MNT"
bad_cmdline "unknown long option" "unknown option \`--bogus'" --bogus "$MNT"
bad_cmdline "max_read=abc" "max_read=abc" -f -o max_read=abc "$MNT"
bad_cmdline "max_write too small" "max_write=100" -f -o max_write=100 "$MNT"
bad_cmdline "max_threads=0" "max_threads=0" -f -o max_threads=0 "$MNT"
bad_cmdline "umask=99" "umask=99" -f -o umask=99 "$MNT"
bad_cmdline "uid=-1" "uid=-1" -f -o uid=-1 "$MNT"
bad_cmdline "gid trailing garbage" "gid=5x" -f -o gid=5x "$MNT"
bad_cmdline "negative timeout" "attr_timeout=-1" -f -o attr_timeout=-1 "$MNT"
bad_cmdline "readdirplus=maybe" "readdirplus=maybe" -f -o readdirplus=maybe "$MNT"
bad_cmdline "flag with a value" "ro" -f -o ro=1 "$MNT"
bad_cmdline "value option without value" "fsname" -f -o fsname "$MNT"
bad_cmdline "allow_other+allow_root" "allow_root" -f -o allow_other,allow_root "$MNT"
bad_cmdline "-o without argument" "-o" -f "$MNT" -o
bad_cmdline "missing mount point" "bad mount point \`$TMP/none': No such file or directory" -f "$TMP/none"
bad_cmdline "file as mount point" "Not a directory" -f "$TMP/afile"
bad_cmdline "no mount point" "mount point" -f
bad_cmdline "two mount points" "$TMP/mnt2" -f "$MNT" "$TMP/mnt2"
# the same in daemon mode: the error comes before detaching
bad_cmdline "daemon mode: unknown -o" "unknown option \`-o bogus'" -o bogus "$MNT"
bad_cmdline "daemon mode: missing mount point" "No such file or directory" "$TMP/none"
# passthrough: its own argument (the source) goes through the app hook
out=$(timeout 10 "$PT" -f "$TMP/nosrc" "$MNT" 2>&1); rc=$?
check_true "passthrough: missing source fails" [ $rc -ne 0 ]
check_contains "passthrough: missing source named" "$TMP/nosrc" "$out"
anything_mounted_under "$MNT" && { echo "FAIL  passthrough: mounted anyway"; fails=$((fails + 1)); umount -l "$MNT"; }

# ---- -h and -V ---------------------------------------------------------
for prog in "$MEMFS" "$PT"; do
	name=${prog##*/}
	out=$(timeout 10 "$prog" -h 2>&1); rc=$?
	check "$name -h exits 0" 0 $rc
	check_contains "$name -h: usage" "usage:" "$out"
	for o in "-h" "--help" "-V" "--version" "-d" "-f" "-s" "-r" "-o OPT" \
	         ro rw default_permissions allow_other allow_root nonempty auto_unmount \
	         fsname= subtype= max_read= max_write= max_threads= kernel_cache direct_io \
	         large_read entry_timeout= attr_timeout= negative_timeout= writeback_cache \
	         no_writeback_cache splice no_splice readdirplus= passthrough no_passthrough \
	         io_uring no_io_uring debug hard_remove use_ino readdir_ino umask= uid= gid= \
	         dev nodev suid nosuid exec noexec atime noatime sync async dirsync; do
		case $o in --*|"-o OPT") pat="$o";; -?) pat="    $o";; *=) pat="-o $o";; *) pat="-o $o ";; esac
		case "$out" in *"$pat"*) ;; *) echo "FAIL  $name -h does not list $o"; fails=$((fails + 1));; esac
	done
	out2=$(timeout 10 "$prog" --help 2>&1)
	check "$name --help = -h" "$out" "$out2"
	out=$(timeout 10 "$prog" -V 2>&1); rc=$?
	check "$name -V exits 0" 0 $rc
	check_contains "$name -V prints $VERSION" "$VERSION" "$out"
	out=$(timeout 10 "$prog" --version 2>&1)
	check_contains "$name --version prints $VERSION" "$VERSION" "$out"
	anything_mounted_under "$MNT" && { echo "FAIL  $name -h/-V mounted"; fails=$((fails + 1)); umount -l "$MNT"; }
done

umount "$REF"
finish
