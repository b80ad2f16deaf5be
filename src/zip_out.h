/* src/zip_out.h: libzip archives written into a transaction's descriptor.
 *
 * libzip's own file output writes "PATH.XXXXXX" and renames it over PATH,
 * which neither works on an O_TMPFILE (/proc/self/fd/N) nor keeps the file
 * nameless; this source writes straight into the txn's fd instead. Members
 * get a fixed time (ckpt__output_time) so archives are reproducible. */
#ifndef CKPT_ZIP_OUT_H
#define CKPT_ZIP_OUT_H

#include <zip.h>

#include "internal.h"

/* A new, empty archive written into `fd` (not closed by libzip) by
 * zip_close(); `shown` names the output in errors. NULL with err set. */
zip_t *ckpt__zip_open_fd(int fd, const char *shown, ckpt_err *err);
/* zip_file_add + stored (no compression) or deflated, with the fixed time. */
zip_int64_t ckpt__zip_add(zip_t *z, const char *name, zip_source_t *src, int store);

/* Add a NUL-terminated text member; takes `data` (freed on error too). */
int ckpt__zip_add_buf(zip_t *z, const char *name, char *data, int store, ckpt_err *err);

#endif
