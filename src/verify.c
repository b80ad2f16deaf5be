/* verify.c: re-read a conversion's output with ckpt's own reader and
 * compare every tensor of the plan with the source (ckpt/verify.h). Both
 * sides stream in chunks; a --package zip is verified through its weights
 * member(s), extracted into a temporary folder removed afterwards. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "ckpt/verify.h"
#include "internal.h"

#define VCHUNK_ELEMS 65536

/* Half an ulp of `t` at |x| (bounded below by half the smallest subnormal),
 * the largest error of a round-to-nearest cast into t. 0 for non-floats. */
static double half_ulp(ckpt_dtype t, double x)
{
    int p;
    double tiny;
    switch (t) {
    case CKPT_F16: p = 11; tiny = ldexp(1, -25); break;
    case CKPT_BF16: p = 8; tiny = ldexp(1, -134); break;
    case CKPT_F32: p = 24; tiny = ldexp(1, -150); break;
    case CKPT_F64: p = 53; tiny = ldexp(1, -1075); break;
    case CKPT_F8_E4M3: p = 4; tiny = ldexp(1, -10); break;
    case CKPT_F8_E5M2: p = 3; tiny = ldexp(1, -17); break;
    default: return 0;
    }
    double h = fabs(x) * ldexp(1, -p);
    return h > tiny ? h : tiny;
}

/* --quantize: the largest code step for a tensor whose values span [lo, hi]
 * (GGUF Q8_0/Q4_0 scale by max|x| per block; TF.js uint8/uint16 are affine
 * over the range nudged to hold 0); `ft` gets a float type the values are
 * rounded through (F16, BF16), else stays INVALID. */
static double quant_step(const char *q, double lo, double hi, ckpt_dtype *ft)
{
    double amax = fmax(fabs(lo), fabs(hi)), span = fmax(hi, 0) - fmin(lo, 0);
    *ft = CKPT_DT_INVALID;
    if (!q) return 0;
    if (!strcasecmp(q, "Q8_0")) return amax / 127 * 1.01;
    if (!strcasecmp(q, "Q4_0")) return amax / 8 * 1.01;
    if (!strcasecmp(q, "uint8")) return span / 255 * 1.01;
    if (!strcasecmp(q, "uint16")) return span / 65535 * 1.01;
    if (!strcasecmp(q, "float16") || !strcasecmp(q, "F16")) *ft = CKPT_F16;
    else if (!strcasecmp(q, "BF16")) *ft = CKPT_BF16;
    return 0;
}

typedef struct vbuf {
    unsigned char *eb, *ob, *sb;   /* expected (plan dtype), output, source bytes */
    double *ev, *ov, *sv;
} vbuf;

static int differs(ckpt_err *err, ckpt_verify_result *r, const char *name, uint64_t off, uint64_t k,
                   double got, double want, double bound, const char *what)
{
    snprintf(r->tensor, sizeof r->tensor, "%s", name);
    r->offset = off;
    ckpt_err_set(err, CKPT_E_INTEGRITY,
                 "verify: tensor '%s' differs at byte offset %llu (element %llu: output %.9g, %s %.9g, bound %.3g)",
                 name, (unsigned long long)off, (unsigned long long)k, got, what, want, bound);
    ckpt_err_at_tensor(err, name);
    ckpt_err_at_offset(err, off);
    return CKPT_E_INTEGRITY;
}

/* The plan's values of entry e over the whole tensor: min and max (for the quantization step). */
static int value_range(ckpt_model *m, const ckpt_plan_entry *e, uint64_t nel, vbuf *b, double *lo, double *hi,
                       ckpt_err *err)
{
    size_t es = ckpt_dtype_size(e->dtype);
    *lo = INFINITY, *hi = -INFINITY;
    for (uint64_t k = 0; k < nel; k += VCHUNK_ELEMS) {
        size_t n = nel - k < VCHUNK_ELEMS ? (size_t)(nel - k) : VCHUNK_ELEMS;
        if (ckpt__plan_read(m, e, k * es, b->eb, n * es, err)) return err->code;
        ckpt_dtype_to_f64(e->dtype, b->eb, n, b->ev);
        for (size_t i = 0; i < n; i++)
            if (isfinite(b->ev[i])) { *lo = fmin(*lo, b->ev[i]); *hi = fmax(*hi, b->ev[i]); }
    }
    if (*lo > *hi) *lo = *hi = 0;
    return 0;
}

