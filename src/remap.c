/* src/remap.c: the remap rules language: parsing, regex translation, name
 * mapping, and rewriting a conversion plan (renames, drops, transforms).
 *
 * A rules text has one rule a line, '#' starts a comment:
 *
 *   [?] REGEX -> NAME [| OP]...          rename (sed-like: the first match of
 *                                         REGEX in the name is replaced by NAME,
 *                                         $1..$9 / ${N} capture groups, $0 the match)
 *   [?] REGEX -> drop                     drop the tensor
 *   [?] REGEX -> @NAMING                  the whole name becomes the input format's
 *                                         name for the tensor under NAMING (@keras3:
 *                                         the Keras 3 path from the model config);
 *                                         no such name: the rule does not apply
 *   [?] REGEX -> NAME1, NAME2.. | split(AXIS[, SIZE..]) [| OP]..
 *                                         split along AXIS into several tensors
 *   set NAME = VALUE                      value for {NAME} in shapes
 *
 * OP: transpose | transpose(A, B, ..) | reshape(D, ..) | split(..) | cast(DTYPE)
 * D: an integer, -1 (inferred), or {KEY} / {KEY|KEY2|N}: a number from a
 * `set` line or from the model's Hugging Face config.json.
 *
 * Rules run top to bottom and each sees the name the rules above it left
 * (like a sed script); a drop ends the chain; after a split each piece goes
 * on through the remaining rules. A leading '?' marks a rule optional: it is
 * not reported when it matches nothing.
 *
 * Regexes are POSIX extended (regcomp). Perl shorthands are translated:
 * \d [0-9], \w [[:alnum:]_], \s [[:space:]] (and \D \W \S); (?:...) and lazy
 * quantifiers are rejected with their column.
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "remap_int.h"

#define RULE_MAX_TARGETS 16
#define RULE_MAX_OPS 16
#define PAT_MAX 1024          /* tensor-name regexes are short; bounds regcomp work */
#define PAT_MAX_OPS 64        /* groups and quantifiers per regex */

enum op_kind { OP_TRANSPOSE, OP_RESHAPE, OP_SPLIT, OP_CAST };

typedef struct dimx {          /* one dimension in reshape/split */
    int64_t v;                 /* literal, or -1 */
    char *var;                 /* "{a|b}" contents when not literal */
    int col;
} dimx;

typedef struct rop {
    enum op_kind k;
    int col;
    int naxes;                 /* transpose: 0 = reverse */
    int axes[CKPT_MAX_DIMS];
    dimx dims[CKPT_MAX_DIMS + RULE_MAX_TARGETS]; /* reshape dims; split sizes */
    int ndims;
    int axis;                  /* split */
    ckpt_dtype dt;             /* cast */
} rop;

typedef struct rule {
    char *text;                /* the line, trimmed */
    char *origin;              /* file or preset it came from */
    int line, col;             /* where the regex starts */
    int optional;
    regex_t re;
    int re_ok;
    size_t nsub;
    char *prefix;              /* literal every match starts with (anchored), or NULL */
    size_t prefix_len;
    char *lit;                 /* literal every match contains, or NULL */
    int drop;
    char *targets[RULE_MAX_TARGETS];
    int ntargets;
    rop *ops;                  /* allocated as parsed: most rules have none (a rop is ~600 bytes) */
    int nops;
    size_t skip;               /* `re` matches the name after this many bytes (the anchored prefix) */
    char *suffix;              /* and before this literal (the anchored suffix), or NULL */
    size_t suffix_len;
    int split;                 /* index of the split op, -1 */
    unsigned long hits;
    char *as_naming;           /* "-> @keras3": the input format's name for the tensor */
    unsigned long nonames;     /* tensors the format had no such name for (last apply) */
} rule;

struct ckpt_remap {
    char *origin;
    rule *r;
    int n, cap;
    char **vk, **vv;
    int nv;
};

/* ---------------------------------------------------------------------- */
/* errors                                                                  */

