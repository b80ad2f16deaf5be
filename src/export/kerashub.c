/* src/export/kerashub.c: `--to kerashub`, a KerasHub preset folder from a
 * Hugging Face checkpoint (config.json beside safetensors or PyTorch
 * weights, local or hf://):
 *
 *   config.json          the backbone, as serialize_keras_object writes it
 *   metadata.json        keras / keras_hub versions, parameter count, tasks
 *   model.weights.h5     Keras 3 H5IOStore layout (keras_write.c writes it)
 *   tokenizer.json       the KerasHub tokenizer's config
 *   assets/tokenizer/    vocabulary.json + merges.txt (byte-pair families),
 *                        vocabulary.spm (SentencePiece), vocabulary.txt (WordPiece)
 *
 * The family comes from config.json's model_type (kerashub_family.c). The
 * weights go through the family's remap preset (splits, reshapes,
 * transposes) in the `prepare` hook, which then checks the plan against
 * the backbone's layout: a missing, extra or mis-shaped tensor is named
 * before any byte is written, and each variable gets its HDF5 path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ckpt/remap.h"
#include "export/kerashub.h"
#include "formats/keras.h"
#include "remap_int.h"

/* ---- the source repo's side files ---- */

static char *src_dir(const ckpt_model *m)
{
    if (m->nfiles > 0 && m->files[0].path) return ckpt__path_dirname(m->files[0].path);
    if (m->path && ckpt__is_dir(m->path)) return ckpt__strdup(m->path);
    return m->path ? ckpt__path_dirname(m->path) : NULL;
}

/* path of NAME beside the weights when it exists (malloc'd), else NULL */
static char *side_file(const ckpt_model *m, const char *name)
{
    char *dir = src_dir(m);
    char *p = dir ? ckpt__path_join(dir, name) : NULL;
    free(dir);
    if (!p) return NULL;
    if (!ckpt_path_is_remote(p)) {
        if (ckpt__file_exists(p)) return p;
        free(p);
        return NULL;
    }
    ckpt_src *s = NULL;
    ckpt_err e;
    ckpt_err_clear(&e);
    if (ckpt_src_open(p, &s, &e) == 0) { ckpt_src_close(s); return p; }
    free(p);
    return NULL;
}

static cJSON *hf_config(const ckpt_model *m)
{
    return m->hf_config_json ? cJSON_Parse(m->hf_config_json) : NULL;
}

static const kh_family *family_of(const ckpt_model *m, const cJSON *hf)
{
    char *spm = side_file(m, "tokenizer.model");
    const kh_family *f = ckpt__kh_family_for(hf, spm != NULL);
    free(spm);
    return f;
}

static int why_not(const cJSON *hf, char *why, size_t n)
{
    const cJSON *mt = hf ? cJSON_GetObjectItemCaseSensitive(hf, "model_type") : NULL;
    if (!hf)
        snprintf(why, n, "a KerasHub preset is written from a Hugging Face checkpoint: no config.json beside the weights");
    else
        snprintf(why, n, "KerasHub presets are written for %s; this config.json has model_type '%s'", ckpt__kh_family_list(),
                 cJSON_IsString(mt) ? mt->valuestring : "(none)");
    return 0;
}

static int kh_can_write(const ckpt_model *m, char *why, size_t n)
{
    cJSON *hf = hf_config(m);
    const kh_family *f = hf ? family_of(m, hf) : NULL;
    int ok = f != NULL;
    if (!ok) why_not(hf, why, n);
    cJSON_Delete(hf);
    return ok;
}

/* ---- prepare: the family's rules, then the layout check ---- */

static void shape_str(int nd, const int64_t *s, char *b, size_t n)
{
    size_t o = (size_t)snprintf(b, n, "[");
    for (int i = 0; i < nd && o < n; i++) o += (size_t)snprintf(b + o, n - o, "%s%lld", i ? ", " : "", (long long)s[i]);
    if (o < n) snprintf(b + o, n - o, "]");
}

static void plan_drop(ckpt_plan *p, int i)
{
    free(p->e[i].name);
    if (p->e[i].xf) ckpt__xform_free(p->e[i].xf);
    memmove(&p->e[i], &p->e[i + 1], (size_t)(p->n - i - 1) * sizeof p->e[0]);
    p->n--;
}

static const char *src_name(ckpt_model *m, const ckpt_plan_entry *e)
{
    const ckpt_tensor *t = ckpt_model_tensor(m, e->src);
    return t ? t->name : "?";
}

