/* src/fmt_tfjs.c: TensorFlow.js models (model.json + binary shards), layers
 * models and graph models, read only.
 *
 * model.json (tfjs-core io/types.ts ModelJSON): "format", "modelTopology"
 * (a Keras model config for layers models, a GraphDef as JSON for graph
 * models), "weightsManifest": groups of {"paths", "weights"}. A group's
 * weights are its bytes concatenated in manifest order and cut into shard
 * files at fixed sizes, so a weight may straddle two files: reads map the
 * byte range across the group's files (the JS loader concatenates them too,
 * tfjs-core io/weights_loader.ts). Shard paths are relative to model.json;
 * absolute paths, URLs and ".." are refused.
 *
 * Quantized weights (converter --quantize_uint8/uint16/float16) are
 * dequantized on read exactly as tfjs-core io_utils.ts decodeWeight does:
 * uint8/uint16 affine q*scale+min computed in double and stored as float32
 * (int32 originals rounded), float16 cast to float32. String weights
 * (u32 length + bytes per element) are listed with their shape but cannot be
 * converted; complex64 likewise.
 */
#include "fmt_tfjs.h"
#include "tfjs_write.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_JSON_MAX (512u << 20)
#define CHUNK_ELEMS 16384

static const struct {
    const char *name;
    ckpt_dtype dt;
} tj_dtypes[] = {
    {"float32", CKPT_F32}, {"int32", CKPT_I32}, {"bool", CKPT_BOOL}, {"uint8", CKPT_U8},
    {"uint16", CKPT_U16}, {"float16", CKPT_F16}, {"int8", CKPT_I8}, {"int16", CKPT_I16},
    {"int64", CKPT_I64}, {"float64", CKPT_F64},
    {"string", CKPT_U8}, {"complex64", CKPT_F32},
};

static const char *tj_dtype(const char *s, ckpt_dtype *dt)
{
    for (size_t i = 0; i < sizeof tj_dtypes / sizeof tj_dtypes[0]; i++)
        if (!strcmp(s, tj_dtypes[i].name)) {
            *dt = tj_dtypes[i].dt;
            return tj_dtypes[i].name;
        }
    return NULL;
}

