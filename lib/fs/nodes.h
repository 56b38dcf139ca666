/*
 * lib/fs/nodes.h -- the path layer's node table: the kernel's inode view
 * of a path filesystem.
 *
 * A node is what the kernel knows as one inode (a node id). A name is a
 * (parent node, string) pair naming a node; a node may have several
 * names (hard links). The first name of a node is its current name, the
 * one paths are built from; the others are aliases to fall back on when
 * the current name goes away.
 *
 * Lifetime: a node lives while the kernel holds lookups on it (nlookup),
 * while it is open, or while names of other nodes sit in it (it is their
 * parent), and, when the table remembers (fbx_nodes_set_remember), while
 * it has a name. When none holds, it is freed with its names. Node ids
 * come from a 64-bit counter and are never reused, so "ino:generation"
 * is unique for the mount's life whatever the generation; the path layer
 * gives every node but the root one per-mount generation, so that a
 * handle from an earlier mount does not name a node of this one.
 *
 * An open handle remembers the name it was opened under (the current
 * name at fbx_nodes_set_fh); operations on it use that name while it
 * exists, as libfuse, whose nodes are names, gives them.
 *
 * Every function takes the table lock itself and calls nothing outside
 * this file while holding it. The lock is one adaptive mutex, not a
 * rwlock: every holder is done in well under a microsecond (hash lookups,
 * a path copied out), so sharing it among readers gains nothing, while
 * glibc's rwlock never spins and, when a writer leaves, wakes every
 * waiting reader. Under four metadata clients on two cores that was one
 * futex sleep in six context switches of the daemon's workers; spinning
 * briefly first leaves almost none (bench/README, fuse2).
 */
#ifndef FBX_FS_NODES_H
#define FBX_FS_NODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct fbx_nodes;

/** What fbx_nodes_find() tells about the node behind a name. */
struct fbx_node_info {
	uint64_t id;
	uint64_t nlookup;
	unsigned open;    /**< open handles */
	unsigned nnames;  /**< names known for it (1: this is the only one) */
	int hidden;       /**< its current name is a hidden one */
	mode_t type;      /**< S_IFMT bits as last seen; 0 unknown */
};

/** Counts, for tests and debugging. */
struct fbx_nodes_stats {
	size_t nodes, names, inos;            /**< live entries (root included) */
	size_t id_buckets, name_buckets, ino_buckets;
};

struct fbx_nodes *fbx_nodes_new(void);
void fbx_nodes_free(struct fbx_nodes *t);

/**
 * The path of node `id`, with "/name" appended when name is non-NULL,
 * in a malloc'd string. -ENOENT if the node has no name (unlinked),
 * -ESTALE if the id is unknown, -ENAMETOOLONG for a name past NAME_MAX.
 * Paths may be longer than PATH_MAX (deep trees, relative paths).
 */
int fbx_nodes_path(struct fbx_nodes *t, uint64_t id, const char *name, char **out);
/** fbx_nodes_path() into `mem` (room bytes) when the path fits there,
 *  else into a malloc'd string: free *out only when it is not mem. */
int fbx_nodes_path_in(struct fbx_nodes *t, uint64_t id, const char *name, char *mem,
                      size_t room, char **out);
/**
 * The path of open file `id` for an operation on its handle fh: built
 * from the name it was opened under (fbx_nodes_set_fh; renames followed)
 * while that name exists, else from its current name, as
 * fbx_nodes_path(). With hard links the two differ: a filesystem that
 * keys its open state by path (sshfs) gets the path open gave it.
 */
int fbx_nodes_path_fh(struct fbx_nodes *t, uint64_t id, uint64_t fh, char **out);
/** fbx_nodes_path_fh() into mem as fbx_nodes_path_in(). */
int fbx_nodes_path_fh_in(struct fbx_nodes *t, uint64_t id, uint64_t fh, char *mem,
                         size_t room, char **out);
/** Two paths built under one lock (rename, link). */
int fbx_nodes_path2(struct fbx_nodes *t, uint64_t id1, const char *name1, char **out1,
                    uint64_t id2, const char *name2, char **out2);

/**
 * An entry reply is about to name `parent`/`name` with attributes st:
 * find or make its node and count one lookup. A node with the same
 * (st_dev, st_ino) and a name is reused for a non-directory with
 * st_nlink > 1 (hard link). A known name whose st_ino changed keeps its
 * node while the kernel holds it, unless fbx_nodes_set_stable_ino.
 * With open != 0 the node also gets one open handle (create).
 */
