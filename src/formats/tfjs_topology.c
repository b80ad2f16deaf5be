/* src/formats/tfjs_topology.c: a Keras model config in the tf.keras JSON
 * form that tf.loadLayersModel (@tensorflow/tfjs-layers 4.x) deserializes.
 *
 * Keras 2 / tf.keras configs (and a TF.js layers model's own) pass through
 * with little change. Keras 3 configs are translated back:
 *   - "module", "registered_name", "shared_object_id", "build_config" and
 *     "compile_config" are dropped (tfjs looks classes up by class_name);
 *   - DTypePolicy objects become their dtype string ("float32");
 *   - "__tensor__" / "__numpy__" wrapped values become plain JSON values
 *     (Masking's mask_value), one-element arrays a number;
 *   - InputLayer "batch_shape" becomes "batch_input_shape";
 *   - Functional inbound nodes {"args": [__keras_tensor__...], "kwargs"}
 *     become [[layer, node, tensor, kwargs], ...]; single input/output
 *     lists ["x", 0, 0] become [["x", 0, 0]];
 *   - a Sequential without an InputLayer gets its build_input_shape as the
 *     first layer's batch_input_shape;
 *   - L1 / L2 regularizers become L1L2 (the only one tfjs registers).
 * A layer whose class tfjs-layers does not register, a dtype policy tfjs
 * cannot compute in (mixed_float16, int8 quantized) or a subclassed model
 * (no layer list: its architecture is Python code) is an error naming it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tfjs_write.h"

#define MAX_DEPTH 64

/* Layer classes tfjs-layers 4.22 registers (serialization.registerClass). */
static const char *const tfjs_layers[] = {
    "Activation", "Add", "AlphaDropout", "Average", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "BatchNormalization", "Bidirectional", "CategoryEncoding", "CenterCrop",
    "Concatenate", "Conv1D", "Conv2D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose", "ConvLSTM2D",
    "ConvLSTM2DCell", "Cropping2D", "Dense", "DepthwiseConv2D", "Dot", "Dropout", "ELU",
    "EinsumDense", "Embedding", "Flatten", "GRU", "GRUCell", "GaussianDropout", "GaussianNoise",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
    "Identity", "InputLayer", "LSTM", "LSTMCell", "LayerNormalization", "LeakyReLU", "Masking",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "Maximum", "Minimum", "MultiHeadAttention",
    "Multiply", "PReLU", "Permute", "RNN", "RandomHeight", "RandomWidth", "ReLU", "RepeatVector",
    "Rescaling", "Reshape", "Resizing", "SeparableConv2D", "SimpleRNN", "SimpleRNNCell", "Softmax",
    "SpatialDropout1D", "StackedRNNCells", "ThresholdedReLU", "TimeDistributed", "UnitNorm",
    "UpSampling2D", "ZeroPadding2D", NULL,
};

static int is_model_class(const char *c)
{
    return !strcmp(c, "Sequential") || !strcmp(c, "Functional") || !strcmp(c, "Model");
}

/* Keras 3 DTypePolicy / FloatDTypePolicy, tf.keras mixed precision Policy */
static int is_policy(const char *c)
{
    return strstr(c, "DTypePolicy") || !strcmp(c, "Policy");
}

static int tfjs_knows(const char *c)
{
    for (int i = 0; tfjs_layers[i]; i++)
        if (!strcmp(tfjs_layers[i], c)) return 1;
    return 0;
}

typedef struct {
    ckpt_err *err;
    const char *layer;   /* the layer being translated, for messages */
} tctx;

static int t_fail(tctx *c, const char *fmt, const char *a, const char *b)
{
    char msg[300];
    snprintf(msg, sizeof msg, fmt, a ? a : "", b ? b : "");
    if (c->layer) return ckpt_err_set(c->err, CKPT_E_UNSUPPORTED, "layer '%.120s': %s", c->layer, msg);
    return ckpt_err_set(c->err, CKPT_E_UNSUPPORTED, "%s", msg);
}

