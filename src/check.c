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

/* ---- names that will hurt a loader ---- */

static size_t utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
}

/* Offset of the first byte that does not decode. */
static size_t utf8_bad_at(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t len = utf8_len((unsigned char)s[i]);
        if (!len || i + len > n || !ckpt__utf8_valid(s + i, len)) break;
        i += len;
    }
    return i;
}

/* The name as it can be shown: printable ASCII and valid UTF-8 kept,
 * anything else as \xHH (the message must stay one printable line). */
static void esc_name(const char *s, char *out, size_t n)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && o + 5 < n) {
        size_t len = 1;
        if (*p >= 0x80) {
            len = utf8_len(*p);
            if (!len || strnlen((const char *)p, len) < len || !ckpt__utf8_valid((const char *)p, len)) len = 0;
        } else if (*p < 0x20 || *p == 0x7f) len = 0;
        if (len && o + len < n) { memcpy(out + o, p, len); o += len; p += len; }
        else { o += (size_t)snprintf(out + o, n - o, "\\x%02x", *p); p++; }
    }
    if (*p && o + 4 < n) o += (size_t)snprintf(out + o, n - o, "...");
    out[o < n ? o : n - 1] = 0;
}

/* Why a name is bad, or NULL: what a loader (or a file system, for loaders
 * that write one file per tensor) trips on. */
static const char *bad_name_why(const char *s, size_t *at)
{
    size_t n = strlen(s);
    *at = 0;
    if (!n) return "is empty";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) { *at = i; return "has a control character"; }
    if (!ckpt__utf8_valid(s, n)) {
        *at = utf8_bad_at(s, n);
        return "is not valid UTF-8";
    }
    if (s[0] == ' ') return "starts with a space";
    if (s[n - 1] == ' ') { *at = n - 1; return "ends with a space"; }
    if (s[0] == '/' || s[0] == '\\') return "starts with '/' (an absolute path)";
    for (const char *p = s; (p = strstr(p, "..")); p++) {
        int start = p == s || p[-1] == '/' || p[-1] == '\\';
        int end = !p[2] || p[2] == '/' || p[2] == '\\';
        if (start && end) { *at = (size_t)(p - s); return "has a '..' path component"; }
    }
    return NULL;
}

static int check_names(ckpt_model *m, ckpt_findings *out)
{
    for (int i = 0; i < m->ntensors; i++) {
        size_t at;
        const char *why = bad_name_why(m->tensors[i].name, &at);
        if (!why) continue;
        char shown[300];
        esc_name(m->tensors[i].name, shown, sizeof shown);
        m->tensors[i].flags |= CKPT_TF_FLAGGED;
        int rc = at ? ckpt_findings_add(out, CKPT_FIND_BAD_NAME, NULL, shown, i, NULL,
                                        "tensor #%d: name '%s' %s (byte %zu); loaders may fail to find or to save it",
                                        i, shown, why, at)
                    : ckpt_findings_add(out, CKPT_FIND_BAD_NAME, NULL, shown, i, NULL,
                                        "tensor #%d: name '%s' %s; loaders may fail to find or to save it",
                                        i, shown, why);
        if (rc) return rc;
    }
    return 0;
}

/* ---- lost weights: optimizer slots without the variables they track ---- */

static int same_shape(const ckpt_tensor *a, const ckpt_tensor *b)
{
    return a->ndim == b->ndim && !memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof *a->shape);
}

/* The variables an optimizer's slots track, from the slots' shapes: Keras
 * and tf.keras keep all m then all v (a repeating block), torch keeps each
 * parameter's slots together (runs). Returns how many of the first entries
 * of `s` stand for distinct variables, with `stride` between them; *stride
 * is 0 when no such structure shows (one slot per variable, or factored
 * slots such as Adafactor's row and column vectors, shaped unlike the
 * variable: those cannot be matched against the model). */
static int slot_vars(const ckpt_tensor *const *s, int n, int *stride)
{
    for (int k = 4; k >= 2; k--) {
        if (n % k) continue;
        int b = n / k, ok = 1, run = 1;
        for (int i = 0; i < n && (ok || run); i++) {
            if (ok && !same_shape(s[i], s[i % b])) ok = 0;
            if (run && !same_shape(s[i], s[i - i % k])) run = 0;
        }
        if (ok) { *stride = 1; return b; }
        if (run) { *stride = k; return b; }
    }
    *stride = 0;
    return n;
}

static void shapes_list(const ckpt_tensor *const *s, int nv, int stride, char *b, size_t n)
{
    size_t o = (size_t)snprintf(b, n, "[");
    for (int i = 0; i < nv && o + 16 < n; i++) {
        const ckpt_tensor *t = s[i * stride];
        o += (size_t)snprintf(b + o, n - o, "%s(", i ? ", " : "");
        for (int d = 0; d < t->ndim && o < n; d++)
            o += (size_t)snprintf(b + o, n - o, "%s%lld", d ? ", " : "", (long long)t->shape[d]);
        if (o < n) o += (size_t)snprintf(b + o, n - o, t->ndim == 1 ? ",)" : ")");
    }
    if (o + 16 >= n) snprintf(b + (o < n - 5 ? o : n - 5), 5, "...");
    else snprintf(b + o, n - o, "]");
}

