#!/usr/bin/python3
"""NBD over TLS (--tls, --tls-certificates, --tls-psk, --tls-verify-peer).

Certificates and keys are made here with certtool and psktool. Clients:
nbdinfo, nbdcopy and nbdsh with nbds+unix:// and nbds:// URIs, qemu-img
with tls-creds-x509 and tls-creds-psk. Bad inputs: a client trusting
another CA, an expired server certificate, a wrong PSK key, no client
certificate under --tls-verify-peer, a client that drops mid-handshake;
each is refused, logged, and the server goes on serving. A raw socket
shows that --tls=require answers nothing but STARTTLS and ABORT before
the handshake (LIST included)."""
import os, shutil, socket, struct, subprocess, sys
sys.path.insert(0, os.path.dirname(__file__))
import nbdtest as T

for tool in ("certtool", "psktool", "nbdinfo", "nbdcopy", "nbdsh"):
    if not shutil.which(tool):
        T.skip("%s not installed (gnutls-bin, libnbd-bin)" % tool)
NBD = T.prog("tools/fusebox-nbd")
D = T.TMP
IHAVEOPT = 0x49484156454F5054


def run(*argv, ok=True, **kw):
    r = subprocess.run(list(argv), capture_output=True, text=True, timeout=60, **kw)
    if ok and r.returncode != 0:
        raise AssertionError("%s: exit %d: %s" % (" ".join(argv), r.returncode, r.stderr))
    return r


def template(name, lines):
    p = os.path.join(D, name + ".info")
    with open(p, "w") as f:
        f.write("\n".join(lines) + "\n")
    return p


def key(path):
    run("certtool", "--generate-privkey", "--outfile", path)


def make_ca(dirname):
    d = os.path.join(D, dirname)
    os.makedirs(d)
    key(os.path.join(d, "ca-key.pem"))
    run("certtool", "--generate-self-signed", "--load-privkey", os.path.join(d, "ca-key.pem"),
        "--template", template(dirname + "-ca", ["cn = " + dirname, "ca", "cert_signing_key",
                                                 "expiration_days = 2"]),
        "--outfile", os.path.join(d, "ca-cert.pem"))
    return d


def make_cert(ca, outdir, who, extra):
    os.makedirs(outdir, exist_ok=True)
    shutil.copy(os.path.join(ca, "ca-cert.pem"), outdir)
    k = os.path.join(outdir, who + "-key.pem")
    key(k)
    r = run("certtool", "--generate-certificate", "--load-ca-certificate",
            os.path.join(ca, "ca-cert.pem"), "--load-ca-privkey", os.path.join(ca, "ca-key.pem"),
            "--load-privkey", k, "--template",
            template(os.path.basename(outdir) + who, ["organization = fusebox test"] + extra),
            "--outfile", os.path.join(outdir, who + "-cert.pem"), ok=False)
    return r.returncode == 0


SERVER = ["cn = localhost", "dns_name = localhost", "ip_address = 127.0.0.1", "tls_www_server",
          "encryption_key", "signing_key"]
ca = make_ca("ca")
other = make_ca("otherca")
srv_dir = os.path.join(D, "srv")
make_cert(ca, srv_dir, "server", SERVER + ["expiration_days = 2"])
cli_dir = os.path.join(D, "cli")                 # a client with a certificate
make_cert(ca, cli_dir, "client", ["cn = client", "tls_www_client", "encryption_key",
                                  "signing_key", "expiration_days = 2"])
nocert_dir = os.path.join(D, "nocert")           # trusts our CA, no certificate
os.makedirs(nocert_dir)
shutil.copy(os.path.join(ca, "ca-cert.pem"), nocert_dir)
wrong_dir = os.path.join(D, "wrong")             # trusts another CA
os.makedirs(wrong_dir)
shutil.copy(os.path.join(other, "ca-cert.pem"), wrong_dir)
expired_dir = os.path.join(D, "expired")
have_expired = make_cert(ca, expired_dir, "server", SERVER + [
    'activation_date = "2020-01-01 00:00:00 UTC"', 'expiration_date = "2020-02-01 00:00:00 UTC"'])
psk = os.path.join(D, "keys.psk")
run("psktool", "-u", "alice", "-p", psk)
badpsk = os.path.join(D, "bad.psk")
run("psktool", "-u", "alice", "-p", badpsk)      # same name, another key
mallory = os.path.join(D, "mallory.psk")
run("psktool", "-u", "mallory", "-p", mallory)   # a name the server does not know


def info(uri, ok=True):
    return run("nbdinfo", "--size", uri, ok=ok)


