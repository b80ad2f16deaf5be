/* src/export/tf_compat.c: --compat-mode tfjs|tflite, as tfjs-to-tf's
 * compatibility modes: fused ops TF.js's converter made (_FusedConv2D,
 * FusedDepthwiseConv2dNative, _FusedMatMul) are split back into their basic
 * ops, TF.js's Prelu (not a TensorFlow op) becomes Relu/Neg/Mul/Sub, and
 * 64-bit type attrs become the 32-bit types TF.js computes in (its weights
 * hold int32 and float32 only).
 *
 * A split node keeps its name on the last op of the chain, so every
 * consumer still reads it; the ops before it are named NODE/split_K_OP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/pbjson.h"
#include "export/tf_graph.h"

enum { A_NONE, A_CONV, A_DW, A_MATMUL, A_BIAS, A_T, A_LEAKY, A_BN };

typedef struct {
    const char *op;
    int nin;
    int ref[5];          /* >= 0: output of that stage; else ext[] */
    const char *ext[5];
    int attrs;
} stage;

typedef struct {
    stage s[16];
    int n;
} chain;

static int nomem(ckpt_err *err) { return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }

static Tensorflow__AttrValue *attr_clone(const Tensorflow__AttrValue *a)
{
    size_t n = protobuf_c_message_get_packed_size(&a->base);
    unsigned char *b = malloc(n ? n : 1);
    if (!b) return NULL;
    protobuf_c_message_pack(&a->base, b);
    Tensorflow__AttrValue *c = tensorflow__attr_value__unpack(NULL, n, b);
    free(b);
    return c;
}

static int attr_put(Tensorflow__NodeDef *nd, const char *key, Tensorflow__AttrValue *a, ckpt_err *err)
{
    Tensorflow__NodeDef__AttrEntry **na = realloc(nd->attr, (nd->n_attr + 1) * sizeof *na);
    Tensorflow__NodeDef__AttrEntry *e = na ? (Tensorflow__NodeDef__AttrEntry *)ckpt__pb_new(&tensorflow__node_def__attr_entry__descriptor) : NULL;
    char *k = ckpt__strdup(key);
    if (na) nd->attr = na;
    if (!a || !e || !k) {
        free(e);
        free(k);
        if (a) protobuf_c_message_free_unpacked(&a->base, NULL);
        return nomem(err);
    }
    e->key = k;
    e->value = a;
    nd->attr[nd->n_attr++] = e;
    return 0;
}

static Tensorflow__AttrValue *attr_new(int value_case)
{
    Tensorflow__AttrValue *a = (Tensorflow__AttrValue *)ckpt__pb_new(&tensorflow__attr_value__descriptor);
    if (a) a->value_case = value_case;
    return a;
}

/* The attrs stage kind `k` takes from the fused node `src`. */
static int stage_attrs(Tensorflow__NodeDef *dst, const Tensorflow__NodeDef *src, int k, int matmul, ckpt_err *err)
{
    static const char *const conv[] = {"T", "strides", "use_cudnn_on_gpu", "padding", "explicit_paddings", "data_format", "dilations", NULL};
    static const char *const dw[] = {"T", "strides", "padding", "explicit_paddings", "data_format", "dilations", NULL};
    static const char *const mm[] = {"T", "transpose_a", "transpose_b", NULL};
    static const char *const bias[] = {"T", "data_format", NULL};
    static const char *const t[] = {"T", NULL};
    static const char *const bn[] = {"T", "epsilon", "data_format", NULL};
    const char *const *keys = k == A_CONV ? conv : k == A_DW ? dw : k == A_MATMUL ? mm
                            : k == A_BIAS ? (matmul ? t : bias) : k == A_BN ? bn : t;
    for (int i = 0; keys[i]; i++) {
        const Tensorflow__AttrValue *a = ckpt__tfg_attr(src, keys[i]);
        if (a && attr_put(dst, keys[i], attr_clone(a), err)) return err->code;
    }
    if (k == A_LEAKY) {
        const Tensorflow__AttrValue *a = ckpt__tfg_attr(src, "leakyrelu_alpha");
        if (a && attr_put(dst, "alpha", attr_clone(a), err)) return err->code;
    }
    if (k == A_BN) {
        Tensorflow__AttrValue *u = attr_new(TENSORFLOW__ATTR_VALUE__VALUE_TYPE);
        if (u) u->type = TENSORFLOW__DATA_TYPE__DT_FLOAT;
        if (attr_put(dst, "U", u, err)) return err->code;
        if (attr_put(dst, "is_training", attr_new(TENSORFLOW__ATTR_VALUE__VALUE_B), err)) return err->code;
    }
    return 0;
}

