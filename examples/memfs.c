/*
 * memfs -- a complete POSIX filesystem in memory, on the path API.
 *
 *   memfs [fusebox options] [-o size=N[KMGT]] MOUNTPOINT
 *   memfs -f -o allow_other,default_permissions /mnt/mem    (multi-user)
 *
 * Mounted with -o default_permissions the kernel checks every access
 * against the modes, owners and groups memfs reports; memfs only keeps
 * the data and applies changes, as a native filesystem's inode layer
 * would. New files get the caller's uid/gid (fbx_fs_context()), so it
 * behaves for every user as tmpfs does.
 *
 * Data model
 * ----------
 * An inode (struct mfs_inode) is the file: mode, owner, times, xattrs,
 * and by type either a page tree (regular file), an entry table
 * (directory) or a target string (symlink). Directory entries
 * (struct mfs_dirent) map a name to an inode; hard links are several
 * entries pointing at one inode, which counts them in nlink. st_ino is
 * a number given once per inode and never reused, so the path layer
 * presents every name of a hard-linked file as one kernel inode.
 *
 * An inode is freed when its last name is gone (nlink 0) and no open
 * handle holds it (open 0): an unlinked file stays readable through its
 * descriptors. Handles carry the inode pointer in fi->fh, so I/O on an
 * open file needs no path walk and works with a NULL path.
 *
 * File data lives in 4 KiB pages hung from a radix tree of 64-way nodes
 * indexed by page number, grown in height only as far as the highest
 * page: a 1 TB sparse file with one byte written costs one page and a
 * handful of nodes. A missing page is a hole and reads as zeros; bytes
 * past the file size are always zero, so growing a file never exposes
 * old data. st_blocks counts the pages present.
 *
 * Caching: memfs is the only writer of its files, so the kernel keeps
 * their pages across opens (keep_cache) and across our own writes (no
 * auto_inval_data), and by default gathers writes in its writeback
 * cache (mfs_init says what that costs; -o no_writeback_cache turns it
 * off). -o no_keep_cache drops the cache at each open, and so does a
 * strictatime mount: every open's reads then reach memfs, which dates
 * the file (touch_read); a read the kernel serves from its cache would
 * not.
 *
 * Locking
 * -------
 * One tree rwlock guards the namespace: directory tables, nlink, the
 * parent of directories, open counts and the inode list. Operations
 * that change names hold it for writing. Operations on one inode (I/O,
 * chmod, times, xattrs) hold it for reading plus that inode's mutex,
 * so reads and writes of different files run in parallel. The rule for
 * inode fields: written under the tree write lock, or under the read
 * lock plus the inode mutex; read under either. The write lock excludes
 * every mutex holder, so it needs no inode mutexes itself.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <sys/mount.h>
#include <sys/xattr.h>

#include <fusebox/fs.h>
#include <fusebox/size.h>

#define MFS_PAGE_SHIFT 12
#define MFS_PAGE       ((size_t)1 << MFS_PAGE_SHIFT)
#define MFS_FAN_SHIFT  6
#define MFS_FAN        (1u << MFS_FAN_SHIFT)
#define MFS_MAX_HEIGHT 9             /* 9 * 6 + 12 = 66 bits: all of off_t */
#define MFS_NAME_MAX   255
#define MFS_LINK_MAX   4095          /* longest symlink target */
#define MFS_DIR_SIZE   4096          /* reported size of any directory */
#define MFS_OFF_MAX    INT64_MAX

/* ---- data model ------------------------------------------------------ */

struct mfs_rnode {                   /* radix tree node */
	void *slot[MFS_FAN];         /* children, or pages at height 1 */
};

struct mfs_pages {
	void    *root;
	unsigned height;             /* root covers page indexes < FAN^height */
	uint64_t count;              /* pages present (st_blocks) */
};

struct mfs_dirent {
	struct mfs_dirent *next;     /* hash chain */
	struct mfs_inode  *node;
	size_t             len;
	char               name[];
};

struct mfs_dir {
	struct mfs_dirent **tab;     /* power-of-two hash table */
	size_t              cap, count;
	struct mfs_inode   *parent;  /* for "..": directories have one name */
};

struct mfs_xattr {
	struct mfs_xattr *next;
	char             *value;
	size_t            size;
	char              name[];
};

struct mfs_inode {
	pthread_mutex_t   lock;
	struct mfs_inode *prev, *next;   /* list of all inodes (teardown) */
	uint64_t          ino;
	mode_t            mode;
	nlink_t           nlink;
	unsigned          open;          /* handles from open/create/opendir */
	uid_t             uid;
	gid_t             gid;
	dev_t             rdev;
	off_t             size;          /* regular files and symlinks */
	struct timespec   atime, mtime, ctime;
	struct mfs_xattr *xattrs;
	union {
		struct mfs_pages pages;  /* S_IFREG */
		struct mfs_dir   dir;    /* S_IFDIR */
		char            *target; /* S_IFLNK */
	} u;
};

struct mfs {
	pthread_rwlock_t  tree;
	struct mfs_inode *root;
	struct mfs_inode *all;           /* every live inode */
	uint64_t          next_ino;
	uint64_t          inodes, max_inodes;
	uint64_t          max_pages;     /* -o size, in pages */
	atomic_uint_fast64_t used_pages; /* changed under different mutexes */
	unsigned long     mount_flags;   /* MS_NOATIME, MS_NODIRATIME, MS_STRICTATIME */
	bool              writeback;     /* unless -o no_writeback_cache */
	bool              no_keep_cache; /* -o no_keep_cache */
	bool              no_killpriv;   /* -o no_killpriv_v2 */
	bool              killpriv;      /* handle_killpriv_v2: the path layer clears suid/sgid */
};

static struct mfs *mfs_get(void)
{
	return fbx_fs_context()->private_data;
}

static void rd_lock(struct mfs *fs)   { pthread_rwlock_rdlock(&fs->tree); }
static void wr_lock(struct mfs *fs)   { pthread_rwlock_wrlock(&fs->tree); }
static void tree_unlock(struct mfs *fs) { pthread_rwlock_unlock(&fs->tree); }

/* ---- times ----------------------------------------------------------- */

enum { T_A = 1, T_M = 2, T_C = 4 };

static int timespec_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	return (a->tv_nsec > b->tv_nsec) - (a->tv_nsec < b->tv_nsec);
}

/* The time as Linux stamps files: its coarse clock (one tick). Finer
 * stamps would cost a round trip per written file under the writeback
 * cache: the kernel marks a file's times dirty, to be sent back in a
 * SETATTR, when its own clock differs from the mtime we reported at
 * create. */
static void now_ts(struct timespec *now)
{
	clock_gettime(CLOCK_REALTIME_COARSE, now);
}

static void touch(struct mfs_inode *n, int which)
{
	struct timespec now;

	now_ts(&now);
	if (which & T_A)
		n->atime = now;
	if (which & T_M)
		n->mtime = now;
	if (which & T_C)
		n->ctime = now;
}

/* See "Caching" above. */
static bool keep_cache(const struct mfs *fs)
{
	return !fs->no_keep_cache && !(fs->mount_flags & MS_STRICTATIME);
}

/* A read (read, readdir, readlink) as the kernel dates it on a native
 * file system: the kernel leaves atime to a FUSE server, so the mount's
 * atime options are ours to keep. noatime (nodiratime for directories):
 * never; strictatime: always; the default, relatime: only when atime is
 * not newer than mtime or ctime, or is a day old. Caller holds n->lock. */
