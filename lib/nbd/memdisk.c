/*
 * lib/nbd/memdisk.c -- the sparse, thread-safe memory disk shared by
 * busexmp and `fusebox-nbd memory` (declared in fusebox/blockdev.h).
 *
 * Two-level page table: a directory of chunk tables, each chunk table
 * holding PAGES_PER_CHUNK page pointers. Chunk tables are created on
 * first write with a compare-and-swap and live until the disk is freed;
 * pages are allocated on first write and freed by trim/zero of the
 * whole page. A page pointer is only read or changed under its stripe
 * lock (one of NSTRIPES mutexes, by page number), so trim freeing a
 * page cannot race with a read copying from it, while I/O to
 * different pages runs in parallel.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "fusebox/blockdev.h"

#define PAGE_SHIFT   15                         /* 32 KiB pages */
#define PAGE_SIZE    (1ull << PAGE_SHIFT)
#define CHUNK_SHIFT  14                         /* pages per chunk table */
#define PAGES_PER_CHUNK (1ull << CHUNK_SHIFT)
#define MAX_SIZE     (1ull << 50)
#define NSTRIPES     256

struct fbx_memdisk {
	uint64_t size;
	uint64_t nchunks;
	_Atomic(uint8_t **) *dir;        /* nchunks chunk tables */
	atomic_uint_fast64_t used;
	pthread_mutex_t locks[NSTRIPES];
};

struct fbx_memdisk *fbx_memdisk_new(uint64_t size)
{
	if (!size || size > MAX_SIZE) {
		errno = EINVAL;
		return NULL;
	}
	struct fbx_memdisk *md = calloc(1, sizeof *md);
	if (!md)
		return NULL;
	md->size = size;
	md->nchunks = ((size + PAGE_SIZE - 1) >> PAGE_SHIFT) + PAGES_PER_CHUNK - 1;
	md->nchunks >>= CHUNK_SHIFT;
	md->dir = calloc(md->nchunks, sizeof *md->dir);   /* lazily backed by the kernel */
	if (!md->dir) {
		free(md);
		return NULL;
	}
	for (int i = 0; i < NSTRIPES; i++)
		pthread_mutex_init(&md->locks[i], NULL);
	return md;
}

void fbx_memdisk_free(struct fbx_memdisk *md)
{
	if (!md)
		return;
	for (uint64_t c = 0; c < md->nchunks; c++) {
		uint8_t **t = atomic_load(&md->dir[c]);
		if (!t)
			continue;
		for (uint64_t i = 0; i < PAGES_PER_CHUNK; i++)
			free(t[i]);
		free(t);
	}
	for (int i = 0; i < NSTRIPES; i++)
		pthread_mutex_destroy(&md->locks[i]);
	free(md->dir);
	free(md);
}

uint64_t fbx_memdisk_used(const struct fbx_memdisk *md)
{
	return atomic_load(&((struct fbx_memdisk *)md)->used);
}

static pthread_mutex_t *stripe(struct fbx_memdisk *md, uint64_t pg)
{
	return &md->locks[pg % NSTRIPES];
}

/* The slot of page pg, or NULL when its chunk table does not exist
 * (and create is false, or memory is short). */
static uint8_t **slot(struct fbx_memdisk *md, uint64_t pg, bool create)
{
	_Atomic(uint8_t **) *d = &md->dir[pg >> CHUNK_SHIFT];
	uint8_t **t = atomic_load_explicit(d, memory_order_acquire);
	if (!t && create) {
		uint8_t **n = calloc(PAGES_PER_CHUNK, sizeof *n);
		if (!n)
			return NULL;
		if (atomic_compare_exchange_strong_explicit(d, &t, n, memory_order_acq_rel,
		                                            memory_order_acquire))
			t = n;
		else
			free(n);        /* another writer won; t is theirs */
	}
	return t ? &t[pg & (PAGES_PER_CHUNK - 1)] : NULL;
}

/* Loop over [off, off+len) page by page: page number pg, offset in the
 * page po, byte count n, bytes done before this page. */
#define FOR_PAGES(off, len, pg, po, n, done)                                   \
	for (uint64_t done = 0, pg, po, n;                                         \
	     done < (len) && (pg = ((off) + done) >> PAGE_SHIFT,                   \
	                      po = ((off) + done) & (PAGE_SIZE - 1),               \
	                      n = PAGE_SIZE - po < (len) - done ? PAGE_SIZE - po : (len) - done, 1); \
	     done += n)

