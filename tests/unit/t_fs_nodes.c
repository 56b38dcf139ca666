/*
 * t_fs_nodes -- the path layer's node table (lib/fs/nodes.c): lookup
 * counts, hard links as one node, renames, hidden files, parents kept
 * alive by their children, and memory returning to the minimum after a
 * million files come and go.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/check.h"
#include "fs/nodes.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

#define ROOT 1

static struct stat mkst(mode_t type, ino_t ino)
{
	struct stat st;
	memset(&st, 0, sizeof st);
	st.st_mode = type | 0644;
	st.st_ino = ino;
	st.st_nlink = 1;
	return st;
}

static uint64_t enter_n(struct fbx_nodes *t, uint64_t parent, const char *name,
                        mode_t type, ino_t ino, nlink_t nlink)
{
	struct stat st = mkst(type, ino);
	uint64_t id = 0;
	st.st_nlink = nlink;
	CHECK_EQ_INT(fbx_nodes_enter(t, parent, name, &st, 0, &id), 0);
	return id;
}

static uint64_t enter(struct fbx_nodes *t, uint64_t parent, const char *name,
                      mode_t type, ino_t ino)
{
	struct stat st = mkst(type, ino);
	uint64_t id = 0;
	CHECK_EQ_INT(fbx_nodes_enter(t, parent, name, &st, 0, &id), 0);
	return id;
}

/* The path of id, or the error as "E<n>". */
static const char *path_of(struct fbx_nodes *t, uint64_t id)
{
	static char buf[PATH_MAX + 16];
	char *p;
	int err = fbx_nodes_path(t, id, NULL, &p);
	if (err) {
		snprintf(buf, sizeof buf, "E%d", -err);
		return buf;
	}
	snprintf(buf, sizeof buf, "%s", p);
	free(p);
	return buf;
}

static size_t live_nodes(struct fbx_nodes *t)
{
	struct fbx_nodes_stats st;
	fbx_nodes_stats(t, &st);
	return st.nodes;
}

static void test_lookup_counts(void)
{
	struct fbx_nodes *t = fbx_nodes_new();
	struct fbx_node_info info;
	CHECK_EQ_STR(path_of(t, ROOT), "/");
	uint64_t a = enter(t, ROOT, "a", S_IFREG, 10);
	CHECK(a > ROOT);
	CHECK_EQ_INT(enter(t, ROOT, "a", S_IFREG, 10), a);
	CHECK_EQ_STR(path_of(t, a), "/a");
	CHECK_EQ_INT(fbx_nodes_info(t, a, &info), 0);
	CHECK_EQ_INT(info.nlookup, 2);
	fbx_nodes_forget(t, a, 1);
	CHECK_EQ_INT(live_nodes(t), 2);
	fbx_nodes_forget(t, a, 1);
	CHECK_EQ_INT(live_nodes(t), 1);
	CHECK_EQ_INT(fbx_nodes_info(t, a, &info), -ESTALE);
	/* A new lookup gets a new id: ids are never reused. */
	uint64_t a2 = enter(t, ROOT, "a", S_IFREG, 10);
	CHECK(a2 > a);
	/* Paths with a name appended, and its limits. */
	char *p, longname[300];
	CHECK_EQ_INT(fbx_nodes_path(t, a2, "x", &p), 0);
	CHECK_EQ_STR(p, "/a/x");
	free(p);
	CHECK_EQ_INT(fbx_nodes_path(t, ROOT, "x", &p), 0);
	CHECK_EQ_STR(p, "/x");
	free(p);
	memset(longname, 'n', 256);
	longname[256] = '\0';
	CHECK_EQ_INT(fbx_nodes_path(t, ROOT, longname, &p), -ENAMETOOLONG);
	struct stat st = mkst(S_IFREG, 1);
	uint64_t id;
	CHECK_EQ_INT(fbx_nodes_enter(t, ROOT, longname, &st, 0, &id), -ENAMETOOLONG);
	CHECK_EQ_INT(fbx_nodes_enter(t, 999, "z", &st, 0, &id), -ESTALE);
	fbx_nodes_free(t);
}

