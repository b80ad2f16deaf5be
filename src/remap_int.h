/* src/remap_int.h: what the remap engine (src/remap/), xform.c, diff.c and expect.c share.
 *
 * A tensor transform (struct ckpt_xform) is a chain of views over the
 * source tensor's elements, compiled from the rules' transpose / reshape /
 * split operations. Each segment maps a flat element index of its output
 * (C order over `shape`) to a flat index of its input through strides and
 * an offset: input = offset + sum(idx[d] * stride[d]). Segment 0's input is
 * the source tensor; segment k's input is segment k-1's output seen as a
 * C-contiguous array. A new segment starts only when a reshape cannot be
 * expressed as a view (a reshape that merges transposed axes), so the
 * common chains (slice, reshape, transpose+reshape) are one segment.
 */
#ifndef CKPT_REMAP_INT_H
#define CKPT_REMAP_INT_H

#include "internal.h"
#include "ckpt/remap.h"

#define XF_MAXSEG 6

typedef struct xf_seg {
    int ndim;
    int64_t shape[CKPT_MAX_DIMS];
    int64_t stride[CKPT_MAX_DIMS];
    int64_t offset;
} xf_seg;

struct ckpt_xform {
    ckpt_dtype sdt;             /* source dtype (elements are cast at the end) */
    uint64_t src_nelems;
    int nseg;
    xf_seg seg[XF_MAXSEG];
    int gather;                 /* 1: the source is loaded whole (transposed access) */
    unsigned char *cache;       /* gather mode: the source tensor's bytes */
    char *desc;                 /* "transpose | reshape(...)", for listings */
};

/* Building (why: one-line reason on failure, return -1). */
void ckpt__xf_init(struct ckpt_xform *x, ckpt_dtype sdt, int ndim, const int64_t *shape);
int ckpt__xf_transpose(struct ckpt_xform *x, int nperm, const int *perm, char *why, size_t n);
int ckpt__xf_reshape(struct ckpt_xform *x, int ndim, const int64_t *shape, char *why, size_t n);
int ckpt__xf_slice(struct ckpt_xform *x, int axis, int64_t start, int64_t len, char *why, size_t n);
/* The current output shape. */
const xf_seg *ckpt__xf_out(const struct ckpt_xform *x);
/* 1 when the output is the source's bytes in order (no transform needed). */
int ckpt__xf_is_plain(const struct ckpt_xform *x);
/* Decide streaming vs. gather; call once the chain is complete. */
void ckpt__xf_finish(struct ckpt_xform *x);
struct ckpt_xform *ckpt__xf_dup(const struct ckpt_xform *x);

/* Produce output bytes of a plan entry whose xf is set (any off/n). */
int ckpt__xform_read(ckpt_model *m, const ckpt_plan_entry *e, uint64_t off, void *buf,
                     size_t n, ckpt_err *err);
void ckpt__xform_free(struct ckpt_xform *xf);

/* Rewrite a plan through the rules (the convert path). Entries whose chain
 * is not plain get an xf. Errors name the rule (FILE:LINE:COL) and tensor.
 * `warn` (may be NULL) receives the count of non-optional rules that
 * matched nothing. */
int ckpt__remap_apply(const ckpt_remap *r, ckpt_model *m, ckpt_plan *p, ckpt_err *err);

/* Plan of a model's tensors as convert would start it (no optimizer
 * state unless asked, dtype kept). */
int ckpt__plan_from_model(ckpt_model *m, int include_optimizer, ckpt_plan *p, ckpt_err *err);

/* expect.c: a names/shapes list (or `ls --json`) parsed from memory. */
int ckpt__target_parse(const char *text, const char *origin, ckpt_target **out, ckpt_err *err);

/* arch.c: facts from Hugging Face config.json text (ckpt__arch_after_open
 * calls it with the config found beside the weights). */
int ckpt__arch_analyze_json(ckpt_model *m, const char *json, ckpt_err *err);

/* presets.c: a shipped preset's rule text and its expected names list
 * (NULL when unknown, or when it has no list). */
const char *ckpt__preset_text(const char *name);
const char *ckpt__preset_expect(const char *name);

#endif
