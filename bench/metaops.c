/*
 * metaops -- metadata micro-benchmark for `make bench`.
 *
 *   metaops [-n FILES] [-t THREADS] [-p PASSES] [-d] DIR
 *
 * Each thread works in its own directory DIR/t<i> on FILES/THREADS files,
 * so the total work does not depend on the thread count. Phases run in
 * order, all threads together, separated by barriers; each phase is timed
 * from the first thread starting to the last thread finishing:
 *
 *   create   open(O_CREAT|O_EXCL|O_WRONLY) + close   (1 op per file)
 *   stat     stat()                                  (1 op per file)
 *   readdir  opendir + readdir to the end, PASSES times (default 10; 1 op
 *            per entry)
 *   rename   rename f<i> -> r<i>, same directory      (1 op per file)
 *   unlink   unlink r<i>                              (1 op per file)
 *
 * With -d (needs root) the dentry and inode caches are dropped before the
 * stat and readdir phases (not timed), so a FUSE filesystem sees LOOKUPs
 * instead of the kernel answering from its caches: this is the cold
 * metadata path that the daemon's speed decides.
 *
 * Output: one line per phase, "PHASE<TAB>OPS_PER_SEC", nothing else on
 * stdout. Errors go to stderr with a non-zero exit.
 *
 * Compiled by bench/run at bench time; the Makefile does not build bench/.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { PH_CREATE, PH_STAT, PH_READDIR, PH_RENAME, PH_UNLINK, PH_N };
static const char *const phase_name[PH_N] = {
	"create", "stat", "readdir", "rename", "unlink"
};

struct shared {
	pthread_barrier_t start, end;
	const char *dir;
	long per_thread;
	int passes;
	int failed;
	long ops[PH_N];
	/* Each worker stamps its own start and end: the main thread may be
	 * preempted right after the barrier, so its clock would start late. */
	double t_start[PH_N], t_end[PH_N];
	pthread_mutex_t lock;
};