static int tj_fail(ckpt_err *err, const char *path, const char *tensor, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int tj_fail(ckpt_err *err, const char *path, const char *tensor, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ckpt_err_set(err, CKPT_E_FORMAT, "%s", msg);
    if (path) ckpt_err_at_path(err, path);
    if (tensor) ckpt_err_at_tensor(err, tensor);
    return err ? (int)err->code : CKPT_E_FORMAT;
}

static int tj_nomem(ckpt_err *err)
{
    return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
}

/* ====================================================================== */
/* Manifest parser                                                         */
/* ====================================================================== */

void ckpt__tfjs_manifest_free(tfjs_manifest *mf)
{
    if (!mf) return;
    for (int i = 0; i < mf->ng; i++) {
        for (int j = 0; j < mf->g[i].npaths; j++) free(mf->g[i].paths[j]);
        free(mf->g[i].paths);
    }
    free(mf->g);
    for (int i = 0; i < mf->nw; i++) free(mf->w[i].name);
    free(mf->w);
    memset(mf, 0, sizeof *mf);
}

/* A shard path must stay beside model.json: relative, no "..", no URL. */
static const char *bad_shard_path(const char *p)
{
    if (!*p) return "empty path";
    if (p[0] == '/' || p[0] == '\\') return "absolute path";
    if (strstr(p, "://") || (p[1] == ':' && p[0] && ((p[0] | 32) >= 'a' && (p[0] | 32) <= 'z')))
        return "URL or drive path";
    if (strchr(p, '\\')) return "backslash in path";
    for (const char *s = p; *s;) {
        size_t l = strcspn(s, "/");
        if (l == 2 && s[0] == '.' && s[1] == '.') return "'..' in path";
        s += l;
        if (*s) s++;
    }
    return NULL;
}

static int json_uint(const cJSON *v, uint64_t *out)
{
    if (!cJSON_IsNumber(v)) return -1;
    double d = v->valuedouble;
    if (!(d >= 0) || d > 9007199254740992.0 || (double)(uint64_t)d != d) return -1;
    *out = (uint64_t)d;
    return 0;
}

static int parse_weight(const cJSON *o, int group, const char *path, tfjs_weight *w, ckpt_err *err)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
    if (!cJSON_IsObject(o) || !cJSON_IsString(name) || !*name->valuestring)
        return tj_fail(err, path, NULL, "weightsManifest group %d: a weight without a name", group + 1);
    const char *nm = name->valuestring;
    w->name = ckpt__strdup(nm);
    if (!w->name) return tj_nomem(err);
    w->group = group;
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(o, "shape");
    if (!cJSON_IsArray(shape)) return tj_fail(err, path, nm, "weight has no shape array");
    int nd = cJSON_GetArraySize(shape);
    if (nd > CKPT_MAX_DIMS) return tj_fail(err, path, nm, "rank %d exceeds %d dimensions", nd, CKPT_MAX_DIMS);
    uint64_t ne = 1;
    int i = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, shape) {
        uint64_t v;
        if (json_uint(d, &v) || v > (uint64_t)INT64_MAX)
            return tj_fail(err, path, nm, "shape entry %d is not a non-negative integer", i);
        if (ckpt__mul_u64(ne, v, &ne)) return tj_fail(err, path, nm, "shape product overflows");
        w->shape[i++] = (int64_t)v;
    }
    w->ndim = nd;
    w->nelems = ne;
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(o, "dtype");
    if (!cJSON_IsString(dt)) return tj_fail(err, path, nm, "weight has no dtype");
    ckpt_dtype cd;
    w->dtype_name = tj_dtype(dt->valuestring, &cd);
    if (!w->dtype_name) return tj_fail(err, path, nm, "unknown dtype '%.40s'", dt->valuestring);
    w->dt = w->stored_dt = cd;
    w->kind = !strcmp(w->dtype_name, "string") ? TJ_STRING
            : !strcmp(w->dtype_name, "complex64") ? TJ_COMPLEX : TJ_PLAIN;
    const cJSON *grp = cJSON_GetObjectItemCaseSensitive(o, "group");
    w->optimizer = cJSON_IsString(grp) && !strcmp(grp->valuestring, "optimizer");
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(o, "quantization");
    if (q && !cJSON_IsNull(q)) {
        const cJSON *qd = cJSON_GetObjectItemCaseSensitive(q, "dtype");
        const cJSON *od = cJSON_GetObjectItemCaseSensitive(q, "original_dtype");
        if (!cJSON_IsObject(q) || !cJSON_IsString(qd))
            return tj_fail(err, path, nm, "quantization without a dtype");
        ckpt_dtype orig = cd;
        if (cJSON_IsString(od)) {
            if (!tj_dtype(od->valuestring, &orig))
                return tj_fail(err, path, nm, "unknown original_dtype '%.40s'", od->valuestring);
        }
        if (orig != CKPT_F32 && orig != CKPT_I32)
            return tj_fail(err, path, nm, "quantized weights must be float32 or int32, not %s",
                           ckpt_dtype_name(orig));
        if (!strcmp(qd->valuestring, "uint8") || !strcmp(qd->valuestring, "uint16")) {
            const cJSON *sc = cJSON_GetObjectItemCaseSensitive(q, "scale");
            const cJSON *mn = cJSON_GetObjectItemCaseSensitive(q, "min");
            if (!cJSON_IsNumber(sc) || !cJSON_IsNumber(mn))
                return tj_fail(err, path, nm, "%s quantization needs numeric scale and min", qd->valuestring);
            w->kind = TJ_AFFINE;
            w->scale = sc->valuedouble;
            w->min = mn->valuedouble;
            w->stored_dt = qd->valuestring[4] == '8' ? CKPT_U8 : CKPT_U16;
            w->quant_name = w->stored_dt == CKPT_U8 ? "uint8" : "uint16";
        } else if (!strcmp(qd->valuestring, "float16")) {
            if (orig != CKPT_F32) return tj_fail(err, path, nm, "float16 quantization of a non-float32 weight");
            w->kind = TJ_F16;
            w->stored_dt = CKPT_F16;
            w->quant_name = "float16";
        } else {
            return tj_fail(err, path, nm, "unknown quantization dtype '%.40s'", qd->valuestring);
        }
        w->dt = orig;
    }
    if (w->kind == TJ_COMPLEX) {
        /* shown as float32 pairs (real, imaginary) under one more axis */
        if (nd >= CKPT_MAX_DIMS) return tj_fail(err, path, nm, "complex64 weight of rank %d", nd);
        w->shape[w->ndim++] = 2;
        if (ckpt__mul_u64(ne, 2, &ne)) return tj_fail(err, path, nm, "shape product overflows");
    }
    if (w->kind == TJ_STRING) {
        w->stored = UINT64_MAX;   /* found by scanning the bytes */
    } else if (ckpt__mul_u64(ne, ckpt_dtype_size(w->stored_dt), &w->stored)) {
        return tj_fail(err, path, nm, "byte size overflows");
    }
    return 0;
}

