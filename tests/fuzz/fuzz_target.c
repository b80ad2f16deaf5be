/* fuzz_target.c: the names/shapes list parser of `check --expect`
 * ("NAME [SHAPE] [DTYPE]" lines, or `ckpt ls --json`). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remap_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    ckpt_target *t = NULL;
    ckpt_err e;
    ckpt_err_clear(&e);
    if (ckpt__target_parse(text, "fuzz", &t, &e) == 0) {
        (void)ckpt_target_count(t);
        (void)ckpt_target_has(t, "a");
    }
    ckpt_target_free(t);
    free(text);
    return 0;
}
