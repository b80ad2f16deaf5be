/* src/xform.c: streaming tensor transforms for remap rules (transpose,
 * reshape, split, cast).
 *
 * Memory: a chain whose innermost output axis walks the source with stride
 * 1 (split, reshape, cast and their mixes) streams: each requested range is
 * produced from runs of consecutive source elements, read through a bounded
 * window. A chain that reads the source out of order (a transpose) holds
 * that one source tensor in memory while its output is produced, and frees
 * it after the last byte (the brief: "transpose may hold one tensor").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remap_int.h"

#define XF_BATCH   65536u           /* output elements produced per step */
#define XF_WINDOW  (4u << 20)       /* bytes read at once when runs are dense */

static void contig_strides(int nd, const int64_t *shape, int64_t *st)
{
    int64_t s = 1;
    for (int d = nd - 1; d >= 0; d--) { st[d] = s; s *= shape[d] > 0 ? shape[d] : 1; }
}

static int64_t prod(int nd, const int64_t *shape)
{
    int64_t p = 1;
    for (int d = 0; d < nd; d++) p *= shape[d];
    return p;
}

void ckpt__xf_init(struct ckpt_xform *x, ckpt_dtype sdt, int ndim, const int64_t *shape)
{
    memset(x, 0, sizeof *x);
    x->sdt = sdt;
    x->nseg = 1;
    xf_seg *s = &x->seg[0];
    s->ndim = ndim;
    memcpy(s->shape, shape, sizeof(int64_t) * (size_t)ndim);
    contig_strides(ndim, shape, s->stride);
    x->src_nelems = (uint64_t)prod(ndim, shape);
}

const xf_seg *ckpt__xf_out(const struct ckpt_xform *x) { return &x->seg[x->nseg - 1]; }

int ckpt__xf_transpose(struct ckpt_xform *x, int nperm, const int *perm, char *why, size_t n)
{
    xf_seg *s = &x->seg[x->nseg - 1];
    int p[CKPT_MAX_DIMS], seen[CKPT_MAX_DIMS] = {0};
    if (nperm == 0) { /* numpy default: reverse the axes */
        for (int d = 0; d < s->ndim; d++) p[d] = s->ndim - 1 - d;
    } else {
        if (nperm != s->ndim) {
            snprintf(why, n, "transpose of a %d-d tensor needs %d axes, got %d", s->ndim, s->ndim, nperm);
            return -1;
        }
        for (int d = 0; d < nperm; d++) {
            int a = perm[d] < 0 ? perm[d] + s->ndim : perm[d];
            if (a < 0 || a >= s->ndim || seen[a]) {
                snprintf(why, n, "transpose axes are not a permutation of 0..%d", s->ndim - 1);
                return -1;
            }
            seen[a] = 1; p[d] = a;
        }
    }
    int64_t sh[CKPT_MAX_DIMS], st[CKPT_MAX_DIMS];
    for (int d = 0; d < s->ndim; d++) { sh[d] = s->shape[p[d]]; st[d] = s->stride[p[d]]; }
    memcpy(s->shape, sh, sizeof sh);
    memcpy(s->stride, st, sizeof st);
    return 0;
}

/* numpy's _attempt_nocopy_reshape: new strides for a view, or -1. */
static int view_reshape(const xf_seg *o, int nnd, const int64_t *nsh, int64_t *nst)
{
    int64_t od[CKPT_MAX_DIMS], os[CKPT_MAX_DIMS];
    int ond = 0;
    for (int d = 0; d < o->ndim; d++)
        if (o->shape[d] != 1) { od[ond] = o->shape[d]; os[ond] = o->stride[d]; ond++; }
    int64_t nd_[CKPT_MAX_DIMS]; int map[CKPT_MAX_DIMS]; int nn = 0;
    for (int d = 0; d < nnd; d++) { nst[d] = 1; if (nsh[d] != 1) { nd_[nn] = nsh[d]; map[nn] = d; nn++; } }
    int oi = 0, oj = 1, ni = 0, nj = 1;
    while (ni < nn && oi < ond) {
        int64_t np = nd_[ni], op = od[oi];
        while (np != op) {
            if (np < op) { if (nj >= nn) return -1; np *= nd_[nj++]; }
            else { if (oj >= ond) return -1; op *= od[oj++]; }
        }
        for (int ok = oi; ok < oj - 1; ok++)
            if (os[ok] != od[ok + 1] * os[ok + 1]) return -1;
        int64_t s = os[oj - 1];
        for (int nk = nj - 1; nk >= ni; nk--) { nst[map[nk]] = s; s *= nd_[nk]; }
        ni = nj++; oi = oj++;
    }
    return (ni == nn && oi == ond) ? 0 : -1;
}

