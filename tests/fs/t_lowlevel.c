/*
 * t_lowlevel -- the low-level session on a real mount, in one process:
 * init and destroy run exactly once, a request blocked in the
 * filesystem is interrupted when the caller gets a signal
 * (FUSE_INTERRUPT), replies can be sent later from another thread,
 * many concurrent callers are served by a bounded pool, a handler that
 * waits for another request gets it (with the polling lone reader of
 * lib/fuse/reader.c too, and with its capped readers all blocked: its
 * sentinel must hand reading to the pool),
 * notifications reach the kernel, a WRITE's data arrives page-aligned
 * (ready for O_DIRECT I/O), and fbx_session_exit() ends the loop
 * promptly even while the mount is busy. Every part runs with spin on
 * (the default) and off, then over io_uring (but the dependent request:
 * there a CPU's requests are served in order by one thread).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fusebox/lowlevel.h>

#include "../lib/check.h"

/* Node 2 "slow": reads block until interrupted. Node 3 "async": reads
 * are answered by another thread. Node 4 "counter": its size changes.
 * Node 5 "gate": a read waits until "counter" is looked up or stat'ed. */
struct state {
	atomic_int inits, destroys, interrupted_seen, max_parallel, parallel;
	atomic_int counter_seen;
	atomic_long counter_size;
	atomic_int writes, misaligned;
};

#define LAST_INO 5
static const char *names[] = { NULL, NULL, "slow", "async", "counter", "gate" };

static void fill(struct state *s, uint64_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_nlink = 1;
	st->st_mode = ino == FBX_ROOT_ID ? (S_IFDIR | 0755) : (S_IFREG | 0644);
	st->st_size = ino == 4 ? atomic_load(&s->counter_size) : 4096;
}

static void ll_init(void *ud, struct fbx_conn *c) { atomic_fetch_add(&((struct state *)ud)->inits, 1); }
static void ll_destroy(void *ud) { atomic_fetch_add(&((struct state *)ud)->destroys, 1); }

static void ll_lookup(struct fbx_req *req, uint64_t parent, const char *name)
{
	struct fbx_entry e = { .attr_timeout = 0, .entry_timeout = 0 };
	for (uint64_t i = 2; i <= LAST_INO && parent == FBX_ROOT_ID; i++) {
		if (strcmp(name, names[i]) == 0) {
			if (i == 4)
				atomic_fetch_add(&((struct state *)fbx_req_userdata(req))->counter_seen, 1);
			e.ino = i;
			fill(fbx_req_userdata(req), i, &e.attr);
			fbx_reply_entry(req, &e);
			return;
		}
	}
	fbx_reply_err(req, -ENOENT);
}

static void ll_getattr(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct stat st;
	if (ino == 4)
		atomic_fetch_add(&((struct state *)fbx_req_userdata(req))->counter_seen, 1);
	fill(fbx_req_userdata(req), ino, &st);
	fbx_reply_attr(req, &st, 0);
}

static void ll_open(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	fi->direct_io = 1;   /* every read reaches us */
	fbx_reply_open(req, fi);
}

struct later { struct fbx_req *req; size_t size; };

static void *reply_later(void *arg)
{
	struct later *l = arg;
	usleep(20000);
	char *buf = malloc(l->size);
	memset(buf, 'a', l->size);
	fbx_reply_buf(l->req, buf, l->size);
	free(buf);
	free(l);
	return NULL;
}

