/*
 * notify_ll -- a filesystem that changes its own file, and tells the
 * kernel so (fbx_notify_inval_inode, fusebox/lowlevel.h).
 *
 *   notify_ll [-f] [-o no_notify] MOUNTPOINT
 *   cat MOUNTPOINT/counter       00000001
 *   echo > MOUNTPOINT/bump       the counter goes up...
 *   cat MOUNTPOINT/counter       ...and the kernel asks again: 00000002
 *
 * /counter is cached as long as the kernel allows: its pages survive
 * close and open (keep_cache), its attributes and name for an hour. That
 * makes reading it cheap, and makes a change the kernel does not hear of
 * invisible: with -o no_notify, cat keeps showing the old value while
 * the cache lasts. A write to /bump increments the counter and
 * invalidates /counter's cached pages and attributes, so the next read
 * comes to us. The counter has a fixed width: its size never changes.
 *
 * The notification goes out while handling a request on another node
 * (/bump): the kernel may hold a node's pages locked while it waits for
 * our answer about that node, so notifying about it from its own
 * handler could wait forever.
 *
 * No readdir: the two names are known, and `ls` of the root says ENOSYS.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fusebox/lowlevel.h>

#define COUNTER_ID 2
#define BUMP_ID    3
#define WIDTH      9      /* "%08u\n" */
#define CACHE_S    3600.0

struct state {
	atomic_uint counter;
	int notify;           /* cleared by -o no_notify */
};

static struct state *state_of(struct fbx_req *req) { return fbx_req_userdata(req); }

static int fill_stat(uint64_t ino, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = ino;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_nlink = 1;
	switch (ino) {
	case FBX_ROOT_ID: st->st_mode = S_IFDIR | 0755; st->st_nlink = 2; break;
	case COUNTER_ID:  st->st_mode = S_IFREG | 0444; st->st_size = WIDTH; break;
	case BUMP_ID:     st->st_mode = S_IFREG | 0222; break;
	default:          return 0;
	}
	return 1;
}

static void n_lookup(struct fbx_req *req, uint64_t parent, const char *name)
{
	struct fbx_entry e = { .attr_timeout = CACHE_S, .entry_timeout = CACHE_S };
	e.ino = parent != FBX_ROOT_ID ? 0 : !strcmp(name, "counter") ? COUNTER_ID
	      : !strcmp(name, "bump") ? BUMP_ID : 0;
	if (!e.ino || !fill_stat(e.ino, &e.attr))
		fbx_reply_err(req, -ENOENT);
	else
		fbx_reply_entry(req, &e);
}

static void n_getattr(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	struct stat st;
	if (fill_stat(ino, &st))
		fbx_reply_attr(req, &st, CACHE_S);
	else
		fbx_reply_err(req, -ENOENT);
}

/* `echo > bump` truncates first: nothing to change, say what it is. */
static void n_setattr(struct fbx_req *req, uint64_t ino, const struct stat *attr,
                      unsigned to_set, struct fbx_file_info *fi)
{
	if (ino != BUMP_ID)
		fbx_reply_err(req, -EACCES);
	else
		n_getattr(req, ino, fi);
}

static void n_open(struct fbx_req *req, uint64_t ino, struct fbx_file_info *fi)
{
	int mode = fi->flags & O_ACCMODE;
	if (ino == COUNTER_ID && mode == O_RDONLY) {
		fi->keep_cache = 1;   /* trust the pages we gave before */
		fbx_reply_open(req, fi);
	} else if (ino == BUMP_ID && mode == O_WRONLY) {
		fi->direct_io = 1;    /* every write comes to us */
		fbx_reply_open(req, fi);
	} else {
		fbx_reply_err(req, ino == FBX_ROOT_ID ? -EISDIR : -EACCES);
	}
}

static void n_read(struct fbx_req *req, uint64_t ino, size_t size, off_t off,
                   struct fbx_file_info *fi)
{
	char text[WIDTH + 1];
	snprintf(text, sizeof text, "%08u\n", atomic_load(&state_of(req)->counter) % 100000000u);
	if (off >= WIDTH)
		fbx_reply_buf(req, NULL, 0);
	else
		fbx_reply_buf(req, text + off, size < WIDTH - (size_t)off ? size : WIDTH - (size_t)off);
}

static void n_write(struct fbx_req *req, uint64_t ino, const char *buf, size_t size,
                    off_t off, struct fbx_file_info *fi)
{
	struct state *s = state_of(req);
	atomic_fetch_add(&s->counter, 1);
	/* From here the kernel's copy of /counter is wrong: say so. */
	if (s->notify)
		fbx_notify_inval_inode(fbx_req_session(req), COUNTER_ID, 0, 0);
	fbx_reply_write(req, size);
}

static const struct fbx_ll_ops notify_ops = {
	.lookup = n_lookup, .getattr = n_getattr, .setattr = n_setattr,
	.open = n_open, .read = n_read, .write = n_write,
};

static int n_opt(void *data, const char *key, const char *value, int is_arg)
{
	struct state *s = data;
	if (is_arg || value || strcmp(key, "no_notify") != 0)
		return 0;
	s->notify = 0;
	return 1;
}

static const struct fbx_app notify_app = {
	.help = "notify_ll options:\n"
	        "    -o no_notify           change /counter without telling the kernel\n",
	.opt = n_opt,
};

int main(int argc, char *argv[])
{
	struct state s = { .counter = 1, .notify = 1 };
	return fbx_ll_main_app(argc, argv, &notify_ops, sizeof notify_ops, &s, &notify_app);
}