static int perr(ckpt_err *err, const char *origin, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int perr(ckpt_err *err, const char *origin, int line, int col, const char *fmt, ...)
{
    char m[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return ckpt_err_set(err, CKPT_E_FORMAT, "%s:%d:%d: %s", origin, line, col, m);
}

/* ---------------------------------------------------------------------- */
/* regex translation (Perl shorthands -> POSIX ERE), with column mapping   */

typedef struct tbuf { char *s; int *col; size_t n, cap; } tbuf;

static int tput(tbuf *b, const char *s, int col)
{
    size_t k = strlen(s);
    if (b->n + k + 1 > b->cap) {
        size_t nc = (b->n + k + 1) * 2;
        char *ns = realloc(b->s, nc);
        if (!ns) return -1;
        b->s = ns;
        int *nc2 = realloc(b->col, nc * sizeof(int));
        if (!nc2) return -1;
        b->col = nc2;
        b->cap = nc;
    }
    for (size_t i = 0; i < k; i++) { b->s[b->n] = s[i]; b->col[b->n] = col; b->n++; }
    b->s[b->n] = 0;
    return 0;
}

/* Translate pattern `p` (starting at column `col0`); on error returns -1
 * with *ecol and emsg set. */
static int translate(const char *p, int col0, tbuf *b, int *ecol, const char **emsg)
{
    int inbr = 0;      /* inside [...] */
    int depth = 0, nops = 0;
    size_t brstart = 0;
    char one[2] = {0, 0};
    if (tput(b, "", col0) < 0) goto nomem;
    for (size_t i = 0; p[i]; i++) {
        int col = col0 + (int)i;
        char c = p[i];
        if (inbr) {
            if (c == ']' && i > brstart) { inbr = 0; one[0] = c; if (tput(b, one, col)) goto nomem; continue; }
            if (c == '[' && (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=')) {
                /* [:class:] copied whole */
                char close = p[i + 1];
                size_t j = i + 2;
                while (p[j] && !(p[j] == close && p[j + 1] == ']')) j++;
                if (!p[j]) { *ecol = col; *emsg = "unterminated character class"; return -1; }
                for (size_t k = i; k <= j + 1; k++) { one[0] = p[k]; if (tput(b, one, col0 + (int)k)) goto nomem; }
                i = j + 1;
                continue;
            }
            if (c == '\\' && p[i + 1]) {
                char e = p[++i];
                const char *rep = NULL;
                if (e == 'd') rep = "0-9";
                else if (e == 'w') rep = "[:alnum:]_";
                else if (e == 's') rep = "[:space:]";
                else if (e == 'D' || e == 'W' || e == 'S') {
                    *ecol = col; *emsg = "negated shorthand inside [...] is not supported; use [^...]"; return -1;
                } else if (e == ']') {
                    *ecol = col; *emsg = "\\] inside [...]: POSIX wants ']' first, as in []abc]"; return -1;
                } else if (isalnum((unsigned char)e)) {
                    *ecol = col; *emsg = "unsupported escape inside [...]"; return -1;
                }
                if (rep) { if (tput(b, rep, col)) goto nomem; }
                else { one[0] = e; if (tput(b, one, col)) goto nomem; }
                continue;
            }
            one[0] = c;
            if (tput(b, one, col)) goto nomem;
            continue;
        }
        if (c == '[') {
            inbr = 1;
            one[0] = c;
            if (tput(b, one, col)) goto nomem;
            brstart = i + 1;
            if (p[brstart] == '^') { one[0] = '^'; if (tput(b, one, col + 1)) goto nomem; brstart++; i++; }
            if (p[brstart] == ']') { one[0] = ']'; if (tput(b, one, col0 + (int)brstart)) goto nomem; i = brstart; brstart++; }
            continue;
        }
        if (c == '\\') {
            char e = p[i + 1];
            if (!e) { *ecol = col; *emsg = "trailing backslash"; return -1; }
            i++;
            const char *rep = NULL;
            switch (e) {
            case 'd': rep = "[0-9]"; break;
            case 'D': rep = "[^0-9]"; break;
            case 'w': rep = "[[:alnum:]_]"; break;
            case 'W': rep = "[^[:alnum:]_]"; break;
            case 's': rep = "[[:space:]]"; break;
            case 'S': rep = "[^[:space:]]"; break;
            case 't': rep = "\t"; break;
            case 'n': rep = "\n"; break;
            default:
                if (isalnum((unsigned char)e)) {
                    *ecol = col; *emsg = "unsupported escape (POSIX ERE; \\d \\w \\s are translated)"; return -1;
                }
            }
            if (rep) { if (tput(b, rep, col)) goto nomem; }
            else { char two[3] = {'\\', e, 0}; if (tput(b, two, col)) goto nomem; }
            continue;
        }
        if (c == '(') depth++;
        if (c == ')' && --depth < 0) { *ecol = col; *emsg = "unmatched ')'"; return -1; }
        if (c == '(' && p[i + 1] == '?') {
            *ecol = col + 1; *emsg = "(?...) groups are not POSIX ERE; use a plain (...) group"; return -1;
        }
        if (c == '(' || c == '*' || c == '+' || c == '?' || c == '{') {
            if (++nops > PAT_MAX_OPS) { *ecol = col; *emsg = "too many groups and repetitions (max 64)"; return -1; }
        }
        if ((c == '*' || c == '+' || c == '?' || c == '}') && (p[i + 1] == '*' || p[i + 1] == '+' || p[i + 1] == '{')) {
            *ecol = col + 1; *emsg = "a repetition follows a repetition"; return -1;
        }
        if ((c == '*' || c == '+' || c == '?' || c == '}') && p[i + 1] == '?') {
            *ecol = col + 1; *emsg = "lazy quantifiers (*? +? and ?\?) are not POSIX ERE"; return -1;
        }
        one[0] = c;
        if (tput(b, one, col)) goto nomem;
    }
    if (inbr) { *ecol = col0 + (int)brstart - 1; *emsg = "unterminated [...]"; return -1; }
    return 0;
nomem:
    *ecol = col0; *emsg = "out of memory";
    return -1;
}

/* Column of a regcomp error in translated pattern s (0-based index). */
static size_t regex_error_pos(const char *s, int code)
{
    size_t len = strlen(s);
    if (code == REG_EPAREN || code == REG_EBRACE || code == REG_EBRACK) {
        size_t stack[256]; int sp = 0; int inbr = 0;
        char open = code == REG_EBRACE ? '{' : '(';
        char close = code == REG_EBRACE ? '}' : ')';
        for (size_t i = 0; i < len; i++) {
            char c = s[i];
            if (inbr) { if (c == ']' && i > 0 && s[i - 1] != '[' && !(s[i - 1] == '^' && s[i - 2] == '[')) inbr = 0; continue; }
            if (c == '\\') { i++; continue; }
            if (c == '[') { if (code == REG_EBRACK && sp < 256) stack[sp++] = i; inbr = 1;
                            if (s[i + 1] == '^') i++;
                            if (s[i + 1] == ']') i++;
                            continue; }
            if (code == REG_EBRACK) continue;
            if (c == open) { if (sp < 256) stack[sp++] = i; }
            else if (c == close) { if (sp == 0) return i; sp--; }
        }
        if (sp > 0) return stack[0];   /* the first unclosed one */
        return len ? len - 1 : 0;
    }
    /* otherwise: the shortest prefix that fails with the same code */
    char *pre = malloc(len + 1);
    if (!pre) return 0;
    size_t at = len ? len - 1 : 0;
    for (size_t l = 1; l <= len && l <= 512; l++) {
        memcpy(pre, s, l); pre[l] = 0;
        regex_t re;
        int rc = regcomp(&re, pre, REG_EXTENDED);
        if (rc == 0) { regfree(&re); continue; }
        if (rc == code) { at = l - 1; break; }
    }
    free(pre);
    return at;
}

/* Literal prefilters: an anchored literal prefix and the longest required
 * literal run at the top level. Only computed when the pattern has no '|'
 * and is simple enough to be sure; otherwise NULL (regexec decides). */
static void literals(const char *s, char **prefix, char **lit)
{
    *prefix = *lit = NULL;
    int depth = 0, inbr = 0;
    for (const char *q = s; *q; q++) {
        if (inbr) { if (*q == ']') inbr = 0; continue; }
        if (*q == '\\' && q[1]) { q++; continue; }
        if (*q == '[') { inbr = 1; if (q[1] == '^') q++; if (q[1] == ']') q++; continue; }
        if (*q == '|' && depth == 0) return;   /* top-level alternation: nothing is required */
        if (*q == '(') depth++;
        if (*q == ')') depth--;
    }
    char run[PAT_MAX + 1], best[PAT_MAX + 1];
    size_t rn = 0, bn = 0;
    int anchored = s[0] == '^', at_start = anchored;
    const char *q = s + anchored;
    depth = 0;
    while (*q) {
        char c = 0;
        int is_lit = 0;
        const char *next;
        if (*q == '\\' && q[1] && !isalnum((unsigned char)q[1])) { c = q[1]; is_lit = depth == 0; next = q + 2; }
        else if (strchr(".[]()*+?{}|^$\\", *q) == NULL) { c = *q; is_lit = depth == 0; next = q + 1; }
        else {
            if (*q == '(') depth++;
            else if (*q == ')') depth--;
            else if (*q == '[') { /* skip the bracket */
                const char *r = q + 1;
                if (*r == '^') r++;
                if (*r == ']') r++;
                while (*r && *r != ']') {
                    if (*r == '[' && (r[1] == ':' || r[1] == '.' || r[1] == '=')) {
                        char cl = r[1]; r += 2;
                        while (*r && !(*r == cl && r[1] == ']')) r++;
                        if (*r) r += 2;
                        continue;
                    }
                    r++;
                }
                next = *r ? r + 1 : r;
                goto brk;
            }
            next = q + 1;
        brk:
            /* a quantifier removes the last literal char from the run */
            if ((*q == '*' || *q == '?' || *q == '{') && rn > 0) rn--;
            if (rn > bn) { memcpy(best, run, rn); bn = rn; }
            if (at_start) {
                if ((*q == '*' || *q == '?' || *q == '{') && rn == 0) { /* nothing */ }
                if (rn > 0) { *prefix = ckpt__strndup(run, rn); }
                at_start = 0;
            }
            rn = 0;
            q = next;
            continue;
        }
        /* a literal followed by a quantifier is optional */
        if (*next == '*' || *next == '?' || *next == '{') is_lit = 0;
        if (is_lit && rn < PAT_MAX) { run[rn++] = c; }
        else {
            if (rn > bn) { memcpy(best, run, rn); bn = rn; }
            if (at_start) { if (rn > 0) *prefix = ckpt__strndup(run, rn); at_start = 0; }
            rn = 0;
            if (*next == '+') { /* c+ : c is required but the run ends */ }
        }
        q = next;
    }
    if (rn > bn) { memcpy(best, run, rn); bn = rn; }
    if (at_start && rn > 0) *prefix = ckpt__strndup(run, rn);
    if (bn >= 2) *lit = ckpt__strndup(best, bn);
}

/* ---------------------------------------------------------------------- */
/* parsing                                                                 */

/* An anchored literal prefix and suffix ("^model\.layers\.17\.self_attn\.(q|k)_proj\.weight$")
 * are compared with strncmp/memcmp and only the middle goes to regexec,
 * compiled on its own ("^(q|k)$"): glibc's regexec caches a 2 KiB transition
 * table per DFA state it visits, about one per character matched, in every
 * regex, so 200 long rules cost ~15 MiB over 10,000 names; matching the
 * middle only keeps those tables to the part that is not literal. Skipped
 * (the whole regex is used) when the pattern has a top-level '|', or a
 * context operator (\< \> \b \B \` \') anywhere.
 * Returns -1 on out of memory, else 0. */
static int split_literals(rule *r, const char *s)
{
    if (s[0] != '^') return 0;
    int depth = 0, inbr = 0;
    for (const char *q = s; *q; q++) {
        if (inbr) { if (*q == ']') inbr = 0; continue; }
        if (*q == '\\' && q[1]) { if (strchr("<>bB`'", q[1])) return 0; q++; continue; }
        if (*q == '[') { inbr = 1; if (q[1] == '^') q++; if (q[1] == ']') q++; continue; }
        if (*q == '|' && depth == 0) return 0;
        if (*q == '(') depth++;
        if (*q == ')') depth--;
    }
    /* tokens: a literal character (plain, or escaped punctuation) or anything
     * else; the prefix is the literal run after '^', the suffix the literal
     * run before a final top-level '$'; a quantified literal is not literal */
    char pre[PAT_MAX + 1], suf[PAT_MAX + 1];
    size_t pn = 0, sn = 0, pos = 1, pre_end = 1, suf_start = 0, suf_end = 0;
    int in_prefix = 1, run_ok = 0;
    depth = 0;
    while (s[pos]) {
        size_t next;
        char c = 0;
        int lit = 0;
        if (s[pos] == '\\' && s[pos + 1] && !isalnum((unsigned char)s[pos + 1])) { c = s[pos + 1]; next = pos + 2; lit = 1; }
        else if (s[pos] == '\\' && s[pos + 1]) next = pos + 2;
        else if (s[pos] == '[') {
            size_t q = pos + 1;
            if (s[q] == '^') q++;
            if (s[q] == ']') q++;
            while (s[q] && s[q] != ']') {
                if (s[q] == '[' && (s[q + 1] == ':' || s[q + 1] == '.' || s[q + 1] == '=')) {
                    char cl = s[q + 1];
                    q += 2;
                    while (s[q] && !(s[q] == cl && s[q + 1] == ']')) q++;
                    if (s[q]) q += 2;
                    continue;
                }
                q++;
            }
            next = s[q] ? q + 1 : q;
        } else if (!strchr(".[]()*+?{}|^$\\", s[pos])) { c = s[pos]; next = pos + 1; lit = 1; }
        else next = pos + 1;
        if (lit && (s[next] == '*' || s[next] == '+' || s[next] == '?' || s[next] == '{')) lit = 0;
        if (s[pos] == '(') depth++;
        if (s[pos] == ')') depth--;
        if (in_prefix) {
            if (lit && depth == 0 && pn < PAT_MAX) { pre[pn++] = c; pre_end = next; }
            else in_prefix = 0;
        }
        if (!in_prefix) {
            if (s[pos] == '$' && !s[next] && depth == 0) { suf_end = pos; break; }
            if (lit && depth == 0 && sn < PAT_MAX) { if (!run_ok) { run_ok = 1; sn = 0; suf_start = pos; } suf[sn++] = c; }
            else run_ok = 0;
        }
        pos = next;
    }
    if (!suf_end || !run_ok) sn = 0;              /* no final '$' after a literal run */
    if (!sn) suf_end = strlen(s);
    else if (suf_start < pre_end) sn = 0, suf_end = strlen(s);
    if (pn + sn < 4) return 0;
    size_t mid = (sn ? suf_start : suf_end) - pre_end;
    char *re_s = malloc(mid + 3);
    char *p = pn ? ckpt__strndup(pre, pn) : NULL;
    char *x = sn ? ckpt__strndup(suf, sn) : NULL;
    if (!re_s || (pn && !p) || (sn && !x)) { free(re_s); free(p); free(x); return -1; }
    re_s[0] = '^';
    memcpy(re_s + 1, s + pre_end, mid);
    re_s[1 + mid] = 0;
    if (sn) strcat(re_s, "$");
    regex_t re;
    int ok = regcomp(&re, re_s, REG_EXTENDED) == 0;
    free(re_s);
    if (!ok || re.re_nsub != r->nsub) { if (ok) regfree(&re); free(p); free(x); return 0; }
    regfree(&r->re);
    r->re = re;
    if (pn) { free(r->prefix); r->prefix = p; r->prefix_len = pn; }
    r->skip = pn;
    r->suffix = x;
    r->suffix_len = sn;
    return 0;
}

/* regexec of a rule on a whole name (prefilters, then the regex on what
 * lies between the literal prefix and suffix; offsets for the whole name) */
static int rule_exec(const rule *r, const char *name, regmatch_t *m, size_t nm)
{
    if (r->prefix && strncmp(name, r->prefix, r->prefix_len)) return REG_NOMATCH;
    if (r->lit && !strstr(name, r->lit)) return REG_NOMATCH;
    size_t k = r->nsub + 1 < nm ? r->nsub + 1 : nm;
    int rc;
    size_t len = 0;
    if (r->suffix) {
        len = strlen(name);
        if (len < r->skip + r->suffix_len || memcmp(name + len - r->suffix_len, r->suffix, r->suffix_len)) return REG_NOMATCH;
        size_t ml = len - r->skip - r->suffix_len;
        char sb[512], *mb = ml < sizeof sb ? sb : malloc(ml + 1);
        if (!mb) return REG_ESPACE;
        memcpy(mb, name + r->skip, ml);
        mb[ml] = 0;
        rc = regexec(&r->re, mb, k, m, 0);
        if (mb != sb) free(mb);
    } else {
        rc = regexec(&r->re, name + r->skip, k, m, 0);
    }
    if (rc != 0) return REG_NOMATCH;
    if (r->skip)
        for (size_t i = 0; i < k; i++)
            if (m[i].rm_so >= 0) { m[i].rm_so += (regoff_t)r->skip; m[i].rm_eo += (regoff_t)r->skip; }
    if (r->skip || r->suffix) {
        m[0].rm_so = 0;                              /* the match starts at the prefix */
        if (r->suffix) m[0].rm_eo = (regoff_t)len;   /* and ends with the suffix */
    }
    for (size_t i = k; i < nm; i++) m[i].rm_so = m[i].rm_eo = -1;
    return 0;
}

static void rule_free(rule *r)
{
    free(r->text);
    free(r->origin);
    if (r->re_ok) regfree(&r->re);
    free(r->prefix);
    free(r->lit);
    free(r->as_naming);
    free(r->suffix);
    for (int i = 0; i < r->ntargets; i++) free(r->targets[i]);
    for (int i = 0; i < r->nops; i++)
        for (int j = 0; j < r->ops[i].ndims; j++) free(r->ops[i].dims[j].var);
    free(r->ops);
}

void ckpt_remap_free(ckpt_remap *r)
{
    if (!r) return;
    for (int i = 0; i < r->n; i++) rule_free(&r->r[i]);
    free(r->r);
    for (int i = 0; i < r->nv; i++) { free(r->vk[i]); free(r->vv[i]); }
    free(r->vk); free(r->vv);
    free(r->origin);
    free(r);
}

static ckpt_remap *remap_new(const char *origin)
{
    ckpt_remap *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->origin = strdup(origin ? origin : "<rules>");
    if (!r->origin) { free(r); return NULL; }
    return r;
}

static int remap_setvar(ckpt_remap *r, const char *k, const char *v)
{
    for (int i = 0; i < r->nv; i++)
        if (!strcmp(r->vk[i], k)) { char *nv = strdup(v); if (!nv) return -1; free(r->vv[i]); r->vv[i] = nv; return 0; }
    char **nk = realloc(r->vk, (size_t)(r->nv + 1) * sizeof *nk);
    if (!nk) return -1;
    r->vk = nk;
    char **nvv = realloc(r->vv, (size_t)(r->nv + 1) * sizeof *nvv);
    if (!nvv) return -1;
    r->vv = nvv;
    r->vk[r->nv] = strdup(k);
    r->vv[r->nv] = strdup(v);
    if (!r->vk[r->nv] || !r->vv[r->nv]) { free(r->vk[r->nv]); free(r->vv[r->nv]); return -1; }
    r->nv++;
    return 0;
}

int ckpt_remap_set_var(ckpt_remap *r, const char *key, const char *value, ckpt_err *err)
{
    if (!r || !key || !value) return ckpt_err_set(err, CKPT_E_USAGE, "remap variable needs a key and a value");
    if (remap_setvar(r, key, value)) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    return 0;
}

typedef struct cur { const char *s; size_t i; const char *origin; int line; ckpt_err *err; } cur;

static void skipws(cur *c) { while (c->s[c->i] == ' ' || c->s[c->i] == '\t') c->i++; }
static int colof(const cur *c) { return (int)c->i + 1; }

static ckpt_dtype dtype_word(const char *w)
{
    static const struct { const char *a; ckpt_dtype t; } al[] = {
        {"float16", CKPT_F16}, {"half", CKPT_F16}, {"fp16", CKPT_F16},
        {"bfloat16", CKPT_BF16}, {"bf16", CKPT_BF16},
        {"float32", CKPT_F32}, {"float", CKPT_F32}, {"fp32", CKPT_F32},
        {"float64", CKPT_F64}, {"double", CKPT_F64},
        {"int8", CKPT_I8}, {"uint8", CKPT_U8}, {"int16", CKPT_I16}, {"int32", CKPT_I32},
        {"int64", CKPT_I64}, {"bool", CKPT_BOOL},
    };
    char up[32];
    size_t k = 0;
    for (; w[k] && k < sizeof up - 1; k++) up[k] = (char)toupper((unsigned char)w[k]);
    up[k] = 0;
    ckpt_dtype t = ckpt_dtype_from_name(up);
    if (t != CKPT_DT_INVALID) return t;
    for (size_t i = 0; i < sizeof al / sizeof al[0]; i++)
        if (!strcasecmp(w, al[i].a)) return al[i].t;
    return CKPT_DT_INVALID;
}

/* parse "(a, b, ...)" items: integers or {var}; *n items */
static int parse_args(cur *c, dimx *out, int max, int *n, int allow_var)
{
    *n = 0;
    skipws(c);
    if (c->s[c->i] != '(') return 0;    /* no argument list */
    c->i++;
    skipws(c);
    if (c->s[c->i] == ')') { c->i++; return 0; }
    for (;;) {
        skipws(c);
        if (*n >= max) return perr(c->err, c->origin, c->line, colof(c), "too many arguments (max %d)", max);
        dimx *d = &out[*n];
        memset(d, 0, sizeof *d);
        d->col = colof(c);
        if (c->s[c->i] == '{') {
            if (!allow_var) return perr(c->err, c->origin, c->line, colof(c), "a number is expected here");
            size_t j = c->i + 1;
            while (c->s[j] && c->s[j] != '}') {
                char ch = c->s[j];
                if (!(isalnum((unsigned char)ch) || ch == '_' || ch == '|' || ch == '.' || ch == '-'))
                    return perr(c->err, c->origin, c->line, (int)j + 1, "bad character in {name}");
                j++;
            }
            if (c->s[j] != '}') return perr(c->err, c->origin, c->line, colof(c), "unterminated {name}");
            if (j == c->i + 1) return perr(c->err, c->origin, c->line, colof(c), "empty {name}");
            d->var = ckpt__strndup(c->s + c->i + 1, j - c->i - 1);
            if (!d->var) return ckpt_err_set(c->err, CKPT_E_NOMEM, "out of memory");
            d->v = 0;
            c->i = j + 1;
        } else {
            char *end;
            errno = 0;
            long long v = strtoll(c->s + c->i, &end, 10);
            if (end == c->s + c->i || errno)
                return perr(c->err, c->origin, c->line, colof(c), "a number%s is expected", allow_var ? " or {name}" : "");
            if (v < -1 || v > (1LL << 48))
                return perr(c->err, c->origin, c->line, colof(c), "number out of range: %lld", v);
            d->v = v;
            c->i = (size_t)(end - c->s);
        }
        (*n)++;
        skipws(c);
        if (c->s[c->i] == ',') { c->i++; continue; }
        if (c->s[c->i] == ')') { c->i++; return 0; }
        return perr(c->err, c->origin, c->line, colof(c), "',' or ')' expected");
    }
}

static int parse_op(cur *c, rule *r)
{
    skipws(c);
    if (r->nops >= RULE_MAX_OPS) return perr(c->err, c->origin, c->line, colof(c), "too many operations (max %d)", RULE_MAX_OPS);
    rop *nops = realloc(r->ops, (size_t)(r->nops + 1) * sizeof *nops);
    if (!nops) return ckpt_err_set(c->err, CKPT_E_NOMEM, "out of memory");
    r->ops = nops;
    rop *o = &r->ops[r->nops++];   /* counted now: rule_free frees what it holds on any error */
    memset(o, 0, sizeof *o);
    o->col = colof(c);
    size_t j = c->i;
    while (isalpha((unsigned char)c->s[j])) j++;
    size_t wl = j - c->i;
    const char *w = c->s + c->i;
    int rc;
    if (wl == 0) return perr(c->err, c->origin, c->line, colof(c), "an operation is expected (transpose, reshape, split, cast)");
    c->i = j;
    if (wl == 9 && !strncmp(w, "transpose", 9)) {
        dimx a[CKPT_MAX_DIMS + 1];
        int n = 0;
        o->k = OP_TRANSPOSE;
        if ((rc = parse_args(c, a, CKPT_MAX_DIMS, &n, 0))) return rc;
        o->naxes = n;
        for (int i = 0; i < n; i++) {
            if (a[i].v < 0 || a[i].v >= CKPT_MAX_DIMS)
                return perr(c->err, c->origin, c->line, a[i].col, "axis must be 0..%d", CKPT_MAX_DIMS - 1);
            for (int k = 0; k < i; k++)
                if (o->axes[k] == a[i].v) return perr(c->err, c->origin, c->line, a[i].col, "axis %lld repeated", (long long)a[i].v);
            o->axes[i] = (int)a[i].v;
        }
    } else if (wl == 7 && !strncmp(w, "reshape", 7)) {
        o->k = OP_RESHAPE;
        skipws(c);
        if (c->s[c->i] != '(') return perr(c->err, c->origin, c->line, colof(c), "reshape needs (dims...)");
        if ((rc = parse_args(c, o->dims, CKPT_MAX_DIMS, &o->ndims, 1))) return rc;
        int infer = 0;
        for (int i = 0; i < o->ndims; i++) {
            if (!o->dims[i].var && o->dims[i].v == -1 && infer++)
                return perr(c->err, c->origin, c->line, o->dims[i].col, "only one -1 per reshape");
            if (!o->dims[i].var && o->dims[i].v == 0)
                return perr(c->err, c->origin, c->line, o->dims[i].col, "a dimension must be positive or -1");
        }
    } else if (wl == 5 && !strncmp(w, "split", 5)) {
        o->k = OP_SPLIT;
        skipws(c);
        if (c->s[c->i] != '(') return perr(c->err, c->origin, c->line, colof(c), "split needs (axis[, sizes...])");
        if ((rc = parse_args(c, o->dims, RULE_MAX_TARGETS + 1, &o->ndims, 1))) return rc;
        if (o->ndims == 0) return perr(c->err, c->origin, c->line, o->col, "split needs an axis");
        if (o->dims[0].var) return perr(c->err, c->origin, c->line, o->dims[0].col, "the split axis must be a number");
        o->axis = (int)o->dims[0].v;
        memmove(o->dims, o->dims + 1, sizeof(dimx) * (size_t)(o->ndims - 1));
        o->ndims--;
        if (r->split >= 0) return perr(c->err, c->origin, c->line, o->col, "only one split per rule");
        r->split = r->nops - 1;
        if (o->ndims && o->ndims != r->ntargets)
            return perr(c->err, c->origin, c->line, o->col, "split into %d sizes but %d names", o->ndims, r->ntargets);
        int infer = 0;
        for (int i = 0; i < o->ndims; i++) {
            if (!o->dims[i].var && o->dims[i].v == -1 && infer++)
                return perr(c->err, c->origin, c->line, o->dims[i].col, "only one -1 per split");
        }
    } else if (wl == 4 && !strncmp(w, "cast", 4)) {
        o->k = OP_CAST;
        skipws(c);
        if (c->s[c->i] != '(') return perr(c->err, c->origin, c->line, colof(c), "cast needs (DTYPE)");
        c->i++;
        skipws(c);
        size_t k = c->i;
        while (isalnum((unsigned char)c->s[k]) || c->s[k] == '_') k++;
        char dt[32];
        if (k - c->i == 0 || k - c->i >= sizeof dt) return perr(c->err, c->origin, c->line, colof(c), "a dtype is expected (F16, BF16, F32, ...)");
        memcpy(dt, c->s + c->i, k - c->i); dt[k - c->i] = 0;
        o->dt = dtype_word(dt);
        if (o->dt == CKPT_DT_INVALID) return perr(c->err, c->origin, c->line, colof(c), "unknown dtype '%s'", dt);
        c->i = k;
        skipws(c);
        if (c->s[c->i] != ')') return perr(c->err, c->origin, c->line, colof(c), "')' expected");
        c->i++;
    } else {
        return perr(c->err, c->origin, c->line, o->col, "unknown operation '%.*s' (transpose, reshape, split, cast)", (int)wl, w);
    }
    return 0;
}

/* check $N references in a target against the group count */
static int check_target(cur *c, const char *t, int tcol, size_t nsub)
{
    for (size_t i = 0; t[i]; i++) {
        if (t[i] != '$') continue;
        size_t j = i + 1;
        if (t[j] == '$') { i = j; continue; }
        long g = -1;
        if (t[j] == '{') {
            char *end;
            g = strtol(t + j + 1, &end, 10);
            if (end == t + j + 1 || *end != '}') return perr(c->err, c->origin, c->line, tcol + (int)i, "bad ${N} reference");
        } else if (isdigit((unsigned char)t[j])) {
            g = t[j] - '0';
        } else {
            return perr(c->err, c->origin, c->line, tcol + (int)i, "'$' must be followed by a group number ($1, ${12}) or '$'");
        }
        if (g < 0 || (size_t)g > nsub)
            return perr(c->err, c->origin, c->line, tcol + (int)i, "group $%ld does not exist (the regex has %zu)", g, nsub);
    }
    return 0;
}

static int parse_line(ckpt_remap *R, const char *s, int lineno, ckpt_err *err)
{
    cur c = {s, 0, R->origin, lineno, err};
    skipws(&c);
    if (!s[c.i] || s[c.i] == '#') return 0;
    /* set NAME = VALUE */
    if (!strncmp(s + c.i, "set", 3) && (s[c.i + 3] == ' ' || s[c.i + 3] == '\t')) {
        c.i += 3;
        skipws(&c);
        size_t k = c.i;
        while (isalnum((unsigned char)s[k]) || s[k] == '_' || s[k] == '.') k++;
        if (k == c.i) return perr(err, R->origin, lineno, colof(&c), "set needs a name");
        char *name = ckpt__strndup(s + c.i, k - c.i);
        if (!name) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        c.i = k;
        skipws(&c);
        if (s[c.i] != '=') { free(name); return perr(err, R->origin, lineno, colof(&c), "'=' expected"); }
        c.i++;
        skipws(&c);
        char *end;
        errno = 0;
        long long v = strtoll(s + c.i, &end, 10);
        if (end == s + c.i || errno || v < 1) { free(name); return perr(err, R->origin, lineno, colof(&c), "a positive integer is expected"); }
        c.i = (size_t)(end - s);
        skipws(&c);
        if (s[c.i] && s[c.i] != '#') { free(name); return perr(err, R->origin, lineno, colof(&c), "unexpected text after the value"); }
        char val[32];
        snprintf(val, sizeof val, "%lld", v);
        int rc = remap_setvar(R, name, val);
        free(name);
        return rc ? ckpt_err_set(err, CKPT_E_NOMEM, "out of memory") : 0;
    }
    if (R->n == R->cap) {
        int nc = R->cap ? R->cap * 2 : 16;
        rule *nr = realloc(R->r, (size_t)nc * sizeof *nr);
        if (!nr) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        R->r = nr; R->cap = nc;
    }
    rule *r = &R->r[R->n];
    memset(r, 0, sizeof *r);
    r->split = -1;
    r->line = lineno;
    int rc = 0;
    if (s[c.i] == '?' && (s[c.i + 1] == ' ' || s[c.i + 1] == '\t')) { r->optional = 1; c.i++; skipws(&c); }
    /* the arrow: first "->" with whitespace on both sides */
    size_t a = c.i;
    const char *arrow = NULL;
    for (; s[a]; a++)
        if (s[a] == '-' && s[a + 1] == '>' && a > c.i && (s[a - 1] == ' ' || s[a - 1] == '\t')
            && (s[a + 2] == ' ' || s[a + 2] == '\t' || s[a + 2] == 0)) { arrow = s + a; break; }
    if (!arrow) { rc = perr(err, R->origin, lineno, colof(&c), "expected 'REGEX -> NAME' (with spaces around ->)"); goto fail; }
    size_t pend = a;
    while (pend > c.i && (s[pend - 1] == ' ' || s[pend - 1] == '\t')) pend--;
    size_t plen = pend - c.i;
    if (plen > PAT_MAX) { rc = perr(err, R->origin, lineno, colof(&c), "regex longer than %d characters", PAT_MAX); goto fail; }
    r->col = colof(&c);
    {
        char *pat = ckpt__strndup(s + c.i, plen);
        if (!pat) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto fail; }
        tbuf b = {0};
        int ecol = 0;
        const char *emsg = NULL;
        if (translate(pat, r->col, &b, &ecol, &emsg) < 0) {
            free(pat); free(b.s); free(b.col);
            rc = perr(err, R->origin, lineno, ecol, "bad regex: %s", emsg);
            goto fail;
        }
        free(pat);
        int rcode = regcomp(&r->re, b.s, REG_EXTENDED);
        if (rcode != 0) {
            char em[200];
            regerror(rcode, NULL, em, sizeof em);
            size_t pos = regex_error_pos(b.s, rcode);
            int col = b.n ? b.col[pos < b.n ? pos : b.n - 1] : r->col;
            free(b.s); free(b.col);
            rc = perr(err, R->origin, lineno, col, "bad regex: %s", em);
            goto fail;
        }
        r->re_ok = 1;
        r->nsub = r->re.re_nsub;
        literals(b.s, &r->prefix, &r->lit);
        r->prefix_len = r->prefix ? strlen(r->prefix) : 0;
        if (split_literals(r, b.s) < 0) { free(b.s); free(b.col); rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto fail; }
        free(b.s); free(b.col);
    }
    c.i = a + 2;
    skipws(&c);
    /* targets until '|' or end or comment */
    {
        size_t k = c.i;
        while (s[k] && s[k] != '|' && !(s[k] == '#' && (s[k - 1] == ' ' || s[k - 1] == '\t'))) k++;
        size_t tend = k;
        while (tend > c.i && (s[tend - 1] == ' ' || s[tend - 1] == '\t')) tend--;
        if (tend == c.i) { rc = perr(err, R->origin, lineno, colof(&c), "a target name (or 'drop') is expected after ->"); goto fail; }
        if (tend - c.i == 4 && !strncmp(s + c.i, "drop", 4)) {
            r->drop = 1;
        } else {
            size_t p = c.i;
            while (p < tend) {
                size_t q = p;
                while (q < tend && s[q] != ',') q++;
                size_t e = q;
                while (e > p && (s[e - 1] == ' ' || s[e - 1] == '\t')) e--;
                size_t b2 = p;
                while (b2 < e && (s[b2] == ' ' || s[b2] == '\t')) b2++;
                if (b2 == e) { rc = perr(err, R->origin, lineno, (int)b2 + 1, "empty target name"); goto fail; }
                for (size_t z = b2; z < e; z++)
                    if (s[z] == ' ' || s[z] == '\t') { rc = perr(err, R->origin, lineno, (int)z + 1, "space in a target name (separate names with ',')"); goto fail; }
                if (r->ntargets >= RULE_MAX_TARGETS) { rc = perr(err, R->origin, lineno, (int)b2 + 1, "too many target names (max %d)", RULE_MAX_TARGETS); goto fail; }
                r->targets[r->ntargets] = ckpt__strndup(s + b2, e - b2);
                if (!r->targets[r->ntargets]) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto fail; }
                r->ntargets++;
                cur tc = c;
                if ((rc = check_target(&tc, r->targets[r->ntargets - 1], (int)b2 + 1, r->nsub))) goto fail;
                p = q + 1;
            }
        }
        c.i = k;
    }
    while (s[c.i] == '|') {
        c.i++;
        if (r->drop) { rc = perr(err, R->origin, lineno, colof(&c), "a dropped tensor takes no operations"); goto fail; }
        if ((rc = parse_op(&c, r))) goto fail;
        skipws(&c);
    }
    if (s[c.i] && s[c.i] != '#') { rc = perr(err, R->origin, lineno, colof(&c), "unexpected text '%.20s'", s + c.i); goto fail; }
    if (r->ntargets >= 1 && r->targets[0][0] == '@') {
        /* "-> @NAMING": the name the input's format gives the tensor under
         * NAMING (convert --naming), e.g. @keras3 = the Keras 3 path from
         * the model config */
        const char *nm = r->targets[0] + 1;
        size_t k = 0;
        while (nm[k] && (islower((unsigned char)nm[k]) || isdigit((unsigned char)nm[k]) || nm[k] == '_')) k++;
        if (!k || nm[k]) { rc = perr(err, R->origin, lineno, (int)(strstr(s, r->targets[0]) - s) + 1, "@NAMING wants a naming such as @keras3"); goto fail; }
        if (r->ntargets > 1) { rc = perr(err, R->origin, lineno, (int)(strstr(s, r->targets[0]) - s) + 1, "@%s names one tensor: it cannot be split", nm); goto fail; }
        if (!(r->as_naming = strdup(nm))) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto fail; }
    }
    if (r->ntargets > 1 && r->split < 0) { rc = perr(err, R->origin, lineno, colof(&c), "%d names need a split(AXIS) operation", r->ntargets); goto fail; }
    if (r->split >= 0 && r->ntargets < 2) { rc = perr(err, R->origin, lineno, r->ops[r->split].col, "split needs two or more target names"); goto fail; }
    {
        size_t tl = strlen(s);
        while (tl && (s[tl - 1] == ' ' || s[tl - 1] == '\t' || s[tl - 1] == '\r')) tl--;
        size_t t0 = 0;
        while (t0 < tl && (s[t0] == ' ' || s[t0] == '\t')) t0++;
        r->text = ckpt__strndup(s + t0, tl - t0);
        r->origin = strdup(R->origin);
        if (!r->text || !r->origin) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto fail; }
    }
    R->n++;
    return 0;