struct worker {
	struct shared *sh;
	int id;
	pthread_t tid;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(const char *what, const char *path)
{
	fprintf(stderr, "metaops: %s %s: %s\n", what, path, strerror(errno));
	return -1;
}

static int run_phase(struct worker *w, int ph, long *ops)
{
	struct shared *sh = w->sh;
	char dir[4096], a[4200], b[4200];
	struct stat st;
	long i;

	snprintf(dir, sizeof(dir), "%s/t%d", sh->dir, w->id);
	*ops = 0;
	switch (ph) {
	case PH_CREATE:
		for (i = 0; i < sh->per_thread; i++) {
			snprintf(a, sizeof(a), "%s/f%ld", dir, i);
			int fd = open(a, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
			if (fd < 0)
				return fail("create", a);
			close(fd);
			(*ops)++;
		}
		break;
	case PH_STAT:
		for (i = 0; i < sh->per_thread; i++) {
			snprintf(a, sizeof(a), "%s/f%ld", dir, i);
			if (stat(a, &st) < 0)
				return fail("stat", a);
			(*ops)++;
		}
		break;
	case PH_READDIR:
		for (int p = 0; p < sh->passes; p++) {
			DIR *d = opendir(dir);
			struct dirent *de;
			if (!d)
				return fail("opendir", dir);
			errno = 0;
			while ((de = readdir(d)))
				(*ops)++;
			if (errno)
				return fail("readdir", dir);
			closedir(d);
		}
		break;
	case PH_RENAME:
		for (i = 0; i < sh->per_thread; i++) {
			snprintf(a, sizeof(a), "%s/f%ld", dir, i);
			snprintf(b, sizeof(b), "%s/r%ld", dir, i);
			if (rename(a, b) < 0)
				return fail("rename", a);
			(*ops)++;
		}
		break;
	case PH_UNLINK:
		for (i = 0; i < sh->per_thread; i++) {
			snprintf(b, sizeof(b), "%s/r%ld", dir, i);
			if (unlink(b) < 0)
				return fail("unlink", b);
			(*ops)++;
		}
		break;
	}
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	for (int ph = 0; ph < PH_N; ph++) {
		long ops = 0;
		pthread_barrier_wait(&sh->start);
		double t0 = now();
		/* After a failure the others keep meeting the barriers but do no work. */
		int bad = __atomic_load_n(&sh->failed, __ATOMIC_SEQ_CST);
		if (!bad && run_phase(w, ph, &ops) < 0)
			__atomic_store_n(&sh->failed, 1, __ATOMIC_SEQ_CST);
		double t1 = now();
		pthread_mutex_lock(&sh->lock);
		sh->ops[ph] += ops;
		if (sh->t_start[ph] == 0 || t0 < sh->t_start[ph])
			sh->t_start[ph] = t0;
		if (t1 > sh->t_end[ph])
			sh->t_end[ph] = t1;
		pthread_mutex_unlock(&sh->lock);
		pthread_barrier_wait(&sh->end);
	}
	return NULL;
}

static void drop_caches(void)
{
	/* 2 = dentries and inodes: forces the FUSE daemon to see LOOKUPs. */
	sync();
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd < 0 || write(fd, "2\n", 2) != 2)
		fprintf(stderr, "metaops: cannot drop caches: %s\n", strerror(errno));
	if (fd >= 0)
		close(fd);
}

int main(int argc, char *argv[])
{
	long files = 10000;
	int threads = 1, passes = 10, drop = 0, c;

	while ((c = getopt(argc, argv, "n:t:p:d")) != -1) {
		switch (c) {
		case 'n': files = atol(optarg); break;
		case 't': threads = atoi(optarg); break;
		case 'p': passes = atoi(optarg); break;
		case 'd': drop = 1; break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || files < 1 || threads < 1 || passes < 1)
		goto usage;

	struct shared sh = { .dir = argv[optind], .passes = passes };
	sh.per_thread = files / threads;
	if (sh.per_thread < 1)
		sh.per_thread = 1;
	pthread_mutex_init(&sh.lock, NULL);
	pthread_barrier_init(&sh.start, NULL, threads + 1);
	pthread_barrier_init(&sh.end, NULL, threads + 1);

	for (int i = 0; i < threads; i++) {
		char d[4200];
		snprintf(d, sizeof(d), "%s/t%d", sh.dir, i);
		if (mkdir(d, 0755) < 0 && errno != EEXIST) {
			fail("mkdir", d);
			return 1;
		}
	}

	struct worker *w = calloc(threads, sizeof(*w));
	if (!w)
		return 1;
	for (int i = 0; i < threads; i++) {
		w[i].sh = &sh;
		w[i].id = i;
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i])) {
			fprintf(stderr, "metaops: pthread_create failed\n");
			return 1;
		}
	}

	double secs[PH_N];
	for (int ph = 0; ph < PH_N; ph++) {
		if (drop && (ph == PH_STAT || ph == PH_READDIR))
			drop_caches();
		pthread_barrier_wait(&sh.start);
		pthread_barrier_wait(&sh.end);
		secs[ph] = sh.t_end[ph] - sh.t_start[ph];
	}
	for (int i = 0; i < threads; i++)
		pthread_join(w[i].tid, NULL);

	for (int i = 0; i < threads; i++) {
		char d[4200];
		snprintf(d, sizeof(d), "%s/t%d", sh.dir, i);
		rmdir(d);
	}
	if (sh.failed)
		return 1;
	for (int ph = 0; ph < PH_N; ph++)
		printf("%s\t%.0f\n", phase_name[ph],
		       secs[ph] > 0 ? sh.ops[ph] / secs[ph] : 0.0);
	free(w);
	return 0;

usage:
	fprintf(stderr, "usage: metaops [-n FILES] [-t THREADS] [-p PASSES] [-d] DIR\n");
	return 2;
}
