#!/usr/bin/env bash
# NBD over TLS with the kernel's client, in the VM: busexmp serves its
# memory disk on 127.0.0.1 with --tls=require and X.509 certificates made
# here (certtool; client certificates verified), Debian's nbd-client
# connects with -certfile -keyfile -cacertfile, and ext4 on /dev/nbd0 is
# made, mounted, written, unmounted and found clean by fsck -n; the files
# read back after a remount. nbd-client without TLS is refused.
# Skips (77) only when the VM cannot run here.
set -u
root=${FBX_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD;; esac
# shellcheck source=tests/vm/lib.sh
. "$root/tests/vm/lib.sh"
[ -x "$BUILD/examples/busexmp" ] || { echo "FAIL: $BUILD/examples/busexmp not built"; exit 1; }
nbdc=$(command -v nbd-client || echo /usr/sbin/nbd-client)
[ -x "$nbdc" ] || { echo "FAIL: no nbd-client on the host (tests/install-deps)"; exit 1; }
command -v certtool >/dev/null || { echo "FAIL: no certtool (gnutls-bin, tests/install-deps)"; exit 1; }
if ! ldd "$BUILD/examples/busexmp" 2>/dev/null | grep -q gnutls; then
  echo "skip: fusebox built without GnuTLS"
  exit 77
fi
vm_require

tmp=$(mktemp -d /tmp/fbx-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
tpl() { printf '%s\n' "$@" >"$tmp/t.info"; }
certtool --generate-privkey --outfile "$tmp/ca-key.pem" 2>/dev/null
tpl "cn = fbx test ca" ca cert_signing_key "expiration_days = 2"
certtool --generate-self-signed --load-privkey "$tmp/ca-key.pem" --template "$tmp/t.info" \
  --outfile "$tmp/ca-cert.pem" 2>/dev/null
for who in server client; do
  certtool --generate-privkey --outfile "$tmp/$who-key.pem" 2>/dev/null
  if [ $who = server ]; then
    tpl "cn = localhost" "dns_name = localhost" "ip_address = 127.0.0.1" tls_www_server \
      encryption_key signing_key "expiration_days = 2"
  else
    tpl "cn = client" tls_www_client encryption_key signing_key "expiration_days = 2"
  fi
  certtool --generate-certificate --load-ca-certificate "$tmp/ca-cert.pem" \
    --load-ca-privkey "$tmp/ca-key.pem" --load-privkey "$tmp/$who-key.pem" \
    --template "$tmp/t.info" --outfile "$tmp/$who-cert.pem" 2>/dev/null ||
    { echo "FAIL: certtool could not make the $who certificate"; exit 1; }
done

cat >"$tmp/body.sh" <<'BODY'
#!/bin/bash
set -u
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
W=$(mktemp -d /tmp/fbx-test.XXXXXX); mkdir -p "$W/mnt"
P=/fbx/pki
busexmp --tcp 127.0.0.1:10809 --tls=require --tls-certificates=$P/srv --tls-verify-peer >"$W/srv.log" 2>&1 &
spid=$!
for _ in $(seq 100); do grep -q '^nbds://' "$W/srv.log" && break; sleep 0.1; done
grep -q '^nbds://' "$W/srv.log" && ok "busexmp serves $(grep -m1 '^nbds://' "$W/srv.log")" || { bad "server did not start: $(cat "$W/srv.log")"; exit 1; }
if timeout 60 nbd-client 127.0.0.1 10809 /dev/nbd1 -N fbx >"$W/plain.log" 2>&1 && [ -e /sys/block/nbd1/pid ]; then
  bad "nbd-client without TLS got the device"; nbd-client -d /dev/nbd1
else
  ok "nbd-client without TLS refused: $(tail -n1 "$W/plain.log")"
fi
if timeout 60 nbd-client 127.0.0.1 10809 /dev/nbd0 -N fbx -certfile $P/cli/client-cert.pem \
     -keyfile $P/cli/client-key.pem -cacertfile $P/cli/ca-cert.pem -tlshostname localhost >"$W/c.log" 2>&1; then
  ok "nbd-client connected over TLS: $(tail -n1 "$W/c.log")"
  if mkfs.ext4 -q -F /dev/nbd0 && mount /dev/nbd0 "$W/mnt"; then
    for i in 1 2 3; do head -c $((i * 300000)) /dev/urandom >"$W/mnt/f$i"; done
    (cd "$W/mnt" && md5sum f* >"$W/sums")
    umount "$W/mnt" && fsck.ext4 -fn /dev/nbd0 >"$W/fsck" 2>&1 && ok "ext4 over TLS: mkfs, mount, write, umount, fsck -n clean" ||
      { bad "umount/fsck over TLS"; tail -n5 "$W/fsck"; }
    mount -o ro /dev/nbd0 "$W/mnt" && (cd "$W/mnt" && md5sum -c "$W/sums" >/dev/null) &&
      ok "files read back intact after a remount" || bad "files after remount"
    umount "$W/mnt" 2>/dev/null
  else
    bad "mkfs/mount over TLS"
  fi
  nbd-client -d /dev/nbd0 >/dev/null 2>&1 && ok "nbd-client -d" || bad "nbd-client -d failed"
else
  bad "nbd-client over TLS failed: $(cat "$W/c.log")"
fi
kill -TERM $spid; wait $spid
grep -iE 'tls|refus|handshake' "$W/srv.log" | head -n3 | sed 's/^/server: /'
echo "---- $fails failure(s)"
[ $fails = 0 ]
BODY

vm_run --timeout 150 --no-fio "$tmp/body.sh" "$BUILD/examples/busexmp" "$nbdc" \
  "$tmp/ca-cert.pem:/fbx/pki/srv/ca-cert.pem" "$tmp/server-cert.pem:/fbx/pki/srv/server-cert.pem" \
  "$tmp/server-key.pem:/fbx/pki/srv/server-key.pem" "$tmp/ca-cert.pem:/fbx/pki/cli/ca-cert.pem" \
  "$tmp/client-cert.pem:/fbx/pki/cli/client-cert.pem" "$tmp/client-key.pem:/fbx/pki/cli/client-key.pem"
rc=$?
[ $rc = 0 ] && echo "PASS" || echo "FAIL: VM body exited $rc"
exit $rc
