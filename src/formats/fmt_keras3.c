/* src/fmt_keras3.c: Keras 3 files: the `.keras` zip (config.json,
 * metadata.json, model.weights.h5), a standalone `.weights.h5`, and the
 * sharded `.weights.json` + shards.
 *
 * Keras 3 stores variables positionally at <object path>/vars/<i>, where
 * object paths follow layer *classes* ("layers/dense_1"), not layer names.
 * Each path is paired with its config layer (keras_config.c computes the
 * same paths from the config), the `vars@name` attribute (Keras >= 3.6)
 * names it when there is no config, and vars/<i> get semantic names from
 * the layer class. Canonical names are "layer/weight" with config names.
 *
 * The zip member model.weights.h5 is streamed into an anonymous temporary
 * file (O_TMPFILE, or mkstemp unlinked at once) that libhdf5 opens through
 * /proc/self/fd: memory stays bounded for any model size and nothing is
 * left behind even if ckpt is killed. (H5Pset_fapl_core would hold the whole
 * file in RAM; a custom VFD over the zip would be far more code.) */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/zip_crc.h"
#include "formats/zip_src.h"
#include "h5util.h"
#include "keras.h"
#include "keras_zip.h"

/* ---- probing ---- */

static int probe_keras(const char *path, int is_dir, const unsigned char *head, size_t n)
{
    if (is_dir || n < 4 || memcmp(head, "PK\x03\x04", 4)) return 0;
    return ckpt__ends_with(path, ".keras") ? 95 : 0;
}

static int probe_weights(const char *path, int is_dir, const unsigned char *head, size_t n)
{
    if (is_dir) return 0;
    if (ckpt__ends_with(path, ".weights.json") && n > 0 && head[0] == '{') return 90;
    if (n >= 8 && !memcmp(head, "\x89HDF\r\n\x1a\n", 8) && ckpt__ends_with(path, ".weights.h5")) return 80;
    return 0;
}

/* ---- walking the HDF5 tree ---- */

typedef struct dsent {
    char *path;
    int h5;
    int order;       /* config layer index for sorting, or INT_MAX */
} dsent;

typedef struct walk {
    dsent *v;
    int n, cap;
    struct ckpt_name_index *seen;   /* v's paths: a shard's names checked in O(1), not against all */
    int h5;
    const char *fname;   /* for errors */
    ckpt_err *err;
} walk;

static herr_t visit_cb(hid_t o, const char *name, const H5O_info_t *info, void *ud)
{
    walk *w = ud;
    if (info->type != H5O_TYPE_DATASET) return 0;
    if (!w->seen && !(w->seen = ckpt__index_new())) { ckpt_err_set(w->err, CKPT_E_NOMEM, "out of memory"); return -1; }
    if (ckpt__index_get(w->seen, name) >= 0) return 0;   /* sharded: the first shard holding a path wins */
    if (w->n >= w->cap) {
        int nc = w->cap ? w->cap * 2 : 64;
        dsent *nv = realloc(w->v, (size_t)nc * sizeof *nv);
        if (!nv) { ckpt_err_set(w->err, CKPT_E_NOMEM, "out of memory"); return -1; }
        w->v = nv;
        w->cap = nc;
    }
    w->v[w->n].path = ckpt__strdup(name);
    w->v[w->n].h5 = w->h5;
    w->v[w->n].order = 0x7fffffff;
    if (!w->v[w->n].path || ckpt__index_put(w->seen, w->v[w->n].path, w->n) == -2) {
        free(w->v[w->n].path);
        ckpt_err_set(w->err, CKPT_E_NOMEM, "out of memory");
        return -1;
    }
    w->n++;
    return 0;
}

/* H5Ovisit does not cross external links: find them by their links, refuse
 * them (ckpt_h5_check_outside), or when allowed walk the datasets they
 * reach as the file's own (read through libhdf5). */
