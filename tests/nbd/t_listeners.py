#!/usr/bin/python3
"""Ways to listen and to name the export: IPv6 TCP (--tcp [::1]:0 and
nbd://[::1]:0), systemd socket activation (LISTEN_FDS/LISTEN_PID, a
Unix and a TCP socket passed from this script, with --systemd and
without a target), a LISTEN_PID meant for another process, and export
names (--name, nbd+unix:///NAME?socket=..., "" always matches, an
unknown name is refused, --list shows it)."""
import errno, os, socket, subprocess, sys
sys.path.insert(0, os.path.dirname(__file__))
import nbdtest as T

try:
    import nbd
except ImportError:
    T.skip("python3-libnbd not installed")

NBD = T.prog("tools/fusebox-nbd")
procs = []


def spawn(argv, env=None, pass_fds=()):
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env, pass_fds=pass_fds)
    procs.append(p)
    T._procs.append(p)        # killed at exit whatever happens
    return p


def first_uri(p):
    line = p.stdout.readline().strip()
    if not line:
        p.kill()
        raise AssertionError("no URI printed: " + p.stderr.read())
    return line


def check(uri, size):
    h = nbd.NBD()
    h.connect_uri(uri)
    assert h.get_size() == size, (uri, h.get_size())
    h.pwrite(b"fbx!", 4096)
    assert h.pread(4, 4096) == b"fbx!"
    h.shutdown()


def refused(uri):
    h = nbd.NBD()
    try:
        h.connect_uri(uri)
    except nbd.Error:
        return True
    h.shutdown()
    return False


def have_ipv6():
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


# --- IPv6 TCP
if have_ipv6():
    for target in (["--tcp", "[::1]:0"], ["nbd://[::1]:0"]):
        p = spawn([NBD, "memory", "1M"] + target)
        uri = first_uri(p)
        assert uri.startswith("nbd://[::1]:") and uri.endswith("/"), uri
        assert not uri.startswith("nbd://[::1]:0/"), "port 0 printed: " + uri
        check(uri, 1 << 20)
        T.stop(p)
else:
    print("no IPv6 loopback: IPv6 listener not tested")

# --- systemd socket activation: the launcher binds, the server adopts
us = socket.socket(socket.AF_UNIX)
upath = os.path.join(T.TMP, "act.sock")
us.bind(upath)
us.listen(8)
ts = socket.socket(socket.AF_INET)
ts.bind(("127.0.0.1", 0))
ts.listen(8)
tport = ts.getsockname()[1]
launcher = r'''
import os, sys
fds = [int(x) for x in sys.argv[1:3]]
for i, fd in enumerate(fds):          # systemd passes them from fd 3 on
    os.dup2(fd, 3 + i, inheritable=True)
for fd in fds:
    if fd >= 3 + len(fds):
        os.close(fd)
env = dict(os.environ, LISTEN_PID=str(os.getpid()), LISTEN_FDS=str(len(fds)),
           LISTEN_FDNAMES="u:t")
os.execve(sys.argv[3], sys.argv[3:], env)
'''
for extra in (["--systemd"], []):       # explicit, and the default when LISTEN_FDS is set
    # fds above 4 so that dup2 onto 3 and 4 cannot clobber one of them
    os.dup2(us.fileno(), 20)
    os.dup2(ts.fileno(), 21)
    p = spawn(["/usr/bin/python3", "-c", launcher, "20", "21", NBD, "memory", "2M"] + extra,
              pass_fds=(20, 21))
    os.close(20)
    os.close(21)
    u1, u2 = first_uri(p), first_uri(p)
    assert u1 == "nbd+unix:///?socket=" + upath, u1
    assert u2 == "nbd://127.0.0.1:%d/" % tport, u2
    check(u1, 2 << 20)
    check(u2, 2 << 20)
    T.stop(p)
    # the adopted Unix socket is the server's to remove, as with --socket
    if os.path.exists(upath):
        os.unlink(upath)
    us.close()
    us = socket.socket(socket.AF_UNIX)
    us.bind(upath)
    us.listen(8)
us.close()
ts.close()

# LISTEN_PID of another process: the fds are not ours, --systemd fails
env = dict(os.environ, LISTEN_PID="1", LISTEN_FDS="1")
p = spawn([NBD, "memory", "1M", "--systemd"], env=env)
out, err = p.communicate(timeout=10)
assert p.returncode == 1 and "LISTEN_FDS" in err, (p.returncode, err)

# --- export names
p, sock, uri = T.start([NBD, "memory", "1M", "--name", "disk0"], "named")
assert uri == "nbd+unix:///disk0?socket=" + sock, uri
check(uri, 1 << 20)
check("nbd+unix:///?socket=" + sock, 1 << 20)           # "" always matches
check("nbd+unix:///disk1?socket=" + sock, 1 << 20)      # the only export: any name
lst = subprocess.run(["nbdinfo", "--list", uri], capture_output=True, text=True)
if lst.returncode == 0:
    assert 'export="disk0"' in lst.stdout, lst.stdout
T.stop(p)

# --strict-name: only "" and the name itself; the refusal is logged by name
p, sock, uri = T.start([NBD, "memory", "1M", "--name", "disk0", "--strict-name"], "strict")
check(uri, 1 << 20)
check("nbd+unix:///?socket=" + sock, 1 << 20)
assert refused("nbd+unix:///disk1?socket=" + sock), "unknown name accepted under --strict-name"
T.stop(p)
err = T.stderr_of("strict")
assert 'export "disk1"' in err and "--strict-name" in err, err

# the name from a URI target
sock2 = os.path.join(T.TMP, "u2.sock")
p = spawn([NBD, "memory", "1M", "nbd+unix:///vol?socket=" + sock2, "--strict-name"])
uri = first_uri(p)
assert uri == "nbd+unix:///vol?socket=" + sock2, uri
check(uri, 1 << 20)
assert refused("nbd+unix:///other?socket=" + sock2)
T.stop(p)
print("ok")
