/* libFuzzer target: a sharded safetensors set's index.json parser, and its
 * fast path (st_fast.c) against it: what both accept has the same
 * weight_map in the same order; what only the fast path takes is refused
 * by the full parser for a check the caller makes after the fast path
 * (duplicate names, shard names, an empty map, the metadata's JSON). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/fmt_safetensors.h"
#include "formats/st_fast.h"

static void check_fast(const uint8_t *data, size_t size, const cJSON *root, const ckpt_err *err)
{
    if (memchr(data, 0, size) || !ckpt__utf8_valid((const char *)data, size)) return;
    char *txt = malloc(size ? size : 1);
    if (!txt) return;
    memcpy(txt, data, size);
    ckpt_st_findex x;
    if (ckpt__st_fast_index(txt, size, &x)) {
        if (memcmp(txt, data, size)) __builtin_trap();   /* bailing leaves the text as it was */
        free(txt);
        return;
    }
    if (root) {
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "weight_map")->child;
        for (int i = 0; i < x.n; i++, w = w->next)
            if (!w || strcmp(w->string, x.k[i]) || strcmp(w->valuestring, x.v[i])) __builtin_trap();
        if (w) __builtin_trap();
    } else if (!strstr(err->msg, "duplicate name") && !strstr(err->msg, "shard file name") &&
               !strstr(err->msg, "is empty") && !strstr(err->msg, "not valid JSON")) {
        __builtin_trap();
    }
    ckpt__st_fast_index_free(&x);
    free(txt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ckpt_err err;
    ckpt_err_clear(&err);
    cJSON *root = NULL;
    char **names;
    int n;
    if (ckpt__st_parse_index((const char *)data, size, "fuzz/model.safetensors.index.json", &root,
                             &names, &n, &err) == CKPT_OK) {
        for (int i = 0; i < n; i++) {
            /* shard names stay inside the index's directory */
            if (names[i][0] == '/' || !strncmp(names[i], "../", 3) || strstr(names[i], "/../") ||
                !strcmp(names[i], ".."))
                __builtin_trap();
            free(names[i]);
        }
        free(names);
    } else {
        root = NULL;
    }
    check_fast(data, size, root, &err);
    cJSON_Delete(root);
    return 0;
}
