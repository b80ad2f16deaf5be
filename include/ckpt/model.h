/* ckpt/model.h: an opened checkpoint.
 *
 * A model is a table of tensors (name, dtype, shape, byte size, where the
 * bytes live), a layer tree derived from the names (or from the format's
 * architecture config), string metadata, and an optional architecture
 * config as JSON text. Everything returned by the accessors is owned by the
 * model and stays valid until ckpt_close().
 *
 * Tensor bytes are never loaded by ckpt_open(): ckpt_tensor_read() reads a
 * byte range on demand, in the engine's canonical layout: little-endian,
 * C (row-major) order, elements of `dtype`, `nbytes` in total.
 */
#ifndef CKPT_MODEL_H
#define CKPT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "ckpt/dtype.h"
#include "ckpt/err.h"

#define CKPT_VERSION "0.1.0"

typedef struct ckpt_model ckpt_model;

/* tensor flags */
#define CKPT_TF_OPTIMIZER    0x1u  /* optimizer state: shown, not converted unless asked */
#define CKPT_TF_NONTRAINABLE 0x2u  /* e.g. BatchNorm moving statistics */
#define CKPT_TF_FLAGGED      0x4u  /* something is odd (see the check) */

typedef struct ckpt_tensor {
    const char *name;       /* canonical name ("dense_1/kernel", "model.layers.0.mlp.up_proj.weight") */
    const char *src_name;   /* name/path as stored in the file; equals `name` when identical */
    ckpt_dtype dtype;
    int ndim;               /* 0 for a scalar */
    const int64_t *shape;   /* ndim dimensions, owned by the model (never NULL) */
    uint64_t nbytes;        /* bytes in canonical layout */
    uint64_t nelems;
    int file;               /* index for ckpt_model_file() */
    uint64_t offset;        /* absolute offset of the bytes in that file, CKPT_NO_OFFSET if not contiguous */
    int node;               /* index of its leaf node in the tree (-1 until the tree
                             * is built: the first ckpt_model_nnodes/ckpt_model_node;
                             * after ckpt_model_tree, until its groups are unfolded) */
    unsigned flags;         /* CKPT_TF_* */
} ckpt_tensor;

/* node flags */
#define CKPT_NF_LAYER     0x1u  /* a layer of the architecture (not just a name prefix) */
#define CKPT_NF_UNKNOWN   0x2u  /* layer class unknown to ckpt: weights kept positional */
#define CKPT_NF_MODEL     0x4u  /* a (nested) model */
#define CKPT_NF_FLAGGED   0x8u  /* the check found something here */
#define CKPT_NF_FOLDED    0x10u /* a group whose children are not made yet (ckpt_model_tree) */

typedef struct ckpt_node {
    const char *name;       /* this level's name ("dense_1", "layers", "0", "weight") */
    const char *kind;       /* layer class ("Dense") or NULL */
    const char *alt_name;   /* the other name when there are two (Keras 3 path vs config name), or NULL */
    const char *path;       /* full path from the root, joined with the model's separator */
    int parent;             /* -1 for the root (node 0) */
    int first_child;        /* -1 if none */
    int next_sibling;       /* -1 if none */
    int depth;              /* root = 0 */
    int tensor;             /* tensor index for a leaf, -1 otherwise */
    int ntensors;           /* tensors in this subtree */
    uint64_t nparams;       /* elements in this subtree */
    uint64_t nbytes;        /* bytes in this subtree */
    unsigned flags;         /* CKPT_NF_* */
} ckpt_node;

/* Open a checkpoint: a file, a directory (shards, TF.js, Hugging Face style
 * folder) or, once the hub module is built in, "hf://org/name[@rev][/path]".
 * The format is detected from magic bytes and names. */
int ckpt_open(const char *path, ckpt_model **out, ckpt_err *err);
/* Open forcing a format by name ("safetensors", ...). */
int ckpt_open_as(const char *path, const char *format, ckpt_model **out, ckpt_err *err);
void ckpt_close(ckpt_model *m);  /* NULL is fine */
/* HDF5 inputs may point outside themselves: external raw storage, virtual
 * datasets, external links. They are refused (naming the dataset and its
 * target) unless allowed here, process-wide; allowed ones are read through
 * libhdf5 (CLI: ckpt --allow-external-data CMD ...). */
void ckpt_set_allow_external_data(int allow);

const char *ckpt_model_format(const ckpt_model *m);      /* format name, e.g. "safetensors" */
const char *ckpt_model_path(const ckpt_model *m);        /* what was opened */

int ckpt_model_ntensors(const ckpt_model *m);
const ckpt_tensor *ckpt_model_tensor(const ckpt_model *m, int i);
int ckpt_model_find(const ckpt_model *m, const char *name);   /* index or -1; O(1) */
uint64_t ckpt_model_nparams(const ckpt_model *m);             /* excluding optimizer state */
uint64_t ckpt_model_nbytes(const ckpt_model *m);              /* excluding optimizer state */

