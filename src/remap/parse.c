/* src/remap/parse.c: the line grammar of the remap rules (rules.h):
 * `set` lines, the regex before "->", the targets after it, then the
 * operations (parse_ops.c). Every error names ORIGIN:LINE:COL. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remap/rules.h"

int ckpt__remap_vperr(ckpt_err *err, const char *origin, int line, int col, const char *fmt, va_list ap)
{
    char m[600];
    vsnprintf(m, sizeof m, fmt, ap);
    return ckpt_err_set(err, CKPT_E_FORMAT, "%s:%d:%d: %s", origin, line, col, m);
}

int ckpt__remap_perr(ckpt_err *err, const char *origin, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = ckpt__remap_vperr(err, origin, line, col, fmt, ap);
    va_end(ap);
    return rc;
}
#define perr ckpt__remap_perr
#define skipws ckpt__skipws
#define colof ckpt__colof

/* set NAME = VALUE (c is past "set") */
static int parse_set(ckpt_remap *R, cur *c)
{
    const char *s = c->s;
    skipws(c);
    size_t k = c->i;
    while (isalnum((unsigned char)s[k]) || s[k] == '_' || s[k] == '.') k++;
    if (k == c->i) return perr(c->err, R->origin, c->line, colof(c), "set needs a name");
    size_t n0 = c->i, nl = k - c->i;
    c->i = k;
    skipws(c);
    if (s[c->i] != '=') return perr(c->err, R->origin, c->line, colof(c), "'=' expected");
    c->i++;
    skipws(c);
    char *end;
    errno = 0;
    long long v = strtoll(s + c->i, &end, 10);
    if (end == s + c->i || errno || v < 1) return perr(c->err, R->origin, c->line, colof(c), "a positive integer is expected");
    c->i = (size_t)(end - s);
    skipws(c);
    if (s[c->i] && s[c->i] != '#') return perr(c->err, R->origin, c->line, colof(c), "unexpected text after the value");
    char val[32];
    snprintf(val, sizeof val, "%lld", v);
    char *name = ckpt__strndup(s + n0, nl);
    int rc = !name || ckpt__remap_setvar(R, name, val);
    free(name);
    return rc ? ckpt_err_set(c->err, CKPT_E_NOMEM, "out of memory") : 0;
}

/* the regex s[c->i, pend) into r->rx */
static int parse_pattern(ckpt_remap *R, cur *c, rule *r, size_t pend)
{
    size_t plen = pend - c->i;
    if (plen > PAT_MAX) return perr(c->err, R->origin, c->line, colof(c), "regex longer than %d characters", PAT_MAX);
    r->col = colof(c);
    char *pat = ckpt__strndup(c->s + c->i, plen);
    if (!pat) return ckpt_err_set(c->err, CKPT_E_NOMEM, "out of memory");
    char em[256];
    size_t ecol = 0;
    r->rx = ckpt__rx_compile(pat, &ecol, em, sizeof em);
    free(pat);
    if (!r->rx) return perr(c->err, R->origin, c->line, r->col + (int)ecol, "bad regex: %s", em);
    r->nsub = ckpt__rx_ngroups(r->rx);
    return 0;
}

/* Check the $ references of target t (at column tcol) and turn ${name}
 * into ${N}; *out is malloc'd. */
