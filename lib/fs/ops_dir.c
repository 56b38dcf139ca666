/*
 * lib/fs/ops_dir.c -- directories: opendir, readdir, readdirplus,
 * releasedir, fsyncdir.
 *
 * The kernel's fi->fh of a directory is our handle (struct dirh); the
 * filesystem sees its own fbx_file_info inside it. A filesystem that
 * fills entries with off == 0 lets us page: the whole listing is
 * snapshot at the first readdir (and again at each rewind to offset 0)
 * and offset i means "entry i of the snapshot", so offsets handed to
 * the kernel stay valid however the directory changes meanwhile. A
 * filesystem that gives offsets itself is asked again from each offset.
 *
 * The filesystem's readdir only collects names; the work for the reply
 * (node table, and for readdirplus a getattr per entry) runs after it
 * returned, so no callback is ever called from inside another.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs_int.h"

struct dent {
	char *name;
	ino_t ino;    /* from the filesystem; 0 if none */
	mode_t type;
	off_t off;    /* the fs's offset of the next entry; 0 in a snapshot */
	int nolookup; /* readdirplus sends the name without attributes */
	struct stat *attr; /* readdirplus sends these, no getattr (malloc'd) */
};

/* Names live in chunks that never move (one malloc per many names, not
 * one per name: a big listing spent a tenth of the daemon's time in
 * malloc and free). */
struct names {
	struct names *next;
	size_t used, cap;
	char data[];
};
#define NAMES_CHUNK (64 * 1024)

struct dlist {
	struct dent *v;
	size_t n, cap;
	struct names *names;
	size_t nattr;   /* entries with an attr to free */
};

struct dirh {
	pthread_mutex_t lock;        /* readdirs of one handle, one at a time */
	struct fbx_file_info fi;     /* what the filesystem sees */
	struct dlist snap;
	int have_snap;
};

enum fill_mode { FILL_UNKNOWN, FILL_SNAPSHOT, FILL_PASS };

struct fill {
	struct dlist *out;
	enum fill_mode mode;
	int plus;
	size_t size, used;  /* FILL_PASS: the reply's budget */
	int err;
};

static void dlist_clear(struct dlist *l)
{
	for (size_t i = 0; l->nattr && i < l->n; i++)
		free(l->v[i].attr);
	for (struct names *c = l->names, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

static char *name_store(struct dlist *l, const char *name)
{
	size_t len = strlen(name) + 1;
	struct names *c = l->names;
	if (!c || c->cap - c->used < len) {
		size_t cap = len > NAMES_CHUNK ? len : NAMES_CHUNK;
		if (!(c = malloc(sizeof *c + cap)))
			return NULL;
		c->next = l->names;
		c->used = 0;
		c->cap = cap;
		l->names = c;
	}
	char *p = memcpy(c->data + c->used, name, len);
	c->used += len;
	return p;
}

static int dlist_push(struct dlist *l, const char *name, const struct stat *st, off_t off)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct dent *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	struct dent *d = &l->v[l->n];
	if (!(d->name = name_store(l, name)))
		return -ENOMEM;
	d->ino = st ? st->st_ino : 0;
	d->type = st ? st->st_mode & S_IFMT : 0;
	d->off = off;
	d->nolookup = 0;
	d->attr = NULL;
	l->n++;
	return 0;
}

/* Bytes an entry takes in the reply; only the name's length matters. */
static size_t entry_size(int plus, const char *name)
{
	static const struct fbx_entry none;
	return plus ? fbx_direntplus_add(NULL, 0, name, &none, 1)
	            : fbx_dirent_add(NULL, 0, name, NULL, 1);
}

static int filler(void *buf, const char *name, const struct stat *st, off_t off)
{
	struct fill *f = buf;
	if (f->err)
		return 1;
	if (f->mode == FILL_UNKNOWN)
		f->mode = off ? FILL_PASS : FILL_SNAPSHOT;
	if (f->mode == FILL_PASS) {
		size_t need = entry_size(f->plus, name);
		if (f->used + need > f->size)
			return 1;
		f->used += need;
	}
	f->err = dlist_push(f->out, name, st, f->mode == FILL_PASS ? off : 0);
	return f->err ? 1 : 0;
}

/* An entry readdirplus sends without a lookup (fs.h): the filesystem
 * gave no attributes worth a getattr, as libfuse's high-level API does
 * for entries filled without FUSE_FILL_DIR_PLUS. */
int fbx_fill_dir_nolookup(void *buf, const char *name, const struct stat *st, off_t off)
{
	struct fill *f = buf;
	int r = filler(buf, name, st, off);
	if (r == 0)
		f->out->v[f->out->n - 1].nolookup = 1;
	return r;
}

static int is_dot(const char *name)
{
	return name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]));
}