/* every plan entry at a layout variable of its shape, every variable filled */
static int match_layout(ckpt_model *m, const kh_family *f, const kh_dims *d, ckpt_plan *p, kh_var *v, int nv, ckpt_err *err)
{
    struct ckpt_name_index *ix = ckpt__index_new();
    char *seen = calloc((size_t)nv + 1, 1);
    if (!ix || !seen) { ckpt__index_free(ix); free(seen); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
    int rc = 0;
    for (int i = 0; i < nv && !rc; i++)
        if (ckpt__index_put(ix, v[i].var, i) == -2) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    for (int i = 0; i < p->n && !rc; i++) {
        ckpt_plan_entry *e = &p->e[i];
        int k = ckpt__index_get(ix, e->name);
        if (k < 0 && d->tied && !strcmp(e->name, "token_embedding/reverse_embeddings")) {
            plan_drop(p, i--);   /* a saved lm_head of a tied model: the embedding serves */
            continue;
        }
        char a[96], b[96];
        if (k < 0) {
            rc = ckpt_err_set(err, CKPT_E_FORMAT, "no place for it in KerasHub's %s (preset:%s names it '%s')",
                              f->cls, f->preset, e->name);
        } else if (seen[k]) {
            rc = ckpt_err_set(err, CKPT_E_FORMAT, "maps to KerasHub's %s, as another tensor does", v[k].var);
        } else if (e->ndim != v[k].ndim || memcmp(e->shape, v[k].shape, (size_t)e->ndim * sizeof e->shape[0])) {
            shape_str(e->ndim, e->shape, a, sizeof a);
            shape_str(v[k].ndim, v[k].shape, b, sizeof b);
            rc = ckpt_err_set(err, CKPT_E_FORMAT, "becomes %s %s, but KerasHub's %s for this config.json creates %s",
                              v[k].var, a, f->cls, b);
        } else {
            seen[k] = 1;
        }
        if (rc) ckpt_err_at_tensor(err, src_name(m, e));
    }
    for (int k = 0; k < nv && !rc; k++) {
        if (seen[k]) continue;
        char b[96];
        shape_str(v[k].ndim, v[k].shape, b, sizeof b);
        rc = ckpt_err_set(err, CKPT_E_FORMAT, "missing from the checkpoint: KerasHub's %s needs it for %s %s",
                          f->cls, v[k].var, b);
        ckpt_err_at_tensor(err, v[k].hf ? v[k].hf : v[k].var);
    }
    /* the HDF5 path is the output name */
    for (int i = 0; i < p->n && !rc; i++) {
        int k = ckpt__index_get(ix, p->e[i].name);
        char *h = ckpt__strdup(v[k].h5);
        if (!h) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); break; }
        free(p->e[i].name);
        p->e[i].name = h;
    }
    ckpt__index_free(ix);
    free(seen);
    return rc;
}

static int family_dims(ckpt_model *m, const kh_family **fo, kh_dims *d, ckpt_err *err)
{
    cJSON *hf = hf_config(m);
    const kh_family *f = hf ? family_of(m, hf) : NULL;
    char why[256];
    int rc = 0;
    if (!f) {
        why_not(hf, why, sizeof why);
        rc = ckpt_err_set(err, CKPT_E_UNSUPPORTED, "%s", why);
    } else if (ckpt__kh_dims_from(f, hf, d, why, sizeof why)) {
        rc = ckpt_err_set(err, CKPT_E_FORMAT, "%s", why);
    }
    cJSON_Delete(hf);
    *fo = f;
    return rc;
}

static int kh_prepare(ckpt_model *m, const ckpt_convert_opts *o, ckpt_plan *p, ckpt_err *err)
{
    const kh_family *f;
    kh_dims d;
    if (family_dims(m, &f, &d, err)) return err->code;
    char spec[80];
    snprintf(spec, sizeof spec, "preset:%s", f->preset);
    ckpt_remap *r = NULL;
    int rc = ckpt_remap_load(spec, &r, err);
    if (!rc) rc = ckpt__remap_apply(r, m, p, err);
    ckpt_remap_free(r);
    if (rc) return rc;
    kh_var *v = NULL;
    int nv = 0;
    if (ckpt__kh_layout(f, &d, &v, &nv, err)) return err->code;
    rc = match_layout(m, f, &d, p, v, nv, err);
    ckpt__kh_layout_free(v, nv);
    return rc;
}

/* ---- writing ---- */

typedef struct khw {
    void *kw;                  /* keras_write.c's state for model.weights.h5 */
} khw;

static int write_text(ckpt_writer *w, const char *dir, const char *name, const char *text, ckpt_err *err)
{
    char *path = ckpt__path_join(dir, name);
    if (!path) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    int fd = ckpt_txn_create(w->txn, path, err);
    int rc = fd < 0 ? (int)err->code : 0;
    if (!rc && ckpt__write_full(fd, text, strlen(text)))
        rc = ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write %s", path);
    free(path);
    return rc;
}

