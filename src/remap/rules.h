/* src/remap/rules.h: the remap rules as parsed, shared by the modules of
 * the remap engine: parse.c (the line grammar), parse_ops.c (operations
 * after '|'), rules.c (the rules object, files, presets, --rename),
 * apply.c (matching and rewriting a plan), preview.c (a model seen through
 * the rules), rx.c (the regex engine).
 *
 * A rules text has one rule a line, '#' starts a comment:
 *
 *   [?] REGEX -> NAME [| OP]...          rename (sed-like: the first match of
 *                                         REGEX in the name is replaced by NAME,
 *                                         $1..$9 / ${N} / ${name} capture groups,
 *                                         $0 the match, $$ a '$')
 *   [?] REGEX -> drop                     drop the tensor
 *   [?] REGEX -> @NAMING                  the whole name becomes the input format's
 *                                         name for the tensor under NAMING (@keras3)
 *   [?] REGEX -> NAME1, NAME2.. | split(AXIS[, SIZE..]) [| OP]..
 *   set NAME = VALUE                      value for {NAME} in shapes
 *
 * OP: transpose | transpose(A, B, ..) | reshape(D, ..) | split(..) | cast(DTYPE)
 * D: an integer, -1 (inferred), or {KEY} / {KEY|KEY2|N}: a number from a
 * `set` line or from the model's Hugging Face config.json.
 *
 * Rules run top to bottom and each sees the name the rules above it left
 * (like a sed script); a drop ends the chain; after a split each piece goes
 * on through the remaining rules. A leading '?' marks a rule optional.
 * REGEX is Python `re` syntax (rx.h).
 */
#ifndef CKPT_REMAP_RULES_H
#define CKPT_REMAP_RULES_H

#include <stdarg.h>

#include "remap_int.h"
#include "remap/rx.h"

#define RULE_MAX_TARGETS 16
#define RULE_MAX_OPS 16
#define PAT_MAX 1024          /* tensor-name regexes are short; bounds compile work */
#define NMATCH (CKPT_RX_MAXGROUPS + 1)

enum op_kind { OP_TRANSPOSE, OP_RESHAPE, OP_SPLIT, OP_CAST };

typedef struct dimx {          /* one dimension in reshape/split */
    int64_t v;                 /* literal, or -1 */
    char *var;                 /* "{a|b}" contents when not literal */
    int col;
} dimx;

typedef struct rop {
    enum op_kind k;
    int col;
    int naxes;                 /* transpose: 0 = reverse */
    int axes[CKPT_MAX_DIMS];
    dimx dims[CKPT_MAX_DIMS + RULE_MAX_TARGETS]; /* reshape dims; split sizes */
    int ndims;
    int axis;                  /* split */
    ckpt_dtype dt;             /* cast */
} rop;

typedef struct rule {
    char *text;                /* the line, trimmed */
    char *origin;              /* file or preset it came from */
    int line, col;             /* where the regex starts */
    int optional;
    ckpt_rx *rx;
    int nsub;                  /* capture groups */
    int drop;
    char *targets[RULE_MAX_TARGETS];  /* ${name} already turned into ${N} */
    int ntargets;
    rop *ops;                  /* allocated as parsed: most rules have none (a rop is ~600 bytes) */
    int nops;
    int split;                 /* index of the split op, -1 */
    unsigned long hits;
    char *as_naming;           /* "-> @keras3": the input format's name for the tensor */
    unsigned long nonames;     /* tensors the format had no such name for (last apply) */
} rule;

struct ckpt_remap {
    char *origin;
    rule *r;
    int n, cap;
    char **vk, **vv;
    int nv;
    struct ckpt_rule_index *ix;   /* dispatch.c, built on first use */
};

/* the cursor over one rules line */
typedef struct cur { const char *s; size_t i; const char *origin; int line; ckpt_err *err; } cur;

static inline void ckpt__skipws(cur *c) { while (c->s[c->i] == ' ' || c->s[c->i] == '\t') c->i++; }
static inline int ckpt__colof(const cur *c) { return (int)c->i + 1; }

/* "ORIGIN:LINE:COL: message" as a CKPT_E_FORMAT error */
int ckpt__remap_vperr(ckpt_err *err, const char *origin, int line, int col, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));
int ckpt__remap_perr(ckpt_err *err, const char *origin, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* parse.c: one line into R (a rule or a `set`); rules.c: the object */
int ckpt__remap_parse_line(ckpt_remap *R, const char *s, int lineno, ckpt_err *err);
ckpt_remap *ckpt__remap_new(const char *origin);
int ckpt__remap_setvar(ckpt_remap *R, const char *k, const char *v);
void ckpt__remap_rule_free(rule *r);
/* parse_ops.c: one operation after '|' into r->ops */
int ckpt__remap_parse_op(cur *c, rule *r);

/* apply.c: the first match of rule r in name (len bytes): 1, none 0, limit -1 */
int ckpt__rule_exec(const rule *r, const char *name, size_t len, ckpt_rx_span *m);

/* dispatch.c: the rules that can match a name (its literal prefix
 * matches, or the rule has none), as a bitmap over R's rules */
typedef struct cand {
    const struct ckpt_rule_index *ix;
    uint64_t *bits, local[8];
    int nwords, n;
} cand;
int ckpt__cand_init(cand *c, const ckpt_remap *R);   /* -1 out of memory */
void ckpt__cand_fill(cand *c, const char *name, size_t len);
int ckpt__cand_next(const cand *c, int from);         /* next candidate >= from, or -1 */
void ckpt__cand_free(cand *c);
void ckpt__rindex_free(struct ckpt_rule_index *ix);

/* previews need the plan rewrite with its bookkeeping */
typedef struct outlist {
    ckpt_plan out;
    struct ckpt_name_index *ix;
    int *src_of;               /* per output entry: the input plan entry */
    int *rule_of;              /* per output: last rule line that renamed it, 0 */
    int cap_aux;
    const ckpt_plan *in;
    ckpt_model *m;
    int *dropped, ndropped, capdropped;   /* drops (for previews) */
    int *drop_rule;
} outlist;

int ckpt__remap_plan(const ckpt_remap *R, ckpt_model *m, const ckpt_plan *in, outlist *L, ckpt_err *err);
void ckpt__outlist_free(outlist *L);

#endif
