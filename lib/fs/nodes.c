/*
 * lib/fs/nodes.c -- the node table (see nodes.h for the model).
 *
 * Three intrusive hash tables index the same objects: nodes by id,
 * names by (parent id, string), and named non-directory nodes by
 * (st_dev, st_ino) to recognise hard links. Tables grow when fuller than
 * one entry a bucket and shrink below one in eight, so memory follows
 * the live population: after a million files are created and forgotten
 * the table is back to its minimum size (tests/unit/t_fs_nodes.c).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "fusebox/lowlevel.h"
#include "fs/nodes.h"

#define HT_MIN 64
/* Paths are not capped at PATH_MAX: a process may work deep below the
 * mount through relative paths, and the filesystem gets the whole path.
 * A chain of parents this long can only be a cycle (a bug): stop. */
#define MAX_DEPTH (1u << 24)

#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

struct hlink {
	struct hlink *next;
	uint64_t hash;
};

struct htab {
	struct hlink **b;
	size_t size, count; /* size: a power of two */
};

struct name;

/* An open handle of a node. Every one is kept, not just the last: a
 * filesystem may give every open of a file the same fh value, and the
 * RELEASE of an earlier open can come after a later OPEN. */
struct fh_ref {
	uint64_t fh;
	int flags;
	struct name *name; /* opened under it (followed across renames); NULL
	                    * once that name is gone: then the current name */
};

struct node {
	struct hlink by_id, by_ino;
	uint64_t id, nlookup;
	unsigned refs;   /* names of other nodes in this directory, and pins */
	unsigned open;   /* open handles */
	unsigned nnames;
	unsigned in_ino : 1;
	unsigned nfh;    /* open handles remembered (fbx_nodes_set_fh), */
	unsigned fh_cap; /* in fh_one while there is one, then in fhs */
	struct fh_ref fh_one, *fhs;
	dev_t dev;
	ino_t ino;       /* the filesystem's st_ino; 0 unknown */
	mode_t type;
	struct name *names; /* first = current name */
};

struct name {
	struct hlink by_name;
	struct node *parent, *node;
	struct name *next;   /* the node's next name */
	unsigned hidden : 1; /* a .fbx_hidden name made by the path layer */
	size_t len;
	char str[];
};

struct fbx_nodes {
	pthread_mutex_t lock; /* see nodes.h: why a mutex */
	struct htab ids, names, inos;
	uint64_t next_id;
	struct node *root;
	bool remember;   /* keep named nodes the kernel forgot (fs.h flag_remember) */
	bool stable_ino; /* st_ino is a file's identity (use_ino) */
};

/* ---- hash tables ------------------------------------------------------ */

static int ht_init(struct htab *h)
{
	h->b = calloc(HT_MIN, sizeof *h->b);
	h->size = HT_MIN;
	h->count = 0;
	return h->b ? 0 : -ENOMEM;
}

/* Rehash into nsize buckets; on allocation failure keep the old array
 * (longer chains, still correct). */
static void ht_resize(struct htab *h, size_t nsize)
{
	struct hlink **nb = calloc(nsize, sizeof *nb);
	if (!nb)
		return;
	for (size_t i = 0; i < h->size; i++) {
		struct hlink *l = h->b[i], *next;
		for (; l; l = next) {
			next = l->next;
			l->next = nb[l->hash & (nsize - 1)];
			nb[l->hash & (nsize - 1)] = l;
		}
	}
	free(h->b);
	h->b = nb;
	h->size = nsize;
}

static void ht_insert(struct htab *h, struct hlink *l, uint64_t hash)
{
	struct hlink **head = &h->b[hash & (h->size - 1)];
	l->hash = hash;
	l->next = *head;
	*head = l;
	if (++h->count > h->size)
		ht_resize(h, h->size * 2);
}