static void ll_read(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                    struct fbx_file_info *fi)
{
	struct state *s = fbx_req_userdata(req);
	int now = atomic_fetch_add(&s->parallel, 1) + 1;
	int max = atomic_load(&s->max_parallel);
	while (now > max && !atomic_compare_exchange_weak(&s->max_parallel, &max, now))
		;
	if (ino == 2) {
		/* Wait (bounded) for the kernel's INTERRUPT. */
		for (int i = 0; i < 1000 && !fbx_req_interrupted(req); i++)
			usleep(5000);
		if (fbx_req_interrupted(req))
			atomic_fetch_add(&s->interrupted_seen, 1);
		atomic_fetch_sub(&s->parallel, 1);
		fbx_reply_err(req, -EINTR);
		return;
	}
	if (ino == 5) {
		/* Bounded: a mount that never reads the stat fails, not hangs. */
		int seen = atomic_load(&s->counter_seen);
		for (int i = 0; i < 1000 && atomic_load(&s->counter_seen) == seen; i++)
			usleep(5000);
		atomic_fetch_sub(&s->parallel, 1);
		if (atomic_load(&s->counter_seen) == seen)
			fbx_reply_err(req, -EIO);
		else
			fbx_reply_buf(req, "open", size < 4 ? size : 4);
		return;
	}
	if (ino == 3) {
		struct later *l = malloc(sizeof(*l));
		pthread_t t;
		l->req = req;
		l->size = size > 100 ? 100 : size;
		atomic_fetch_sub(&s->parallel, 1);
		pthread_create(&t, NULL, reply_later, l);
		pthread_detach(t);
		return;
	}
	usleep(50000);   /* long enough that concurrent readers overlap */
	atomic_fetch_sub(&s->parallel, 1);
	fbx_reply_buf(req, "0123456789", size < 10 ? size : 10);
}

static void ll_write(struct fbx_req *req, uint64_t ino, const char *buf, size_t size,
                     off_t off, struct fbx_file_info *fi)
{
	struct state *s = fbx_req_userdata(req);
	atomic_fetch_add(&s->writes, 1);
	if ((uintptr_t)buf % 4096)
		atomic_fetch_add(&s->misaligned, 1);
	fbx_reply_write(req, size);
}

static const struct fbx_ll_ops ops = {
	.init = ll_init, .destroy = ll_destroy, .lookup = ll_lookup,
	.getattr = ll_getattr, .open = ll_open, .read = ll_read, .write = ll_write,
};

static struct fbx_session *se;
static char mnt[64];

static void *loop_thread(void *arg)
{
	fbx_session_loop(se);
	return NULL;
}

static void on_usr1(int sig) { }

/* A child reads "slow"; we signal it; its read must fail with EINTR. */
static void test_interrupt(struct state *s)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/slow", mnt);
	pid_t pid = fork();
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_usr1 };
		sigaction(SIGUSR1, &sa, NULL);   /* no SA_RESTART */
		char b[16];
		int fd = open(path, O_RDONLY);
		ssize_t n = read(fd, b, sizeof(b));
		_exit(n < 0 && errno == EINTR ? 0 : 1);
	}
	usleep(300000);
	kill(pid, SIGUSR1);
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ_INT(atomic_load(&s->interrupted_seen), 1);
}

/* Writes through direct_io reach us as the caller made them: each
 * one's data must start on a page, whatever the loop (daemons hand it to
 * O_DIRECT files, which refuse anything else). */
static void test_write_aligned(struct state *s)
{
	char path[128];
	static char data[3 * 4096];
	memset(data, 'w', sizeof data);
	snprintf(path, sizeof(path), "%s/counter", mnt);
	int fd = open(path, O_WRONLY);
	CHECK(fd >= 0);
	CHECK_EQ_INT(pwrite(fd, data, sizeof data, 0), (long)sizeof data);
	CHECK_EQ_INT(pwrite(fd, data, 100, 8192), 100L);
	close(fd);
	CHECK(atomic_load(&s->writes) >= 2);
	CHECK_EQ_INT(atomic_load(&s->misaligned), 0);
}

static void test_async_reply(void)
{
	char path[128], b[200];
	snprintf(path, sizeof(path), "%s/async", mnt);
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	ssize_t n = read(fd, b, sizeof(b));
	CHECK_EQ_INT(n, 100);
	CHECK(b[0] == 'a' && b[99] == 'a');
	close(fd);
}

/* A read of "gate" waits in the filesystem until another thread stats
 * "counter": the stat must be read while the gate's handler blocks. */
