/* libFuzzer target: the Keras HDF5 readers (legacy .h5 full model and
 * weights-only, Keras 3 .weights.h5) on files whose *structure* comes from
 * the fuzzer: groups, datasets of any dtype and rank, string attributes
 * (variable and fixed length, split layer_names0/1...), model_config JSON,
 * numeric attributes where strings are expected. The file is built with
 * libhdf5 itself, so this fuzzes ckpt's walk over what HDF5 holds (names,
 * attributes, shapes, pairing with the config), not libhdf5's own parser,
 * whose byte-level robustness is libhdf5's business.
 *
 * Input: a byte program. Byte 0 picks the file name (.h5 or .weights.h5);
 * then each op is one byte (op % 6) followed by its operands. */
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckpt/check.h"
#include "formats/h5util.h"
#include "internal.h"

static const char *const dict[] = {
    "model_weights", "layer_names", "weight_names", "keras_version", "backend", "model_config",
    "training_config", "optimizer_weights", "layers", "vars", "dense", "dense_1", "conv2d",
    "kernel:0", "bias:0", "lstm", "cell", "0", "1", "2", "name", "_layer_checkpoint_dependencies",
    "top_level_model_weights", "sequential", "embeddings:0", "gamma:0", "moving_mean:0",
    "batch_normalization", "embedding", "dense/kernel:0", "dense/bias:0", "dense_1/kernel:0",
    "lstm/lstm_cell/kernel:0", "functional", "model", "", "..", "a/b", "layer_names0", "layer_names1",
    "weight_names0", "recurrent_kernel:0", "moving_variance:0", "beta:0", "metadata", "headers",
};
#define NDICT ((int)(sizeof dict / sizeof dict[0]))

static const char *const configs[] = {
    "{\"class_name\":\"Sequential\",\"config\":{\"name\":\"s\",\"layers\":[{\"class_name\":\"Dense\","
    "\"config\":{\"name\":\"dense\",\"units\":2,\"use_bias\":true}}]}}",
    "{\"class_name\":\"Functional\",\"config\":{\"name\":\"m\",\"layers\":[{\"class_name\":\"InputLayer\","
    "\"name\":\"in\",\"config\":{\"batch_input_shape\":[null,3]},\"inbound_nodes\":[]},{\"class_name\":"
    "\"Dense\",\"name\":\"dense_1\",\"config\":{\"name\":\"dense_1\",\"units\":2},\"inbound_nodes\":"
    "[[[\"in\",0,0,{}]]]},{\"class_name\":\"Sequential\",\"config\":{\"name\":\"sequential\",\"layers\":"
    "[{\"class_name\":\"LSTM\",\"config\":{\"name\":\"lstm\",\"units\":1}}]}}],\"input_layers\":[[\"in\",0,0]],"
    "\"output_layers\":[[\"dense_1\",0,0]]}}",
    "{\"class_name\":\"Sequential\",\"config\":[{\"class_name\":\"Conv2D\",\"config\":{\"name\":\"conv2d\"}},"
    "{\"class_name\":\"BatchNormalization\",\"config\":{\"name\":\"batch_normalization\",\"scale\":false}}]}",
    "[]", "{", "null", "{\"class_name\":7,\"config\":{\"layers\":{}}}",
};
#define NCONFIGS ((int)(sizeof configs / sizeof configs[0]))

typedef struct prog {
    const uint8_t *d;
    size_t n, i;
} prog;

static unsigned u8(prog *p) { return p->i < p->n ? p->d[p->i++] : 0; }

/* A word: from the dictionary, or up to 15 raw bytes (no '/', no NUL). */
static void word(prog *p, char *out, size_t cap)
{
    unsigned b = u8(p);
    if (b < 224) {
        snprintf(out, cap, "%s", dict[b % NDICT]);
        return;
    }
    size_t k = 0, len = b & 15;
    while (k < len && k + 1 < cap && p->i < p->n) {
        char c = (char)p->d[p->i++];
        out[k++] = (c == '/' || c == 0) ? '_' : c;
    }
    out[k] = 0;
}

/* A path of 1..3 words. */
static void path(prog *p, char *out, size_t cap)
{
    int parts = 1 + (int)(u8(p) % 3);
    size_t k = 0;
    out[0] = 0;
    for (int j = 0; j < parts; j++) {
        char w[64];
        word(p, w, sizeof w);
        if (!*w || !strcmp(w, ".") || !strcmp(w, "..")) snprintf(w, sizeof w, "g");
        k += (size_t)snprintf(out + k, cap - k, "%s%s", j ? "/" : "", w);
        if (k >= cap) { out[cap - 1] = 0; return; }
    }
}

