"""Shared helpers of the NBD tests (not a test: no t_ prefix).

start(argv) runs a server on a fresh Unix socket under a mktemp -d
directory and returns (proc, sock, uri); stop() ends it (and everything
started) and checks it exited cleanly. FBX_NBD_WRAP (e.g. "valgrind
--error-exitcode=9") is put in front of every server's command line.
"""
import atexit, os, shlex, shutil, signal, subprocess, sys, tempfile, time

ROOT = os.environ.get("FBX_ROOT", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
TMP = tempfile.mkdtemp(prefix="fbx-test.", dir="/tmp")
_procs = []


def skip(why):
    print(why)
    sys.exit(77)


def prog(rel):
    p = os.path.join(BUILD, rel)
    if not os.access(p, os.X_OK):
        skip("not built: " + p)
    return p


def start(argv, name="s", wait_uri=True):
    sock = os.path.join(TMP, name)
    wrap = shlex.split(os.environ.get("FBX_NBD_WRAP", ""))
    p = subprocess.Popen(wrap + argv + ["--socket", sock], stdout=subprocess.PIPE,
                         stderr=open(os.path.join(TMP, name + ".err"), "w"), text=True)
    _procs.append(p)
    uri = p.stdout.readline().strip() if wait_uri else None
    for _ in range(200):
        if os.path.exists(sock):
            break
        time.sleep(0.01)
    return p, sock, uri


def stop(p, expect_clean=True):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=60 if os.environ.get("FBX_NBD_WRAP") else 15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise AssertionError("server did not stop on SIGTERM")
    if expect_clean and p.returncode != 0:
        raise AssertionError("server exited with %d" % p.returncode)


def stderr_of(name="s"):
    with open(os.path.join(TMP, name + ".err")) as f:
        return f.read()


def _cleanup():
    for p in _procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(TMP, ignore_errors=True)


atexit.register(_cleanup)
