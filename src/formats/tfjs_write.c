/* src/formats/tfjs_write.c: --to tfjs, a TF.js layers model: model.json
 * (format "layers-model", modelTopology {keras_version, backend,
 * model_config} as tensorflowjs_converter writes it, weightsManifest) and
 * one weight group cut into group1-shardKofN.bin files of --shard-size
 * bytes (default 4 MiB, the converter's weight_shard_size_bytes). Weights
 * are concatenated in plan order and may straddle shards, as the
 * converter writes them and the TF.js loader reads them.
 *
 * dtypes follow the converter's _auto_convert_weight_entry: float16/64 and
 * bfloat16 are written as float32, integers as int32 (out of range is an
 * error naming the tensor), bool as bool.
 *
 * --quantize uint8|uint16|float16 (with --quantize-only GLOB,... to pick
 * weights by name) quantizes float32 weights as tensorflowjs'
 * quantization.py does: float16 is astype(np.float16); uint8/uint16 are
 * affine, with min/max of the tensor (a first pass over it, streamed),
 * the zero point nudged onto an integer when 0 is in range, and
 * round((clip(x, min, max) - min) / scale) evaluated in float32 as NumPy 1.x
 * evaluates a float32 array against float64 scalars. model.json gets
 * "quantization": {dtype, min, scale, original_dtype}; TF.js decodes
 * q * scale + min. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tfjs_write.h"

#define SCAN_CHUNK (1u << 20)
#define DEFAULT_SHARD (4u << 20)

enum { TQ_NONE, TQ_U8, TQ_U16, TQ_F16 };
static const char *const tq_name[] = {NULL, "uint8", "uint16", "float16"};
static const unsigned tq_size[] = {0, 1, 2, 2};

typedef struct tw_entry {
    ckpt_dtype out;      /* CKPT_F32, CKPT_I32 or CKPT_BOOL */
    int q;               /* TQ_* */
    double min, scale;   /* affine: what model.json records */
    float lo, hi, sc;    /* the same as float32, for the arithmetic */
    unsigned qmax;
    uint64_t stored;     /* bytes in the group */
    const char *name;    /* the TF.js weight name: a suffix of the plan name */
} tw_entry;

typedef struct tw {
    char *dir, *json_path;
    uint64_t shard_size, total, pos;   /* pos: bytes of the group written */
    int nshards, shard;                /* shard: open one, 0-based; -1 none */
    int fd;
    tw_entry *e;
    int n;
    unsigned char *cv;                 /* converted chunk */
    size_t cvcap;
    cJSON *model_config;
} tw;

static int nomem(ckpt_err *err) { return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }

/* ---- can_write ------------------------------------------------------------ */

int ckpt__tfjs_can_write(const ckpt_model *m, char *why, size_t n)
{
    char alt[160], reason[200];
    if (!m->config_json) {
        const char *fact = ckpt_model_fact_get(m, "tfjs_format");
        snprintf(reason, sizeof reason, "%s no Keras model config, which TF.js layers models are built from",
                 fact && !strcmp(fact, "graph-model") ? "a TF.js graph model has" : "this input has");
    } else {
        ckpt_err e;
        ckpt_err_clear(&e);
        cJSON *t = ckpt__tfjs_translate_config(m->config_json, strlen(m->config_json), &e);
        if (t) {
            cJSON_Delete(t);
            return 1;
        }
        snprintf(reason, sizeof reason, "no TF.js layers form: %.170s", e.msg);
    }
    ckpt__writers_for(m, "tfjs", alt, sizeof alt);
    snprintf(why, n, "%s; convert it to %s", reason, alt[0] ? alt : "another format");
    return 0;
}

/* ---- plan ------------------------------------------------------------------ */

static int parse_quant(const char *s, ckpt_err *err)
{
    if (!s) return TQ_NONE;
    for (int q = TQ_U8; q <= TQ_F16; q++)
        if (!strcmp(s, tq_name[q])) return q;
    return -ckpt_err_set(err, CKPT_E_USAGE, "--quantize wants uint8, uint16 or float16, not '%.40s'", s);
}

