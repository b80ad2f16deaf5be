/* src/keras_config.c: walk a Keras model config (cJSON) into layers, their
 * Keras 3 object paths, the weights each class owns and a light shape
 * inference (enough for input/output shapes and kernel shape checks).
 *
 * Handles the three generations of config: Keras 1/2.0 ("class_name",
 * "name" beside "config", Sequential config as a bare list), tf.keras 2
 * ("config": {"name", "layers": [...]}) and Keras 3 (module/registered_name,
 * inbound_nodes as {"args": [__keras_tensor__ ...]}). */
#include "keras.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KC_MAX_LAYERS 200000
#define KC_MAX_DEPTH 32

int ckpt__kc_is_model_class(const char *c)
{
    return c && (!strcmp(c, "Sequential") || !strcmp(c, "Functional") || !strcmp(c, "Model"));
}

void ckpt__kc_snake(const char *cls, char *out, size_t n)
{
    /* 1. strip \W */
    char a[256], b[512];
    size_t la = 0;
    for (const char *p = cls; *p && la + 1 < sizeof a; p++)
        if (isalnum((unsigned char)*p) || *p == '_') a[la++] = *p;
    a[la] = 0;
    /* 2. (.)([A-Z][a-z]+) -> \1_\2 */
    size_t lb = 0, i = 0;
    while (i < la && lb + 3 < sizeof b) {
        if (i + 2 < la + 0 && i + 1 < la && isupper((unsigned char)a[i + 1]) && i + 2 < la &&
            islower((unsigned char)a[i + 2])) {
            size_t j = i + 2;
            while (j < la && islower((unsigned char)a[j])) j++;
            b[lb++] = a[i];
            b[lb++] = '_';
            for (size_t k = i + 1; k < j && lb + 1 < sizeof b; k++) b[lb++] = a[k];
            i = j;
        } else {
            b[lb++] = a[i++];
        }
    }
    b[lb] = 0;
    /* 3. ([a-z])([A-Z]) -> \1_\2, then lower */
    size_t lo = 0;
    i = 0;
    while (i < lb && lo + 3 < n) {
        if (i + 1 < lb && islower((unsigned char)b[i]) && isupper((unsigned char)b[i + 1])) {
            out[lo++] = b[i];
            out[lo++] = '_';
            out[lo++] = (char)tolower((unsigned char)b[i + 1]);
            i += 2;
        } else {
            out[lo++] = (char)tolower((unsigned char)b[i]);
            i++;
        }
    }
    if (n) out[lo < n ? lo : n - 1] = 0;
}

/* Classes ckpt knows: those with a weight table below and weightless ones. */
static const char *const known_classes[] = {
    "Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
    "Conv3DTranspose", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D",
    "BatchNormalization", "LayerNormalization", "GroupNormalization", "Embedding", "LSTM", "GRU",
    "SimpleRNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "Bidirectional", "TimeDistributed",
    "MultiHeadAttention", "PReLU",
    /* weightless */
    "InputLayer", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
    "GaussianNoise", "GaussianDropout", "AlphaDropout", "Activation", "ReLU", "LeakyReLU", "ELU",
    "Softmax", "ThresholdedReLU", "Flatten", "Reshape", "Permute", "RepeatVector", "Lambda",
    "Masking", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
    "AveragePooling2D", "AveragePooling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D",
    "UpSampling1D", "UpSampling2D", "UpSampling3D", "Add", "Subtract", "Multiply", "Average",
    "Maximum", "Minimum", "Concatenate", "Dot", "ActivityRegularization", "Identity",
    "UnitNormalization", "Rescaling", "Resizing", "CenterCrop",
    "Sequential", "Functional", "Model",
};

static int is_known(const char *c)
{
    if (!c) return 0;
    for (size_t i = 0; i < sizeof known_classes / sizeof *known_classes; i++)
        if (!strcmp(c, known_classes[i])) return 1;
    return 0;
}

const char *ckpt__kc_class_from_seg(const char *seg)
{
    char base[256];
    snprintf(base, sizeof base, "%s", seg);
    /* strip a per-container counter "_N" */
    char *us = strrchr(base, '_');
    if (us && us[1]) {
        char *q = us + 1;
        while (isdigit((unsigned char)*q)) q++;
        if (!*q) *us = 0;
    }
    for (size_t i = 0; i < sizeof known_classes / sizeof *known_classes; i++) {
        char sn[256];
        ckpt__kc_snake(known_classes[i], sn, sizeof sn);
        if (!strcmp(sn, base)) return known_classes[i];
    }
    return NULL;
}

/* ---- small cJSON accessors ---- */

static const cJSON *jget(const cJSON *o, const char *k)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
}
static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = jget(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}
/* A JSON number as int64, or dflt when it is not one that fits (a hostile
 * config's 1e300 must not reach a cast, which would be undefined). */
