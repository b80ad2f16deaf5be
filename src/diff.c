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

/* The state of one diff while its steps run. */
typedef struct dctx {
    const ckpt_diff_opts *o;
    ckpt_model *A, *B;
    ckpt_diff *d;
    ckpt_remapped *va, *vb;      /* A after its map, B as it is */
    int na, nb;
    char *matched_a, *matched_b; /* 1: same name, 2: probable rename */
    int *pair_b;                 /* A's index -> B's of the same name, or -1 */
    uint64_t total;              /* bytes the value comparison reads */
    ckpt_err *err;
} dctx;

static int nomem(ckpt_err *err) { return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }

/* Both models as remapped views (A through its map), A's warnings kept. */
static int open_views(dctx *c)
{
    unsigned pfl = c->o->include_optimizer ? CKPT_REMAP_INCLUDE_OPTIMIZER : 0;
    int rc = ckpt_remap_preview_ex(c->o->map_a, c->A, pfl, &c->va, c->err);
    if (rc) { ckpt_err_at_path(c->err, ckpt_model_path(c->A)); return rc; }
    if ((rc = ckpt_remap_preview_ex(NULL, c->B, pfl, &c->vb, c->err))) return rc;
    ckpt_diff *d = c->d;
    d->nopt_a = ckpt_remapped_noptimizer(c->va);
    d->nopt_b = ckpt_remapped_noptimizer(c->vb);
    for (int i = 0; i < ckpt_remapped_nwarnings(c->va); i++) {
        char **nw = realloc(d->warn, (size_t)(d->nwarn + 1) * sizeof *nw);
        if (!nw) break;
        d->warn = nw;
        if ((d->warn[d->nwarn] = strdup(ckpt_remapped_warning(c->va, i)))) d->nwarn++;
    }
    c->na = ckpt_remapped_count(c->va);
    c->nb = ckpt_remapped_count(c->vb);
    c->matched_a = calloc((size_t)c->na + 1, 1);
    c->matched_b = calloc((size_t)c->nb + 1, 1);
    c->pair_b = malloc(sizeof(int) * (size_t)(c->na + 1));
    return c->matched_a && c->matched_b && c->pair_b ? 0 : nomem(c->err);
}

/* Names in both, in A's order: an entry when shape or dtype differ (or
 * for every pair when values are compared). */
static int pair_common(dctx *c)
{
    struct ckpt_name_index *ixb = ckpt__index_new();
    int rc = ixb ? 0 : nomem(c->err);
    for (int j = 0; j < c->nb && !rc; j++) {
        ckpt_remapped_info y;
        ckpt_remapped_entry(c->vb, j, &y);
        if (ckpt__index_put(ixb, y.name, j) == -2) rc = nomem(c->err);
    }
    ckpt_diff *d = c->d;
    for (int i = 0; i < c->na && !rc; i++) {
        ckpt_remapped_info x, y;
        ckpt_remapped_entry(c->va, i, &x);
        int j = c->pair_b[i] = ckpt__index_get(ixb, x.name);
        if (j < 0) continue;
        c->matched_a[i] = c->matched_b[j] = 1;
        ckpt_remapped_entry(c->vb, j, &y);
        d->ncommon++;
        unsigned fl = 0;
        if (!same_shape(&x, &y)) fl |= CKPT_DIFF_SHAPE;
        if (x.dtype != y.dtype) fl |= CKPT_DIFF_DTYPE;
        if (fl & CKPT_DIFF_SHAPE) d->nshape++;
        if (fl & CKPT_DIFF_DTYPE) d->ndtype++;
        if (!fl && !c->o->values) continue;
        if (!(fl & CKPT_DIFF_SHAPE) && c->o->values) c->total += x.nbytes + y.nbytes;
        ckpt_diff_entry *e;
        if ((rc = add_entry(d, &e, c->err))) break;
        e->flags = fl;
        fill_a(e, &x);
        fill_b(e, &y);
    }
    ckpt__index_free(ixb);
    return rc;
}

/* Scored pairs of unmatched names with equal shapes (into *cv). Keys:
 * shape, and for large models the layer numbers in the name too (a wholly
 * renamed model keeps its layer numbers), so only plausible pairs are
 * scored. Small models compare every pair of equal shape (catches
 * renumbering: dense_1 -> dense). */