/* An entry readdirplus sends with the filesystem's attributes, taken
 * as they are (no getattr), as libfuse's high-level API does for
 * entries filled with FUSE_FILL_DIR_PLUS and a stat. */
int fbx_fill_dir_attr(void *buf, const char *name, const struct stat *st, off_t off)
{
	struct fill *f = buf;
	if (!st)
		return fbx_fill_dir_nolookup(buf, name, st, off);
	int r = filler(buf, name, st, off);
	if (r == 0 && !is_dot(name)) {
		struct stat *copy = malloc(sizeof *copy);
		if (!copy) {
			f->err = -ENOMEM;
			return 1;
		}
		*copy = *st;
		f->out->v[f->out->n - 1].attr = copy;
		f->out->nattr++;
	}
	return r;
}

/* ---- building the reply ------------------------------------------------ */

/* Our own hidden files (unlinked while open) are not listed. */
static int is_hidden(struct fbx_fs *fs, uint64_t dir, const char *name)
{
	struct fbx_node_info info;
	return name[0] == FS_HIDDEN_PREFIX[0] &&
	       strncmp(name, FS_HIDDEN_PREFIX, sizeof FS_HIDDEN_PREFIX - 1) == 0 &&
	       fbx_nodes_find(fs->nodes, dir, name, &info) == 0 && info.hidden;
}

/* d_ino as stat(2) would show it; 0 becomes "unknown" in the reply. */
static ino_t dirent_ino(struct fbx_fs *fs, uint64_t dir, const struct dent *d)
{
	struct fbx_node_info info;
	if (fs->opts->use_ino && d->ino)
		return d->ino;
	if (d->name[0] == '.' && !d->name[1])
		return dir; /* the one d_ino always known */
	/* A remembering filesystem serves file handles: the kernel finds a
	 * reconnected directory's name by its d_ino (fs.h, File handles). */
	if (fs->opts->readdir_ino || fs->remember) {
		if (fbx_nodes_find(fs->nodes, dir, d->name, &info) == 0)
			return info.id;
	}
	return fs->opts->use_ino ? d->ino : 0;
}

/* Entry for readdirplus: a full lookup, except for "." and "..", and
 * for a name that cannot be stat'ed (then ino 0: the kernel takes the
 * name only and counts no lookup). Returns the lookup's error: -ENOENT
 * says the name is gone. */
static int plus_entry(struct fbx_fs *fs, uint64_t dir, const struct dent *d,
                      struct fbx_entry *e)
{
	char *path;
	int err = 0;
	memset(e, 0, sizeof *e);
	if (d->attr) {
		uint64_t id;
		if (fbx_nodes_enter(fs->nodes, dir, d->name, d->attr, 0, &id) == 0) {
			fbx_fsi_fill_entry(fs, id, d->attr, e);
			return 0;
		}
	} else if (!d->nolookup && !is_dot(d->name) &&
	           fbx_fsi_path(fs, dir, d->name, &path) == 0) {
		err = fbx_fsi_lookup_path(fs, dir, d->name, path, NULL, 0, e);
		free(path);
		if (!err)
			return 0;
		memset(e, 0, sizeof *e);
	}
	e->attr.st_ino = dirent_ino(fs, dir, d);
	if (!e->attr.st_ino)
		e->attr.st_ino = (ino_t)-1; /* "unknown": d_ino 0 hides the entry */
	e->attr.st_mode = d->type;
	return err;
}

struct idlist {
	uint64_t *v;
	size_t n;
};

/*
 * Fill buf with entries from[first..] (next offset: index + 1 for a
 * snapshot, the fs's own otherwise). For readdirplus, the ids entered
 * are collected in ids so a failed reply can give their lookups back.
 */