static int64_t jnum_i64(const cJSON *v, int64_t dflt)
{
    if (!cJSON_IsNumber(v) || !(v->valuedouble > -9e15 && v->valuedouble < 9e15)) return dflt;
    return (int64_t)v->valuedouble;
}

static int64_t jint(const cJSON *o, const char *k, int64_t dflt)
{
    const cJSON *v = jget(o, k);
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 9e15) return (int64_t)v->valuedouble;
    return dflt;
}
static int jbool(const cJSON *o, const char *k, int dflt)
{
    const cJSON *v = jget(o, k);
    if (cJSON_IsBool(v)) return cJSON_IsTrue(v);
    return dflt;
}
/* an int or a list of ints (kernel_size), expanded to `rank` values */
static int jints(const cJSON *o, const char *k, int rank, int64_t *out)
{
    const cJSON *v = jget(o, k);
    if (cJSON_IsNumber(v)) {
        for (int i = 0; i < rank; i++) out[i] = jnum_i64(v, -1);
        return 0;
    }
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == rank) {
        int i = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, v)
        {
            if (!cJSON_IsNumber(e)) return -1;
            out[i++] = jnum_i64(e, -1);
        }
        return 0;
    }
    return -1;
}
/* a shape list with nulls: returns ndim or -1 */
static int jshape(const cJSON *v, int64_t *out)
{
    if (!cJSON_IsArray(v)) return -1;
    int n = cJSON_GetArraySize(v);
    if (n > CKPT_MAX_DIMS) return -1;
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
        if (cJSON_IsNumber(e) && e->valuedouble >= 0 && e->valuedouble < 9e15) out[i] = (int64_t)e->valuedouble;
        else if (cJSON_IsNull(e)) out[i] = -1;
        else return -1;
        i++;
    }
    return n;
}

void ckpt__kc_shape_str(int ndim, const int64_t *s, char *buf, size_t n)
{
    if (ndim < 0) { snprintf(buf, n, "?"); return; }
    size_t o = 0;
    o += (size_t)snprintf(buf + o, n - o, "(");
    for (int i = 0; i < ndim && o < n; i++) {
        if (s[i] < 0) o += (size_t)snprintf(buf + o, n - o, "%sNone", i ? ", " : "");
        else o += (size_t)snprintf(buf + o, n - o, "%s%lld", i ? ", " : "", (long long)s[i]);
    }
    if (o < n) o += (size_t)snprintf(buf + o, n - o, ndim == 1 ? ",)" : ")");
}

/* ---- weight tables ---- */

static kc_weight *addw(kc_layer *L, const char *sub, int vidx, const char *canon, unsigned tf,
                       int ndim, ...)
{
    if (L->nw >= KC_MAXW) return NULL;
    kc_weight *w = &L->w[L->nw++];
    memset(w, 0, sizeof *w);
    w->sub = sub;
    w->vidx = vidx;
    snprintf(w->canon, sizeof w->canon, "%s", canon);
    w->tflags = tf;
    w->ndim = ndim;
    va_list ap;
    va_start(ap, ndim);
    for (int i = 0; i < ndim && i < CKPT_MAX_DIMS; i++) w->shape[i] = va_arg(ap, int64_t);
    va_end(ap);
    return w;
}

/* A weight of rank `ndim` whose dimensions the caller fills in. */
static kc_weight *addw_r(kc_layer *L, const char *sub, int vidx, const char *canon, int ndim)
{
    kc_weight *w = addw(L, sub, vidx, canon, 0, -1);
    if (w) {
        w->ndim = ndim;
        for (int i = 0; i < CKPT_MAX_DIMS; i++) w->shape[i] = -1;
    }
    return w;
}

static int conv_rank(const char *c)
{
    const char *d = strchr(c, 'D');
    if (!d || d == c || !isdigit((unsigned char)d[-1])) return 0;
    return d[-1] - '0';
}

static int64_t in_last(const kc_layer *L)
{
    return L->in_ndim > 0 ? L->in_shape[L->in_ndim - 1] : -1;
}

static void rnn_cell(kc_layer *L, const char *cls, const cJSON *cfg, const char *sub,
                     const char *prefix, int64_t in)
{
    int64_t u = jint(cfg, "units", -1);
    int g = !strcmp(cls, "LSTM") ? 4 : !strcmp(cls, "GRU") ? 3 : 1;
    int64_t gu = u < 0 ? -1 : u * g;
    char n1[48], n2[48], n3[48];
    snprintf(n1, sizeof n1, "%skernel", prefix);
    snprintf(n2, sizeof n2, "%srecurrent_kernel", prefix);
    snprintf(n3, sizeof n3, "%sbias", prefix);
    int v = 0;
    addw(L, sub, v++, n1, 0, 2, in, gu);
    addw(L, sub, v++, n2, 0, 2, u, gu);
    if (jbool(cfg, "use_bias", 1)) {
        /* GRU reset_after (default since tf 2.0; absent in Keras 2.0 configs) */
        if (g == 3 && jbool(cfg, "reset_after", 0)) addw(L, sub, v++, n3, 0, 2, (int64_t)2, gu);
        else addw(L, sub, v++, n3, 0, 1, gu);
    }
}

