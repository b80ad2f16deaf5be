/* src/diff.c: compare two checkpoints: names, shapes, dtypes, probable
 * renames, and (optionally) values streamed chunk by chunk.
 *
 * Memory: two chunk buffers (one per side) plus f64 staging of a bounded
 * batch; the value pass never holds a tensor, except what a remap
 * transform on A itself holds (xform.c: a transpose keeps its source).
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/diff.h"
#include "remap_int.h"

#define DEFAULT_CHUNK (4u << 20)
#define F64_BATCH 16384
#define RENAME_MIN_SCORE 0.35
#define RENAME_MAX_PAIRS 300000ull   /* scored pairs: bounds the time on wholly renamed models */

/* ---------------------------------------------------------------------- */
/* name similarity: tokens (split on . / _ - and digit runs) and edit      */
/* distance, averaged                                                      */

static size_t lev(const char *a, const char *b, size_t *row)
{
    size_t la = strlen(a), lb = strlen(b);
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t sub = prev + (a[i - 1] != b[j - 1]);
            size_t del = row[j] + 1, ins = row[j - 1] + 1;
            row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            prev = cur;
        }
    }
    return row[lb];
}

static int tokens(const char *s, char tok[][48], int max)
{
    int n = 0;
    size_t i = 0;
    while (s[i] && n < max) {
        while (s[i] && !isalnum((unsigned char)s[i])) i++;
        if (!s[i]) break;
        size_t k = 0;
        int dig = isdigit((unsigned char)s[i]);
        while (s[i] && isalnum((unsigned char)s[i]) && (isdigit((unsigned char)s[i]) != 0) == (dig != 0) && k < 47)
            tok[n][k++] = (char)tolower((unsigned char)s[i++]);
        tok[n][k] = 0;
        n++;
    }
    return n;
}

double ckpt_name_similarity(const char *a, const char *b)
{
    if (!strcmp(a, b)) return 1.0;
    size_t la = strlen(a), lb = strlen(b);
    if (la > 1000 || lb > 1000) return 0;
    size_t row[1001];
    double ed = 1.0 - (double)lev(a, b, row) / (double)(la > lb ? la : lb);
    char ta[32][48], tb[32][48];
    int na = tokens(a, ta, 32), nb = tokens(b, tb, 32);
    int common = 0, used[32] = {0};
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++)
            if (!used[j] && !strcmp(ta[i], tb[j])) { used[j] = 1; common++; break; }
    double jac = (na + nb - common) ? (double)common / (double)(na + nb - common) : 0;
    /* numbers must agree for a rename to be likely (layer 3 is not layer 4) */
    int numa = 0, numb = 0, nummatch = 1;
    char da[32][48], db[32][48];
    for (int i = 0; i < na; i++) if (isdigit((unsigned char)ta[i][0])) strcpy(da[numa++], ta[i]);
    for (int i = 0; i < nb; i++) if (isdigit((unsigned char)tb[i][0])) strcpy(db[numb++], tb[i]);
    if (numa == numb) {
        for (int i = 0; i < numa; i++) if (strcmp(da[i], db[i])) nummatch = 0;
    } else nummatch = numa == 0 || numb == 0 ? 1 : 0;
    double s = 0.5 * ed + 0.5 * jac;
    if (!nummatch) s *= 0.5;
    return s;
}

/* ---------------------------------------------------------------------- */

static int add_entry(ckpt_diff *d, ckpt_diff_entry **out, ckpt_err *err)
{
    if (d->n == d->cap) {
        int nc = d->cap ? d->cap * 2 : 64;
        ckpt_diff_entry *nv = realloc(d->v, (size_t)nc * sizeof *nv);
        if (!nv) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        d->v = nv;
        d->cap = nc;
    }
    *out = &d->v[d->n++];
    memset(*out, 0, sizeof **out);
    return 0;
}

void ckpt_diff_free(ckpt_diff *d)
{
    if (!d) return;
    for (int i = 0; i < d->n; i++) { free((char *)d->v[i].a); free((char *)d->v[i].b); }
    free(d->v);
    for (int i = 0; i < d->nwarn; i++) free(d->warn[i]);
    free(d->warn);
    free(d);
}

