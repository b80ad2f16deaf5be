/* fuzz_kgraph.c: the code exporters' layer graph (kgraph.c, klayers.c) on
 * any Keras config JSON: Sequential and functional walks, Keras 3 inbound
 * nodes, every layer builder's options and shape inference, weight lookup
 * against a small fixed set of tensors ("d/kernel" [4, 4], ...). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "export/kgraph.h"

static int64_t dims[16][2];   /* the shapes the tensors point to */
static int ndims;

static ckpt_tensor tensor(const char *name, int ndim, int64_t a, int64_t b)
{
    int64_t *d = dims[ndims++ % 16];
    d[0] = a;
    d[1] = b;
    ckpt_tensor t = {.name = name, .src_name = name, .dtype = CKPT_F32, .ndim = ndim, .shape = d};
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 18) return 0;
    char *js = malloc(size + 1);
    if (!js) return 0;
    memcpy(js, data, size);
    js[size] = 0;
    ndims = 0;
    ckpt_tensor ts[] = {
        tensor("d/kernel", 2, 4, 4), tensor("d/bias", 1, 4, 0), tensor("r/kernel", 2, 4, 16),
        tensor("r/recurrent_kernel", 2, 4, 16), tensor("r/bias", 1, 16, 0), tensor("e/embeddings", 2, 10, 4),
        tensor("n/gamma", 1, 4, 0), tensor("n/beta", 1, 4, 0), tensor("n/moving_mean", 1, 4, 0),
        tensor("n/moving_variance", 1, 4, 0),
    };
    ckpt_model m;
    memset(&m, 0, sizeof m);
    m.config_json = js;
    m.tensors = ts;
    m.ntensors = (int)(sizeof ts / sizeof *ts);
    kg_graph g;
    ckpt_err e;
    ckpt_err_clear(&e);
    if (ckpt__kg_build(&m, &g, &e) == 0) ckpt__kg_free(&g);
    free(js);
    return 0;
}
