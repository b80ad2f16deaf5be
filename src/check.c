/* check.c: findings. Generic checks here; format-specific ones (Keras
 * config vs weights) come from the format's check hook. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const kind_names[] = {
#define CKPT_FIND_STR_(n, s) s,
    CKPT_FINDINGS(CKPT_FIND_STR_)
#undef CKPT_FIND_STR_
};

const char *ckpt_finding_kind_str(ckpt_finding_kind k)
{
    return ((int)k >= 0 && k < CKPT_FIND_COUNT) ? kind_names[k] : "other";
}

int ckpt_findings_add(ckpt_findings *f, ckpt_finding_kind kind, const char *layer,
                      const char *tensor, int tensor_index, const char *suggestion,
                      const char *fmt, ...)
{
    if (f->n >= f->cap) {
        int nc = f->cap ? f->cap * 2 : 16;
        void *nv = realloc(f->v, (size_t)nc * sizeof *f->v);
        if (!nv) return CKPT_E_NOMEM;
        f->v = nv;
        f->cap = nc;
    }
    ckpt_finding *x = &f->v[f->n];
    memset(x, 0, sizeof *x);
    x->kind = kind;
    x->tensor_index = tensor_index;
    x->layer = layer ? strdup(layer) : NULL;
    x->tensor = tensor ? strdup(tensor) : NULL;
    x->suggestion = suggestion ? strdup(suggestion) : NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&x->message, fmt, ap) < 0) x->message = NULL;
    va_end(ap);
    if (!x->message || (layer && !x->layer) || (tensor && !x->tensor) || (suggestion && !x->suggestion)) {
        free(x->layer); free(x->tensor); free(x->suggestion); free(x->message);
        return CKPT_E_NOMEM;
    }
    f->n++;
    return 0;
}

void ckpt_findings_free(ckpt_findings *f)
{
    if (!f) return;
    for (int i = 0; i < f->n; i++) {
        free(f->v[i].layer);
        free(f->v[i].tensor);
        free(f->v[i].message);
        free(f->v[i].suggestion);
    }
    free(f->v);
    for (int i = 0; i < f->nnotes; i++) free(f->notes[i]);
    free(f->notes);
    memset(f, 0, sizeof *f);
}

int ckpt_findings_note(ckpt_findings *f, const char *fmt, ...)
{
    char **nv = realloc(f->notes, (size_t)(f->nnotes + 1) * sizeof *nv);
    if (!nv) return CKPT_E_NOMEM;
    f->notes = nv;
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    if (!s) return CKPT_E_NOMEM;
    f->notes[f->nnotes++] = s;
    return 0;
}

int ckpt_check(ckpt_model *m, ckpt_findings *out, ckpt_err *err)
{
    /* duplicate names: ckpt_model_find returns the first of each name */
    for (int i = 0; i < m->ntensors; i++) {
        int first = ckpt_model_find(m, m->tensors[i].name);
        if (first >= 0 && first != i) {
            m->tensors[i].flags |= CKPT_TF_FLAGGED;
            if (ckpt_findings_add(out, CKPT_FIND_DUPLICATE, NULL, m->tensors[i].name, i, NULL,
                                  "name '%s' appears more than once (tensors #%d and #%d)",
                                  m->tensors[i].name, first, i))
                return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        }
    }
    if (m->fmt && m->fmt->check) return m->fmt->check(m, out, err);
    return 0;
}
