/* src/export/tf_graph.c: a TF.js graph model's modelTopology as a
 * TensorFlow GraphDef, its weights folded into the Const nodes.
 *
 * Every node is converted from its JSON form by the descriptor-driven
 * walker (pbjson.c), so unknown ops and attrs carry through. The weights
 * stream: each weight's Const node is framed by hand around its
 * tensor_content (all lengths are known from the plan), so no weight is
 * ever held whole. Output order: the other nodes, versions and library
 * first, then the weights' Const nodes in plan order (GraphDef nodes may
 * come in any order). */
#include "export/tf_graph.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/pbjson.h"
#include "formats/fmt_tfjs.h"

#define MODEL_JSON_MAX (512u << 20)

static int nomem(ckpt_err *err) { return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }

size_t ckpt__pb_varint(uint64_t v, unsigned char *out)
{
    size_t n = 0;
    do {
        unsigned char b = v & 0x7f;
        v >>= 7;
        if (v) b |= 0x80;
        if (out) out[n] = b;
        n++;
    } while (v);
    return n;
}

/* ---- nodes --------------------------------------------------------------- */

int ckpt__tfg_find(const tf_graph *g, const char *name) { return ckpt__index_get(g->ix, name); }

Tensorflow__AttrValue *ckpt__tfg_attr(const Tensorflow__NodeDef *nd, const char *key)
{
    for (size_t i = 0; i < nd->n_attr; i++)
        if (nd->attr[i]->key && !strcmp(nd->attr[i]->key, key)) return nd->attr[i]->value;
    return NULL;
}

int ckpt__tfg_out_dtype(const Tensorflow__NodeDef *nd)
{
    static const char *const keys[] = {"dtype", "T", "out_type", "DstT", "Tout", "output_type"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const Tensorflow__AttrValue *a = ckpt__tfg_attr(nd, keys[k]);
        if (a && a->value_case == TENSORFLOW__ATTR_VALUE__VALUE_TYPE) return (int)a->type;
    }
    return 0;
}

int ckpt__tfg_add(tf_graph *g, Tensorflow__NodeDef *nd, ckpt_err *err)
{
    if (g->nnode == g->capnode) {
        int nc = g->capnode ? 2 * g->capnode : 64;
        void *a = realloc(g->node, (size_t)nc * sizeof *g->node);
        if (a) g->node = a;
        void *b = a ? realloc(g->weight, (size_t)nc * sizeof *g->weight) : NULL;
        if (b) g->weight = b;
        void *c = b ? realloc(g->keep, (size_t)nc) : NULL;
        if (!c) { protobuf_c_message_free_unpacked(&nd->base, NULL); return nomem(err); }
        g->keep = c;
        g->capnode = nc;
    }
    if (!g->ix && !(g->ix = ckpt__index_new())) { protobuf_c_message_free_unpacked(&nd->base, NULL); return nomem(err); }
    int prev = ckpt__index_put(g->ix, nd->name, g->nnode);
    if (prev != -1) {
        int rc = prev == -2 ? nomem(err) : ckpt_err_set(err, CKPT_E_FORMAT, "two nodes are named '%.200s'", nd->name);
        protobuf_c_message_free_unpacked(&nd->base, NULL);
        return rc;
    }
    g->weight[g->nnode] = -1;
    g->keep[g->nnode] = 1;
    g->node[g->nnode++] = nd;
    return 0;
}

/* ---- model.json ------------------------------------------------------------ */