static void touch_read(struct mfs *fs, struct mfs_inode *n)
{
	struct timespec now;
	unsigned long f = fs->mount_flags;

	if ((f & MS_NOATIME) || ((f & MS_NODIRATIME) && S_ISDIR(n->mode)))
		return;
	now_ts(&now);
	if (!(f & MS_STRICTATIME) &&
	    timespec_cmp(&n->atime, &n->mtime) > 0 && timespec_cmp(&n->atime, &n->ctime) > 0 &&
	    now.tv_sec - n->atime.tv_sec < 24 * 3600)
		return;
	n->atime = now;
}

/* ---- pages: the radix tree of a regular file ------------------------- */

/* Space is reserved before a page is allocated, so concurrent writers
 * to different files can never overshoot -o size together. */
static int space_take(struct mfs *fs)
{
	if (atomic_fetch_add(&fs->used_pages, 1) >= fs->max_pages) {
		atomic_fetch_sub(&fs->used_pages, 1);
		return -ENOSPC;
	}
	return 0;
}

static char *page_find(const struct mfs_pages *p, uint64_t idx)
{
	void *n = p->root;

	if (!n || (idx >> (p->height * MFS_FAN_SHIFT)) != 0)
		return NULL;
	for (unsigned h = p->height; h > 0 && n; h--)
		n = ((struct mfs_rnode *)n)->slot[(idx >> ((h - 1) * MFS_FAN_SHIFT)) & (MFS_FAN - 1)];
	return n;
}

/* The page at idx, allocated if it is a hole: zeroed, unless the caller
 * is about to overwrite all of it (`whole`). */
static int page_get(struct mfs *fs, struct mfs_pages *p, uint64_t idx, int whole,
                    char **out)
{
	void **slot;

	while (p->height == 0 || (idx >> (p->height * MFS_FAN_SHIFT)) != 0) {
		struct mfs_rnode *top = calloc(1, sizeof *top);
		if (!top)
			return -ENOMEM;
		top->slot[0] = p->root;
		p->root = top;
		p->height++;
	}
	slot = &p->root;
	for (unsigned h = p->height; h > 0; h--) {
		slot = &((struct mfs_rnode *)*slot)->slot[(idx >> ((h - 1) * MFS_FAN_SHIFT)) & (MFS_FAN - 1)];
		if (*slot)
			continue;
		if (h > 1) {
			if (!(*slot = calloc(1, sizeof(struct mfs_rnode))))
				return -ENOMEM;
		} else {
			if (space_take(fs) < 0)
				return -ENOSPC;
			*slot = whole ? malloc(MFS_PAGE) : calloc(1, MFS_PAGE);
			if (!*slot) {
				atomic_fetch_sub(&fs->used_pages, 1);
				return -ENOMEM;
			}
			p->count++;
		}
	}
	*out = *slot;
	return 0;
}

/* Free the pages first..last under the node at *slot (height h, first
 * page index base); empty nodes go too. Returns 1 if *slot is now empty. */
static int pages_drop(struct mfs *fs, struct mfs_pages *p, void **slot, unsigned h,
                      uint64_t base, uint64_t first, uint64_t last)
{
	struct mfs_rnode *n = *slot;
	uint64_t span = (uint64_t)1 << ((h - 1) * MFS_FAN_SHIFT);
	int empty = 1;

	for (unsigned i = 0; i < MFS_FAN; i++) {
		uint64_t lo = base + i * span, hi = lo + (span - 1);
		if (!n->slot[i])
			continue;
		if (hi < first || lo > last) {
			empty = 0;
		} else if (h == 1) {
			free(n->slot[i]);
			n->slot[i] = NULL;
			p->count--;
			atomic_fetch_sub(&fs->used_pages, 1);
		} else if (!pages_drop(fs, p, &n->slot[i], h - 1, lo, first, last)) {
			empty = 0;
		}
	}
	if (empty) {
		free(n);
		*slot = NULL;
	}
	return empty;
}

static void pages_free_range(struct mfs *fs, struct mfs_pages *p, uint64_t first, uint64_t last)
{
	if (p->root && first <= last && pages_drop(fs, p, &p->root, p->height, 0, first, last))
		p->height = 0;
}

/* First page index >= idx that is present (data), or UINT64_MAX. */
static uint64_t page_next_data(const void *node, unsigned h, uint64_t base, uint64_t idx)
{
	const struct mfs_rnode *n = node;
	uint64_t span = (uint64_t)1 << ((h - 1) * MFS_FAN_SHIFT);

	for (unsigned i = 0; i < MFS_FAN; i++) {
		uint64_t lo = base + i * span, found;
		if (!n->slot[i] || lo + (span - 1) < idx)
			continue;
		if (h == 1)
			return lo;
		found = page_next_data(n->slot[i], h - 1, lo, idx);
		if (found != UINT64_MAX)
			return found;
	}
	return UINT64_MAX;
}

/* Zero bytes [from, to) of the file, both inside one page. */
static void page_zero(struct mfs_pages *p, off_t from, off_t to)
{
	char *pg = page_find(p, (uint64_t)from >> MFS_PAGE_SHIFT);

	if (pg && to > from)
		memset(pg + (from & (MFS_PAGE - 1)), 0, (size_t)(to - from));
}

/* Make [off, end) read as zeros, freeing the whole pages inside it. */
static void file_punch(struct mfs *fs, struct mfs_inode *n, off_t off, off_t end)
{
	off_t first_full = (off + (off_t)MFS_PAGE - 1) & ~(off_t)(MFS_PAGE - 1);
	off_t last_full = end & ~(off_t)(MFS_PAGE - 1);

	if (first_full >= last_full) {          /* within one or two pages */
		off_t mid = first_full < end ? first_full : end;
		page_zero(&n->u.pages, off, mid);
		if (mid < end)
			page_zero(&n->u.pages, mid, end);
		return;
	}
	page_zero(&n->u.pages, off, first_full);
	page_zero(&n->u.pages, last_full, end);
	pages_free_range(fs, &n->u.pages, (uint64_t)first_full >> MFS_PAGE_SHIFT,
	                 ((uint64_t)last_full >> MFS_PAGE_SHIFT) - 1);
}

static int file_resize(struct mfs *fs, struct mfs_inode *n, off_t size)
{
	if (size < 0)
		return -EINVAL;
	if (size < n->size) {
		/* Keep the invariant "past the end reads zero". */
		page_zero(&n->u.pages, size, (size + (off_t)MFS_PAGE - 1) & ~(off_t)(MFS_PAGE - 1));
		pages_free_range(fs, &n->u.pages,
		                 ((uint64_t)size + MFS_PAGE - 1) >> MFS_PAGE_SHIFT, UINT64_MAX);
	}
	n->size = size;
	return 0;
}

/* ---- inodes ---------------------------------------------------------- */

/* The caller's own or supplementary group (any number of them). */
static int in_group(gid_t gid)
{
	struct fbx_fs_context *ctx = fbx_fs_context();

	if (ctx->gid == gid)
		return 1;
	return ctx->req && fbx_ctx_in_group(fbx_req_ctx(ctx->req), gid);
}

/* Owner of a new node as a native filesystem sets it (BSD group
 * semantics under a set-group-ID directory). Only called for new nodes. */
static void set_owner(struct mfs_inode *n, const struct mfs_inode *dir)
{
	struct fbx_fs_context *ctx = fbx_fs_context();

	n->uid = ctx->uid;
	n->gid = ctx->gid;
	if (dir && (dir->mode & S_ISGID)) {
		n->gid = dir->gid;
		if (S_ISDIR(n->mode))
			n->mode |= S_ISGID;
	}
	/* A non-member may not hand out its group's set-gid rights. */
	if (!S_ISDIR(n->mode) && (n->mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) &&
	    ctx->uid != 0 && !in_group(n->gid))
		n->mode &= ~S_ISGID;
}

