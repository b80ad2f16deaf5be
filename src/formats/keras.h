/* src/keras.h: what the Keras modules share (config walker, readers, writer).
 *
 * keras_config.c turns a Keras model config (legacy model_config, model.to_json(),
 * Keras 3 config.json) into a flat list of layers with their nesting, their
 * Keras 3 object paths and the weights each layer class owns, in Keras order. */
#ifndef CKPT_KERAS_H
#define CKPT_KERAS_H

#include <cJSON.h>

#include "internal.h"

#define KC_MAXW 16

/* One weight a layer owns, in Keras weight order (trainable then not). */
typedef struct kc_weight {
    const char *sub;     /* Keras 3 sub-object path under the layer: "", "cell", "query_dense", ... */
    int vidx;            /* index in that sub-object's vars/ */
    char canon[48];      /* semantic name: "kernel", "query/kernel", "forward/bias" */
    int ndim;            /* -1 = rank not determined by the config */
    int64_t shape[CKPT_MAX_DIMS];  /* -1 = dimension not determined */
    unsigned tflags;     /* CKPT_TF_NONTRAINABLE for moving statistics */
} kc_weight;

#define KC_MODEL   0x1u  /* a nested Sequential/Functional/Model: its children are layers */
#define KC_KNOWN   0x2u  /* class known: nw is meaningful */
#define KC_FROZEN  0x4u  /* trainable: false */

typedef struct kc_layer {
    char *name;          /* the layer's name in the config */
    char *cls;           /* class_name */
    char *k3path;        /* Keras 3 object path ("layers/sequential/layers/dense") */
    int parent;          /* enclosing model layer, -1 = the top model */
    unsigned flags;
    const cJSON *cfg;    /* its "config" object (inside kc_model.root) */
    char **inbound; int ninbound;  /* names of the layers feeding it */
    int nw; kc_weight w[KC_MAXW];
    int in_ndim, out_ndim;         /* -1 = unknown */
    int64_t in_shape[CKPT_MAX_DIMS], out_shape[CKPT_MAX_DIMS]; /* -1 = None/unknown */
    char in_from[160];   /* where in_shape came from, for messages ("the output of conv1") */
} kc_layer;

typedef struct kc_model {
    cJSON *root;
    char *cls, *name;
    kc_layer *L; int n, cap;
    int in_ndim, out_ndim;
    int64_t in_shape[CKPT_MAX_DIMS], out_shape[CKPT_MAX_DIMS];
    int has_layers;      /* the config lists layers (not a subclassed model) */
} kc_model;

/* Parse a Keras model config. `ck3` chooses Keras 3 container naming for
 * k3path ("layers" or "_layer_checkpoint_dependencies"). */
int ckpt__kc_parse(const char *json, size_t len, kc_model *km, ckpt_err *err);
void ckpt__kc_free(kc_model *km);
/* Layer index by name under `parent` (-2 = anywhere), or -1. */
int ckpt__kc_find(const kc_model *km, const char *name, int parent);
/* Keras' naming.to_snake_case. */
void ckpt__kc_snake(const char *cls, char *out, size_t n);
/* "dense_3" -> "Dense" for classes ckpt knows, else NULL. */
const char *ckpt__kc_class_from_seg(const char *seg);
/* Fill L->w / L->nw for class `cls` with config `cfg` and input shape.
 * Returns 1 if the class is known, 0 if not (nw = 0). */
int ckpt__kc_layer_weights(kc_layer *L);
/* Facts (input/output shape as "(None, 64, 64, 1)") */
void ckpt__kc_shape_str(int ndim, const int64_t *s, char *buf, size_t n);
int ckpt__kc_is_model_class(const char *cls);

/* Keras dtype names for config/metadata writing */
const char *ckpt__kc_dtype_name(ckpt_dtype dt);

/* ---- dataset-backed tensors shared by the Keras readers (keras_h5io.c) ---- */
#include <hdf5.h>

typedef struct kx_t {
    int h5;              /* index in kx_state.h5 */
    char *dpath;         /* dataset path in that file */
    hid_t dset, mt;      /* opened lazily (-1) */
    uint64_t foff;       /* absolute offset for direct reads, CKPT_NO_OFFSET */
    int layer;           /* kc layer index, -1 = claimed by no config layer */
    int widx;            /* index among the layer's weights, Keras order */
    char *group;         /* layer group (legacy) or object path (Keras 3) in the file */
    int ck_state;        /* 0 = not looked at yet, 1 = ckpt decodes its chunks (ck), 2 = libhdf5 reads it */
    struct ckpt_h5ck *ck;
} kx_t;