/* copy a side file (local or remote) in bounded chunks */
static int copy_file(ckpt_writer *w, const char *from, const char *dir, const char *name, ckpt_err *err)
{
    ckpt_src *s = NULL;
    if (ckpt_src_open(from, &s, err)) return err->code;
    char *path = ckpt__path_join(dir, name);
    unsigned char *buf = malloc(1u << 20);
    int fd = path && buf ? ckpt_txn_create(w->txn, path, err) : -1;
    int rc = !path || !buf ? ckpt_err_set(err, CKPT_E_NOMEM, "out of memory") : fd < 0 ? (int)err->code : 0;
    for (uint64_t off = 0; !rc && off < s->size; ) {
        size_t n = s->size - off < (1u << 20) ? (size_t)(s->size - off) : (1u << 20);
        rc = ckpt_src_pread(s, buf, n, off, err);
        if (!rc && ckpt__write_full(fd, buf, n)) rc = ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write %s", path);
        off += n;
    }
    free(buf);
    free(path);
    ckpt_src_close(s);
    return rc;
}

static cJSON *side_json(const ckpt_model *m, const char *name)
{
    char *p = side_file(m, name);
    char *text = NULL;
    size_t len = 0;
    ckpt_err e;
    ckpt_err_clear(&e);
    cJSON *j = p && !ckpt_src_slurp(p, 16u << 20, &text, &len, &e) ? cJSON_ParseWithLength(text, len) : NULL;
    free(p);
    free(text);
    return j;
}

/* BPE assets: GPT-2's vocab.json + merges.txt as they are, else converted
 * from tokenizer.json */
static int bpe_assets(ckpt_writer *w, const kh_family *f, const char *adir, cJSON **specials, ckpt_err *err)
{
    char *vj = side_file(w->src, "vocab.json"), *mt = side_file(w->src, "merges.txt");
    int rc = 0;
    if (vj && mt && !strcmp(f->name, "gpt2")) {
        rc = copy_file(w, vj, adir, "vocabulary.json", err);
        if (!rc) rc = copy_file(w, mt, adir, "merges.txt", err);
    } else {
        char *tj = side_file(w->src, "tokenizer.json"), *text = NULL, *voc = NULL, *mer = NULL;
        size_t len = 0;
        if (!tj)
            rc = ckpt_err_set(err, CKPT_E_FORMAT, "no tokenizer for KerasHub's %s: the repo has no tokenizer.json%s "
                                                   "(--no-tokenizer writes the backbone alone)",
                              f->tok_cls, !strcmp(f->name, "gpt2") ? " nor vocab.json + merges.txt" : "");
        if (!rc) rc = ckpt_src_slurp(tj, 256u << 20, &text, &len, err);
        int added = strcmp(f->name, "gpt2") != 0;
        if (!rc) rc = ckpt__kh_bpe_from_tokenizer_json(text, len, tj, added, &voc, &mer, specials, err);
        if (!rc) rc = write_text(w, adir, "vocabulary.json", voc, err);
        if (!rc) rc = write_text(w, adir, "merges.txt", mer, err);
        free(tj);
        free(text);
        free(voc);
        free(mer);
    }
    free(vj);
    free(mt);
    return rc;
}

static int tokenizer_files(ckpt_writer *w, const kh_family *f, const char *out, ckpt_err *err)
{
    char *adir = ckpt__path_join(out, "assets/tokenizer");
    if (!adir) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    cJSON *specials = NULL;
    int rc = 0;
    if (f->tok_kind == KH_TOK_BPE) {
        rc = bpe_assets(w, f, adir, &specials, err);
    } else {
        const char *from = f->tok_kind == KH_TOK_SPM ? "tokenizer.model" : "vocab.txt";
        const char *to = f->tok_kind == KH_TOK_SPM ? "vocabulary.spm" : "vocabulary.txt";
        char *p = side_file(w->src, from);
        if (!p) rc = ckpt_err_set(err, CKPT_E_FORMAT, "no tokenizer for KerasHub's %s: the repo has no %s "
                                                      "(--no-tokenizer writes the backbone alone)", f->tok_cls, from);
        else rc = copy_file(w, p, adir, to, err);
        free(p);
    }
    cJSON *tc = rc ? NULL : side_json(w->src, "tokenizer_config.json");
    char *cfg = rc ? NULL : ckpt__kh_tokenizer_config(f, tc, specials);
    if (!rc) rc = cfg ? write_text(w, out, "tokenizer.json", cfg, err) : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    cJSON_Delete(tc);
    cJSON_Delete(specials);
    free(cfg);
    free(adir);
    return rc;
}

