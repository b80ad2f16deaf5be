/* ---- runtime helpers (from ckpt's templates/c/runtime.c) ----
 * Every helper works on one sample, channels_last, float32. Products
 * accumulate in float32 as TF.js does, in loops over the output channels
 * (contiguous, so the compiler vectorizes them); reductions (pooling,
 * normalization, softmax, recurrent gates) accumulate in double. */
enum { CK_LINEAR, CK_RELU, CK_RELU6, CK_LEAKY_RELU, CK_ELU, CK_SELU, CK_GELU, CK_GELU_TANH,
       CK_SWISH, CK_SIGMOID, CK_HARD_SIGMOID, CK_TANH, CK_SOFTMAX, CK_SOFTPLUS, CK_SOFTSIGN,
       CK_EXPONENTIAL, CK_MISH };

static float ck_act1(float x, int act, float a)
{
    switch (act) {
    case CK_RELU: return x > 0 ? x : 0;
    case CK_RELU6: return x < 0 ? 0 : x > 6 ? 6 : x;
    case CK_LEAKY_RELU: return x > 0 ? x : a * x;
    case CK_ELU: return x > 0 ? x : a * (expf(x) - 1);
    case CK_SELU: return 1.0507009873554805f * (x > 0 ? x : 1.6732632423543772f * (expf(x) - 1));
    case CK_GELU: return 0.5f * x * (1 + erff(x / 1.4142135623730951f));
    case CK_GELU_TANH: return 0.5f * x * (1 + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    case CK_SWISH: return x / (1 + expf(-x));
    case CK_SIGMOID: return 1 / (1 + expf(-x));
    case CK_HARD_SIGMOID: { float y = a * x + 0.5f; return y < 0 ? 0 : y > 1 ? 1 : y; }
    case CK_TANH: return tanhf(x);
    case CK_SOFTPLUS: return x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x));
    case CK_SOFTSIGN: return x / (1 + fabsf(x));
    case CK_EXPONENTIAL: return expf(x);
    case CK_MISH: { float sp = x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x)); return x * tanhf(sp); }
    default: return x;
    }
}

/* y = act(x) over n values; softmax over rows of `last` */
static void ck_act(const float *x, float *y, long n, long last, int act, float a)
{
    if (act == CK_SOFTMAX) {
        for (long r = 0; r < n / last; r++) {
            const float *xr = x + r * last;
            float *yr = y + r * last, mx = xr[0];
            double s = 0;
            for (long i = 1; i < last; i++) mx = xr[i] > mx ? xr[i] : mx;
            for (long i = 0; i < last; i++) s += (yr[i] = expf(xr[i] - mx));
            for (long i = 0; i < last; i++) yr[i] = (float)(yr[i] / s);
        }
        return;
    }
    for (long i = 0; i < n; i++) y[i] = ck_act1(x[i], act, a);
}

static void ck_copy(const float *x, float *y, long n) { memcpy(y, x, (size_t)n * sizeof *y); }

static void ck_dense(const float *x, float *y, const float *k, const float *b, long rows, long nin, long nout,
                     int act, float a)
{
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * nin;
        float *yr = y + r * nout;
        for (long o = 0; o < nout; o++) yr[o] = b ? b[o] : 0;
        for (long i = 0; i < nin; i++) {
            const float xv = xr[i], *kr = k + i * nout;
            for (long o = 0; o < nout; o++) yr[o] += xv * kr[o];
        }
    }
    ck_act(y, y, rows * nout, nout, act, a);
}

static void ck_conv2d(const float *x, float *y, const float *k, const float *b, long h, long w, long c, long kh,
                      long kw, long sh, long sw, long dh, long dw, long pt, long pl, long oh, long ow, long o,
                      int act, float a)
{
    for (long i = 0; i < oh; i++)
        for (long j = 0; j < ow; j++) {
            float *yp = y + (i * ow + j) * o;
            for (long f = 0; f < o; f++) yp[f] = b ? b[f] : 0;
            for (long p = 0; p < kh; p++) {
                long yy = i * sh + p * dh - pt;
                if (yy < 0 || yy >= h) continue;
                for (long q = 0; q < kw; q++) {
                    long xx = j * sw + q * dw - pl;
                    if (xx < 0 || xx >= w) continue;
                    const float *xp = x + (yy * w + xx) * c, *kp = k + (p * kw + q) * c * o;
                    for (long ch = 0; ch < c; ch++) {
                        const float xv = xp[ch], *kr = kp + ch * o;
                        for (long f = 0; f < o; f++) yp[f] += xv * kr[f];
                    }
                }
            }
        }
    ck_act(y, y, oh * ow * o, o, act, a);
}

