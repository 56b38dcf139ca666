#!/usr/bin/python3
"""Raw-socket abuse of the server: bad magics, truncated headers, huge
lengths, unknown options/commands/flags, clients vanishing mid-payload
or mid-handshake, a client that never reads. After each, the server
must still be alive and serve a fresh client correctly."""
import os, socket, struct, sys, time
sys.path.insert(0, os.path.dirname(__file__))
import nbdtest as T

IHAVEOPT = 0x49484156454F5054
REPLY_MAGIC = 0x3e889045565a9
SIZE = 1 << 20


def conn(sock):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sock)
    return s


def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("closed after %d of %d bytes" % (len(b), n))
        b += c
    return b


def greet(s, flags=3):
    g = recvn(s, 18)
    assert g[:8] == b"NBDMAGIC" and struct.unpack(">Q", g[8:16])[0] == IHAVEOPT
    s.sendall(struct.pack(">I", flags))


def option(s, opt, data=b""):
    s.sendall(struct.pack(">QII", IHAVEOPT, opt, len(data)) + data)


def opt_reply(s):
    magic, opt, typ, ln = struct.unpack(">QIII", recvn(s, 20))
    assert magic == REPLY_MAGIC, hex(magic)
    return opt, typ, recvn(s, ln)


def closed(s):
    try:
        s.settimeout(10)
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


def go(s, structured=False, extended=False, meta=False):
    """Negotiate and enter transmission; returns transmission flags."""
    if extended:
        option(s, 11)
        assert opt_reply(s)[1] == 1
    elif structured:
        option(s, 8)
        assert opt_reply(s)[1] == 1
    if meta:
        q = b"base:allocation"
        option(s, 10, struct.pack(">I", 0) + struct.pack(">II", 1, len(q)) + q)
        assert opt_reply(s)[1] == 4
        assert opt_reply(s)[1] == 1
    option(s, 7, struct.pack(">IH", 0, 0))
    flags = None
    while True:
        o, typ, d = opt_reply(s)
        if typ == 3 and struct.unpack(">H", d[:2])[0] == 0:
            size, flags = struct.unpack(">QH", d[2:12])
            assert size == SIZE
        if typ == 1:
            return flags
        assert typ == 3, hex(typ)


def request(s, typ, off, ln, flags=0, cookie=1, payload=b"", ext=False):
    if ext:
        s.sendall(struct.pack(">IHHQQQ", 0x21e41c71, flags, typ, cookie, off, ln) + payload)
    else:
        s.sendall(struct.pack(">IHHQQI", 0x25609513, flags, typ, cookie, off, ln) + payload)


def simple_reply(s):
    magic, err, cookie = struct.unpack(">IIQ", recvn(s, 16))
    assert magic == 0x67446698, hex(magic)
    return err, cookie


def chunk(s, ext=False):
    if ext:
        magic, flags, typ, cookie, off, ln = struct.unpack(">IHHQQQ", recvn(s, 32))
        assert magic == 0x6e8a278c, hex(magic)
    else:
        magic, flags, typ, cookie, ln = struct.unpack(">IHHQI", recvn(s, 20))
        assert magic == 0x668e33ef, hex(magic)
    return flags, typ, cookie, recvn(s, ln)


def healthy(sock):
    """A fresh, well-behaved client still gets correct service."""
    s = conn(sock)
    greet(s)
    go(s)
    request(s, 1, 4096, 5, payload=b"hello", cookie=7)
    assert simple_reply(s) == (0, 7)
    request(s, 0, 4096, 5, cookie=8)
    assert simple_reply(s) == (0, 8)
    assert recvn(s, 5) == b"hello"
    request(s, 2, 0, 0)
    assert closed(s)
    s.close()


# strict: the refusals of unknown export names are among the cases
p, sock, uri = T.start([T.prog("tools/fusebox-nbd"), "memory", "1M", "--strict-name"])
cases = []


def case(fn):
    cases.append(fn)
    return fn


@case
def bad_client_flags():
    s = conn(sock)
    greet(s, flags=0x80)
    assert closed(s)


@case
def bad_option_magic():
    s = conn(sock)
    greet(s)
    s.sendall(struct.pack(">QII", 0x1234, 7, 0))
    assert closed(s)