int ckpt__kc_layer_weights(kc_layer *L)
{
    const char *c = L->cls;
    const cJSON *cfg = L->cfg;
    L->nw = 0;
    if (!c || !is_known(c)) return 0;
    int64_t in = in_last(L);
    int bias = jbool(cfg, "use_bias", 1);
    if (!strcmp(c, "Dense")) {
        int64_t u = jint(cfg, "units", -1);
        addw(L, "", 0, "kernel", 0, 2, in, u);
        if (bias) addw(L, "", 1, "bias", 0, 1, u);
    } else if (!strcmp(c, "EinsumDense")) {
        addw(L, "", 0, "kernel", 0, -1);
        const cJSON *ba = jget(cfg, "bias_axes");
        if (cJSON_IsString(ba) && ba->valuestring[0]) addw(L, "", 1, "bias", 0, -1);
    } else if (!strncmp(c, "Conv", 4) && conv_rank(c) && strncmp(c, "ConvLSTM", 8)) {
        int r = conv_rank(c);
        int64_t k[3] = {-1, -1, -1}, f = jint(cfg, "filters", -1);
        int have_k = jints(cfg, "kernel_size", r, k) == 0;
        kc_weight *w = addw_r(L, "", 0, "kernel", r + 2);
        if (!w) return 1;
        for (int i = 0; i < r; i++) w->shape[i] = have_k ? k[i] : -1;
        int transpose = strstr(c, "Transpose") != NULL;
        int64_t groups = jint(cfg, "groups", 1);
        int64_t cin = (in > 0 && groups > 0) ? in / groups : -1;
        w->shape[r] = transpose ? f : cin;
        w->shape[r + 1] = transpose ? in : f;
        if (bias) addw(L, "", 1, "bias", 0, 1, f);
    } else if (!strncmp(c, "SeparableConv", 13) || !strncmp(c, "DepthwiseConv", 13)) {
        int r = conv_rank(c);
        int sep = c[0] == 'S';
        int64_t k[3] = {-1, -1, -1}, f = jint(cfg, "filters", -1), dm = jint(cfg, "depth_multiplier", 1);
        int have_k = jints(cfg, "kernel_size", r, k) == 0;
        kc_weight *w = addw_r(L, "", 0, sep ? "depthwise_kernel" : "kernel", r + 2);
        if (!w) return 1;
        for (int i = 0; i < r; i++) w->shape[i] = have_k ? k[i] : -1;
        w->shape[r] = in;
        w->shape[r + 1] = dm;
        int v = 1;
        if (sep) {
            w = addw_r(L, "", v++, "pointwise_kernel", r + 2);
            if (!w) return 1;
            for (int i = 0; i < r; i++) w->shape[i] = 1;
            w->shape[r] = in > 0 ? in * dm : -1;
            w->shape[r + 1] = f;
            if (bias) addw(L, "", v++, "bias", 0, 1, f);
        } else if (bias) {
            addw(L, "", v++, "bias", 0, 1, in > 0 ? in * dm : (int64_t)-1);
        }
    } else if (!strcmp(c, "BatchNormalization") || !strcmp(c, "LayerNormalization") ||
               !strcmp(c, "GroupNormalization")) {
        int64_t ch = -1;
        const cJSON *ax = jget(cfg, "axis");
        int64_t a = -1;
        if (cJSON_IsNumber(ax)) a = jnum_i64(ax, 999);
        else if (cJSON_IsArray(ax) && cJSON_GetArraySize(ax) == 1 && cJSON_IsNumber(cJSON_GetArrayItem(ax, 0)))
            a = jnum_i64(cJSON_GetArrayItem(ax, 0), 999);
        else if (ax) a = 999; /* several axes: leave the shape open */
        if (L->in_ndim > 0 && a != 999) {
            int64_t ia = a < 0 ? L->in_ndim + a : a;
            if (ia >= 0 && ia < L->in_ndim) ch = L->in_shape[ia];
        }
        int v = 0;
        int nd = a == 999 ? -1 : 1;
        if (jbool(cfg, "scale", 1)) addw(L, "", v++, "gamma", 0, nd, ch);
        if (jbool(cfg, "center", 1)) addw(L, "", v++, "beta", 0, nd, ch);
        if (c[0] == 'B') {
            addw(L, "", v++, "moving_mean", CKPT_TF_NONTRAINABLE, nd, ch);
            addw(L, "", v++, "moving_variance", CKPT_TF_NONTRAINABLE, nd, ch);
        }
    } else if (!strcmp(c, "Embedding")) {
        addw(L, "", 0, "embeddings", 0, 2, jint(cfg, "input_dim", -1), jint(cfg, "output_dim", -1));
    } else if (!strcmp(c, "LSTM") || !strcmp(c, "GRU") || !strcmp(c, "SimpleRNN")) {
        rnn_cell(L, c, cfg, "cell", "", in);
    } else if (!strncmp(c, "ConvLSTM", 8)) {
        addw(L, "cell", 0, "kernel", 0, -1);
        addw(L, "cell", 1, "recurrent_kernel", 0, -1);
        if (bias) addw(L, "cell", 2, "bias", 0, -1);
    } else if (!strcmp(c, "Bidirectional")) {
        const cJSON *inner = jget(cfg, "layer");
        const char *ic = jstr(inner, "class_name");
        const cJSON *icfg = jget(inner, "config");
        if (!ic || (strcmp(ic, "LSTM") && strcmp(ic, "GRU") && strcmp(ic, "SimpleRNN"))) return 0;
        rnn_cell(L, ic, icfg, "forward_layer/cell", "forward/", in);
        rnn_cell(L, ic, icfg, "backward_layer/cell", "backward/", in);
    } else if (!strcmp(c, "MultiHeadAttention")) {
        int64_t h = jint(cfg, "num_heads", -1), kd = jint(cfg, "key_dim", -1);
        int64_t vd = jint(cfg, "value_dim", kd);
        const cJSON *osh = jget(cfg, "output_shape");
        int64_t od = jnum_i64(osh, -1);
        static const char *subs[4] = {"query_dense", "key_dense", "value_dense", "output_dense"};
        static const char *nm[4] = {"query", "key", "value", "attention_output"};
        for (int i = 0; i < 4; i++) {
            char kn[48], bn[48];
            snprintf(kn, sizeof kn, "%s/kernel", nm[i]);
            snprintf(bn, sizeof bn, "%s/bias", nm[i]);
            int64_t d = i == 2 ? vd : kd;
            if (i < 3) addw(L, subs[i], 0, kn, 0, 3, (int64_t)-1, h, d);
            else addw(L, subs[i], 0, kn, 0, 3, h, vd, od);
            if (bias) {
                if (i < 3) addw(L, subs[i], 1, bn, 0, 2, h, d);
                else addw(L, subs[i], 1, bn, 0, 1, od);
            }
        }
    } else if (!strcmp(c, "PReLU")) {
        addw(L, "", 0, "alpha", 0, -1);
    } else if (!strcmp(c, "TimeDistributed")) {
        /* weights of the wrapped layer, under sub-object "layer" */
        const cJSON *inner = jget(cfg, "layer");
        kc_layer tmp;
        memset(&tmp, 0, sizeof tmp);
        tmp.cls = (char *)jstr(inner, "class_name");
        tmp.cfg = jget(inner, "config");
        tmp.in_ndim = L->in_ndim > 1 ? L->in_ndim - 1 : -1;
        for (int i = 1; i < L->in_ndim; i++) tmp.in_shape[i - 1] = L->in_shape[i];
        if (!tmp.cls || ckpt__kc_is_model_class(tmp.cls) || !strcmp(tmp.cls, "TimeDistributed") ||
            !ckpt__kc_layer_weights(&tmp))
            return 0;
        for (int i = 0; i < tmp.nw; i++) {
            L->w[i] = tmp.w[i];
            L->w[i].sub = "layer";
        }
        L->nw = tmp.nw;
    }
    return 1;
}