int fbx_nodes_enter(struct fbx_nodes *t, uint64_t parent, const char *name,
                    const struct stat *st, int open, uint64_t *id);
/** link(2) made `newparent`/`name` another name of node `id`: add the
 *  name and count one lookup. */
int fbx_nodes_link(struct fbx_nodes *t, uint64_t id, uint64_t newparent,
                   const char *name, const struct stat *st);
/** The kernel dropped n lookups of id. */
void fbx_nodes_forget(struct fbx_nodes *t, uint64_t id, uint64_t n);

/**
 * Count one lookup of node `id` itself (the kernel's LOOKUP of "."),
 * after the filesystem reported `st` for its path: -ESTALE if the id is
 * unknown, the node has no name, or st shows another file (type or
 * st_ino) than the one the node was made for.
 */
int fbx_nodes_ref(struct fbx_nodes *t, uint64_t id, const struct stat *st);
/** The parent of node `id`'s current name (the root's is the root);
 *  -ESTALE if the id is unknown or the node has no name. Counts nothing. */
int fbx_nodes_parent(struct fbx_nodes *t, uint64_t id, uint64_t *parent);
/** Keep (on) or free (off) nodes the kernel forgot while they have a
 *  name: see flag_remember in fusebox/fs.h. */
void fbx_nodes_set_remember(struct fbx_nodes *t, bool on);

/** Take (on) a changed st_ino of a known name for a file replaced
 *  behind our back, or (off, the default) for a renumbering of the same
 *  file: see "Inode numbers" in fusebox/fs.h and use_ino. */
void fbx_nodes_set_stable_ino(struct fbx_nodes *t, bool on);
/** Look up the node named parent/name; -ENOENT if the table has none. */
int fbx_nodes_find(struct fbx_nodes *t, uint64_t parent, const char *name,
                   struct fbx_node_info *info);
/** The node's info by id; -ESTALE if unknown. */
int fbx_nodes_info(struct fbx_nodes *t, uint64_t id, struct fbx_node_info *info);

/** The name parent/name is gone (unlink, rmdir). */
void fbx_nodes_remove(struct fbx_nodes *t, uint64_t parent, const char *name);
/**
 * rename(2) succeeded. flags: 0 / RENAME_NOREPLACE (a name at the target
 * is dropped) or RENAME_EXCHANGE (the two names swap nodes).
 */
void fbx_nodes_rename(struct fbx_nodes *t, uint64_t parent, const char *name,
                      uint64_t newparent, const char *newname, unsigned flags);
/**
 * The open file parent/name was renamed to parent/hidden by the path
 * layer: move the name and mark it hidden. Returns 1 when the node is
 * no longer open (its last release raced ahead): the caller removes the
 * hidden file itself. 0 otherwise.
 */
int fbx_nodes_hide(struct fbx_nodes *t, uint64_t parent, const char *name,
                   const char *hidden);

/** One more open handle on id (taken before the filesystem's open). */
int fbx_nodes_open(struct fbx_nodes *t, uint64_t id);
/**
 * One open handle of id closed. When it was the last one and the node
 * lives under a hidden name, the name is dropped from the table and its
 * path returned in *hidden_path (malloc'd) for the caller to unlink;
 * else *hidden_path is NULL.
 */
void fbx_nodes_release(struct fbx_nodes *t, uint64_t id, char **hidden_path);

/**
 * The paths of all files now hidden (a malloc'd array of malloc'd
 * strings, *count of them): at unmount the caller removes them so
 * nothing is left behind. 0 or -ENOMEM (then *count may be partial).
 */
int fbx_nodes_hidden_paths(struct fbx_nodes *t, char ***paths, size_t *count);

/**
 * Remember (set != 0, at open) or forget (set == 0, at release) an open
 * handle of id, so that a getattr without a handle on an unlinked open
 * file (fstat after hard_remove) or on a removed open directory (fstat
 * after rename over it: the kernel sends no handle for a directory) can
 * still use one. Every open is counted, also several with the same fh
 * value. A directory's handle is the filesystem's (opendir's fi->fh).
 */
void fbx_nodes_set_fh(struct fbx_nodes *t, uint64_t id, int set, uint64_t fh, int flags);
/** The remembered handle of id: 0, or -ENOENT if none (a directory's
 *  only with dirs != 0). */
int fbx_nodes_get_fh(struct fbx_nodes *t, uint64_t id, int dirs, uint64_t *fh, int *flags);

void fbx_nodes_stats(struct fbx_nodes *t, struct fbx_nodes_stats *st);

#endif /* FBX_FS_NODES_H */
