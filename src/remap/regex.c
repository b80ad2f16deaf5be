/* src/remap/regex.c: the public face of the rules' regex engine (rx.c),
 * so the TUI filter reads the same Python syntax as remap rules without
 * linking PCRE2 itself.
 *
 * Case-insensitive matching is Python's own spelling, a leading (?i): it
 * is merged into a leading flags group the pattern may have ("(?s)x"
 * becomes "(?is)x"), and rx.c then skips its case-sensitive literal
 * prefilters. Error columns are mapped back to the caller's pattern.
 */
#include <stdlib.h>
#include <string.h>

#include "ckpt/regex.h"
#include "internal.h"
#include "remap/rx.h"

struct ckpt_regex { ckpt_rx *rx; };

/* Length of a leading Python flags group "(?aiLmsux)" in p, else 0. */
static size_t flags_group(const char *p)
{
    if (p[0] != '(' || p[1] != '?') return 0;
    size_t k = 2;
    while (p[k] && strchr("aiLmsux", p[k])) k++;
    return k > 2 && p[k] == ')' ? k + 1 : 0;
}

int ckpt_regex_compile(const char *pat, unsigned flags, ckpt_regex **out, ckpt_err *err)
{
    CKPT__ERR_LOCAL(err);
    *out = NULL;
    if (!pat) return ckpt_err_set(err, CKPT_E_USAGE, "no pattern");
    char *own = NULL;
    size_t at = 0, added = 0;   /* `added` bytes inserted at column `at` */
    const char *p = pat;
    if (flags & CKPT_REGEX_ICASE) {
        size_t L = strlen(pat);
        if (!(own = malloc(L + 5))) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        if (flags_group(pat)) { /* "(?" "i" rest */
            memcpy(own, pat, 2);
            own[2] = 'i';
            memcpy(own + 3, pat + 2, L - 1);
            at = 2, added = 1;
        } else {
            memcpy(own, "(?i)", 4);
            memcpy(own + 4, pat, L + 1);
            added = 4;
        }
        p = own;
    }
    size_t col = 0;
    char why[256];
    ckpt_rx *rx = ckpt__rx_compile(p, &col, why, sizeof why);
    free(own);
    if (!rx) {
        if (col >= at + added) col -= added;
        else if (col > at) col = at;
        ckpt_err_set(err, CKPT_E_USAGE, "column %zu: %s", col + 1, why);
        ckpt_err_at_offset(err, col);
        return err->code;
    }
    ckpt_regex *r = malloc(sizeof *r);
    if (!r) {
        ckpt__rx_free(rx);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    r->rx = rx;
    *out = r;
    return CKPT_OK;
}

int ckpt_regex_search(const ckpt_regex *r, const char *s, size_t len, size_t *so, size_t *eo)
{
    ckpt_rx_span m;
    int rc = ckpt__rx_exec(r->rx, s, len, &m, 1);
    if (rc == 1) {
        *so = (size_t)m.so;
        *eo = (size_t)m.eo;
    }
    return rc;
}

void ckpt_regex_free(ckpt_regex *r)
{
    if (!r) return;
    ckpt__rx_free(r->rx);
    free(r);
}
