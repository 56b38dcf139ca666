/*
 * ramdisk -- a block device written from scratch: nothing but the
 * callbacks of struct fbx_dev_ops (fusebox/blockdev.h) over memory.
 *
 *   ramdisk SIZE [TARGET] [-r]       SIZE as fbx_parse_size reads it: 64M, 1G
 *   ramdisk 64M --socket /tmp/rd.sock
 *   nbdinfo --map 'nbd+unix:///?socket=/tmp/rd.sock'
 *
 * The disk is an array of 64 KiB chunks, each allocated on its first
 * write, so an unwritten disk costs only the array. Trim and
 * write_zeroes free the chunks they cover whole and zero the rest;
 * extents reports missing chunks as holes that read as zeroes, so
 * clients (nbdcopy, qemu-img) skip them. One mutex guards everything:
 * simple and correct, and these callbacks never sleep, so the server may
 * run them on its connection threads (info.nonblocking). A faster disk
 * would lock per chunk; fbx_memdisk (busexmp) also sends replies
 * straight from its pages.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fusebox/blockdev.h>
#include <fusebox/size.h>

#define CHUNK ((uint64_t)64 << 10)

struct ramdisk {
	pthread_mutex_t lock;
	uint64_t nchunks;
	char **chunk;           /* NULL: never written, or trimmed: zeroes */
};

/* I/O is done chunk by chunk: the piece of [pos, end) that starts at
 * pos lies in chunk *i, from byte *at, for *n bytes. */
static void piece(uint64_t pos, uint64_t end, uint64_t *i, uint64_t *at, uint64_t *n)
{
	*i = pos / CHUNK;
	*at = pos % CHUNK;
	*n = CHUNK - *at < end - pos ? CHUNK - *at : end - pos;
}

static int rd_read(void *ud, void *buf, uint64_t len, uint64_t off, unsigned flags)
{
	struct ramdisk *d = ud;
	char *out = buf;
	pthread_mutex_lock(&d->lock);
	for (uint64_t pos = off, i, at, n; pos < off + len; pos += n) {
		piece(pos, off + len, &i, &at, &n);
		if (d->chunk[i])
			memcpy(out, d->chunk[i] + at, n);
		else
			memset(out, 0, n);
		out += n;
	}
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static int rd_write(void *ud, const void *buf, uint64_t len, uint64_t off, unsigned flags)
{
	struct ramdisk *d = ud;
	const char *in = buf;
	int err = 0;
	pthread_mutex_lock(&d->lock);
	for (uint64_t pos = off, i, at, n; pos < off + len; pos += n) {
		piece(pos, off + len, &i, &at, &n);
		if (!d->chunk[i] && !(d->chunk[i] = calloc(1, CHUNK))) {
			err = -ENOMEM;   /* the client sees EIO-like ENOMEM; nothing half-done is lost */
			break;
		}
		memcpy(d->chunk[i] + at, in, n);
		in += n;
	}
	pthread_mutex_unlock(&d->lock);
	return err;
}

/* Memory is as durable as this disk gets: a flush has nothing to do,
 * but offering it lets clients that insist on flushing (mkfs) work. */
static int rd_flush(void *ud, unsigned flags)
{
	return 0;
}

static int rd_zero(void *ud, uint64_t len, uint64_t off, unsigned flags)
{
	struct ramdisk *d = ud;
	pthread_mutex_lock(&d->lock);
	for (uint64_t pos = off, i, at, n; pos < off + len; pos += n) {
		piece(pos, off + len, &i, &at, &n);
		if (n == CHUNK) {
			free(d->chunk[i]);
			d->chunk[i] = NULL;
		} else if (d->chunk[i]) {
			memset(d->chunk[i] + at, 0, n);
		}
	}
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static int rd_extents(void *ud, uint64_t len, uint64_t off, unsigned flags,
                      struct fbx_extents *ex)
{
	struct ramdisk *d = ud;
	int r = 0;
	pthread_mutex_lock(&d->lock);
	for (uint64_t pos = off, i, at, n; pos < off + len; pos += n) {
		piece(pos, off + len, &i, &at, &n);
		uint32_t type = d->chunk[i] ? FBX_EXTENT_DATA : FBX_EXTENT_HOLE | FBX_EXTENT_ZERO;
		if ((r = fbx_extents_add(ex, pos, n, type)) != 0)
			break;   /* 1: the list is full, or one extent was asked for */
	}
	pthread_mutex_unlock(&d->lock);
	return r < 0 ? r : 0;
}

static const struct fbx_dev_ops rd_ops = {
	.read = rd_read,
	.write = rd_write,
	.flush = rd_flush,
	.trim = rd_zero,           /* trimmed blocks read back as zeroes */
	.write_zeroes = rd_zero,
	.extents = rd_extents,
};

int main(int argc, char *argv[])
{
	uint64_t size;
	bool help = argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
	if (help || argc < 2 || fbx_parse_size(argv[1], &size) < 0 || size == 0) {
		fprintf(help ? stdout : stderr,
		        "usage: %s SIZE [TARGET] [-r]   (SIZE: 64M, 1G, ...; TARGET as for busexmp)\n",
		        argv[0]);
		return help ? 0 : 2;
	}
	struct ramdisk d = { .nchunks = (size + CHUNK - 1) / CHUNK };
	d.chunk = calloc(d.nchunks, sizeof *d.chunk);
	if (!d.chunk) {
		fprintf(stderr, "%s: no memory for %llu chunks\n", argv[0], (unsigned long long)d.nchunks);
		return 1;
	}
	pthread_mutex_init(&d.lock, NULL);
	struct fbx_dev_info info = {
		.size = size,
		.can_fua = true,          /* every write is already as durable as memory */
		.can_multi_conn = true,   /* one store behind every connection */
		.nonblocking = true,      /* no callback sleeps */
		.description = "ramdisk: fusebox's from-scratch example",
	};
	/* The size was ours; fbx_dev_main parses the rest as busexmp does. */
	argv[1] = argv[0];
	int rc = fbx_dev_main(argc - 1, argv + 1, &rd_ops, sizeof rd_ops, &info, &d);
	for (uint64_t i = 0; i < d.nchunks; i++)
		free(d.chunk[i]);
	free(d.chunk);
	pthread_mutex_destroy(&d.lock);
	return rc;
}