int ckpt__tfjs_parse_manifest(const char *json, size_t n, const char *path, tfjs_manifest *mf,
                              ckpt_err *err)
{
    memset(mf, 0, sizeof *mf);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, n, &end, 0);
    if (!root) {
        size_t at = end && end >= json && end <= json + n ? (size_t)(end - json) : 0;
        if (!n) return tj_fail(err, path, NULL, "empty file (truncated?)");
        if (ckpt__json_cut_short(json, n))   /* brackets or a string left open at the end */
            return tj_fail(err, path, NULL, "not valid JSON: it stops after %zu bytes with brackets left open "
                           "(truncated?)", n);
        if (ckpt__json_too_deep(json, n))
            return tj_fail(err, path, NULL, "JSON nested deeper than %d levels (hostile?)", CKPT_JSON_MAX_DEPTH);
        return tj_fail(err, path, NULL, "not valid JSON (parse error at byte %zu of %zu)", at, n);
    }
    int rc = 0;
    const cJSON *man;
    if (cJSON_IsArray(root)) {   /* a bare weights manifest */
        mf->bare = 1;
        man = root;
        goto groups;
    }
    if (!cJSON_IsObject(root)) { rc = tj_fail(err, path, NULL, "model.json is not a JSON object"); goto out; }
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *topo = cJSON_GetObjectItemCaseSensitive(root, "modelTopology");
    if (cJSON_IsString(fmt)) {
        if (!strcmp(fmt->valuestring, "graph-model")) mf->graph = 1;
        else if (strcmp(fmt->valuestring, "layers-model")) {
            rc = tj_fail(err, path, NULL, "unknown TF.js format '%.40s'", fmt->valuestring);
            goto out;
        }
    } else {
        mf->graph = cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(topo, "node"));
    }
    man = cJSON_GetObjectItemCaseSensitive(root, "weightsManifest");
    if (!cJSON_IsArray(man)) { rc = tj_fail(err, path, NULL, "model.json has no weightsManifest array"); goto out; }
groups:;
    int ng = cJSON_GetArraySize(man), nw = 0, gi = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, man) {
        const cJSON *ws = cJSON_GetObjectItemCaseSensitive(g, "weights");
        const cJSON *ps = cJSON_GetObjectItemCaseSensitive(g, "paths");
        if (!cJSON_IsObject(g) || !cJSON_IsArray(ws) || !cJSON_IsArray(ps)) {
            rc = tj_fail(err, path, NULL, "weightsManifest group %d needs \"paths\" and \"weights\" arrays", gi + 1);
            goto out;
        }
        nw += cJSON_GetArraySize(ws);
        gi++;
    }
    mf->g = calloc(ng ? (size_t)ng : 1, sizeof *mf->g);
    mf->w = calloc(nw ? (size_t)nw : 1, sizeof *mf->w);
    if (!mf->g || !mf->w) { rc = tj_nomem(err); goto out; }
    cJSON_ArrayForEach(g, man) {
        tfjs_group *tg = &mf->g[mf->ng++];
        const cJSON *ps = cJSON_GetObjectItemCaseSensitive(g, "paths"), *p;
        int np = cJSON_GetArraySize(ps);
        tg->paths = calloc(np ? (size_t)np : 1, sizeof *tg->paths);
        if (!tg->paths) { rc = tj_nomem(err); goto out; }
        cJSON_ArrayForEach(p, ps) {
            if (!cJSON_IsString(p)) { rc = tj_fail(err, path, NULL, "group %d: a shard path is not a string", mf->ng); goto out; }
            const char *why = bad_shard_path(p->valuestring);
            if (why) {
                rc = tj_fail(err, path, NULL, "group %d: refused shard path '%.200s' (%s): shards must sit beside model.json",
                             mf->ng, p->valuestring, why);
                goto out;
            }
            if (!(tg->paths[tg->npaths++] = ckpt__strdup(p->valuestring))) { rc = tj_nomem(err); goto out; }
        }
        const cJSON *w;
        cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(g, "weights")) {
            if ((rc = parse_weight(w, mf->ng - 1, path, &mf->w[mf->nw++], err))) goto out;
        }
        if (tg->npaths == 0 && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(g, "weights")) > 0) {
            rc = tj_fail(err, path, NULL, "group %d has weights but no shard paths", mf->ng);
            goto out;
        }
    }
out:
    cJSON_Delete(root);
    if (rc) ckpt__tfjs_manifest_free(mf);
    return rc;
}

/* ====================================================================== */
/* The model: groups mapped onto shard files                               */
/* ====================================================================== */

typedef struct {
    int *file;          /* model file index per shard */
    uint64_t *start;    /* offset of each shard in the group's byte stream */
    int n;
    uint64_t total;     /* bytes in all shards */
} tj_gmap;