def unix_uri(sock, user=None, **q):
    """libnbd takes the PSK identity from the URI's user part."""
    return "nbds+unix://%s/?socket=%s" % (user + "@" if user else "", sock) + \
        "".join("&%s=%s" % kv for kv in q.items())


def still_serving(uri):
    r = info(uri)
    assert r.stdout.strip() == str(64 << 20), r.stdout


# ---------- X.509, Unix socket: nbdinfo, nbdcopy, nbdsh
p, sock, uri = T.start([NBD, "memory", "64M", "--tls=require", "--tls-certificates=" + srv_dir],
                       "x509")
assert uri.startswith("nbds+unix://"), uri
good = unix_uri(sock, **{"tls-certificates": nocert_dir})
still_serving(good)
data = os.path.join(D, "data")
with open(data, "wb") as f:
    f.write(os.urandom(3 << 20))
run("nbdcopy", data, good)
back = os.path.join(D, "back")
run("nbdcopy", good, back)
with open(data, "rb") as a, open(back, "rb") as b:
    assert b.read(3 << 20) == a.read(), "nbdcopy round trip over TLS differs"
r = run("nbdsh", "-c", "h.set_uri_allow_local_file(True); h.connect_uri(%r); "
        "h.pwrite(b'over tls', 4096); " % good +
        "assert h.pread(8, 4096) == b'over tls'; print(h.get_tls_negotiated())",
        env=dict(os.environ, PATH="/usr/bin:" + os.environ["PATH"]))   # nbdsh: Debian's python
assert r.stdout.strip() == "True", r.stdout

# plaintext client: refused, nothing served
r = info("nbd+unix:///?socket=" + sock, ok=False)
assert r.returncode != 0, "plaintext client served under --tls=require"

# a client that drops mid-handshake (STARTTLS, then half a ClientHello)
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sock)
s.recv(18)
s.sendall(struct.pack(">I", 3) + struct.pack(">QII", IHAVEOPT, 5, 0))
s.recv(20)
s.sendall(b"\x16\x03\x01\x02\x00\x01")
s.close()
still_serving(good)
T.stop(p)
err = T.stderr_of("x509")
assert "TLS handshake failed" in err and "before STARTTLS refused" in err, err

# ---------- raw socket: require answers nothing before the handshake
p, sock, uri = T.start([NBD, "memory", "64M", "--tls=require", "--tls-certificates=" + srv_dir],
                       "raw")


def rawconn():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sock)
    assert s.recv(18)[:8] == b"NBDMAGIC"
    s.sendall(struct.pack(">I", 3))
    return s


def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b


def opt(s, o, d=b""):
    s.sendall(struct.pack(">QII", IHAVEOPT, o, len(d)) + d)
    magic, ro, typ, ln = struct.unpack(">QIII", recvn(s, 20))
    return ro, typ, recvn(s, ln)


s = rawconn()
go = struct.pack(">I", 0) + struct.pack(">H", 0)
for o, d in ((3, b""), (7, go), (6, go), (8, b""), (11, b""), (9, struct.pack(">II", 0, 0)),
             (0x4242, b"x")):
    ro, typ, body = opt(s, o, d)
    assert ro == o and typ == 0x80000005, (o, hex(typ))          # NBD_REP_ERR_TLS_REQD
# a transmission request sent now is just bytes of a bad option: hang up
s.sendall(struct.pack(">IHHQQI", 0x25609513, 0, 0, 1, 0, 512))
try:
    assert s.recv(4096) == b"", "answered a request before TLS"
except ConnectionResetError:
    pass
s.close()
s = rawconn()
s.sendall(struct.pack(">QII", IHAVEOPT, 1, 0))                   # EXPORT_NAME
try:
    assert s.recv(4096) == b"", "EXPORT_NAME answered before TLS"
except ConnectionResetError:
    pass
s.close()
s = rawconn()
assert opt(s, 5)[1] == 1                                         # STARTTLS: ACK
s.close()
T.stop(p)

# ---------- --tls=on: plaintext still allowed, TLS offered
p, sock, uri = T.start([NBD, "memory", "64M", "--tls=on", "--tls-certificates=" + srv_dir], "on")
still_serving("nbd+unix:///?socket=" + sock)
still_serving(unix_uri(sock, **{"tls-certificates": nocert_dir}))
T.stop(p)

# ---------- --tls-verify-peer: a client certificate from our CA is needed
p, sock, uri = T.start([NBD, "memory", "64M", "--tls=require", "--tls-certificates=" + srv_dir,
                        "--tls-verify-peer"], "peer")
