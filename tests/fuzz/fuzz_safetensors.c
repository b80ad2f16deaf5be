/* libFuzzer target: the safetensors length prefix and header parser on a
 * whole file held in memory (the data buffer is checked for size only),
 * and the fast path (st_fast.c) against it: whatever the fast path accepts
 * the full parser accepts with the same tensors and metadata, and what it
 * turns down it leaves unchanged. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/fmt_safetensors.h"
#include "formats/st_fast.h"

static void check_fast(const uint8_t *data, size_t size, const ckpt_st_header *h, int full_ok)
{
    uint64_t n;
    ckpt_err err;
    ckpt_err_clear(&err);
    if (ckpt__st_parse_len(data, size, "f", &n, &err)) return;
    if (!n || data[8] != '{' || memchr(data + 8, 0, n) || !ckpt__utf8_valid((const char *)data + 8, n)) return;
    char *txt = malloc(n ? n : 1);
    if (!txt) return;
    memcpy(txt, data + 8, n);
    ckpt_st_fast f;
    int rc = ckpt__st_fast_parse(txt, n, size - 8 - n, &f);
    if (rc) {
        if (memcmp(txt, data + 8, n)) __builtin_trap();   /* bailing leaves the text as it was */
        free(txt);
        return;
    }
    /* names are unique in a valid header; the fast path leaves that to the model's index */
    int dup = 0;
    if (!full_ok) {
        /* the full parser refused: only a duplicate name may explain it */
        for (int i = 0; i < f.n && !dup; i++)
            for (int j = i + 1; j < f.n && !dup; j++) dup = !strcmp(txt + f.e[i].name, txt + f.e[j].name);
        if (!dup) __builtin_trap();
    } else {
        if (f.n != h->n || f.nmeta != h->nmeta) __builtin_trap();
        for (int i = 0; i < f.n; i++) {
            const ckpt_st_fent *a = &f.e[i];
            const ckpt_st_tensor *b = &h->t[i];
            if (strcmp(txt + a->name, b->name) || a->dtype != (uint8_t)b->dtype || a->ndim != b->ndim ||
                a->begin != b->begin || a->end != b->end || memcmp(f.dims + a->dim0, b->shape, (size_t)a->ndim * 8))
                __builtin_trap();
        }
        for (int i = 0; i < f.nmeta; i++)
            if (strcmp(f.meta_k[i], h->meta_k[i]) || strcmp(f.meta_v[i], h->meta_v[i])) __builtin_trap();
    }
    ckpt__st_fast_free(&f);
    free(txt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ckpt_err err;
    ckpt_err_clear(&err);
    ckpt_st_header h;
    int ok = ckpt__st_parse_buffer(data, size, "fuzz.safetensors", &h, &err) == CKPT_OK;
    if (ok) {
        /* a header that passed must describe a consistent file */
        uint64_t at = 0;
        for (int i = 0; i < h.n; i++) {
            if (h.t[i].begin != at) __builtin_trap();
            at = h.t[i].end;
        }
        if (h.data_start + at != size) __builtin_trap();
    }
    check_fast(data, size, &h, ok);
    if (ok) ckpt__st_header_free(&h);
    return 0;
}