static herr_t elink_cb(hid_t g, const char *name, const H5L_info_t *info, void *ud)
{
    walk *w = ud;
    if (info->type != H5L_TYPE_EXTERNAL) return 0;
    int ext = 0;
    if (ckpt_h5_check_outside(g, -1, name, w->fname, &ext, w->err)) return -1;
    H5O_info_t oi;
    if (H5Oget_info_by_name2(g, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0) { H5Eclear2(H5E_DEFAULT); return 0; }
    return visit_cb(g, name, &oi, ud);
}

static int is_index(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

static int is_container(const char *c)
{
    return !strcmp(c, "layers") || !strcmp(c, "_layer_checkpoint_dependencies");
}

/* Split a path into components (in place in `buf`). */
static int split(char *buf, char **comp, int max)
{
    int n = 0;
    char *p = buf;
    while (*p && n < max) {
        comp[n++] = p;
        char *s = strchr(p, '/');
        if (!s) break;
        *s = 0;
        p = s + 1;
    }
    return n;
}

/* The object path of comps[0..k) with containers written as "layers". */
static char *norm_path(char **comp, int k)
{
    size_t l = 1;
    for (int i = 0; i < k; i++) l += strlen(comp[i]) + 1;
    char *r = malloc(l + 16 * (size_t)k);
    if (!r) return NULL;
    r[0] = 0;
    for (int i = 0; i < k; i++) {
        if (i) strcat(r, "/");
        strcat(r, is_container(comp[i]) ? "layers" : comp[i]);
    }
    return r;
}

typedef struct named {
    char *name;      /* canonical name */
    int layer, widx;
    unsigned tflags;
    char *group;     /* object path of the innermost layer */
} named;

/* vars@name of "<obj>/vars", or NULL */
static char *vars_name(hid_t f, const char *obj)
{
    char *p = ckpt__asprintf("%s/vars", obj);
    if (!p) return NULL;
    char *r = NULL;
    if (H5Lexists(f, obj, H5P_DEFAULT) > 0 && H5Lexists(f, p, H5P_DEFAULT) > 0) {
        hid_t g = H5Gopen2(f, p, H5P_DEFAULT);
        if (g >= 0) {
            ckpt_err e;
            ckpt_err_clear(&e);
            r = ckpt_h5_attr_str(g, "name", &e);
            H5Gclose(g);
        }
    }
    H5Eclear2(H5E_DEFAULT);
    free(p);
    return r;
}

/* Name one dataset path; see the file comment. */
static int name_entry(kx_state *st, hid_t f, const char *path, named *out, unsigned *nflags, ckpt_err *err)
{
    memset(out, 0, sizeof *out);
    out->layer = -1;
    out->widx = -1;
    *nflags = 0;
    char *buf = ckpt__strdup(path);
    char *comp[64];
    if (!buf) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    int nc = split(buf, comp, 64);
    int rc = 0;
    if (nc < 2 || strcmp(comp[nc - 2], "vars") || !is_index(comp[nc - 1])) {
        /* not a variable: keep the path as its name */
        out->name = ckpt__strdup(path);
        out->group = ckpt__strdup("");
        *nflags = CKPT_NF_UNKNOWN;
        free(buf);
        return out->name ? 0 : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    int vidx = atoi(comp[nc - 1]);
    int nobj = nc - 2;
    if (nobj >= 1 && !strcmp(comp[0], "optimizer")) {
        out->name = ckpt__strdup(path);
        out->group = ckpt__strdup("optimizer");
        out->tflags = CKPT_TF_OPTIMIZER;
        free(buf);
        return out->name ? 0 : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    /* levels: the component after each "layers", or a leading attribute */
    int lv[32], nlv = 0, i = 0;
    while (i < nobj && nlv < 32) {
        if (is_container(comp[i]) && i + 1 < nobj) { lv[nlv++] = i + 1; i += 2; }
        else if (i == 0) { lv[nlv++] = 0; i += 1; }
        else break;
    }
    char sub[512] = "";
    for (int k = i; k < nobj; k++) {
        size_t l = strlen(sub);
        snprintf(sub + l, sizeof sub - l, "%s%s", l ? "/" : "", comp[k]);
    }
    char name[2048] = "";
    int li = -1;
    const char *cls = NULL;
    for (int k = 0; k < nlv; k++) {
        char *op = norm_path(comp, lv[k] + 1);
        char *raw = NULL;
        if (!op) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); break; }
        int kl = -1;
        if (st->have_km)
            for (int q = 0; q < st->km.n; q++)
                if (st->km.L[q].k3path && !strcmp(st->km.L[q].k3path, op)) { kl = q; break; }
        const char *disp = comp[lv[k]];
        char *vn = NULL;
        if (kl >= 0) disp = st->km.L[kl].name;
        else {
            /* the path as stored (containers not normalised) for the attribute */
            size_t l = 0;
            raw = malloc(strlen(path) + 1);
            if (raw) {
                raw[0] = 0;
                for (int q = 0; q <= lv[k]; q++) {
                    l += (size_t)sprintf(raw + l, "%s%s", q ? "/" : "", comp[q]);
                }
                vn = vars_name(f, raw);
                if (vn && vn[0] && !strchr(vn, '/')) disp = vn;
            }
        }
        size_t l = strlen(name);
        snprintf(name + l, sizeof name - l, "%s%s", l ? "/" : "", disp);
        if (k == nlv - 1) {
            li = kl;
            cls = kl >= 0 ? st->km.L[kl].cls : ckpt__kc_class_from_seg(comp[lv[k]]);
            out->group = op;
            op = NULL;
        }
        free(op);
        free(raw);
        free(vn);
    }
    if (rc) { free(buf); return rc; }
    if (!out->group) out->group = ckpt__strdup("");
    /* semantic name of vars/<vidx> under `sub` */
    const char *canon = NULL;
    kc_layer tmp;
    const kc_layer *L = NULL;
    if (li >= 0) L = &st->km.L[li];
    else if (cls) {
        memset(&tmp, 0, sizeof tmp);
        tmp.cls = (char *)cls;
        tmp.in_ndim = -1;
        if (ckpt__kc_layer_weights(&tmp)) L = &tmp;
    }
    int widx = -1;
    char cbuf[600];
    if (L && (li < 0 || (L->flags & KC_KNOWN)))
        for (int q = 0; q < L->nw; q++)
            if (!strcmp(L->w[q].sub, sub) && L->w[q].vidx == vidx) { canon = L->w[q].canon; widx = q; out->tflags |= L->w[q].tflags; break; }
    if (!canon && ckpt__ends_with(sub, "seed_generator")) {
        snprintf(cbuf, sizeof cbuf, "%s/state", sub);
        canon = cbuf;
        widx = -2;   /* RNG state, not a weight: not checked */
    }
    if (!canon) {
        snprintf(cbuf, sizeof cbuf, "%s%svars/%d", sub, sub[0] ? "/" : "", vidx);
        canon = cbuf;
        *nflags |= CKPT_NF_UNKNOWN;
        if (L && li >= 0) widx = L->nw + vidx;   /* beyond what the class owns */
    }
    if (li >= 0 && (st->km.L[li].flags & KC_FROZEN)) out->tflags |= CKPT_TF_NONTRAINABLE;
    size_t l = strlen(name);
    snprintf(name + l, sizeof name - l, "%s%s", l ? "/" : "", canon);
    out->name = ckpt__strdup(name);
    out->layer = li;
    out->widx = widx;
    free(buf);
    return out->name ? 0 : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
}

static int cmp_ds(const void *a, const void *b)
{
    const dsent *x = a, *y = b;
    if (x->order != y->order) return x->order < y->order ? -1 : 1;
    return ckpt__natcmp(x->path, y->path);
}

/* Nodes for layers found only in the weights file (no config), so they
 * carry their class and Keras 3 path. */
static int level_nodes(ckpt_model *m, const char *name, const char *group, unsigned nflags, ckpt_err *err)
{
    /* only the innermost layer node: the one holding the leaf */
    const char *sl = strrchr(name, '/');
    if (!sl || !group[0]) return 0;
    char par[2048];
    snprintf(par, sizeof par, "%.*s", (int)(sl - name), name);
    /* walk/create ancestors without kind, the last with its class */
    int parent = 0;
    char *p = par;
    for (;;) {
        char *s = strchr(p, '/');
        if (s) *s = 0;
        int c = ckpt__node_child(m, parent, p);
        if (c < 0) {
            const char *seg = strrchr(group, '/');
            seg = seg ? seg + 1 : group;
            const char *cls = s ? NULL : ckpt__kc_class_from_seg(seg);
            unsigned fl = CKPT_NF_LAYER | (s ? 0 : ((cls ? 0 : CKPT_NF_UNKNOWN) | (nflags & CKPT_NF_UNKNOWN)));
            c = ckpt__node_add(m, parent, p, cls, s ? NULL : (strcmp(seg, p) ? group : NULL), fl, err);
            if (c < 0) return err->code;
        } else if (!s && (nflags & CKPT_NF_UNKNOWN)) {
            m->nodes[c].flags |= CKPT_NF_UNKNOWN;
        }
        parent = c;
        if (!s) break;
        p = s + 1;
    }
    return 0;
}

/* Read the datasets of every open HDF5 file of st as tensors. */
static int read_k3(ckpt_model *m, kx_state *st, int file, ckpt_err *err)
{
    st->keras3 = 1;
    walk w = {0};
    w.err = err;
    int rc = 0;
    for (int h = 0; h < st->nh5 && !rc; h++) {
        w.h5 = h;
        w.fname = st->h5path[h];
        if (H5Lvisit(st->h5[h], H5_INDEX_NAME, H5_ITER_INC, elink_cb, &w) < 0 ||
            H5Ovisit2(st->h5[h], H5_INDEX_NAME, H5_ITER_INC, visit_cb, &w, H5O_INFO_BASIC) < 0)
            rc = err->code ? (int)err->code : ckpt_h5_fail(err, CKPT_E_FORMAT, st->h5path[h], NULL, "cannot walk the HDF5 file");
    }
    ckpt__index_free(w.seen);
    named *nm = rc ? NULL : calloc((size_t)w.n + 1, sizeof *nm);
    unsigned *nf = rc ? NULL : calloc((size_t)w.n + 1, sizeof *nf);
    if (!rc && (!nm || !nf)) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    for (int i = 0; i < w.n && !rc; i++) {
        rc = name_entry(st, st->h5[w.v[i].h5], w.v[i].path, &nm[i], &nf[i], err);
        if (!rc) w.v[i].order = nm[i].layer >= 0 ? nm[i].layer : 0x7fffffff;
    }
    /* sort by config layer order, then naturally by path (vars/2 < vars/10) */
    if (!rc) {
        dsent *tmp = malloc((size_t)w.n * sizeof *tmp + 1);
        if (!tmp) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        else {
            /* sort entries together with their names: pack index in order's low bits */
            for (int i = 0; i < w.n; i++) { tmp[i] = w.v[i]; tmp[i].h5 = w.v[i].h5 | (i << 8); }
            /* h5 count is small (< 256 shards assumed) */
            qsort(tmp, (size_t)w.n, sizeof *tmp, cmp_ds);
            if (ckpt__kx_tree_config(m, st, err)) rc = err->code;
            for (int k = 0; k < w.n && !rc; k++) {
                int i = tmp[k].h5 >> 8, h = tmp[k].h5 & 0xff;
                if (nm[i].layer < 0 && !(nm[i].tflags & CKPT_TF_OPTIMIZER))
                    rc = level_nodes(m, nm[i].name, nm[i].group, nf[i], err);
                if (!rc && ckpt__kx_add(m, st, h, w.v[i].path, nm[i].name, nm[i].tflags, nm[i].layer, nm[i].widx,
                                  nm[i].group, file < 0 ? h : file, 0, err) < 0)
                    rc = err->code;
            }
        }
        free(tmp);
    }
    for (int i = 0; i < w.n; i++) {
        free(w.v[i].path);
        if (nm) { free(nm[i].name); free(nm[i].group); }
    }
    free(w.v);
    free(nm);
    free(nf);
    if (!rc) rc = ckpt__kx_finish(m, st, err);
    return rc;
}

static int set_config(ckpt_model *m, kx_state *st, const char *json, size_t len, int strict, ckpt_err *err)
{
    ckpt_err e2;
    ckpt_err_clear(&e2);
    if (ckpt__kc_parse(json, len, &st->km, &e2) == 0) {
        st->have_km = 1;
        return ckpt__model_set_config(m, json, err);
    }
    if (strict) return ckpt_err_set(err, CKPT_E_FORMAT, "config.json: %s", e2.msg);
    return 0;
}

/* config.json beside a standalone weights file */
static void sibling_config(ckpt_model *m, kx_state *st, const char *path, ckpt_err *err)
{
    char *dir = ckpt__path_dirname(path);
    const char *bn = ckpt__path_basename(path);
    char base[512];
    snprintf(base, sizeof base, "%s", bn);
    char *d = strstr(base, ".weights.");
    if (d) *d = 0;
    char c1[600];
    snprintf(c1, sizeof c1, "%s.json", base);
    const char *cands[] = {"config.json", c1};
    for (int i = 0; i < 2 && dir && !st->have_km; i++) {
        char *p = ckpt__path_join(dir, cands[i]);
        char *txt = NULL;
        size_t len = 0;
        ckpt_err e;
        ckpt_err_clear(&e);
        if (p && ckpt__file_exists(p) && !ckpt_src_slurp(p, KZ_MAX_JSON, &txt, &len, &e)) {
            if (!set_config(m, st, txt, len, 0, err) && st->have_km) ckpt__model_add_meta(m, "config_file", p, err);
        }
        free(txt);
        free(p);
    }
    free(dir);
}

int ckpt__kx_open_k3_h5(ckpt_model *m, const char *path, ckpt_err *err)
{
    kx_state *st = ckpt__kx_new();
    if (!st) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    m->priv = st;
    int rc = ckpt__kx_open_h5(st, path, path, -1, err);
    if (rc) return rc;
    uint64_t sz = ckpt__kx_size(st, 0, path);
    if (sz != UINT64_MAX && ckpt__model_add_file(m, path, sz, err) < 0) return err->code;
    sibling_config(m, st, path, err);
    if (err->code) return err->code;
    return read_k3(m, st, 0, err);
}

/* ---- sharded .weights.json ---- */

static int open_sharded(ckpt_model *m, kx_state *st, const char *path, ckpt_err *err)
{
    char *txt = NULL;
    size_t len = 0;
    int rc = ckpt_src_slurp(path, KZ_MAX_JSON, &txt, &len, err);
    if (rc) return rc;
    cJSON *j = cJSON_ParseWithLength(txt, len);
    int cut = !j && ckpt__json_cut_short(txt, len);
    free(txt);
    if (!j)
        return ckpt_err_set(err, CKPT_E_FORMAT, "sharded weights index is not valid JSON%s (%zu bytes)",
                            cut ? ": it stops with brackets left open (truncated?)" : "", len);
    const cJSON *wm = cJSON_GetObjectItemCaseSensitive(j, "weight_map");
    if (!cJSON_IsObject(wm)) {
        cJSON_Delete(j);
        return ckpt_err_set(err, CKPT_E_FORMAT, "not a Keras sharded weights index (no \"weight_map\" object)");
    }
    char *dir = ckpt__path_dirname(path);
    const cJSON *e;
    cJSON_ArrayForEach(e, wm)
    {
        const cJSON *files = e;
        const cJSON *fe;
        if (cJSON_IsString(files)) files = NULL;
        for (fe = files ? files->child : e; fe && !rc; fe = files ? fe->next : NULL) {
            if (!cJSON_IsString(fe)) continue;
            const char *fn = fe->valuestring;
            if (!ckpt__kz_name_safe(fn) || strchr(fn, '/')) {
                rc = ckpt_err_set(err, CKPT_E_UNSAFE, "shard name '%s' leaves the index's directory: refused", fn);
                break;
            }
            char *sp = ckpt__path_join(dir, fn);
            if (!sp) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); break; }
            int seen = 0;
            for (int h = 0; h < st->nh5; h++)
                if (!strcmp(st->h5path[h], sp)) seen = 1;
            if (!seen) {
                if (st->nh5 >= 255) rc = ckpt_err_set(err, CKPT_E_UNSUPPORTED, "more than 255 shards");
                else if (!ckpt__file_exists(sp)) { rc = ckpt_err_set(err, CKPT_E_NOTFOUND, "shard listed in the index is missing"); ckpt_err_at_path(err, sp); }
                else {
                    rc = ckpt__kx_open_h5(st, sp, sp, -1, err);
                    uint64_t sz = rc ? UINT64_MAX : ckpt__kx_size(st, st->nh5 - 1, sp);
                    if (sz != UINT64_MAX) ckpt__model_add_file(m, sp, sz, err);
                }
            }
            free(sp);
            if (!files) break;
        }
        if (rc) break;
    }
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(j, "metadata");
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(md, "total_size");
    if (!rc && cJSON_IsNumber(ts)) {
        char b[32];
        snprintf(b, sizeof b, "%.0f", ts->valuedouble);
        rc = ckpt__model_add_meta(m, "total_size", b, err);
    }
    cJSON_Delete(j);
    free(dir);
    if (rc) return rc;
    if (!st->nh5) return ckpt_err_set(err, CKPT_E_FORMAT, "sharded weights index lists no shard");
    sibling_config(m, st, path, err);
    if (err->code) return err->code;
    return read_k3(m, st, -1, err);
}