/* Does `name` match one of the comma-separated globs? */
static int glob_list_match(const char *globs, const char *name)
{
    char pat[512];
    for (const char *p = globs; *p;) {
        size_t l = strcspn(p, ",");
        if (l && l < sizeof pat) {
            memcpy(pat, p, l);
            pat[l] = 0;
            if (!fnmatch(pat, name, 0)) return 1;
        }
        p += l;
        if (*p) p++;
    }
    return 0;
}

static int out_dtype(const ckpt_plan_entry *e, ckpt_dtype *out, ckpt_err *err)
{
    switch (e->dtype) {
    case CKPT_F32: case CKPT_F16: case CKPT_BF16: case CKPT_F64: *out = CKPT_F32; return 0;
    case CKPT_I8: case CKPT_U8: case CKPT_I16: case CKPT_U16: case CKPT_I32: case CKPT_U32: case CKPT_I64:
    case CKPT_U64: *out = CKPT_I32; return 0;
    case CKPT_BOOL: *out = CKPT_BOOL; return 0;
    default:
        ckpt_err_set(err, CKPT_E_UNSUPPORTED, "%s has no TF.js weight dtype", ckpt_dtype_name(e->dtype));
        ckpt_err_at_tensor(err, e->name);
        return err->code;
    }
}

/* Is `seg` (n bytes) the name of a model nested in the config? */
static int nested_model(const cJSON *mo, const char *seg, size_t n, int depth)
{
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(mo, "config");
    const cJSON *layers = cJSON_IsArray(cfg) ? cfg : cJSON_GetObjectItemCaseSensitive(cfg, "layers");
    const cJSON *l;
    if (depth > 64) return 0;
    cJSON_ArrayForEach(l, layers) {
        const cJSON *lc = cJSON_GetObjectItemCaseSensitive(l, "config");
        if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(lc, "layers")) &&
            !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(l, "config")))
            continue;
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(lc, "name");
        if (cJSON_IsString(nm) && strlen(nm->valuestring) == n && !memcmp(nm->valuestring, seg, n)) return 1;
        if (nested_model(l, seg, n, depth + 1)) return 1;
    }
    return 0;
}

/* TF.js names a nested model's weights after their own layer
 * ("inner/dense/kernel" is "dense/kernel", as tensorflowjs_converter takes
 * the h5 weight_names): drop leading nested-model names. */
static const char *tfjs_name(const cJSON *mc, const char *name)
{
    for (;;) {
        const char *sl = strchr(name, '/');
        if (!sl || !strchr(sl + 1, '/') || !nested_model(mc, name, (size_t)(sl - name), 0)) return name;
        name = sl + 1;
    }
}

static int unique_names(tw *s, ckpt_err *err)
{
    struct ckpt_name_index *ix = ckpt__index_new();
    if (!ix) return nomem(err);
    int rc = 0;
    for (int i = 0; i < s->n && !rc; i++) {
        int prev = ckpt__index_put(ix, s->e[i].name, i);
        if (prev == -2) rc = nomem(err);
        else if (prev >= 0)
            rc = ckpt_err_set(err, CKPT_E_USAGE, "two weights have the TF.js name '%s' (weights of nested models "
                              "are named after their own layer)", s->e[i].name);
    }
    ckpt__index_free(ix);
    return rc;
}

static int plan_entries(ckpt_writer *w, tw *s, ckpt_err *err)
{
    const char *only = ckpt__opt(w->opts, "quantize-only");
    int q = parse_quant(ckpt__opt(w->opts, "quantize"), err);
    if (q < 0) return err->code;
    if (only && q == TQ_NONE) return ckpt_err_set(err, CKPT_E_USAGE, "--quantize-only needs --quantize uint8|uint16|float16");
    s->n = w->plan->n;
    s->e = calloc((size_t)s->n + 1, sizeof *s->e);
    if (!s->e) return nomem(err);
    for (int i = 0; i < s->n; i++) {
        const ckpt_plan_entry *pe = &w->plan->e[i];
        tw_entry *te = &s->e[i];
        if (out_dtype(pe, &te->out, err)) return err->code;
        te->name = tfjs_name(s->model_config, pe->name);
        if (te->out == CKPT_F32 && q != TQ_NONE && (!only || glob_list_match(only, te->name))) te->q = q;
        uint64_t ne = pe->nbytes / ckpt_dtype_size(pe->dtype);
        unsigned esz = te->q ? tq_size[te->q] : (unsigned)ckpt_dtype_size(te->out);
        if (ckpt__mul_u64(ne, esz, &te->stored) || ckpt__add_u64(s->total, te->stored, &s->total))
            return ckpt_err_set(err, CKPT_E_USAGE, "size of tensor '%s' overflows", pe->name);
    }
    return unique_names(s, err);
}