typedef struct {
    tfjs_manifest mf;
    tj_gmap *gm;
} tj_model;

/* Read n bytes at `off` of group g's byte stream, across shard files. */
static int group_pread(ckpt_model *m, int g, uint64_t off, void *buf, size_t n, ckpt_err *err)
{
    tj_model *tm = m->priv;
    tj_gmap *gm = &tm->gm[g];
    unsigned char *d = buf;
    uint64_t end;
    if (ckpt__add_u64(off, n, &end) || end > gm->total)
        return ckpt_err_set(err, CKPT_E_FORMAT, "read past the end of weight group %d (%llu bytes)",
                            g + 1, (unsigned long long)gm->total);
    int k = 0;
    while (k + 1 < gm->n && gm->start[k + 1] <= off) k++;
    while (n) {
        while (k + 1 < gm->n && gm->start[k + 1] <= off) k++;
        ckpt_file *f = &m->files[gm->file[k]];
        uint64_t in = off - gm->start[k], left = f->size - in;
        size_t c = n < left ? n : (size_t)left;
        if (c == 0) { k++; if (k >= gm->n) break; continue; }
        if (!f->src) {
            int rc = ckpt_src_open(f->path, &f->src, err);
            if (rc) return rc;
        }
        int rc = ckpt_src_pread(f->src, d, c, in, err);
        if (rc) {
            ckpt_err_at_path(err, f->path);
            return rc;
        }
        d += c;
        off += c;
        n -= c;
    }
    return n ? ckpt_err_set(err, CKPT_E_FORMAT, "weight group %d ends early", g + 1) : 0;
}

static void tj_close(ckpt_model *m)
{
    for (int i = 0; i < m->nfiles; i++)
        if (m->files[i].src) {
            ckpt_src_close(m->files[i].src);
            m->files[i].src = NULL;
        }
    tj_model *tm = m->priv;
    if (tm) {
        for (int g = 0; g < tm->mf.ng && tm->gm; g++) {
            free(tm->gm[g].file);
            free(tm->gm[g].start);
        }
        free(tm->gm);
        ckpt__tfjs_manifest_free(&tm->mf);
        free(tm);
    }
    m->priv = NULL;
}

/* Map each group's shard files; their sizes must cover the weights. */
static int map_groups(ckpt_model *m, const char *dir, const char *json_path, ckpt_err *err)
{
    tj_model *tm = m->priv;
    tm->gm = calloc(tm->mf.ng ? (size_t)tm->mf.ng : 1, sizeof *tm->gm);
    if (!tm->gm) return tj_nomem(err);
    for (int g = 0; g < tm->mf.ng; g++) {
        tfjs_group *tg = &tm->mf.g[g];
        tj_gmap *gm = &tm->gm[g];
        gm->file = calloc(tg->npaths ? (size_t)tg->npaths : 1, sizeof *gm->file);
        gm->start = calloc(tg->npaths ? (size_t)tg->npaths : 1, sizeof *gm->start);
        if (!gm->file || !gm->start) return tj_nomem(err);
        for (int j = 0; j < tg->npaths; j++) {
            char *full = ckpt__path_join(dir, tg->paths[j]);
            if (!full) return tj_nomem(err);
            ckpt_src *s;
            /* symlinks must not lead out of the model's folder */
            int rc = ckpt__path_check_inside(dir, full, tg->paths[j], err);
            if (rc) { free(full); return rc; }
            rc = ckpt_src_open(full, &s, err);
            if (rc) {
                if (err && err->code == CKPT_E_NOTFOUND) {
                    ckpt_err_clear(err);
                    ckpt_err_set(err, CKPT_E_NOTFOUND, "shard '%s' listed in %s is missing", tg->paths[j],
                                 ckpt__path_basename(json_path));
                    ckpt_err_at_path(err, full);
                }
                free(full);
                return rc;
            }
            if (s->is_dir) {
                ckpt_src_close(s);
                rc = tj_fail(err, full, NULL, "shard '%s' is a directory", tg->paths[j]);
                free(full);
                return rc;
            }
            int fi = ckpt__model_add_file(m, full, s->size, err);
            free(full);
            if (fi < 0) { ckpt_src_close(s); return err ? err->code : CKPT_E_NOMEM; }
            m->files[fi].src = s;
            gm->file[j] = fi;
            gm->start[j] = gm->total;
            gm->total += s->size;
            gm->n = j + 1;
        }
    }
    return 0;
}

/* A broken download leaves one shard short: the file to name when a group's
 * weights overrun its shards.  All shards but a group's last are full-size,
 * so the short one is the first smaller than the group's first, else the last. */