static const char *keras_dtype(const ckpt_plan *p)
{
    for (int i = 0; i < p->n; i++) {
        if (p->e[i].dtype == CKPT_BF16) return "bfloat16";
        if (p->e[i].dtype == CKPT_F16) return "float16";
        if (p->e[i].dtype == CKPT_F32) return "float32";
    }
    return "float32";
}

static char *metadata(const kh_family *f, const ckpt_plan *p)
{
    uint64_t params = 0;
    for (int i = 0; i < p->n; i++) params += p->e[i].nbytes / ckpt_dtype_size(p->e[i].dtype);
    cJSON *o = cJSON_CreateObject(), *tasks = cJSON_CreateArray();
    cJSON_AddStringToObject(o, "keras_version", KH_KERAS_VERSION);
    cJSON_AddStringToObject(o, "keras_hub_version", KH_KERAS_HUB_VERSION);
    cJSON_AddNumberToObject(o, "parameter_count", (double)params);
    char date[32];
    ckpt__output_date(date, sizeof date);   /* reproducible: not the clock */
    cJSON_AddStringToObject(o, "date_saved", date);
    for (const char *t = f->tasks; *t; ) {
        size_t l = strcspn(t, ",");
        char *s = ckpt__strndup(t, l);
        cJSON_AddItemToArray(tasks, cJSON_CreateString(s ? s : ""));
        free(s);
        t += l + (t[l] == ',');
    }
    cJSON_AddItemToObject(o, "tasks", tasks);
    cJSON_AddStringToObject(o, "converted_by", "ckpt " CKPT_VERSION);
    char *r = cJSON_Print(o);
    cJSON_Delete(o);
    return r;
}

static int sub_call_begin(ckpt_writer *w, khw *s, const char *path, ckpt_err *err)
{
    ckpt_writer sub = *w;
    sub.priv = NULL;
    int rc = ckpt__kw_h5_begin_at(&sub, path, err);
    s->kw = sub.priv;
    return rc;
}

static int kh_begin(ckpt_writer *w, ckpt_err *err)
{
    if (w->opts->shard_size)
        return ckpt_err_set(err, CKPT_E_USAGE, "a KerasHub preset holds one model.weights.h5: --shard-size is not supported");
    khw *s = calloc(1, sizeof *s);
    if (!s) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    w->priv = s;
    const kh_family *f;
    kh_dims d;
    if (family_dims(w->src, &f, &d, err)) return err->code;
    const char *out = w->opts->out;
    cJSON *hf = hf_config(w->src);
    char *cfg = hf ? ckpt__kh_backbone_config(f, hf, &d, keras_dtype(w->plan)) : NULL;
    char *meta = metadata(f, w->plan);
    cJSON_Delete(hf);
    int rc = cfg && meta ? 0 : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if (!rc) rc = write_text(w, out, "config.json", cfg, err);
    if (!rc) rc = write_text(w, out, "metadata.json", meta, err);
    free(cfg);
    free(meta);
    if (!rc && !ckpt__opt(w->opts, "no-tokenizer")) rc = tokenizer_files(w, f, out, err);
    char *h5 = rc ? NULL : ckpt__path_join(out, "model.weights.h5");
    if (!rc) rc = h5 ? sub_call_begin(w, s, h5, err) : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    free(h5);
    if (!rc) {
        w->res->nfiles = ckpt_txn_nfiles(w->txn);
        snprintf(w->res->main_path, sizeof w->res->main_path, "%s", out);
    }
    return rc;
}

static int kh_write(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err)
{
    khw *s = w->priv;
    ckpt_writer sub = *w;
    sub.priv = s->kw;
    return ckpt__kw_write_chunk(&sub, i, off, buf, n, err);
}

static int kh_end(ckpt_writer *w, ckpt_err *err)
{
    khw *s = w->priv;
    ckpt_writer sub = *w;
    sub.priv = s->kw;
    int rc = ckpt__kw_weights_end(&sub, err);
    s->kw = sub.priv;
    if (!rc) { free(s); w->priv = NULL; }
    return rc;
}

static void kh_abort(ckpt_writer *w)
{
    khw *s = w->priv;
    if (!s) return;
    if (s->kw) {
        ckpt_writer sub = *w;
        sub.priv = s->kw;
        ckpt__kw_write_abort(&sub);
    }
    free(s);
    w->priv = NULL;
}

const ckpt_format ckpt_fmt_kerashub = {
    .name = "kerashub",
    .desc = "KerasHub preset folder (config.json, model.weights.h5, tokenizer) from a Hugging Face checkpoint",
    .exts = "",
    .flags = CKPT_FMT_WRITE,
    .can_write = kh_can_write,
    .prepare = kh_prepare,
    .write_begin = kh_begin,
    .write = kh_write,
    .write_end = kh_end,
    .write_abort = kh_abort,
    .opts = "no-tokenizer!",
};
