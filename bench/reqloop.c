/*
 * reqloop -- per-request overhead of a FUSE filesystem, for `make bench`.
 *
 *   reqloop [-n COUNT] [-t THREADS] FILE
 *
 * Hammers one existing file. Mount the filesystem with zero entry/attr
 * timeouts and direct_io so that every call below reaches the daemon:
 *
 *   stat   stat(FILE)                          LOOKUP + GETATTR
 *   read   open + pread(4 KiB at 0) + close   LOOKUP, OPEN, READ, FLUSH, RELEASE
 *
 * COUNT calls per phase in total, split over THREADS threads (all on the
 * same file, so the daemon's locking shows). Each phase is timed from the
 * first thread starting to the last finishing.
 *
 * Output: "PHASE<TAB>CALLS_PER_SEC" per phase. Compiled by bench/run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { PH_STAT, PH_READ, PH_N };
static const char *const phase_name[PH_N] = { "stat", "read" };

struct shared {
	pthread_barrier_t start, end;
	const char *file;
	long per_thread;
	int failed;
	double t_start[PH_N], t_end[PH_N];
	pthread_mutex_t lock;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run_phase(struct shared *sh, int ph)
{
	char buf[4096];
	struct stat st;

	for (long i = 0; i < sh->per_thread; i++) {
		if (ph == PH_STAT) {
			if (stat(sh->file, &st) < 0)
				goto fail;
		} else {
			int fd = open(sh->file, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || pread(fd, buf, sizeof buf, 0) < 0)
				goto fail;
			close(fd);
		}
	}
	return 0;
fail:
	fprintf(stderr, "reqloop: %s %s: %s\n", phase_name[ph], sh->file, strerror(errno));
	return -1;
}

static void *worker_main(void *arg)
{
	struct shared *sh = arg;

	for (int ph = 0; ph < PH_N; ph++) {
		pthread_barrier_wait(&sh->start);
		double t0 = now();
		if (!__atomic_load_n(&sh->failed, __ATOMIC_SEQ_CST) && run_phase(sh, ph) < 0)
			__atomic_store_n(&sh->failed, 1, __ATOMIC_SEQ_CST);
		double t1 = now();
		pthread_mutex_lock(&sh->lock);
		if (sh->t_start[ph] == 0 || t0 < sh->t_start[ph])
			sh->t_start[ph] = t0;
		if (t1 > sh->t_end[ph])
			sh->t_end[ph] = t1;
		pthread_mutex_unlock(&sh->lock);
		pthread_barrier_wait(&sh->end);
	}
	return NULL;
}

int main(int argc, char *argv[])
{
	long count = 20000;
	int threads = 1, c;

	while ((c = getopt(argc, argv, "n:t:")) != -1) {
		switch (c) {
		case 'n': count = atol(optarg); break;
		case 't': threads = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || count < 1 || threads < 1)
		goto usage;

	struct shared sh = { .file = argv[optind] };
	sh.per_thread = count / threads > 0 ? count / threads : 1;
	pthread_mutex_init(&sh.lock, NULL);
	pthread_barrier_init(&sh.start, NULL, threads + 1);
	pthread_barrier_init(&sh.end, NULL, threads + 1);

	pthread_t *tid = calloc(threads, sizeof(*tid));
	if (!tid)
		return 1;
	for (int i = 0; i < threads; i++)
		if (pthread_create(&tid[i], NULL, worker_main, &sh)) {
			fprintf(stderr, "reqloop: pthread_create failed\n");
			return 1;
		}
	for (int ph = 0; ph < PH_N; ph++) {
		pthread_barrier_wait(&sh.start);
		pthread_barrier_wait(&sh.end);
	}
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	free(tid);
	if (sh.failed)
		return 1;
	for (int ph = 0; ph < PH_N; ph++) {
		double secs = sh.t_end[ph] - sh.t_start[ph];
		printf("%s\t%.0f\n", phase_name[ph],
		       secs > 0 ? sh.per_thread * threads / secs : 0.0);
	}
	return 0;

usage:
	fprintf(stderr, "usage: reqloop [-n COUNT] [-t THREADS] FILE\n");
	return 2;
}
