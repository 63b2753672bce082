/*
 * Loaded into the service under test with LD_PRELOAD (bench/slow-disk-bench.ts):
 * every fsync and fdatasync first sleeps FSYNC_DELAY_US microseconds, then
 * syncs as it would have. A disk whose flushes take that much longer (network
 * block storage, a busy array) without needing one: what the service does
 * while a commit waits for the disk is what the slow-disk section measures.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>

static void wait_as_a_slow_disk(void) {
  const char *text = getenv("FSYNC_DELAY_US");
  long us = text ? atol(text) : 0;
  if (us <= 0) return;
  struct timespec delay = {us / 1000000, (us % 1000000) * 1000};
  while (nanosleep(&delay, &delay) != 0 && errno == EINTR) {
  }
}

int fsync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  wait_as_a_slow_disk();
  return real(fd);
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  wait_as_a_slow_disk();
  return real(fd);
}
