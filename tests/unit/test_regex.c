/* test_regex.c: the public regex call (ckpt/regex.h) the TUI filter uses:
 * Python syntax, case-insensitive matching merged into a leading flags
 * group, and error columns mapped back to the caller's pattern. Expected
 * spans and columns are Python 3's re.search / re.error.pos for the same
 * patterns (written out here). */
#include <string.h>

#include "ckpt/regex.h"
#include "check.h"

static int span(const char *pat, unsigned fl, const char *s, long so, long eo)
{
    ckpt_regex *r = NULL;
    if (ckpt_regex_compile(pat, fl, &r, NULL)) return 0;
    size_t a = 0, b = 0;
    int rc = ckpt_regex_search(r, s, strlen(s), &a, &b);
    ckpt_regex_free(r);
    if (so < 0) return rc == 0;
    return rc == 1 && (long)a == so && (long)b == eo;
}

static int err_col(const char *pat, unsigned fl, long col)
{
    ckpt_regex *r = NULL;
    ckpt_err e;
    ckpt_err_clear(&e);
    int rc = ckpt_regex_compile(pat, fl, &r, &e);
    ckpt_regex_free(r);
    char want[32];
    snprintf(want, sizeof want, "column %ld: ", col + 1);
    return rc == CKPT_E_USAGE && r == NULL && (long)e.offset == col && strncmp(e.msg, want, strlen(want)) == 0;
}

int main(void)
{
    CHECK("regex_noncapturing", span("(?:q|k)_proj", 0, "model.k_proj.weight", 6, 12));
    CHECK("regex_digits", span("layers\\.\\d+\\.", 0, "model.layers.17.mlp", 6, 16));
    CHECK("regex_lazy", span("^m.*?\\.", 0, "model.layers.1", 0, 6));
    CHECK("regex_named_backref", span("(?P<a>\\d)\\.(?P=a)", 0, "x.12.2.2", 3, 6));
    CHECK("regex_case_sensitive", span("Q_PROJ", 0, "model.q_proj", -1, -1));
    CHECK("regex_icase", span("Q_PROJ", CKPT_REGEX_ICASE, "model.q_proj", 6, 12));
    /* a literal prefilter must not defeat the case folding */
    CHECK("regex_icase_prefix", span("^MODEL\\.layers", CKPT_REGEX_ICASE, "model.Layers.0", 0, 12));
    CHECK("regex_icase_merged_flags", span("(?s)a.b", CKPT_REGEX_ICASE, "xA\nB", 1, 4));
    CHECK("regex_icase_ascii_flag", span("(?a)\\w+_PROJ", CKPT_REGEX_ICASE, "v_proj", 0, 6));
    CHECK("regex_err_unclosed", err_col("(?:q|k", 0, 0));
    CHECK("regex_err_unclosed_icase", err_col("(?:q|k", CKPT_REGEX_ICASE, 0));
    CHECK("regex_err_paren", err_col("a)b", CKPT_REGEX_ICASE, 1));
    CHECK("regex_err_paren_flags", err_col("(?s)a)", CKPT_REGEX_ICASE, 5));
    CHECK("regex_err_repeat_flags", err_col("(?x)x{2,1}", CKPT_REGEX_ICASE, 6));
    CHECK("regex_err_class", err_col("ab[c", 0, 2));
    CHECK("regex_null_err_ok", ckpt_regex_compile("(", 0, &(ckpt_regex *){NULL}, NULL) == CKPT_E_USAGE);
    return failures;
}