/* Write lock held. */
static int inode_new(struct mfs *fs, mode_t mode, const struct mfs_inode *dir,
                     struct mfs_inode **out)
{
	struct mfs_inode *n;

	if (fs->inodes >= fs->max_inodes)
		return -ENOSPC;
	if (!(n = calloc(1, sizeof *n)))
		return -ENOMEM;
	pthread_mutex_init(&n->lock, NULL);
	n->ino = fs->next_ino++;
	n->mode = mode;
	n->nlink = S_ISDIR(mode) ? 2 : 1;
	set_owner(n, dir);
	touch(n, T_A | T_M | T_C);
	n->next = fs->all;
	if (fs->all)
		fs->all->prev = n;
	fs->all = n;
	fs->inodes++;
	*out = n;
	return 0;
}

static void inode_free(struct mfs *fs, struct mfs_inode *n)
{
	struct mfs_xattr *x, *xn;

	if (S_ISREG(n->mode))
		pages_free_range(fs, &n->u.pages, 0, UINT64_MAX);
	else if (S_ISDIR(n->mode))
		free(n->u.dir.tab);      /* entries are gone: only empty dirs die */
	else if (S_ISLNK(n->mode))
		free(n->u.target);
	for (x = n->xattrs; x; x = xn) {
		xn = x->next;
		free(x->value);
		free(x);
	}
	if (n->prev)
		n->prev->next = n->next;
	else
		fs->all = n->next;
	if (n->next)
		n->next->prev = n->prev;
	fs->inodes--;
	pthread_mutex_destroy(&n->lock);
	free(n);
}

/* Write lock held: free n once nothing names or holds it. */
static void inode_put(struct mfs *fs, struct mfs_inode *n)
{
	if (n->nlink == 0 && n->open == 0)
		inode_free(fs, n);
}

static void fill_stat(const struct mfs_inode *n, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = n->ino;
	st->st_mode = n->mode;
	st->st_nlink = n->nlink;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_rdev = n->rdev;
	st->st_blksize = MFS_PAGE;
	if (S_ISREG(n->mode)) {
		st->st_size = n->size;
		st->st_blocks = (blkcnt_t)(n->u.pages.count * (MFS_PAGE / 512));
	} else if (S_ISDIR(n->mode)) {
		st->st_size = MFS_DIR_SIZE;
	} else if (S_ISLNK(n->mode)) {
		st->st_size = n->size;
	}
	st->st_atim = n->atime;
	st->st_mtim = n->mtime;
	st->st_ctim = n->ctime;
}

/* ---- directories ----------------------------------------------------- */

static size_t name_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;         /* FNV-1a */

	while (len--)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return (size_t)h;
}

/* The link where `name` is, or would be appended; NULL if no table. */
static struct mfs_dirent **dir_slot(const struct mfs_dir *d, const char *name, size_t len)
{
	struct mfs_dirent **pp;

	if (!d->cap)
		return NULL;
	pp = &d->tab[name_hash(name, len) & (d->cap - 1)];
	while (*pp && ((*pp)->len != len || memcmp((*pp)->name, name, len) != 0))
		pp = &(*pp)->next;
	return pp;
}

static struct mfs_inode *dir_find(const struct mfs_dir *d, const char *name, size_t len)
{
	struct mfs_dirent **pp = dir_slot(d, name, len);

	return pp && *pp ? (*pp)->node : NULL;
}

static int dir_grow(struct mfs_dir *d)
{
	size_t cap = d->cap ? d->cap * 2 : 8;
	struct mfs_dirent **tab = calloc(cap, sizeof *tab);

	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < d->cap; i++) {
		struct mfs_dirent *e = d->tab[i], *next;
		for (; e; e = next) {
			size_t b = name_hash(e->name, e->len) & (cap - 1);
			next = e->next;
			e->next = tab[b];
			tab[b] = e;
		}
	}
	free(d->tab);
	d->tab = tab;
	d->cap = cap;
	return 0;
}

/* Add a name known to be absent. */
static int dir_add(struct mfs_dir *d, const char *name, size_t len, struct mfs_inode *n)
{
	struct mfs_dirent *e, **pp;

	if (d->count >= d->cap && dir_grow(d) < 0)
		return -ENOMEM;
	if (!(e = malloc(sizeof *e + len + 1)))
		return -ENOMEM;
	e->next = NULL;
	e->node = n;
	e->len = len;
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	pp = dir_slot(d, name, len);
	*pp = e;
	d->count++;
	return 0;
}

static void dir_del(struct mfs_dir *d, const char *name, size_t len)
{
	struct mfs_dirent **pp = dir_slot(d, name, len), *e = pp ? *pp : NULL;

	if (e) {
		*pp = e->next;
		free(e);
		d->count--;
	}
}

static void dir_set(struct mfs_dir *d, const char *name, size_t len, struct mfs_inode *n)
{
	(*dir_slot(d, name, len))->node = n;
}

/* ---- path resolution ------------------------------------------------- */

/* Walk the first len bytes of an absolute path from the root. */
static int walk(struct mfs *fs, const char *path, size_t len, struct mfs_inode **out)
{
	struct mfs_inode *cur = fs->root;
	const char *p = path, *end = path + len;

	while (p < end) {
		const char *c;
		while (p < end && *p == '/')
			p++;
		if (p == end)
			break;
		for (c = p; c < end && *c != '/'; c++)
			;
		if ((size_t)(c - p) > MFS_NAME_MAX)
			return -ENAMETOOLONG;
		if (!S_ISDIR(cur->mode))
			return -ENOTDIR;
		if (!(cur = dir_find(&cur->u.dir, p, (size_t)(c - p))))
			return -ENOENT;
		p = c;
	}
	*out = cur;
	return 0;
}

static int lookup(struct mfs *fs, const char *path, struct mfs_inode **out)
{
	return path ? walk(fs, path, strlen(path), out) : -ENOENT;
}

/* The inode of an open handle if there is one, else of the path. */
static int resolve(struct mfs *fs, const char *path, struct fbx_file_info *fi,
                   struct mfs_inode **out)
{
	if (fi && fi->fh) {
		*out = (struct mfs_inode *)(uintptr_t)fi->fh;
		return 0;
	}
	return lookup(fs, path, out);
}

/* Split path into its directory (which must exist) and last name. */
struct mfs_where {
	struct mfs_inode *dir;
	const char       *name;
	size_t            len;
};

static int locate(struct mfs *fs, const char *path, struct mfs_where *w)
{
	const char *slash = strrchr(path, '/');
	int err;

	if (!slash)
		return -EINVAL;
	w->name = slash + 1;
	w->len = strlen(w->name);
	if (w->len == 0)
		return -EBUSY;                  /* the root itself */
	if (w->len > MFS_NAME_MAX)
		return -ENAMETOOLONG;
	if ((err = walk(fs, path, (size_t)(slash - path), &w->dir)) < 0)
		return err;
	return S_ISDIR(w->dir->mode) ? 0 : -ENOTDIR;
}

static struct mfs_inode *where_node(const struct mfs_where *w)
{
	return dir_find(&w->dir->u.dir, w->name, w->len);
}

/* ---- getattr, readlink, readdir -------------------------------------- */

static int mfs_fgetattr(const char *path, struct stat *st, struct fbx_file_info *fi)
{
	struct mfs *fs = mfs_get();
	struct mfs_inode *n;
	int err;

	rd_lock(fs);
	if ((err = resolve(fs, path, fi, &n)) == 0) {
		pthread_mutex_lock(&n->lock);
		fill_stat(n, st);
		pthread_mutex_unlock(&n->lock);
	}
	tree_unlock(fs);
	return err;
}

static int mfs_getattr(const char *path, struct stat *st)
{
	return mfs_fgetattr(path, st, NULL);
}

