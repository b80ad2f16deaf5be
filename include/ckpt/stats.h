/* ckpt/stats.h: value statistics of one tensor, streamed in chunks.
 *
 * Min, max, mean and standard deviation are over the finite values; zeros,
 * NaN and Inf are counted; the histogram has CKPT_STATS_BINS equal bins
 * from min to max (all values in bin 0 when min == max). Any dtype works
 * (integers and bools as their values). A tensor larger than one chunk is
 * read twice (statistics, then histogram), so memory stays bounded.
 * Progress goes through the usual callback (phase "stats"); a non-zero
 * return cancels with CKPT_E_CANCELLED.
 */
#ifndef CKPT_STATS_H
#define CKPT_STATS_H

#include <stdint.h>

#include "ckpt/err.h"
#include "ckpt/model.h"
#include "ckpt/progress.h"

#define CKPT_STATS_BINS 32

typedef struct ckpt_stats {
    uint64_t count;             /* elements */
    uint64_t finite;            /* elements neither NaN nor Inf */
    uint64_t zeros, nans, infs;
    double min, max, mean, std; /* over finite values (population std); NaN if none */
    double hist_lo, hist_hi;    /* histogram range (= min, max) */
    uint64_t hist[CKPT_STATS_BINS];
} ckpt_stats;

/* `chunk` = bytes per read, 0 = default (4 MiB). */
int ckpt_tensor_stats(ckpt_model *m, int i, size_t chunk, ckpt_stats *out,
                      ckpt_progress_fn progress, void *ud, ckpt_err *err);

#endif