int ckpt__tfg_parse(tf_graph *g, const char *json, size_t n, const char *what, ckpt_err *err)
{
    g->fd = -1;
    if (!(g->root = cJSON_ParseWithLength(json, n)) || !cJSON_IsObject(g->root))
        return ckpt_err_set(err, CKPT_E_FORMAT, "%s: not a JSON object", what);
    const cJSON *topo = cJSON_GetObjectItemCaseSensitive(g->root, "modelTopology");
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(topo, "node");
    if (!cJSON_IsArray(nodes)) return ckpt_err_set(err, CKPT_E_FORMAT, "%s: modelTopology has no node array", what);
    const cJSON *j;
    int k = 0;
    cJSON_ArrayForEach(j, nodes) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(j, "name");
        char label[300];
        snprintf(label, sizeof label, "node %d '%.200s'", k++, cJSON_IsString(nm) ? nm->valuestring : "?");
        Tensorflow__NodeDef *nd = (Tensorflow__NodeDef *)ckpt__pbjson_new(&tensorflow__node_def__descriptor, j, label, err);
        if (!nd) return err ? err->code : CKPT_E_FORMAT;
        if (!nd->name || !*nd->name || !nd->op || !*nd->op) {
            protobuf_c_message_free_unpacked(&nd->base, NULL);
            return ckpt_err_set(err, CKPT_E_FORMAT, "%s: %s has no name or no op", what, label);
        }
        if (ckpt__tfg_add(g, nd, err)) return err ? err->code : CKPT_E_FORMAT;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(topo, "versions");
    if (cJSON_IsObject(v) &&
        !(g->versions = (Tensorflow__VersionDef *)ckpt__pbjson_new(&tensorflow__version_def__descriptor, v, "versions", err)))
        return err ? err->code : CKPT_E_FORMAT;
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(topo, "library");
    if (cJSON_IsObject(l) &&
        !(g->library = (Tensorflow__FunctionDefLibrary *)ckpt__pbjson_new(&tensorflow__function_def_library__descriptor,
                                                                          l, "library", err)))
        return err ? err->code : CKPT_E_FORMAT;
    return 0;
}

void ckpt__tfg_free(tf_graph *g)
{
    if (!g) return;
    for (int i = 0; i < g->nnode; i++) protobuf_c_message_free_unpacked(&g->node[i]->base, NULL);
    if (g->versions) protobuf_c_message_free_unpacked(&g->versions->base, NULL);
    if (g->library) protobuf_c_message_free_unpacked(&g->library->base, NULL);
    for (int i = 0; g->head && i < g->nplan; i++) free(g->head[i]);
    free(g->head);
    free(g->headlen);
    free(g->body);
    free(g->node);
    free(g->weight);
    free(g->keep);
    free(g->node_of);
    ckpt__index_free(g->ix);
    cJSON_Delete(g->root);
    memset(g, 0, sizeof *g);
    g->fd = -1;
}

/* ---- weights ----------------------------------------------------------------- */

static int tf_dtype(ckpt_dtype d)
{
    switch (d) {
    case CKPT_F32: return TENSORFLOW__DATA_TYPE__DT_FLOAT;
    case CKPT_F64: return TENSORFLOW__DATA_TYPE__DT_DOUBLE;
    case CKPT_F16: return TENSORFLOW__DATA_TYPE__DT_HALF;
    case CKPT_BF16: return TENSORFLOW__DATA_TYPE__DT_BFLOAT16;
    case CKPT_I32: return TENSORFLOW__DATA_TYPE__DT_INT32;
    case CKPT_I64: return TENSORFLOW__DATA_TYPE__DT_INT64;
    case CKPT_I16: return TENSORFLOW__DATA_TYPE__DT_INT16;
    case CKPT_I8: return TENSORFLOW__DATA_TYPE__DT_INT8;
    case CKPT_U8: return TENSORFLOW__DATA_TYPE__DT_UINT8;
    case CKPT_U16: return TENSORFLOW__DATA_TYPE__DT_UINT16;
    case CKPT_U32: return TENSORFLOW__DATA_TYPE__DT_UINT32;
    case CKPT_U64: return TENSORFLOW__DATA_TYPE__DT_UINT64;
    case CKPT_BOOL: return TENSORFLOW__DATA_TYPE__DT_BOOL;
    default: return 0;
    }
}

