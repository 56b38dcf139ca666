#!/usr/bin/env python3
"""datacheck.py FILE SEED NOPS [BELOW]: a randomized data check (in the
spirit of fsx, our own words): NOPS random operations on FILE -- pwrite,
ftruncate, pread, a read through a fresh descriptor, a write through a
shared mmap, fsync -- each checked against an in-memory model of what
the file must hold. With BELOW (the same file under a passthrough
mount), the file there must match too once FILE is closed. Prints the
failing operation and exits 1 on the first difference."""
import mmap
import os
import random
import sys

path, seed, nops = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
below = sys.argv[4] if len(sys.argv) > 4 else None
r = random.Random(seed)
MAXLEN = 300 * 1024
model = bytearray()
fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
log = []


def fail(what, got, want):
    first = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]),
                 min(len(got), len(want)))
    print("datacheck: op %d (%s): differs at byte %d (got %d bytes, want %d)"
          % (len(log), what, first, len(got), len(want)))
    print("datacheck: last ops: " + "; ".join(log[-8:]))
    sys.exit(1)


for _ in range(nops):
    op = r.choice("wwwwtrrfmsc")
    if op == "w":
        off, n = r.randrange(MAXLEN), r.randrange(1, 20000)
        data = bytes(r.getrandbits(8) for _ in range(min(n, 64))) * (n // 64 + 1)
        data = data[:n]
        os.pwrite(fd, data, off)
        if len(model) < off:
            model.extend(bytes(off - len(model)))
        model[off:off + n] = data
        log.append("pwrite %d+%d" % (off, n))
    elif op == "t":
        size = r.randrange(MAXLEN)
        os.ftruncate(fd, size)
        if size < len(model):
            del model[size:]
        else:
            model.extend(bytes(size - len(model)))
        log.append("ftruncate %d" % size)
    elif op == "r":
        off, n = r.randrange(MAXLEN), r.randrange(1, 40000)
        got = os.pread(fd, n, off)
        log.append("pread %d+%d" % (off, n))
        if got != bytes(model[off:off + n]):
            fail(log[-1], got, model[off:off + n])
    elif op == "f":
        with open(path, "rb") as f:
            got = f.read()
        log.append("read through a new open")
        if got != bytes(model):
            fail(log[-1], got, model)
        if os.fstat(fd).st_size != len(model):
            fail("fstat size", b"x" * os.fstat(fd).st_size, model)
    elif op == "m" and len(model) > 0:
        off = r.randrange(len(model))
        n = min(r.randrange(1, 8192), len(model) - off)
        data = bytes([r.getrandbits(8)]) * n
        with mmap.mmap(fd, len(model)) as mm:
            mm[off:off + n] = data
            mm.flush()
        model[off:off + n] = data
        log.append("mmap write %d+%d" % (off, n))
    elif op == "s":
        os.fsync(fd)
        log.append("fsync")
    elif op == "c":
        os.close(fd)
        fd = os.open(path, os.O_RDWR)
        log.append("close, reopen")
os.close(fd)
with open(path, "rb") as f:
    got = f.read()
if got != bytes(model):
    fail("final read", got, model)
if below:
    with open(below, "rb") as f:
        got = f.read()
    if got != bytes(model):
        fail("final read below the mount", got, model)
print("datacheck: %d ops, %d bytes, ok" % (nops, len(model)))
