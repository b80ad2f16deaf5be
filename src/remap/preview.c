/* src/remap/preview.c: a model seen through the remap rules (the plan
 * convert would write, with the dropped tensors and the rules' warnings),
 * for `ckpt maps --preview`, diff --map and the TUI's remap editor. */
#include <stdlib.h>
#include <string.h>

#include "remap/rules.h"

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
    rc = ckpt__remap_plan(R, m, &in, &L, err);
    if (rc) { ckpt__outlist_free(&L); ckpt__plan_free(&in); free(v); return rc; }
    v->plan = L.out;
    L.out.e = NULL; L.out.n = L.out.cap = 0;
    v->rule_line = L.rule_of; L.rule_of = NULL;
    if (!v->rule_line) v->rule_line = calloc(1, sizeof(int));
    v->ndropped = L.ndropped;
    v->dropped = malloc(sizeof(int) * (size_t)(L.ndropped + 1));
    v->drop_line = L.drop_rule; L.drop_rule = NULL;
    if (v->dropped)
        for (int i = 0; i < L.ndropped; i++) v->dropped[i] = in.e[L.dropped[i]].src;
    ckpt__outlist_free(&L);
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
