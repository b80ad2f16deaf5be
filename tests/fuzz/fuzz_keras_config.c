/* fuzz_keras_config.c: the Keras config walker (keras_config.c) on any
 * JSON: layer list, nesting, inbound nodes, Keras 3 path naming, weight
 * tables and shape inference, then the snake_case / class helpers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/keras.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 18) return 0;
    kc_model km;
    ckpt_err e;
    ckpt_err_clear(&e);
    if (ckpt__kc_parse((const char *)data, size, &km, &e) == 0) {
        char b[256];
        for (int i = 0; i < km.n; i++) {
            const kc_layer *L = &km.L[i];
            ckpt__kc_shape_str(L->out_ndim, L->out_shape, b, sizeof b);
            ckpt__kc_snake(L->cls, b, sizeof b);
            (void)ckpt__kc_class_from_seg(L->k3path ? L->k3path : L->name);
            (void)ckpt__kc_find(&km, L->name, L->parent);
        }
        ckpt__kc_shape_str(km.in_ndim, km.in_shape, b, sizeof b);
        ckpt__kc_free(&km);
    }
    return 0;
}