static int add_stage(chain *c, const char *op, int attrs, int nin, const int *ref, const char *const *ext)
{
    if (c->n >= (int)(sizeof c->s / sizeof c->s[0])) return -1;
    stage *s = &c->s[c->n];
    s->op = op;
    s->attrs = attrs;
    s->nin = nin;
    for (int i = 0; i < nin; i++) { s->ref[i] = ref[i]; s->ext[i] = ext ? ext[i] : NULL; }
    return c->n++;
}

/* prelu(x, a) = relu(x) - a * relu(-x): equal to x < 0 ? a * x : x. */
static int add_prelu(chain *c, int x, const char *xname, const char *alpha)
{
    const char *ex[2] = {xname, alpha};
    int r = add_stage(c, "Relu", A_T, 1, (int[]){x}, ex);
    int ng = add_stage(c, "Neg", A_T, 1, (int[]){x}, ex);
    int rn = add_stage(c, "Relu", A_T, 1, (int[]){ng}, NULL);
    int ml = add_stage(c, "Mul", A_T, 2, (int[]){-1, rn}, (const char *[]){alpha, NULL});
    return r < 0 || ng < 0 || rn < 0 || ml < 0 ? -1 : add_stage(c, "Sub", A_T, 2, (int[]){r, ml}, NULL);
}

/* The stages replacing node nd (its data inputs in `in`, nin of them). */
static int plan_chain(const Tensorflow__NodeDef *nd, char **in, int nin, chain *c, ckpt_err *err)
{
    c->n = 0;
    if (!strcmp(nd->op, "Prelu")) {
        if (nin != 2) return ckpt_err_set(err, CKPT_E_FORMAT, "Prelu node '%.200s' has %d inputs, not 2", nd->name, nin);
        return add_prelu(c, -1, in[0], in[1]) < 0 ? nomem(err) : 0;
    }
    int matmul = !strcmp(nd->op, "_FusedMatMul");
    const char *base = matmul ? "MatMul" : !strcmp(nd->op, "_FusedConv2D") ? "Conv2D" : "DepthwiseConv2dNative";
    const Tensorflow__AttrValue *fo = ckpt__tfg_attr(nd, "fused_ops");
    size_t nf = fo && fo->value_case == TENSORFLOW__ATTR_VALUE__VALUE_LIST && fo->list ? fo->list->n_s : 0;
    if (nin < 2) return ckpt_err_set(err, CKPT_E_FORMAT, "%s node '%.200s' has %d inputs", nd->op, nd->name, nin);
    int prev = add_stage(c, base, matmul ? A_MATMUL : base[0] == 'C' ? A_CONV : A_DW, 2, (int[]){-1, -1},
                         (const char *[]){in[0], in[1]});
    int ai = 2;
    for (size_t f = 0; f < nf; f++) {
        char op[40];
        snprintf(op, sizeof op, "%.*s", (int)fo->list->s[f].len, (const char *)fo->list->s[f].data);
        static const char *const acts[] = {"Relu", "Relu6", "Elu", "Selu", "Sigmoid", "Tanh", NULL};
        int act = -1;
        for (int k = 0; acts[k]; k++) if (!strcmp(op, acts[k])) act = k;
        int need = !strcmp(op, "BiasAdd") || !strcmp(op, "Prelu") ? 1 : !strcmp(op, "FusedBatchNorm") ? 4 : 0;
        if (ai + need > nin)
            return ckpt_err_set(err, CKPT_E_FORMAT, "%s node '%.200s': %s needs %d more inputs", nd->op, nd->name, op, need);
        if (!strcmp(op, "BiasAdd"))
            prev = add_stage(c, "BiasAdd", A_BIAS, 2, (int[]){prev, -1}, (const char *[]){NULL, in[ai]});
        else if (!strcmp(op, "FusedBatchNorm") && !matmul)
            prev = add_stage(c, "FusedBatchNormV3", A_BN, 5, (int[]){prev, -1, -1, -1, -1},
                             (const char *[]){NULL, in[ai], in[ai + 1], in[ai + 2], in[ai + 3]});
        else if (!strcmp(op, "Prelu")) prev = add_prelu(c, prev, NULL, in[ai]);
        else if (!strcmp(op, "LeakyRelu")) prev = add_stage(c, "LeakyRelu", A_LEAKY, 1, (int[]){prev}, NULL);
        else if (act >= 0) prev = add_stage(c, acts[act], A_T, 1, (int[]){prev}, NULL);
        else return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "%s node '%.200s': cannot split fused op '%s'", nd->op, nd->name, op);
        if (prev < 0) return nomem(err);
        ai += need;
    }
    return 0;
}