/* "4,8": a shape as an index key */
static char *shape_key(const ckpt_tensor *t)
{
    char b[CKPT_MAX_DIMS * 21 + 4];
    size_t o = (size_t)snprintf(b, sizeof b, "%d:", t->ndim);
    for (int d = 0; d < t->ndim && o < sizeof b; d++)
        o += (size_t)snprintf(b + o, sizeof b - o, "%lld,", (long long)t->shape[d]);
    return ckpt__strdup(b);
}

/* Of the nv variables the slots track, those whose shape no model tensor
 * has, into `lost` (a hash of the model's shapes: models have 10^5 tensors). */
static int slots_without_model(const ckpt_model *m, const ckpt_tensor *const *s, int nv, int stride,
                               const ckpt_tensor **lost, int *nlost)
{
    struct ckpt_name_index *ix = ckpt__index_new();
    char **keys = calloc((size_t)m->ntensors + 1, sizeof *keys);   /* the index borrows them */
    int rc = ix && keys ? 0 : CKPT_E_NOMEM;
    for (int i = 0; i < m->ntensors && !rc; i++) {
        if (m->tensors[i].flags & CKPT_TF_OPTIMIZER) continue;
        if (!(keys[i] = shape_key(&m->tensors[i])) || ckpt__index_put(ix, keys[i], i) == -2) rc = CKPT_E_NOMEM;
    }
    *nlost = 0;
    for (int v = 0; v < nv && !rc; v++) {
        char *k = shape_key(s[v * stride]);
        if (!k) { rc = CKPT_E_NOMEM; break; }
        if (ckpt__index_get(ix, k) < 0) lost[(*nlost)++] = s[v * stride];
        free(k);
    }
    ckpt__index_free(ix);
    for (int i = 0; keys && i < m->ntensors; i++) free(keys[i]);
    free(keys);
    return rc;
}

static int check_lost(ckpt_model *m, ckpt_findings *out)
{
    const ckpt_tensor **s = calloc((size_t)m->ntensors + 1, sizeof *s);
    const ckpt_tensor **lost = calloc((size_t)m->ntensors + 1, sizeof *lost);
    int ns = 0, nmodel = 0, rc = s && lost ? 0 : CKPT_E_NOMEM;
    for (int i = 0; i < m->ntensors && !rc; i++) {
        const ckpt_tensor *t = &m->tensors[i];
        if (!(t->flags & CKPT_TF_OPTIMIZER)) nmodel++;
        else if (t->ndim > 0) s[ns++] = t;   /* scalars are counters and hyperparameters */
    }
    int stride = 1, nv = ns ? slot_vars(s, ns, &stride) : 0, nlost = 0;
    char shapes[512];
    if (!rc && nv && nmodel == 0) {
        shapes_list(s, nv, stride ? stride : 1, shapes, sizeof shapes);
        rc = ckpt_findings_add(out, CKPT_FIND_LOST_WEIGHTS, NULL, NULL, -1,
                               "the model was probably saved with its layers untracked or not built (a subclassed "
                               "model keeping layers in a plain attribute, or a save before the first call): "
                               "re-save it from the code that trained it",
                               "the model's weights are missing: the optimizer holds slots for %d variable%s of "
                               "shapes %s, but no model variables were saved", nv, nv == 1 ? "" : "s", shapes);
    } else if (!rc && nv && stride && !(rc = slots_without_model(m, s, nv, stride, lost, &nlost)) && nlost) {
        shapes_list(lost, nlost, 1, shapes, sizeof shapes);
        rc = ckpt_findings_add(out, CKPT_FIND_LOST_WEIGHTS, NULL, NULL, -1,
                               "some layers were not saved (untracked or replaced after training)",
                               "some of the model's weights are missing: the optimizer holds slots for %d "
                               "variable%s of shapes %s that no model tensor has", nlost,
                               nlost == 1 ? "" : "s", shapes);
    }
    free(s);
    free(lost);
    return rc;
}

int ckpt_check(ckpt_model *m, ckpt_findings *out, ckpt_err *err)
{
    CKPT__ERR_LOCAL(err);
    /* duplicate names: ckpt_model_find returns the first of each name */
    for (int i = 0; i < m->ntensors; i++) {
        int first = ckpt_model_find(m, m->tensors[i].name);
        if (first >= 0 && first != i) {
            char shown[300];
            esc_name(m->tensors[i].name, shown, sizeof shown);
            m->tensors[i].flags |= CKPT_TF_FLAGGED;
            if (ckpt_findings_add(out, CKPT_FIND_DUPLICATE, NULL, shown, i, NULL,
                                  "name '%s' appears more than once (tensors #%d and #%d)",
                                  shown, first, i))
                return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        }
    }
    if (check_names(m, out) || check_lost(m, out)) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if (m->fmt && m->fmt->check) return m->fmt->check(m, out, err);
    return 0;
}
