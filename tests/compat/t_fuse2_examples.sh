#!/usr/bin/env bash
# libfuse 2.9.9's own example filesystems, from Debian's source package
# fuse (fetched at test time, cached under $BUILD/compat-src), built
# unchanged against our headers (include/compat/fuse2) and run on our
# $BUILD/compat/libfuse.so.2: hello, hello_ll, fusexmp, fusexmp_fh, null;
# and libfuse's syscall test (test/test_syscalls.c of the fuse3 source:
# the 2.9.9 tarball ships no test/) through a fusexmp mount. The same
# binaries then run once more on Debian's libfuse.so.2 for comparison:
# its results are reported, ours decide.
#
# Which library runs a program is chosen by LD_LIBRARY_PATH alone (the
# binaries carry no rpath), as fusebox-run does: see on_lib below.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v cc >/dev/null || skip "no C compiler"
OURDIR=$FBX_ROOT/$BUILD/compat
LIB=$OURDIR/libfuse.so.2
[ -f "$LIB" ] || { echo "missing $LIB (run make)"; exit 1; }
DEBLIB=/lib/x86_64-linux-gnu/libfuse.so.2

CACHE=$FBX_ROOT/$BUILD/compat-src
for pkg in fuse fuse3; do
	tests/compat/fetch_src.sh $pkg "$CACHE/$pkg" >"$TMP/fetch.log" 2>&1
	case $? in
	0) ;;
	77) skip "libfuse source not available: $(tail -n1 "$TMP/fetch.log")";;
	*) cat "$TMP/fetch.log"; exit 1;;
	esac
done
SRC=$CACHE/fuse/src
BIN=$TMP/bin
mkdir -p "$BIN"

# Sanitizer builds: the library carries ASan, so the programs must too
# (and Debian's library is not run then).
SANFLAGS=
if [ "${FBX_SAN:-0}" = 1 ]; then
	SANFLAGS="-fsanitize=address,undefined"
	export LSAN_OPTIONS="suppressions=$FBX_ROOT/tests/compat/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
fi
# What libfuse's configure finds on Linux (the examples read it from
# its config.h): with these the xattr, utimens and fallocate ops are in.
HAVE="-DHAVE_SETXATTR -DHAVE_UTIMENSAT -DHAVE_POSIX_FALLOCATE -DHAVE_FDATASYNC"
build() {   # build NAME EXTRA_LIBS...
	local name=$1; shift
	# shellcheck disable=SC2086
	if ! cc -O1 -g -Wall $HAVE $SANFLAGS -I"$FBX_ROOT/include/compat/fuse2" -D_FILE_OFFSET_BITS=64 \
		-o "$BIN/$name" "$SRC/example/$name.c" -L"$OURDIR" -lfuse "$@" -pthread \
		>"$TMP/cc_$name.log" 2>&1; then
		echo "FAIL  $name does not build against our headers:"
		sed 's/^/      /' "$TMP/cc_$name.log" | head -20
		exit 1
	fi
	echo "ok    $name builds unchanged"
}
build hello
build hello_ll
build fusexmp
build null
# fusexmp_fh's locks go through libulockmgr (Debian's libfuse-dev), which
# is a client of ulockmgr_server, not of libfuse.
if [ -f /usr/lib/x86_64-linux-gnu/libulockmgr.so ]; then build fusexmp_fh -lulockmgr; fi
mkdir -p "$TMP/inc"
echo '#define HAVE_COPY_FILE_RANGE 1' >"$TMP/inc/fuse_config.h"
cc -O1 -g -I"$TMP/inc" -o "$BIN/test_syscalls" "$CACHE/fuse3/src/test/test_syscalls.c" ||
	{ echo "test_syscalls does not build"; exit 1; }

# A "%s" option's field preset to a string literal, then parsed: libfuse
# 2 overwrites the pointer (convmvfs counts on it; a free() aborts).
# shellcheck disable=SC2086
if cc -O1 -g $SANFLAGS -I"$FBX_ROOT/include/compat/fuse2" -D_FILE_OFFSET_BITS=64 -o "$BIN/opt2_preset" \
	tests/compat/src/opt2_preset.c -L"$OURDIR" -lfuse -pthread >"$TMP/cc_opt2.log" 2>&1; then
	# (stdout only: under SAN, LeakSanitizer reports its suppressions on
	# stderr; the replaced value is the program's, as in libfuse 2)
	check "fuse_opt_parse replaces a preset literal (no free)" "charset=latin1" \
		"$(LD_LIBRARY_PATH=$OURDIR "$BIN/opt2_preset" -o charset=latin1 2>"$TMP/opt2.err")"
	grep -q "free()" "$TMP/opt2.err" && sed 's/^/      /' "$TMP/opt2.err"