/* Set (or add) a type attr. */
static int set_type_attr(Tensorflow__NodeDef *nd, const char *key, int dt, ckpt_err *err)
{
    Tensorflow__AttrValue *a = ckpt__tfg_attr(nd, key);
    if (a) {
        if (a->value_case != TENSORFLOW__ATTR_VALUE__VALUE_TYPE)
            return ckpt_err_set(err, CKPT_E_FORMAT, "node '%.200s': attr '%s' is not a type", nd->name, key);
        a->type = dt;
        return 0;
    }
    Tensorflow__NodeDef__AttrEntry **na = realloc(nd->attr, (nd->n_attr + 1) * sizeof *na);
    if (!na) return nomem(err);
    nd->attr = na;
    Tensorflow__NodeDef__AttrEntry *e = (Tensorflow__NodeDef__AttrEntry *)ckpt__pb_new(&tensorflow__node_def__attr_entry__descriptor);
    a = (Tensorflow__AttrValue *)ckpt__pb_new(&tensorflow__attr_value__descriptor);
    char *k = ckpt__strdup(key);
    if (!e || !a || !k) { free(e); free(a); free(k); return nomem(err); }
    a->value_case = TENSORFLOW__ATTR_VALUE__VALUE_TYPE;
    a->type = dt;
    e->key = k;
    e->value = a;
    nd->attr[nd->n_attr++] = e;
    return 0;
}

/* Refuse what a TensorFlow Const cannot get from ckpt: string and complex
 * weights (the manifest says which). */
static int check_kinds(ckpt_writer *w, const char *json, size_t n, const char *path, ckpt_err *err)
{
    tfjs_manifest mf;
    int rc = ckpt__tfjs_parse_manifest(json, n, path, &mf, err);
    if (rc) return rc;
    for (int i = 0; i < w->plan->n && !rc; i++) {
        int s = w->plan->e[i].src;
        if (s < 0 || s >= mf.nw) continue;
        if (mf.w[s].kind == TJ_STRING || mf.w[s].kind == TJ_COMPLEX) {
            rc = ckpt_err_set(err, CKPT_E_UNSUPPORTED, "%s weights cannot be written to a TensorFlow graph by ckpt",
                              mf.w[s].kind == TJ_STRING ? "string" : "complex64");
            ckpt_err_at_tensor(err, mf.w[s].name);
            ckpt_err_at_path(err, path);
        }
    }
    ckpt__tfjs_manifest_free(&mf);
    return rc;
}

/* Each plan entry's Const node; every weight of the manifest must be there. */
static int match_weights(ckpt_writer *w, tf_graph *g, ckpt_err *err)
{
    const ckpt_plan *p = w->plan;
    ckpt_model *m = w->src;
    g->nplan = p->n;
    if (!(g->node_of = calloc(p->n ? (size_t)p->n : 1, sizeof *g->node_of))) return nomem(err);
    for (int i = 0; i < p->n; i++) {
        const ckpt_plan_entry *e = &p->e[i];
        const ckpt_tensor *t = &m->tensors[e->src];
        int k = ckpt__tfg_find(g, t->name);
        int rc = 0;
        if (k < 0) rc = ckpt_err_set(err, CKPT_E_FORMAT, "weight matches no node of modelTopology");
        else if (strcmp(g->node[k]->op, "Const"))
            rc = ckpt_err_set(err, CKPT_E_FORMAT, "weight's node is a %.80s, not a Const", g->node[k]->op);
        else if (g->weight[k] >= 0) rc = ckpt_err_set(err, CKPT_E_USAGE, "weight written twice (a --map rule?)");
        else if (e->dtype != t->dtype)
            rc = ckpt_err_set(err, CKPT_E_USAGE, "a TensorFlow graph keeps its weights' dtypes (%s, not %s): drop --dtype",
                              ckpt_dtype_name(t->dtype), ckpt_dtype_name(e->dtype));
        else if (!tf_dtype(e->dtype))
            rc = ckpt_err_set(err, CKPT_E_UNSUPPORTED, "no TensorFlow dtype for %s", ckpt_dtype_name(e->dtype));
        else rc = set_type_attr(g->node[k], "dtype", tf_dtype(e->dtype), err);
        if (rc) { ckpt_err_at_tensor(err, t->name); return rc; }
        g->node_of[i] = k;
        g->weight[k] = i;
    }
    for (int t = 0; t < m->ntensors; t++) {
        int k = ckpt__tfg_find(g, m->tensors[t].name);
        if (k >= 0 && g->weight[k] < 0 && !strcmp(g->node[k]->op, "Const")) {
            ckpt_err_set(err, CKPT_E_USAGE, "the graph needs this weight for its Const node, but the conversion left it out");
            ckpt_err_at_tensor(err, m->tensors[t].name);
            return CKPT_E_USAGE;
        }
    }
    return 0;
}

