#!/usr/bin/python3
"""A small in-memory filesystem on pyfuse3, for t_fuse3_pyfuse3.sh.

pyfuse3 serves requests from its own trio event loop through
fuse_session_receive_buf/fuse_session_process_buf and replies from
coroutines, so this exercises a libfuse session driven by a program's
own loop. One flat directory of regular files.

    pyfuse3_memfs.py MOUNTPOINT
"""
import errno
import os
import stat
import sys
import time

import pyfuse3
import trio


class MemFS(pyfuse3.Operations):
    def __init__(self):
        super().__init__()
        self.names = {}   # name (bytes) -> inode
        self.data = {}    # inode -> bytearray
        self.next_ino = pyfuse3.ROOT_INODE + 1
        self.now = time.time_ns()

    def _attr(self, ino):
        a = pyfuse3.EntryAttributes()
        a.st_ino = ino
        if ino == pyfuse3.ROOT_INODE:
            a.st_mode = stat.S_IFDIR | 0o755
            a.st_nlink = 2
        elif ino in self.data:
            a.st_mode = stat.S_IFREG | 0o644
            a.st_nlink = 1
            a.st_size = len(self.data[ino])
        else:
            raise pyfuse3.FUSEError(errno.ENOENT)
        a.st_uid = os.getuid()
        a.st_gid = os.getgid()
        a.st_atime_ns = a.st_mtime_ns = a.st_ctime_ns = self.now
        a.entry_timeout = a.attr_timeout = 0
        return a

    async def lookup(self, parent, name, ctx=None):
        if parent != pyfuse3.ROOT_INODE or name not in self.names:
            raise pyfuse3.FUSEError(errno.ENOENT)
        return self._attr(self.names[name])

    async def getattr(self, ino, ctx=None):
        return self._attr(ino)

    async def setattr(self, ino, attr, fields, fh, ctx):
        if fields.update_size:
            buf = self.data[ino]
            del buf[attr.st_size:]
            buf.extend(b'\0' * (attr.st_size - len(buf)))
        return self._attr(ino)

    async def opendir(self, ino, ctx):
        return ino

    async def readdir(self, fh, start, token):
        entries = sorted(self.names.items())
        for i, (name, ino) in enumerate(entries[start:], start + 1):
            if not pyfuse3.readdir_reply(token, name, self._attr(ino), i):
                break

    async def open(self, ino, flags, ctx):
        return pyfuse3.FileInfo(fh=ino)

    async def create(self, parent, name, mode, flags, ctx):
        ino = self.next_ino
        self.next_ino += 1
        self.names[name] = ino
        self.data[ino] = bytearray()
        return pyfuse3.FileInfo(fh=ino), self._attr(ino)

    async def read(self, fh, off, size):
        await trio.sleep(0)   # reply after a turn of the event loop
        return bytes(self.data[fh][off:off + size])

    async def write(self, fh, off, buf):
        d = self.data[fh]
        d.extend(b'\0' * max(0, off - len(d)))
        d[off:off + len(buf)] = buf
        return len(buf)

    async def unlink(self, parent, name, ctx):
        ino = self.names.pop(name, None)
        if ino is None:
            raise pyfuse3.FUSEError(errno.ENOENT)
        del self.data[ino]

    async def rename(self, p_old, name_old, p_new, name_new, flags, ctx):
        if name_old not in self.names:
            raise pyfuse3.FUSEError(errno.ENOENT)
        old = self.names.pop(name_new, None)
        if old is not None:
            del self.data[old]
        self.names[name_new] = self.names.pop(name_old)


def main():
    fs = MemFS()
    pyfuse3.init(fs, sys.argv[1], {'fsname=pyfuse3_memfs'})
    try:
        trio.run(pyfuse3.main)
    finally:
        pyfuse3.close(unmount=True)


if __name__ == '__main__':
    main()