else
	echo "FAIL  opt2_preset does not build:"; sed 's/^/      /' "$TMP/cc_opt2.log"; fails=$((fails + 1))
fi

# on_lib LIBDIR CMD...: run CMD on the libfuse.so.2 in LIBDIR ("" = Debian's).
# env execs CMD, so a background one's $! is the program itself: start_fs
# gets "env LD_...=DIR" spelled out ($RUN), as a function would fork.
on_lib() {
	local dir=$1; shift
	env LD_LIBRARY_PATH="$dir" "$@"
}

MNT=$TMP/mnt
DATA=$TMP/data
mkdir -p "$MNT" "$DATA"

# suite LIBDIR LABEL: every check on one library; prints ok/FAIL lines
# prefixed with LABEL, and the test_syscalls outcome.
suite() {
	local dir=$1 who=$2 want=$DEBLIB rc
	local RUN=(env LD_LIBRARY_PATH="$dir" FBX_REQUEST_COUNTS=1)
	[ -n "$dir" ] && want=$LIB
	check "$who: runs on $who's library" "$want" \
		"$(on_lib "$dir" ldd "$BIN/hello" | awk '$1 == "libfuse.so.2" {print $3}')"

	# hello: daemonizes, then ends on umount
	on_lib "$dir" "$BIN/hello" "$MNT" >"$TMP/hello.log" 2>&1
	check "$who: hello starts (daemon)" 0 $?
	if is_fuse_mounted "$MNT"; then
		check "$who: hello readdir" "hello" "$(ls "$MNT")"
		check "$who: hello read" "Hello World!" "$(cat "$MNT/hello")"
		check "$who: hello stat" "13 regular file 444" "$(stat -c '%s %F %a' "$MNT/hello")"
		check "$who: hello write refused" "EACCES" "$(errno_of write "$MNT/hello")"
		check "$who: hello subtype" "fuse.hello" "$(awk -v m="$MNT" '$2 == m {print $3}' /proc/mounts)"
		dpid=$(pgrep -f "^$BIN/hello $MNT\$" | head -n1)
		umount "$MNT"
		wait_gone "$dpid"; check "$who: hello exits on umount" 0 $?
	else
		echo "FAIL  $who: hello is not mounted"; sed 's/^/      /' "$TMP/hello.log"; fails=$((fails + 1))
	fi

	# hello_ll: foreground; SIGTERM ends it and unmounts
	start_fs "$TMP/hello_ll.log" "${RUN[@]}" "$BIN/hello_ll" "$MNT"
	if wait_mounted "$MNT" "$PID"; then
		check "$who: hello_ll read" "Hello World!" "$(cat "$MNT/hello")"
		check "$who: hello_ll missing name" "ENOENT" "$(errno_of stat "$MNT/nothere")"
		kill -TERM "$PID"
		wait_exit "$PID"; rc=$?
		[ $rc = 0 ] || sed 's/^/      /' "$TMP/hello_ll.log" | tail -30
		check "$who: hello_ll exits 0 on SIGTERM" 0 $rc
		wait_unmounted "$MNT"; check "$who: hello_ll unmounted on SIGTERM" 0 $?
	else
		echo "FAIL  $who: hello_ll did not mount"; sed 's/^/      /' "$TMP/hello_ll.log"; fails=$((fails + 1))
	fi

	# fusexmp and fusexmp_fh over a scratch directory
	local prog
	for prog in fusexmp fusexmp_fh; do
		[ -x "$BIN/$prog" ] || continue
		rm -rf "${DATA:?}"/*
		echo "hello from below" >"$DATA/below"
		start_fs "$TMP/$prog.log" "${RUN[@]}" "$BIN/$prog" -f "$MNT"
		if ! wait_mounted "$MNT" "$PID"; then
			echo "FAIL  $who: $prog did not mount"; sed 's/^/      /' "$TMP/$prog.log"; fails=$((fails + 1))
			continue
		fi
		local M=$MNT$DATA
		check "$who: $prog reads" "hello from below" "$(cat "$M/below")"
		echo "new data" >"$M/new"
		check "$who: $prog create+write lands below" "new data" "$(cat "$DATA/new")"
		mv "$M/new" "$M/renamed"
		mkdir "$M/dir" && ln -s below "$M/dir/link" && ln "$M/renamed" "$M/hard"
		check "$who: $prog rename, mkdir, symlink, link" "below dir hard renamed / below / 2" \
			"$(ls "$DATA" | tr '\n' ' ')/ $(readlink "$M/dir/link") / $(stat -c %h "$M/renamed")"
		head -c 3000000 /dev/urandom >"$TMP/blob"
		cp "$TMP/blob" "$M/blob"
		check_true "$who: $prog 3 MB copy intact" cmp -s "$TMP/blob" "$DATA/blob"
		truncate -s 10 "$M/blob"; chmod 600 "$M/blob"; touch -d @1000000000 "$M/blob"
		check "$who: $prog truncate, chmod, utimens" "10 600 1000000000" "$(stat -c '%s %a %Y' "$DATA/blob")"
		setfattr -n user.k -v val "$M/blob" 2>/dev/null
		check "$who: $prog xattr" "val" "$(getfattr --only-values -n user.k "$M/blob" 2>/dev/null)"
		# fstat of an open directory a rename replaced: libfuse never
		# hands a directory's handle to fgetattr (fusexmp_fh's is a
		# DIR *, not a descriptor), so its name being gone, ENOENT
		mkdir "$M/od1" "$M/od2"
		check "$who: $prog fstat of an open directory renamed over" ENOENT "$(python3 -c '
import errno, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
os.rename(sys.argv[2], sys.argv[1])
try:
    os.fstat(fd); print("ok")
except OSError as e:
    print(errno.errorcode[e.errno])' "$M/od1" "$M/od2")"
		rmdir "$M/od1"
		# a symlink replaced below: libfuse 2 lets the kernel cache no
		# link target, so a readlink after the attributes' timeout (1 s,
		# fusexmp's default) sees the new one
		ln -s old-target "$DATA/sl"
		readlink "$M/sl" >/dev/null
		sleep 1.2
		rm "$DATA/sl"; ln -s a-longer-new-target "$DATA/sl"
		check "$who: $prog symlink replaced below: new target" a-longer-new-target "$(readlink "$M/sl")"
		rm "$DATA/sl"
		rm -r "$M/renamed" "$M/hard" "$M/blob" "$M/dir"
		check "$who: $prog unlink, rmdir" "below" "$(ls "$DATA")"
		mkdir -p "$TMP/sys"
		if "$BIN/test_syscalls" "$MNT$TMP/sys" ":$TMP/sys" >"$TMP/sys_$prog.log" 2>&1; then
			echo "ok    $who: $prog: test_syscalls passes ($(grep -c '^[0-9 ]*\[' "$TMP/sys_$prog.log") cases)"
		else
			echo "FAIL  $who: $prog: test_syscalls:"
			grep -iE 'fail|error' "$TMP/sys_$prog.log" | head -10 | sed 's/^/      /'
			fails=$((fails + 1))
		fi
		umount "$MNT"
		wait_exit "$PID"; check "$who: $prog exits 0 on umount" 0 $?
		# libfuse 2 has no readdirplus: its listings carry no attributes,
		# so plain READDIR, whose entries are a fifth of the size
		if [ -n "$dir" ]; then
			check "$who: $prog lists with READDIR, not READDIRPLUS" "READDIR" \
				"$(grep -o 'READDIR[A-Z]*=' "$TMP/$prog.log" | tr -d = | sort -u | tr '\n' ' ' | sed 's/ $//')"
		fi
	done

	# File handles (NFS) outlive the kernel's cache only with -o noforget
	# (remember=T): without it the node goes with the kernel's FORGET
	rm -rf "${DATA:?}"/*
	echo "by handle" >"$DATA/h"
	local forget
	for forget in noforget plain; do
		local o=(); [ $forget = noforget ] && o=(-o noforget)
		start_fs "$TMP/fusexmp-$forget.log" "${RUN[@]}" "$BIN/fusexmp" -f "${o[@]}" "$MNT"
		if ! wait_mounted "$MNT" "$PID"; then
			echo "FAIL  $who: fusexmp $forget did not mount"; sed 's/^/      /' "$TMP/fusexmp-$forget.log"; fails=$((fails + 1))
			continue
		fi
		local got; got=$(python3 tests/lib/handle_reopen.py "$MNT" "$MNT$DATA/h")
		if [ $forget = noforget ]; then
			check "$who: fusexmp -o noforget: a handle opens its file after the kernel forgot it" "by handle" "$got"
		elif [ -n "$dir" ]; then
			check "$who: fusexmp without noforget: the forgotten node's handle is stale" ESTALE "$got"
		else
			echo "info  $who: fusexmp without noforget, handle after forget: $got"
		fi
		umount "$MNT"
		wait_exit "$PID"
	done

	# libfuse 2's built-in modules over fusexmp (which mirrors /)
	rm -rf "${DATA:?}"/*
	echo inside >"$DATA/file"; mkdir "$DATA/d"; ln -s "$DATA/file" "$DATA/d/abs"
	start_fs "$TMP/xmp_sd.log" "${RUN[@]}" "$BIN/fusexmp" -f -o "modules=subdir,subdir=$DATA,rellinks" "$MNT"
	if wait_mounted "$MNT" "$PID"; then
		check "$who: subdir: the root is the subdir" "d file" "$(ls "$MNT" | tr '\n' ' ' | sed 's/ $//')"
		check "$who: subdir: read" "inside" "$(cat "$MNT/file")"
		echo more >"$MNT/d/new"; mv "$MNT/d/new" "$MNT/moved"
		check "$who: subdir: create and rename land in the subdir" "more" "$(cat "$DATA/moved")"
		check "$who: subdir: rellinks makes an absolute link relative" "../file" "$(readlink "$MNT/d/abs")"
		umount "$MNT"; wait_exit "$PID"
	else
		echo "FAIL  $who: fusexmp with modules=subdir did not mount"; sed 's/^/      /' "$TMP/xmp_sd.log"; fails=$((fails + 1))
	fi
	out=$(on_lib "$dir" "$BIN/fusexmp" -f -o modules=subdir "$MNT" 2>&1); rc=$?
	check "$who: subdir without subdir=: fails" 1 "$((rc != 0))"
	check_contains "$who: subdir without subdir=: says why" "subdir" "$out"
	out=$(on_lib "$dir" "$BIN/fusexmp" -f -o "modules=subdir,subdir=$DATA,no_such_opt" "$MNT" 2>&1); rc=$?
	check "$who: an option no module takes: fails" 1 "$((rc != 0))"
	check_contains "$who: an option no module takes: named" "no_such_opt" "$out"
	rm -rf "${DATA:?}"/*
	printf latin >"$DATA/$(printf 'caf\351')"
	start_fs "$TMP/xmp_ic.log" "${RUN[@]}" "$BIN/fusexmp" -f -o modules=iconv,from_code=ISO-8859-1,to_code=UTF-8 "$MNT"
	if wait_mounted "$MNT" "$PID"; then
		check "$who: iconv: a Latin-1 name is shown in UTF-8" "café" "$(ls "$MNT$DATA")"
		check "$who: iconv: opened by its UTF-8 name" "latin" "$(cat "$MNT$DATA/café")"
		ln -s café "$MNT$DATA/lnk"
		check "$who: iconv: a symlink target is stored in Latin-1" "$(printf 'caf\351')" "$(readlink "$DATA/lnk")"
		check "$who: iconv: and shown in UTF-8" "café" "$(readlink "$MNT$DATA/lnk")"
		umount "$MNT"; wait_exit "$PID"
	else
		echo "FAIL  $who: fusexmp with modules=iconv did not mount"; sed 's/^/      /' "$TMP/xmp_ic.log"; fails=$((fails + 1))
	fi

	# libfuse 2 mounts on an empty directory only, unless -o nonempty
	rm -rf "${DATA:?}"/*
	: >"$MNT/occupied"
	start_fs "$TMP/xmp_full.log" "${RUN[@]}" "$BIN/fusexmp" -f "$MNT"
	if wait_exit "$PID" 50; then
		echo "FAIL  $who: a non-empty mount point: fusexmp exited 0"; fails=$((fails + 1))
	elif [ $? = 124 ]; then
		echo "FAIL  $who: a non-empty mount point: mounted over it"; fails=$((fails + 1))
		umount "$MNT"; wait_exit "$PID"
	else
		echo "ok    $who: a non-empty mount point: refused"
	fi
	check_contains "$who: a non-empty mount point: says so" "mountpoint is not empty" \
		"$(cat "$TMP/xmp_full.log")"
	start_fs "$TMP/xmp_ne.log" "${RUN[@]}" "$BIN/fusexmp" -f -o nonempty,fsname=named "$MNT"
	if wait_mounted "$MNT" "$PID"; then
		# fuse_main adds the program's name as subtype only when
		# neither fsname= nor subtype= is given
		check "$who: -o fsname=: type fuse, no subtype" "named fuse" \
			"$(awk -v m="$MNT" '$2 == m {print $1, $3}' /proc/mounts)"
		# a symlink's mtime alone (tar -x sets it so): libfuse 2 drops
		# a change of one time for a filesystem without
		# flag_utime_omit_ok (fusexmp) rather than call its utimens
		# (many follow the link: the target's times would change)
		echo x >"$DATA/target"; touch -d 2020-01-01 "$DATA/target"; ln -s target "$DATA/sl"
		touch -h -d 2019-01-01 "$DATA/sl"
		touch -h -m -d 2001-01-01 "$MNT$DATA/sl" 2>/dev/null
		check "$who: one time alone, without flag_utime_omit_ok: dropped" "2019 2020" \
			"$(stat -c %y "$DATA/sl" | cut -c1-4) $(stat -c %y "$DATA/target" | cut -c1-4)"
		umount "$MNT"; wait_exit "$PID"
	else
		echo "FAIL  $who: fusexmp -o nonempty did not mount"; sed 's/^/      /' "$TMP/xmp_ne.log"; fails=$((fails + 1))
	fi
	rm -f "$MNT/occupied"

	# libfuse 2 never asks for auto_inval_data: with attr_timeout=0 the
	# kernel would otherwise fetch the attributes before every read(2)
	if [ -n "$dir" ]; then
		rm -rf "${DATA:?}"/*
		head -c 100000 /dev/urandom >"$DATA/big"
		start_fs "$TMP/xmp_ato.log" "${RUN[@]}" "$BIN/fusexmp" -f -o attr_timeout=0 "$MNT"
		if wait_mounted "$MNT" "$PID"; then
			dd if="$MNT$DATA/big" of=/dev/null bs=7 count=2000 status=none
			umount "$MNT"; wait_exit "$PID"
			local ga
			ga=$(grep -o 'GETATTR=[0-9]*' "$TMP/xmp_ato.log" | cut -d= -f2)
			check "$who: 2000 small reads at attr_timeout=0: few GETATTRs" yes \
				"$([ "${ga:-0}" -lt 100 ] && echo yes || echo "no ($ga)")"
		else
			echo "FAIL  $who: fusexmp -o attr_timeout=0 did not mount"; fails=$((fails + 1))
		fi
	fi

	# null: a 4 GiB file of zeros mounted on a file
	: >"$TMP/nullfile"
	start_fs "$TMP/null.log" "${RUN[@]}" "$BIN/null" -f "$TMP/nullfile"
	if wait_mounted "$TMP/nullfile" "$PID"; then
		check "$who: null size" "4294967296" "$(stat -c %s "$TMP/nullfile")"
		check "$who: null reads" "65536" "$(head -c 65536 "$TMP/nullfile" | wc -c)"
		check "$who: null takes writes" "65536" "$(dd if=/dev/zero of="$TMP/nullfile" bs=64k count=1 conv=notrunc 2>&1 | awk '/bytes/ {print $1}')"
		umount "$TMP/nullfile"
		wait_exit "$PID"; check "$who: null exits 0 on umount" 0 $?
	else
		echo "FAIL  $who: null did not mount"; sed 's/^/      /' "$TMP/null.log"; fails=$((fails + 1))
	fi
}

suite "$OURDIR" fusebox
ours=$fails
# Debian's libfuse 2 for comparison: reported, not judged.
if [ -f "$DEBLIB" ] && [ -z "$SANFLAGS" ]; then
	fails=0
	suite "" debian 2>&1 | sed 's/^ok    /info  ok    /; s/^FAIL  /info  FAIL  /'
	echo "info  the same checks on Debian's libfuse.so.2 are above (info lines)"
fi
fails=$ours
[ $fails -eq 0 ]
