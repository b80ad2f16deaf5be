/* src/export/emit_c.c: `--to c`, a Keras model as C99 inference code.
 *
 * Writes NAME.h (the API) and NAME.c: the runtime helpers the model uses
 * (templates/c/runtime.c), its weights as `static const float` arrays
 * named after them (streamed tensor by tensor as the converter hands them
 * over), one function per layer call named after the layer, and
 * NAME_predict. With `--weights file` the weights go raw (float32,
 * little-endian) to NAME.bin, which the code reads once at start-up. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/codegen.h"

typedef struct cstate {
    cg *c;
    int file_mode;
    int fd_h, fd_c, fd_bin;
    char *path_h, *path_c, *path_bin;
    cg_buf b;
    uint64_t bin_bytes;    /* weights in NAME.bin */
} cstate;

/* Float literals that read back to the same float: %.9g round-trips float32. */
static void put_float(cg_buf *b, double v)
{
    float f = v != v ? NAN : v > FLT_MAX ? INFINITY : v < -FLT_MAX ? -INFINITY : (float)v;   /* configs are untrusted */
    if (isnan(f)) { cg_printf(b, "NAN"); return; }
    if (isinf(f)) { cg_printf(b, f > 0 ? "INFINITY" : "-INFINITY"); return; }
    char s[40];
    snprintf(s, sizeof s, "%.9g", (double)f);
    cg_printf(b, "%s%sf", s, strpbrk(s, ".e") ? "" : ".0");
}

/* ---- the runtime helpers the model calls (and what they call) ----------- */

typedef struct seg { const char *s; size_t n; char fn[48]; int used; } seg;

/* Split the runtime into top-level functions (with the comment above each)
 * and the rest (enums, comments), which is always kept. */
static int split_runtime(const char *s, size_t len, seg *out, int max)
{
    int n = 0;
    const char *p = s, *end = s + len, *pend = NULL;   /* pending comment lines */
    while (p < end && n < max - 1) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl + 1 : end;
        if (!strncmp(p, "static ", 7)) {
            const char *start = pend ? pend : p, *q = le;
            int one_line = le - p >= 2 && le[-1] == '\n' && le[-2] == '}';   /* static T f(...) { ... } */
            while (!one_line && q < end && strncmp(q, "}\n", 2)) {
                const char *n2 = memchr(q, '\n', (size_t)(end - q));
                q = n2 ? n2 + 1 : end;
            }
            if (!one_line) q = q + 2 <= end ? q + 2 : end;
            seg *g = &out[n++];
            *g = (seg){start, (size_t)(q - start), "", 0};
            const char *f = strstr(p, "ck_");
            size_t fl = f && f < le ? strcspn(f, "(") : 0;
            snprintf(g->fn, sizeof g->fn, "%.*s", (int)(fl < sizeof g->fn ? fl : 0), f ? f : "");
            p = q;
            pend = NULL;
            continue;
        }
        if (!strncmp(p, "/*", 2) || !strncmp(p, " *", 2)) {
            if (!pend) pend = p;
        } else {
            const char *start = pend ? pend : p;
            out[n++] = (seg){start, (size_t)(le - start), "", 1};
            pend = NULL;
        }
        p = le;
    }
    if (pend && n < max) out[n++] = (seg){pend, (size_t)(end - pend), "", 1};
    return n;
}

static void mark_used(seg *sg, int n, const char *fn, size_t fl)
{
    for (int i = 0; i < n; i++) {
        if (!sg[i].fn[0] || sg[i].used || strlen(sg[i].fn) != fl || strncmp(sg[i].fn, fn, fl)) continue;
        sg[i].used = 1;
        /* the helpers it calls */
        for (const char *p = sg[i].s, *e = sg[i].s + sg[i].n; (p = strstr(p, "ck_")) && p < e; p += 3) {
            size_t l = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
            if (p[l] == '(' && (p == sg[i].s || p[-1] == ' ' || p[-1] == '(' || p[-1] == '=' || p[-1] == '-'))
                mark_used(sg, n, p, l);
        }
    }
}

