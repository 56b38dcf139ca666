/*
 * t_groups -- fbx_ctx_in_group (fusebox/lowlevel.h) against a real
 * caller: a child process that takes NGROUPS_MAX supplementary groups
 * (root needed for setgroups), so the /proc Groups line is far longer
 * than any fixed buffer. The last group is found, a group it lacks is
 * not, its own gid needs no /proc, and an unreadable caller (pid 0, or
 * gone) counts as not a member.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fusebox/lowlevel.h>

#include "../lib/check.h"

#define BASE 200000u

int main(void)
{
	if (geteuid() != 0)
		check_skip("needs root for setgroups");
	long max = sysconf(_SC_NGROUPS_MAX);
	if (max < 100)
		check_skip("NGROUPS_MAX is only %ld", max);
	int ready[2];
	CHECK_FATAL(pipe(ready) == 0);
	pid_t child = fork();
	CHECK_FATAL(child >= 0);
	if (child == 0) {
		gid_t *g = malloc((size_t)max * sizeof *g);
		for (long i = 0; g && i < max; i++)
			g[i] = BASE + (gid_t)i;
		char ok = g && setgroups((size_t)max, g) == 0;
		if (write(ready[1], &ok, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	char ok = 0;
	CHECK_FATAL(read(ready[0], &ok, 1) == 1 && ok);

	struct fbx_ctx c = { .uid = 1000, .gid = 7, .pid = child };
	CHECK_EQ_INT(fbx_ctx_in_group(&c, BASE), 1);
	CHECK_EQ_INT(fbx_ctx_in_group(&c, BASE + 64), 1);            /* past 64 groups */
	CHECK_EQ_INT(fbx_ctx_in_group(&c, BASE + (gid_t)max - 1), 1);  /* the last one */
	CHECK_EQ_INT(fbx_ctx_in_group(&c, BASE + (gid_t)max), 0);
	CHECK_EQ_INT(fbx_ctx_in_group(&c, 7), 1);                    /* its own gid */
	CHECK_EQ_INT(fbx_ctx_in_group(&c, 8), 0);

	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	CHECK_EQ_INT(fbx_ctx_in_group(&c, BASE), 0);                 /* gone */
	CHECK_EQ_INT(fbx_ctx_in_group(&c, 7), 1);
	struct fbx_ctx kernel = { .gid = 0, .pid = 0 };
	CHECK_EQ_INT(fbx_ctx_in_group(&kernel, BASE), 0);
	CHECK_EQ_INT(fbx_ctx_in_group(&kernel, 0), 1);
	return check_exit();
}