/* depthwise: kernel (kh, kw, c, m), output channel ch * m + mm */
static void ck_dwconv2d(const float *x, float *y, const float *k, const float *b, long h, long w, long c, long kh,
                        long kw, long sh, long sw, long dh, long dw, long pt, long pl, long oh, long ow, long m,
                        int act, float a)
{
    long co = c * m;
    for (long i = 0; i < oh; i++)
        for (long j = 0; j < ow; j++) {
            float *yp = y + (i * ow + j) * co;
            for (long f = 0; f < co; f++) yp[f] = b ? b[f] : 0;
            for (long p = 0; p < kh; p++) {
                long yy = i * sh + p * dh - pt;
                if (yy < 0 || yy >= h) continue;
                for (long q = 0; q < kw; q++) {
                    long xx = j * sw + q * dw - pl;
                    if (xx < 0 || xx >= w) continue;
                    const float *xp = x + (yy * w + xx) * c, *kp = k + (p * kw + q) * co;
                    if (m == 1)
                        for (long f = 0; f < co; f++) yp[f] += xp[f] * kp[f];
                    else
                        for (long f = 0; f < co; f++) yp[f] += xp[f / m] * kp[f];
                }
            }
        }
    ck_act(y, y, oh * ow * co, co, act, a);
}

/* transposed: kernel (kh, kw, o, c); input (i, j) adds to output (i*sh + p*dh - pt, ...) */
static void ck_conv2d_t(const float *x, float *y, const float *k, const float *b, long h, long w, long c, long kh,
                        long kw, long sh, long sw, long dh, long dw, long pt, long pl, long oh, long ow, long o,
                        int act, float a)
{
    for (long i = 0; i < oh; i++)
        for (long j = 0; j < ow; j++)
            for (long f = 0; f < o; f++) {
                double s = b ? b[f] : 0;
                for (long p = 0; p < kh; p++) {
                    long t = i + pt - p * dh;
                    if (t < 0 || t % sh || t / sh >= h) continue;
                    for (long q = 0; q < kw; q++) {
                        long u = j + pl - q * dw;
                        if (u < 0 || u % sw || u / sw >= w) continue;
                        const float *xp = x + ((t / sh) * w + u / sw) * c, *kp = k + ((p * kw + q) * o + f) * c;
                        for (long ch = 0; ch < c; ch++) s += (double)xp[ch] * kp[ch];
                    }
                }
                y[(i * ow + j) * o + f] = (float)s;
            }
    ck_act(y, y, oh * ow * o, o, act, a);
}

/* max or average (padding excluded from the count) */
static void ck_pool2d(const float *x, float *y, long h, long w, long c, long kh, long kw, long sh, long sw, long pt,
                      long pl, long oh, long ow, long avg)
{
    for (long i = 0; i < oh; i++)
        for (long j = 0; j < ow; j++)
            for (long ch = 0; ch < c; ch++) {
                double s = 0, mx = -HUGE_VAL;
                long cnt = 0;
                for (long p = 0; p < kh; p++) {
                    long yy = i * sh + p - pt;
                    if (yy < 0 || yy >= h) continue;
                    for (long q = 0; q < kw; q++) {
                        long xx = j * sw + q - pl;
                        if (xx < 0 || xx >= w) continue;
                        float v = x[(yy * w + xx) * c + ch];
                        s += v;
                        mx = v > mx ? v : mx;
                        cnt++;
                    }
                }
                y[(i * ow + j) * c + ch] = (float)(avg ? s / (double)cnt : mx);
            }
}

static void ck_gpool(const float *x, float *y, long s, long c, long avg)
{
    for (long ch = 0; ch < c; ch++) {
        double acc = avg ? 0 : -HUGE_VAL;
        for (long i = 0; i < s; i++) {
            float v = x[i * c + ch];
            if (avg) acc += v;
            else if (v > acc) acc = v;
        }
        y[ch] = (float)(avg ? acc / (double)s : acc);
    }
}

static void ck_pad2d(const float *x, float *y, long h, long w, long c, long t, long b, long l, long r)
{
    long ow = w + l + r;
    memset(y, 0, (size_t)((h + t + b) * ow * c) * sizeof *y);
    for (long i = 0; i < h; i++) memcpy(y + ((i + t) * ow + l) * c, x + i * w * c, (size_t)(w * c) * sizeof *y);
}

static void ck_crop2d(const float *x, float *y, long h, long w, long c, long t, long b, long l, long r)
{
    long oh = h - t - b, ow = w - l - r;
    for (long i = 0; i < oh; i++) memcpy(y + i * ow * c, x + ((i + t) * w + l) * c, (size_t)(ow * c) * sizeof *y);
}

