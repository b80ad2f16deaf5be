/* ckpt/check.h: findings about a model (mismatches between names, shapes
 * and the architecture; against an expected target layout). */
#ifndef CKPT_CHECK_H
#define CKPT_CHECK_H

#include "ckpt/err.h"
#include "ckpt/model.h"

#define CKPT_FINDINGS(_)                                              \
    _(MISSING,    "missing")    /* expected weight/layer not in file */ \
    _(UNEXPECTED, "unexpected") /* in file, claimed by nothing */       \
    _(SHAPE,      "shape")      /* shape contradicts config/target */   \
    _(DTYPE,      "dtype")                                              \
    _(RENAME,     "rename")     /* names differ; likely pairing shown */\
    _(DUPLICATE,  "duplicate")  /* same name twice after flattening */  \
    _(LOST_WEIGHTS, "lost_weights") /* optimizer state but no model weights */ \
    _(BAD_NAME,   "bad_name")   /* empty, control bytes, not UTF-8, spaces, path-like */ \
    _(UNUSED_RULE, "unused_rule") /* --expect: a map rule that matched nothing */
/* The strings are stable: `check --json` prints them as "kind" and scripts
 * match on them. A layer class ckpt does not know is a note, not a finding. */

typedef enum ckpt_finding_kind {
#define CKPT_FIND_ENUM_(n, s) CKPT_FIND_##n,
    CKPT_FINDINGS(CKPT_FIND_ENUM_)
#undef CKPT_FIND_ENUM_
    CKPT_FIND_COUNT
} ckpt_finding_kind;

typedef struct ckpt_finding {
    ckpt_finding_kind kind;
    char *layer;        /* layer name, may be NULL */
    char *tensor;       /* weight/tensor name, may be NULL */
    char *message;      /* one line, human readable */
    char *suggestion;   /* likely fix or pairing, may be NULL */
    int tensor_index;   /* index in the model, -1 if none */
} ckpt_finding;

typedef struct ckpt_findings {
    ckpt_finding *v;
    int n, cap;
    /* notes about what was not checked (not findings: they do
     * not change the exit status), e.g. "21 optimizer tensors not compared" */
    char **notes;
    int nnotes;
} ckpt_findings;

/* Append a finding (strings copied; NULLs allowed). Returns 0 or CKPT_E_NOMEM. */
int ckpt_findings_add(ckpt_findings *f, ckpt_finding_kind kind, const char *layer,
                      const char *tensor, int tensor_index, const char *suggestion,
                      const char *fmt, ...) __attribute__((format(printf, 7, 8)));
void ckpt_findings_free(ckpt_findings *f);
/* Append a note. Returns 0 or CKPT_E_NOMEM. */
int ckpt_findings_note(ckpt_findings *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *ckpt_finding_kind_str(ckpt_finding_kind k);

/* Built-in consistency check: generic checks (duplicate names) plus the
 * format's own (Keras: config vs weights). Findings are appended. */
int ckpt_check(ckpt_model *m, ckpt_findings *out, ckpt_err *err);

#endif
