/*
 * mount_helper.h -- start a fusebox program on a fresh mount point, wait
 * until the kernel shows the mount, and tear it all down again.
 *
 *   struct fbx_mnt m;
 *   fbx_mnt_prepare(&m);                 // /tmp/fbx-test.XXXXXX/mnt
 *   char *argv[] = { fbx_build_path("examples/memfs"), "-f", "@MNT@", NULL };
 *   fbx_mnt_start(&m, argv, 10000);      // "@MNT@" becomes m.mnt
 *   ...
 *   int status = fbx_mnt_stop(&m);       // umount, then wait for the daemon
 *   fbx_mnt_cleanup(&m);                 // rm -rf the temp dir
 *
 * The daemon gets PR_SET_PDEATHSIG(SIGKILL), so a test that dies does not
 * leave it running; a mount left behind is cleaned by tests/run.
 */
#ifndef FBX_TESTS_MOUNT_HELPER_H
#define FBX_TESTS_MOUNT_HELPER_H

#include <sys/types.h>

struct fbx_mnt {
	char  tmp[64];   /**< the mktemp directory (mode 0755) */
	char  mnt[96];   /**< tmp/mnt, the mount point (mode 0755) */
	pid_t pid;       /**< the daemon, 0 when none */
	int   status;    /**< its wait status once reaped */
	int   reaped;
};

/** Make the temp directory and tmp/mnt. 0 or -errno (message printed). */
int fbx_mnt_prepare(struct fbx_mnt *m);
/**
 * Run argv[0] with argv (an element "@MNT@" is replaced by m->mnt) and
 * wait up to timeout_ms until a fuse mount is at m->mnt. 0, or -errno
 * after printing why (the daemon exited, or the timeout); on error the
 * daemon is killed and reaped.
 */
int fbx_mnt_start(struct fbx_mnt *m, char *const argv[], int timeout_ms);
/** Non-zero if a FUSE filesystem (fuse, fuse.*, fuseblk) is mounted at path. */
int fbx_is_fuse_mounted(const char *path);
/**
 * Unmount m->mnt if mounted (umount2, then MNT_DETACH if busy), wait up
 * to 5 s for the daemon to exit by itself, then SIGTERM, then SIGKILL.
 * Returns the daemon's wait status (as waitpid), or -1 if there was none.
 */
int fbx_mnt_stop(struct fbx_mnt *m);
/** Detach anything still mounted under m->tmp and remove the tree. */
void fbx_mnt_cleanup(struct fbx_mnt *m);
/**
 * The path of a built program: $BUILD/<rel> ($BUILD default "build"),
 * relative to $FBX_ROOT when BUILD is relative and FBX_ROOT is set.
 * Returns a malloc'd string (never NULL: aborts on ENOMEM).
 */
char *fbx_build_path(const char *rel);
/** Poll until fn(arg) is non-zero or timeout_ms pass; returns the last fn value. */
int fbx_wait_until(int (*fn)(void *), void *arg, int timeout_ms);

#endif