static void ck_upsample2d(const float *x, float *y, long h, long w, long c, long sh, long sw)
{
    long ow = w * sw;
    for (long i = 0; i < h * sh; i++)
        for (long j = 0; j < ow; j++) memcpy(y + (i * ow + j) * c, x + ((i / sh) * w + j / sw) * c, (size_t)c * sizeof *y);
}

static void ck_permute(const float *x, float *y, long d0, long d1, long d2, long d3, long p0, long p1, long p2, long p3)
{
    long d[4] = {d0, d1, d2, d3}, p[4] = {p0, p1, p2, p3}, st[4], i[4];
    st[3] = 1;
    for (int k = 2; k >= 0; k--) st[k] = st[k + 1] * d[k + 1];
    long n = 0;
    for (i[0] = 0; i[0] < d[p[0]]; i[0]++)
        for (i[1] = 0; i[1] < d[p[1]]; i[1]++)
            for (i[2] = 0; i[2] < d[p[2]]; i[2]++)
                for (i[3] = 0; i[3] < d[p[3]]; i[3]++)
                    y[n++] = x[i[0] * st[p[0]] + i[1] * st[p[1]] + i[2] * st[p[2]] + i[3] * st[p[3]]];
}

static void ck_repeat(const float *x, float *y, long n, long d)
{
    for (long i = 0; i < n; i++) memcpy(y + i * d, x, (size_t)d * sizeof *y);
}

static void ck_batchnorm(const float *x, float *y, const float *g, const float *be, const float *mu, const float *var,
                         long rows, long c, float eps)
{
    for (long r = 0; r < rows; r++)
        for (long i = 0; i < c; i++) {
            float v = (x[r * c + i] - mu[i]) / sqrtf(var[i] + eps);
            y[r * c + i] = v * (g ? g[i] : 1) + (be ? be[i] : 0);
        }
}

static void ck_layernorm(const float *x, float *y, const float *g, const float *be, long rows, long c, float eps)
{
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * c;
        double m = 0, v = 0;
        for (long i = 0; i < c; i++) m += xr[i];
        m /= (double)c;
        for (long i = 0; i < c; i++) v += (xr[i] - m) * (xr[i] - m);
        v /= (double)c;
        float inv = 1 / sqrtf((float)v + eps);
        for (long i = 0; i < c; i++) y[r * c + i] = (float)(xr[i] - m) * inv * (g ? g[i] : 1) + (be ? be[i] : 0);
    }
}

enum { CK_ADD, CK_SUB, CK_MUL, CK_AVG, CK_MAX, CK_MIN };
static void ck_merge(const float *const *xs, int k, float *y, long n, long kind)
{
    for (long i = 0; i < n; i++) {
        float v = xs[0][i];
        for (int j = 1; j < k; j++) {
            float u = xs[j][i];
            v = kind == CK_ADD || kind == CK_AVG ? v + u : kind == CK_SUB ? v - u : kind == CK_MUL ? v * u
              : kind == CK_MAX ? (u > v ? u : v) : (u < v ? u : v);
        }
        y[i] = kind == CK_AVG ? v / (float)k : v;
    }
}

/* concatenation: each input is `outer` blocks of inner[j] values */
static void ck_concat(const float *const *xs, const long *inner, int k, float *y, long outer)
{
    for (long o = 0; o < outer; o++)
        for (int j = 0; j < k; j++) {
            memcpy(y, xs[j] + o * inner[j], (size_t)inner[j] * sizeof *y);
            y += inner[j];
        }
}

static void ck_embedding(const float *x, float *y, const float *e, long n, long vocab, long dim)
{
    for (long i = 0; i < n; i++) {
        long id = (long)x[i];
        if (id < 0 || id >= vocab) memset(y + i * dim, 0, (size_t)dim * sizeof *y);
        else memcpy(y + i * dim, e + id * dim, (size_t)dim * sizeof *y);
    }
}

/* The step loop shared by the recurrent layers: which input step feeds step s,
 * whether it is masked, where its output goes. */
static int ck_masked_step(const float *xt, long i, long masked, float mv)
{
    if (!masked) return 0;
    for (long k = 0; k < i; k++)
        if (xt[k] != mv) return 0;
    return 1;
}

static void ck_rnn_out(float *y, const float *h, long t, long s, long u, long seq, long flip, int skip, long zero)
{
    if (!seq) { if (s == t - 1) memcpy(y, h, (size_t)u * sizeof *y); return; }
    float *yo = y + (flip ? t - 1 - s : s) * u;
    if (skip && zero) memset(yo, 0, (size_t)u * sizeof *y);
    else memcpy(yo, h, (size_t)u * sizeof *y);
}

/* z = x_t K + b (g gates) */
static void ck_gates(const float *xt, const float *k, const float *b, long i, long g, double *z)
{
    for (long j = 0; j < g; j++) {
        double s = b ? b[j] : 0;
        for (long q = 0; q < i; q++) s += (double)xt[q] * k[q * g + j];
        z[j] = s;
    }
}