static int put_runtime(cstate *s, ckpt_err *err)
{
    size_t len;
    const char *rt = ckpt__cg_template("c/runtime.c", &len, err);
    if (!rt) return err->code;
    seg sg[128];
    int n = split_runtime(rt, len, sg, 128);
    for (int i = 0; i < s->c->g.nop; i++) {
        char fn[48];
        snprintf(fn, sizeof fn, "ck_%s", s->c->g.op[i].fn);
        mark_used(sg, n, fn, strlen(fn));
    }
    for (int i = 0; i < n; i++) {
        int blank = sg[i].n == 1 && sg[i].s[0] == '\n';   /* one blank line between helpers */
        if (sg[i].used && !(blank && s->b.n >= 2 && !strncmp(s->b.p + s->b.n - 2, "\n\n", 2)))
            cg_put(&s->b, sg[i].s, sg[i].n);
    }
    cg_put(&s->b, "\n", 1);
    return 0;
}

/* ---- begin: files, prologue --------------------------------------------- */

/* The recurrent helpers keep their state in stack arrays of CK_MAXU units. */
#define C_MAX_UNITS 4096

static long max_units(const cg *c, int *op)
{
    long u = 1;
    for (int i = 0; i < c->g.nop; i++)
        for (int k = 0; k < c->g.op[i].np; k++)
            if (!strcmp(c->g.op[i].p[k].k, "u") && c->g.op[i].p[k].i > u) {
                u = (long)c->g.op[i].p[k].i;
                *op = i;
            }
    return u;
}

static void shape_str(const kg_tensor *t, char *buf, size_t n)
{
    size_t l = 0;
    buf[0] = 0;
    for (int i = 0; i < t->ndim && l < n; i++)
        l += (size_t)snprintf(buf + l, n - l, "%s%lld", i ? ", " : "", (long long)t->d[i]);
}

/* file mode: where each weight sits in NAME.bin */
static void put_weight_macros(cstate *s, const ckpt_writer *w)
{
    const cg *c = s->c;
    cg_printf(&s->b, "/* The weights, read from %s.bin by %s_load_weights (float32, little-endian). */\n"
              "static float *ck_wdata;\n", ckpt__path_basename(c->base), c->name);
    for (int e = 0; e < w->plan->n; e++) {
        if (!c->wid[e]) continue;
        const ckpt_plan_entry *pe = &w->plan->e[e];
        cg_printf(&s->b, "#define %s (ck_wdata + %llu) /* '%s', %llu floats */\n", c->wid[e],
                  (unsigned long long)(c->woff[e] / 4), w->src->tensors[pe->src].name,
                  (unsigned long long)(pe->nbytes / 4));
        s->bin_bytes = c->woff[e] + pe->nbytes;
    }
    cg_printf(&s->b, "#define CK_NWEIGHTS %lluu\n\n", (unsigned long long)(s->bin_bytes / 4));
}

/* Weight names that differ only in punctuation ('d-1/kernel', 'd_1/kernel')
 * give one identifier: the later ones get _2, _3, ... */
static int unique_wids(cg *c, ckpt_err *err)
{
    for (int e = 0; e < c->nplan; e++)
        for (int k = 0, n = 2; c->wid[e] && k < e; k++)
            if (c->wid[k] && !strcmp(c->wid[k], c->wid[e])) {
                char *id = ckpt__asprintf("%s_%d", c->wid[e], n++);
                if (!id) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
                free(c->wid[e]);
                c->wid[e] = id;
                k = -1;                       /* check the new name against all again */
            }
    return 0;
}

static int create(ckpt_writer *w, char **path, const char *base, const char *ext, int *fd, ckpt_err *err)
{
    if (!(*path = ckpt__asprintf("%s%s", base, ext))) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    *fd = ckpt_txn_create(w->txn, *path, err);
    return *fd < 0 ? (int)err->code : 0;
}

