#!/usr/bin/env bash
# Debian's sshfs binary, unchanged, on our libfuse3.so.3 through
# fusebox-run, against a private sshd: its own config, host key and
# authorized key in $TMP, listening on a free loopback port (the
# system's sshd and its config are never touched). Twice: on our
# library and on Debian's, the same checks each way:
#  - a mount, and the daemon's /proc/PID/maps: only the library of that
#    side; a round of file operations compared with the source folder;
#  - sshfs's own test/test_sshfs.py (Debian source package sshfs-fuse,
#    fetched at test time; FBX_SSHFS_SRC=DIR uses an unpacked tree
#    instead), run unchanged: a copy of its test/ beside an `sshfs` that
#    is `fusebox-run /usr/bin/sshfs` (or plain /usr/bin/sshfs), and an
#    `ssh` first in PATH that reaches our sshd for `localhost`. Every
#    test that passes on Debian's libfuse must pass on ours.
#    Its 16 parametrizations take ~8 minutes a side here (sleeps for the
#    cache timeouts), so by default one runs: one connection, no cache,
#    no debug (pytest -k 'False-False-0-False]'). The mount round runs
#    twice, the second time with -o max_conns=3 (sshfs finds an open
#    file's connection by the path given to open: with hard links the
#    ops on it must get that path, see fusebox/fs.h "Open files").
#    FBX_SSHFS_SELECT=EXPR runs the tests pytest -k EXPR selects, =all
#    every one;
#    FBX_SSHFS_ARGS adds options to every sshfs the suite starts (e.g.
#    -o no_contain_symlinks for upstream's test, which predates Debian's
#    default of refusing absolute symlink targets).
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

[ "${FBX_SAN:-0}" = 1 ] && skip "Debian's programs run in the normal build only"
[ "$(id -u)" = 0 ] || skip "needs root to mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
SSHFS=$(command -v sshfs) || skip "no sshfs (tests/install-deps)"
[ -x /usr/sbin/sshd ] || skip "no sshd (openssh-server, tests/install-deps)"
SFTP=/usr/lib/openssh/sftp-server
[ -x "$SFTP" ] || skip "no $SFTP"
RUN=$FBX_ROOT/$BUILD/tools/fusebox-run
LIB=$FBX_ROOT/$BUILD/compat/libfuse3.so.3
[ -x "$RUN" ] && [ -f "$LIB" ] || { echo "missing $RUN or $LIB (run make)"; exit 1; }
SYSLIB=$(readlink -f "$(ldd "$SSHFS" | awk '$1 == "libfuse3.so.3" {print $3}')")
[ -f "$SYSLIB" ] || { echo "sshfs does not link libfuse3.so.3: $(ldd "$SSHFS")"; exit 1; }

# ---- the private sshd ---------------------------------------------------------
PY=/usr/bin/python3
S=$TMP/ssh; mkdir -p "$S/bin"
ssh-keygen -q -t ed25519 -N '' -f "$S/host_key" && ssh-keygen -q -t ed25519 -N '' -f "$S/id" ||
	{ echo "ssh-keygen failed"; exit 1; }
cp "$S/id.pub" "$S/authorized_keys"
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$S/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $S/host_key
PidFile $S/sshd.pid
AuthorizedKeysFile $S/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
Subsystem sftp $SFTP
EOF
cat >"$S/ssh_config" <<EOF
Host localhost 127.0.0.1
	HostName 127.0.0.1
	Port $PORT
	User $(id -un)
	IdentityFile $S/id
	IdentitiesOnly yes
	UserKnownHostsFile /dev/null
	StrictHostKeyChecking no
	BatchMode yes
	LogLevel ERROR
EOF
# sshfs and the suite call `ssh` by name: this one knows our sshd.
printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$S/ssh_config" >"$S/bin/ssh"
# the suite's cleanup and marker look for `fusermount` (libfuse 2's name)
printf '#!/bin/sh\nexec fusermount3 "$@"\n' >"$S/bin/fusermount"
chmod +x "$S/bin/ssh" "$S/bin/fusermount"
export PATH="$S/bin:$PATH"

# sshd wants its privilege separation folder (the package makes it at boot)
MADE_RUN_SSHD=
if [ ! -d /run/sshd ]; then mkdir -m 755 /run/sshd && MADE_RUN_SSHD=1; fi
fbx_cleanup_hook() { [ -n "$MADE_RUN_SSHD" ] && rmdir /run/sshd 2>/dev/null; return 0; }
start_fs "$S/sshd.log" /usr/sbin/sshd -D -e -f "$S/sshd_config"
SSHD=$PID
for _ in $(seq 100); do ssh localhost true 2>/dev/null && break; kill -0 "$SSHD" 2>/dev/null || break; sleep 0.1; done
ssh localhost true || { echo "the private sshd does not answer:"; cat "$S/sshd.log"; exit 1; }
echo "ok    private sshd on 127.0.0.1:$PORT, key login"