/* ---- shards ---------------------------------------------------------------- */

/* A full shard: start its writeback now (unless --fsync never), so that
 * the commit's fsync of each of the many 4 MiB files does not wait for all
 * of them at the end. */
static void close_shard(ckpt_writer *w, tw *s)
{
    if (s->fd < 0) return;
    uint64_t from = 0;
    ckpt__txn_writeback(w->txn, s->fd, &from, UINT64_MAX);
    ckpt_txn_close_fd(w->txn, s->fd);
    s->fd = -1;
}

static int open_shard(ckpt_writer *w, tw *s, ckpt_err *err)
{
    close_shard(w, s);
    s->shard++;
    char name[64];
    snprintf(name, sizeof name, "group1-shard%dof%d.bin", s->shard + 1, s->nshards);
    char *p = ckpt__path_join(s->dir, name);
    if (!p) return nomem(err);
    s->fd = ckpt_txn_create(w->txn, p, err);
    free(p);
    return s->fd < 0 ? err->code : 0;
}

/* Append bytes to the group, cutting shards at shard_size. */
static int emit(ckpt_writer *w, tw *s, const unsigned char *b, size_t n, ckpt_err *err)
{
    while (n) {
        if (s->fd < 0 || s->pos >= (uint64_t)(s->shard + 1) * s->shard_size)
            if (open_shard(w, s, err)) return err->code;
        uint64_t room = (uint64_t)(s->shard + 1) * s->shard_size - s->pos;
        size_t c = n < room ? n : (size_t)room;
        if (ckpt__write_full(s->fd, b, c)) {
            ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write shard %d of %d", s->shard + 1, s->nshards);
            ckpt_err_at_path(err, s->dir);
            return err->code;
        }
        s->pos += c;
        b += c;
        n -= c;
    }
    return 0;
}

int ckpt__tfjs_write_begin(ckpt_writer *w, ckpt_err *err)
{
    tw *s = calloc(1, sizeof *s);
    if (!s) return nomem(err);
    w->priv = s;
    s->fd = -1;
    s->shard = -1;
    if (!w->src->config_json) return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "no Keras model config to write modelTopology from");
    if (w->opts->naming && strcmp(w->opts->naming, "keras"))
        return ckpt_err_set(err, CKPT_E_USAGE, "--naming %s: a TF.js layers model names its weights as TF.js looks "
                            "them up (layer/weight); only --naming keras applies", w->opts->naming);
    s->model_config = ckpt__tfjs_translate_config(w->src->config_json, strlen(w->src->config_json), err);
    if (!s->model_config) return err->code;
    if (plan_entries(w, s, err)) return err->code;
    const char *out = w->opts->out;
    if (ckpt__ends_with(out, ".json")) {
        s->json_path = ckpt__strdup(out);
        s->dir = ckpt__path_dirname(out);
    } else {
        s->dir = ckpt__strdup(out);
        s->json_path = ckpt__path_join(out, "model.json");
    }
    if (!s->dir || !s->json_path) return nomem(err);
    s->shard_size = w->opts->shard_size ? w->opts->shard_size : DEFAULT_SHARD;
    uint64_t ns = s->total / s->shard_size + (s->total % s->shard_size != 0);
    if (ns > 99999)
        return ckpt_err_set(err, CKPT_E_USAGE, "--shard-size %llu would make %llu shard files",
                            (unsigned long long)s->shard_size, (unsigned long long)ns);
    s->nshards = (int)ns;
    w->res->nfiles = s->nshards + 1;
    snprintf(w->res->main_path, sizeof w->res->main_path, "%s", s->json_path);
    return 0;
}

