/* libFuzzer target: a TF.js graph model's topology (model.json) converted
 * to TensorFlow messages (pbjson.c, tf_graph.c), fused ops split
 * (tf_compat.c), the signature converted and everything packed. A packed
 * GraphDef must decode again with the same node count. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "export/pbjson.h"
#include "export/tf_graph.h"
#include "tensorflow/core/protobuf/meta_graph.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    ckpt_err err;
    ckpt_err_clear(&err);
    tf_graph g;
    memset(&g, 0, sizeof g);
    ckpt_plan plan = {0};
    int rc = ckpt__tfg_parse(&g, s, size, "fuzz/model.json", &err);
    if (!rc) g.node_of = calloc(1, sizeof *g.node_of);
    if (!rc && size && (data[0] & 1)) rc = ckpt__tfg_compat(&g, "tflite", &err);
    if (!rc) rc = ckpt__tfg_pack(&g, &plan, &err);
    if (!rc) {
        Tensorflow__GraphDef *gd = tensorflow__graph_def__unpack(NULL, g.bodylen, g.body);
        if (!gd || (int)gd->n_node != g.nnode) __builtin_trap();
        tensorflow__graph_def__free_unpacked(gd, NULL);
        const cJSON *sig = cJSON_GetObjectItemCaseSensitive(g.root, "signature");
        ckpt_err_clear(&err);
        ProtobufCMessage *m = ckpt__pbjson_new(&tensorflow__signature_def__descriptor, cJSON_IsObject(sig) ? sig : NULL,
                                               "signature", &err);
        if (m) protobuf_c_message_free_unpacked(m, NULL);
    }
    ckpt__tfg_free(&g);
    free(s);
    return 0;
}
