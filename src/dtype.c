/* dtype.c: element types, their names and conversions (f16/bf16/f8 by hand:
 * no Debian library offers these small, exact conversions). */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "internal.h"

static const struct {
    const char *name;
    size_t size;
    char kind;
} dt[CKPT_DT_COUNT] = {
    [CKPT_DT_INVALID] = {"?", 0, 0},
#define CKPT_DT_ROW_(e, n, b, k) [CKPT_##e] = {n, b, k},
    CKPT_DTYPES(CKPT_DT_ROW_)
#undef CKPT_DT_ROW_
};

const char *ckpt_dtype_name(ckpt_dtype t)
{
    if ((int)t <= 0 || t >= CKPT_DT_COUNT) return "?";
    return dt[t].name;
}

ckpt_dtype ckpt_dtype_from_name(const char *s)
{
    if (!s) return CKPT_DT_INVALID;
    for (int i = 1; i < CKPT_DT_COUNT; i++)
        if (!strcmp(s, dt[i].name)) return (ckpt_dtype)i;
    return CKPT_DT_INVALID;
}

size_t ckpt_dtype_size(ckpt_dtype t)
{
    if ((int)t <= 0 || t >= CKPT_DT_COUNT) return 0;
    return dt[t].size;
}

int ckpt_dtype_is_float(ckpt_dtype t)
{
    return (int)t > 0 && t < CKPT_DT_COUNT && dt[t].kind == 'f';
}

/* ---- half, bfloat16, fp8 ---- */

static float u32_as_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t f32_as_u32(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

float ckpt_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    if (exp == 0) {
        if (man == 0) return u32_as_f32(sign);
        /* subnormal: value = man * 2^-24 */
        float v = (float)man * 5.9604644775390625e-8f;
        return sign ? -v : v;
    }
    if (exp == 31) return u32_as_f32(sign | 0x7f800000u | (man << 13));
    return u32_as_f32(sign | ((exp + 112) << 23) | (man << 13));
}

uint16_t ckpt_f32_to_f16(float f)
{
    uint32_t x = f32_as_u32(f);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t exp = (x >> 23) & 0xff, man = x & 0x7fffff;
    if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (man ? 0x200 | (man >> 13) : 0));
    int e = (int)exp - 127 + 15;
    if (e >= 31) return (uint16_t)(sign | 0x7c00);
    if (e <= 0) {
        if (e < -10) return (uint16_t)sign;
        man |= 0x800000;
        int shift = 14 - e;
        uint32_t half = man >> shift;
        uint32_t rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t h = (uint32_t)(e << 10) | (man >> 13);
    uint32_t rem = man & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++; /* may carry into exp: correct */
    return (uint16_t)(sign | h);
}

float ckpt_bf16_to_f32(uint16_t h) { return u32_as_f32((uint32_t)h << 16); }

uint16_t ckpt_f32_to_bf16(float f)
{
    uint32_t x = f32_as_u32(f);
    if ((x & 0x7fffffff) > 0x7f800000) return (uint16_t)((x >> 16) | 0x40); /* quiet NaN */
    uint32_t lsb = (x >> 16) & 1;
    x += 0x7fff + lsb;
    return (uint16_t)(x >> 16);
}

/* fp8 e4m3fn: bias 7, no infinities, 0x7f/0xff NaN. e5m2: bias 15, IEEE-like. */
static double f8_decode(uint8_t v, int e4m3)
{
    int sign = v & 0x80;
    int ebits = e4m3 ? 4 : 5, mbits = e4m3 ? 3 : 2, bias = e4m3 ? 7 : 15;
    int exp = (v >> mbits) & ((1 << ebits) - 1), man = v & ((1 << mbits) - 1);
    double r;
    if (e4m3 && exp == 15 && man == 7) return sign ? -NAN : NAN;
    if (!e4m3 && exp == 31) r = man ? NAN : INFINITY;
    else if (exp == 0) r = ldexp((double)man, 1 - bias - mbits);
    else r = ldexp(1.0 + (double)man / (1 << mbits), exp - bias);
    return sign ? -r : r;
}