typedef struct kx_state {
    hid_t *h5; int *fd; char **h5path; int nh5;
    ckpt_src **src; uint64_t *base;   /* per file: the byte source read through the VFD (or NULL) */
    kc_model km; int have_km;
    kx_t *t; int nt, capt;     /* parallel to m->tensors */
    int keras3;                /* Keras 3 layout (paths after classes) */
    int tree_config_done;
    int *ord;                  /* --naming index: position in the top-level layer */
    int ublock_of; uint64_t ublock;  /* HDF5 user block size of file ublock_of */
    struct zip_crc *crc;       /* a local .keras' stored member: its CRC, checked lazily */
    struct ckpt_h5ck_cache *ckc;     /* the last decoded chunk (h5chunk.h) */
    char *linkmemo; int linkmemo_h5; /* groups of file linkmemo_h5 free of external links */
} kx_state;

kx_state *ckpt__kx_new(void);
void ckpt__kx_free(kx_state *st);
/* Open an HDF5 file read-only; `fd` >= 0 is used for direct reads (owned). */
int ckpt__kx_open_h5(kx_state *st, const char *path, const char *shown, int fd, ckpt_err *err);
/* Open `size` bytes of `src` from `base` as an HDF5 file through the
 * ckpt_src driver (h5vfd.c): remote files, members stored inside a zip.
 * Takes src (closed by ckpt__kx_free). */
/* Size of file h5 (opened from `path`), UINT64_MAX if unknown. */
uint64_t ckpt__kx_size(const kx_state *st, int h5, const char *path);
int ckpt__kx_open_h5_src(kx_state *st, ckpt_src *src, uint64_t base, uint64_t size,
                   const char *shown, ckpt_err *err);
/* Add dataset `dpath` of file h5 as tensor `name`. Returns the tensor index or -1. */
int ckpt__kx_add(ckpt_model *m, kx_state *st, int h5, const char *dpath, const char *name,
           unsigned tflags, int layer, int widx, const char *group, int file, int expose_offset,
           ckpt_err *err);
int ckpt__kx_read(ckpt_model *m, int t, uint64_t off, void *buf, size_t n, ckpt_err *err);
/* The sandbox child's part after the open (the format's fence hook): walk
 * the chunk index of every chunked tensor ckpt decodes itself, and read a
 * little of every other tensor libhdf5 decodes. */
int ckpt__kx_fence(ckpt_model *m, ckpt_err *err);
/* Contiguous, unfiltered, little-endian datasets: their bytes in the file (the converter copies them file to file). */
int ckpt__kx_raw_span(ckpt_model *m, int t, int *fd, uint64_t *off);
/* The stream hooks (internal.h) for a .keras read in place: its member's
 * CRC is taken over the bytes the conversion copies. */
void ckpt__kx_stream_begin(ckpt_model *m);
void ckpt__kx_raw_seen(ckpt_model *m, int fd, uint64_t off, const void *buf, size_t n);
int ckpt__kx_stream_end(ckpt_model *m, int finish, ckpt_err *err);
/* Tree from config layers then tensor names; facts. */
int ckpt__kx_finish(ckpt_model *m, kx_state *st, ckpt_err *err);
/* Just the config layer nodes (idempotent; ckpt__kx_finish calls it). */
int ckpt__kx_tree_config(ckpt_model *m, kx_state *st, ckpt_err *err);
/* The config-vs-weights findings (the format check hook). */
int ckpt__kx_check(ckpt_model *m, ckpt_findings *out, ckpt_err *err);
/* Keras 3 object path of tensor t ("layers/dense/vars/0"), malloc'd, or NULL
 * when its layer has no known Keras 3 place. */
char *ckpt__kx_k3_path(const ckpt_model *m, int t);
/* The format's name_as hook (convert --naming keras|index). */
char *ckpt__kx_name_as(ckpt_model *m, int t, const char *naming, ckpt_err *err);
/* The schemes ckpt__kx_name_as accepts, the default first (ckpt_model_namings). */
extern const char ckpt__kx_namings[];
/* The Keras 3 opener (fmt_keras3.c), used by the legacy h5 format when a
 * plain .h5 turns out to have the Keras 3 layout. */
int ckpt__kx_open_k3_h5(ckpt_model *m, const char *path, ckpt_err *err);
/* writers (keras_write.c) */
int ckpt__kw_can_write_weights(const ckpt_model *m, char *why, size_t n);
int ckpt__kw_can_write_keras(const ckpt_model *m, char *why, size_t n);
int ckpt__kw_weights_begin(ckpt_writer *w, ckpt_err *err);
int ckpt__kw_keras_begin(ckpt_writer *w, ckpt_err *err);
int ckpt__kw_write_chunk(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err);
int ckpt__kw_weights_end(ckpt_writer *w, ckpt_err *err);
int ckpt__kw_keras_end(ckpt_writer *w, ckpt_err *err);
void ckpt__kw_write_abort(ckpt_writer *w);
/* Datasets named by the plan (exporters): begin at `path`; then
 * ckpt__kw_write_chunk, ckpt__kw_weights_end (or ckpt__kw_write_abort). */
int ckpt__kw_h5_begin_at(ckpt_writer *w, const char *path, ckpt_err *err);
extern const ckpt_format ckpt_fmt_keras_h5, ckpt_fmt_keras, ckpt_fmt_keras_weights;

#endif
