/* src/export/kgraph.c: the Keras config walk for the code exporters.
 *
 * Sequential models are a chain from their input; functional ones are
 * resolved by layer call ("node"): a call runs once all the tensors it
 * reads exist, so configs listed out of order and layers shared between
 * calls work. Both the Keras 2 / TF.js inbound form ([[name, node, index,
 * kwargs]]) and the Keras 3 one ({"args": [__keras_tensor__ ...]}) are read.
 * The layers themselves are built by klayers.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/kgraph_int.h"

const char *const ckpt__kg_act_names[KG_NACT] = {
    "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "gelu_tanh",
    "swish", "sigmoid", "hard_sigmoid", "tanh", "softmax", "softplus", "softsign",
    "exponential", "mish",
};

#define KG_MAX_LAYERS 100000

char *ckpt__kg_ident(const char *prefix, const char *name)
{
    char *s = ckpt__asprintf("%s%s", prefix, name);
    for (char *p = s; p && *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_') *p = '_';
    return s;
}

/* ---- building blocks ---------------------------------------------------- */

static int nomem(kg_ctx *c) { return ckpt_err_set(c->err, CKPT_E_NOMEM, "out of memory"); }

int ckpt__kg_tensor_new(kg_ctx *c, int ndim, const int64_t *dims)
{
    kg_graph *g = c->g;
    int64_t d[KG_MAXD];              /* dims may point into g->t, which the realloc below moves */
    if (ndim >= 1 && ndim <= KG_MAXD) memcpy(d, dims, (size_t)ndim * sizeof *d);
    if (ndim < 1 || ndim > KG_MAXD) {
        ckpt__kg_fail(c, "output rank %d is outside what code export handles (1..%d besides the batch)", ndim, KG_MAXD);
        return -1;
    }
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (d[i] <= 0 || d[i] > ((int64_t)1 << 31) || n > ((int64_t)1 << 40) / d[i]) {
            ckpt__kg_fail(c, "output dimension %d is %lld: code export needs known positive sizes", i + 1,
                    (long long)d[i]);
            return -1;
        }
        n *= d[i];
    }
    if (g->nt == g->capt) {
        int nc = g->capt ? 2 * g->capt : 16;
        kg_tensor *t = realloc(g->t, (size_t)nc * sizeof *t);
        if (!t) { nomem(c); return -1; }
        g->t = t;
        g->capt = nc;
    }
    kg_tensor *t = &g->t[g->nt];
    memset(t, 0, sizeof *t);
    t->ndim = ndim;
    memcpy(t->d, d, (size_t)ndim * sizeof *d);
    t->n = n;
    return g->nt++;
}

kg_op *ckpt__kg_op_new(kg_ctx *c, const char *fn, int nin, const int *in, int out)
{
    kg_graph *g = c->g;
    if (g->nop == g->capop) {
        int nc = g->capop ? 2 * g->capop : 16;
        kg_op *o = realloc(g->op, (size_t)nc * sizeof *o);
        if (!o) { nomem(c); return NULL; }
        g->op = o;
        g->capop = nc;
    }
    kg_op *o = &g->op[g->nop++];
    memset(o, 0, sizeof *o);
    o->fn = fn;
    o->call = c->call;
    o->nin = nin;
    memcpy(o->in, in, (size_t)nin * sizeof *in);
    o->out = out;
    return o;
}

void ckpt__kg_pi(kg_op *o, const char *k, int64_t v)
{
    if (o->np < KG_MAXP) o->p[o->np++] = (kg_param){k, 0, v, 0};
}

void ckpt__kg_pf(kg_op *o, const char *k, double v)
{
    if (o->np < KG_MAXP) o->p[o->np++] = (kg_param){k, 1, 0, v};
}

static int vfail(kg_ctx *c, const char *pre, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    ckpt_err_set(c->err, CKPT_E_UNSUPPORTED, "layer '%s' (%s): %s%s", c->layer, c->cls, pre, msg);
    return CKPT_E_UNSUPPORTED;
}

int ckpt__kg_refuse(kg_ctx *c, const char *opt, const char *fmt, ...)
{
    char pre[160];
    snprintf(pre, sizeof pre, "option %s=", opt);
    va_list ap;
    va_start(ap, fmt);
    vfail(c, pre, fmt, ap);
    va_end(ap);
    size_t l = strlen(c->err->msg);
    snprintf(c->err->msg + l, sizeof c->err->msg - l, " is not supported by code export");
    return CKPT_E_UNSUPPORTED;
}

