#!/usr/bin/python3
"""NBD over TLS where the client decides where records and TCP segments
end (Python's ssl with memory BIOs, so every record is ours to cut).

The server reads TLS ahead and holds replies back while a whole record
of further requests is already there. Each case here would hang or
corrupt if that went wrong:
  - several requests in one record, answered together;
  - a request whose record arrives in pieces, with a pause;
  - a request answered while the next record is half sent, the client
    waiting for that answer before it sends the rest (a server that
    waited for the whole record before flushing would deadlock here);
  - a write's header and payload in separate records, the payload's
    record split across segments, then read back;
  - a big read (its data cut into many records) with a small request
    pipelined behind it in the same record."""
import os, shutil, socket, ssl, struct, subprocess, sys, time
sys.path.insert(0, os.path.dirname(__file__))
import nbdtest as T

if not shutil.which("certtool"):
    T.skip("certtool not installed (gnutls-bin)")
NBD = T.prog("tools/fusebox-nbd")
D = T.TMP
IHAVEOPT = 0x49484156454F5054
REQ_MAGIC, SIMPLE_MAGIC = 0x25609513, 0x67446698


def run(*argv):
    subprocess.run(list(argv), check=True, capture_output=True, timeout=60)


def write_file(name, lines):
    p = os.path.join(D, name)
    with open(p, "w") as f:
        f.write("\n".join(lines) + "\n")
    return p


srv = os.path.join(D, "srv")
os.makedirs(srv)
run("certtool", "--generate-privkey", "--outfile", os.path.join(D, "ca-key.pem"))
run("certtool", "--generate-self-signed", "--load-privkey", os.path.join(D, "ca-key.pem"),
    "--template", write_file("ca.info", ["cn = ca", "ca", "cert_signing_key",
                                         "expiration_days = 2"]),
    "--outfile", os.path.join(srv, "ca-cert.pem"))
run("certtool", "--generate-privkey", "--outfile", os.path.join(srv, "server-key.pem"))
run("certtool", "--generate-certificate", "--load-ca-certificate",
    os.path.join(srv, "ca-cert.pem"), "--load-ca-privkey", os.path.join(D, "ca-key.pem"),
    "--load-privkey", os.path.join(srv, "server-key.pem"),
    "--template", write_file("srv.info", ["cn = localhost", "dns_name = localhost",
                                          "tls_www_server", "encryption_key", "signing_key",
                                          "expiration_days = 2"]),
    "--outfile", os.path.join(srv, "server-cert.pem"))

p, sock, uri = T.start([NBD, "memory", "16M", "--tls=require", "--tls-certificates=" + srv],
                       "tls")


class Client:
    """A TLS client over a raw socket: send() cuts records as told, and
    the bytes of each record go out in the pieces the caller names."""

    def __init__(self):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(10)
        self.s.connect(sock)
        assert self.recvn_raw(18)[:8] == b"NBDMAGIC"
        self.s.sendall(struct.pack(">I", 3))
        self.s.sendall(struct.pack(">QII", IHAVEOPT, 5, 0))          # STARTTLS
        _, o, typ, ln = struct.unpack(">QIII", self.recvn_raw(20))
        assert (o, typ, ln) == (5, 1, 0), (o, typ, ln)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(os.path.join(srv, "ca-cert.pem"))
        self.inb, self.outb = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.t = ctx.wrap_bio(self.inb, self.outb, server_hostname="localhost")
        while True:
            try:
                self.t.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.pump()
        self.flush_raw()

    def recvn_raw(self, n):
        b = b""
        while len(b) < n:
            c = self.s.recv(n - len(b))
            if not c:
                raise EOFError("server hung up")
            b += c
        return b

    def flush_raw(self):
        d = self.outb.read()
        if d:
            self.s.sendall(d)

    def pump(self):
        self.flush_raw()
        c = self.s.recv(65536)
        if not c:
            raise EOFError("server hung up")
        self.inb.write(c)

    def records(self, *plain):
        """Encrypt each piece as its own record; return the wire bytes
        of each (the caller sends them)."""
        self.flush_raw()
        out = []
        for d in plain:
            self.t.write(d)
            out.append(self.outb.read())
        return out

    def recv(self, n):
        b = b""
        while len(b) < n:
            try:
                b += self.t.read(n - len(b))
            except ssl.SSLWantReadError:
                self.pump()
        return b

    def go(self):
        d = struct.pack(">I", 0) + struct.pack(">H", 0)
        for r in self.records(struct.pack(">QII", IHAVEOPT, 7, len(d)) + d):
            self.s.sendall(r)
        while True:
            _, o, typ, ln = struct.unpack(">QIII", self.recv(20))
            self.recv(ln)
            if typ == 1:
                return
            assert typ == 3, hex(typ)                                # INFO


def req(typ, handle, off, ln, payload=b""):
    return struct.pack(">IHHQQI", REQ_MAGIC, 0, typ, handle, off, ln) + payload


def reply(c, handle, data_len=0):
    magic, err, h = struct.unpack(">IIQ", c.recv(16))
    assert (magic, err, h) == (SIMPLE_MAGIC, 0, handle), (hex(magic), err, h, handle)
    return c.recv(data_len)


c = Client()
c.go()
blk = lambda k: bytes([k]) * 4096

# several requests in one record
one = b"".join(req(1, 10 + k, k * 4096, 4096, blk(k)) for k in range(4))
c.s.sendall(c.records(one)[0])
for k in range(4):
    reply(c, 10 + k)

# a record in pieces, with a pause between them
r = c.records(req(0, 20, 4096, 4096))[0]
for piece in (r[:3], r[3:10], r[10:]):
    c.s.sendall(piece)
    time.sleep(0.05)
assert reply(c, 20, 4096) == blk(1)

# the answer to a whole record is due while the next is half sent
a, b = c.records(req(0, 30, 0, 4096), req(0, 31, 8192, 4096))
c.s.sendall(a + b[:len(b) // 2])
assert reply(c, 30, 4096) == blk(0), "reply held back behind a half-sent record"
c.s.sendall(b[len(b) // 2:])
assert reply(c, 31, 4096) == blk(2)

# header and payload in separate records, the payload's split on the wire
big = os.urandom(256 << 10)
hdr, *body = c.records(req(1, 40, 1 << 20, len(big)),
                       *[big[i:i + 16384] for i in range(0, len(big), 16384)])
wire = hdr + b"".join(body)
for i in range(0, len(wire), 7001):
    c.s.sendall(wire[i:i + 7001])
reply(c, 40)
c.s.sendall(b"".join(c.records(req(0, 41, 1 << 20, len(big)))))
assert reply(c, 41, len(big)) == big, "256 KiB write read back differs"

# a big read's data spans many records; a small request pipelined behind it
# (replies may come in any order: NBD matches them by handle)
c.s.sendall(b"".join(c.records(req(0, 50, 1 << 20, len(big)) + req(0, 51, 0, 4096))))
want = {50: big, 51: blk(0)}
while want:
    magic, err, h = struct.unpack(">IIQ", c.recv(16))
    assert magic == SIMPLE_MAGIC and err == 0 and h in want, (hex(magic), err, h)
    assert c.recv(len(want[h])) == want[h], "read %d differs" % h
    del want[h]

c.s.sendall(b"".join(c.records(req(2, 60, 0, 0))))                # DISC
c.s.close()
T.stop(p)
print("ok")
