/* src/fmt_keras_h5.c: Keras 2 / tf.keras legacy HDF5 (model.save("x.h5")
 * and save_weights("x.h5")).
 *
 * Layout: root attrs keras_version, backend, model_config, training_config;
 * /model_weights (or the root for weights-only files) with attr layer_names
 * and one group per layer whose attr weight_names lists dataset paths
 * relative to the group ("dense_1/kernel:0"); /optimizer_weights likewise.
 * Canonical names are "layer/weight" ("dense_1/kernel"); src_name is the
 * dataset path. A plain .h5 that turns out to hold the Keras 3 layout is
 * handed to the Keras 3 reader. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "h5util.h"
#include "keras.h"

static const unsigned char H5_MAGIC[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

static int probe(const char *path, int is_dir, const unsigned char *head, size_t n)
{
    if (is_dir || n < 8 || memcmp(head, H5_MAGIC, 8)) return 0;
    /* Keras 3 names its files *.weights.h5: let that format take them */
    if (ckpt__ends_with(path, ".weights.h5")) return 40;
    return 70;
}

/* "dense_1/kernel:0" -> "dense_1/kernel" */
static char *strip_tf_suffix(const char *s)
{
    char *r = ckpt__strdup(s);
    if (!r) return NULL;
    char *c = strrchr(r, ':');
    if (c && c[1]) {
        char *q = c + 1;
        while (isdigit((unsigned char)*q)) q++;
        if (!*q) *c = 0;
    }
    return r;
}

/* The part of a weight name below its layer: "dense_1/kernel" in layer
 * dense_1 -> "kernel"; "conv2d_10_1/kernel" in conv2d_10 -> "kernel"
 * (model built twice in one session); "dense/kernel" in a nested model
 * "sequential" -> "dense/kernel"; TF >= 2.2 cell scopes ("lstm_cell/") dropped. */
static char *rel_name(const char *lname, const char *wn)
{
    size_t ll = strlen(lname);
    const char *rest = wn;
    const char *sl = strchr(wn, '/');
    if (sl) {
        size_t fl = (size_t)(sl - wn);
        if (fl == ll && !strncmp(wn, lname, ll)) rest = sl + 1;
        else if (fl > ll + 1 && !strncmp(wn, lname, ll) && wn[ll] == '_') {
            const char *q = wn + ll + 1;
            while (q < sl && isdigit((unsigned char)*q)) q++;
            if (q == sl) rest = sl + 1;
        }
    }
    /* drop "*_cell/" components (not the last one) */
    char *out = malloc(strlen(rest) + 1);
    if (!out) return NULL;
    size_t o = 0;
    const char *p = rest;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        int cell = e && l > 5 && !strncmp(p + l - 5, "_cell", 5);
        if (!cell) {
            if (o) out[o++] = '/';
            memcpy(out + o, p, l);
            o += l;
        }
        p += l;
        if (*p == '/') p++;
    }
    out[o] = 0;
    if (!o) { free(out); return ckpt__strdup(rest); }
    return out;
}

/* A Keras architecture JSON beside a weights-only file (hls4ml style:
 * X_weights.h5 + X.json), or NULL. */
static char *sibling_config(const char *path, char **from)
{
    char *dir = ckpt__path_dirname(path);
    const char *bn = ckpt__path_basename(path);
    char base[512];
    snprintf(base, sizeof base, "%s", bn);
    char *dot = strrchr(base, '.');
    if (dot && dot != base) *dot = 0;
    char cand[4][600];
    int nc = 0;
    snprintf(cand[nc++], sizeof cand[0], "%s.json", base);
    static const char *const sfx[] = {"_weights", ".weights", "-weights"};
    for (int i = 0; i < 3; i++)
        if (ckpt__ends_with(base, sfx[i])) {
            size_t l = strlen(base) - strlen(sfx[i]);
            snprintf(cand[nc++], sizeof cand[0], "%.*s.json", (int)l, base);
            break;
        }
    snprintf(cand[nc++], sizeof cand[0], "config.json");
    snprintf(cand[nc++], sizeof cand[0], "model.json");
    char *res = NULL;
    for (int i = 0; i < nc && !res && dir; i++) {
        char *p = ckpt__path_join(dir, cand[i]);
        if (p && ckpt__file_exists(p)) {
            ckpt_err e;
            ckpt_err_clear(&e);
            char *txt = NULL;
            size_t len = 0;
            if (!ckpt_src_slurp(p, 64u << 20, &txt, &len, &e)) {
                cJSON *j = cJSON_ParseWithLength(txt, len);
                if (j && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "class_name")) &&
                    cJSON_GetObjectItemCaseSensitive(j, "config")) {
                    res = txt;
                    txt = NULL;
                    *from = ckpt__strdup(p);
                }
                cJSON_Delete(j);
                free(txt);
            }
        }
        free(p);
    }
    free(dir);
    return res;
}

