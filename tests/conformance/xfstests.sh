#!/usr/bin/env bash
# xfstests.sh -- run xfstests' generic tests on a fusebox filesystem, by
# hand (not part of make check: xfstests is no Debian package, and CI
# reaches nothing but Debian's mirror). See tests/conformance/README.md.
#
#   tests/conformance/xfstests.sh [--fs FS] XFSTESTS_SRC [CHECK ARGS...]
#
# XFSTESTS_SRC: a checkout of git://git.kernel.org/pub/scm/fs/xfs/xfstests-dev
# (or its GitHub mirror kdave/xfstests). It is copied to a work
# directory and built there; nothing lands in this tree.
# FS, what answers the mounts:
#   passthrough  build/examples/passthrough (default; the low-level API)
#   passthrough_fs  build/examples/passthrough_fs (the path API, fs.h)
#   ll-ours      libfuse 3.14's passthrough_ll (Debian's fuse3 source),
#                on our libfuse3.so.3 through build/tools/fusebox-run
#   ll-peer      the same binary on Debian's libfuse3.so.3
# CHECK ARGS default to "-g generic/quick". Mount options are those of
# xfstests' README.fuse plus dev,suid (what mount.fuse3 adds for root),
# plus FBX_XFS_OPTS (say noforget) when set.
# Exit status: 0 when every failure is listed for FS in xfstests.known
# beside this script, 1 otherwise (the unexpected ones are printed).
# It cleans up at exit: mounts, its mount helper in /sbin, the users it
# created, what xfstests left in /tmp, its work directory
# (FBX_XFS_KEEP=1 keeps that one).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD:-$root/build}
fs=passthrough
if [ "${1:-}" = --fs ]; then fs=${2:-}; shift 2; fi
src=${1:-}
[ -n "$src" ] && [ -f "$src/check" ] || { echo "usage: $0 [--fs passthrough|passthrough_fs|ll-ours|ll-peer] XFSTESTS_SRC [check args]" >&2; exit 2; }
shift
[ $# -gt 0 ] || set -- -g generic/quick
[ "$(id -u)" = 0 ] || { echo "xfstests needs root" >&2; exit 2; }
for tool in xfs_io make gcc autoreconf setfacl getfattr quota bc; do
	command -v $tool >/dev/null || {
		echo "missing $tool; xfstests needs: apt-get install xfslibs-dev uuid-dev libtool-bin" \
		     "automake libacl1-dev libaio-dev xfsprogs libgdbm-dev gawk uuid-runtime liburing-dev" \
		     "libcap-dev libattr1-dev attr acl quota bc fio" >&2
		exit 2
	}
done

work=$(mktemp -d /tmp/fbx-xfstests.XXXXXX)
chmod 755 "$work"   # tests run commands as the users fsgqa, fsgqa2 below it
helper=/sbin/mount.fuse.fbxconf$$
made_users=()
# xfstests keeps its own scratch files in /tmp ($tmp is /tmp/PID; some
# tests leave PID.out, populate_root, mktemp dirs): what appears there
# during the run and has such a name goes at exit.
tmp_before=$(ls -A /tmp)
tmp_strays() {
	local p f
	for p in /tmp/[0-9]* /tmp/populate_root /tmp/tmp.??????????; do
		[ -e "$p" ] || continue
		f=${p#/tmp/}
		grep -qxF "$f" <<<"$tmp_before" || echo "$p"
	done
}
cleanup() {
	local m u
	for m in "$work/test" "$work/scratch"; do
		mountpoint -q "$m" 2>/dev/null && { umount "$m" 2>/dev/null || umount -l "$m"; }
	done
	rm -f "$helper"
	for u in "${made_users[@]}"; do userdel -r "$u" >/dev/null 2>&1; done
	tmp_strays | xargs -r rm -rf
	[ "${FBX_XFS_KEEP:-0}" = 1 ] && { echo "kept $work"; return; }
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

case $fs in
passthrough|passthrough_fs)
	[ -x "$build/examples/$fs" ] || { echo "build first (make)" >&2; exit 2; }
	daemon="$build/examples/$fs";;
ll-ours|ll-peer)
	bash "$root/tests/compat/fetch_src.sh" fuse3 "$work/fuse3" || exit 2
	# shellcheck disable=SC2046 # pkg-config's words are meant to split
	gcc -O2 -o "$work/passthrough_ll" "$work/fuse3/src/example/passthrough_ll.c" \
		$(pkg-config --cflags --libs fuse3) || exit 2
	daemon="$work/passthrough_ll"
	[ "$fs" = ll-ours ] && daemon="$build/tools/fusebox-run $daemon";;
*) echo "--fs: passthrough, passthrough_fs, ll-ours or ll-peer, not $fs" >&2; exit 2;;
esac