static void test_hard_links(void)
{
	struct fbx_nodes *t = fbx_nodes_new();
	struct fbx_node_info info;
	uint64_t a = enter_n(t, ROOT, "a", S_IFREG, 10, 2);
	uint64_t b = enter_n(t, ROOT, "b", S_IFREG, 10, 2);
	CHECK_EQ_INT(b, a);          /* same (dev, ino): one node */
	CHECK_EQ_INT(fbx_nodes_info(t, a, &info), 0);
	CHECK_EQ_INT(info.nnames, 2);
	CHECK_EQ_INT(info.nlookup, 2);
	CHECK_EQ_STR(path_of(t, a), "/b");  /* the last confirmed name */
	fbx_nodes_remove(t, ROOT, "b");
	CHECK_EQ_STR(path_of(t, a), "/a");  /* falls back to the alias */
	fbx_nodes_remove(t, ROOT, "a");
	CHECK_EQ_STR(path_of(t, a), "E2");  /* no name left: ENOENT */
	/* Unnamed, its st_ino may be recycled: a new file is a new node. */
	CHECK(enter(t, ROOT, "c", S_IFREG, 10) != a);
	fbx_nodes_forget(t, a, 2);

	/* link() adds the name to the node even without st_ino. */
	uint64_t f = enter(t, ROOT, "f", S_IFREG, 0);
	struct stat st = mkst(S_IFREG, 0);
	CHECK_EQ_INT(fbx_nodes_link(t, f, ROOT, "g", &st), 0);
	CHECK_EQ_INT(fbx_nodes_info(t, f, &info), 0);
	CHECK_EQ_INT(info.nnames, 2);
	CHECK_EQ_INT(info.nlookup, 2);
	CHECK_EQ_STR(path_of(t, f), "/f");  /* link keeps the current name */
	CHECK_EQ_INT(enter(t, ROOT, "g", S_IFREG, 0), f);

	/* Directories are never merged by st_ino. */
	uint64_t d1 = enter(t, ROOT, "d1", S_IFDIR, 77);
	uint64_t d2 = enter(t, ROOT, "d2", S_IFDIR, 77);
	CHECK(d1 != d2);
	/* Nor are files of another type. */
	uint64_t c = enter(t, ROOT, "c", S_IFREG, 10);
	CHECK(enter(t, ROOT, "s", S_IFLNK, 10) != c);
	/* With stable inode numbers (use_ino), a name now naming another
	 * file (replaced behind our back) gets a new node. */
	fbx_nodes_set_stable_ino(t, true);
	uint64_t r1 = enter(t, ROOT, "r", S_IFREG, 500);
	uint64_t r2 = enter(t, ROOT, "r", S_IFREG, 501);
	CHECK(r1 != r2);
	CHECK_EQ_STR(path_of(t, r1), "E2");
	CHECK_EQ_STR(path_of(t, r2), "/r");
	/* A file removed behind our back whose st_ino the filesystem gave
	 * to a new one-link file: the old names are not the new file's. */
	uint64_t o = enter(t, ROOT, "old", S_IFREG, 600);
	uint64_t n = enter(t, ROOT, "new", S_IFREG, 600);
	CHECK(n != o);
	CHECK_EQ_INT(fbx_nodes_info(t, n, &info), 0);
	CHECK_EQ_INT(info.nnames, 1);
	CHECK_EQ_STR(path_of(t, o), "E2");
	CHECK_EQ_STR(path_of(t, n), "/new");
	fbx_nodes_free(t);
}

/* Without use_ino (the default, libfuse's too) st_ino may change for the
 * same file (fuse-zip renumbers as its archive changes): a name the
 * kernel holds keeps its node, and a number passed on to another file
 * takes no name from the file that had it. */