/* --outputs A,B: keep only the nodes those outputs depend on. */
static int prune(tf_graph *g, const char *outputs, ckpt_err *err)
{
    int *stack = malloc((size_t)(g->nnode ? g->nnode : 1) * sizeof *stack);
    char *list = ckpt__strdup(outputs);
    int sp = 0, rc = 0;
    if (!stack || !list) { free(stack); free(list); return nomem(err); }
    memset(g->keep, 0, (size_t)g->nnode);
    for (char *save = NULL, *o = strtok_r(list, ",", &save); o && !rc; o = strtok_r(NULL, ",", &save)) {
        char *c = strchr(o, ':');
        if (c) *c = 0;
        int k = ckpt__tfg_find(g, o);
        if (k < 0) rc = ckpt_err_set(err, CKPT_E_USAGE, "--outputs: no node '%.200s' in the graph", o);
        else if (!g->keep[k]) { g->keep[k] = 1; stack[sp++] = k; }
    }
    while (!rc && sp) {
        const Tensorflow__NodeDef *nd = g->node[stack[--sp]];
        for (size_t i = 0; i < nd->n_input; i++) {
            const char *in = nd->input[i] + (nd->input[i][0] == '^');
            char name[512];
            snprintf(name, sizeof name, "%.*s", (int)strcspn(in, ":"), in);
            int k = ckpt__tfg_find(g, name);
            if (k >= 0 && !g->keep[k]) { g->keep[k] = 1; stack[sp++] = k; }
        }
    }
    free(stack);
    free(list);
    if (!rc)
        for (int i = 0; i < g->nplan; i++)
            if (g->node_of[i] >= 0 && !g->keep[g->node_of[i]]) g->node_of[i] = -1;
    return rc;
}

int ckpt__tfg_build(ckpt_writer *w, tf_graph *g, ckpt_err *err)
{
    memset(g, 0, sizeof *g);
    g->fd = -1;
    const char *src = w->src->path;
    char *path = !ckpt_path_is_remote(src) && ckpt__is_dir(src) ? ckpt__path_join(src, "model.json") : ckpt__strdup(src);
    char *json = NULL;
    size_t n = 0;
    if (!path) return nomem(err);
    int rc = ckpt_src_slurp(path, MODEL_JSON_MAX, &json, &n, err);
    if (!rc) rc = check_kinds(w, json, n, path, err);
    if (!rc) rc = ckpt__tfg_parse(g, json, n, ckpt__path_basename(path), err);
    if (!rc) rc = match_weights(w, g, err);
    const char *mode = ckpt__opt(w->opts, "compat-mode");
    if (!rc && mode && strcmp(mode, "none")) {
        if (strcmp(mode, "tfjs") && strcmp(mode, "tflite"))
            rc = ckpt_err_set(err, CKPT_E_USAGE, "--compat-mode wants none, tfjs or tflite, not '%.40s'", mode);
        else rc = ckpt__tfg_compat(g, mode, err);
    }
    const char *outs = ckpt__opt(w->opts, "outputs");
    if (!rc && outs) rc = prune(g, outs, err);
    if (rc && !err->path[0] && !err->tensor[0]) ckpt_err_at_path(err, path);
    free(json);
    free(path);
    return rc;
}

