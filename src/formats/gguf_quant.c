/* src/formats/gguf_quant.c: ggml's K-quants (Q2_K..Q6_K, Q8_K) and the
 * non-linear 4-bit types (IQ4_NL, IQ4_XS), one block at a time.
 *
 * Block layouts are ggml-common.h's block_q2_K ... block_iq4_xs (QK_K =
 * 256, K_SCALE_SIZE = 12, all little-endian, fp16 scales); the arithmetic
 * is ggml-quants.c's dequantize_row_*: the same float products and
 * differences in the same order, so the output is bit-identical to ggml's
 * reference (no fused multiply-add: the expressions are kept separate).
 * Every block has a fixed size, checked by the caller; nothing here reads
 * outside the block it is given.
 */
#include <string.h>

#include "ckpt/dtype.h"
#include "formats/gguf_quant.h"

#define QK_K 256

static float h2f(const unsigned char *p) { return ckpt_f16_to_f32((uint16_t)(p[0] | p[1] << 8)); }

/* block_q2_K: scales[16] (4-bit scale | 4-bit min), qs[64] (2-bit), d, dmin */
static void deq_q2_k(const unsigned char *b, float *y)
{
    const unsigned char *sc = b, *q = b + 16;
    const float d = h2f(b + 80), min = h2f(b + 82);
    int is = 0;
    for (int n = 0; n < QK_K; n += 128) {
        for (int shift = 0; shift < 8; shift += 2) {
            for (int half = 0; half < 2; half++) {
                unsigned s = sc[is++];
                const float dl = d * (float)(s & 0xF), ml = min * (float)(s >> 4);
                for (int l = 0; l < 16; l++) {
                    const float v = dl * (float)((q[l + 16 * half] >> shift) & 3);
                    *y++ = v - ml;
                }
            }
        }
        q += 32;
    }
}