# ---- a mount per side: maps, then file operations --------------------------------
ops() {   # ops MNT SRC: one line per operation, "ok NAME" or "FAIL NAME: why"
	"$PY" - "$1" "$2" <<'EOF'
import errno, os, stat, sys
m, s = sys.argv[1], sys.argv[2]
def t(name, f):
    try:
        f(); print("ok", name)
    except Exception as e:
        print("FAIL", name + ":", repr(e))
def rd(p):
    with open(p, "rb") as fh: return fh.read()
def wr(p, d, mode="wb"):
    with open(p, mode) as fh: fh.write(d)
def eq(a, b):
    if a != b: raise AssertionError(f"{a!r} != {b!r}")
data = os.urandom(300000)
t("write, read back, same on the server", lambda: (wr(f"{m}/a", data), eq(rd(f"{m}/a"), data), eq(rd(f"{s}/a"), data)))
t("append", lambda: (wr(f"{m}/a", b"tail", "ab"), eq(os.stat(f"{m}/a").st_size, len(data) + 4)))
t("server-side file is seen", lambda: (wr(f"{s}/b", b"from the server"), eq(rd(f"{m}/b"), b"from the server")))
t("mkdir, listdir", lambda: (os.mkdir(f"{m}/d"), eq(sorted(os.listdir(m)), ["a", "b", "d"])))
t("rename into a folder", lambda: (os.rename(f"{m}/b", f"{m}/d/b2"), eq(os.listdir(f"{s}/d"), ["b2"])))
t("symlink, readlink", lambda: (os.symlink("target", f"{m}/l"), eq(os.readlink(f"{m}/l"), "target"),
                                eq(stat.S_ISLNK(os.lstat(f"{s}/l").st_mode), True)))
t("chmod", lambda: (os.chmod(f"{m}/a", 0o600), eq(stat.S_IMODE(os.stat(f"{s}/a").st_mode), 0o600)))
t("truncate", lambda: (os.truncate(f"{m}/a", 10), eq(rd(f"{m}/a"), data[:10])))
t("hard link", lambda: (os.link(f"{m}/a", f"{m}/h"), eq(os.stat(f"{s}/a").st_nlink, 2)))
def gone():
    os.unlink(f"{m}/h")
    try: os.stat(f"{m}/h")
    except FileNotFoundError: return
    raise AssertionError("still there")
t("unlink", gone)
def enoent():
    try: open(f"{m}/nothere")
    except FileNotFoundError: return
    raise AssertionError("opened")
t("missing name: ENOENT", enoent)
t("rmdir", lambda: (os.unlink(f"{m}/d/b2"), os.rmdir(f"{m}/d"), eq(os.path.exists(f"{s}/d"), False)))
def links_open():   # sshfs's tst_link (filecmp) in short: both names open at once
    wr(f"{m}/x", b"linked"); os.link(f"{m}/x", f"{m}/y")
    with open(f"{m}/x", "rb") as f1, open(f"{m}/y", "rb") as f2:
        eq(f1.read(), f2.read())
    os.unlink(f"{m}/y"); os.unlink(f"{m}/x")
t("two names of a hard link open at once", links_open)
t("statvfs", lambda: eq(os.statvfs(m).f_bsize > 0, True))
EOF
}
side_mount() {   # side_mount SIDE(ours|debian) [SSHFS-OPTION...]
	local side=$1 src=$TMP/src-$1${2:-} mnt=$TMP/mnt-$1${2:-} want got out
	local -a opts=("${@:2}")
	[ $# -gt 1 ] && side="$side $2"
	mkdir -p "$src" "$mnt"
	if [ "$1" = ours ]; then want=$LIB; set -- "$RUN" "$SSHFS"; else want=$SYSLIB; set -- "$SSHFS"; fi
	start_fs "$TMP/sshfs-$side.log" "$@" "${opts[@]}" -f localhost:"$src" "$mnt"
	if ! wait_mounted "$mnt" "$PID" 150; then
		echo "FAIL  $side: sshfs did not mount:"; sed 's/^/      /' "$TMP/sshfs-$side.log"; fails=$((fails + 1)); return
	fi
	got=$(grep -oE '/[^ ]*libfuse3\.so\.3' "/proc/$PID/maps" | sort -u | xargs -r readlink -f)
	check "$side: the sshfs daemon mapped $want only" "$want" "$got"
	out=$(ops "$mnt" "$src")
	echo "info  $side: $(grep -c '^ok ' <<<"$out") of $(wc -l <<<"$out") file operations pass"
	echo "$out" >"$TMP/ops-${side// /}"
	umount "$mnt"
	wait_exit "$PID" 100; check "$side: sshfs exits 0 after umount" 0 $?
}
# Again with several connections: sshfs picks one per open file by the
# path open was given, and ops on the file must get that path (hard
# links: fusebox's one node has two names; entry_timeout=0: every
# open looks its name up, as sshfs's tst_link does without cache).
for mc in "" -omax_conns=3,entry_timeout=0; do
	side_mount debian $mc
	side_mount ours $mc
	grep '^FAIL' "$TMP/ops-ours$mc" | sed "s/^/      ours $mc: /"
	check "every file operation that works on Debian's libfuse works on ours $mc" \
		"$(grep '^ok ' "$TMP/ops-debian$mc")" "$(grep '^ok ' "$TMP/ops-ours$mc")"
done

# ---- sshfs's own test suite ---------------------------------------------------------

"$PY" -c 'import pytest' 2>/dev/null || { echo "info  no python3-pytest: sshfs's suite not run"; finish; }
if [ -n "${FBX_SSHFS_SRC:-}" ]; then
	SRC=$FBX_SSHFS_SRC
else
	CACHE=$FBX_ROOT/$BUILD/compat-src/sshfs-fuse
	tests/compat/fetch_src.sh sshfs-fuse "$CACHE" >"$TMP/fetch.log" 2>&1
	case $? in
	0) SRC=$CACHE/src;;
	77) echo "info  sshfs's test suite not run: its source is not available: $(tail -n1 "$TMP/fetch.log")"; finish;;
	*) cat "$TMP/fetch.log"; exit 1;;
	esac