static int short_shard(const ckpt_model *m, const tj_gmap *gm)
{
    for (int j = 1; j + 1 < gm->n; j++)
        if (m->files[gm->file[j]].size < m->files[gm->file[0]].size) return j;
    return gm->n - 1;
}

/* Offsets of the weights in their groups; strings are measured by walking
 * their length prefixes. */
static int layout(ckpt_model *m, const char *json_path, ckpt_err *err)
{
    tj_model *tm = m->priv;
    uint64_t *run = calloc(tm->mf.ng ? (size_t)tm->mf.ng : 1, sizeof *run);
    if (!run) return tj_nomem(err);
    int rc = 0;
    for (int i = 0; i < tm->mf.nw && !rc; i++) {
        tfjs_weight *w = &tm->mf.w[i];
        tj_gmap *gm = &tm->gm[w->group];
        w->off = run[w->group];
        if (w->kind == TJ_STRING) {
            uint64_t at = w->off;
            if (w->nelems > (gm->total - at) / 4) {
                int s = short_shard(m, gm);
                rc = tj_fail(err, s >= 0 ? m->files[gm->file[s]].path : json_path, w->name,
                             "%llu strings need at least %llu bytes but weight group %d has %llu left (truncated?)",
                             (unsigned long long)w->nelems, (unsigned long long)w->nelems * 4, w->group + 1,
                             (unsigned long long)(gm->total - at));
                break;
            }
            for (uint64_t e = 0; e < w->nelems; e++) {
                unsigned char b[4];
                if ((rc = group_pread(m, w->group, at, b, 4, err))) break;
                uint64_t len = (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 | (uint64_t)b[3] << 24;
                at += 4;
                if (len > gm->total - at) {
                    int s = short_shard(m, gm);
                    rc = tj_fail(err, s >= 0 ? m->files[gm->file[s]].path : json_path, w->name,
                                 "string %llu of %llu bytes runs past the end of weight group %d (truncated?)",
                                 (unsigned long long)e, (unsigned long long)len, w->group + 1);
                    break;
                }
                at += len;
            }
            if (rc) { ckpt_err_at_tensor(err, w->name); break; }
            w->stored = at - w->off;
        }
        uint64_t end;
        if (ckpt__add_u64(w->off, w->stored, &end)) {
            rc = tj_fail(err, json_path, w->name, "byte size overflows");
            break;
        }
        if (end > gm->total) {
            int s = short_shard(m, gm);
            unsigned long long ssz = s >= 0 ? (unsigned long long)m->files[gm->file[s]].size : 0ULL;
            if (s < 0)
                rc = tj_fail(err, json_path, w->name, "weight group %d lists no shard files", w->group + 1);
            else if (gm->n == 1)
                rc = tj_fail(err, m->files[gm->file[s]].path, w->name,
                             "shard is %llu bytes but weight group %d of %s needs %llu (truncated?)", ssz,
                             w->group + 1, ckpt__path_basename(json_path), (unsigned long long)end);
            else
                rc = tj_fail(err, m->files[gm->file[s]].path, w->name,
                             "shard is %llu bytes; weight group %d of %s needs %llu over %d shards holding %llu "
                             "(truncated?)", ssz, w->group + 1, ckpt__path_basename(json_path),
                             (unsigned long long)end, gm->n, (unsigned long long)gm->total);
            break;
        }
        run[w->group] = end;
    }
    free(run);
    return rc;
}

/* ---- config, facts and tree -------------------------------------------- */

/* Layer name -> class, from a Keras model config, nested models included. */
static int kinds_from_config(ckpt_model *m, const cJSON *cfg, int depth, ckpt_err *err)
{
    if (depth > 32 || !cJSON_IsObject(cfg)) return 0;
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cfg, "config"), "layers");
    if (!cJSON_IsArray(layers)) return 0;
    const cJSON *l;
    cJSON_ArrayForEach(l, layers) {
        const cJSON *cls = cJSON_GetObjectItemCaseSensitive(l, "class_name");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(l, "config");
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(c, "name");
        if (!cJSON_IsString(cls) || !cJSON_IsString(nm)) continue;
        /* every tree node of that name (a prefix of its weights' names) */
        for (int i = 1; i < m->nnodes; i++) {
            ckpt_node *n = &m->nodes[i];
            if (n->tensor >= 0 || strcmp(n->name, nm->valuestring) || n->kind) continue;
            char *k = ckpt__strdup(cls->valuestring);
            if (!k) return tj_nomem(err);
            n->kind = k;
            n->flags |= CKPT_NF_LAYER;
            if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(c, "layers"))) n->flags |= CKPT_NF_MODEL;
        }
        if (kinds_from_config(m, l, depth + 1, err)) return err ? err->code : CKPT_E_NOMEM;
    }
    return 0;
}