int ckpt_model_nnodes(const ckpt_model *m);
const ckpt_node *ckpt_model_node(const ckpt_model *m, int i); /* node 0 is the root */
/* All nodes at once, node i at [i], their count in *n (n may be NULL);
 * NULL and 0 for none. Valid, like each node, until ckpt_close(). For
 * walks over every node (the TUI's). */
const ckpt_node *ckpt_model_nodes(const ckpt_model *m, int *n);
/* The tree as a browser shows it, for models whose tree comes from the
 * names: a group's children are made when it is unfolded, so a 1M-tensor
 * model costs a screenful of nodes rather than two million. A group not
 * unfolded yet has CKPT_NF_FOLDED and no children; its counts (ntensors,
 * nparams, nbytes) are already whole. Unfolded in full, it is the tree
 * ckpt_model_nodes gives; formats that build their own tree give it
 * whole here. Nodes keep their indices, but the array may move when
 * nodes are made: take it again after each unfold. Not thread-safe
 * against other tree calls on the same model. After this, the calls
 * above unfold the whole tree first; ckpt_model_node does not. */
const ckpt_node *ckpt_model_tree(const ckpt_model *m, int *n);
/* Make node's children (with `all`, its whole subtree). 0, or an error
 * code (the node stays folded). */
int ckpt_model_unfold(const ckpt_model *m, int node, int all, ckpt_err *err);
/* Tensor t's leaf, unfolding the groups above it; -1 if t is out of range
 * or memory ran out. */
int ckpt_model_tensor_node(const ckpt_model *m, int t);

int ckpt_model_nfiles(const ckpt_model *m);
const char *ckpt_model_file(const ckpt_model *m, int i, uint64_t *size); /* size may be NULL */

/* String metadata in file order (safetensors __metadata__, keras_version, ...) */
int ckpt_model_nmeta(const ckpt_model *m);
void ckpt_model_meta(const ckpt_model *m, int i, const char **key, const char **val);
const char *ckpt_model_meta_get(const ckpt_model *m, const char *key); /* NULL if absent */

/* Derived facts for `info` and the TUI header, in order ("keras_version",
 * "trainable_params", "attention", ...), added by formats and analyses. */
int ckpt_model_nfacts(const ckpt_model *m);
void ckpt_model_fact(const ckpt_model *m, int i, const char **key, const char **val);
const char *ckpt_model_fact_get(const ckpt_model *m, const char *key);

/* Architecture config as JSON text (Keras model_config / config.json,
 * Hugging Face config.json found beside the weights), or NULL. */
const char *ckpt_model_config(const ckpt_model *m);
const char *ckpt_model_hf_config(const ckpt_model *m);

/* Read `len` bytes at byte `off` of tensor `i` in canonical layout.
 * off + len must be <= nbytes. Any chunk size works; the engine streams. */
int ckpt_tensor_read(ckpt_model *m, int i, uint64_t off, void *buf, size_t len, ckpt_err *err);

/* "[2, 3]" into buf; returns buf */
const char *ckpt_shape_str(const ckpt_tensor *t, char *buf, size_t n);

/* Formats built in. */
#define CKPT_FMT_READ   0x1u
#define CKPT_FMT_WRITE  0x2u
/* Opened first in a confined child process (src/sandbox.c): its parser is a
 * library ckpt cannot vouch for (libhdf5). CKPT_SANDBOX=off skips it. */
#define CKPT_FMT_SANDBOX 0x4u
/* A writer that wraps another (the zip package around --to's weights):
 * chosen by its own option (--package zip) or --to, not listed by itself
 * among the TUI's output formats (its dialog has a package toggle). */
#define CKPT_FMT_WRAP 0x8u
int ckpt_format_count(void);
const char *ckpt_format_name(int i);
const char *ckpt_format_desc(int i);
unsigned ckpt_format_flags(int i);
/* File name endings of format i, space-separated, the usual one first
 * (".weights.h5 .weights.json"; "model.json" for TF.js), or NULL. */
const char *ckpt_format_exts(int i);
/* Output naming schemes ckpt_convert_opts.naming accepts for model m,
 * space-separated, the default first ("keras index"), or NULL when its
 * format has none. */
const char *ckpt_model_namings(const ckpt_model *m);
/* Writer options of format i, space-separated, a trailing '!' on a flag
 * ("quantize compress!"); passed as "NAME=VALUE" in ckpt_convert_opts.kv.
 * "" when it has none. */
const char *ckpt_format_opts(int i);
/* Does some format take writer option `name`? Returns 2 for a flag, 1 for an
 * option with a value, 0 when no format knows it. */
int ckpt_writer_opt_kind(const char *name);
/* Can `format` be written from model m? If not, why (one line) goes to `why`. */
int ckpt_format_can_write(const char *format, const ckpt_model *m, char *why, size_t n);

/* Cheap detection without opening: the format name that would open `path`, or NULL. */
const char *ckpt_detect(const char *path, ckpt_err *err);

#endif
