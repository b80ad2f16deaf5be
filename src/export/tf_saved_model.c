/* src/export/tf_saved_model.c: `--to tf-saved-model`: a directory with
 * saved_model.pb (a SavedModel holding one MetaGraphDef: the graph
 * tf_graph.c builds, meta_info_def.tags and one SignatureDef) and an empty
 * variables/ (the weights are Const nodes, as tfjs-to-tf writes them).
 *
 * The signature comes from model.json's "signature" when it has one, else
 * from the graph: its Placeholders in, the nodes nothing consumes out.
 * --outputs replaces the outputs, --rename OLD:NEW renames keys,
 * --signature-key, --method-name and --saved-model-tags as tfjs-to-tf. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/pbjson.h"
#include "export/tf_graph.h"
#include "tensorflow/core/protobuf/saved_model.pb-c.h"

/* inputs and outputs entries have one layout (key, TensorInfo), each its own descriptor */
typedef Tensorflow__SignatureDef__InputsEntry sig_entry;
#define IN_D (&tensorflow__signature_def__inputs_entry__descriptor)
#define OUT_D (&tensorflow__signature_def__outputs_entry__descriptor)

static int nomem(ckpt_err *err) { return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }

static int add_info(sig_entry ***arr, size_t *n, const ProtobufCMessageDescriptor *d, const tf_graph *g,
                    const char *key, const char *tensor, ckpt_err *err)
{
    sig_entry **na = realloc(*arr, (*n + 1) * sizeof *na);
    if (!na) return nomem(err);
    *arr = na;
    sig_entry *e = (sig_entry *)ckpt__pb_new(d);
    Tensorflow__TensorInfo *ti = (Tensorflow__TensorInfo *)ckpt__pb_new(&tensorflow__tensor_info__descriptor);
    char *k = ckpt__strdup(key);
    char *t = strchr(tensor, ':') ? ckpt__strdup(tensor) : ckpt__asprintf("%s:0", tensor);
    if (!e || !ti || !k || !t) { free(e); free(ti); free(k); free(t); return nomem(err); }
    ti->encoding_case = TENSORFLOW__TENSOR_INFO__ENCODING_NAME;
    ti->name = t;
    char node[512];
    snprintf(node, sizeof node, "%.*s", (int)strcspn(tensor, ":"), tensor);
    int nd = ckpt__tfg_find(g, node);
    if (nd >= 0) {
        ti->dtype = ckpt__tfg_out_dtype(g->node[nd]);
        const Tensorflow__AttrValue *sh = ckpt__tfg_attr(g->node[nd], "shape");
        if (sh && sh->value_case == TENSORFLOW__ATTR_VALUE__VALUE_SHAPE && sh->shape) {
            size_t len = protobuf_c_message_get_packed_size(&sh->shape->base);
            unsigned char *b = malloc(len ? len : 1);
            if (b) {
                protobuf_c_message_pack(&sh->shape->base, b);
                ti->tensor_shape = tensorflow__tensor_shape_proto__unpack(NULL, len, b);
                free(b);
            }
        }
    }
    e->key = k;
    e->value = ti;
    (*arr)[(*n)++] = e;
    return 0;
}

/* No signature in model.json: Placeholders in, unconsumed nodes out. */
static int sig_from_graph(Tensorflow__SignatureDef *s, const tf_graph *g, ckpt_err *err)
{
    unsigned char *used = calloc((size_t)g->nnode + 1, 1);
    if (!used) return nomem(err);
    for (int k = 0; k < g->nnode; k++)
        for (size_t i = 0; g->keep[k] && i < g->node[k]->n_input; i++) {
            const char *in = g->node[k]->input[i] + (g->node[k]->input[i][0] == '^');
            char name[512];
            snprintf(name, sizeof name, "%.*s", (int)strcspn(in, ":"), in);
            int j = ckpt__tfg_find(g, name);
            if (j >= 0) used[j] = 1;
        }
    int rc = 0;
    for (int k = 0; k < g->nnode && !rc; k++) {
        const char *op = g->node[k]->op;
        if (!g->keep[k]) continue;
        if (!strcmp(op, "Placeholder")) rc = add_info((sig_entry ***)&s->inputs, &s->n_inputs, IN_D, g, g->node[k]->name, g->node[k]->name, err);
        else if (!used[k] && strcmp(op, "Const") && strcmp(op, "NoOp"))
            rc = add_info((sig_entry ***)&s->outputs, &s->n_outputs, OUT_D, g, g->node[k]->name, g->node[k]->name, err);
    }
    free(used);
    return rc;
}

static void free_entries(sig_entry **a, size_t n)
{
    for (size_t i = 0; i < n; i++) protobuf_c_message_free_unpacked(&a[i]->base, NULL);
    free(a);
}

