#!/usr/bin/env bash
# Path-API options (fusebox/options.h, fs.h) on real memfs mounts:
#   uid=N, gid=N, umask=M   every attribute reported with that owner and
#                           the permissions 0777 & ~M (libfuse's meaning)
#   use_ino                 st_ino is the filesystem's own number, not
#                           the library's node id
#   readdir_ino             d_ino of a plain READDIR is the st_ino
#   hard_remove             an unlinked open file is removed at once, no
#                           .fbx_hidden<N> stays behind while it is open
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"
. "$FBX_ROOT/tests/fs/opt_common.sh"

# ---- uid=, gid=, umask= ---------------------------------------------------
make_tree() {
	echo x >"$M/f" && chmod 0666 "$M/f" && mkdir "$M/d" && chmod 0777 "$M/d" &&
		ln -s f "$M/l" && chown 0:0 "$M/f"
}
if mnt owner "$MEMFS" -o uid=1234,gid=4321,umask=027; then
	make_tree
	check "uid/gid/umask: file" "1234:4321 750 regular file" "$(stat -c '%u:%g %a %F' "$M/f")"
	check "uid/gid/umask: dir" "1234:4321 750 directory" "$(stat -c '%u:%g %a %F' "$M/d")"
	check "uid/gid/umask: symlink" "1234:4321 symbolic link" "$(stat -c '%u:%g %F' "$M/l")"
	check "uid/gid/umask: mount root" "1234:4321" "$(stat -c '%u:%g' "$M")"
	check "uid/gid/umask: readdir sees the same" "1234:4321 750" \
		"$(find "$M" -name f -printf '%U:%G %m\n')"
	check "uid/gid/umask: data unchanged" x "$(cat "$M/f")"
	umnt
fi
if mnt owner_dflt "$MEMFS"; then
	make_tree
	check "default: file as stored" "0:0 666" "$(stat -c '%u:%g %a' "$M/f")"
	check "default: dir as stored" "0:0 777" "$(stat -c '%u:%g %a' "$M/d")"
	umnt
fi
if mnt umask0 "$MEMFS" -o umask=0; then
	make_tree
	check "umask=0: every file 777" "0:0 777" "$(stat -c '%u:%g %a' "$M/f")"
	umnt
fi
if mnt uidonly "$MEMFS" -o uid=77; then
	make_tree
	check "uid only: gid as stored" "77:0 666" "$(stat -c '%u:%g %a' "$M/f")"
	umnt
fi

# ---- use_ino ---------------------------------------------------------------
# memfs numbers its inodes itself and never reuses a number; the library's
# node ids are handed out on lookup. They part once the kernel forgets a
# node and looks the name up again (drop_caches makes it forget).
#
# d_ino of a plain READDIR (readdirplus=no) is what memfs's readdir gives
# with use_ino, so it names memfs's own number for each entry.
ino_of() { stat -c %i "$M/$1"; }
dino_of() {
	python3 -c 'import os, sys
for e in os.scandir(sys.argv[1]):
    if e.name == sys.argv[2]: print(e.inode())' "$M" "$1"
}
# nodeid the kernel uses for name: the next OPEN of it in the -d log
nodeid_of() {
	mark
	cat "$M/$1" >/dev/null
	tail -n +"$((MARK + 1))" "$LOG" | awk '$4 == "OPEN" {sub(",", "", $7); print $7; exit}'
}
# syncfs of this mount only: a global sync(2) waits on every file system of
# the machine, a wedged one of somebody else's too.
forget_all() { sync -f "$M"; echo 2 >/proc/sys/vm/drop_caches; }
# FORGETs are queued by the kernel and reach the daemon some time later
wait_forget() {
	for _ in $(seq 50); do
		grep -q "opcode: \(BATCH_\)\?FORGET" "$LOG" && return 0
		sleep 0.1
	done
	return 1
}

if mnt useino "$MEMFS" -d -o use_ino,readdirplus=no; then
	touch "$M/a" "$M/b" "$M/c"
	mkdir "$M/sub"
	touch "$M/sub/x"
	b1=$(ino_of b)
	check "use_ino: st_ino is memfs's own (d_ino from its readdir)" "$b1" "$(dino_of b)"
	forget_all
	wait_forget
	check_contains "use_ino: the kernel forgot (FORGET in the log)" "FORGET" "$(grep -o "opcode: [A-Z_]*FORGET" "$LOG" | head -1)"
	touch "$M/new"
	b2=$(ino_of b)
	check "use_ino: st_ino survives a forget" "$b1" "$b2"
	n=$(nodeid_of b)
	if [ -n "$n" ] && [ "$n" != "$b2" ]; then
		echo "ok    use_ino: st_ino $b2 is not the node id $n"
	elif [ -z "$n" ]; then
		echo "FAIL  use_ino: no OPEN of b in the log"; fails=$((fails + 1))
	else
		echo "note  use_ino: node id $n happens to equal st_ino (forget did not renumber)"
	fi
	ln "$M/a" "$M/a2"
	check "use_ino: hard links share st_ino" "$(ino_of a)" "$(ino_of a2)"
	check "use_ino: distinct files differ" yes \
		"$([ "$(ino_of a)" != "$(ino_of c)" ] && echo yes || echo no)"
	umnt
