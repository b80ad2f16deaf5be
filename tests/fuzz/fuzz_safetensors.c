/* libFuzzer target: the safetensors length prefix and header parser on a
 * whole file held in memory (the data buffer is checked for size only). */
#include <stddef.h>
#include <stdint.h>

#include "formats/fmt_safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ckpt_err err;
    ckpt_err_clear(&err);
    ckpt_st_header h;
    if (ckpt__st_parse_buffer(data, size, "fuzz.safetensors", &h, &err) == CKPT_OK) {
        /* a header that passed must describe a consistent file */
        uint64_t at = 0;
        for (int i = 0; i < h.n; i++) {
            if (h.t[i].begin != at) __builtin_trap();
            at = h.t[i].end;
        }
        if (h.data_start + at != size) __builtin_trap();
        ckpt__st_header_free(&h);
    }
    return 0;
}
