#!/usr/bin/env bash
# fusebox-run: a program built against Debian's libfuse3 (its hello_ll
# example, unchanged) runs on our build/compat/libfuse3.so.3, the
# daemon's /proc/PID/maps shows ours and not Debian's; bad input gets
# a message naming the problem and exit 1, never a crash: a program
# that does not link libfuse, a script, one that needs symbols and a
# version node we lack (linked against a stand-in libfuse3.so.3 that
# has them), one whose DT_RPATH holds Debian's library (preloaded),
# a set-user-ID one (the loader's secure mode).
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

RUN=$FBX_ROOT/$BUILD/tools/fusebox-run
LIB=$FBX_ROOT/$BUILD/compat/libfuse3.so.3
[ -x "$RUN" ] && [ -f "$LIB" ] || { echo "missing $RUN or $LIB (run make)"; exit 1; }
command -v cc >/dev/null || skip "no C compiler"
EX=/usr/share/doc/libfuse3-dev/examples
[ -f "$EX/hello_ll.c" ] && pkg-config --exists fuse3 || skip "no libfuse3-dev (tests/install-deps)"
SYSLIB=$(pkg-config --variable=libdir fuse3)/libfuse3.so.3

# shellcheck disable=SC2046 # pkg-config's words are separate flags
cc -o "$TMP/hello_ll" "$EX/hello_ll.c" $(pkg-config --cflags --libs fuse3) || { echo "cannot build hello_ll"; exit 1; }
check "-c: Debian's hello_ll can run on ours" "$TMP/hello_ll: ok, runs on $(dirname "$LIB")" \
	"$("$RUN" -c "$TMP/hello_ll" 2>&1)"

# ---- bad input ----------------------------------------------------------
out=$("$RUN" /bin/true 2>&1); rc=$?
check "not linked: exit 1" 1 "$rc"
check_contains "not linked: says so" "is not dynamically linked against libfuse3.so.3" "$out"
printf '#!/bin/sh\necho script ran\n' >"$TMP/script"; chmod +x "$TMP/script"
out=$("$RUN" "$TMP/script" 2>&1); rc=$?
check "script: refused without -f" 1 "$rc"
check_contains "script: says why" "is not an ELF program" "$out"
check "script: -f runs it with our folder first" "script ran" "$("$RUN" -f "$TMP/script" 2>&1)"
out=$("$RUN" "$TMP/nosuch" 2>&1); rc=$?
check "missing program: 127" 127 "$rc"
out=$("$RUN" 2>&1); rc=$?
check "no program: usage error" 2 "$rc"
if cc -static -o "$TMP/static" -x c - <<<'int main(void){return 0;}' 2>/dev/null; then
	check_contains "static program: says so" "is statically linked" "$("$RUN" "$TMP/static" 2>&1)"
fi

# A stand-in libfuse3.so.3 with one symbol we export, one we do not
# (at FUSE_3.0) and one at a version node we do not define.
F=$TMP/fake; mkdir -p "$F"
cat >"$F/v.map" <<'EOM'
FUSE_3.0 { global: fuse_session_new; fuse_not_in_fusebox; local: *; };
FUSE_3.99 { global: fuse_from_the_future; } FUSE_3.0;
EOM
printf 'void fuse_session_new(void) {}\nvoid fuse_not_in_fusebox(void) {}\nvoid fuse_from_the_future(void) {}\n' >"$F/l.c"
printf 'void fuse_session_new(void); void fuse_not_in_fusebox(void); void fuse_from_the_future(void);\nint main(void) { fuse_session_new(); fuse_not_in_fusebox(); fuse_from_the_future(); return 0; }\n' >"$F/p.c"
cc -shared -fPIC -o "$F/libfuse3.so.3" -Wl,-soname,libfuse3.so.3 -Wl,--version-script="$F/v.map" "$F/l.c" &&
	ln -s libfuse3.so.3 "$F/libfuse3.so" && cc -o "$F/p" "$F/p.c" -L"$F" -lfuse3 || { echo "cannot build the stand-in"; exit 1; }
