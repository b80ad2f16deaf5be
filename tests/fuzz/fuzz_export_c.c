/* fuzz_export_c.c: `--to c` on any Keras config JSON: the layer-graph walk
 * (kgraph.c, klayers.c: shapes, options, inbound nodes, shared layers) and,
 * when it builds, the whole C emission (runtime selection, layer functions,
 * predict, header) into a temporary folder. The model has no tensors, so
 * weighted layers meet the missing-weight path; weightless graphs (pooling,
 * reshapes, merges, padding) are written in full. The progress callback
 * cancels at the commit, so nothing is left behind. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static int cancel_at_commit(void *ud, const ckpt_progress *p)
{
    (void)ud;
    return p->phase && !strcmp(p->phase, "commit");
}

static char dir[64];
static void rm_dir(void) { rmdir(dir); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fuzz_export_c.XXXXXX");
        if (!mkdtemp(dir)) abort();
        atexit(rm_dir);
    }
    if (size > 1 << 18) return 0;
    ckpt_model *m = calloc(1, sizeof *m);
    char *json = malloc(size + 1);
    ckpt_err e;
    ckpt_err_clear(&e);
    if (!m || !json) abort();
    memcpy(json, data, size);
    json[size] = 0;
    m->path = strdup("fuzz.json");
    m->sep = '/';
    if (ckpt__model_set_config(m, json, &e) == 0) {
        char out[128];
        snprintf(out, sizeof out, "%s/m.c", dir);
        const char *kv[] = {size % 2 ? "weights=file" : "weights=embed"};
        ckpt_convert_opts o = {.to = "c", .out = out, .kv = kv, .nkv = 1, .progress = cancel_at_commit};
        ckpt_convert(m, &o, NULL, &e);
    }
    free(json);
    ckpt_close(m);
    return 0;
}
