/* stats.c: tensor value statistics, streamed with ckpt_tensor_read.
 *
 * Mean and variance are merged chunk by chunk (Chan et al.): each chunk's
 * mean and sum of squared deviations are exact in doubles, and the merge
 * keeps the total stable where a running sum of squares would cancel. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/stats.h"
#include "internal.h"

#define DEFAULT_CHUNK (4u << 20)

typedef struct acc {
    uint64_t n;         /* finite values merged */
    double mean, m2, min, max;
} acc;

static void acc_chunk(acc *a, const double *v, size_t n, ckpt_stats *s)
{
    /* first pass over the chunk: counts, range, mean of the finite values */
    uint64_t k = 0;
    double sum = 0, mn = INFINITY, mx = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        if (isnan(x)) { s->nans++; continue; }
        if (isinf(x)) { s->infs++; continue; }
        if (x == 0) s->zeros++;
        k++;
        sum += x;
        if (x < mn) mn = x;
        if (x > mx) mx = x;
    }
    if (!k) return;
    double mean = sum / (double)k, m2 = 0;
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        if (isfinite(x)) m2 += (x - mean) * (x - mean);
    }
    if (a->n == 0) {
        a->n = k; a->mean = mean; a->m2 = m2; a->min = mn; a->max = mx;
        return;
    }
    double na = (double)a->n, nb = (double)k, nt = na + nb, d = mean - a->mean;
    a->mean += d * nb / nt;
    a->m2 += m2 + d * d * na * nb / nt;
    a->n += k;
    if (mn < a->min) a->min = mn;
    if (mx > a->max) a->max = mx;
}

static void hist_chunk(ckpt_stats *s, const double *v, size_t n)
{
    double lo = s->hist_lo, w = s->hist_hi - s->hist_lo;
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        if (!isfinite(x)) continue;
        int b = 0;
        if (w > 0) {
            b = (int)((x - lo) / w * CKPT_STATS_BINS);
            if (b >= CKPT_STATS_BINS) b = CKPT_STATS_BINS - 1;
            if (b < 0) b = 0;
        }
        s->hist[b]++;
    }
}

int ckpt_tensor_stats(ckpt_model *m, int ti, size_t chunk, ckpt_stats *out,
                      ckpt_progress_fn progress, void *ud, ckpt_err *err)
{
    CKPT__ERR_LOCAL(err);
    const ckpt_tensor *t = ckpt_model_tensor(m, ti);
    if (!t) return ckpt_err_set(err, CKPT_E_USAGE, "no tensor #%d", ti);
    size_t es = ckpt_dtype_size(t->dtype);
    if (!es) {
        ckpt_err_at_tensor(err, t->name);
        return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "no statistics for dtype %s", ckpt_dtype_name(t->dtype));
    }
    if (!chunk) chunk = DEFAULT_CHUNK;
    chunk -= chunk % es;
    if (!chunk) chunk = es;
    uint64_t total = t->nbytes;
    int two_pass = total > chunk;

    memset(out, 0, sizeof *out);
    out->count = t->nelems;
    unsigned char *raw = malloc(chunk);
    double *vals = malloc(chunk / es * sizeof(double));
    if (!raw || !vals) {
        free(raw);
        free(vals);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory for statistics");
    }
    ckpt_progress p = {.phase = "stats", .bytes_total = two_pass ? 2 * total : total,
                       .items_total = 1, .current = t->name};
    acc a = {0};
    int rc = 0;
    for (int pass = 0; pass < (two_pass ? 2 : 1) && !rc; pass++) {
        if (pass == 1) {
            out->hist_lo = a.min;
            out->hist_hi = a.max;
        }
        for (uint64_t off = 0; off < total; off += chunk) {
            size_t len = total - off < chunk ? (size_t)(total - off) : chunk;
            if ((rc = ckpt_tensor_read(m, ti, off, raw, len, err))) break;
            size_t n = len / es;
            ckpt_dtype_to_f64(t->dtype, raw, n, vals);
            if (pass == 0) acc_chunk(&a, vals, n, out);
            else hist_chunk(out, vals, n);
            if (!two_pass) { /* one chunk: histogram from the same buffer */
                out->hist_lo = a.min;
                out->hist_hi = a.max;
                hist_chunk(out, vals, n);
            }
            p.bytes_done += len;
            if (progress && progress(ud, &p)) {
                rc = ckpt_err_set(err, CKPT_E_CANCELLED, "statistics cancelled");
                break;
            }
        }
    }
    free(raw);
    free(vals);
    if (rc) {
        ckpt_err_at_tensor(err, t->name);
        return rc;
    }
    out->finite = a.n;
    if (a.n) {
        out->min = a.min;
        out->max = a.max;
        out->mean = a.mean;
        out->std = sqrt(a.m2 / (double)a.n);
    } else {
        out->min = out->max = out->mean = out->std = NAN;
        out->hist_lo = out->hist_hi = NAN;
    }
    if (total == 0 && progress) {
        p.items_done = 1;
        progress(ud, &p);
    }
    return 0;
}