/* A fresh name NODE/split_K_OP that no node has yet. */
static char *stage_name(const tf_graph *g, const char *node, int k, const char *op)
{
    for (int u = 0; u < 1000; u++) {
        char *s = u ? ckpt__asprintf("%s/split_%d_%s_%d", node, k, op, u) : ckpt__asprintf("%s/split_%d_%s", node, k, op);
        if (!s || ckpt__tfg_find(g, s) < 0) return s;
        free(s);
    }
    return NULL;
}

static int set_inputs(Tensorflow__NodeDef *nd, const stage *s, char **names, char **ctrl, int nctrl, ckpt_err *err)
{
    char **in = calloc((size_t)(s->nin + nctrl), sizeof *in);
    if (!in) return nomem(err);
    nd->input = in;
    for (int i = 0; i < s->nin + nctrl; i++) {
        const char *v = i >= s->nin ? ctrl[i - s->nin] : s->ref[i] >= 0 ? names[s->ref[i]] : s->ext[i];
        if (!(in[i] = ckpt__strdup(v))) return nomem(err);
        nd->n_input++;
    }
    return 0;
}

/* Replace node k by its chain: new nodes for the first stages, node k
 * itself (name kept) rewritten as the last. */
static int split_node(tf_graph *g, int k, ckpt_err *err)
{
    Tensorflow__NodeDef *nd = g->node[k];
    char **data = calloc(nd->n_input + 1, sizeof *data), **ctrl = calloc(nd->n_input + 1, sizeof *ctrl);
    int nin = 0, nctrl = 0, rc = 0;
    chain c;
    if (!data || !ctrl) { free(data); free(ctrl); return nomem(err); }
    for (size_t i = 0; i < nd->n_input; i++) {
        if (nd->input[i][0] == '^') ctrl[nctrl++] = nd->input[i];
        else data[nin++] = nd->input[i];
    }
    char *names[16] = {0};
    int matmul = !strcmp(nd->op, "_FusedMatMul");
    if ((rc = plan_chain(nd, data, nin, &c, err))) goto out;
    for (int s = 0; s < c.n - 1 && !rc; s++) {
        Tensorflow__NodeDef *n = (Tensorflow__NodeDef *)ckpt__pb_new(&tensorflow__node_def__descriptor);
        if (!n || !(names[s] = stage_name(g, nd->name, s, c.s[s].op)) || !(n->name = ckpt__strdup(names[s])) ||
            !(n->op = ckpt__strdup(c.s[s].op)) || !(n->device = ckpt__strdup(nd->device))) {
            if (n) {
                if (!n->name) n->name = (char *)protobuf_c_empty_string;
                if (!n->op) n->op = (char *)protobuf_c_empty_string;
                if (!n->device) n->device = (char *)protobuf_c_empty_string;
                protobuf_c_message_free_unpacked(&n->base, NULL);
            }
            rc = nomem(err);
            break;
        }
        if (!(rc = set_inputs(n, &c.s[s], names, ctrl, s == 0 ? nctrl : 0, err)))
            rc = stage_attrs(n, nd, c.s[s].attrs, matmul, err);
        if (rc) protobuf_c_message_free_unpacked(&n->base, NULL);
        else rc = ckpt__tfg_add(g, n, err);
    }
    if (rc) goto out;
    /* the last stage: node k, with new op, inputs and attrs */
    Tensorflow__NodeDef *last = (Tensorflow__NodeDef *)ckpt__pb_new(&tensorflow__node_def__descriptor);
    stage *ls = &c.s[c.n - 1];
    if (!last) { rc = nomem(err); goto out; }
    rc = set_inputs(last, ls, names, ctrl, c.n == 1 ? nctrl : 0, err);
    if (!rc) rc = stage_attrs(last, nd, ls->attrs, matmul, err);
    char *op = rc ? NULL : ckpt__strdup(ls->op);
    if (!rc && !op) rc = nomem(err);
    if (rc) { protobuf_c_message_free_unpacked(&last->base, NULL); goto out; }
    /* swap the new inputs and attrs into node k, the old ones into `last` to free */
    char **ti = nd->input; size_t tn = nd->n_input;
    nd->input = last->input; nd->n_input = last->n_input;
    last->input = ti; last->n_input = tn;
    Tensorflow__NodeDef__AttrEntry **ta = nd->attr; size_t tan = nd->n_attr;
    nd->attr = last->attr; nd->n_attr = last->n_attr;
    last->attr = ta; last->n_attr = tan;
    if (nd->op != (char *)protobuf_c_empty_string) free(nd->op);
    nd->op = op;
    protobuf_c_message_free_unpacked(&last->base, NULL);
out:
    for (int s = 0; s < 16; s++) free(names[s]);
    free(data);
    free(ctrl);
    return rc;
}