/* ---- shape inference (channels_last, the common cases) ---- */

static int64_t conv_out(int64_t n, int64_t k, int64_t s, int64_t d, int same)
{
    if (n < 0 || k < 0 || s <= 0) return -1;
    if (same) return (n + s - 1) / s;
    int64_t eff = (k - 1) * (d > 0 ? d : 1) + 1;
    if (n < eff) return -1;
    return (n - eff) / s + 1;
}

static int is_passthrough(const char *c)
{
    static const char *const p[] = {"Dropout", "SpatialDropout1D", "SpatialDropout2D",
        "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout", "Activation",
        "ReLU", "LeakyReLU", "ELU", "Softmax", "ThresholdedReLU", "Masking", "BatchNormalization",
        "LayerNormalization", "GroupNormalization", "UnitNormalization", "ActivityRegularization",
        "Identity", "PReLU", "Rescaling", "Add", "Subtract", "Multiply", "Average", "Maximum",
        "Minimum", "MultiHeadAttention"};
    for (size_t i = 0; i < sizeof p / sizeof *p; i++)
        if (!strcmp(c, p[i])) return 1;
    return 0;
}

static void infer_out(kc_layer *L)
{
    const char *c = L->cls;
    const cJSON *cfg = L->cfg;
    int n = L->in_ndim;
    int64_t *o = L->out_shape;
    L->out_ndim = -1;
    if (n < 0 || !c) return;
    memcpy(o, L->in_shape, sizeof L->in_shape);
    if (is_passthrough(c)) { L->out_ndim = n; return; }
    if (!strcmp(c, "InputLayer")) { L->out_ndim = n; return; }
    if (!strcmp(c, "Dense") || !strcmp(c, "Embedding")) {
        if (c[0] == 'D') { o[n - 1] = jint(cfg, "units", -1); L->out_ndim = n; }
        else if (n < CKPT_MAX_DIMS) { o[n] = jint(cfg, "output_dim", -1); L->out_ndim = n + 1; }
        return;
    }
    if (!strcmp(c, "LSTM") || !strcmp(c, "GRU") || !strcmp(c, "SimpleRNN") || !strcmp(c, "Bidirectional")) {
        const cJSON *rc = cfg;
        int mult = 1;
        if (c[0] == 'B') {
            rc = jget(jget(cfg, "layer"), "config");
            const char *mm = jstr(cfg, "merge_mode");
            mult = (!mm || !strcmp(mm, "concat")) ? 2 : 1;
        }
        int64_t u = jint(rc, "units", -1);
        if (n != 3) return;
        if (jbool(rc, "return_sequences", 0)) { o[2] = u < 0 ? -1 : u * mult; L->out_ndim = 3; }
        else { o[1] = u < 0 ? -1 : u * mult; L->out_ndim = 2; }
        return;
    }
    int r = conv_rank(c);
    int is_conv = r && (!strncmp(c, "Conv", 4) || !strncmp(c, "Separable", 9) || !strncmp(c, "Depthwise", 9)) &&
                  strncmp(c, "ConvLSTM", 8) && !strstr(c, "Transpose");
    int is_pool = r && (strstr(c, "Pooling") && strncmp(c, "Global", 6));
    const char *df = jstr(cfg, "data_format");
    if ((is_conv || is_pool) && (!df || !strcmp(df, "channels_last")) && n == r + 2) {
        int64_t k[3], s[3], d[3] = {1, 1, 1};
        const char *ks = is_conv ? "kernel_size" : "pool_size";
        if (jints(cfg, ks, r, k)) return;
        if (jints(cfg, "strides", r, s)) {
            if (is_pool) memcpy(s, k, sizeof s);
            else for (int i = 0; i < r; i++) s[i] = 1;
        }
        if (is_conv) jints(cfg, "dilation_rate", r, d);
        const char *pad = jstr(cfg, "padding");
        int same = pad && !strcmp(pad, "same");
        for (int i = 0; i < r; i++) o[1 + i] = conv_out(L->in_shape[1 + i], k[i], s[i], d[i], same);
        if (is_conv) {
            if (!strncmp(c, "Depthwise", 9)) {
                int64_t dm = jint(cfg, "depth_multiplier", 1), ch = L->in_shape[n - 1];
                o[n - 1] = ch < 0 ? -1 : ch * dm;
            } else {
                o[n - 1] = jint(cfg, "filters", -1);
            }
        }
        L->out_ndim = n;
        return;
    }
    if (!strncmp(c, "Global", 6) && n >= 3) {
        if (jbool(cfg, "keepdims", 0)) {
            for (int i = 1; i < n - 1; i++) o[i] = 1;
            L->out_ndim = n;
        } else {
            o[1] = L->in_shape[n - 1];
            L->out_ndim = 2;
        }
        return;
    }
    if (!strcmp(c, "Flatten")) {
        int64_t p = 1;
        for (int i = 1; i < n; i++) p = (p < 0 || L->in_shape[i] < 0) ? -1 : p * L->in_shape[i];
        o[1] = p;
        L->out_ndim = 2;
        return;
    }
    if (!strcmp(c, "Reshape")) {
        int64_t t[CKPT_MAX_DIMS];
        int tn = jshape(jget(cfg, "target_shape"), t);
        if (tn < 0 || tn + 1 > CKPT_MAX_DIMS) return;
        o[0] = L->in_shape[0];
        for (int i = 0; i < tn; i++) o[i + 1] = t[i];
        L->out_ndim = tn + 1;
        return;
    }
}

