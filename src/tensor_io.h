/* src/tensor_io.h: reading tensor bytes that are not simply contiguous and
 * little-endian (torch strided views, NumPy Fortran order, big-endian data),
 * and reading zip members by offset (stored: seek; deflated: stream with the
 * position cached so sequential chunks are linear). Used by fmt_torch.c and
 * fmt_npz.c. */
#ifndef CKPT_TENSOR_IO_H
#define CKPT_TENSOR_IO_H

#include <zip.h>

#include "internal.h"

/* Raw reader of a storage: n bytes at byte `off` of the storage. */
typedef int (*tio_read_fn)(void *ctx, uint64_t off, void *buf, size_t n, ckpt_err *err);

/* One open zip member at a time, with its read position. */
typedef struct tio_zcache {
    zip_t *z;
    zip_file_t *f;
    zip_int64_t idx;         /* member open in f, -1 none */
    uint64_t pos;            /* decompressed position in f */
    int seekable;            /* stored member: zip_fseek works */
    uint64_t size;           /* uncompressed size from the directory, 0 unknown */
    unsigned char *skip;     /* scratch for skipping forward */
} tio_zcache;

void ckpt__tio_zcache_init(tio_zcache *c, zip_t *z);
void ckpt__tio_zcache_free(tio_zcache *c);
/* Read n bytes at `off` of member `idx` (decompressed offsets). */
int ckpt__tio_zread(tio_zcache *c, zip_int64_t idx, uint64_t off, void *buf, size_t n, ckpt_err *err);

/* A window over a storage, kept between calls so gathers of small views
 * read each byte once. */
typedef struct tio_window {
    unsigned char *buf;
    size_t cap;
    const void *key;         /* which storage the window holds */
    uint64_t lo, len;
} tio_window;
void ckpt__tio_window_free(tio_window *w);

/* A view: element (i0..in-1) of the canonical C-order tensor lives at
 * element base + sum(i_k * stride_k) of the storage. */
typedef struct tio_view {
    int ndim;
    int64_t shape[CKPT_MAX_DIMS];
    int64_t stride[CKPT_MAX_DIMS];   /* in elements, >= 0 */
    uint64_t base;                   /* in elements */
    size_t esz;
    int swap;                        /* elements are big-endian */
    uint64_t storage_bytes;          /* bound for the window */
} tio_view;

/* 1 when the view is plain C order (dims of size 1 ignored). */
int ckpt__tio_view_contiguous(const tio_view *v);
/* Check the view stays inside storage_bytes; 0 ok or CKPT_E_FORMAT. */
int ckpt__tio_view_check(const tio_view *v, ckpt_err *err);
/* Canonical bytes [off, off+n) of the view, gathered through a window of
 * at most a few MiB (memory stays bounded whatever the tensor). */
int ckpt__tio_view_read(const tio_view *v, tio_read_fn rf, void *ctx, tio_window *w, const void *key,
                  uint64_t off, void *buf, size_t n, ckpt_err *err);

void ckpt__tio_swap(void *buf, size_t nelems, size_t esz);

#endif
