#!/usr/bin/env bash
# examples/passthrough stays inside SOURCEDIR, and creates as the caller.
#
# Layout: $TMP/src is mirrored at $TMP/m/mnt; $TMP/outside holds files
# the daemon must never touch. A relative link "../outside" means
# $TMP/outside to the daemon (seen from src) but $TMP/m/outside (which
# does not exist) to the kernel (seen from the mount): if the daemon ever
# followed a symlink, the two would differ. Absolute links are resolved
# by the kernel for the caller, so a non-root caller gets its own
# permission checks, not the daemon's root.
#
# Mounted as root with -o allow_other,default_permissions, and with a
# long negative_timeout so that the kernel sends CREATE for a name a
# symlink was planted under behind its back.
set -u
cd "${FBX_ROOT:-$(dirname "$0")/../..}" || exit 1
BUILD=${BUILD:-build}
PT=$BUILD/examples/passthrough

[ "$(id -u)" = 0 ] || { echo "skip: needs root to mount"; exit 77; }
[ -c /dev/fuse ] || { echo "skip: no /dev/fuse"; exit 77; }
command -v setpriv >/dev/null || { echo "skip: no setpriv (util-linux)"; exit 77; }
[ -x "$PT" ] || { echo "missing $PT (run make)"; exit 1; }

TMP=$(mktemp -d /tmp/fbx-test.XXXXXX)
SRC=$TMP/src
OUT=$TMP/outside
MNT=$TMP/m/mnt
mkdir -p "$MNT"
chmod 755 "$TMP" "$TMP/m"   # others must reach the mount
PID=
MODE=setup
cleanup() {
	mountpoint -q "$MNT" 2>/dev/null && umount -l "$MNT" 2>/dev/null
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

fails=0
check() {   # check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		echo "ok    [$MODE] $1"
	else
		echo "FAIL  [$MODE] $1"; echo "      want: $2"; echo "      got:  $3"
		fails=$((fails + 1))
	fi
}
fails_with() {  # fails_with NAME ERE CMD... : CMD must fail with a message matching ERE
	local name=$1 want=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		check "$name" "fails: $want" "succeeded"
	elif printf '%s\n' "$out" | grep -Eq -- "$want"; then
		check "$name" ok ok
	else
		check "$name" "fails: $want" "$out"
	fi
}
# What tools say when a path does not resolve.
NOENT='No such file|nonexistent|dangling'
# A python3 that other users may run (not a per-user shim).
PY=$(command -v /usr/bin/python3 || command -v python3 || true)
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }

