/*
 * lib/fuse/remount.c -- `mount -o remount,ro MNT` on a fusebox mount.
 *
 * mount(8) hands a remount of a fuse.PROG mount to /sbin/mount.fuse3,
 * which runs the program again, as `PROG SOURCE MNT -o remount,...`.
 * The kernel's FUSE takes MS_REMOUNT (ro/rw and the per-mount flags) and
 * the daemon serving MNT goes on as it was; so this second run asks the
 * kernel and exits, mounting nothing. Only root may remount: fusermount3
 * has no remount, so an ordinary user is told so.
 */
#include "fuse/session.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

/* One option of a remount list, applied to `flags`; others (fsname=,
 * user_id=, default_permissions, suid, dev, ...) belong to the mount as
 * made and do not change, so they are passed over. */
static void apply(const char *opt, size_t n, unsigned long *flags)
{
	static const struct { const char *name; unsigned long set, clear; } tab[] = {
		{ "ro", MS_RDONLY, 0 },           { "rw", 0, MS_RDONLY },
		/* suid and dev are never taken back: mount.fuse3 appends them
		 * to every call it makes, and a remount must not quietly turn
		 * set-user-id files or devices on for a FUSE mount. */
		{ "nosuid", MS_NOSUID, 0 },       { "nodev", MS_NODEV, 0 },
		{ "noexec", MS_NOEXEC, 0 },       { "exec", 0, MS_NOEXEC },
		{ "sync", MS_SYNCHRONOUS, 0 },    { "async", 0, MS_SYNCHRONOUS },
		{ "noatime", MS_NOATIME, 0 },     { "atime", 0, MS_NOATIME },
		{ "nodiratime", MS_NODIRATIME, 0 }, { "diratime", 0, MS_NODIRATIME },
		{ "relatime", MS_RELATIME, MS_STRICTATIME },
		{ "norelatime", 0, MS_RELATIME },
		{ "strictatime", MS_STRICTATIME, MS_RELATIME | MS_NOATIME },
	};
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strlen(tab[i].name) == n && !strncmp(opt, tab[i].name, n)) {
			*flags = (*flags | tab[i].set) & ~tab[i].clear;
			return;
		}
}

static void apply_list(const char *list, unsigned long *flags, bool *remount)
{
	while (*list) {
		size_t n = strcspn(list, ",");
		if (n == 7 && !strncmp(list, "remount", 7))
			*remount = true;
		else
			apply(list, n, flags);
		list += n + (list[n] == ',');
	}
}

/* The -o lists of argv ("-o L" or "-oL"); `mnt` gets the last word that
 * is neither an option nor an option's value. */
static bool scan(int argc, char *argv[], unsigned long *flags, const char **mnt)
{
	bool remount = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-o") && i + 1 < argc)
			apply_list(argv[++i], flags, &remount);
		else if (!strncmp(a, "-o", 2) && a[2])
			apply_list(a + 2, flags, &remount);
		else if (a[0] != '-')
			*mnt = a;
	}
	return remount;
}

bool fbx_remount_asked(int argc, char *argv[])
{
	unsigned long f = 0;
	const char *mnt = NULL;
	return scan(argc, argv, &f, &mnt);
}

static unsigned long current_flags(const struct statvfs *sv)
{
	static const struct { unsigned long st, ms; } map[] = {
		{ ST_RDONLY, MS_RDONLY }, { ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV },
		{ ST_NOEXEC, MS_NOEXEC }, { ST_SYNCHRONOUS, MS_SYNCHRONOUS },
		{ ST_NOATIME, MS_NOATIME }, { ST_NODIRATIME, MS_NODIRATIME },
		{ ST_RELATIME, MS_RELATIME },
	};
	unsigned long f = 0;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (sv->f_flag & map[i].st)
			f |= map[i].ms;
	return f;
}

int fbx_remount_main(const char *prog, int argc, char *argv[])
{
	unsigned long ignored = 0, flags;
	const char *mnt = NULL;
	struct statvfs sv;

	scan(argc, argv, &ignored, &mnt);
	if (!mnt) {
		fprintf(stderr, "%s: -o remount: no mount point given\n", prog);
		return 1;
	}
	/* What is not named stays as it is: start from the mount's flags. */
	if (statvfs(mnt, &sv) < 0) {
		fprintf(stderr, "%s: -o remount: %s: %s\n", prog, mnt, strerror(errno));
		return 1;
	}
	flags = current_flags(&sv);
	scan(argc, argv, &flags, &mnt);
	if (mount("none", mnt, NULL, MS_REMOUNT | flags, NULL) < 0) {
		int e = errno;
		fprintf(stderr, "%s: -o remount: %s: %s%s\n", prog, mnt, strerror(e),
		        e == EPERM ? " (only root can remount a FUSE mount: fusermount3 "
		                     "has no remount)" : "");
		return 1;
	}
	return 0;
}
