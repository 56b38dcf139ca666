/*
 * pathmap.h -- internal: a high-level layer (struct fuse_fs) that maps
 * each path on its way down to the layer below and what comes back up
 * (names from readdir, readlink's target). libfuse's built-in modules
 * are such layers: subdir (mod_subdir.c) puts a directory in front of
 * every path, iconv (mod_iconv.c) converts names between character
 * sets. The layer's ops are written once here for both APIs: each
 * library compiles this text against its own <fuse.h>, and
 * FUSE_USE_VERSION says whose (the ops that differ, such as getattr's
 * file info or rename's flags, follow it).
 *
 * The layer offers exactly the ops of the layer below it (and libfuse
 * 2's flag_nullpath_ok, flag_nopath and flag_utime_omit_ok), so what
 * the library does for a missing op is the same with and without a
 * module. A NULL path (nullpath_ok) stays NULL.
 */
#ifndef FBX_COMPAT_PATHMAP_H
#define FBX_COMPAT_PATHMAP_H

#include <stddef.h>

#include <fuse.h>

struct fbx_pathmap {
	void *m;   /* the module's state, passed to each call below */
	/* The path the layer below is asked with (never called for NULL):
	 * *out malloc'd. 0 or a negative errno, which the op returns. */
	int (*down)(void *m, const char *path, char **out);
	/* A symlink's target on its way down, as down; NULL: unchanged. */
	int (*target_down)(void *m, const char *target, char **out);
	/* A name the layer below listed, as the mount shows it (*out
	 * malloc'd); nonzero leaves the name out. NULL: unchanged. */
	int (*name_up)(void *m, const char *name, char **out);
	/* readlink's target in buf (of size bytes, NUL-terminated), for the
	 * link the mount calls path, rewritten in place. NULL: unchanged. */
	void (*link_up)(void *m, const char *path, char *buf, size_t size);
	/* Frees m, after the layers below are destroyed. */
	void (*free)(void *m);
};

/* A layer over `below` (which it owns from now on, and destroys with
 * itself). NULL if out of memory: then pm->free(pm->m) has run and
 * `below` is the caller's again. */
struct fuse_fs *fbx_pathmap_new(const struct fbx_pathmap *pm, struct fuse_fs *below);

/* A layer's ops (struct fuse_fs is each library's own: hl_fs.c). */
const struct fuse_operations *fbx_compat_fs_ops(const struct fuse_fs *fs);

/* The built-in modules, for both libraries' -o modules= (a module
 * factory's signature is the same in libfuse 2 and 3). Each prints why
 * it fails. The help functions print the module's options. */
struct fuse_fs *fbx_compat_subdir_factory(struct fuse_args *args, struct fuse_fs *fs[]);
struct fuse_fs *fbx_compat_iconv_factory(struct fuse_args *args, struct fuse_fs *fs[]);
void fbx_compat_subdir_help(void);
void fbx_compat_iconv_help(void);

#endif /* FBX_COMPAT_PATHMAP_H */
