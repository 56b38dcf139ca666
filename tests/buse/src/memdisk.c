/*
 * tests/buse/src/memdisk.c -- a BUSE program, shaped like the seed's
 * busexmp: a 128 MB disk in memory, attached by buse_main to the nbd
 * device named on the command line. Written to BUSE's interface only
 * (buse.h), in the C99 BUSE's own Makefile uses; the tests build it
 * with `pkg-config --cflags --libs fusebox`, as a BUSE user would.
 *
 *   memdisk DEVICE [BAD_OFFSET]
 *
 * BAD_OFFSET: reads of the 4 KiB block there fail with EIO (a positive
 * errno, BUSE's convention), of the next one with -EIO, of the third
 * with -1. MEMDISK_SLOW_US=N in the environment makes
 * every read sleep N microseconds, so that concurrent requests overlap.
 * On disc it prints how many callbacks ever ran at once, for the tests
 * that check buse_main's one-at-a-time default and FBX_BUSE_THREADS.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buse.h"

#define SIZE (128u << 20)

static char *data;
static long long bad = -1;
static unsigned slow_us;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int running, most;

static void enter(void)
{
  pthread_mutex_lock(&lock);
  if (++running > most)
    most = running;
  pthread_mutex_unlock(&lock);
}

static void leave(void)
{
  pthread_mutex_lock(&lock);
  running--;
  pthread_mutex_unlock(&lock);
}

static int md_read(void *buf, u_int32_t len, u_int64_t offset, void *userdata)
{
  (void)userdata;
  enter();
  if (slow_us)
    usleep(slow_us);
  leave();
  /* the three ways a BUSE program says EIO: EIO, -EIO, -1 */
  if (bad >= 0 && (long long)offset < bad + 4096 && (long long)(offset + len) > bad)
    return EIO;
  if (bad >= 0 && (long long)offset < bad + 8192 && (long long)(offset + len) > bad + 4096)
    return -EIO;
  if (bad >= 0 && (long long)offset < bad + 12288 && (long long)(offset + len) > bad + 8192)
    return -1;
  memcpy(buf, data + offset, len);
  return 0;
}

static int md_write(const void *buf, u_int32_t len, u_int64_t offset, void *userdata)
{
  (void)userdata;
  enter();
  memcpy(data + offset, buf, len);
  leave();
  return 0;
}

static int md_flush(void *userdata)
{
  (void)userdata;
  return 0;
}

static int md_trim(u_int64_t from, u_int32_t len, void *userdata)
{
  (void)userdata;
  memset(data + from, 0, len);
  return 0;
}

static void md_disc(void *userdata)
{
  fprintf(stderr, "memdisk: disc from %s, at most %d callbacks at once\n",
          (const char *)userdata, most);
}

int main(int argc, char *argv[])
{
  struct buse_operations bop;
  sigset_t mask;
  const char *slow = getenv("MEMDISK_SLOW_US");
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: memdisk DEVICE [BAD_OFFSET]\n");
    return 2;
  }
  if (argc == 3)
    bad = atoll(argv[2]);
  if (slow)
    slow_us = (unsigned)atoi(slow);
  data = calloc(1, SIZE);
  if (!data)
    return 1;
  memset(&bop, 0, sizeof bop);
  bop.read = md_read;
  bop.write = md_write;
  bop.flush = md_flush;
  bop.trim = md_trim;
  bop.disc = md_disc;
  bop.size = SIZE;
  if (buse_main(argv[1], &bop, argv[1]) != 0) {
    fprintf(stderr, "memdisk: buse_main failed: %s\n", strerror(errno));
    free(data);
    return 1;
  }
  free(data);
  /* buse_main gives the program back the signal mask it had */
  sigemptyset(&mask);
  pthread_sigmask(SIG_BLOCK, NULL, &mask);
  if (sigismember(&mask, SIGTERM) || sigismember(&mask, SIGINT)) {
    fprintf(stderr, "memdisk: stop signals still blocked after buse_main\n");
    return 1;
  }
  return 0;
}