typedef struct cand { int i, j; double s; } cand;

static int cand_cmp(const void *x, const void *y)
{
    const cand *a = x, *b = y;
    if (a->s != b->s) return a->s < b->s ? 1 : -1;       /* higher score first */
    if (a->i != b->i) return a->i < b->i ? -1 : 1;       /* then file order: stable results */
    return a->j < b->j ? -1 : (a->j > b->j);
}

typedef struct keyed { uint64_t key; int idx; } keyed;

static int key_cmp(const void *x, const void *y)
{
    const keyed *a = x, *b = y;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return a->idx - b->idx;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) { h ^= c[i]; h *= 1099511628211ull; }
    return h;
}

/* shape (and the digit runs of the name when by_digits) as one hash */
static keyed make_key(const ckpt_remapped *v, int i, int by_digits)
{
    ckpt_remapped_info in;
    ckpt_remapped_entry(v, i, &in);
    uint64_t h = fnv(1469598103934665603ull, &in.ndim, sizeof in.ndim);
    h = fnv(h, in.shape, sizeof(int64_t) * (size_t)in.ndim);
    if (by_digits) {
        for (const char *p = in.name; *p; p++) {
            if (*p < '0' || *p > '9') continue;
            const char *q = p;
            while (*q >= '0' && *q <= '9') q++;
            h = fnv(h, p, (size_t)(q - p));
            h = fnv(h, "/", 1);
            p = q - 1;
        }
    }
    return (keyed){h, i};
}

static int same_shape(const ckpt_remapped_info *x, const ckpt_remapped_info *y)
{
    if (x->ndim != y->ndim) return 0;
    for (int k = 0; k < x->ndim; k++) if (x->shape[k] != y->shape[k]) return 0;
    return 1;
}

static void fill_a(ckpt_diff_entry *e, const ckpt_remapped_info *x)
{
    e->a = strdup(x->name);
    e->dtype_a = x->dtype;
    e->ndim_a = x->ndim;
    memcpy(e->shape_a, x->shape, sizeof e->shape_a);
}
static void fill_b(ckpt_diff_entry *e, const ckpt_remapped_info *y)
{
    e->b = strdup(y->name);
    e->dtype_b = y->dtype;
    e->ndim_b = y->ndim;
    memcpy(e->shape_b, y->shape, sizeof e->shape_b);
}

typedef struct vcmp {
    double max_abs, max_rel;
    uint64_t nover;
    double atol, rtol;
} vcmp;

static inline void cmp1(vcmp *c, double x, double y)
{
    if (x != x || y != y) {               /* NaN: equal only to NaN */
        if ((x != x) != (y != y)) c->nover++;
        return;
    }
    double d = fabs(x - y);
    if (d != d) {                         /* inf - inf of the same sign is 0 */
        if (x != y) c->nover++;
        return;
    }
    if (x == y) return;
    if (d > c->max_abs) c->max_abs = d;
    double m = fabs(x) > fabs(y) ? fabs(x) : fabs(y);
    double r = m > 0 ? d / m : 0;
    if (r > c->max_rel) c->max_rel = r;
    if (d > c->atol + c->rtol * fabs(y)) c->nover++;
}

static void compare_buf(vcmp *c, ckpt_dtype ta, const unsigned char *a, ckpt_dtype tb,
                        const unsigned char *b, size_t n, double *fa, double *fb)
{
    /* most tensors of two related checkpoints are identical: bytes that
     * compare equal have no difference (equal NaN bit patterns included) */
    if (ta == tb && !memcmp(a, b, n * ckpt_dtype_size(ta))) return;
    if (ta == CKPT_F32 && tb == CKPT_F32) {
        /* hot path: no staging; identical bit patterns skip the maths */
        const float *x = (const float *)(const void *)a, *y = (const float *)(const void *)b;
        for (size_t i = 0; i < n; i++) {
            float xi, yi;
            memcpy(&xi, x + i, 4);
            memcpy(&yi, y + i, 4);
            if (xi == yi) continue;
            cmp1(c, xi, yi);
        }
        return;
    }
    size_t ea = ckpt_dtype_size(ta), eb = ckpt_dtype_size(tb);
    for (size_t i = 0; i < n; i += F64_BATCH) {
        size_t k = n - i < F64_BATCH ? n - i : F64_BATCH;
        ckpt_dtype_to_f64(ta, a + i * ea, k, fa);
        ckpt_dtype_to_f64(tb, b + i * eb, k, fb);
        for (size_t j = 0; j < k; j++) if (fa[j] != fb[j] || fa[j] != fa[j]) cmp1(c, fa[j], fb[j]);
    }
}