@case
def huge_option_length():
    s = conn(sock)
    greet(s)
    s.sendall(struct.pack(">QII", IHAVEOPT, 3, 0xffffffff))
    assert closed(s)        # not read: hard disconnect


@case
def unknown_options_and_bad_data():
    s = conn(sock)
    greet(s)
    option(s, 0x7777, b"junk")
    assert opt_reply(s)[1] == 0x80000001          # ERR_UNSUP
    option(s, 3, b"x")                            # LIST with data
    assert opt_reply(s)[1] == 0x80000003          # ERR_INVALID
    option(s, 7, b"\xff\xff\xff\xff\x00\x00")     # GO, name length past the end
    assert opt_reply(s)[1] == 0x80000003
    option(s, 7, struct.pack(">I", 3) + b"bad" + struct.pack(">H", 0))
    assert opt_reply(s)[1] == 0x80000006          # ERR_UNKNOWN export
    option(s, 10, b"")                            # SET_META before structured
    assert opt_reply(s)[1] == 0x80000003
    option(s, 5)                                  # STARTTLS
    assert opt_reply(s)[1] & 0x80000000
    option(s, 2)                                  # ABORT
    assert opt_reply(s)[1] == 1
    assert closed(s)


@case
def truncated_handshake():
    for cut in (1, 3, 10, 17):
        s = conn(sock)
        recvn(s, 18)
        s.sendall((struct.pack(">I", 3) + struct.pack(">QII", IHAVEOPT, 7, 100))[:cut])
        s.close()


@case
def vanish_mid_option():
    s = conn(sock)
    greet(s)
    s.sendall(struct.pack(">QII", IHAVEOPT, 7, 1000) + b"x" * 10)
    s.close()


@case
def bad_request_magic():
    s = conn(sock)
    greet(s)
    go(s)
    s.sendall(b"\xde\xad\xbe\xef" + bytes(24))
    assert closed(s)


@case
def truncated_request_then_vanish():
    s = conn(sock)
    greet(s)
    go(s)
    s.sendall(struct.pack(">IHHQQI", 0x25609513, 0, 1, 1, 0, 4096)[:20])
    s.close()


@case
def vanish_mid_payload():
    s = conn(sock)
    greet(s)
    go(s)
    request(s, 1, 0, 65536, payload=b"y" * 1000)          # big: received in place
    s.close()
    s = conn(sock)
    greet(s)
    go(s)
    request(s, 1, 0, 16384, payload=b"y" * 1000)          # small: buffered first
    s.close()
    # A write cut off halfway may leave part of its payload on the disk
    # (as a disk losing power mid-write would): trim it, later cases
    # expect the disk's first 64 KiB as before.
    s = conn(sock)
    greet(s)
    go(s)
    request(s, 4, 0, 65536, cookie=1)
    assert simple_reply(s) == (0, 1)
    request(s, 2, 0, 0)
    assert closed(s)


@case
def error_rules_simple():
    s = conn(sock)
    greet(s)
    go(s)
    request(s, 0, SIZE - 1, 2, cookie=1)                   # read past the end
    assert simple_reply(s) == (22, 1)
    request(s, 1, SIZE - 1, 2, cookie=2, payload=b"ab")    # write past the end
    assert simple_reply(s) == (28, 2)
    request(s, 42, 0, 0, cookie=3)                         # unknown command
    assert simple_reply(s) == (22, 3)
    request(s, 0, 0, 512, flags=0x400, cookie=4)           # unknown flag
    assert simple_reply(s) == (22, 4)
    request(s, 7, 0, 512, cookie=5)                        # block status, no context
    assert simple_reply(s) == (22, 5)
    request(s, 1, 0, 33 << 20, cookie=6, payload=bytes(33 << 20))   # over max, drained
    assert simple_reply(s) == (22, 6)
    request(s, 3, 0, 0, flags=1, cookie=9)                 # FUA on flush
    assert simple_reply(s) == (22, 9)
    request(s, 0, 0, 3, cookie=10)                         # still in step
    assert simple_reply(s) == (0, 10)
    recvn(s, 3)
    request(s, 1, 0, 0xfffffff0, cookie=11)                # 4 GB payload: reply, hang up
    assert simple_reply(s) == (22, 11)
    assert closed(s)


