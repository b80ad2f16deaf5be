/* src/export/klayers.c: one builder per Keras layer class for the code
 * exporters. Each reads its config, refuses any option the runtimes do not
 * implement (naming it), infers its output shape and adds its ops.
 * Spatial layers are channels_last only; 1-D ones run as 2-D with H = 1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/kgraph_int.h"

#define T(i) (&c->g->t[in[i]])

static int one_input(kg_ctx *c, int nin)
{
    return nin == 1 ? 0 : ckpt__kg_fail(c, "takes one input, the graph gives it %d", nin);
}

static int rank_is(kg_ctx *c, const kg_tensor *x, int r)
{
    return x->ndim == r ? 0 : ckpt__kg_fail(c, "expects an input of rank %d besides the batch, got rank %d", r, x->ndim);
}

static int channels_last(kg_ctx *c)
{
    const char *df = ckpt__kg_str(c, "data_format", "channels_last");
    return strcmp(df, "channels_last") ? ckpt__kg_refuse(c, "data_format", "%s", df) : 0;
}

/* Options that must keep their inference-neutral value. */
static int must_be_false(kg_ctx *c, const char *k)
{
    return ckpt__kg_bool(c, k, 0) ? ckpt__kg_refuse(c, k, "true") : 0;
}

static int must_be_null(kg_ctx *c, const char *k)
{
    const cJSON *v = ckpt__kg_get(c, k);
    if (!v || cJSON_IsNull(v) || (cJSON_IsNumber(v) && v->valuedouble == 0)) return 0;
    return ckpt__kg_refuse(c, k, "%s", cJSON_IsNumber(v) ? "(non-zero)" : "(set)");
}

static int same_shape_out(kg_ctx *c, const kg_tensor *x, int *out)
{
    *out = ckpt__kg_tensor_new(c, x->ndim, x->d);
    return *out < 0 ? (int)c->err->code : 0;
}

/* ---- identity and activations ------------------------------------------- */

static int copy_op(kg_ctx *c, int in, int ndim, const int64_t *d, int *out)
{
    if ((*out = ckpt__kg_tensor_new(c, ndim, d)) < 0) return (int)c->err->code;
    kg_op *o = ckpt__kg_op_new(c, "copy", 1, &in, *out);
    if (!o) return (int)c->err->code;
    ckpt__kg_pi(o, "n", c->g->t[in].n);
    return 0;
}

static int L_identity(kg_ctx *c, const int *in, int nin, int *out)
{
    if (one_input(c, nin)) return (int)c->err->code;
    return copy_op(c, in[0], T(0)->ndim, T(0)->d, out);
}

static int L_masking(kg_ctx *c, const int *in, int nin, int *out)
{
    const cJSON *mv = ckpt__kg_get(c, "mask_value");
    double v = 0;
    if (cJSON_IsNumber(mv)) v = mv->valuedouble;
    else if (mv) {   /* Keras 3: {"class_name": "__tensor__", "config": {"value": [0.0]}} */
        const cJSON *val = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(mv, "config"), "value");
        if (cJSON_IsArray(val) && cJSON_GetArraySize(val) == 1) val = val->child;
        if (!cJSON_IsNumber(val)) return ckpt__kg_refuse(c, "mask_value", "(not one number)");
        v = val->valuedouble;
    }
    int rc = L_identity(c, in, nin, out);
    if (!rc) {
        c->g->t[*out].masked = 1;
        c->g->t[*out].mask_value = v;
    }
    return rc;
}


/* the op's activation (and its alpha); the layer's last step */
static int with_act(kg_op *o, int act, double a)
{
    o->act = act;
    o->act_a = a;
    return 0;
}

static int act_op(kg_ctx *c, int in, int act, double a, int *out)
{
    const kg_tensor *x = &c->g->t[in];
    if ((*out = ckpt__kg_tensor_new(c, x->ndim, x->d)) < 0) return (int)c->err->code;
    kg_op *o = ckpt__kg_op_new(c, "act", 1, &in, *out);
    if (!o) return (int)c->err->code;
    x = &c->g->t[in];
    ckpt__kg_pi(o, "n", x->n);
    ckpt__kg_pi(o, "last", x->d[x->ndim - 1]);
    return with_act(o, act, a);
}

static int L_activation(kg_ctx *c, const int *in, int nin, int *out)
{
    int act;
    double a;
    if (one_input(c, nin) || ckpt__kg_act(c, "activation", "linear", &act, &a)) return (int)c->err->code;
    return act_op(c, in[0], act, a, out);
}

static int L_leaky_relu(kg_ctx *c, const int *in, int nin, int *out)
{
    double a = ckpt__kg_float(c, "alpha", ckpt__kg_float(c, "negative_slope", 0.3));
    return one_input(c, nin) ? (int)c->err->code : act_op(c, in[0], KG_LEAKY_RELU, a, out);
}

static int L_elu(kg_ctx *c, const int *in, int nin, int *out)
{
    /* TF.js, the reference, implements only alpha = 1 */
    double a = ckpt__kg_float(c, "alpha", 1.0);
    if (a != 1.0) return ckpt__kg_refuse(c, "alpha", "%g (only 1)", a);
    return one_input(c, nin) ? (int)c->err->code : act_op(c, in[0], KG_ELU, a, out);
}

static int L_relu(kg_ctx *c, const int *in, int nin, int *out)
{
    const cJSON *mx = ckpt__kg_get(c, "max_value");
    if (ckpt__kg_float(c, "negative_slope", 0) != 0) return ckpt__kg_refuse(c, "negative_slope", "%g", ckpt__kg_float(c, "negative_slope", 0));
    if (ckpt__kg_float(c, "threshold", 0) != 0) return ckpt__kg_refuse(c, "threshold", "%g", ckpt__kg_float(c, "threshold", 0));
    int act = KG_RELU;
    if (cJSON_IsNumber(mx) && mx->valuedouble == 6) act = KG_RELU6;
    else if (mx && !cJSON_IsNull(mx)) return ckpt__kg_refuse(c, "max_value", "%g (only 6 or none)", mx->valuedouble);
    return one_input(c, nin) ? (int)c->err->code : act_op(c, in[0], act, 0, out);
}