int ckpt_diff_models(ckpt_model *A, ckpt_model *B, const ckpt_diff_opts *o, ckpt_diff **out, ckpt_err *err)
{
    CKPT__ERR_LOCAL(err);
    ckpt_diff_opts defo;
    if (!o) { memset(&defo, 0, sizeof defo); o = &defo; }
    *out = NULL;
    ckpt_diff *d = calloc(1, sizeof *d);
    if (!d) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    ckpt_remapped *va = NULL, *vb = NULL;
    struct ckpt_name_index *ixb = NULL;
    unsigned char *ba = NULL, *bb = NULL;
    double *fa = NULL, *fb = NULL;
    char *matched_b = NULL, *matched_a = NULL;
    unsigned pfl = o->include_optimizer ? CKPT_REMAP_INCLUDE_OPTIMIZER : 0;
    int rc = ckpt_remap_preview_ex(o->map_a, A, pfl, &va, err);
    if (rc) { ckpt_err_at_path(err, ckpt_model_path(A)); goto fail; }
    rc = ckpt_remap_preview_ex(NULL, B, pfl, &vb, err);
    if (rc) goto fail;
    d->nopt_a = ckpt_remapped_noptimizer(va);
    d->nopt_b = ckpt_remapped_noptimizer(vb);
    for (int i = 0; i < ckpt_remapped_nwarnings(va); i++) {
        char **nw = realloc(d->warn, (size_t)(d->nwarn + 1) * sizeof *nw);
        if (!nw) break;
        d->warn = nw;
        if ((d->warn[d->nwarn] = strdup(ckpt_remapped_warning(va, i)))) d->nwarn++;
    }
    int na = ckpt_remapped_count(va), nb = ckpt_remapped_count(vb);
    ixb = ckpt__index_new();
    matched_b = calloc((size_t)nb + 1, 1);
    matched_a = calloc((size_t)na + 1, 1);
    if (!ixb || !matched_b || !matched_a) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto fail; }
    for (int j = 0; j < nb; j++) {
        ckpt_remapped_info y;
        ckpt_remapped_entry(vb, j, &y);
        if (ckpt__index_put(ixb, y.name, j) == -2) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto fail; }
    }
    /* common names, in A's order */
    int *pair_b = malloc(sizeof(int) * (size_t)(na + 1));
    if (!pair_b) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto fail; }
    uint64_t total = 0;
    for (int i = 0; i < na; i++) {
        ckpt_remapped_info x;
        ckpt_remapped_entry(va, i, &x);
        int j = ckpt__index_get(ixb, x.name);
        pair_b[i] = j;
        if (j < 0) continue;
        matched_a[i] = 1;
        matched_b[j] = 1;
        ckpt_remapped_info y;
        ckpt_remapped_entry(vb, j, &y);
        d->ncommon++;
        unsigned fl = 0;
        if (!same_shape(&x, &y)) fl |= CKPT_DIFF_SHAPE;
        if (x.dtype != y.dtype) fl |= CKPT_DIFF_DTYPE;
        if (fl & CKPT_DIFF_SHAPE) d->nshape++;
        if (fl & CKPT_DIFF_DTYPE) d->ndtype++;
        if (!fl && !o->values) continue;
        if (!(fl & CKPT_DIFF_SHAPE) && o->values) total += x.nbytes + y.nbytes;
        ckpt_diff_entry *e;
        if ((rc = add_entry(d, &e, err))) { free(pair_b); goto fail; }
        e->flags = fl;
        fill_a(e, &x);
        fill_b(e, &y);
    }
    /* probable renames among the unmatched, equal shapes, best scores first */
    {
        cand *cv = NULL;
        size_t nc = 0, capc = 0;
        uint64_t pairs = 0;
        int nua = 0, nub = 0;
        for (int i = 0; i < na; i++) nua += !matched_a[i];
        for (int j = 0; j < nb; j++) nub += !matched_b[j];
        /* Keys: shape, and for large models the layer numbers in the name
         * too (a wholly renamed model keeps its layer numbers), so only
         * plausible pairs are scored. Small models compare every pair of
         * equal shape (catches renumbering: dense_1 -> dense). */
        int by_digits = (uint64_t)nua * (uint64_t)nub > 1000000ull;
        keyed *ka = malloc(sizeof *ka * (size_t)(na + 1)), *kb = malloc(sizeof *kb * (size_t)(nb + 1));
        if (!ka || !kb) { free(ka); free(kb); free(pair_b); rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto fail; }
        int nka = 0, nkb = 0;
        for (int i = 0; i < na; i++) if (!matched_a[i]) ka[nka++] = make_key(va, i, by_digits);
        for (int j = 0; j < nb; j++) if (!matched_b[j]) kb[nkb++] = make_key(vb, j, by_digits);
        qsort(kb, (size_t)nkb, sizeof *kb, key_cmp);
        for (int x = 0; x < nka && pairs <= RENAME_MAX_PAIRS; x++) {
            /* first B entry with the same key */
            int lo = 0, hi = nkb;
            while (lo < hi) { int mid = (lo + hi) / 2; if (kb[mid].key < ka[x].key) lo = mid + 1; else hi = mid; }
            ckpt_remapped_info xi;
            ckpt_remapped_entry(va, ka[x].idx, &xi);
            for (int y = lo; y < nkb && kb[y].key == ka[x].key; y++) {
                ckpt_remapped_info yi;
                ckpt_remapped_entry(vb, kb[y].idx, &yi);
                if (!same_shape(&xi, &yi)) continue;
                if (++pairs > RENAME_MAX_PAIRS) break;
                double sc = ckpt_name_similarity(xi.name, yi.name);
                if (sc < RENAME_MIN_SCORE) continue;
                if (nc == capc) {
                    capc = capc ? capc * 2 : 256;
                    cand *ncv = realloc(cv, capc * sizeof *ncv);
                    if (!ncv) { free(cv); free(ka); free(kb); free(pair_b); rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto fail; }
                    cv = ncv;
                }
                cv[nc++] = (cand){ka[x].idx, kb[y].idx, sc};
            }
        }
        free(ka);
        free(kb);
        /* greedy: best score first */
        if (nc > 1) qsort(cv, nc, sizeof *cv, cand_cmp);
        for (size_t best = 0; best < nc; best++) {
            if (matched_a[cv[best].i] || matched_b[cv[best].j]) continue;
            matched_a[cv[best].i] = 2;
            matched_b[cv[best].j] = 2;
            ckpt_remapped_info x, y;
            ckpt_remapped_entry(va, cv[best].i, &x);
            ckpt_remapped_entry(vb, cv[best].j, &y);
            ckpt_diff_entry *e;
            if ((rc = add_entry(d, &e, err))) { free(cv); free(pair_b); goto fail; }
            e->flags = CKPT_DIFF_RENAME | (x.dtype != y.dtype ? CKPT_DIFF_DTYPE : 0);
            e->score = cv[best].s;
            fill_a(e, &x);
            fill_b(e, &y);
            d->nrename++;
        }
        free(cv);
    }
    for (int i = 0; i < na; i++) {
        if (matched_a[i]) continue;
        ckpt_remapped_info x;
        ckpt_remapped_entry(va, i, &x);
        ckpt_diff_entry *e;
        if ((rc = add_entry(d, &e, err))) { free(pair_b); goto fail; }
        e->flags = CKPT_DIFF_ONLY_A;
        fill_a(e, &x);
        d->nonly_a++;
    }
    for (int j = 0; j < nb; j++) {
        if (matched_b[j]) continue;
        ckpt_remapped_info y;
        ckpt_remapped_entry(vb, j, &y);
        ckpt_diff_entry *e;
        if ((rc = add_entry(d, &e, err))) { free(pair_b); goto fail; }
        e->flags = CKPT_DIFF_ONLY_B;
        fill_b(e, &y);
        d->nonly_b++;
    }
    /* values */
    if (o->values) {
        size_t chunk = o->chunk_size ? o->chunk_size : DEFAULT_CHUNK;
        chunk &= ~(size_t)7;
        if (chunk < 64) chunk = 64;
        ba = malloc(chunk);
        bb = malloc(chunk);
        fa = malloc(sizeof(double) * F64_BATCH);
        fb = malloc(sizeof(double) * F64_BATCH);
        if (!ba || !bb || !fa || !fb) { free(pair_b); rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto fail; }
        ckpt_progress pr = {.phase = "diff", .bytes_total = total, .items_total = d->ncommon};
        int ei = 0;
        for (int i = 0; i < na && !rc; i++) {
            if (pair_b[i] < 0) continue;
            ckpt_remapped_info x, y;
            ckpt_remapped_entry(va, i, &x);
            ckpt_remapped_entry(vb, pair_b[i], &y);
            while (ei < d->n && (!d->v[ei].a || strcmp(d->v[ei].a, x.name) || (d->v[ei].flags & CKPT_DIFF_RENAME))) ei++;
            if (ei >= d->n) break;
            ckpt_diff_entry *e = &d->v[ei];
            pr.current = x.name;
            if (!same_shape(&x, &y)) { pr.items_done++; continue; }
            size_t sa = ckpt_dtype_size(x.dtype), sb = ckpt_dtype_size(y.dtype);
            size_t big = sa > sb ? sa : sb;
            uint64_t nel = sa ? x.nbytes / sa : 0;
            size_t per = chunk / big;
            vcmp c = {0, 0, 0, o->atol, o->rtol};
            for (uint64_t k = 0; k < nel && !rc; k += per) {
                size_t cnt = nel - k < per ? (size_t)(nel - k) : per;
                rc = ckpt_remapped_read(va, i, k * sa, ba, cnt * sa, err);
                if (rc) { ckpt_err_at_path(err, ckpt_model_path(A)); break; }
                rc = ckpt_remapped_read(vb, pair_b[i], k * sb, bb, cnt * sb, err);
                if (rc) { ckpt_err_at_path(err, ckpt_model_path(B)); break; }
                compare_buf(&c, x.dtype, ba, y.dtype, bb, cnt, fa, fb);
                pr.bytes_done += cnt * (sa + sb);
                if (o->progress && o->progress(o->progress_ud, &pr)) rc = ckpt_err_set(err, CKPT_E_CANCELLED, "cancelled");
            }
            if (rc) { ckpt_err_at_tensor(err, x.name); break; }
            e->flags |= CKPT_DIFF_COMPARED;
            e->max_abs = c.max_abs;
            e->max_rel = c.max_rel;
            e->nover = c.nover;
            e->nelems = nel;
            if (c.nover) { e->flags |= CKPT_DIFF_VALUES; d->nvalues++; }
            pr.items_done++;
            ei++;
        }
        if (!rc && o->progress) { pr.current = NULL; o->progress(o->progress_ud, &pr); }
    }
    free(pair_b);
    if (rc) goto fail;
    d->differ = d->nonly_a || d->nonly_b || d->nshape || d->ndtype || d->nrename || d->nvalues;
    ckpt_remapped_free(va);
    ckpt_remapped_free(vb);
    ckpt__index_free(ixb);
    free(matched_a); free(matched_b);
    free(ba); free(bb); free(fa); free(fb);
    *out = d;
    return 0;
fail:
    ckpt_remapped_free(va);
    ckpt_remapped_free(vb);
    ckpt__index_free(ixb);
    free(matched_a); free(matched_b);
    free(ba); free(bb); free(fa); free(fb);
    ckpt_diff_free(d);
    return rc ? rc : (int)err->code;
}