@case
def structured_errors_and_holes():
    s = conn(sock)
    greet(s)
    go(s, structured=True, meta=True)
    request(s, 0, SIZE, 1, cookie=1)                        # read at the end
    flags, typ, cookie, d = chunk(s)
    assert typ == 0x8001 and flags & 1 and cookie == 1 and struct.unpack(">I", d[:4])[0] == 22
    request(s, 0, 512 << 10, 128 << 10, cookie=2)           # sparse read: one hole chunk
    flags, typ, cookie, d = chunk(s)
    assert typ == 2 and flags & 1 and struct.unpack(">QI", d[:12]) == (512 << 10, 128 << 10), typ
    request(s, 0, 0, 128 << 10, cookie=4)                   # data then hole (healthy() wrote at 4096)
    flags, typ, cookie, d = chunk(s)
    assert typ == 1 and not flags & 1 and len(d) == 8 + (32 << 10), (typ, len(d))
    flags, typ, cookie, d = chunk(s)
    assert typ == 2 and flags & 1 and struct.unpack(">QI", d[:12]) == (32 << 10, 96 << 10), typ
    request(s, 7, 0, SIZE, cookie=3)
    flags, typ, cookie, d = chunk(s)
    assert typ == 5 and flags & 1
    ctx, ln, st = struct.unpack(">III", d[:12])
    assert ctx == 1 and ln == 32 << 10 and st == 0, (ctx, ln, st)
    assert struct.unpack(">II", d[12:20]) == ((SIZE - (32 << 10)), 3)
    request(s, 2, 0, 0)
    assert closed(s)


@case
def extended_headers():
    s = conn(sock)
    greet(s)
    go(s, extended=True, meta=True)
    request(s, 1, 8192, 4, flags=0x20, cookie=1, payload=b"abcd", ext=True)
    flags, typ, cookie, d = chunk(s, ext=True)
    assert typ == 0 and flags & 1 and cookie == 1
    request(s, 0, 8192, 4, cookie=2, ext=True)
    flags, typ, cookie, d = chunk(s, ext=True)
    assert typ == 1 and d == struct.pack(">Q", 8192) + b"abcd"
    request(s, 7, 0, 1 << 40, cookie=3, ext=True)           # past the end
    flags, typ, cookie, d = chunk(s, ext=True)
    assert typ == 0x8001 and struct.unpack(">I", d[:4])[0] == 22
    request(s, 7, 0, SIZE, cookie=4, ext=True)
    flags, typ, cookie, d = chunk(s, ext=True)
    assert typ == 6, typ
    ctx, n = struct.unpack(">II", d[:8])
    assert ctx == 1 and n >= 2 and struct.unpack(">QQ", d[8:24])[1] == 0
    request(s, 4, 0, 2, flags=0x20, cookie=5, payload=b"zz", ext=True)   # payload on trim
    flags, typ, cookie, d = chunk(s, ext=True)
    assert typ == 0x8001 and cookie == 5
    request(s, 1, 0, 4, cookie=6, payload=b"", ext=True)   # write without PAYLOAD_LEN: hang up
    flags, typ, cookie, d = chunk(s, ext=True)
    assert typ == 0x8001
    assert closed(s)


@case
def export_name_unknown():
    s = conn(sock)
    greet(s)
    option(s, 1, b"nope")
    assert closed(s)


@case
def export_name_ok():
    s = conn(sock)
    greet(s)
    option(s, 1, b"")
    size, flags = struct.unpack(">QH", recvn(s, 10))       # NO_ZEROES negotiated
    assert size == SIZE and flags & 1 and not flags & 0x80
    request(s, 2, 0, 0)
    assert closed(s)


@case
def client_never_reads():
    """Floods read requests without reading: must not block others."""
    s = conn(sock)
    greet(s)
    go(s)
    s.setblocking(False)
    req = struct.pack(">IHHQQI", 0x25609513, 0, 0, 1, 0, 1 << 20)
    try:
        for _ in range(400):
            s.send(req)
    except BlockingIOError:
        pass
    healthy(sock)           # while that one is stuck
    s.close()


for fn in cases:
    fn()
    healthy(sock)
    assert p.poll() is None, "server died after " + fn.__name__

# many connections at once, half of them abandoned mid-handshake
held = [conn(sock) for _ in range(50)]
healthy(sock)
for s in held:
    s.close()
healthy(sock)
T.stop(p)
err = T.stderr_of()
assert "bad request magic" in err, err
print("ok")