static int count_layers(const cJSON *cfg)
{
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cfg, "config"), "layers");
    return cJSON_IsArray(layers) ? cJSON_GetArraySize(layers) : -1;
}

static int describe(ckpt_model *m, const char *json, size_t n, ckpt_err *err)
{
    tj_model *tm = m->priv;
    cJSON *root = cJSON_ParseWithLength(json, n);
    if (!root) return tj_nomem(err);
    int rc = 0;
    const char *keys[] = {"format", "generatedBy", "convertedBy"};
    if (!cJSON_IsObject(root)) {   /* a bare manifest: names and weights only */
        cJSON_Delete(root);
        root = cJSON_CreateObject();
        if (!root) return tj_nomem(err);
    }
    if ((rc = ckpt__model_set_fact(m, "tfjs_format", tm->mf.bare ? "weights manifest (no model topology)"
                                   : tm->mf.graph ? "graph-model" : "layers-model", err))) goto out;
    for (int i = 0; i < 3; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, keys[i]);
        if (cJSON_IsString(v) && (rc = ckpt__model_add_meta(m, keys[i], v->valuestring, err))) goto out;
        if (i && cJSON_IsString(v) && (rc = ckpt__model_set_fact(m, i == 1 ? "generated_by" : "converted_by", v->valuestring, err))) goto out;
    }
    const cJSON *ud = cJSON_GetObjectItemCaseSensitive(root, "userDefinedMetadata");
    if (ud) {
        char *s = cJSON_PrintUnformatted(ud);
        if (s && strlen(s) > 4096) strcpy(s + 4090, "...");
        rc = s ? ckpt__model_add_meta(m, "userDefinedMetadata", s, err) : tj_nomem(err);
        free(s);
        if (rc) goto out;
    }
    const cJSON *topo = cJSON_GetObjectItemCaseSensitive(root, "modelTopology");
    if (!tm->mf.graph && cJSON_IsObject(topo)) {
        const cJSON *mc = cJSON_GetObjectItemCaseSensitive(topo, "model_config");
        const cJSON *cfg = cJSON_IsObject(mc) ? mc : topo;
        const cJSON *kv = cJSON_GetObjectItemCaseSensitive(topo, "keras_version");
        const cJSON *be = cJSON_GetObjectItemCaseSensitive(topo, "backend");
        const cJSON *cls = cJSON_GetObjectItemCaseSensitive(cfg, "class_name");
        if (cJSON_IsString(kv) && (rc = ckpt__model_set_fact(m, "keras_version", kv->valuestring, err))) goto out;
        if (cJSON_IsString(be) && (rc = ckpt__model_set_fact(m, "backend", be->valuestring, err))) goto out;
        if (cJSON_IsString(cls) && (rc = ckpt__model_set_fact(m, "model_class", cls->valuestring, err))) goto out;
        int nl = count_layers(cfg);
        if (nl >= 0) {
            char b[24];
            snprintf(b, sizeof b, "%d", nl);
            if ((rc = ckpt__model_set_fact(m, "layers", b, err))) goto out;
        }
        /* the model config alone, as Keras formats give it */
        cJSON *copy = cJSON_Duplicate(cfg, 1);
        if (copy) {
            cJSON_DeleteItemFromObjectCaseSensitive(copy, "keras_version");
            cJSON_DeleteItemFromObjectCaseSensitive(copy, "backend");
        }
        char *s = copy ? cJSON_PrintUnformatted(copy) : NULL;
        cJSON_Delete(copy);
        rc = s ? ckpt__model_set_config(m, s, err) : tj_nomem(err);
        free(s);
        if (rc) goto out;
        if ((rc = ckpt__tree_from_names(m, err))) goto out;
        m->tree_built = 1;
        if ((rc = kinds_from_config(m, cfg, 0, err))) goto out;
    } else if (tm->mf.graph && cJSON_IsObject(topo)) {
        const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(topo, "node");
        if (cJSON_IsArray(nodes)) {
            char b[24];
            snprintf(b, sizeof b, "%d", cJSON_GetArraySize(nodes));
            if ((rc = ckpt__model_set_fact(m, "graph_nodes", b, err))) goto out;
        }
    }
    if (!m->tree_built) {
        if ((rc = ckpt__tree_from_names(m, err))) goto out;
        m->tree_built = 1;
    }
    /* quantized weights, by quantization dtype, as a fact */
    {
        int nq[3] = {0, 0, 0};
        const char *qn[3] = {"uint8", "uint16", "float16"};
        for (int i = 0; i < tm->mf.nw; i++)
            for (int k = 0; k < 3; k++)
                if (tm->mf.w[i].quant_name && !strcmp(tm->mf.w[i].quant_name, qn[k])) nq[k]++;
        char b[160] = "";
        for (int k = 0; k < 3; k++)
            if (nq[k]) snprintf(b + strlen(b), sizeof b - strlen(b), "%s%d %s", *b ? ", " : "", nq[k], qn[k]);
        if (*b) {
            strncat(b, " (dequantized to float32 on read)", sizeof b - strlen(b) - 1);
            if ((rc = ckpt__model_set_fact(m, "quantized_weights", b, err))) goto out;
        }
    }
    /* leaves: quantized and string weights say so in their kind */
    for (int i = 0; i < tm->mf.nw; i++) {
        const tfjs_weight *w = &tm->mf.w[i];
        const char *k = w->kind == TJ_STRING ? "string" : w->kind == TJ_COMPLEX ? "complex64"
                      : w->quant_name ? w->quant_name : NULL;
        int nd = m->tensors[i].node;
        if (!k || nd < 0) continue;
        char *s = ckpt__asprintf("%s%s", k, w->quant_name ? " quantized" : "");
        if (!s) { rc = tj_nomem(err); goto out; }
        free((char *)m->nodes[nd].kind);
        m->nodes[nd].kind = s;
    }
