#!/usr/bin/env bash
# POSIX ACLs through examples/passthrough, beside the same calls on its
# source (tmpfs, which has ACLs): a directory's default ACL replaces the
# creator's umask (POSIX.1e) for mkdir, creat, mknod and O_TMPFILE, and
# is inherited; without one the umask applies; an ACL entry grants a user
# what the mode bits alone would not (default_permissions: the kernel
# checks ACLs too); setting an ACL drops sgid for an owner outside the
# file's group (not for one in it, nor for root). memfs has no ACLs and says so (EOPNOTSUPP).
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
PT=$BUILD/examples/passthrough
MEMFS=$BUILD/examples/memfs
[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v setfacl >/dev/null || skip "no setfacl (Debian's acl)"
[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
[ -x "$PT" ] || { echo "missing $PT (run make)"; exit 1; }

SRC=$TMP/src; MNT=$TMP/mnt
mkdir -p "$SRC" "$MNT"
mount -t tmpfs -o size=16m fbx-test "$SRC" || skip "cannot mount a tmpfs"
setfacl -m u:65534:rw "$SRC" 2>/dev/null || skip "tmpfs without POSIX ACLs"
setfacl -b "$SRC"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# make DIR: the same creations in DIR/acl (default ACL) and DIR/plain,
# under umask 022; prints "name mode acl" per object.
make_all() {
	local d
	mkdir "$1/acl" "$1/plain"
	setfacl -d -m u::rwx,g::rwx,o::rx "$1/acl"
	for d in "$1/acl" "$1/plain"; do
		(
			umask 022
			mkdir "$d/x"
			touch "$d/y"
			mkfifo "$d/p"
			/usr/bin/python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_TMPFILE | os.O_WRONLY, 0o666)
print(oct(os.fstat(fd).st_mode & 0o7777))' "$d" > "$d.tmpfile"
		)
	done
	for d in acl plain; do
		for f in x y p; do
			echo "$d/$f $(stat -c %A "$1/$d/$f") $(getfacl -cp "$1/$d/$f" 2>/dev/null | tr '\n' ' ')"
		done
		echo "$d/O_TMPFILE $(cat "$1/$d.tmpfile")"
	done
	# an ACL entry for a user the mode bits refuse
	echo secret > "$1/granted"; chmod 600 "$1/granted"
	setfacl -m u:65534:r "$1/granted"
	echo "granted: $(as_nobody cat "$1/granted" 2>&1)"
	echo private > "$1/refused"; chmod 600 "$1/refused"
	echo "refused: $(as_nobody cat "$1/refused" 2>&1 | sed 's/.*: //')"
	# sgid and an access ACL: nobody's files, in root's group and in its own
	local who g
	for who in nobody root; do
		for g in 0 65534; do
			echo x > "$1/sgid.$who.$g"; chown "65534:$g" "$1/sgid.$who.$g"
			chmod 2754 "$1/sgid.$who.$g"
			if [ $who = nobody ]; then
				as_nobody setfacl -m u:1:r "$1/sgid.$who.$g"
			else
				setfacl -m u:1:r "$1/sgid.$who.$g"
			fi
			echo "sgid.$who.$g: $(stat -c %A "$1/sgid.$who.$g")"
		done
	done
}

make_all "$SRC" | sed "s/ *$//" > "$TMP/native"
rm -rf "${SRC:?}"/*
check_contains "native: the default ACL replaced the umask" "acl/y -rw-rw-r--" "$(cat "$TMP/native")"
check_contains "native: an ACL set by an owner outside the group drops sgid" \
	"sgid.nobody.0: -rwxr-xr--" "$(cat "$TMP/native")"

for mode in default passthrough; do
	opts=()
	[ $mode = passthrough ] && opts=(-o passthrough)
	start_fs "$TMP/log" "$PT" -f -o allow_other,default_permissions "${opts[@]}" "$SRC" "$MNT"
	wait_mounted "$MNT" "$PID" || { cat "$TMP/log"; echo "FAIL  not mounted"; exit 1; }
	make_all "$MNT" | sed "s/ *$//" > "$TMP/mount"
	while read -r line; do
		key=${line%% *}
		check "[$mode] $key" "$line" "$(grep -F "$key " "$TMP/mount" | head -1)"
	done < "$TMP/native"
	umount "$MNT"
	wait_exit "$PID" 50 >/dev/null
	rm -rf "${SRC:?}"/*
done

if [ -x "$MEMFS" ]; then
	start_fs "$TMP/log" "$MEMFS" -f "$MNT"
	wait_mounted "$MNT" "$PID" || { cat "$TMP/log"; echo "FAIL  memfs not mounted"; exit 1; }
	mkdir "$MNT/d"
	check_contains "memfs: no ACLs, and says so" "Operation not supported" \
		"$(setfacl -d -m u::rwx "$MNT/d" 2>&1)"
	umount "$MNT"
	wait_exit "$PID" 50 >/dev/null
fi
finish
