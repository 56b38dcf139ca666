#!/usr/bin/env bash
# libfuse 2.9.9's ioctl and poll examples: fioc (a high-level filesystem
# with one file, /fioc, whose size FIOC_GET_SIZE and FIOC_SET_SIZE read
# and set) with its client fioclient, and fsel (sixteen files a producer
# thread fills, waking select(2) through fuse_notify_poll) with
# fselclient; from Debian's source package fuse (fetched at test time),
# built unchanged against our headers and run on our libfuse.so.2; then the same binaries on Debian's libfuse.so.2 for
# comparison (reported, ours decide). The CUSE example, cusexmp, runs
# in the VM: tests/vm/t_cuse_fuse2.sh.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v cc >/dev/null || skip "no C compiler"
OURDIR=$FBX_ROOT/$BUILD/compat
LIB=$OURDIR/libfuse.so.2
[ -f "$LIB" ] || { echo "missing $LIB (run make)"; exit 1; }
DEBLIB=/lib/x86_64-linux-gnu/libfuse.so.2

CACHE=$FBX_ROOT/$BUILD/compat-src
tests/compat/fetch_src.sh fuse "$CACHE/fuse" >"$TMP/fetch.log" 2>&1
case $? in
0) ;;
77) skip "libfuse source not available: $(tail -n1 "$TMP/fetch.log")";;
*) cat "$TMP/fetch.log"; exit 1;;
esac
EX=$CACHE/fuse/src/example

SANFLAGS=
if [ "${FBX_SAN:-0}" = 1 ]; then
	SANFLAGS="-fsanitize=address,undefined"
	export LSAN_OPTIONS="suppressions=$FBX_ROOT/tests/compat/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
fi
# shellcheck disable=SC2086 # SANFLAGS: zero or one word
for p in fioc:fioclient fsel:fselclient; do
	client=${p#*:} p=${p%:*}
	# shellcheck disable=SC2086 # SANFLAGS: zero or one word
	cc -O1 -g -Wall $SANFLAGS -I"$FBX_ROOT/include/compat/fuse2" -D_FILE_OFFSET_BITS=64 \
		-o "$TMP/$p" "$EX/$p.c" -L"$OURDIR" -lfuse -pthread >"$TMP/cc.log" 2>&1 ||
		{ echo "FAIL  $p does not build against our headers:"; sed 's/^/      /' "$TMP/cc.log"; exit 1; }
	echo "ok    $p builds unchanged"
	cc -O1 -g -o "$TMP/$client" "$EX/$client.c" || { echo "FAIL  $client does not build"; exit 1; }
done

MNT=$TMP/mnt
mkdir -p "$MNT"
C=$TMP/fioclient

# suite LIBDIR LABEL ("" = Debian's library)
suite() {
	local dir=$1 who=$2 want=$DEBLIB
	[ -n "$dir" ] && want=$LIB
	check "$who: runs on $who's library" "$want" \
		"$(env LD_LIBRARY_PATH="$dir" ldd "$TMP/fioc" | awk '$1 == "libfuse.so.2" {print $3}')"
	start_fs "$TMP/fioc_$who.log" env LD_LIBRARY_PATH="$dir" "$TMP/fioc" -f -o attr_timeout=0 "$MNT"
	if ! wait_mounted "$MNT" "$PID"; then
		echo "FAIL  $who: fioc did not mount"; sed 's/^/      /' "$TMP/fioc_$who.log"
		fails=$((fails + 1)); return
	fi
	check "$who: FIOC_GET_SIZE of the new file" 0 "$("$C" "$MNT/fioc" s 2>&1)"
	"$C" "$MNT/fioc" s 4096; check "$who: FIOC_SET_SIZE" 0 $?
	check "$who: FIOC_GET_SIZE after it" 4096 "$("$C" "$MNT/fioc" s 2>&1)"
	check "$who: stat sees the size (attr_timeout=0)" 4096 "$(stat -c %s "$MNT/fioc")"
	printf 'through write(2)' | dd of="$MNT/fioc" bs=16 seek=1 count=1 conv=notrunc 2>/dev/null
	check "$who: read(2) what write(2) put" "through write(2)" "$(dd if="$MNT/fioc" bs=16 skip=1 count=1 2>/dev/null)"
	"$C" "$MNT/fioc" s 3; check "$who: FIOC_SET_SIZE shrinks" 0 $?
	check "$who: FIOC_GET_SIZE after shrinking" 3 "$("$C" "$MNT/fioc" s 2>&1)"
	# FIOC_READ has no encoded size (a CUSE-only ioctl): fioc refuses it
	"$C" "$MNT/fioc" r 2 >"$TMP/r.out" 2>&1
	check "$who: unrestricted FIOC_READ refused" "1 Invalid argument" \
		"$? $(sed -n 's/^ioctl: //p' "$TMP/r.out")"
	umount "$MNT"
	wait_exit "$PID"; check "$who: fioc exits 0 on umount" 0 $?

	# fsel: select(2) sleeps until the producer's fuse_notify_poll; each
	# line fselclient prints is one wake-up with some file readable (an
	# unserved poll would show every file ready with nothing to read).
	start_fs "$TMP/fsel_$who.log" env LD_LIBRARY_PATH="$dir" "$TMP/fsel" -f "$MNT"
	if ! wait_mounted "$MNT" "$PID"; then
		echo "FAIL  $who: fsel did not mount"; sed 's/^/      /' "$TMP/fsel_$who.log"
		fails=$((fails + 1)); return
	fi
	(cd "$MNT" && timeout 60 stdbuf -oL "$TMP/fselclient" | head -n 4) >"$TMP/sel.out" 2>&1
	check "$who: fselclient woken 4 times, a file readable each time" 4 \
		"$(grep -cE '[0-9A-F]:(0[1-9]|[1-9][0-9]) ' "$TMP/sel.out")"
	umount "$MNT"
	wait_exit "$PID"; check "$who: fsel exits 0 on umount" 0 $?
}

suite "$OURDIR" fusebox
ours=$fails
if [ -f "$DEBLIB" ] && [ -z "$SANFLAGS" ]; then
	fails=0
	suite "" debian 2>&1 | sed 's/^ok    /info  ok    /; s/^FAIL  /info  FAIL  /'
	echo "info  the same checks on Debian's libfuse.so.2 are above (info lines)"
fi
fails=$ours
[ $fails -eq 0 ]
