/* src/fmt_tfjs.h: the TF.js model.json manifest parser, shared with the
 * fuzz target (tests/fuzz/fuzz_tfjs_manifest.c). */
#ifndef CKPT_FMT_TFJS_H
#define CKPT_FMT_TFJS_H

#include "internal.h"

enum { TJ_PLAIN, TJ_AFFINE, TJ_F16, TJ_STRING, TJ_COMPLEX };

typedef struct {
    char *name;
    int group;
    int ndim;
    int64_t shape[CKPT_MAX_DIMS];
    uint64_t nelems;
    ckpt_dtype dt;          /* what ckpt presents (after dequantization) */
    ckpt_dtype stored_dt;   /* element type of the stored bytes */
    int kind;               /* TJ_* */
    double scale, min;      /* TJ_AFFINE */
    int optimizer;          /* group "optimizer" */
    uint64_t stored;        /* stored bytes; strings: known only after the scan */
    uint64_t off;           /* offset in its group's byte stream */
    const char *dtype_name; /* manifest dtype, static */
    const char *quant_name; /* quantization dtype or NULL, static */
} tfjs_weight;

typedef struct {
    char **paths;
    int npaths;
} tfjs_group;

typedef struct {
    int graph;              /* graph-model */
    int bare;               /* a bare weights manifest: the JSON is the groups array */
    tfjs_group *g;
    int ng;
    tfjs_weight *w;
    int nw;
} tfjs_manifest;

/* Parse model.json text (n bytes, NUL-terminated): format, weightsManifest
 * groups (or a bare manifest: the groups array alone, as face-api.js and
 * tf.io.loadWeights use, "*-weights_manifest.json"), paths (relative, no "..", not absolute) and weight specs. Touches
 * no file. `path` is for messages. */
int ckpt__tfjs_parse_manifest(const char *json, size_t n, const char *path, tfjs_manifest *out,
                              ckpt_err *err);
void ckpt__tfjs_manifest_free(tfjs_manifest *mf);
/* 1 when m was opened by this reader from a graph model's model.json. */
int ckpt__tfjs_is_graph_model(const ckpt_model *m);

#endif