fi
if mnt noino "$MEMFS" -d -o readdirplus=no; then
	touch "$M/a" "$M/b" "$M/c"
	forget_all
	wait_forget
	touch "$M/new"
	i=$(ino_of b)
	check "default: st_ino is the library's node id" "$i" "$(nodeid_of b)"
	i=$(ino_of new)
	check "default: st_ino of a new file is its node id" "$i" "$(nodeid_of new)"
	ln "$M/a" "$M/a2"
	check "default: hard links share st_ino" "$(ino_of a)" "$(ino_of a2)"
	umnt
fi

# ---- readdir_ino -------------------------------------------------------------
# readdirplus=no: the kernel takes d_ino from a plain READDIR, where only
# readdir_ino (or use_ino) fills it in. memfs keeps nodes for file
# handles (.flag_remember), and such a filesystem always fills d_ino (the
# kernel reconnects directories by it), so the pair runs on the path-API
# passthrough example with -o no_use_ino, which does neither.
PTFS=$BUILD/examples/passthrough_fs
mkdir -p "$TMP/src-rdino" "$TMP/src-nordino"
dinos_vs_stat() {
	python3 -c 'import os, sys
bad = []
for e in os.scandir(sys.argv[1]):
    st = os.lstat(os.path.join(sys.argv[1], e.name))
    if e.inode() != st.st_ino: bad.append("%s:%d!=%d" % (e.name, e.inode(), st.st_ino))
print(" ".join(bad) if bad else "match")' "$M"
}
make_entries() {
	touch "$M/f1" "$M/f2" && mkdir "$M/d1" && ln -s f1 "$M/l1" && mkfifo "$M/p1" &&
		stat "$M/f1" "$M/f2" "$M/d1" "$M/l1" "$M/p1" >/dev/null
}
if mnt rdino "$PTFS" -o no_use_ino,readdir_ino,readdirplus=no "$TMP/src-rdino"; then
	make_entries
	check "readdir_ino: d_ino == st_ino for every entry" match "$(dinos_vs_stat)"
	umnt
fi
if mnt nordino "$PTFS" -o no_use_ino,readdirplus=no "$TMP/src-nordino"; then
	make_entries
	r=$(dinos_vs_stat)
	if [ "$r" != match ]; then
		echo "ok    without readdir_ino: d_ino is not st_ino ($r)"
	else
		echo "FAIL  without readdir_ino: d_ino == st_ino, so the readdir_ino check proves nothing"
		fails=$((fails + 1))
	fi
	umnt
fi
if mnt rdplus "$MEMFS"; then
	make_entries
	check "readdirplus (default): d_ino == st_ino" match "$(dinos_vs_stat)"
	umnt
fi
if mnt remember "$MEMFS" -o readdirplus=no; then
	make_entries
	check "memfs (.flag_remember), plain READDIR: d_ino == st_ino" match "$(dinos_vs_stat)"
	umnt
fi

# ---- hard_remove ---------------------------------------------------------------
# Hidden names are not listed, but can be looked up: probe the first few.
hidden_names() {
	local i out=""
	for i in 0 1 2 3 4 5 6 7; do
		[ -e "$M/.fbx_hidden$i" ] && out="$out .fbx_hidden$i"
	done
	echo "${out# }"
}
unlink_open() {   # writes f, keeps it open on fd 7, unlinks it
	echo payload >"$M/f"
	exec 7<"$M/f"
	rm "$M/f"
}
if mnt hidden "$MEMFS"; then
	unlink_open
	check "default: unlinked name gone" ENOENT "$(errno_of stat "$M/f")"
	check "default: a hidden file holds it while open" .fbx_hidden0 "$(hidden_names)"
	check "default: hidden file not listed" "" "$(ls -A "$M")"
	check "default: still readable through the fd" payload "$(cat <&7)"
	exec 7<&-
	# RELEASE (which removes it) reaches the daemon after close returns
	for _ in $(seq 50); do [ -z "$(hidden_names)" ] && break; sleep 0.1; done
	check "default: hidden file gone after close" "" "$(hidden_names)"
	umnt
fi
if mnt hardrm "$MEMFS" -o hard_remove; then
	unlink_open
	check "hard_remove: unlinked name gone" ENOENT "$(errno_of stat "$M/f")"
	check "hard_remove: no hidden file while open" "" "$(hidden_names)"
	check "hard_remove: directory empty" "" "$(ls -A "$M")"
	# memfs sets flag_nullpath_ok: I/O on the open file goes on without a path
	check "hard_remove: still readable through the fd" payload "$(cat <&7)"
	exec 7<&-
	check "hard_remove: no hidden file after close" "" "$(hidden_names)"
	umnt
fi
# fstat comes without a handle; after hard_remove one of the file's open
# handles answers it. memfs gives every open of a file the same fh, and
# the RELEASE of one open must not make the others forget theirs.
if mnt hardrm2 "$MEMFS" -o hard_remove,attr_timeout=0; then
	echo payload >"$M/f"
	exec 7<"$M/f" 8<"$M/f"
	rm "$M/f"
	exec 8<&-
	sleep 0.3   # RELEASE of fd 8 reaches the daemon after close returns
	check "hard_remove: fstat after another open of the file closed" 8 \
		"$(python3 -c 'import os; print(os.fstat(7).st_size)' 2>&1)"
	exec 7<&-
	umnt
fi

finish
