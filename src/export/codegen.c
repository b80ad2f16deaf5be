/* src/export/codegen.c: what the code exporters share (codegen.h): text
 * buffers, the writer begin (graph + weights), the plan trimmed to the
 * weights the graph uses, and the layout of calls and ops. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/codegen.h"
#include "remap_int.h"

/* ---- text ------------------------------------------------------------------ */

int ckpt__cg_flush(cg_buf *b, int fd, const char *path, ckpt_err *err)
{
    if (b->oom) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if (b->n && ckpt__write_full(fd, b->p, b->n)) {
        ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write");
        ckpt_err_at_path(err, path);
        return CKPT_E_IO;
    }
    b->n = 0;
    return 0;
}

const char *ckpt__cg_template(const char *name, size_t *len, ckpt_err *err)
{
    const char *t = ckpt__template(name, len);
    if (!t) ckpt_err_set(err, CKPT_E_UNSUPPORTED, "internal: template %s is not compiled in", name);
    return t;
}

/* Offered only when the layer graph builds: the picker then shows the
 * export's own refusal (layer, class, option) instead of failing later. */
int ckpt__cg_can_write(const ckpt_model *m, char *why, size_t n)
{
    kg_graph g;
    ckpt_err e = {0};
    if (!m->config_json) {   /* short: the TUI lists it beside the other formats' reasons */
        snprintf(why, n, "code export needs the architecture: this model has no Keras config (weights only)");
        return 0;
    }
    if (ckpt__kg_build(m, &g, &e)) {
        snprintf(why, n, "%s", e.msg);
        return 0;
    }
    ckpt__kg_free(&g);
    return 1;
}

/* ---- the plan: the graph's weights only, as float32 ------------------------ */

int ckpt__cg_prepare(ckpt_model *m, const ckpt_convert_opts *o, ckpt_plan *p, ckpt_err *err)
{
    if (o->cast && o->cast != CKPT_F32)
        return ckpt_err_set(err, CKPT_E_USAGE, "--dtype %s: code export computes in float32 (weights are cast to F32)",
                            ckpt_dtype_name(o->cast));
    kg_graph g;
    int rc = ckpt__kg_build(m, &g, err);
    if (rc) {
        ckpt_err_at_path(err, m->path);
        return rc;
    }
    int k = 0;
    for (int i = 0; i < p->n; i++) {
        ckpt_plan_entry *e = &p->e[i];
        if (e->src < 0 || e->src >= m->ntensors || !g.wused[e->src]) {
            free(e->name);
            if (e->xf) ckpt__xform_free(e->xf);
            continue;
        }
        if (e->dtype != CKPT_F32) {
            if (!ckpt_dtype_is_float(e->dtype)) {
                rc = ckpt_err_set(err, CKPT_E_UNSUPPORTED, "weight '%s' is %s: code export computes in float32",
                                  e->name, ckpt_dtype_name(e->dtype));
                for (int j = i; j < p->n; j++) p->e[k++] = p->e[j];
                p->n = k;
                ckpt__kg_free(&g);
                return rc;
            }
            e->dtype = CKPT_F32;            /* a cast read: F16/BF16/F64 weights compute in float32 */
            uint64_t ne = 1;
            for (int d = 0; d < e->ndim; d++) ne *= (uint64_t)e->shape[d];
            e->nbytes = 4 * ne;
        }
        p->e[k++] = *e;
    }
    p->n = k;
    /* every weight the graph uses must still be in the plan (--map may drop some) */
    for (int t = 0; t < m->ntensors && !rc; t++) {
        int hit = !g.wused[t];
        for (int i = 0; i < p->n && !hit; i++) hit = p->e[i].src == t;
        if (!hit)
            rc = ckpt_err_set(err, CKPT_E_USAGE, "weight '%s' is used by the model but left out of the conversion",
                              m->tensors[t].name);
    }
    ckpt__kg_free(&g);
    return rc;
}

/* ---- the writer state ------------------------------------------------------ */

void ckpt__cg_free(cg *c)
{
    if (!c) return;
    ckpt__kg_free(&c->g);
    if (c->wid)
        for (int i = 0; i < c->nplan; i++) free(c->wid[i]);
    free(c->wid);
    free(c->wplan);
    free(c->woff);
    free(c->base);
    free(c->name);
    free(c);
}

