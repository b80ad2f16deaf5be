/* src/formats/npz_write.h: the np.savez writer (npz_write.c), the write
 * slots of ckpt_fmt_npz. */
#ifndef CKPT_NPZ_WRITE_H
#define CKPT_NPZ_WRITE_H

#include "internal.h"

int ckpt__npz_write_begin(ckpt_writer *w, ckpt_err *err);
int ckpt__npz_write(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err);
int ckpt__npz_write_end(ckpt_writer *w, ckpt_err *err);
void ckpt__npz_write_abort(ckpt_writer *w);

#endif