/* axis -1 (or the last positive axis, counting the batch) */
static int last_axis(kg_ctx *c, const char *k, const kg_tensor *x)
{
    const cJSON *v = ckpt__kg_get(c, k);
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1) v = v->child;
    if (!v || cJSON_IsNull(v)) return 0;
    if (cJSON_IsNumber(v) && (ckpt__kg_num(v, KG_LIM) == -1 || ckpt__kg_num(v, KG_LIM) == x->ndim)) return 0;
    return ckpt__kg_refuse(c, k, "(not the last axis)");
}

static int L_softmax(kg_ctx *c, const int *in, int nin, int *out)
{
    if (one_input(c, nin) || last_axis(c, "axis", T(0))) return (int)c->err->code;
    return act_op(c, in[0], KG_SOFTMAX, 0, out);
}

/* ---- shape layers ------------------------------------------------------- */

static int L_flatten(kg_ctx *c, const int *in, int nin, int *out)
{
    if (one_input(c, nin) || channels_last(c)) return (int)c->err->code;
    int64_t n = T(0)->n;
    return copy_op(c, in[0], 1, &n, out);
}

static int L_reshape(kg_ctx *c, const int *in, int nin, int *out)
{
    if (one_input(c, nin)) return (int)c->err->code;
    const cJSON *ts = ckpt__kg_get(c, "target_shape");
    int nd = cJSON_GetArraySize(ts), unk = -1;
    if (!cJSON_IsArray(ts) || nd < 1 || nd > KG_MAXD) return ckpt__kg_refuse(c, "target_shape", "(not a list of 1 to %d sizes)", KG_MAXD);
    int64_t d[KG_MAXD], prod = 1;
    for (int i = 0; i < nd; i++) {
        const cJSON *e = cJSON_GetArrayItem(ts, i);
        d[i] = cJSON_IsNumber(e) ? ckpt__kg_num(e, KG_LIM) : -1;
        if (d[i] == -1 && unk < 0) unk = i;
        else if (d[i] <= 0 || prod > KG_LIM / d[i]) return ckpt__kg_refuse(c, "target_shape", "(bad size)");
        else prod *= d[i];
    }
    if (unk >= 0) d[unk] = prod ? T(0)->n / prod : 0;
    if (unk >= 0) prod *= d[unk];
    if (prod != T(0)->n) return ckpt__kg_fail(c, "target_shape holds %lld values, the input %lld", (long long)prod, (long long)T(0)->n);
    return copy_op(c, in[0], nd, d, out);
}

static int L_permute(kg_ctx *c, const int *in, int nin, int *out)
{
    if (one_input(c, nin)) return (int)c->err->code;
    const kg_tensor *x = T(0);
    int64_t dims[4];
    int nd = x->ndim;
    if (nd > 4) return ckpt__kg_fail(c, "Permute of more than 4 axes is not supported by code export");
    if (ckpt__kg_ints(c, "dims", nd, dims, 0)) return (int)c->err->code;
    int64_t d[4], seen = 0;
    for (int i = 0; i < nd; i++) {
        if (dims[i] < 1 || dims[i] > nd || (seen >> dims[i] & 1)) return ckpt__kg_refuse(c, "dims", "(not a permutation)");
        seen |= 1 << dims[i];
        d[i] = x->d[dims[i] - 1];
    }
    if ((*out = ckpt__kg_tensor_new(c, nd, d)) < 0) return (int)c->err->code;
    kg_op *o = ckpt__kg_op_new(c, "permute", 1, in, *out);
    if (!o) return (int)c->err->code;
    x = T(0);
    static const char *dn[4] = {"d0", "d1", "d2", "d3"}, *pn[4] = {"p0", "p1", "p2", "p3"};
    for (int i = 0; i < 4; i++) ckpt__kg_pi(o, dn[i], i < nd ? x->d[i] : 1);
    for (int i = 0; i < 4; i++) ckpt__kg_pi(o, pn[i], i < nd ? dims[i] - 1 : i);
    return 0;
}

static int L_repeat_vector(kg_ctx *c, const int *in, int nin, int *out)
{
    if (one_input(c, nin) || rank_is(c, T(0), 1)) return (int)c->err->code;
    int64_t n = ckpt__kg_int(c, "n", 0), d[2] = {n, T(0)->d[0]};
    if (n < 1) return ckpt__kg_refuse(c, "n", "%lld", (long long)n);
    if ((*out = ckpt__kg_tensor_new(c, 2, d)) < 0) return (int)c->err->code;
    kg_op *o = ckpt__kg_op_new(c, "repeat", 1, in, *out);
    if (!o) return (int)c->err->code;
    ckpt__kg_pi(o, "n", n);
    ckpt__kg_pi(o, "d", d[1]);
    return 0;
}

/* ---- dense and normalization ------------------------------------------- */

static int dense_op(kg_ctx *c, int in, int *out)
{
    const kg_tensor *x = &c->g->t[in];
    int64_t units = ckpt__kg_int(c, "units", 0), nin = x->d[x->ndim - 1];
    int act;
    double a;
    if (units < 1) return ckpt__kg_refuse(c, "units", "%lld", (long long)units);
    if (ckpt__kg_act(c, "activation", "linear", &act, &a) || must_be_null(c, "lora_rank") ||
        must_be_null(c, "quantization_config"))
        return (int)c->err->code;
    int64_t d[KG_MAXD];
    memcpy(d, x->d, sizeof d);
    d[x->ndim - 1] = units;
    if ((*out = ckpt__kg_tensor_new(c, x->ndim, d)) < 0) return (int)c->err->code;
    kg_op *o = ckpt__kg_op_new(c, "dense", 1, &in, *out);
    if (!o) return (int)c->err->code;
    int64_t ks[2] = {nin, units};
    if (ckpt__kg_op_weight(c, o, NULL, "kernel", 2, ks, 1) ||
        ckpt__kg_op_weight(c, o, NULL, "bias", 1, &units, ckpt__kg_bool(c, "use_bias", 1)))
        return (int)c->err->code;
    ckpt__kg_pi(o, "rows", c->g->t[in].n / nin);
    ckpt__kg_pi(o, "nin", nin);
    ckpt__kg_pi(o, "nout", units);
    return with_act(o, act, a);
}

