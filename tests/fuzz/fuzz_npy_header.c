/* libFuzzer target: the .npy preamble and Python-literal header parser. */
#include <stddef.h>
#include <stdint.h>

#include "formats/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ckpt_err err;
    ckpt_err_clear(&err);
    uint64_t total = 0;
    if (ckpt__npy_preamble(data, size, &total, &err)) return 0;
    if (total > NPY_MAX_HEADER) __builtin_trap();
    npy_hdr h;
    ckpt_err_clear(&err);
    if (ckpt__npy_parse(data, size, &h, &err) == 0) {
        if (h.ndim < 0 || h.ndim > CKPT_MAX_DIMS || !h.dt || h.data_off != total || h.data_off > size) __builtin_trap();
        uint64_t ne = 1;
        for (int i = 0; i < h.ndim; i++) {
            if (h.shape[i] < 0) __builtin_trap();
            ne *= (uint64_t)h.shape[i];
        }
        if (ne * ckpt_dtype_size(h.dt) != h.nbytes) __builtin_trap();
    }
    return 0;
}