static void test_renumbered(void)
{
	struct fbx_nodes *t = fbx_nodes_new();
	struct fbx_node_info info;
	uint64_t a = enter(t, ROOT, "a", S_IFREG, 5);
	uint64_t b = enter(t, ROOT, "b", S_IFREG, 6);
	CHECK_EQ_INT(enter(t, ROOT, "a", S_IFREG, 6), a);  /* a took b's number */
	CHECK_EQ_INT(enter(t, ROOT, "b", S_IFREG, 7), b);
	CHECK_EQ_STR(path_of(t, a), "/a");
	CHECK_EQ_STR(path_of(t, b), "/b");
	/* A new one-link file with a's number is not merged into a. */
	uint64_t c = enter(t, ROOT, "c", S_IFREG, 6);
	CHECK(c != a);
	CHECK_EQ_STR(path_of(t, a), "/a");
	CHECK_EQ_INT(fbx_nodes_info(t, a, &info), 0);
	CHECK_EQ_INT(info.nnames, 1);
	/* Hard links still merge by the new number. */
	CHECK_EQ_INT(enter_n(t, ROOT, "a2", S_IFREG, 9, 2), enter_n(t, ROOT, "a3", S_IFREG, 9, 2));
	/* Another type behind the name is another file. */
	uint64_t s = enter(t, ROOT, "a", S_IFLNK, 6);
	CHECK(s != a);
	CHECK_EQ_STR(path_of(t, a), "E2");
	/* A node the kernel no longer holds (remembered) is not kept on a
	 * changed number: its handles must not open another file. */
	fbx_nodes_set_remember(t, true);
	uint64_t f = enter(t, ROOT, "f", S_IFREG, 40);
	fbx_nodes_forget(t, f, 1);
	CHECK(enter(t, ROOT, "f", S_IFREG, 41) != f);
	fbx_nodes_free(t);
}

/* Ops on an open file get the name it was opened under (libfuse's nodes
 * are names), renames followed, while that name exists. */
static const char *fh_path(struct fbx_nodes *t, uint64_t id, uint64_t fh)
{
	static char buf[PATH_MAX + 16];
	char *p;
	int err = fbx_nodes_path_fh(t, id, fh, &p);
	if (err) {
		snprintf(buf, sizeof buf, "E%d", -err);
		return buf;
	}
	snprintf(buf, sizeof buf, "%s", p);
	free(p);
	return buf;
}

