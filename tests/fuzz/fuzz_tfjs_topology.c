/* fuzz_tfjs_topology.c: the Keras config -> tf.keras translation behind
 * --to tfjs (tfjs_topology.c) on any JSON: policies, wrapped values,
 * regularizers, Keras 3 inbound nodes, nested models; the result printed. */
#include <stdint.h>
#include <stdlib.h>

#include "formats/tfjs_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 18) return 0;
    ckpt_err e;
    ckpt_err_clear(&e);
    cJSON *t = ckpt__tfjs_translate_config((const char *)data, size, &e);
    if (t) {
        char *s = cJSON_PrintUnformatted(t);
        free(s);
        cJSON_Delete(t);
    }
    return 0;
}
