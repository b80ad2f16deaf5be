/* fuzz_kerashub.c: what the KerasHub exporter and scaffold read from a
 * Hugging Face repo: tokenizer.json (BPE vocab, merges, added tokens) and
 * config.json (each family's sizes, layout, backbone and tokenizer config;
 * the scaffold's analysis and template values). Any JSON, any types. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "export/kerashub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    ckpt_err e;
    ckpt_err_clear(&e);
    char *voc = NULL, *mer = NULL;
    cJSON *sp = NULL;
    if (!ckpt__kh_bpe_from_tokenizer_json(text, size, "tokenizer.json", 1, &voc, &mer, &sp, &e)) {
        free(voc);
        free(mer);
    }
    cJSON *c = cJSON_Parse(text);
    for (int i = 0; c && i < ckpt__kh_family_count(); i++) {
        const kh_family *f = ckpt__kh_family_at(i);
        kh_dims d;
        char why[256];
        if (ckpt__kh_dims_from(f, c, &d, why, sizeof why)) continue;
        kh_var *v = NULL;
        int n = 0;
        ckpt_err_clear(&e);
        if (!ckpt__kh_layout(f, &d, &v, &n, &e)) ckpt__kh_layout_free(v, n);
        free(ckpt__kh_backbone_config(f, c, &d, "float32"));
        free(ckpt__kh_tokenizer_config(f, c, sp));
    }
    ckpt__kh_family_for(c, 0);
    ckpt__kh_family_for(c, 1);
    cJSON_Delete(c);
    cJSON_Delete(sp);
    ckpt__scaffold_dry(text);
    free(text);
    return 0;
}
