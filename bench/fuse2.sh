# shellcheck shell=bash
# bench/fuse2.sh -- the fuse2 group of bench/run (sourced by it): one
# libfuse 2 binary, libfuse 2.9.9's fusexmp from Debian's libfuse-dev
# examples, built once against Debian's headers, served on Debian's
# libfuse.so.2 (peer) and on ours ($BUILD/compat/libfuse.so.2, chosen
# with LD_LIBRARY_PATH: ours). Same flags on both sides: -f, 1 s
# entry/attr cache, no negative cache; multi-threaded (libfuse 2's pool
# of 10, ours the same bound). fusexmp mirrors /: the workloads run in
# a directory of bench/run's tmpfs through the mount.
# Uses bench/run's helpers (row, rec, meta, cfio, acc, stop_daemon, ...).
#
# The [uring] rows: the metadata phases again on ours with -o io_uring
# (never the default of our libfuse layers), the fuse module's
# enable_uring set to Y for that run only; libfuse 2 has no io_uring, so
# their peer cells are the plain runs.

F2_EXDIR=/usr/share/doc/libfuse-dev/examples
F2_BIN=; F2_OURS=$BUILD/compat/libfuse.so.2
F2_OPTS="-o entry_timeout=1,attr_timeout=1,negative_timeout=0"
F2_UR=
if URING_WHY=$(uring_why); then F2_UR=1; elif want fuse2; then note "fuse2 [uring] rows skipped: $URING_WHY"; fi

# f2rec KEY SIDE ROUND VALUE: ours:ur under fuse2.ur.*, the peer under both
f2rec() {
  case $2 in
    ours:ur) rec "fuse2.ur.${1#fuse2.}" ours "$3" "$4";;
    peer) rec "$@"; [ -n "$F2_UR" ] && rec "fuse2.ur.${1#fuse2.}" peer "$3" "$4";;
    *) rec "$@";;
  esac
}

fuse2_prepare() {
  local src=$F2_EXDIR/fusexmp.c
  setstat fuse2 native "--"
  [ -f "$src" ] || { [ -f "$src.gz" ] && { mkdir -p "$T/ex2"; gunzip -c "$src.gz" >"$T/ex2/fusexmp.c"; src=$T/ex2/fusexmp.c; }; }
  if [ ! -f "$src" ] || ! pkg-config --exists fuse; then
    note "fuse2: no $F2_EXDIR/fusexmp.c or pkg-config fuse (apt-get install libfuse-dev)"; setstat fuse2 peer n/a; setstat fuse2 ours n/a; return 0
  fi
  # What libfuse's configure would find on Linux: xattr, utimensat, fallocate.
  # shellcheck disable=SC2046
  if ! $CC -O2 -DHAVE_SETXATTR -DHAVE_UTIMENSAT -DHAVE_POSIX_FALLOCATE -o "$T/fusexmp2" "$src" \
      $(pkg-config --cflags --libs fuse) >"$T/fusexmp2.err" 2>&1; then
    note "fuse2: gcc fusexmp.c failed: $(grep -m1 error "$T/fusexmp2.err")"; setstat fuse2 peer n/a; setstat fuse2 ours n/a; return 0
  fi
  F2_BIN=$T/fusexmp2
  [ -f "$F2_OURS" ] || { note "fuse2: $F2_OURS not built"; setstat fuse2 ours "not built"; }
}

fuse2_rows() {
  local t ph u
  for t in 1 4; do
    for ph in create stat readdir rename unlink; do
      u=ops/s; [ $ph = readdir ] && u=ent/s
      row fuse2.meta$t.$ph fuse2 "$(printf 'xmp meta %-7s %sthr' $ph $t)" $u h 1.2 ""
    done
  done
  row fuse2.seqwrite  fuse2 "xmp seq write 1M"      MiB/s h 1.0 ""
  row fuse2.seqread   fuse2 "xmp seq read 1M"       MiB/s h 1.0 ""
  row fuse2.randread1 fuse2 "xmp rand read 4k 1job" IOPS  h 1.0 ""
  row fuse2.randread4 fuse2 "xmp rand read 4k 4job" IOPS  h 1.0 ""
  row fuse2.rss       fuse2 "xmp daemon peak RSS"   MiB   l "" ""
  row fuse2.cpu.meta  fuse2 "xmp daemon CPU: meta"  ms    l "" ""
  [ -n "$F2_UR" ] || return 0
  for t in 1 4; do
    for ph in create stat readdir rename unlink; do
      u=ops/s; [ $ph = readdir ] && u=ent/s
      row fuse2.ur.meta$t.$ph fuse2 "$(printf 'xmp meta %-7s %sthr [uring]' $ph $t)" $u h 1.2 ""
    done
  done
}

