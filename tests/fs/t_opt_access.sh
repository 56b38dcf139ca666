#!/usr/bin/env bash
# Who may use a mount (fusebox/options.h): -o allow_root, -o allow_other,
# neither, and -o default_permissions, on real memfs mounts, with a
# second user (uid 65534 through setpriv) against root, the mounter.
#   - no option: only the mounter; the kernel refuses 65534 (EACCES).
#   - allow_other: everyone gets in.
#   - allow_root: the mounter and root; fusebox mounts with allow_other
#     and refuses other users per request, so 65534 gets EACCES from us.
#   - default_permissions: the kernel checks modes; without it memfs
#     (which checks nothing itself) lets 65534 into a 0700 directory.
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
. "$FBX_ROOT/tests/fs/opt_common.sh"
command -v setpriv >/dev/null || skip "setpriv not installed"

# ---- no option: the kernel keeps everyone but the mounter out ----------
if mnt plain "$MEMFS"; then
	echo data >"$M/f"
	check "plain: root stat" ok "$(errno_of stat "$M/f")"
	check "plain: 65534 stat mount root" EACCES "$(nobody_errno stat "$M")"
	check "plain: 65534 listdir" EACCES "$(nobody_errno listdir "$M")"
	check "plain: 65534 stat file" EACCES "$(nobody_errno stat "$M/f")"
	check "plain: 65534 open/read" EACCES "$(nobody_errno read "$M/f")"
	check "plain: mount has no allow_other" "" \
		"$(awk -v m="$M" '$2 == m' /proc/mounts | grep -o allow_other)"
	umnt
fi

# ---- allow_other: 65534 gets in ------------------------------------------
if mnt other "$MEMFS" -o allow_other; then
	echo data >"$M/f"
	check "allow_other: 65534 stat mount root" ok "$(nobody_errno stat "$M")"
	check "allow_other: 65534 listdir" ok "$(nobody_errno listdir "$M")"
	check "allow_other: 65534 stat file" ok "$(nobody_errno stat "$M/f")"
	check "allow_other: 65534 read" ok "$(nobody_errno read "$M/f")"
	check "allow_other: 65534 reads the data" data "$(as_nobody cat "$M/f" 2>&1)"
	check "allow_other: 65534 creates" ok "$(nobody_errno create "$M/by-nobody")"
	check "allow_other: new file owned by 65534" "$NOBODY:$NOBODY" \
		"$(stat -c %u:%g "$M/by-nobody" 2>&1)"
	umnt
fi

# ---- allow_root: root (the mounter) yes, 65534 no ------------------------
# 65534 goes first: what the kernel has cached (entries, attributes for
# attr_timeout) is answered without asking the daemon, so the per-request
# refusal can only be seen on requests that reach it. OPEN and OPENDIR
# always do.
if mnt root "$MEMFS" -o allow_root; then
	check "allow_root: mount has allow_other (enforced by us)" allow_other \
		"$(awk -v m="$M" '$2 == m' /proc/mounts | grep -o allow_other)"
	check "allow_root: 65534 stat mount root" EACCES "$(nobody_errno stat "$M")"
	check "allow_root: 65534 listdir" EACCES "$(nobody_errno listdir "$M")"
	check "allow_root: 65534 create" EACCES "$(nobody_errno create "$M/x")"
	check "allow_root: root create" ok "$(errno_of create "$M/f")"
	echo data >"$M/f"
	check "allow_root: root stat" ok "$(errno_of stat "$M/f")"
	check "allow_root: root listdir" ok "$(errno_of listdir "$M")"
	check "allow_root: root reads" data "$(cat "$M/f" 2>&1)"
	check "allow_root: 65534 open/read after root" EACCES "$(nobody_errno read "$M/f")"
	check "allow_root: 65534 listdir after root" EACCES "$(nobody_errno listdir "$M")"
	check "allow_root: 65534 unlink" EACCES "$(nobody_errno unlink "$M/f")"
	check "allow_root: file still there" data "$(cat "$M/f" 2>&1)"
	umnt
fi
# With no caching, every stat reaches the daemon: 65534 is refused there too.
if mnt root0 "$MEMFS" -o allow_root,entry_timeout=0,attr_timeout=0; then
	echo data >"$M/f"
	stat "$M/f" >/dev/null
	check "allow_root (no cache): 65534 stat file" EACCES "$(nobody_errno stat "$M/f")"
	check "allow_root (no cache): 65534 stat mount root" EACCES "$(nobody_errno stat "$M")"
	check "allow_root (no cache): root stat" ok "$(errno_of stat "$M/f")"
	umnt
fi
check "allow_root with allow_other is refused" 1 \
	"$(mkdir -p "$TMP/both"; "$MEMFS" -f -o allow_root,allow_other "$TMP/both" >"$TMP/both.log" 2>&1; echo $?)"
check_contains "allow_root with allow_other: message" "mutually exclusive" "$(cat "$TMP/both.log")"
check "allow_root with allow_other: nothing mounted" no \
	"$(is_fuse_mounted "$TMP/both" && echo yes || echo no)"

# ---- default_permissions: the kernel checks modes ------------------------
setup_private() {
	mkdir "$M/priv" && chmod 700 "$M/priv" && echo secret >"$M/priv/f" &&
		chmod 600 "$M/priv/f" && echo open >"$M/pub" && chmod 600 "$M/pub"
}
if mnt dp "$MEMFS" -o allow_other,default_permissions; then
	setup_private
	check "default_permissions: root-owned 0700 dir" "700 0:0" "$(stat -c '%a %u:%g' "$M/priv")"
	check "default_permissions: 65534 listdir 0700 dir" EACCES "$(nobody_errno listdir "$M/priv")"
	check "default_permissions: 65534 stat inside" EACCES "$(nobody_errno stat "$M/priv/f")"
	check "default_permissions: 65534 read 0600 file" EACCES "$(nobody_errno read "$M/pub")"
	check "default_permissions: 65534 write 0600 file" EACCES "$(nobody_errno write "$M/pub")"
	check "default_permissions: 65534 chmod root's file" EPERM "$(nobody_errno chmod "$M/pub" 666)"
	check "default_permissions: 65534 stat the dir itself" ok "$(nobody_errno stat "$M/priv")"
	check "default_permissions: root listdir" ok "$(errno_of listdir "$M/priv")"
	check "default_permissions: root reads" secret "$(cat "$M/priv/f" 2>&1)"
	umnt
fi
# Without it the filesystem decides, and memfs checks nothing.
if mnt nodp "$MEMFS" -o allow_other; then
	setup_private
	check "no default_permissions: root-owned 0700 dir" "700 0:0" "$(stat -c '%a %u:%g' "$M/priv")"
	check "no default_permissions: 65534 listdir 0700 dir" ok "$(nobody_errno listdir "$M/priv")"
	check "no default_permissions: 65534 stat inside" ok "$(nobody_errno stat "$M/priv/f")"
	check "no default_permissions: 65534 reads 0600 file" secret "$(as_nobody cat "$M/priv/f" 2>&1)"
	umnt
fi

finish