/* 256-entry decode tables, built once (decoding is per element on hot paths) */
static double f8_table[2][256];
static pthread_once_t f8_once = PTHREAD_ONCE_INIT;
static void f8_build(void)
{
    for (int c = 0; c < 256; c++) {
        f8_table[0][c] = f8_decode((uint8_t)c, 0);
        f8_table[1][c] = f8_decode((uint8_t)c, 1);
    }
}
static double f8_to_f64(uint8_t v, int e4m3)
{
    pthread_once(&f8_once, f8_build);
    return f8_table[e4m3][v];
}

/* A small binary float (mbits of mantissa, exponent bias `bias`, top exponent
 * field `emax_field`) from a double, rounded once, to nearest, ties to even.
 * Returns the magnitude code (exponent and mantissa fields) without sign;
 * the caller handles NaN/inf and overflow, whose rules differ by format.
 * Rounding straight from the double avoids the double rounding of going
 * through float (1 + 2^-11 + 2^-40 must give 1.0009765625 in F16). */
static uint64_t small_float_code(double a, int mbits, int bias)
{
    if (a == 0) return 0;
    int ex;
    frexp(a, &ex);                       /* a = f * 2^ex, f in [0.5, 1) */
    int e = ex - 1;                      /* a = 1.x * 2^e */
    if (e < 1 - bias) e = 1 - bias;      /* subnormal: fixed quantum */
    if (e > 2 * bias + 2) return UINT64_MAX; /* far past any code: overflow */
    double n = nearbyint(ldexp(a, mbits - e)); /* exact scaling, one rounding (to even) */
    /* normal: ((e + bias - 1) << mbits) + n, which also carries a rounded-up
     * mantissa into the exponent; subnormal (e = 1 - bias): just n */
    return ((uint64_t)(e + bias - 1) << mbits) + (uint64_t)n;
}

/* IEEE-style (F16, BF16, E5M2): overflow gives infinity, as NumPy and torch do. */
static uint32_t ieee_small_from_f64(double d, int ebits, int mbits)
{
    int bias = (1 << (ebits - 1)) - 1;
    uint32_t sign = signbit(d) ? 1u << (ebits + mbits) : 0;
    uint32_t inf = ((1u << ebits) - 1) << mbits;
    if (isnan(d)) return sign | inf | (1u << (mbits - 1));
    uint64_t c = isinf(d) ? inf : small_float_code(fabs(d), mbits, bias);
    return sign | (uint32_t)(c >= inf ? inf : c);
}

static uint8_t f64_to_f8(double d, int e4m3)
{
    if (!e4m3) {
        if (isnan(d)) return (uint8_t)(signbit(d) ? 0xff : 0x7f); /* torch's e5m2 NaN */
        return (uint8_t)ieee_small_from_f64(d, 5, 2);
    }
    /* e4m3fn has no infinity: like torch, NaN, inf and anything that rounds
     * past 448 (the top code 0x7f is NaN) become NaN, sign kept */
    uint8_t sign = signbit(d) ? 0x80 : 0;
    if (isnan(d) || isinf(d)) return sign | 0x7f;
    uint64_t c = small_float_code(fabs(d), 3, 7);
    return sign | (uint8_t)(c >= 0x7f ? 0x7f : c);
}

static uint16_t f64_to_f16(double d)
{
    if (isnan(d)) {
        /* keep the payload's top bits, as NumPy does (and stay a NaN) */
        uint64_t b;
        memcpy(&b, &d, 8);
        uint16_t sig = (uint16_t)((b & 0xfffffffffffffull) >> 42);
        return (uint16_t)((b >> 63 ? 0x8000 : 0) | 0x7c00 | (sig ? sig : 1));
    }
    return (uint16_t)ieee_small_from_f64(d, 5, 10);
}

static uint16_t f64_to_bf16(double d)
{
    if (isnan(d)) return ckpt_f32_to_bf16((float)d);
    return (uint16_t)ieee_small_from_f64(d, 8, 7);
}

#define LD(T) ({ T v_; memcpy(&v_, p, sizeof v_); v_; })

