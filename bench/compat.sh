# shellcheck shell=bash
# bench/compat.sh -- the compat group of bench/run (`--only compat`):
# the SAME libfuse programs, built once from Debian's example sources
# against Debian's libfuse3 (bench/run's build_peer_c), run twice: on
# Debian's libfuse3.so.3 (peer) and through $BUILD/tools/fusebox-run on
# our $BUILD/compat/libfuse3.so.3 (ours). No native column: both sides
# are the same binary, only the library under it differs.
#
#   passthrough_ll  libfuse's low-level passthrough over the tmpfs SRC,
#                   -f -o timeout=1,no_writeback -o source=SRC
#   passthrough     libfuse's high-level passthrough (it mounts all of /;
#                   the workload runs in MNT/SRC), -f; its init sets
#                   zero entry/attr/negative timeouts and use_ino
#   hello           libfuse's high-level hello, -f -o entry_timeout=0,
#                   attr_timeout=0,negative_timeout=0 (as the hello group)
#
# Each passthrough gets metaops 1 and 4 threads (all five phases), seq read
# 1M and rand read 4k 1 job (fio, as the fuse group); hello gets reqloop
# stat and open+read, 1 and 4 threads.
#
# The [uring] rows: passthrough_ll's metaops and hello's reqloop again on
# ours with -o io_uring added (our libfuse layers take it as an option;
# io_uring is never their default, see fusebox/options.h), the fuse
# module's enable_uring set to Y for those runs only. Debian's libfuse
# 3.14 has no io_uring: the peer cells are its plain runs. Sourced by bench/run after its
# helpers (meta, fio_val, cfio, start/stop, rec/row); defines compat_prepare,
# compat_rows and compat_round. Ours is checked to have loaded our library
# (/proc/PID/maps); a daemon that did not is noted and its cells stay n/a.

COMPAT_RUN=$BUILD/tools/fusebox-run
COMPAT_LIB=$PWD/$BUILD/compat/libfuse3.so.3
COMPAT_BINS=()
COMPAT_UR=
if URING_WHY=$(uring_why); then COMPAT_UR=1; else note "compat [uring] rows skipped: $URING_WHY"; fi

# crec KEY SIDE ROUND VALUE: the [uring] runs (side ours:ur) file under
# compat.ur.*, the peer's under both names
crec() {
  case $2 in
    ours:ur) rec "compat.ur.${1#compat.}" ours "$3" "$4";;
    peer) rec "$@"; [ -n "$COMPAT_UR" ] && rec "compat.ur.${1#compat.}" peer "$3" "$4";;
    *) rec "$@";;
  esac
}

compat_prepare() {
  local p
  [ -x "$COMPAT_RUN" ] && [ -f "$COMPAT_LIB" ] ||
    { note "compat: $COMPAT_RUN or $COMPAT_LIB not built"; setstat compat ours "not built"; }
  for p in passthrough_ll passthrough hello; do
    if build_peer_c "$p"; then COMPAT_BINS+=("$p")
    else note "compat $p: $PEER_PT_WHY"; setstat "compat.$p" peer n/a; setstat "compat.$p" ours n/a; fi
  done
}

compat_rows() {
  local b t ph u
  for b in passthrough_ll passthrough; do
    for t in 1 4; do
      for ph in create stat readdir rename unlink; do
        u=ops/s; [ $ph = readdir ] && u=ent/s
        row "compat.$b.meta$t.$ph" compat "$(printf '%s %s %sthr' "${b/passthrough/pt}" $ph $t)" $u h 1.2 ""
      done
    done
    row "compat.$b.seqread"   compat "${b/passthrough/pt} seq read 1M"      MiB/s h 1.0 ""
    row "compat.$b.randread1" compat "${b/passthrough/pt} rand read 4k 1j"  IOPS  h 1.0 ""
    row "compat.$b.cpu.meta"  compat "${b/passthrough/pt} daemon CPU: meta" ms    l "" ""
  done
  for t in 1 4; do
    row "compat.hello.stat$t" compat "hello stat ${t}thr"      calls/s h 1.2 ""
    row "compat.hello.read$t" compat "hello open+read ${t}thr" calls/s h 1.2 ""
  done
  row compat.hello.cpu compat "hello daemon CPU" us/call l "" ""
  [ -n "$COMPAT_UR" ] || return 0
  for t in 1 4; do
    for ph in create stat readdir rename unlink; do
      u=ops/s; [ $ph = readdir ] && u=ent/s
      row "compat.ur.passthrough_ll.meta$t.$ph" compat "$(printf 'pt_ll %s %sthr [uring]' $ph $t)" $u h 1.2 ""
    done
  done
  for t in 1 4; do
    row "compat.ur.hello.stat$t" compat "hello stat ${t}thr [uring]"      calls/s h 1.2 ""
    row "compat.ur.hello.read$t" compat "hello open+read ${t}thr [uring]" calls/s h 1.2 ""
  done
  setstat compat native "--"
}

