/* src/export/kgraph_int.h: what kgraph.c (graph walk) gives the layer
 * builders in klayers.c (one per Keras class). */
#ifndef CKPT_KGRAPH_INT_H
#define CKPT_KGRAPH_INT_H

#include <cJSON.h>

#include "export/kgraph.h"

struct kg_ctx {
    kg_graph *g;
    const ckpt_model *m;
    ckpt_err *err;
    const cJSON *cfg;        /* the layer's "config" */
    const char *layer, *cls;
    int call;                /* current layer call */
    int keras3;              /* Keras 3 config (hard_sigmoid is relu6(x+3)/6 there) */
    const char *wprefix;     /* weights under another name (TimeDistributed, Bidirectional) */
};

int ckpt__kg_tensor_new(kg_ctx *c, int ndim, const int64_t *d);
kg_op *ckpt__kg_op_new(kg_ctx *c, const char *fn, int nin, const int *in, int out);
void ckpt__kg_pi(kg_op *o, const char *k, int64_t v);
void ckpt__kg_pf(kg_op *o, const char *k, double v);
/* Model tensor holding weight `role` of the current layer (under `sub`, a
 * Bidirectional half: "forward"/"backward", or NULL), checked against the
 * expected shape. Returns the index, -1 when absent and optional, -2 on
 * error (err set). */
int ckpt__kg_weight(kg_ctx *c, const char *sub, const char *role, int ndim, const int64_t *shape, int required);
int ckpt__kg_op_weight(kg_ctx *c, kg_op *o, const char *sub, const char *role, int ndim, const int64_t *shape, int required);
/* "layer 'NAME' (CLASS): option OPT=VALUE is not supported by code export" */
int ckpt__kg_refuse(kg_ctx *c, const char *opt, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int ckpt__kg_fail(kg_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A config number as an integer, clamped to [-lim, lim] (NaN: 0): values
 * from the file never overflow a cast or the shape arithmetic. */
#define KG_LIM ((int64_t)1 << 31)
int64_t ckpt__kg_num(const cJSON *v, int64_t lim);

const cJSON *ckpt__kg_get(kg_ctx *c, const char *k);
int64_t ckpt__kg_int(kg_ctx *c, const char *k, int64_t def);
double ckpt__kg_float(kg_ctx *c, const char *k, double def);
int ckpt__kg_bool(kg_ctx *c, const char *k, int def);
const char *ckpt__kg_str(kg_ctx *c, const char *k, const char *def);
/* An int or a list of n ints (kernel_size, strides); 0 ok, else error set. */
int ckpt__kg_ints(kg_ctx *c, const char *k, int n, int64_t *out, int64_t def);
/* Activation named by key `k` (a string, or a Keras 3 serialized function). */
int ckpt__kg_act(kg_ctx *c, const char *k, const char *def, int *act, double *a);
int ckpt__kg_act_by_name(kg_ctx *c, const char *opt, const char *name, int *act, double *a);

#endif