static void test_open_names(void)
{
	struct fbx_nodes *t = fbx_nodes_new();
	uint64_t d = enter(t, ROOT, "d", S_IFDIR, 2);
	uint64_t a = enter_n(t, ROOT, "a", S_IFREG, 10, 2);
	CHECK_EQ_INT(enter_n(t, d, "b", S_IFREG, 10, 2), a);
	CHECK_EQ_INT(fbx_nodes_open(t, a), 0);
	fbx_nodes_set_fh(t, a, 1, 100, 0);        /* opened as /d/b */
	CHECK_EQ_INT(enter_n(t, ROOT, "a", S_IFREG, 10, 2), a);
	CHECK_EQ_INT(fbx_nodes_open(t, a), 0);
	fbx_nodes_set_fh(t, a, 1, 200, 0);        /* opened as /a */
	CHECK_EQ_STR(path_of(t, a), "/a");
	CHECK_EQ_STR(fh_path(t, a, 100), "/d/b");
	CHECK_EQ_STR(fh_path(t, a, 200), "/a");
	CHECK_EQ_STR(fh_path(t, a, 999), "/a");   /* unknown handle: current */
	/* Renames are followed: of the name, and of a directory above it. */
	fbx_nodes_rename(t, d, "b", d, "b2", 0);
	CHECK_EQ_STR(fh_path(t, a, 100), "/d/b2");
	fbx_nodes_rename(t, ROOT, "d", ROOT, "e", 0);
	CHECK_EQ_STR(fh_path(t, a, 100), "/e/b2");
	/* Exchange: the open file follows its name. */
	uint64_t x = enter(t, ROOT, "x", S_IFREG, 20);
	fbx_nodes_rename(t, ROOT, "a", ROOT, "x", RENAME_EXCHANGE);
	CHECK_EQ_STR(fh_path(t, a, 200), "/x");
	CHECK_EQ_STR(path_of(t, x), "/a");
	/* The name gone: the file's current name. */
	fbx_nodes_remove(t, d, "b2");
	CHECK_EQ_STR(fh_path(t, a, 100), "/x");
	/* Hidden while open: the hidden name. */
	CHECK_EQ_INT(fbx_nodes_hide(t, ROOT, "x", ".fbx_hidden1"), 0);
	CHECK_EQ_STR(fh_path(t, a, 200), "/.fbx_hidden1");
	CHECK_EQ_STR(fh_path(t, a, 100), "/.fbx_hidden1");
	char *hp;
	fbx_nodes_set_fh(t, a, 0, 100, 0);
	fbx_nodes_release(t, a, &hp);
	CHECK(hp == NULL);
	fbx_nodes_set_fh(t, a, 0, 200, 0);
	fbx_nodes_release(t, a, &hp);
	CHECK_EQ_STR(hp ? hp : "", "/.fbx_hidden1");
	free(hp);
	CHECK_EQ_STR(fh_path(t, a, 200), "E2");

	/* One fh for every open (a filesystem that keeps no state per
	 * open): the latest open's name, and a close is the latest's. */
	uint64_t f = enter_n(t, ROOT, "f", S_IFREG, 30, 2);
	CHECK_EQ_INT(enter_n(t, ROOT, "g", S_IFREG, 30, 2), f);
	CHECK_EQ_INT(fbx_nodes_open(t, f), 0);
	fbx_nodes_set_fh(t, f, 1, 0, 0);          /* as /g */
	CHECK_EQ_INT(enter_n(t, ROOT, "f", S_IFREG, 30, 2), f);
	CHECK_EQ_INT(fbx_nodes_open(t, f), 0);
	fbx_nodes_set_fh(t, f, 1, 0, 0);          /* as /f */
	CHECK_EQ_STR(fh_path(t, f, 0), "/f");
	fbx_nodes_set_fh(t, f, 0, 0, 0);
	fbx_nodes_release(t, f, &hp);
	CHECK_EQ_STR(fh_path(t, f, 0), "/g");
	fbx_nodes_free(t);
}

static void test_rename(void)
{
	struct fbx_nodes *t = fbx_nodes_new();
	uint64_t d = enter(t, ROOT, "d", S_IFDIR, 2);
	uint64_t f = enter(t, d, "f", S_IFREG, 3);
	uint64_t e = enter(t, ROOT, "e", S_IFDIR, 4);
	CHECK_EQ_STR(path_of(t, f), "/d/f");
	fbx_nodes_rename(t, ROOT, "d", e, "d2", 0);
	CHECK_EQ_STR(path_of(t, d), "/e/d2");
	CHECK_EQ_STR(path_of(t, f), "/e/d2/f");   /* children follow */

	/* Rename over an existing name: the old target loses its name. */
	uint64_t g = enter(t, ROOT, "g", S_IFREG, 5);
	fbx_nodes_rename(t, d, "f", ROOT, "g", 0);
	CHECK_EQ_STR(path_of(t, f), "/g");
	CHECK_EQ_STR(path_of(t, g), "E2");

	/* Exchange swaps nodes between the names. */
	uint64_t x = enter(t, ROOT, "x", S_IFREG, 6);
	uint64_t y = enter(t, e, "y", S_IFDIR, 7);
	fbx_nodes_rename(t, ROOT, "x", e, "y", RENAME_EXCHANGE);
	CHECK_EQ_STR(path_of(t, x), "/e/y");
	CHECK_EQ_STR(path_of(t, y), "/x");
	/* Exchange with a name the table does not know: a move. */
	fbx_nodes_rename(t, ROOT, "x", ROOT, "unknown", RENAME_EXCHANGE);
	CHECK_EQ_STR(path_of(t, y), "/unknown");

	/* A directory forgotten by the kernel stays while it has named
	 * children (their paths go through it). */
	uint64_t p = enter(t, ROOT, "p", S_IFDIR, 8);
	uint64_t c = enter(t, p, "c", S_IFREG, 9);
	fbx_nodes_forget(t, p, 1);
	CHECK_EQ_STR(path_of(t, c), "/p/c");
	size_t before = live_nodes(t);
	fbx_nodes_forget(t, c, 1);
	CHECK_EQ_INT(live_nodes(t), before - 2);
	fbx_nodes_free(t);
}