static int weights_open(ckpt_model *m, const char *path, ckpt_err *err)
{
    if (ckpt__ends_with(path, ".json")) {
        kx_state *st = ckpt__kx_new();
        if (!st) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        m->priv = st;
        struct stat sb;
        if (stat(path, &sb) == 0 && ckpt__model_add_file(m, path, (uint64_t)sb.st_size, err) < 0) return err->code;
        return open_sharded(m, st, path, err);
    }
    return ckpt__kx_open_k3_h5(m, path, err);
}

/* ---- the .keras zip ---- */

/* An anonymous file that disappears with its last descriptor; *named is
 * set when the fallback had to give it a name (unlinked after H5Fopen). */
static int anon_tmp(char **dir_out, char **tmpname, ckpt_err *err)
{
    const char *dirs[3] = {getenv("TMPDIR"), "/var/tmp", "/tmp"};
    *tmpname = NULL;
    for (int i = 0; i < 3; i++) {
        if (!dirs[i] || !dirs[i][0]) continue;
#ifdef O_TMPFILE
        int fd = open(dirs[i], O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0) { *dir_out = ckpt__strdup(dirs[i]); return fd; }
#endif
        char *t = ckpt__asprintf("%s/.ckpt-keras-XXXXXX", dirs[i]);
        if (!t) break;
        int fd2 = mkstemp(t);
        if (fd2 >= 0) { *tmpname = t; *dir_out = ckpt__strdup(dirs[i]); return fd2; }
        free(t);
    }
    return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot create a temporary file for model.weights.h5 (set TMPDIR)"), -1;
}

