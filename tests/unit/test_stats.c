/* test_stats.c: ckpt_tensor_stats against values whose statistics are
 * known in closed form, through a small in-memory format: the same
 * results in one chunk and in many (two passes), NaN/Inf/zero counts,
 * integer dtypes, the histogram's bins, cancellation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/stats.h"
#include "internal.h"
#include "check.h"


#define N 10000
static float ramp[N];      /* 1 .. N */
static float odd[8] = {0.0f, -0.0f, 1.0f, 3.0f, NAN, INFINITY, -INFINITY, 0.0f};
static int32_t ints[5] = {-2, -1, 0, 1, 2};
static int reads;

static int mem_open(ckpt_model *m, const char *path, ckpt_err *err)
{
    int64_t s1[1] = {N}, s2[1] = {8}, s3[1] = {5}, s4[1] = {0};
    if (ckpt__model_add_tensor(m, "ramp", NULL, CKPT_F32, 1, s1, -1, 0, err) < 0) return err->code;
    if (ckpt__model_add_tensor(m, "odd", NULL, CKPT_F32, 1, s2, -1, 0, err) < 0) return err->code;
    if (ckpt__model_add_tensor(m, "ints", NULL, CKPT_I32, 1, s3, -1, 0, err) < 0) return err->code;
    if (ckpt__model_add_tensor(m, "empty", NULL, CKPT_F32, 1, s4, -1, 0, err) < 0) return err->code;
    (void)path;
    return 0;
}

static int mem_read(ckpt_model *m, int t, uint64_t off, void *buf, size_t n, ckpt_err *err)
{
    const void *src = t == 0 ? (const void *)ramp : t == 1 ? (const void *)odd : (const void *)ints;
    memcpy(buf, (const char *)src + off, n);
    reads++;
    (void)m;
    (void)err;
    return 0;
}

static void mem_close(ckpt_model *m) { (void)m; }

static const ckpt_format mem_fmt = {
    .name = "mem", .desc = "test", .flags = CKPT_FMT_READ,
    .open = mem_open, .read = mem_read, .close = mem_close,
};

static int cancel_after(void *ud, const ckpt_progress *p)
{
    int *calls = ud;
    return ++*calls >= 3 && p->bytes_done < p->bytes_total;
}

static int near(double a, double b) { return fabs(a - b) <= 1e-9 * fmax(1, fabs(b)); }

int main(void)
{
    for (int i = 0; i < N; i++) ramp[i] = (float)(i + 1);
    ckpt_model *m;
    ckpt_err e;
    ckpt_err_clear(&e);
    if (ckpt__open_with(&mem_fmt, "mem", &m, &e)) {
        printf("FAIL stats_open: %s\n", e.msg);
        return 1;
    }
    /* 1..N: mean (N+1)/2, population variance (N^2-1)/12 */
    ckpt_stats a, b;
    ckpt_err_clear(&e);
    int rc1 = ckpt_tensor_stats(m, 0, 0, &a, NULL, NULL, &e);
    reads = 0;
    int rc2 = ckpt_tensor_stats(m, 0, 4096, &b, NULL, NULL, &e); /* 40000 bytes in 4 KiB chunks */
    CHECK("stats_ramp_ok", rc1 == 0 && rc2 == 0);
    CHECK("stats_ramp_values", a.min == 1 && a.max == N && near(a.mean, (N + 1) / 2.0) &&
                                   near(a.std, sqrt(((double)N * N - 1) / 12)));
    CHECK("stats_chunked_two_passes", reads == 2 * 10 && b.min == a.min && b.max == a.max &&
                                          near(b.mean, a.mean) && near(b.std, a.std));
    int same = 1;
    uint64_t tot = 0;
    for (int i = 0; i < CKPT_STATS_BINS; i++) {
        same &= a.hist[i] == b.hist[i];
        tot += a.hist[i];
    }
    /* N values evenly spread over 32 bins: 312 or 313 each */
    int even = 1;
    for (int i = 0; i < CKPT_STATS_BINS; i++) even &= a.hist[i] >= N / 32 && a.hist[i] <= N / 32 + 1;
    CHECK("stats_histogram", same && tot == N && even && a.hist_lo == 1 && a.hist_hi == N);

    ckpt_stats o;
    CHECK("stats_odd_ok", ckpt_tensor_stats(m, 1, 0, &o, NULL, NULL, &e) == 0);
    CHECK("stats_odd_counts", o.count == 8 && o.nans == 1 && o.infs == 2 && o.zeros == 3 && o.finite == 5);
    CHECK("stats_odd_finite_only", o.min == 0 && o.max == 3 && near(o.mean, 0.8) &&
                                       near(o.std, sqrt((3 * 0.64 + 0.04 + 4.84) / 5)));

    ckpt_stats in;
    CHECK("stats_int32", ckpt_tensor_stats(m, 2, 0, &in, NULL, NULL, &e) == 0 && in.min == -2 && in.max == 2 &&
                             in.mean == 0 && near(in.std, sqrt(2.0)) && in.zeros == 1 &&
                             in.hist[0] == 1 && in.hist[CKPT_STATS_BINS - 1] == 1);

    ckpt_stats em;
    CHECK("stats_empty", ckpt_tensor_stats(m, 3, 0, &em, NULL, NULL, &e) == 0 && em.count == 0 && isnan(em.mean));

    int calls = 0;
    ckpt_stats c;
    ckpt_err_clear(&e);
    int rc = ckpt_tensor_stats(m, 0, 4096, &c, cancel_after, &calls, &e);
    CHECK("stats_cancel", rc == CKPT_E_CANCELLED && e.code == CKPT_E_CANCELLED && !strcmp(e.tensor, "ramp"));
    ckpt_err_clear(&e);
    CHECK("stats_bad_index", ckpt_tensor_stats(m, 99, 0, &c, NULL, NULL, &e) == CKPT_E_USAGE);
    ckpt_close(m);
    return failures ? 1 : 0;
}