/* ---- quantization ---------------------------------------------------------- */

/* NumPy's round (half to even) of a float64, as np.round on a float64 scalar. */
static double round_even(double x) { return nearbyint(x); }

/* Affine parameters from min/max, as quantization.py's quantize_weights and
 * _get_affine_quantization_range. */
static void affine_params(tw_entry *te, double mn, double mx)
{
    te->qmax = te->q == TQ_U8 ? 255u : 65535u;
    if (mn == mx) {          /* one value: all zeros, scale 1 */
        te->scale = 1.0;
        te->min = mn;
        te->lo = te->hi = (float)mn;
        te->sc = 1.0f;
        return;
    }
    double scale = (mx - mn) / te->qmax, nmin = mn, nmax = mx;
    if (mn <= 0 && 0 <= mx) {
        double zp = round_even((0 - mn) / scale);
        nmin = -zp * scale;
        nmax = te->qmax * scale + nmin;
    }
    te->scale = scale;
    te->min = nmin;
    te->lo = (float)nmin;
    te->hi = (float)nmax;
    te->sc = (float)scale;
}

/* The first pass: min and max of the tensor as float32. */
static int scan_minmax(ckpt_writer *w, tw *s, int i, ckpt_err *err)
{
    const ckpt_plan_entry *pe = &w->plan->e[i];
    size_t isz = ckpt_dtype_size(pe->dtype);
    unsigned char *raw = malloc(SCAN_CHUNK);
    float *f = malloc(SCAN_CHUNK / isz * sizeof *f + sizeof *f);
    if (!raw || !f) { free(raw); free(f); return nomem(err); }
    double mn = INFINITY, mx = -INFINITY;
    int rc = 0;
    for (uint64_t off = 0; off < pe->nbytes && !rc;) {
        size_t c = pe->nbytes - off < SCAN_CHUNK ? (size_t)(pe->nbytes - off) : SCAN_CHUNK;
        if ((rc = ckpt__plan_read(w->src, pe, off, raw, c, err))) break;
        ckpt_dtype_cast(pe->dtype, raw, CKPT_F32, f, c / isz);
        for (size_t k = 0; k < c / isz; k++) {
            if (!isfinite(f[k])) {
                rc = ckpt_err_set(err, CKPT_E_UNSUPPORTED, "element %llu is %s: %s quantization needs finite values",
                                  (unsigned long long)(off / isz + k), isnan(f[k]) ? "NaN" : "infinite",
                                  tq_name[s->e[i].q]);
                ckpt_err_at_tensor(err, pe->name);
                break;
            }
            if (f[k] < mn) mn = f[k];
            if (f[k] > mx) mx = f[k];
        }
        off += c;
    }
    free(raw);
    free(f);
    if (!rc) affine_params(&s->e[i], pe->nbytes ? mn : 0, pe->nbytes ? mx : 0);
    return rc;
}

static void quantize(const tw_entry *te, const float *x, size_t n, unsigned char *out)
{
    for (size_t k = 0; k < n; k++) {
        if (te->q == TQ_F16) {
            uint16_t h = ckpt_f32_to_f16(x[k]);
            out[2 * k] = (unsigned char)h;
            out[2 * k + 1] = (unsigned char)(h >> 8);
            continue;
        }
        unsigned v = 0;
        if (te->lo != te->hi) {
            /* float32 throughout, as NumPy 1.x computes a float32 array
             * against float64 scalars (no multiply-add here to contract) */
            float c = x[k] < te->lo ? te->lo : x[k] > te->hi ? te->hi : x[k];
            float t = (c - te->lo) / te->sc;
            float r = rintf(t);
            v = r <= 0 ? 0u : r >= (float)te->qmax ? te->qmax : (unsigned)r;
        }
        if (te->q == TQ_U8) {
            out[k] = (unsigned char)v;
        } else {
            out[2 * k] = (unsigned char)v;
            out[2 * k + 1] = (unsigned char)(v >> 8);
        }
    }
}

/* ---- chunks ---------------------------------------------------------------- */