int ckpt__kg_fail(kg_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(c, "", fmt, ap);
    va_end(ap);
    return CKPT_E_UNSUPPORTED;
}

/* ---- weights ------------------------------------------------------------ */

/* LAYER/role exactly (exact = 1), or LAYER/.../role with a middle holding
 * `sub` (a Bidirectional half), or any middle (a cell, a wrapped layer). */
static int weight_match(const char *name, const char *pre, const char *sub, const char *role, int exact)
{
    size_t lp = strlen(pre), lr = strlen(role), ln = strlen(name);
    if (strncmp(name, pre, lp) || name[lp] != '/') return 0;
    const char *rest = name + lp + 1;
    size_t lrest = ln - lp - 1;
    if (lrest < lr || strcmp(rest + lrest - lr, role)) return 0;
    if (lrest == lr) return exact && !sub;
    if (exact || rest[lrest - lr - 1] != '/') return 0;
    char mid[256];
    snprintf(mid, sizeof mid, "%.*s", (int)(lrest - lr - 1), rest);
    return !sub || strstr(mid, sub) != NULL;
}

int ckpt__kg_weight(kg_ctx *c, const char *sub, const char *role, int ndim, const int64_t *shape, int required)
{
    const char *pre = c->wprefix ? c->wprefix : c->layer;
    int hit = -1;
    for (int exact = 1; exact >= 0 && hit < 0; exact--)
        for (int i = 0; i < c->m->ntensors && hit < 0; i++)
            if (!(c->m->tensors[i].flags & CKPT_TF_OPTIMIZER) &&
                weight_match(c->m->tensors[i].name, pre, sub, role, exact))
                hit = i;
    if (hit < 0) {
        if (!required) return -1;
        ckpt__kg_fail(c, "weight '%s%s%s' not found in the checkpoint (looked for %s/%s%s%s)", sub ? sub : "",
                sub ? "/" : "", role, pre, sub ? "*" : "", sub ? sub : "", sub ? "*/" : "");
        return -2;
    }
    const ckpt_tensor *t = &c->m->tensors[hit];
    int ok = t->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++) ok = t->shape[i] == shape[i];
    if (!ok) {
        char want[128] = "", *p = want;
        for (int i = 0; i < ndim; i++)
            p += snprintf(p, sizeof want - (size_t)(p - want), "%s%lld", i ? ", " : "", (long long)shape[i]);
        ckpt__kg_fail(c, "weight '%s' has shape %s, the config gives [%s]", t->name,
                ckpt_shape_str(t, (char[96]){0}, 96), want);
        return -2;
    }
    if (!c->g->wused[hit]) c->g->nweights++;
    c->g->wused[hit] = 1;
    return hit;
}

int ckpt__kg_op_weight(kg_ctx *c, kg_op *o, const char *sub, const char *role, int ndim, const int64_t *shape, int required)
{
    int w = ckpt__kg_weight(c, sub, role, ndim, shape, required);
    if (w == -2) return -1;
    o->w[o->nw++] = w;
    return 0;
}

/* ---- config values ------------------------------------------------------ */

int64_t ckpt__kg_num(const cJSON *v, int64_t lim)
{
    double d = cJSON_IsNumber(v) ? v->valuedouble : 0;
    if (d != d) return 0;
    return d > (double)lim ? lim : d < -(double)lim ? -lim : (int64_t)d;
}

const cJSON *ckpt__kg_get(kg_ctx *c, const char *k) { return cJSON_GetObjectItemCaseSensitive(c->cfg, k); }

int64_t ckpt__kg_int(kg_ctx *c, const char *k, int64_t def)
{
    const cJSON *v = ckpt__kg_get(c, k);
    return cJSON_IsNumber(v) ? ckpt__kg_num(v, KG_LIM) : def;
}