out:
    cJSON_Delete(root);
    return rc;
}

static int tj_open(ckpt_model *m, const char *path, ckpt_err *err)
{
    char *json_path = (!ckpt_path_is_remote(path) && ckpt__is_dir(path)) ? ckpt__path_join(path, "model.json")
                                                                         : ckpt__strdup(path);
    char *dir = json_path ? ckpt__path_dirname(json_path) : NULL;
    char *json = NULL;
    size_t n = 0;
    int rc = 0;
    tj_model *tm = calloc(1, sizeof *tm);
    if (!json_path || !dir || !tm) { rc = tj_nomem(err); free(tm); goto out; }
    m->priv = tm;
    if ((rc = ckpt_src_slurp(json_path, MODEL_JSON_MAX, &json, &n, err))) goto out;
    if ((rc = ckpt__tfjs_parse_manifest(json, n, json_path, &tm->mf, err))) goto out;
    if ((rc = map_groups(m, dir, json_path, err))) goto out;
    if ((rc = layout(m, json_path, err))) goto out;
    for (int i = 0; i < tm->mf.nw; i++) {
        tfjs_weight *w = &tm->mf.w[i];
        tj_gmap *gm = &tm->gm[w->group];
        /* the file holding the weight's first byte, and its offset there
         * when the canonical bytes sit in that one file */
        int k = 0;
        while (k + 1 < gm->n && gm->start[k + 1] <= w->off) k++;
        int fi = gm->n ? gm->file[k] : 0;
        uint64_t off = CKPT_NO_OFFSET;
        if (gm->n && w->kind == TJ_PLAIN && w->off + w->stored <= gm->start[k] + m->files[fi].size)
            off = w->off - gm->start[k];
        int t = ckpt__model_add_tensor(m, w->name, NULL, w->dt, w->ndim, w->shape, fi, off, err);
        if (t < 0) { rc = err ? err->code : CKPT_E_FORMAT; ckpt_err_at_path(err, json_path); goto out; }
        if (w->optimizer) m->tensors[t].flags |= CKPT_TF_OPTIMIZER;
    }
    rc = describe(m, json, n, err);
out:
    free(json);
    free(json_path);
    free(dir);
    return rc;
}

/* ---- read ---------------------------------------------------------------- */

