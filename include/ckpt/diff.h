/* ckpt/diff.h: compare two checkpoints (src/diff.c).
 *
 * Names are compared after an optional remap of A's names. Entries report
 * names only in A, only in B, shape and dtype differences between tensors
 * of the same name, probable renames (an A-only and a B-only tensor with
 * equal shape and similar names, scored 0..1), and with `values` the
 * largest absolute and relative difference of every common tensor,
 * streamed chunk by chunk (never a whole tensor in memory).
 */
#ifndef CKPT_DIFF_H
#define CKPT_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "ckpt/err.h"
#include "ckpt/model.h"
#include "ckpt/progress.h"

struct ckpt_remap;

typedef struct ckpt_diff_opts {
    const struct ckpt_remap *map_a;  /* applied to A's names, may be NULL */
    int values;                      /* compare element values */
    double atol, rtol;               /* differ when |a-b| > atol + rtol*|b| */
    size_t chunk_size;               /* 0 = 4 MiB */
    ckpt_progress_fn progress;
    void *progress_ud;
    int include_optimizer;           /* compare optimizer state too */
} ckpt_diff_opts;

/* entry flags */
#define CKPT_DIFF_ONLY_A  0x01u
#define CKPT_DIFF_ONLY_B  0x02u
#define CKPT_DIFF_SHAPE   0x04u
#define CKPT_DIFF_DTYPE   0x08u
#define CKPT_DIFF_RENAME  0x10u  /* a (in A) probably became b (in B) */
#define CKPT_DIFF_VALUES  0x20u  /* some element over tolerance */
#define CKPT_DIFF_COMPARED 0x40u /* values were compared (max_abs/max_rel valid) */

typedef struct ckpt_diff_entry {
    unsigned flags;
    const char *a, *b;               /* names in A (after the map) and in B; NULL if absent */
    ckpt_dtype dtype_a, dtype_b;
    int ndim_a, ndim_b;
    int64_t shape_a[CKPT_MAX_DIMS], shape_b[CKPT_MAX_DIMS];
    double score;                    /* rename similarity, 0..1 */
    double max_abs;                  /* max |a-b| */
    double max_rel;                  /* max |a-b| / max(|a|,|b|) (0 when both are 0) */
    uint64_t nover;                  /* elements over tolerance (NaN against a number counts) */
    uint64_t nelems;
} ckpt_diff_entry;

typedef struct ckpt_diff {
    ckpt_diff_entry *v;
    int n, cap;
    int ncommon, nonly_a, nonly_b, nshape, ndtype, nrename, nvalues;
    int differ;                      /* anything above (renames included) */
    char **warn;                     /* remap warnings, "FILE:LINE:COL: ..." */
    int nwarn;
    int nopt_a, nopt_b;              /* optimizer tensors left out (not compared) */
} ckpt_diff;

int ckpt_diff_models(ckpt_model *a, ckpt_model *b, const ckpt_diff_opts *o, ckpt_diff **out, ckpt_err *err);
void ckpt_diff_free(ckpt_diff *d);

/* Name similarity used for rename guesses, 0..1 (1 = equal). */
double ckpt_name_similarity(const char *a, const char *b);

#endif
