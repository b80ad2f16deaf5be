/* src/export/kgraph.h: a small layer-graph IR built from a Keras model
 * config (Keras 2 / tf.keras, Keras 3, TF.js modelTopology), for the code
 * exporters (emit_numpy.c, emit_c.c).
 *
 * The graph works on one sample: tensor shapes leave out the batch axis,
 * and the generated code runs the ops once per row, so a batch gives
 * exactly the rows it gives one by one. Each op calls one runtime helper
 * (templates/numpy/runtime.py, templates/c/runtime.c) with its inputs, its
 * weights (model tensor indices) and named integer/float parameters, in
 * the helper's argument order. */
#ifndef CKPT_KGRAPH_H
#define CKPT_KGRAPH_H

#include "internal.h"

#define KG_MAXD 6
#define KG_MAXIN 16
#define KG_MAXW 6
#define KG_MAXP 24

/* activations, in the order of the runtimes' tables */
enum {
    KG_LINEAR, KG_RELU, KG_RELU6, KG_LEAKY_RELU, KG_ELU, KG_SELU, KG_GELU, KG_GELU_TANH,
    KG_SWISH, KG_SIGMOID, KG_HARD_SIGMOID, KG_TANH, KG_SOFTMAX, KG_SOFTPLUS, KG_SOFTSIGN,
    KG_EXPONENTIAL, KG_MISH, KG_NACT
};
extern const char *const ckpt__kg_act_names[KG_NACT];   /* "linear", "relu", ... */

typedef struct kg_tensor {
    int ndim;
    int64_t d[KG_MAXD];
    int64_t n;                /* elements per sample */
    int masked;               /* 1: produced by Masking (RNNs skip steps equal to mask_value);
                                 2: carries the mask on (a recurrent layer's sequences) */
    double mask_value;
} kg_tensor;

typedef struct kg_param { const char *k; int isf; int64_t i; double f; } kg_param;

typedef struct kg_op {
    const char *fn;           /* runtime helper */
    int call;                 /* index of the layer call it belongs to (kg_graph.calls) */
    int nin, in[KG_MAXIN], out;
    int nw, w[KG_MAXW];       /* model tensor index, -1 = absent (no bias) */
    int act, act2;            /* activation (and recurrent activation) */
    double act_a, act2_a;     /* their parameter: alpha, slope */
    int np;
    kg_param p[KG_MAXP];
} kg_op;

typedef struct kg_call {
    char *layer;              /* Keras layer name */
    char *cls;                /* its class */
    char *id;                 /* identifier: layer name made C/Python-safe, _N for later calls */
} kg_call;

typedef struct kg_graph {
    kg_tensor *t; int nt, capt;
    kg_op *op; int nop, capop;
    kg_call *calls; int ncalls, capcalls;
    int nin, in[KG_MAXIN];    /* input tensors */
    int nout, out[KG_MAXIN];  /* output tensors */
    char *in_name[KG_MAXIN], *out_name[KG_MAXIN];
    unsigned char *wused;     /* per model tensor: used by some op */
    int nweights;             /* model tensors used */
} kg_graph;

/* Build the graph of model m from its Keras config. Any layer or option
 * outside what the exporters implement fails with one line naming the
 * layer, its class and the option. */
int ckpt__kg_build(const ckpt_model *m, kg_graph *g, ckpt_err *err);
void ckpt__kg_free(kg_graph *g);

/* Identifier made of [A-Za-z0-9_] from a name (malloc'd); "w_" style prefix added. */
char *ckpt__kg_ident(const char *prefix, const char *name);

/* ---- used by the layer table (klayers.c) ---- */
typedef struct kg_ctx kg_ctx;
/* the layer builders: read the layer's config, check every option, add ops */
typedef int (*kg_layer_fn)(kg_ctx *c, const int *in, int nin, int *out);
kg_layer_fn ckpt__kg_layer_find(const char *cls);

#endif
