/* libFuzzer target: the Hub's tree listing JSON (what GET
 * /api/models/{repo}/tree/{rev} answers). Anything accepted must be safe to
 * use as cache paths and carry well-formed hashes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hub/hub_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ckpt_err err;
    ckpt_err_clear(&err);
    ckpt_hub_listing *l = calloc(1, sizeof *l);
    if (!l) return 0;
    if (ckpt__hub_parse_tree((const char *)data, size, l, &err) == CKPT_OK) {
        for (int i = 0; i < l->nfiles; i++) {
            const ckpt_hub_file *f = &l->files[i];
            if (!ckpt__hub_path_safe(f->path)) __builtin_trap();
            if (strstr(f->path, "..") && (!strncmp(f->path, "../", 3) || strstr(f->path, "/../"))) __builtin_trap();
            if (!f->is_dir && (!f->oid || strlen(f->oid) != 40)) __builtin_trap();
            if (f->lfs_sha256 && strlen(f->lfs_sha256) != 64) __builtin_trap();
        }
    } else if (!err.code) {
        __builtin_trap();  /* a failure must say why */
    }
    ckpt_hub_listing_free(l);
    return 0;
}