# compat_start SIDE LOG BIN ARGS...: mounts MNT; sets DPID (the program
# itself: fusebox-run execs it)
compat_start() {
  local side=${1%%:*} lg=$2 i; shift 2
  if [ "$side" = ours ]; then "$COMPAT_RUN" -q "$@" >"$lg" 2>&1 &
  else "$@" >"$lg" 2>&1 & fi
  DPID=$!; PIDS+=("$DPID"); MOUNTS+=("$MNT")
  # shellcheck disable=SC2034 # read by bench/run's stop_daemon
  DLABEL="round ${CUR_ROUND:-?} compat $side $(basename "$1")"
  for ((i=0; i<100; i++)); do
    is_mounted "$MNT" && break
    kill -0 "$DPID" 2>/dev/null || break
    sleep 0.1
  done
  if ! is_mounted "$MNT"; then
    log "compat $side $(basename "$1"): did not mount: $(tail -n3 "$lg" | tr '\n' ' ')"
    stop_daemon "$DPID" "$MNT"; return 1
  fi
  local want=$COMPAT_LIB got
  [ "$side" = peer ] && want=$(pkg-config --variable=libdir fuse3)/libfuse3.so.3
  got=$(grep -oE '/[^ ]*libfuse3\.so\.3' "/proc/$DPID/maps" | sort -u | tr '\n' ' ')
  if [ "$(readlink -f "${got% }")" != "$(readlink -f "$want")" ]; then
    note "compat $side $(basename "$1"): the daemon loaded '$got', not $want: no numbers"
    stop_daemon "$DPID" "$MNT"; return 1
  fi
}

compat_pt() { # SIDE ROUND BIN   (SIDE ours:ur: io_uring, metaops only)
  local side=$1 r=$2 b=$3 d=$T/src/compat-${1/:/-} w t0 ur=()
  [ "$side" = ours:ur ] && ur=(-o io_uring)
  mkdir -p "$d"
  case $b in
    passthrough_ll) compat_start "$side" "$T/compat-$b-${side/:/-}-r$r.log" "$T/$b" -f -o timeout=1,no_writeback "${ur[@]}" -o source="$d" "$MNT" || { rm -rf "$d"; return 0; }
                    w=$MNT;;
    passthrough)    compat_start "$side" "$T/compat-$b-$side-r$r.log" "$T/$b" -f "$MNT" || { rm -rf "$d"; return 0; }
                    w=$MNT$d;;
  esac
  t0=$(dticks)
  meta "compat.$b.meta1" "$side" "$r" "$w/meta1" 1 crec
  meta "compat.$b.meta4" "$side" "$r" "$w/meta4" 4 crec
  if [ "$side" = ours:ur ]; then stop_daemon "$DPID" "$MNT"; rm -rf "$d"; return 0; fi
  acc "compat.$b.cpu.meta" ms $(( $(dticks) - t0 )) 0
  local f=(--directory="$w" --filename=seqfile --size="$SEQSIZE" --ioengine=psync)
  fio_val wbw --name=seqwrite "${f[@]}" --rw=write --bs=1M --direct=0 --end_fsync=1 >/dev/null
  drop_caches
  rec "compat.$b.seqread" "$side" "$r" "$(fio_val rbw --name=seqread "${f[@]}" --rw=read --bs=1M --direct=0)"
  drop_caches
  rec "compat.$b.randread1" "$side" "$r" "$(fio_val riops --name=randread "${f[@]}" --rw=randread --bs=4k --direct=1 --time_based --runtime="$RT")"
  acc_flush "$side" "$r"
  stop_daemon "$DPID" "$MNT"
  rm -rf "$d"
}

compat_hello() { # SIDE ROUND
  local side=$1 r=$2 out ph v t t0 calls=0 ur=()
  [ "$side" = ours:ur ] && ur=(-o io_uring)
  # shellcheck disable=SC2086
  compat_start "$side" "$T/compat-hello-${side/:/-}-r$r.log" "$T/hello" -f $HELLO_OPTS "${ur[@]}" "$MNT" || return 0
  t0=$(dticks)
  for t in 1 4; do
    if out=$(timeout 600 "$T/reqloop" -n "$NCALLS" -t $t "$MNT/hello" 2>>"$T/reqloop.log"); then
      calls=$(( calls + NCALLS / t * t * 2 ))
      while read -r ph v; do crec "compat.hello.$ph$t" "$side" "$r" "$v"; done <<<"$out"
    else log "reqloop $t on compat hello $side failed: $(tail -n1 "$T/reqloop.log")"; fi
  done
  if [ "$side" != ours:ur ]; then
    acc compat.hello.cpu us/call $(( $(dticks) - t0 )) "$calls"
    acc_flush "$side" "$r"
  fi
  stop_daemon "$DPID" "$MNT"
}

compat_round() { # SIDE ROUND
  local b
  [ "$1" = ours ] && { [ -x "$COMPAT_RUN" ] && [ -f "$COMPAT_LIB" ] || return 0; }
  for b in "${COMPAT_BINS[@]}"; do
    log "round $2: compat $b $1"
    case $b in
      hello) compat_hello "$1" "$2";;
      *) compat_pt "$1" "$2" "$b";;
    esac
    drop_caches
  done
  [ "$1" = ours ] && [ -n "$COMPAT_UR" ] || return 0
  # io_uring is offered at INIT: on for these daemons only
  uring_set Y
  for b in "${COMPAT_BINS[@]}"; do
    case $b in
      hello) log "round $2: compat hello ours [uring]"; compat_hello ours:ur "$2";;
      passthrough_ll) log "round $2: compat $b ours [uring]"; compat_pt ours:ur "$2" "$b";;
    esac
    drop_caches
  done
  [ "$URING_WAS" = N ] && uring_set N
  return 0
}