static hid_t lcpl(void)
{
    hid_t l = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(l, 1);
    return l;
}

/* The object an attribute goes on: the root or a group (created). */
static hid_t attr_target(prog *p, hid_t f)
{
    if (u8(p) & 1) return H5Oopen(f, "/", H5P_DEFAULT);
    char pa[256];
    path(p, pa, sizeof pa);
    htri_t ex = H5Lexists(f, pa, H5P_DEFAULT);
    if (ex > 0) return H5Oopen(f, pa, H5P_DEFAULT);
    hid_t l = lcpl();
    hid_t g = H5Gcreate2(f, pa, l, H5P_DEFAULT, H5P_DEFAULT);
    H5Pclose(l);
    return g;
}

static void put_strings(prog *p, hid_t obj, const char *name, int fixed)
{
    int n = (int)(u8(p) % 6);
    char vals[6][128];
    const char *ptrs[6];
    size_t maxl = 1;
    for (int j = 0; j < n; j++) {
        /* "layer/weight" pairs as Keras writes weight_names */
        char a[64], b[64];
        word(p, a, sizeof a);
        if (u8(p) & 1) {
            word(p, b, sizeof b);
            snprintf(vals[j], sizeof vals[j], "%s/%s", a, b);
        } else {
            snprintf(vals[j], sizeof vals[j], "%s", a);
        }
        ptrs[j] = vals[j];
        if (strlen(vals[j]) + 1 > maxl) maxl = strlen(vals[j]) + 1;
    }
    H5Adelete(obj, name);
    hsize_t dim = (hsize_t)n;
    hid_t sp = (u8(p) % 8 == 0 && n == 1) ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dim, NULL);
    hid_t t = H5Tcopy(H5T_C_S1);
    if (fixed) {
        H5Tset_size(t, maxl);
        H5Tset_strpad(t, H5T_STR_NULLPAD);
    } else {
        H5Tset_size(t, H5T_VARIABLE);
        H5Tset_cset(t, H5T_CSET_UTF8);
    }
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        if (fixed) {
            char *buf = calloc((size_t)(n ? n : 1), maxl);
            for (int j = 0; buf && j < n; j++) memcpy(buf + (size_t)j * maxl, vals[j], strlen(vals[j]));
            if (buf) H5Awrite(a, t, buf);
            free(buf);
        } else {
            H5Awrite(a, t, ptrs);
        }
        H5Aclose(a);
    }
    H5Tclose(t);
    H5Sclose(sp);
}

static void put_dataset(prog *p, hid_t f)
{
    char pa[256];
    path(p, pa, sizeof pa);
    unsigned kind = u8(p) % 8;
    int nd = (int)(u8(p) % 4);
    hsize_t dims[3] = {1, 1, 1};
    hsize_t cnt = 1;
    for (int j = 0; j < nd; j++) {
        dims[j] = u8(p) % 5;
        cnt *= dims[j];
    }
    hid_t t;
    size_t es;
    switch (kind) {
    case 0: t = H5Tcopy(H5T_IEEE_F32LE); es = 4; break;
    case 1: t = H5Tcopy(H5T_IEEE_F64BE); es = 8; break;
    case 2: t = H5Tcopy(H5T_STD_I32LE); es = 4; break;
    case 3: t = H5Tcopy(H5T_STD_U8LE); es = 1; break;
    case 4: t = ckpt_h5_type_for(CKPT_BOOL); es = 1; break;
    case 5: t = ckpt_h5_type_for(CKPT_BF16); es = 2; break; /* Keras: opaque + dtype attribute */
    case 6: t = H5Tcopy(H5T_C_S1); H5Tset_size(t, 4); es = 4; break;
    default: t = ckpt_h5_type_for(CKPT_F16); es = 2; break;
    }
    hid_t sp = nd ? H5Screate_simple(nd, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (nd && cnt && (u8(p) & 1)) { /* chunked, sometimes compressed */
        hsize_t ch[3];
        for (int j = 0; j < nd; j++) ch[j] = dims[j] ? dims[j] : 1;
        H5Pset_chunk(dcpl, nd, ch);
        if (u8(p) & 1) H5Pset_deflate(dcpl, 1);
    }
    hid_t l = lcpl();
    hid_t ds = H5Dcreate2(f, pa, t, sp, l, dcpl, H5P_DEFAULT);
    H5Pclose(l);
    H5Pclose(dcpl);
    if (ds >= 0) {
        if (cnt && cnt * es <= 4096) {
            unsigned char *buf = calloc(cnt, es);
            for (size_t j = 0; buf && j < cnt * es; j++) buf[j] = (unsigned char)u8(p);
            if (buf) H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
            free(buf);
        }
        if (kind == 5) put_strings(p, ds, "dtype", 0);
        H5Dclose(ds);
    }
    H5Sclose(sp);
    H5Tclose(t);
}

static void put_config(prog *p, hid_t obj)
{
    char name[64];
    snprintf(name, sizeof name, "%s", (u8(p) & 1) ? "model_config" : "training_config");
    const char *txt = configs[u8(p) % NCONFIGS];
    char raw[256];
    if (u8(p) % 4 == 0) { /* raw bytes as JSON */
        size_t len = u8(p) % sizeof raw, k = 0;
        while (k < len && p->i < p->n) raw[k++] = (char)(p->d[p->i] ? p->d[p->i] : ' '), p->i++;
        raw[k] = 0;
        txt = raw;
    }
    H5Adelete(obj, name);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        H5Awrite(a, t, &txt);
        H5Aclose(a);
    }
    H5Tclose(t);
    H5Sclose(sp);
}

