/*
 * passthrough -- mirror a directory through FUSE, on the low-level
 * (inode) API of fusebox.
 *
 *   passthrough [fusebox options] SOURCEDIR MOUNTPOINT
 *
 * Design
 * ------
 * Nodes. Every inode the kernel knows about is one struct pt_node,
 * holding an O_PATH|O_NOFOLLOW descriptor of the underlying file. Nodes
 * live in a hash table keyed by (st_dev, st_ino), so hard links share a
 * node, and a lookup of a name we already know returns the same node.
 * The node id handed to the kernel is the node's address (the root is
 * FBX_ROOT_ID); ino:generation stays unique because every new node takes
 * a fresh generation number. The kernel's lookup count is kept under the
 * table lock; forget/forget_multi drop it and the node (and its fd) go
 * away at zero. Our O_PATH fd pins the inode, so its (dev, ino) cannot be
 * reused by another file while the node exists; that is also why a
 * lookup of a name whose inode we already hold is one fstatat() (no
 * open), and why create/tmpfile take the node from the new fd itself.
 *
 * File handles. We take FUSE_EXPORT_SUPPORT. The kernel then asks for
 * "." by node id when it decodes a handle of a node it forgot, and for
 * ".." to reconnect a directory. Node ids stay addresses, so nothing on
 * the common path looks anything up; "." is the one request whose id we
 * check first, against a set of the ids we gave out (a stale or forged
 * id gives ESTALE, not a wild pointer). At its last forget a node keeps
 * its id: it closes its fd and keeps SOURCEDIR's own handle of the
 * inode instead (name_to_handle_at, once), and is reopened with
 * open_by_handle_at when asked for again, or when a lookup by name
 * meets the same file (compared by handle: a reused inode number is
 * another file, and the old node is dropped). Unlinked files and nodes
 * on another file system than SOURCEDIR's are freed at once. A reopened
 * directory must still lie below SOURCEDIR; a regular file moved out of
 * the tree by someone else stays reachable by its old handle, as with
 * an NFS export without subtree_check. Reopening needs
 * CAP_DAC_READ_SEARCH (checked at start): without it forgotten nodes
 * are freed as before and their handles give ESTALE; handles of nodes
 * the kernel holds work either way. Generations start at a random value
 * per run, so a handle from an earlier run names nothing. The cost is
 * one kept node (about 130 bytes) per file forgotten while it still has
 * a name; past -o handles_max kept nodes the oldest is freed (its
 * handles then give ESTALE, never another file).
 *
 * Staying inside SOURCEDIR. The daemon never resolves a path of more
 * than one component, and never follows a symlink:
 *  - names are resolved one at a time with openat(parent_fd, name,
 *    O_PATH|O_NOFOLLOW); names with '/' are refused, "." and ".." are
 *    handled by hand (".." of the root is the root);
 *  - everything else works on the node's fd: fstatat/fchownat/utimensat/
 *    readlinkat with AT_EMPTY_PATH, and "/proc/self/fd/N" where a call
 *    has no fd form (fchmodat, truncate, reopening for I/O, the xattr
 *    calls, linkat, faccessat). Following that magic link lands on the
 *    inode itself, even when it is a symlink: the symlink's target is
 *    not followed, so a symlink is handed to the kernel as a symlink and
 *    resolved there, for the caller, against the mount.
 *  - create uses O_NOFOLLOW too, so a symlink planted under a name the
 *    kernel thought free makes the create fail instead of writing through.
 *
 * Credentials. Running as root with -o allow_other,default_permissions
 * the kernel checks permissions against the attributes we report, and
 * the daemon does the operation as root. Except for operations that
 * create a name (create, mknod, mkdir, symlink, link, tmpfile): there the
 * worker thread takes the caller's fsuid, fsgid and supplementary groups
 * (raw per-thread syscalls, not the glibc wrappers that change every
 * thread) so the underlying file system assigns owner and group itself,
 * including set-gid directory inheritance and the clearing of S_ISGID.
 * access(2) is answered the same way, with faccessat(AT_EACCESS).
 *
 * I/O. open reopens /proc/self/fd/N with the caller's flags (O_CREAT,
 * O_EXCL, O_NOCTTY, O_NOFOLLOW and O_DIRECT dropped); the open fd and an
 * optional passthrough backing id are packed into fi->fh. read replies
 * with fbx_reply_fd(), which preads into the reply buffer. With -o writeback_cache
 * the kernel writes from its page cache at explicit offsets and may read
 * to fill partial pages, so O_APPEND is dropped and O_WRONLY widened to
 * O_RDWR. As root on kernel >= 6.9 (FUSE passthrough; -o no_passthrough
 * turns it off, an explicit -o writeback_cache wins over it, since the
 * kernel refuses both) regular files get a backing file and the kernel
 * does read/write/mmap on it directly; if registering fails we quietly
 * serve I/O ourselves. It is the default because it costs no coherence:
 * the page cache is the source file's own, so data written below is seen
 * at once, and it removes every READ and WRITE round trip (SQLite's 25k
 * inserts: 61 600 requests without, 4 600 with). Setuid and setgid files get none:
 * their writes must reach us, since clearing those bits for a writer
 * without CAP_FSETID is ours to do (a backing file would be written with
 * the daemon's privileges). The kernel wants every open of an inode to
 * agree, so the first open decides for all that overlap it. fallocate
 * and copy_file_range clear the bits too, for callers without CAP_FSETID
 * (read from /proc: the kernel sends no kill_priv flag for them).
 *
 * Directories: opendir opens "." of the node and keeps a DIR* in fh,
 * and lets the kernel cache the listing (-o no_readdir_cache: not): at
 * each opendir and rewind the kernel compares the directory's mtime,
 * refreshed once attr_timeout has passed, so a listing is as fresh as
 * stat(2) is -- except for a change from outside the mount within one
 * tick of a coarse-timestamp file system, which leaves mtime as it was.
 * Readdir offsets are the d_off cookies of the underlying directory, so
 * a later call continues with seekdir(). readdirplus looks up every
 * entry but "." and "..", undoing the lookups of entries that do not fit
 * or of a reply the kernel did not take.
 *
 * Locks (getlk/setlk/flock) are left to the kernel: they are local to
 * this machine, which is what a mirror of a local directory wants.
 *
 * Caches (fusebox/lowlevel.h, "Caching"). The page cache is kept across
 * opens of a file that did not change below since our last release
 * (see unchanged_since_release). writeback_cache stays off by default:
 * with it the kernel keeps size and mtime itself, so a source file
 * written or resized by another process is not seen right while cached.
 * It is safe, and makes tar, builds and SQLite several times cheaper
 * in WRITEs, when nothing but this mount writes SOURCEDIR while it is
 * mounted: say so with -o writeback_cache, or with -o exclusive, which
 * turns it on only where FUSE passthrough is not used (that costs no
 * coherence and needs neither). We cannot detect that.
 *
 * Fewer round trips. With handle_killpriv_v2 (-o no_killpriv_v2 turns it
 * off) we clear suid/sgid ourselves when the kernel says the writer lacks
 * CAP_FSETID, and the kernel stops asking for security.capability before
 * every write(2). When SOURCEDIR is on a local file system, where
 * close(2) cannot fail, opens are answered with FOPEN_NOFLUSH so that
 * close sends no FLUSH (-o flush / -o noflush override the guess), and
 * FLUSH is answered ENOSYS, which stops it under writeback_cache too.
 * -o no_xattr answers the xattr calls ENOSYS: the kernel then stops
 * asking for security.capability before the first write and every chown
 * (tar -x: 8 round trips per file become 6), at the price of every
 * extended attribute and ACL. The 6 left are the kernel's floor: LOOKUP
 * of the new name, CREATE, SETATTR for each of fchown/fchmod/utimensat,
 * RELEASE (lowlevel.h, "Caching").
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <fusebox/lowlevel.h>
#include <fusebox/options.h>

/* ---- state -------------------------------------------------------------- */

struct pt_node {
	int fd;                 /* O_PATH|O_NOFOLLOW, owned by the node; -1: forgotten */
	mode_t type;            /* S_IFMT bits: fixed for an inode's life */
	dev_t dev;
	ino_t ino;
	uint64_t nlookup;       /* kernel references; under pt.lock */
	uint64_t generation;
	int backing_id;         /* -o passthrough: one backing file per inode, */
	int backing_users;      /* shared by its opens; */
	int backing_writers;    /* those of them that may write; */
	int cached_users;       /* or opens without one; all three under pt.lock */
	struct pt_stamp {       /* the file as the kernel's page cache last saw */
		struct timespec mtime, ctime;   /* it (at our last flush or */
		off_t size;                     /* release); under pt.lock */
		bool valid;
		bool flushed;           /* taken at a FLUSH, not yet released */
	} seen;
	struct pt_node *next;   /* hash chain */
	struct pt_node *id_next; /* chain of the id set (pt.ids) */
	struct file_handle *fh; /* SOURCEDIR's handle of the inode, once forgotten */
	struct pt_node *kept_prev, *kept_next; /* forgotten nodes, oldest first */
};

struct pt {
	struct pt_node root;
	pthread_mutex_t lock;   /* the table, nlookup, next_generation */
	struct pt_node **buckets;
	size_t nbuckets, count;
	uint64_t next_generation;
	struct pt_node **ids;   /* every node id we gave out and still know */
	size_t nids, ids_count;
	int export;             /* the kernel asks "." and ".." by node id */
	int handles;            /* we can reopen a forgotten node by its handle */
	struct pt_node *kept_head, *kept_tail; /* nodes kept after forget (fd -1) */
	size_t kept, kept_max;  /* how many; at most (-o handles_max) */

	char *source;
	int root_rdfd;          /* readable fd of the root, for syncfs */
	double entry_timeout, attr_timeout, negative_timeout;
	enum fbx_tristate opt_writeback, opt_passthrough;
	int kernel_cache, direct_io;
	int writeback, passthrough;   /* what init negotiated */
	int opt_killpriv;             /* -o no_killpriv_v2 turns it off */
	int killpriv;                 /* we clear suid/sgid (handle_killpriv_v2) */
	int default_permissions;      /* -o default_permissions: the kernel checks */
	int noatime;                  /* -o noatime: reads do not change atime */
	int opt_flush;                /* -o flush / -o noflush; -1: by source type */
	int opt_readdir_cache;        /* -o no_readdir_cache turns it off */
	int xattr;                    /* -o no_xattr: getxattr & co. say ENOSYS */
	int exclusive;                /* -o exclusive: nobody else writes SOURCEDIR */
	int noflush;                  /* close(2) sends no FLUSH */
	atomic_int told_fd_limit;     /* out of descriptors: said once */

	/* creating as the caller: only possible as root */
	int switch_creds;
	uid_t own_uid;
	gid_t own_gid;
	int own_ngroups;
	gid_t *own_groups;
};

/* An open directory. */
struct pt_dir {
	pthread_mutex_t lock;
	DIR *dp;
	off_t pos;              /* cookie of the next entry readdir() returns */
	struct dirent *pending; /* read but not yet sent (did not fit) */
};

static struct pt *pt_of(struct fbx_req *req)
{
	return fbx_req_userdata(req);
}

static struct pt_node *node_of(struct pt *pt, uint64_t ino)
{
	if (ino == FBX_ROOT_ID)
		return &pt->root;
	return (struct pt_node *)(uintptr_t)ino;
}