static void test_hidden(void)
{
	struct fbx_nodes *t = fbx_nodes_new();
	struct fbx_node_info info;
	char *hp;
	uint64_t f = enter(t, ROOT, "f", S_IFREG, 3);
	CHECK_EQ_INT(fbx_nodes_open(t, f), 0);
	CHECK_EQ_INT(fbx_nodes_open(t, f), 0);
	CHECK_EQ_INT(fbx_nodes_find(t, ROOT, "f", &info), 0);
	CHECK_EQ_INT(info.open, 2);
	CHECK_EQ_INT(fbx_nodes_hide(t, ROOT, "f", ".fbx_hidden0"), 0);
	CHECK_EQ_STR(path_of(t, f), "/.fbx_hidden0");
	CHECK_EQ_INT(fbx_nodes_find(t, ROOT, "f", &info), -ENOENT);
	CHECK_EQ_INT(fbx_nodes_find(t, ROOT, ".fbx_hidden0", &info), 0);
	CHECK(info.hidden);
	fbx_nodes_release(t, f, &hp);
	CHECK(hp == NULL);
	fbx_nodes_release(t, f, &hp);
	CHECK_EQ_STR(hp, "/.fbx_hidden0");    /* the caller unlinks it */
	free(hp);
	CHECK_EQ_INT(fbx_nodes_find(t, ROOT, ".fbx_hidden0", &info), -ENOENT);
	fbx_nodes_forget(t, f, 1);
	CHECK_EQ_INT(live_nodes(t), 1);

	/* Hidden files still open at unmount are listed for removal. */
	uint64_t k = enter(t, ROOT, "k", S_IFREG, 6);
	char **paths;
	size_t np;
	fbx_nodes_open(t, k);
	CHECK_EQ_INT(fbx_nodes_hide(t, ROOT, "k", ".fbx_hidden7"), 0);
	CHECK_EQ_INT(fbx_nodes_hidden_paths(t, &paths, &np), 0);
	CHECK_EQ_INT(np, 1);
	if (np == 1)
		CHECK_EQ_STR(paths[0], "/.fbx_hidden7");
	for (size_t i = 0; i < np; i++)
		free(paths[i]);
	free(paths);
	fbx_nodes_release(t, k, &hp);
	free(hp);
	fbx_nodes_forget(t, k, 1);

	/* The last release ran before the hide: hide says remove it now. */
	uint64_t g = enter(t, ROOT, "g", S_IFREG, 4);
	CHECK_EQ_INT(fbx_nodes_hide(t, ROOT, "g", ".fbx_hidden1"), 1);
	CHECK_EQ_INT(fbx_nodes_find(t, ROOT, ".fbx_hidden1", &info), -ENOENT);
	fbx_nodes_forget(t, g, 1);

	/* A released file that is not hidden leaves its name alone. */
	uint64_t h = enter(t, ROOT, "h", S_IFREG, 5);
	fbx_nodes_open(t, h);
	fbx_nodes_release(t, h, &hp);
	CHECK(hp == NULL);
	CHECK_EQ_STR(path_of(t, h), "/h");
	/* Open keeps a forgotten, unlinked node alive until release. */
	fbx_nodes_open(t, h);
	fbx_nodes_remove(t, ROOT, "h");
	fbx_nodes_forget(t, h, 1);
	CHECK_EQ_INT(fbx_nodes_info(t, h, &info), 0);
	fbx_nodes_release(t, h, &hp);
	CHECK_EQ_INT(fbx_nodes_info(t, h, &info), -ESTALE);
	CHECK_EQ_INT(live_nodes(t), 1);
	fbx_nodes_free(t);
}

