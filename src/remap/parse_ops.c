/* src/remap/parse_ops.c: the operations after '|' in a remap rule:
 * transpose, reshape, split, cast, and their argument lists. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "remap/rules.h"

#define perr ckpt__remap_perr
#define skipws ckpt__skipws
#define colof ckpt__colof

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

static int op_transpose(cur *c, rop *o)
{
    dimx a[CKPT_MAX_DIMS + 1];
    int n = 0, rc;
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
    return 0;
}

static int op_reshape(cur *c, rop *o)
{
    int rc;
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
    return 0;
}

static int op_split(cur *c, rule *r, rop *o)
{
    int rc;
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
    for (int i = 0; i < o->ndims; i++)
        if (!o->dims[i].var && o->dims[i].v == -1 && infer++)
            return perr(c->err, c->origin, c->line, o->dims[i].col, "only one -1 per split");
    return 0;
}

static int op_cast(cur *c, rop *o)
{
    o->k = OP_CAST;
    skipws(c);
    if (c->s[c->i] != '(') return perr(c->err, c->origin, c->line, colof(c), "cast needs (DTYPE)");
    c->i++;
    skipws(c);
    size_t k = c->i;
    while (isalnum((unsigned char)c->s[k]) || c->s[k] == '_') k++;
    char dt[32];
    if (k - c->i == 0 || k - c->i >= sizeof dt) return perr(c->err, c->origin, c->line, colof(c), "a dtype is expected (F16, BF16, F32, ...)");
    memcpy(dt, c->s + c->i, k - c->i);
    dt[k - c->i] = 0;
    o->dt = dtype_word(dt);
    if (o->dt == CKPT_DT_INVALID) return perr(c->err, c->origin, c->line, colof(c), "unknown dtype '%s'", dt);
    c->i = k;
    skipws(c);
    if (c->s[c->i] != ')') return perr(c->err, c->origin, c->line, colof(c), "')' expected");
    c->i++;
    return 0;
}

int ckpt__remap_parse_op(cur *c, rule *r)
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
    if (wl == 0) return perr(c->err, c->origin, c->line, colof(c), "an operation is expected (transpose, reshape, split, cast)");
    c->i = j;
    if (wl == 9 && !strncmp(w, "transpose", 9)) return op_transpose(c, o);
    if (wl == 7 && !strncmp(w, "reshape", 7)) return op_reshape(c, o);
    if (wl == 5 && !strncmp(w, "split", 5)) return op_split(c, r, o);
    if (wl == 4 && !strncmp(w, "cast", 4)) return op_cast(c, o);
    return perr(c->err, c->origin, c->line, o->col, "unknown operation '%.*s' (transpose, reshape, split, cast)", (int)wl, w);
}
