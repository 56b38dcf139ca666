#!/usr/bin/python3
"""The workload of t_fuse3_pyfuse3.sh on a pyfuse3_memfs.py mount:
one line per step, its result or its errno name, so that the runs on
two libraries can be compared line by line.

    pyfuse3_work.py MOUNTPOINT
"""
import errno
import os
import sys

mnt = sys.argv[1]


def step(label, fn):
    try:
        r = fn()
    except OSError as e:
        r = errno.errorcode.get(e.errno, e.errno)
    print(f'{label}: {r}')


def write(name, data):
    with open(os.path.join(mnt, name), 'wb') as f:
        return f.write(data)


def read(name, off=0, size=-1):
    with open(os.path.join(mnt, name), 'rb') as f:
        f.seek(off)
        return f.read(size)


step('empty listing', lambda: sorted(os.listdir(mnt)))
step('create and write', lambda: write('a', b'hello pyfuse3\n'))
step('read back', lambda: read('a'))
step('read at an offset', lambda: read('a', 6, 7))
step('size', lambda: os.stat(os.path.join(mnt, 'a')).st_size)
step('large write', lambda: write('big', bytes(range(256)) * 1024))
step('large read', lambda: read('big') == bytes(range(256)) * 1024)
step('truncate', lambda: os.truncate(os.path.join(mnt, 'big'), 1000))
step('size after truncate', lambda: os.stat(os.path.join(mnt, 'big')).st_size)
step('listing', lambda: sorted(os.listdir(mnt)))
step('rename', lambda: os.rename(os.path.join(mnt, 'a'), os.path.join(mnt, 'b')))
step('old name', lambda: os.stat(os.path.join(mnt, 'a')).st_size)
step('new name', lambda: read('b'))
step('unlink', lambda: os.unlink(os.path.join(mnt, 'b')))
step('unlink again', lambda: os.unlink(os.path.join(mnt, 'b')))
step('missing name', lambda: read('nothere'))
step('mkdir (no op)', lambda: os.mkdir(os.path.join(mnt, 'd')))
step('many files', lambda: [write(f'f{i}', b'x' * i) for i in range(50)][-1])
step('listing of many', lambda: len(os.listdir(mnt)))