static void ck_simple_rnn(const float *x, float *y, const float *k, const float *r, const float *b, long t, long i,
                          long u, long seq, long back, long flip, long masked, float mv, long zero, int act, float a,
                          int act2, float a2)
{
    float h[CK_MAXU], hn[CK_MAXU];
    double z[CK_MAXU];
    (void)act2; (void)a2;
    memset(h, 0, sizeof h);
    for (long s = 0; s < t; s++) {
        const float *xt = x + (back ? t - 1 - s : s) * i;
        int skip = ck_masked_step(xt, i, masked, mv);
        if (!skip) {
            ck_gates(xt, k, b, i, u, z);
            for (long j = 0; j < u; j++) {
                double v = z[j];
                for (long q = 0; q < u; q++) v += (double)h[q] * r[q * u + j];
                hn[j] = ck_act1((float)v, act, a);
            }
            memcpy(h, hn, (size_t)u * sizeof *h);
        }
        ck_rnn_out(y, h, t, s, u, seq, flip, skip, zero);
    }
}

/* Keras GRU, gates z, r, h; reset_after applies r after the recurrent matmul
 * (bias then has an input row and a recurrent row). */
static void ck_gru(const float *x, float *y, const float *k, const float *r, const float *b, long t, long i, long u,
                   long seq, long back, long flip, long reset_after, long masked, float mv, long zero, int act,
                   float a, int act2, float a2)
{
    float h[CK_MAXU];
    double zx[3 * CK_MAXU], zh[3 * CK_MAXU];
    const float *bi = b, *bh = b && reset_after ? b + 3 * u : NULL;
    memset(h, 0, sizeof h);
    for (long s = 0; s < t; s++) {
        const float *xt = x + (back ? t - 1 - s : s) * i;
        int skip = ck_masked_step(xt, i, masked, mv);
        if (!skip) {
            ck_gates(xt, k, bi, i, 3 * u, zx);
            for (long j = 0; j < 3 * u; j++) {
                double v = bh ? bh[j] : 0;
                if (reset_after || j < 2 * u)
                    for (long q = 0; q < u; q++) v += (double)h[q] * r[q * 3 * u + j];
                zh[j] = v;
            }
            float hn[CK_MAXU], rg[CK_MAXU];
            for (long j = 0; j < u; j++) rg[j] = ck_act1((float)(zx[u + j] + zh[u + j]), act2, a2);
            for (long j = 0; j < u; j++) {
                float zg = ck_act1((float)(zx[j] + zh[j]), act2, a2);
                double hh;
                if (reset_after) hh = zx[2 * u + j] + rg[j] * zh[2 * u + j];
                else {   /* (r * h) R_h: the reset gate scales h before the product */
                    hh = zx[2 * u + j];
                    for (long q = 0; q < u; q++) hh += (double)(rg[q] * h[q]) * r[q * 3 * u + 2 * u + j];
                }
                float c = ck_act1((float)hh, act, a);
                hn[j] = zg * h[j] + (1 - zg) * c;
            }
            memcpy(h, hn, (size_t)u * sizeof *h);
        }
        ck_rnn_out(y, h, t, s, u, seq, flip, skip, zero);
    }
}

/* Keras LSTM, gates i, f, c, o */
static void ck_lstm(const float *x, float *y, const float *k, const float *r, const float *b, long t, long i, long u,
                    long seq, long back, long flip, long masked, float mv, long zero, int act, float a, int act2,
                    float a2)
{
    float h[CK_MAXU], cs[CK_MAXU];
    double z[4 * CK_MAXU];
    memset(h, 0, sizeof h);
    memset(cs, 0, sizeof cs);
    for (long s = 0; s < t; s++) {
        const float *xt = x + (back ? t - 1 - s : s) * i;
        int skip = ck_masked_step(xt, i, masked, mv);
        if (!skip) {
            ck_gates(xt, k, b, i, 4 * u, z);
            for (long j = 0; j < 4 * u; j++)
                for (long q = 0; q < u; q++) z[j] += (double)h[q] * r[q * 4 * u + j];
            for (long j = 0; j < u; j++) {
                float ig = ck_act1((float)z[j], act2, a2), fg = ck_act1((float)z[u + j], act2, a2);
                float cg = ck_act1((float)z[2 * u + j], act, a), og = ck_act1((float)z[3 * u + j], act2, a2);
                cs[j] = fg * cs[j] + ig * cg;
                h[j] = og * ck_act1(cs[j], act, a);
            }
        }
        ck_rnn_out(y, h, t, s, u, seq, flip, skip, zero);
    }
}
/* ---- end of runtime helpers ---- */