static int c_write_begin(ckpt_writer *w, ckpt_err *err)
{
    const char *wm = ckpt__opt(w->opts, "weights");
    if (wm && strcmp(wm, "embed") && strcmp(wm, "file"))
        return ckpt_err_set(err, CKPT_E_USAGE, "--weights takes embed or file, got '%s'", wm);
    cstate *s = calloc(1, sizeof *s);
    if (!s) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    w->priv = s;
    s->fd_h = s->fd_c = s->fd_bin = -1;
    s->file_mode = wm && !strcmp(wm, "file");
    int rc = ckpt__cg_begin(w, ".c", "w_", &s->c, err);
    if (!rc) rc = unique_wids(s->c, err);
    if (rc) return rc;
    const cg *c = s->c;
    int uop = 0;
    long units = max_units(c, &uop);
    if (units > C_MAX_UNITS) {
        const kg_call *k = &c->g.calls[c->g.op[uop].call];
        return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "layer '%s' (%s): option units=%ld is more than the C "
                            "runtime's %d (its recurrent state lives on the stack)", k->layer, k->cls, units, C_MAX_UNITS);
    }
    if ((rc = create(w, &s->path_h, c->base, ".h", &s->fd_h, err)) ||
        (rc = create(w, &s->path_c, c->base, ".c", &s->fd_c, err)) ||
        (s->file_mode && (rc = create(w, &s->path_bin, c->base, ".bin", &s->fd_bin, err))))
        return rc;
    cg_printf(&s->b, "/* %s.c: inference code generated by ckpt from %s\n"
              " * (Keras model, %d layer calls, %d weights). C99, libm only: see %s.h. */\n",
              ckpt__path_basename(c->base), ckpt__path_basename(w->src->path), c->g.ncalls, c->g.nweights,
              ckpt__path_basename(c->base));
    cg_printf(&s->b, "#include <math.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
              "#include <errno.h>\n\n#include \"%s.h\"\n\n#define CK_MAXU %ld\n\n", ckpt__path_basename(c->base),
              units);
    if ((rc = put_runtime(s, err))) return rc;
    if (s->file_mode) put_weight_macros(s, w);
    else cg_printf(&s->b, "/* ---- weights, under their names in the checkpoint ---- */\n\n");
    return ckpt__cg_flush(&s->b, s->fd_c, s->path_c, err);
}

/* ---- write: the weights, a chunk at a time ------------------------------ */

static int c_write(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err)
{
    cstate *s = w->priv;
    const char *id = s->c->wid[i];
    if (!id) return 0;                                    /* not used by the graph */
    const ckpt_plan_entry *e = &w->plan->e[i];
    if (s->file_mode) {
        if (ckpt__write_full(s->fd_bin, buf, n)) {
            ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write");
            ckpt_err_at_path(err, s->path_bin);
            return CKPT_E_IO;
        }
        return 0;
    }
    if (off == 0) {
        const ckpt_tensor *t = &w->src->tensors[e->src];
        char sh[96];
        cg_printf(&s->b, "/* '%s' %s */\nstatic const float %s[%llu] = {\n", t->name, ckpt_shape_str(t, sh, sizeof sh),
                  id, (unsigned long long)(e->nbytes / 4));
    }
    const unsigned char *p = buf;
    for (size_t k = 0; k + 4 <= n; k += 4) {
        /* the plan's bytes are little-endian, whatever the host */
        uint32_t u = (uint32_t)p[k] | (uint32_t)p[k + 1] << 8 | (uint32_t)p[k + 2] << 16 | (uint32_t)p[k + 3] << 24;
        float v;
        memcpy(&v, &u, 4);
        uint64_t idx = (off + k) / 4;
        put_float(&s->b, v);
        cg_printf(&s->b, (idx + 1) * 4 == e->nbytes ? "\n" : (idx % 8 == 7) ? ",\n" : ", ");
    }
    if (off + n == e->nbytes) cg_printf(&s->b, "};\n\n");
    return ckpt__cg_flush(&s->b, s->fd_c, s->path_c, err);
}

/* ---- end: layer functions, predict, the header -------------------------- */

/* Tensor t as seen inside call k's function (its inputs x*, outputs y*, scratch t*). */
typedef struct fnio { int nin, in[KG_MAXIN * 2], nout, out[KG_MAXIN], nmid, mid[64]; int64_t midoff[64]; } fnio;

static int used_outside(const cg *c, int t, int first, int end)
{
    for (int i = 0; i < c->g.nout; i++)
        if (c->g.out[i] == t) return 1;
    for (int i = 0; i < c->g.nop; i++)
        if (i < first || i >= end)
            for (int j = 0; j < c->g.op[i].nin; j++)
                if (c->g.op[i].in[j] == t) return 1;
    return 0;
}