void ckpt_dtype_to_f64(ckpt_dtype t, const void *src, size_t n, double *dst)
{
    const unsigned char *p = src;
    size_t sz = ckpt_dtype_size(t);
    for (size_t i = 0; i < n; i++, p += sz) {
        switch (t) {
        case CKPT_BOOL: dst[i] = *p ? 1.0 : 0.0; break;
        case CKPT_U8: dst[i] = *p; break;
        case CKPT_I8: dst[i] = (int8_t)*p; break;
        case CKPT_U16: dst[i] = LD(uint16_t); break;
        case CKPT_I16: dst[i] = LD(int16_t); break;
        case CKPT_U32: dst[i] = LD(uint32_t); break;
        case CKPT_I32: dst[i] = LD(int32_t); break;
        case CKPT_U64: dst[i] = (double)LD(uint64_t); break;
        case CKPT_I64: dst[i] = (double)LD(int64_t); break;
        case CKPT_F16: dst[i] = ckpt_f16_to_f32(LD(uint16_t)); break;
        case CKPT_BF16: dst[i] = ckpt_bf16_to_f32(LD(uint16_t)); break;
        case CKPT_F32: dst[i] = LD(float); break;
        case CKPT_F64: dst[i] = LD(double); break;
        case CKPT_F8_E4M3: dst[i] = f8_to_f64(*p, 1); break;
        case CKPT_F8_E5M2: dst[i] = f8_to_f64(*p, 0); break;
        default: dst[i] = 0; break;
        }
    }
}

static double clampd(double v, double lo, double hi)
{
    if (isnan(v)) return 0;
    return v < lo ? lo : v > hi ? hi : v;
}

#define ST(T, expr) do { T v_ = (T)(expr); memcpy(p, &v_, sizeof v_); } while (0)

void ckpt_dtype_from_f64(ckpt_dtype t, const double *src, size_t n, void *dstv)
{
    unsigned char *p = dstv;
    size_t sz = ckpt_dtype_size(t);
    for (size_t i = 0; i < n; i++, p += sz) {
        double v = src[i];
        switch (t) {
        case CKPT_BOOL: *p = (v != 0 && !isnan(v)); break;
        case CKPT_U8: *p = (uint8_t)llround(clampd(v, 0, 255)); break;
        case CKPT_I8: *p = (uint8_t)(int8_t)llround(clampd(v, -128, 127)); break;
        case CKPT_U16: ST(uint16_t, llround(clampd(v, 0, 65535))); break;
        case CKPT_I16: ST(int16_t, llround(clampd(v, -32768, 32767))); break;
        case CKPT_U32: ST(uint32_t, llround(clampd(v, 0, 4294967295.0))); break;
        case CKPT_I32: ST(int32_t, llround(clampd(v, -2147483648.0, 2147483647.0))); break;
        case CKPT_U64: ST(uint64_t, clampd(v, 0, 18446744073709549568.0)); break;
        case CKPT_I64: ST(int64_t, clampd(v, -9223372036854775808.0, 9223372036854774784.0)); break;
        case CKPT_F16: ST(uint16_t, f64_to_f16(v)); break;
        case CKPT_BF16: ST(uint16_t, f64_to_bf16(v)); break;
        case CKPT_F32: ST(float, v); break;
        case CKPT_F64: ST(double, v); break;
        case CKPT_F8_E4M3: *p = f64_to_f8(v, 1); break;
        case CKPT_F8_E5M2: *p = f64_to_f8(v, 0); break;
        default: break;
        }
    }
}

void ckpt_dtype_cast(ckpt_dtype from, const void *src, ckpt_dtype to, void *dst, size_t n)
{
    if (from == to) {
        memmove(dst, src, n * ckpt_dtype_size(from));
        return;
    }
    /* fast paths for the common float casts */
    if (from == CKPT_F32 && (to == CKPT_F16 || to == CKPT_BF16)) {
        const unsigned char *s = src;
        uint16_t *d = dst;
        for (size_t i = 0; i < n; i++) {
            float f;
            memcpy(&f, s + 4 * i, 4);
            uint16_t h = to == CKPT_F16 ? ckpt_f32_to_f16(f) : ckpt_f32_to_bf16(f);
            memcpy(d + i, &h, 2);
        }
        return;
    }
    double buf[512];
    const unsigned char *s = src;
    unsigned char *d = dst;
    size_t fs = ckpt_dtype_size(from), ts = ckpt_dtype_size(to);
    while (n) {
        size_t k = n < 512 ? n : 512;
        ckpt_dtype_to_f64(from, s, k, buf);
        ckpt_dtype_from_f64(to, buf, k, d);
        s += k * fs;
        d += k * ts;
        n -= k;
    }
}