static uint64_t node_id(struct pt *pt, struct pt_node *n)
{
	return n == &pt->root ? FBX_ROOT_ID : (uint64_t)(uintptr_t)n;
}

/* "/proc/self/fd/N": the way to reach the node's inode itself with
 * calls that have no fd form. */
struct pt_path { char s[40]; };

static struct pt_path proc_path(int fd)
{
	struct pt_path p;
	snprintf(p.s, sizeof p.s, "/proc/self/fd/%d", fd);
	return p;
}

/* fi->fh of regular files: the open fd, and the backing id above it. */
static uint64_t fh_make(int fd, int backing_id)
{
	return (uint64_t)(uint32_t)fd | (uint64_t)(uint32_t)backing_id << 32;
}

static int fh_fd(uint64_t fh)
{
	return (int)(uint32_t)fh;
}

static int fh_backing(uint64_t fh)
{
	return (int)(uint32_t)(fh >> 32);
}

static struct pt_dir *dir_of(const struct fbx_file_info *fi)
{
	return (struct pt_dir *)(uintptr_t)fi->fh;
}

/* A single path component we may create or remove. The kernel never
 * sends anything else; refusing it here keeps a confused or hostile
 * peer from walking out of the tree. */
static int name_ok(const char *name)
{
	if (!name[0] || strchr(name, '/'))
		return 0;
	return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* ---- the node table ----------------------------------------------------- */

static size_t node_hash(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev;
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return (size_t)(h ^ (h >> 29));
}

/* Locked. */
static struct pt_node *table_find(struct pt *pt, dev_t dev, ino_t ino)
{
	struct pt_node *n = pt->buckets[node_hash(dev, ino) & (pt->nbuckets - 1)];
	while (n && (n->ino != ino || n->dev != dev))
		n = n->next;
	return n;
}

/* Locked. Growing may fail; the table then stays denser, still correct. */
static void table_insert(struct pt *pt, struct pt_node *n)
{
	if (pt->count >= pt->nbuckets) {
		size_t nb = pt->nbuckets * 2;
		struct pt_node **b = calloc(nb, sizeof *b);
		if (b) {
			for (size_t i = 0; i < pt->nbuckets; i++) {
				struct pt_node *m = pt->buckets[i], *next;
				for (; m; m = next) {
					next = m->next;
					size_t h = node_hash(m->dev, m->ino) & (nb - 1);
					m->next = b[h];
					b[h] = m;
				}
			}
			free(pt->buckets);
			pt->buckets = b;
			pt->nbuckets = nb;
		}
	}
	size_t h = node_hash(n->dev, n->ino) & (pt->nbuckets - 1);
	n->next = pt->buckets[h];
	pt->buckets[h] = n;
	pt->count++;
}

/* Locked. */
static void table_remove(struct pt *pt, struct pt_node *n)
{
	struct pt_node **pp = &pt->buckets[node_hash(n->dev, n->ino) & (pt->nbuckets - 1)];
	while (*pp && *pp != n)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = n->next;
		pt->count--;
	}
}

/* The id set: a LOOKUP of "." comes with a node id the kernel may have
 * forgotten, or never had (a forged NFS handle), and is the one request
 * whose id we must check before following it as a pointer. */
static size_t id_hash(const struct pt_node *n)
{
	uint64_t h = (uint64_t)(uintptr_t)n * 0x9e3779b97f4a7c15ull;
	return (size_t)(h ^ (h >> 29));
}

/* Locked. */
static void ids_insert(struct pt *pt, struct pt_node *n)
{
	if (pt->ids_count >= pt->nids) {
		size_t nb = pt->nids * 2;
		struct pt_node **b = calloc(nb, sizeof *b);
		if (b) {
			for (size_t i = 0; i < pt->nids; i++) {
				struct pt_node *m = pt->ids[i], *next;
				for (; m; m = next) {
					next = m->id_next;
					m->id_next = b[id_hash(m) & (nb - 1)];
					b[id_hash(m) & (nb - 1)] = m;
				}
			}
			free(pt->ids);
			pt->ids = b;
			pt->nids = nb;
		}
	}
	size_t h = id_hash(n) & (pt->nids - 1);
	n->id_next = pt->ids[h];
	pt->ids[h] = n;
	pt->ids_count++;
}

/* Locked. */
static void ids_remove(struct pt *pt, struct pt_node *n)
{
	struct pt_node **pp = &pt->ids[id_hash(n) & (pt->nids - 1)];
	while (*pp && *pp != n)
		pp = &(*pp)->id_next;
	if (*pp) {
		*pp = n->id_next;
		pt->ids_count--;
	}
}

/* Locked. The node of a node id from the kernel, or NULL. */
static struct pt_node *ids_find(struct pt *pt, uint64_t id)
{
	if (id == FBX_ROOT_ID)
		return &pt->root;
	struct pt_node *key = (struct pt_node *)(uintptr_t)id, *n;
	for (n = pt->ids[id_hash(key) & (pt->nids - 1)]; n && n != key; n = n->id_next)
		;
	return n;
}

/* SOURCEDIR's own handle of the inode behind fd, or NULL. */
static struct file_handle *handle_of(int fd)
{
	struct { struct file_handle h; unsigned char b[MAX_HANDLE_SZ]; } buf;
	struct file_handle *fh;
	int mount_id;

	buf.h.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(fd, "", &buf.h, &mount_id, AT_EMPTY_PATH) < 0)
		return NULL;
	fh = malloc(sizeof *fh + buf.h.handle_bytes);
	if (fh)
		memcpy(fh, &buf.h, sizeof *fh + buf.h.handle_bytes);
	return fh;
}

static int same_handle(const struct file_handle *a, const struct file_handle *b)
{
	return a->handle_type == b->handle_type && a->handle_bytes == b->handle_bytes &&
	       memcmp(a->f_handle, b->f_handle, a->handle_bytes) == 0;
}

/* Locked. The list of forgotten nodes we keep, oldest first: past
 * -o handles_max the oldest goes, and its handles give ESTALE. */
static void kept_add(struct pt *pt, struct pt_node *n)
{
	n->kept_next = NULL;
	n->kept_prev = pt->kept_tail;
	if (pt->kept_tail)
		pt->kept_tail->kept_next = n;
	else
		pt->kept_head = n;
	pt->kept_tail = n;
	pt->kept++;
}

/* Locked. */
static void kept_del(struct pt *pt, struct pt_node *n)
{
	if (n->kept_prev)
		n->kept_prev->kept_next = n->kept_next;
	else
		pt->kept_head = n->kept_next;
	if (n->kept_next)
		n->kept_next->kept_prev = n->kept_prev;
	else
		pt->kept_tail = n->kept_prev;
	n->kept_prev = n->kept_next = NULL;
	pt->kept--;
}

/* Locked. Forget a node for good: its id gives ESTALE from now on. */
static void node_drop(struct pt *pt, struct pt_node *n)
{
	if (n->fd < 0)
		kept_del(pt, n);
	table_remove(pt, n);
	ids_remove(pt, n);
}

static void node_free(struct pt_node *n)
{
	if (n->fd >= 0)
		close(n->fd);
	free(n->fh);
	free(n);
}

/* One more kernel reference to the inode behind `fd` (stat `st`): an
 * existing node, or a new one that takes over fd. fd is consumed. */
static int node_ref(struct pt *pt, int fd, const struct stat *st, struct pt_node **out)
{
	struct pt_node *n, *fresh = NULL, *dead = NULL;

	pthread_mutex_lock(&pt->lock);
	n = table_find(pt, st->st_dev, st->st_ino);
	if (n && n->fd < 0) {
		/* A node the kernel forgot: the same file again keeps its id
		 * and generation, so its handles stay valid; an inode number
		 * the source gave to a new file makes the old node dead. */
		struct file_handle *fh = handle_of(fd);
		if (fh && same_handle(fh, n->fh)) {
			kept_del(pt, n);
			n->fd = fd;
			fd = -1;
		} else {
			node_drop(pt, n);
			dead = n;
			n = NULL;
		}
		free(fh);
	}
	if (!n) {
		fresh = calloc(1, sizeof *fresh);
		if (!fresh) {
			pthread_mutex_unlock(&pt->lock);
			close(fd);
			return -ENOMEM;
		}
		n = fresh;
		n->fd = fd;
		n->type = st->st_mode & S_IFMT;
		n->dev = st->st_dev;
		n->ino = st->st_ino;
		n->generation = ++pt->next_generation;
		table_insert(pt, n);
		ids_insert(pt, n);
	}
	n->nlookup++;
	pthread_mutex_unlock(&pt->lock);
	if (!fresh && fd >= 0)
		close(fd);
	if (dead)
		node_free(dead);
	*out = n;
	return 0;
}

/* Drop `count` kernel references; at zero (never the root) the node
 * gives up its fd, and is freed unless it can be found again from the
 * source's handle of its inode (pt->handles): then it stays, fd -1, so
 * that a file handle the kernel made of it resolves again (pt_lookup of
 * "."). The handle is taken once, at the first forget. */
