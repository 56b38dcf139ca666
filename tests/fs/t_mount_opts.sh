#!/usr/bin/env bash
# What the mount code really hands the kernel: the options string of the
# one builder (lib/fuse/options_int.h), the same one the parser keeps in
# fbx_options.kernel_opts (tests/unit/t_options checks its text).
#   mount(2), as root: /proc/self/mountinfo shows the kernel options
#     (default_permissions, allow_other, max_read=), the subtype as the
#     type fuse.NAME, fsname as the source, and the mount flags;
#   fusermount3 (auto_unmount takes that path even as root): a stand-in
#     fusermount3 first on PATH records its -o argument, exactly;
#   options too long for either: a clear message, exit 1, no mount.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
[ "$(id -u)" = 0 ] || skip "needs root to mount with mount(2)"
[ -c /dev/fuse ] || skip "no /dev/fuse"
HELLO=$BUILD/examples/hello_ll
[ -x "$HELLO" ] || { echo "missing $HELLO (run make)"; exit 1; }

# ---- mount(2)
M=$TMP/direct
mkdir "$M"
start_fs "$TMP/direct.log" "$HELLO" -f "$M" \
	-o default_permissions,allow_other,max_read=65536,subtype=st,fsname=src,noexec
wait_mounted "$M" "$PID" || { cat "$TMP/direct.log"; echo "mount at $M failed"; exit 1; }
# mountinfo: ID PARENT MAJ:MIN ROOT POINT MOUNT-OPTS ... - TYPE SOURCE SUPER-OPTS
line=$(awk -v m="$M" '$5 == m' /proc/self/mountinfo)
mopts=$(echo "$line" | awk '{print $6}')
rest=${line#* - }
read -r fstype source sopts <<<"$rest"
check "type carries the subtype" "fuse.st" "$fstype"
check "source is fsname" "src" "$source"
for want in noexec nosuid nodev; do
	check_contains "mount flag $want" ",$want" ",$mopts"
done
for want in default_permissions allow_other max_read=65536; do
	check_contains "kernel option $want" ",$want," ",$sopts,"
done
umount "$M"
wait_exit "$PID" >/dev/null

# ---- fusermount3
mkdir "$TMP/bin" "$TMP/fm"
cat >"$TMP/bin/fusermount3" <<EOS
#!/bin/sh
# Record the arguments, mount nothing: the caller then gives up.
printf '%s\n' "\$@" >"$TMP/fusermount.args"
exit 1
EOS
chmod +x "$TMP/bin/fusermount3"
PATH="$TMP/bin:$PATH" "$HELLO" -f "$TMP/fm" \
	-o auto_unmount,ro,default_permissions,allow_root,max_read=4096,subtype=st,fsname=src \
	>"$TMP/fm.log" 2>&1 </dev/null
check "no mount without fusermount3's help: exit 1" 1 $?
args=$(tr '\n' ' ' <"$TMP/fusermount.args" 2>/dev/null)
check "fusermount3 -o" \
	"-o ro,nosuid,nodev,fsname=src,auto_unmount,default_permissions,allow_other,max_read=4096,subtype=st -- $TMP/fm " \
	"$args"

# ---- too long
long=$(printf 'n%.0s' $(seq 5000))
mkdir "$TMP/long"
for how in direct fusermount; do
	extra=""; [ $how = fusermount ] && extra=,auto_unmount
	rm -f "$TMP/fusermount.args"
	PATH="$TMP/bin:$PATH" "$HELLO" -f "$TMP/long" -o "subtype=$long$extra" \
		>"$TMP/long.log" 2>&1 </dev/null
	check "$how: options too long: exit 1" 1 $?
	check_contains "$how: options too long: says so" "mount options too long" "$(cat "$TMP/long.log")"
	check_true "$how: options too long: nothing mounted" test ! -e "$TMP/fusermount.args"
	is_fuse_mounted "$TMP/long" && { echo "FAIL  $how: mounted anyway"; fails=$((fails + 1)); }
done

[ $fails = 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