static int rename_candidates(dctx *c, cand **cvp, size_t *ncp)
{
    int nua = 0, nub = 0, nka = 0, nkb = 0, rc = 0;
    for (int i = 0; i < c->na; i++) nua += !c->matched_a[i];
    for (int j = 0; j < c->nb; j++) nub += !c->matched_b[j];
    int by_digits = (uint64_t)nua * (uint64_t)nub > 1000000ull;
    keyed *ka = malloc(sizeof *ka * (size_t)(c->na + 1)), *kb = malloc(sizeof *kb * (size_t)(c->nb + 1));
    if (!ka || !kb) { free(ka); free(kb); return nomem(c->err); }
    for (int i = 0; i < c->na; i++) if (!c->matched_a[i]) ka[nka++] = make_key(c->va, i, by_digits);
    for (int j = 0; j < c->nb; j++) if (!c->matched_b[j]) kb[nkb++] = make_key(c->vb, j, by_digits);
    qsort(kb, (size_t)nkb, sizeof *kb, key_cmp);
    cand *cv = NULL;
    size_t nc = 0, capc = 0;
    uint64_t pairs = 0;
    for (int x = 0; x < nka && pairs <= RENAME_MAX_PAIRS && !rc; x++) {
        /* first B entry with the same key */
        int lo = 0, hi = nkb;
        while (lo < hi) { int mid = (lo + hi) / 2; if (kb[mid].key < ka[x].key) lo = mid + 1; else hi = mid; }
        ckpt_remapped_info xi;
        ckpt_remapped_entry(c->va, ka[x].idx, &xi);
        for (int y = lo; y < nkb && kb[y].key == ka[x].key; y++) {
            ckpt_remapped_info yi;
            ckpt_remapped_entry(c->vb, kb[y].idx, &yi);
            if (!same_shape(&xi, &yi)) continue;
            if (++pairs > RENAME_MAX_PAIRS) break;
            double sc = ckpt_name_similarity(xi.name, yi.name);
            if (sc < RENAME_MIN_SCORE) continue;
            if (nc == capc) {
                capc = capc ? capc * 2 : 256;
                cand *ncv = realloc(cv, capc * sizeof *ncv);
                if (!ncv) { rc = nomem(c->err); break; }
                cv = ncv;
            }
            cv[nc++] = (cand){ka[x].idx, kb[y].idx, sc};
        }
    }
    free(ka);
    free(kb);
    *cvp = cv;
    *ncp = nc;
    return rc;
}

/* Probable renames among the unmatched: greedy, best score first. */
static int find_renames(dctx *c)
{
    cand *cv = NULL;
    size_t nc = 0;
    int rc = rename_candidates(c, &cv, &nc);
    if (!rc && nc > 1) qsort(cv, nc, sizeof *cv, cand_cmp);
    for (size_t best = 0; best < nc && !rc; best++) {
        if (c->matched_a[cv[best].i] || c->matched_b[cv[best].j]) continue;
        c->matched_a[cv[best].i] = c->matched_b[cv[best].j] = 2;
        ckpt_remapped_info x, y;
        ckpt_remapped_entry(c->va, cv[best].i, &x);
        ckpt_remapped_entry(c->vb, cv[best].j, &y);
        ckpt_diff_entry *e;
        if ((rc = add_entry(c->d, &e, c->err))) break;
        e->flags = CKPT_DIFF_RENAME | (x.dtype != y.dtype ? CKPT_DIFF_DTYPE : 0);
        e->score = cv[best].s;
        fill_a(e, &x);
        fill_b(e, &y);
        c->d->nrename++;
    }
    free(cv);
    return rc;
}

/* Entries for the names only one side has. */
static int add_unmatched(dctx *c)
{
    int rc = 0;
    for (int i = 0; i < c->na && !rc; i++) {
        if (c->matched_a[i]) continue;
        ckpt_remapped_info x;
        ckpt_remapped_entry(c->va, i, &x);
        ckpt_diff_entry *e;
        if ((rc = add_entry(c->d, &e, c->err))) break;
        e->flags = CKPT_DIFF_ONLY_A;
        fill_a(e, &x);
        c->d->nonly_a++;
    }
    for (int j = 0; j < c->nb && !rc; j++) {
        if (c->matched_b[j]) continue;
        ckpt_remapped_info y;
        ckpt_remapped_entry(c->vb, j, &y);
        ckpt_diff_entry *e;
        if ((rc = add_entry(c->d, &e, c->err))) break;
        e->flags = CKPT_DIFF_ONLY_B;
        fill_b(e, &y);
        c->d->nonly_b++;
    }
    return rc;
}

/* Chunk buffers of the value comparison: raw bytes of each side, and
 * their values as doubles. */
typedef struct vbufs {
    size_t chunk;
    unsigned char *ba, *bb;
    double *fa, *fb;
} vbufs;

/* Compare the values of A's tensor i and its namesake in B (same shape),
 * chunk by chunk, into entry e. */
