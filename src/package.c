/* src/package.c: `convert --package zip`: one zip holding the converted
 * weights (written by the --to format's own writer), config.json (the
 * source architecture plus metadata: source file, keras_version, parameter
 * count, input/output shapes, number of classes, model type), labels.txt
 * when labels are given (--labels) or found beside the model (labels.txt,
 * classes.txt, labels.json), and a README.md on loading the weights with
 * the naming used.
 *
 * The inner writer works in a private transaction whose files are never
 * renamed into place: the zip is built from their temporary copies (which
 * the Ctrl-C handler removes like any other), then they are discarded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include <cJSON.h>

#include "internal.h"
#include "json_pretty.h"
#include "zip_out.h"

typedef struct pkg {
    const ckpt_format *inner;
    ckpt_writer iw;
    ckpt_convert_opts io;
    ckpt_convert_result ires;
    char *inner_out;
    char *outdir;
    int zip_fd;     /* the archive's txn descriptor */
} pkg;

static const char *first_ext(const ckpt_format *f)
{
    static char ext[32];
    const char *e = f->exts ? f->exts : "";
    while (*e == ' ') e++;
    size_t l = strcspn(e, " ");
    if (!l || l >= sizeof ext) return ".bin";
    memcpy(ext, e, l);
    ext[l] = 0;
    return ext;
}

static void pkg_free(pkg *p)
{
    if (!p) return;
    if (p->iw.txn) ckpt_txn_free(p->iw.txn);   /* aborts: removes the inner temporaries */
    free(p->inner_out);
    free(p->outdir);
    free(p);
}

static int pkg_begin(ckpt_writer *w, ckpt_err *err)
{
    const char *how = ckpt__opt(w->opts, "package");
    if (how && strcmp(how, "zip")) return ckpt_err_set(err, CKPT_E_USAGE, "--package supports 'zip' only, got '%s'", how);
    pkg *p = calloc(1, sizeof *p);
    if (!p) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    w->priv = p;
    /* --to package (or a .zip output): safetensors inside; --package zip --to X: X inside */
    const char *to = w->opts->to && strcmp(w->opts->to, "package") ? w->opts->to : "safetensors";
    p->inner = ckpt__format_find(to);
    if (!p->inner || !p->inner->write_begin) return ckpt_err_set(err, CKPT_E_USAGE, "cannot write %s", to);
    const char *mt = ckpt__opt(w->opts, "model-type");
    if (mt && strcmp(mt, "image_classifier") && strcmp(mt, "sound_classifier") && strcmp(mt, "text_classifier"))
        return ckpt_err_set(err, CKPT_E_USAGE, "--model-type wants image_classifier, sound_classifier or text_classifier, got '%s'", mt);
    const char *lab = ckpt__opt(w->opts, "labels");
    if (lab && !ckpt__file_exists(lab)) return ckpt_err_set(err, CKPT_E_NOTFOUND, "labels file '%s' not found", lab);
    /* the archive itself */
    int fd = ckpt_txn_create(w->txn, w->opts->out, err);
    if (fd < 0) return err->code;
    p->zip_fd = fd;
    /* the weights are model.EXT whatever the zip is called, as S0's packages
     * (sharded: model-0000K-of-0000N.EXT and model.EXT.index.json) */
    p->outdir = ckpt__path_dirname(w->opts->out);
    const char *ext = first_ext(p->inner);   /* ".safetensors", or a whole name ("model.json") */
    p->inner_out = ckpt__asprintf("%s/%s%s", p->outdir ? p->outdir : ".", ext[0] == '.' ? "model" : "", ext);
    if (!p->outdir || !p->inner_out) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    p->io = *w->opts;
    p->io.out = p->inner_out;
    p->iw = *w;
    p->iw.fmt = p->inner;
    p->iw.opts = &p->io;
    p->iw.res = &p->ires;
    p->iw.priv = NULL;
    p->iw.txn = ckpt_txn_new();
    if (!p->iw.txn) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if (p->inner->can_write) {
        char why[256] = "";
        if (!p->inner->can_write(w->src, why, sizeof why)) return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "%s", why);
    }
    return p->inner->write_begin(&p->iw, err);
}

static int pkg_write(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err)
{
    pkg *p = w->priv;
    return p->inner->write(&p->iw, i, off, buf, n, err);
}

