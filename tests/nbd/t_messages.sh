#!/usr/bin/env bash
# Messages of the block-device programs name what is wrong, and help is
# the same everywhere:
#  - a listen failure names the address or path (--tcp nonsense, a socket
#    in a missing directory), a port over 65535 is refused (it used to
#    wrap: 99999 served on 34463);
#  - filedisk on an empty image says it is empty (perror said "Success");
#  - a second target replaces the first out loud (busexmp /dev/nbd0
#    --attach X says it is not using /dev/nbd0);
#  - -h and --help print the same help on stdout and exit 0 in every
#    program; fusebox-nbd -h lists --attach.
. "$(dirname "$0")/../lib/fbx.sh"

B=$BUILD/examples N=$BUILD/tools/fusebox-nbd
for p in "$B/busexmp" "$B/filedisk" "$N"; do [ -x "$p" ] || skip "$p not built"; done

# run PROG ARGS...: sets rc and err (stderr). A program that wrongly
# starts serving would never return: the timeout only guards the run.
run() { err=$(timeout -k 5 60 "$@" 2>&1 >/dev/null </dev/null); rc=$?; }

run "$B/busexmp" --tcp nonsense
check "--tcp nonsense: exit 1" 1 "$rc"
check_contains "--tcp nonsense: names the address" "cannot listen on nonsense:10809: no such host" "$err"

run "$B/busexmp" "$TMP/missing/dir/s.sock"
check "socket in a missing dir: exit 1" 1 "$rc"
check_contains "socket in a missing dir: names the path" \
	"cannot listen on $TMP/missing/dir/s.sock: No such file or directory" "$err"

run "$N" memory 1M --tcp 127.0.0.1:99999
check "--tcp 127.0.0.1:99999: exit 1" 1 "$rc"
check_contains "--tcp 127.0.0.1:99999: port range" \
	"cannot listen on 127.0.0.1:99999: port out of range (0-65535)" "$err"
run "$B/busexmp" nbd://127.0.0.1:65536
check_contains "nbd://127.0.0.1:65536: port range" "127.0.0.1:65536: port out of range" "$err"

: >"$TMP/e.img"
run "$B/filedisk" "$TMP/e.img"
check "filedisk empty image: exit 1" 1 "$rc"
check_contains "filedisk empty image: says so" "$TMP/e.img is empty (0 bytes)" "$err"
case $err in *Success*) echo "FAIL  filedisk empty image: says Success"; fails=$((fails + 1));; esac
run "$N" file "$TMP/e.img"
check_contains "fusebox-nbd file, empty image: says so" "$TMP/e.img is empty (0 bytes)" "$err"
run "$N" file "$TMP/none.img"
check_contains "fusebox-nbd file, missing image: names it" "$TMP/none.img: No such file" "$err"

# An attach path that does not exist: nothing gets attached, but the
# dropped /dev/nbd0 must be named first.
run "$B/busexmp" /dev/nbd0 --attach no-such-path
check_contains "/dev/nbd0 --attach X: not using /dev/nbd0" \
	"--attach no-such-path: not using /dev/nbd0" "$err"
run "$B/busexmp" --tcp 1 --socket "$TMP/missing/s"
check_contains "--tcp then --socket: not using the TCP one" "not using *:1" "$err"

for p in "$B/busexmp" "$B/filedisk" "$N" "$B/memfs" "$B/passthrough" \
         "$B/hello" "$B/hellofs" "$B/hello_ll"; do
	n=${p##*/}
	h=$("$p" -h 2>"$TMP/h.err"); hrc=$?
	l=$("$p" --help 2>"$TMP/l.err"); lrc=$?
	check "$n -h: exit 0" 0 "$hrc"
	check "$n --help: exit 0" 0 "$lrc"
	check "$n: -h and --help print the same" "$h" "$l"
	check "$n -h: nothing on stderr" "" "$(cat "$TMP/h.err" "$TMP/l.err")"
done
check_contains "fusebox-nbd -h lists --attach" "--attach PATH" "$("$N" -h)"
check "fusebox-nbd memory 1G -h: the same help" "$("$N" -h)" "$("$N" memory 1G -h)"
check_contains "busexmp -h lists --attach" "--attach PATH" "$("$B/busexmp" -h)"
check_contains "filedisk -h lists --attach" "--attach" "$("$B/filedisk" -h)"

finish