double ckpt__kg_float(kg_ctx *c, const char *k, double def)
{
    const cJSON *v = ckpt__kg_get(c, k);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

int ckpt__kg_bool(kg_ctx *c, const char *k, int def)
{
    const cJSON *v = ckpt__kg_get(c, k);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

const char *ckpt__kg_str(kg_ctx *c, const char *k, const char *def)
{
    const cJSON *v = ckpt__kg_get(c, k);
    return cJSON_IsString(v) ? v->valuestring : def;
}

int ckpt__kg_ints(kg_ctx *c, const char *k, int n, int64_t *out, int64_t def)
{
    const cJSON *v = ckpt__kg_get(c, k);
    if (!v || cJSON_IsNull(v)) {
        for (int i = 0; i < n; i++) out[i] = def;
        return 0;
    }
    if (cJSON_IsNumber(v)) {
        for (int i = 0; i < n; i++) out[i] = ckpt__kg_num(v, 1 << 24);
        return 0;
    }
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != n)
        return ckpt__kg_fail(c, "option %s: expected %d integer%s", k, n, n > 1 ? "s" : "");
    for (int i = 0; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(v, i);
        if (!cJSON_IsNumber(e)) return ckpt__kg_fail(c, "option %s: expected integers", k);
        out[i] = ckpt__kg_num(e, 1 << 24);
    }
    return 0;
}

int ckpt__kg_act_by_name(kg_ctx *c, const char *opt, const char *name, int *act, double *a)
{
    static const struct { const char *n; int act; } alias[] = {
        {"hardSigmoid", KG_HARD_SIGMOID}, {"silu", KG_SWISH}, {"gelu_new", KG_GELU_TANH},
        {"relu6", KG_RELU6}, {"leaky_relu", KG_LEAKY_RELU},
    };
    *a = 0;
    int hit = -1;
    for (int i = 0; i < KG_NACT && hit < 0; i++)
        if (!strcmp(name, ckpt__kg_act_names[i]) && i != KG_GELU_TANH) hit = i;
    for (size_t i = 0; hit < 0 && i < sizeof alias / sizeof *alias; i++)
        if (!strcmp(name, alias[i].n)) hit = alias[i].act;
    if (hit < 0) return ckpt__kg_refuse(c, opt, "'%s'", name);
    *act = hit;
    if (hit == KG_LEAKY_RELU) *a = 0.2;               /* keras.activations.leaky_relu */
    if (hit == KG_ELU) *a = 1.0;
    /* Keras 3's hard_sigmoid is relu6(x + 3) / 6: no reference here checks it */
    if (hit == KG_HARD_SIGMOID && c->keras3) return ckpt__kg_refuse(c, opt, "'%s' (Keras 3's relu6(x+3)/6)", name);
    if (hit == KG_HARD_SIGMOID) *a = 0.2;
    return 0;
}

int ckpt__kg_act(kg_ctx *c, const char *k, const char *def, int *act, double *a)
{
    const cJSON *v = ckpt__kg_get(c, k);
    if (!v || cJSON_IsNull(v)) return ckpt__kg_act_by_name(c, k, def, act, a);
    if (cJSON_IsString(v)) return ckpt__kg_act_by_name(c, k, v->valuestring, act, a);
    /* Keras 3: {"module": "keras.activations", "class_name": "function", "config": "relu"} */
    const cJSON *cf = cJSON_GetObjectItemCaseSensitive(v, "config");
    if (cJSON_IsString(cf)) return ckpt__kg_act_by_name(c, k, cf->valuestring, act, a);
    return ckpt__kg_refuse(c, k, "(a serialized object)");
}

/* ---- the walk ----------------------------------------------------------- */

/* (layer, node, index) -> graph tensor, for functional inbound references */
typedef struct kref { const char *layer; int node, idx, t; } kref;
typedef struct walk {
    kg_ctx c;
    kref *refs; int nrefs, caprefs;
} walk;

static int ref_add(walk *w, const char *layer, int node, int idx, int t)
{
    if (w->nrefs == w->caprefs) {
        int nc = w->caprefs ? 2 * w->caprefs : 32;
        kref *r = realloc(w->refs, (size_t)nc * sizeof *r);
        if (!r) return nomem(&w->c);
        w->refs = r;
        w->caprefs = nc;
    }
    w->refs[w->nrefs++] = (kref){layer, node, idx, t};
    return 0;
}

static int ref_get(const walk *w, const char *layer, int node, int idx)
{
    for (int i = 0; i < w->nrefs; i++)
        if (w->refs[i].node == node && w->refs[i].idx == idx && !strcmp(w->refs[i].layer, layer))
            return w->refs[i].t;
    return -1;
}

static const char *layer_name(const cJSON *L)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(L, "name");
    if (!cJSON_IsString(n)) n = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(L, "config"), "name");
    return cJSON_IsString(n) ? n->valuestring : NULL;
}