static const char *str_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int replace(cJSON *parent, cJSON *old, cJSON *neu, tctx *c)
{
    if (!neu) return ckpt_err_set(c->err, CKPT_E_NOMEM, "out of memory");
    /* in an object the key must be carried over (ViaPointer keeps none) */
    if (old->string) cJSON_ReplaceItemInObjectCaseSensitive(parent, old->string, neu);
    else cJSON_ReplaceItemViaPointer(parent, old, neu);
    return 0;
}

/* A DTypePolicy object -> its dtype name, when tfjs can compute in it. */
static int fix_policy(cJSON *parent, cJSON *v, tctx *c)
{
    const char *nm = str_of(cJSON_GetObjectItemCaseSensitive(v, "config"), "name");
    if (!nm) return t_fail(c, "dtype policy without a name", NULL, NULL);
    if (strcmp(nm, "float32") && strcmp(nm, "int32") && strcmp(nm, "bool"))
        return t_fail(c, "dtype policy '%.40s' has no TF.js equivalent (TF.js layers compute in float32)", nm, NULL);
    return replace(parent, v, cJSON_CreateString(nm), c);
}

/* {"class_name": "__tensor__", "config": {"value": V}} -> V ([x] -> x). */
static int fix_wrapped(cJSON *parent, cJSON *v, tctx *c)
{
    const cJSON *val = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(v, "config"), "value");
    if (!val) return t_fail(c, "a wrapped tensor value without its value", NULL, NULL);
    if (cJSON_IsArray(val) && cJSON_GetArraySize(val) == 1 && cJSON_IsNumber(cJSON_GetArrayItem(val, 0)))
        val = cJSON_GetArrayItem(val, 0);
    return replace(parent, v, cJSON_Duplicate(val, 1), c);
}

/* Keras 3 L1 / L2 -> L1L2 {l1, l2}. */
static int fix_regularizer(cJSON *v, const char *cls, tctx *c)
{
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(v, "config");
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(cfg, cls[1] == '1' ? "l1" : "l2");
    double a = cJSON_IsNumber(x) ? x->valuedouble : 0.01;
    cJSON *n = cJSON_CreateObject();
    if (!n || !cJSON_AddNumberToObject(n, "l1", cls[1] == '1' ? a : 0) ||
        !cJSON_AddNumberToObject(n, "l2", cls[1] == '2' ? a : 0)) {
        cJSON_Delete(n);
        return ckpt_err_set(c->err, CKPT_E_NOMEM, "out of memory");
    }
    cJSON_ReplaceItemInObjectCaseSensitive(v, "class_name", cJSON_CreateString("L1L2"));
    cJSON_DeleteItemFromObjectCaseSensitive(v, "config");
    cJSON_AddItemToObject(v, "config", n);
    return 0;
}

/* The generic clean-up, recursively: Keras 3 serialization keys, policies,
 * wrapped values. Layers and models are handled by fix_layer first. */
static int clean(cJSON *o, tctx *c, int depth)
{
    static const char *const drop[] = {"module", "registered_name", "shared_object_id", "build_config",
                                       "compile_config", NULL};
    if (depth > MAX_DEPTH) return t_fail(c, "config nested too deeply", NULL, NULL);
    if (cJSON_IsObject(o)) {
        for (int i = 0; drop[i]; i++) cJSON_DeleteItemFromObjectCaseSensitive(o, drop[i]);
        const char *cls = str_of(o, "class_name");
        if (cls && (!strcmp(cls, "L1") || !strcmp(cls, "L2")) && fix_regularizer(o, cls, c)) return c->err->code;
    }
    cJSON *v = o ? o->child : NULL;
    while (v) {
        cJSON *next = v->next;
        const char *cls = cJSON_IsObject(v) ? str_of(v, "class_name") : NULL;
        int rc = 0;
        if (cls && is_policy(cls)) rc = fix_policy(o, v, c);
        else if (cls && (!strcmp(cls, "__tensor__") || !strcmp(cls, "__numpy__"))) rc = fix_wrapped(o, v, c);
        else if (cls && !strcmp(cls, "__keras_tensor__"))
            rc = t_fail(c, "a tensor passed as a configuration value cannot be translated", NULL, NULL);
        else if (cls && !strcmp(cls, "__lambda__"))
            rc = t_fail(c, "a Python lambda in the config has no TF.js equivalent", NULL, NULL);
        else rc = clean(v, c, depth + 1);
        if (rc) return rc;
        v = next;
    }
    return 0;
}