echo "building xfstests in $work/xfstests"
cp -a "$src" "$work/xfstests" && rm -rf "$work/xfstests/.git"
(cd "$work/xfstests" && make -j"$(nproc)") >"$work/build.log" 2>&1 ||
	{ tail -n 20 "$work/build.log"; echo "xfstests did not build" >&2; exit 2; }
# xfstests knows "fuse.glusterfs" and "fuse.ceph-fuse" by name; any other
# fuse.SUBTYPE it would not recognise as FSTYP=fuse.
sed -i "s|-e 's/fuse.ceph-fuse/ceph-fuse/'|& -e 's/^fuse\\\\..*/fuse/'|" "$work/xfstests/common/rc"

# The helper mount(8) runs for -t fuse.fbxconfPID: DEV MNT -o OPTS, where
# OPTS carries source=DIR.
if [ "${fs#passthrough}" != "$fs" ]; then
	cat >"$helper" <<EOF
#!/bin/bash
dev=\$1 mnt=\$2 opts= src=
shift 2
while [ \$# -gt 0 ]; do case \$1 in -o) opts="\$opts,\$2"; shift 2;; -o*) opts="\$opts,\${1#-o}"; shift;; *) shift;; esac; done
rest=dev,suid${FBX_XFS_OPTS:+,$FBX_XFS_OPTS}
IFS=,; for o in \$opts; do case \$o in source=*) src=\${o#source=};; "") ;; *) rest="\$rest,\$o";; esac; done; unset IFS
ulimit -n \$(ulimit -Hn)
exec $daemon -o "fsname=\$dev,\$rest" "\$src" "\$mnt"
EOF
else
	cat >"$helper" <<EOF
#!/bin/bash
ulimit -n \$(ulimit -Hn)
exec $daemon -o dev,suid${FBX_XFS_OPTS:+,$FBX_XFS_OPTS} -ofsname="\$@"
EOF
fi
chmod 755 "$helper"

for u in fsgqa fsgqa2 123456-fsgqa; do
	id "$u" >/dev/null 2>&1 && continue
	useradd -m "$u" 2>/dev/null && made_users+=("$u")
done
mkdir -p "$work/test" "$work/scratch" "$work/src-test" "$work/src-scratch"
cat >"$work/xfstests/local.config" <<EOF
export TEST_DEV=fbxtest$$
export TEST_DIR=$work/test
export SCRATCH_DEV=fbxscratch$$
export SCRATCH_MNT=$work/scratch
export FSTYP=fuse
export FUSE_SUBTYP=.fbxconf$$
export MOUNT_OPTIONS="-osource=$work/src-scratch,allow_other,default_permissions"
export TEST_FS_MOUNT_OPTS="-osource=$work/src-test,allow_other,default_permissions"
EOF

(cd "$work/xfstests" && ./check "$@") 2>&1 | tee "$work/check.log"
failed=$(sed -n 's/^Failures: //p' "$work/check.log" | tail -n1)
grep -q '^Ran: ' "$work/check.log" || { echo "xfstests ran nothing" >&2; exit 1; }
unexpected=()
for t in $failed; do
	grep -qE "^${t}[[:space:]]+([^[:space:]]*,)?$fs(,|[[:space:]])" "$here/xfstests.known" ||
		unexpected+=("$t")
done
if [ ${#unexpected[@]} -gt 0 ]; then
	echo "unexpected failures on $fs: ${unexpected[*]} (outputs: $work/xfstests/results; FBX_XFS_KEEP=1 keeps them)"
	exit 1
fi
echo "xfstests on $fs: every failure is a known one (tests/conformance/xfstests.known)"
