#!/usr/bin/env python3
"""`make demo 2>&1 | tee LOG` on a terminal, then Ctrl-C, as the README
says: make exits 0 without its "*** [demo] Interrupt" line, tee lives to
the end, and nothing stays mounted, attached or running."""
import os, pty, re, select, shutil, signal, subprocess, sys, tempfile

root = os.environ["FBX_ROOT"]
build = os.environ.get("BUILD", "build")
if os.getuid() != 0:
    print("skip: needs root (the demo mounts and attaches)"); sys.exit(77)
if not (os.path.exists("/dev/fuse") and os.path.exists("/dev/loop-control")):
    print("skip: needs /dev/fuse and loop"); sys.exit(77)

tmp = tempfile.mkdtemp(prefix="fbx-test.")
demo_dir = os.path.join(tmp, "demo")
# FBX_SAN=1 from tests/run, SAN=1 under `make check SAN=1`.
san = "SAN=" + os.environ.get("FBX_SAN", os.environ.get("SAN", "0"))
cmd = (f"make -s -C {root} demo BUILD={build} {san} FBX_DEMO_DIR={demo_dir} 2>&1"
       f" | tee {tmp}/log; echo \"status=${{PIPESTATUS[0]}}\"")
pid = None


def ours():
    with open("/proc/mounts") as f:
        return [l.split()[1] for l in f if l.split()[1].startswith(tmp)]


def cleanup():
    if pid:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for m in sorted(ours(), reverse=True):
        subprocess.run(["umount", "-l", m])
    shutil.rmtree(tmp, ignore_errors=True)


def read_until(fd, pattern, out):
    """Reads the terminal until pattern shows up or the output ends."""
    while not re.search(pattern, out):
        select.select([fd], [], [])
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the terminal's other side is closed
            return out, False
        if not chunk:
            return out, False
        out += chunk.decode(errors="replace")
    return out, True


try:
    pid, fd = pty.fork()
    if pid == 0:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execvp("bash", ["bash", "-c", cmd])
    out, up = read_until(fd, r"press Ctrl-C", "")
    if not up:
        print(out); print("FAIL: the demo did not come up"); sys.exit(1)
    dev = re.search(r"attached as (/dev/\w+)", out)
    back = lambda: subprocess.run(["losetup", "-n", "-O", "BACK-FILE", dev.group(1)],
                                  capture_output=True, text=True).stdout.strip()
    back_up = back() if dev else ""
    os.write(fd, b"\x03")
    out, _ = read_until(fd, r"status=\d+", out)
    os.waitpid(pid, 0)
    pid = None
    print(out)
    fail = []
    if not re.search(r"status=0\b", out):
        fail.append("make demo did not exit 0")
    if "Interrupt" in out or "***" in out:
        fail.append("make printed an error on a normal exit")
    if "demo: cleaning up" not in open(f"{tmp}/log").read():
        fail.append("tee's log misses the cleanup (tee died?)")
    if ours():
        fail.append(f"still mounted: {ours()}")
    if back_up and back() == back_up:
        fail.append(f"{dev.group(1)} still attached to {back_up}")
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    if demo_dir in ps:
        fail.append("memfs still running")
    if os.path.exists(demo_dir):
        fail.append(f"{demo_dir} left behind: {os.listdir(demo_dir)}")
    for f in fail:
        print("FAIL:", f)
    if not fail:
        print("Ctrl-C on a terminal: make demo exits 0, cleaned up, tee kept the log")
    sys.exit(1 if fail else 0)
finally:
    cleanup()