static int L_dense(kg_ctx *c, const int *in, int nin, int *out)
{
    return one_input(c, nin) ? (int)c->err->code : dense_op(c, in[0], out);
}

static int norm_op(kg_ctx *c, const char *fn, int in, int *out, int bn)
{
    const kg_tensor *x = &c->g->t[in];
    int64_t ch = x->d[x->ndim - 1];
    if (last_axis(c, "axis", x) || must_be_false(c, "rms_scaling") || must_be_false(c, "renorm") ||
        must_be_false(c, "synchronized"))
        return (int)c->err->code;
    if (same_shape_out(c, x, out)) return (int)c->err->code;
    kg_op *o = ckpt__kg_op_new(c, fn, 1, &in, *out);
    if (!o) return (int)c->err->code;
    if (ckpt__kg_op_weight(c, o, NULL, "gamma", 1, &ch, ckpt__kg_bool(c, "scale", 1)) ||
        ckpt__kg_op_weight(c, o, NULL, "beta", 1, &ch, ckpt__kg_bool(c, "center", 1)) ||
        (bn && (ckpt__kg_op_weight(c, o, NULL, "moving_mean", 1, &ch, 1) ||
                ckpt__kg_op_weight(c, o, NULL, "moving_variance", 1, &ch, 1))))
        return (int)c->err->code;
    ckpt__kg_pi(o, "rows", c->g->t[in].n / ch);
    ckpt__kg_pi(o, "c", ch);
    ckpt__kg_pf(o, "eps", ckpt__kg_float(c, "epsilon", 1e-3));
    return 0;
}

static int L_batchnorm(kg_ctx *c, const int *in, int nin, int *out)
{
    return one_input(c, nin) ? (int)c->err->code : norm_op(c, "batchnorm", in[0], out, 1);
}

static int L_layernorm(kg_ctx *c, const int *in, int nin, int *out)
{
    return one_input(c, nin) ? (int)c->err->code : norm_op(c, "layernorm", in[0], out, 0);
}

/* ---- convolution and pooling ------------------------------------------- */

typedef struct geo { int64_t H, W, C, KH, KW, SH, SW, DH, DW, PT, PL, OH, OW; } geo;

/* Spatial geometry of a conv/pool with `nsp` spatial axes (1 or 2). */
static int geometry(kg_ctx *c, const kg_tensor *x, int nsp, const char *ksz, int pool, geo *g)
{
    int64_t k[2], s[2], d[2] = {1, 1};
    if (rank_is(c, x, nsp + 1) || channels_last(c) || ckpt__kg_ints(c, ksz, nsp, k, 2)) return (int)c->err->code;
    const cJSON *sv = ckpt__kg_get(c, "strides");
    if (pool && (!sv || cJSON_IsNull(sv))) memcpy(s, k, sizeof s);
    else if (ckpt__kg_ints(c, "strides", nsp, s, 1)) return (int)c->err->code;
    if (!pool && ckpt__kg_ints(c, "dilation_rate", nsp, d, 1)) return (int)c->err->code;
    const char *pad = ckpt__kg_str(c, "padding", "valid");
    int same = !strcmp(pad, "same"), causal = !strcmp(pad, "causal") && nsp == 1 && !pool;
    if (!same && !causal && strcmp(pad, "valid")) return ckpt__kg_refuse(c, "padding", "%s", pad);
    if (nsp == 1) { k[1] = k[0]; s[1] = s[0]; d[1] = d[0]; k[0] = s[0] = d[0] = 1; }
    g->H = nsp == 2 ? x->d[0] : 1;
    g->W = x->d[nsp - 1];
    g->C = x->d[nsp];
    int64_t in[2] = {g->H, g->W}, o[2], p[2];
    for (int i = 0; i < 2; i++) {
        if (k[i] < 1 || s[i] < 1 || d[i] < 1) return ckpt__kg_refuse(c, ksz, "(sizes must be positive)");
        int64_t ke = (k[i] - 1) * d[i] + 1;
        if (same) {
            o[i] = (in[i] + s[i] - 1) / s[i];
            int64_t tot = (o[i] - 1) * s[i] + ke - in[i];
            p[i] = tot > 0 ? tot / 2 : 0;
        } else if (causal && i == 1) {
            p[i] = ke - 1;
            o[i] = (in[i] - 1) / s[i] + 1;
        } else {
            p[i] = 0;
            o[i] = in[i] >= ke ? (in[i] - ke) / s[i] + 1 : 0;
        }
        if (o[i] < 1) return ckpt__kg_fail(c, "the kernel is larger than the input (%lld > %lld)", (long long)ke, (long long)in[i]);
    }
    *g = (geo){g->H, g->W, g->C, k[0], k[1], s[0], s[1], d[0], d[1], p[0], p[1], o[0], o[1]};
    return 0;
}

static void geo_params(kg_op *o, const geo *g, int dil)
{
    ckpt__kg_pi(o, "h", g->H); ckpt__kg_pi(o, "w", g->W); ckpt__kg_pi(o, "c", g->C);
    ckpt__kg_pi(o, "kh", g->KH); ckpt__kg_pi(o, "kw", g->KW);
    ckpt__kg_pi(o, "sh", g->SH); ckpt__kg_pi(o, "sw", g->SW);
    if (dil) { ckpt__kg_pi(o, "dh", g->DH); ckpt__kg_pi(o, "dw", g->DW); }
    ckpt__kg_pi(o, "pt", g->PT); ckpt__kg_pi(o, "pl", g->PL);
    ckpt__kg_pi(o, "oh", g->OH); ckpt__kg_pi(o, "ow", g->OW);
}

static int spatial_out(kg_ctx *c, int nsp, int64_t oh, int64_t ow, int64_t ch, int *out)
{
    int64_t d2[3] = {oh, ow, ch}, d1[2] = {ow, ch};
    *out = ckpt__kg_tensor_new(c, nsp + 1, nsp == 2 ? d2 : d1);
    return *out < 0 ? (int)c->err->code : 0;
}