fail:
    rule_free(r);
    return rc;
}

static int parse_into(ckpt_remap *R, const char *text, int line0, ckpt_err *err)
{
    const char *p = text;
    int line = line0;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char *ln = ckpt__strndup(p, len);
        if (!ln) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        if (len && ln[len - 1] == '\r') ln[len - 1] = 0;
        if (memchr(p, 0, len)) { free(ln); return perr(err, R->origin, line, 1, "NUL byte in rules"); }
        int rc = parse_line(R, ln, line, err);
        free(ln);
        if (rc) return rc;
        line++;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

int ckpt_remap_parse(const char *text, const char *origin, ckpt_remap **out, ckpt_err *err)
{
    *out = NULL;
    ckpt_remap *R = remap_new(origin);
    if (!R) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    int rc = parse_into(R, text ? text : "", 1, err);
    if (rc) { ckpt_remap_free(R); return rc; }
    *out = R;
    return 0;
}

/* Presets live in presets.c. */
const char *ckpt__preset_text(const char *name);

int ckpt_remap_load(const char *spec, ckpt_remap **out, ckpt_err *err)
{
    *out = NULL;
    if (!spec) return ckpt_err_set(err, CKPT_E_USAGE, "no rules file given");
    if (!strncmp(spec, "preset:", 7)) {
        const char *t = ckpt__preset_text(spec + 7);
        if (!t) {
            char names[512] = "";
            for (int i = 0; i < ckpt_preset_count(); i++) {
                if (i) strncat(names, ", ", sizeof names - strlen(names) - 1);
                strncat(names, ckpt_preset_name(i), sizeof names - strlen(names) - 1);
            }
            return ckpt_err_set(err, CKPT_E_USAGE, "no preset '%s' (presets: %s)", spec + 7, names);
        }
        return ckpt_remap_parse(t, spec, out, err);
    }
    char *text = NULL;
    size_t len = 0;
    int rc = ckpt_src_slurp(spec, 16u << 20, &text, &len, err);
    if (rc) { ckpt_err_at_path(err, spec); return rc; }
    rc = ckpt_remap_parse(text, spec, out, err);
    free(text);
    return rc;
}

int ckpt_remap_append(ckpt_remap **rp, const char *spec, ckpt_err *err)
{
    if (!*rp) return ckpt_remap_load(spec, rp, err);
    ckpt_remap *add = NULL;
    int rc = ckpt_remap_load(spec, &add, err);   /* validates on its own first */
    if (rc) return rc;
    ckpt_remap *R = *rp;
    if (R->n + add->n > R->cap) {
        rule *nr = realloc(R->r, (size_t)(R->n + add->n) * sizeof *nr);
        if (!nr) { ckpt_remap_free(add); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
        R->r = nr;
        R->cap = R->n + add->n;
    }
    memcpy(R->r + R->n, add->r, (size_t)add->n * sizeof *add->r);  /* rules move (regex_t included) */
    R->n += add->n;
    for (int i = 0; i < add->nv; i++)
        if (remap_setvar(R, add->vk[i], add->vv[i])) { add->n = 0; ckpt_remap_free(add); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
    add->n = 0;
    ckpt_remap_free(add);
    return 0;
}

/* "FROM=TO": exact name, or a name prefix ending at a '.' or '/' boundary. */
int ckpt_remap_add_rename(ckpt_remap **rp, const char *ft, ckpt_err *err)
{
    const char *eq = ft ? strchr(ft, '=') : NULL;
    if (!eq || eq == ft || !eq[1])
        return ckpt_err_set(err, CKPT_E_USAGE, "--rename wants FROM=TO, got '%s'", ft ? ft : "");
    if (!*rp && !(*rp = remap_new("<rename>"))) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    size_t fl = (size_t)(eq - ft);
    size_t tl = strlen(eq + 1);
    char *line = malloc(fl * 2 + tl * 2 + 32);
    if (!line) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    char *w = line;
    *w++ = '^';
    for (size_t i = 0; i < fl; i++) {
        char ch = ft[i];
        if (ch == ' ' || ch == '\t') { free(line); return ckpt_err_set(err, CKPT_E_USAGE, "--rename: spaces in names are not supported"); }
        if (strchr(".[]()*+?{}|^$\\", ch)) *w++ = '\\';
        *w++ = ch;
    }
    w += sprintf(w, "($|[./]) -> ");
    for (size_t i = 0; i < tl; i++) {
        char ch = eq[1 + i];
        if (ch == ' ' || ch == '\t' || ch == ',' || ch == '|') { free(line); return ckpt_err_set(err, CKPT_E_USAGE, "--rename: bad character '%c' in the target", ch); }
        if (ch == '$') *w++ = '$';
        *w++ = ch;
    }
    strcpy(w, "$1");
    char *save = (*rp)->origin;
    (*rp)->origin = "--rename";
    int rc = parse_line(*rp, line, (*rp)->n + 1, err);
    (*rp)->origin = save;
    free(line);
    return rc;
}

int ckpt_remap_nrules(const ckpt_remap *r) { return r ? r->n : 0; }
const char *ckpt_remap_rule_text(const ckpt_remap *r, int i)
{
    return r && i >= 0 && i < r->n ? r->r[i].text : NULL;
}
int ckpt_remap_rule_line(const ckpt_remap *r, int i) { return r && i >= 0 && i < r->n ? r->r[i].line : 0; }

/* Matches of rule i in the last apply/preview; -1 for an optional rule
 * (never reported when unmatched). */
long ckpt_remap_rule_hits(const ckpt_remap *r, int i)
{
    if (!r || i < 0 || i >= r->n) return 0;
    return r->r[i].optional ? -1 : (long)r->r[i].hits;
}

char *ckpt_remap_unmatched_warning(const ckpt_remap *r, int i)
{
    if (r && i >= 0 && i < r->n && r->r[i].as_naming && r->r[i].nonames) {
        /* matched, but the format had no such name for some: they went on
         * to the rules below under their own names */
        const rule *x = &r->r[i];
        return ckpt__asprintf("%s:%d:%d: %lu tensor%s matched but %s no @%s name (%s); the rules below named %s",
                              x->origin, x->line, x->col, x->nonames, x->nonames == 1 ? "" : "s",
                              x->nonames == 1 ? "has" : "have", x->as_naming,
                              !strcmp(x->as_naming, "keras3") ? "no Keras model config places them" : "the input format gives none",
                              x->nonames == 1 ? "it" : "them");
    }
    if (ckpt_remap_rule_hits(r, i) != 0) return NULL;
    const rule *x = &r->r[i];
    return ckpt__asprintf("%s:%d:%d: rule matches no tensor: %s", x->origin, x->line, x->col, x->text);
}

/* ---------------------------------------------------------------------- */
/* matching                                                                */

/* Expand target `t` for a match of `name`; malloc'd. */
static char *expand(const rule *r, const char *t, const char *name, const regmatch_t *m, size_t nm)
{
    size_t cap = strlen(name) + strlen(t) + 64, n = 0;
    char *o = malloc(cap);
    if (!o) return NULL;
#define PUT(ptr, len) do { size_t L_ = (len); if (n + L_ + 1 > cap) { cap = (n + L_ + 1) * 2; char *no_ = realloc(o, cap); if (!no_) { free(o); return NULL; } o = no_; } memcpy(o + n, (ptr), L_); n += L_; } while (0)
    PUT(name, (size_t)m[0].rm_so);
    for (size_t i = 0; t[i]; i++) {
        if (t[i] != '$') { PUT(t + i, 1); continue; }
        if (t[i + 1] == '$') { PUT("$", 1); i++; continue; }
        long g;
        if (t[i + 1] == '{') { char *end; g = strtol(t + i + 2, &end, 10); i = (size_t)(end - t); }
        else { g = t[i + 1] - '0'; i++; }
        if (g >= 0 && (size_t)g < nm && m[g].rm_so >= 0) PUT(name + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
    }
    PUT(name + m[0].rm_eo, strlen(name + m[0].rm_eo));
    o[n] = 0;
#undef PUT
    (void)r;
    return o;
}

#define NMATCH 32

/* Names only; "-> @NAMING" rules apply when the model and tensor are
 * given (the format's own name for it), else they are skipped. */
static int map_name(const ckpt_remap *R, ckpt_model *model, int tensor, const char *name, char *out, size_t n)
{
    char *nm = strdup(name ? name : "");
    int changed = 0;
    if (!nm) return 0;
    for (int i = 0; R && i < R->n; i++) {
        const rule *r = &R->r[i];
        regmatch_t m[NMATCH];
        if (r->as_naming && !(model && model->fmt && model->fmt->name_as)) continue;
        if (rule_exec(r, nm, m, NMATCH) != 0) continue;
        if (r->drop) { free(nm); if (n) snprintf(out, n, "%s", name); return -1; }
        char *nx;
        if (r->as_naming) {
            ckpt_err e2;
            ckpt_err_clear(&e2);
            nx = model->fmt->name_as(model, tensor, r->as_naming, &e2);
            if (!nx) continue;   /* no such name for it: the rule does not apply, as in convert */
        } else {
            nx = expand(r, r->targets[0], nm, m, NMATCH);
        }
        if (!nx) break;
        free(nm);
        nm = nx;
        changed = 1;
    }
    if (n) snprintf(out, n, "%s", nm);
    free(nm);
    return changed;
}

int ckpt_remap_name(const ckpt_remap *R, const char *name, char *out, size_t n)
{
    return map_name(R, NULL, -1, name, out, n);
}

int ckpt_remap_tensor_name(const ckpt_remap *R, ckpt_model *m, int tensor, char *out, size_t n)
{
    const ckpt_tensor *t = m ? ckpt_model_tensor(m, tensor) : NULL;
    if (!t) { if (n) *out = 0; return 0; }
    return map_name(R, m, tensor, t->name, out, n);
}

/* ---------------------------------------------------------------------- */
/* variables: `set` lines, then the model's config.json                    */

static int lookup_json(const cJSON *cfg, const char *key, int64_t *v)
{
    if (!cfg) return -1;
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(cfg, key);
    if (!cJSON_IsNumber(it)) {
        const cJSON *tc = cJSON_GetObjectItemCaseSensitive(cfg, "text_config");
        it = cJSON_IsObject(tc) ? cJSON_GetObjectItemCaseSensitive(tc, key) : NULL;
    }
    if (!cJSON_IsNumber(it) || it->valuedouble < 1 || it->valuedouble > 1e15) return -1;
    *v = (int64_t)it->valuedouble;
    return 0;
}

static int resolve(const ckpt_remap *R, const cJSON *cfg, const dimx *d, int64_t *v, char *miss, size_t mn)
{
    if (!d->var) { *v = d->v; return 0; }
    const char *p = d->var;
    while (*p) {
        const char *e = strchr(p, '|');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        char k[128];
        if (l >= sizeof k) l = sizeof k - 1;
        memcpy(k, p, l); k[l] = 0;
        if (isdigit((unsigned char)k[0])) { *v = strtoll(k, NULL, 10); if (*v > 0) return 0; }
        for (int i = 0; i < R->nv; i++)
            if (!strcmp(R->vk[i], k)) { *v = strtoll(R->vv[i], NULL, 10); return 0; }
        if (lookup_json(cfg, k, v) == 0) return 0;
        if (!e) break;
        p = e + 1;
    }
    snprintf(miss, mn, "%s", d->var);
    return -1;
}

/* ---------------------------------------------------------------------- */
/* applying rules to a plan                                                */

typedef struct outlist {
    ckpt_plan out;
    struct ckpt_name_index *ix;
    int *src_of;               /* per output entry: the input plan entry */
    int *rule_of;              /* per output: last rule line that renamed it, 0 */
    int cap_aux;
    const ckpt_plan *in;
    ckpt_model *m;
    /* drops (for previews) */
    int *dropped, ndropped, capdropped;
    int *drop_rule;
} outlist;

typedef struct xstate {
    char *name;
    ckpt_dtype odt;
    struct ckpt_xform xf;
    char desc[512];
    int rule_line;
} xstate;

static void desc_add(xstate *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void desc_add(xstate *st, const char *fmt, ...)
{
    size_t l = strlen(st->desc);
    if (l >= sizeof st->desc - 1) return;
    if (l) { snprintf(st->desc + l, sizeof st->desc - l, " | "); l = strlen(st->desc); }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->desc + l, sizeof st->desc - l, fmt, ap);
    va_end(ap);
}

static int apply_err(ckpt_err *err, const ckpt_remap *R, const rule *r, int col, const char *tensor,
                     const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int apply_err(ckpt_err *err, const ckpt_remap *R, const rule *r, int col, const char *tensor,
                     const char *fmt, ...)
{
    char m[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    (void)R;
    int rc = ckpt_err_set(err, CKPT_E_FORMAT, "%s:%d:%d: %s", r->origin, r->line, col, m);
    ckpt_err_at_tensor(err, tensor);
    return rc;
}

static const char *shape_s(const xf_seg *s, char *b, size_t n)
{
    size_t l = 0;
    l += (size_t)snprintf(b + l, n - l, "[");
    for (int d = 0; d < s->ndim && l < n; d++)
        l += (size_t)snprintf(b + l, n - l, "%s%lld", d ? ", " : "", (long long)s->shape[d]);
    if (l < n) snprintf(b + l, n - l, "]");
    return b;
}

static int do_op(const ckpt_remap *R, const rule *r, const rop *o, const cJSON *cfg, xstate *st,
                 const char *srcname, ckpt_err *err)
{
    char why[256], sb[160];
    const xf_seg *cs = ckpt__xf_out(&st->xf);
    switch (o->k) {
    case OP_TRANSPOSE:
        if (ckpt__xf_transpose(&st->xf, o->naxes, o->axes, why, sizeof why))
            return apply_err(err, R, r, o->col, srcname, "%s (shape %s)", why, shape_s(cs, sb, sizeof sb));
        if (o->naxes) {
            char a[64] = ""; size_t l = 0;
            for (int i = 0; i < o->naxes; i++) l += (size_t)snprintf(a + l, sizeof a - l, "%s%d", i ? "," : "", o->axes[i]);
            desc_add(st, "transpose(%s)", a);
        } else desc_add(st, "transpose");
        return 0;
    case OP_RESHAPE: {
        int64_t sh[CKPT_MAX_DIMS];
        int infer = -1;
        int64_t known = 1, total = 1;
        for (int d = 0; d < cs->ndim; d++) total *= cs->shape[d];
        for (int i = 0; i < o->ndims; i++) {
            char miss[128];
            if (resolve(R, cfg, &o->dims[i], &sh[i], miss, sizeof miss))
                return apply_err(err, R, r, o->dims[i].col, srcname,
                                 "{%s} is not set: no such number in the model's config.json; add 'set %s = N' to the rules",
                                 miss, strchr(miss, '|') ? "NAME" : miss);
            if (sh[i] == -1) infer = i; else known *= sh[i];
        }
        if (infer >= 0) {
            if (known == 0 || total % known)
                return apply_err(err, R, r, o->col, srcname, "reshape sizes disagree: %s (%lld elements) is not a multiple of %lld",
                                 shape_s(cs, sb, sizeof sb), (long long)total, (long long)known);
            sh[infer] = total / known;
        }
        if (ckpt__xf_reshape(&st->xf, o->ndims, sh, why, sizeof why)) {
            xf_seg tmp = {0};
            tmp.ndim = o->ndims;
            memcpy(tmp.shape, sh, sizeof(int64_t) * (size_t)o->ndims);
            char sb2[160];
            return apply_err(err, R, r, o->col, srcname, "%s: %s to %s", why, shape_s(cs, sb, sizeof sb), shape_s(&tmp, sb2, sizeof sb2));
        }
        xf_seg tmp = {0};
        tmp.ndim = o->ndims;
        memcpy(tmp.shape, sh, sizeof(int64_t) * (size_t)o->ndims);
        desc_add(st, "reshape%s", shape_s(&tmp, sb, sizeof sb));
        return 0;
    }
    case OP_CAST:
        st->odt = o->dt;
        desc_add(st, "cast(%s)", ckpt_dtype_name(o->dt));
        return 0;
    case OP_SPLIT:
        return 0; /* handled by the caller */
    }
    return 0;
}

static int emit(outlist *L, xstate *st, int in_i, ckpt_err *err)
{
    const ckpt_plan_entry *ie = &L->in->e[in_i];
    const xf_seg *s = ckpt__xf_out(&st->xf);
    int prev = ckpt__index_get(L->ix, st->name);
    if (prev >= 0) {
        const ckpt_tensor *a = ckpt_model_tensor(L->m, L->out.e[prev].src);
        const ckpt_tensor *b = ckpt_model_tensor(L->m, ie->src);
        int rc = ckpt_err_set(err, CKPT_E_FORMAT, "two tensors map to '%s': '%s' and '%s'",
                              st->name, a ? a->name : "?", b ? b->name : "?");
        ckpt_err_at_tensor(err, st->name);
        return rc;
    }
    if (ckpt__plan_add(&L->out, st->name, st->odt, s->ndim, s->shape, ie->src, err)) return err->code ? err->code : CKPT_E_NOMEM;
    int oi = L->out.n - 1;
    if (ckpt__index_put(L->ix, L->out.e[oi].name, oi) == -2)  /* the index borrows the key */ return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if (oi >= L->cap_aux) {
        int nc = L->cap_aux ? L->cap_aux * 2 : 256;
        int *a = realloc(L->src_of, (size_t)nc * sizeof *a);
        if (!a) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        L->src_of = a;
        int *b = realloc(L->rule_of, (size_t)nc * sizeof *b);
        if (!b) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        L->rule_of = b;
        L->cap_aux = nc;
    }
    L->src_of[oi] = in_i;
    L->rule_of[oi] = st->rule_line;
    /* keep the input entry's own transform (none in practice) out of it:
     * the chain starts from the source tensor */
    if (!ckpt__xf_is_plain(&st->xf)) {
        struct ckpt_xform *x = ckpt__xf_dup(&st->xf);
        if (!x) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        x->desc = strdup(st->desc);
        ckpt__xf_finish(x);
        L->out.e[oi].xf = x;
    }
    return 0;
}

static int add_drop(outlist *L, int in_i, int line, ckpt_err *err)
{
    if (L->ndropped == L->capdropped) {
        int nc = L->capdropped ? L->capdropped * 2 : 64;
        int *a = realloc(L->dropped, (size_t)nc * sizeof *a);
        if (!a) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        L->dropped = a;
        int *b = realloc(L->drop_rule, (size_t)nc * sizeof *b);
        if (!b) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        L->drop_rule = b;
        L->capdropped = nc;
    }
    L->dropped[L->ndropped] = in_i;
    L->drop_rule[L->ndropped++] = line;
    return 0;
}

static int run_rules(const ckpt_remap *R, const cJSON *cfg, int ri, xstate *st, outlist *L, int in_i,
                     const char *srcname, ckpt_err *err)
{
    for (int i = ri; i < R->n; i++) {
        rule *r = &R->r[i];
        regmatch_t m[NMATCH];
        if (rule_exec(r, st->name, m, NMATCH) != 0) continue;
        char *asn = NULL;
        if (r->as_naming) {
            /* the format's own name; none (no config, not a Keras input):
             * the rule does not apply and the name goes on unchanged */
            ckpt_err e2;
            ckpt_err_clear(&e2);
            int src = L->in->e[in_i].src;
            if (L->m->fmt && L->m->fmt->name_as) asn = L->m->fmt->name_as(L->m, src, r->as_naming, &e2);
            if (!asn) { if (e2.code == CKPT_E_NOMEM) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
                        r->hits++; r->nonames++; continue; }
        }
        r->hits++;   /* counters are the only state apply changes */
        if (r->drop) { free(st->name); st->name = NULL; return add_drop(L, in_i, r->line, err); }
        st->rule_line = r->line;
        int nops_before = r->split >= 0 ? r->split : r->nops;
        if (r->split < 0) {
            char *nx = asn ? asn : expand(r, r->targets[0], st->name, m, NMATCH);
            if (!nx) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
            free(st->name);
            st->name = nx;
            for (int k = 0; k < r->nops; k++) { int rc = do_op(R, r, &r->ops[k], cfg, st, srcname, err); if (rc) return rc; }
            continue;
        }
        for (int k = 0; k < nops_before; k++) { int rc = do_op(R, r, &r->ops[k], cfg, st, srcname, err); if (rc) return rc; }
        const rop *so = &r->ops[r->split];
        const xf_seg *cs = ckpt__xf_out(&st->xf);
        int axis = so->axis < 0 ? so->axis + cs->ndim : so->axis;
        char sb[160];
        if (axis < 0 || axis >= cs->ndim)
            return apply_err(err, R, r, so->col, srcname, "split axis %d out of range for shape %s", so->axis, shape_s(cs, sb, sizeof sb));
        int64_t size = cs->shape[axis], sizes[RULE_MAX_TARGETS];
        if (so->ndims == 0) {
            if (size % r->ntargets)
                return apply_err(err, R, r, so->col, srcname, "split sizes disagree: axis %d of %s does not divide into %d",
                                 axis, shape_s(cs, sb, sizeof sb), r->ntargets);
            for (int k = 0; k < r->ntargets; k++) sizes[k] = size / r->ntargets;
        } else {
            int infer = -1;
            int64_t sum = 0;
            for (int k = 0; k < so->ndims; k++) {
                char miss[128];
                if (resolve(R, cfg, &so->dims[k], &sizes[k], miss, sizeof miss))
                    return apply_err(err, R, r, so->dims[k].col, srcname, "{%s} is not set: no such number in the model's config.json; add 'set NAME = N' to the rules", miss);
                if (sizes[k] == -1) infer = k; else sum += sizes[k];
            }
            if (infer >= 0) sizes[infer] = size - sum, sum = size;
            if (sum != size || (infer >= 0 && sizes[infer] < 0))
                return apply_err(err, R, r, so->col, srcname, "split sizes disagree: they add up to %lld, axis %d of %s has %lld",
                                 (long long)sum, axis, shape_s(cs, sb, sizeof sb), (long long)size);
        }
        int64_t start = 0;
        for (int k = 0; k < r->ntargets; k++) {
            xstate ps = *st;
            ps.name = expand(r, r->targets[k], st->name, m, NMATCH);
            if (!ps.name) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
            char why[256];
            if (ckpt__xf_slice(&ps.xf, axis, start, sizes[k], why, sizeof why)) {
                free(ps.name);
                return apply_err(err, R, r, so->col, srcname, "%s", why);
            }
            desc_add(&ps, "split(%d)[%lld:%lld]", axis, (long long)start, (long long)(start + sizes[k]));
            start += sizes[k];
            int rc = 0;
            for (int q = r->split + 1; q < r->nops && !rc; q++) rc = do_op(R, r, &r->ops[q], cfg, &ps, srcname, err);
            if (!rc) rc = run_rules(R, cfg, i + 1, &ps, L, in_i, srcname, err);
            if (!rc && ps.name) rc = emit(L, &ps, in_i, err);
            free(ps.name);
            if (rc) return rc;
        }
        free(st->name);
        st->name = NULL;   /* pieces were emitted */
        return 0;
    }
    return 0;
}

/* Core of apply and preview: map every input entry into L->out. */
static int remap_plan(const ckpt_remap *R, ckpt_model *m, const ckpt_plan *in, outlist *L, ckpt_err *err)
{
    memset(L, 0, sizeof *L);
    L->in = in;
    L->m = m;
    L->ix = ckpt__index_new();
    if (!L->ix) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    cJSON *cfg = NULL;
    const char *cj = ckpt_model_hf_config(m);
    if (cj) cfg = cJSON_Parse(cj);
    for (int i = 0; i < R->n; i++) ((rule *)&R->r[i])->hits = ((rule *)&R->r[i])->nonames = 0;
    int rc = 0;
    for (int i = 0; i < in->n && !rc; i++) {
        const ckpt_plan_entry *ie = &in->e[i];
        const ckpt_tensor *t = ckpt_model_tensor(m, ie->src);
        xstate st;
        memset(&st, 0, sizeof st);
        st.name = strdup(ie->name);
        if (!st.name) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); break; }
        st.odt = ie->dtype;
        ckpt__xf_init(&st.xf, t ? t->dtype : ie->dtype, t ? t->ndim : ie->ndim, t ? t->shape : ie->shape);
        rc = run_rules(R, cfg, 0, &st, L, i, t ? t->name : ie->name, err);
        if (!rc && st.name) rc = emit(L, &st, i, err);
        free(st.name);
    }
    cJSON_Delete(cfg);
    return rc;
}

static void outlist_free(outlist *L)
{
    ckpt__plan_free(&L->out);
    ckpt__index_free(L->ix);
    free(L->src_of); free(L->rule_of); free(L->dropped); free(L->drop_rule);
    memset(L, 0, sizeof *L);
}

int ckpt__remap_apply(const ckpt_remap *R, ckpt_model *m, ckpt_plan *p, ckpt_err *err)
{
    if (!R || R->n == 0) return 0;
    outlist L;
    int rc = remap_plan(R, m, p, &L, err);
    if (rc) { outlist_free(&L); return rc; }
    ckpt__plan_free(p);
    *p = L.out;
    L.out.e = NULL; L.out.n = L.out.cap = 0;
    outlist_free(&L);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* previews: a model seen through the rules                                */

struct ckpt_remapped {
    ckpt_model *m;
    ckpt_plan plan;
    int *rule_line;
    int *dropped, *drop_line, ndropped;
    char **warn;
    int nwarn;
    int nopt;                  /* optimizer tensors left out */
};

int ckpt__plan_from_model(ckpt_model *m, int include_optimizer, ckpt_plan *p, ckpt_err *err)
{
    memset(p, 0, sizeof *p);
    for (int i = 0; i < ckpt_model_ntensors(m); i++) {
        const ckpt_tensor *t = ckpt_model_tensor(m, i);
        if ((t->flags & CKPT_TF_OPTIMIZER) && !include_optimizer) continue;
        if (ckpt__plan_add(p, t->name, t->dtype, t->ndim, t->shape, i, err)) return err->code ? err->code : CKPT_E_NOMEM;
    }
    return 0;
}

int ckpt_remap_preview(const ckpt_remap *R, ckpt_model *m, ckpt_remapped **out, ckpt_err *err)
{
    return ckpt_remap_preview_ex(R, m, 0, out, err);
}

int ckpt_remapped_noptimizer(const ckpt_remapped *v) { return v ? v->nopt : 0; }

int ckpt_remap_preview_ex(const ckpt_remap *R, ckpt_model *m, unsigned flags, ckpt_remapped **out, ckpt_err *err)
{
    *out = NULL;
    ckpt_remapped *v = calloc(1, sizeof *v);
    if (!v) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    v->m = m;
    int incl = (flags & CKPT_REMAP_INCLUDE_OPTIMIZER) != 0;
    if (!incl)
        for (int i = 0; i < ckpt_model_ntensors(m); i++)
            v->nopt += (ckpt_model_tensor(m, i)->flags & CKPT_TF_OPTIMIZER) != 0;
    ckpt_plan in;
    int rc = ckpt__plan_from_model(m, incl, &in, err);
    if (rc) { ckpt__plan_free(&in); free(v); return rc; }
    if (!R || R->n == 0) {
        v->plan = in;
        v->rule_line = calloc((size_t)(in.n ? in.n : 1), sizeof(int));
        if (!v->rule_line) { ckpt_remapped_free(v); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
        *out = v;
        return 0;
    }
    outlist L;
    rc = remap_plan(R, m, &in, &L, err);
    if (rc) { outlist_free(&L); ckpt__plan_free(&in); free(v); return rc; }
    v->plan = L.out;
    L.out.e = NULL; L.out.n = L.out.cap = 0;
    v->rule_line = L.rule_of; L.rule_of = NULL;
    if (!v->rule_line) v->rule_line = calloc(1, sizeof(int));
    v->ndropped = L.ndropped;
    v->dropped = malloc(sizeof(int) * (size_t)(L.ndropped + 1));
    v->drop_line = L.drop_rule; L.drop_rule = NULL;
    if (v->dropped)
        for (int i = 0; i < L.ndropped; i++) v->dropped[i] = in.e[L.dropped[i]].src;
    outlist_free(&L);
    ckpt__plan_free(&in);
    if (!v->dropped || !v->rule_line) { ckpt_remapped_free(v); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
    for (int i = 0; i < R->n; i++) {
        char *w = ckpt_remap_unmatched_warning(R, i);
        if (!w) continue;
        char **nw = realloc(v->warn, (size_t)(v->nwarn + 1) * sizeof *nw);
        if (!nw) { free(w); break; }
        v->warn = nw;
        v->warn[v->nwarn++] = w;
    }
    *out = v;
    return 0;
}

void ckpt_remapped_free(ckpt_remapped *v)
{
    if (!v) return;
    for (int i = 0; i < v->plan.n; i++)
        if (v->plan.e[i].xf) { ckpt__xform_free(v->plan.e[i].xf); v->plan.e[i].xf = NULL; }
    ckpt__plan_free(&v->plan);
    free(v->rule_line); free(v->dropped); free(v->drop_line);
    for (int i = 0; i < v->nwarn; i++) free(v->warn[i]);
    free(v->warn);
    free(v);
}

int ckpt_remapped_count(const ckpt_remapped *v) { return v ? v->plan.n : 0; }

int ckpt_remapped_entry(const ckpt_remapped *v, int i, ckpt_remapped_info *info)
{
    if (!v || i < 0 || i >= v->plan.n) return -1;
    const ckpt_plan_entry *e = &v->plan.e[i];
    info->name = e->name;
    info->src = e->src;
    info->dtype = e->dtype;
    info->ndim = e->ndim;
    memcpy(info->shape, e->shape, sizeof info->shape);
    info->nbytes = e->nbytes;
    info->rule_line = v->rule_line[i];
    info->xform = e->xf ? e->xf->desc : NULL;
    return 0;
}

int ckpt_remapped_find(const ckpt_remapped *v, const char *name)
{
    if (!v) return -1;
    for (int i = 0; i < v->plan.n; i++)
        if (!strcmp(v->plan.e[i].name, name)) return i;
    return -1;
}

int ckpt_remapped_ndropped(const ckpt_remapped *v) { return v ? v->ndropped : 0; }
int ckpt_remapped_dropped(const ckpt_remapped *v, int i, int *rule_line)
{
    if (!v || i < 0 || i >= v->ndropped) return -1;
    if (rule_line) *rule_line = v->drop_line[i];
    return v->dropped[i];
}
int ckpt_remapped_nwarnings(const ckpt_remapped *v) { return v ? v->nwarn : 0; }
const char *ckpt_remapped_warning(const ckpt_remapped *v, int i)
{
    return v && i >= 0 && i < v->nwarn ? v->warn[i] : NULL;
}

int ckpt_remapped_read(ckpt_remapped *v, int i, uint64_t off, void *buf, size_t n, ckpt_err *err)
{
    if (!v || i < 0 || i >= v->plan.n) return ckpt_err_set(err, CKPT_E_USAGE, "no such mapped tensor %d", i);
    return ckpt__plan_read(v->m, &v->plan.e[i], off, buf, n, err);
}