static void put_numeric_attr(prog *p, hid_t obj)
{
    char name[64];
    word(p, name, sizeof name);
    if (!*name) return;
    H5Adelete(obj, name);
    hsize_t dim = u8(p) % 3;
    hid_t sp = H5Screate_simple(1, &dim, NULL);
    hid_t a = H5Acreate2(obj, name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        float v[2] = {1, 2};
        H5Awrite(a, H5T_NATIVE_FLOAT, v);
        H5Aclose(a);
    }
    H5Sclose(sp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        init = 1;
    }
    if (size > 4096) return 0;
    prog p = {data, size, 0};
    char fn[128];
    /* tmpfs when there is one: file creation is most of the cost */
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fn, sizeof fn, "%s/fuzz_keras_h5.%d%s", dir, (int)getpid(), (u8(&p) & 1) ? ".weights.h5" : ".h5");
    hid_t f = H5Fcreate(fn, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) return 0;
    for (int ops = 0; ops < 64 && p.i < p.n; ops++) {
        unsigned op = u8(&p) % 6;
        hid_t o;
        char nm[64];
        switch (op) {
        case 0: {
            char pa[256];
            path(&p, pa, sizeof pa);
            hid_t l = lcpl();
            hid_t g = H5Gcreate2(f, pa, l, H5P_DEFAULT, H5P_DEFAULT);
            H5Pclose(l);
            if (g >= 0) H5Gclose(g);
            break;
        }
        case 1: put_dataset(&p, f); break;
        case 2:
        case 3:
            o = attr_target(&p, f);
            word(&p, nm, sizeof nm);
            if (o >= 0 && *nm) put_strings(&p, o, nm, op == 3);
            if (o >= 0) H5Oclose(o);
            break;
        case 4:
            o = attr_target(&p, f);
            if (o >= 0) {
                put_config(&p, o);
                H5Oclose(o);
            }
            break;
        default:
            o = attr_target(&p, f);
            if (o >= 0) {
                put_numeric_attr(&p, o);
                H5Oclose(o);
            }
            break;
        }
    }
    H5Fclose(f);

    ckpt_err err;
    ckpt_err_clear(&err);
    ckpt_model *m = NULL;
    if (ckpt_open(fn, &m, &err) == CKPT_OK) {
        static unsigned char buf[8192];
        for (int i = 0; i < ckpt_model_ntensors(m); i++) {
            const ckpt_tensor *t = ckpt_model_tensor(m, i);
            size_t n = t->nbytes < sizeof buf ? (size_t)t->nbytes : sizeof buf;
            ckpt_err e2;
            ckpt_err_clear(&e2);
            ckpt_tensor_read(m, i, 0, buf, n, &e2);
            if (t->nbytes > 3) {
                ckpt_err_clear(&e2);
                ckpt_tensor_read(m, i, t->nbytes - 3, buf, 3, &e2);
            }
        }
        ckpt_findings fd;
        memset(&fd, 0, sizeof fd);
        ckpt_err_clear(&err);
        if (ckpt_check(m, &fd, &err) == CKPT_OK) ckpt_findings_free(&fd);
        ckpt_close(m);
    }
    if (!getenv("FUZZ_KERAS_H5_KEEP")) unlink(fn); /* keep: to look at what an input builds */
    return 0;
}