static int check_target(cur *c, const rule *r, const char *t, int tcol, char **out)
{
    size_t tl = strlen(t);
    char *o = malloc(tl + 1), *w = o;   /* ${N} is never longer than ${name} */
    if (!o) return ckpt_err_set(c->err, CKPT_E_NOMEM, "out of memory");
    for (size_t i = 0; t[i]; i++) {
        *w++ = t[i];
        if (t[i] != '$') continue;
        size_t j = i + 1, at = i;
        if (t[j] == '$') { *w++ = '$'; i = j; continue; }
        long g = -1;
        const char *close = NULL;
        if (t[j] == '{' && (close = strchr(t + j, '}'))) {
            char *end;
            g = strtol(t + j + 1, &end, 10);
            if (end != close || end == t + j + 1) g = ckpt__rx_group_number(r->rx, t + j + 1, (size_t)(close - t - j - 1));
            if (g < 0) {
                free(o);
                return perr(c->err, c->origin, c->line, tcol + (int)i, "no group '%.*s' in the regex (${N} or ${name})",
                            (int)(close - t - j - 1), t + j + 1);
            }
            w += sprintf(w, "{%ld}", g);
            i = (size_t)(close - t);
        } else if (isdigit((unsigned char)t[j])) {
            g = t[j] - '0';
            *w++ = t[j];
            i = j;
        } else {
            free(o);
            return perr(c->err, c->origin, c->line, tcol + (int)i, "'$' must be followed by a group ($1, ${12}, ${name}) or '$'");
        }
        if (g > r->nsub || g > CKPT_RX_MAXGROUPS) {
            free(o);
            if (g <= r->nsub)
                return perr(c->err, c->origin, c->line, tcol + (int)at, "group $%ld: a target names groups up to $%d", g, CKPT_RX_MAXGROUPS);
            return perr(c->err, c->origin, c->line, tcol + (int)at, "group $%ld does not exist (the regex has %d)", g, r->nsub);
        }
    }
    *w = 0;
    *out = o;
    return 0;
}

/* the comma-separated targets in s[c->i, tend) */
static int parse_targets(cur *c, rule *r, size_t tend)
{
    const char *s = c->s;
    size_t p = c->i;
    while (p < tend) {
        size_t q = p;
        while (q < tend && s[q] != ',') q++;
        size_t e = q;
        while (e > p && (s[e - 1] == ' ' || s[e - 1] == '\t')) e--;
        size_t b = p;
        while (b < e && (s[b] == ' ' || s[b] == '\t')) b++;
        if (b == e) return perr(c->err, c->origin, c->line, (int)b + 1, "empty target name");
        for (size_t z = b; z < e; z++)
            if (s[z] == ' ' || s[z] == '\t') return perr(c->err, c->origin, c->line, (int)z + 1, "space in a target name (separate names with ',')");
        if (r->ntargets >= RULE_MAX_TARGETS) return perr(c->err, c->origin, c->line, (int)b + 1, "too many target names (max %d)", RULE_MAX_TARGETS);
        char *raw = ckpt__strndup(s + b, e - b);
        if (!raw) return ckpt_err_set(c->err, CKPT_E_NOMEM, "out of memory");
        int rc = check_target(c, r, raw, (int)b + 1, &r->targets[r->ntargets]);
        free(raw);
        if (rc) return rc;
        r->ntargets++;
        p = q + 1;
    }
    return 0;
}

/* "-> @NAMING": the name the input's format gives the tensor under NAMING */
static int parse_naming(cur *c, rule *r)
{
    const char *nm = r->targets[0] + 1;
    int col = (int)(strstr(c->s, r->targets[0]) - c->s) + 1;
    size_t k = 0;
    while (nm[k] && (islower((unsigned char)nm[k]) || isdigit((unsigned char)nm[k]) || nm[k] == '_')) k++;
    if (!k || nm[k]) return perr(c->err, c->origin, c->line, col, "@NAMING wants a naming such as @keras3");
    if (r->ntargets > 1) return perr(c->err, c->origin, c->line, col, "@%s names one tensor: it cannot be split", nm);
    if (!(r->as_naming = strdup(nm))) return ckpt_err_set(c->err, CKPT_E_NOMEM, "out of memory");
    return 0;
}