static const char *layer_cls(const cJSON *L)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(L, "class_name");
    return cJSON_IsString(n) ? n->valuestring : "?";
}

static int id_taken(const kg_graph *g, const char *id)
{
    for (int i = 0; i < g->ncalls; i++)
        if (!strcmp(g->calls[i].id, id)) return 1;
    return 0;
}

static int begin_call(walk *w, const cJSON *L)
{
    kg_graph *g = w->c.g;
    w->c.layer = layer_name(L);
    w->c.cls = layer_cls(L);
    w->c.cfg = cJSON_GetObjectItemCaseSensitive(L, "config");
    w->c.wprefix = NULL;
    if (!w->c.layer) {
        w->c.layer = "?";
        return ckpt__kg_fail(&w->c, "layer without a name in the config");
    }
    if (g->ncalls == g->capcalls) {
        int nc = g->capcalls ? 2 * g->capcalls : 16;
        kg_call *k = realloc(g->calls, (size_t)nc * sizeof *k);
        if (!k) return nomem(&w->c);
        g->calls = k;
        g->capcalls = nc;
    }
    int seen = 0;
    for (int i = 0; i < g->ncalls; i++) seen += !strcmp(g->calls[i].layer, w->c.layer);
    char *id = ckpt__kg_ident("", w->c.layer);
    char *id2 = seen && id ? ckpt__asprintf("%s_%d", id, seen) : NULL;
    if (seen) { free(id); id = id2; }
    /* unique identifiers: "a-b" and "a_b", or a layer named "dense_1" beside
     * the second call of "dense", would clash in the generated code */
    for (int n = 2; id && id_taken(g, id); n++) {
        char *base = id;
        id = ckpt__asprintf("%s_%d", base, n);
        free(base);
    }
    kg_call *k = &g->calls[g->ncalls];
    k->layer = ckpt__strdup(w->c.layer);
    k->cls = ckpt__strdup(w->c.cls);
    k->id = id;
    if (!k->layer || !k->cls || !k->id) {
        free(k->layer); free(k->cls); free(k->id);
        return nomem(&w->c);
    }
    w->c.call = g->ncalls++;
    return 0;
}

static int run_layer(walk *w, const cJSON *L, const int *in, int nin, int *out)
{
    int rc = begin_call(w, L);
    if (rc) return rc;
    if (!strcmp(w->c.cls, "Sequential") || !strcmp(w->c.cls, "Functional") || !strcmp(w->c.cls, "Model"))
        return ckpt__kg_fail(&w->c, "a model nested in the model is not supported by code export");
    kg_layer_fn fn = ckpt__kg_layer_find(w->c.cls);
    if (!fn) return ckpt__kg_fail(&w->c, "layer class not supported by code export");
    if (nin > KG_MAXIN) return ckpt__kg_fail(&w->c, "more than %d inputs", KG_MAXIN);
    int rnn = !strcmp(w->c.cls, "SimpleRNN") || !strcmp(w->c.cls, "GRU") || !strcmp(w->c.cls, "LSTM"), masked = 0;
    for (int i = 0; i < nin; i++) {
        const kg_tensor *t = &w->c.g->t[in[i]];
        masked |= t->masked;
        if (t->masked == 2 || (t->masked && !rnn))
            return ckpt__kg_fail(&w->c, "its input carries a Keras mask: code export supports a mask only from a Masking "
                                  "layer straight into a recurrent layer");
    }
    rc = fn(&w->c, in, nin, out);
    /* Keras passes the mask on through return_sequences: later layers would need it */
    if (!rc && masked && w->c.g->t[*out].ndim == 2) w->c.g->t[*out].masked = 2;
    return rc;
}