static void *stat_counter_later(void *arg)
{
	struct stat st;
	usleep(100000);
	stat((const char *)arg, &st);
	return NULL;
}

static void test_dependent_request(void)
{
	char gate[128], counter[128], b[8];
	snprintf(gate, sizeof(gate), "%s/gate", mnt);
	snprintf(counter, sizeof(counter), "%s/counter", mnt);
	int fd = open(gate, O_RDONLY);
	CHECK(fd >= 0);
	pthread_t t;
	pthread_create(&t, NULL, stat_counter_later, counter);
	ssize_t n = read(fd, b, sizeof(b));
	if (n != 4)
		fprintf(stderr, "gate read: %zd (%s)\n", n, n < 0 ? strerror(errno) : "short");
	CHECK_EQ_INT(n, 4);
	pthread_join(t, NULL);
	close(fd);
}

/* The same with several clients. Their requests make the session cap
 * its readers (lib/fuse/reader.c, CAP: as many as CPUs), then as many
 * gate reads as there are capped readers block them all; the sentinel
 * must see that and hand reading to the pool, or the stat that opens
 * the gates is never read. Fewer gates than max_threads (4), so a
 * worker is left for the stat. */
struct gate_reader { char path[128]; ssize_t got; };

static void *read_gate(void *arg)
{
	struct gate_reader *g = arg;
	char b[8];
	int fd = open(g->path, O_RDONLY);
	g->got = fd < 0 ? -1 : read(fd, b, sizeof(b));
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void *many_lookups(void *arg)
{
	char path[160];
	struct stat st;
	for (int i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "%s/nope%d", (const char *)arg, i);
		stat(path, &st);
	}
	return NULL;
}

static void test_dependent_capped(void)
{
	enum { WARM = 4, GMAX = 3 };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int ng = cpus < 2 ? 2 : cpus > GMAX ? GMAX : (int)cpus;
	pthread_t w[WARM], g[GMAX], t;
	struct gate_reader gr[GMAX];
	char counter[128];
	for (int i = 0; i < WARM; i++)
		pthread_create(&w[i], NULL, many_lookups, mnt);
	for (int i = 0; i < WARM; i++)
		pthread_join(w[i], NULL);
	for (int i = 0; i < ng; i++) {
		snprintf(gr[i].path, sizeof(gr[i].path), "%s/gate", mnt);
		pthread_create(&g[i], NULL, read_gate, &gr[i]);
	}
	snprintf(counter, sizeof(counter), "%s/counter", mnt);
	pthread_create(&t, NULL, stat_counter_later, counter);
	for (int i = 0; i < ng; i++) {
		pthread_join(g[i], NULL);
		if (gr[i].got != 4)
			fprintf(stderr, "gate reader %d of %d: %zd\n", i, ng, gr[i].got);
		CHECK_EQ_INT(gr[i].got, 4);
	}
	pthread_join(t, NULL);
}

struct reader { char path[128]; ssize_t got; int err; };

