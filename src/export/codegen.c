/* src/export/codegen.c: what the code exporters share (see codegen.h): text
 * buffers, the writer begin (graph + weights mapped to plan entries) and
 * the layer calls' ops and inputs. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/codegen.h"

void cg_put(cg_buf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->n + n + 1) nc *= 2;
        char *p = realloc(b->s, nc);
        if (!p) { b->oom = 1; return; }
        b->s = p;
        b->cap = nc;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

void cg_printf(cg_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) { b->oom = 1; return; }
    if ((size_t)n < sizeof tmp) { cg_put(b, tmp, (size_t)n); return; }
    char *big = malloc((size_t)n + 1);
    if (!big) { b->oom = 1; return; }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    cg_put(b, big, (size_t)n);
    free(big);
}

/* Write the buffer to fd and empty it (the buffer stays allocated). */
int cg_flush(cg_buf *b, int fd, const char *path, ckpt_err *err)
{
    if (b->oom) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if (b->n && ckpt__write_full(fd, b->s, b->n)) {
        ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write");
        ckpt_err_at_path(err, path);
        return CKPT_E_IO;
    }
    b->n = 0;
    return 0;
}

static int map_weights(cg *c, ckpt_writer *w, const char *wprefix, ckpt_err *err)
{
    const ckpt_model *m = w->src;
    const ckpt_plan *p = w->plan;
    c->wplan = malloc(((size_t)m->ntensors + 1) * sizeof *c->wplan);
    c->wid = calloc((size_t)p->n + 1, sizeof *c->wid);
    c->woff = calloc((size_t)p->n + 1, sizeof *c->woff);
    c->nplan = p->n;
    if (!c->wplan || !c->wid || !c->woff) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    for (int i = 0; i < m->ntensors; i++) c->wplan[i] = -1;
    for (int i = 0; i < p->n; i++)
        if (!p->e[i].xf && p->e[i].src >= 0 && p->e[i].src < m->ntensors && c->wplan[p->e[i].src] < 0)
            c->wplan[p->e[i].src] = i;
    uint64_t off = 0;
    for (int t = 0; t < m->ntensors; t++) {
        if (!c->g.wused[t]) continue;
        int e = c->wplan[t];
        if (e < 0)
            return ckpt_err_set(err, CKPT_E_USAGE, "weight '%s' is used by the model but left out of the output "
                                "(renamed, remapped or dropped)", m->tensors[t].name);
        if (p->e[e].dtype != CKPT_F32)
            return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "weight '%s' is %s: code export writes float32 weights",
                                m->tensors[t].name, ckpt_dtype_name(p->e[e].dtype));
    }
    for (int e = 0; e < p->n; e++) {
        int t = p->e[e].src;
        if (t < 0 || t >= m->ntensors || !c->g.wused[t] || c->wplan[t] != e) continue;
        if (!(c->wid[e] = kg_ident(wprefix, m->tensors[t].name))) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        /* two names that differ only in punctuation would give one identifier */
        for (int k = 0; k < e; k++)
            if (c->wid[k] && !strcmp(c->wid[k], c->wid[e])) {
                char *n = ckpt__asprintf("%s_%d", c->wid[e], e);
                free(c->wid[e]);
                if (!(c->wid[e] = n)) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
            }
        c->woff[e] = off;
        off += p->e[e].nbytes;
    }
    return 0;
}

int cg_begin(ckpt_writer *w, const char *ext, const char *wprefix, cg **out, ckpt_err *err)
{
    const char *path = w->opts->out;
    *out = NULL;
    if (!ckpt__ends_with(path, ext) || strlen(path) == strlen(ext) || path[strlen(path) - strlen(ext) - 1] == '/')
        return ckpt_err_set(err, CKPT_E_USAGE, "code export writes NAME%s: give -o NAME%s (got '%s')", ext, ext, path);
    cg *c = calloc(1, sizeof *c);
    if (!c) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    int rc = kg_build(w->src, &c->g, err);
    if (rc) {
        ckpt_err_at_path(err, w->src->path);
        free(c);
        return rc;
    }
    c->base = ckpt__strndup(path, strlen(path) - strlen(ext));
    c->name = c->base ? kg_ident("", ckpt__path_basename(c->base)) : NULL;
    if (!c->name) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    else if (c->name[0] >= '0' && c->name[0] <= '9') {
        char *n = ckpt__asprintf("m_%s", c->name);
        free(c->name);
        c->name = n;
        if (!n) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    if (!rc) rc = map_weights(c, w, wprefix, err);
    if (rc) { cg_free(c); return rc; }
    *out = c;
    return 0;
}

void cg_free(cg *c)
{
    if (!c) return;
    for (int i = 0; c->wid && i < c->nplan; i++) free(c->wid[i]);
    kg_free(&c->g);
    free(c->base);
    free(c->name);
    free(c->wplan);
    free(c->wid);
    free(c->woff);
    free(c);
}

void cg_call_ops(const cg *c, int k, int *first, int *end)
{
    int i = 0;
    while (i < c->g.nop && c->g.op[i].call != k) i++;
    *first = i;
    while (i < c->g.nop && c->g.op[i].call == k) i++;
    *end = i;
}

int cg_call_inputs(const cg *c, int k, int *in, int max)
{
    int first, end, n = 0;
    cg_call_ops(c, k, &first, &end);
    for (int i = first; i < end; i++)
        for (int j = 0; j < c->g.op[i].nin; j++) {
            int t = c->g.op[i].in[j], inside = 0, dup = 0;
            for (int q = first; q < end && !inside; q++) inside = c->g.op[q].out == t;
            for (int q = 0; q < n && !dup; q++) dup = in[q] == t;
            if (!inside && !dup && n < max) in[n++] = t;
        }
    return n;
}

const char *cg_template(const char *name, size_t *len, ckpt_err *err)
{
    const char *s = ckpt__template(name, len);
    if (!s) ckpt_err_set(err, CKPT_E_FORMAT, "template %s is not compiled in", name);
    return s;
}
