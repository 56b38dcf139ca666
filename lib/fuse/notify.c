/*
 * lib/fuse/notify.c -- messages the filesystem sends on its own:
 * cache invalidations, stores and retrieves (unique 0, the notify code
 * in the error field), and registering backing files for FUSE
 * passthrough.
 */
#include "fuse/session.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int fbx_notify_send(struct fbx_session *se, int code, struct iovec *iov, int count)
{
	struct fbx_k_out_header h = { sizeof h, code, 0 };
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof h;
	for (int i = 1; i < count; i++)
		h.len += (uint32_t)iov[i].iov_len;
	if (!se->ch)
		return -ENOTCONN;
	/* Notifications need protocol 7.12+; INIT must be done first. */
	if (!atomic_load(&se->got_init))
		return -EAGAIN;
	return fbx_chan_send(se->ch, iov, count);
}

static int name_ok(const char *name)
{
	size_t n = strlen(name);
	return n > 0 && n <= 255 ? 0 : -ENAMETOOLONG;
}

int fbx_notify_inval_inode(struct fbx_session *se, uint64_t ino, off_t off, off_t len)
{
	struct fbx_k_notify_inval_inode_out o = { ino, off, len };
	struct iovec iov[2] = { { 0 }, { &o, sizeof o } };
	return fbx_notify_send(se, FBX_K_NOTIFY_INVAL_INODE, iov, 2);
}

static int inval_entry(struct fbx_session *se, uint64_t parent, const char *name,
                       uint32_t flags)
{
	int err = name_ok(name);
	if (err)
		return err;
	struct fbx_k_notify_inval_entry_out o = { parent, (uint32_t)strlen(name), flags };
	struct iovec iov[3] = { { 0 }, { &o, sizeof o }, { (void *)name, o.namelen + 1 } };
	return fbx_notify_send(se, FBX_K_NOTIFY_INVAL_ENTRY, iov, 3);
}

int fbx_notify_inval_entry(struct fbx_session *se, uint64_t parent, const char *name)
{
	return inval_entry(se, parent, name, 0);
}

int fbx_notify_expire_entry(struct fbx_session *se, uint64_t parent, const char *name)
{
	/* The flag came with protocol 7.38; an older kernel would take the
	 * message as a plain invalidation, which is more than was asked. */
	if (atomic_load(&se->got_init) && se->conn.proto_minor < 38)
		return -ENOSYS;
	return inval_entry(se, parent, name, FBX_K_NOTIFY_EXPIRE_ONLY);
}

int fbx_notify_delete(struct fbx_session *se, uint64_t parent, uint64_t child,
                      const char *name)
{
	int err = name_ok(name);
	if (err)
		return err;
	struct fbx_k_notify_delete_out o = { parent, child, (uint32_t)strlen(name), 0 };
	struct iovec iov[3] = { { 0 }, { &o, sizeof o }, { (void *)name, o.namelen + 1 } };
	return fbx_notify_send(se, FBX_K_NOTIFY_DELETE, iov, 3);
}

int fbx_notify_store(struct fbx_session *se, uint64_t ino, off_t off,
                     const void *data, size_t size)
{
	if (off < 0 || size > UINT32_MAX)
		return -EINVAL;
	struct fbx_k_notify_store_out o = { ino, (uint64_t)off, (uint32_t)size, 0 };
	struct iovec iov[3] = { { 0 }, { &o, sizeof o }, { (void *)data, size } };
	return fbx_notify_send(se, FBX_K_NOTIFY_STORE, iov, 3);
}

/* One retrieve in flight. The kernel answers only where it has pages
 * cached, so a cookie may wait forever; the list is freed with the
 * session. */
struct fbx_retrieve {
	uint64_t unique;
	void *cookie;
	struct fbx_retrieve *next;
};

