/* src/remap/rx.c: PCRE2 for the remap rules: Python `re` syntax in, JIT
 * matching out, with literal prefilters so that 200 rules over 10,000
 * names cost about nothing (most rules are rejected by a memcmp).
 *
 * Why PCRE2: rules are pasted from Python converters (transformers,
 * KerasHub, gguf-py) and use (?:...), lazy quantifiers, \d, named groups,
 * back-references and \b; PCRE2 reads all of them as Python does, and its
 * JIT is faster than any translation to POSIX regcomp.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remap/rx.h"

#define RX_MATCH_LIMIT 2000000   /* backtracking steps per name: a bad rule cannot hang */
#define RX_JIT_AFTER 64          /* names a rule is interpreted on before it is JIT-compiled */

struct ckpt_rx {
    pcre2_code *code;        /* interpreted; never JIT-compiled, so threads may share it */
    pcre2_code *jcode;       /* a JIT-compiled copy once the rule is hot (rx_hot), or NULL */
    unsigned long runs;      /* names PCRE2 ran on, up to RX_JIT_AFTER */
    int nojit;               /* JIT compile failed: interpret for good */
    int ngroups;
    char *prefix;            /* every match starts the name with this, or NULL */
    size_t prefix_len;
    char *suffix;            /* every match ends the name with this (or this + '\n' after '$'), or NULL */
    size_t suffix_len;
    int suffix_nl;           /* '$', not \z: a final newline may follow the suffix */
    char *lit;               /* every match contains this, or NULL */
    size_t lit_len;
};

/* ---------------------------------------------------------------------- */
/* Python syntax -> PCRE2 syntax, with a column map back to the original   */

typedef struct xbuf { char *s; size_t *col; size_t n, cap; } xbuf;

static int xput(xbuf *b, const char *s, size_t k, size_t col)
{
    if (b->n + k + 1 > b->cap) {
        size_t nc = (b->n + k + 1) * 2 + 32;
        char *ns = realloc(b->s, nc);
        if (!ns) return -1;
        b->s = ns;
        size_t *ncol = realloc(b->col, nc * sizeof *ncol);
        if (!ncol) return -1;
        b->col = ncol;
        b->cap = nc;
    }
    for (size_t i = 0; i < k; i++) { b->s[b->n] = s[i]; b->col[b->n++] = col; }
    b->s[b->n] = 0;
    return 0;
}

typedef struct xlat { const char *p; size_t i; xbuf b; int ascii; size_t ecol; const char *emsg; } xlat;

static int xfail(xlat *t, size_t col, const char *msg) { t->ecol = col; t->emsg = msg; return -1; }

/* A leading global-flags group: Python's (?a) (ASCII \d \w \b) and (?u)
 * (the default) are not PCRE2 syntax; (?L) is for bytes patterns only. */
static int xlat_flags(xlat *t)
{
    const char *p = t->p;
    if (p[0] != '(' || p[1] != '?') return 0;
    size_t k = 2;
    while (p[k] && strchr("aiLmsux", p[k])) k++;
    if (k == 2 || p[k] != ')') return 0;
    char keep[16];
    size_t nk = 0;
    for (size_t i = 2; i < k && nk < sizeof keep - 1; i++) {
        if (p[i] == 'L') return xfail(t, i, "(?L) is for bytes patterns in Python; names are text");
        if (p[i] == 'a') t->ascii = 1;
        else if (p[i] != 'u') keep[nk++] = p[i];
    }
    if (nk) {
        if (xput(&t->b, "(?", 2, 0) || xput(&t->b, keep, nk, 2) || xput(&t->b, ")", 1, k)) return -2;
    }
    t->i = k + 1;
    return 0;
}

/* {,n} and {,}: Python reads {0,n} and {0,}; PCRE2 10.42 reads literal text. */
static size_t py_open_brace(const char *p)
{
    if (p[0] != '{' || p[1] != ',') return 0;
    size_t k = 2;
    while (p[k] >= '0' && p[k] <= '9') k++;
    return p[k] == '}' ? k + 1 : 0;
}

