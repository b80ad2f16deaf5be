/* libFuzzer target: a sharded safetensors set's index.json parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/fmt_safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ckpt_err err;
    ckpt_err_clear(&err);
    cJSON *root;
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
        cJSON_Delete(root);
    }
    return 0;
}
