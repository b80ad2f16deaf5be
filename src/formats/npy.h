/* src/npy.h: the NumPy .npy header (formats-and-anchors.md 1.15). */
#ifndef CKPT_NPY_H
#define CKPT_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

#define NPY_MAX_HEADER (1u << 20)   /* numpy caps at 10000 unless trusted; we allow more, still bounded */

typedef struct npy_hdr {
    ckpt_dtype dt;
    int swap;               /* big-endian elements */
    int fortran;            /* column-major data */
    int ndim;
    int64_t shape[CKPT_MAX_DIMS];
    uint64_t data_off;      /* where the array bytes start */
    uint64_t nbytes;        /* prod(shape) * itemsize */
} npy_hdr;

/* The fixed preamble: magic, version, header length. Needs 12 bytes (or
 * 10 for v1). Sets *total = the preamble plus header length. */
int ckpt__npy_preamble(const unsigned char *b, size_t n, uint64_t *total, ckpt_err *err);
/* Parse the whole preamble + header (b[0..n), n = *total from above). */
int ckpt__npy_parse(const unsigned char *b, size_t n, npy_hdr *h, ckpt_err *err);

#endif