int ckpt__xf_reshape(struct ckpt_xform *x, int ndim, const int64_t *shape, char *why, size_t n)
{
    xf_seg *s = &x->seg[x->nseg - 1];
    if (prod(ndim, shape) != prod(s->ndim, s->shape)) {
        snprintf(why, n, "reshape sizes disagree: %lld elements into %lld",
                 (long long)prod(s->ndim, s->shape), (long long)prod(ndim, shape));
        return -1;
    }
    int64_t nst[CKPT_MAX_DIMS];
    if (prod(ndim, shape) == 0 || view_reshape(s, ndim, shape, nst) != 0) {
        if (prod(ndim, shape) != 0) {
            /* not expressible as a view: start a new segment over the
             * current output seen as a contiguous array */
            if (x->nseg >= XF_MAXSEG) {
                snprintf(why, n, "too many reshapes of transposed data in one chain (max %d)", XF_MAXSEG - 1);
                return -1;
            }
            s = &x->seg[x->nseg++];
        }
        s->offset = 0;
        contig_strides(ndim, shape, nst);
    }
    s->ndim = ndim;
    memcpy(s->shape, shape, sizeof(int64_t) * (size_t)ndim);
    memcpy(s->stride, nst, sizeof(int64_t) * (size_t)ndim);
    return 0;
}

int ckpt__xf_slice(struct ckpt_xform *x, int axis, int64_t start, int64_t len, char *why, size_t n)
{
    xf_seg *s = &x->seg[x->nseg - 1];
    if (axis < 0) axis += s->ndim;
    if (axis < 0 || axis >= s->ndim) {
        snprintf(why, n, "split axis out of range for a %d-d tensor", s->ndim);
        return -1;
    }
    if (start < 0 || len < 0 || start + len > s->shape[axis]) {
        snprintf(why, n, "split [%lld, %lld) outside axis %d of size %lld", (long long)start,
                 (long long)(start + len), axis, (long long)s->shape[axis]);
        return -1;
    }
    s->offset += start * s->stride[axis];
    s->shape[axis] = len;
    return 0;
}

int ckpt__xf_is_plain(const struct ckpt_xform *x)
{
    if (x->nseg != 1) return 0;
    const xf_seg *s = &x->seg[0];
    if (s->offset != 0 || (uint64_t)prod(s->ndim, s->shape) != x->src_nelems) return 0;
    int64_t c[CKPT_MAX_DIMS];
    contig_strides(s->ndim, s->shape, c);
    for (int d = 0; d < s->ndim; d++)
        if (s->shape[d] != 1 && s->stride[d] != c[d]) return 0;
    return 1;
}

void ckpt__xf_finish(struct ckpt_xform *x)
{
    /* stream when one view whose innermost non-trivial axis has stride 1
     * and whose strides are all positive (runs ascend in the source) */
    x->gather = 1;
    if (x->nseg != 1) return;
    const xf_seg *s = &x->seg[0];
    int inner = -1;
    for (int d = s->ndim - 1; d >= 0; d--) if (s->shape[d] != 1) { inner = d; break; }
    if (inner < 0) { x->gather = 0; return; }
    if (s->stride[inner] != 1) return;
    /* ascending: stride[d] >= extent of the axes inside it */
    int64_t ext = 1;
    for (int d = s->ndim - 1; d >= 0; d--) {
        if (s->shape[d] == 1) continue;
        if (s->stride[d] < ext) return;
        ext = s->stride[d] * s->shape[d];
    }
    x->gather = 0;
}

struct ckpt_xform *ckpt__xf_dup(const struct ckpt_xform *x)
{
    struct ckpt_xform *y = malloc(sizeof *y);
    if (!y) return NULL;
    *y = *x;
    y->cache = NULL;
    y->desc = x->desc ? strdup(x->desc) : NULL;
    if (x->desc && !y->desc) { free(y); return NULL; }
    return y;
}

void ckpt__xform_free(struct ckpt_xform *xf)
{
    if (!xf) return;
    free(xf->cache);
    free(xf->desc);
    free(xf);
}

/* Source flat index of output element o (general path, through every segment). */
static uint64_t map_index(const struct ckpt_xform *x, uint64_t o)
{
    for (int k = x->nseg - 1; k >= 0; k--) {
        const xf_seg *s = &x->seg[k];
        int64_t r = s->offset;
        for (int d = s->ndim - 1; d >= 0; d--) {
            uint64_t sz = (uint64_t)s->shape[d];
            if (sz == 0) return 0;
            r += (int64_t)(o % sz) * s->stride[d];
            o /= sz;
        }
        o = (uint64_t)r;
    }
    return o;
}

static void copy_elem(unsigned char *dst, const unsigned char *src, size_t es)
{
    switch (es) {
    case 1: *dst = *src; break;
    case 2: memcpy(dst, src, 2); break;
    case 4: memcpy(dst, src, 4); break;
    case 8: memcpy(dst, src, 8); break;
    default: memcpy(dst, src, es);
    }
}

