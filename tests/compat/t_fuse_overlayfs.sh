#!/usr/bin/env bash
# Debian's fuse-overlayfs binary, unchanged, on our libfuse3.so.3
# through fusebox-run, and on Debian's libfuse3 for comparison:
#  - a mount per side (the daemon's /proc/PID/maps: only that side's
#    library) and overlay semantics compared with the layers: lower files
#    seen, copy-up on write, whiteouts, a new folder, rename, hard links;
#  - fuse-overlayfs's own tests/ scripts from Debian's source package
#    fuse-overlayfs (fetched at test time; FBX_FOV_SRC=DIR uses an unpacked
#    tree instead), unchanged, with `fuse-overlayfs` first in PATH being
#    `fusebox-run /usr/bin/fuse-overlayfs` (or the plain binary):
#    unlink.sh as root, unpriv.sh as the user nobody (through the
#    set-user-ID fusermount3). fedora-installs.sh and alpine.sh need
#    docker and the network: not run. Every script that passes on
#    Debian's libfuse must pass on ours.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ "${FBX_SAN:-0}" = 1 ] && skip "Debian's programs run in the normal build only"
[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
FOV=$(command -v fuse-overlayfs) || skip "no fuse-overlayfs (tests/install-deps)"
RUN=$FBX_ROOT/$BUILD/tools/fusebox-run
LIB=$FBX_ROOT/$BUILD/compat/libfuse3.so.3
[ -x "$RUN" ] && [ -f "$LIB" ] || { echo "missing $RUN or $LIB (run make)"; exit 1; }
SYSLIB=$(readlink -f "$(ldd "$FOV" | awk '$1 == "libfuse3.so.3" {print $3}')")
[ -f "$SYSLIB" ] || { echo "fuse-overlayfs does not link libfuse3.so.3"; exit 1; }
# A symbol it needs that we do not export yet: named, and the test
# skips until the library has it (fusebox-run would refuse to start it).
if ! "$RUN" -c "$FOV" >"$TMP/check.log" 2>&1; then
	cat "$TMP/check.log"
	skip "fuse-overlayfs cannot run on ours yet: $(grep -oE 'needs [^ ]+' "$TMP/check.log" | tr '\n' ' ')"
fi
PY=/usr/bin/python3
libof() { grep -oE '/[^ ]*libfuse3\.so\.3[^ ]*' "/proc/$1/maps" 2>/dev/null | sort -u | xargs -r readlink -f | sort -u; }

# ---- a mount per side --------------------------------------------------------------
side_mount() {   # side_mount SIDE(ours|debian)
	local side=$1 d=$TMP/$1 want out pid
	: >"$TMP/ops-$side"
	mkdir -p "$d/lower/dir" "$d/upper" "$d/work" "$d/merged"
	echo lower >"$d/lower/f"; echo gone >"$d/lower/g"; echo x >"$d/lower/dir/h"
	if [ "$side" = ours ]; then want=$LIB; set -- "$RUN" "$FOV"; else want=$SYSLIB; set -- "$FOV"; fi
	start_fs "$TMP/fov-$side.log" "$@" -f -o "lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work" "$d/merged"
	pid=$PID
	if ! wait_mounted "$d/merged" "$pid" 100; then
		echo "FAIL  $side: fuse-overlayfs did not mount:"; sed 's/^/      /' "$TMP/fov-$side.log"; fails=$((fails + 1)); return
	fi
	check "$side: the fuse-overlayfs daemon mapped $want only" "$want" "$(libof "$pid")"
	out=$("$PY" - "$d" <<'EOF'
import os, stat, sys
d = sys.argv[1]; m, up, lo = d + "/merged", d + "/upper", d + "/lower"
def t(name, f):
    try:
        f(); print("ok", name)
    except Exception as e:
        print("FAIL", name + ":", repr(e))
def rd(p):
    with open(p) as fh: return fh.read()
def wr(p, s, mode="w"):
    with open(p, mode) as fh: fh.write(s)
def eq(a, b):
    if a != b: raise AssertionError(f"{a!r} != {b!r}")
t("lower file seen", lambda: eq(rd(m + "/f"), "lower\n"))
t("write copies up, lower unchanged", lambda: (wr(m + "/f", "more\n", "a"), eq(rd(up + "/f"), "lower\nmore\n"), eq(rd(lo + "/f"), "lower\n")))
def whiteout():
    os.unlink(m + "/g")
    eq(os.path.exists(m + "/g"), False)
    eq(os.path.exists(lo + "/g"), True)
    st = os.lstat(up + "/g") if os.path.lexists(up + "/g") else os.lstat(up + "/.wh.g")
    eq(stat.S_ISCHR(st.st_mode) or os.path.basename(up + "/.wh.g") in os.listdir(up), True)
t("unlink of a lower file: whiteout", whiteout)
t("listdir merges", lambda: eq(sorted(os.listdir(m)), ["dir", "f"]))
t("mkdir, new file", lambda: (os.mkdir(m + "/n"), wr(m + "/n/a", "new"), eq(rd(up + "/n/a"), "new")))
t("rename a lower file", lambda: (os.rename(m + "/dir/h", m + "/dir/h2"), eq(sorted(os.listdir(m + "/dir")), ["h2"]), eq(rd(m + "/dir/h2"), "x\n")))
t("hard link", lambda: (os.link(m + "/n/a", m + "/n/b"), eq(os.stat(m + "/n/b").st_nlink, 2)))
t("rmdir", lambda: (os.unlink(m + "/n/a"), os.unlink(m + "/n/b"), os.rmdir(m + "/n"), eq(os.path.exists(m + "/n"), False)))
EOF
)
	echo "$out" >"$TMP/ops-$side"
	echo "info  $side: $(grep -c '^ok ' <<<"$out") of $(wc -l <<<"$out") overlay operations pass"
	umount "$d/merged"
	wait_exit "$pid" 100; check "$side: fuse-overlayfs exits 0 after umount" 0 $?
}
side_mount debian
side_mount ours
grep '^FAIL' "$TMP/ops-ours" | sed 's/^/      ours: /'
check "every overlay operation that works on Debian's libfuse works on ours" \
	"$(grep '^ok ' "$TMP/ops-debian")" "$(grep '^ok ' "$TMP/ops-ours")"

# ---- fuse-overlayfs's own scripts -----------------------------------------------------
if [ -n "${FBX_FOV_SRC:-}" ]; then
	SRC=$FBX_FOV_SRC
else
	CACHE=$FBX_ROOT/$BUILD/compat-src/fuse-overlayfs
	tests/compat/fetch_src.sh fuse-overlayfs "$CACHE" >"$TMP/fetch.log" 2>&1
	case $? in
	0) SRC=$CACHE/src;;
	77) echo "info  fuse-overlayfs's tests/ not run: its source is not available: $(tail -n1 "$TMP/fetch.log")"; finish;;
	*) cat "$TMP/fetch.log"; exit 1;;
	esac