/* ---- Functional graphs ---------------------------------------------------- */

static int has_tensor(const cJSON *v, int depth)
{
    if (depth > MAX_DEPTH) return 0;
    const char *cls = cJSON_IsObject(v) ? str_of(v, "class_name") : NULL;
    if (cls && !strcmp(cls, "__keras_tensor__")) return 1;
    for (const cJSON *k = v ? v->child : NULL; k; k = k->next)
        if (has_tensor(k, depth + 1)) return 1;
    return 0;
}

/* Append [layer, node, tensor, kwargs] for each Keras tensor in `a`. */
static int collect(const cJSON *a, const cJSON *kwargs, cJSON *node, tctx *c, int depth)
{
    if (depth > MAX_DEPTH) return t_fail(c, "inbound node nested too deeply", NULL, NULL);
    if (cJSON_IsArray(a)) {
        for (const cJSON *k = a->child; k; k = k->next)
            if (collect(k, kwargs, node, c, depth + 1)) return c->err->code;
        return 0;
    }
    const char *cls = cJSON_IsObject(a) ? str_of(a, "class_name") : NULL;
    if (!cls || strcmp(cls, "__keras_tensor__")) return 0;   /* constants among the args */
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(a, "config"), "keras_history");
    if (!cJSON_IsArray(h) || cJSON_GetArraySize(h) != 3 || !cJSON_IsString(h->child) ||
        !cJSON_IsNumber(h->child->next) || !cJSON_IsNumber(h->child->next->next))
        return t_fail(c, "an inbound tensor without a keras_history [layer, node, tensor]", NULL, NULL);
    cJSON *e = cJSON_Duplicate(h, 1);
    cJSON *kw = kwargs ? cJSON_Duplicate(kwargs, 1) : cJSON_CreateObject();
    if (!e || !kw) {
        cJSON_Delete(e);
        cJSON_Delete(kw);
        return ckpt_err_set(c->err, CKPT_E_NOMEM, "out of memory");
    }
    cJSON_AddItemToArray(e, kw);
    cJSON_AddItemToArray(node, e);
    return 0;
}

/* Keras 3 inbound_nodes [{"args": [...], "kwargs": {...}}] -> tf.keras form. */
static int fix_inbound(cJSON *lo, tctx *c)
{
    cJSON *in = cJSON_GetObjectItemCaseSensitive(lo, "inbound_nodes");
    if (!cJSON_IsArray(in)) return 0;
    cJSON *out = cJSON_CreateArray();
    if (!out) return ckpt_err_set(c->err, CKPT_E_NOMEM, "out of memory");
    for (cJSON *n = in->child; n; n = n->next) {
        if (!cJSON_IsObject(n)) { cJSON_Delete(out); return 0; }   /* already tf.keras form */
        const cJSON *kwargs = cJSON_GetObjectItemCaseSensitive(n, "kwargs");
        for (const cJSON *k = kwargs ? kwargs->child : NULL; k; k = k->next)
            if (has_tensor(k, 0)) {
                cJSON_Delete(out);
                return t_fail(c, "tensor keyword argument '%.40s' in a call has no tf.keras node form", k->string, NULL);
            }
        cJSON *node = cJSON_CreateArray();
        if (!node) { cJSON_Delete(out); return ckpt_err_set(c->err, CKPT_E_NOMEM, "out of memory"); }
        cJSON_AddItemToArray(out, node);
        if (collect(cJSON_GetObjectItemCaseSensitive(n, "args"), cJSON_IsObject(kwargs) ? kwargs : NULL, node, c, 0)) {
            cJSON_Delete(out);
            return c->err->code;
        }
        if (!cJSON_GetArraySize(node)) {
            cJSON_Delete(out);
            return t_fail(c, "a call with no input tensor", NULL, NULL);
        }
    }
    cJSON_ReplaceItemInObjectCaseSensitive(lo, "inbound_nodes", out);
    return 0;
}