/* libhdf5 resolves the real path of what it opens, so an O_TMPFILE file is
 * linked under a name only for the moment of H5Fopen, then unlinked: the
 * name exists for milliseconds, the data never outlives the descriptor. */
static int open_tmp_h5(kx_state *st, int fd, const char *dir, char *tmpname, const char *shown, ckpt_err *err)
{
    char *name = tmpname;
    if (!name) {
        name = ckpt__asprintf("%s/.ckpt-keras-%d-%d.h5", dir, (int)getpid(), fd);
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        if (!name || linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) < 0) {
            int e = errno;
            free(name);
            close(fd);
            return ckpt_err_sys(err, CKPT_E_IO, e, "cannot open the temporary copy of model.weights.h5");
        }
    }
    int rc = ckpt__kx_open_h5(st, name, shown, fd, err);
    unlink(name);
    free(name);
    return rc;
}

/* The lazy CRC check of stored member idx at `at` of the zip open as fd. */
static int member_crc(zip_t *z, zip_int64_t idx, int fd, uint64_t at, const char *path, kx_state *st,
                      ckpt_err *err)
{
    zip_stat_t s;
    zip_stat_init(&s);
    if (zip_stat_index(z, (zip_uint64_t)idx, 0, &s) || !(s.valid & ZIP_STAT_CRC) || !(s.valid & ZIP_STAT_SIZE)) {
        ckpt_err_set(err, CKPT_E_FORMAT, "corrupt zip: member %lld has no CRC or size", (long long)idx);
        ckpt_err_at_path(err, path);
        return err->code;
    }
    st->crc = ckpt__zcrc_new(fd, at, s.size, s.crc, s.name, path);
    return st->crc ? 0 : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
}