static int conv_common(kg_ctx *c, const int *in, int nin, int *out, int nsp)
{
    geo g;
    int act;
    double a;
    int64_t f = ckpt__kg_int(c, "filters", 0);
    if (one_input(c, nin) || geometry(c, T(0), nsp, "kernel_size", 0, &g) ||
        ckpt__kg_act(c, "activation", "linear", &act, &a) || must_be_null(c, "lora_rank"))
        return (int)c->err->code;
    if (f < 1) return ckpt__kg_refuse(c, "filters", "%lld", (long long)f);
    if (ckpt__kg_int(c, "groups", 1) != 1) return ckpt__kg_refuse(c, "groups", "%lld", (long long)ckpt__kg_int(c, "groups", 1));
    if (spatial_out(c, nsp, g.OH, g.OW, f, out)) return (int)c->err->code;
    kg_op *o = ckpt__kg_op_new(c, "conv2d", 1, in, *out);
    if (!o) return (int)c->err->code;
    int64_t k2[4] = {g.KH, g.KW, g.C, f}, k1[3] = {g.KW, g.C, f};
    if (ckpt__kg_op_weight(c, o, NULL, "kernel", nsp + 2, nsp == 2 ? k2 : k1, 1) ||
        ckpt__kg_op_weight(c, o, NULL, "bias", 1, &f, ckpt__kg_bool(c, "use_bias", 1)))
        return (int)c->err->code;
    geo_params(o, &g, 1);
    ckpt__kg_pi(o, "o", f);
    return with_act(o, act, a);
}

static int L_conv1d(kg_ctx *c, const int *in, int nin, int *out) { return conv_common(c, in, nin, out, 1); }
static int L_conv2d(kg_ctx *c, const int *in, int nin, int *out) { return conv_common(c, in, nin, out, 2); }

/* depthwise part: kernel (KH, KW, C, M); with_bias for DepthwiseConv2D */
static int dw_op(kg_ctx *c, int in, const geo *g, int64_t m, const char *kname, int bias, int act, double a, int *out)
{
    if (spatial_out(c, 2, g->OH, g->OW, g->C * m, out)) return (int)c->err->code;
    kg_op *o = ckpt__kg_op_new(c, "dwconv2d", 1, &in, *out);
    if (!o) return (int)c->err->code;
    int64_t ks[4] = {g->KH, g->KW, g->C, m}, cm = g->C * m;
    int w = ckpt__kg_weight(c, NULL, kname, 4, ks, 0);
    if (w == -1 && !strcmp(kname, "depthwise_kernel")) w = ckpt__kg_weight(c, NULL, "kernel", 4, ks, 1);
    else if (w == -1) w = ckpt__kg_weight(c, NULL, kname, 4, ks, 1);
    if (w < 0) return (int)c->err->code;
    o->w[o->nw++] = w;
    if (!bias) o->w[o->nw++] = -1;          /* SeparableConv2D: its bias is the pointwise part's */
    else if (ckpt__kg_op_weight(c, o, NULL, "bias", 1, &cm, 1)) return (int)c->err->code;
    geo_params(o, g, 1);
    ckpt__kg_pi(o, "m", m);
    return with_act(o, act, a);
}

static int L_depthwise2d(kg_ctx *c, const int *in, int nin, int *out)
{
    geo g;
    int act;
    double a;
    int64_t m = ckpt__kg_int(c, "depth_multiplier", 1);
    if (one_input(c, nin) || geometry(c, T(0), 2, "kernel_size", 0, &g) || ckpt__kg_act(c, "activation", "linear", &act, &a))
        return (int)c->err->code;
    if (m < 1) return ckpt__kg_refuse(c, "depth_multiplier", "%lld", (long long)m);
    return dw_op(c, in[0], &g, m, "depthwise_kernel", ckpt__kg_bool(c, "use_bias", 1), act, a, out);
}

static int L_separable2d(kg_ctx *c, const int *in, int nin, int *out)
{
    geo g;
    int act, mid;
    double a;
    int64_t m = ckpt__kg_int(c, "depth_multiplier", 1), f = ckpt__kg_int(c, "filters", 0);
    if (one_input(c, nin) || geometry(c, T(0), 2, "kernel_size", 0, &g) || ckpt__kg_act(c, "activation", "linear", &act, &a))
        return (int)c->err->code;
    if (m < 1 || f < 1) return ckpt__kg_refuse(c, m < 1 ? "depth_multiplier" : "filters", "%lld", (long long)(m < 1 ? m : f));
    if (dw_op(c, in[0], &g, m, "depthwise_kernel", 0, KG_LINEAR, 0, &mid)) return (int)c->err->code;
    /* then a 1x1 convolution over the depthwise output */
    geo p = {g.OH, g.OW, g.C * m, 1, 1, 1, 1, 1, 1, 0, 0, g.OH, g.OW};
    if (spatial_out(c, 2, g.OH, g.OW, f, out)) return (int)c->err->code;
    kg_op *o = ckpt__kg_op_new(c, "conv2d", 1, &mid, *out);
    if (!o) return (int)c->err->code;
    int64_t ks[4] = {1, 1, g.C * m, f};
    if (ckpt__kg_op_weight(c, o, NULL, "pointwise_kernel", 4, ks, 1) ||
        ckpt__kg_op_weight(c, o, NULL, "bias", 1, &f, ckpt__kg_bool(c, "use_bias", 1)))
        return (int)c->err->code;
    geo_params(o, &p, 1);
    ckpt__kg_pi(o, "o", f);
    return with_act(o, act, a);
}