static int compare_pair(dctx *c, int i, ckpt_diff_entry *e, vbufs *vb, ckpt_progress *pr)
{
    ckpt_remapped_info x, y;
    ckpt_remapped_entry(c->va, i, &x);
    ckpt_remapped_entry(c->vb, c->pair_b[i], &y);
    size_t sa = ckpt_dtype_size(x.dtype), sb = ckpt_dtype_size(y.dtype);
    size_t big = sa > sb ? sa : sb;
    uint64_t nel = sa ? x.nbytes / sa : 0;
    size_t per = vb->chunk / big;
    vcmp v = {0, 0, 0, c->o->atol, c->o->rtol};
    int rc = 0;
    for (uint64_t k = 0; k < nel && !rc; k += per) {
        size_t cnt = nel - k < per ? (size_t)(nel - k) : per;
        rc = ckpt_remapped_read(c->va, i, k * sa, vb->ba, cnt * sa, c->err);
        if (rc) { ckpt_err_at_path(c->err, ckpt_model_path(c->A)); break; }
        rc = ckpt_remapped_read(c->vb, c->pair_b[i], k * sb, vb->bb, cnt * sb, c->err);
        if (rc) { ckpt_err_at_path(c->err, ckpt_model_path(c->B)); break; }
        compare_buf(&v, x.dtype, vb->ba, y.dtype, vb->bb, cnt, vb->fa, vb->fb);
        pr->bytes_done += cnt * (sa + sb);
        if (c->o->progress && c->o->progress(c->o->progress_ud, pr)) rc = ckpt_err_set(c->err, CKPT_E_CANCELLED, "cancelled");
    }
    if (rc) { ckpt_err_at_tensor(c->err, x.name); return rc; }
    e->flags |= CKPT_DIFF_COMPARED;
    e->max_abs = v.max_abs;
    e->max_rel = v.max_rel;
    e->nover = v.nover;
    e->nelems = nel;
    if (v.nover) { e->flags |= CKPT_DIFF_VALUES; c->d->nvalues++; }
    return 0;
}

/* --values: every common pair of equal shape, streamed in chunks. */
static int compare_values(dctx *c)
{
    ckpt_diff *d = c->d;
    vbufs vb = {c->o->chunk_size ? c->o->chunk_size : DEFAULT_CHUNK, NULL, NULL, NULL, NULL};
    vb.chunk &= ~(size_t)7;
    if (vb.chunk < 64) vb.chunk = 64;
    vb.ba = malloc(vb.chunk);
    vb.bb = malloc(vb.chunk);
    vb.fa = malloc(sizeof(double) * F64_BATCH);
    vb.fb = malloc(sizeof(double) * F64_BATCH);
    int rc = vb.ba && vb.bb && vb.fa && vb.fb ? 0 : nomem(c->err);
    ckpt_progress pr = {.phase = "diff", .bytes_total = c->total, .items_total = d->ncommon};
    int ei = 0;
    for (int i = 0; i < c->na && !rc; i++) {
        if (c->pair_b[i] < 0) continue;
        ckpt_remapped_info x, y;
        ckpt_remapped_entry(c->va, i, &x);
        ckpt_remapped_entry(c->vb, c->pair_b[i], &y);
        while (ei < d->n && (!d->v[ei].a || strcmp(d->v[ei].a, x.name) || (d->v[ei].flags & CKPT_DIFF_RENAME))) ei++;
        if (ei >= d->n) break;
        pr.current = x.name;
        if (!same_shape(&x, &y)) { pr.items_done++; continue; }
        if ((rc = compare_pair(c, i, &d->v[ei], &vb, &pr))) break;
        pr.items_done++;
        ei++;
    }
    if (!rc && c->o->progress) { pr.current = NULL; c->o->progress(c->o->progress_ud, &pr); }
    free(vb.ba); free(vb.bb); free(vb.fa); free(vb.fb);
    return rc;
}

int ckpt_diff_models(ckpt_model *A, ckpt_model *B, const ckpt_diff_opts *o, ckpt_diff **out, ckpt_err *err)
{
    CKPT__ERR_LOCAL(err);
    ckpt_diff_opts defo;
    if (!o) { memset(&defo, 0, sizeof defo); o = &defo; }
    *out = NULL;
    dctx c = {.o = o, .A = A, .B = B, .err = err};
    if (!(c.d = calloc(1, sizeof *c.d))) return nomem(err);
    int rc = open_views(&c);
    if (!rc) rc = pair_common(&c);
    if (!rc) rc = find_renames(&c);
    if (!rc) rc = add_unmatched(&c);
    if (!rc && o->values) rc = compare_values(&c);
    ckpt_diff *d = c.d;
    d->differ = d->nonly_a || d->nonly_b || d->nshape || d->ndtype || d->nrename || d->nvalues;
    ckpt_remapped_free(c.va);
    ckpt_remapped_free(c.vb);
    free(c.matched_a);
    free(c.matched_b);
    free(c.pair_b);
    if (rc) {
        ckpt_diff_free(d);
        return rc;
    }
    *out = d;
    return 0;
}