static void harmonise(Tensorflow__AttrValue *a)
{
    if (a->value_case == TENSORFLOW__ATTR_VALUE__VALUE_TYPE) {
        if (a->type == TENSORFLOW__DATA_TYPE__DT_INT64) a->type = TENSORFLOW__DATA_TYPE__DT_INT32;
        if (a->type == TENSORFLOW__DATA_TYPE__DT_DOUBLE) a->type = TENSORFLOW__DATA_TYPE__DT_FLOAT;
    } else if (a->value_case == TENSORFLOW__ATTR_VALUE__VALUE_LIST && a->list) {
        for (size_t i = 0; i < a->list->n_type; i++) {
            if (a->list->type[i] == TENSORFLOW__DATA_TYPE__DT_INT64) a->list->type[i] = TENSORFLOW__DATA_TYPE__DT_INT32;
            if (a->list->type[i] == TENSORFLOW__DATA_TYPE__DT_DOUBLE) a->list->type[i] = TENSORFLOW__DATA_TYPE__DT_FLOAT;
        }
    }
}

int ckpt__tfg_compat(tf_graph *g, const char *mode, ckpt_err *err)
{
    int n = g->nnode;   /* nodes added by splits need no second look */
    for (int k = 0; k < n; k++) {
        const char *op = g->node[k]->op;
        if (!strcmp(op, "_FusedConv2D") || !strcmp(op, "_FusedMatMul") || !strcmp(op, "FusedDepthwiseConv2dNative") ||
            !strcmp(op, "Prelu")) {
            int rc = split_node(g, k, err);
            if (rc) return rc;
        }
    }
    for (int k = 0; k < g->nnode; k++)
        for (size_t i = 0; g->weight[k] < 0 && i < g->node[k]->n_attr; i++)
            if (g->node[k]->attr[i]->value) harmonise(g->node[k]->attr[i]->value);
    (void)mode;   /* tfjs and tflite rewrite alike (see the top of the file) */
    return 0;
}