static int mfs_readlink(const char *path, char *buf, size_t size)
{
	struct mfs *fs = mfs_get();
	struct mfs_inode *n;
	int err;

	if (size == 0)
		return -EINVAL;
	rd_lock(fs);
	if ((err = lookup(fs, path, &n)) == 0 && !S_ISLNK(n->mode))
		err = -EINVAL;
	if (err == 0) {
		pthread_mutex_lock(&n->lock);
		snprintf(buf, size, "%s", n->u.target);
		touch_read(fs, n);
		pthread_mutex_unlock(&n->lock);
	}
	tree_unlock(fs);
	return err;
}

static int mfs_opendir(const char *path, struct fbx_file_info *fi)
{
	struct mfs *fs = mfs_get();
	struct mfs_inode *n;
	int err;

	rd_lock(fs);
	if ((err = lookup(fs, path, &n)) == 0 && !S_ISDIR(n->mode))
		err = -ENOTDIR;
	if (err == 0) {
		pthread_mutex_lock(&n->lock);
		n->open++;
		pthread_mutex_unlock(&n->lock);
		fi->fh = (uintptr_t)n;
	}
	tree_unlock(fs);
	return err;
}

static void dirent_stat(const struct mfs_inode *n, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = n->ino;
	st->st_mode = n->mode & S_IFMT;
}

static int mfs_readdir(const char *path, void *buf, fbx_fill_dir_t filler, off_t off,
                       struct fbx_file_info *fi)
{
	struct mfs *fs = mfs_get();
	struct mfs_inode *d;
	struct stat st;
	int err, full;

	rd_lock(fs);
	if ((err = resolve(fs, path, fi, &d)) == 0 && !S_ISDIR(d->mode))
		err = -ENOTDIR;
	if (err < 0)
		goto out;
	/* Offsets 0: the library snapshots and pages the listing. */
	dirent_stat(d, &st);
	full = filler(buf, ".", &st, 0);
	dirent_stat(d->u.dir.parent ? d->u.dir.parent : d, &st);
	full = full || filler(buf, "..", &st, 0);
	for (size_t i = 0; i < d->u.dir.cap && !full; i++) {
		for (struct mfs_dirent *e = d->u.dir.tab[i]; e && !full; e = e->next) {
			dirent_stat(e->node, &st);
			full = filler(buf, e->name, &st, 0);
		}
	}
	pthread_mutex_lock(&d->lock);
	touch_read(fs, d);
	pthread_mutex_unlock(&d->lock);
out:
	tree_unlock(fs);
	return err;
}

/* ---- creating names -------------------------------------------------- */

/* Write lock held: a new node of `mode` named by path, linked in. */
static int make_node(struct mfs *fs, const char *path, mode_t mode, struct mfs_inode **out)
{
	struct mfs_where w;
	struct mfs_inode *n;
	int err;

	if ((err = locate(fs, path, &w)) < 0)
		return err;
	if (where_node(&w))
		return -EEXIST;
	if ((err = inode_new(fs, mode, w.dir, &n)) < 0)
		return err;
	if (S_ISDIR(mode))
		n->u.dir.parent = w.dir;
	if ((err = dir_add(&w.dir->u.dir, w.name, w.len, n)) < 0) {
		n->nlink = 0;
		inode_free(fs, n);
		return err;
	}
	if (S_ISDIR(mode))
		w.dir->nlink++;
	touch(w.dir, T_M | T_C);
	*out = n;
	return 0;
}

static int mfs_mknod(const char *path, mode_t mode, dev_t rdev)
{
	struct mfs *fs = mfs_get();
	struct mfs_inode *n;
	int err;

	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFIFO: case S_IFSOCK: case S_IFCHR: case S_IFBLK:
		break;
	default:
		return -EINVAL;
	}
	wr_lock(fs);
	if ((err = make_node(fs, path, mode & (S_IFMT | 07777), &n)) == 0 &&
	    (S_ISCHR(mode) || S_ISBLK(mode)))
		n->rdev = rdev;
	tree_unlock(fs);
	return err;
}

static int mfs_mkdir(const char *path, mode_t mode)
{
	struct mfs *fs = mfs_get();
	struct mfs_inode *n;
	int err;

	wr_lock(fs);
	err = make_node(fs, path, S_IFDIR | (mode & 07777), &n);
	tree_unlock(fs);
	return err;
}

static int mfs_symlink(const char *target, const char *path)
{
	struct mfs *fs = mfs_get();
	struct mfs_inode *n;
	size_t len = strlen(target);
	char *copy;
	int err;

	if (len > MFS_LINK_MAX)
		return -ENAMETOOLONG;
	if (!(copy = strdup(target)))
		return -ENOMEM;
	wr_lock(fs);
	if ((err = make_node(fs, path, S_IFLNK | 0777, &n)) == 0) {
		n->u.target = copy;
		n->size = (off_t)len;
		copy = NULL;
	}
	tree_unlock(fs);
	free(copy);
	return err;
}

static int mfs_link(const char *from, const char *to)
{
	struct mfs *fs = mfs_get();
	struct mfs_inode *n;
	struct mfs_where w;
	int err;

	wr_lock(fs);
	if ((err = lookup(fs, from, &n)) < 0 || (err = locate(fs, to, &w)) < 0)
		goto out;
	if (S_ISDIR(n->mode))
		err = -EPERM;
	else if (where_node(&w))
		err = -EEXIST;
	else if ((err = dir_add(&w.dir->u.dir, w.name, w.len, n)) == 0) {
		n->nlink++;
		touch(n, T_C);
		touch(w.dir, T_M | T_C);
	}
out:
	tree_unlock(fs);
	return err;
}

/* ---- removing names -------------------------------------------------- */

/* Write lock held: n loses one name in dir (already off its table). */
static void drop_link(struct mfs *fs, struct mfs_inode *dir, struct mfs_inode *n)
{
	if (S_ISDIR(n->mode)) {
		/* Still open maybe, but its parent may go before it does. */
		n->nlink = 0;
		n->u.dir.parent = NULL;
		dir->nlink--;
	} else {
		n->nlink--;
	}
	touch(n, T_C);
	inode_put(fs, n);
}

static void unlink_entry(struct mfs *fs, struct mfs_where *w, struct mfs_inode *n)
{
	dir_del(&w->dir->u.dir, w->name, w->len);
	touch(w->dir, T_M | T_C);
	drop_link(fs, w->dir, n);
}

static int remove_name(const char *path, int want_dir)
{
	struct mfs *fs = mfs_get();
	struct mfs_inode *n;
	struct mfs_where w;
	int err;

	wr_lock(fs);
	if ((err = locate(fs, path, &w)) < 0)
		goto out;
	if (!(n = where_node(&w)))
		err = -ENOENT;
	else if (want_dir && !S_ISDIR(n->mode))
		err = -ENOTDIR;
	else if (!want_dir && S_ISDIR(n->mode))
		err = -EISDIR;
	else if (want_dir && n->u.dir.count)
		err = -ENOTEMPTY;
	else
		unlink_entry(fs, &w, n);
out:
	tree_unlock(fs);
	return err;
}

static int mfs_unlink(const char *path) { return remove_name(path, 0); }
static int mfs_rmdir(const char *path)  { return remove_name(path, 1); }

/* ---- rename ---------------------------------------------------------- */

/* Is directory d `a` itself or inside it? */
static int is_within(const struct mfs_inode *d, const struct mfs_inode *a)
{
	for (; d; d = d->u.dir.parent)
		if (d == a)
			return 1;
	return 0;
}