static int add_meta_attr(ckpt_model *m, hid_t obj, const char *k, ckpt_err *err)
{
    char *v = ckpt_h5_attr_str(obj, k, err);
    if (!v) return err->code;
    int rc = ckpt__model_add_meta(m, k, v, err);
    free(v);
    return rc;
}

static int has_group(hid_t f, const char *name)
{
    htri_t r = H5Lexists(f, name, H5P_DEFAULT);
    if (r <= 0) { H5Eclear2(H5E_DEFAULT); return 0; }
    H5O_info_t oi;
    if (H5Oget_info_by_name2(f, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0) { H5Eclear2(H5E_DEFAULT); return 0; }
    return oi.type == H5O_TYPE_GROUP;
}

static int attr_exists(hid_t obj, const char *name)
{
    char c0[300];
    snprintf(c0, sizeof c0, "%s0", name);
    int r = H5Aexists(obj, name) > 0 || H5Aexists(obj, c0) > 0;
    H5Eclear2(H5E_DEFAULT);
    return r;
}

/* optimizer datasets when the group lacks weight_names: every dataset below */
typedef struct { ckpt_model *m; kx_state *st; ckpt_err *err; const char *base; int rc; } optvisit;
static herr_t opt_visit(hid_t o, const char *name, const H5O_info_t *info, void *ud)
{
    optvisit *v = ud;
    if (info->type != H5O_TYPE_DATASET) return 0;
    char *dp = ckpt__asprintf("%s/%s", v->base, name);
    char *sn = strip_tf_suffix(name);
    char *cn = sn ? ckpt__asprintf("optimizer/%s", sn) : NULL;
    if (!dp || !cn) v->rc = ckpt_err_set(v->err, CKPT_E_NOMEM, "out of memory");
    else if (ckpt__kx_add(v->m, v->st, 0, dp, cn, CKPT_TF_OPTIMIZER, -1, -1, "optimizer", 0, 1, v->err) < 0)
        v->rc = v->err->code;
    free(dp); free(sn); free(cn);
    return v->rc ? -1 : 0;
}

static int read_optimizer(ckpt_model *m, kx_state *st, hid_t f, ckpt_err *err)
{
    if (!has_group(f, "optimizer_weights")) return 0;
    hid_t g = H5Gopen2(f, "optimizer_weights", H5P_DEFAULT);
    if (g < 0) { H5Eclear2(H5E_DEFAULT); return 0; }
    ckpt_strv wn;
    int found = ckpt_h5_attr_strv(g, "weight_names", &wn, err);
    int rc = 0;
    if (found < 0) rc = err->code;
    else if (found > 0) {
        for (int i = 0; i < wn.n && !rc; i++) {
            char *dp = ckpt__asprintf("optimizer_weights/%s", wn.v[i]);
            char *sn = strip_tf_suffix(wn.v[i]);
            char *cn = sn ? ckpt__asprintf("optimizer/%s", sn) : NULL;
            if (!dp || !cn) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
            else if (ckpt__kx_add(m, st, 0, dp, cn, CKPT_TF_OPTIMIZER, -1, -1, "optimizer", 0, 1, err) < 0)
                rc = err->code;
            free(dp); free(sn); free(cn);
        }
        ckpt_strv_free(&wn);
    } else {
        optvisit v = {m, st, err, "optimizer_weights", 0};
        H5Ovisit2(g, H5_INDEX_NAME, H5_ITER_INC, opt_visit, &v, H5O_INFO_BASIC);
        H5Eclear2(H5E_DEFAULT);
        rc = v.rc;
    }
    H5Gclose(g);
    return rc;
}

static int read_layers(ckpt_model *m, kx_state *st, hid_t root, const char *rootpath, ckpt_err *err)
{
    ckpt_strv ln;
    int found = ckpt_h5_attr_strv(root, "layer_names", &ln, err);
    if (found < 0) return err->code;
    int *ord = NULL;
    if (st->have_km && st->km.n) {
        ord = calloc((size_t)st->km.n, sizeof *ord);
        if (!ord) { ckpt_strv_free(&ln); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
    }
    int rc = 0;
    for (int i = 0; i < ln.n && !rc; i++) {
        const char *lname = ln.v[i];
        if (!lname[0] || strstr(lname, "..")) continue;
        if (H5Lexists(root, lname, H5P_DEFAULT) <= 0) { H5Eclear2(H5E_DEFAULT); continue; }
        hid_t g = H5Gopen2(root, lname, H5P_DEFAULT);
        if (g < 0) { H5Eclear2(H5E_DEFAULT); continue; }
        ckpt_strv wn;
        int wf = ckpt_h5_attr_strv(g, "weight_names", &wn, err);
        H5Gclose(g);
        if (wf < 0) { rc = err->code; ckpt_err_at_tensor(err, lname); break; }
        int li = st->have_km ? ckpt__kc_find(&st->km, lname, -1) : -1;
        for (int k = 0; k < wn.n && !rc; k++) {
            char *sn = strip_tf_suffix(wn.v[k]);
            char *rel = sn ? rel_name(lname, sn) : NULL;
            char *dp = ckpt__asprintf("%s%s%s/%s", rootpath, rootpath[0] ? "/" : "", lname, wn.v[k]);
            char *cn = rel ? ckpt__asprintf("%s/%s", lname, rel) : NULL;
            if (!sn || !rel || !dp || !cn) {
                rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
            } else {
                /* pair with the config layer, descending into nested models */
                int L = li, widx = -1;
                const char *p = rel;
                while (L >= 0 && (st->km.L[L].flags & KC_MODEL) && strchr(p, '/')) {
                    char comp[256];
                    size_t l = (size_t)(strchr(p, '/') - p);
                    snprintf(comp, sizeof comp, "%.*s", (int)(l < 255 ? l : 255), p);
                    int c = ckpt__kc_find(&st->km, comp, L);
                    if (c < 0) break;
                    L = c;
                    p += l + 1;
                }
                unsigned tf = 0;
                if (L >= 0) {
                    widx = ord[L]++;
                    const kc_layer *KL = &st->km.L[L];
                    if (KL->flags & KC_FROZEN) tf |= CKPT_TF_NONTRAINABLE;
                    if ((KL->flags & KC_KNOWN) && widx < KL->nw) tf |= KL->w[widx].tflags;
                }
                if (L < 0) {
                    if (ckpt__ends_with(rel, "moving_mean") || ckpt__ends_with(rel, "moving_variance"))
                        tf |= CKPT_TF_NONTRAINABLE;
                }
                if (ckpt__kx_add(m, st, 0, dp, cn, tf, L, widx, lname, 0, 1, err) < 0) rc = err->code;
            }
            free(sn); free(rel); free(dp); free(cn);
        }
        ckpt_strv_free(&wn);
    }
    free(ord);
    ckpt_strv_free(&ln);
    return rc;
}

static int kh5_open(ckpt_model *m, const char *path, ckpt_err *err)
{
    kx_state *st = ckpt__kx_new();
    if (!st) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    m->priv = st;
    int rc = ckpt__kx_open_h5(st, path, path, -1, err);
    if (rc) return rc;
    hid_t f = st->h5[0];
    const char *rootpath = NULL;
    if (has_group(f, "model_weights")) rootpath = "model_weights";
    else if (attr_exists(f, "layer_names")) rootpath = "";
    else if (has_group(f, "layers") || has_group(f, "_layer_checkpoint_dependencies") || has_group(f, "vars")) {
        /* Keras 3 layout in a plain .h5 name */
        ckpt__kx_free(st);
        m->priv = NULL;
        m->fmt = &ckpt_fmt_keras_weights;
        return ckpt__kx_open_k3_h5(m, path, err);
    } else {
        ckpt_err_set(err, CKPT_E_FORMAT,
                     "HDF5 file holds no Keras weights (no model_weights group, layer_names attribute or Keras 3 layers group)");
        ckpt_err_at_path(err, path);
        return CKPT_E_FORMAT;
    }
    uint64_t sz = ckpt__kx_size(st, 0, path);
    if (sz != UINT64_MAX && ckpt__model_add_file(m, path, sz, err) < 0) return err->code;

    hid_t root = rootpath[0] ? H5Gopen2(f, rootpath, H5P_DEFAULT) : H5Gopen2(f, "/", H5P_DEFAULT);
    if (root < 0) return ckpt_h5_fail(err, CKPT_E_FORMAT, path, rootpath, "cannot open weights group");
    /* metadata: root first, else the weights group */
    static const char *const keys[] = {"keras_version", "backend"};
    for (int i = 0; i < 2 && !rc; i++) {
        if (H5Aexists(f, keys[i]) > 0) rc = add_meta_attr(m, f, keys[i], err);
        else if (H5Aexists(root, keys[i]) > 0) rc = add_meta_attr(m, root, keys[i], err);
        H5Eclear2(H5E_DEFAULT);
    }
    char *cfg = rc ? NULL : ckpt_h5_attr_str(f, "model_config", err);
    char *tcfg = rc ? NULL : ckpt_h5_attr_str(f, "training_config", err);
    if (!rc && err->code) rc = err->code;
    if (!rc && tcfg) rc = ckpt__model_add_meta(m, "training_config", tcfg, err);
    char *from = NULL;
    if (!rc && !cfg) {
        cfg = sibling_config(path, &from);
        if (from) rc = ckpt__model_add_meta(m, "config_file", from, err);
    }
    if (!rc && cfg) {
        rc = ckpt__model_set_config(m, cfg, err);
        if (!rc) {
            ckpt_err e2;
            ckpt_err_clear(&e2);
            if (ckpt__kc_parse(cfg, strlen(cfg), &st->km, &e2) == 0) st->have_km = 1;
            else if (!from) {
                rc = ckpt_err_set(err, CKPT_E_FORMAT, "model_config attribute: %s", e2.msg);
                ckpt_err_at_path(err, path);
            }
        }
    }
    free(cfg);
    free(tcfg);
    free(from);
    if (!rc) rc = read_layers(m, st, root, rootpath, err);
    H5Gclose(root);
    if (!rc) rc = read_optimizer(m, st, f, err);
    if (!rc) rc = ckpt__kx_finish(m, st, err);
    return rc;
}

static void kh5_close(ckpt_model *m)
{
    ckpt__kx_free(m->priv);
    m->priv = NULL;
}

static const ckpt_magic h5_magics[] = {CKPT_MAGIC("\x89HDF\r\n\x1a\n"), {NULL, 0}};

/* A JSON file with class_name and config: a Keras model config saved
 * apart from its weights (model.to_json()). */
static const char *config_part(const char *path, const unsigned char *head, size_t n, char *buf, size_t bn)
{
    size_t i = 0;
    while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t')) i++;
    if (i >= n || head[i] != '{') return NULL;
    char *js = ckpt__read_head(path, 16384);
    int keras = js && strstr(js, "\"class_name\"") && strstr(js, "\"config\"");
    free(js);
    if (!keras) return NULL;
    snprintf(buf, bn, "a Keras model config (architecture only, no weights): open the weights file saved "
                      "with it; ckpt reads a config beside the .h5 by itself");
    return buf;
}

const ckpt_format ckpt_fmt_keras_h5 = {
    .name = "keras-h5",
    .desc = "Keras 2 / tf.keras HDF5 (full model or weights-only)",
    .exts = ".h5 .hdf5 .keras.h5",
    .flags = CKPT_FMT_READ | CKPT_FMT_SANDBOX,
    .probe = probe,
    .magics = h5_magics,
    .part_of = config_part,
    .open = kh5_open,
    .read = ckpt__kx_read,
    .fence = ckpt__kx_fence,
    .raw_span = ckpt__kx_raw_span,
    .close = kh5_close,
    .check = ckpt__kx_check,
    .name_as = ckpt__kx_name_as,
    .namings = ckpt__kx_namings,
    .hub_files = "tf_model.h5=62 *.h5=55 *.hdf5=55",
    .remote_ranges = "*.h5 *.hdf5",
    .companions = "config.json *.json",
};
