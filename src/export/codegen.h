/* src/export/codegen.h: what the two code exporters (emit_numpy.c,
 * emit_c.c) share: the writer state, the graph, text output, the weights
 * each plan entry feeds and the templates compiled in from templates/. */
#ifndef CKPT_CODEGEN_H
#define CKPT_CODEGEN_H

#include "export/kgraph.h"

/* growable text, written out with ckpt__cg_flush */
typedef ckpt_sbuf cg_buf;   /* internal.h's string buffer */
#define cg_printf ckpt__sb_printf
#define cg_put ckpt__sb_add
#define cg_puts(b, lit) cg_put((b), (lit), sizeof(lit) - 1)
int ckpt__cg_flush(cg_buf *b, int fd, const char *path, ckpt_err *err);

typedef struct cg {
    kg_graph g;
    char *base;          /* output path without its extension */
    char *name;          /* identifier from the file name: NAME_predict */
    int *wplan;          /* model tensor -> plan entry, -1 */
    char **wid;          /* plan entry -> identifier of its weight (NULL = not used) */
    uint64_t *woff;      /* plan entry -> byte offset in the weights file */
    int nplan;           /* plan entries (wid, woff) */
    void *priv;          /* the emitter's own state */
} cg;

/* Writer begin shared by both: the output must end with `ext`; builds the
 * graph and maps its weights to plan entries (float32 only). */
int ckpt__cg_begin(ckpt_writer *w, const char *ext, const char *wprefix, cg **out, ckpt_err *err);
void ckpt__cg_free(cg *c);
/* The format's prepare hook: keeps only the plan entries the graph uses,
 * float ones cast to float32; a used weight left out (--map) is an error. */
/* can_write of the code exporters: the Keras layer graph must build. */
int ckpt__cg_can_write(const ckpt_model *m, char *why, size_t n);
int ckpt__cg_prepare(ckpt_model *m, const ckpt_convert_opts *o, ckpt_plan *p, ckpt_err *err);
/* Ops of call k: [*first, *end) (ops of a call are consecutive). */
void ckpt__cg_call_ops(const cg *c, int k, int *first, int *end);
/* Tensors call k reads from outside itself (its inputs), in order. */
int ckpt__cg_call_inputs(const cg *c, int k, int *in, int max);
/* Activation (kind, a) pairs the op's runtime helper takes after its
 * parameters: 0, 1 (act, dense, convs) or 2 (recurrent: act, recurrent act). */
int ckpt__cg_op_acts(const kg_op *o);
/* A template (templates/NAME), or NULL with err set. */
const char *ckpt__cg_template(const char *name, size_t *len, ckpt_err *err);
const char *ckpt__template(const char *name, size_t *len);

#endif