static int L_conv2d_transpose(kg_ctx *c, const int *in, int nin, int *out)
{
    int act;
    double a;
    int64_t f = ckpt__kg_int(c, "filters", 0), k[2], s[2], d[2];
    if (one_input(c, nin) || rank_is(c, T(0), 3) || channels_last(c) || ckpt__kg_ints(c, "kernel_size", 2, k, 1) ||
        ckpt__kg_ints(c, "strides", 2, s, 1) || ckpt__kg_ints(c, "dilation_rate", 2, d, 1) ||
        ckpt__kg_act(c, "activation", "linear", &act, &a) || must_be_null(c, "output_padding"))
        return (int)c->err->code;
    if (d[0] != 1 || d[1] != 1)   /* no reference implements it (TF.js has none) */
        return ckpt__kg_refuse(c, "dilation_rate", "(%lld, %lld)", (long long)d[0], (long long)d[1]);
    if (f < 1) return ckpt__kg_refuse(c, "filters", "%lld", (long long)f);
    const char *pad = ckpt__kg_str(c, "padding", "valid");
    int same = !strcmp(pad, "same");
    if (!same && strcmp(pad, "valid")) return ckpt__kg_refuse(c, "padding", "%s", pad);
    geo g = {T(0)->d[0], T(0)->d[1], T(0)->d[2], k[0], k[1], s[0], s[1], d[0], d[1], 0, 0, 0, 0};
    int64_t ins[2] = {g.H, g.W}, o2[2], p2[2];
    for (int i = 0; i < 2; i++) {
        if (k[i] < 1 || s[i] < 1 || d[i] < 1) return ckpt__kg_refuse(c, "kernel_size", "(sizes must be positive)");
        int64_t ke = (k[i] - 1) * d[i] + 1;
        o2[i] = same ? ins[i] * s[i] : ins[i] * s[i] + (ke > s[i] ? ke - s[i] : 0);
        int64_t tot = (ins[i] - 1) * s[i] + ke - o2[i];
        p2[i] = tot > 0 ? tot / 2 : 0;
    }
    g.PT = p2[0]; g.PL = p2[1]; g.OH = o2[0]; g.OW = o2[1];
    if (spatial_out(c, 2, g.OH, g.OW, f, out)) return (int)c->err->code;
    kg_op *o = ckpt__kg_op_new(c, "conv2d_t", 1, in, *out);
    if (!o) return (int)c->err->code;
    int64_t ks[4] = {g.KH, g.KW, f, g.C};
    if (ckpt__kg_op_weight(c, o, NULL, "kernel", 4, ks, 1) ||
        ckpt__kg_op_weight(c, o, NULL, "bias", 1, &f, ckpt__kg_bool(c, "use_bias", 1)))
        return (int)c->err->code;
    geo_params(o, &g, 1);
    ckpt__kg_pi(o, "o", f);
    return with_act(o, act, a);
}

static int pool_common(kg_ctx *c, const int *in, int nin, int *out, int nsp, int avg)
{
    geo g;
    if (one_input(c, nin) || geometry(c, T(0), nsp, "pool_size", 1, &g)) return (int)c->err->code;
    if (spatial_out(c, nsp, g.OH, g.OW, g.C, out)) return (int)c->err->code;
    kg_op *o = ckpt__kg_op_new(c, "pool2d", 1, in, *out);
    if (!o) return (int)c->err->code;
    geo_params(o, &g, 0);
    ckpt__kg_pi(o, "avg", avg);
    return 0;
}

static int L_maxpool1d(kg_ctx *c, const int *in, int nin, int *out) { return pool_common(c, in, nin, out, 1, 0); }
static int L_maxpool2d(kg_ctx *c, const int *in, int nin, int *out) { return pool_common(c, in, nin, out, 2, 0); }
static int L_avgpool1d(kg_ctx *c, const int *in, int nin, int *out) { return pool_common(c, in, nin, out, 1, 1); }
static int L_avgpool2d(kg_ctx *c, const int *in, int nin, int *out) { return pool_common(c, in, nin, out, 2, 1); }

static int gpool_common(kg_ctx *c, const int *in, int nin, int *out, int nsp, int avg)
{
    if (one_input(c, nin) || rank_is(c, T(0), nsp + 1) || channels_last(c)) return (int)c->err->code;
    int64_t ch = T(0)->d[nsp], s = T(0)->n / ch, d[3] = {1, 1, 1};
    if (must_be_false(c, "keepdims")) return (int)c->err->code;   /* TF.js has no keepdims */
    int keep = 0;
    d[keep ? nsp : 0] = ch;
    if ((*out = ckpt__kg_tensor_new(c, keep ? nsp + 1 : 1, d)) < 0) return (int)c->err->code;
    kg_op *o = ckpt__kg_op_new(c, "gpool", 1, in, *out);
    if (!o) return (int)c->err->code;
    ckpt__kg_pi(o, "s", s);
    ckpt__kg_pi(o, "c", ch);
    ckpt__kg_pi(o, "avg", avg);
    return 0;
}

static int L_gmax1d(kg_ctx *c, const int *in, int nin, int *out) { return gpool_common(c, in, nin, out, 1, 0); }
static int L_gmax2d(kg_ctx *c, const int *in, int nin, int *out) { return gpool_common(c, in, nin, out, 2, 0); }
static int L_gavg1d(kg_ctx *c, const int *in, int nin, int *out) { return gpool_common(c, in, nin, out, 1, 1); }
static int L_gavg2d(kg_ctx *c, const int *in, int nin, int *out) { return gpool_common(c, in, nin, out, 2, 1); }

/* padding/cropping amounts: an int, (a, b) per axis, or ((t, b), (l, r)) */
static int amounts(kg_ctx *c, const char *k, int nsp, int64_t *tblr)
{
    const cJSON *v = ckpt__kg_get(c, k);
    memset(tblr, 0, 4 * sizeof *tblr);
    int64_t *p = nsp == 2 ? tblr : tblr + 2;
    if (cJSON_IsNumber(v)) {
        for (int i = 0; i < 2 * nsp; i++) p[i] = ckpt__kg_num(v, KG_LIM);
        return 0;
    }
    int n = cJSON_GetArraySize(v);
    if (!cJSON_IsArray(v) || n != 2) return ckpt__kg_refuse(c, k, "(not an int or a pair)");
    int i = 0;
    for (const cJSON *e = v->child; e; e = e->next) {
        if (cJSON_IsNumber(e) && nsp == 1) p[i++] = ckpt__kg_num(e, KG_LIM);
        else if (cJSON_IsNumber(e)) { p[i] = p[i + 1] = ckpt__kg_num(e, KG_LIM); i += 2; }
        else if (cJSON_GetArraySize(e) == 2 && nsp == 2) {
            p[i++] = ckpt__kg_num(cJSON_GetArrayItem(e, 0), KG_LIM);
            p[i++] = ckpt__kg_num(cJSON_GetArrayItem(e, 1), KG_LIM);
        } else return ckpt__kg_refuse(c, k, "(bad form)");
    }
    for (i = 0; i < 4; i++)
        if (tblr[i] < 0) return ckpt__kg_refuse(c, k, "(negative)");
    return 0;
}

