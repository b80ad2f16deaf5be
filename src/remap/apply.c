/* src/remap/apply.c: the remap rules applied: a name through the rules
 * (renames, drops, @NAMING), and a conversion plan rewritten through them
 * (renames, drops, and the transpose / reshape / split / cast chains
 * compiled into transforms, xform.c). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "remap/rules.h"

int ckpt__rule_exec(const rule *r, const char *name, size_t len, ckpt_rx_span *m)
{
    /* only the groups the rule has: the targets name no others (parse.c) */
    return ckpt__rx_exec(r->rx, name, len, m, r->nsub < NMATCH ? r->nsub + 1 : NMATCH);
}

/* ---------------------------------------------------------------------- */
/* matching                                                                */

/* Expand target `t` for a match of `name`; malloc'd. */
static char *expand(const rule *r, const char *t, const char *name, const ckpt_rx_span *m, size_t nm)
{
    size_t cap = strlen(name) + strlen(t) + 64, n = 0;
    char *o = malloc(cap);
    if (!o) return NULL;
#define PUT(ptr, len) do { size_t L_ = (len); if (n + L_ + 1 > cap) { cap = (n + L_ + 1) * 2; char *no_ = realloc(o, cap); if (!no_) { free(o); return NULL; } o = no_; } memcpy(o + n, (ptr), L_); n += L_; } while (0)
    PUT(name, (size_t)m[0].so);
    for (size_t i = 0; t[i]; i++) {
        if (t[i] != '$') { PUT(t + i, 1); continue; }
        if (t[i + 1] == '$') { PUT("$", 1); i++; continue; }
        long g;
        if (t[i + 1] == '{') { char *end; g = strtol(t + i + 2, &end, 10); i = (size_t)(end - t); }
        else { g = t[i + 1] - '0'; i++; }
        if (g >= 0 && (size_t)g < nm && m[g].so >= 0) PUT(name + m[g].so, (size_t)(m[g].eo - m[g].so));
    }
    PUT(name + m[0].eo, strlen(name + m[0].eo));
    o[n] = 0;
#undef PUT
    (void)r;
    return o;
}

/* Names only; "-> @NAMING" rules apply when the model and tensor are
 * given (the format's own name for it), else they are skipped. */
