/* libFuzzer target: the TF.js model.json manifest parser (groups, shard
 * path checks, weight specs, quantization) on JSON held in memory. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/fmt_tfjs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    ckpt_err err;
    ckpt_err_clear(&err);
    tfjs_manifest mf;
    if (ckpt__tfjs_parse_manifest(s, size, "fuzz/model.json", &mf, &err) == CKPT_OK) {
        /* what passed must be safe to lay out: paths relative, sizes consistent */
        for (int g = 0; g < mf.ng; g++)
            for (int j = 0; j < mf.g[g].npaths; j++) {
                const char *p = mf.g[g].paths[j];
                if (p[0] == '/' || !strncmp(p, "../", 3) || strstr(p, "/../")) __builtin_trap();
            }
        for (int i = 0; i < mf.nw; i++) {
            const tfjs_weight *w = &mf.w[i];
            if (w->ndim < 0 || w->ndim > CKPT_MAX_DIMS || w->group < 0 || w->group >= mf.ng) __builtin_trap();
            if (w->kind != TJ_STRING && w->stored != w->nelems * ckpt_dtype_size(w->stored_dt) * (w->kind == TJ_COMPLEX ? 2 : 1))
                __builtin_trap();
        }
        ckpt__tfjs_manifest_free(&mf);
    }
    free(s);
    return 0;
}
