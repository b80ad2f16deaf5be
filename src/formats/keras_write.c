/* src/keras_write.c: writing Keras 3 files from Keras inputs.
 *
 * --to keras-weights: a Keras 3 `.weights.h5` (H5IOStore layout: every
 * variable at <object path>/vars/<i>, object paths after layer classes, each
 * vars group carrying attr `name` = the layer's real name, as Keras >= 3.6).
 * --to keras: a `.keras` zip (metadata.json, config.json, model.weights.h5,
 * all stored, in Keras' order). The Keras 3 path of every tensor comes from
 * the source's config (keras_config.c), so a legacy h5 is upgraded with its
 * weights where Keras 3 looks for them.
 *
 * libhdf5 writes to a path: for keras-weights that is the transaction's
 * temporary file; for the zip, model.weights.h5 is built in an anonymous
 * temporary file (named only for the instant of H5Fcreate) and streamed into
 * the zip, which libzip writes at the transaction's temporary path. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "h5util.h"
#include "keras.h"
#include "keras_zip.h"
#include "zip_out.h"

typedef struct kw {
    hid_t f;
    hid_t d, mt;          /* the dataset being written */
    int cur;              /* plan entry of d */
    const char *shown;    /* the output, for errors */
    int zip_fd;           /* zip: the archive's txn descriptor */
    ckpt_txn *inner;      /* zip: the never-committed txn holding model.weights.h5 */
    int anon_fd;          /* zip: its descriptor */
    char **paths;         /* Keras 3 path of each plan entry */
    int n;
    int plan_named;       /* the plan's names are the paths (ckpt__kw_h5_begin_at) */
} kw;

static int is_keras_model(const ckpt_model *m)
{
    return m->fmt == &ckpt_fmt_keras_h5 || m->fmt == &ckpt_fmt_keras || m->fmt == &ckpt_fmt_keras_weights;
}

static int can_write_weights(const ckpt_model *m, char *why, size_t n)
{
    if (!is_keras_model(m) || !m->priv) {
        snprintf(why, n, "Keras 3 weights are written from Keras inputs only (Keras 3 paths follow the layer classes of a Keras config)");
        return 0;
    }
    for (int t = 0; t < m->ntensors; t++) {
        if (m->tensors[t].flags & CKPT_TF_OPTIMIZER) continue;
        char *p = ckpt__kx_k3_path(m, t);
        if (!p) {
            snprintf(why, n, "no Keras 3 place for '%s': the input needs a model config naming its layer (none found, or the layer is not in it)",
                     m->tensors[t].name);
            return 0;
        }
        free(p);
    }
    return 1;
}

static int can_write_keras(const ckpt_model *m, char *why, size_t n)
{
    if (!can_write_weights(m, why, n)) return 0;
    if (!m->config_json) {
        snprintf(why, n, "a .keras archive needs the model config (config.json): this input has none; try --to keras-weights");
        return 0;
    }
    return 1;
}

/* libhdf5 writes the txn's file `fd` through a pid-tagged name (it cannot
 * open /proc/self/fd/N). A file to be committed keeps that name until the
 * commit renames it (a file once named cannot be linked again); a scratch
 * file (`scratch`) loses it as soon as libhdf5 holds it open. */
static hid_t create_h5(ckpt_txn *txn, int fd, int scratch, const char *shown, ckpt_err *err)
{
    const char *path = ckpt_txn_name_brief(txn, fd);
    if (!path) return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot name the output for libhdf5"), ckpt_err_at_path(err, shown), -1;
    ckpt_h5_init();
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_file_locking(fapl, 0, 1);
    /* closing the file closes whatever is still open in it, so an error
     * path cannot leave ids for libhdf5's exit handler to flush */
    H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    hid_t fcpl = ckpt_h5_ocpl(H5P_FILE_CREATE);   /* the root group: no timestamps */
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl);
    if (f < 0) ckpt_h5_fail(err, CKPT_E_IO, shown, NULL, "cannot create HDF5 file");
    H5Pclose(fcpl);
    H5Pclose(fapl);
    if (scratch) ckpt_txn_unname(txn, fd);
    return f;
}

static int plan_paths(ckpt_writer *w, kw *s, ckpt_err *err)
{
    s->n = w->plan->n;
    s->paths = calloc((size_t)s->n + 1, sizeof *s->paths);
    if (!s->paths) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    for (int i = 0; i < s->n; i++) {
        const ckpt_plan_entry *e = &w->plan->e[i];
        if (e->xf) return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "--map transforms do not apply to the Keras 3 layout (tensor '%s')", e->name);
        s->paths[i] = ckpt__kx_k3_path(w->src, e->src);
        if (!s->paths[i]) {
            const ckpt_tensor *t = ckpt_model_tensor(w->src, e->src);
            return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "no Keras 3 place for '%s'%s", t ? t->name : e->name,
                                t && (t->flags & CKPT_TF_OPTIMIZER) ? " (legacy optimizer state: drop --include-optimizer)" : "");
        }
    }
    return 0;
}