fuse2_round() { # SIDE(ours|ours:ur|peer) ROUND
  local side=$1 r=$2 d=$SRC/fuse2-${1/:/-} lg=$T/fusexmp2-${1/:/-}-r$2.log i lib='' ur=()
  [ -n "$F2_BIN" ] || return 0
  if [ "$side" != peer ]; then [ -f "$F2_OURS" ] || return 0; lib=$(dirname "$F2_OURS"); fi
  [ "$side" = ours:ur ] && { [ -n "$F2_UR" ] || return 0; ur=(-o io_uring); uring_set Y; }
  log "round $r: fuse2 $side"
  mkdir -p "$d"
  # shellcheck disable=SC2086
  env LD_LIBRARY_PATH="$lib" "$F2_BIN" -f $F2_OPTS "${ur[@]}" "$MNT" >"$lg" 2>&1 &
  DPID=$!; PIDS+=("$DPID"); MOUNTS+=("$MNT")
  # shellcheck disable=SC2034  # read by bench/run's stop_daemon
  DLABEL="round $r fuse2 $side (log $(basename "$lg"))"
  for ((i=0; i<100; i++)); do
    is_mounted "$MNT" && break
    kill -0 "$DPID" 2>/dev/null || break
    sleep 0.1
  done
  if ! is_mounted "$MNT"; then
    log "fuse2 $side: did not mount: $(tail -n3 "$lg" | tr '\n' ' ')"; stop_daemon "$DPID" "$MNT"; rm -rf "$d"
    [ "$URING_WAS" = N ] && uring_set N
    return 0
  fi
  local m=$MNT$d t0
  t0=$(dticks)
  meta fuse2.meta1 "$side" "$r" "$m/meta1" 1 f2rec
  meta fuse2.meta4 "$side" "$r" "$m/meta4" 4 f2rec
  if [ "$side" = ours:ur ]; then
    stop_daemon "$DPID" "$MNT"; rm -rf "$d"
    [ "$URING_WAS" = N ] && uring_set N
    return 0
  fi
  acc fuse2.cpu.meta ms $(( $(dticks) - t0 )) 0
  local f=(--directory="$m" --filename=seqfile --size="$SEQSIZE" --ioengine=psync)
  CFIO_OUT=$(fio_val wbw --name=seqwrite "${f[@]}" --rw=write --bs=1M --direct=0 --end_fsync=1)
  rec fuse2.seqwrite "$side" "$r" "$CFIO_OUT"
  drop_caches
  CFIO_OUT=$(fio_val rbw --name=seqread "${f[@]}" --rw=read --bs=1M --direct=0)
  rec fuse2.seqread "$side" "$r" "$CFIO_OUT"
  drop_caches
  CFIO_OUT=$(fio_val riops --name=randread "${f[@]}" --rw=randread --bs=4k --direct=1 --time_based --runtime="$RT")
  rec fuse2.randread1 "$side" "$r" "$CFIO_OUT"
  drop_caches
  CFIO_OUT=$(fio_val riops --name=randread4 "${f[@]}" --rw=randread --bs=4k --direct=1 --time_based --runtime="$RT" --numjobs=4)
  rec fuse2.randread4 "$side" "$r" "$CFIO_OUT"
  acc_flush "$side" "$r"
  rec fuse2.rss "$side" "$r" "$(hwm_mib "$DPID")"
  stop_daemon "$DPID" "$MNT"
  rm -rf "$d"
}