still_serving(unix_uri(sock, **{"tls-certificates": cli_dir}))
r = info(unix_uri(sock, **{"tls-certificates": nocert_dir}), ok=False)
assert r.returncode != 0, "client without a certificate accepted under --tls-verify-peer"
still_serving(unix_uri(sock, **{"tls-certificates": cli_dir}))
T.stop(p)
assert "TLS handshake failed" in T.stderr_of("peer"), T.stderr_of("peer")


# ---------- PSK
p, sock, uri = T.start([NBD, "memory", "64M", "--tls=require", "--tls-psk=" + psk], "psk")
still_serving(unix_uri(sock, "alice", **{"tls-psk-file": psk}))
r = info(unix_uri(sock, "alice", **{"tls-psk-file": badpsk}), ok=False)
assert r.returncode != 0, "wrong PSK key accepted"
r = info(unix_uri(sock, "mallory", **{"tls-psk-file": mallory}), ok=False)
assert r.returncode != 0, "unknown PSK identity accepted"
still_serving(unix_uri(sock, "alice", **{"tls-psk-file": psk}))
T.stop(p)
assert "TLS handshake failed" in T.stderr_of("psk"), T.stderr_of("psk")

# ---------- TCP: nbds:// and qemu-img with tls-creds-x509 / tls-creds-psk
def tcp_server(args, name):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    pr = subprocess.Popen([NBD, "memory", "64M", "--tcp", "127.0.0.1:%d" % port] + args,
                          stdout=subprocess.PIPE, stderr=open(os.path.join(D, name + ".err"), "w"),
                          text=True)
    T._procs.append(pr)
    u = pr.stdout.readline().strip()
    assert u.startswith("nbds://127.0.0.1:%d" % port), u
    return pr, port


pr, port = tcp_server(["--tls=require", "--tls-certificates=" + srv_dir], "tcp")
tcp_good = "nbds://127.0.0.1:%d/?tls-certificates=%s" % (port, nocert_dir)
still_serving(tcp_good)
# a client trusting another CA refuses our certificate (libnbd checks
# certificates on TCP, where it has a host name); we log and go on
r = info("nbds://127.0.0.1:%d/?tls-certificates=%s" % (port, wrong_dir), ok=False)
assert r.returncode != 0 and "verif" in r.stderr, r.stderr
still_serving(tcp_good)
if shutil.which("qemu-img"):
    obj = "tls-creds-x509,id=tls0,dir=%s,endpoint=client" % nocert_dir
    img = "driver=nbd,server.type=inet,server.host=127.0.0.1,server.port=%d,tls-creds=tls0" % port
    r = run("qemu-img", "info", "--object", obj, "--image-opts", img)
    assert "64 MiB" in r.stdout, r.stdout
    r = run("qemu-img", "convert", "--object", obj, "--image-opts", img, "-O", "raw",
            os.path.join(D, "q.raw"))
    r = run("qemu-img", "info", "--image-opts", img, ok=False)      # no TLS: refused
    assert r.returncode != 0
T.stop(pr)

err = open(os.path.join(D, "tcp.err")).read()
assert "TLS handshake failed" in err, err

# an expired server certificate: clients refuse it
if have_expired:
    pr, port = tcp_server(["--tls=require", "--tls-certificates=" + expired_dir], "expired")
    r = info("nbds://127.0.0.1:%d/?tls-certificates=%s" % (port, nocert_dir), ok=False)
    assert r.returncode != 0, "client accepted an expired server certificate"
    T.stop(pr)

pr, port = tcp_server(["--tls=require", "--tls-psk=" + psk], "tcppsk")
if shutil.which("qemu-img"):
    pskdir = os.path.join(D, "pskdir")
    os.makedirs(pskdir)
    shutil.copy(psk, os.path.join(pskdir, "keys.psk"))
    obj = "tls-creds-psk,id=tls0,dir=%s,username=alice,endpoint=client" % pskdir
    img = "driver=nbd,server.type=inet,server.host=127.0.0.1,server.port=%d,tls-creds=tls0" % port
    r = run("qemu-img", "info", "--object", obj, "--image-opts", img)
    assert "64 MiB" in r.stdout, r.stdout
T.stop(pr)

# ---------- bad options
r = run(NBD, "memory", "1M", "--tls=require", ok=False)
assert r.returncode == 2 and "--tls-certificates" in r.stderr, r.stderr
r = run(NBD, "memory", "1M", "--tls=maybe", ok=False)
assert r.returncode == 2 and "off, on or require" in r.stderr, r.stderr
r = run(NBD, "memory", "1M", "--tls=on", "--tls-certificates=" + os.path.join(D, "nosuch"),
        ok=False)
assert r.returncode == 2 and "server-cert.pem" in r.stderr, r.stderr
print("ok")