/* Input shape from batch_input_shape (Keras 2, TF.js) or batch_shape (Keras 3). */
static int input_tensor(walk *w, const cJSON *cfg, const cJSON *alt, int *out)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(cfg, "batch_input_shape");
    if (!s) s = cJSON_GetObjectItemCaseSensitive(cfg, "batch_shape");
    if (!s && alt) s = alt;
    int n = cJSON_GetArraySize(s);
    if (!cJSON_IsArray(s) || n < 2 || n > KG_MAXD + 1)
        return ckpt__kg_fail(&w->c, "no input shape in the config (batch_input_shape / batch_shape)");
    int64_t d[KG_MAXD];
    for (int i = 1; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(s, i);
        if (!cJSON_IsNumber(e))
            return ckpt__kg_fail(&w->c, "input dimension %d is None: code export needs every size but the batch's", i);
        d[i - 1] = ckpt__kg_num(e, KG_LIM);
    }
    int t = ckpt__kg_tensor_new(&w->c, n - 1, d);
    if (t < 0) return (int)w->c.err->code;
    kg_graph *g = w->c.g;
    if (g->nin >= KG_MAXIN) return ckpt__kg_fail(&w->c, "more than %d model inputs", KG_MAXIN);
    g->in_name[g->nin] = ckpt__strdup(w->c.layer);
    g->in[g->nin++] = t;
    *out = t;
    return 0;
}

static int add_output(walk *w, const char *name, int t)
{
    kg_graph *g = w->c.g;
    if (g->nout >= KG_MAXIN) return ckpt_err_set(w->c.err, CKPT_E_UNSUPPORTED, "more than %d model outputs", KG_MAXIN);
    g->out_name[g->nout] = ckpt__strdup(name);
    g->out[g->nout++] = t;
    return 0;
}

static int walk_sequential(walk *w, const cJSON *cfg)
{
    const cJSON *layers = cJSON_IsArray(cfg) ? cfg : cJSON_GetObjectItemCaseSensitive(cfg, "layers");
    int n = cJSON_GetArraySize(layers);
    if (!cJSON_IsArray(layers) || n < 1 || n > KG_MAX_LAYERS)
        return ckpt_err_set(w->c.err, CKPT_E_FORMAT, "Sequential config without layers");
    const cJSON *L0 = cJSON_GetArrayItem(layers, 0);
    int cur, rc, first = 0;
    if (!strcmp(layer_cls(L0), "InputLayer")) {
        if ((rc = begin_call(w, L0)) || (rc = input_tensor(w, w->c.cfg, NULL, &cur))) return rc;
        first = 1;
    } else {
        w->c.layer = "input";
        w->c.cls = "InputLayer";
        const cJSON *alt = cJSON_IsArray(cfg) ? NULL : cJSON_GetObjectItemCaseSensitive(cfg, "build_input_shape");
        w->c.layer = layer_name(L0) ? layer_name(L0) : "?";
        w->c.cls = layer_cls(L0);
        if ((rc = input_tensor(w, cJSON_GetObjectItemCaseSensitive(L0, "config"), alt, &cur))) return rc;
    }
    for (int i = first; i < n; i++) {
        int out;
        if ((rc = run_layer(w, cJSON_GetArrayItem(layers, i), &cur, 1, &out))) return rc;
        cur = out;
    }
    return add_output(w, w->c.layer, cur);
}

/* The tensors one inbound node reads, as (layer, node, index) triples. */
typedef struct kin { const char *layer[KG_MAXIN]; int node[KG_MAXIN], idx[KG_MAXIN]; int n; } kin;

static int k3_history(walk *w, const cJSON *a, kin *r)
{
    if (cJSON_IsArray(a)) {
        for (const cJSON *e = a->child; e; e = e->next)
            if (k3_history(w, e, r)) return (int)w->c.err->code;
        return 0;
    }
    const cJSON *cn = cJSON_GetObjectItemCaseSensitive(a, "class_name");
    if (!cJSON_IsString(cn) || strcmp(cn->valuestring, "__keras_tensor__")) return 0;
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(a, "config"), "keras_history");
    if (cJSON_GetArraySize(h) < 3 || !cJSON_IsString(h->child) || r->n >= KG_MAXIN)
        return ckpt_err_set(w->c.err, CKPT_E_FORMAT, "layer '%s': bad keras_history in inbound_nodes", w->c.layer);
    r->layer[r->n] = h->child->valuestring;
    r->node[r->n] = (int)ckpt__kg_num(cJSON_GetArrayItem(h, 1), 1 << 30);
    r->idx[r->n++] = (int)ckpt__kg_num(cJSON_GetArrayItem(h, 2), 1 << 30);
    return 0;
}