static int rename_check(const struct mfs_where *s, struct mfs_inode *src,
                        const struct mfs_where *d, struct mfs_inode *dst, unsigned flags)
{
	if (flags & FBX_RENAME_EXCHANGE) {
		if (!dst)
			return -ENOENT;
		if (S_ISDIR(src->mode) && src != dst && is_within(d->dir, src))
			return -EINVAL;
		if (S_ISDIR(dst->mode) && src != dst && is_within(s->dir, dst))
			return -EINVAL;
		return 0;
	}
	if (dst && (flags & FBX_RENAME_NOREPLACE))
		return -EEXIST;
	if (S_ISDIR(src->mode) && is_within(d->dir, src))
		return -EINVAL;
	if (!dst || dst == src)
		return 0;
	if (S_ISDIR(src->mode) && !S_ISDIR(dst->mode))
		return -ENOTDIR;
	if (!S_ISDIR(src->mode) && S_ISDIR(dst->mode))
		return -EISDIR;
	if (S_ISDIR(dst->mode) && dst->u.dir.count)
		return -ENOTEMPTY;
	return 0;
}

/* A directory changing parent moves its ".." link count along. */
static void reparent(struct mfs_inode *n, struct mfs_inode *from, struct mfs_inode *to)
{
	if (!S_ISDIR(n->mode) || from == to)
		return;
	from->nlink--;
	to->nlink++;
	n->u.dir.parent = to;
}

static int rename_move(struct mfs *fs, struct mfs_where *s, struct mfs_inode *src,
                       struct mfs_where *d, struct mfs_inode *dst)
{
	int err;

	if (dst) {
		/* src takes over the replaced entry, which loses its name. */
		dir_set(&d->dir->u.dir, d->name, d->len, src);
		drop_link(fs, d->dir, dst);
	} else if ((err = dir_add(&d->dir->u.dir, d->name, d->len, src)) < 0) {
		return err;
	}
	dir_del(&s->dir->u.dir, s->name, s->len);
	reparent(src, s->dir, d->dir);
	return 0;
}

static void rename_exchange(struct mfs_where *s, struct mfs_inode *src,
                            struct mfs_where *d, struct mfs_inode *dst)
{
	dir_set(&s->dir->u.dir, s->name, s->len, dst);
	dir_set(&d->dir->u.dir, d->name, d->len, src);
	reparent(src, s->dir, d->dir);
	reparent(dst, d->dir, s->dir);
	touch(dst, T_C);
}

static int mfs_rename(const char *from, const char *to, unsigned int flags)
{
	struct mfs *fs = mfs_get();
	struct mfs_inode *src, *dst;
	struct mfs_where s, d;
	int err;

	if ((flags & ~(FBX_RENAME_NOREPLACE | FBX_RENAME_EXCHANGE)) ||
	    (flags & FBX_RENAME_NOREPLACE && flags & FBX_RENAME_EXCHANGE))
		return -EINVAL;
	wr_lock(fs);
	if ((err = locate(fs, from, &s)) < 0 || (err = locate(fs, to, &d)) < 0)
		goto out;
	if (!(src = where_node(&s))) {
		err = -ENOENT;
		goto out;
	}
	dst = where_node(&d);
	/* Two names of one file: POSIX says do nothing, successfully. */
	if ((err = rename_check(&s, src, &d, dst, flags)) < 0 || src == dst)
		goto out;
	if (flags & FBX_RENAME_EXCHANGE)
		rename_exchange(&s, src, &d, dst);
	else if ((err = rename_move(fs, &s, src, &d, dst)) < 0)
		goto out;
	touch(src, T_C);
	touch(s.dir, T_M | T_C);
	touch(d.dir, T_M | T_C);
out:
	tree_unlock(fs);
	return err;
}

/* ---- attributes ------------------------------------------------------ */

/* Run fn on the inode of path (or fi) with the read lock and its mutex. */
static int with_inode(const char *path, struct fbx_file_info *fi,
                      int (*fn)(struct mfs *, struct mfs_inode *, const void *),
                      const void *arg)
{
	struct mfs *fs = mfs_get();
	struct mfs_inode *n;
	int err;

	rd_lock(fs);
	if ((err = resolve(fs, path, fi, &n)) == 0) {
		pthread_mutex_lock(&n->lock);
		err = fn(fs, n, arg);
		pthread_mutex_unlock(&n->lock);
	}
	tree_unlock(fs);
	return err;
}

/* Linux drops set-user-ID (and set-group-ID when it means "setgid",
 * i.e. with group execute) when someone without CAP_FSETID modifies a
 * file, so a changed binary cannot keep running with its owner's rights. */
