"""handle_reopen.py MOUNTDIR FILE: take FILE's file handle, make the
kernel forget what it caches of the mount's inodes (drop_caches 2: the
FUSE daemon gets their FORGETs), then open the handle again and print
what the file holds, or the errno's name (ESTALE: the filesystem no
longer knew the node). Python has no name_to_handle_at: ctypes it is."""
import ctypes
import errno
import os
import sys
import time

libc = ctypes.CDLL(None, use_errno=True)


class FileHandle(ctypes.Structure):
    _fields_ = [("handle_bytes", ctypes.c_uint), ("handle_type", ctypes.c_int),
                ("f_handle", ctypes.c_ubyte * 128)]


def main():
    mnt, path = sys.argv[1], sys.argv[2]
    fh = FileHandle(handle_bytes=128)
    mount_id = ctypes.c_int()
    if libc.name_to_handle_at(-100, path.encode(), ctypes.byref(fh), ctypes.byref(mount_id), 0):
        print("name_to_handle_at: " + errno.errorcode[ctypes.get_errno()])
        return
    mfd = os.open(mnt, os.O_RDONLY | os.O_DIRECTORY)
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("2")
    # The FORGETs are queued to the daemon, not waited for: a LOOKUP of
    # the handle's node racing a worker still applying them would find
    # the node, and a test expecting ESTALE would see a false success.
    time.sleep(1)
    fd = libc.open_by_handle_at(mfd, ctypes.byref(fh), os.O_RDONLY)
    if fd < 0:
        print(errno.errorcode[ctypes.get_errno()])
        return
    print(os.read(fd, 100).decode().strip())
    os.close(fd)
    os.close(mfd)


main()
