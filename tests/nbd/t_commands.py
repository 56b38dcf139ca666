#!/usr/bin/python3
"""Every NBD command and every error rule, through libnbd (python3-libnbd),
against busexmp (128 MB memory disk) and a read-only fusebox-nbd."""
import errno, sys, threading
sys.path.insert(0, __import__("os").path.dirname(__file__))
import nbdtest as T

try:
    import nbd
except ImportError:
    T.skip("python3-libnbd not installed")

SIZE = 128 << 20


def expect_err(fn, want, what):
    try:
        fn()
    except nbd.Error as e:
        got = e.errno if isinstance(e.errno, int) else getattr(errno, e.errno or "", None)
        assert got == want, "%s: errno %s, want %s (%s)" % (what, e.errno, want, e)
        return
    raise AssertionError("%s: no error" % what)


def connect(uri, **kw):
    h = nbd.NBD()
    for k, v in kw.items():
        getattr(h, k)(v)
    h.add_meta_context("base:allocation")
    h.connect_uri(uri)
    return h


p, sock, uri = T.start([T.prog("examples/busexmp")])
assert uri == "nbd+unix:///?socket=" + sock, uri
h = connect(uri)
assert h.get_size() == SIZE
assert h.get_structured_replies_negotiated()
for f in ("can_flush", "can_fua", "can_trim", "can_zero", "can_fast_zero", "can_cache",
          "can_df", "can_multi_conn"):
    assert getattr(h, f)(), f
assert not h.is_read_only()
assert h.can_meta_context("base:allocation")
assert h.get_block_size(nbd.SIZE_MAXIMUM) == 32 << 20

# read/write, FUA
assert h.pread(4096, 0) == bytes(4096)
data = bytes(range(256)) * 64
h.pwrite(data, 12345)
assert h.pread(len(data), 12345) == data
h.pwrite(b"x" * 1000, SIZE - 1000, nbd.CMD_FLAG_FUA)
assert h.pread(1000, SIZE - 1000) == b"x" * 1000
big = bytes([7]) * (4 << 20)
h.pwrite(big, 8 << 20)
assert h.pread(4 << 20, 8 << 20) == big
h.flush()
h.cache(1 << 20, 0)

# trim and zero make zeroes and holes
h.pwrite(b"\xff" * (1 << 20), 32 << 20)
h.trim(1 << 20, 32 << 20)
assert h.pread(1 << 20, 32 << 20) == bytes(1 << 20)
h.pwrite(b"\xff" * (1 << 20), 40 << 20)
h.zero(100, (40 << 20) + 50)
got = h.pread(1 << 20, 40 << 20)
assert got[:50] == b"\xff" * 50 and got[50:150] == bytes(100) and got[150:] == b"\xff" * ((1 << 20) - 150)
h.zero(1 << 20, 40 << 20, nbd.CMD_FLAG_NO_HOLE | nbd.CMD_FLAG_FUA)
h.zero(1 << 20, 40 << 20, nbd.CMD_FLAG_FAST_ZERO)
assert h.pread(1 << 20, 40 << 20) == bytes(1 << 20)

# pages freed by trim are reused by later writes, and read as zeroes
# wherever the new write does not cover them
h.pwrite(b"\xee" * (1 << 20), 48 << 20)
h.trim(1 << 20, 48 << 20)
for i in range(16):
    h.pwrite(b"\x11" * 512, (56 << 20) + i * (64 << 10) + 100)
got = h.pread(1 << 20, 56 << 20)
for i in range(16):
    o = i * (64 << 10)
    assert got[o:o + 100] == bytes(100) and got[o + 100:o + 612] == b"\x11" * 512, i
    assert got[o + 612:o + (64 << 10)] == bytes((64 << 10) - 612), i
# big writes into holes (received by the workers) and over data (received
# straight into the pages), both unaligned, read back whole
pat = bytes(range(256)) * (3 << 10)
h.pwrite(pat, (60 << 20) + 4097)
h.pwrite(pat[::-1], (60 << 20) + 4097 + 1000)
assert h.pread(len(pat) + 1000, (60 << 20) + 4097) == pat[:1000] + pat[::-1]

# block status: written ranges are data, the rest holes
ext = []
h.block_status(SIZE, 0, lambda ctx, off, e, err: ext.append((ctx, off, list(e))) or 0)
ctx, off, e = ext[0]
assert ctx == "base:allocation"
assert sum(e[0::2]) <= SIZE and e[1] == 0, e[:4]          # starts with data at 0..
assert any(f == 3 for f in e[1::2]), e                    # ..and has holes
one = []
h.block_status(SIZE, 0, lambda c, o, e2, err: one.append(list(e2)) or 0, flags=nbd.CMD_FLAG_REQ_ONE)
assert len(one[0]) == 2, one

