/*
 * lib/dev/memdisk.c -- the sparse, thread-safe memory disk shared by
 * busexmp and `fusebox-nbd memory` (declared in fusebox/blockdev.h).
 *
 * Two-level page table: a directory of chunk tables, each chunk table
 * holding PAGES_PER_CHUNK page pointers. Chunk tables are created on
 * first write with a compare-and-swap and live until the disk is freed;
 * pages are allocated on first write and freed by trim/zero of the
 * whole page. A page pointer is only changed under its stripe lock
 * (one of NSTRIPES mutexes, by page number), so I/O to different pages
 * runs in parallel.
 *
 * Pages are reference counted: the table holds one reference, and map
 * takes one per page for as long as the server sends from it or
 * receives into it. Thus trim can drop a page at any time without
 * waiting for a slow client, and no lock is held across socket I/O.
 * Reads of holes never allocate: read copies zeroes, map points at a
 * shared read-only zero page.
 *
 * Pages come from arenas: big anonymous mappings cut into pages in
 * order. Filling a fresh disk thus costs no malloc and no memset (the
 * kernel hands out zeroed memory) on top of the kernel's page faults,
 * which come at once when an arena is made (so the disk's memory grows
 * by up to one arena ahead of its data). A freed page goes on a free
 * list and is zeroed when taken again; arenas are unmapped with the
 * disk.
 */
#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "common/clock.h"
#include "dev/dev.h"
#include "fusebox/blockdev.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23   /* Linux 5.14; older kernels say EINVAL */
#endif

#define PAGE_SHIFT   15                         /* 32 KiB pages */
#define PAGE_SIZE    (1ull << PAGE_SHIFT)
#define CHUNK_SHIFT  14                         /* pages per chunk table */
#define PAGES_PER_CHUNK (1ull << CHUNK_SHIFT)
#define MAX_SIZE     (1ull << 50)
#define NSTRIPES     256
#define ARENA_SIZE   (32ull << 20)
#define HUGE_ALIGN   (2ull << 20)                 /* x86-64 PMD size */

struct page {
	union {
		atomic_uint refs;        /* the table's + one per map in flight */
		struct page *next_free;  /* on the free list (refs is 0 then) */
	};
	alignas(64) uint8_t data[PAGE_SIZE];
};

struct arena {
	struct arena *next;
	size_t len;                      /* of the whole mapping */
	alignas(64) struct page pages[]; /* ARENA_PAGES of them */
};
#define ARENA_PAGES ((ARENA_SIZE - sizeof(struct arena)) / sizeof(struct page))

/* What map points holes at (sent, never written). */
static const uint8_t zero_page[PAGE_SIZE];

struct fbx_memdisk {
	uint64_t size;
	uint64_t nchunks;
	_Atomic(_Atomic(struct page *) *) *dir;   /* nchunks chunk tables */
	atomic_uint_fast64_t used;
	pthread_mutex_t locks[NSTRIPES];

	pthread_mutex_t alloc_lock;       /* arenas, next_page, free_pages */
	struct arena *arenas;             /* newest first */
	size_t next_page;                 /* of arenas: never handed out yet */
	struct page *free_pages;
	struct fbx_backing backing;       /* huge or small pages (arena_backing.c) */
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
	pthread_mutex_init(&md->alloc_lock, NULL);
	md->next_page = ARENA_PAGES;     /* no arena yet */
	return md;
}

