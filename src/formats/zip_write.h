/* src/formats/zip_write.h: a streaming zip writer (stored or deflated
 * members, zip64 when sizes or offsets need it) over an output fd. */
#ifndef CKPT_ZIP_WRITE_H
#define CKPT_ZIP_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

typedef struct zw zw;

typedef struct zw_member {
    const char *name;
    uint64_t size;          /* uncompressed bytes that will be written */
    int deflate;            /* 0 stored, 1 deflated */
    unsigned align;         /* data starts at a multiple of this (torch: 64), 0 = no padding */
    int zip64;              /* force zip64 records for this member (np.savez does) */
} zw_member;

/* `path` names the file in messages; the fd stays the caller's (txn),
 * whose fsync policy decides whether writeback starts as we go (NULL: none). */
zw *ckpt__zw_new(int fd, const char *path, const ckpt_txn *txn);
int ckpt__zw_begin(zw *z, const zw_member *m, ckpt_err *err);
int ckpt__zw_write(zw *z, const void *buf, size_t n, ckpt_err *err);
int ckpt__zw_end(zw *z, ckpt_err *err);
/* The central directory and end records. */
int ckpt__zw_finish(zw *z, ckpt_err *err);
void ckpt__zw_free(zw *z);

#endif