# structured read of a sparse region comes as hole chunks
chunks = []
def chunk(sub, off, status, err):
    chunks.append((status, off, len(sub)))
    return 0
buf = h.pread_structured(1 << 20, 64 << 20, chunk)
assert buf == bytes(1 << 20)
assert any(s == nbd.READ_HOLE for s, _, _ in chunks), chunks
h.pwrite(b"d" * 4096, (64 << 20) + 8192)
chunks.clear()
buf = h.pread_structured(1 << 20, 64 << 20, chunk)
assert buf[8192:12288] == b"d" * 4096 and buf[:8192] == bytes(8192)
assert any(s == nbd.READ_DATA for s, _, _ in chunks), chunks
chunks.clear()
h.pread_structured(1 << 20, 64 << 20, chunk, nbd.CMD_FLAG_DF)
assert len(chunks) == 1 and chunks[0][0] == nbd.READ_DATA, chunks

# error rules: libnbd checks most client-side, so lift that
h.set_strict_mode(0)
expect_err(lambda: h.pread(2, SIZE - 1), errno.EINVAL, "read past the end")
expect_err(lambda: h.pread(1, SIZE), errno.EINVAL, "read at the end")
expect_err(lambda: h.pwrite(b"ab", SIZE - 1), errno.ENOSPC, "write past the end")
expect_err(lambda: h.trim(2, SIZE - 1), errno.ENOSPC, "trim past the end")
expect_err(lambda: h.zero(2, SIZE - 1), errno.ENOSPC, "zero past the end")
expect_err(lambda: h.cache(2, SIZE - 1), errno.EINVAL, "cache past the end")
expect_err(lambda: h.pread(4096, 0, nbd.CMD_FLAG_FUA), errno.EINVAL, "FUA on read")
expect_err(lambda: h.pwrite(b"a", 0, 0x40), errno.EINVAL, "unknown flag")
# a read over the advertised maximum (32 MiB) is still served, in pieces
h.pwrite(b"tail", (42 << 20) - 4)
big = h.pread(42 << 20, 0)
assert len(big) == 42 << 20 and big.endswith(b"tail"), len(big)
expect_err(lambda: h.pwrite(bytes((32 << 20) + 4096), 0), errno.EINVAL, "write over the maximum")
expect_err(lambda: h.pread(0, 0), errno.EINVAL, "zero-length read")
# the connection is still good after all that
h.pwrite(b"still", 0)
assert h.pread(5, 0) == b"still"

# several connections at once (multi-conn), each writing its own region
def worker(i, res):
    try:
        c = connect(uri)
        pat = bytes([i + 1]) * 65536
        for k in range(64):
            c.pwrite(pat, (80 << 20) + i * (4 << 20) + k * 65536)
        c.flush()
        c.shutdown()
        res[i] = True
    except Exception as e:     # noqa
        res[i] = e
res = [None] * 8
ts = [threading.Thread(target=worker, args=(i, res)) for i in range(8)]
[t.start() for t in ts]
[t.join() for t in ts]
assert all(r is True for r in res), res
for i in range(8):
    assert h.pread(4 << 20, (80 << 20) + i * (4 << 20)) == bytes([i + 1]) * (4 << 20), i
h.shutdown()

# export names: with one export and no --strict-name, any name gets it
h = connect(uri.replace(":///", ":///nosuch"))
assert h.get_size() == SIZE
h.shutdown()
T.stop(p)

# read-only: writes refused with EPERM, flags say so
p, sock, uri = T.start([T.prog("tools/fusebox-nbd"), "memory", "1M", "-r", "--name", "ro"], "ro")
assert uri.endswith("/ro?socket=" + sock) or "ro?socket" in uri, uri
h = connect(uri)
assert h.is_read_only() and not h.can_trim() and not h.can_zero()
h.set_strict_mode(0)
expect_err(lambda: h.pwrite(b"a", 0), errno.EPERM, "write to read-only")
expect_err(lambda: h.trim(4096, 0), errno.EPERM, "trim on read-only")
expect_err(lambda: h.zero(4096, 0), errno.EPERM, "zero on read-only")
assert h.pread(10, 0) == bytes(10)
h.shutdown()
T.stop(p, expect_clean=True)
assert "write to a read-only export" in T.stderr_of("ro"), T.stderr_of("ro")

# worker-thread mode serves the same (fusebox-nbd memory --threads 3)
p, sock, uri = T.start([T.prog("tools/fusebox-nbd"), "memory", "16M", "--threads", "3"], "w")
h = connect(uri)
cookies = [h.aio_pwrite(bytes([k]) * 4096, k * 4096) for k in range(64)]
while h.aio_in_flight():
    h.poll(-1)
[h.aio_command_completed(c) for c in cookies]
assert all(h.pread(4096, k * 4096) == bytes([k]) * 4096 for k in range(64))
h.shutdown()
T.stop(p)
print("ok")