void fbx_memdisk_free(struct fbx_memdisk *md)
{
	if (!md)
		return;
	for (uint64_t c = 0; c < md->nchunks; c++) {
		_Atomic(struct page *) *t = atomic_load(&md->dir[c]);
		if (!t)
			continue;
		free(t);
	}
	for (struct arena *a = md->arenas, *n; a; a = n) {
		n = a->next;
		munmap(a, a->len);
	}
	for (int i = 0; i < NSTRIPES; i++)
		pthread_mutex_destroy(&md->locks[i]);
	pthread_mutex_destroy(&md->alloc_lock);
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
 * (and create is false, or memory is short). Slots are atomic so that
 * extents may peek without the lock; they change only under it. */
typedef _Atomic(struct page *) pslot;

static pslot *slot(struct fbx_memdisk *md, uint64_t pg, bool create)
{
	_Atomic(pslot *) *d = &md->dir[pg >> CHUNK_SHIFT];
	pslot *t = atomic_load_explicit(d, memory_order_acquire);
	if (!t && create) {
		pslot *n = calloc(PAGES_PER_CHUNK, sizeof *n);   /* all-zero: NULL pointers */
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

/* The page in s, or NULL. Called with its stripe locked, so the
 * relaxed load sees the latest pointer. */
static struct page *peek(pslot *s)
{
	return atomic_load_explicit(s, memory_order_relaxed);
}

/* Fault range [p, p+len) in with this hint; how long it took, or -1. */
static int64_t populate_timed(uint8_t *p, size_t len, int advice)
{
	madvise(p, len, advice);
	uint64_t t0 = fbx_now_ns();
	if (madvise(p, len, MADV_POPULATE_WRITE) != 0)
		return -1;
	return (int64_t)(fbx_now_ns() - t0);
}

/* Back a new arena with the page size that fills quicker here, and
 * fault it in (arena_backing.c). A failed populate only leaves the
 * faults to the first writes. */
static void populate(struct fbx_memdisk *md, uint8_t *start)
{
	struct fbx_backing *b = &md->backing;
	size_t done = 0;
	if (fbx_backing_trial(b)) {
		int64_t huge = populate_timed(start, FBX_BACKING_HEAD, MADV_HUGEPAGE);
		int64_t small = populate_timed(start + FBX_BACKING_HEAD, FBX_BACKING_HEAD,
		                               MADV_NOHUGEPAGE);
		fbx_backing_result(b, huge, small);
		done = 2 * FBX_BACKING_HEAD;
	} else {
		fbx_backing_next(b);
	}
	populate_timed(start + done, ARENA_SIZE - done, fbx_backing_advice(b));
}

/* A new arena. Called with alloc_lock held.
 *
 * Arenas are aligned to 2 MiB and backed by huge pages or by small ones,
 * whichever filled quicker here (arena_backing.c; THP is often "madvise"
 * only, hence the hint). Where huge pages pay, filling a disk costs one
 * fault per 2 MiB instead of one per 4 KiB, and the kernel's copies stop
 * missing the TLB (bench/README.md, "memory disk and huge pages"). The
 * whole arena is faulted in by one madvise(MADV_POPULATE_WRITE), which
 * also saves a trap per page; either hint may be refused, and a failed
 * populate only leaves the faults to the first writes. */
static int arena_new(struct fbx_memdisk *md)
{
	size_t len = ARENA_SIZE + HUGE_ALIGN;
	uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -ENOMEM;
	uint8_t *start = (uint8_t *)(((uintptr_t)m + HUGE_ALIGN - 1) & ~(uintptr_t)(HUGE_ALIGN - 1));
	if (start > m)
		munmap(m, (size_t)(start - m));
	if (start + ARENA_SIZE < m + len)
		munmap(start + ARENA_SIZE, (size_t)(m + len - (start + ARENA_SIZE)));
	populate(md, start);
	struct arena *a = (struct arena *)start;
	a->len = ARENA_SIZE;
	a->next = md->arenas;
	md->arenas = a;
	md->next_page = 0;
	return 0;
}

/* A zeroed page with one reference (the table's), or NULL. */
static struct page *page_alloc(struct fbx_memdisk *md)
{
	pthread_mutex_lock(&md->alloc_lock);
	struct page *p = md->free_pages;
	bool reused = p != NULL;
	if (p)
		md->free_pages = p->next_free;
	else if (md->next_page < ARENA_PAGES || arena_new(md) == 0)
		p = &md->arenas->pages[md->next_page++];
	pthread_mutex_unlock(&md->alloc_lock);
	if (!p)
		return NULL;
	if (reused)
		memset(p->data, 0, PAGE_SIZE);   /* fresh arena memory is zero already */
	atomic_init(&p->refs, 1);
	return p;
}

static void page_put(struct fbx_memdisk *md, struct page *p)
{
	if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
		return;
	pthread_mutex_lock(&md->alloc_lock);
	p->next_free = md->free_pages;
	md->free_pages = p;
	pthread_mutex_unlock(&md->alloc_lock);
}

/* Unlink and release page pg (trim). Called locked. */
static void page_drop(struct fbx_memdisk *md, pslot *s)
{
	struct page *p = peek(s);
	if (p) {
		atomic_store_explicit(s, NULL, memory_order_relaxed);
		atomic_fetch_sub(&md->used, PAGE_SIZE);
		page_put(md, p);
	}
}

static int md_read(void *ud, void *buf, uint64_t len, uint64_t off, unsigned flags)
{
	struct fbx_memdisk *md = ud;
	uint8_t *b = buf;
	FOR_PAGES(off, len, pg, po, n, done) {
		pslot *s = slot(md, pg, false);
		if (!s) {
			memset(b + done, 0, n);
			continue;
		}
		pthread_mutex_t *l = stripe(md, pg);
		pthread_mutex_lock(l);
		struct page *p = peek(s);
		if (p)
			memcpy(b + done, p->data + po, n);
		else
			memset(b + done, 0, n);
		pthread_mutex_unlock(l);
	}
	return 0;
}

/* Page pg for writing, allocated (zeroed) if needed. Called locked. */
static struct page *page_for_write(struct fbx_memdisk *md, pslot *s)
{
	struct page *p = peek(s);
	if (!p) {
		p = page_alloc(md);
		if (!p)
			return NULL;
		atomic_store_explicit(s, p, memory_order_relaxed);
		atomic_fetch_add(&md->used, PAGE_SIZE);
	}
	return p;
}

static int md_write(void *ud, const void *buf, uint64_t len, uint64_t off, unsigned flags)
{
	struct fbx_memdisk *md = ud;
	const uint8_t *b = buf;
	FOR_PAGES(off, len, pg, po, n, done) {
		pslot *s = slot(md, pg, true);
		if (!s)
			return -ENOMEM;
		pthread_mutex_t *l = stripe(md, pg);
		pthread_mutex_lock(l);
		struct page *p = page_for_write(md, s);
		if (p)
			memcpy(p->data + po, b + done, n);
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
		pslot *s = slot(md, pg, keep);
		if (!s) {
			if (keep)
				return -ENOMEM;
			continue;       /* no chunk table: already zero */
		}
		pthread_mutex_t *l = stripe(md, pg);
		pthread_mutex_lock(l);
		int e = 0;
		if (n == PAGE_SIZE && !keep) {
			page_drop(md, s);
		} else if (peek(s) || keep) {
			struct page *p = page_for_write(md, s);
			if (p)
				memset(p->data + po, 0, n);
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
		_Atomic(pslot *) *d = &md->dir[pg >> CHUNK_SHIFT];
		if (!atomic_load_explicit(d, memory_order_acquire)) {
			/* a whole missing chunk table is one hole */
			next = ((pg >> CHUNK_SHIFT) + 1) << (CHUNK_SHIFT + PAGE_SHIFT);
			hole = true;
		} else {
			/* a snapshot without the lock: allocation may change
			 * right after the answer anyway */
			hole = atomic_load_explicit(slot(md, pg, false), memory_order_relaxed) == NULL;
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

/* The page an iovec of map points into (po: its offset in the page),
 * or NULL for the zero page. */
static struct page *iov_page(const struct iovec *v, uint64_t po)
{
	if ((const uint8_t *)v->iov_base == zero_page + po)
		return NULL;
	return (struct page *)((uint8_t *)v->iov_base - po - offsetof(struct page, data));
}

static int md_unmap(void *ud, const struct iovec *iov, int n, uint64_t len, uint64_t off,
                    unsigned flags)
{
	struct fbx_memdisk *md = ud;
	for (int i = 0; i < n; i++) {
		struct page *p = iov_page(&iov[i], i ? 0 : off & (PAGE_SIZE - 1));
		if (p)
			page_put(md, p);
	}
	return 0;
}

/* One iovec per page touched (so unmap finds each page again), each
 * page held by a reference, not a lock. */
static int md_map(void *ud, struct iovec *iov, int max, uint64_t len, uint64_t off,
                  unsigned flags)
{
	struct fbx_memdisk *md = ud;
	bool wr = flags & FBX_DEV_MAP_WRITE;
	int i = 0;
	if (((off & (PAGE_SIZE - 1)) + len + PAGE_SIZE - 1) >> PAGE_SHIFT > (uint64_t)max)
		return -ENOBUFS;
	FOR_PAGES(off, len, pg, po, n, done) {
		pslot *s = slot(md, pg, wr);
		struct page *p = NULL;
		if (s) {
			pthread_mutex_t *l = stripe(md, pg);
			pthread_mutex_lock(l);
			p = wr ? page_for_write(md, s) : peek(s);
			if (p)
				atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
			pthread_mutex_unlock(l);
		}
		if (!p && wr) {
			md_unmap(md, iov, i, len, off, flags);
			return -ENOMEM;
		}
		iov[i++] = (struct iovec){ p ? p->data + po : (void *)(zero_page + po), n };
	}
	return i;
}

const struct fbx_dev_ops fbx_memdisk_ops = {
	.read = md_read,
	.write = md_write,
	.flush = md_noop,
	.trim = md_trim,
	.write_zeroes = md_zero,
	.cache = md_cache,
	.extents = md_extents,
	.map = md_map,
	.unmap = md_unmap,
};