/* One tensor: plan entry e of the source against tensor j of the output. */
static int verify_one(ckpt_model *m, const ckpt_convert_opts *o, const ckpt_plan_entry *e, ckpt_model *om, int j,
                      vbuf *b, ckpt_verify_result *r, ckpt_err *err)
{
    const ckpt_tensor *ot = ckpt_model_tensor(om, j), *st = ckpt_model_tensor(m, e->src);
    int same_shape = ot->ndim == e->ndim;
    for (int d = 0; same_shape && d < e->ndim; d++) same_shape = ot->shape[d] == e->shape[d];
    uint64_t nel = e->nbytes / (ckpt_dtype_size(e->dtype) ? ckpt_dtype_size(e->dtype) : 1);
    if (!same_shape || ot->nelems != nel) {
        snprintf(r->tensor, sizeof r->tensor, "%s", e->name);
        ckpt_err_set(err, CKPT_E_INTEGRITY, "verify: tensor '%s' has %d dims and %llu elements in the output, %d and %llu expected",
                     e->name, ot->ndim, (unsigned long long)ot->nelems, e->ndim, (unsigned long long)nel);
        return ckpt_err_at_tensor(err, e->name), CKPT_E_INTEGRITY;
    }
    const char *q = ckpt__opt(o, "quantize");
    int exact = ot->dtype == e->dtype && !q;
    /* a plain cast is also checked against the source: half an ulp of the target */
    int cast = !e->xf && st && st->dtype != e->dtype && ckpt_dtype_is_float(st->dtype) && ckpt_dtype_is_float(e->dtype);
    double lo = 0, hi = 0, qstep = 0;
    ckpt_dtype qft = CKPT_DT_INVALID;
    if (q && ckpt_dtype_is_float(e->dtype)) {
        if (value_range(m, e, nel, b, &lo, &hi, err)) return err->code;
        qstep = quant_step(q, lo, hi, &qft);
    }
    size_t es = ckpt_dtype_size(e->dtype), os = ckpt_dtype_size(ot->dtype), ss = st ? ckpt_dtype_size(st->dtype) : 0;
    for (uint64_t k = 0; k < nel; k += VCHUNK_ELEMS) {
        size_t n = nel - k < VCHUNK_ELEMS ? (size_t)(nel - k) : VCHUNK_ELEMS;
        if (ckpt__plan_read(m, e, k * es, b->eb, n * es, err)) return err->code;
        if (ckpt_tensor_read(om, j, k * os, b->ob, n * os, err)) return ckpt_err_at_path(err, ckpt_model_path(om)), err->code;
        if (exact && memcmp(b->eb, b->ob, n * es)) {
            size_t at = 0;
            while (b->eb[at] == b->ob[at]) at++;
            ckpt_dtype_to_f64(e->dtype, b->eb + at / es * es, 1, b->ev);
            ckpt_dtype_to_f64(ot->dtype, b->ob + at / es * es, 1, b->ov);
            return differs(err, r, e->name, k * es + at, k + at / es, b->ov[0], b->ev[0], 0, "expected (bit for bit)");
        }
        ckpt_dtype_to_f64(e->dtype, b->eb, n, b->ev);
        ckpt_dtype_to_f64(ot->dtype, b->ob, n, b->ov);
        if (cast) {
            if (ckpt_tensor_read(m, e->src, k * ss, b->sb, n * ss, err)) return err->code;
            ckpt_dtype_to_f64(st->dtype, b->sb, n, b->sv);
        }
        for (size_t i = 0; i < n; i++) {
            double want = cast ? b->sv[i] : b->ev[i], got = b->ov[i];
            if (isnan(want) || isnan(got)) {
                if (isnan(want) != isnan(got)) return differs(err, r, e->name, (k + i) * os, k + i, got, want, 0, "source");
                continue;
            }
            double bound = (cast ? half_ulp(e->dtype, want) : 0) + qstep;
            if (ot->dtype != e->dtype) bound += half_ulp(ot->dtype, want) + half_ulp(e->dtype, want);
            if (qft) bound += half_ulp(qft, want);
            double d = want == got ? 0 : fabs(got - want);   /* inf == inf */
            if (!(d <= bound)) return differs(err, r, e->name, (k + i) * os, k + i, got, want, bound, "source");
            if (!exact && d > r->max_err) r->max_err = d;
        }
    }
    r->ntensors++;
    r->nexact += exact;
    return 0;
}