static void node_unref(struct pt *pt, struct pt_node *n, uint64_t count)
{
	struct pt_node *old = NULL;
	int gone = 0, fd = -1;

	pthread_mutex_lock(&pt->lock);
	n->nlookup = count >= n->nlookup ? 0 : n->nlookup - count;
	if (n->nlookup == 0 && n != &pt->root && n->fd >= 0) {
		struct stat st;
		/* An unlinked file (the kernel forgets those at once) has no
		 * handle worth keeping: a create+unlink workload must not
		 * leave a node per file behind. */
		if (pt->handles && pt->kept_max && n->dev == pt->root.dev && !n->fh &&
		    fstatat(n->fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_nlink > 0)
			n->fh = handle_of(n->fd);
		if (!pt->handles || !pt->kept_max || n->dev != pt->root.dev || !n->fh) {
			node_drop(pt, n);
			gone = 1;
		} else {
			fd = n->fd;
			n->fd = -1;
			kept_add(pt, n);
			if (pt->kept > pt->kept_max) {
				old = pt->kept_head;
				node_drop(pt, old);
			}
		}
	}
	pthread_mutex_unlock(&pt->lock);
	if (fd >= 0)
		close(fd);
	if (gone)
		node_free(n);
	if (old)
		node_free(old);
}

static void entry_init(struct pt *pt, struct fbx_entry *e)
{
	memset(e, 0, sizeof *e);
	e->attr_timeout = pt->attr_timeout;
	e->entry_timeout = pt->entry_timeout;
}

static double attr_ttl(struct pt *pt, struct pt_node *n, mode_t mode);

/* An entry reply names node n, whose attributes e->attr holds. */
static void entry_set_node(struct pt *pt, struct fbx_entry *e, struct pt_node *n)
{
	e->ino = node_id(pt, n);
	e->generation = n->generation;
	e->attr_timeout = attr_ttl(pt, n, e->attr.st_mode);
}

/* A reference on the node of (dev, ino) if we have one already. */
static struct pt_node *node_find_ref(struct pt *pt, const struct stat *st)
{
	struct pt_node *n;

	pthread_mutex_lock(&pt->lock);
	n = table_find(pt, st->st_dev, st->st_ino);
	if (n && n->fd >= 0)
		n->nlookup++;
	else
		n = NULL;  /* forgotten: node_ref checks it is the same file */
	pthread_mutex_unlock(&pt->lock);
	return n;
}

/* A node holds a descriptor as long as the kernel knows its inode, so a
 * tree larger than RLIMIT_NOFILE runs out of them. The caller then sees
 * "Too many open files" for a lookup or create, which names the wrong
 * process: say once, here, whose limit it is. */
static int node_fd_error(struct pt *pt)
{
	int err = errno;
	struct rlimit rl;
	if ((err == EMFILE || err == ENFILE) && !atomic_exchange(&pt->told_fd_limit, 1) &&
	    getrlimit(RLIMIT_NOFILE, &rl) == 0)
		fprintf(stderr, "passthrough: out of file descriptors (%s; RLIMIT_NOFILE "
		        "%llu): one is held per inode the kernel knows; lookups and "
		        "creates fail until it forgets some. Raise the limit (ulimit "
		        "-Hn, or run as root)\n", strerror(err),
		        (unsigned long long)rl.rlim_cur);
	return -err;
}

/* Resolve one name below `parent` and take a reference on its node.
 * `known`: the name is likely to be a node we have (a lookup rather
 * than a create); then a single fstatat() answers, without opening. */
static int do_lookup(struct pt *pt, struct pt_node *parent, const char *name,
                     struct fbx_entry *e, int known)
{
	struct pt_node *n;
	int fd, err;

	entry_init(pt, e);
	if (!name[0] || strchr(name, '/'))
		return -EINVAL;
	/* ".." of the root would be the directory above SOURCEDIR. */
	if (parent == &pt->root && strcmp(name, "..") == 0)
		name = ".";
	if (known) {
		/* One component, not followed: the inode that had this name
		 * just now. Our node's fd pins that same inode. */
		if (fstatat(parent->fd, name, &e->attr, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		n = node_find_ref(pt, &e->attr);
		if (n) {
			entry_set_node(pt, e, n);
			return 0;
		}
	}
	fd = openat(parent->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : node_fd_error(pt);
	if (fstatat(fd, "", &e->attr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	err = node_ref(pt, fd, &e->attr, &n);
	if (err)
		return err;
	entry_set_node(pt, e, n);
	return 0;
}

/* The node of an open file we just made (create, tmpfile): the inode
 * itself, not whatever its name resolves to by now. */
static int node_from_fd(struct pt *pt, int fd, struct fbx_entry *e)
{
	struct pt_node *n;
	int pfd, err;

	entry_init(pt, e);
	if (fstat(fd, &e->attr) < 0)
		return -errno;
	n = node_find_ref(pt, &e->attr);
	if (!n) {
		pfd = open(proc_path(fd).s, O_PATH | O_CLOEXEC);
		if (pfd < 0)
			return node_fd_error(pt);
		err = node_ref(pt, pfd, &e->attr, &n);
		if (err)
			return err;
	}
	entry_set_node(pt, e, n);
	return 0;
}

/* Reply with an entry we hold a reference for; if the kernel did not
 * take it (the request was interrupted), the reference goes again. */
static void reply_entry(struct pt *pt, struct fbx_req *req, const struct fbx_entry *e)
{
	if (fbx_reply_entry(req, e) < 0 && e->ino)
		node_unref(pt, node_of(pt, e->ino), 1);
}

/* ---- caller credentials ------------------------------------------------- */

/* Become the caller for the file system (this thread only). Returns 1
 * if the ids were switched, 0 if there was no need, or a negated errno;
 * creds_leave() with that value follows a non-negative one. */
static int creds_enter(struct pt *pt, struct fbx_req *req)
{
	const struct fbx_ctx *ctx = fbx_req_ctx(req);
	gid_t small[64], *groups = small;
	int n, err = 0;

	/* A caller with our own uid and gid (root) has every capability
	 * that matters here; its supplementary groups change nothing. */
	if (!pt->switch_creds || (ctx->uid == pt->own_uid && ctx->gid == pt->own_gid))
		return 0;
	n = fbx_req_groups(req, 64, small);
	if (n > 64) {
		groups = malloc((size_t)n * sizeof *groups);
		if (!groups)
			return -ENOMEM;
		n = fbx_req_groups(req, n, groups);
	}
	if (n < 0)
		n = 0;  /* kernel-internal request or the caller is gone */
	if (syscall(SYS_setgroups, (size_t)n, groups) < 0)
		err = -errno;
	if (groups != small)
		free(groups);
	if (err)
		return err;
	syscall(SYS_setfsgid, ctx->gid);
	syscall(SYS_setfsuid, ctx->uid);
	/* setfsuid/setfsgid report no errors; read the values back. */
	if ((uid_t)syscall(SYS_setfsuid, (uid_t)-1) != ctx->uid ||
	    (gid_t)syscall(SYS_setfsgid, (gid_t)-1) != ctx->gid) {
		syscall(SYS_setfsuid, pt->own_uid);
		syscall(SYS_setfsgid, pt->own_gid);
		syscall(SYS_setgroups, (size_t)pt->own_ngroups, pt->own_groups);
		return -EPERM;
	}
	return 1;
}

static void creds_leave(struct pt *pt, int switched)
{
	if (switched <= 0)
		return;
	/* fsuid first: going back to 0 restores the file capabilities. */
	syscall(SYS_setfsuid, pt->own_uid);
	syscall(SYS_setfsgid, pt->own_gid);
	syscall(SYS_setgroups, (size_t)pt->own_ngroups, pt->own_groups);
}

/* ---- init, lookup, forget ----------------------------------------------- */

static void pt_init(void *userdata, struct fbx_conn *conn)
{
	struct pt *pt = userdata;

	/* Passthrough by default where the kernel offers it and we are
	 * root: reads and writes then cost no round trip, and the page
	 * cache is the source file's own, so a change made below is seen
	 * at once. An explicit -o writeback_cache wins over the default. */
	pt->passthrough = (pt->opt_passthrough == FBX_ON ||
	                   (pt->opt_passthrough == FBX_AUTO && pt->opt_writeback != FBX_ON)) &&
	                  (conn->capable & FBX_CAP_PASSTHROUGH) && geteuid() == 0;
	/* -o exclusive: the writeback cache's one cost (sizes and times
	 * of files changed below are not seen) cannot arise, so take it
	 * where passthrough is not to be had (not root, an older kernel). */
	pt->writeback = (pt->opt_writeback == FBX_ON ||
	                 (pt->opt_writeback == FBX_AUTO && pt->exclusive && !pt->passthrough)) &&
	                (conn->capable & FBX_CAP_WRITEBACK_CACHE);
	if (pt->passthrough && pt->writeback) {
		/* The kernel refuses passthrough together with writeback. */
		fprintf(stderr, "passthrough: writeback_cache off, passthrough is on\n");
		pt->writeback = 0;
	}
	if (pt->passthrough) {
		conn->want |= FBX_CAP_PASSTHROUGH;
		if (conn->max_stack_depth == 0)
			conn->max_stack_depth = 1;
	} else {
		conn->want &= ~FBX_CAP_PASSTHROUGH;
	}
	if (pt->writeback)
		conn->want |= FBX_CAP_WRITEBACK_CACHE;
	else
		conn->want &= ~FBX_CAP_WRITEBACK_CACHE;
	/* The file system below applies the caller's umask, or ignores it
	 * where the parent directory has a default ACL (POSIX.1e): so the
	 * kernel must not apply it first (see take_umask). */
	if (conn->capable & FBX_CAP_DONT_MASK)
		conn->want |= FBX_CAP_DONT_MASK;
	/* ACLs grant or deny what the mode bits alone do not: with
	 * default_permissions the kernel checks them (it reads them through
	 * getxattr and caches them); without it, that option stays off. */
	if (pt->default_permissions && pt->xattr && (conn->capable & FBX_CAP_POSIX_ACL))
		conn->want |= FBX_CAP_POSIX_ACL;
	else
		conn->want &= ~FBX_CAP_POSIX_ACL;
	/* File handles: "." and ".." by node id are answered (pt_lookup);
	 * a forgotten node comes back only where pt->handles. */
	pt->export = (conn->capable & FBX_CAP_EXPORT_SUPPORT) != 0;
	if (pt->export)
		conn->want |= FBX_CAP_EXPORT_SUPPORT;
	/* Locks stay in the kernel (no getlk/setlk/flock ops). */
	conn->want &= ~(FBX_CAP_POSIX_LOCKS | FBX_CAP_FLOCK_LOCKS);
	/* Without killpriv_v2 the kernel asks for security.capability before
	 * every write(2); with it, once per inode, and we clear suid/sgid. */
	pt->killpriv = pt->opt_killpriv && (conn->capable & FBX_CAP_HANDLE_KILLPRIV_V2);
	if (pt->killpriv)
		conn->want |= FBX_CAP_HANDLE_KILLPRIV_V2;
	else
		conn->want &= ~FBX_CAP_HANDLE_KILLPRIV_V2;
	/* An atomic O_TRUNC open tells us to clear suid/sgid only under
	 * killpriv_v2; without it the kernel must truncate with a SETATTR of
	 * its own, which clears them for callers without CAP_FSETID. */
	if (pt->killpriv && (conn->capable & FBX_CAP_ATOMIC_O_TRUNC))
		conn->want |= FBX_CAP_ATOMIC_O_TRUNC;
	else
		conn->want &= ~FBX_CAP_ATOMIC_O_TRUNC;
}

/* Is the directory behind fd still below SOURCEDIR? A handle names an
 * inode wherever it has moved; a directory reopened from one outside the
 * tree would let ".." walk above SOURCEDIR. */
static int dir_inside(struct pt *pt, int fd)
{
	struct stat st, up_st;
	int cur = fd, up, inside = 0;

	for (int depth = 0; depth < 4096 && fstat(cur, &st) == 0; depth++) {
		if (st.st_dev == pt->root.dev && st.st_ino == pt->root.ino) {
			inside = 1;
			break;
		}
		up = openat(cur, "..", O_PATH | O_CLOEXEC);
		if (up < 0 || fstat(up, &up_st) < 0 ||
		    (up_st.st_dev == st.st_dev && up_st.st_ino == st.st_ino)) {
			if (up >= 0)
				close(up);
			break;   /* at "/" of the system: outside */
		}
		if (cur != fd)
			close(cur);
		cur = up;
	}
	if (cur != fd)
		close(cur);
	return inside;
}

/* Locked. Reopen a forgotten node from its handle: 0, -ESTALE when the
 * file is gone (or has left the tree), or another negated errno. */
static int node_reopen(struct pt *pt, struct pt_node *n)
{
	struct stat st;
	int fd = open_by_handle_at(pt->root_rdfd, n->fh, O_PATH | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? -ESTALE : -errno;
	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ||
	    st.st_dev != n->dev || st.st_ino != n->ino || (st.st_mode & S_IFMT) != n->type ||
	    st.st_nlink == 0 || (S_ISDIR(n->type) && !dir_inside(pt, fd))) {
		close(fd);
		return -ESTALE;
	}
	kept_del(pt, n);
	n->fd = fd;
	return 0;
}

/* LOOKUP of "." by node id (FUSE_EXPORT_SUPPORT): the kernel decodes a
 * file handle of a node it may no longer hold. Answered only for an id
 * we gave out, with the very file it named; anything else is ESTALE. */
static int dot_lookup(struct pt *pt, uint64_t id, struct fbx_entry *e)
{
	struct pt_node *n, *dead = NULL;
	int err = -ESTALE;

	entry_init(pt, e);
	pthread_mutex_lock(&pt->lock);
	n = ids_find(pt, id);
	if (n) {
		err = n->fd < 0 ? node_reopen(pt, n) : 0;
		if (!err && fstatat(n->fd, "", &e->attr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			err = -errno;
		if (!err)
			n->nlookup++;
		if (err == -ESTALE && n->nlookup == 0 && n->fd < 0) {
			node_drop(pt, n);   /* gone for good */
			dead = n;
		}
	}
	pthread_mutex_unlock(&pt->lock);
	if (dead)
		node_free(dead);
	if (!err)
		entry_set_node(pt, e, n);
	return err;
}

static void pt_lookup(struct fbx_req *req, uint64_t parent, const char *name)
{
	struct pt *pt = pt_of(req);
	struct fbx_entry e;
	int err;

	if (pt->export && strcmp(name, ".") == 0) {
		err = dot_lookup(pt, parent, &e);
		if (err)
			fbx_reply_err(req, err);
		else
			reply_entry(pt, req, &e);
		return;
	}
	err = do_lookup(pt, node_of(pt, parent), name, &e, 1);

	if (err == -ENOENT && pt->negative_timeout > 0) {
		entry_init(pt, &e);
		e.entry_timeout = pt->negative_timeout;
		fbx_reply_entry(req, &e);
		return;
	}
	if (err) {
		fbx_reply_err(req, err);
		return;
	}
	reply_entry(pt, req, &e);
}

static void pt_forget(struct fbx_req *req, uint64_t ino, uint64_t nlookup)
{
	struct pt *pt = pt_of(req);

	node_unref(pt, node_of(pt, ino), nlookup);
	fbx_reply_none(req);
}

static void pt_forget_multi(struct fbx_req *req, size_t count,
                            const uint64_t *inos, const uint64_t *nlookups)
{
	struct pt *pt = pt_of(req);

	for (size_t i = 0; i < count; i++)
		node_unref(pt, node_of(pt, inos[i]), nlookups[i]);
	fbx_reply_none(req);
}

/* ---- attributes --------------------------------------------------------- */

static int node_stat(struct pt_node *n, struct stat *st)
{
	if (fstatat(n->fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

/* Is the caller in group g? Unknown counts as no (fbx_ctx_in_group), as
 * for a caller the kernel cannot see: clearing sgid is the safe side. */
static int caller_in_group(const struct fbx_ctx *c, gid_t g)
{
	return fbx_ctx_in_group(c, g);
}

/* Clear the `kill` bits of the file whose mode st holds (fd, or path
 * when fd < 0): 1 if the mode changed, 0 if none was set, or -errno. */
static int clear_bits(int fd, const char *path, const struct stat *st, mode_t kill)
{
	mode_t mode = st->st_mode & 07777 & ~kill;

	if (!(st->st_mode & kill))
		return 0;
	if ((fd >= 0 ? fchmod(fd, mode) : chmod(path, mode)) < 0)
		return -errno;
	return 1;
}

/* Whether a caller keeps a plain sgid (setattr_should_drop_sgid,
 * posix_acl_update_mode): in the file's group, or holding CAP_FSETID. */
static bool caller_keeps_sgid(struct fbx_req *req, gid_t g)
{
	return caller_in_group(fbx_req_ctx(req), g) || fbx_req_capable(req, CAP_FSETID) == 1;
}

/* What the kernel does to a file written or truncated by a caller
 * without CAP_FSETID: suid goes; sgid goes if group-executable or if the
 * caller is not in the file's group. The daemon has CAP_FSETID, so the
 * underlying file system would keep both.
 * Returns 1 if the mode changed: a reply without attributes must then
 * tell the kernel, whose cached mode is otherwise stale (see kill_notify). */
static int kill_suidgid(int fd, const char *path, const struct fbx_ctx *c)
{
	struct stat st;
	mode_t kill = S_ISUID;

	if ((fd >= 0 ? fstat(fd, &st) : stat(path, &st)) < 0)
		return -errno;
	if ((st.st_mode & S_ISGID) &&
	    ((st.st_mode & S_IXGRP) || !caller_in_group(c, st.st_gid)))
		kill |= S_ISGID;
	return clear_bits(fd, path, &st, kill);
}

/* For write and open(O_TRUNC), whose replies carry no attributes. */
static int kill_notify(struct fbx_req *req, uint64_t ino, int fd)
{
	int r = kill_suidgid(fd, NULL, fbx_req_ctx(req));

	if (r > 0)
		fbx_notify_inval_inode(fbx_req_session(req), ino, -1, 0);
	return r < 0 ? r : 0;
}

/* fallocate and copy_file_range change a file as a write does, but under
 * killpriv_v2 the kernel neither clears suid/sgid for them nor sends a
 * kill_priv flag: it leaves the whole decision to us. So ask what the
 * kernel would: does the caller hold CAP_FSETID? (Unknown counts as no.) */
static int kill_unsent(struct fbx_req *req, uint64_t ino, int fd)
{
	struct pt *pt = pt_of(req);
	if (!pt->killpriv || fbx_req_capable(req, CAP_FSETID) == 1)
		return 0;
	return kill_notify(req, ino, fd);
}

static void pt_getattr(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct pt *pt = pt_of(req);
	struct pt_node *n = node_of(pt, ino);
	struct stat st;
	int err = node_stat(n, &st);

	if (err)
		fbx_reply_err(req, err);
	else
		fbx_reply_attr(req, &st, attr_ttl(pt, n, st.st_mode));
}

static struct timespec time_arg(unsigned to_set, unsigned set, unsigned now,
                                const struct timespec *t)
{
	struct timespec ts = { 0, UTIME_OMIT };

	if (to_set & now)
		ts.tv_nsec = UTIME_NOW;
	else if (to_set & set)
		ts = *t;
	return ts;
}

/* The kernel sends kill_suidgid with every chown of a file under
 * killpriv_v2. The daemon's fchownat takes suid and a group-executable
 * sgid as Linux's chown does for anyone; what it cannot know is a plain
 * sgid that goes when the caller is neither in the file's (old) group
 * nor holds CAP_FSETID. Judged before the chown: S_ISGID or 0. */
static int chown_sgid_kill(struct fbx_req *req, struct pt_node *n, mode_t *kill)
{
	struct stat st;
	int err = node_stat(n, &st);

	*kill = 0;
	if (err)
		return err;
	if ((st.st_mode & (S_ISGID | S_IXGRP)) == S_ISGID && !caller_keeps_sgid(req, st.st_gid))
		*kill = S_ISGID;
	return 0;
}

static int do_setattr(struct fbx_req *req, struct pt_node *n, const struct stat *attr,
                      unsigned to_set, int fd)
{
	struct pt_path p = proc_path(n->fd);
	int chown_kill = (to_set & FBX_SET_KILL_SUIDGID) && S_ISREG(n->type) &&
	                 !(to_set & FBX_SET_MODE) && (to_set & (FBX_SET_UID | FBX_SET_GID));
	mode_t sgid_kill = 0;

	if (chown_kill) {
		int r = chown_sgid_kill(req, n, &sgid_kill);
		if (r)
			return r;
	}

	if (to_set & FBX_SET_MODE) {
		mode_t mode = attr->st_mode & 07777;
		int r;
		/* Linux gives symlinks no mode of their own. */
		if (S_ISLNK(n->type))
			return -EOPNOTSUPP;
		r = fd >= 0 ? fchmod(fd, mode) : fchmodat(AT_FDCWD, p.s, mode, 0);
		if (r < 0)
			return -errno;
	}
	if (to_set & (FBX_SET_UID | FBX_SET_GID)) {
		uid_t uid = (to_set & FBX_SET_UID) ? attr->st_uid : (uid_t)-1;
		gid_t gid = (to_set & FBX_SET_GID) ? attr->st_gid : (gid_t)-1;
		if (fchownat(n->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		if (sgid_kill) {
			struct stat st;
			int r = node_stat(n, &st);
			if (r || (r = clear_bits(-1, p.s, &st, sgid_kill)) < 0)
				return r;
		}
	}
	if (to_set & FBX_SET_SIZE) {
		int r;
		if (S_ISDIR(n->type))
			return -EISDIR;
		if (!S_ISREG(n->type))
			return -EINVAL;
		r = fd >= 0 ? ftruncate(fd, attr->st_size) : truncate(p.s, attr->st_size);
		if (r < 0)
			return -errno;
	}
	/* Truncate by a caller without CAP_FSETID. */
	if ((to_set & FBX_SET_KILL_SUIDGID) && S_ISREG(n->type) && !(to_set & FBX_SET_MODE) &&
	    !chown_kill) {
		int r = kill_suidgid(fd, p.s, fbx_req_ctx(req));
		if (r < 0)
			return r;
	}
	if (to_set & (FBX_SET_ATIME | FBX_SET_MTIME | FBX_SET_ATIME_NOW | FBX_SET_MTIME_NOW)) {
		struct timespec ts[2];
		int r;
		ts[0] = time_arg(to_set, FBX_SET_ATIME, FBX_SET_ATIME_NOW, &attr->st_atim);
		ts[1] = time_arg(to_set, FBX_SET_MTIME, FBX_SET_MTIME_NOW, &attr->st_mtim);
		r = fd >= 0 ? futimens(fd, ts)
		            : utimensat(n->fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
		if (r < 0)
			return -errno;
	}
	/* FBX_SET_CTIME: the kernel's idea of ctime. When anything above
	 * changed, the underlying file system already set its own; alone
	 * (chown(f, -1, -1)), a no-op chown touches ctime as Linux does. */
	if ((to_set & FBX_SET_CTIME) &&
	    !(to_set & (FBX_SET_MODE | FBX_SET_UID | FBX_SET_GID | FBX_SET_SIZE |
	                FBX_SET_ATIME | FBX_SET_MTIME | FBX_SET_ATIME_NOW | FBX_SET_MTIME_NOW)) &&
	    fchownat(n->fd, "", (uid_t)-1, (gid_t)-1, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

static void pt_setattr(struct fbx_req *req, uint64_t ino, const struct stat *attr,
                       unsigned to_set, struct fbx_file_info *fi)
{
	struct pt *pt = pt_of(req);
	struct pt_node *n = node_of(pt, ino);
	/* Only regular files have an fd in fh; directories keep a DIR*. */
	int fd = fi && S_ISREG(n->type) ? fh_fd(fi->fh) : -1;
	struct stat st;
	int err = do_setattr(req, n, attr, to_set, fd);

	if (!err)
		err = node_stat(n, &st);
	if (err)
		fbx_reply_err(req, err);
	else
		fbx_reply_attr(req, &st, attr_ttl(pt, n, st.st_mode));
}

static void pt_statx(struct fbx_req *req, uint64_t ino, int flags, unsigned mask,
                     struct fbx_file_info *fi)
{
	struct pt *pt = pt_of(req);
	struct statx stx;
	int f = AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | (flags & AT_STATX_SYNC_TYPE);

	struct pt_node *n = node_of(pt, ino);

	if (statx(n->fd, "", f, mask | STATX_MODE, &stx) < 0)
		fbx_reply_err(req, -errno);
	else
		fbx_reply_statx(req, &stx, attr_ttl(pt, n, stx.stx_mode));
}

static void pt_readlink(struct fbx_req *req, uint64_t ino)
{
	struct pt *pt = pt_of(req);
	char buf[PATH_MAX + 1];
	ssize_t r = readlinkat(node_of(pt, ino)->fd, "", buf, sizeof buf);

	if (r < 0) {
		fbx_reply_err(req, -errno);
		return;
	}
	if ((size_t)r >= sizeof buf) {
		fbx_reply_err(req, -ENAMETOOLONG);
		return;
	}
	buf[r] = '\0';
	fbx_reply_readlink(req, buf);
}

/* ---- names: create, remove, rename, link -------------------------------- */

/* Create with the caller's umask, as the file system below sees it: it
 * applies the umask, unless the parent directory has a default ACL, which
 * POSIX.1e says replaces it -- a choice only the file system below can
 * make. The umask is a process attribute, so a worker thread takes a
 * private copy of it (unshare CLONE_FS, once per thread; our paths are
 * all relative to descriptors, so the private cwd does not matter).
 * If that is refused we apply the umask ourselves, as before. */
static void take_umask(struct fbx_req *req, mode_t *mode)
{
	static _Thread_local int own_fs;   /* per thread, never shared */
	mode_t mask = fbx_req_ctx(req)->umask;

	if (!own_fs && unshare(CLONE_FS) == 0)
		own_fs = 1;
	if (own_fs)
		umask(mask);
	else
		*mode &= ~mask;
}

/* What every create does first: check the name, take the caller's
 * umask and credentials. Returns creds_enter's token (for creds_leave)
 * or a negated errno. */
static int create_begin(struct pt *pt, struct fbx_req *req, const char *name, mode_t *mode)
{
	if (!name_ok(name))
		return -EINVAL;
	take_umask(req, mode);
	return creds_enter(pt, req);
}

/* The daemon could not take a node for what it just made (out of
 * descriptors or memory): the caller is told it failed, so it must not
 * stay in SOURCEDIR either. Other errors leave it: the name may by now
 * be someone else's. */
static void undo_make(struct pt_node *p, const char *name, int err, int flags)
{
	if (err == -EMFILE || err == -ENFILE || err == -ENOMEM)
		unlinkat(p->fd, name, flags);
}

/* mknod, mkdir, symlink (target != NULL): create as the caller, then
 * look the new name up as the daemon. */
static void make_node(struct fbx_req *req, uint64_t parent, const char *name,
                      mode_t mode, dev_t rdev, const char *target)
{
	struct pt *pt = pt_of(req);
	struct pt_node *p = node_of(pt, parent);
	struct fbx_entry e;
	int r, err, sw;

	sw = create_begin(pt, req, name, &mode);
	if (sw < 0) {
		fbx_reply_err(req, sw);
		return;
	}
	if (target)
		r = symlinkat(target, p->fd, name);
	else if (S_ISDIR(mode))
		r = mkdirat(p->fd, name, mode & 07777);
	else
		r = mknodat(p->fd, name, mode, rdev);
	err = r < 0 ? -errno : 0;
	creds_leave(pt, sw);
	if (!err) {
		err = do_lookup(pt, p, name, &e, 0);
		if (err)
			undo_make(p, name, err, S_ISDIR(mode) ? AT_REMOVEDIR : 0);
	}
	if (err)
		fbx_reply_err(req, err);
	else
		reply_entry(pt, req, &e);
}

static void pt_mknod(struct fbx_req *req, uint64_t parent, const char *name,
                     mode_t mode, dev_t rdev)
{
	make_node(req, parent, name, mode, rdev, NULL);
}

static void pt_mkdir(struct fbx_req *req, uint64_t parent, const char *name, mode_t mode)
{
	make_node(req, parent, name, S_IFDIR | (mode & 07777), 0, NULL);
}

static void pt_symlink(struct fbx_req *req, const char *target, uint64_t parent,
                       const char *name)
{
	make_node(req, parent, name, S_IFLNK | 0777, 0, target);
}

static void remove_name(struct fbx_req *req, uint64_t parent, const char *name, int flags)
{
	struct pt *pt = pt_of(req);

	if (!name_ok(name)) {
		fbx_reply_err(req, -EINVAL);
		return;
	}
	if (unlinkat(node_of(pt, parent)->fd, name, flags) < 0)
		fbx_reply_err(req, -errno);
	else
		fbx_reply_err(req, 0);
}

static void pt_unlink(struct fbx_req *req, uint64_t parent, const char *name)
{
	remove_name(req, parent, name, 0);
}

static void pt_rmdir(struct fbx_req *req, uint64_t parent, const char *name)
{
	remove_name(req, parent, name, AT_REMOVEDIR);
}

static void pt_rename(struct fbx_req *req, uint64_t parent, const char *name,
                      uint64_t newparent, const char *newname, unsigned flags)
{
	struct pt *pt = pt_of(req);

	if (!name_ok(name) || !name_ok(newname) ||
	    (flags & ~(FBX_RENAME_NOREPLACE | FBX_RENAME_EXCHANGE | FBX_RENAME_WHITEOUT))) {
		fbx_reply_err(req, -EINVAL);
		return;
	}
	if (renameat2(node_of(pt, parent)->fd, name, node_of(pt, newparent)->fd,
	              newname, flags) < 0)
		fbx_reply_err(req, -errno);
	else
		fbx_reply_err(req, 0);
}

static void pt_link(struct fbx_req *req, uint64_t ino, uint64_t newparent,
                    const char *newname)
{
	struct pt *pt = pt_of(req);
	struct pt_node *np = node_of(pt, newparent);
	struct pt_path p = proc_path(node_of(pt, ino)->fd);
	struct fbx_entry e;
	int err = 0, sw;

	if (!name_ok(newname)) {
		fbx_reply_err(req, -EINVAL);
		return;
	}
	sw = creds_enter(pt, req);
	if (sw < 0) {
		fbx_reply_err(req, sw);
		return;
	}
	/* AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH, which a non-zero
	 * fsuid drops; following the magic link reaches the inode itself
	 * (a symlink stays a symlink). */
	if (linkat(AT_FDCWD, p.s, np->fd, newname, AT_SYMLINK_FOLLOW) < 0)
		err = -errno;
	creds_leave(pt, sw);
	if (!err)
		err = do_lookup(pt, np, newname, &e, 1);
	if (err)
		fbx_reply_err(req, err);
	else
		reply_entry(pt, req, &e);
}

/* ---- files -------------------------------------------------------------- */

/* The flags to reopen the underlying file with. */
static int open_flags(struct pt *pt, int flags)
{
	flags &= ~(O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW | O_DIRECT);
	if (pt->writeback) {
		/* Writes come from the page cache at explicit offsets, and
		 * partial pages are read first. */
		flags &= ~O_APPEND;
		if ((flags & O_ACCMODE) == O_WRONLY)
			flags = (flags & ~O_ACCMODE) | O_RDWR;
	}
	return flags | O_CLOEXEC;
}

/* Should an inode with no opens get a backing file? Not if it is setuid
 * or setgid: writes through a backing file never reach us, and we are
 * the one who clears those bits for a writer without CAP_FSETID (the
 * kernel leaves it to us under killpriv_v2, and would keep them with
 * the daemon's credentials). Such files are read and written through
 * the daemon; they are few, and each write gets the kernel's kill_priv. */
static int wants_backing(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && !(st.st_mode & (S_ISUID | S_ISGID));
}

/* The kernel takes one backing file per inode, shared by every open of
 * it, and refuses opens that disagree (with one, or without), so the
 * node keeps it and the first open decides for all that overlap it;
 * released with the last open. The descriptor registered only names
 * the file: each open through the mount gets its own backing open of
 * that path with its own flags, so the first open's descriptor serves
 * a later writer too, read-only or not (t_cache_coherence checks
 * overlapping opens). Returns the id, or 0. */
static int backing_get(struct pt *pt, struct fbx_req *req, struct pt_node *n, int fd,
                       bool writer)
{
	int id = 0;
	pthread_mutex_lock(&pt->lock);
	if (n->backing_users > 0) {
		id = n->backing_id;
		n->backing_users++;
	} else if (n->cached_users == 0 && wants_backing(fd)) {
		int r = fbx_backing_open(fbx_req_session(req), fd);
		if (r > 0) {
			id = n->backing_id = r;
			n->backing_users = 1;
		}
	}
	if (id == 0)
		n->cached_users++;
	else if (writer)
		n->backing_writers++;
	pthread_mutex_unlock(&pt->lock);
	return id;
}

static void backing_put(struct pt *pt, struct fbx_req *req, struct pt_node *n, int had,
                        bool writer)
{
	pthread_mutex_lock(&pt->lock);
	if (!had) {
		n->cached_users--;
		pthread_mutex_unlock(&pt->lock);
		return;
	}
	if (writer && n->backing_writers > 0)
		n->backing_writers--;
	if (n->backing_users > 0 && --n->backing_users == 0) {
		fbx_backing_close(fbx_req_session(req), n->backing_id);
		n->backing_id = 0;
	}
	pthread_mutex_unlock(&pt->lock);
}

/* How long the kernel may keep a node's attributes: not at all while
 * a backing file may change them unseen. A write(2) through it the
 * kernel accounts for, but a store through a shared writable mapping
 * dates the file below only (mtime, ctime), so while an open may write,
 * the kernel asks again each time (xfstests generic/080). And a file
 * made setuid or setgid while it has a backing file (chmod of an open
 * file, cp -p) keeps it until the last close, and a write through it
 * clears the bits below us unseen (fbx_backing_open registers it
 * without CAP_FSETID): exec must not find the stale bits in the cache. */
static double attr_ttl(struct pt *pt, struct pt_node *n, mode_t mode)
{
	int fresh;
	if (!pt->passthrough || !S_ISREG(mode))
		return pt->attr_timeout;
	pthread_mutex_lock(&pt->lock);
	fresh = n->backing_writers > 0 ||
	        ((mode & (S_ISUID | S_ISGID)) && n->backing_users > 0);
	pthread_mutex_unlock(&pt->lock);
	return fresh ? 0 : pt->attr_timeout;
}

/* Keeping the page cache across opens. Without keep_cache the kernel
 * drops a file's cached pages at every open, so a file read again and
 * again (a header in a build, a git pack) is read through us each time.
 * The cache is stale only if the file changed below us since the kernel
 * last saw it: at each release we note mtime, ctime and size of the file
 * (which by then include every write that went through the mount), and
 * an open that finds the same three keeps the cache. A change made from
 * outside while no one has the file open through the mount is seen at
 * the next open; one made while it is open, when the attributes are
 * next refreshed (auto_inval_data, within attr_timeout). The note is
 * taken at FLUSH where the kernel sends one: close(2) waits for it,
 * while RELEASE comes later, in the background, and a change made below
 * right after the close could be noted as if the kernel had seen it. A
 * release after a flush only checks the note: a file that changed in
 * between keeps no cache at the next open. Not seen: a change within
 * one timestamp tick of our last write that leaves the size as it was
 * (ctime moves on every write, so only a file system with coarse
 * timestamps and a writer racing us get there), and with -o noflush a
 * change racing the release. */
static bool stamp_of(int fd, struct pt_stamp *s)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return false;
	s->mtime = st.st_mtim;
	s->ctime = st.st_ctim;
	s->size = st.st_size;
	s->valid = true;
	s->flushed = false;
	return true;
}

static bool stamp_same(const struct pt_stamp *a, const struct pt_stamp *b);

/* Note the file as the kernel saw it: at FLUSH (flush=true), or at
 * RELEASE, where a note of the flush before it is only checked. */
static void note_seen(struct pt *pt, struct pt_node *n, int fd, bool flush)
{
	struct pt_stamp s;
	if (!S_ISREG(n->type) || !stamp_of(fd, &s))
		return;
	pthread_mutex_lock(&pt->lock);
	if (flush) {
		n->seen = s;
		n->seen.flushed = true;
	} else if (n->seen.flushed) {
		n->seen.valid = stamp_same(&n->seen, &s);
		n->seen.flushed = false;
	} else {
		n->seen = s;
	}
	pthread_mutex_unlock(&pt->lock);
}

static bool stamp_same(const struct pt_stamp *a, const struct pt_stamp *b)
{
	return a->valid && b->valid && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static bool unchanged_since_release(struct pt *pt, struct pt_node *n, int fd)
{
	struct pt_stamp now;
	bool same;
	if (!S_ISREG(n->type) || !stamp_of(fd, &now))
		return false;
	pthread_mutex_lock(&pt->lock);
	same = stamp_same(&n->seen, &now);
	pthread_mutex_unlock(&pt->lock);
	return same;
}

/* Fill the reply fields of fi for the open file `fd` (consumed into fh). */
static void finish_open(struct pt *pt, struct fbx_req *req, struct pt_node *n,
                        struct fbx_file_info *fi, int fd)
{
	bool writer = (fi->flags & O_ACCMODE) != O_RDONLY;
	int backing = pt->passthrough && S_ISREG(n->type) ? backing_get(pt, req, n, fd, writer) : 0;
	fi->fh = fh_make(fd, backing);
	fi->backing_id = backing;
	/* The kernel allows no cache flags beside a backing file. */
	fi->keep_cache = !backing && (pt->kernel_cache || unchanged_since_release(pt, n, fd));
	fi->direct_io = pt->direct_io;
	fi->noflush = pt->noflush;
}

static void close_open(struct pt *pt, struct fbx_req *req, struct pt_node *n, uint64_t fh)
{
	note_seen(pt, n, fh_fd(fh), false);
	if (pt->passthrough && S_ISREG(n->type)) {
		bool had = fh_backing(fh) != 0;
		backing_put(pt, req, n, had,
		            had && (fcntl(fh_fd(fh), F_GETFL) & O_ACCMODE) != O_RDONLY);
	}
	close(fh_fd(fh));
}

static void pt_open(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct pt *pt = pt_of(req);
	struct pt_node *n = node_of(pt, ino);
	int fd;

	/* Reopening a symlink's magic link would follow nothing, but the
	 * kernel never opens one: refuse as the native call does. */
	if (S_ISLNK(n->type)) {
		fbx_reply_err(req, -ELOOP);
		return;
	}
	/* The kernel leaves atime to us: on a noatime mount our reads must
	 * not date the file below either. O_NOATIME needs the file's owner
	 * or CAP_FOWNER; without them, reads date it as the source says. */
	fd = open(proc_path(n->fd).s, open_flags(pt, fi->flags) | (pt->noatime ? O_NOATIME : 0));
	if (fd < 0 && errno == EPERM && pt->noatime)
		fd = open(proc_path(n->fd).s, open_flags(pt, fi->flags));
	if (fd < 0) {
		fbx_reply_err(req, -errno);
		return;
	}
	if (fi->kill_priv && (fi->flags & O_TRUNC)) {
		int err = kill_notify(req, ino, fd);
		if (err) {
			close(fd);
			fbx_reply_err(req, err);
			return;
		}
	}
	finish_open(pt, req, n, fi, fd);
	/* Attributes the kernel cached before this writer came (for its
	 * permission check, say) would outlive its mapped stores. */
	if (fi->backing_id && (fi->flags & O_ACCMODE) != O_RDONLY)
		fbx_notify_inval_inode(fbx_req_session(req), ino, -1, 0);
	if (fbx_reply_open(req, fi) < 0)
		close_open(pt, req, n, fi->fh);
}

/* Open `name` below p, making it if it is not there: the descriptor or
 * a negated errno, and in *created whether this call made the file (so
 * that a failure after it can take it back). O_NOFOLLOW: a symlink
 * under this name is never written through. */
static int create_or_open(struct pt_node *p, const char *name, int flags, int excl,
                          mode_t mode, int *created)
{
	for (int tries = 0; tries < 4; tries++) {
		int fd = openat(p->fd, name, flags | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
		if (fd >= 0 || errno != EEXIST || excl) {
			*created = fd >= 0;
			return fd >= 0 ? fd : -errno;
		}
		fd = openat(p->fd, name, flags | O_NOFOLLOW);
		if (fd >= 0 || errno != ENOENT) {
			*created = 0;
			return fd >= 0 ? fd : -errno;
		}
		/* removed between the two opens: make it again */
	}
	*created = 0;
	return -EAGAIN;
}

/* The file we made and opened as fd is still under `name`: remove it,
 * see undo_make. */
static void undo_create(struct pt_node *p, const char *name, int fd, int err)
{
	struct stat a, b;
	if (fstat(fd, &a) == 0 && fstatat(p->fd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		undo_make(p, name, err, 0);
}

static void pt_create(struct fbx_req *req, uint64_t parent, const char *name,
                      mode_t mode, struct fbx_file_info *fi)
{
	struct pt *pt = pt_of(req);
	struct pt_node *p = node_of(pt, parent);
	struct fbx_entry e;
	int fd, err, sw, created;

	sw = create_begin(pt, req, name, &mode);
	if (sw < 0) {
		fbx_reply_err(req, sw);
		return;
	}
	fd = create_or_open(p, name, open_flags(pt, fi->flags), fi->flags & O_EXCL,
	                    mode & 07777, &created);
	err = fd < 0 ? fd : 0;
	creds_leave(pt, sw);
	if (!err && fi->kill_priv && (fi->flags & O_TRUNC)) {
		/* An existing file, truncated; the reply has fresh attributes. */
		err = kill_suidgid(fd, NULL, fbx_req_ctx(req));
		err = err < 0 ? err : 0;
	}
	if (!err) {
		err = node_from_fd(pt, fd, &e);
		if (err && created)
			undo_create(p, name, fd, err);
	}
	if (err && fd >= 0)
		close(fd);
	if (err) {
		fbx_reply_err(req, err);
		return;
	}
	finish_open(pt, req, node_of(pt, e.ino), fi, fd);
	e.attr_timeout = attr_ttl(pt, node_of(pt, e.ino), e.attr.st_mode);
	if (fbx_reply_create(req, &e, fi) < 0) {
		close_open(pt, req, node_of(pt, e.ino), fi->fh);
		node_unref(pt, node_of(pt, e.ino), 1);
	}
}

static void pt_tmpfile(struct fbx_req *req, uint64_t parent, mode_t mode,
                       struct fbx_file_info *fi)
{
	struct pt *pt = pt_of(req);
	struct fbx_entry e;
	int fd, err, sw;

	take_umask(req, &mode);
	sw = creds_enter(pt, req);
	if (sw < 0) {
		fbx_reply_err(req, sw);
		return;
	}
	fd = openat(node_of(pt, parent)->fd, ".",
	            (open_flags(pt, fi->flags) & ~O_DIRECTORY) | O_TMPFILE |
	            (fi->flags & O_EXCL), mode & 07777);
	err = fd < 0 ? -errno : 0;
	creds_leave(pt, sw);
	if (err) {
		fbx_reply_err(req, err);
		return;
	}
	err = node_from_fd(pt, fd, &e);
	if (err) {
		close(fd);
		fbx_reply_err(req, err);
		return;
	}
	finish_open(pt, req, node_of(pt, e.ino), fi, fd);
	e.attr_timeout = attr_ttl(pt, node_of(pt, e.ino), e.attr.st_mode);
	if (fbx_reply_create(req, &e, fi) < 0) {
		close_open(pt, req, node_of(pt, e.ino), fi->fh);
		node_unref(pt, node_of(pt, e.ino), 1);
	}
}

static void pt_read(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                    struct fbx_file_info *fi)
{
	fbx_reply_fd(req, fh_fd(fi->fh), off, size);
}

static void pt_write(struct fbx_req *req, uint64_t ino, const char *buf, size_t size,
                     off_t off, struct fbx_file_info *fi)
{
	ssize_t r = pwrite(fh_fd(fi->fh), buf, size, off);

	if (r >= 0 && fi->kill_priv) {
		int err = kill_notify(req, ino, fh_fd(fi->fh));
		if (err) {
			fbx_reply_err(req, err);
			return;
		}
	}
	if (r < 0)
		fbx_reply_err(req, -errno);
	else
		fbx_reply_write(req, (size_t)r);
}

static void pt_flush(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	/* With noflush, opens say FOPEN_NOFLUSH, but the kernel ignores that
	 * under writeback_cache (it flushes dirty pages at close, then sends
	 * FLUSH); ENOSYS makes it stop sending FLUSH for good, and close
	 * still writes the dirty pages back first. */
	if (pt_of(req)->noflush) {
		fbx_reply_err(req, -ENOSYS);
		return;
	}
	/* What a close(2) of one descriptor does to the underlying file
	 * (errors of network file systems, their close-to-open flush). */
	int fd = dup(fh_fd(fi->fh));

	if (fd < 0 || close(fd) < 0) {
		fbx_reply_err(req, -errno);
		return;
	}
	note_seen(pt_of(req), node_of(pt_of(req), ino), fh_fd(fi->fh), true);
	fbx_reply_err(req, 0);
}

static void pt_release(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct pt *pt = pt_of(req);
	close_open(pt, req, node_of(pt, ino), fi->fh);
	fbx_reply_err(req, 0);
}

static void pt_fsync(struct fbx_req *req, uint64_t ino, int datasync,
                     struct fbx_file_info *fi)
{
	int fd = fh_fd(fi->fh);
	int r = datasync ? fdatasync(fd) : fsync(fd);

	fbx_reply_err(req, r < 0 ? -errno : 0);
}

static void pt_fallocate(struct fbx_req *req, uint64_t ino, int mode, off_t off,
                         off_t len, struct fbx_file_info *fi)
{
	int r = fallocate(fh_fd(fi->fh), mode, off, len);
	int err = r < 0 ? -errno : kill_unsent(req, ino, fh_fd(fi->fh));

	fbx_reply_err(req, err);
}

static void pt_lseek(struct fbx_req *req, uint64_t ino, off_t off, int whence,
                     struct fbx_file_info *fi)
{
	/* Under writeback_cache the kernel asks before it writes its dirty
	 * pages back, so the source may show a hole where data waits: cp
	 * would copy zeros. ENOSYS makes the kernel call the whole file
	 * data, which is never wrong (as memfs does). */
	if (pt_of(req)->writeback) {
		fbx_reply_err(req, -ENOSYS);
		return;
	}
	off_t r = lseek(fh_fd(fi->fh), off, whence);

	if (r < 0)
		fbx_reply_err(req, -errno);
	else
		fbx_reply_lseek(req, r);
}

static void pt_copy_file_range(struct fbx_req *req, uint64_t ino_in, off_t off_in,
                               struct fbx_file_info *fi_in, uint64_t ino_out,
                               off_t off_out, struct fbx_file_info *fi_out,
                               size_t len, int flags)
{
	loff_t in = off_in, out = off_out;
	ssize_t r = copy_file_range(fh_fd(fi_in->fh), &in, fh_fd(fi_out->fh), &out,
	                            len, (unsigned)flags);
	int err = r < 0 ? -errno : kill_unsent(req, ino_out, fh_fd(fi_out->fh));

	if (err)
		fbx_reply_err(req, err);
	else
		fbx_reply_write(req, (size_t)r);
}

/* ---- directories -------------------------------------------------------- */

static void pt_opendir(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct pt *pt = pt_of(req);
	struct pt_dir *d = calloc(1, sizeof *d);
	int fd, err;

	if (!d) {
		fbx_reply_err(req, -ENOMEM);
		return;
	}
	fd = openat(node_of(pt, ino)->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d->dp = fdopendir(fd))) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		free(d);
		fbx_reply_err(req, err);
		return;
	}
	pthread_mutex_init(&d->lock, NULL);
	fi->fh = (uint64_t)(uintptr_t)d;
	/* The kernel keeps the listing and checks, at every opendir and
	 * rewind, the directory's mtime (refreshed as attr_timeout allows,
	 * since we ask for auto_inval_data) and its own change counter: a
	 * listing is as fresh as stat(2) is. */
	fi->cache_readdir = pt->kernel_cache || pt->opt_readdir_cache;
	fi->keep_cache = fi->cache_readdir;
	if (fbx_reply_open(req, fi) < 0) {
		closedir(d->dp);
		pthread_mutex_destroy(&d->lock);
		free(d);
	}
}

static void pt_releasedir(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct pt_dir *d = dir_of(fi);

	closedir(d->dp);
	pthread_mutex_destroy(&d->lock);
	free(d);
	fbx_reply_err(req, 0);
}

static void pt_fsyncdir(struct fbx_req *req, uint64_t ino, int datasync,
                        struct fbx_file_info *fi)
{
	int fd = dirfd(dir_of(fi)->dp);
	int r = datasync ? fdatasync(fd) : fsync(fd);

	fbx_reply_err(req, r < 0 ? -errno : 0);
}

static int is_dot(const char *name)
{
	return name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]));
}

/* Nodes looked up for one readdirplus reply, to undo if it is not taken. */
struct pt_refs {
	struct pt_node **v;
	size_t n, cap;
};

static int refs_add(struct pt_refs *r, struct pt_node *n)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct pt_node **v = realloc(r->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = n;
	return 0;
}

static void do_readdir(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                       struct fbx_file_info *fi, int plus)
{
	struct pt *pt = pt_of(req);
	struct pt_node *dn = node_of(pt, ino);
	struct pt_dir *d = dir_of(fi);
	struct pt_refs refs = { 0 };
	char *buf = malloc(size ? size : 1);
	size_t used = 0;
	int err = 0;

	if (!buf) {
		fbx_reply_err(req, -ENOMEM);
		return;
	}
	pthread_mutex_lock(&d->lock);
	if (off != d->pos) {
		if (off == 0)
			rewinddir(d->dp);
		else
			seekdir(d->dp, off);
		d->pos = off;
		d->pending = NULL;
	}
	for (;;) {
		struct dirent *de = d->pending;
		struct fbx_entry e;
		size_t need;

		if (!de) {
			errno = 0;
			de = readdir(d->dp);
			if (!de) {
				err = errno ? -errno : 0;
				break;
			}
		}
		/* "." and "..", or an entry that vanished meanwhile, go out
		 * without a node (ino 0): the kernel then just lists them. */
		if (!plus || is_dot(de->d_name) || do_lookup(pt, dn, de->d_name, &e, 1) < 0) {
			entry_init(pt, &e);
			e.attr.st_ino = de->d_ino;
			e.attr.st_mode = DTTOIF(de->d_type);
			/* The directory above SOURCEDIR is not ours to show. */
			if (dn == &pt->root && strcmp(de->d_name, "..") == 0)
				e.attr.st_ino = pt->root.ino;
		}
		if (!plus) {
			need = fbx_dirent_add(buf + used, size - used, de->d_name,
			                      &e.attr, de->d_off);
		} else {
			need = fbx_direntplus_add(buf + used, size - used, de->d_name,
			                          &e, de->d_off);
			if (need <= size - used && e.ino && refs_add(&refs, node_of(pt, e.ino)) < 0) {
				node_unref(pt, node_of(pt, e.ino), 1);
				need = SIZE_MAX;  /* end this reply here */
			} else if (need > size - used && e.ino) {
				node_unref(pt, node_of(pt, e.ino), 1);
			}
		}
		if (need > size - used) {
			d->pending = de;
			break;
		}
		used += need;
		d->pos = de->d_off;
		d->pending = NULL;
	}
	pthread_mutex_unlock(&d->lock);
	/* An error after some entries: send those, the error comes again. */
	if (err && used == 0)
		fbx_reply_err(req, err);
	else if (fbx_reply_buf(req, buf, used) < 0)
		for (size_t i = 0; i < refs.n; i++)
			node_unref(pt, refs.v[i], 1);
	free(refs.v);
	free(buf);
}

static void pt_readdir(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                       struct fbx_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, 0);
}

static void pt_readdirplus(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                           struct fbx_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, 1);
}

/* ---- file system wide --------------------------------------------------- */

static void pt_statfs(struct fbx_req *req, uint64_t ino)
{
	struct pt *pt = pt_of(req);
	struct statvfs sv;

	if (fstatvfs(node_of(pt, ino)->fd, &sv) < 0)
		fbx_reply_err(req, -errno);
	else
		fbx_reply_statfs(req, &sv);
}

static void pt_syncfs(struct fbx_req *req, uint64_t ino)
{
	struct pt *pt = pt_of(req);

	fbx_reply_err(req, syncfs(pt->root_rdfd) < 0 ? -errno : 0);
}

static void pt_access(struct fbx_req *req, uint64_t ino, int mask)
{
	struct pt *pt = pt_of(req);
	struct pt_path p = proc_path(node_of(pt, ino)->fd);
	int err = 0, sw = creds_enter(pt, req);

	if (sw < 0) {
		fbx_reply_err(req, sw);
		return;
	}
	/* AT_EACCESS: check with the fsuid/fsgid just taken, not the real ids. */
	if (faccessat(AT_FDCWD, p.s, mask, AT_EACCESS) < 0)
		err = -errno;
	creds_leave(pt, sw);
	fbx_reply_err(req, err);
}

/* ---- extended attributes ------------------------------------------------ */
/* By the node's magic link: it names the inode itself, symlinks included,
 * so the native rules (no user.* on symlinks) apply unchanged. */

/* Setting an access ACL drops sgid for a caller neither in the file's
 * group nor holding CAP_FSETID (posix_acl_update_mode). The setxattr
 * below ran as the daemon, which keeps it: clear it here, and drop the
 * kernel's cached mode. */
static void acl_kill_sgid(struct fbx_req *req, uint64_t ino, const struct pt_path *p)
{
	struct stat st;

	if (stat(p->s, &st) < 0 || !(st.st_mode & S_ISGID) || caller_keeps_sgid(req, st.st_gid))
		return;
	if (clear_bits(-1, p->s, &st, S_ISGID) > 0)
		fbx_notify_inval_inode(fbx_req_session(req), ino, -1, 0);
}

static void pt_setxattr(struct fbx_req *req, uint64_t ino, const char *name,
                        const char *value, size_t size, int flags)
{
	struct pt *pt = pt_of(req);
	struct pt_path p = proc_path(node_of(pt, ino)->fd);

	if (!pt->xattr) {
		fbx_reply_err(req, -ENOSYS);
		return;
	}

	if (setxattr(p.s, name, value, size, flags) < 0) {
		fbx_reply_err(req, -errno);
		return;
	}
	if (strcmp(name, "system.posix_acl_access") == 0)
		acl_kill_sgid(req, ino, &p);
	fbx_reply_err(req, 0);
}

static void reply_sized(struct fbx_req *req, ssize_t r, const char *buf, size_t size)
{
	if (r < 0)
		fbx_reply_err(req, -errno);
	else if (size == 0)
		fbx_reply_xattr(req, (size_t)r);
	else
		fbx_reply_buf(req, buf, (size_t)r);
}

static void pt_getxattr(struct fbx_req *req, uint64_t ino, const char *name, size_t size)
{
	struct pt *pt = pt_of(req);
	struct pt_path p = proc_path(node_of(pt, ino)->fd);
	char *buf = NULL;
	ssize_t r;

	if (!pt->xattr) {
		fbx_reply_err(req, -ENOSYS);
		return;
	}
	if (size && !(buf = malloc(size))) {
		fbx_reply_err(req, -ENOMEM);
		return;
	}
	r = getxattr(p.s, name, buf, size);
	reply_sized(req, r, buf, size);
	free(buf);
}

static void pt_listxattr(struct fbx_req *req, uint64_t ino, size_t size)
{
	struct pt *pt = pt_of(req);
	struct pt_path p = proc_path(node_of(pt, ino)->fd);
	char *buf = NULL;
	ssize_t r;

	if (!pt->xattr) {
		fbx_reply_err(req, -ENOSYS);
		return;
	}
	if (size && !(buf = malloc(size))) {
		fbx_reply_err(req, -ENOMEM);
		return;
	}
	r = listxattr(p.s, buf, size);
	reply_sized(req, r, buf, size);
	free(buf);
}

static void pt_removexattr(struct fbx_req *req, uint64_t ino, const char *name)
{
	struct pt *pt = pt_of(req);
	struct pt_path p = proc_path(node_of(pt, ino)->fd);

	if (!pt->xattr) {
		fbx_reply_err(req, -ENOSYS);
		return;
	}
	fbx_reply_err(req, removexattr(p.s, name) < 0 ? -errno : 0);
}

/* ---- main --------------------------------------------------------------- */

static const struct fbx_ll_ops pt_ops = {
	.init            = pt_init,
	.lookup          = pt_lookup,
	.forget          = pt_forget,
	.getattr         = pt_getattr,
	.setattr         = pt_setattr,
	.readlink        = pt_readlink,
	.mknod           = pt_mknod,
	.mkdir           = pt_mkdir,
	.unlink          = pt_unlink,
	.rmdir           = pt_rmdir,
	.symlink         = pt_symlink,
	.rename          = pt_rename,
	.link            = pt_link,
	.open            = pt_open,
	.read            = pt_read,
	.write           = pt_write,
	.flush           = pt_flush,
	.release         = pt_release,
	.fsync           = pt_fsync,
	.opendir         = pt_opendir,
	.readdir         = pt_readdir,
	.readdirplus     = pt_readdirplus,
	.releasedir      = pt_releasedir,
	.fsyncdir        = pt_fsyncdir,
	.statfs          = pt_statfs,
	.setxattr        = pt_setxattr,
	.getxattr        = pt_getxattr,
	.listxattr       = pt_listxattr,
	.removexattr     = pt_removexattr,
	.access          = pt_access,
	.create          = pt_create,
	.fallocate       = pt_fallocate,
	.lseek           = pt_lseek,
	.copy_file_range = pt_copy_file_range,
	.statx           = pt_statx,
	.forget_multi    = pt_forget_multi,
	.syncfs          = pt_syncfs,
	.tmpfile         = pt_tmpfile,
};

/* The first non-option argument is SOURCEDIR; the next the mountpoint. */
static int pt_opt(void *app_data, const char *key, const char *value, int is_arg)
{
	struct pt *pt = app_data;

	if (!is_arg) {
		int on = 1;
		if (value && !strcmp(key, "handles_max")) {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(value, &end, 10);
			if (errno || end == value || *end || value[0] == '-') {
				fprintf(stderr, "passthrough: handles_max=%s: not a count\n", value);
				return -EINVAL;
			}
			pt->kept_max = (size_t)v;
			return 1;
		}
		if (value)
			return 0;
		if (!strncmp(key, "no_", 3)) {
			on = 0;
			key += 3;
		}
		if (!strcmp(key, "killpriv_v2")) {
			pt->opt_killpriv = on;
			return 1;
		}
		if (!strcmp(key, "exclusive")) {
			pt->exclusive = on;
			return 1;
		}
		if (!strcmp(key, "xattr")) {
			pt->xattr = on;
			return 1;
		}
		if (!strcmp(key, "readdir_cache")) {
			pt->opt_readdir_cache = on;
			return 1;
		}
		if (!strcmp(key, "flush") || !strcmp(key, "noflush")) {
			pt->opt_flush = on == (key[0] == 'f');
			return 1;
		}
		return 0;
	}
	if (pt->source)
		return 0;
	pt->source = strdup(key);
	return pt->source ? 1 : -ENOMEM;
}

static const char pt_help[] =
	"Mirror SOURCEDIR at MOUNTPOINT. As root, use\n"
	"  -o allow_other,default_permissions\n"
	"to share it with every user like a native file system.\n\n"
	"passthrough options:\n"
	"    -o killpriv_v2|no_killpriv_v2\n"
	"        clear suid/sgid here on write and truncate, so the kernel\n"
	"        checks security.capability once per inode instead of on\n"
	"        every write (default: on when the kernel offers it)\n"
	"    -o exclusive\n"
	"        promise that nothing but this mount writes SOURCEDIR while it\n"
	"        is mounted: writeback_cache is then on where FUSE passthrough\n"
	"        is not (not root, kernel before 6.9, -o no_passthrough)\n"
	"    -o xattr|no_xattr\n"
	"        serve extended attributes (default: on); no_xattr answers\n"
	"        ENOSYS once, after which the kernel stops asking for\n"
	"        security.capability before writes and chowns (tar -x: two\n"
	"        round trips fewer per file) and no xattr or ACL is seen\n"
	"    -o readdir_cache|no_readdir_cache\n"
	"        let the kernel keep directory listings; it drops one when\n"
	"        the directory's mtime changes, which it rechecks after\n"
	"        attr_timeout (default: on)\n"
	"    -o flush|noflush\n"
	"        send close(2) on to SOURCEDIR as FLUSH (default: only when\n"
	"        SOURCEDIR is on a network or FUSE file system, where close\n"
	"        can report errors; elsewhere FLUSH is a round trip for nothing)\n"
	"    -o handles_max=N\n"
	"        keep at most N files the kernel forgot (about 130 bytes each)\n"
	"        so that their file handles stay valid; past N the oldest\n"
	"        one's handles give ESTALE (default 1000000; 0 keeps none)\n";

/* Whether close(2) on SOURCEDIR's file system can fail: network file
 * systems write back or check in at close, and a FUSE source may do
 * anything. On local ones it never reports an error, so the FLUSH sent
 * on every close would be a round trip for nothing. */
static int close_reports_errors(int fd)
{
	static const unsigned long remote[] = {
		0x6969,      /* NFS */      0x517b,     /* SMB */
		0xfe534d42,  /* SMB2 */     0xff534d42, /* CIFS */
		0x00c36400,  /* Ceph */     0x65735546, /* FUSE */
		0x01021997,  /* 9P */       0x5346414f, /* AFS */
		0x0bd00bd0,  /* Lustre */   0x73757245, /* Coda */
		0x01161970,  /* GFS2 */     0x7461636f, /* OCFS2 */
	};
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return 1;   /* unknown: keep the flush */
	for (size_t i = 0; i < sizeof remote / sizeof remote[0]; i++)
		if ((unsigned long)sf.f_type == remote[i])
			return 1;
	return 0;
}

/* Can we reopen an inode of SOURCEDIR from its handle? Not without
 * CAP_DAC_READ_SEARCH, nor on a file system without handles. */
static int handles_work(struct pt *pt)
{
	struct file_handle *fh = handle_of(pt->root.fd);
	int fd = fh ? open_by_handle_at(pt->root_rdfd, fh, O_PATH | O_CLOEXEC) : -1;

	free(fh);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* One descriptor per inode the kernel holds: take all we may. Root may
 * raise the hard limit too, up to the kernel's fs.nr_open (a shell's
 * hard limit is often a few thousand, smaller than a source tree). */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	unsigned long long nr_open = 0;
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	if (f) {
		if (fscanf(f, "%llu", &nr_open) != 1)
			nr_open = 0;
		fclose(f);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (nr_open > rl.rlim_max) {
		struct rlimit all = { (rlim_t)nr_open, (rlim_t)nr_open };
		if (setrlimit(RLIMIT_NOFILE, &all) == 0)
			return;   /* not allowed (no CAP_SYS_RESOURCE): the soft one, then */
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}


/*
 * Our mount's atime rule (noatime, strictatime, nodiratime) for what the
 * daemon opens below, so that the source's files age as the mount says:
 * the root we resolve names from is a private, detached copy of the
 * source's mounts carrying that rule. O_NOATIME on our own opens is not
 * enough: under -o passthrough the kernel reads each backing file
 * through a file of its own, on the source's mount, with the reader's
 * flags. Needs CAP_SYS_ADMIN (else -1, and the source's own rule
 * applies, O_NOATIME aside); nothing to do for the default relatime.
 * Returns an O_PATH descriptor of the copy's root, or -1.
 */
static int source_view(const char *source, unsigned long mount_flags)
{
	struct mount_attr attr = { 0 };
	int tree;

	if (mount_flags & (MS_NOATIME | MS_STRICTATIME)) {
		attr.attr_clr = MOUNT_ATTR__ATIME;
		attr.attr_set = mount_flags & MS_NOATIME ? MOUNT_ATTR_NOATIME : MOUNT_ATTR_STRICTATIME;
	}
	if (mount_flags & MS_NODIRATIME)
		attr.attr_set |= MOUNT_ATTR_NODIRATIME;
	if (!attr.attr_set)
		return -1;
	tree = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return -1;
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) {
		close(tree);
		return -1;
	}
	return tree;
}

static int pt_setup(void *data, const struct fbx_options *o)
{
	struct pt *pt = data;
	struct stat st;

	if (!pt->source) {
		fprintf(stderr, "passthrough: no SOURCEDIR given (see %s --help)\n",
		        o->progname ? o->progname : "passthrough");
		return -EINVAL;
	}

	pt->root.fd = source_view(pt->source, o->mount_flags);
	if (pt->root.fd < 0)
		pt->root.fd = open(pt->source, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pt->root.fd < 0 || fstat(pt->root.fd, &st) < 0) {
		fprintf(stderr, "passthrough: %s: %s\n", pt->source, strerror(errno));
		return -EINVAL;
	}
	pt->root_rdfd = openat(pt->root.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pt->root_rdfd < 0) {
		fprintf(stderr, "passthrough: %s: %s\n", pt->source, strerror(errno));
		return -EINVAL;
	}
	pt->noflush = pt->opt_flush == -1 ? !close_reports_errors(pt->root_rdfd) : !pt->opt_flush;
	pt->root.type = S_IFDIR;
	pt->root.dev = st.st_dev;
	pt->root.ino = st.st_ino;
	pt->root.nlookup = 1;
	pt->root.generation = 0;

	pthread_mutex_init(&pt->lock, NULL);
	pt->nbuckets = 1024;
	pt->buckets = calloc(pt->nbuckets, sizeof *pt->buckets);
	if (!pt->buckets) {
		fprintf(stderr, "passthrough: out of memory\n");
		return -ENOMEM;
	}
	table_insert(pt, &pt->root);
	pt->nids = 1024;
	pt->ids = calloc(pt->nids, sizeof *pt->ids);
	if (!pt->ids) {
		fprintf(stderr, "passthrough: out of memory\n");
		return -ENOMEM;
	}
	/* A restarted daemon must not hand out an earlier run's id and
	 * generation for another file (an NFS client keeps handles). */
	if (getrandom(&pt->next_generation, sizeof pt->next_generation, GRND_NONBLOCK) < 0)
		pt->next_generation = (uint64_t)time(NULL) << 20 ^ (uint64_t)getpid();
	pt->next_generation &= 0xffffffffu;  /* the kernel keeps 32 bits */
	pt->handles = handles_work(pt);

	pt->entry_timeout = o->entry_timeout;
	pt->attr_timeout = o->attr_timeout;
	pt->negative_timeout = o->negative_timeout;
	pt->opt_writeback = o->writeback_cache;
	pt->opt_passthrough = o->passthrough;
	pt->default_permissions = o->default_permissions;
	pt->noatime = (o->mount_flags & MS_NOATIME) != 0;
	pt->kernel_cache = o->kernel_cache;
	pt->direct_io = o->direct_io;

	pt->own_uid = geteuid();
	pt->own_gid = getegid();
	pt->switch_creds = pt->own_uid == 0;
	if (pt->switch_creds && o->allow_other && !o->default_permissions)
		fprintf(stderr, "passthrough: warning: allow_other without "
		        "default_permissions lets every user act as root on %s\n",
		        pt->source);
	if (pt->switch_creds) {
		int n = getgroups(0, NULL);
		pt->own_groups = calloc(n > 0 ? (size_t)n : 1, sizeof(gid_t));
		if (!pt->own_groups || (n > 0 && getgroups(n, pt->own_groups) < 0)) {
			fprintf(stderr, "passthrough: reading our own groups: %s\n", strerror(errno));
			return -ENOMEM;
		}
		pt->own_ngroups = n > 0 ? n : 0;
	}
	/* New files get exactly the mode we pass: a create takes the
	 * caller's umask per thread (take_umask); anything else, none. */
	umask(0);
	raise_fd_limit();
	return 0;
}

static void pt_cleanup(void *data)
{
	struct pt *pt = data;

	if (pt->buckets) {
		for (size_t i = 0; i < pt->nbuckets; i++) {
			struct pt_node *n = pt->buckets[i], *next;
			for (; n; n = next) {
				next = n->next;
				if (n != &pt->root)
					node_free(n);
			}
		}
		free(pt->buckets);
		free(pt->ids);
		pthread_mutex_destroy(&pt->lock);
	}
	if (pt->root.fd > 0)
		close(pt->root.fd);
	if (pt->root_rdfd > 0)
		close(pt->root_rdfd);
	free(pt->own_groups);
	free(pt->source);
}

static const struct fbx_app pt_app = {
	.usage = "[options] SOURCEDIR MOUNTPOINT",
	.help = pt_help,
	.opt = pt_opt,
	.setup = pt_setup,
	.cleanup = pt_cleanup,
};

int main(int argc, char *argv[])
{
	struct pt pt = {
		.root.fd = -1, .root_rdfd = -1,
		.opt_killpriv = 1, .opt_readdir_cache = 1, .opt_flush = -1, .xattr = 1,
		.kept_max = 1000000,
	};

	return fbx_ll_main_app(argc, argv, &pt_ops, sizeof pt_ops, &pt, &pt_app);
}