static int keras_open(ckpt_model *m, const char *path, ckpt_err *err)
{
    kx_state *st = ckpt__kx_new();
    if (!st) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    m->priv = st;
    int ze = 0;
    ckpt_src *zs;
    if (ckpt_src_open(path, &zs, err)) return err->code;
    zip_t *z = ckpt__zip_open_src(zs, ZIP_CHECKCONS, &ze);
    if (!z) { ckpt_src_close(zs); return ckpt__kz_open_fail(path, ze, "a valid .keras zip", err); }
    kz_members mb;
    int rc = ckpt__kz_scan(z, path, &mb, err);
    if (!rc && mb.weights < 0) {
        if (mb.weights_json >= 0)
            rc = ckpt_err_set(err, CKPT_E_UNSUPPORTED, "sharded weights inside a .keras zip are not supported; extract it and open model.weights.json");
        else
            rc = ckpt_err_set(err, CKPT_E_FORMAT, "not a Keras 3 archive: no model.weights.h5 member");
    }
    if (!rc && ckpt__model_add_file(m, path, zs->size, err) < 0) rc = err->code;
    char *txt = NULL;
    size_t len = 0;
    if (!rc && mb.metadata >= 0 && !(rc = ckpt__kz_read_small(z, mb.metadata, KZ_MAX_JSON, &txt, &len, err))) {
        cJSON *j = cJSON_ParseWithLength(txt, len);
        const cJSON *e;
        if (j) cJSON_ArrayForEach(e, j)
        {
            if (cJSON_IsString(e) && e->string) ckpt__model_add_meta(m, e->string, e->valuestring, err);
        }
        cJSON_Delete(j);
        free(txt);
        txt = NULL;
    }
    if (!rc && mb.config >= 0 && !(rc = ckpt__kz_read_small(z, mb.config, KZ_MAX_JSON, &txt, &len, err))) {
        rc = set_config(m, st, txt, len, 1, err);
        free(txt);
    }
    if (!rc && mb.nassets) {
        char b[32];
        snprintf(b, sizeof b, "%d", mb.nassets);
        ckpt__model_add_meta(m, "assets", b, err);
    }
    char shown[1200];
    snprintf(shown, sizeof shown, "%s:model.weights.h5", path);
    uint64_t at;
    if (!rc && !ckpt__zip_member_offset(z, mb.weights, &at)) {
        /* stored uncompressed (as Keras writes it): libhdf5 reads it in place.
         * A local member's CRC is checked before any tensor value is used:
         * over the bytes a conversion copies, else in one pass at the first
         * tensor read (zip_crc.c); ls and info read metadata only, as for
         * a remote one (whose check would be the whole download) */
        if (!ckpt_path_is_remote(path)) rc = member_crc(z, mb.weights, zs->fd, at, path, st, err);
        zip_discard(z);
        if (rc) {
            ckpt_src_close(zs);
            return rc;
        }
        rc = ckpt__kx_open_h5_src(st, zs, at, mb.weights_size, shown, err);
        return rc ? rc : read_k3(m, st, 0, err);
    }
    int fd = -1;
    char *tdir = NULL, *tmpname = NULL;
    if (!rc) fd = anon_tmp(&tdir, &tmpname, err);
    if (!rc && fd < 0) rc = err->code;
    if (!rc) rc = ckpt__kz_extract_fd(z, mb.weights, fd, err);
    zip_discard(z);
    ckpt_src_close(zs);
    if (rc) {
        if (fd >= 0) close(fd);
        if (tmpname) { unlink(tmpname); free(tmpname); }
        free(tdir);
        ckpt_err_at_path(err, path);
        return rc;
    }
    rc = open_tmp_h5(st, fd, tdir, tmpname, shown, err);
    free(tdir);
    if (rc) return rc;
    return read_k3(m, st, 0, err);
}

