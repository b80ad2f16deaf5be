/* src/export/tf_graph.h: a TF.js graph model as a TensorFlow GraphDef,
 * shared by the tf-frozen and tf-saved-model writers (and the fuzz target).
 *
 * The graph (every node but the weights' bytes) is built in memory from
 * model.json; each weight's Const node is written by hand-framed protobuf
 * around its tensor_content, streamed chunk by chunk (docs/tf-export.md). */
#ifndef CKPT_TF_GRAPH_H
#define CKPT_TF_GRAPH_H

#include <cjson/cJSON.h>

#include "internal.h"
#include "tensorflow/core/framework/graph.pb-c.h"

typedef struct tf_graph {
    cJSON *root;                     /* model.json */
    Tensorflow__NodeDef **node;
    int nnode, capnode;
    int *weight;                     /* per node: plan entry of its value, or -1 */
    unsigned char *keep;             /* per node: written (--outputs prunes) */
    struct ckpt_name_index *ix;      /* node name -> index */
    Tensorflow__VersionDef *versions;
    Tensorflow__FunctionDefLibrary *library;
    /* per plan entry: the Const node, or -1 when pruned */
    int *node_of;
    int nplan;
    /* the write: heads of the weight nodes, the rest packed */
    unsigned char **head;
    size_t *headlen;
    unsigned char *body;
    size_t bodylen;
    uint64_t total;                  /* GraphDef bytes */
    int fd;
} tf_graph;

/* 1 when `m` is a TF.js graph model; else 0 with a reason naming what m
 * converts to (`fmt` is the format asked for). */
int ckpt__tfg_can_write(const ckpt_model *m, const char *fmt, char *why, size_t n);

/* Build the graph for writer w: nodes from model.json, weights matched to
 * their Const nodes, --compat-mode and --outputs applied, the bytes to
 * write before the weights packed (g->body) and g->total computed. */
int ckpt__tfg_build(ckpt_writer *w, tf_graph *g, ckpt_err *err);
/* Parse and convert the topology alone (no weights, no options): for the
 * fuzz target and ckpt__tfg_build. `what` names the file in messages. */
int ckpt__tfg_parse(tf_graph *g, const char *json, size_t n, const char *what, ckpt_err *err);
/* Pack the nodes (weights' heads and the rest) and compute g->total. */
int ckpt__tfg_pack(tf_graph *g, const ckpt_plan *p, ckpt_err *err);
/* Write plan entry i's bytes (its Const node's framing first) to g->fd. */
int ckpt__tfg_write(tf_graph *g, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err);
void ckpt__tfg_free(tf_graph *g);
/* Writer callbacks shared by both formats (w->priv: a tf_graph). */
int ckpt__tfg_w_write(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err);
int ckpt__tfg_w_end(ckpt_writer *w, ckpt_err *err);
void ckpt__tfg_w_abort(ckpt_writer *w);

/* Node helpers (tf_compat.c and the signature builder use them). */
int ckpt__tfg_find(const tf_graph *g, const char *name);
Tensorflow__AttrValue *ckpt__tfg_attr(const Tensorflow__NodeDef *nd, const char *key);
/* The dtype a node's first output has, by its attrs (dtype, T, out_type), or 0. */
int ckpt__tfg_out_dtype(const Tensorflow__NodeDef *nd);
/* Append a node (owned by g from then on). */
int ckpt__tfg_add(tf_graph *g, Tensorflow__NodeDef *nd, ckpt_err *err);

/* --compat-mode tfjs|tflite: split fused ops, decompose Prelu, 64-bit type
 * attrs to 32-bit (tf_compat.c). */
int ckpt__tfg_compat(tf_graph *g, const char *mode, ckpt_err *err);

/* Varint framing, for hand-built messages. */
size_t ckpt__pb_varint(uint64_t v, unsigned char *out);   /* out may be NULL: size only */

#endif