static size_t build_reply(struct fbx_fs *fs, uint64_t dir, const struct dlist *l,
                          size_t first, int snapshot, int plus, char *buf, size_t size,
                          struct idlist *ids)
{
	size_t pos = 0;
	struct stat st; /* a plain entry reads st_ino and st_mode only */
	memset(&st, 0, sizeof st);
	for (size_t i = first; i < l->n; i++) {
		const struct dent *d = &l->v[i];
		off_t next = snapshot ? (off_t)(i + 1) : d->off;
		if (is_hidden(fs, dir, d->name))
			continue;
		/* (a plain entry that does not fit is not written: its size says so) */
		if (plus && entry_size(plus, d->name) > size - pos)
			break;
		if (plus) {
			struct fbx_entry e;
			/* A name of the opendir-time listing removed since: not
			 * listed (POSIX leaves it open), rather than listed with
			 * a d_ino stat(2) never showed (xfstests generic/637). */
			if (plus_entry(fs, dir, d, &e) == -ENOENT && snapshot)
				continue;
			pos += fbx_direntplus_add(buf + pos, size - pos, d->name, &e, next);
			if (e.ino)
				ids->v[ids->n++] = e.ino;
		} else {
			st.st_ino = dirent_ino(fs, dir, d);
			st.st_mode = d->type;
			size_t n = fbx_dirent_add(buf + pos, size - pos, d->name, &st, next);
			if (n > size - pos)
				break;
			pos += n;
		}
	}
	return pos;
}

/* A reply built under the handle's lock and sent after it is dropped:
 * once the kernel has the reply it may release the handle at once. */
struct listing {
	char *buf;
	size_t len;
	struct idlist ids;
	int err;
};

static void make_listing(struct fbx_fs *fs, uint64_t dir, const struct dlist *l,
                         size_t first, int snapshot, int plus, size_t size,
                         struct listing *out)
{
	memset(out, 0, sizeof *out);
	out->buf = malloc(size ? size : 1);
	if (!out->buf || (plus && l->n > first &&
	                  !(out->ids.v = calloc(l->n - first, sizeof *out->ids.v)))) {
		out->err = -ENOMEM;
		return;
	}
	if (first < l->n)
		out->len = build_reply(fs, dir, l, first, snapshot, plus, out->buf, size,
		                       &out->ids);
}

static void send_listing(struct fbx_fs *fs, struct fbx_req *req, struct listing *li)
{
	if (li->err) {
		fbx_fsi_reply_err(req, li->err);
	} else if (fbx_reply_buf(req, li->buf ? li->buf : "", li->len) < 0) {
		/* The kernel never saw these entries: their lookups do not count. */
		for (size_t i = 0; i < li->ids.n; i++)
			fbx_nodes_forget(fs->nodes, li->ids.v[i], 1);
	}
	free(li->ids.v);
	free(li->buf);
}

/* ---- readdir ------------------------------------------------------------- */

/* Ask the filesystem for entries from `off`: into dh->snap when it
 * pages by snapshot, into *pass when it gives offsets itself. */
static int fetch(struct fbx_fs *fs, uint64_t ino, struct dirh *dh, off_t off, int plus,
                 size_t size, struct dlist *pass, enum fill_mode *mode)
{
	struct fill f = { .out = &dh->snap, .plus = plus, .size = size };
	char *path;
	int err = fbx_fsi_path_fi(fs, ino, NULL, &path);
	if (err == -ENOENT) {
		*mode = FILL_PASS; /* the directory is gone: list nothing */
		return 0;
	}
	if (!err)
		err = fs->ops.readdir(path, &f, filler, off, &dh->fi);
	free(path);
	if (!err)
		err = f.err;
	*mode = f.mode;
	if (f.mode == FILL_PASS) {
		*pass = dh->snap;
		memset(&dh->snap, 0, sizeof dh->snap);
	} else if (err) {
		dlist_clear(&dh->snap);
	} else if (f.mode == FILL_SNAPSHOT || off == 0) {
		/* An empty listing from a fs paging itself is no snapshot. */
		dh->have_snap = 1;
	}
	return err;
}