static void k3_close(ckpt_model *m)
{
    ckpt__kx_free(m->priv);
    m->priv = NULL;
}

static const ckpt_magic keras_magics[] = {CKPT_MAGIC("PK\x03\x04"), {NULL, 0}};
static const ckpt_magic weights_magics[] = {CKPT_MAGIC("\x89HDF\r\n\x1a\n"), {NULL, 0}};

const ckpt_format ckpt_fmt_keras = {
    .name = "keras",
    .desc = "Keras 3 .keras archive (config.json, metadata.json, model.weights.h5)",
    .exts = ".keras",
    .dir_file = "model.keras",
    .flags = CKPT_FMT_READ | CKPT_FMT_WRITE | CKPT_FMT_SANDBOX,
    .probe = probe_keras,
    .magics = keras_magics,
    .open = keras_open,
    .read = ckpt__kx_read,
    .fence = ckpt__kx_fence,
    .raw_span = ckpt__kx_raw_span,
    .stream_begin = ckpt__kx_stream_begin,
    .raw_seen = ckpt__kx_raw_seen,
    .stream_end = ckpt__kx_stream_end,
    .close = k3_close,
    .check = ckpt__kx_check,
    .can_write = ckpt__kw_can_write_keras,
    .write_begin = ckpt__kw_keras_begin,
    .write = ckpt__kw_write_chunk,
    .write_end = ckpt__kw_keras_end,
    .write_abort = ckpt__kw_write_abort,
    .name_as = ckpt__kx_name_as,
    .namings = ckpt__kx_namings,
    .hub_files = "model.keras=60 *.keras=59",
    .remote_ranges = "*.keras",
    .companions = "config.json",
};

const ckpt_format ckpt_fmt_keras_weights = {
    .name = "keras-weights",
    .desc = "Keras 3 weights (.weights.h5, sharded .weights.json)",
    .exts = ".weights.h5 .weights.json",
    .dir_file = "model.weights.h5",
    .flags = CKPT_FMT_READ | CKPT_FMT_WRITE | CKPT_FMT_SANDBOX,
    .probe = probe_weights,
    .magics = weights_magics,
    .open = weights_open,
    .read = ckpt__kx_read,
    .fence = ckpt__kx_fence,
    .raw_span = ckpt__kx_raw_span,
    .close = k3_close,
    .check = ckpt__kx_check,
    .name_as = ckpt__kx_name_as,
    .namings = ckpt__kx_namings,
    .can_write = ckpt__kw_can_write_weights,
    .write_begin = ckpt__kw_weights_begin,
    .write = ckpt__kw_write_chunk,
    .write_end = ckpt__kw_weights_end,
    .write_abort = ckpt__kw_write_abort,
    .hub_files = "*.weights.h5=58",
    .remote_ranges = "*.weights.h5",
    .companions = "config.json",
};