static void ht_remove(struct htab *h, struct hlink *l)
{
	struct hlink **p = &h->b[l->hash & (h->size - 1)];
	while (*p && *p != l)
		p = &(*p)->next;
	if (!*p)
		return;
	*p = l->next;
	if (--h->count < h->size / 8 && h->size > HT_MIN)
		ht_resize(h, h->size / 2);
}

static struct hlink *ht_first(const struct htab *h, uint64_t hash)
{
	return h->b[hash & (h->size - 1)];
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static uint64_t name_hash(uint64_t parent, const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull ^ mix64(parent);
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return mix64(h);
}

static uint64_t ino_hash(dev_t dev, ino_t ino)
{
	return mix64((uint64_t)ino ^ mix64((uint64_t)dev));
}

/* ---- lookups (lock held) --------------------------------------------- */

static struct node *node_get(const struct fbx_nodes *t, uint64_t id)
{
	uint64_t h = mix64(id);
	for (struct hlink *l = ht_first(&t->ids, h); l; l = l->next) {
		struct node *n = container_of(l, struct node, by_id);
		if (l->hash == h && n->id == id)
			return n;
	}
	return NULL;
}

static struct name *name_find(const struct fbx_nodes *t, const struct node *parent,
                              const char *s)
{
	size_t len = strlen(s);
	uint64_t h = name_hash(parent->id, s, len);
	for (struct hlink *l = ht_first(&t->names, h); l; l = l->next) {
		struct name *nm = container_of(l, struct name, by_name);
		if (l->hash == h && nm->parent == parent && nm->len == len &&
		    memcmp(nm->str, s, len) == 0)
			return nm;
	}
	return NULL;
}

static struct node *ino_find(const struct fbx_nodes *t, dev_t dev, ino_t ino, mode_t type)
{
	uint64_t h = ino_hash(dev, ino);
	for (struct hlink *l = ht_first(&t->inos, h); l; l = l->next) {
		struct node *n = container_of(l, struct node, by_ino);
		if (l->hash == h && n->ino == ino && n->dev == dev && n->type == type)
			return n;
	}
	return NULL;
}

/* ---- changes (write lock held) --------------------------------------- */

/* Only named non-directories are indexed by inode: directories have one
 * name, and a node that lost all its names may have had its st_ino
 * recycled by the filesystem for a new file. */
static void ino_update(struct fbx_nodes *t, struct node *n)
{
	int want = n->ino && n->nnames && !S_ISDIR(n->type);
	if (want && !n->in_ino)
		ht_insert(&t->inos, &n->by_ino, ino_hash(n->dev, n->ino));
	else if (!want && n->in_ino)
		ht_remove(&t->inos, &n->by_ino);
	n->in_ino = want;
}

static void node_set_ino(struct fbx_nodes *t, struct node *n, const struct stat *st)
{
	if (n->ino || !st || !st->st_ino)
		return;
	n->dev = st->st_dev;
	n->ino = st->st_ino;
	ino_update(t, n);
}

static struct node *node_new(struct fbx_nodes *t, const struct stat *st)
{
	struct node *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	n->id = t->next_id++;
	n->type = st ? st->st_mode & S_IFMT : 0;
	ht_insert(&t->ids, &n->by_id, mix64(n->id));
	return n;
}

static void maybe_free(struct fbx_nodes *t, struct node *n);
static struct fh_ref *fh_at(struct node *n, unsigned i);

/* Open handles of n that were opened under `from` now follow `to`. A
 * node is open a few times at most: a scan, no index to keep. */
static void fh_repoint(struct node *n, const struct name *from, struct name *to)
{
	for (unsigned i = 0; i < n->nfh; i++)
		if (fh_at(n, i)->name == from)
			fh_at(n, i)->name = to;
}

/* Unlink a name from its node's list (the node keeps its other names). */
static void name_detach(struct name *nm)
{
	struct name **p = &nm->node->names;
	while (*p != nm)
		p = &(*p)->next;
	*p = nm->next;
	nm->next = NULL;
}

static void name_attach(struct name *nm, struct node *n, int at_head)
{
	struct name **p = &n->names;
	if (!at_head && *p)
		p = &(*p)->next;
	nm->node = n;
	nm->next = *p;
	*p = nm;
}

static struct name *name_add(struct fbx_nodes *t, struct node *n, struct node *parent,
                             const char *s, int at_head)
{
	size_t len = strlen(s);
	struct name *nm = calloc(1, sizeof *nm + len + 1);
	if (!nm)
		return NULL;
	memcpy(nm->str, s, len + 1);
	nm->len = len;
	nm->parent = parent;
	parent->refs++;
	ht_insert(&t->names, &nm->by_name, name_hash(parent->id, s, len));
	name_attach(nm, n, at_head);
	n->nnames++;
	ino_update(t, n);
	return nm;
}

/* Forget one name; the parent (and the node) may go with it. */
static void name_drop(struct fbx_nodes *t, struct name *nm)
{
	struct node *n = nm->node, *parent = nm->parent;
	ht_remove(&t->names, &nm->by_name);
	fh_repoint(n, nm, NULL);
	name_detach(nm);
	n->nnames--;
	ino_update(t, n);
	free(nm);
	parent->refs--;
	maybe_free(t, parent);
	maybe_free(t, n);
}

/* Give a name a new place (rename): a fresh entry with the same node,
 * made current because the filesystem just confirmed it. */
static struct name *name_move(struct fbx_nodes *t, struct name *nm, struct node *np,
                              const char *s)
{
	struct node *n = nm->node;
	struct name *moved = name_add(t, n, np, s, 1);
	if (!moved)
		return NULL;
	fh_repoint(n, nm, moved);
	name_drop(t, nm);
	return moved;
}

static void node_free(struct fbx_nodes *t, struct node *n)
{
	while (n->names) {
		struct name *nm = n->names;
		struct node *parent = nm->parent;
		n->names = nm->next;
		ht_remove(&t->names, &nm->by_name);
		free(nm);
		parent->refs--;
		maybe_free(t, parent);
	}
	n->nnames = 0;
	ino_update(t, n);
	ht_remove(&t->ids, &n->by_id);
	free(n->fhs);
	free(n);
}

/* A remembered node keeps its id while it has a name, so a file handle
 * the kernel made of it resolves again after the kernel forgot it. */
static void maybe_free(struct fbx_nodes *t, struct node *n)
{
	if (n != t->root && !n->nlookup && !n->open && !n->refs &&
	    !(t->remember && n->nnames))
		node_free(t, n);
}

/* Pins keep a node alive across a change that may drop its last name. */
static void pin(struct node *n) { n->refs++; }
static void unpin(struct fbx_nodes *t, struct node *n)
{
	n->refs--;
	maybe_free(t, n);
}

/* ---- paths ------------------------------------------------------------ */

/* The path of n reached through its name `first` (NULL: its current
 * name); ancestors always by their current names. Into `mem` (room
 * bytes) when it fits, else into a malloc'd string. */
static int build_path_at(const struct fbx_nodes *t, struct node *n, struct name *first,
                         const char *name, char *mem, size_t room, char **out)
{
	size_t nlen = name ? strlen(name) : 0, len = name ? nlen + 1 : 0;
	unsigned depth = 0;
	struct name *nm;
	if (nlen > NAME_MAX)
		return -ENAMETOOLONG;
	if (!first)
		first = n->names;
	for (struct node *x = n; x != t->root; x = nm->parent) {
		nm = x == n ? first : x->names;
		if (!nm)
			return -ENOENT;
		if (++depth > MAX_DEPTH)
			return -ELOOP;
		len += nm->len + 1;
	}
	size_t need = len ? len + 1 : 2;
	char *p = need <= room ? mem : malloc(need), *end;
	if (!p)
		return -ENOMEM;
	if (!len) {
		strcpy(p, "/");
		*out = p;
		return 0;
	}
	end = p + len;
	*end = '\0';
	if (name) {
		end -= nlen;
		memcpy(end, name, nlen);
		*--end = '/';
	}
	for (struct node *x = n; x != t->root; x = nm->parent) {
		nm = x == n ? first : x->names;
		end -= nm->len;
		memcpy(end, nm->str, nm->len);
		*--end = '/';
	}
	*out = p;
	return 0;
}

static int build_path(const struct fbx_nodes *t, uint64_t id, const char *name, char **out)
{
	struct node *n = node_get(t, id);
	return n ? build_path_at(t, n, NULL, name, NULL, 0, out) : -ESTALE;
}

int fbx_nodes_path(struct fbx_nodes *t, uint64_t id, const char *name, char **out)
{
	pthread_mutex_lock(&t->lock);
	int err = build_path(t, id, name, out);
	pthread_mutex_unlock(&t->lock);
	return err;
}

int fbx_nodes_path_in(struct fbx_nodes *t, uint64_t id, const char *name, char *mem,
                      size_t room, char **out)
{
	pthread_mutex_lock(&t->lock);
	struct node *n = node_get(t, id);
	int err = n ? build_path_at(t, n, NULL, name, mem, room, out) : -ESTALE;
	pthread_mutex_unlock(&t->lock);
	return err;
}

int fbx_nodes_path_fh(struct fbx_nodes *t, uint64_t id, uint64_t fh, char **out)
{
	return fbx_nodes_path_fh_in(t, id, fh, NULL, 0, out);
}

int fbx_nodes_path_fh_in(struct fbx_nodes *t, uint64_t id, uint64_t fh, char *mem,
                         size_t room, char **out)
{
	int err = -ESTALE;
	pthread_mutex_lock(&t->lock);
	struct node *n = node_get(t, id);
	if (n) {
		struct name *first = NULL;
		/* The latest open with this fh: a filesystem that gives every
		 * open the same value gets the name of the last one. */
		for (unsigned i = n->nfh; i-- > 0;) {
			if (fh_at(n, i)->fh == fh) {
				first = fh_at(n, i)->name;
				break;
			}
		}
		err = build_path_at(t, n, first, NULL, mem, room, out);
	}
	pthread_mutex_unlock(&t->lock);
	return err;
}

int fbx_nodes_path2(struct fbx_nodes *t, uint64_t id1, const char *name1, char **out1,
                    uint64_t id2, const char *name2, char **out2)
{
	pthread_mutex_lock(&t->lock);
	int err = build_path(t, id1, name1, out1);
	if (!err) {
		err = build_path(t, id2, name2, out2);
		if (err)
			free(*out1);
	}
	pthread_mutex_unlock(&t->lock);
	return err;
}

/* ---- entries ---------------------------------------------------------- */

/* Does the node behind an existing name still match what the filesystem
 * reports for that name? If not, the name was reused behind our back. */
static int node_matches(const struct node *n, const struct stat *st)
{
	if (n->type != (st->st_mode & S_IFMT))
		return 0;
	return !st->st_ino || !n->ino || (n->ino == st->st_ino && n->dev == st->st_dev);
}

/* Make `nm` the node's current name (it was just confirmed to exist). */
static void name_make_current(struct name *nm)
{
	struct node *n = nm->node;
	if (n->names == nm)
		return;
	name_detach(nm);
	name_attach(nm, n, 1);
}

/* Forget every name of n (it may be freed, when nothing else holds it). */
static void drop_names(struct fbx_nodes *t, struct node *n)
{
	pin(n);
	while (n->names)
		name_drop(t, n->names);
	unpin(t, n);
}

/* The filesystem gave the node of a known name a new st_ino: follow it
 * in the inode index. */
static void node_renumber(struct fbx_nodes *t, struct node *n, const struct stat *st)
{
	if (n->in_ino)
		ht_remove(&t->inos, &n->by_ino);
	n->in_ino = 0;
	n->ino = 0;
	node_set_ino(t, n, st);
}

/* Identity of a name's node (see "Inode numbers" in fusebox/fs.h): a
 * known name keeps its node while the kernel holds the node, whatever
 * st_ino says, unless the type changed or the filesystem promises
 * stable numbers (use_ino): then a new st_ino is a file replaced behind
 * our back. st_ino merges a new name into a node only for a file with
 * more than one link (or, with stable numbers, an open one). */
static int enter_locked(struct fbx_nodes *t, struct node *parent, const char *s,
                        const struct stat *st, struct node **out)
{
	struct name *nm = name_find(t, parent, s);
	struct node *n = NULL;
	mode_t type = st->st_mode & S_IFMT;

	if (nm && (node_matches(nm->node, st) ||
	           (!t->stable_ino && nm->node->type == type &&
	            (nm->node->nlookup || nm->node->open)))) {
		n = nm->node;
		name_make_current(nm);
		if (st->st_ino && (n->ino != st->st_ino || n->dev != st->st_dev))
			node_renumber(t, n, st);
		*out = n;
		return 0;
	}
	if (nm)
		name_drop(t, nm);
	if (st->st_ino && !S_ISDIR(type) && (st->st_nlink != 1 || t->stable_ino))
		n = ino_find(t, st->st_dev, st->st_ino, type);
	if (n && st->st_nlink == 1 && !n->open) {
		/* The file has one name, this one: the names the table holds
		 * for that inode number belong to a file removed behind our
		 * back whose number the filesystem gave to this new one. They
		 * must not make this file look hard-linked (unlink would then
		 * not hide it while open). Without stable numbers they may be
		 * another live file's, renumbered: left alone (not looked up). */
		drop_names(t, n);
		n = NULL;
	}
	if (!n) {
		n = node_new(t, st);
		if (!n)
			return -ENOMEM;
	}
	if (!name_add(t, n, parent, s, 1)) {
		maybe_free(t, n);
		return -ENOMEM;
	}
	node_set_ino(t, n, st);
	*out = n;
	return 0;
}

/* The usual lookup: a name the table knows, current, of the same file.
 * Only the counts change. Returns the node, or NULL if not that case. */
static struct node *enter_known(struct fbx_nodes *t, struct node *p, const char *s,
                                const struct stat *st)
{
	struct name *nm = name_find(t, p, s);
	struct node *n = nm ? nm->node : NULL;
	if (n && n->names == nm && n->type == (st->st_mode & S_IFMT) &&
	    (!st->st_ino || (n->ino == st->st_ino && n->dev == st->st_dev)))
		return n;
	return NULL;
}

int fbx_nodes_enter(struct fbx_nodes *t, uint64_t parent, const char *name,
                    const struct stat *st, int open, uint64_t *id)
{
	struct node *p, *n = NULL;
	int err = -ESTALE;
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&t->lock);
	p = node_get(t, parent);
	if (p) {
		pin(p);
		n = enter_known(t, p, name, st);
		err = n ? 0 : enter_locked(t, p, name, st, &n);
		if (!err) {
			n->nlookup++;
			if (open)
				n->open++;
			*id = n->id;
		}
		unpin(t, p);
	}
	pthread_mutex_unlock(&t->lock);
	return err;
}