/* Integers into int32, refusing what does not fit. */
static int to_int32(const ckpt_plan_entry *pe, uint64_t off, const void *buf, size_t ne, int32_t *o, ckpt_err *err)
{
    const unsigned char *b = buf;
    for (size_t k = 0; k < ne; k++) {
        int64_t v;
        switch (pe->dtype) {
        case CKPT_I64: { int64_t x; memcpy(&x, b + 8 * k, 8); v = x; break; }
        case CKPT_U64: { uint64_t x; memcpy(&x, b + 8 * k, 8); v = x > INT64_MAX ? INT64_MAX : (int64_t)x; break; }
        case CKPT_U32: { uint32_t x; memcpy(&x, b + 4 * k, 4); v = x; break; }
        default: ckpt_dtype_cast(pe->dtype, b + k * ckpt_dtype_size(pe->dtype), CKPT_I32, o + k, 1); continue;
        }
        if (v < INT32_MIN || v > INT32_MAX)
            return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "element %llu (%lld) does not fit TF.js int32",
                                (unsigned long long)(off / ckpt_dtype_size(pe->dtype) + k), (long long)v);
        o[k] = (int32_t)v;
    }
    return 0;
}

int ckpt__tfjs_write(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err)
{
    tw *s = w->priv;
    const ckpt_plan_entry *pe = &w->plan->e[i];
    tw_entry *te = &s->e[i];
    if (off == 0 && (te->q == TQ_U8 || te->q == TQ_U16) && scan_minmax(w, s, i, err)) return err->code;
    if (!n) return 0;
    size_t isz = ckpt_dtype_size(pe->dtype), ne = n / isz;
    if (pe->dtype == te->out && !te->q) return emit(w, s, buf, n, err);
    size_t need = ne * 4 + ne * 2;       /* float32/int32 values, then quantized bytes */
    if (need > s->cvcap) {
        unsigned char *p = realloc(s->cv, need);
        if (!p) return nomem(err);
        s->cv = p;
        s->cvcap = need;
    }
    if (te->out == CKPT_I32) {
        if (to_int32(pe, off, buf, ne, (int32_t *)s->cv, err)) return err->code;
        return emit(w, s, s->cv, ne * 4, err);
    }
    const float *f = buf;
    if (pe->dtype != CKPT_F32) {
        ckpt_dtype_cast(pe->dtype, buf, CKPT_F32, s->cv, ne);
        f = (const float *)s->cv;
    }
    if (!te->q) return emit(w, s, (const unsigned char *)f, ne * 4, err);
    unsigned char *q = s->cv + ne * 4;
    quantize(te, f, ne, q);
    return emit(w, s, q, ne * tq_size[te->q], err);
}

/* ---- model.json ------------------------------------------------------------ */

static cJSON *weight_spec(const ckpt_model *m, const ckpt_plan_entry *pe, const tw_entry *te)
{
    const ckpt_tensor *t = ckpt_model_tensor(m, pe->src);
    cJSON *o = cJSON_CreateObject(), *sh = cJSON_CreateArray();
    if (!o || !sh) { cJSON_Delete(o); cJSON_Delete(sh); return NULL; }
    cJSON_AddStringToObject(o, "name", te->name);
    for (int d = 0; d < pe->ndim; d++) cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)pe->shape[d]));
    cJSON_AddItemToObject(o, "shape", sh);
    cJSON_AddStringToObject(o, "dtype", te->out == CKPT_F32 ? "float32" : te->out == CKPT_I32 ? "int32" : "bool");
    /* --include-optimizer: TF.js hands these to the model's optimizer, not its layers */
    if (t && (t->flags & CKPT_TF_OPTIMIZER)) cJSON_AddStringToObject(o, "group", "optimizer");
    if (te->q) {
        cJSON *q = cJSON_AddObjectToObject(o, "quantization");
        if (!q) { cJSON_Delete(o); return NULL; }
        cJSON_AddStringToObject(q, "dtype", tq_name[te->q]);
        if (te->q != TQ_F16) {
            /* 17 significant digits: the exact double (cJSON's own printing
             * accepts a 15-digit form within an epsilon, which TF.js would
             * then decode with) */
            char b[2][40];
            snprintf(b[0], sizeof b[0], "%.17g", te->min);
            snprintf(b[1], sizeof b[1], "%.17g", te->scale);
            cJSON_AddRawToObject(q, "min", b[0]);
            cJSON_AddRawToObject(q, "scale", b[1]);
        }
        cJSON_AddStringToObject(q, "original_dtype", "float32");
    }
    return o;
}