/* ---- the walk ---- */

static char *dupe(const char *s) { return ckpt__strdup(s ? s : ""); }

static int add_inbound(kc_layer *L, const char *name)
{
    for (int i = 0; i < L->ninbound; i++)
        if (!strcmp(L->inbound[i], name)) return 0;
    char **nv = realloc(L->inbound, (size_t)(L->ninbound + 1) * sizeof *nv);
    if (!nv) return -1;
    L->inbound = nv;
    if (!(L->inbound[L->ninbound] = dupe(name))) return -1;
    L->ninbound++;
    return 0;
}

/* Keras 2: [[["name", 0, 0, {}], ...], ...]; Keras 3: [{"args": [...keras_history...]}] */
static int collect_inbound(kc_layer *L, const cJSON *v, int depth)
{
    if (!v || depth > 16) return 0;
    if (cJSON_IsArray(v)) {
        const cJSON *first = cJSON_GetArrayItem(v, 0);
        if (cJSON_IsString(first) && cJSON_GetArraySize(v) >= 2 && cJSON_IsNumber(cJSON_GetArrayItem(v, 1)))
            return add_inbound(L, first->valuestring);
        const cJSON *e;
        cJSON_ArrayForEach(e, v) if (collect_inbound(L, e, depth + 1)) return -1;
        return 0;
    }
    if (cJSON_IsObject(v)) {
        const cJSON *kh = jget(jget(v, "config"), "keras_history");
        if (cJSON_IsArray(kh) && cJSON_IsString(cJSON_GetArrayItem(kh, 0)))
            return add_inbound(L, cJSON_GetArrayItem(kh, 0)->valuestring);
        const cJSON *e;
        cJSON_ArrayForEach(e, v) if (collect_inbound(L, e, depth + 1)) return -1;
    }
    return 0;
}

