/*
 * hl_cache.c -- -o auto_cache: an open keeps the kernel's cached data
 * only when the file's mtime and size are what they were at the file's
 * previous open, so a change made behind the mount's back is seen.
 *
 * Keyed by path: a renamed file simply starts over (its cache is
 * dropped once, which is safe). One table per struct fuse, one lock.
 */
#include "hl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define HL_CACHE_BUCKETS 1024

struct hl_seen {
	struct hl_seen *next;
	struct timespec mtime;
	off_t size;
	char path[];
};

struct hl_cache {
	pthread_mutex_t lock;
	struct hl_seen *b[HL_CACHE_BUCKETS];
};

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % HL_CACHE_BUCKETS;
}

static struct hl_cache *cache_of(struct fuse *f)
{
	static pthread_mutex_t make = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&make);
	if (!f->cache) {
		f->cache = calloc(1, sizeof(*f->cache));
		if (f->cache)
			pthread_mutex_init(&f->cache->lock, NULL);
	}
	pthread_mutex_unlock(&make);
	return f->cache;
}

int fbx_hl_cache_same(struct fuse *f, const char *path, const struct stat *st)
{
	struct hl_cache *c = cache_of(f);
	int same = 0;
	if (!c)
		return 0;
	pthread_mutex_lock(&c->lock);
	struct hl_seen **pp = &c->b[hash(path)], *s;
	for (s = *pp; s && strcmp(s->path, path) != 0; s = s->next)
		;
	if (s) {
		same = s->size == st->st_size && s->mtime.tv_sec == st->st_mtim.tv_sec &&
		       s->mtime.tv_nsec == st->st_mtim.tv_nsec;
	} else {
		size_t n = strlen(path) + 1;
		s = malloc(sizeof(*s) + n);
		if (s) {
			memcpy(s->path, path, n);
			s->next = *pp;
			*pp = s;
		}
	}
	if (s) {
		s->size = st->st_size;
		s->mtime = st->st_mtim;
	}
	pthread_mutex_unlock(&c->lock);
	return same;
}

void fbx_hl_cache_free(struct fuse *f)
{
	struct hl_cache *c = f->cache;
	if (!c)
		return;
	for (size_t i = 0; i < HL_CACHE_BUCKETS; i++) {
		for (struct hl_seen *s = c->b[i], *n; s; s = n) {
			n = s->next;
			free(s);
		}
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
	f->cache = NULL;
}