/* call k's function arguments; 0 when the call has no ops (an InputLayer) */
static int call_io(const cg *c, int k, fnio *f)
{
    int first, end;
    ckpt__cg_call_ops(c, k, &first, &end);
    memset(f, 0, sizeof *f);
    if (first == end) return 0;
    f->nin = ckpt__cg_call_inputs(c, k, f->in, KG_MAXIN * 2);
    int64_t off = 0;
    for (int i = first; i < end; i++) {
        int t = c->g.op[i].out;
        if (used_outside(c, t, first, end) && f->nout < KG_MAXIN) f->out[f->nout++] = t;
        else if (f->nmid < 64) {
            f->midoff[f->nmid] = off;
            f->mid[f->nmid++] = t;
            off += c->g.t[t].n;
        }
    }
    return 1;
}

static void tname(const fnio *f, int t, char *buf, size_t n)
{
    for (int i = 0; i < f->nin; i++) if (f->in[i] == t) { snprintf(buf, n, "x%d", i); return; }
    for (int i = 0; i < f->nout; i++) if (f->out[i] == t) { snprintf(buf, n, "y%d", i); return; }
    for (int i = 0; i < f->nmid; i++) if (f->mid[i] == t) { snprintf(buf, n, "t%d", i); return; }
    snprintf(buf, n, "?");
}

static const char *const merge_kinds[] = {"CK_ADD", "CK_SUB", "CK_MUL", "CK_AVG", "CK_MAX", "CK_MIN"};

static void put_act(cg_buf *b, int act, double a)
{
    char nm[32];
    snprintf(nm, sizeof nm, "CK_%s", ckpt__kg_act_names[act]);
    for (char *p = nm; *p; p++) *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    cg_printf(b, ", %s, ", nm);
    put_float(b, a);
}

static void put_op(cstate *s, const fnio *f, const kg_op *o)
{
    const cg *c = s->c;
    cg_buf *b = &s->b;
    char y[16], x[16];
    tname(f, o->out, y, sizeof y);
    int special = !strcmp(o->fn, "merge") || !strcmp(o->fn, "concat");
    if (special) {
        cg_printf(b, "    {\n        const float *xs[%d] = {", o->nin);
        for (int j = 0; j < o->nin; j++) { tname(f, o->in[j], x, sizeof x); cg_printf(b, "%s%s", j ? ", " : "", x); }
        cg_printf(b, "};\n");
        if (!strcmp(o->fn, "merge")) {
            cg_printf(b, "        ck_merge(xs, %d, %s, %lld, %s);\n    }\n", o->nin, y, (long long)o->p[0].i,
                      merge_kinds[o->p[1].i]);
            return;
        }
        int64_t outer = o->p[0].i;
        cg_printf(b, "        const long inner[%d] = {", o->nin);
        for (int j = 0; j < o->nin; j++) cg_printf(b, "%s%lld", j ? ", " : "", (long long)(c->g.t[o->in[j]].n / outer));
        cg_printf(b, "};\n        ck_concat(xs, inner, %d, %s, %lld);\n    }\n", o->nin, y, (long long)outer);
        return;
    }
    tname(f, o->in[0], x, sizeof x);
    cg_printf(b, "    ck_%s(%s, %s", o->fn, x, y);
    for (int j = 0; j < o->nw; j++) {
        int e = o->w[j] >= 0 ? c->wplan[o->w[j]] : -1;
        cg_printf(b, ", %s", e >= 0 ? c->wid[e] : "NULL");
    }
    for (int j = 0; j < o->np; j++) {
        cg_printf(b, ", ");
        if (o->p[j].isf) put_float(b, o->p[j].f);
        else cg_printf(b, "%lld", (long long)o->p[j].i);
        cg_printf(b, " /* %s */", o->p[j].k);
    }
    int na = ckpt__cg_op_acts(o);
    if (na >= 1) put_act(b, o->act, o->act_a);
    if (na >= 2) put_act(b, o->act2, o->act2_a);
    cg_printf(b, ");\n");
}

static void put_layer(cstate *s, int k)
{
    const cg *c = s->c;
    int first, end;
    fnio f;
    ckpt__cg_call_ops(c, k, &first, &end);
    if (!call_io(c, k, &f)) return;
    cg_printf(&s->b, "/* Keras layer '%s' (%s) */\nstatic void layer_%s(", c->g.calls[k].layer, c->g.calls[k].cls,
              c->g.calls[k].id);
    for (int i = 0; i < f.nin; i++) cg_printf(&s->b, "%sconst float *x%d", i ? ", " : "", i);
    for (int i = 0; i < f.nout; i++) cg_printf(&s->b, ", float *y%d", i);
    cg_printf(&s->b, "%s)\n{\n", f.nmid ? ", float *tmp" : "");
    for (int i = 0; i < f.nmid; i++) cg_printf(&s->b, "    float *t%d = tmp + %lld;\n", i, (long long)f.midoff[i]);
    for (int i = first; i < end; i++) put_op(s, &f, &c->g.op[i]);
    cg_printf(&s->b, "}\n\n");
}