int fbx_nodes_link(struct fbx_nodes *t, uint64_t id, uint64_t newparent,
                   const char *name, const struct stat *st)
{
	int err = -ESTALE;
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&t->lock);
	struct node *n = node_get(t, id), *p = node_get(t, newparent);
	if (n && p) {
		struct name *old = name_find(t, p, name);
		pin(n);
		pin(p);
		if (old)
			name_drop(t, old); /* stale: the kernel saw no such name */
		/* Behind the current name, which stays valid: paths stay stable. */
		err = name_add(t, n, p, name, 0) ? 0 : -ENOMEM;
		if (!err) {
			n->nlookup++;
			node_set_ino(t, n, st);
		}
		unpin(t, p);
		unpin(t, n);
	}
	pthread_mutex_unlock(&t->lock);
	return err;
}

void fbx_nodes_forget(struct fbx_nodes *t, uint64_t id, uint64_t count)
{
	pthread_mutex_lock(&t->lock);
	struct node *n = node_get(t, id);
	if (n && n != t->root) {
		n->nlookup -= count < n->nlookup ? count : n->nlookup;
		maybe_free(t, n);
	}
	pthread_mutex_unlock(&t->lock);
}

void fbx_nodes_set_remember(struct fbx_nodes *t, bool on)
{
	pthread_mutex_lock(&t->lock);
	t->remember = on;
	pthread_mutex_unlock(&t->lock);
}