/* ---- packing and the streamed write ------------------------------------------ */

static int buf_add(unsigned char **b, size_t *len, size_t *cap, const void *p, size_t n, ckpt_err *err)
{
    if (*len + n > *cap) {
        size_t nc = *cap ? *cap : 4096;
        while (nc < *len + n) nc *= 2;
        unsigned char *nb = realloc(*b, nc);
        if (!nb) return nomem(err);
        *b = nb;
        *cap = nc;
    }
    if (n && p) memcpy(*b + *len, p, n);
    *len += n;
    return 0;
}

/* tag + varint length + packed message */
static int buf_msg(unsigned char **b, size_t *len, size_t *cap, unsigned tag, const ProtobufCMessage *msg, ckpt_err *err)
{
    unsigned char hd[12];
    size_t sz = protobuf_c_message_get_packed_size(msg);
    size_t h = ckpt__pb_varint(tag, hd);
    h += ckpt__pb_varint(sz, hd + h);
    if (buf_add(b, len, cap, hd, h, err) || buf_add(b, len, cap, NULL, sz, err)) return err->code;
    protobuf_c_message_pack(msg, *b + *len - sz);
    return 0;
}

/* The bytes before a weight's tensor_content: its NodeDef (without the
 * "value" attr) and the framing of attr "value" down to tensor_content. */
static int weight_head(tf_graph *g, int i, const ckpt_plan_entry *e, ckpt_err *err)
{
    Tensorflow__NodeDef *nd = g->node[g->node_of[i]];
    /* pack the node without "value": move that entry past n_attr */
    size_t nat = nd->n_attr;
    for (size_t k = 0; k < nd->n_attr; k++)
        if (!strcmp(nd->attr[k]->key, "value")) {
            Tensorflow__NodeDef__AttrEntry *t = nd->attr[k];
            nd->attr[k] = nd->attr[nd->n_attr - 1];
            nd->attr[nd->n_attr - 1] = t;
            nd->n_attr--;
            break;
        }
    size_t rest = protobuf_c_message_get_packed_size(&nd->base);
    Tensorflow__TensorShapeProto sh = TENSORFLOW__TENSOR_SHAPE_PROTO__INIT;
    Tensorflow__TensorShapeProto__Dim dims[CKPT_MAX_DIMS], *dp[CKPT_MAX_DIMS];
    for (int d = 0; d < e->ndim; d++) {
        tensorflow__tensor_shape_proto__dim__init(&dims[d]);
        dims[d].size = e->shape[d];
        dp[d] = &dims[d];
    }
    sh.n_dim = (size_t)e->ndim;
    sh.dim = dp;
    Tensorflow__TensorProto tp = TENSORFLOW__TENSOR_PROTO__INIT;
    tp.dtype = tf_dtype(e->dtype);
    tp.tensor_shape = &sh;
    size_t th = protobuf_c_message_get_packed_size(&tp.base);
    uint64_t n = e->nbytes;
    uint64_t T = th + 1 + ckpt__pb_varint(n, NULL) + n;       /* TensorProto: tensor_content = 4 */
    uint64_t A = 1 + ckpt__pb_varint(T, NULL) + T;            /* AttrValue: tensor = 8 */
    uint64_t E = 7 + 1 + ckpt__pb_varint(A, NULL) + A;        /* entry: key "value" = 1, value = 2 */
    uint64_t N = rest + 1 + ckpt__pb_varint(E, NULL) + E;     /* NodeDef: attr = 5 */
    size_t hl = 1 + ckpt__pb_varint(N, NULL) + rest + 1 + ckpt__pb_varint(E, NULL) + 7 + 1 +
                ckpt__pb_varint(A, NULL) + 1 + ckpt__pb_varint(T, NULL) + th + 1 + ckpt__pb_varint(n, NULL);
    unsigned char *h = malloc(hl), *q = h;
    if (!h) { nd->n_attr = nat; return nomem(err); }
    *q++ = 0x0a; q += ckpt__pb_varint(N, q);                  /* GraphDef.node */
    protobuf_c_message_pack(&nd->base, q); q += rest;
    *q++ = 0x2a; q += ckpt__pb_varint(E, q);                  /* NodeDef.attr */
    memcpy(q, "\x0a\x05value", 7); q += 7;
    *q++ = 0x12; q += ckpt__pb_varint(A, q);                  /* entry value */
    *q++ = 0x42; q += ckpt__pb_varint(T, q);                  /* AttrValue.tensor */
    protobuf_c_message_pack(&tp.base, q); q += th;
    *q++ = 0x22; q += ckpt__pb_varint(n, q);                  /* TensorProto.tensor_content */
    nd->n_attr = nat;
    g->head[i] = h;
    g->headlen[i] = (size_t)(q - h);
    g->total += g->headlen[i] + n;
    return 0;
}