/* labels: --labels FILE, else labels.txt / classes.txt / labels.json beside the model */
static char *find_labels(ckpt_writer *w, int *count, ckpt_err *err)
{
    *count = 0;
    const char *lab = ckpt__opt(w->opts, "labels");
    char *path = lab ? ckpt__strdup(lab) : NULL;
    if (!path) {
        char *dir = ckpt__path_dirname(w->src->path);
        static const char *const cands[] = {"labels.txt", "classes.txt", "labels.json"};
        for (int i = 0; i < 3 && dir && !path; i++) {
            char *c = ckpt__path_join(dir, cands[i]);
            if (c && ckpt__file_exists(c)) path = c;
            else free(c);
        }
        free(dir);
    }
    if (!path) return NULL;
    char *txt = NULL;
    size_t len = 0;
    if (ckpt_src_slurp(path, 16u << 20, &txt, &len, err)) { free(path); return NULL; }
    char *out = NULL;
    if (ckpt__ends_with(path, ".json")) {
        /* a list of names, or {"0": "cat", ...} / {"cat": 0, ...} */
        cJSON *j = cJSON_ParseWithLength(txt, len);
        size_t cap = len + 64, o = 0;
        out = malloc(cap);
        if (j && out) {
            int n = cJSON_GetArraySize(j);
            for (int i = 0; i < n; i++) {
                const cJSON *e = cJSON_GetArrayItem(j, i);
                const char *s = cJSON_IsString(e) ? e->valuestring : (e && e->string ? e->string : NULL);
                if (!s) continue;
                size_t l = strlen(s);
                if (o + l + 2 > cap) break;
                memcpy(out + o, s, l);
                o += l;
                out[o++] = '\n';
                (*count)++;
            }
            out[o] = 0;
        } else {
            free(out);
            out = NULL;
            ckpt_err_set(err, CKPT_E_FORMAT, "labels file is not a JSON list or object");
            ckpt_err_at_path(err, path);
        }
        cJSON_Delete(j);
        free(txt);
    } else {
        out = txt;
        for (char *q = out; *q; q++)
            if (*q == '\n' && q > out && q[-1] != '\n') (*count)++;
        if (len && out[len - 1] != '\n') (*count)++;
    }
    free(path);
    return out;
}

static int num_from_shape(const char *s)
{
    /* last dimension of "(None, 7)" */
    if (!s) return -1;
    const char *c = strrchr(s, ',');
    if (!c) return -1;
    int v = atoi(c + 1);
    return v > 0 ? v : -1;
}

static char *config_json(ckpt_writer *w, pkg *p, int nlabels)
{
    const ckpt_model *m = w->src;
    cJSON *root = cJSON_CreateObject();
    cJSON *arch = m->config_json ? cJSON_Parse(m->config_json) : NULL;
    if (arch) cJSON_AddItemToObject(root, "architecture", arch);
    else cJSON_AddNullToObject(root, "architecture");
    cJSON *md = cJSON_AddObjectToObject(root, "metadata");
    cJSON_AddStringToObject(md, "source_file", ckpt__path_basename(m->path));
    cJSON_AddStringToObject(md, "source_format", m->fmt ? m->fmt->name : "?");
    const char *kv = ckpt_model_meta_get(m, "keras_version");
    if (kv) cJSON_AddStringToObject(md, "keras_version", kv);
    uint64_t np = 0;
    for (int i = 0; i < w->plan->n; i++) {
        const ckpt_tensor *t = ckpt_model_tensor(m, w->plan->e[i].src);
        if (t && !(t->flags & CKPT_TF_OPTIMIZER)) np += t->nelems;
    }
    cJSON_AddNumberToObject(md, "parameter_count", (double)np);
    const char *in = ckpt_model_fact_get(m, "input_shape"), *out = ckpt_model_fact_get(m, "output_shape");
    if (in) cJSON_AddStringToObject(md, "input_shape", in);
    if (out) cJSON_AddStringToObject(md, "output_shape", out);
    int nc = nlabels > 0 ? nlabels : num_from_shape(out);
    if (nc > 0) cJSON_AddNumberToObject(md, "num_classes", nc);
    const char *mt = ckpt__opt(w->opts, "model-type");
    if (mt) cJSON_AddStringToObject(md, "model_type", mt);
    cJSON_AddStringToObject(md, "weights_format", p->inner->name);
    cJSON_AddStringToObject(md, "weights_file", ckpt__path_basename(p->inner_out));
    cJSON_AddStringToObject(md, "naming", w->opts->naming ? w->opts->naming : "keras");
    cJSON_AddStringToObject(md, "converted_by", "ckpt " CKPT_VERSION);
    char *s = ckpt__json_indent2(root);   /* two-space indent, as Hugging Face configs */
    cJSON_Delete(root);
    return s;
}

