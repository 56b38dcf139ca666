#!/usr/bin/python3
"""Export names and block sizes (issue 13 item 6), over a raw socket.

With one export, a client asking for any name gets it (nbd-tester-client
always asks for one); --strict-name refuses other names, and the log
says what was asked and why. NBD_INFO_BLOCK_SIZE is sent to a client
that did not ask, with the 32 MiB maximum we enforce for writes, and a
read longer than that (42 MiB) is served: as one simple reply, and as
several structured chunks."""
import os, socket, struct, sys
sys.path.insert(0, os.path.dirname(__file__))
import nbdtest as T

IHAVEOPT = 0x49484156454F5054
REPLY_MAGIC = 0x3e889045565a9
MAXB = 32 << 20
BIG = 42 << 20


def conn(sock):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)
    s.connect(sock)
    g = recvn(s, 18)
    assert g[:8] == b"NBDMAGIC", g
    s.sendall(struct.pack(">I", 3))    # fixed newstyle, no zeroes
    return s


def recvn(s, n):
    b = bytearray()
    while len(b) < n:
        c = s.recv(min(n - len(b), 1 << 20))
        if not c:
            raise EOFError("closed after %d of %d bytes" % (len(b), n))
        b += c
    return bytes(b)


def option(s, opt, data=b""):
    s.sendall(struct.pack(">QII", IHAVEOPT, opt, len(data)) + data)


def opt_reply(s):
    magic, opt, typ, ln = struct.unpack(">QIII", recvn(s, 20))
    assert magic == REPLY_MAGIC, hex(magic)
    return typ, recvn(s, ln)


def go(s, name, infos=()):
    """NBD_OPT_GO for name asking for infos; returns (final reply type,
    {info type: data})."""
    d = name.encode()
    option(s, 7, struct.pack(">I", len(d)) + d + struct.pack(">H", len(infos)) +
           b"".join(struct.pack(">H", i) for i in infos))
    got = {}
    while True:
        typ, data = opt_reply(s)
        if typ != 3:                    # not NBD_REP_INFO: ACK or an error
            return typ, got
        got[struct.unpack(">H", data[:2])[0]] = data[2:]


def request(s, typ, off, ln, payload=b"", cookie=1):
    s.sendall(struct.pack(">IHHQQI", 0x25609513, 0, typ, cookie, off, ln) + payload)


# --- default: any name is the one export
p, sock, uri = T.start([T.prog("examples/busexmp")], "any")
s = conn(sock)
typ, infos = go(s, "nbd-tester-client-asks-for-this", ())
assert typ == 1, hex(typ)                                     # ACK
assert 3 in infos, "NBD_INFO_BLOCK_SIZE not sent unasked: %r" % infos
bmin, bpref, bmax = struct.unpack(">III", infos[3])
assert bmin == 1 and bpref == 4096 and bmax == MAXB, (bmin, bpref, bmax)

# a 42 MiB read as one simple reply (no structured replies negotiated)
request(s, 1, BIG - 5, 5, b"hello", cookie=9)
magic, err, cookie = struct.unpack(">IIQ", recvn(s, 16))
assert (magic, err, cookie) == (0x67446698, 0, 9)
request(s, 0, 0, BIG, cookie=10)
magic, err, cookie = struct.unpack(">IIQ", recvn(s, 16))
assert (magic, err, cookie) == (0x67446698, 0, 10), (hex(magic), err, cookie)
data = recvn(s, BIG)
assert data.endswith(b"hello") and data[:4] == bytes(4)
# and the connection is still in step
request(s, 0, BIG - 5, 5, cookie=11)
assert struct.unpack(">IIQ", recvn(s, 16)) == (0x67446698, 0, 11)
assert recvn(s, 5) == b"hello"
# a write over the maximum is refused (EINVAL), its payload dropped
request(s, 1, 0, MAXB + 4096, bytes(MAXB + 4096), cookie=12)
assert struct.unpack(">IIQ", recvn(s, 16)) == (0x67446698, 22, 12)
s.close()

# the same read with structured replies: several OFFSET_DATA chunks
s = conn(sock)
option(s, 8)                                                  # STRUCTURED_REPLY
assert opt_reply(s)[0] == 1
assert go(s, "")[0] == 1
request(s, 0, 0, BIG, cookie=13)
total, chunks, done = 0, 0, False
while not done:
    magic, flags, typ, cookie, ln = struct.unpack(">IHHQI", recvn(s, 20))
    assert magic == 0x668e33ef and cookie == 13 and typ == 1, (hex(magic), typ, cookie)
    off = struct.unpack(">Q", recvn(s, 8))[0]
    body = recvn(s, ln - 8)
    assert off == total, (off, total)
    total += len(body)
    chunks += 1
    done = flags & 1
    if done:
        assert body.endswith(b"hello")
assert total == BIG and chunks > 1, (total, chunks)
s.close()
T.stop(p)
assert "refused" not in T.stderr_of("any"), T.stderr_of("any")

# --- --strict-name: another name is refused, and the log says why
p, sock, uri = T.start([T.prog("tools/fusebox-nbd"), "memory", "1M", "--name", "vol",
                        "--strict-name"], "strict")
s = conn(sock)
assert go(s, "other")[0] == 0x80000006                        # ERR_UNKNOWN
assert go(s, "vol")[0] == 1
s.close()
s = conn(sock)
option(s, 1, b"other")                                        # EXPORT_NAME: hang up
assert s.recv(1) == b""
s.close()
T.stop(p)
err = T.stderr_of("strict")
assert 'client asked for export "other": refused, this server exports only "vol" ' \
       '(--strict-name)' in err, err
print("ok")