static void kill_suid(struct mfs_inode *n)
{
	n->mode &= ~(mode_t)S_ISUID;
	if ((n->mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
		n->mode &= ~(mode_t)S_ISGID;
}

static int caller_is_root(void)
{
	return fbx_fs_context()->uid == 0;
}

static int do_chmod(struct mfs *fs, struct mfs_inode *n, const void *arg)
{
	n->mode = (n->mode & S_IFMT) | (*(const mode_t *)arg & 07777);
	touch(n, T_C);
	return 0;
}

static int mfs_chmod(const char *path, mode_t mode)
{
	return with_inode(path, NULL, do_chmod, &mode);
}

/* The f* variants: an open file's or directory's handle is its inode,
 * so they answer also when its name is gone (path NULL). */
static int mfs_fchmod(const char *path, mode_t mode, struct fbx_file_info *fi)
{
	return with_inode(path, fi, do_chmod, &mode);
}

struct mfs_owner { uid_t uid; gid_t gid; };

static int do_chown(struct mfs *fs, struct mfs_inode *n, const void *arg)
{
	const struct mfs_owner *o = arg;

	if (o->uid != (uid_t)-1)
		n->uid = o->uid;
	if (o->gid != (gid_t)-1)
		n->gid = o->gid;
	/* As Linux does for every caller (chown_common), root included. */
	if (!S_ISDIR(n->mode))
		kill_suid(n);
	touch(n, T_C);
	return 0;
}

static int mfs_chown(const char *path, uid_t uid, gid_t gid)
{
	struct mfs_owner o = { uid, gid };

	return with_inode(path, NULL, do_chown, &o);
}

static int mfs_fchown(const char *path, uid_t uid, gid_t gid, struct fbx_file_info *fi)
{
	struct mfs_owner o = { uid, gid };

	return with_inode(path, fi, do_chown, &o);
}

static int do_truncate(struct mfs *fs, struct mfs_inode *n, const void *arg)
{
	int err;

	if (S_ISDIR(n->mode))
		return -EISDIR;
	if (!S_ISREG(n->mode))
		return -EINVAL;
	if ((err = file_resize(fs, n, *(const off_t *)arg)) < 0)
		return err;
	if (!caller_is_root())
		kill_suid(n);
	touch(n, T_M | T_C);
	return 0;
}

static int mfs_ftruncate(const char *path, off_t size, struct fbx_file_info *fi)
{
	return with_inode(path, fi, do_truncate, &size);
}

static int mfs_truncate(const char *path, off_t size)
{
	return with_inode(path, NULL, do_truncate, &size);
}

static void set_time(struct timespec *t, const struct timespec *v, const struct timespec *now)
{
	if (v->tv_nsec == UTIME_NOW)
		*t = *now;
	else if (v->tv_nsec != UTIME_OMIT)
		*t = *v;
}

static int do_utimens(struct mfs *fs, struct mfs_inode *n, const void *arg)
{
	const struct timespec *tv = arg;
	struct timespec now;

	now_ts(&now);
	set_time(&n->atime, &tv[0], &now);
	set_time(&n->mtime, &tv[1], &now);
	n->ctime = now;
	return 0;
}

static int mfs_utimens(const char *path, const struct timespec tv[2])
{
	static const struct timespec both_now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };

	return with_inode(path, NULL, do_utimens, tv ? tv : both_now);
}

static int mfs_futimens(const char *path, const struct timespec tv[2], struct fbx_file_info *fi)
{
	return with_inode(path, fi, do_utimens, tv);
}

/* ---- open files and I/O ---------------------------------------------- */

static int do_open(struct mfs *fs, struct mfs_inode *n, const void *arg)
{
	struct fbx_file_info *fi = (struct fbx_file_info *)arg;
	int err;

	/* Linux truncates on O_TRUNC even with O_RDONLY (write permission
	 * was checked by the kernel). */
	if ((fi->flags & O_TRUNC) && S_ISREG(n->mode)) {
		off_t zero = 0;
		if ((err = do_truncate(fs, n, &zero)) < 0)
			return err;
	}
	n->open++;
	fi->fh = (uintptr_t)n;
	/* Every change passes through this kernel's cache: keep it. */
	fi->keep_cache = keep_cache(fs);
	return 0;
}

static int mfs_open(const char *path, struct fbx_file_info *fi)
{
	fi->fh = 0;
	return with_inode(path, NULL, do_open, fi);
}

static int mfs_create(const char *path, mode_t mode, struct fbx_file_info *fi)
{
	struct mfs *fs = mfs_get();
	struct mfs_inode *n;
	int err;

	wr_lock(fs);
	if ((err = make_node(fs, path, S_IFREG | (mode & 07777), &n)) == 0) {
		n->open++;
		fi->fh = (uintptr_t)n;
		fi->keep_cache = keep_cache(fs);
	}
	tree_unlock(fs);
	return err;
}

/* Drop the handle's reference; the last one frees an unlinked inode.
 * Most closes leave a named file, so the read lock and the inode's
 * mutex do (a close does not stall every other file's I/O). An inode
 * with no name and no handle left is out of everyone's reach, so the
 * one release that sees both counts reach 0 frees it, alone, under the
 * write lock; an unlink after our section frees it itself. */
static int mfs_release(const char *path, struct fbx_file_info *fi)
{
	struct mfs *fs = mfs_get();
	struct mfs_inode *n = (struct mfs_inode *)(uintptr_t)fi->fh;
	bool last;

	(void)path;
	if (!n)
		return 0;
	rd_lock(fs);
	pthread_mutex_lock(&n->lock);
	last = --n->open == 0 && n->nlink == 0;
	pthread_mutex_unlock(&n->lock);
	tree_unlock(fs);
	if (last) {
		wr_lock(fs);
		inode_free(fs, n);
		tree_unlock(fs);
	}
	return 0;
}

struct mfs_io {
	char       *buf;
	size_t      size;
	off_t       off;
	int         writepage;
};

static int do_read(struct mfs *fs, struct mfs_inode *n, const void *arg)
{
	const struct mfs_io *io = arg;
	size_t done = 0, size = io->size;

	if (S_ISDIR(n->mode))
		return -EISDIR;
	if (!S_ISREG(n->mode))
		return -EINVAL;
	if (io->off >= n->size)
		size = 0;
	else if ((off_t)size > n->size - io->off)
		size = (size_t)(n->size - io->off);
	while (done < size) {
		off_t pos = io->off + (off_t)done;
		size_t in = pos & (MFS_PAGE - 1), chunk = MFS_PAGE - in;
		const char *pg = page_find(&n->u.pages, (uint64_t)pos >> MFS_PAGE_SHIFT);
		if (chunk > size - done)
			chunk = size - done;
		if (pg)
			memcpy(io->buf + done, pg + in, chunk);
		else
			memset(io->buf + done, 0, chunk);       /* a hole */
		done += chunk;
	}
	touch_read(fs, n);
	return (int)done;
}

static int mfs_read(const char *path, char *buf, size_t size, off_t off,
                    struct fbx_file_info *fi)
{
	struct mfs_io io = { buf, size, off, 0 };

	if (off < 0)
		return -EINVAL;
	if (size > INT_MAX)
		io.size = INT_MAX & ~(MFS_PAGE - 1);
	return with_inode(path, fi, do_read, &io);
}

static int do_write(struct mfs *fs, struct mfs_inode *n, const void *arg)
{
	const struct mfs_io *io = arg;
	size_t done = 0;
	int err = 0;

	if (!S_ISREG(n->mode))
		return S_ISDIR(n->mode) ? -EISDIR : -EINVAL;
	if (io->off > MFS_OFF_MAX - (off_t)io->size)
		return -EFBIG;
	while (done < io->size) {
		off_t pos = io->off + (off_t)done;
		size_t in = pos & (MFS_PAGE - 1), chunk = MFS_PAGE - in;
		char *pg;
		if (chunk > io->size - done)
			chunk = io->size - done;
		if ((err = page_get(fs, &n->u.pages, (uint64_t)pos >> MFS_PAGE_SHIFT,
		                    chunk == MFS_PAGE, &pg)) < 0)
			break;
		memcpy(pg + in, io->buf + done, chunk);
		done += chunk;
	}
	if (done == 0)
		return err;
	if (io->off + (off_t)done > n->size)
		n->size = io->off + (off_t)done;
	/* Delayed writeback runs as whoever flushes, not the writer. */
	if (!fs->killpriv && !io->writepage && !caller_is_root())
		kill_suid(n);
	touch(n, T_M | T_C);
	return (int)done;
}

static int mfs_write(const char *path, const char *buf, size_t size, off_t off,
                     struct fbx_file_info *fi)
{
	struct mfs_io io = { (char *)buf, size, off, fi && fi->writepage };

	if (off < 0)
		return -EINVAL;
	if (size > INT_MAX)
		io.size = INT_MAX & ~(MFS_PAGE - 1);
	return with_inode(path, fi, do_write, &io);
}

/* ---- fallocate, SEEK_DATA / SEEK_HOLE -------------------------------- */

struct mfs_falloc { int mode; off_t off, len; };

static int falloc_alloc(struct mfs *fs, struct mfs_inode *n, off_t off, off_t end)
{
	uint64_t last = ((uint64_t)end - 1) >> MFS_PAGE_SHIFT;
	char *pg;
	int err;

	for (uint64_t i = (uint64_t)off >> MFS_PAGE_SHIFT; i <= last; i++)
		if ((err = page_get(fs, &n->u.pages, i, 0, &pg)) < 0)
			return err;
	return 0;
}

static int do_fallocate(struct mfs *fs, struct mfs_inode *n, const void *arg)
{
	const struct mfs_falloc *f = arg;
	int keep = f->mode & FALLOC_FL_KEEP_SIZE, op = f->mode & ~FALLOC_FL_KEEP_SIZE;
	off_t end;
	int err = 0;

	if (!S_ISREG(n->mode))
		return S_ISDIR(n->mode) ? -EISDIR : -ENODEV;
	if (f->off < 0 || f->len <= 0)
		return -EINVAL;
	if (f->off > MFS_OFF_MAX - f->len)
		return -EFBIG;
	end = f->off + f->len;
	if (op == 0) {
		err = falloc_alloc(fs, n, f->off, end);
	} else if (op == FALLOC_FL_PUNCH_HOLE || op == FALLOC_FL_ZERO_RANGE) {
		if (op == FALLOC_FL_PUNCH_HOLE && !keep)
			return -EOPNOTSUPP;
		file_punch(fs, n, f->off, end);
	} else {
		return -EOPNOTSUPP;
	}
	if (err < 0)
		return err;
	if (!keep && end > n->size)
		n->size = end;
	touch(n, op == 0 ? T_C : T_M | T_C);
	return 0;
}

static int mfs_fallocate(const char *path, int mode, off_t off, off_t len,
                         struct fbx_file_info *fi)
{
	struct mfs_falloc f = { mode, off, len };

	return with_inode(path, fi, do_fallocate, &f);
}

struct mfs_seek { off_t off; int whence; off_t result; };

static int do_lseek(struct mfs *fs, struct mfs_inode *n, const void *arg)
{
	struct mfs_seek *s = (struct mfs_seek *)arg;
	uint64_t idx = (uint64_t)s->off >> MFS_PAGE_SHIFT;
	off_t pos;

	if (s->off < 0)
		return -EINVAL;
	if (s->off >= n->size)
		return -ENXIO;
	if (s->whence == SEEK_DATA) {
		idx = n->u.pages.root ? page_next_data(n->u.pages.root, n->u.pages.height, 0, idx)
		                      : UINT64_MAX;
		if (idx == UINT64_MAX || idx >= ((uint64_t)n->size + MFS_PAGE - 1) >> MFS_PAGE_SHIFT)
			return -ENXIO;
	} else {
		while (page_find(&n->u.pages, idx))
			idx++;
	}
	pos = (off_t)(idx << MFS_PAGE_SHIFT);
	if (pos < s->off)
		pos = s->off;
	s->result = pos < n->size ? pos : n->size;
	return 0;
}

static off_t mfs_lseek(const char *path, off_t off, int whence, struct fbx_file_info *fi)
{
	struct mfs_seek s = { off, whence, 0 };
	int err;

	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	/* Under writeback_cache the kernel asks before writing its dirty
	 * pages back, and no reply of ours is safe: pages we lack may be
	 * dirty there, and its size may be past ours. ENOSYS makes it
	 * answer from its own size for good, the whole file as data: never
	 * a hole where data is (mfs_init). */
	if (mfs_get()->writeback)
		return -ENOSYS;
	err = with_inode(path, fi, do_lseek, &s);
	return err < 0 ? err : s.result;
}

/* ---- fsync ------------------------------------------------------------ */

/* Nothing to persist. ENOSYS (rather than success) makes the kernel stop
 * sending FSYNC and FSYNCDIR: a database commits with two or three each.
 * fsync(2) still returns 0 and still writes the kernel's dirty pages
 * back to us first. */
static int mfs_fsync(const char *path, int datasync, struct fbx_file_info *fi)
{
	(void)path;
	(void)datasync;
	(void)fi;
	return -ENOSYS;
}

/* ---- extended attributes --------------------------------------------- */

/* No ACLs (system.*): the kernel then goes by the mode bits alone. */
static int xattr_name_ok(const char *name)
{
	return strncmp(name, "user.", 5) == 0 || strncmp(name, "trusted.", 8) == 0 ||
	       strncmp(name, "security.", 9) == 0;
}

static struct mfs_xattr **xattr_slot(struct mfs_inode *n, const char *name)
{
	struct mfs_xattr **pp = &n->xattrs;

	while (*pp && strcmp((*pp)->name, name) != 0)
		pp = &(*pp)->next;
	return pp;
}

struct mfs_xarg {
	const char *name;
	const char *value;
	char       *out;
	size_t      size;
	int         flags;
};

static int do_setxattr(struct mfs *fs, struct mfs_inode *n, const void *arg)
{
	const struct mfs_xarg *a = arg;
	struct mfs_xattr **pp = xattr_slot(n, a->name), *x = *pp;
	char *value;

	if (x && (a->flags & XATTR_CREATE))
		return -EEXIST;
	if (!x && (a->flags & XATTR_REPLACE))
		return -ENODATA;
	if (!(value = malloc(a->size ? a->size : 1)))
		return -ENOMEM;
	if (a->size)   /* an empty value may come as NULL */
		memcpy(value, a->value, a->size);
	if (!x) {
		size_t len = strlen(a->name);
		if (!(x = calloc(1, sizeof *x + len + 1))) {
			free(value);
			return -ENOMEM;
		}
		memcpy(x->name, a->name, len + 1);
		*pp = x;
	}
	free(x->value);
	x->value = value;
	x->size = a->size;
	touch(n, T_C);
	return 0;
}

static int mfs_setxattr(const char *path, const char *name, const char *value,
                        size_t size, int flags)
{
	struct mfs_xarg a = { name, value, NULL, size, flags };

	if (!xattr_name_ok(name))
		return -EOPNOTSUPP;
	return with_inode(path, NULL, do_setxattr, &a);
}

static int do_getxattr(struct mfs *fs, struct mfs_inode *n, const void *arg)
{
	const struct mfs_xarg *a = arg;
	struct mfs_xattr *x = *xattr_slot(n, a->name);

	if (!x)
		return -ENODATA;
	if (a->size == 0)
		return (int)x->size;
	if (a->size < x->size)
		return -ERANGE;
	memcpy(a->out, x->value, x->size);
	return (int)x->size;
}

static int mfs_getxattr(const char *path, const char *name, char *value, size_t size)
{
	struct mfs_xarg a = { name, NULL, value, size, 0 };

	if (!xattr_name_ok(name))
		return -EOPNOTSUPP;
	return with_inode(path, NULL, do_getxattr, &a);
}

static int do_listxattr(struct mfs *fs, struct mfs_inode *n, const void *arg)
{
	const struct mfs_xarg *a = arg;
	size_t total = 0;

	for (struct mfs_xattr *x = n->xattrs; x; x = x->next)
		total += strlen(x->name) + 1;
	if (a->size == 0)
		return (int)total;
	if (a->size < total)
		return -ERANGE;
	total = 0;
	for (struct mfs_xattr *x = n->xattrs; x; x = x->next) {
		size_t len = strlen(x->name) + 1;
		memcpy(a->out + total, x->name, len);
		total += len;
	}
	return (int)total;
}

static int mfs_listxattr(const char *path, char *list, size_t size)
{
	struct mfs_xarg a = { NULL, NULL, list, size, 0 };

	return with_inode(path, NULL, do_listxattr, &a);
}

static int do_removexattr(struct mfs *fs, struct mfs_inode *n, const void *arg)
{
	const struct mfs_xarg *a = arg;
	struct mfs_xattr **pp = xattr_slot(n, a->name), *x = *pp;

	if (!x)
		return -ENODATA;
	*pp = x->next;
	free(x->value);
	free(x);
	touch(n, T_C);
	return 0;
}

static int mfs_removexattr(const char *path, const char *name)
{
	struct mfs_xarg a = { name, NULL, NULL, 0, 0 };

	if (!xattr_name_ok(name))
		return -EOPNOTSUPP;
	return with_inode(path, NULL, do_removexattr, &a);
}

/* ---- statfs ---------------------------------------------------------- */

static int mfs_statfs(const char *path, struct statvfs *st)
{
	struct mfs *fs = mfs_get();
	uint64_t used = atomic_load(&fs->used_pages);

	memset(st, 0, sizeof *st);
	st->f_bsize = MFS_PAGE;
	st->f_frsize = MFS_PAGE;
	st->f_blocks = fs->max_pages;
	st->f_bfree = st->f_bavail = used < fs->max_pages ? fs->max_pages - used : 0;
	rd_lock(fs);
	st->f_files = fs->max_inodes;
	st->f_ffree = st->f_favail = fs->max_inodes - fs->inodes;
	tree_unlock(fs);
	st->f_namemax = MFS_NAME_MAX;
	return 0;
}

/* memfs is the only writer of its files, so what the kernel caches is
 * never stale: no auto_inval_data, which would drop a file's pages each
 * time a stat shows the mtime our own WRITE moved (a database that
 * writes and reads back would read every page through us), the pages
 * are kept across opens (keep_cache in open), and the writeback cache
 * is on unless -o no_writeback_cache: writes land in the kernel's pages
 * and reach us in large WRITEs, and a file's size and mtime are the
 * kernel's own. Two answers differ from tmpfs under it, both because
 * data can sit dirty in the kernel where we cannot see it (fusebox/
 * lowlevel.h, Caching; tests/fs/fsops_compare.c checks the promises):
 *  - SEEK_DATA/SEEK_HOLE: the kernel asks before writing its dirty
 *    pages back, so lseek answers ENOSYS and the kernel calls the whole
 *    file data (never a hole where data is; tmpfs reports the holes);
 *  - st_blocks counts the pages we hold: dirty pages count once written
 *    back, and after close(2) (the kernel writes back and asks again)
 *    it is exact; after fsync(2) the kernel's cached attributes still
 *    show the old count until attr_timeout.
 * And as with any kept cache, reads the kernel serves never reach us to
 * date the file (touch_read): under writeback, not even the first read
 * of data just written. */
static void *mfs_init(struct fbx_conn *conn)
{
	struct mfs *fs = mfs_get();

	conn->want &= ~FBX_CAP_AUTO_INVAL_DATA;
	/* The kernel drops the pages an O_DIRECT write replaced only when
	 * the write completes in the writer's call: an asynchronous one
	 * (io_submit, async_dio) would leave pages kept across opens stale
	 * for buffered readers (xfstests generic/451). So AIO O_DIRECT
	 * writes complete one by one, unless no cache is kept. */
	if (keep_cache(fs))
		conn->want &= ~FBX_CAP_ASYNC_DIO;
	/* Else the kernel asks for security.capability before every
	 * write(2): two thirds of the requests of a SQLite run. The path
	 * layer then clears suid/sgid for us (fusebox/fs.h). */
	fs->killpriv = !fs->no_killpriv && (conn->capable & FBX_CAP_HANDLE_KILLPRIV_V2);
	if (fs->killpriv)
		conn->want |= FBX_CAP_HANDLE_KILLPRIV_V2;
	/* Only a cache the kernel keeps changes what lseek may answer. */
	fs->writeback = fs->writeback && (conn->capable & FBX_CAP_WRITEBACK_CACHE);
	if (fs->writeback)
		conn->want |= FBX_CAP_WRITEBACK_CACHE;
	return fs;
}

static const struct fbx_fs_ops mfs_ops = {
	.init        = mfs_init,
	.getattr     = mfs_getattr,
	.fgetattr    = mfs_fgetattr,
	.readlink    = mfs_readlink,
	.mknod       = mfs_mknod,
	.mkdir       = mfs_mkdir,
	.unlink      = mfs_unlink,
	.rmdir       = mfs_rmdir,
	.symlink     = mfs_symlink,
	.rename      = mfs_rename,
	.link        = mfs_link,
	.chmod       = mfs_chmod,
	.chown       = mfs_chown,
	.truncate    = mfs_truncate,
	.ftruncate   = mfs_ftruncate,
	.utimens     = mfs_utimens,
	.fchmod      = mfs_fchmod,
	.fchown      = mfs_fchown,
	.futimens    = mfs_futimens,
	.open        = mfs_open,
	.create      = mfs_create,
	.read        = mfs_read,
	.write       = mfs_write,
	.release     = mfs_release,
	.statfs      = mfs_statfs,
	.setxattr    = mfs_setxattr,
	.getxattr    = mfs_getxattr,
	.listxattr   = mfs_listxattr,
	.removexattr = mfs_removexattr,
	.opendir     = mfs_opendir,
	.readdir     = mfs_readdir,
	.releasedir  = mfs_release,
	.fallocate   = mfs_fallocate,
	.lseek       = mfs_lseek,
	.fsync       = mfs_fsync,
	.fsyncdir    = mfs_fsync,
	/* Handles carry the inode: ops on a removed name need no path, and
	 * a directory's handle is one too (fstat of a removed open dir). */
	.flag_nullpath_ok = 1,
	.flag_fgetattr_dir = 1,
	/* Every path is ours and stays put: file handles may outlive the
	 * kernel's cache (fusebox/fs.h, File handles). */
	.flag_remember = 1,
	/* lock/flock: the kernel's local locks are exact for a filesystem
	 * that lives on one machine. */
};

/* ---- setup ----------------------------------------------------------- */

/* "-o size=N" as fbx_parse_size reads it (64M, 1G, ...); -o no_keep_cache. */
static int mfs_opt(void *data, const char *key, const char *value, int is_arg)
{
	struct mfs *fs = data;
	uint64_t size;

	if (!is_arg && !strcmp(key, "no_keep_cache") && !value) {
		fs->no_keep_cache = true;
		return 1;
	}
	if (!is_arg && !strcmp(key, "no_killpriv_v2") && !value) {
		fs->no_killpriv = true;
		return 1;
	}
	if (is_arg || strcmp(key, "size") != 0)
		return 0;
	if (!value || fbx_parse_size(value, &size) < 0 || size == 0)
		return -EINVAL;
	fs->max_pages = size / MFS_PAGE ? size / MFS_PAGE : 1;
	return 1;
}

static int mfs_init_tree(void *data, const struct fbx_options *o)
{
	struct mfs *fs = data;
	pthread_rwlockattr_t attr;
	struct mfs_inode *root;

	fs->mount_flags = o->mount_flags;
	fs->writeback = o->writeback_cache != FBX_OFF;
	/* Writers must not starve behind a steady stream of reads. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&fs->tree, &attr);
	pthread_rwlockattr_destroy(&attr);
	fs->max_inodes = fs->max_pages;
	atomic_init(&fs->used_pages, 0);
	fs->next_ino = 1;
	if (!(root = calloc(1, sizeof *root))) {
		fprintf(stderr, "memfs: out of memory\n");
		return -ENOMEM;
	}
	pthread_mutex_init(&root->lock, NULL);
	root->ino = fs->next_ino++;
	root->mode = S_IFDIR | 0755;
	root->nlink = 2;
	root->uid = getuid();
	root->gid = getgid();
	touch(root, T_A | T_M | T_C);
	fs->root = fs->all = root;
	fs->inodes = 1;
	return 0;
}

/* Directory tables must be emptied before their inodes go. */
static void mfs_free_tree(void *data)
{
	struct mfs *fs = data;

	if (!fs->root)
		return;
	for (struct mfs_inode *n = fs->all; n; n = n->next) {
		if (!S_ISDIR(n->mode))
			continue;
		for (size_t i = 0; i < n->u.dir.cap; i++) {
			struct mfs_dirent *e = n->u.dir.tab[i], *next;
			for (; e; e = next) {
				next = e->next;
				free(e);
			}
		}
		n->u.dir.cap = n->u.dir.count = 0;
	}
	while (fs->all)
		inode_free(fs, fs->all);
	pthread_rwlock_destroy(&fs->tree);
}

/* Default size: half the memory, as tmpfs does. */
static uint64_t default_size(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

	return pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize / 2 : (uint64_t)1 << 30;
}

static const struct fbx_app mfs_app = {
	.help = "memfs options:\n"
	        "    -o size=N[KMGTP]       capacity (default: half the RAM)\n"
	        "    -o no_keep_cache       drop the kernel's cached data at each open\n"
	        "    -o no_writeback_cache  write through: exact SEEK_HOLE and st_blocks\n"
	        "    -o no_killpriv_v2      let the kernel clear suid/sgid (a GETXATTR per write)\n",
	.opt = mfs_opt,
	.setup = mfs_init_tree,
	.cleanup = mfs_free_tree,
};

int main(int argc, char *argv[])
{
	struct mfs fs = { .max_pages = default_size() / MFS_PAGE };

	return fbx_main_app(argc, argv, &mfs_ops, sizeof mfs_ops, &fs, &mfs_app);
}