/* --rename OLD:NEW,...: signature keys (inputs or outputs). */
static int rename_keys(Tensorflow__SignatureDef *s, const char *spec, ckpt_err *err)
{
    char *list = ckpt__strdup(spec);
    if (!list) return nomem(err);
    int rc = 0;
    for (char *save = NULL, *r = strtok_r(list, ",", &save); r && !rc; r = strtok_r(NULL, ",", &save)) {
        char *c = strchr(r, ':');
        if (!c || c == r || !c[1]) { rc = ckpt_err_set(err, CKPT_E_USAGE, "--rename wants OLD:NEW (signature keys), got '%.100s'", r); break; }
        *c = 0;
        int found = 0;
        sig_entry **arrs[2] = {(sig_entry **)s->inputs, (sig_entry **)s->outputs};
        size_t ns[2] = {s->n_inputs, s->n_outputs};
        for (int a = 0; a < 2; a++)
            for (size_t i = 0; i < ns[a]; i++)
                if (!strcmp(arrs[a][i]->key, r)) {
                    char *nk = ckpt__strdup(c + 1);
                    if (!nk) { rc = nomem(err); break; }
                    free(arrs[a][i]->key);
                    arrs[a][i]->key = nk;
                    found = 1;
                }
        if (!rc && !found) rc = ckpt_err_set(err, CKPT_E_USAGE, "--rename: the signature has no input or output '%.100s'", r);
    }
    free(list);
    return rc;
}

/* The renames: --rename values (the writer declares "rename", so the
 * engine leaves them to it) joined with ','. */
static char *renames(const ckpt_convert_opts *o)
{
    const char *kv = ckpt__opt(o, "rename");
    char *s = ckpt__strdup(kv ? kv : "");
    for (int i = 0; s && i < o->nrenames; i++) {
        char *n = ckpt__asprintf("%s%s%s", s, *s ? "," : "", o->renames[i]);
        free(s);
        s = n;
    }
    return s;
}

static Tensorflow__SignatureDef *build_signature(ckpt_writer *w, const tf_graph *g, ckpt_err *err)
{
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(g->root, "signature");
    Tensorflow__SignatureDef *s = (Tensorflow__SignatureDef *)ckpt__pbjson_new(
        &tensorflow__signature_def__descriptor, cJSON_IsObject(js) ? js : NULL, "signature", err);
    if (!s) return NULL;
    int rc = 0;
    const char *outs = ckpt__opt(w->opts, "outputs");
    if (!cJSON_IsObject(js)) rc = sig_from_graph(s, g, err);
    if (!rc && outs) {
        free_entries((sig_entry **)s->outputs, s->n_outputs);
        s->outputs = NULL;
        s->n_outputs = 0;
        char *list = ckpt__strdup(outs);
        if (!list) rc = nomem(err);
        for (char *save = NULL, *o = list ? strtok_r(list, ",", &save) : NULL; o && !rc; o = strtok_r(NULL, ",", &save)) {
            char key[512];
            snprintf(key, sizeof key, "%.*s", (int)strcspn(o, ":"), o);
            rc = add_info((sig_entry ***)&s->outputs, &s->n_outputs, OUT_D, g, key, o, err);
        }
        free(list);
    }
    char *rn = rc ? NULL : renames(w->opts);
    if (!rc && !rn) rc = nomem(err);
    if (!rc && *rn) rc = rename_keys(s, rn, err);
    free(rn);
    const char *mn = ckpt__opt(w->opts, "method-name");
    if (!rc && (mn || !*s->method_name)) {
        char *m = ckpt__strdup(mn ? mn : "tensorflow/serving/predict");
        if (!m) rc = nomem(err);
        else {
            if (s->method_name != (char *)protobuf_c_empty_string) free(s->method_name);
            s->method_name = m;
        }
    }
    if (rc) { protobuf_c_message_free_unpacked(&s->base, NULL); return NULL; }
    return s;
}

