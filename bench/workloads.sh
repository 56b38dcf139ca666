# shellcheck shell=bash disable=SC2034 # WL_FLAGS, DLABEL, ...: read by bench/run
# bench/workloads.sh -- the "workloads" group of bench/run (sourced by it):
# programs a user runs, not single operations. Each workload runs on five
# sides: our memfs and passthrough with their defaults, passthrough with
# -o writeback_cache, libfuse 3.14's passthrough_ll with its defaults
# (the peer), and tmpfs (native). See bench/README.md, "workloads".
#
# Everything the workloads use is made here, deterministically, in
# $T/wl: a tree of WL_FILES files (tar), a git repository of part of it,
# WL_CFILES C files with a Makefile, and the SQLite script. Nothing comes
# from the machine (not /usr/share/doc), so every run and machine sees
# the same bytes.
#
# Uses from bench/run: T SRC MNT QUICK PEER_PT OURS_PT OURS_MEMFS PIDS
# MOUNTS DPID DLABEL CUR_ROUND, row rec note log setstat stop_daemon
# is_mounted drop_caches build_peer_c.

WL=$T/wl
WL_FILES=3000; WL_CFILES=60; WL_ROWS=25000
[ "$QUICK" = 1 ] && { WL_FILES=1000; WL_CFILES=20; WL_ROWS=5000; }
# WL_COUNTED: the sides whose requests are counted (the transport does
# not change what the kernel asks). WL_SIDES adds memfs and passthrough
# over FUSE io_uring (-o io_uring; the fuse module's enable_uring set to
# Y for those runs only, as the fuse group's [uring] rows do).
WL_COUNTED="memfs pt ptwb"
WL_SIDES=$WL_COUNTED
if WL_URING_WHY=$(uring_why); then WL_SIDES="$WL_SIDES mfur ptur"
elif want workloads; then note "workloads: [.. uring] rows skipped: $WL_URING_WHY"; fi
WL_OK=1

WL_FLAGS="memfs: -f MNT; pt: passthrough -f SRC MNT; pt wb: passthrough -f -o writeback_cache SRC MNT; memfs/pt uring: the same with -o io_uring (enable_uring=Y); peer: passthrough_ll -f -o source=SRC MNT; native: tmpfs"
wl_label() { case $1 in memfs) echo memfs;; pt) echo pt;; ptwb) echo "pt wb";; ptnx) echo "pt no_xattr";; mfur) echo "memfs uring";; ptur) echo "pt uring";; esac; }