/* Where each tensor lives in predict's per-sample arena (-1: a model input). */
static int64_t *arena_layout(const cg *c, int64_t *total)
{
    int64_t *at = malloc(((size_t)c->g.nt + 1) * sizeof *at), off = 0;
    if (!at) return NULL;
    for (int t = 0; t < c->g.nt; t++) at[t] = -1;
    for (int k = 0; k < c->g.ncalls; k++) {
        fnio f;
        if (!call_io(c, k, &f)) continue;
        for (int i = 0; i < f.nout; i++) { at[f.out[i]] = off; off += c->g.t[f.out[i]].n; }
        if (f.nmid) { at[f.mid[0]] = off; off += f.midoff[f.nmid - 1] + c->g.t[f.mid[f.nmid - 1]].n; }
    }
    *total = off ? off : 1;
    return at;
}

static void tensor_expr(const cg *c, const int64_t *at, int t, char *buf, size_t n)
{
    for (int i = 0; i < c->g.nin; i++)
        if (c->g.in[i] == t) { snprintf(buf, n, "in%d", i); return; }
    snprintf(buf, n, "a + %lld", (long long)at[t]);
}

static int put_predict(cstate *s, ckpt_err *err)
{
    const cg *c = s->c;
    cg_buf *b = &s->b;
    int64_t total, inoff = 0, outoff = 0;
    int64_t *at = arena_layout(c, &total);
    if (!at) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    cg_printf(b, "int %s_predict(const float *in, size_t batch, float *out)\n{\n", c->name);
    if (s->file_mode) cg_printf(b, "    if (!ck_wdata && %s_load_weights(NULL)) return -1;\n", c->name);
    cg_printf(b, "    float *a = malloc(%lldu * sizeof *a);   /* one sample's activations */\n"
              "    if (!a) { snprintf(ck_errbuf, sizeof ck_errbuf, \"out of memory\"); return -1; }\n"
              "    for (size_t b = 0; b < batch; b++) {\n", (long long)total);
    for (int i = 0; i < c->g.nin; i++) {
        cg_printf(b, "        const float *in%d = in + batch * %lldu + b * %lldu;   /* input '%s' */\n", i,
                  (long long)inoff, (long long)c->g.t[c->g.in[i]].n, c->g.in_name[i]);
        inoff += c->g.t[c->g.in[i]].n;
    }
    for (int k = 0; k < c->g.ncalls; k++) {
        fnio f;
        if (!call_io(c, k, &f)) continue;
        char e[48];
        cg_printf(b, "        layer_%s(", c->g.calls[k].id);
        for (int i = 0; i < f.nin; i++) { tensor_expr(c, at, f.in[i], e, sizeof e); cg_printf(b, "%s%s", i ? ", " : "", e); }
        for (int i = 0; i < f.nout; i++) { tensor_expr(c, at, f.out[i], e, sizeof e); cg_printf(b, ", %s", e); }
        if (f.nmid) { tensor_expr(c, at, f.mid[0], e, sizeof e); cg_printf(b, ", %s", e); }
        cg_printf(b, ");\n");
    }
    for (int i = 0; i < c->g.nout; i++) {
        char e[48];
        int64_t n = c->g.t[c->g.out[i]].n;
        tensor_expr(c, at, c->g.out[i], e, sizeof e);
        cg_printf(b, "        memcpy(out + batch * %lldu + b * %lldu, %s, %lldu * sizeof *out);   /* output '%s' */\n",
                  (long long)outoff, (long long)n, e, (long long)n, c->g.out_name[i]);
        outoff += n;
    }
    cg_printf(b, "    }\n    free(a);\n    return 0;\n}\n\n");
    free(at);
    return 0;
}

