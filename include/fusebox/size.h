/*
 * fusebox/size.h -- sizes as people type them on a command line, for
 * every fusebox program that takes one (memfs -o size=, fusebox-nbd
 * memory SIZE, ...), so they all read the same spellings.
 */
#ifndef FUSEBOX_SIZE_H
#define FUSEBOX_SIZE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Parse a byte count: decimal digits, then optionally one of K, M, G, T,
 * P (either case; powers of 1024), then optionally "i", "iB" or "B":
 * "4096", "64k", "1G", "1GiB", "512MB" (still 512 * 2^20). No sign, no
 * blanks, nothing after. Zero is a valid result; a caller that needs a
 * positive size checks for it. Stores the value in *out and returns 0,
 * or returns -EINVAL (malformed, *out untouched) or -ERANGE (over
 * UINT64_MAX). Pure: no allocation, no global state.
 */
int fbx_parse_size(const char *s, uint64_t *out);

#ifdef __cplusplus
}
#endif
#endif /* FUSEBOX_SIZE_H */
