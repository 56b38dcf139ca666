/*
 * chan.c -- fuse_mount, fuse_unmount and the fuse_chan_* calls.
 *
 * A channel is the mount point and its mount options until a session
 * takes it (fuse2.h says why fusebox mounts there and not here); then
 * its descriptor is that session's /dev/fuse descriptor.
 */
#include "fuse2.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Requests are at most max_write (1 MiB by default in fusebox) plus
 * their header; libfuse 2 programs size receive buffers with this. */
#define CHAN_BUFSIZE ((size_t)(1u << 20) + 4096)

static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fuse_chan *pending;

static void pending_add(struct fuse_chan *ch)
{
	pthread_mutex_lock(&pending_lock);
	struct fuse_chan **p = &pending;
	while (*p)
		p = &(*p)->next_pending;
	*p = ch;
	pthread_mutex_unlock(&pending_lock);
}

static void pending_drop(struct fuse_chan *ch)
{
	pthread_mutex_lock(&pending_lock);
	for (struct fuse_chan **p = &pending; *p; p = &(*p)->next_pending)
		if (*p == ch) {
			*p = ch->next_pending;
			break;
		}
	ch->next_pending = NULL;
	pthread_mutex_unlock(&pending_lock);
}

struct fuse_chan *fbx_fuse2_pending_chan(void)
{
	pthread_mutex_lock(&pending_lock);
	struct fuse_chan *ch = pending;
	pthread_mutex_unlock(&pending_lock);
	return ch;
}

static struct fuse_chan *chan_new(const char *mountpoint)
{
	struct fuse_chan *ch = calloc(1, sizeof(*ch));
	if (!ch || !(ch->mountpoint = strdup(mountpoint))) {
		free(ch);
		fbx_fuse2_err("memory allocation failed\n");
		return NULL;
	}
	ch->fd = -1;
	ch->early_fd = -1;
	return ch;
}

static void chan_free(struct fuse_chan *ch)
{
	if (ch->custom && ch->op.destroy)
		ch->op.destroy(ch);
	pending_drop(ch);
	if (ch->early_fd >= 0)
		close(ch->early_fd);
	if (ch->mounted_by)
		ch->mounted_by->mounted = NULL;
	fuse_opt_free_args(&ch->margs);
	free(ch->mountpoint);
	free(ch);
}

/* Only the mount options are the channel's: the session's own (debug,
 * max_write=...) are checked again by fuse_new/fuse_lowlevel_new, and
 * an option nobody here knows may be a module's (reported by fuse_new
 * if no module takes it). A malformed one is reported here, where
 * libfuse 2 reports it. */
static int check_options(const struct fuse_args *args, int *nonempty)
{
	struct fbx_options o;
	int r = fbx_fuse2_mount_options(&o, args);
	*nonempty = o.nonempty;
	fbx_options_free(&o);
	return r;
}

/* libfuse 2 (fuse_mnt_check_empty) mounts on an empty directory, or an
 * empty file, unless -o nonempty: what a directory holds would be hidden
 * under the mount. fusebox's own mount code only refuses a mount point
 * that is already one. */
int fbx_fuse2_check_empty(const char *mnt, const struct stat *st)
{
	int empty = 1;
	if (S_ISDIR(st->st_mode)) {
		DIR *d = opendir(mnt);
		if (!d) {
			fbx_fuse2_err("failed to open mountpoint for reading: %s\n", strerror(errno));
			return -1;
		}
		struct dirent *e;
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
				empty = 0;
				break;
			}
		closedir(d);
	} else if (st->st_size) {
		empty = 0;
	}
	if (!empty) {
		fbx_fuse2_err("mountpoint is not empty\n");
		fbx_fuse2_err("if you are sure this is safe, use the 'nonempty' mount option\n");
		return -1;
	}
	return 0;
}

int fbx_fuse2_no_mount(const struct fuse_args *args)
{
	for (int i = 1; args && args->argv && i < args->argc; i++)
		if (strcmp(args->argv[i], "-ho") == 0 || strcmp(args->argv[i], "--version") == 0)
			return 1;
	return 0;
}

