/* src/formats/h5filter.h: undoing the HDF5 filter pipeline of one stored
 * chunk with ckpt's own code (zlib for deflate), never libhdf5's: the
 * filters h5py and Keras files use (deflate, shuffle, fletcher32). The
 * bytes are the file's, so every size is checked. */
#ifndef CKPT_H5FILTER_H
#define CKPT_H5FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "ckpt/err.h"

#define CKPT_H5F_DEFLATE 1     /* HDF5 filter ids (H5Zpublic.h) */
#define CKPT_H5F_SHUFFLE 2
#define CKPT_H5F_FLETCHER32 3
#define CKPT_H5F_MAX 8

/* A dataset's pipeline, in the order it was applied when writing. */
typedef struct ckpt_h5pipe {
    int n;
    int id[CKPT_H5F_MAX];
    unsigned esize[CKPT_H5F_MAX];   /* shuffle: the element size it shuffled by */
} ckpt_h5pipe;

/* 1 when ckpt decodes filter id itself. */
int ckpt__h5f_known(int id);

/* libhdf5's Fletcher-32 (H5_checksum_fletcher32). */
uint32_t ckpt__h5f_fletcher32(const unsigned char *p, size_t n);

/* Undo pipeline p on one chunk stored as the `len` bytes in a (filters
 * whose bit is set in `mask` were skipped when it was written). a and b
 * both hold `cap` bytes; the stages alternate between them. On success
 * *out points at exactly `want` decoded bytes (in a or b). Errors
 * (CKPT_E_FORMAT): a checksum mismatch, a corrupt or cut deflate stream,
 * a size other than `want`; the caller adds file, tensor and offset. */
int ckpt__h5f_decode(const ckpt_h5pipe *p, unsigned mask, unsigned char *a, size_t len, unsigned char *b,
                     size_t cap, size_t want, const unsigned char **out, ckpt_err *err);

#endif
