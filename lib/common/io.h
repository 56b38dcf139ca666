/*
 * lib/common/io.h -- I/O loops every layer would otherwise write again.
 */
#ifndef FBX_COMMON_IO_H
#define FBX_COMMON_IO_H

#include <stddef.h>
#include <sys/types.h>

/* pread(2) until `size` bytes are in buf or the file ends, retrying
 * EINTR and short reads. *got is how many arrived (less than size only
 * at end of file). Returns 0, or the negated errno of a failed pread;
 * *got then counts what came before it. */
int fbx_pread_full(int fd, void *buf, size_t size, off_t off, size_t *got);

#endif
