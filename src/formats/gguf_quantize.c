/* src/formats/gguf_quantize.c: ggml's reference quantizers for the GGUF
 * writer, as ggml-quants.c quantize_row_q8_0_ref and quantize_row_q4_0_ref
 * compute them (float arithmetic in the same order, so the bytes are the
 * ones llama.cpp's convert and quantize tools produce). Blocks of 32
 * weights: an fp16 scale, then 32 int8 (Q8_0) or 16 bytes of nibbles
 * holding weights j (low) and j+16 (high) (Q4_0). The reference is
 * undefined for NaN and infinities, so the caller refuses them first.
 */
#include <math.h>
#include <string.h>

#include "formats/gguf_write.h"

static void put_f16(unsigned char *p, float f)
{
    uint16_t h = ckpt_f32_to_f16(f);
    p[0] = (unsigned char)h;
    p[1] = (unsigned char)(h >> 8);
}

void ckpt__q8_0_row(const float *x, unsigned char *y, size_t nblocks)
{
    for (size_t i = 0; i < nblocks; i++, x += 32, y += 34) {
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) amax = amax > fabsf(x[j]) ? amax : fabsf(x[j]);  /* MAX() */
        const float d = amax / ((1 << 7) - 1);
        const float id = d ? 1.0f / d : 0.0f;
        put_f16(y, d);
        for (int j = 0; j < 32; j++) y[2 + j] = (unsigned char)(int8_t)roundf(x[j] * id);
    }
}

void ckpt__q4_0_row(const float *x, unsigned char *y, size_t nblocks)
{
    for (size_t i = 0; i < nblocks; i++, x += 32, y += 18) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < 32; j++)
            if (amax < fabsf(x[j])) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        const float d = max / -8;
        const float id = d ? 1.0f / d : 0.0f;
        put_f16(y, d);
        for (int j = 0; j < 16; j++) {
            const float x0 = x[j] * id, x1 = x[16 + j] * id;
            int q0 = (int8_t)(x0 + 8.5f), q1 = (int8_t)(x1 + 8.5f);
            if (q0 > 15) q0 = 15;
            if (q1 > 15) q1 = 15;
            y[2 + j] = (unsigned char)(q0 | q1 << 4);
        }
    }
}

/* Index of the first value that is NaN or infinite, or -1. */
long ckpt__q_nonfinite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return (long)i;
    return -1;
}