static int padcrop(kg_ctx *c, const int *in, int nin, int *out, int nsp, int crop)
{
    int64_t a[4];
    if (one_input(c, nin) || rank_is(c, T(0), nsp + 1) || channels_last(c) ||
        amounts(c, crop ? "cropping" : "padding", nsp, a))
        return (int)c->err->code;
    int64_t H = nsp == 2 ? T(0)->d[0] : 1, W = T(0)->d[nsp - 1], C = T(0)->d[nsp];
    int64_t sg = crop ? -1 : 1, OH = H + sg * (a[0] + a[1]), OW = W + sg * (a[2] + a[3]);
    if (OH < 1 || OW < 1) return ckpt__kg_fail(c, "crops away the whole input");
    if (spatial_out(c, nsp, OH, OW, C, out)) return (int)c->err->code;
    kg_op *o = ckpt__kg_op_new(c, crop ? "crop2d" : "pad2d", 1, in, *out);
    if (!o) return (int)c->err->code;
    ckpt__kg_pi(o, "h", H); ckpt__kg_pi(o, "w", W); ckpt__kg_pi(o, "c", C);
    ckpt__kg_pi(o, "t", a[0]); ckpt__kg_pi(o, "b", a[1]); ckpt__kg_pi(o, "l", a[2]); ckpt__kg_pi(o, "r", a[3]);
    return 0;
}

static int L_zeropad1d(kg_ctx *c, const int *in, int nin, int *out) { return padcrop(c, in, nin, out, 1, 0); }
static int L_zeropad2d(kg_ctx *c, const int *in, int nin, int *out) { return padcrop(c, in, nin, out, 2, 0); }
static int L_crop1d(kg_ctx *c, const int *in, int nin, int *out) { return padcrop(c, in, nin, out, 1, 1); }
static int L_crop2d(kg_ctx *c, const int *in, int nin, int *out) { return padcrop(c, in, nin, out, 2, 1); }

static int L_upsample2d(kg_ctx *c, const int *in, int nin, int *out)
{
    int64_t s[2];
    if (one_input(c, nin) || rank_is(c, T(0), 3) || channels_last(c) || ckpt__kg_ints(c, "size", 2, s, 2)) return (int)c->err->code;
    const char *ip = ckpt__kg_str(c, "interpolation", "nearest");
    if (strcmp(ip, "nearest")) return ckpt__kg_refuse(c, "interpolation", "%s", ip);
    if (s[0] < 1 || s[1] < 1) return ckpt__kg_refuse(c, "size", "(not positive)");
    if (spatial_out(c, 2, T(0)->d[0] * s[0], T(0)->d[1] * s[1], T(0)->d[2], out)) return (int)c->err->code;
    kg_op *o = ckpt__kg_op_new(c, "upsample2d", 1, in, *out);
    if (!o) return (int)c->err->code;
    ckpt__kg_pi(o, "h", T(0)->d[0]); ckpt__kg_pi(o, "w", T(0)->d[1]); ckpt__kg_pi(o, "c", T(0)->d[2]);
    ckpt__kg_pi(o, "sh", s[0]); ckpt__kg_pi(o, "sw", s[1]);
    return 0;
}

/* ---- merges --------------------------------------------------------------- */

enum { M_ADD, M_SUB, M_MUL, M_AVG, M_MAX, M_MIN };

static int merge_op(kg_ctx *c, const int *in, int nin, int *out, int kind)
{
    if (nin < 2 || (kind == M_SUB && nin != 2))
        return ckpt__kg_fail(c, "takes %s inputs, the graph gives it %d", kind == M_SUB ? "exactly 2" : "2 or more", nin);
    for (int i = 1; i < nin; i++)
        if (T(i)->ndim != T(0)->ndim || memcmp(T(i)->d, T(0)->d, (size_t)T(0)->ndim * sizeof(int64_t)))
            return ckpt__kg_fail(c, "inputs of different shapes (broadcasting is not supported by code export)");
    if (same_shape_out(c, T(0), out)) return (int)c->err->code;
    kg_op *o = ckpt__kg_op_new(c, "merge", nin, in, *out);
    if (!o) return (int)c->err->code;
    ckpt__kg_pi(o, "n", T(0)->n);
    ckpt__kg_pi(o, "kind", kind);
    return 0;
}

static int L_add(kg_ctx *c, const int *in, int nin, int *out) { return merge_op(c, in, nin, out, M_ADD); }
static int L_subtract(kg_ctx *c, const int *in, int nin, int *out) { return merge_op(c, in, nin, out, M_SUB); }
static int L_multiply(kg_ctx *c, const int *in, int nin, int *out) { return merge_op(c, in, nin, out, M_MUL); }
static int L_average(kg_ctx *c, const int *in, int nin, int *out) { return merge_op(c, in, nin, out, M_AVG); }
static int L_maximum(kg_ctx *c, const int *in, int nin, int *out) { return merge_op(c, in, nin, out, M_MAX); }
static int L_minimum(kg_ctx *c, const int *in, int nin, int *out) { return merge_op(c, in, nin, out, M_MIN); }