static int has_tensor(const cJSON *v)
{
    const cJSON *cn = cJSON_GetObjectItemCaseSensitive(v, "class_name");
    if (cJSON_IsString(cn) && !strcmp(cn->valuestring, "__keras_tensor__")) return 1;
    for (const cJSON *e = v ? v->child : NULL; e; e = e->next)
        if (has_tensor(e)) return 1;
    return 0;
}

static int parse_node(walk *w, const cJSON *node, kin *r)
{
    r->n = 0;
    if (cJSON_IsObject(node)) {                      /* Keras 3 */
        const cJSON *kw = cJSON_GetObjectItemCaseSensitive(node, "kwargs");
        for (const cJSON *e = kw ? kw->child : NULL; e; e = e->next)
            if (has_tensor(e)) return ckpt__kg_refuse(&w->c, e->string, "(a tensor argument)");
        return k3_history(w, cJSON_GetObjectItemCaseSensitive(node, "args"), r);
    }
    for (const cJSON *e = node ? node->child : NULL; e; e = e->next) {  /* [[name, node, idx, kwargs]] */
        if (cJSON_GetArraySize(e) < 3 || !cJSON_IsString(e->child) || r->n >= KG_MAXIN)
            return ckpt_err_set(w->c.err, CKPT_E_FORMAT, "layer '%s': bad inbound_nodes entry", w->c.layer);
        const cJSON *kw = cJSON_GetArrayItem(e, 3);
        for (const cJSON *k = kw ? kw->child : NULL; k; k = k->next)
            if (has_tensor(k) || !strcmp(k->string, "initial_state") || !strcmp(k->string, "mask"))
                return ckpt__kg_refuse(&w->c, k->string, "(a call argument)");
        r->layer[r->n] = e->child->valuestring;
        r->node[r->n] = (int)ckpt__kg_num(cJSON_GetArrayItem(e, 1), 1 << 30);
        r->idx[r->n++] = (int)ckpt__kg_num(cJSON_GetArrayItem(e, 2), 1 << 30);
    }
    return 0;
}

/* [name, node, idx] or [[name, node, idx], ...] */
static int io_list(const cJSON *v, int i, const char **name, int *node, int *idx)
{
    const cJSON *e = cJSON_IsString(cJSON_GetArrayItem(v, 0)) ? (i ? NULL : v) : cJSON_GetArrayItem(v, i);
    if (cJSON_GetArraySize(e) < 3 || !cJSON_IsString(e->child)) return 0;
    *name = e->child->valuestring;
    *node = (int)ckpt__kg_num(cJSON_GetArrayItem(e, 1), 1 << 30);
    *idx = (int)ckpt__kg_num(cJSON_GetArrayItem(e, 2), 1 << 30);
    return 1;
}

