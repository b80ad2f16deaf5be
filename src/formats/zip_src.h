/* src/formats/zip_src.h: libzip reading through a ckpt_src (zip_source_function).
 *
 * The same zip readers then work on a local file and on a remote one read
 * by HTTP ranges: libzip asks for the end of the file (the central
 * directory), then only the members opened. */
#ifndef CKPT_ZIP_SRC_H
#define CKPT_ZIP_SRC_H

#include <zip.h>

#include "internal.h"

/* zip_open over `s` (borrowed: keep it open until zip_discard). flags as
 * zip_open's (ZIP_RDONLY is added). NULL with *ze set (a libzip error). */
zip_t *ckpt__zip_open_src(ckpt_src *s, int flags, int *ze);
/* Where the bytes of member `idx` start in the source, for a member stored
 * uncompressed and unencrypted (read in place, such as a .keras file's
 * model.weights.h5 opened by libhdf5): found by libzip (which reads its local
 * header) and checked against the member's first bytes. 0 ok, -1 when the
 * member is compressed, encrypted or unreadable. */
int ckpt__zip_member_offset(zip_t *z, zip_int64_t idx, uint64_t *off);

#endif
