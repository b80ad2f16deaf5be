/* plan.c: the list of output tensors a conversion writes, and how to
 * produce the bytes of each (read the source, cast, or a transform). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "remap_int.h"

int ckpt__plan_add(ckpt_plan *p, const char *name, ckpt_dtype dt, int ndim,
                   const int64_t *shape, int src, ckpt_err *err)
{
    if (ndim < 0 || ndim > CKPT_MAX_DIMS)
        return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "rank %d exceeds %d", ndim, CKPT_MAX_DIMS);
    if (p->n >= p->cap) {
        int nc = p->cap ? p->cap * 2 : 64;
        void *ne = realloc(p->e, (size_t)nc * sizeof *p->e);
        if (!ne) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        p->e = ne;
        p->cap = nc;
    }
    ckpt_plan_entry *e = &p->e[p->n];
    memset(e, 0, sizeof *e);
    e->name = strdup(name);
    if (!e->name) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    e->dtype = dt;
    e->ndim = ndim;
    uint64_t ne = 1;
    for (int i = 0; i < ndim; i++) {
        e->shape[i] = shape[i];
        if (shape[i] < 0 || ckpt__mul_u64(ne, (uint64_t)shape[i], &ne)) {
            free(e->name);
            return ckpt_err_set(err, CKPT_E_FORMAT, "bad shape for '%s'", name);
        }
    }
    if (ckpt__mul_u64(ne, ckpt_dtype_size(dt), &e->nbytes)) {
        free(e->name);
        return ckpt_err_set(err, CKPT_E_FORMAT, "size of '%s' overflows", name);
    }
    e->src = src;
    p->n++;
    return 0;
}

void ckpt__plan_free(ckpt_plan *p)
{
    if (!p) return;
    for (int i = 0; i < p->n; i++) {
        free(p->e[i].name);
        if (p->e[i].xf) ckpt__xform_free(p->e[i].xf);  /* remap transforms (xform.c) */
    }
    free(p->e);
    p->e = NULL;
    p->n = p->cap = 0;
}

/* Per-thread scratch for casts: avoids a malloc per chunk on the hot path. */
static __thread unsigned char *scratch;
static __thread size_t scratch_cap;

int ckpt__plan_read(ckpt_model *m, const ckpt_plan_entry *e, uint64_t off, void *buf,
                    size_t n, ckpt_err *err)
{
    if (e->xf) {
        return ckpt__xform_read(m, e, off, buf, n, err);  /* xform.c */
    }
    const ckpt_tensor *t = ckpt_model_tensor(m, e->src);
    if (!t) return ckpt_err_set(err, CKPT_E_USAGE, "plan entry '%s' has no source", e->name);
    if (t->dtype == e->dtype) return ckpt_tensor_read(m, e->src, off, buf, n, err);
    size_t os = ckpt_dtype_size(e->dtype), is = ckpt_dtype_size(t->dtype);
    if (off % os || n % os)
        return ckpt_err_set(err, CKPT_E_USAGE, "cast read not aligned to elements");
    uint64_t first = off / os, cnt = n / os;
    size_t need = (size_t)(cnt * is);
    if (need > scratch_cap) {
        unsigned char *ns = realloc(scratch, need);
        if (!ns) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        scratch = ns;
        scratch_cap = need;
    }
    int rc = ckpt_tensor_read(m, e->src, first * is, scratch, need, err);
    if (rc) return rc;
    ckpt_dtype_cast(t->dtype, scratch, e->dtype, buf, (size_t)cnt);
    return 0;
}