/*
 * Memory: a million files created (entered), unlinked and forgotten,
 * first one at a time, then 200k at once. The table ends at its
 * minimum size each time: nothing accumulates.
 */
static void test_million(void)
{
	struct fbx_nodes *t = fbx_nodes_new();
	struct fbx_nodes_stats st0, st;
	char name[32];
	fbx_nodes_stats(t, &st0);
	uint64_t d = enter(t, ROOT, "dir", S_IFDIR, 1);
	for (unsigned i = 0; i < 1000000; i++) {
		snprintf(name, sizeof name, "f%u", i);
		uint64_t id = enter(t, d, name, S_IFREG, 100 + i);
		fbx_nodes_remove(t, d, name);
		fbx_nodes_forget(t, id, 1);
	}
	fbx_nodes_stats(t, &st);
	CHECK_EQ_INT(st.nodes, 2);
	CHECK_EQ_INT(st.names, 1);

	enum { N = 200000 };
	uint64_t *ids = malloc(N * sizeof *ids);
	CHECK_FATAL(ids != NULL);
	for (unsigned i = 0; i < N; i++) {
		snprintf(name, sizeof name, "g%u", i);
		ids[i] = enter(t, d, name, S_IFREG, 5000000 + i);
	}
	fbx_nodes_stats(t, &st);
	CHECK_EQ_INT(st.nodes, N + 2);
	CHECK_EQ_INT(st.inos, N);
	CHECK(st.name_buckets >= N);
	for (unsigned i = 0; i < N; i++) {
		snprintf(name, sizeof name, "g%u", i);
		CHECK_FATAL(fbx_nodes_find(t, d, name, &(struct fbx_node_info){0}) == 0);
		fbx_nodes_remove(t, d, name);
		fbx_nodes_forget(t, ids[i], 1);
	}
	free(ids);
	fbx_nodes_forget(t, d, 1);
	fbx_nodes_stats(t, &st);
	CHECK_EQ_INT(st.nodes, 1);
	CHECK_EQ_INT(st.names, 0);
	CHECK_EQ_INT(st.inos, 0);
	CHECK_EQ_INT(st.id_buckets, st0.id_buckets);
	CHECK_EQ_INT(st.name_buckets, st0.name_buckets);
	CHECK_EQ_INT(st.ino_buckets, st0.ino_buckets);
	fbx_nodes_free(t);
}

/* Deep trees: paths longer than PATH_MAX are built whole (a process
 * may work deep below the mount with relative paths). */