/* Stream mode: fill `dst` (source dtype) with output elements [o0, o0+cnt). */
static int stream_elems(ckpt_model *m, int src, const struct ckpt_xform *x, uint64_t o0,
                        uint64_t cnt, unsigned char *dst, unsigned char **win, ckpt_err *err)
{
    const xf_seg *s = &x->seg[0];
    size_t es = ckpt_dtype_size(x->sdt);
    int64_t sh[CKPT_MAX_DIMS], st[CKPT_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < s->ndim; d++)
        if (s->shape[d] != 1) { sh[nd] = s->shape[d]; st[nd] = s->stride[d]; nd++; }
    if (nd == 0) { sh[0] = 1; st[0] = 1; nd = 1; }
    /* merge axes that are contiguous with the next one into longer runs */
    for (int d = nd - 2; d >= 0; d--) {
        if (st[d] == sh[d + 1] * st[d + 1]) {
            sh[d] *= sh[d + 1]; st[d] = st[d + 1];
            for (int e = d + 1; e < nd - 1; e++) { sh[e] = sh[e + 1]; st[e] = st[e + 1]; }
            nd--;
        }
    }
    uint64_t run = (uint64_t)sh[nd - 1];
    /* first and last source element of the range, to size the window */
    uint64_t lo = map_index(x, o0), hi = map_index(x, o0 + cnt - 1) + 1;
    int windowed = (hi - lo) * es <= XF_WINDOW && (hi - lo) <= 4 * cnt + run;
    if (windowed) {
        if (!*win && !(*win = malloc(XF_WINDOW))) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        int rc = ckpt_tensor_read(m, src, lo * es, *win, (size_t)((hi - lo) * es), err);
        if (rc) return rc;
    }
    uint64_t o = o0, done = 0;
    while (done < cnt) {
        uint64_t in_run = o % run;
        uint64_t take = run - in_run;
        if (take > cnt - done) take = cnt - done;
        uint64_t si = map_index(x, o);
        if (windowed) {
            memcpy(dst + done * es, *win + (si - lo) * es, (size_t)(take * es));
        } else {
            int rc = ckpt_tensor_read(m, src, si * es, dst + done * es, (size_t)(take * es), err);
            if (rc) return rc;
        }
        done += take; o += take;
    }
    return 0;
}

int ckpt__xform_read(ckpt_model *m, const ckpt_plan_entry *e, uint64_t off, void *buf,
                     size_t n, ckpt_err *err)
{
    struct ckpt_xform *x = e->xf;
    if (n == 0) return 0;
    if (off > e->nbytes || n > e->nbytes - off)
        return ckpt_err_set(err, CKPT_E_USAGE, "read past the end of '%s'", e->name);
    size_t ies = ckpt_dtype_size(x->sdt), oes = ckpt_dtype_size(e->dtype);
    const ckpt_tensor *t = ckpt_model_tensor(m, e->src);
    if (!t || !ies || !oes) return ckpt_err_set(err, CKPT_E_USAGE, "bad transform for '%s'", e->name);
    int rc = 0;
    if (x->gather && !x->cache) {
        if (t->nbytes > SIZE_MAX || !(x->cache = malloc(t->nbytes ? (size_t)t->nbytes : 1))) {
            rc = ckpt_err_set(err, CKPT_E_NOMEM, "cannot hold tensor '%s' (%llu bytes) for its transpose",
                              t->name, (unsigned long long)t->nbytes);
            goto out;
        }
        rc = ckpt_tensor_read(m, e->src, 0, x->cache, (size_t)t->nbytes, err);
        if (rc) goto out;
    }
    unsigned char *sbuf = malloc(XF_BATCH * ies), *obuf = malloc(XF_BATCH * oes), *win = NULL;
    if (!sbuf || !obuf) { free(sbuf); free(obuf); rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto out; }
    uint64_t e0 = off / oes, e1 = (off + n + oes - 1) / oes;
    unsigned char *dst = buf;
    for (uint64_t o = e0; o < e1 && !rc; ) {
        uint64_t cnt = e1 - o < XF_BATCH ? e1 - o : XF_BATCH;
        if (x->gather) {
            for (uint64_t i = 0; i < cnt; i++)
                copy_elem(sbuf + i * ies, x->cache + map_index(x, o + i) * ies, ies);
        } else {
            rc = stream_elems(m, e->src, x, o, cnt, sbuf, &win, err);
            if (rc) break;
        }
        ckpt_dtype_cast(x->sdt, sbuf, e->dtype, obuf, (size_t)cnt);
        /* copy the part of [o*oes, (o+cnt)*oes) that lies in [off, off+n) */
        uint64_t b0 = o * oes, b1 = (o + cnt) * oes;
        uint64_t c0 = b0 < off ? off : b0, c1 = b1 > off + n ? off + n : b1;
        memcpy(dst + (c0 - off), obuf + (c0 - b0), (size_t)(c1 - c0));
        o += cnt;
    }
    free(sbuf); free(obuf); free(win);
out:
    if (rc) ckpt_err_at_tensor(err, e->name);
    if (x->cache && (rc || off + n == e->nbytes)) { free(x->cache); x->cache = NULL; }
    return rc;
}