out=$("$RUN" "$F/p" 2>&1); rc=$?
check "missing symbols: exit 1, not a loader error" 1 "$rc"
check_contains "missing symbol named" "needs fuse_not_in_fusebox@FUSE_3.0, which fusebox's libfuse3.so.3 does not export" "$out"
check_contains "missing version node named" "needs version FUSE_3.99 of libfuse3.so.3" "$out"
check_contains "symbol at the missing node named" "fuse_from_the_future@FUSE_3.99" "$out"
case $out in *fuse_session_new*) check "an exported symbol is not listed" "" "$out";; esac

# A newer soname: named, not "not linked".
cc -shared -fPIC -o "$F/libfuse3.so.4" -Wl,-soname,libfuse3.so.4 "$F/l.c" &&
	cc -o "$F/p4" "$F/p.c" "$F/libfuse3.so.4" || { echo "cannot build the .so.4 stand-in"; exit 1; }
check_contains "libfuse3.so.4 program: names both sonames" "links libfuse3.so.4; fusebox provides libfuse3.so.3" \
	"$("$RUN" "$F/p4" 2>&1)"

# set-user-ID (owned by someone else than us): the loader would ignore us.
cp "$TMP/hello_ll" "$TMP/suid_ll"
if [ "$(id -u)" = 0 ] && chown nobody "$TMP/suid_ll" 2>/dev/null && chmod 4755 "$TMP/suid_ll"; then
	out=$("$RUN" "$TMP/suid_ll" --version 2>&1); rc=$?
	check "set-user-ID: refused" 1 "$rc"
	check_contains "set-user-ID: says why" "is set-user-ID: the loader ignores LD_LIBRARY_PATH" "$out"
fi

# Under sanitizers our library carries ASan, which cannot load into a
# plain program: the runs below are for the normal build.
if [ "${FBX_SAN:-0}" = 1 ]; then
	finish
fi
check_contains "hello_ll --version runs on ours" "fusebox" "$("$RUN" "$TMP/hello_ll" --version 2>&1)"

# DT_RPATH with Debian's library beside the program: preloaded.
R=$TMP/rp; mkdir -p "$R"; cp "$SYSLIB" "$R/"
# shellcheck disable=SC2046
cc -o "$R/hello_ll" "$EX/hello_ll.c" $(pkg-config --cflags --libs fuse3) -Wl,--disable-new-dtags -Wl,-rpath,'$ORIGIN' ||
	{ echo "cannot build the rpath program"; exit 1; }
check_contains "DT_RPATH program alone: Debian's library" "kernel interface version 7.31" "$("$R/hello_ll" --version 2>&1)"
out=$("$RUN" "$R/hello_ll" --version 2>&1)
check_contains "DT_RPATH program: preload noted" "has a DT_RPATH with its own libfuse: preloading $LIB" "$out"
check_contains "DT_RPATH program: runs on ours" "fusebox" "$out"

# ---- a mount, and which library the daemon mapped ---------------------------
[ "$(id -u)" = 0 ] && [ -c /dev/fuse ] || { echo "not root or no /dev/fuse: no mount"; finish; }
MNT=$TMP/mnt; mkdir -p "$MNT"
start_fs "$TMP/hello.log" "$RUN" "$TMP/hello_ll" -f "$MNT"
if wait_mounted "$MNT" "$PID"; then
	check "hello_ll via fusebox-run: read" "Hello World!" "$(cat "$MNT/hello")"
	maps=$(grep -oE '/[^ ]*libfuse3\.so\.3' "/proc/$PID/maps" | sort -u)
	check "the daemon mapped only our libfuse3.so.3" "$LIB" "$maps"
	umount "$MNT"
	wait_exit "$PID" 50; check "hello_ll exits 0 after umount" 0 $?
else
	echo "FAIL  hello_ll via fusebox-run did not mount:"; sed 's/^/      /' "$TMP/hello.log"; fails=$((fails + 1))
fi
finish