static void do_readdir(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                       struct fbx_file_info *kfi, int plus)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	struct dirh *dh = (struct dirh *)(uintptr_t)kfi->fh;
	struct dlist pass = { NULL, 0, 0, NULL, 0 };
	enum fill_mode mode = FILL_SNAPSHOT;
	int err = 0;

	struct listing li = { .err = 0 };
	pthread_mutex_lock(&dh->lock);
	if (off == 0 && dh->have_snap) {
		dlist_clear(&dh->snap); /* rewind: a fresh listing */
		dh->have_snap = 0;
	}
	if (!dh->have_snap)
		err = fetch(fs, ino, dh, off, plus, size, &pass, &mode);
	if (err)
		li.err = err;
	else if (mode == FILL_PASS)
		make_listing(fs, ino, &pass, 0, 0, plus, size, &li);
	else if (dh->have_snap)
		make_listing(fs, ino, &dh->snap, (size_t)off, 1, plus, size, &li);
	pthread_mutex_unlock(&dh->lock);
	/* Not dh past this point: the reply lets the kernel release it. */
	send_listing(fs, req, &li);
	dlist_clear(&pass);
	fbx_fsi_leave();
}

void fbx_fsi_ll_readdir(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                   struct fbx_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, 0);
}

void fbx_fsi_ll_readdirplus(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                       struct fbx_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, 1);
}

/* ---- open, release, fsync -------------------------------------------------- */

static void dirh_free(struct dirh *dh)
{
	dlist_clear(&dh->snap);
	pthread_mutex_destroy(&dh->lock);
	free(dh);
}

void fbx_fsi_ll_opendir(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	struct dirh *dh = calloc(1, sizeof *dh);
	char *path = NULL;
	int err = dh ? fbx_fsi_path(fs, ino, NULL, &path) : -ENOMEM;
	if (!err) {
		pthread_mutex_init(&dh->lock, NULL);
		dh->fi = *fi;
		if (fs->ops.opendir)
			err = fs->ops.opendir(path, &dh->fi);
		if (err)
			pthread_mutex_destroy(&dh->lock);
	}
	if (err) {
		free(dh);
		fbx_fsi_reply_err(req, err);
		goto out;
	}
	struct fbx_file_info out = dh->fi; /* the fs's out flags ... */
	out.fh = (uintptr_t)dh;            /* ... with our handle */
	fbx_nodes_set_fh(fs->nodes, ino, 1, dh->fi.fh, dh->fi.flags);
	if (fbx_reply_open(req, &out) < 0) {
		fbx_nodes_set_fh(fs->nodes, ino, 0, dh->fi.fh, 0);
		if (fs->ops.releasedir)
			fs->ops.releasedir(path, &dh->fi);
		dirh_free(dh);
	}
out:
	free(path);
	fbx_fsi_leave();
}

void fbx_fsi_ll_releasedir(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	struct dirh *dh = (struct dirh *)(uintptr_t)fi->fh;
	char *path;
	/* Without a path (the directory is gone) and no nullpath_ok the fs
	 * is not called: it said it cannot take a NULL path. */
	fbx_nodes_set_fh(fs->nodes, ino, 0, dh->fi.fh, 0);
	if (fs->ops.releasedir && fbx_fsi_path_fi(fs, ino, fi, &path) == 0) {
		fs->ops.releasedir(path, &dh->fi);
		free(path);
	}
	dirh_free(dh);
	fbx_fsi_reply_err(req, 0);
	fbx_fsi_leave();
}

struct fbx_file_info *fbx_fsi_dir_fi(struct fbx_file_info *fi)
{
	return &((struct dirh *)(uintptr_t)fi->fh)->fi;
}

void fbx_fsi_ll_fsyncdir(struct fbx_req *req, uint64_t ino, int datasync,
                    struct fbx_file_info *fi)
{
	struct fbx_fs *fs = fbx_fsi_enter(req);
	struct dirh *dh = (struct dirh *)(uintptr_t)fi->fh;
	char *path;
	int err = fbx_fsi_path_fi(fs, ino, fi, &path);
	if (!err && fs->ops.fsyncdir)
		err = fs->ops.fsyncdir(path, datasync, &dh->fi);
	free(path);
	fbx_fsi_reply_err(req, err);
	fbx_fsi_leave();
}