static int md_read(void *ud, void *buf, uint64_t len, uint64_t off, unsigned flags)
{
	struct fbx_memdisk *md = ud;
	uint8_t *b = buf;
	FOR_PAGES(off, len, pg, po, n, done) {
		uint8_t **s = slot(md, pg, false);
		if (!s) {
			memset(b + done, 0, n);
			continue;
		}
		pthread_mutex_t *l = stripe(md, pg);
		pthread_mutex_lock(l);
		if (*s)
			memcpy(b + done, *s + po, n);
		else
			memset(b + done, 0, n);
		pthread_mutex_unlock(l);
	}
	return 0;
}

/* Page pg for writing, allocated (zeroed) if needed. Called locked. */
static uint8_t *page_for_write(struct fbx_memdisk *md, uint8_t **s)
{
	if (!*s) {
		*s = calloc(1, PAGE_SIZE);
		if (*s)
			atomic_fetch_add(&md->used, PAGE_SIZE);
	}
	return *s;
}

static int md_write(void *ud, const void *buf, uint64_t len, uint64_t off, unsigned flags)
{
	struct fbx_memdisk *md = ud;
	const uint8_t *b = buf;
	FOR_PAGES(off, len, pg, po, n, done) {
		uint8_t **s = slot(md, pg, true);
		if (!s)
			return -ENOMEM;
		pthread_mutex_t *l = stripe(md, pg);
		pthread_mutex_lock(l);
		uint8_t *p = page_for_write(md, s);
		if (p)
			memcpy(p + po, b + done, n);
		pthread_mutex_unlock(l);
		if (!p)
			return -ENOMEM;
	}
	return 0;
}

/* Zero a range: whole pages are freed (become holes) unless keep. */
static int zero_range(struct fbx_memdisk *md, uint64_t len, uint64_t off, bool keep)
{
	FOR_PAGES(off, len, pg, po, n, done) {
		uint8_t **s = slot(md, pg, keep);
		if (!s) {
			if (keep)
				return -ENOMEM;
			continue;       /* no chunk table: already zero */
		}
		pthread_mutex_t *l = stripe(md, pg);
		pthread_mutex_lock(l);
		int e = 0;
		if (n == PAGE_SIZE && !keep) {
			if (*s) {
				free(*s);
				*s = NULL;
				atomic_fetch_sub(&md->used, PAGE_SIZE);
			}
		} else if (*s || keep) {
			uint8_t *p = page_for_write(md, s);
			if (p)
				memset(p + po, 0, n);
			else
				e = -ENOMEM;
		}
		pthread_mutex_unlock(l);
		if (e)
			return e;
	}
	return 0;
}

static int md_trim(void *ud, uint64_t len, uint64_t off, unsigned flags)
{
	return zero_range(ud, len, off, false);
}

static int md_zero(void *ud, uint64_t len, uint64_t off, unsigned flags)
{
	return zero_range(ud, len, off, flags & FBX_DEV_NO_HOLE);
}

static int md_noop(void *ud, unsigned flags)
{
	return 0;
}

static int md_cache(void *ud, uint64_t len, uint64_t off, unsigned flags)
{
	return 0;
}

static int md_extents(void *ud, uint64_t len, uint64_t off, unsigned flags, struct fbx_extents *ex)
{
	struct fbx_memdisk *md = ud;
	uint64_t end = off + len;
	while (off < end) {
		uint64_t pg = off >> PAGE_SHIFT;
		uint64_t next;
		bool hole;
		_Atomic(uint8_t **) *d = &md->dir[pg >> CHUNK_SHIFT];
		if (!atomic_load_explicit(d, memory_order_acquire)) {
			/* a whole missing chunk table is one hole */
			next = ((pg >> CHUNK_SHIFT) + 1) << (CHUNK_SHIFT + PAGE_SHIFT);
			hole = true;
		} else {
			uint8_t **s = slot(md, pg, false);
			pthread_mutex_t *l = stripe(md, pg);
			pthread_mutex_lock(l);
			hole = *s == NULL;
			pthread_mutex_unlock(l);
			next = (pg + 1) << PAGE_SHIFT;
		}
		if (next > end)
			next = end;
		int r = fbx_extents_add(ex, off, next - off,
		                        hole ? FBX_EXTENT_HOLE | FBX_EXTENT_ZERO : FBX_EXTENT_DATA);
		if (r)
			return r < 0 ? r : 0;
		off = next;
	}
	return 0;
}

const struct fbx_dev_ops fbx_memdisk_ops = {
	.read = md_read,
	.write = md_write,
	.flush = md_noop,
	.trim = md_trim,
	.write_zeroes = md_zero,
	.cache = md_cache,
	.extents = md_extents,
};