static int tj_read(ckpt_model *m, int t, uint64_t off, void *buf, size_t n, ckpt_err *err)
{
    tj_model *tm = m->priv;
    const tfjs_weight *w = &tm->mf.w[t];
    int rc = 0;
    if (w->kind == TJ_STRING || w->kind == TJ_COMPLEX) {
        rc = ckpt_err_set(err, CKPT_E_UNSUPPORTED, "%s weights cannot be converted (ckpt lists them only)",
                          w->kind == TJ_STRING ? "string" : "complex64");
    } else if (w->kind == TJ_PLAIN) {
        rc = group_pread(m, w->group, w->off + off, buf, n, err);
    } else if (n) {
        size_t ssz = ckpt_dtype_size(w->stored_dt);
        unsigned char *raw = malloc((size_t)CHUNK_ELEMS * ssz);
        unsigned char *cv = malloc((size_t)CHUNK_ELEMS * 4);
        if (!raw || !cv) rc = tj_nomem(err);
        unsigned char *out = buf;
        uint64_t pos = off, end = off + n;
        while (!rc && pos < end) {
            uint64_t e0 = pos / 4, e1 = (end + 3) / 4;
            if (e1 - e0 > CHUNK_ELEMS) e1 = e0 + CHUNK_ELEMS;
            size_t k = (size_t)(e1 - e0);
            if ((rc = group_pread(m, w->group, w->off + e0 * ssz, raw, k * ssz, err))) break;
            for (size_t i = 0; i < k; i++) {
                if (w->kind == TJ_F16) {
                    float f = ckpt_f16_to_f32((uint16_t)(raw[2 * i] | raw[2 * i + 1] << 8));
                    memcpy(cv + 4 * i, &f, 4);
                    continue;
                }
                double q = ssz == 1 ? raw[i] : (double)(raw[2 * i] | raw[2 * i + 1] << 8);
                double v = q * w->scale + w->min;     /* in double, as JS does */
                if (w->dt == CKPT_I32) {
                    double r = floor(v + 0.5);        /* Math.round */
                    int32_t iv = r >= 2147483647.0 ? INT32_MAX : r <= -2147483648.0 ? INT32_MIN : (int32_t)r;
                    if (r != r) iv = 0;
                    memcpy(cv + 4 * i, &iv, 4);
                } else {
                    float f = (float)v;
                    memcpy(cv + 4 * i, &f, 4);
                }
            }
            uint64_t ce = e1 * 4 < end ? e1 * 4 : end;
            memcpy(out, cv + (pos - e0 * 4), (size_t)(ce - pos));
            out += ce - pos;
            pos = ce;
        }
        free(raw);
        free(cv);
    }
    if (rc) {
        ckpt_err_at_tensor(err, w->name);
        ckpt_err_at_path(err, m->path);
    }
    return rc;
}

/* ---- probe --------------------------------------------------------------- */

/* A .json file is ours when it has a weightsManifest or is a bare one (an
 * array of groups with "paths" and "weights") (2), or at least a
 * modelTopology (1: a model.json cut short before its manifest, which comes
 * last); read at most 64 MiB to look (topologies can be large). */
static int has_manifest(const char *path)
{
    char *s = NULL;
    size_t n;
    ckpt_err e;
    ckpt_err_clear(&e);
    if (ckpt_src_slurp(path, 64u << 20, &s, &n, &e)) return 0;
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) i++;
    int bare = i < n && s[i] == '[' && strstr(s, "\"paths\"") && strstr(s, "\"weights\"");
    int yes = strstr(s, "\"weightsManifest\"") || bare ? 2 : strstr(s, "\"modelTopology\"") ? 1 : 0;
    free(s);
    return yes;
}

static int tj_probe(const char *path, int is_dir, const unsigned char *head, size_t n)
{
    size_t i = 0;
    while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t')) i++;
    if (!is_dir && i < n && head[i] != '{' && head[i] != '[') return 0;   /* not JSON: skip the scan */
    if (ckpt_path_is_remote(path)) return ckpt__ends_with(path, "model.json") ? 40 : 0;
    if (is_dir) {
        char *p = ckpt__path_join(path, "model.json");
        int sc = p && ckpt__file_exists(p) && has_manifest(p) == 2 ? 70 : 0;
        free(p);
        return sc;
    }
    if (!ckpt__ends_with(path, ".json")) return 0;
    /* a model.json without a manifest, or any TF.js JSON cut short, is still
     * ours, to say what is wrong */
    int hm = has_manifest(path);
    return hm == 2 ? 80 : hm == 1 || ckpt__ends_with(path, "/model.json") || !strcmp(path, "model.json") ? 5 : 0;
}

const ckpt_format ckpt_fmt_tfjs = {
    .name = "tfjs",
    .desc = "TensorFlow.js model.json + shards (reads layers and graph models and bare weights manifests, "
            "quantized weights dequantized; writes layers models from Keras configs)",
    .exts = "model.json weights_manifest.json",
    .flags = CKPT_FMT_READ | CKPT_FMT_WRITE,
    .probe = tj_probe,
    .open = tj_open,
    .read = tj_read,
    .close = tj_close,
    .can_write = ckpt__tfjs_can_write,     /* tfjs_write.c */
    .write_begin = ckpt__tfjs_write_begin,
    .write = ckpt__tfjs_write,
    .write_end = ckpt__tfjs_write_end,
    .write_abort = ckpt__tfjs_write_abort,
    .opts = "quantize quantize-only",
    .hub_files = "model.json=50",
    .remote_ranges = "*.bin",
    .companions = "*.bin",
};
