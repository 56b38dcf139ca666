#!/usr/bin/python3
# write_ops.py OP FILE [SRC]: one call that changes FILE's data, made by
# whoever runs this (t_suid_clear.sh runs it as uid 65534 and as root).
# Each OP is a different way into a file: the kernel decides about
# suid/sgid on each of them separately.
import mmap
import os
import sys

op, path = sys.argv[1], sys.argv[2]
if op == "append":
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    os.write(fd, b"x\n")
elif op == "pwrite":
    fd = os.open(path, os.O_WRONLY)
    os.pwrite(fd, b"y", 1)
elif op == "truncate":
    os.truncate(path, 10)
    sys.exit(0)
elif op == "chgrp":
    # Not data, but the kernel clears suid/sgid on a chown by the same
    # rule (sgid without group-exec: only for a caller outside the
    # file's old group and without CAP_FSETID).
    os.chown(path, -1, 65534)
    sys.exit(0)
elif op == "ftruncate":
    fd = os.open(path, os.O_WRONLY)
    os.ftruncate(fd, 7)
elif op == "fallocate":
    fd = os.open(path, os.O_WRONLY)
    os.posix_fallocate(fd, 0, 8192)
elif op == "copy_file_range":
    src = os.open(sys.argv[3], os.O_RDONLY)
    fd = os.open(path, os.O_WRONLY)
    os.copy_file_range(src, fd, 4, 0, 0)
    os.close(src)
elif op == "mmap":
    fd = os.open(path, os.O_RDWR)
    m = mmap.mmap(fd, 4096)
    m[0:2] = b"zz"
    m.flush()
    m.close()
else:
    sys.exit("write_ops.py: unknown op " + op)
os.close(fd)
