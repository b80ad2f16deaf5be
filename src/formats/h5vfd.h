/* src/formats/h5vfd.h: a libhdf5 virtual file driver over a ckpt_src.
 *
 * libhdf5 then reads an HDF5 file through ckpt's byte sources: a remote
 * file by HTTP ranges (only the superblock, object headers, B-trees and
 * heaps it walks are fetched; dataset data only when read), or a local
 * file from a base offset (an HDF5 file stored uncompressed inside a zip,
 * such as a .keras archive's model.weights.h5, read in place). Read-only. */
#ifndef CKPT_H5VFD_H
#define CKPT_H5VFD_H

#include <hdf5.h>

#include "internal.h"

/* A file-access property list whose driver reads `size` bytes of `src`
 * starting at `base` (HDF5 address 0 = src byte `base`). The caller keeps
 * src open as long as the HDF5 file is; H5Pclose the list after H5Fopen.
 * Returns -1 with err set. */
hid_t ckpt__h5vfd_fapl(ckpt_src *src, uint64_t base, uint64_t size, ckpt_err *err);
/* The last read error of the driver in this thread (the byte source's own
 * message: HTTP status, dropped connection, wrong Content-Range), moved into
 * err; 0 when there was none. Cleared by ckpt__h5vfd_fapl. */
int ckpt__h5vfd_take_error(ckpt_err *err);

#endif