/* --package zip: extract every member but the package's own texts into a
 * fresh folder; *weights gets the path to open (index.json when sharded). */
static int unpack(const char *zpath, const char *want, char **dir, char **weights, ckpt_err *err)
{
    int ze = 0;
    zip_t *z = zip_open(zpath, ZIP_RDONLY, &ze);
    if (!z) return ckpt_err_set(err, CKPT_E_FORMAT, "verify: cannot open the package %s as a zip", zpath);
    const char *tmp = getenv("TMPDIR");
    char *d = ckpt__asprintf("%s/ckpt-verify-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int rc = 0;
    if (!d || !mkdtemp(d)) rc = ckpt_err_set(err, CKPT_E_IO, "verify: cannot make a temporary folder");
    char *buf = rc ? NULL : malloc(1 << 20);
    if (!rc && !buf) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    zip_int64_t n = zip_get_num_entries(z, 0);
    for (zip_int64_t i = 0; !rc && i < n; i++) {
        const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
        if (!name || strchr(name, '/') || name[0] == '.' || !strcmp(name, "config.json") || !strcmp(name, "labels.txt") ||
            !strcmp(name, "README.md"))
            continue;
        char *p = ckpt__path_join(d, name);
        zip_file_t *zf = zip_fopen_index(z, (zip_uint64_t)i, 0);
        FILE *f = p && zf ? fopen(p, "wb") : NULL;
        zip_int64_t got;
        while (f && (got = zip_fread(zf, buf, 1 << 20)) > 0)
            if (fwrite(buf, 1, (size_t)got, f) != (size_t)got) { got = -1; break; }
        if (!f || got < 0 || fclose(f)) rc = ckpt_err_set(err, CKPT_E_IO, "verify: cannot extract %s from %s", name, zpath);
        if (zf) zip_fclose(zf);
        /* the weights: the member the package names model.EXT (want), an index, or the first */
        if (!rc && (!*weights || !strcmp(name, want) || ckpt__ends_with(name, ".index.json"))) {
            free(*weights);
            *weights = ckpt__strdup(p);
        }
        free(p);
    }
    free(buf);
    zip_discard(z);
    if (!rc && !*weights) rc = ckpt_err_set(err, CKPT_E_INTEGRITY, "verify: the package %s holds no weights", zpath);
    *dir = d;
    return rc;
}

static void rm_tree(const char *dir)
{
    if (!dir) return;
    /* a flat folder of extracted members */
    DIR *dp = opendir(dir);
    struct dirent *de;
    while (dp && (de = readdir(dp)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            char *p = ckpt__path_join(dir, de->d_name);
            if (p) unlink(p);
            free(p);
        }
    if (dp) closedir(dp);
    rmdir(dir);
}

/* a wrapper format (the zip package) as --to */
static int to_wrapper(const char *to)
{
    const ckpt_format *f = to ? ckpt__format_find(to) : NULL;
    return f && (f->flags & CKPT_FMT_WRAP);
}

static int is_package(const ckpt_convert_opts *o)
{
    return ckpt__opt(o, "package") || to_wrapper(o->to);
}

/* The output tensor for plan entry i: by name, else by position when the
 * output has exactly the plan's tensors (writers that keep their own names). */
static int match(ckpt_model *om, const ckpt_plan *p, int i)
{
    int j = ckpt_model_find(om, p->e[i].name);
    if (j < 0 && ckpt_model_ntensors(om) == p->n) j = i;
    return j;
}

static int verify_plan(ckpt_model *m, const ckpt_convert_opts *o, const ckpt_plan *p, ckpt_model *om,
                       ckpt_verify_result *r, ckpt_err *err)
{
    vbuf b = {0};
    b.eb = malloc(VCHUNK_ELEMS * 8); b.ob = malloc(VCHUNK_ELEMS * 8); b.sb = malloc(VCHUNK_ELEMS * 8);
    b.ev = malloc(VCHUNK_ELEMS * sizeof(double)); b.ov = malloc(VCHUNK_ELEMS * sizeof(double));
    b.sv = malloc(VCHUNK_ELEMS * sizeof(double));
    int rc = (b.eb && b.ob && b.sb && b.ev && b.ov && b.sv) ? 0 : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if (!rc && ckpt_model_ntensors(om) < p->n)
        rc = ckpt_err_set(err, CKPT_E_INTEGRITY, "verify: the output holds %d tensors, %d were written",
                          ckpt_model_ntensors(om), p->n);
    for (int i = 0; !rc && i < p->n; i++) {
        int j = match(om, p, i);
        if (j < 0) {
            snprintf(r->tensor, sizeof r->tensor, "%s", p->e[i].name);
            rc = ckpt_err_set(err, CKPT_E_INTEGRITY, "verify: tensor '%s' is missing from the output", p->e[i].name);
            ckpt_err_at_tensor(err, p->e[i].name);
        } else {
            rc = verify_one(m, o, &p->e[i], om, j, &b, r, err);
        }
        if (!rc && o->progress) {
            ckpt_progress pr = {.phase = "verify", .items_done = i + 1, .items_total = p->n, .current = p->e[i].name};
            if (o->progress(o->progress_ud, &pr)) rc = ckpt_err_set(err, CKPT_E_CANCELLED, "cancelled");
        }
    }
    free(b.eb); free(b.ob); free(b.sb); free(b.ev); free(b.ov); free(b.sv);
    return rc;
}

int ckpt_verify(ckpt_model *src, const ckpt_convert_opts *o, const char *out, ckpt_verify_result *r, ckpt_err *err)
{
    ckpt_verify_result local;
    if (!r) r = &local;
    memset(r, 0, sizeof *r);
    if (!src || !o || !o->to || !out) return ckpt_err_set(err, CKPT_E_USAGE, "verify needs the source, options and output");
    char *dir = NULL, *wpath = NULL;
    const char *inner = o->to && !to_wrapper(o->to) ? o->to : "safetensors";
    const ckpt_format *f = ckpt__format_find(inner);
    char want[64] = "";
    if (f && f->exts) {   /* as package.c names it: model.EXT, or the format's own file name */
        size_t l = strcspn(f->exts, " ");
        snprintf(want, sizeof want, "%s%.*s", f->exts[0] == '.' ? "model" : "", (int)(l < 40 ? l : 40), f->exts);
    }
    int rc = is_package(o) ? unpack(out, want, &dir, &wpath, err) : 0;
    ckpt_model *om = NULL;
    if (!rc && f && !(f->flags & CKPT_FMT_READ))
        rc = ckpt_err_set(err, CKPT_E_UNSUPPORTED, "verify: ckpt does not read %s outputs back", inner);
    if (!rc) {
        const char *path = wpath ? wpath : out;
        rc = f && (f->flags & CKPT_FMT_READ) ? ckpt_open_as(path, inner, &om, err) : ckpt_open(path, &om, err);
        if (rc) ckpt_err_at_path(err, out);
    }
    ckpt_plan plan = {0};
    ckpt_convert_opts po = *o;
    po.to = inner;
    if (!rc) rc = ckpt__convert_plan(src, &po, &plan, err);
    if (!rc) {
        rc = verify_plan(src, o, &plan, om, r, err);
        if (rc) ckpt_err_at_path(err, out);
    }
    ckpt__plan_free(&plan);
    ckpt_close(om);
    rm_tree(dir);
    free(dir);
    free(wpath);
    return rc;
}