/* ["x", 0, 0] -> [["x", 0, 0]] (Keras 3 writes a single input unwrapped). */
static int wrap_endpoints(cJSON *cfg, const char *key, tctx *c)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);
    if (!cJSON_IsArray(v) || !cJSON_IsString(v->child)) return 0;
    cJSON *w = cJSON_CreateArray();
    if (!w) return ckpt_err_set(c->err, CKPT_E_NOMEM, "out of memory");
    cJSON_DetachItemViaPointer(cfg, v);
    cJSON_AddItemToArray(w, v);
    cJSON_AddItemToObject(cfg, key, w);
    return 0;
}

/* ---- layers and models ----------------------------------------------------- */

static int fix_model(cJSON *mo, tctx *c, int depth);

/* A layer class, and what a wrapper (Bidirectional, TimeDistributed) or an
 * RNN holds: known to tfjs-layers, with no option it lacks. */
static int check_class(const cJSON *lo, tctx *c, int depth)
{
    const char *cls = str_of(lo, "class_name");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(lo, "config");
    if (depth > MAX_DEPTH) return t_fail(c, "layers nested too deeply", NULL, NULL);
    if (!cls) return t_fail(c, "a layer without a class_name", NULL, NULL);
    if (!tfjs_knows(cls)) return t_fail(c, "class %.60s has no TF.js layers equivalent", cls, NULL);
    /* tfjs' GRUCell has one bias: Keras' reset_after=True (its default since
     * TF 2) keeps two and computes differently */
    if ((!strcmp(cls, "GRU") || !strcmp(cls, "GRUCell")) &&
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg, "reset_after")))
        return t_fail(c, "%.60s with reset_after=true has no TF.js equivalent (tfjs-layers GRUs do not support it)",
                      cls, NULL);
    const cJSON *inner = cJSON_GetObjectItemCaseSensitive(cfg, "layer");
    if (cJSON_IsObject(inner) && check_class(inner, c, depth + 1)) return c->err->code;
    const cJSON *cell = cJSON_GetObjectItemCaseSensitive(cfg, "cell");
    if (cJSON_IsObject(cell) && check_class(cell, c, depth + 1)) return c->err->code;
    const cJSON *cells = cJSON_GetObjectItemCaseSensitive(cfg, "cells"), *k;
    cJSON_ArrayForEach(k, cells)
        if (check_class(k, c, depth + 1)) return c->err->code;
    return 0;
}

static int fix_layer(cJSON *lo, tctx *c, int depth)
{
    if (depth > MAX_DEPTH) return t_fail(c, "models nested too deeply", NULL, NULL);
    const char *cls = str_of(lo, "class_name");
    cJSON *cfg = cJSON_GetObjectItemCaseSensitive(lo, "config");
    const char *nm = str_of(cfg, "name");
    if (!nm) nm = str_of(lo, "name");
    const char *outer = c->layer;
    char name[128];   /* a copy: clean() may replace the object holding it */
    snprintf(name, sizeof name, "%s", nm ? nm : "?");
    c->layer = name;
    int rc = 0;
    if (!cls || !cJSON_IsObject(lo)) rc = t_fail(c, "a layer without a class_name", NULL, NULL);
    else if (is_model_class(cls)) rc = fix_model(lo, c, depth + 1);
    else rc = check_class(lo, c, depth);
    if (!rc && cJSON_IsObject(cfg)) {
        cJSON *bs = cJSON_GetObjectItemCaseSensitive(cfg, "batch_shape");
        if (bs && !cJSON_GetObjectItemCaseSensitive(cfg, "batch_input_shape")) {
            cJSON_DetachItemViaPointer(cfg, bs);
            cJSON_AddItemToObject(cfg, "batch_input_shape", bs);
        }
        if (!strcmp(cls, "InputLayer")) {
            cJSON_DeleteItemFromObjectCaseSensitive(cfg, "ragged");
            cJSON_DeleteItemFromObjectCaseSensitive(cfg, "optional");
        }
    }
    if (!rc) rc = fix_inbound(lo, c);
    if (!rc && !is_model_class(cls)) rc = clean(lo, c, depth);
    c->layer = outer;
    return rc;
}