void fbx_nodes_set_stable_ino(struct fbx_nodes *t, bool on)
{
	pthread_mutex_lock(&t->lock);
	t->stable_ino = on;
	pthread_mutex_unlock(&t->lock);
}

int fbx_nodes_ref(struct fbx_nodes *t, uint64_t id, const struct stat *st)
{
	int err = -ESTALE;
	pthread_mutex_lock(&t->lock);
	struct node *n = node_get(t, id);
	if (n && (n == t->root || (n->names && node_matches(n, st)))) {
		node_set_ino(t, n, st);
		n->nlookup++;
		err = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return err;
}

int fbx_nodes_parent(struct fbx_nodes *t, uint64_t id, uint64_t *parent)
{
	int err = -ESTALE;
	pthread_mutex_lock(&t->lock);
	struct node *n = node_get(t, id);
	if (n == t->root) {
		*parent = n->id;
		err = 0;
	} else if (n && n->names) {
		*parent = n->names->parent->id;
		err = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return err;
}

static void fill_info(const struct node *n, struct fbx_node_info *info)
{
	info->id = n->id;
	info->nlookup = n->nlookup;
	info->open = n->open;
	info->nnames = n->nnames;
	info->hidden = n->names && n->names->hidden;
	info->type = n->type;
}

int fbx_nodes_find(struct fbx_nodes *t, uint64_t parent, const char *name,
                   struct fbx_node_info *info)
{
	int err = -ENOENT;
	pthread_mutex_lock(&t->lock);
	struct node *p = node_get(t, parent);
	struct name *nm = p ? name_find(t, p, name) : NULL;
	if (nm) {
		fill_info(nm->node, info);
		err = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return err;
}

int fbx_nodes_info(struct fbx_nodes *t, uint64_t id, struct fbx_node_info *info)
{
	int err = -ESTALE;
	pthread_mutex_lock(&t->lock);
	struct node *n = node_get(t, id);
	if (n) {
		fill_info(n, info);
		err = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return err;
}

/* ---- unlink, rename, hide -------------------------------------------- */

void fbx_nodes_remove(struct fbx_nodes *t, uint64_t parent, const char *name)
{
	pthread_mutex_lock(&t->lock);
	struct node *p = node_get(t, parent);
	struct name *nm = p ? name_find(t, p, name) : NULL;
	if (nm)
		name_drop(t, nm);
	pthread_mutex_unlock(&t->lock);
}

static void exchange_locked(struct fbx_nodes *t, struct name *a, struct name *b,
                            struct node *pa, const char *sa, struct node *pb,
                            const char *sb)
{
	if (a && b) {
		struct node *na = a->node, *nb = b->node;
		/* An open file follows its name to where the other one was
		 * (two names of one node both stay its own). */
		if (na != nb) {
			fh_repoint(na, a, b);
			fh_repoint(nb, b, a);
		}
		name_detach(a);
		name_detach(b);
		name_attach(a, nb, 1);
		name_attach(b, na, 1);
		a->hidden = b->hidden = 0;
	} else if (a) {
		name_move(t, a, pb, sb);
	} else if (b) {
		name_move(t, b, pa, sa);
	}
}

void fbx_nodes_rename(struct fbx_nodes *t, uint64_t parent, const char *name,
                      uint64_t newparent, const char *newname, unsigned flags)
{
	pthread_mutex_lock(&t->lock);
	struct node *p = node_get(t, parent), *np = node_get(t, newparent);
	if (!p || !np)
		goto out;
	pin(p);
	pin(np);
	struct name *src = name_find(t, p, name), *dst = name_find(t, np, newname);
	if (flags & FBX_RENAME_EXCHANGE) {
		exchange_locked(t, src, dst, p, name, np, newname);
	} else if (src != dst) {
		if (dst)
			name_drop(t, dst);
		if (src) {
			pin(src->node);
			struct node *n = src->node;
			name_move(t, src, np, newname);
			unpin(t, n);
		}
	}
	unpin(t, np);
	unpin(t, p);
out:
	pthread_mutex_unlock(&t->lock);
}

int fbx_nodes_hide(struct fbx_nodes *t, uint64_t parent, const char *name,
                   const char *hidden)
{
	int gone = 0;
	pthread_mutex_lock(&t->lock);
	struct node *p = node_get(t, parent);
	struct name *nm = p ? name_find(t, p, name) : NULL;
	if (nm) {
		struct node *n = nm->node;
		struct name *old = name_find(t, p, hidden);
		pin(p);
		pin(n);
		if (old)
			name_drop(t, old);
		struct name *moved = name_move(t, nm, p, hidden);
		if (moved) {
			moved->hidden = 1;
			if (!n->open) {
				/* The last release ran between our check and the rename. */
				name_drop(t, moved);
				gone = 1;
			}
		}
		unpin(t, n);
		unpin(t, p);
	}
	pthread_mutex_unlock(&t->lock);
	return gone;
}

/* ---- open files ------------------------------------------------------- */

int fbx_nodes_open(struct fbx_nodes *t, uint64_t id)
{
	int err = -ESTALE;
	pthread_mutex_lock(&t->lock);
	struct node *n = node_get(t, id);
	if (n) {
		n->open++;
		err = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return err;
}

void fbx_nodes_release(struct fbx_nodes *t, uint64_t id, char **hidden_path)
{
	*hidden_path = NULL;
	pthread_mutex_lock(&t->lock);
	struct node *n = node_get(t, id);
	if (n && n->open) {
		pin(n);
		if (--n->open == 0 && n->names && n->names->hidden) {
			if (build_path(t, n->id, NULL, hidden_path) == 0)
				name_drop(t, n->names);
		}
		unpin(t, n);
	}
	pthread_mutex_unlock(&t->lock);
}

int fbx_nodes_hidden_paths(struct fbx_nodes *t, char ***paths, size_t *count)
{
	size_t n = 0, cap = 0;
	char **v = NULL;
	int err = 0;
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->names.size && !err; i++) {
		for (struct hlink *l = t->names.b[i]; l && !err; l = l->next) {
			struct name *nm = container_of(l, struct name, by_name);
			if (!nm->hidden)
				continue;
			if (n == cap) {
				char **nv = realloc(v, (cap = cap ? cap * 2 : 8) * sizeof *v);
				if (!nv) {
					err = -ENOMEM;
					break;
				}
				v = nv;
			}
			if (build_path(t, nm->node->id, NULL, &v[n]) == 0)
				n++;
		}
	}
	pthread_mutex_unlock(&t->lock);
	*paths = v;
	*count = n;
	return err;
}

/* The i-th remembered handle. A file opened once at a time (the usual
 * case) needs no allocation: its handle sits in the node. */
static struct fh_ref *fh_at(struct node *n, unsigned i)
{
	return n->fhs ? &n->fhs[i] : &n->fh_one;
}

static int fh_add(struct node *n, struct fh_ref r)
{
	unsigned cap = n->fhs ? n->fh_cap : 1;
	if (n->nfh == cap) {
		struct fh_ref *v = malloc(2 * cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		for (unsigned i = 0; i < n->nfh; i++)
			v[i] = *fh_at(n, i);
		free(n->fhs);
		n->fhs = v;
		n->fh_cap = 2 * cap;
	}
	*fh_at(n, n->nfh++) = r;
	return 0;
}

/* The latest open with this fh goes, as fbx_nodes_path_fh takes the
 * latest: with one fh for several opens, nested opens and closes keep
 * their names. The order of the others is kept. */
static void fh_remove(struct node *n, uint64_t fh)
{
	for (unsigned i = n->nfh; i-- > 0;) {
		if (fh_at(n, i)->fh == fh) {
			for (n->nfh--; i < n->nfh; i++)
				*fh_at(n, i) = *fh_at(n, i + 1);
			return;
		}
	}
}

void fbx_nodes_set_fh(struct fbx_nodes *t, uint64_t id, int set, uint64_t fh, int flags)
{
	pthread_mutex_lock(&t->lock);
	struct node *n = node_get(t, id);
	if (n && set)
		(void)fh_add(n, (struct fh_ref){ fh, flags, n->names });   /* no memory: fstat after
		                                                   * hard_remove says ENOENT */
	else if (n)
		fh_remove(n, fh);
	pthread_mutex_unlock(&t->lock);
}

int fbx_nodes_get_fh(struct fbx_nodes *t, uint64_t id, int dirs, uint64_t *fh, int *flags)
{
	int err = -ENOENT;
	pthread_mutex_lock(&t->lock);
	struct node *n = node_get(t, id);
	/* A directory is never hidden (n->open counts files): its handles
	 * stay registered from opendir to releasedir. */
	if (n && n->nfh && (S_ISDIR(n->type) ? dirs != 0 : n->open != 0)) {
		*fh = fh_at(n, n->nfh - 1)->fh;
		*flags = fh_at(n, n->nfh - 1)->flags;
		err = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return err;
}

/* ---- the table -------------------------------------------------------- */

struct fbx_nodes *fbx_nodes_new(void)
{
	struct fbx_nodes *t = calloc(1, sizeof *t);
	pthread_mutexattr_t attr;
	if (!t)
		return NULL;
	if (ht_init(&t->ids) || ht_init(&t->names) || ht_init(&t->inos))
		goto fail;
	pthread_mutexattr_init(&attr);
	/* Spin a little before sleeping: the holder is on the other CPU and
	 * done in well under a microsecond. */
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&t->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	t->next_id = FBX_ROOT_ID;
	t->root = node_new(t, NULL);
	if (!t->root)
		goto fail;
	t->root->type = S_IFDIR;
	t->root->nlookup = 1;
	return t;
fail:
	free(t->ids.b);
	free(t->names.b);
	free(t->inos.b);
	free(t);
	return NULL;
}

void fbx_nodes_free(struct fbx_nodes *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->names.size; i++) {
		for (struct hlink *l = t->names.b[i], *next; l; l = next) {
			next = l->next;
			free(container_of(l, struct name, by_name));
		}
	}
	for (size_t i = 0; i < t->ids.size; i++) {
		for (struct hlink *l = t->ids.b[i], *next; l; l = next) {
			next = l->next;
			struct node *nd = container_of(l, struct node, by_id);
			free(nd->fhs);
			free(nd);
		}
	}
	free(t->ids.b);
	free(t->names.b);
	free(t->inos.b);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void fbx_nodes_stats(struct fbx_nodes *t, struct fbx_nodes_stats *st)
{
	pthread_mutex_lock(&t->lock);
	st->nodes = t->ids.count;
	st->names = t->names.count;
	st->inos = t->inos.count;
	st->id_buckets = t->ids.size;
	st->name_buckets = t->names.size;
	st->ino_buckets = t->inos.size;
	pthread_mutex_unlock(&t->lock);
}