/* The MetaGraphDef without its graph_def: tags and the signature. */
static Tensorflow__MetaGraphDef *build_meta(ckpt_writer *w, const tf_graph *g, ckpt_err *err)
{
    Tensorflow__MetaGraphDef *mg = (Tensorflow__MetaGraphDef *)ckpt__pb_new(&tensorflow__meta_graph_def__descriptor);
    Tensorflow__MetaGraphDef__MetaInfoDef *mi = (Tensorflow__MetaGraphDef__MetaInfoDef *)ckpt__pb_new(
        &tensorflow__meta_graph_def__meta_info_def__descriptor);
    Tensorflow__MetaGraphDef__SignatureDefEntry *se = (Tensorflow__MetaGraphDef__SignatureDefEntry *)ckpt__pb_new(
        &tensorflow__meta_graph_def__signature_def_entry__descriptor);
    const char *key = ckpt__opt(w->opts, "signature-key");
    const char *tags = ckpt__opt(w->opts, "saved-model-tags");
    char *tl = ckpt__strdup(tags ? tags : "serve");
    if (mg) mg->meta_info_def = mi;
    if (mg && se) { mg->signature_def = calloc(1, sizeof *mg->signature_def); }
    if (!mg || !mi || !se || !tl || !mg->signature_def || !(se->key = ckpt__strdup(key ? key : "serving_default"))) {
        free(tl);
        if (se && !se->key) se->key = (char *)protobuf_c_empty_string;
        if (se) protobuf_c_message_free_unpacked(&se->base, NULL);
        if (mg) protobuf_c_message_free_unpacked(&mg->base, NULL);
        else free(mi);
        return nomem(err), NULL;
    }
    mg->signature_def[mg->n_signature_def++] = se;
    int rc = 0;
    for (char *save = NULL, *t = strtok_r(tl, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
        char **nt = realloc(mi->tags, (mi->n_tags + 1) * sizeof *nt);
        if (!nt || !(nt[mi->n_tags] = ckpt__strdup(t))) { if (nt) mi->tags = nt; rc = nomem(err); break; }
        mi->tags = nt;
        mi->n_tags++;
    }
    free(tl);
    if (!rc && !(se->value = build_signature(w, g, err))) rc = err->code;
    if (rc) { protobuf_c_message_free_unpacked(&mg->base, NULL); return NULL; }
    return mg;
}

static int sm_can_write(const ckpt_model *m, char *why, size_t n) { return ckpt__tfg_can_write(m, "tf-saved-model", why, n); }

/* SavedModel{1: schema 1, 2: MetaGraphDef{meta, 2: GraphDef}}: everything
 * up to the graph's weights is written here; they stream after it. */
static int sm_begin(ckpt_writer *w, ckpt_err *err)
{
    tf_graph *g = calloc(1, sizeof *g);
    if (!g) return nomem(err);
    w->priv = g;
    int rc = ckpt__tfg_build(w, g, err);
    if (!rc) rc = ckpt__tfg_pack(g, w->plan, err);
    Tensorflow__MetaGraphDef *mg = rc ? NULL : build_meta(w, g, err);
    if (!mg) return rc ? rc : (int)err->code;
    size_t ml = protobuf_c_message_get_packed_size(&mg->base);
    unsigned char *mb = malloc(ml ? ml : 1);
    char *pb = ckpt__path_join(w->opts->out, "saved_model.pb"), *vars = ckpt__path_join(w->opts->out, "variables");
    if (!mb || !pb || !vars) rc = nomem(err);
    else protobuf_c_message_pack(&mg->base, mb);
    protobuf_c_message_free_unpacked(&mg->base, NULL);
    uint64_t mgd = ml + 1 + ckpt__pb_varint(g->total, NULL) + g->total;
    unsigned char hd[40], *q = hd;
    *q++ = 0x08; *q++ = 0x01;                                 /* saved_model_schema_version = 1 */
    *q++ = 0x12; q += ckpt__pb_varint(mgd, q);                /* meta_graphs */
    unsigned char gh[12], *r = gh;
    *r++ = 0x12; r += ckpt__pb_varint(g->total, r);           /* MetaGraphDef.graph_def */
    if (!rc && (g->fd = ckpt_txn_create(w->txn, pb, err)) < 0) rc = err->code;
    if (!rc && ckpt_txn_mkdir(w->txn, vars, err)) rc = err->code;
    if (!rc && (ckpt__write_full(g->fd, hd, (size_t)(q - hd)) || ckpt__write_full(g->fd, mb, ml) ||
                ckpt__write_full(g->fd, gh, (size_t)(r - gh)) || ckpt__write_full(g->fd, g->body, g->bodylen)))
        rc = ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write the SavedModel");
    if (!rc) {
        w->res->nfiles = 1;
        snprintf(w->res->main_path, sizeof w->res->main_path, "%s", w->opts->out);
    }
    free(mb);
    free(pb);
    free(vars);
    return rc;
}

const ckpt_format ckpt_fmt_tf_saved_model = {
    .name = "tf-saved-model",
    .desc = "TensorFlow SavedModel directory (saved_model.pb + variables/; from TF.js graph models; write only)",
    .exts = "",
    .flags = CKPT_FMT_WRITE,
    .can_write = sm_can_write,
    .write_begin = sm_begin,
    .write = ckpt__tfg_w_write,
    .write_end = ckpt__tfg_w_end,
    .write_abort = ckpt__tfg_w_abort,
    .opts = "outputs signature-key method-name rename saved-model-tags compat-mode",
};
