/* libFuzzer target: the generic check on names and shapes taken
 * from the input: bad-name detection and escaping (control bytes, broken
 * UTF-8, paths), duplicate names, and the optimizer-slot analysis behind
 * the lost-weights finding. Input: records "FLAGS NDIM DIMS... NAME\0". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    ckpt_model *m = calloc(1, sizeof *m);
    if (!m) return 0;
    m->path = strdup("fuzz");
    ckpt_err err;
    ckpt_err_clear(&err);
    size_t i = 0;
    while (i + 2 <= size && m->ntensors < 512) {
        unsigned flags = data[i] & 1, nd = data[i + 1] % 5;
        i += 2;
        int64_t shape[CKPT_MAX_DIMS] = {0};
        for (unsigned d = 0; d < nd && i < size; d++) shape[d] = data[i++] % 9;
        const uint8_t *z = i < size ? memchr(data + i, 0, size - i) : NULL;
        size_t len = z ? (size_t)(z - (data + i)) : size - i;
        char *name = strndup((const char *)data + i, len);
        i += len + 1;
        if (!name) break;
        int t = ckpt__model_add_tensor(m, name, NULL, CKPT_F32, (int)nd, shape, -1, CKPT_NO_OFFSET, &err);
        free(name);
        if (t < 0) break;
        if (flags) m->tensors[t].flags |= CKPT_TF_OPTIMIZER;
    }
    ckpt_findings f = {0};
    ckpt_err_clear(&err);
    if (ckpt_check(m, &f, &err) == 0)
        for (int k = 0; k < f.n; k++) {
            /* what a finding says is one printable line */
            for (const char *p = f.v[k].message; *p; p++)
                if ((unsigned char)*p < 0x20) __builtin_trap();
            if (!ckpt__utf8_valid(f.v[k].message, strlen(f.v[k].message))) __builtin_trap();
        }
    ckpt_findings_free(&f);
    ckpt_close(m);
    return 0;
}