static void put_sizes(cstate *s)
{
    const cg *c = s->c;
    for (int io = 0; io < 2; io++) {
        int n = io ? c->g.nout : c->g.nin;
        const int *ts = io ? c->g.out : c->g.in;
        const char *what = io ? "output" : "input";
        cg_printf(&s->b, "size_t %s_%s_size(int i)\n{\n    static const size_t n[%d] = {", c->name, what, n);
        for (int i = 0; i < n; i++) cg_printf(&s->b, "%s%lld", i ? ", " : "", (long long)c->g.t[ts[i]].n);
        cg_printf(&s->b, "};\n    return i >= 0 && i < %d ? n[i] : 0;\n}\n\n", n);
        cg_printf(&s->b, "int %s_num_%ss(void) { return %d; }\n\n", c->name, what, n);
    }
    cg_printf(&s->b, "const char *%s_error(void) { return ck_errbuf; }\n", c->name);
}

static void upper(const char *s, char *buf, size_t n)
{
    snprintf(buf, n, "%s", s);
    for (char *p = buf; *p; p++) *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
}

static void put_loader(cstate *s)
{
    const cg *c = s->c;
    char up[256];
    upper(c->name, up, sizeof up);
    cg_printf(&s->b,
        "int %s_load_weights(const char *path)\n{\n"
        "    if (!path) path = %s_WEIGHTS_FILE;\n"
        "    FILE *f = fopen(path, \"rb\");\n"
        "    if (!f) {\n"
        "        snprintf(ck_errbuf, sizeof ck_errbuf, \"%%s: cannot open the weights file: %%s\", path, strerror(errno));\n"
        "        return -1;\n    }\n"
        "    unsigned char *raw = malloc(CK_NWEIGHTS * 4u + 1);\n"
        "    float *w = malloc((CK_NWEIGHTS + 1) * sizeof *w);\n"
        "    size_t got = raw && w ? fread(raw, 1, CK_NWEIGHTS * 4u + 1, f) : 0;\n"
        "    int rerr = ferror(f);\n"
        "    fclose(f);\n"
        "    if (!raw || !w || rerr || got != CK_NWEIGHTS * 4u) {\n"
        "        if (!raw || !w) snprintf(ck_errbuf, sizeof ck_errbuf, \"out of memory\");\n"
        "        else if (rerr) snprintf(ck_errbuf, sizeof ck_errbuf, \"%%s: read error\", path);\n"
        "        else snprintf(ck_errbuf, sizeof ck_errbuf, \"%%s: the weights file has %%s%%lu bytes, %s needs %%lu\",\n"
        "                      path, got > CK_NWEIGHTS * 4u ? \"more than \" : \"\", (unsigned long)(got > CK_NWEIGHTS * 4u ? got - 1 : got),\n"
        "                      (unsigned long)(CK_NWEIGHTS * 4u));\n"
        "        free(raw);\n        free(w);\n        return -1;\n    }\n"
        "    for (size_t i = 0; i < CK_NWEIGHTS; i++) {   /* little-endian float32, whatever the host */\n"
        "        unsigned long u = (unsigned long)raw[4 * i] | (unsigned long)raw[4 * i + 1] << 8 |\n"
        "                          (unsigned long)raw[4 * i + 2] << 16 | (unsigned long)raw[4 * i + 3] << 24;\n"
        "        unsigned int u32 = (unsigned int)u;\n"
        "        memcpy(&w[i], &u32, 4);\n    }\n"
        "    free(raw);\n    free(ck_wdata);\n    ck_wdata = w;\n    return 0;\n}\n\n",
        c->name, up, c->name);
}