/* A Sequential without an InputLayer: its first layer needs the input shape. */
static int seq_input_shape(cJSON *cfg, cJSON *layers, tctx *c)
{
    cJSON *first = cJSON_GetArrayItem(layers, 0);
    cJSON *bis = cJSON_GetObjectItemCaseSensitive(cfg, "build_input_shape");
    if (!first || !cJSON_IsArray(bis)) return 0;
    const char *cls = str_of(first, "class_name");
    cJSON *fc = cJSON_GetObjectItemCaseSensitive(first, "config");
    if (!cls || !strcmp(cls, "InputLayer") || !cJSON_IsObject(fc) ||
        cJSON_GetObjectItemCaseSensitive(fc, "batch_input_shape"))
        return 0;
    cJSON *d = cJSON_Duplicate(bis, 1);
    if (!d) return ckpt_err_set(c->err, CKPT_E_NOMEM, "out of memory");
    cJSON_AddItemToObject(fc, "batch_input_shape", d);
    return 0;
}

static int fix_model(cJSON *mo, tctx *c, int depth)
{
    const char *cls = str_of(mo, "class_name");
    cJSON *cfg = cJSON_GetObjectItemCaseSensitive(mo, "config");
    /* old Keras 2.0 Sequential: "config" is the layer list itself */
    cJSON *layers = cJSON_IsArray(cfg) ? cfg : cJSON_GetObjectItemCaseSensitive(cfg, "layers");
    if (!cJSON_IsArray(layers))
        return t_fail(c, "model %.60s lists no layers", cls ? cls : "?", NULL);
    if (cJSON_IsObject(cfg) && !strcmp(cls, "Sequential") && seq_input_shape(cfg, layers, c)) return c->err->code;
    /* Keras ignores an input shape on any but a Sequential's first layer;
     * tfjs warns that it does not match */
    if (!strcmp(cls, "Sequential"))
        for (cJSON *l = layers->child ? layers->child->next : NULL; l; l = l->next)
            cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(l, "config"), "batch_input_shape");
    for (cJSON *l = layers->child; l; l = l->next)
        if (fix_layer(l, c, depth + 1)) return c->err->code;
    if (cJSON_IsObject(cfg)) {
        if (wrap_endpoints(cfg, "input_layers", c) || wrap_endpoints(cfg, "output_layers", c)) return c->err->code;
        cJSON_DeleteItemFromObjectCaseSensitive(cfg, "build_input_shape");
    }
    /* what is left at the model level (name, trainable, dtype policy) */
    for (cJSON *k = mo->child; k; k = k->next)
        if (k != cfg && clean(k, c, depth + 1)) return c->err->code;
    static const char *const drop[] = {"module", "registered_name", "shared_object_id", "build_config",
                                       "compile_config", NULL};
    for (int i = 0; drop[i]; i++) cJSON_DeleteItemFromObjectCaseSensitive(mo, drop[i]);
    for (cJSON *k = cJSON_IsObject(cfg) ? cfg->child : NULL; k; k = k->next)
        if (k != layers && clean(k, c, depth + 1)) return c->err->code;
    /* policies directly under config */
    cJSON *dt = cJSON_GetObjectItemCaseSensitive(cfg, "dtype");
    const char *dcls = cJSON_IsObject(dt) ? str_of(dt, "class_name") : NULL;
    if (dcls && is_policy(dcls) && fix_policy(cfg, dt, c)) return c->err->code;
    return 0;
}

cJSON *ckpt__tfjs_translate_config(const char *json, size_t len, ckpt_err *err)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root) {
        ckpt_err_set(err, CKPT_E_FORMAT, "the model config is not valid JSON");
        return NULL;
    }
    /* a wrapper as TF.js and legacy h5 files keep it: {"model_config": ...} */
    cJSON *mc = cJSON_GetObjectItemCaseSensitive(root, "model_config");
    if (cJSON_IsObject(mc)) {
        cJSON_DetachItemViaPointer(root, mc);
        cJSON_Delete(root);
        root = mc;
    }
    tctx c = {.err = err, .layer = NULL};
    const char *cls = str_of(root, "class_name");
    int rc;
    if (!cJSON_IsObject(root) || !cls) rc = t_fail(&c, "the model config has no class_name", NULL, NULL);
    else if (!is_model_class(cls))
        rc = t_fail(&c, "subclassed model %.60s lists no layers (its architecture is Python code)", cls, NULL);
    else rc = fix_model(root, &c, 0);
    if (rc) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}