struct fuse_chan *fuse_mount(const char *mountpoint, struct fuse_args *args)
{
	char abs[PATH_MAX];
	struct stat st;
	if (fbx_fuse2_no_mount(args))
		return NULL;
	if (!mountpoint) {
		fbx_fuse2_err("missing mountpoint parameter\n");
		return NULL;
	}
	if (strncmp(mountpoint, "/dev/fd/", 8) != 0) {
		if (!realpath(mountpoint, abs) || stat(abs, &st) < 0) {
			fbx_fuse2_err("bad mount point `%s': %s\n", mountpoint, strerror(errno));
			return NULL;
		}
		mountpoint = abs;
	}
	int nonempty = 0;
	if (args && check_options(args, &nonempty) < 0)
		return NULL;
	if (!nonempty && strncmp(mountpoint, "/dev/fd/", 8) != 0 &&
	    fbx_fuse2_check_empty(mountpoint, &st) < 0)
		return NULL;
	struct fuse_chan *ch = chan_new(mountpoint);
	if (!ch)
		return NULL;
	for (int i = 0; args && args->argv && i < args->argc; i++)
		if (fuse_opt_add_arg(&ch->margs, args->argv[i]) < 0) {
			chan_free(ch);
			return NULL;
		}
	/* libfuse 2 has mounted by now, and programs written after its
	 * fuse_setup (archivemount) set FD_CLOEXEC on fuse_chan_fd before
	 * fuse_new. Without /dev/fuse the session's mount fails and says why. */
	ch->early_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	pending_add(ch);
	return ch;
}

/* A channel on a /dev/fuse descriptor the caller mounted itself. */
struct fuse_chan *fuse_kern_chan_new(int fd)
{
	char path[32];
	snprintf(path, sizeof(path), "/dev/fd/%d", fd);
	struct fuse_chan *ch = chan_new(path);
	if (ch) {
		ch->fd = fd;   /* what a generic session reads (old_generic.c) */
		pending_add(ch);
	}
	return ch;
}

/* The number fuse_chan_fd gave the program now names the mount's
 * connection, with the close-on-exec flag the program chose for it. */
static void early_fd_follow(struct fuse_session *se, struct fuse_chan *ch)
{
	int fd = fbx_session_fd(se->fbx);
	if (ch->early_fd < 0 || fd < 0)
		return;
	int fl = fcntl(ch->early_fd, F_GETFD);
	if (dup3(fd, ch->early_fd, fl >= 0 && !(fl & FD_CLOEXEC) ? 0 : O_CLOEXEC) < 0) {
		close(ch->early_fd);
		ch->early_fd = -1;
	}
}

int fbx_fuse2_attach(struct fuse_session *se, struct fuse_chan *ch)
{
	pending_drop(ch);
	ch->se = se;
	se->ch = ch;
	if (se->gen)
		return fbx_fuse2_gen_attach(se, ch);
	if (ch->mounted_by)
		return 0;
	int r = ch->custom ? fbx_fuse2_attach_custom(se, ch)
	                   : fbx_session_mount(se->fbx, ch->mountpoint);
	if (r < 0) {
		se->mount_failed = 1;
		return -1;
	}
	ch->mounted_by = se;
	se->mounted = ch;
	early_fd_follow(se, ch);
	return 0;
}

void fbx_fuse2_chan_session_gone(struct fuse_session *se)
{
	struct fuse_chan *ch = se->ch;
	se->ch = NULL;
	if (ch)
		chan_free(ch);
	/* A channel the program took back (fuse_session_remove_chan) and
	 * still holds: its mount goes with the session. */
	if (se->mounted) {
		se->mounted->mounted_by = NULL;
		se->mounted = NULL;
	}
}

/* The mount is the session's: unmounted through it. The channel stays
 * while a session holds it (fuse_destroy / fuse_session_destroy free it). */
void fuse_unmount(const char *mountpoint, struct fuse_chan *ch)
{
	(void)mountpoint;
	if (!ch)
		return;
	/* libfuse 2 closes the descriptor before it unmounts (fuse_kern_unmount);
	 * the number fuse_chan_fd gave is a second reference to the
	 * connection, which would keep a fuseblk unmount waiting for DESTROY. */
	if (ch->early_fd >= 0) {
		close(ch->early_fd);
		ch->early_fd = -1;
	}
	if (ch->mounted_by)
		fbx_session_unmount(ch->mounted_by->fbx);
	else if (ch->keeps_mount) {
		ch->keeps_mount = 0;
		fbx_unmount_path(ch->mountpoint);
	}
	if (!ch->se)
		chan_free(ch);
}

int fuse_chan_fd(struct fuse_chan *ch)
{
	if (ch && (ch->custom || (ch->se && ch->se->gen)))
		return ch->fd;
	if (ch && ch->early_fd >= 0)
		return ch->early_fd;
	return ch && ch->se ? fbx_session_fd(ch->se->fbx) : -1;
}

size_t fuse_chan_bufsize(struct fuse_chan *ch)
{
	return ch && ch->custom ? ch->bufsize : CHAN_BUFSIZE;
}

/* libfuse's own channels carry no data of the program's. */
void *fuse_chan_data(struct fuse_chan *ch)
{
	return ch && ch->custom ? ch->data : NULL;
}

struct fuse_session *fuse_chan_session(struct fuse_chan *ch)
{
	return ch->se;
}

void fuse_chan_destroy(struct fuse_chan *ch)
{
	if (!ch)
		return;
	if (ch->se) {
		ch->se->ch = NULL;
		ch->se = NULL;
	}
	chan_free(ch);
}