static int map_name(const ckpt_remap *R, ckpt_model *model, int tensor, const char *name, char *out, size_t n)
{
    char *nm = strdup(name ? name : "");
    int changed = 0;
    cand C;
    if (!nm || !R || ckpt__cand_init(&C, R)) { if (n) snprintf(out, n, "%s", nm ? nm : ""); free(nm); return 0; }
    size_t len = strlen(nm);
    ckpt__cand_fill(&C, nm, len);
    for (int i = ckpt__cand_next(&C, 0); i >= 0; i = ckpt__cand_next(&C, i + 1)) {
        const rule *r = &R->r[i];
        ckpt_rx_span m[NMATCH];
        if (r->as_naming && !(model && model->fmt && model->fmt->name_as)) continue;
        if (ckpt__rule_exec(r, nm, len, m) != 1) continue;
        if (r->drop) { free(nm); ckpt__cand_free(&C); if (n) snprintf(out, n, "%s", name); return -1; }
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
        len = strlen(nm);
        ckpt__cand_fill(&C, nm, len);   /* the new name has its own candidates */
    }
    ckpt__cand_free(&C);
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
    va_list ap;
    va_start(ap, fmt);
    int rc = ckpt__remap_vperr(err, r->origin, r->line, col, fmt, ap);
    va_end(ap);
    (void)R;
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

/* two parallel int arrays doubled (first size `first`); -1 out of memory */
static int grow2(int **a, int **b, int *cap, int first)
{
    int nc = *cap ? *cap * 2 : first;
    int *na = realloc(*a, (size_t)nc * sizeof *na);
    if (!na) return -1;
    *a = na;
    int *nb = realloc(*b, (size_t)nc * sizeof *nb);
    if (!nb) return -1;
    *b = nb;
    *cap = nc;
    return 0;
}

static int emit(outlist *L, xstate *st, int in_i, ckpt_err *err)
{
    const ckpt_plan_entry *ie = &L->in->e[in_i];
    const xf_seg *s = ckpt__xf_out(&st->xf);
    if (ckpt__plan_add(&L->out, st->name, st->odt, s->ndim, s->shape, ie->src, err)) return err->code ? err->code : CKPT_E_NOMEM;
    int oi = L->out.n - 1;
    /* one probe finds a name taken or takes it (the index borrows the key) */
    int prev = ckpt__index_put(L->ix, L->out.e[oi].name, oi);
    if (prev == -2) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if (prev >= 0) {
        const ckpt_tensor *a = ckpt_model_tensor(L->m, L->out.e[prev].src);
        const ckpt_tensor *b = ckpt_model_tensor(L->m, ie->src);
        int rc = ckpt_err_set(err, CKPT_E_FORMAT, "two tensors map to '%s': '%s' and '%s'",
                              st->name, a ? a->name : "?", b ? b->name : "?");
        ckpt_err_at_tensor(err, st->name);
        free(L->out.e[oi].name);   /* not in the plan after all */
        L->out.n--;
        return rc;
    }
    if (oi >= L->cap_aux && grow2(&L->src_of, &L->rule_of, &L->cap_aux, 256))
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
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
    if (L->ndropped == L->capdropped && grow2(&L->dropped, &L->drop_rule, &L->capdropped, 64))
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    L->dropped[L->ndropped] = in_i;
    L->drop_rule[L->ndropped++] = line;
    return 0;
}

/* the sizes a split cuts axis `axis` (of size `size`) into */
static int split_sizes(const ckpt_remap *R, const rule *r, const rop *so, const cJSON *cfg, const xf_seg *cs,
                       int axis, int64_t *sizes, const char *srcname, ckpt_err *err)
{
    char sb[160];
    int64_t size = cs->shape[axis];
    if (so->ndims == 0) {
        if (size % r->ntargets)
            return apply_err(err, R, r, so->col, srcname, "split sizes disagree: axis %d of %s does not divide into %d",
                             axis, shape_s(cs, sb, sizeof sb), r->ntargets);
        for (int k = 0; k < r->ntargets; k++) sizes[k] = size / r->ntargets;
        return 0;
    }
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
    return 0;
}

static int run_rules(const ckpt_remap *R, const cJSON *cfg, int ri, xstate *st, outlist *L, int in_i,
                     const char *srcname, ckpt_err *err);

/* Rule i splits the tensor: each piece gets its name, its slice, the
 * operations after the split and the rules below, and is emitted. */
static int run_split(const ckpt_remap *R, const cJSON *cfg, int i, const ckpt_rx_span *m, xstate *st, outlist *L,
                     int in_i, const char *srcname, ckpt_err *err)
{
    const rule *r = &R->r[i];
    for (int k = 0; k < r->split; k++) { int rc = do_op(R, r, &r->ops[k], cfg, st, srcname, err); if (rc) return rc; }
    const rop *so = &r->ops[r->split];
    const xf_seg *cs = ckpt__xf_out(&st->xf);
    int axis = so->axis < 0 ? so->axis + cs->ndim : so->axis;
    char sb[160];
    if (axis < 0 || axis >= cs->ndim)
        return apply_err(err, R, r, so->col, srcname, "split axis %d out of range for shape %s", so->axis, shape_s(cs, sb, sizeof sb));
    int64_t sizes[RULE_MAX_TARGETS], start = 0;
    int rc = split_sizes(R, r, so, cfg, cs, axis, sizes, srcname, err);
    if (rc) return rc;
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

/* "-> @NAMING": the format's own name (1, in *asn); none (no config, not
 * a Keras input): 0, the rule does not apply and the name goes on;
 * -1 out of memory */
static int naming_of(outlist *L, int in_i, rule *r, char **asn, ckpt_err *err)
{
    ckpt_err e2;
    ckpt_err_clear(&e2);
    int src = L->in->e[in_i].src;
    *asn = NULL;
    if (L->m->fmt && L->m->fmt->name_as) *asn = L->m->fmt->name_as(L->m, src, r->as_naming, &e2);
    if (*asn) return 1;
    if (e2.code == CKPT_E_NOMEM) { ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); return -1; }
    r->hits++;
    r->nonames++;
    return 0;
}

static int run_candidates(const ckpt_remap *R, const cJSON *cfg, int ri, xstate *st, outlist *L, int in_i,
                          const char *srcname, cand *C, ckpt_err *err)
{
    size_t len = strlen(st->name);
    ckpt__cand_fill(C, st->name, len);
    for (int i = ckpt__cand_next(C, ri); i >= 0; i = ckpt__cand_next(C, i + 1)) {
        rule *r = &R->r[i];
        ckpt_rx_span m[NMATCH];
        int hit = ckpt__rule_exec(r, st->name, len, m);
        if (hit < 0)
            return apply_err(err, R, r, r->col, srcname, "the regex gave up on '%s' (backtracking limit): simplify the rule", st->name);
        if (!hit) continue;
        char *asn = NULL;
        if (r->as_naming) {
            int rc = naming_of(L, in_i, r, &asn, err);
            if (rc < 0) return err->code;
            if (rc == 0) continue;
        }
        r->hits++;   /* counters are the only state apply changes */
        if (r->drop) { free(st->name); st->name = NULL; return add_drop(L, in_i, r->line, err); }
        st->rule_line = r->line;
        if (r->split >= 0) return run_split(R, cfg, i, m, st, L, in_i, srcname, err);
        char *nx = asn ? asn : expand(r, r->targets[0], st->name, m, NMATCH);
        if (!nx) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        free(st->name);
        st->name = nx;
        len = strlen(nx);
        ckpt__cand_fill(C, nx, len);
        for (int k = 0; k < r->nops; k++) { int rc = do_op(R, r, &r->ops[k], cfg, st, srcname, err); if (rc) return rc; }
    }
    return 0;
}

/* Rules ri.. on the tensor in st, top to bottom (only those whose literal
 * prefix the current name has: dispatch.c). */
static int run_rules(const ckpt_remap *R, const cJSON *cfg, int ri, xstate *st, outlist *L, int in_i,
                     const char *srcname, ckpt_err *err)
{
    cand C;
    if (ckpt__cand_init(&C, R)) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    int rc = run_candidates(R, cfg, ri, st, L, in_i, srcname, &C, err);
    ckpt__cand_free(&C);
    return rc;
}

/* Core of apply and preview: map every input entry into L->out. */
int ckpt__remap_plan(const ckpt_remap *R, ckpt_model *m, const ckpt_plan *in, outlist *L, ckpt_err *err)
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
        xstate st;   /* not zeroed whole: xf_init clears the transform, desc is a string */
        st.desc[0] = 0;
        st.rule_line = 0;
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

void ckpt__outlist_free(outlist *L)
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
    int rc = ckpt__remap_plan(R, m, p, &L, err);
    if (rc) { ckpt__outlist_free(&L); return rc; }
    ckpt__plan_free(p);
    *p = L.out;
    L.out.e = NULL; L.out.n = L.out.cap = 0;
    ckpt__outlist_free(&L);
    return 0;
}