static int grow(kc_model *km, ckpt_err *err)
{
    if (km->n < km->cap) return 0;
    if (km->n >= KC_MAX_LAYERS) return ckpt_err_set(err, CKPT_E_FORMAT, "model config has too many layers");
    int nc = km->cap ? km->cap * 2 : 32;
    kc_layer *nl = realloc(km->L, (size_t)nc * sizeof *nl);
    if (!nl) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    km->L = nl;
    km->cap = nc;
    return 0;
}

/* The list of layer objects of a model config, or NULL. */
static const cJSON *model_layers(const cJSON *cfg)
{
    if (cJSON_IsArray(cfg)) return cfg;   /* Keras 1/2.0 Sequential */
    const cJSON *l = jget(cfg, "layers");
    return cJSON_IsArray(l) ? l : NULL;
}

static int input_shape_of(const cJSON *cfg, int64_t *s)
{
    int n = jshape(jget(cfg, "batch_input_shape"), s);
    if (n < 0) n = jshape(jget(cfg, "batch_shape"), s);
    return n;
}

/* Walk the layers of one (possibly nested) model. `parent` = its layer
 * index or -1; `prefix` = its Keras 3 object path ("" for the top). */
static int walk_model(kc_model *km, const char *cls, const cJSON *cfg, int parent,
                      const char *prefix, int depth, int in_ndim, const int64_t *in_shape,
                      const char *in_from, int *out_ndim, int64_t *out_shape, ckpt_err *err)
{
    *out_ndim = -1;
    if (depth > KC_MAX_DEPTH) return ckpt_err_set(err, CKPT_E_FORMAT, "model config nested too deeply");
    const cJSON *layers = model_layers(cfg);
    if (!layers) return 0;
    int sequential = cls && !strcmp(cls, "Sequential");
    /* per-container counters for Keras 3 names: class snake -> count */
    struct { char s[96]; int n; } *cnt = NULL;
    int ncnt = 0, rc = 0;
    int first = km->n, prev = -1;
    int cur_ndim = in_ndim;
    int64_t cur[CKPT_MAX_DIMS];
    memcpy(cur, in_shape, sizeof cur);
    const cJSON *lo;
    cJSON_ArrayForEach(lo, layers)
    {
        const char *lcls = jstr(lo, "class_name");
        const cJSON *lcfg = jget(lo, "config");
        const char *lname = jstr(lo, "name");
        if (!lname) lname = jstr(lcfg, "name");
        if (!lcls || !lname) continue;
        if ((rc = grow(km, err))) break;
        int li = km->n++;
        kc_layer *L = &km->L[li];
        memset(L, 0, sizeof *L);
        L->parent = parent;
        L->cfg = lcfg;
        L->in_ndim = L->out_ndim = -1;
        if (!(L->name = dupe(lname)) || !(L->cls = dupe(lcls))) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); break; }
        if (jget(lcfg, "trainable") && !jbool(lcfg, "trainable", 1)) L->flags |= KC_FROZEN;
        if (collect_inbound(L, jget(lo, "inbound_nodes"), 0)) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); break; }
        /* Keras 3 path: model.layers omits InputLayer in Sequential */
        int in_list = !(sequential && !strcmp(lcls, "InputLayer"));
        if (in_list) {
            char sn[96];
            ckpt__kc_snake(lcls, sn, sizeof sn);
            int k;
            for (k = 0; k < ncnt; k++) if (!strcmp(cnt[k].s, sn)) break;
            if (k == ncnt) {
                void *nc2 = realloc(cnt, (size_t)(ncnt + 1) * sizeof *cnt);
                if (!nc2) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); break; }
                cnt = nc2;
                snprintf(cnt[k].s, sizeof cnt[k].s, "%s", sn);
                cnt[k].n = 0;
                ncnt++;
            }
            char seg[128];
            if (cnt[k].n == 0) snprintf(seg, sizeof seg, "%s", sn);
            else snprintf(seg, sizeof seg, "%s_%d", sn, cnt[k].n);
            cnt[k].n++;
            L->k3path = ckpt__asprintf("%s%slayers/%s", prefix, prefix[0] ? "/" : "", seg);
        }
        /* input shape from the graph: an InputLayer's own, else the inbound
         * layers' outputs (functional), else the chain; a batch_input_shape
         * on any other layer is ignored, as Keras ignores it (a stale one is
         * common after a layer was reused) */
        int64_t s[CKPT_MAX_DIMS];
        int sn_ = input_shape_of(lcfg, s);
        int is_input = !strcmp(lcls, "InputLayer");
        if (!is_input && (L->ninbound > 0 || (sequential && li != first && cur_ndim >= 0))) sn_ = -1;
        if (sn_ >= 0) {
            L->in_ndim = sn_;
            memcpy(L->in_shape, s, sizeof s);
            snprintf(L->in_from, sizeof L->in_from, "%s of %s %s", jget(lcfg, "batch_input_shape") ? "batch_input_shape" : "batch_shape", lcls, lname);
        } else if (L->ninbound > 0) {
            snprintf(L->in_from, sizeof L->in_from, "the output of %s%s", L->inbound[0], L->ninbound > 1 ? " and the other inbound layers" : "");
            int src = ckpt__kc_find(km, L->inbound[0], parent);
            if (src >= 0 && src < li) {
                if (!strcmp(lcls, "Concatenate") && km->L[src].out_ndim > 0) {
                    /* sum the concatenation axis (default -1) */
                    int64_t ax = -1;
                    const cJSON *a = jget(lcfg, "axis");
                    if (cJSON_IsNumber(a)) ax = jnum_i64(a, ax);
                    L->in_ndim = km->L[src].out_ndim;
                    memcpy(L->in_shape, km->L[src].out_shape, sizeof L->in_shape);
                    int64_t ia = ax < 0 ? L->in_ndim + ax : ax;
                    if (ia >= 0 && ia < L->in_ndim) {
                        int64_t tot = 0;
                        for (int q = 0; q < L->ninbound; q++) {
                            int si = ckpt__kc_find(km, L->inbound[q], parent);
                            if (si < 0 || km->L[si].out_ndim != L->in_ndim || km->L[si].out_shape[ia] < 0) { tot = -1; break; }
                            tot += km->L[si].out_shape[ia];
                        }
                        L->in_shape[ia] = tot;
                    }
                } else {
                    L->in_ndim = km->L[src].out_ndim;
                    memcpy(L->in_shape, km->L[src].out_shape, sizeof L->in_shape);
                }
            }
        } else if (sequential || !cls) {
            L->in_ndim = cur_ndim;
            memcpy(L->in_shape, cur, sizeof cur);
            if (prev >= 0) snprintf(L->in_from, sizeof L->in_from, "the output of %s", km->L[prev].name);
            else snprintf(L->in_from, sizeof L->in_from, "%s", in_from && in_from[0] ? in_from : "the model's input");
        }
        if (li == first && km->in_ndim < 0 && parent < 0 && L->in_ndim >= 0) {
            km->in_ndim = L->in_ndim;
            memcpy(km->in_shape, L->in_shape, sizeof km->in_shape);
        }
        if (ckpt__kc_is_model_class(lcls)) {
            L->flags |= KC_MODEL | KC_KNOWN;
            int ond;
            int64_t os[CKPT_MAX_DIMS];
            char *pfx = ckpt__strdup(L->k3path ? L->k3path : "");
            char from[200];
            snprintf(from, sizeof from, "the input of %s (%s)", km->L[li].name, km->L[li].in_from);
            rc = walk_model(km, lcls, lcfg, li, pfx ? pfx : "", depth + 1, km->L[li].in_ndim,
                            km->L[li].in_shape, from, &ond, os, err);
            free(pfx);
            if (rc) break;
            L = &km->L[li];   /* km->L may have moved */
            L->out_ndim = ond;
            memcpy(L->out_shape, os, sizeof os);
        } else {
            if (ckpt__kc_layer_weights(L)) L->flags |= KC_KNOWN;
            infer_out(L);
        }
        cur_ndim = L->out_ndim;
        memcpy(cur, L->out_shape, sizeof cur);
        prev = li;
    }
    free(cnt);
    if (rc) return rc;
    /* output: declared output_layers, else the last layer */
    const cJSON *ol = cJSON_IsObject(cfg) ? jget(cfg, "output_layers") : NULL;
    int outl = -1;
    if (cJSON_IsArray(ol) && cJSON_GetArraySize(ol) > 0) {
        const cJSON *o0 = cJSON_GetArrayItem(ol, 0);
        const cJSON *nm = cJSON_IsArray(o0) ? cJSON_GetArrayItem(o0, 0) : o0;
        if (cJSON_IsString(nm)) outl = ckpt__kc_find(km, nm->valuestring, parent);
        if (cJSON_GetArraySize(ol) > 1) outl = -1;  /* several outputs: no single shape */
    } else {
        for (int i = km->n - 1; i >= first; i--)
            if (km->L[i].parent == parent) { outl = i; break; }
    }
    if (outl >= 0) {
        *out_ndim = km->L[outl].out_ndim;
        memcpy(out_shape, km->L[outl].out_shape, sizeof km->L[outl].out_shape);
    }
    return 0;
}

