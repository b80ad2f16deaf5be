/* libFuzzer target: one stored HDF5 chunk through ckpt's own filter
 * pipeline (h5filter.c: fletcher32, zlib inflate, unshuffle). Input: 8
 * bytes of setup (filter count, 3 filter ids, shuffle element size, filter
 * mask, decoded size LE16), then the stored chunk. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/h5filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8) return 0;
    ckpt_h5pipe p;
    memset(&p, 0, sizeof p);
    p.n = data[0] % 4;
    for (int i = 0; i < p.n; i++) {
        p.id[i] = 1 + data[1 + i] % 4;   /* 4: a filter ckpt does not decode */
        p.esize[i] = data[4];
    }
    unsigned mask = data[5];
    size_t want = (size_t)data[6] | (size_t)data[7] << 8;
    size_t cap = want + want / 8 + 1024, len = size - 8;
    unsigned char *a = malloc(cap > len ? cap : len), *b = malloc(cap);
    if (!a || !b) { free(a); free(b); return 0; }
    memcpy(a, data + 8, len);
    const unsigned char *out = NULL;
    ckpt_err err;
    ckpt_err_clear(&err);
    if (ckpt__h5f_decode(&p, mask, a, len, b, cap, want, &out, &err) == 0) {
        if (out != a && out != b) __builtin_trap();
        volatile unsigned char sink = want ? out[want - 1] : 0;   /* the bytes are there */
        (void)sink;
    } else if (!err.msg[0]) {
        __builtin_trap();   /* every refusal says why */
    }
    free(a);
    free(b);
    return 0;
}
