#!/usr/bin/env bash
# Session options that shape the requests the daemon gets, seen in its
# -d log (one line "unique: N, opcode: OP (n), nodeid: ..., name: X" per
# request, then "   unique: N, success, outsize: BYTES" per reply):
#   direct_io          reads and writes reach the daemon at the caller's
#                      size, nothing is cached; shared mmap still works
#   kernel_cache       cached data is kept on open: a second read of a
#                      file sends no READ (passthrough; memfs always keeps);
#                      without it passthrough keeps it only while the
#                      file is unchanged below (a touch makes it read again)
#   max_read=N         no READ larger than N
#   max_write=N        no WRITE larger than N
#   entry_timeout, attr_timeout, negative_timeout   how often the kernel
#                      asks again (LOOKUP/GETATTR counts for repeated stat)
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
. "$FBX_ROOT/tests/fs/opt_common.sh"
[ -x "$PASSTHROUGH" ] || skip "$PASSTHROUGH not built"

# sizes of the replies to OP requests since mark, one per line
reply_sizes() {
	tail -n +"$((MARK + 1))" "$LOG" | awk -v op="$1" '
		$1 == "unique:" && $3 == "opcode:" { u[$2] = $4 }
		$1 == "unique:" && $NF ~ /^[0-9]+$/ && $(NF-1) == "outsize:" && u[$2] == op "" { print $NF }'
}
max_of() { sort -n | tail -n 1; }
SRC=$TMP/src
mkdir "$SRC"

