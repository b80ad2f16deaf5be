/* fuzz_remap.c: the remap rules parser (Python-syntax translation to
 * PCRE2, error columns, literal prefilters, targets, operations) and name
 * mapping on what it accepts; then the same bytes as one regex straight
 * into the PCRE2 wrapper (src/remap/rx.c), matched against names with and
 * without the literal prefilters (which must agree). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ckpt/remap.h"
#include "remap/rx.h"

static const char *const names[] = {
    "model.layers.0.self_attn.q_proj.weight", "h.11.attn.c_attn.bias", "dense_1/kernel:0",
    "layers/lstm/cell/vars/2", "", "a", "transformer.wte.weight", "weight\n", "model.layers.0\n\n",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    ckpt_remap *r = NULL;
    ckpt_err e;
    ckpt_err_clear(&e);
    if (ckpt_remap_parse(text, "fuzz", &r, &e) == 0) {
        char out[512];
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) ckpt_remap_name(r, names[i], out, sizeof out);
        for (int i = 0; i < ckpt_remap_nrules(r); i++) (void)ckpt_remap_rule_text(r, i);
    }
    ckpt_remap_free(r);
    /* the same bytes as an inline rename */
    r = NULL;
    ckpt_err_clear(&e);
    if (ckpt_remap_add_rename(&r, text, &e) == 0) {
        char out[512];
        ckpt_remap_name(r, names[0], out, sizeof out);
    }
    ckpt_remap_free(r);
    /* the bytes as one pattern */
    if (size <= 1024) {
        size_t col = 0;
        char em[256];
        ckpt_rx *x = ckpt__rx_compile(text, &col, em, sizeof em);
        if (x) {
            ckpt_rx_span m[CKPT_RX_MAXGROUPS + 1], u[CKPT_RX_MAXGROUPS + 1];
            int nm = ckpt__rx_ngroups(x) < CKPT_RX_MAXGROUPS ? ckpt__rx_ngroups(x) + 1 : CKPT_RX_MAXGROUPS + 1;
            for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
                size_t len = strlen(names[i]);
                int a = ckpt__rx_exec(x, names[i], len, m, nm), b = ckpt__rx_exec_unfiltered(x, names[i], len, u, nm);
                /* the literal prefilters never reject what PCRE2 matches */
                if (a != b || (a == 1 && (m[0].so != u[0].so || m[0].eo != u[0].eo))) __builtin_trap();
            }
            ckpt__rx_free(x);
        } else if (col > size) {
            __builtin_trap();   /* an error column past the pattern */
        }
    }
    free(text);
    return 0;
}
