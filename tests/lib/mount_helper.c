/* mount_helper.c -- see mount_helper.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mount_helper.h"

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int fbx_wait_until(int (*fn)(void *), void *arg, int timeout_ms)
{
	int v;
	for (int waited = 0;; waited += 10) {
		if ((v = fn(arg)) || waited >= timeout_ms)
			return v;
		sleep_ms(10);
	}
}

char *fbx_build_path(const char *rel)
{
	const char *build = getenv("BUILD");
	const char *root = getenv("FBX_ROOT");
	char *s;
	if (!build || !*build)
		build = "build";
	int n = (build[0] != '/' && root && *root)
		? asprintf(&s, "%s/%s/%s", root, build, rel)
		: asprintf(&s, "%s/%s", build, rel);
	if (n < 0)
		abort();
	return s;
}

/* mountinfo: "id parent maj:min root mountpoint opts [optional...] - fstype src superopts".
 * Paths escape space, tab, newline and backslash as \ooo; ours have none. */
int fbx_is_fuse_mounted(const char *path)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return 0;
	char line[4096];
	int found = 0;
	while (!found && fgets(line, sizeof line, f)) {
		char mp[PATH_MAX];
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 || strcmp(mp, path) != 0)
			continue;
		const char *sep = strstr(line, " - ");
		if (sep && strncmp(sep + 3, "fuse", 4) == 0)
			found = 1;
	}
	fclose(f);
	return found;
}

int fbx_mnt_prepare(struct fbx_mnt *m)
{
	memset(m, 0, sizeof *m);
	snprintf(m->tmp, sizeof m->tmp, "/tmp/fbx-test.XXXXXX");
	if (!mkdtemp(m->tmp)) {
		int e = errno;
		perror("mkdtemp");
		m->tmp[0] = '\0';
		return -e;
	}
	/* Others (uid 65534 in the tests) must be able to reach the mount. */
	chmod(m->tmp, 0755);
	snprintf(m->mnt, sizeof m->mnt, "%s/mnt", m->tmp);
	if (mkdir(m->mnt, 0755) != 0) {
		int e = errno;
		perror(m->mnt);
		return -e;
	}
	chmod(m->mnt, 0755);
	return 0;
}

static int reap(struct fbx_mnt *m, int timeout_ms)
{
	if (!m->pid || m->reaped)
		return m->reaped;
	for (int waited = 0;; waited += 10) {
		pid_t r = waitpid(m->pid, &m->status, WNOHANG);
		if (r == m->pid || (r < 0 && errno == ECHILD)) {
			m->reaped = 1;
			return 1;
		}
		if (waited >= timeout_ms)
			return 0;
		sleep_ms(10);
	}
}

int fbx_mnt_start(struct fbx_mnt *m, char *const argv[], int timeout_ms)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	char **av = calloc((size_t)argc + 1, sizeof *av);
	if (!av)
		return -ENOMEM;
	for (int i = 0; i < argc; i++)
		av[i] = strcmp(argv[i], "@MNT@") == 0 ? m->mnt : argv[i];

	fflush(stdout);
	fflush(stderr);
	pid_t ppid = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		free(av);
		return -e;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != ppid)
			_exit(127);
		execvp(av[0], av);
		fprintf(stderr, "exec %s: %s\n", av[0], strerror(errno));
		_exit(127);
	}
	free(av);
	m->pid = pid;
	m->reaped = 0;
	for (int waited = 0;; waited += 10) {
		if (fbx_is_fuse_mounted(m->mnt))
			return 0;
		if (reap(m, 0)) {
			fprintf(stderr, "mount_helper: %s exited (status 0x%x) before mounting %s\n",
			        argv[0], m->status, m->mnt);
			return -ECHILD;
		}
		if (waited >= timeout_ms) {
			fprintf(stderr, "mount_helper: %s did not mount %s within %d ms\n",
			        argv[0], m->mnt, timeout_ms);
			kill(pid, SIGKILL);
			reap(m, 5000);
			return -ETIMEDOUT;
		}
		sleep_ms(10);
	}
}

int fbx_mnt_stop(struct fbx_mnt *m)
{
	if (m->mnt[0] && fbx_is_fuse_mounted(m->mnt)) {
		if (umount2(m->mnt, 0) != 0) {
			fprintf(stderr, "mount_helper: umount %s: %s (detaching)\n", m->mnt,
			        strerror(errno));
			umount2(m->mnt, MNT_DETACH);
		}
	}
	if (!m->pid)
		return -1;
	if (!reap(m, 5000)) {
		fprintf(stderr, "mount_helper: daemon %d still running 5 s after umount: SIGTERM\n",
		        (int)m->pid);
		kill(m->pid, SIGTERM);
		if (!reap(m, 3000)) {
			fprintf(stderr, "mount_helper: daemon %d ignores SIGTERM: SIGKILL\n",
			        (int)m->pid);
			kill(m->pid, SIGKILL);
			reap(m, 5000);
		}
	}
	return m->reaped ? m->status : -1;
}

void fbx_mnt_cleanup(struct fbx_mnt *m)
{
	if (!m->tmp[0])
		return;
	if (m->pid && !m->reaped) {
		kill(m->pid, SIGKILL);
		reap(m, 5000);
	}
	/* Detach whatever is still mounted below tmp, deepest first. */
	for (int round = 0; round < 8; round++) {
		FILE *f = fopen("/proc/self/mountinfo", "r");
		if (!f)
			break;
		char line[4096], mp[PATH_MAX], last[PATH_MAX] = "";
		size_t tl = strlen(m->tmp);
		while (fgets(line, sizeof line, f))
			if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 &&
			    strncmp(mp, m->tmp, tl) == 0 && mp[tl] == '/')
				strcpy(last, mp);
		fclose(f);
		if (!last[0])
			break;
		umount2(last, MNT_DETACH);
	}
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf --one-file-system '%s'", m->tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "mount_helper: could not remove %s\n", m->tmp);
	m->tmp[0] = '\0';
}