/* inside [...]: copy to the closing ']', refusing POSIX classes */
static int xlat_class(xlat *t)
{
    const char *p = t->p;
    size_t i = t->i, start = i;
    i++;
    if (p[i] == '^') i++;
    if (p[i] == ']') i++;                        /* a leading ']' is literal in both */
    for (; p[i] && p[i] != ']'; i++) {
        if (p[i] == '\\' && p[i + 1]) { i++; continue; }
        if (p[i] == '[' && (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=')) {
            const char *e = strchr(p + i + 2, p[i + 1]);
            if (e && e[1] == ']')
                return xfail(t, i, "POSIX class [:..:] is not Python re syntax (Python reads its characters); use \\w, \\d, \\s or a range such as [a-z]");
        }
    }
    if (!p[i]) return xfail(t, start, "unterminated character set [...]");
    for (size_t k = start; k <= i; k++)
        if (p[k] == '\\' && p[k + 1] == 'v') { if (xput(&t->b, "\\x0b", 4, k)) return -2; k++; }
        else if (xput(&t->b, p + k, 1, k)) return -2;
    t->i = i + 1;
    return 0;
}

static int xlat_escape(xlat *t)
{
    const char *p = t->p;
    size_t i = t->i;
    char e = p[i + 1];
    if (!e) return xfail(t, i, "trailing backslash");
    if (e == 'Q' || e == 'E') return xfail(t, i, "\\Q...\\E is not Python re syntax; escape each character (re.escape)");
    const char *rep = NULL;
    if (e == 'Z') rep = "\\z";                   /* Python \Z: the very end (PCRE2 \z) */
    else if (e == 'v') rep = "\\x0b";            /* Python \v: one vertical tab */
    if (rep) { if (xput(&t->b, rep, strlen(rep), i)) return -2; }
    else if (xput(&t->b, p + i, 2, i)) return -2;
    t->i = i + 2;
    return 0;
}

static int py_translate(xlat *t)
{
    int rc = xlat_flags(t);
    if (rc) return rc;
    const char *p = t->p;
    if (xput(&t->b, "", 0, 0)) return -2;
    while (p[t->i]) {
        size_t i = t->i, k;
        if (p[i] == '\\') rc = xlat_escape(t);
        else if (p[i] == '[') rc = xlat_class(t);
        else if ((k = py_open_brace(p + i))) {
            rc = xput(&t->b, "{0", 2, i) || xput(&t->b, p + i + 1, k - 1, i + 1) ? -2 : 0;
            t->i = i + k;
        } else {
            rc = xput(&t->b, p + i, 1, i) ? -2 : 0;
            t->i = i + 1;
        }
        if (rc) return rc;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* literal prefilters                                                      */

/* Constructs after which the literal reading below is not sure: flags
 * (case, extended), comments, verbs, top-level alternation. */
static int literals_unsafe(const char *s)
{
    int depth = 0, inbr = 0;
    for (const char *q = s; *q; q++) {
        if (inbr) { if (*q == '\\' && q[1]) q++; else if (*q == ']') inbr = 0; continue; }
        if (*q == '\\' && q[1]) { q++; continue; }
        if (*q == '[') { inbr = 1; if (q[1] == '^') q++; if (q[1] == ']') q++; continue; }
        if (*q == '|' && depth == 0) return 1;
        if (*q == '(' && q[1] == '*') return 1;
        if (*q == '(' && q[1] == '?' && (q[2] == '#' || q[2] == '-' || q[2] == '^' ||
                                         (((q[2] | 32) >= 'a' && (q[2] | 32) <= 'z') && q[2] != 'P')))
            return 1;
        if (*q == '(') depth++;
        if (*q == ')') depth--;
    }
    return 0;
}

/* Length of one token at s: a literal (plain byte, a whole UTF-8
 * character, or escaped punctuation; *lit set, its bytes in *lb and *ll) or
 * anything else, skipped whole where it matters: classes, escapes with
 * arguments (\x{41}, \p{L}, \g<1>), hex and octal digits. */
static size_t token(const char *s, int *lit, const char **lb, size_t *ll)
{
    *lit = 0;
    unsigned char c = (unsigned char)s[0];
    if (c == '\\') {
        unsigned char e = (unsigned char)s[1];
        if (!e) return 1;
        if (e >= 0x80 || !((e | 32) >= 'a' && (e | 32) <= 'z') ) {
            if (e >= '0' && e <= '9') { size_t k = 1; while (s[k] >= '0' && s[k] <= '9') k++; return k; }
            *lit = 1; *lb = s + 1; *ll = 1;
            return 2;
        }
        size_t k = 2;
        if (e == 'c' && s[2]) return 3;
        if (s[k] == '{' || s[k] == '<' || s[k] == '\'') {
            char close = s[k] == '{' ? '}' : s[k] == '<' ? '>' : '\'';
            while (s[k] && s[k] != close) k++;
            return s[k] ? k + 1 : k;
        }
        while ((s[k] >= '0' && s[k] <= '9') || ((s[k] | 32) >= 'a' && (s[k] | 32) <= 'f')) k++;
        return k;
    }
    if (c == '[') {
        size_t k = 1;
        if (s[k] == '^') k++;
        if (s[k] == ']') k++;
        while (s[k] && s[k] != ']') { if (s[k] == '\\' && s[k + 1]) k++; k++; }
        return s[k] ? k + 1 : k;
    }
    if (c == '{') {                              /* a whole {m,n}: its digits are no literal */
        size_t k = 1;
        while ((s[k] >= '0' && s[k] <= '9') || s[k] == ',') k++;
        return s[k] == '}' ? k + 1 : 1;
    }
    if (strchr(".()*+?}|^$", c)) return 1;
    size_t k = 1;
    if (c >= 0x80) while (((unsigned char)s[k] & 0xC0) == 0x80) k++;
    *lit = 1; *lb = s; *ll = k;
    return k;
}

static int is_quant(char c) { return c == '*' || c == '?' || c == '{' || c == '+'; }

/* a token (k bytes at s) that anchors the end: '$' (end, or before a final
 * newline: the newline convention is LF, as Python's) or \z (the very end) */
static int is_end_anchor(const char *s, size_t k)
{
    return (k == 1 && s[0] == '$') || (k == 2 && s[0] == '\\' && s[1] == 'z');
}

/* The anchored literal prefix (after '^' or \A), the literal run just
 * before a final '$' or \z (the suffix), and the longest literal run
 * outside any group; a quantified literal is not required ('+' keeps it
 * but ends the run). Computed on the PCRE2 form of the pattern. */
static int rx_literals(ckpt_rx *x, const char *s)
{
    if (literals_unsafe(s)) return 0;
    char *run = malloc(strlen(s) + 1), *best = malloc(strlen(s) + 1);
    if (!run || !best) { free(run); free(best); return -1; }
    size_t rn = 0, bn = 0, pos = 0;
    int depth = 0, at_start = 0;
    if (s[0] == '^') pos = 1, at_start = 1;
    else if (s[0] == '\\' && s[1] == 'A') pos = 2, at_start = 1;
    while (s[pos]) {
        int lit;
        const char *lb = NULL;
        size_t ll = 0, k = token(s + pos, &lit, &lb, &ll);
        char nx = s[pos + k];
        if (s[pos] == '(') depth++;
        else if (s[pos] == ')') depth--;
        int keep = lit && depth == 0 && nx != '*' && nx != '?' && nx != '{';
        if (depth == 0 && !nx && is_end_anchor(s + pos, k)) {   /* the run just before a final $ or \z */
            if (rn && !(x->suffix = strndup(run, rn))) goto nomem;
            x->suffix_len = rn;
            x->suffix_nl = s[pos] == '$';
        }
        if (keep) { memcpy(run + rn, lb, ll); rn += ll; }
        if (!keep || (nx && is_quant(nx))) {
            if (at_start) {
                if (rn && !(x->prefix = strndup(run, rn))) goto nomem;
                x->prefix_len = rn;
                at_start = 0;
            }
            if (rn > bn) { memcpy(best, run, rn); bn = rn; }
            rn = 0;
        }
        pos += k;
    }
    if (at_start && rn) {
        if (!(x->prefix = strndup(run, rn))) goto nomem;
        x->prefix_len = rn;
    }
    if (rn > bn) { memcpy(best, run, rn); bn = rn; }
    if (bn > x->prefix_len && bn >= 2 && !(x->lit = strndup(best, bn))) goto nomem;
    x->lit_len = x->lit ? bn : 0;
    if (x->lit && x->suffix && x->lit_len == x->suffix_len && !memcmp(x->lit, x->suffix, bn)) {
        free(x->lit);   /* the suffix test says more, for less */
        x->lit = NULL;
        x->lit_len = 0;
    }
    free(run); free(best);
    return 0;
nomem:
    free(run); free(best);
    return -1;
}

/* ---------------------------------------------------------------------- */
/* compile                                                                 */

/* Offset of the first '(' left open in p, or len. */
static size_t unclosed_paren(const char *p, size_t len)
{
    size_t first = len;
    int sp = 0, inbr = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '\\' && p[i + 1]) { i++; continue; }
        if (inbr) { if (p[i] == ']') inbr = 0; continue; }
        if (p[i] == '[') { inbr = 1; if (p[i + 1] == '^') i++; if (p[i + 1] == ']') i++; continue; }
        if (p[i] == '(' && sp++ == 0) first = i;
        if (p[i] == ')' && sp > 0) sp--;
    }
    return sp > 0 ? first : len;
}

/* PCRE2 reports where it noticed an error; point where Python's re.error
 * does instead: the unclosed '(', the start of a bad group name, the
 * first number of a bad {m,n}. */
static size_t error_offset(int code, const char *p, size_t len, size_t off)
{
    if (off > len) off = len;
    switch (code) {
    case PCRE2_ERROR_MISSING_CLOSING_PARENTHESIS:
        return unclosed_paren(p, len);
    case PCRE2_ERROR_DUPLICATE_SUBPATTERN_NAME:
    case PCRE2_ERROR_SUBPATTERN_NAME_TOO_LONG:
        if (off > 0 && (p[off - 1] == '>' || p[off - 1] == '\'')) off--;
        while (off > 0 && (p[off - 1] == '_' || (p[off - 1] >= '0' && p[off - 1] <= '9') ||
                           ((p[off - 1] | 32) >= 'a' && (p[off - 1] | 32) <= 'z')))
            off--;
        return off;
    case PCRE2_ERROR_QUANTIFIER_OUT_OF_ORDER:
    case PCRE2_ERROR_QUANTIFIER_TOO_BIG:
        while (off > 0 && p[off] != '{') off--;
        return p[off] == '{' ? off + 1 : off;
    }
    return off;
}

static ckpt_rx *rx_fail(ckpt_rx *x, xlat *t, size_t *ecol, char *emsg, size_t n, size_t col, const char *msg)
{
    *ecol = col;
    snprintf(emsg, n, "%s", msg);
    ckpt__rx_free(x);
    free(t->b.s);
    free(t->b.col);
    return NULL;
}

ckpt_rx *ckpt__rx_compile(const char *pat, size_t *ecol, char *emsg, size_t n)
{
    xlat t = {.p = pat};
    ckpt_rx *x = calloc(1, sizeof *x);
    if (!x) return rx_fail(NULL, &t, ecol, emsg, n, 0, "out of memory");
    int rc = py_translate(&t);
    if (rc == -2) return rx_fail(x, &t, ecol, emsg, n, 0, "out of memory");
    if (rc) return rx_fail(x, &t, ecol, emsg, n, t.ecol, t.emsg);
    /* UTF + UCP: \d \w \b \s over Unicode, as Python's str patterns; a name
     * that is not valid UTF-8 still matches where it can */
    uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | (t.ascii ? 0 : PCRE2_UCP);
    int code;
    PCRE2_SIZE off;
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    if (!cc) return rx_fail(x, &t, ecol, emsg, n, 0, "out of memory");
    pcre2_set_newline(cc, PCRE2_NEWLINE_LF);   /* '$' before a final "\n" only, as in Python */
    x->code = pcre2_compile((PCRE2_SPTR)t.b.s, t.b.n, opts, &code, &off, cc);
    pcre2_compile_context_free(cc);
    if (!x->code) {
        char m[256];
        pcre2_get_error_message(code, (PCRE2_UCHAR *)m, sizeof m);
        off = error_offset(code, t.b.s, t.b.n, off);
        size_t col = off < t.b.n ? t.b.col[off] : strlen(pat);   /* at the end: one past the last column */
        return rx_fail(x, &t, ecol, emsg, n, col, m);
    }
    uint32_t ng = 0;
    pcre2_pattern_info(x->code, PCRE2_INFO_CAPTURECOUNT, &ng);
    x->ngroups = (int)ng;
    if (rx_literals(x, t.b.s)) return rx_fail(x, &t, ecol, emsg, n, 0, "out of memory");
    free(t.b.s);
    free(t.b.col);
    return x;
}

void ckpt__rx_free(ckpt_rx *x)
{
    if (!x) return;
    pcre2_code_free(x->code);
    pcre2_code_free(x->jcode);
    free(x->prefix);
    free(x->suffix);
    free(x->lit);
    free(x);
}

const char *ckpt__rx_prefix(const ckpt_rx *x, size_t *len)
{
    *len = x ? x->prefix_len : 0;
    return x ? x->prefix : NULL;
}

int ckpt__rx_ngroups(const ckpt_rx *x) { return x ? x->ngroups : 0; }

int ckpt__rx_group_number(const ckpt_rx *x, const char *name, size_t len)
{
    char nm[64];
    if (!x || len == 0 || len >= sizeof nm) return -1;
    memcpy(nm, name, len);
    nm[len] = 0;
    int g = pcre2_substring_number_from_name(x->code, (PCRE2_SPTR)nm);
    return g > 0 ? g : -1;
}

/* ---------------------------------------------------------------------- */
/* match: one match-data block and match context per thread                */

typedef struct rx_tls { pcre2_match_data *md; pcre2_match_context *mc; } rx_tls;

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void tls_free(void *p)
{
    rx_tls *t = p;
    pcre2_match_data_free(t->md);
    pcre2_match_context_free(t->mc);
    free(t);
}

static void tls_init(void) { (void)pthread_key_create(&tls_key, tls_free); }

static rx_tls *tls_get(void)
{
    pthread_once(&tls_once, tls_init);
    rx_tls *t = pthread_getspecific(tls_key);
    if (t) return t;
    t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->md = pcre2_match_data_create(CKPT_RX_MAXGROUPS + 1, NULL);
    t->mc = pcre2_match_context_create(NULL);
    if (!t->md || !t->mc || pthread_setspecific(tls_key, t)) { tls_free(t); return NULL; }
    pcre2_set_match_limit(t->mc, RX_MATCH_LIMIT);
    return t;
}

/* JIT when hot. Compiling costs about 15-30 us a pattern, an interpreted
 * match of a tensor name about 0.3 us: a rule that PCRE2 runs on a few
 * names (one per layer: most of them) is cheaper interpreted, one that
 * runs on thousands is JIT-compiled on its RX_JIT_AFTER-th name. The JIT
 * code is a copy published once complete, so threads sharing x never see
 * a half-built one; two threads racing to publish keep one. */
static const pcre2_code *rx_hot(const ckpt_rx *cx, int now)
{
    ckpt_rx *x = (ckpt_rx *)cx;
    pcre2_code *j = __atomic_load_n(&x->jcode, __ATOMIC_ACQUIRE);
    if (j || __atomic_load_n(&x->nojit, __ATOMIC_RELAXED)) return j;
    if (!now && __atomic_add_fetch(&x->runs, 1, __ATOMIC_RELAXED) != RX_JIT_AFTER) return NULL;
    pcre2_code *c = pcre2_code_copy(x->code);
    if (!c || pcre2_jit_compile(c, PCRE2_JIT_COMPLETE)) {
        pcre2_code_free(c);
        __atomic_store_n(&x->nojit, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    pcre2_code *none = NULL;
    if (!__atomic_compare_exchange_n(&x->jcode, &none, c, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        pcre2_code_free(c);
        return none;
    }
    return c;
}

static int is_limit(int rc)
{
    return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT;
}

/* Whether s[0..len) can hold a match at all, by the literals every match has. */
static int rx_may_match(const ckpt_rx *x, const char *s, size_t len)
{
    if (x->prefix && (len < x->prefix_len || memcmp(s, x->prefix, x->prefix_len))) return 0;
    if (x->suffix) {
        size_t e = len;
        if (x->suffix_nl && e && s[e - 1] == '\n' &&
            !(e >= x->suffix_len && !memcmp(s + e - x->suffix_len, x->suffix, x->suffix_len)))
            e--;   /* '$' also matches before a final newline */
        if (e < x->suffix_len || memcmp(s + e - x->suffix_len, x->suffix, x->suffix_len)) return 0;
    }
    if (x->lit && !memmem(s, len, x->lit, x->lit_len)) return 0;
    return 1;
}

int ckpt__rx_exec_unfiltered(const ckpt_rx *x, const char *s, size_t len, ckpt_rx_span *m, int nm)
{
    rx_tls *t = tls_get();
    if (!t) return -1;
    const pcre2_code *j = rx_hot(x, 0);
    int rc = j ? pcre2_jit_match(j, (PCRE2_SPTR)s, len, 0, 0, t->md, t->mc)
               : pcre2_match(x->code, (PCRE2_SPTR)s, len, 0, 0, t->md, t->mc);
    /* the interpreter's limits are not the JIT's: where it gives up, the
     * JIT decides, as it would have with the rule hot from the start */
    if (!j && is_limit(rc) && (j = rx_hot(x, 1)))
        rc = pcre2_jit_match(j, (PCRE2_SPTR)s, len, 0, 0, t->md, t->mc);
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    if (rc < 0) return -1;
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(t->md);
    int have = rc == 0 ? CKPT_RX_MAXGROUPS + 1 : rc;   /* 0: more groups than the block holds */
    for (int i = 0; i < nm; i++) {
        if (i < have && ov[2 * i] != PCRE2_UNSET) { m[i].so = (long)ov[2 * i]; m[i].eo = (long)ov[2 * i + 1]; }
        else m[i].so = m[i].eo = -1;
    }
    return 1;
}

int ckpt__rx_exec(const ckpt_rx *x, const char *s, size_t len, ckpt_rx_span *m, int nm)
{
    return rx_may_match(x, s, len) ? ckpt__rx_exec_unfiltered(x, s, len, m, nm) : 0;
}