# wl_prepare: the inputs, once per bench run (not timed).
wl_prepare() {
  local need
  for need in tar git make python3 gcc; do
    command -v $need >/dev/null || { note "workloads: $need missing (bench/install-deps): group skipped"; WL_OK=0; return 0; }
  done
  python3 -c 'import sqlite3' 2>/dev/null || { note "workloads: python3 has no sqlite3 module: group skipped"; WL_OK=0; return 0; }
  mkdir -p "$WL/gen"
  # The tree: 30 directories of 100 files (QUICK: 10), sizes log-uniform
  # from 64 B to 32 KiB with one file in 50 between 64 and 512 KiB,
  # random bytes from a fixed seed; fixed modes and mtimes so that tar
  # sets them (as it does for any archive).
  python3 - "$WL/gen/tree" "$WL_FILES" <<'EOF' || { note "workloads: cannot generate the tree"; WL_OK=0; return 0; }
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
r = random.Random(14)
for i in range(n):
    d = os.path.join(root, "d%02d" % (i // 100), "s%d" % (i % 100 // 25))
    os.makedirs(d, exist_ok=True)
    size = int(2 ** r.uniform(6, 15)) if i % 50 else r.randint(64 << 10, 512 << 10)
    p = os.path.join(d, "f%04d.%s" % (i, "c" if i % 3 else "txt"))
    with open(p, "wb") as f:
        f.write(r.randbytes(size))
    os.chmod(p, 0o644 if i % 7 else 0o755)
    os.utime(p, (1700000000 + i, 1700000000 + i))
EOF
  tar -C "$WL/gen" -cf "$WL/tree.tar" tree
  WL_ENTRIES=$(tar -tf "$WL/tree.tar" | wc -l)
  # The repository: 1000 text files in 20 directories, three commits,
  # fixed names and dates; cloned without hardlinks like a remote one.
  python3 - "$WL/gen/repo" <<'EOF' || { note "workloads: cannot generate the repository"; WL_OK=0; return 0; }
import os, random, sys
root = sys.argv[1]
r = random.Random(15)
words = ["fuse", "kernel", "page", "cache", "inode", "request", "reply", "write", "read", "node"]
for i in range(1000):
    d = os.path.join(root, "src%02d" % (i // 50))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "m%04d.txt" % i), "w") as f:
        for _ in range(r.randint(5, 200)):
            f.write(" ".join(r.choice(words) for _ in range(8)) + "\n")
EOF
  (
    cd "$WL/gen/repo" || exit 1
    export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@fusebox GIT_COMMITTER_NAME=bench \
           GIT_COMMITTER_EMAIL=bench@fusebox GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' \
           GIT_COMMITTER_DATE='2026-01-01T00:00:00Z'
    git init -q -b main . && git add -A && git commit -qm one &&
    for f in src0[0-4]/*.txt; do echo change >>"$f"; done && git commit -qam two &&
    for f in src1[0-4]/*.txt; do echo again >>"$f"; done && git commit -qam three &&
    git gc -q
  ) >"$WL/git-prep.log" 2>&1 || { note "workloads: cannot make the git repository ($(tail -n1 "$WL/git-prep.log"))"; WL_OK=0; return 0; }
  # The build: WL_CFILES C files of 20 functions each, one header (no
  # system headers: the compiler's own parsing would hide the filesystem),
  # a Makefile that links them.
  mkdir -p "$WL/gen/build"
  python3 - "$WL/gen/build" "$WL_CFILES" <<'EOF'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
with open(os.path.join(root, "common.h"), "w") as h:
    h.write("".join("int f%d(int x);\n" % i for i in range(n)))
for i in range(n):
    with open(os.path.join(root, "u%03d.c" % i), "w") as f:
        f.write('#include "common.h"\n')
        for k in range(20):
            f.write("static int g%d(int x) { int s = 0; for (int i = 0; i < x; i++) s += i * %d; return s; }\n" % (k, k + 1))
        f.write("int f%d(int x) { return %s; }\n" % (i, " + ".join("g%d(x)" % k for k in range(20))))
with open(os.path.join(root, "main.c"), "w") as f:
    f.write('#include "common.h"\nint main(void) { int s = 0;\n')
    f.write("".join("s += f%d(%d);\n" % (i, i % 7) for i in range(n)))
    f.write("return s == 0; }\n")
with open(os.path.join(root, "Makefile"), "w") as f:
    f.write("OBJS := $(patsubst %.c,%.o,$(wildcard *.c))\nprog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n")
    f.write("%.o: %.c common.h\n\t$(CC) -O0 -c -o $@ $<\n")
EOF
  # SQLite, as an application uses it: 25k inserts committed every 100
  # rows (rollback journal, the default), one UPDATE of every row, VACUUM,
  # integrity_check. Prints "insert S", "update S", "vacuum S", "check S".
  cat >"$WL/sql.py" <<'EOF'
import sqlite3, sys, time, random
db, n = sys.argv[1], int(sys.argv[2])
r = random.Random(16)
c = sqlite3.connect(db, isolation_level=None)
c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, v TEXT)")
c.execute("CREATE INDEX tk ON t(k)")
t0 = time.perf_counter()
for i in range(0, n, 100):
    c.execute("BEGIN")
    c.executemany("INSERT INTO t (k, v) VALUES (?, ?)",
                  [(r.randint(0, 1 << 30), "%064x" % r.getrandbits(256)) for _ in range(100)])
    c.execute("COMMIT")
t1 = time.perf_counter()
c.execute("UPDATE t SET v = v || 'x', k = k + 1")
t2 = time.perf_counter()
c.execute("VACUUM")
t3 = time.perf_counter()
ok = c.execute("PRAGMA integrity_check").fetchone()[0]
t4 = time.perf_counter()
if ok != "ok":
    sys.exit("integrity_check: " + ok)
c.close()
print("insert %.4f\nupdate %.4f\nvacuum %.4f\ncheck %.4f" % (t1 - t0, t2 - t1, t3 - t2, t4 - t3))
EOF
  setstat wl.rt native "--"
  log "workloads: tree of $WL_ENTRIES entries ($(du -sm "$WL/gen/tree" | cut -f1) MB), $WL_CFILES C files, $WL_ROWS rows"
}

wl_rows() {
  local s w
  for w in "tar:tar -x" "rm:rm -rf" "clone:git clone" "status:git status" "fsck:git fsck" \
           "insert:sqlite insert" "update:sqlite update" "vacuum:sqlite vacuum" \
           "check:sqlite check" "build:build make -j2"; do
    for s in $WL_SIDES; do
      case ${w%%:*} in
        insert|update|vacuum|check|build) row "wl.$s.${w%%:*}" workl "$(printf '%-14s [%s]' "${w#*:}" "$(wl_label $s)")" s l 1.5 2;;
        *) row "wl.$s.${w%%:*}" workl "$(printf '%-14s [%s]' "${w#*:}" "$(wl_label $s)")" s l 1.5 "";;
      esac
    done
  done
  for s in $WL_COUNTED; do
    row "wl.rt.$s" workl "$(printf 'tar -x req/entry [%s]' "$(wl_label $s)")" req l "<=6" ""
  done
}

# wl_start SIDE SRCDIR LOG [DEBUG]: mounts one side on $MNT (sets DPID).
# Our daemons count their requests (FBX_REQUEST_COUNTS), printed at exit.
wl_start() {
  local side=$1 src=$2 lg=$3 i
  case $side in
    memfs) FBX_REQUEST_COUNTS=1 "$OURS_MEMFS" -f "$MNT" >"$lg" 2>&1 & ;;
    mfur)  "$OURS_MEMFS" -f -o io_uring "$MNT" >"$lg" 2>&1 & ;;
    ptur)  "$OURS_PT" -f -o io_uring "$src" "$MNT" >"$lg" 2>&1 & ;;
    pt)    FBX_REQUEST_COUNTS=1 "$OURS_PT" -f "$src" "$MNT" >"$lg" 2>&1 & ;;
    ptwb)  FBX_REQUEST_COUNTS=1 "$OURS_PT" -f -o writeback_cache "$src" "$MNT" >"$lg" 2>&1 & ;;
    ptnx)  FBX_REQUEST_COUNTS=1 "$OURS_PT" -f -o no_xattr "$src" "$MNT" >"$lg" 2>&1 & ;;
    peer)  if [ -n "${4:-}" ]; then "$PEER_PT" -d -o source="$src" "$MNT" >"$lg" 2>&1 &
           else "$PEER_PT" -f -o source="$src" "$MNT" >"$lg" 2>&1 & fi ;;
  esac
  DPID=$!; PIDS+=("$DPID"); MOUNTS+=("$MNT"); DLABEL="round ${CUR_ROUND:-?} workloads $side (log $(basename "$lg"))"
  for ((i=0; i<100; i++)); do
    is_mounted "$MNT" && return 0
    kill -0 "$DPID" 2>/dev/null || break
    sleep 0.1
  done
  log "workloads $side: did not mount: $(tail -n3 "$lg" | tr '\n' ' ')"
  stop_daemon "$DPID" "$MNT"
  return 1
}

# wl_time KEY SIDE ROUND CMD...: runs CMD, records its wall time in s.
wl_time() {
  local k=$1 side=$2 r=$3 t0 t1; shift 3
  t0=$(date +%s.%N)
  if ! "$@" >>"$WL/cmd.log" 2>&1; then log "workloads $side: '$*' failed: $(tail -n1 "$WL/cmd.log")"; return 1; fi
  t1=$(date +%s.%N)
  wl_rec "$k" "$side" "$r" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')"
}

# wl_rec KEY SIDE ROUND VALUE: peer and native results go to every one
# of our rows (they are the same run), ours to its own.
wl_rec() {
  local s
  case $2 in
    peer|native) for s in $WL_SIDES; do rec "wl.$s.$1" "$2" "$3" "$4"; done;;
    *) rec "wl.$2.$1" ours "$3" "$4";;
  esac
}

# The round trips of tar -x: a fresh mount, one extraction, unmount; our
# daemon prints its counts at exit, libfuse's -d log has a line per
# request. Once per bench run (the counts do not depend on load).
# ptnx (passthrough -o no_xattr) is counted only, for the notes: what
# the kernel sends when security.capability is never asked for.
wl_count() {
  local side=$1 src=$SRC/wl-count-$1 lg=$WL/count-$1.log n
  case $side in peer) [ -n "$PEER_PT" ] || return 0;; memfs) [ -n "$OURS_MEMFS" ] || return 0;; *) [ -n "$OURS_PT" ] || return 0;; esac
  mkdir -p "$src"
  wl_start "$side" "$src" "$lg" debug || { rm -rf "$src"; return 0; }
  tar -C "$MNT" -xf "$WL/tree.tar" 2>>"$WL/cmd.log"
  stop_daemon "$DPID" "$MNT"
  rm -rf "$src"
  if [ "$side" = peer ]; then
    n=$(grep -c 'opcode: ' "$lg")
    # INIT and the teardown's DESTROY are in ours too: same footing
    awk -v e="$WL_ENTRIES" '/opcode: / { sub(/.*opcode: /, ""); sub(/ .*/, ""); c[$0]++ }
      END { printf "tar -x requests per entry [libfuse passthrough_ll]:"; for (k in c) if (c[k] / e >= 0.05) printf " %s %.2f", k, c[k] / e; print "" }' "$lg" >>"$NOTES"
    for s in $WL_COUNTED; do rec "wl.rt.$s" peer 1 "$(awk -v n="$n" -v e="$WL_ENTRIES" 'BEGIN {printf "%.2f", n / e}')"; done
  else
    n=$(sed -n 's/^fusebox: requests: total=\([0-9]*\).*/\1/p' "$lg" | tail -n1)
    [ -n "$n" ] || { log "workloads $side: no request counts in $lg"; return 0; }
    [ "$side" = ptnx ] || rec "wl.rt.$side" ours 1 "$(awk -v n="$n" -v e="$WL_ENTRIES" 'BEGIN {printf "%.2f", n / e}')"
    grep '^fusebox: requests:' "$lg" | tail -n1 | tr ' ' '\n' | awk -F= -v e="$WL_ENTRIES" -v s="$(wl_label "$side")" '
      NF == 2 && $1 != "total" && $2 / e >= 0.05 { l = l sprintf(" %s %.2f", $1, $2 / e) }
      END { print "tar -x requests per entry [" s "]:" l }' >>"$NOTES"
  fi
}

# wl_side SIDE ROUND: every workload once on one side, in one mount.
wl_side() {
  local side=$1 r=$2 src=$SRC/wl-$1 d lg=$WL/$1-r$2.log v ph
  case $side in
    peer) [ -n "$PEER_PT" ] || return 0;;
    memfs|mfur) [ -n "$OURS_MEMFS" ] || return 0;;
    pt|ptwb|ptur) [ -n "$OURS_PT" ] || return 0;;
  esac
  log "round $r: workloads $side"
  mkdir -p "$src"
  # io_uring is offered at INIT: on for the uring sides, as found otherwise
  case $side in mfur|ptur) uring_set Y;; *) [ "$URING_WAS" = N ] && uring_set N;; esac
  if [ "$side" = native ]; then d=$src; DPID=
  else wl_start "$side" "$src" "$lg" || { [ "$URING_WAS" = N ] && uring_set N; rm -rf "$src"; return 0; }; d=$MNT; fi
  wl_time tar "$side" "$r" tar -C "$d" -xf "$WL/tree.tar"
  wl_time rm "$side" "$r" rm -rf "$d/tree"
  wl_time clone "$side" "$r" git clone -q --no-local --no-hardlinks "$WL/gen/repo" "$d/repo"
  wl_time status "$side" "$r" git -C "$d/repo" status --porcelain
  wl_time fsck "$side" "$r" git -C "$d/repo" fsck --no-progress
  if v=$(cd "$d" && timeout 600 python3 "$WL/sql.py" "$d/test.db" "$WL_ROWS" 2>>"$WL/cmd.log"); then
    while read -r ph v; do wl_rec "$ph" "$side" "$r" "$v"; done <<<"$v"
  else log "workloads $side: sqlite failed: $(tail -n1 "$WL/cmd.log")"; fi
  cp -r "$WL/gen/build" "$d/build"
  wl_time build "$side" "$r" make -s -j2 -C "$d/build"
  if [ "$side" != native ]; then stop_daemon "$DPID" "$MNT"; fi
  [ "$URING_WAS" = N ] && uring_set N
  rm -rf "$src"
}

# wl_round ROUND: the sides in an order that turns each round (drift
# spreads over all of them); native last, like the other groups.
wl_round() {
  local r=$1 s order
  [ "$WL_OK" = 1 ] || return 0
  if [ "$r" = 1 ]; then for s in $WL_COUNTED ptnx peer; do wl_count "$s"; done; fi
  if (( r % 2 )); then order="$WL_SIDES peer"; else order="peer $(echo "$WL_SIDES" | tr ' ' '\n' | tac | tr '\n' ' ')"; fi
  for s in $order native; do wl_side "$s" "$r"; drop_caches; done
}