int ckpt__tfg_pack(tf_graph *g, const ckpt_plan *p, ckpt_err *err)
{
    size_t cap = 0;
    g->head = calloc(p->n ? (size_t)p->n : 1, sizeof *g->head);
    g->headlen = calloc(p->n ? (size_t)p->n : 1, sizeof *g->headlen);
    if (!g->head || !g->headlen) return nomem(err);
    for (int k = 0; k < g->nnode; k++)
        if (g->keep[k] && g->weight[k] < 0 && buf_msg(&g->body, &g->bodylen, &cap, 0x0a, &g->node[k]->base, err))
            return err->code;
    if (g->versions && buf_msg(&g->body, &g->bodylen, &cap, 0x22, &g->versions->base, err)) return err->code;
    if (g->library && buf_msg(&g->body, &g->bodylen, &cap, 0x12, &g->library->base, err)) return err->code;
    g->total = g->bodylen;
    for (int i = 0; i < p->n; i++)
        if (g->node_of[i] >= 0 && weight_head(g, i, &p->e[i], err)) return err->code;
    return 0;
}

int ckpt__tfg_write(tf_graph *g, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err)
{
    if (i < 0 || i >= g->nplan || g->node_of[i] < 0) return 0;   /* pruned by --outputs */
    if ((off == 0 && ckpt__write_full(g->fd, g->head[i], g->headlen[i])) || ckpt__write_full(g->fd, buf, n))
        return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write the graph");
    return 0;
}

/* the writer callbacks tf-frozen and tf-saved-model share (w->priv is the graph) */
int ckpt__tfg_w_write(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err)
{
    return ckpt__tfg_write(w->priv, i, off, buf, n, err);
}

void ckpt__tfg_w_abort(ckpt_writer *w)
{
    ckpt__tfg_free(w->priv);
    free(w->priv);
    w->priv = NULL;
}

int ckpt__tfg_w_end(ckpt_writer *w, ckpt_err *err)
{
    ckpt__tfg_w_abort(w);
    return 0;
}

/* ---- who can be written ---------------------------------------------------------- */

int ckpt__tfg_can_write(const ckpt_model *m, const char *fmt, char *why, size_t n)
{
    const char *tf = ckpt_model_fact_get(m, "tfjs_format");
    if (ckpt__tfjs_is_graph_model(m)) return 1;
    char list[400];
    ckpt__writers_for(m, "tf-", list, sizeof list);
    snprintf(why, n, "%s is written from TF.js graph models only; this %s model converts to: %s", fmt,
             tf ? "TF.js layers" : m->fmt ? m->fmt->name : "?", *list ? list : "nothing ckpt writes");
    return 0;
}
