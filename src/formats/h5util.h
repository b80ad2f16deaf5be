/* src/h5util.h: small libhdf5 helpers shared by the Keras readers and writer.
 *
 * libhdf5 prints its error stack to stderr by default; the library never
 * prints, so ckpt_h5_init() silences it once and ckpt_h5_fail() turns the
 * stack's deepest message into a ckpt_err naming the file and object. */
#ifndef CKPT_H5UTIL_H
#define CKPT_H5UTIL_H

#include <hdf5.h>

#include "internal.h"

void ckpt_h5_init(void);

/* Set err from the current HDF5 error stack: "MSG: <hdf5 detail>", with
 * path = file and tensor = object. Returns `code`. */
int ckpt_h5_fail(ckpt_err *err, ckpt_code code, const char *file, const char *obj,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A file cut short, told before libhdf5 says it in its own terms: 1 when
 * the file at fd is shorter than the end-of-file address its superblock
 * records (*need = that size) or than the superblock itself (*need = 0);
 * *have = its size. 0 when whole, or when it cannot tell (no signature at
 * byte 0, a user block, odd address sizes): libhdf5 then decides. */
int ckpt_h5_truncated(int fd, uint64_t *have, uint64_t *need);

/* A list of strings (attribute values), each NUL-terminated, trailing NULs
 * of fixed-length values stripped. */
typedef struct ckpt_strv {
    char **v;
    int n;
} ckpt_strv;
void ckpt_strv_free(ckpt_strv *s);

/* Read string attribute `name` of `obj` (scalar or 1-D, fixed or variable
 * length). When `name` is absent, tries the chunked form name0, name1, ...
 * (Keras splits attributes above 64 KiB) and concatenates. An attribute that
 * is present but empty or not a string (Keras writes empty float arrays for
 * weightless layers) gives n = 0. Returns 1 if found, 0 if absent, or a
 * negative ckpt code (err set). */
int ckpt_h5_attr_strv(hid_t obj, const char *name, ckpt_strv *out, ckpt_err *err);
/* The first value of a string attribute (the whole of a scalar one); NULL
 * if absent. Errors set err and return NULL too (check err->code). */
char *ckpt_h5_attr_str(hid_t obj, const char *name, ckpt_err *err);

/* Dataset type -> ckpt dtype. `dset` is used to read the "dtype" attribute
 * that marks Keras' bfloat16 opaque type. *memtype receives the type to pass
 * to H5Dread for little-endian canonical bytes (caller H5Tclose()s it).
 * Returns CKPT_DT_INVALID for types ckpt cannot represent. */
ckpt_dtype ckpt_h5_dtype(hid_t dset, hid_t *memtype, int *direct_ok);

/* Read bytes [off, off+n) of the dataset's canonical C-order bytes. Only the
 * covering elements are selected (hyperslabs on the flattened index) so
 * memory stays bounded by n. */
int ckpt_h5_read_range(hid_t dset, hid_t memtype, int ndim, const int64_t *shape,
                       size_t esize, uint64_t off, void *buf, size_t n, ckpt_err *err);

/* Data outside the file: `dpath` (in `file`, shown as `fname`) behind an
 * external link, or the opened `dset` with external raw storage or a
 * virtual layout. Returns 0 (*outside untouched: start it at 0) when the
 * data is the file's own; when it is not: refused (CKPT_E_UNSAFE naming the dataset and where
 * it points) unless ckpt_set_allow_external_data(1), then 0 with *outside = 1
 * (read it through libhdf5, never by file offset). dset < 0 checks links only. */
int ckpt_h5_check_outside(hid_t file, hid_t dset, const char *dpath, const char *fname, int *outside,
                          ckpt_err *err);

/* The same for many datasets of one file in turn: *memo (start at NULL,
 * free() it) keeps the groups of the last path found free of external
 * links, so the datasets of one group look its links up once. */
int ckpt_h5_check_outside_memo(hid_t file, hid_t dset, const char *dpath, const char *fname, int *outside,
                               char **memo, ckpt_err *err);

/* Only the opened dataset's own storage (external raw files, virtual). */
int ckpt_h5_check_storage(hid_t dset, const char *dpath, const char *fname, int *outside, ckpt_err *err);

/* Contiguous, unfiltered storage: its file offset (else CKPT_NO_OFFSET). */
uint64_t ckpt_h5_contig_offset(hid_t dset, uint64_t nbytes);

/* The HDF5 file type for a ckpt dtype (as h5py/Keras write it); -1 if none. */
hid_t ckpt_h5_type_for(ckpt_dtype dt);
/* Write bytes [off, off+n) (element-aligned) of a dataset in C order. */
int ckpt_h5_write_range(hid_t dset, hid_t memtype, int ndim, const int64_t *shape, size_t esize,
                        uint64_t off, const void *buf, size_t n, ckpt_err *err);

/* A creation property list of class `cls` (H5P_FILE_CREATE, GROUP_CREATE,
 * DATASET_CREATE) that records no timestamps: reproducible files. */
hid_t ckpt_h5_ocpl(hid_t cls);

/* Write a variable-length UTF-8 string attribute. */
int ckpt_h5_set_attr_str(hid_t obj, const char *name, const char *val);

#endif