static void put_header(cstate *s, const ckpt_writer *w)
{
    const cg *c = s->c;
    cg_buf *b = &s->b;
    char up[256], sh[128];
    upper(c->name, up, sizeof up);
    cg_printf(b, "/* %s.h: inference code generated by ckpt from %s (C99, libm only).\n *\n"
              " * %s_predict(in, batch, out) runs `batch` samples; returns 0, or -1 with\n"
              " * %s_error() saying why. Tensors are float32, C order, channels_last, without\n"
              " * the batch axis in the shapes below. With several inputs, `in` holds input 0\n"
              " * for the whole batch (batch * %s_input_size(0) floats), then input 1, and so\n"
              " * on; `out` holds the outputs the same way. A batch gives exactly the rows it\n"
              " * gives one sample at a time.\n", ckpt__path_basename(c->base), ckpt__path_basename(w->src->path),
              c->name, c->name, c->name);
    if (s->file_mode)
        cg_printf(b, " *\n * The weights are read from %s.bin (or %s_WEIGHTS_FILE, a -D option) on\n"
                  " * the first call, or from a path given to %s_load_weights(). Not thread-safe\n"
                  " * until they are loaded.\n", ckpt__path_basename(c->base), up, c->name);
    cg_printf(b, " *\n");
    for (int i = 0; i < c->g.nin; i++) {
        shape_str(&c->g.t[c->g.in[i]], sh, sizeof sh);
        cg_printf(b, " * input %d: '%s' [%s]\n", i, c->g.in_name[i], sh);
    }
    for (int i = 0; i < c->g.nout; i++) {
        shape_str(&c->g.t[c->g.out[i]], sh, sizeof sh);
        cg_printf(b, " * output %d: '%s' [%s]\n", i, c->g.out_name[i], sh);
    }
    cg_printf(b, " */\n#ifndef %s_H\n#define %s_H\n\n#include <stddef.h>\n\n", up, up);
    cg_printf(b, "#define %s_NUM_INPUTS %d\n#define %s_NUM_OUTPUTS %d\n", up, c->g.nin, up, c->g.nout);
    if (s->file_mode)
        cg_printf(b, "#ifndef %s_WEIGHTS_FILE\n#define %s_WEIGHTS_FILE \"%s.bin\"\n#endif\n", up, up,
                  ckpt__path_basename(c->base));
    cg_printf(b, "\nint %s_predict(const float *in, size_t batch, float *out);\n"
              "/* floats per sample of input/output i (0 when there is no such input/output) */\n"
              "size_t %s_input_size(int i);\nsize_t %s_output_size(int i);\n"
              "int %s_num_inputs(void);\nint %s_num_outputs(void);\n"
              "const char *%s_error(void);\n", c->name, c->name, c->name, c->name, c->name, c->name);
    if (s->file_mode)
        cg_printf(b, "/* Read the weights (NULL: %s_WEIGHTS_FILE); 0, or -1 with %s_error() set. */\n"
                  "int %s_load_weights(const char *path);\n", up, c->name, c->name);
    cg_printf(b, "\n#endif\n");
}

static int c_write_end(ckpt_writer *w, ckpt_err *err)
{
    cstate *s = w->priv;
    const cg *c = s->c;
    cg_printf(&s->b, "/* ---- one function per layer call ---- */\n\nstatic char ck_errbuf[256];\n\n");
    if (s->file_mode) put_loader(s);
    for (int k = 0; k < c->g.ncalls; k++) {
        put_layer(s, k);
        if (s->b.n > (1u << 20) && ckpt__cg_flush(&s->b, s->fd_c, s->path_c, err)) return err->code;
    }
    int rc = put_predict(s, err);
    if (!rc) {
        put_sizes(s);
        rc = ckpt__cg_flush(&s->b, s->fd_c, s->path_c, err);
    }
    if (!rc) {
        put_header(s, w);
        rc = ckpt__cg_flush(&s->b, s->fd_h, s->path_h, err);
    }
    if (rc) return rc;
    w->res->nfiles = s->file_mode ? 3 : 2;
    snprintf(w->res->main_path, sizeof w->res->main_path, "%s", s->path_c);
    return 0;
}

static void c_write_abort(ckpt_writer *w)
{
    cstate *s = w->priv;
    if (!s) return;
    ckpt__cg_free(s->c);
    free(s->path_h);
    free(s->path_c);
    free(s->path_bin);
    free(s->b.p);
    free(s);
    w->priv = NULL;
}

static int c_write_end_free(ckpt_writer *w, ckpt_err *err)
{
    int rc = c_write_end(w, err);
    if (!rc) c_write_abort(w);
    return rc;
}

/* The graph is built here too, so the TUI's format picker shows the first
 * layer or option the export would stop at (or the missing architecture). */
const ckpt_format ckpt_fmt_c = {
    .name = "c",
    .desc = "C99 inference code from a Keras model (NAME.h + NAME.c, libm only; --weights embed|file)",
    .exts = ".c",
    .dir_file = "model.c",
    .flags = CKPT_FMT_WRITE,
    .can_write = ckpt__cg_can_write,
    .write_begin = c_write_begin,
    .write = c_write,
    .write_end = c_write_end_free,
    .write_abort = c_write_abort,
    .opts = "weights",
    .prepare = ckpt__cg_prepare,     /* the graph's weights only, as float32 */
    .empty_ok = 1,             /* a model without weights (pooling, reshapes) is still code */
};