static char *readme(ckpt_writer *w, pkg *p, int has_labels)
{
    const char *naming = w->opts->naming ? w->opts->naming : "keras";
    const char *wf = ckpt__path_basename(p->inner_out);
    const char *key = !strcmp(naming, "index") ? "f\"{layer.name}.weight_{i}\"" : "f\"{layer.name}/{v.name}\"";
    char *body = NULL;
    if (!strcmp(p->inner->name, "safetensors")) {
        body = ckpt__asprintf(
            "```python\n"
            "import json, keras\n"
            "from safetensors.numpy import load_file\n\n"
            "cfg = json.load(open(\"config.json\"))\n"
            "model = keras.models.model_from_json(json.dumps(cfg[\"architecture\"]))\n"
            "w = load_file(\"%s\")\n"
            "for layer in model.layers:\n"
            "    if layer.weights:\n"
            "        layer.set_weights([w[%s] for i, v in enumerate(layer.weights)])\n"
            "```\n", wf, key);
    } else if (!strcmp(p->inner->name, "keras")) {
        body = ckpt__asprintf("```python\nimport keras\nmodel = keras.saving.load_model(\"%s\")\n```\n", wf);
    } else {
        body = ckpt__asprintf("```python\nimport keras\nmodel = ...  # the architecture in config.json\nmodel.load_weights(\"%s\")\n```\n", wf);
    }
    char *r = ckpt__asprintf(
        "# %s\n\n"
        "Converted by ckpt %s from `%s` (%s).\n\n"
        "- `%s`: the weights (%s), tensor names in the `%s` scheme: %s\n"
        "- `config.json`: `architecture` is the source model config; `metadata` has the parameter count,\n"
        "  input/output shapes and, for classifiers, the number of classes\n"
        "%s\n"
        "## Loading\n\n%s",
        ckpt__path_basename(w->opts->out), CKPT_VERSION, ckpt__path_basename(w->src->path),
        w->src->fmt ? w->src->fmt->name : "?", wf, p->inner->name, naming,
        !strcmp(naming, "index") ? "`{layer_name}.weight_{i}`, the i-th of `layer.weights` in Keras order"
                                  : "`{layer_name}/{weight_name}` (`dense_1/kernel`, `lstm/recurrent_kernel`)",
        has_labels ? "- `labels.txt`: one class label per line, in output order\n" : "", body ? body : "");
    free(body);
    return r;
}

static int pkg_end(ckpt_writer *w, ckpt_err *err)
{
    pkg *p = w->priv;
    if (p->inner->write_end(&p->iw, err)) return err->code;
    int nlabels = 0;
    char *labels = find_labels(w, &nlabels, err);
    if (err->code) return err->code;
    char *cfg = config_json(w, p, nlabels);
    char *rd = readme(w, p, labels != NULL);
    int rc = 0;
    zip_t *z = (cfg && rd) ? ckpt__zip_open_fd(p->zip_fd, w->opts->out, err) : NULL;
    if (!z) {
        free(cfg); free(rd); free(labels);
        return cfg && rd ? (int)err->code : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    /* the weights first, stored (they do not compress), named relative to the output directory */
    size_t dl = strlen(p->outdir);
    for (int i = 0; i < ckpt_txn_nfiles(p->iw.txn) && !rc; i++) {
        const char *fin = ckpt_txn_file_final(p->iw.txn, i), *tmp = ckpt_txn_file_tmp(p->iw.txn, i);
        const char *rel = (!strncmp(fin, p->outdir, dl) && fin[dl] == '/') ? fin + dl + 1 : ckpt__path_basename(fin);
        zip_source_t *s = zip_source_file(z, tmp, 0, -1);
        if ((s ? ckpt__zip_add(z, rel, s, 1) : -1) < 0) {
            if (s) zip_source_free(s);
            rc = ckpt_err_set(err, CKPT_E_IO, "cannot add %s to the zip: %s", rel, zip_strerror(z));
        }
    }
    if (!rc) rc = ckpt__zip_add_buf(z, "config.json", cfg, 0, err);
    else free(cfg);
    if (!rc && labels) rc = ckpt__zip_add_buf(z, "labels.txt", labels, 0, err);
    else free(labels);
    if (!rc) rc = ckpt__zip_add_buf(z, "README.md", rd, 0, err);
    else free(rd);
    if (!rc && zip_close(z) < 0) {
        rc = ckpt_err_set(err, CKPT_E_IO, "cannot write the zip: %s", zip_strerror(z));
        ckpt_err_at_path(err, w->opts->out);
        zip_discard(z);
    } else if (rc) {
        zip_discard(z);
    }
    if (!rc) {
        w->res->nfiles = 1;
        snprintf(w->res->main_path, sizeof w->res->main_path, "%s", w->opts->out);
        pkg_free(p);   /* drops the inner temporaries */
        w->priv = NULL;
    }
    return rc;
}

static void pkg_abort(ckpt_writer *w)
{
    pkg *p = w->priv;
    if (!p) return;
    if (p->inner && p->inner->write_abort && p->iw.txn) p->inner->write_abort(&p->iw);
    pkg_free(p);
    w->priv = NULL;
}

static int pkg_can_write(const ckpt_model *m, char *why, size_t n)
{
    return ckpt_format_can_write("safetensors", m, why, n);
}

/* In the registry (format.c): `--to package` or a .zip output packages
 * safetensors; `--package zip --to X` (convert.c) wraps the X writer. */
const ckpt_format ckpt_fmt_package = {
    .name = "package",
    .desc = "zip package as S0 makes it: model.safetensors (or --to's weights), config.json, labels.txt, README.md",
    .exts = ".zip",
    .dir_file = "model.zip",
    .flags = CKPT_FMT_WRITE | CKPT_FMT_WRAP,
    .can_write = pkg_can_write,
    .write_begin = pkg_begin,
    .write = pkg_write,
    .write_end = pkg_end,
    .write_abort = pkg_abort,
    .opts = "package labels model-type",
};