int ckpt__kc_find(const kc_model *km, const char *name, int parent)
{
    for (int i = 0; i < km->n; i++)
        if ((parent == -2 || km->L[i].parent == parent) && !strcmp(km->L[i].name, name)) return i;
    return -1;
}

int ckpt__kc_parse(const char *json, size_t len, kc_model *km, ckpt_err *err)
{
    memset(km, 0, sizeof *km);
    km->in_ndim = km->out_ndim = -1;
    km->root = cJSON_ParseWithLength(json, len);
    if (!km->root)
        return ckpt_err_set(err, CKPT_E_FORMAT, ckpt__json_too_deep(json, len)
                                ? "model config nests JSON deeper than 1000 levels (hostile?)"
                                : "model config is not valid JSON");
    const cJSON *top = km->root;
    /* hls4ml-style files wrap nothing; some tools wrap {"model_config": {...}} */
    if (!jstr(top, "class_name") && cJSON_IsObject(jget(top, "model_config")))
        top = jget(top, "model_config");
    const char *cls = jstr(top, "class_name");
    if (!cls) {
        ckpt__kc_free(km);
        return ckpt_err_set(err, CKPT_E_FORMAT, "model config has no class_name");
    }
    const cJSON *cfg = jget(top, "config");
    km->cls = dupe(cls);
    const char *nm = cJSON_IsObject(cfg) ? jstr(cfg, "name") : NULL;
    km->name = dupe(nm ? nm : "model");
    if (!km->cls || !km->name) { ckpt__kc_free(km); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
    km->has_layers = model_layers(cfg) != NULL;
    int64_t s[CKPT_MAX_DIMS];
    const char *from = "build_config input_shape";
    int n = jshape(jget(jget(top, "build_config"), "input_shape"), s);
    if (n < 0 && cJSON_IsObject(cfg)) { n = jshape(jget(cfg, "build_input_shape"), s); from = "build_input_shape"; }
    if (n >= 0) { km->in_ndim = n; memcpy(km->in_shape, s, sizeof s); }
    int rc = walk_model(km, cls, cfg, -1, "", 0, km->in_ndim, km->in_shape, n >= 0 ? from : "",
                        &km->out_ndim, km->out_shape, err);
    if (rc) { ckpt__kc_free(km); return rc; }
    return 0;
}

void ckpt__kc_free(kc_model *km)
{
    if (!km) return;
    for (int i = 0; i < km->n; i++) {
        kc_layer *L = &km->L[i];
        free(L->name);
        free(L->cls);
        free(L->k3path);
        for (int j = 0; j < L->ninbound; j++) free(L->inbound[j]);
        free(L->inbound);
    }
    free(km->L);
    free(km->cls);
    free(km->name);
    cJSON_Delete(km->root);
    memset(km, 0, sizeof *km);
}

const char *ckpt__kc_dtype_name(ckpt_dtype dt)
{
    switch (dt) {
    case CKPT_F16: return "float16";
    case CKPT_BF16: return "bfloat16";
    case CKPT_F32: return "float32";
    case CKPT_F64: return "float64";
    case CKPT_I8: return "int8";
    case CKPT_U8: return "uint8";
    case CKPT_I16: return "int16";
    case CKPT_U16: return "uint16";
    case CKPT_I32: return "int32";
    case CKPT_U32: return "uint32";
    case CKPT_I64: return "int64";
    case CKPT_U64: return "uint64";
    case CKPT_BOOL: return "bool";
    default: return "float32";
    }
}
