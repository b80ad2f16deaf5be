/* libFuzzer target: hf:// and Hub web URL parsing. An accepted URL has a
 * valid repo id and a path that cannot leave the snapshot folder. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hub/hub_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    ckpt_err err;
    ckpt_err_clear(&err);
    hub_ref r;
    if (ckpt__hub_url_parse(s, &r, &err) == CKPT_OK) {
        if (!ckpt__hub_repo_id_ok(r.repo)) __builtin_trap();
        if (!r.path || (*r.path && !ckpt__hub_path_safe(r.path))) __builtin_trap();
        if (r.rev && (!*r.rev || strstr(r.rev, ".."))) __builtin_trap();
        char *u = ckpt__hub_file_url(&r, r.rev, r.path);
        /* what we print back parses again to the same ref */
        hub_ref r2;
        if (u && ckpt__hub_url_parse(u, &r2, &err) == CKPT_OK) {
            if (strcmp(r.repo, r2.repo) || strcmp(r.path, r2.path) || r.type != r2.type) __builtin_trap();
            ckpt__hub_ref_free(&r2);
        }
        free(u);
        ckpt__hub_ref_free(&r);
    }
    free(s);
    return 0;
}
