/* fuzz_regex.c: the public regex call the TUI filter uses (ckpt/regex.h):
 * the first line is the pattern (as typed), the rest a tensor name (from a
 * file nobody vouches for). Compiled with and without CKPT_REGEX_ICASE (the
 * flags-group merge); a match must lie inside the name and an error's
 * column inside the pattern. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/regex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 14) return 0;
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = 0;
    char *nl = memchr(buf, '\n', size);
    const char *name = "model.layers.0.self_attn.q_proj.weight";
    size_t nlen = strlen(name);
    if (nl) {
        *nl = 0;
        name = nl + 1;
        nlen = size - (size_t)(nl + 1 - buf);
    }
    size_t plen = strlen(buf);
    for (unsigned fl = 0; fl <= CKPT_REGEX_ICASE; fl++) {
        ckpt_regex *r = NULL;
        ckpt_err e;
        ckpt_err_clear(&e);
        if (ckpt_regex_compile(buf, fl, &r, &e)) {
            if (r || e.offset > plen) abort();
            continue;
        }
        size_t so = 0, eo = 0;
        if (ckpt_regex_search(r, name, nlen, &so, &eo) == 1 && (so > eo || eo > nlen)) abort();
        ckpt_regex_free(r);
    }
    free(buf);
    return 0;
}