static int walk_functional(walk *w, const cJSON *cfg)
{
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(cfg, "layers");
    int n = cJSON_GetArraySize(layers), rc;
    if (!cJSON_IsArray(layers) || n < 1 || n > KG_MAX_LAYERS)
        return ckpt_err_set(w->c.err, CKPT_E_FORMAT, "functional config without layers");
    int *done = calloc((size_t)n, sizeof *done);   /* inbound nodes run, per layer */
    if (!done) return nomem(&w->c);
    for (int progress = 1; progress; ) {
        progress = 0;
        int i = 0;
        for (const cJSON *L = layers->child; L; L = L->next, i++) {
            const char *name = layer_name(L);
            const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(L, "inbound_nodes");
            if (!name) { w->c.layer = "?"; rc = ckpt_err_set(w->c.err, CKPT_E_FORMAT, "layer without a name"); goto out; }
            if (!strcmp(layer_cls(L), "InputLayer")) {
                if (done[i]++) continue;
                int t;
                if ((rc = begin_call(w, L)) || (rc = input_tensor(w, w->c.cfg, NULL, &t)) ||
                    (rc = ref_add(w, name, 0, 0, t)))
                    goto out;
                w->c.g->nin--;                      /* inputs are listed by input_layers */
                free(w->c.g->in_name[w->c.g->nin]);
                progress = 1;
                continue;
            }
            for (; done[i] < cJSON_GetArraySize(nodes); done[i]++, progress = 1) {
                kin r;
                w->c.layer = name;
                w->c.cls = layer_cls(L);
                if ((rc = parse_node(w, cJSON_GetArrayItem(nodes, done[i]), &r))) goto out;
                int in[KG_MAXIN], ok = 1;
                for (int k = 0; k < r.n && ok; k++) ok = (in[k] = ref_get(w, r.layer[k], r.node[k], r.idx[k])) >= 0;
                if (!ok) break;
                int o;
                if ((rc = run_layer(w, L, in, r.n, &o)) || (rc = ref_add(w, name, done[i], 0, o))) goto out;
            }
        }
    }
    const cJSON *ins = cJSON_GetObjectItemCaseSensitive(cfg, "input_layers");
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(cfg, "output_layers");
    const char *nm;
    int nd, ix, t;
    for (int i = 0; io_list(ins, i, &nm, &nd, &ix); i++) {
        if ((t = ref_get(w, nm, nd, ix)) < 0 || w->c.g->nin >= KG_MAXIN) {
            rc = ckpt_err_set(w->c.err, CKPT_E_FORMAT, "model input '%s' is not an InputLayer of the config", nm);
            goto out;
        }
        w->c.g->in_name[w->c.g->nin] = ckpt__strdup(nm);
        w->c.g->in[w->c.g->nin++] = t;
    }
    for (int i = 0; io_list(outs, i, &nm, &nd, &ix); i++) {
        if ((t = ref_get(w, nm, nd, ix)) < 0) {
            rc = ckpt_err_set(w->c.err, CKPT_E_UNSUPPORTED,
                              "model output '%s' is never computed (a layer before it is missing or has a second output)", nm);
            goto out;
        }
        if ((rc = add_output(w, nm, t))) goto out;
    }
    rc = w->c.g->nin && w->c.g->nout ? 0
         : ckpt_err_set(w->c.err, CKPT_E_FORMAT, "functional config without input_layers/output_layers");
out:
    free(done);
    return rc;
}

/* Keras 3 writes "module" beside class_name; Keras 2 and TF.js do not. */
static int is_keras3(const cJSON *root) { return cJSON_GetObjectItemCaseSensitive(root, "module") != NULL; }

int ckpt__kg_build(const ckpt_model *m, kg_graph *g, ckpt_err *err)
{
    memset(g, 0, sizeof *g);
    if (!m->config_json)
        return ckpt_err_set(err, CKPT_E_UNSUPPORTED,
                            "code export needs the architecture: this model has no Keras config (weights only); "
                            "export the .h5/.keras/model.json that holds it, or put the model's JSON config beside the weights");
    cJSON *root = cJSON_Parse(m->config_json);
    if (!root) return ckpt_err_set(err, CKPT_E_FORMAT, "the model's Keras config is not valid JSON");
    g->wused = calloc((size_t)m->ntensors + 1, 1);
    walk w = {.c = {.g = g, .m = m, .err = err, .keras3 = is_keras3(root), .layer = "?", .cls = "?"}};
    int rc;
    const cJSON *cn = cJSON_GetObjectItemCaseSensitive(root, "class_name");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(root, "config");
    const char *cls = cJSON_IsString(cn) ? cn->valuestring : "";
    if (!g->wused) rc = nomem(&w.c);
    else if (!strcmp(cls, "Sequential")) rc = walk_sequential(&w, cfg);
    else if (!strcmp(cls, "Functional") || !strcmp(cls, "Model")) rc = walk_functional(&w, cfg);
    else
        rc = ckpt_err_set(err, CKPT_E_UNSUPPORTED,
                          "model class '%s' is not a Sequential or functional model: code export needs the layer "
                          "graph in the config (a subclassed model's call() is Python code)", cls);
    free(w.refs);
    cJSON_Delete(root);
    if (rc) ckpt__kg_free(g);
    return rc;
}

void ckpt__kg_free(kg_graph *g)
{
    for (int i = 0; i < g->ncalls; i++) {
        free(g->calls[i].layer);
        free(g->calls[i].cls);
        free(g->calls[i].id);
    }
    for (int i = 0; i < g->nin; i++) free(g->in_name[i]);
    for (int i = 0; i < g->nout; i++) free(g->out_name[i]);
    free(g->calls);
    free(g->t);
    free(g->op);
    free(g->wused);
    memset(g, 0, sizeof *g);
}