/* block_q3_K: hmask[32], qs[64], scales[12] (sixteen 6-bit scales), d */
static void deq_q3_k(const unsigned char *b, float *y)
{
    const unsigned char *hm = b, *q = b + 32, *raw = b + 96;
    const float d_all = h2f(b + 108);
    /* the 6-bit scales: low 4 bits in raw[0..7], high 2 bits in raw[8..11] */
    int8_t scales[16];
    for (int j = 0; j < 16; j++) {
        unsigned lo = j < 8 ? raw[j] & 0xF : raw[j - 8] >> 4;
        unsigned hi = (raw[8 + (j & 3)] >> (2 * (j >> 2))) & 3;
        scales[j] = (int8_t)(lo | hi << 4);
    }
    int is = 0;
    unsigned m = 1;
    for (int n = 0; n < QK_K; n += 128) {
        for (int shift = 0; shift < 8; shift += 2) {
            for (int half = 0; half < 2; half++) {
                const float dl = d_all * (float)(scales[is++] - 32);
                for (int l = 16 * half; l < 16 * half + 16; l++) {
                    int v = (int)((q[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4);
                    *y++ = dl * (float)v;
                }
            }
            m <<= 1;
        }
        q += 32;
    }
}

/* ggml-quants.c get_scale_min_k4: eight 6-bit scales and mins in 12 bytes */
static void scale_min_k4(int j, const unsigned char *q, unsigned *d, unsigned *m)
{
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

/* block_q4_K: d, dmin, scales[12], qs[128]; block_q5_K adds qh[32] before qs */
static void deq_q45_k(const unsigned char *b, float *y, int five)
{
    const float d = h2f(b), min = h2f(b + 2);
    const unsigned char *sc = b + 4, *qh = b + 16, *q = b + (five ? 48 : 16);
    unsigned u1 = 1, u2 = 2;
    for (int j = 0, is = 0; j < QK_K; j += 64, is += 2) {
        unsigned s, mn;
        scale_min_k4(is, sc, &s, &mn);
        const float d1 = d * (float)s, m1 = min * (float)mn;
        scale_min_k4(is + 1, sc, &s, &mn);
        const float d2 = d * (float)s, m2 = min * (float)mn;
        for (int l = 0; l < 32; l++) {
            unsigned v = (q[l] & 0xF) + (five && (qh[l] & u1) ? 16 : 0);
            const float p = d1 * (float)v;
            *y++ = p - m1;
        }
        for (int l = 0; l < 32; l++) {
            unsigned v = (q[l] >> 4) + (five && (qh[l] & u2) ? 16 : 0);
            const float p = d2 * (float)v;
            *y++ = p - m2;
        }
        q += 32;
        u1 <<= 2;
        u2 <<= 2;
    }
}

/* block_q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16], d */
static void deq_q6_k(const unsigned char *b, float *y)
{
    const unsigned char *ql = b, *qh = b + 128;
    const int8_t *sc = (const int8_t *)(b + 192);
    const float d = h2f(b + 208);
    for (int n = 0; n < QK_K; n += 128) {
        for (int l = 0; l < 32; l++) {
            int is = l / 16;
            int q1 = (int)((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32;
            int q2 = (int)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
            int q3 = (int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            int q4 = (int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            y[l] = d * (float)sc[is] * (float)q1;
            y[l + 32] = d * (float)sc[is + 2] * (float)q2;
            y[l + 64] = d * (float)sc[is + 4] * (float)q3;
            y[l + 96] = d * (float)sc[is + 6] * (float)q4;
        }
        y += 128;
        ql += 64;
        qh += 32;
        sc += 8;
    }
}

/* block_q8_K: float d, int8 qs[256], int16 bsums[16] (sums, unused here) */
static void deq_q8_k(const unsigned char *b, float *y)
{
    float d;
    uint32_t w = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    memcpy(&d, &w, 4);
    for (int j = 0; j < QK_K; j++) y[j] = d * (float)(int8_t)b[4 + j];
}

/* ggml-common.h kvalues_iq4nl: the 16 non-linear levels */
static const int8_t kvalues_iq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                         1,    13,   25,  38,  53,  69,  89,  113};

/* 32 weights: 16 bytes of nibbles, low nibbles first, times scale dl */
static void iq4_nibbles(const unsigned char *qs, float dl, float *y)
{
    for (int j = 0; j < 16; j++) {
        y[j] = dl * (float)kvalues_iq4nl[qs[j] & 0xF];
        y[j + 16] = dl * (float)kvalues_iq4nl[qs[j] >> 4];
    }
}

/* block_iq4_xs: d, u16 scales_h, scales_l[4], qs[128]: eight 6-bit scales */
static void deq_iq4_xs(const unsigned char *b, float *y)
{
    const float d = h2f(b);
    unsigned sh = (unsigned)b[2] | (unsigned)b[3] << 8;
    const unsigned char *sl = b + 4, *qs = b + 8;
    for (int ib = 0; ib < QK_K / 32; ib++) {
        int ls = (int)(((sl[ib / 2] >> (4 * (ib % 2))) & 0xF) | (((sh >> (2 * ib)) & 3) << 4));
        iq4_nibbles(qs + 16 * ib, d * (float)(ls - 32), y + 32 * ib);
    }
}

int ckpt__gguf_dequant_block(uint32_t type, const unsigned char *b, float *y)
{
    switch (type) {
    case GGQ_Q2_K: deq_q2_k(b, y); return 0;
    case GGQ_Q3_K: deq_q3_k(b, y); return 0;
    case GGQ_Q4_K: deq_q45_k(b, y, 0); return 0;
    case GGQ_Q5_K: deq_q45_k(b, y, 1); return 0;
    case GGQ_Q6_K: deq_q6_k(b, y); return 0;
    case GGQ_Q8_K: deq_q8_k(b, y); return 0;
    case GGQ_IQ4_NL: iq4_nibbles(b + 2, h2f(b), y); return 0;   /* block_iq4_nl: d, qs[16] */
    case GGQ_IQ4_XS: deq_iq4_xs(b, y); return 0;
    default: return -1;
    }
}