fi
[ -f "$SRC/tests/unlink.sh" ] || { echo "no tests/unlink.sh in $SRC"; exit 1; }

# script SIDE NAME [USER]: 0 when tests/NAME exits 0; the daemons' libraries in $TMP/maps-SIDE
script() {
	local side=$1 name=$2 user=${3:-root} w=$TMP/s-$1-${2%.sh} rc
	mkdir -p "$w/bin" "$w/run"
	# fuse-overlayfs daemonizes: after the foreground process returns, the
	# newest fuse-overlayfs process is the daemon of this mount.
	if [ "$side" = ours ]; then set -- "$RUN -q $FOV"; else set -- "$FOV"; fi
	cat >"$w/bin/fuse-overlayfs" <<EOF
#!/bin/sh
$1 "\$@"; rc=\$?
p=\$(pgrep -n -x fuse-overlayfs) && grep -oE '/[^ ]*libfuse3[.]so[.]3[^ ]*' /proc/\$p/maps | sort -u >>$TMP/maps-$side
exit \$rc
EOF
	printf '#!/bin/sh\nexec fusermount3 "$@"\n' >"$w/bin/fusermount"
	chmod 755 "$w/bin/fuse-overlayfs" "$w/bin/fusermount"
	touch "$TMP/maps-$side"; chmod 666 "$TMP/maps-$side"
	chown "$user" "$w/run"
	(cd "$w/run" && timeout -k 5 120 setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups \
		env PATH="$w/bin:$PATH" sh "$SRC/tests/$name" >"$TMP/$side-$name.log" 2>&1)
	rc=$?
	for m in $(awk -v t="$w/" 'index($2, t) == 1 {print $2}' /proc/mounts); do umount -l "$m"; done
	return $rc
}
for side in debian ours; do
	: >"$TMP/verdicts_$side"
	for t in unlink.sh:root unpriv.sh:nobody; do
		if script "$side" "${t%%:*}" "${t#*:}"; then echo "PASSED ${t%%:*}" >>"$TMP/verdicts_$side"
		else echo "FAILED ${t%%:*}" >>"$TMP/verdicts_$side"; fi
	done
	echo "info  tests/ on $side libfuse: $(grep -c '^PASSED' "$TMP/verdicts_$side") passed, $(grep -c '^FAILED' "$TMP/verdicts_$side") failed: $(tr '\n' ' ' <"$TMP/verdicts_$side")"
done
lost=$(comm -23 <(sed -n 's/^PASSED //p' "$TMP/verdicts_debian" | sort) <(sed -n 's/^PASSED //p' "$TMP/verdicts_ours" | sort))
check "every script passing on Debian's libfuse passes on ours" "" "$lost"
for n in $lost; do echo "      ours, $n:"; tail -n 15 "$TMP/ours-$n.log" | sed 's/^/      | /'; done
check "the scripts' daemons mapped our library only" "$LIB" "$(xargs -r readlink -f <"$TMP/maps-ours" | sort -u)"
check "the scripts' daemons mapped Debian's library on Debian's side" "$SYSLIB" "$(xargs -r readlink -f <"$TMP/maps-debian" | sort -u)"
finish
