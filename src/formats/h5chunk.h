/* src/formats/h5chunk.h: chunked HDF5 datasets read by ckpt itself.
 *
 * libhdf5 says where each chunk is (its chunk index: H5Dget_chunk_info_by_coord);
 * ckpt reads the stored bytes with pread and undoes the filters with its own
 * code (h5filter.c: zlib, shuffle, fletcher32). The chunk index walk is the
 * only libhdf5 code run over the data, and the sandbox child runs the same
 * walk first (ckpt__kx_fence), so in-process libhdf5 never meets data bytes
 * the child has not met. Datasets with other filters, unallocated chunks or
 * types libhdf5 must convert get no plan (libhdf5's H5Dread reads them). */
#ifndef CKPT_H5CHUNK_H
#define CKPT_H5CHUNK_H

#include <hdf5.h>

#include "formats/h5filter.h"
#include "internal.h"

typedef struct ckpt_h5ck_ent { uint64_t addr; uint32_t size, mask; } ckpt_h5ck_ent;

typedef struct ckpt_h5ck {
    int ndim;
    uint64_t shape[CKPT_MAX_DIMS], cdim[CKPT_MAX_DIMS], ngrid[CKPT_MAX_DIMS];
    size_t esize, cbytes;        /* element size; bytes of one decoded chunk */
    uint64_t shown_base;         /* added to HDF5 addresses in error offsets (the user block) */
    uint64_t nchunks;
    ckpt_h5pipe pipe;
    ckpt_h5ck_ent *ent;          /* nchunks, grid in C order; NULL until indexed */
} ckpt_h5ck;

/* One decoded chunk kept for the next read (reads rarely end on a chunk
 * boundary), and the two buffers decoding alternates between. One per
 * model: memory stays at one chunk, whatever the number of tensors. */
typedef struct ckpt_h5ck_cache {
    const ckpt_h5ck *owner;
    uint64_t chunk;
    const unsigned char *data;
    unsigned char *a, *b;
    size_t cap;
} ckpt_h5ck_cache;

/* Reads n stored bytes at HDF5 address `at` (the caller adds user block
 * and zip member base). */
typedef int (*ckpt_h5ck_pread)(void *ctx, void *buf, size_t n, uint64_t at, ckpt_err *err);

/* A plan when dset is chunked with only filters ckpt decodes and its type
 * is read as stored (direct); NULL when libhdf5 must read it. */
ckpt_h5ck *ckpt__h5ck_plan(hid_t dset, int ndim, const int64_t *shape, size_t esize);
/* Walk the chunk index: every chunk's address, stored size and filter
 * mask, each checked to lie within `fsize` bytes of HDF5 data. *fallback = 1
 * (plan left unindexed) when a chunk is unallocated (fill values: libhdf5's
 * job). Errors name the chunk; the caller adds file and tensor. */
int ckpt__h5ck_index(ckpt_h5ck *c, hid_t dset, uint64_t fsize, int *fallback, ckpt_err *err);
/* Bytes [off, off+n) of the dataset's C-order bytes: only the chunks that
 * hold them are read and decoded. */
int ckpt__h5ck_read(const ckpt_h5ck *c, ckpt_h5ck_cache *k, ckpt_h5ck_pread rd, void *ctx, uint64_t off,
                    void *buf, size_t n, ckpt_err *err);
void ckpt__h5ck_free(ckpt_h5ck *c);
void ckpt__h5ck_cache_free(ckpt_h5ck_cache *k);

#endif