fi
[ -f "$SRC/test/test_sshfs.py" ] || { echo "no test/test_sshfs.py in $SRC"; exit 1; }

suite() {   # suite SIDE: verdict lines "PASSED|FAILED|... id" in $TMP/verdicts_SIDE
	local side=$1 w=$TMP/suite-$1
	mkdir -p "$w"
	cp -r "$SRC/test" "$w/test"
	# the suite runs $basename/sshfs, basename being test/..
	if [ "$side" = ours ]; then
		# The daemon's maps, a second after start (the suite's mounts live
		# longer): which library each one runs on.
		printf '#!/bin/sh\n(sleep 1; grep -oE "/[^ ]*libfuse3[.]so[.]3" /proc/$$/maps | sort -u >>%s) &\nexec %s %s %s "$@"\n' \
			"$TMP/maps-ours" "$RUN" "$SSHFS" "${FBX_SSHFS_ARGS:-}" >"$w/sshfs"
	else
		printf '#!/bin/sh\nexec %s %s "$@"\n' "$SSHFS" "${FBX_SSHFS_ARGS:-}" >"$w/sshfs"
	fi
	chmod +x "$w/sshfs"
	# --maxfail overrides the -x of its pytest.ini: we want every verdict
	(cd "$w/test" && TMPDIR="$TMP" timeout -k 10 900 "$PY" -m pytest -p no:cacheprovider --maxfail=1000 -rA -q \
		test_sshfs.py "${SELECT[@]}" >"$TMP/pytest_$side.log" 2>&1)
	grep -E '^(PASSED|FAILED|SKIPPED|ERROR) ' "$TMP/pytest_$side.log" |
		sed -E 's/^SKIPPED \[[0-9]+\] /SKIPPED /; s/ - .*//' | sort -u >"$TMP/verdicts_$side"
}
SELECT=(-k "${FBX_SSHFS_SELECT:-False-False-0-False]}")
[ "${FBX_SSHFS_SELECT:-}" = all ] && SELECT=()
# a selection naming no test (another version's ids): all of them
if [ ${#SELECT[@]} -gt 0 ] && ! (cd "$SRC/test" && PYTHONDONTWRITEBYTECODE=1 "$PY" -m pytest -p no:cacheprovider -q --collect-only \
	test_sshfs.py "${SELECT[@]}" >/dev/null 2>&1); then
	echo "info  -k '${SELECT[1]}' selects no test of this test_sshfs.py: running all"
	SELECT=()
fi
ids() { grep "^$1 " "$TMP/verdicts_$2" | cut -d' ' -f2 | sort -u; }
passed() { comm -23 <(ids PASSED "$1") <(ids ERROR "$1"); }
suite debian
suite ours
for side in debian ours; do
	echo "info  test_sshfs.py on $side libfuse: $(passed $side | wc -l) passed, $(ids FAILED $side | wc -l) failed," \
	     "$(grep -c '^SKIPPED' "$TMP/verdicts_$side") skipped, $(ids ERROR $side | wc -l) errors"
done
check "test_sshfs.py passes tests on Debian's libfuse" yes "$([ -n "$(passed debian)" ] && echo yes || echo no)"
[ -n "$(passed debian)" ] || tail -30 "$TMP/pytest_debian.log"
lost=$(comm -23 <(passed debian) <(passed ours))
check "every test_sshfs.py test passing on Debian's libfuse passes on ours" "" "$lost"
[ -n "$lost" ] && grep -E '^(FAILED|ERROR)|Error|assert' "$TMP/pytest_ours.log" | head -30 | sed 's/^/      /'
check "the suite's sshfs daemons mapped our library only" "$LIB" "$(sort -u "$TMP/maps-ours" 2>/dev/null | xargs -r readlink -f | sort -u)"
[ -n "${FBX_KEEP_LOGS:-}" ] && cp "$TMP"/pytest_*.log "$FBX_KEEP_LOGS"/
finish