int fbx_notify_retrieve(struct fbx_session *se, uint64_t ino, off_t off,
                        size_t size, void *cookie)
{
	if (off < 0 || size > UINT32_MAX)
		return -EINVAL;
	struct fbx_retrieve *r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	pthread_mutex_lock(&se->retrieve_lock);
	r->unique = ++se->retrieve_unique;
	r->cookie = cookie;
	r->next = se->retrieves;
	se->retrieves = r;
	pthread_mutex_unlock(&se->retrieve_lock);
	struct fbx_k_notify_retrieve_out o = { r->unique, ino, (uint64_t)off, (uint32_t)size, 0 };
	struct iovec iov[2] = { { 0 }, { &o, sizeof(o) } };
	int err = fbx_notify_send(se, FBX_K_NOTIFY_RETRIEVE, iov, 2);
	if (err) {
		void *unused;
		fbx_retrieve_take(se, o.notify_unique, &unused);
	}
	return err;
}

int fbx_retrieve_take(struct fbx_session *se, uint64_t unique, void **cookie)
{
	int found = 0;
	pthread_mutex_lock(&se->retrieve_lock);
	for (struct fbx_retrieve **p = &se->retrieves; *p; p = &(*p)->next) {
		if ((*p)->unique == unique) {
			struct fbx_retrieve *r = *p;
			*p = r->next;
			*cookie = r->cookie;
			free(r);
			found = 1;
			break;
		}
	}
	pthread_mutex_unlock(&se->retrieve_lock);
	return found;
}

void fbx_retrieve_free_all(struct fbx_session *se)
{
	while (se->retrieves) {
		struct fbx_retrieve *r = se->retrieves;
		se->retrieves = r->next;
		free(r);
	}
}

struct fbx_caps {
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
};

/* The kernel does every read and write of a backing file with the
 * credentials of the thread that registered it. Those of a daemon
 * include CAP_FSETID, so the file system below would keep suid/sgid on
 * a write by anyone: a user allowed to write to a setuid-root file could
 * plant code that runs as root. Registered without CAP_FSETID, writes
 * through the file clear the bits as for an unprivileged writer.
 * Capabilities are per thread; this thread gets its set back at once. */
static int cap_fsetid_drop(struct fbx_caps *saved)
{
	saved->hdr.version = _LINUX_CAPABILITY_VERSION_3;
	saved->hdr.pid = 0;
	if (syscall(SYS_capget, &saved->hdr, saved->data) < 0)
		return -errno;
	if (!(saved->data[0].effective & (1u << CAP_FSETID)))
		return 0;
	struct fbx_caps less = *saved;
	less.data[0].effective &= ~(1u << CAP_FSETID);
	if (syscall(SYS_capset, &less.hdr, less.data) < 0)
		return -errno;
	return 1;
}

int fbx_backing_open(struct fbx_session *se, int fd)
{
	if (!(se->conn.want & se->conn.capable & FBX_CAP_PASSTHROUGH))
		return -EOPNOTSUPP;
	struct fbx_caps saved;
	int dropped = cap_fsetid_drop(&saved);
	if (dropped < 0)
		return dropped;
	struct fbx_k_backing_map map = { .fd = fd };
	int id = ioctl(se->fd, FBX_K_DEV_IOC_BACKING_OPEN, &map);
	int err = id < 0 ? -errno : (id == 0 ? -EIO : 0);
	if (dropped && syscall(SYS_capset, &saved.hdr, saved.data) < 0 && !err) {
		/* This thread could not take CAP_FSETID back: its later
		 * chmods would differ. Not expected (permitted is unchanged). */
		err = -errno;
		fbx_backing_close(se, id);
	}
	return err ? err : id;
}

int fbx_backing_close(struct fbx_session *se, int backing_id)
{
	uint32_t id = (uint32_t)backing_id;
	return ioctl(se->fd, FBX_K_DEV_IOC_BACKING_CLOSE, &id) < 0 ? -errno : 0;
}