static void test_deep(void)
{
	struct fbx_nodes *t = fbx_nodes_new();
	char name[200];
	uint64_t id = ROOT;
	memset(name, 'd', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	for (int i = 0; i < 30; i++)
		id = enter(t, id, name, S_IFDIR, 0);
	char *p;
	CHECK_EQ_INT(fbx_nodes_path(t, id, NULL, &p), 0);
	CHECK_EQ_INT(strlen(p), 30 * 200);
	free(p);
	fbx_nodes_free(t);
}

/* Paths into the caller's memory when they fit, else malloc'd. */
static void test_path_in(void)
{
	struct fbx_nodes *t = fbx_nodes_new();
	char mem[8], big[64], *p;
	uint64_t d = enter(t, ROOT, "dir", S_IFDIR, 1);
	uint64_t f = enter(t, d, "file", S_IFREG, 2);
	CHECK_EQ_INT(fbx_nodes_path_in(t, d, "x", mem, sizeof mem, &p), 0);
	CHECK(p == mem);
	CHECK_EQ_STR(p, "/dir/x");
	CHECK_EQ_INT(fbx_nodes_path_in(t, f, NULL, mem, sizeof mem, &p), 0);
	CHECK(p != mem);
	CHECK_EQ_STR(p, "/dir/file");
	free(p);
	CHECK_EQ_INT(fbx_nodes_path_in(t, ROOT, NULL, mem, 2, &p), 0);
	CHECK(p == mem);
	CHECK_EQ_STR(p, "/");
	fbx_nodes_set_fh(t, f, 1, 7, 0);
	CHECK_EQ_INT(fbx_nodes_path_fh_in(t, f, 7, big, sizeof big, &p), 0);
	CHECK(p == big);
	CHECK_EQ_STR(p, "/dir/file");
	CHECK_EQ_INT(fbx_nodes_path_in(t, 999, NULL, mem, sizeof mem, &p), -ESTALE);
	fbx_nodes_set_fh(t, f, 0, 7, 0);
	fbx_nodes_free(t);
}

/* Lookups of a known name are counted under the shared lock: threads
 * looking the same names up at once lose no count. */
struct same_arg {
	struct fbx_nodes *t;
	uint64_t ids[2];
	int fails;
};

static void *same_worker(void *p)
{
	struct same_arg *a = p;
	for (int i = 0; i < 20000; i++) {
		struct stat st = mkst(i & 1 ? S_IFREG : S_IFDIR, (ino_t)(i & 1 ? 6 : 5));
		uint64_t id = 0;
		char *path;
		a->fails += fbx_nodes_enter(a->t, i & 1 ? a->ids[0] : ROOT, i & 1 ? "f" : "d",
		                            &st, 0, &id) != 0 || id != a->ids[i & 1];
		if (fbx_nodes_path(a->t, id, NULL, &path) == 0)
			free(path);
		else
			a->fails++;
	}
	return NULL;
}

static void test_shared_counts(void)
{
	struct fbx_nodes *t = fbx_nodes_new();
	struct fbx_node_info info;
	uint64_t d = enter(t, ROOT, "d", S_IFDIR, 5), f = enter(t, d, "f", S_IFREG, 6);
	pthread_t th[4];
	struct same_arg args[4];
	for (int i = 0; i < 4; i++) {
		args[i] = (struct same_arg){ t, { d, f }, 0 };
		pthread_create(&th[i], NULL, same_worker, &args[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ_INT(args[i].fails, 0);
	}
	CHECK_EQ_INT(fbx_nodes_info(t, d, &info), 0);
	CHECK_EQ_INT(info.nlookup, 1 + 4 * 10000);
	CHECK_EQ_INT(fbx_nodes_info(t, f, &info), 0);
	CHECK_EQ_INT(info.nlookup, 1 + 4 * 10000);
	fbx_nodes_forget(t, f, 1 + 4 * 10000);
	fbx_nodes_forget(t, d, 1 + 4 * 10000);
	CHECK_EQ_INT(live_nodes(t), 1);
	fbx_nodes_free(t);
}

/* Threads entering, building paths, renaming and forgetting at once. */
struct worker_arg {
	struct fbx_nodes *t;
	uint64_t dir;
	int n;
	int fails;
};

static void *worker(void *p)
{
	struct worker_arg *a = p;
	char name[32], name2[32], *path;
	for (int i = 0; i < 20000; i++) {
		struct stat st = mkst(S_IFREG, (ino_t)(a->n * 1000000 + i + 1));
		uint64_t id;
		snprintf(name, sizeof name, "w%d-%d", a->n, i);
		snprintf(name2, sizeof name2, "w%d-%d.r", a->n, i);
		if (fbx_nodes_enter(a->t, a->dir, name, &st, 0, &id) ||
		    fbx_nodes_path(a->t, id, NULL, &path)) {
			a->fails++;
			continue;
		}
		free(path);
		fbx_nodes_rename(a->t, a->dir, name, ROOT, name2, 0);
		if (fbx_nodes_path(a->t, id, NULL, &path) == 0) {
			a->fails += path[0] != '/' || strcmp(path + 1, name2) != 0;
			free(path);
		} else {
			a->fails++;
		}
		fbx_nodes_remove(a->t, ROOT, name2);
		fbx_nodes_forget(a->t, id, 1);
	}
	return NULL;
}

static void test_threads(void)
{
	struct fbx_nodes *t = fbx_nodes_new();
	uint64_t d = enter(t, ROOT, "d", S_IFDIR, 1);
	pthread_t th[4];
	struct worker_arg args[4];
	for (int i = 0; i < 4; i++) {
		args[i] = (struct worker_arg){ t, d, i, 0 };
		pthread_create(&th[i], NULL, worker, &args[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ_INT(args[i].fails, 0);
	}
	CHECK_EQ_INT(live_nodes(t), 2);
	fbx_nodes_free(t);
}

/* fbx_nodes_ref/parent (LOOKUP of "." and ".." by id) and remembering
 * forgotten nodes while they have a name (fs.h flag_remember). */
static void test_remember(void)
{
	struct fbx_nodes *t = fbx_nodes_new();
	struct stat st = mkst(S_IFREG, 20), other = mkst(S_IFREG, 21);
	struct stat dst = mkst(S_IFDIR, 30);
	uint64_t parent = 0;

	/* without remembering, a forgotten node's id is stale */
	uint64_t a = enter(t, ROOT, "a", S_IFREG, 20);
	fbx_nodes_forget(t, a, 1);
	CHECK_EQ_INT(fbx_nodes_ref(t, a, &st), -ESTALE);

	fbx_nodes_set_remember(t, true);
	uint64_t d = enter(t, ROOT, "d", S_IFDIR, 30);
	uint64_t f = enter(t, d, "f", S_IFREG, 20);
	fbx_nodes_forget(t, f, 1);
	fbx_nodes_forget(t, d, 1);
	CHECK_EQ_INT(live_nodes(t), 3);          /* root, d, f kept */
	CHECK_EQ_STR(path_of(t, f), "/d/f");
	CHECK_EQ_INT(fbx_nodes_ref(t, f, &other), -ESTALE); /* another file now */
	CHECK_EQ_INT(fbx_nodes_ref(t, f, &st), 0);
	CHECK_EQ_INT(fbx_nodes_parent(t, f, &parent), 0);
	CHECK_EQ_INT(parent, d);
	CHECK_EQ_INT(fbx_nodes_ref(t, d, &dst), 0);
	CHECK_EQ_INT(fbx_nodes_parent(t, ROOT, &parent), 0);
	CHECK_EQ_INT(parent, ROOT);
	/* the same name looked up again is the same node */
	CHECK_EQ_INT(enter(t, d, "f", S_IFREG, 20), f);
	fbx_nodes_forget(t, f, 2);
	fbx_nodes_forget(t, d, 1);
	/* removing the name frees it for good: its id never comes back */
	fbx_nodes_remove(t, d, "f");
	CHECK_EQ_INT(fbx_nodes_ref(t, f, &st), -ESTALE);
	CHECK_EQ_INT(fbx_nodes_parent(t, f, &parent), -ESTALE);
	fbx_nodes_remove(t, ROOT, "d");
	CHECK_EQ_INT(live_nodes(t), 1);
	fbx_nodes_free(t);
}

int main(void)
{
	test_lookup_counts();
	test_remember();
	test_hard_links();
	test_renumbered();
	test_open_names();
	test_rename();
	test_hidden();
	test_deep();
	test_million();
	test_threads();
	test_path_in();
	test_shared_counts();
	return check_exit();
}