static int concat_op(kg_ctx *c, const int *in, int nin, int axis, int *out)
{
    int nd = T(0)->ndim;
    int64_t d[KG_MAXD];
    memcpy(d, T(0)->d, sizeof d);
    for (int i = 1; i < nin; i++) {
        int ok = T(i)->ndim == nd;
        for (int k = 0; ok && k < nd; k++) ok = k == axis || T(i)->d[k] == d[k];
        if (!ok) return ckpt__kg_fail(c, "inputs whose shapes differ off the concatenation axis");
        d[axis] += T(i)->d[axis];
    }
    if ((*out = ckpt__kg_tensor_new(c, nd, d)) < 0) return (int)c->err->code;
    kg_op *o = ckpt__kg_op_new(c, "concat", nin, in, *out);
    if (!o) return (int)c->err->code;
    int64_t outer = 1;
    for (int k = 0; k < axis; k++) outer *= d[k];
    ckpt__kg_pi(o, "outer", outer);
    ckpt__kg_pi(o, "axis", axis);
    return 0;
}

static int L_concatenate(kg_ctx *c, const int *in, int nin, int *out)
{
    if (nin < 2) return ckpt__kg_fail(c, "takes 2 or more inputs, the graph gives it %d", nin);
    int64_t ax = ckpt__kg_int(c, "axis", -1), nd = T(0)->ndim;
    if (ax < 0) ax += nd;
    else ax -= 1;                     /* a positive axis counts the batch */
    if (ax < 0 || ax >= nd) return ckpt__kg_refuse(c, "axis", "%lld", (long long)ckpt__kg_int(c, "axis", -1));
    return concat_op(c, in, nin, (int)ax, out);
}

/* ---- embedding and recurrent layers ------------------------------------- */

static int L_embedding(kg_ctx *c, const int *in, int nin, int *out)
{
    if (one_input(c, nin) || must_be_false(c, "mask_zero") || must_be_null(c, "lora_rank")) return (int)c->err->code;
    int64_t v = ckpt__kg_int(c, "input_dim", 0), dim = ckpt__kg_int(c, "output_dim", 0);
    if (v < 1 || dim < 1) return ckpt__kg_refuse(c, v < 1 ? "input_dim" : "output_dim", "(not positive)");
    int64_t d[KG_MAXD];
    memcpy(d, T(0)->d, sizeof d);
    if (T(0)->ndim >= KG_MAXD) return ckpt__kg_fail(c, "input of rank %d", T(0)->ndim);
    d[T(0)->ndim] = dim;
    if ((*out = ckpt__kg_tensor_new(c, T(0)->ndim + 1, d)) < 0) return (int)c->err->code;
    kg_op *o = ckpt__kg_op_new(c, "embedding", 1, in, *out);
    if (!o) return (int)c->err->code;
    int64_t es[2] = {v, dim};
    if (ckpt__kg_op_weight(c, o, NULL, "embeddings", 2, es, 1)) return (int)c->err->code;
    ckpt__kg_pi(o, "n", T(0)->n);
    ckpt__kg_pi(o, "vocab", v);
    ckpt__kg_pi(o, "dim", dim);
    return 0;
}

/* One direction of a SimpleRNN/GRU/LSTM: `sub` names the Bidirectional half. */
static int rnn_op(kg_ctx *c, int in, const char *sub, int invert, int flip_back, int *out)
{
    const kg_tensor *x = &c->g->t[in];
    const char *fn = !strcmp(c->cls, "LSTM") ? "lstm" : !strcmp(c->cls, "GRU") ? "gru" : "simple_rnn";
    int gates = fn[0] == 'l' ? 4 : fn[0] == 'g' ? 3 : 1;
    int64_t u = ckpt__kg_int(c, "units", 0);
    int act, ract = KG_SIGMOID, seq = ckpt__kg_bool(c, "return_sequences", 0);
    double a, ra = 0;
    if (rank_is(c, x, 2) || ckpt__kg_act(c, "activation", "tanh", &act, &a) || must_be_false(c, "return_state") ||
        must_be_false(c, "zero_output_for_mask") ||
        must_be_false(c, "stateful") || must_be_false(c, "time_major") || must_be_null(c, "lora_rank") ||
        (gates > 1 && ckpt__kg_act(c, "recurrent_activation", "sigmoid", &ract, &ra)))
        return (int)c->err->code;
    if (u < 1) return ckpt__kg_refuse(c, "units", "%lld", (long long)u);
    int ra_gru = gates == 3 && ckpt__kg_bool(c, "reset_after", 0);
    int64_t T_ = x->d[0], I = x->d[1], d2[2] = {T_, u};
    if ((*out = ckpt__kg_tensor_new(c, seq ? 2 : 1, seq ? d2 : &u)) < 0) return (int)c->err->code;
    kg_op *o = ckpt__kg_op_new(c, fn, 1, &in, *out);
    if (!o) return (int)c->err->code;
    x = &c->g->t[in];
    int64_t ks[2] = {I, gates * u}, rs[2] = {u, gates * u}, bs[2] = {2, 3 * u};
    if (ckpt__kg_op_weight(c, o, sub, "kernel", 2, ks, 1) || ckpt__kg_op_weight(c, o, sub, "recurrent_kernel", 2, rs, 1) ||
        ckpt__kg_op_weight(c, o, sub, "bias", ra_gru ? 2 : 1, ra_gru ? bs : ks + 1, ckpt__kg_bool(c, "use_bias", 1)))
        return (int)c->err->code;
    ckpt__kg_pi(o, "t", T_);
    ckpt__kg_pi(o, "i", I);
    ckpt__kg_pi(o, "u", u);
    ckpt__kg_pi(o, "seq", seq);
    ckpt__kg_pi(o, "back", ckpt__kg_bool(c, "go_backwards", 0) ^ invert);
    ckpt__kg_pi(o, "flip", flip_back && seq);
    if (gates == 3) ckpt__kg_pi(o, "reset_after", ra_gru);
    ckpt__kg_pi(o, "masked", x->masked);
    ckpt__kg_pf(o, "mask_value", x->mask_value);
    ckpt__kg_pi(o, "zero_masked", ckpt__kg_bool(c, "zero_output_for_mask", 0));
    o->act = act;
    o->act_a = a;
    o->act2 = ract;
    o->act2_a = ra;
    return 0;
}

static int L_rnn(kg_ctx *c, const int *in, int nin, int *out)
{
    return one_input(c, nin) ? (int)c->err->code : rnn_op(c, in[0], NULL, 0, 0, out);
}