# ---- direct_io --------------------------------------------------------------
if mnt dio "$MEMFS" -d -o direct_io; then
	head -c 65536 /dev/urandom >"$M/f"
	mark
	dd if="$M/f" of=/dev/null bs=1 count=5 status=none
	check "direct_io: 5 one-byte reads are 5 READs" 5 "$(nreq READ)"
	# the reply of a 1-byte READ is the 16-byte header and one byte
	check "direct_io: each READ reply carries 1 byte" "17 17 17 17 17" \
		"$(reply_sizes READ | tr '\n' ' ' | sed 's/ $//')"
	mark
	cat "$M/f" >/dev/null
	cat "$M/f" >/dev/null
	check_ge "direct_io: every cat reads from the daemon again" 2 "$(nreq READ)"
	mark
	dd if=/dev/zero of="$M/f" bs=1 count=3 conv=notrunc status=none
	check "direct_io: 3 one-byte writes are 3 WRITEs" 3 "$(nreq WRITE)"
	# shared mmap on a direct_io file (DIRECT_IO_ALLOW_MMAP): stores land
	# in the file, and a plain read (uncached, from the daemon) sees them
	r=$(python3 -c 'import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 8192, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
m[4096:4101] = b"mmap!"
m.flush()
m.close()
os.close(fd)
fd = os.open(sys.argv[1], os.O_RDONLY)
os.lseek(fd, 4096, 0)
print(os.read(fd, 5).decode())' "$M/f" 2>&1)
	check "direct_io: MAP_SHARED store round-trips" "mmap!" "$r"
	check "direct_io: seen by another reader" "mmap!" "$(dd if="$M/f" bs=1 skip=4096 count=5 status=none)"
	umnt
fi
if mnt nodio "$MEMFS" -d; then
	head -c 65536 /dev/urandom >"$M/f"
	mark
	dd if="$M/f" of=/dev/null bs=1 count=5 status=none
	check_le "no direct_io: 5 one-byte reads: at most one READ (page cache)" 1 "$(nreq READ)"
	umnt
fi

# ---- kernel_cache (passthrough: memfs keeps the cache itself) ---------------
# passthrough runs with -o no_passthrough here and below: its default, FUSE
# passthrough, sends no READ or WRITE at all, and these count them.
head -c 262144 /dev/urandom >"$SRC/f"
want=$(md5sum <"$SRC/f")
if mnt kc "$PASSTHROUGH" -d -o no_passthrough,kernel_cache "$SRC"; then
	check "kernel_cache: first read right" "$want" "$(md5sum <"$M/f")"
	mark
	check "kernel_cache: second read right" "$want" "$(md5sum <"$M/f")"
	check "kernel_cache: second read sends no READ" 0 "$(nreq READ)"
	umnt
fi
if mnt nokc "$PASSTHROUGH" -d -o no_passthrough "$SRC"; then
	check "no kernel_cache: first read right" "$want" "$(md5sum <"$M/f")"
	mark
	check "no kernel_cache: second read right" "$want" "$(md5sum <"$M/f")"
	check "no kernel_cache, unchanged below: second read sends no READ" 0 "$(nreq READ)"
	touch -d @1 "$SRC/f"
	mark
	check "no kernel_cache: read after a touch below right" "$want" "$(md5sum <"$M/f")"
	check_ge "no kernel_cache: changed below, the read asks the daemon again" 1 "$(nreq READ)"
	umnt
fi

# ---- max_read / max_write -------------------------------------------------------
# passthrough drops the cache on open (no kernel_cache), so buffered reads
# reach the daemon; O_DIRECT sizes are bounded by the same limits.
if mnt limits "$PASSTHROUGH" -d -o no_passthrough,max_read=8192,max_write=8192 "$SRC"; then
	mark
	check "max_read: data right" "$want" "$(md5sum <"$M/f")"
	check_le "max_read=8192: largest buffered READ reply (16 + data)" $((16 + 8192)) \
		"$(reply_sizes READ | max_of)"
	check_ge "max_read=8192: 256 KiB takes >= 32 READs" 32 "$(nreq READ)"
	mark
	dd if="$M/f" of=/dev/null bs=1M iflag=direct status=none
	check_le "max_read=8192: largest O_DIRECT READ reply" $((16 + 8192)) "$(reply_sizes READ | max_of)"
	check_ge "max_read=8192: O_DIRECT 256 KiB takes >= 32 READs" 32 "$(nreq READ)"
	mark
	dd if=/dev/zero of="$M/g" bs=1M count=1 status=none
	check_ge "max_write=8192: a 1 MiB write is >= 128 WRITEs" 128 "$(nreq WRITE)"
	mark
	dd if=/dev/zero of="$M/g" bs=1M count=1 oflag=direct status=none
	check_ge "max_write=8192: O_DIRECT 1 MiB is >= 128 WRITEs" 128 "$(nreq WRITE)"
	check "max_write: size right" 1048576 "$(stat -c %s "$SRC/g")"
	check_contains "max_write=8192 in INIT" "max_write 8192" "$(grep '^INIT:' "$LOG")"
	check "max_read=8192 in the mount options" max_read=8192 \
		"$(awk -v m="$M" '$2 == m' /proc/mounts | grep -o 'max_read=[0-9]*')"
	umnt
fi
# the defaults (max_write 1 MiB) take far fewer requests: the counts above
# are the options' doing
if mnt nolimits "$PASSTHROUGH" -d -o no_passthrough "$SRC"; then
	mark
	cat "$M/f" >/dev/null
	check_le "default: 256 KiB read takes <= 8 READs" 8 "$(nreq READ)"
	mark
	dd if=/dev/zero of="$M/g" bs=1M count=1 status=none
	check_le "default: a 1 MiB write is <= 8 WRITEs" 8 "$(nreq WRITE)"
	check_contains "default max_write 1 MiB in INIT" "max_write 1048576" "$(grep '^INIT:' "$LOG")"
	umnt
fi

# ---- entry_timeout / attr_timeout / negative_timeout -----------------------------
# "Asks" for a name: LOOKUP of it plus GETATTR/STATX of any node (only the
# file is stat'ed here).
asks() { echo $(($(nreq LOOKUP "$1") + $(nreq GETATTR) + $(nreq STATX))); }
stat5() { local _; for _ in 1 2 3 4 5; do stat "$M/$1" >/dev/null 2>&1; done; }
# An open descriptor pins the dentry, so a drop_caches by anyone else on
# the machine cannot make the kernel forget the name and look it up again.
pin() { exec 8<"$M/$1"; }
unpin() { exec 8<&-; }
if mnt t0 "$MEMFS" -d -o entry_timeout=0,attr_timeout=0; then
	echo x >"$M/f"
	mark
	stat5 f
	check_ge "entry/attr_timeout=0: 5 stats ask >= 5 times" 5 "$(asks f)"
	check_ge "entry_timeout=0: 5 stats, >= 5 LOOKUPs" 5 "$(nreq LOOKUP f)"
	mark
	stat5 missing
	check "negative_timeout default (0): 5 stats of a missing name, 5 LOOKUPs" 5 "$(nreq LOOKUP missing)"
	umnt
fi
# long timeouts (rather than the 1 s default) keep this free of timing;
# write-through, as under the writeback cache Linux 6.18 sends a STATX
# for every stat(1) that asks for the birth time (passthrough too)
if mnt tlong "$MEMFS" -d -o entry_timeout=3600,attr_timeout=3600,negative_timeout=3600,no_writeback_cache; then
	echo x >"$M/f"
	pin f
	stat "$M/f" >/dev/null
	mark
	stat5 f
	check "entry/attr_timeout=3600: 5 stats ask nothing" 0 "$(asks f)"
	unpin
	mark
	stat5 missing
	check "negative_timeout=3600: 5 stats of a missing name, 1 LOOKUP" 1 "$(nreq LOOKUP missing)"
	check "negative_timeout: still missing" ENOENT "$(errno_of stat "$M/missing")"
	# a create through the mount replaces the negative entry
	echo y >"$M/missing"
	check "negative_timeout: create through the mount is seen" y "$(cat "$M/missing" 2>&1)"
	umnt
fi
if mnt attr0 "$MEMFS" -d -o entry_timeout=3600,attr_timeout=0; then
	echo x >"$M/f"
	pin f
	stat "$M/f" >/dev/null
	mark
	stat5 f
	check "attr_timeout=0 alone: no LOOKUP (entry cached)" 0 "$(nreq LOOKUP f)"
	check_ge "attr_timeout=0 alone: >= 5 GETATTR/STATX" 5 $(($(nreq GETATTR) + $(nreq STATX)))
	unpin
	umnt
fi

finish
