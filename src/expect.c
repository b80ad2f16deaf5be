/* src/expect.c: targets (the layout some code expects) and the check of a
 * model against one after a map: missing, unexpected and mis-shaped
 * tensors, with suggestions written as rules one can paste into a map.
 *
 * A target is one of:
 *   - a checkpoint ckpt can open (its names, shapes, dtypes);
 *   - a list file: one tensor a line, "NAME [SHAPE] [DTYPE]", SHAPE as
 *     [2, 3] or (2, 3) or 2x3, '#' comments; or the JSON of `ckpt ls --json`;
 *   - "preset:NAME": the preset's rules are applied after the map and every
 *     tensor must be claimed (renamed or dropped) by one of them.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ckpt/diff.h"
#include "remap_int.h"

typedef struct tgt_t {
    char *name;
    int ndim;                 /* -1: shape unknown */
    int64_t shape[CKPT_MAX_DIMS];
    ckpt_dtype dtype;         /* INVALID: unknown */
    int opt;                  /* optimizer state of a checkpoint target */
} tgt_t;

struct ckpt_target {
    char *spec;
    tgt_t *v;
    int n, cap;
    int nopt;                 /* entries with opt set */
    struct ckpt_name_index *ix;
    ckpt_remap *preset;       /* preset targets */
};

static int tadd(ckpt_target *t, const char *name, int ndim, const int64_t *shape, ckpt_dtype dt, ckpt_err *err)
{
    if (t->n == t->cap) {
        int nc = t->cap ? t->cap * 2 : 64;
        tgt_t *nv = realloc(t->v, (size_t)nc * sizeof *nv);
        if (!nv) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        t->v = nv;
        t->cap = nc;
    }
    tgt_t *x = &t->v[t->n];
    memset(x, 0, sizeof *x);
    x->name = strdup(name);
    if (!x->name) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    x->ndim = ndim;
    if (ndim > 0) memcpy(x->shape, shape, sizeof(int64_t) * (size_t)ndim);
    x->dtype = dt;
    t->n++;
    return 0;
}

void ckpt_target_free(ckpt_target *t)
{
    if (!t) return;
    for (int i = 0; i < t->n; i++) free(t->v[i].name);
    free(t->v);
    ckpt__index_free(t->ix);
    ckpt_remap_free(t->preset);
    free(t->spec);
    free(t);
}

int ckpt_target_count(const ckpt_target *t) { return t ? t->n - t->nopt : 0; }

int ckpt_target_has(const ckpt_target *t, const char *name)
{
    int j = t && t->ix ? ckpt__index_get(t->ix, name) : -1;
    return j >= 0 && !t->v[j].opt;
}

static int parse_shape(const char **pp, int *nd, int64_t *sh)
{
    const char *p = *pp;
    char close = 0;
    if (*p == '[') close = ']';
    else if (*p == '(') close = ')';
    if (close) p++;
    *nd = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (close && *p == close) { p++; break; }
        if (!isdigit((unsigned char)*p)) { if (!close && *nd > 0) break; return -1; }
        if (*nd >= CKPT_MAX_DIMS) return -1;
        char *end;
        long long v = strtoll(p, &end, 10);
        if (v < 0) return -1;
        sh[(*nd)++] = v;
        p = end;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == ',' || (!close && (*p == 'x' || *p == 'X'))) { p++; continue; }
        if (close && *p == close) { p++; break; }
        if (!close) break;
        return -1;
    }
    *pp = p;
    return 0;
}

