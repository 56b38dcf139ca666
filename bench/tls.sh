# shellcheck shell=bash
# bench/tls.sh -- the tls group of bench/run (sourced by it; uses its
# helpers: row, rec, cfio, acc_flush, setstat, note, log, stop_daemon, T,
# PIDS, DPID): NBD over TCP loopback with TLS (X.509, --tls=require),
# ours (fusebox-nbd memory) beside nbdkit --tls=require memory on the
# same certificates, made here with certtool. The native column is our
# own server over the same TCP without TLS: ours/native is what TLS
# leaves of plaintext throughput.
# The client is fio's nbd engine (libnbd): it finds the CA in
# $HOME/.pki/libnbd (fio cannot pass tls-certificates in its URI), so
# fio runs with HOME pointing there. One fio job (one libnbd connection,
# one thread) is the bottleneck at 4k QD32 on either server; the 2conn
# rows split the same depth over two jobs, so the servers' own cost per
# request shows in IOPS.
TLS_PKI=
TLS_PORT=${FBX_BENCH_TLS_PORT:-10941}

tls_rows() {
  row tls.seqwrite    tls "TLS fio seq write 1M qd8"   MiB/s h 1.2 0.7
  row tls.seqread     tls "TLS fio seq read 1M qd8"    MiB/s h 1.2 0.7
  row tls.randread32  tls "TLS fio rand read 4k qd32"  IOPS  h 1.2 ""
  row tls.randwrite32 tls "TLS fio rand write 4k qd32" IOPS  h 1.2 ""
  row tls.randread2c  tls "TLS rand read 4k 2conn x qd16" IOPS h 1.2 ""
  row tls.randwrite2c tls "TLS rand write 4k 2conn x qd16" IOPS h 1.2 ""
  row tls.cpu.seq     tls "TLS server CPU: seq"        ms/GiB l "" ""
  row tls.cpu.rand    tls "TLS server CPU: rand 4k"    us/op  l "" ""
}

tls_prepare() {
  local d=$T/pki
  command -v certtool >/dev/null || { note "certtool missing (gnutls-bin): tls rows n/a"; setstat tls ours "n/a"; setstat tls peer "n/a"; return 0; }
  mkdir -p "$d/srv" "$d/home/.pki/libnbd"
  printf '%s\n' "cn = fbx bench ca" ca cert_signing_key "expiration_days = 2" >"$d/ca.info"
  printf '%s\n' "cn = localhost" "dns_name = localhost" "ip_address = 127.0.0.1" tls_www_server \
    encryption_key signing_key "expiration_days = 2" >"$d/srv.info"
  if certtool --generate-privkey --outfile "$d/ca-key.pem" 2>>"$T/certtool.err" &&
     certtool --generate-self-signed --load-privkey "$d/ca-key.pem" --template "$d/ca.info" \
       --outfile "$d/srv/ca-cert.pem" 2>>"$T/certtool.err" &&
     certtool --generate-privkey --outfile "$d/srv/server-key.pem" 2>>"$T/certtool.err" &&
     certtool --generate-certificate --load-ca-certificate "$d/srv/ca-cert.pem" \
       --load-ca-privkey "$d/ca-key.pem" --load-privkey "$d/srv/server-key.pem" \
       --template "$d/srv.info" --outfile "$d/srv/server-cert.pem" 2>>"$T/certtool.err"; then
    cp "$d/srv/ca-cert.pem" "$d/home/.pki/libnbd/"
    TLS_PKI=$d
  else
    note "certtool failed: tls rows n/a"; setstat tls ours "n/a"; setstat tls peer "n/a"
  fi
  nbdkit --tls=require --tls-certificates="$d/srv" memory 1M --dump-config >/dev/null 2>&1 ||
    { note "nbdkit without TLS: tls peer n/a"; setstat tls peer "n/a"; }
}

# tls_round SIDE ROUND   (SIDE: ours, peer, native = ours without TLS)
tls_round() {
  local side=$1 r=$2 lg=$T/tls-$1-r$2.log i scheme=nbds f
  [ -n "$TLS_PKI" ] || return 0
  case $side in
    ours|native) [ -n "$OURS_NBD" ] || return 0;;
  esac
  log "round $r: tls $side"
  warm_memory
  case $side in
    ours) "$OURS_NBD" memory "$NBDSIZE" --tcp "127.0.0.1:$TLS_PORT" --tls=require \
            --tls-certificates="$TLS_PKI/srv" >"$lg" 2>&1 & ;;
    native) "$OURS_NBD" memory "$NBDSIZE" --tcp "127.0.0.1:$TLS_PORT" >"$lg" 2>&1 & scheme=nbd ;;
    peer) nbdkit --foreground --exit-with-parent -i 127.0.0.1 -p "$TLS_PORT" --tls=require \
            --tls-certificates="$TLS_PKI/srv" memory "$NBDSIZE" >"$lg" 2>&1 & ;;
  esac
  DPID=$!; PIDS+=("$DPID")
  # shellcheck disable=SC2034 # read by bench/run's stop_daemon
  DLABEL="round $r tls $side (log $(basename "$lg"))"
  for ((i=0; i<100; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$TLS_PORT") 2>/dev/null && break
    kill -0 "$DPID" 2>/dev/null || break
    sleep 0.1
  done
  f=(--ioengine=nbd --uri="$scheme://127.0.0.1:$TLS_PORT/")
  HOME=$TLS_PKI/home cfio tls.cpu.seq ms/GiB wbw --name=seqwrite "${f[@]}" --rw=write --bs=1M --iodepth=8 --size="$NBDSIZE"
  rec tls.seqwrite "$side" "$r" "$CFIO_OUT"
  HOME=$TLS_PKI/home cfio tls.cpu.seq ms/GiB rbw --name=seqread "${f[@]}" --rw=read --bs=1M --iodepth=8 --size="$NBDSIZE"
  rec tls.seqread "$side" "$r" "$CFIO_OUT"
  HOME=$TLS_PKI/home cfio tls.cpu.rand us/op riops --name=rr32 "${f[@]}" --rw=randread --bs=4k --iodepth=32 --time_based --runtime="$RT"
  rec tls.randread32 "$side" "$r" "$CFIO_OUT"
  HOME=$TLS_PKI/home cfio tls.cpu.rand us/op wiops --name=rw32 "${f[@]}" --rw=randwrite --bs=4k --iodepth=32 --time_based --runtime="$RT"
  rec tls.randwrite32 "$side" "$r" "$CFIO_OUT"
  HOME=$TLS_PKI/home cfio tls.cpu.rand us/op riops --name=rr2c "${f[@]}" --rw=randread --bs=4k --iodepth=16 --numjobs=2 --time_based --runtime="$RT"
  rec tls.randread2c "$side" "$r" "$CFIO_OUT"
  HOME=$TLS_PKI/home cfio tls.cpu.rand us/op wiops --name=rw2c "${f[@]}" --rw=randwrite --bs=4k --iodepth=16 --numjobs=2 --time_based --runtime="$RT"
  rec tls.randwrite2c "$side" "$r" "$CFIO_OUT"
  acc_flush "$side" "$r"
  stop_daemon "$DPID"
}
