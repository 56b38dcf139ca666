# shellcheck shell=bash
# Sourced by tests that boot the VM (bash). Usage:
#   . "$FBX_ROOT/tests/vm/lib.sh"
#   vm_require            # exit 77 (skip) when qemu/kernel cannot be had here
#   vm_run [run-in-vm options] SCRIPT [FILE[:DEST]...]   # returns its exit code
# vm_require skips only for tests/vm/setup's "unavailable" (exit 2); any other
# setup failure fails the test, so a broken harness is never a silent skip.
FBX_VM_DIR=${FBX_VM_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}

vm_require() {
  local out rc
  out=$("$FBX_VM_DIR/setup" 2>&1)
  rc=$?
  case $rc in
    0) return 0;;
    2) echo "$out"
       echo "skip: VM kernel or qemu unavailable: $(echo "$out" | tail -n1)"
       exit 77;;
    *) echo "$out"
       echo "FAIL: tests/vm/setup exit $rc"
       exit 1;;
  esac
}

vm_run() { "$FBX_VM_DIR/run-in-vm" "$@"; }
