/* ckpt/verify.h: check a written output against its source (src/verify.c).
 *
 * The output is re-read with ckpt's own reader and every tensor of the plan
 * the conversion wrote (same options: renames, --map, --naming, --dtype,
 * the writer's kv options) is compared, streamed in chunks, with the
 * source:
 *   - bit for bit, when the output holds the plan's dtype and the writer
 *     does not quantize (a --dtype cast is compared with the rounded
 *     values the writer was given, and those with the source within half
 *     an ulp of the target type);
 *   - within a bound derived from the loss otherwise: half an ulp of each
 *     narrower float type on the way, plus for --quantize one quantization
 *     step of the tensor's range (Q8_0: max|x|/127, Q4_0: max|x|/8,
 *     uint8/uint16: (max-min)/255 or /65535).
 * A `--package zip` output is verified through its weights member(s),
 * extracted to a temporary folder that is removed again.
 */
#ifndef CKPT_VERIFY_H
#define CKPT_VERIFY_H

#include <stdint.h>

#include "ckpt/convert.h"

typedef struct ckpt_verify_result {
    int ntensors;          /* tensors compared */
    int nexact;            /* of which compared bit for bit */
    double max_err;        /* largest |output - source| of the bounded ones */
    char tensor[256];      /* first tensor that differs, "" when none */
    uint64_t offset;       /* its first differing byte, in the output's layout */
} ckpt_verify_result;

/* 0 when `out` (the path ckpt_convert wrote, or its main_path) matches
 * `src` converted with `o`. A difference is CKPT_E_INTEGRITY naming the
 * tensor and the byte offset; the output is left in place. `r` may be NULL. */
int ckpt_verify(ckpt_model *src, const ckpt_convert_opts *o, const char *out, ckpt_verify_result *r,
                ckpt_err *err);

#endif