static cJSON *topology(ckpt_writer *w, tw *s)
{
    const char *kv = ckpt_model_fact_get(w->src, "keras_version");
    const char *be = ckpt_model_fact_get(w->src, "backend");
    cJSON *t = cJSON_CreateObject();
    if (!t) return NULL;
    cJSON_AddStringToObject(t, "keras_version", kv ? kv : "unknown");
    cJSON_AddStringToObject(t, "backend", be ? be : "tensorflow");
    cJSON_AddItemToObject(t, "model_config", s->model_config);
    s->model_config = NULL;
    return t;
}

static char *model_json(ckpt_writer *w, tw *s)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    const char *kv = ckpt_model_fact_get(w->src, "keras_version");
    const char *gen = ckpt_model_fact_get(w->src, "generated_by");
    cJSON_AddStringToObject(root, "format", "layers-model");
    if (gen) cJSON_AddStringToObject(root, "generatedBy", gen);
    else {
        char *g = ckpt__asprintf("keras v%s", kv ? kv : "unknown");
        if (g) cJSON_AddStringToObject(root, "generatedBy", g);
        free(g);
    }
    cJSON_AddStringToObject(root, "convertedBy", "ckpt " CKPT_VERSION);
    cJSON *topo = topology(w, s);
    cJSON *man = cJSON_CreateArray(), *grp = cJSON_CreateObject(), *paths = cJSON_CreateArray(),
          *ws = cJSON_CreateArray();
    if (!topo || !man || !grp || !paths || !ws) {
        cJSON_Delete(topo); cJSON_Delete(man); cJSON_Delete(grp); cJSON_Delete(paths); cJSON_Delete(ws);
        cJSON_Delete(root);
        return NULL;
    }
    cJSON_AddItemToObject(root, "modelTopology", topo);
    cJSON_AddItemToObject(root, "weightsManifest", man);
    cJSON_AddItemToArray(man, grp);
    cJSON_AddItemToObject(grp, "paths", paths);
    cJSON_AddItemToObject(grp, "weights", ws);
    int ok = 1;
    for (int k = 0; k < s->nshards && ok; k++) {
        char name[64];
        snprintf(name, sizeof name, "group1-shard%dof%d.bin", k + 1, s->nshards);
        ok = cJSON_AddItemToArray(paths, cJSON_CreateString(name));
    }
    for (int i = 0; i < s->n && ok; i++) {
        cJSON *spec = weight_spec(w->src, &w->plan->e[i], &s->e[i]);
        ok = spec && cJSON_AddItemToArray(ws, spec);
    }
    char *txt = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return txt;
}

int ckpt__tfjs_write_end(ckpt_writer *w, ckpt_err *err)
{
    tw *s = w->priv;
    if (s->pos != s->total)
        return ckpt_err_set(err, CKPT_E_IO, "internal: wrote %llu of %llu weight bytes", (unsigned long long)s->pos,
                            (unsigned long long)s->total);
    close_shard(w, s);
    char *txt = model_json(w, s);
    if (!txt) return nomem(err);
    int fd = ckpt_txn_create(w->txn, s->json_path, err);
    int rc = fd < 0 ? err->code : 0;
    if (!rc && ckpt__write_full(fd, txt, strlen(txt)))
        rc = ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write %s", s->json_path);
    if (fd >= 0) ckpt_txn_close_fd(w->txn, fd);
    free(txt);
    if (!rc) ckpt__tfjs_write_abort(w);   /* frees the state */
    return rc;
}

void ckpt__tfjs_write_abort(ckpt_writer *w)
{
    tw *s = w->priv;
    if (!s) return;
    if (s->fd >= 0) ckpt_txn_close_fd(w->txn, s->fd);
    cJSON_Delete(s->model_config);
    free(s->e);
    free(s->cv);
    free(s->dir);
    free(s->json_path);
    free(s);
    w->priv = NULL;
}