static int cg_map_weights(cg *c, ckpt_writer *w, const char *wprefix, ckpt_err *err)
{
    const ckpt_plan *p = w->plan;
    int nt = w->src->ntensors;
    c->nplan = p->n;
    c->wplan = malloc(((size_t)nt + 1) * sizeof *c->wplan);
    c->wid = calloc((size_t)p->n + 1, sizeof *c->wid);
    c->woff = calloc((size_t)p->n + 1, sizeof *c->woff);
    if (!c->wplan || !c->wid || !c->woff) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    for (int t = 0; t < nt; t++) c->wplan[t] = -1;
    uint64_t off = 0;
    for (int i = 0; i < p->n; i++) {
        const ckpt_plan_entry *e = &p->e[i];
        if (e->src < 0 || e->src >= nt || !c->g.wused[e->src]) continue;
        if (e->dtype != CKPT_F32)
            return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "weight '%s' is %s: code export computes in float32",
                                e->name, ckpt_dtype_name(e->dtype));
        c->wplan[e->src] = i;
        if (!(c->wid[i] = ckpt__kg_ident(wprefix, e->name))) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        c->woff[i] = off;
        off += e->nbytes;
    }
    for (int t = 0; t < nt; t++)
        if (c->g.wused[t] && c->wplan[t] < 0)
            return ckpt_err_set(err, CKPT_E_USAGE, "weight '%s' is used by the model but left out of the conversion",
                                w->src->tensors[t].name);
    return 0;
}

int ckpt__cg_begin(ckpt_writer *w, const char *ext, const char *wprefix, cg **out, ckpt_err *err)
{
    const char *o = w->opts->out;
    *out = NULL;
    if (w->opts->shard_size)
        return ckpt_err_set(err, CKPT_E_USAGE, "--shard-size does not apply to --to %s", w->fmt->name);
    if (!ckpt__ends_with(o, ext) || strlen(o) == strlen(ext) || o[strlen(o) - strlen(ext) - 1] == '/')
        return ckpt_err_set(err, CKPT_E_USAGE, "--to %s writes NAME%s: give -o a file name ending in %s, not '%s'",
                            w->fmt->name, ext, ext, o);
    cg *c = calloc(1, sizeof *c);
    if (!c) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    c->base = ckpt__strndup(o, strlen(o) - strlen(ext));
    const char *bn = c->base ? ckpt__path_basename(c->base) : NULL;
    c->name = bn ? ckpt__kg_ident(*bn >= '0' && *bn <= '9' ? "m_" : "", bn) : NULL;
    int rc = c->base && c->name ? 0 : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if (!rc) rc = ckpt__kg_build(w->src, &c->g, err);
    if (!rc) rc = cg_map_weights(c, w, wprefix, err);
    if (rc) { ckpt__cg_free(c); return rc; }
    *out = c;
    return 0;
}

/* ---- calls and ops --------------------------------------------------------- */

void ckpt__cg_call_ops(const cg *c, int k, int *first, int *end)
{
    int f = -1, e = -1;
    for (int i = 0; i < c->g.nop; i++)
        if (c->g.op[i].call == k) {
            if (f < 0) f = i;
            e = i + 1;
        }
    *first = f < 0 ? 0 : f;
    *end = f < 0 ? 0 : e;
}

int ckpt__cg_call_inputs(const cg *c, int k, int *in, int max)
{
    int f, e, n = 0;
    ckpt__cg_call_ops(c, k, &f, &e);
    for (int i = f; i < e; i++)
        for (int j = 0; j < c->g.op[i].nin; j++) {
            int t = c->g.op[i].in[j], inside = 0, dup = 0;
            for (int q = f; q < i && !inside; q++) inside = c->g.op[q].out == t;
            for (int q = 0; q < n && !dup; q++) dup = in[q] == t;
            if (!inside && !dup && n < max) in[n++] = t;
        }
    return n;
}

int ckpt__cg_op_acts(const kg_op *o)
{
    static const char *const one[] = {"act", "dense", "conv2d", "dwconv2d", "conv2d_t"};
    static const char *const two[] = {"simple_rnn", "gru", "lstm"};
    for (size_t i = 0; i < sizeof two / sizeof *two; i++)
        if (!strcmp(o->fn, two[i])) return 2;
    for (size_t i = 0; i < sizeof one / sizeof *one; i++)
        if (!strcmp(o->fn, one[i])) return 1;
    return 0;
}