/* after "->": targets or drop, then "| OP" ..., then the checks between them */
static int parse_rhs(cur *c, rule *r)
{
    const char *s = c->s;
    skipws(c);
    size_t k = c->i;
    while (s[k] && s[k] != '|' && !(s[k] == '#' && (s[k - 1] == ' ' || s[k - 1] == '\t'))) k++;
    size_t tend = k;
    while (tend > c->i && (s[tend - 1] == ' ' || s[tend - 1] == '\t')) tend--;
    if (tend == c->i) return perr(c->err, c->origin, c->line, colof(c), "a target name (or 'drop') is expected after ->");
    int rc;
    if (tend - c->i == 4 && !strncmp(s + c->i, "drop", 4)) r->drop = 1;
    else if ((rc = parse_targets(c, r, tend))) return rc;
    c->i = k;
    while (s[c->i] == '|') {
        c->i++;
        if (r->drop) return perr(c->err, c->origin, c->line, colof(c), "a dropped tensor takes no operations");
        if ((rc = ckpt__remap_parse_op(c, r))) return rc;
        skipws(c);
    }
    if (s[c->i] && s[c->i] != '#') return perr(c->err, c->origin, c->line, colof(c), "unexpected text '%.20s'", s + c->i);
    if (r->ntargets >= 1 && r->targets[0][0] == '@' && (rc = parse_naming(c, r))) return rc;
    if (r->ntargets > 1 && r->split < 0) return perr(c->err, c->origin, c->line, colof(c), "%d names need a split(AXIS) operation", r->ntargets);
    if (r->split >= 0 && r->ntargets < 2) return perr(c->err, c->origin, c->line, r->ops[r->split].col, "split needs two or more target names");
    return 0;
}

/* the first "->" with whitespace on both sides, at or after from */
static size_t find_arrow(const char *s, size_t from)
{
    for (size_t a = from; s[a]; a++)
        if (s[a] == '-' && s[a + 1] == '>' && a > from && (s[a - 1] == ' ' || s[a - 1] == '\t')
            && (s[a + 2] == ' ' || s[a + 2] == '\t' || s[a + 2] == 0))
            return a;
    return (size_t)-1;
}

static int parse_rule(ckpt_remap *R, cur *c, rule *r)
{
    const char *s = c->s;
    if (s[c->i] == '?' && (s[c->i + 1] == ' ' || s[c->i + 1] == '\t')) { r->optional = 1; c->i++; skipws(c); }
    size_t a = find_arrow(s, c->i);
    if (a == (size_t)-1) return perr(c->err, R->origin, c->line, colof(c), "expected 'REGEX -> NAME' (with spaces around ->)");
    size_t pend = a;
    while (pend > c->i && (s[pend - 1] == ' ' || s[pend - 1] == '\t')) pend--;
    int rc = parse_pattern(R, c, r, pend);
    if (rc) return rc;
    c->i = a + 2;
    if ((rc = parse_rhs(c, r))) return rc;
    size_t tl = strlen(s);
    while (tl && (s[tl - 1] == ' ' || s[tl - 1] == '\t' || s[tl - 1] == '\r')) tl--;
    size_t t0 = 0;
    while (t0 < tl && (s[t0] == ' ' || s[t0] == '\t')) t0++;
    r->text = ckpt__strndup(s + t0, tl - t0);
    r->origin = strdup(R->origin);
    if (!r->text || !r->origin) return ckpt_err_set(c->err, CKPT_E_NOMEM, "out of memory");
    return 0;
}

int ckpt__remap_parse_line(ckpt_remap *R, const char *s, int lineno, ckpt_err *err)
{
    cur c = {s, 0, R->origin, lineno, err};
    skipws(&c);
    if (!s[c.i] || s[c.i] == '#') return 0;
    if (!strncmp(s + c.i, "set", 3) && (s[c.i + 3] == ' ' || s[c.i + 3] == '\t')) {
        c.i += 3;
        return parse_set(R, &c);
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
    int rc = parse_rule(R, &c, r);
    if (rc) { ckpt__remap_rule_free(r); return rc; }
    R->n++;
    return 0;
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
        int rc = ckpt__remap_parse_line(R, ln, line, err);
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
    ckpt_remap *R = ckpt__remap_new(origin);
    if (!R) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    int rc = parse_into(R, text ? text : "", 1, err);
    if (rc) { ckpt_remap_free(R); return rc; }
    *out = R;
    return 0;
}
