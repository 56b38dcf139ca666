#!/usr/bin/env bash
# The dynamic symbols of our libfuse.so.2 against Debian's libfuse 2.9.9:
# every name we export must be exported there under the same version,
# default (@@) or not (@) alike, nothing else may leak out (fbx_*
# internals), and what we leave out must be exactly the list below, each
# with its reason (a symbol added or lost changes the list on purpose).
. "${FBX_ROOT:-$(dirname "$0")/../..}/tests/lib/fbx.sh"

REF=/lib/x86_64-linux-gnu/libfuse.so.2
OURS=$BUILD/compat/libfuse.so.2
[ -f "$REF" ] || skip "no Debian libfuse.so.2 (apt-get install libfuse2)"
command -v objdump >/dev/null || skip "no objdump (binutils)"
[ -f "$OURS" ] || { echo "missing $OURS (run make)"; exit 1; }

# Not in fusebox's libfuse.so.2, and why:
left_out=(
	# a session whose requests the program's own process op decodes:
	# every fuse_session here is a fusebox session that decodes and
	# dispatches them itself (its loops, exit and destroy act on that);
	# a second, generic kind of session is not built (no user seen: the
	# programs that serve raw requests use fuse_session_process, here)
	fuse_session_new@@FUSE_2.4
	# the 2.4 channel ops (receive without the channel pointer): the 2.4
	# API, as below
	fuse_chan_new@FUSE_2.4 fuse_chan_new_compat24@@FUSE_2.6
	# the 1.x names of fuse_read_cmd, fuse_process_cmd, fuse_loop_mt_proc
	__fuse_read_cmd@Base __fuse_process_cmd@Base __fuse_loop_mt@Base
	# the 1.x .. 2.5 APIs: their own ops structs, and mounts that return a
	# bare /dev/fuse descriptor, which fusebox's sessions do not hand out
	fuse_main@@FUSE_2.2 fuse_main@Base fuse_main_compat1@@FUSE_2.2
	fuse_main_compat2@@FUSE_2.2 fuse_main_real@FUSE_2.2 fuse_main_real@FUSE_2.5
	fuse_main_real_compat22@@FUSE_2.5 fuse_main_real_compat25@@FUSE_2.6
	fuse_mount@FUSE_2.2 fuse_mount@FUSE_2.5 fuse_mount_compat1@@FUSE_2.2
	fuse_mount_compat22@@FUSE_2.5 fuse_mount_compat25@@FUSE_2.6
	fuse_new@Base fuse_new@FUSE_2.2 fuse_new@FUSE_2.5 fuse_new_compat1@@FUSE_2.2
	fuse_new_compat2@@FUSE_2.2 fuse_new_compat22@@FUSE_2.5 fuse_new_compat25@@FUSE_2.6
	fuse_setup@FUSE_2.2 fuse_setup@FUSE_2.5 fuse_setup_compat2@@FUSE_2.2
	fuse_setup_compat22@@FUSE_2.5 fuse_setup_compat25@@FUSE_2.6
	fuse_teardown@FUSE_2.2 fuse_teardown_compat22@@FUSE_2.6
	fuse_unmount@FUSE_2.2 fuse_unmount_compat22@@FUSE_2.6
	fuse_lowlevel_new@FUSE_2.4 fuse_lowlevel_new@FUSE_2.5
	fuse_lowlevel_new_compat@@FUSE_2.5 fuse_lowlevel_new_compat25@@FUSE_2.6
	__fuse_setup@Base __fuse_teardown@Base __fuse_exited@Base
	__fuse_set_getcontext_func@Base
)

# "name@VERSION" for a non-default version, "name@@VERSION" for the default.
syms() {
	objdump -T "$1" | awk '$2 == "g" && ($3 == "DF" || $3 == "DO") && $NF !~ /^FUSE_2/ {
		v = $(NF-1); if (v ~ /^\(/) { gsub(/[()]/, "", v); print $NF "@" v } else print $NF "@@" v }' | sort -u
}
syms "$REF" >"$TMP/ref"
syms "$OURS" >"$TMP/ours"
printf '%s\n' "${left_out[@]}" | sort -u >"$TMP/left_out"

check "no symbol beyond libfuse's (or at another version)" "" "$(comm -13 "$TMP/ref" "$TMP/ours" | tr '\n' ' ')"
check "missing ones are exactly the listed ones" "" \
	"$(comm -23 "$TMP/ref" "$TMP/ours" | comm -3 - "$TMP/left_out" | tr '\n' ' ')"
check "version nodes" "$(readelf -V "$REF" | grep -o 'Name: FUSE_2[.0-9]*' | sort -u | tr '\n' ' ')" \
	"$(readelf -V "$OURS" | grep -o 'Name: FUSE_2[.0-9]*' | sort -u | tr '\n' ' ')"
check "soname" "libfuse.so.2" "$(objdump -p "$OURS" | awk '$1 == "SONAME" { print $2 }')"
echo "info  $(wc -l <"$TMP/ours") of $(wc -l <"$TMP/ref") libfuse 2 symbols exported; left out: ${#left_out[@]}"
[ $fails -eq 0 ]
