/*
 * tests/buse/src/filedisk.c -- a BUSE program shaped like BUSE's
 * loopback example, backed by a file (or a block device): the size
 * given as blksize and size_blocks, errors returned as negated errno
 * values (the other convention buse.h accepts), and thread-safe
 * callbacks (pread/pwrite), so it may be run with FBX_BUSE_THREADS.
 *
 *   filedisk FILE DEVICE
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buse.h"

static int fd = -1;

static int fd_read(void *buf, u_int32_t len, u_int64_t offset, void *userdata)
{
  (void)userdata;
  while (len > 0) {
    ssize_t n = pread(fd, buf, len, (off_t)offset);
    if (n < 0)
      return -errno;
    if (n == 0) {   /* past the end of a shrunk file: zeroes */
      memset(buf, 0, len);
      return 0;
    }
    buf = (char *)buf + n;
    len -= (u_int32_t)n;
    offset += (u_int64_t)n;
  }
  return 0;
}

static int fd_write(const void *buf, u_int32_t len, u_int64_t offset, void *userdata)
{
  (void)userdata;
  while (len > 0) {
    ssize_t n = pwrite(fd, buf, len, (off_t)offset);
    if (n < 0)
      return -errno;
    buf = (const char *)buf + n;
    len -= (u_int32_t)n;
    offset += (u_int64_t)n;
  }
  return 0;
}

static int fd_flush(void *userdata)
{
  (void)userdata;
  return fdatasync(fd) < 0 ? -errno : 0;
}

static int fd_trim(u_int64_t from, u_int32_t len, void *userdata)
{
  (void)userdata;
  if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)from, len) < 0)
    return -errno;
  return 0;
}

int main(int argc, char *argv[])
{
  struct buse_operations bop;
  struct stat st;
  int r;
  if (argc != 3) {
    fprintf(stderr, "usage: filedisk FILE DEVICE\n");
    return 2;
  }
  fd = open(argv[1], O_RDWR);
  if (fd < 0 || fstat(fd, &st) < 0) {
    perror(argv[1]);
    return 1;
  }
  memset(&bop, 0, sizeof bop);
  bop.read = fd_read;
  bop.write = fd_write;
  bop.flush = fd_flush;
  bop.trim = fd_trim;
  bop.blksize = 4096;
  bop.size_blocks = (u_int64_t)st.st_size / 4096;
  r = buse_main(argv[2], &bop, NULL);
  if (r != 0)
    fprintf(stderr, "filedisk: buse_main failed: %s\n", strerror(errno));
  close(fd);
  return r;
}