/* Run a wrapped layer's config ({"class_name", "config"}) in this call. */
static int with_inner(kg_ctx *c, const char *key, const char **cls, const cJSON **cfg)
{
    const cJSON *L = ckpt__kg_get(c, key);
    const cJSON *cn = cJSON_GetObjectItemCaseSensitive(L, "class_name");
    *cfg = cJSON_GetObjectItemCaseSensitive(L, "config");
    if (!cJSON_IsString(cn) || !cJSON_IsObject(*cfg)) return ckpt__kg_fail(c, "no wrapped layer ('%s') in its config", key);
    *cls = cn->valuestring;
    return 0;
}

static int L_bidirectional(kg_ctx *c, const int *in, int nin, int *out)
{
    const char *cls, *mm = ckpt__kg_str(c, "merge_mode", "concat");
    const cJSON *inner;
    if (one_input(c, nin) || with_inner(c, "layer", &cls, &inner)) return (int)c->err->code;
    if (strcmp(cls, "LSTM") && strcmp(cls, "GRU") && strcmp(cls, "SimpleRNN"))
        return ckpt__kg_refuse(c, "layer", "%s", cls);
    int kind = !strcmp(mm, "sum") ? M_ADD : !strcmp(mm, "mul") ? M_MUL : !strcmp(mm, "ave") ? M_AVG
             : !strcmp(mm, "concat") ? -1 : -2;
    if (kind == -2 || !cJSON_IsString(ckpt__kg_get(c, "merge_mode"))) {
        if (ckpt__kg_get(c, "merge_mode")) return ckpt__kg_refuse(c, "merge_mode", "%s", cJSON_IsString(ckpt__kg_get(c, "merge_mode")) ? mm : "None");
    }
    if (T(0)->masked) return ckpt__kg_fail(c, "a masked input (Masking before Bidirectional) is not supported by code export");
    const cJSON *bl = ckpt__kg_get(c, "backward_layer"), *outer = c->cfg;
    const char *ocls = c->cls;
    int halves[2];
    c->cls = cls;
    c->cfg = inner;
    int rc = rnn_op(c, in[0], "forward", 0, 0, &halves[0]);
    /* a serialized backward_layer already has go_backwards flipped */
    const cJSON *bc = cJSON_GetObjectItemCaseSensitive(bl, "config");
    if (bc) c->cfg = bc;
    if (!rc) rc = rnn_op(c, in[0], "backward", !bc, 1, &halves[1]);
    c->cls = ocls;
    c->cfg = outer;
    if (rc) return rc;
    kg_tensor *h = &c->g->t[halves[0]];
    return kind == -1 ? concat_op(c, halves, 2, h->ndim - 1, out) : merge_op(c, halves, 2, out, kind);
}

static int L_time_distributed(kg_ctx *c, const int *in, int nin, int *out)
{
    const char *cls;
    const cJSON *inner, *outer = c->cfg;
    if (one_input(c, nin) || with_inner(c, "layer", &cls, &inner)) return (int)c->err->code;
    if (strcmp(cls, "Dense")) return ckpt__kg_refuse(c, "layer", "%s (only Dense)", cls);
    if (T(0)->ndim < 2) return ckpt__kg_fail(c, "needs an input with a time axis");
    c->cfg = inner;
    int rc = dense_op(c, in[0], out);
    c->cfg = outer;
    return rc;
}

/* ---- the table ------------------------------------------------------------ */

static const struct { const char *cls; kg_layer_fn fn; } table[] = {
    {"Dense", L_dense}, {"Dropout", L_identity}, {"SpatialDropout1D", L_identity},
    {"SpatialDropout2D", L_identity}, {"Activation", L_activation}, {"LeakyReLU", L_leaky_relu},
    {"ELU", L_elu}, {"ReLU", L_relu}, {"Softmax", L_softmax}, {"Flatten", L_flatten},
    {"Reshape", L_reshape}, {"Permute", L_permute}, {"RepeatVector", L_repeat_vector},
    {"BatchNormalization", L_batchnorm}, {"LayerNormalization", L_layernorm},
    {"Conv1D", L_conv1d}, {"Conv2D", L_conv2d}, {"Conv2DTranspose", L_conv2d_transpose},
    {"DepthwiseConv2D", L_depthwise2d}, {"SeparableConv2D", L_separable2d},
    {"MaxPooling1D", L_maxpool1d}, {"MaxPooling2D", L_maxpool2d}, {"AveragePooling1D", L_avgpool1d},
    {"AveragePooling2D", L_avgpool2d}, {"MaxPool1D", L_maxpool1d}, {"MaxPool2D", L_maxpool2d},
    {"AvgPool1D", L_avgpool1d}, {"AvgPool2D", L_avgpool2d},
    {"GlobalAveragePooling1D", L_gavg1d}, {"GlobalAveragePooling2D", L_gavg2d},
    {"GlobalMaxPooling1D", L_gmax1d}, {"GlobalMaxPooling2D", L_gmax2d},
    {"GlobalAvgPool1D", L_gavg1d}, {"GlobalAvgPool2D", L_gavg2d}, {"GlobalMaxPool1D", L_gmax1d},
    {"GlobalMaxPool2D", L_gmax2d},
    {"ZeroPadding1D", L_zeropad1d}, {"ZeroPadding2D", L_zeropad2d}, {"Cropping1D", L_crop1d},
    {"Cropping2D", L_crop2d}, {"UpSampling2D", L_upsample2d},
    {"Add", L_add}, {"Subtract", L_subtract}, {"Multiply", L_multiply}, {"Average", L_average},
    {"Maximum", L_maximum}, {"Minimum", L_minimum}, {"Concatenate", L_concatenate},
    {"Embedding", L_embedding}, {"SimpleRNN", L_rnn}, {"GRU", L_rnn}, {"LSTM", L_rnn},
    {"Bidirectional", L_bidirectional}, {"TimeDistributed", L_time_distributed},
    {"Masking", L_masking},
};

kg_layer_fn ckpt__kg_layer_find(const char *cls)
{
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (!strcmp(table[i].cls, cls)) return table[i].fn;
    return NULL;
}