static void kw_free(kw *s)
{
    if (!s) return;
    if (s->d >= 0) H5Dclose(s->d);
    if (s->mt >= 0) H5Tclose(s->mt);
    /* after a write error this close fails (its flush does) and libhdf5
     * keeps the file: closing it again, or its exit handler doing so,
     * crashes in H5F__close_cb (1.10), hence H5dont_atexit in ckpt_h5_init */
    if (s->f >= 0) H5Fclose(s->f);
    H5Eclear2(H5E_DEFAULT);
    ckpt_txn_free(s->inner);
    for (int i = 0; i < s->n; i++) free(s->paths[i]);
    free(s->paths);
    free(s);
}

static kw *kw_new(void)
{
    kw *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->f = s->d = s->mt = -1;
    s->cur = -1;
    s->anon_fd = -1;
    s->zip_fd = -1;
    return s;
}

static int weights_begin(ckpt_writer *w, ckpt_err *err)
{
    /* the writer makes one .weights.h5; Keras 3's sharded form (a
     * .weights.json index and its shards) is read, not written */
    if (w->opts->shard_size)
        return ckpt_err_set(err, CKPT_E_USAGE, "keras-weights output is one .weights.h5 file: --shard-size is not supported "
                                               "(Keras 3 loads an unsharded .weights.h5 of any size)");
    if (w->opts->out && ckpt__ends_with(w->opts->out, ".json"))
        return ckpt_err_set(err, CKPT_E_USAGE, "%s: keras-weights output is one HDF5 file: name it NAME.weights.h5 "
                                               "(ckpt does not write the sharded .weights.json form)", w->opts->out);
    kw *s = kw_new();
    if (!s) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    w->priv = s;
    s->shown = w->opts->out;
    if (plan_paths(w, s, err)) return err->code;
    int fd = ckpt_txn_create(w->txn, w->opts->out, err);
    if (fd < 0) return err->code;
    s->f = create_h5(w->txn, fd, 0, w->opts->out, err);
    if (s->f < 0) return err->code;
    w->res->nfiles = 1;
    snprintf(w->res->main_path, sizeof w->res->main_path, "%s", w->opts->out);
    return 0;
}

/* Create the missing groups above `path` (without timestamps). */
static int ensure_parents(hid_t f, const char *path)
{
    char *p = ckpt__strdup(path);
    if (!p) return -1;
    int rc = 0;
    hid_t gcpl = ckpt_h5_ocpl(H5P_GROUP_CREATE);
    for (char *q = strchr(p + 1, '/'); q && rc == 0; q = strchr(q + 1, '/')) {
        *q = 0;
        if (H5Lexists(f, p, H5P_DEFAULT) <= 0) {
            H5Eclear2(H5E_DEFAULT);
            hid_t g = H5Gcreate2(f, p, H5P_DEFAULT, gcpl, H5P_DEFAULT);
            if (g >= 0) H5Gclose(g);
            else rc = -1;
        }
        *q = '/';
    }
    H5Pclose(gcpl);
    free(p);
    return rc;
}

static int close_cur(kw *s, ckpt_err *err)
{
    int rc = 0;
    if (s->d >= 0 && H5Dclose(s->d) < 0) {
        rc = ckpt_h5_fail(err, CKPT_E_IO, s->shown, NULL, "cannot close dataset");
        H5Eclear2(H5E_DEFAULT);
    }
    if (s->mt >= 0) H5Tclose(s->mt);
    s->d = s->mt = -1;
    return rc;
}

static int kw_write(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err)
{
    kw *s = w->priv;
    const ckpt_plan_entry *e = &w->plan->e[i];
    if (i != s->cur) {
        if (close_cur(s, err)) return err->code;
        s->cur = i;
        hid_t t = ckpt_h5_type_for(e->dtype);
        if (t < 0) return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "dtype %s cannot be stored in HDF5", ckpt_dtype_name(e->dtype));
        hsize_t dims[CKPT_MAX_DIMS];
        for (int k = 0; k < e->ndim; k++) dims[k] = (hsize_t)e->shape[k];
        hid_t sp = e->ndim ? H5Screate_simple(e->ndim, dims, NULL) : H5Screate(H5S_SCALAR);
        hid_t dcpl = ckpt_h5_ocpl(H5P_DATASET_CREATE);
        s->d = ensure_parents(s->f, s->paths[i]) < 0 ? -1
               : H5Dcreate2(s->f, s->paths[i], t, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        int bad = s->d < 0;
        if (bad) ckpt_h5_fail(err, CKPT_E_IO, s->shown, s->paths[i], "cannot create dataset");
        H5Pclose(dcpl);
        H5Sclose(sp);
        s->mt = t;
        if (bad) return err->code;
        if (e->dtype == CKPT_BF16 || e->dtype == CKPT_F8_E4M3 || e->dtype == CKPT_F8_E5M2)
            ckpt_h5_set_attr_str(s->d, "dtype", e->dtype == CKPT_BF16 ? "bfloat16" : e->dtype == CKPT_F8_E4M3 ? "float8_e4m3fn" : "float8_e5m2");
    }
    int rc = ckpt_h5_write_range(s->d, s->mt, e->ndim, e->shape, ckpt_dtype_size(e->dtype), off, buf, n, err);
    if (rc) ckpt_err_at_tensor(err, s->paths[i]);
    return rc;
}