static int load_list(ckpt_target *t, const char *spec, const char *text, ckpt_err *err)
{
    const char *p = text;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p == '{') { /* `ckpt ls --json` */
        cJSON *j = cJSON_Parse(text);
        const cJSON *ts = j ? cJSON_GetObjectItemCaseSensitive(j, "tensors") : NULL;
        if (!cJSON_IsArray(ts)) { cJSON_Delete(j); return ckpt_err_set(err, CKPT_E_FORMAT, "%s: JSON without a \"tensors\" array", spec); }
        const cJSON *it;
        int rc = 0;
        cJSON_ArrayForEach(it, ts) {
            const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
            const cJSON *shp = cJSON_GetObjectItemCaseSensitive(it, "shape");
            const cJSON *dt = cJSON_GetObjectItemCaseSensitive(it, "dtype");
            if (!cJSON_IsString(nm)) continue;
            int64_t sh[CKPT_MAX_DIMS];
            int nd = -1;
            if (cJSON_IsArray(shp) && cJSON_GetArraySize(shp) <= CKPT_MAX_DIMS) {
                nd = 0;
                const cJSON *d;
                cJSON_ArrayForEach(d, shp) {
                    /* range-checked before the cast: 1e34 does not fit an int64 */
                    if (!cJSON_IsNumber(d) || !(d->valuedouble >= 0 && d->valuedouble <= 9007199254740992.0)) {
                        ckpt_err_set(err, CKPT_E_FORMAT, "%s: tensor '%s': shape entries must be whole numbers >= 0",
                                     spec, nm->valuestring);
                        cJSON_Delete(j);
                        return err->code;
                    }
                    sh[nd++] = (int64_t)d->valuedouble;
                }
            }
            if ((rc = tadd(t, nm->valuestring, nd, sh, cJSON_IsString(dt) ? ckpt_dtype_from_name(dt->valuestring) : CKPT_DT_INVALID, err))) break;
        }
        cJSON_Delete(j);
        return rc;
    }
    int line = 0;
    p = text;
    while (*p) {
        line++;
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char *ln = ckpt__strndup(p, len);
        if (!ln) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        char *h = strchr(ln, '#');
        if (h) *h = 0;
        char *q = ln;
        while (*q == ' ' || *q == '\t') q++;
        char *nend = q;
        while (*nend && *nend != ' ' && *nend != '\t' && *nend != '\r') nend++;
        if (nend > q) {
            char save = *nend;
            *nend = 0;
            char *name = strdup(q);
            *nend = save;
            const char *r = nend;
            while (*r == ' ' || *r == '\t') r++;
            int nd = -1;
            int64_t sh[CKPT_MAX_DIMS];
            ckpt_dtype dt = CKPT_DT_INVALID;
            int bad = !name;
            if (!bad && (*r == '[' || *r == '(' || isdigit((unsigned char)*r))) {
                if (parse_shape(&r, &nd, sh)) bad = 2;
                while (*r == ' ' || *r == '\t') r++;
            }
            if (!bad && *r && *r != '\r') {
                char w[32];
                size_t k = 0;
                while (r[k] && !isspace((unsigned char)r[k]) && k < sizeof w - 1) { w[k] = r[k]; k++; }
                w[k] = 0;
                dt = ckpt_dtype_from_name(w);
                if (dt == CKPT_DT_INVALID) bad = 3;
            }
            int rc = 0;
            if (bad == 1) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
            else if (bad) rc = ckpt_err_set(err, CKPT_E_FORMAT, "%s:%d:%d: %s", spec, line, (int)(r - ln) + 1,
                                            bad == 2 ? "bad shape (write [2, 3])" : "unknown dtype (F32, F16, BF16, ...)");
            else rc = tadd(t, name, nd, sh, dt, err);
            free(name);
            if (rc) { free(ln); return rc; }
        }
        free(ln);
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

static int index_target(ckpt_target *t, ckpt_err *err)
{
    t->ix = ckpt__index_new();
    if (!t->ix) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    for (int i = 0; i < t->n; i++)
        if (ckpt__index_put(t->ix, t->v[i].name, i) == -2) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    return 0;
}

/* A names list from memory (tests, fuzzing). */
int ckpt__target_parse(const char *text, const char *origin, ckpt_target **out, ckpt_err *err)
{
    *out = NULL;
    ckpt_target *t = calloc(1, sizeof *t);
    if (!t || !(t->spec = strdup(origin))) { free(t); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
    int rc = load_list(t, origin, text, err);
    if (!rc) rc = index_target(t, err);
    if (rc) { ckpt_target_free(t); return rc; }
    *out = t;
    return 0;
}

int ckpt_target_load(const char *spec, ckpt_target **out, ckpt_err *err)
{
    CKPT__ERR_LOCAL(err);
    *out = NULL;
    if (!spec) return ckpt_err_set(err, CKPT_E_USAGE, "no target given");
    ckpt_target *t = calloc(1, sizeof *t);
    if (!t || !(t->spec = strdup(spec))) { free(t); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
    int rc = 0;
    if (!strncmp(spec, "preset:", 7)) {
        rc = ckpt_remap_load(spec, &t->preset, err);
    } else {
        ckpt_err e2;
        ckpt_err_clear(&e2);
        if (ckpt_detect(spec, &e2)) {
            ckpt_model *m = NULL;
            rc = ckpt_open(spec, &m, err);
            /* optimizer state is kept, marked: compared only when asked */
            for (int i = 0; !rc && i < ckpt_model_ntensors(m); i++) {
                const ckpt_tensor *x = ckpt_model_tensor(m, i);
                rc = tadd(t, x->name, x->ndim, x->shape, x->dtype, err);
                if (!rc && (x->flags & CKPT_TF_OPTIMIZER)) { t->v[t->n - 1].opt = 1; t->nopt++; }
            }
            ckpt_close(m);
        } else {
            char *text = NULL;
            size_t len = 0;
            rc = ckpt_src_slurp(spec, 64u << 20, &text, &len, err);
            if (!rc && !ckpt__utf8_valid(text, len))
                rc = ckpt_err_set(err, CKPT_E_FORMAT, "%s: neither a checkpoint nor a names list (not text)", spec);
            if (!rc) rc = load_list(t, spec, text, err);
            free(text);
        }
    }
    if (!rc && !t->preset) rc = index_target(t, err);
    if (rc) { ckpt_target_free(t); return rc; }
    *out = t;
    return 0;
}

static void shape_s(int nd, const int64_t *s, char *b, size_t n)
{
    size_t l = (size_t)snprintf(b, n, "[");
    for (int d = 0; d < nd && l < n; d++) l += (size_t)snprintf(b + l, n - l, "%s%lld", d ? ", " : "", (long long)s[d]);
    if (l < n) snprintf(b + l, n - l, "]");
}

/* a rule line that renames `from` to `to` */
static char *rule_for(const char *from, const char *to, const char *ops)
{
    size_t fl = strlen(from);
    char *esc = malloc(fl * 2 + 1);
    if (!esc) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < fl; i++) {
        if (strchr(".[]()*+?{}|^$\\", from[i])) esc[k++] = '\\';
        esc[k++] = from[i];
    }
    esc[k] = 0;
    char *r = ckpt__asprintf("^%s$ -> %s%s", esc, to, ops ? ops : "");
    free(esc);
    return r;
}

static int is_prod_equal(int na, const int64_t *a, int nb, const int64_t *b)
{
    int64_t pa = 1, pb = 1;
    for (int i = 0; i < na; i++) pa *= a[i];
    for (int i = 0; i < nb; i++) pb *= b[i];
    return pa == pb;
}

/* ---- preset targets: the source names a preset expects ---- */


#define PX_MAX 64

typedef struct px_line { char name[256]; char unless[256]; int per_layer; } px_line;

/* `name` through the preset (the name itself when no rule renames it) */
static void through(const ckpt_remap *p, const char *name, char *buf, size_t n)
{
    if (ckpt_remap_name(p, name, buf, n) < 0) snprintf(buf, n, "%s", name);
}

static void instantiate(const px_line *x, long L, char *buf, size_t n)
{
    const char *at = strstr(x->name, "{L}");
    if (!x->per_layer || !at) { snprintf(buf, n, "%s", x->name); return; }
    snprintf(buf, n, "%.*s%ld%s", (int)(at - x->name), x->name, L, at + 3);
}

static int json_true(const cJSON *cfg, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(cfg, key);
    return cJSON_IsTrue(it);
}

static int json_count(const cJSON *cfg, const char *keys, char *used, size_t un, long *v)
{
    const char *p = keys;
    while (cfg && *p) {
        const char *e = strchr(p, '|');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        char k[64];
        snprintf(k, sizeof k, "%.*s", (int)l, p);
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(cfg, k);
        if (!cJSON_IsNumber(it)) {
            const cJSON *tc = cJSON_GetObjectItemCaseSensitive(cfg, "text_config");
            it = cJSON_IsObject(tc) ? cJSON_GetObjectItemCaseSensitive(tc, k) : NULL;
        }
        if (cJSON_IsNumber(it) && it->valuedouble >= 0 && it->valuedouble <= 100000) {
            *v = (long)it->valuedouble;
            snprintf(used, un, "%s", k);
            return 0;
        }
        if (!e) break;
        p = e + 1;
    }
    return -1;
}

static int cmp_long_desc(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* MISSING findings for the names the preset expects and no tensor (after the
 * map) provides; notes say how the layers were counted or why nothing could
 * be listed. */
static int preset_missing(ckpt_model *m, ckpt_remapped *v, const ckpt_target *t, ckpt_findings *out)
{
    const char *tx = ckpt__preset_expect(t->spec + 7);
    if (!tx) {
        /* the Keras presets: the names expected are the weights the model's
         * own config gives its layers, which the format's check lists */
        if (!m->fmt || !m->fmt->check || !ckpt_model_config(m))
            return ckpt_findings_note(out, "%s lists no names of its own (they come from a Keras model config, and this "
                                           "model has none): checked only that a rule claims every tensor", t->spec);
        ckpt_findings kf;
        memset(&kf, 0, sizeof kf);
        ckpt_err e2;
        ckpt_err_clear(&e2);
        int rc = 0, nmiss = 0;
        if (m->fmt->check(m, &kf, &e2) == 0)
            for (int i = 0; i < kf.n && !rc; i++) {
                const ckpt_finding *x = &kf.v[i];
                if (x->kind != CKPT_FIND_MISSING) continue;
                nmiss++;
                rc = ckpt_findings_add(out, CKPT_FIND_MISSING, x->layer, x->tensor, x->tensor_index, x->suggestion, "%s", x->message);
            }
        ckpt_findings_free(&kf);
        if (!rc)
            rc = ckpt_findings_note(out, "%s: the weights expected are those the model's Keras config gives its layers "
                                         "(%d missing, before --map; `ckpt check PATH` shows the other config mismatches)",
                                    t->spec, nmiss);
        return rc ? CKPT_E_NOMEM : 0;
    }
    px_line *px = calloc(PX_MAX, sizeof *px);
    int npx = 0, rc = 0;
    char layer_keys[256] = "";
    if (!px) return CKPT_E_NOMEM;
    for (const char *p = tx; *p && npx < PX_MAX;) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        char ln[256];
        snprintf(ln, sizeof ln, "%.*s", (int)l, p);
        p = e ? e + 1 : p + l;
        if (!strncmp(ln, "layers ", 7)) { snprintf(layer_keys, sizeof layer_keys, "%s", ln + 7); continue; }
        char *u = strstr(ln, " unless ");
        if (u) { *u = 0; snprintf(px[npx].unless, sizeof px[npx].unless, "%s", u + 8); }
        snprintf(px[npx].name, sizeof px[npx].name, "%s", ln);
        px[npx].per_layer = strstr(ln, "{L}") != NULL;
        npx++;
    }
    /* what the model's tensors become through the preset */
    int n = ckpt_remapped_count(v);
    char **outs = calloc((size_t)n + 1, sizeof *outs);
    struct ckpt_name_index *ix = ckpt__index_new();
    long *cand = calloc((size_t)n * 4 + 1, sizeof *cand);
    int ncand = 0;
    char buf[1024], ibuf[1024];
    if (!outs || !ix || !cand) rc = CKPT_E_NOMEM;
    for (int i = 0; i < n && !rc; i++) {
        ckpt_remapped_info in;
        ckpt_remapped_entry(v, i, &in);
        through(t->preset, in.name, buf, sizeof buf);
        if (!(outs[i] = strdup(buf)) || ckpt__index_put(ix, outs[i], i) == -2) { rc = CKPT_E_NOMEM; break; }
        /* layer numbers in the name: candidates for the layer count */
        int k = 0;
        for (const char *q = in.name; *q && k < 4; q++) {
            if (*q < '0' || *q > '9') continue;
            char *end;
            long x = strtol(q, &end, 10);
            if (x <= 100000) { cand[ncand++] = x; k++; }
            q = end - 1;
        }
    }
    cJSON *cfg = NULL;
    const char *cj = ckpt_model_hf_config(m);
    if (cj) cfg = cJSON_Parse(cj);
    long nl = 0;
    char used[64] = "";
    int from_config = 0;
    if (!rc && layer_keys[0]) {
        if (json_count(cfg, layer_keys, used, sizeof used, &nl) == 0) from_config = 1;
        else {
            /* no config: the highest layer number some expected name has */
            qsort(cand, (size_t)ncand, sizeof *cand, cmp_long_desc);
            nl = 0;
            for (int c = 0; c < ncand && !nl; c++) {
                if (c && cand[c] == cand[c - 1]) continue;
                for (int k = 0; k < npx && !nl; k++) {
                    if (!px[k].per_layer) continue;
                    instantiate(&px[k], cand[c], ibuf, sizeof ibuf);
                    through(t->preset, ibuf, buf, sizeof buf);
                    if (ckpt__index_get(ix, buf) >= 0) nl = cand[c] + 1;
                }
            }
        }
    }
    int nexp = 0, unknown_tie = 0;
    /* the fixed names, then layer by layer */
    for (long L = -1; L < nl && !rc; L++)
    for (int k = 0; k < npx && !rc; k++) {
        if ((L < 0) == px[k].per_layer) continue;
        if (px[k].unless[0]) {
            if (!cfg) { unknown_tie++; continue; }
            if (json_true(cfg, px[k].unless)) continue;
        }
        {
            instantiate(&px[k], L, ibuf, sizeof ibuf);
            through(t->preset, ibuf, buf, sizeof buf);
            nexp++;
            if (ckpt__index_get(ix, buf) >= 0) continue;
            if (px[k].per_layer)
                rc = ckpt_findings_add(out, CKPT_FIND_MISSING, NULL, ibuf, -1, NULL,
                                       "%s expects it (layer %ld of %ld); the model has no such tensor", t->spec, L, nl);
            else
                rc = ckpt_findings_add(out, CKPT_FIND_MISSING, NULL, ibuf, -1, NULL,
                                       "%s expects it; the model has no such tensor", t->spec);
        }
    }
    if (!rc && layer_keys[0]) {
        if (from_config)
            rc = ckpt_findings_note(out, "%s expects %d source tensors: %ld layers (%s in config.json)", t->spec, nexp, nl, used);
        else
            rc = ckpt_findings_note(out, "%s expects %d source tensors: %ld layers counted from the model's names "
                                         "(no %s in a config.json beside it: missing layers after the last one cannot be seen)",
                                    t->spec, nexp, nl, layer_keys);
    }
    for (int k = 0; k < npx && !rc; k++)
        if (px[k].unless[0] && !cfg && unknown_tie)
            rc = ckpt_findings_note(out, "%s not checked: whether it is expected depends on %s in config.json (none found)",
                                    px[k].name, px[k].unless);
    cJSON_Delete(cfg);
    ckpt__index_free(ix);
    for (int i = 0; outs && i < n; i++) free(outs[i]);
    free(outs);
    free(cand);
    free(px);
    return rc ? CKPT_E_NOMEM : 0;
}

int ckpt_check_expect(ckpt_model *m, const ckpt_remap *map, const ckpt_target *t, ckpt_findings *out, ckpt_err *err)
{
    CKPT__ERR_LOCAL(err);
    return ckpt_check_expect_ex(m, map, t, 0, out, err);
}

int ckpt_check_expect_ex(ckpt_model *m, const ckpt_remap *map, const ckpt_target *t, unsigned flags,
                         ckpt_findings *out, ckpt_err *err)
{
    CKPT__ERR_LOCAL(err);
    ckpt_remapped *v = NULL;
    int incl = (flags & CKPT_REMAP_INCLUDE_OPTIMIZER) != 0;
    int rc = ckpt_remap_preview_ex(map, m, flags, &v, err);
    if (rc) return rc;
    /* target entries left out with the optimizer state: a checkpoint's own
     * optimizer tensors, and list entries naming one of the model's */
    char *seen = t->preset ? NULL : calloc((size_t)t->n + 1, 1);
    if (!t->preset && !seen) { ckpt_remapped_free(v); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
    int nt = 0;
    if (seen && !incl) {
        for (int j = 0; j < t->n; j++) if (t->v[j].opt) seen[j] = 2;
        for (int i = 0; i < ckpt_model_ntensors(m); i++) {
            const ckpt_tensor *x = ckpt_model_tensor(m, i);
            int j = (x->flags & CKPT_TF_OPTIMIZER) ? ckpt__index_get(t->ix, x->name) : -1;
            if (j >= 0) seen[j] = 2;
        }
        for (int j = 0; j < t->n; j++) nt += seen[j] == 2;
    }
    {
        int nm = ckpt_remapped_noptimizer(v);
        if (nm + nt && ckpt_findings_note(out, "%d optimizer tensors not compared (model: %d, target: %d); --include-optimizer to compare",
                                          nm + nt, nm, nt)) {
            free(seen);
            ckpt_remapped_free(v);
            return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        }
    }
    for (int i = 0; i < ckpt_remapped_nwarnings(v); i++)
        ckpt_findings_add(out, CKPT_FIND_UNUSED_RULE, NULL, NULL, -1, NULL, "%s", ckpt_remapped_warning(v, i));
    int n = ckpt_remapped_count(v);
    if (t->preset) {
        /* every tensor (after the map) must be claimed by a preset rule */
        for (int i = 0; i < n; i++) {
            ckpt_remapped_info in;
            ckpt_remapped_entry(v, i, &in);
            char out_name[1024];
            if (ckpt_remap_name(t->preset, in.name, out_name, sizeof out_name) == 0)
                rc = ckpt_findings_add(out, CKPT_FIND_UNEXPECTED, NULL, in.name, in.src, NULL,
                                       "no rule of %s claims it", t->spec);
            if (rc) break;
        }
        /* the names the preset expects that nothing provides */
        if (!rc) rc = preset_missing(m, v, t, out);
        /* and the preset must apply without errors (shapes, config values) */
        if (!rc) {
            ckpt_remapped *pv = NULL;
            ckpt_err e2;
            ckpt_err_clear(&e2);
            /* the preset is applied to the model's own names when no map was given */
            if (!map && ckpt_remap_preview_ex(t->preset, m, flags, &pv, &e2))
                rc = ckpt_findings_add(out, CKPT_FIND_SHAPE, NULL, e2.tensor[0] ? e2.tensor : NULL, -1, NULL, "%s", e2.msg);
            ckpt_remapped_free(pv);
        }
        ckpt_remapped_free(v);
        return rc == CKPT_E_NOMEM ? ckpt_err_set(err, CKPT_E_NOMEM, "out of memory") : 0;
    }
    int *unexp = malloc(sizeof(int) * (size_t)(n + 1));
    int nunexp = 0;
    if (!unexp) { free(seen); ckpt_remapped_free(v); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
    char s1[160], s2[160];
    for (int i = 0; i < n && !rc; i++) {
        ckpt_remapped_info in;
        ckpt_remapped_entry(v, i, &in);
        int j = ckpt__index_get(t->ix, in.name);
        if (j < 0 || seen[j] == 2) { unexp[nunexp++] = i; continue; }
        seen[j] = 1;
        const tgt_t *x = &t->v[j];
        if (x->ndim >= 0) {
            int same = x->ndim == in.ndim;
            for (int d = 0; same && d < in.ndim; d++) same = x->shape[d] == in.shape[d];
            if (!same) {
                shape_s(in.ndim, in.shape, s1, sizeof s1);
                shape_s(x->ndim, x->shape, s2, sizeof s2);
                char *sug = NULL;
                if (in.ndim == 2 && x->ndim == 2 && in.shape[0] == x->shape[1] && in.shape[1] == x->shape[0])
                    sug = rule_for(in.name, in.name, " | transpose");
                else if (is_prod_equal(in.ndim, in.shape, x->ndim, x->shape)) {
                    char ops[200] = " | reshape(";
                    size_t l = strlen(ops);
                    for (int d = 0; d < x->ndim; d++) l += (size_t)snprintf(ops + l, sizeof ops - l, "%s%lld", d ? ", " : "", (long long)x->shape[d]);
                    snprintf(ops + l, sizeof ops - l, ")");
                    sug = rule_for(in.name, in.name, ops);
                }
                rc = ckpt_findings_add(out, CKPT_FIND_SHAPE, NULL, in.name, in.src, sug,
                                       "has shape %s, the target expects %s", s1, s2);
                free(sug);
                continue;
            }
        }
        if (x->dtype != CKPT_DT_INVALID && x->dtype != in.dtype)
            rc = ckpt_findings_add(out, CKPT_FIND_DTYPE, NULL, in.name, in.src, NULL, "is %s, the target expects %s",
                                   ckpt_dtype_name(in.dtype), ckpt_dtype_name(x->dtype));
    }
    /* pair unexpected with missing: equal shape (or element count), most similar name */
    char *used = calloc((size_t)t->n + 1, 1);
    long budget = 300000;   /* name comparisons in all: bounds the time on wholly renamed models */
    for (int k = 0; k < nunexp && !rc && used; k++) {
        ckpt_remapped_info in;
        ckpt_remapped_entry(v, unexp[k], &in);
        int best = -1;
        double bs = 0;
        int exact = 0;
        for (int j = 0; j < t->n && budget > 0; j++) {
            if (seen[j] || used[j]) continue;
            const tgt_t *x = &t->v[j];
            int sh = x->ndim < 0 || (x->ndim == in.ndim && !memcmp(x->shape, in.shape, sizeof(int64_t) * (size_t)in.ndim));
            int pe = x->ndim >= 0 && is_prod_equal(in.ndim, in.shape, x->ndim, x->shape);
            if (!sh && !pe) continue;
            budget--;
            double s = ckpt_name_similarity(in.name, x->name) + (sh ? 0.05 : 0);
            if (s > bs) { bs = s; best = j; exact = sh; }
        }
        char *sug = NULL;
        if (best >= 0 && bs >= 0.3) {
            used[best] = 1;
            sug = rule_for(in.name, t->v[best].name, exact || t->v[best].ndim < 0 ? NULL : " | reshape(...)");
        }
        shape_s(in.ndim, in.shape, s1, sizeof s1);
        if (sug)
            rc = ckpt_findings_add(out, CKPT_FIND_RENAME, NULL, in.name, in.src, sug,
                                   "%s is not in the target; probably '%s' (score %.2f)", s1, t->v[best].name, bs > 1 ? 1 : bs);
        else
            rc = ckpt_findings_add(out, CKPT_FIND_UNEXPECTED, NULL, in.name, in.src, NULL, "%s is not in the target", s1);
        free(sug);
    }
    for (int j = 0; j < t->n && !rc; j++) {
        if (seen[j] || (used && used[j])) continue;
        const tgt_t *x = &t->v[j];
        if (x->ndim >= 0) shape_s(x->ndim, x->shape, s2, sizeof s2);
        else strcpy(s2, "(shape unknown)");
        rc = ckpt_findings_add(out, CKPT_FIND_MISSING, NULL, x->name, -1, NULL, "the target expects %s; the model has no such tensor", s2);
    }
    free(used);
    free(seen);
    free(unexp);
    ckpt_remapped_free(v);
    return rc ? ckpt_err_set(err, CKPT_E_NOMEM, "out of memory") : 0;
}
