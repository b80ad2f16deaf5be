/* src/formats/torch_write.h: the torch.save writer (torch_write.c), the
 * write slots of ckpt_fmt_torch. */
#ifndef CKPT_TORCH_WRITE_H
#define CKPT_TORCH_WRITE_H

#include "internal.h"

int ckpt__torch_write_begin(ckpt_writer *w, ckpt_err *err);
int ckpt__torch_write(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err);
int ckpt__torch_write_end(ckpt_writer *w, ckpt_err *err);
void ckpt__torch_write_abort(ckpt_writer *w);

#endif