/* The group at `path`, created with its parents if missing. */
static hid_t ensure_group(hid_t f, const char *path)
{
    if (H5Lexists(f, path, H5P_DEFAULT) > 0) return H5Gopen2(f, path, H5P_DEFAULT);
    H5Eclear2(H5E_DEFAULT);
    if (ensure_parents(f, path) < 0) return -1;
    hid_t gcpl = ckpt_h5_ocpl(H5P_GROUP_CREATE);
    hid_t g = H5Gcreate2(f, path, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    return g;
}

static void name_vars(hid_t f, const char *obj, const char *name)
{
    char *vp = obj[0] ? ckpt__asprintf("%s/vars", obj) : ckpt__strdup("vars");
    if (!vp) return;
    hid_t g = ensure_group(f, vp);
    if (g >= 0) {
        if (H5Aexists(g, "name") <= 0) ckpt_h5_set_attr_str(g, "name", name);
        H5Gclose(g);
    }
    H5Eclear2(H5E_DEFAULT);
    free(vp);
}

/* vars@name on every layer object, as Keras >= 3.6 writes them (also the
 * empty vars groups of weightless layers and of the model at the root). */
static void name_objects(ckpt_writer *w, kw *s)
{
    const kx_state *st = w->src->priv;
    if (!st || !st->have_km) return;
    for (int i = 0; i < st->km.n; i++) {
        const kc_layer *L = &st->km.L[i];
        if (L->k3path) name_vars(s->f, L->k3path, L->name);
    }
    name_vars(s->f, "", st->km.name);
}

static int weights_end(ckpt_writer *w, ckpt_err *err)
{
    kw *s = w->priv;
    if (close_cur(s, err)) return err->code;
    if (!s->plan_named) name_objects(w, s);
    if (H5Fclose(s->f) < 0) {
        ckpt_h5_fail(err, CKPT_E_IO, s->shown, NULL, "cannot finish HDF5 file");
        H5Eclear2(H5E_DEFAULT);   /* never closed twice: see kw_free */
        s->f = -1;
        return err->code;
    }
    s->f = -1;
    return 0;
}

static void kw_abort(ckpt_writer *w)
{
    kw_free(w->priv);
    w->priv = NULL;
}

static int weights_end_free(ckpt_writer *w, ckpt_err *err)
{
    int rc = weights_end(w, err);
    if (!rc) { kw_free(w->priv); w->priv = NULL; }
    return rc;
}

/* ---- .keras ---- */

/* model.weights.h5 is built in a private transaction that is never
 * committed (so it is as nameless, or as pid-tagged, as any output) and
 * streamed into the zip at the end. */
static int anon_h5(kw *s, const char *out, ckpt_err *err)
{
    char *name = ckpt__asprintf("%s.weights.h5", out);
    s->inner = ckpt_txn_new();
    if (!name || !s->inner) {
        free(name);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    int fd = ckpt_txn_create(s->inner, name, err);
    free(name);
    if (fd < 0) return err->code;
    s->anon_fd = fd;   /* the inner txn's: closed by it */
    s->f = create_h5(s->inner, fd, 1, s->shown, err);
    return s->f < 0 ? err->code : 0;
}

static int keras_begin(ckpt_writer *w, ckpt_err *err)
{
    if (w->opts->shard_size)
        return ckpt_err_set(err, CKPT_E_USAGE, "a .keras archive holds one model.weights.h5: --shard-size is not supported");
    kw *s = kw_new();
    if (!s) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    w->priv = s;
    s->shown = w->opts->out;
    if (!w->src->config_json) return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "no model config to write config.json from");
    if (plan_paths(w, s, err)) return err->code;
    int fd = ckpt_txn_create(w->txn, w->opts->out, err);
    if (fd < 0) return err->code;
    s->zip_fd = fd;
    int rc = anon_h5(s, w->opts->out, err);
    if (rc) return rc;
    w->res->nfiles = 1;
    snprintf(w->res->main_path, sizeof w->res->main_path, "%s", w->opts->out);
    return 0;
}

static char *metadata_json(const ckpt_model *m)
{
    cJSON *o = cJSON_CreateObject();
    const char *kv = ckpt_model_meta_get(m, "keras_version");
    /* the archive is Keras 3: keep a Keras 3 version, else say which we target */
    cJSON_AddStringToObject(o, "keras_version", kv && kv[0] == '3' ? kv : "3.6.0");
    char date[32];
    ckpt__output_date(date, sizeof date);   /* reproducible: not the clock */
    cJSON_AddStringToObject(o, "date_saved", date);
    cJSON_AddStringToObject(o, "converted_by", "ckpt " CKPT_VERSION);
    if (kv && kv[0] != '3') cJSON_AddStringToObject(o, "source_keras_version", kv);
    char *r = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return r;
}

static int keras_end(ckpt_writer *w, ckpt_err *err)
{
    kw *s = w->priv;
    if (weights_end(w, err)) return err->code;
    /* stream the finished HDF5 into the archive */
    int dfd = dup(s->anon_fd);
    FILE *fp = dfd >= 0 ? fdopen(dfd, "rb") : NULL;
    if (!fp) {
        if (dfd >= 0) close(dfd);
        return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot reopen model.weights.h5");
    }
    rewind(fp);
    zip_t *z = ckpt__zip_open_fd(s->zip_fd, s->shown, err);
    if (!z) {
        fclose(fp);
        return err->code;
    }
    char *meta = metadata_json(w->src);
    char *cfg = ckpt__strdup(w->src->config_json);
    int rc = 0;
    /* Keras' order: metadata.json, config.json, model.weights.h5 (zip_add_buf owns the buffer) */
    if (!meta || !cfg) {
        free(meta);
        free(cfg);
        rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    } else {
        rc = ckpt__zip_add_buf(z, "metadata.json", meta, 1, err);
        if (!rc) rc = ckpt__zip_add_buf(z, "config.json", cfg, 1, err);
        else free(cfg);
    }
    zip_source_t *src = rc ? NULL : zip_source_filep(z, fp, 0, -1);   /* owns fp on success */
    if (!src) {
        fclose(fp);
        if (!rc) rc = ckpt_err_set(err, CKPT_E_IO, "cannot read back model.weights.h5: %s", zip_strerror(z));
    } else {
        if (ckpt__zip_add(z, "model.weights.h5", src, 1) < 0) {
            zip_source_free(src);
            rc = ckpt_err_set(err, CKPT_E_IO, "cannot add model.weights.h5 to the zip: %s", zip_strerror(z));
        }
    }
    if (!rc && zip_close(z) < 0) {
        rc = ckpt_err_set(err, CKPT_E_IO, "cannot write the zip: %s", zip_strerror(z));
        ckpt_err_at_path(err, s->shown);
        zip_discard(z);
    } else if (rc) {
        zip_discard(z);
    }
    if (!rc) { kw_free(s); w->priv = NULL; }
    return rc;
}

/* For exporters that name the datasets themselves (kerashub): one HDF5 file
 * at `path` (through the txn), each plan entry at its name, transforms
 * allowed (the converter hands over transformed bytes). */
int ckpt__kw_h5_begin_at(ckpt_writer *w, const char *path, ckpt_err *err)
{
    kw *s = kw_new();
    if (!s) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    w->priv = s;
    s->plan_named = 1;
    s->n = w->plan->n;
    s->paths = calloc((size_t)s->n + 1, sizeof *s->paths);
    if (!s->paths) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    for (int i = 0; i < s->n; i++)
        if (!(s->paths[i] = ckpt__strdup(w->plan->e[i].name))) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    s->shown = path;
    int fd = ckpt_txn_create(w->txn, path, err);
    if (fd < 0) return err->code;
    s->f = create_h5(w->txn, fd, 0, path, err);
    return s->f < 0 ? err->code : 0;
}

int ckpt__kw_can_write_weights(const ckpt_model *m, char *why, size_t n) { return can_write_weights(m, why, n); }
int ckpt__kw_can_write_keras(const ckpt_model *m, char *why, size_t n) { return can_write_keras(m, why, n); }
int ckpt__kw_weights_begin(ckpt_writer *w, ckpt_err *err) { return weights_begin(w, err); }
int ckpt__kw_keras_begin(ckpt_writer *w, ckpt_err *err) { return keras_begin(w, err); }
int ckpt__kw_write_chunk(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err)
{
    return kw_write(w, i, off, buf, n, err);
}
int ckpt__kw_weights_end(ckpt_writer *w, ckpt_err *err) { return weights_end_free(w, err); }
int ckpt__kw_keras_end(ckpt_writer *w, ckpt_err *err) { return keras_end(w, err); }
void ckpt__kw_write_abort(ckpt_writer *w) { kw_abort(w); }