static void *read_counter(void *arg)
{
	struct reader *r = arg;
	char b[16];
	int fd = open(r->path, O_RDONLY);
	r->got = fd < 0 ? -1 : read(fd, b, sizeof(b));
	r->err = r->got < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* 24 readers at once: served concurrently, by at most max_threads.
 * (With io_uring each CPU's queue has one thread, so no more than one
 * op per CPU runs at once; only the answers are checked then.) */
static void test_pool(struct state *s, int uring)
{
	enum { N = 24 };
	struct reader r[N];
	pthread_t t[N];
	atomic_store(&s->counter_size, 10);
	for (int i = 0; i < N; i++) {
		snprintf(r[i].path, sizeof(r[i].path), "%s/counter", mnt);
		pthread_create(&t[i], NULL, read_counter, &r[i]);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		CHECK_EQ_INT(r[i].got, 10);
		if (r[i].got != 10)
			fprintf(stderr, "reader %d: %s\n", i, strerror(r[i].err));
	}
	if (!uring) {
		CHECK(atomic_load(&s->max_parallel) > 1);
		CHECK(atomic_load(&s->max_parallel) <= 4);   /* -o max_threads=4 */
	}
}

static void test_notify(struct state *s)
{
	char path[128];
	struct stat st;
	snprintf(path, sizeof(path), "%s/counter", mnt);
	atomic_store(&s->counter_size, 77);
	CHECK_EQ_INT(fbx_notify_inval_inode(se, 4, -1, 0), 0);
	CHECK_EQ_INT(fbx_notify_inval_entry(se, FBX_ROOT_ID, "counter"), 0);
	CHECK(stat(path, &st) == 0 && st.st_size == 77);
	CHECK_EQ_INT(fbx_notify_inval_entry(se, FBX_ROOT_ID, ""), -ENAMETOOLONG);
}

/* One whole session: mount, the tests above, exit while busy. */
static void run_session(enum fbx_tristate uring, unsigned spin_us)
{
	struct state s = { 0 };
	struct fbx_options o;
	snprintf(mnt, sizeof(mnt), "/tmp/fbx-test.XXXXXX");
	CHECK_FATAL(mkdtemp(mnt) != NULL);
	fbx_options_init(&o);
	o.max_threads = 4;
	o.io_uring = uring;
	o.spin_us = spin_us;
	se = fbx_session_new(&o, &ops, sizeof(ops), &s);
	fbx_options_free(&o);
	CHECK_FATAL(se != NULL);
	CHECK_FATAL(fbx_session_mount(se, mnt) == 0);
	pthread_t loop;
	pthread_create(&loop, NULL, loop_thread, NULL);

	struct stat st;
	CHECK(stat(mnt, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK_EQ_INT(atomic_load(&s.inits), 1);
	test_interrupt(&s);
	test_async_reply();
	test_write_aligned(&s);
	if (uring != FBX_ON) {   /* a CPU's io_uring queue is one thread (options.h) */
		test_dependent_request();
		test_dependent_capped();
	}
	test_pool(&s, uring == FBX_ON);
	test_notify(&s);

	/* Exit while a process sits in the mount (busy: the lazy unmount
	 * detaches it but the connection lives): the loop must end anyway. */
	int busy = open(mnt, O_RDONLY | O_DIRECTORY);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fbx_session_unmount(se);
	fbx_session_exit(se);
	pthread_join(loop, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(t1.tv_sec - t0.tv_sec < 5);
	CHECK_EQ_INT(atomic_load(&s.destroys), 1);
	if (busy >= 0)
		close(busy);
	fbx_session_destroy(se);
	umount2(mnt, MNT_DETACH);
	rmdir(mnt);
}

/* FUSE over io_uring needs the fuse module's enable_uring switch. */
static int uring_switch(int on)
{
	const char *p = "/sys/module/fuse/parameters/enable_uring";
	char was = 'N';
	FILE *f = fopen(p, "r");
	if (!f)
		return -1;
	if (fscanf(f, " %c", &was) != 1)
		was = 'N';
	fclose(f);
	f = fopen(p, "w");
	if (!f)
		return -1;
	fputs(on ? "1" : "0", f);
	fclose(f);
	return was == 'Y' || was == '1';
}

int main(void)
{
	if (geteuid() != 0)
		check_skip("needs root to mount");
	int was = uring_switch(0);
	fprintf(stderr, "== /dev/fuse workers (spin=20, the default)\n");
	run_session(FBX_OFF, 20);
	fprintf(stderr, "== /dev/fuse workers (spin=0)\n");
	run_session(FBX_OFF, 0);
	if (was >= 0 && uring_switch(1) >= 0) {
		fprintf(stderr, "== io_uring queues\n");
		run_session(FBX_ON, 20);
		uring_switch(was);
	} else {
		fprintf(stderr, "(no enable_uring switch: io_uring part not run)\n");
	}
	return check_exit();
}