run_mode() {  # run_mode MOUNT-OPTION (or "default")
	MODE=$1
	local extra=
	[ "$MODE" = default ] || extra=",$MODE"
	rm -rf "$SRC" "$OUT"
	mkdir -p "$SRC" "$OUT"

	# ---- the source tree --------------------------------------------------
	echo secret >"$OUT/secret";  chmod 644 "$OUT/secret"
	echo private >"$OUT/private"; chmod 600 "$OUT/private"
	touch -d @1000000 "$OUT/secret"
	echo inside >"$SRC/inside"
	mkdir "$SRC/sub" "$SRC/pub" "$SRC/sg" "$SRC/grp"
	chmod 1777 "$SRC/pub"
	chown 0:4242 "$SRC/sg";  chmod 2777 "$SRC/sg"
	chown 0:4243 "$SRC/grp"; chmod 0770 "$SRC/grp"
	ln -s "$OUT" "$SRC/abs"
	ln -s "$OUT/secret" "$SRC/absfile"
	ln -s ../outside "$SRC/rel"
	ln -s ../../outside/secret "$SRC/sub/up"
	ln -s "../../../../../../../../../../..$OUT/secret" "$SRC/sub/deep"
	ln -s ../outside/newfile "$SRC/dangling"
	secret_state() { stat -c '%s %h %u %g %a %Y' "$OUT/secret"; cat "$OUT/secret"; getfattr -d "$OUT/secret" 2>/dev/null; }
	SECRET0=$(secret_state)

	"$PT" -f -o "allow_other,default_permissions,negative_timeout=3600$extra" "$SRC" "$MNT" 2>"$TMP/log" &
	PID=$!
	for _ in $(seq 100); do
		mountpoint -q "$MNT" && break
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	mountpoint -q "$MNT" || { echo "FAIL  [$MODE] passthrough did not mount"; tail -20 "$TMP/log"; exit 1; }

	# ---- data goes through (every I/O path of the mode) -------------------
	printf 'one\n' >"$MNT/data"; printf 'two\n' >>"$MNT/data"
	check "write, append, read" "one two" "$(cat "$MNT/data" | tr '\n' ' ' | sed 's/ $//')"
	head -c 3000000 /dev/urandom >"$TMP/rand"
	cp "$TMP/rand" "$MNT/rand"
	check "large copy in the source" "$(md5sum <"$TMP/rand")" "$(md5sum <"$SRC/rand")"
	check "large copy read back" "$(md5sum <"$TMP/rand")" "$(md5sum <"$MNT/rand")"
	rm -f "$MNT/data" "$MNT/rand"

	# ---- "..": the kernel resolves it, never past the mount ---------------
	check "root lists the source" "$(ls -a "$SRC" | tr '\n' ' ')" "$(ls -a "$MNT" | tr '\n' ' ')"
	check "mnt/.. is the mountpoint's parent" "$(stat -c %i "$TMP/m")" "$(stat -c %i "$MNT/..")"
	check "mnt/sub/.. is the root" "$(stat -c %i "$SRC")" "$(stat -c %i "$MNT/sub/..")"
	fails_with "mnt/../outside does not exist" "No such file" cat "$MNT/../outside/secret"
	fails_with "mnt/sub/../../outside does not exist" "No such file" cat "$MNT/sub/../../outside/secret"
	fails_with "mkdir mnt/.. refused" "File exists" mkdir "$MNT/.."

	# ---- symlinks are handed to the kernel, not followed ------------------
	check "symlink stays a symlink" "symbolic link" "$(stat -c %F "$MNT/abs")"
	check "absolute target" "$OUT" "$(readlink "$MNT/abs")"
	check "relative target" "../outside" "$(readlink "$MNT/rel")"
	check "../../.. target" "../../../../../../../../../../..$OUT/secret" "$(readlink "$MNT/sub/deep")"
	fails_with "relative link resolves against the mount (read)" "No such file" cat "$MNT/rel/secret"
	fails_with "../../ link resolves against the mount (read)" "No such file" cat "$MNT/sub/up"
	fails_with "../../ link resolves against the mount (write)" "$NOENT" sh -c "echo pwned >'$MNT/sub/up'"
	fails_with "dangling link: no create outside" "$NOENT" sh -c "echo pwned >'$MNT/dangling'"
	check "no file created outside" "no" "$([ -e "$OUT/newfile" ] && echo yes || echo no)"
	fails_with "truncate through relative link" "No such file" truncate -s 0 "$MNT/sub/up"
	fails_with "chmod through relative link" "$NOENT" chmod 777 "$MNT/sub/up"
	fails_with "setfattr through relative link" "No such file" setfattr -n user.pwned -v 1 "$MNT/sub/up"

	# Calls on the link itself change the link in the source, nothing else.
	chown -h 123:456 "$MNT/absfile"
	check "chown -h changes the link" "123:456" "$(stat -c %u:%g "$SRC/absfile")"
	touch -h -d @2000000 "$MNT/absfile"
	check "touch -h changes the link" 2000000 "$(stat -c %Y "$SRC/absfile")"
	fails_with "user.* xattr on a link: native EPERM" "not permitted" \
		setfattr -h -n user.pwned -v 1 "$MNT/absfile"
	ln "$MNT/absfile" "$MNT/hardlink"
	check "hard link of a link is a link" "symbolic link $OUT/secret" \
		"$(stat -c %F "$SRC/hardlink") $(readlink "$SRC/hardlink")"
	mv "$MNT/hardlink" "$MNT/renamed" && rm "$MNT/renamed"
	check "rename+unlink of a link leave the target" yes "$([ -f "$OUT/secret" ] && echo yes)"
	fails_with "hard link from outside" "cross-device" ln "$OUT/secret" "$MNT/stolen"

	# A link planted in the source under a name the kernel caches as absent:
	# the kernel sends CREATE for it; the daemon must not write through it.
	# Relative links: if the daemon followed them it would reach $OUT.
	fails_with "planted name is absent" "No such file" stat "$MNT/planted"
	fails_with "planted2 name is absent" "No such file" stat "$MNT/planted2"
	ln -s ../outside/secret "$SRC/planted"
	ln -s ../outside/newfile "$SRC/planted2"
	# ELOOP from the daemon's O_NOFOLLOW, or ENOENT if the kernel looked
	# the name up again and resolved the link itself (against the mount).
	fails_with "create over planted link fails" "symbolic links|$NOENT" sh -c "echo pwned >'$MNT/planted'"
	fails_with "create over planted dangling link fails" "symbolic links|$NOENT" sh -c "echo pwned >'$MNT/planted2'"
	check "planted link created nothing outside" "no" "$([ -e "$OUT/newfile" ] && echo yes || echo no)"

	# Absolute links are followed by the kernel, for the caller, with the
	# caller's rights (the daemon is root and could have).
	check "nobody reads a public file via the link" secret "$(as_nobody cat "$MNT/abs/secret")"
	fails_with "nobody cannot read outside private file" "Permission denied" as_nobody cat "$MNT/abs/private"
	fails_with "nobody cannot write outside file" "Permission denied" \
		as_nobody sh -c "echo pwned >'$MNT/absfile'"
	fails_with "nobody cannot write via ../../.. link" "Permission denied" \
		as_nobody sh -c "echo pwned >'$MNT/sub/deep'"
	check "outside file unchanged" "$SECRET0" "$(secret_state)"
	check "outside private unchanged" "private 600" "$(cat "$OUT/private") $(stat -c %a "$OUT/private")"

	# ---- creating as the caller -------------------------------------------
	as_nobody touch "$MNT/pub/f"
	as_nobody mkdir "$MNT/pub/d"
	as_nobody ln -s target "$MNT/pub/s"
	as_nobody mkfifo "$MNT/pub/p"
	as_nobody ln "$MNT/pub/f" "$MNT/pub/f2"
	for n in f d s p f2; do
		check "nobody's $n is nobody's in the source" "65534:65534" "$(stat -c %u:%g "$SRC/pub/$n")"
	done
	check "hard link count" 2 "$(stat -c %h "$SRC/pub/f")"
	check "umask applies" 600 "$(as_nobody sh -c "umask 077; : >'$MNT/pub/m'; stat -c %a '$SRC/pub/m'")"
	if [ -n "$PY" ]; then
		# fstat through the mount shows the underlying file's owner.
		check "O_TMPFILE made as the caller" "65534:65534" "$(as_nobody "$PY" -c 'import os, sys
fd = os.open(sys.argv[1], os.O_TMPFILE | os.O_WRONLY, 0o600)
st = os.fstat(fd)
print("%d:%d" % (st.st_uid, st.st_gid))' "$MNT/pub" 2>&1)"
	fi
	touch "$MNT/pub/byroot"
	check "root's file is root's" "0:0" "$(stat -c %u:%g "$SRC/pub/byroot")"
	fails_with "nobody cannot create in root's dir" "Permission denied" as_nobody touch "$MNT/nope"

	# Set-gid directory: group inherited, directories stay set-gid, and the
	# set-gid bit of a file is dropped for a non-member.
	as_nobody touch "$MNT/sg/f"
	as_nobody mkdir "$MNT/sg/d"
	[ -n "$PY" ] && as_nobody "$PY" -c 'import os,sys; os.close(os.open(sys.argv[1], os.O_CREAT|os.O_WRONLY, 0o2755))' "$MNT/sg/x" 2>/dev/null
	check "sgid dir: file group" "65534:4242" "$(stat -c %u:%g "$SRC/sg/f")"
	check "sgid dir: subdir group and bit" "65534:4242 2755" "$(stat -c '%u:%g %a' "$SRC/sg/d")"
	if [ -e "$SRC/sg/x" ]; then
		check "sgid bit dropped for a non-member" "755" "$(stat -c %a "$SRC/sg/x")"
	fi

	# Supplementary groups reach the underlying file system.
	check "member of 4243 creates in a 0770 dir" "65534:65534" "$(setpriv --reuid=65534 --regid=65534 --groups=4243 \
		sh -c ": >'$MNT/grp/f' && stat -c %u:%g '$SRC/grp/f'" 2>&1)"
	setpriv --reuid=65534 --regid=65534 --groups=4243 chgrp 4243 "$MNT/pub/f" 2>/dev/null
	check "member chgrp's its file" "65534:4243" "$(stat -c %u:%g "$SRC/pub/f")"
	fails_with "non-member cannot create there" "Permission denied" as_nobody touch "$MNT/grp/g"

	umount "$MNT" || umount -l "$MNT"
	for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
	wait "$PID"; check "passthrough exits 0 after umount" 0 $?
	PID=
}

for mode in default passthrough writeback_cache; do
	echo "---- -o $mode"
	run_mode "$mode"
done

echo
[ $fails = 0 ] && echo "all passthrough escape checks passed" && exit 0
echo "$fails passthrough escape check(s) failed"
exit 1
