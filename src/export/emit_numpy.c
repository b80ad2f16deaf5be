/* src/export/emit_numpy.c: --to numpy, a Keras model as NumPy-only
 * inference code: NAME.py (predict, one function per layer call, the
 * runtime helpers of templates/numpy/runtime.py) and NAME.npz beside it
 * with the weights under their names, written by the npz writer
 * (npz_write.c) through the same transaction. The layer graph comes from
 * kgraph.c; the generated code runs it once per batch row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/codegen.h"
#include "formats/npz_write.h"

typedef struct np_state {
    cg *c;
    cg_buf py;
    char *py_path, *npz_path;
    int fd;
    ckpt_convert_opts inner_opts;     /* the npz writer's: -o NAME.npz */
    ckpt_writer inner;
} np_state;

/* A Python string literal (names may hold quotes or any byte). */
static void py_str(cg_buf *b, const char *s)
{
    cg_puts(b, "'");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\'' || *p == '\\') cg_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f) cg_printf(b, "\\x%02x", *p);
        else cg_put(b, (const char *)p, 1);
    }
    cg_puts(b, "'");
}

/* Text for a comment: no line breaks or control bytes. */
static void py_comment(cg_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        cg_put(b, *p < 0x20 || *p == 0x7f ? "?" : (const char *)p, 1);
}

static void py_shape(cg_buf *b, const kg_tensor *t)
{
    cg_puts(b, "(");
    for (int i = 0; i < t->ndim; i++) cg_printf(b, "%s%lld", i ? ", " : "", (long long)t->d[i]);
    if (t->ndim == 1) cg_puts(b, ",)");
    else cg_puts(b, ")");
}

/* The shortest text that reads back as v (what Python's repr gives). */
static void py_float(cg_buf *b, double v)
{
    char t[40];
    if (v != v || v - v != 0) {                 /* nan, inf */
        cg_printf(b, "float('%s')", v != v ? "nan" : v > 0 ? "inf" : "-inf");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, v);
        if (strtod(t, NULL) == v) break;
    }
    cg_printf(b, "%s", t);
}

/* Variable holding tensor t in predict's body and the layer functions. */
static void var_name(cg_buf *b, const cg *c, int t)
{
    for (int i = 0; i < c->g.nin; i++)
        if (c->g.in[i] == t) {
            char *id = ckpt__kg_ident("in_", c->g.in_name[i]);
            int clash = 0;                /* two input names that read the same as identifiers */
            for (int j = 0; j < c->g.nin && id && !clash; j++) {
                char *o = j == i ? NULL : ckpt__kg_ident("in_", c->g.in_name[j]);
                clash = o && !strcmp(o, id);
                free(o);
            }
            if (clash) cg_printf(b, "in%d_%s", i, id + 3);
            else cg_printf(b, "%s", id ? id : "in_");
            free(id);
            return;
        }
    for (int k = c->g.ncalls - 1; k >= 0; k--) {
        int f, e;
        ckpt__cg_call_ops(c, k, &f, &e);
        if (e > f && c->g.op[e - 1].out == t) {
            cg_printf(b, "h_%s", c->g.calls[k].id);
            return;
        }
    }
    cg_printf(b, "t%d", t);
}

static void emit_op(cg_buf *b, const cg *c, const kg_op *o, const ckpt_writer *w)
{
    cg_printf(b, "    t%d = %s(", o->out, o->fn);
    int list = o->nin > 1 || !strcmp(o->fn, "merge") || !strcmp(o->fn, "concat");
    if (list) cg_puts(b, "[");
    for (int i = 0; i < o->nin; i++) {
        if (i) cg_puts(b, ", ");
        var_name(b, c, o->in[i]);
    }
    if (list) cg_puts(b, "]");
    for (int i = 0; i < o->nw; i++) {
        cg_puts(b, ", ");
        if (o->w[i] < 0) { cg_puts(b, "None"); continue; }
        cg_puts(b, "W[");
        py_str(b, w->plan->e[c->wplan[o->w[i]]].name);
        cg_puts(b, "]");
    }
    for (int i = 0; i < o->np; i++) {
        if (o->p[i].isf) {
            cg_printf(b, ", %s=", o->p[i].k);
            py_float(b, o->p[i].f);
        } else cg_printf(b, ", %s=%lld", o->p[i].k, (long long)o->p[i].i);
    }
    int na = ckpt__cg_op_acts(o);
    if (na >= 1) {
        cg_printf(b, ", kind='%s', a=", ckpt__kg_act_names[o->act]);
        py_float(b, o->act_a);
    }
    if (na >= 2) {
        cg_printf(b, ", kind2='%s', a2=", ckpt__kg_act_names[o->act2]);
        py_float(b, o->act2_a);
    }
    cg_puts(b, ").reshape");
    py_shape(b, &c->g.t[o->out]);
    cg_puts(b, "\n");
}

/* def layer_ID(inputs): the ops of call k, the layer's Keras name in a comment */
static void emit_call(cg_buf *b, const cg *c, int k, const ckpt_writer *w)
{
    int f, e, in[KG_MAXIN * 4];
    ckpt__cg_call_ops(c, k, &f, &e);
    if (f == e) return;
    int nin = ckpt__cg_call_inputs(c, k, in, (int)(sizeof in / sizeof *in));
    cg_printf(b, "\n\ndef layer_%s(", c->g.calls[k].id);
    for (int i = 0; i < nin; i++) {
        if (i) cg_puts(b, ", ");
        var_name(b, c, in[i]);
    }
    cg_puts(b, "):\n    # Keras layer '");
    py_comment(b, c->g.calls[k].layer);
    cg_puts(b, "' (");
    py_comment(b, c->g.calls[k].cls);
    int nth = 0;
    for (int j = 0; j < k; j++) nth += !strcmp(c->g.calls[j].layer, c->g.calls[k].layer);
    if (nth) cg_printf(b, "), call %d of the shared layer\n", nth + 1);
    else cg_puts(b, ")\n");
    for (int i = f; i < e; i++) emit_op(b, c, &c->g.op[i], w);
    cg_printf(b, "    return t%d\n", c->g.op[e - 1].out);
}

static void emit_io_table(cg_buf *b, const cg *c, const char *tname, int n, char *const *names, const int *ts)
{
    cg_printf(b, "%s = [", tname);
    for (int i = 0; i < n; i++) {
        cg_printf(b, "%s(", i ? ", " : "");
        py_str(b, names[i]);
        cg_puts(b, ", ");
        py_shape(b, &c->g.t[ts[i]]);
        cg_puts(b, ")");
    }
    cg_puts(b, "]\n");
}

static void emit_predict_one(cg_buf *b, const cg *c)
{
    cg_puts(b, "\n\ndef _predict_one(");
    for (int i = 0; i < c->g.nin; i++) {
        if (i) cg_puts(b, ", ");
        var_name(b, c, c->g.in[i]);
    }
    cg_puts(b, "):\n");
    for (int k = 0; k < c->g.ncalls; k++) {
        int f, e, in[KG_MAXIN * 4];
        ckpt__cg_call_ops(c, k, &f, &e);
        if (f == e) continue;
        int nin = ckpt__cg_call_inputs(c, k, in, (int)(sizeof in / sizeof *in));
        cg_printf(b, "    h_%s = layer_%s(", c->g.calls[k].id, c->g.calls[k].id);
        for (int i = 0; i < nin; i++) {
            if (i) cg_puts(b, ", ");
            var_name(b, c, in[i]);
        }
        cg_puts(b, ")\n");
    }
    cg_puts(b, "    return [");
    for (int i = 0; i < c->g.nout; i++) {
        if (i) cg_puts(b, ", ");
        var_name(b, c, c->g.out[i]);
    }
    cg_puts(b, "]\n");
}

static int emit_py(np_state *s, const ckpt_writer *w, ckpt_err *err)
{
    const cg *c = s->c;
    cg_buf *b = &s->py;
    size_t hl, rl, pl;
    const char *head = ckpt__cg_template("numpy/head.py", &hl, err);
    const char *rt = head ? ckpt__cg_template("numpy/runtime.py", &rl, err) : NULL;
    const char *pred = rt ? ckpt__cg_template("numpy/predict.py", &pl, err) : NULL;
    if (!pred) return err->code;
    cg_printf(b, "\"\"\"%s: inference code for the Keras model ", c->name);
    py_comment(b, ckpt__path_basename(w->src->path));
    cg_printf(b, ",\nwritten by `ckpt convert --to numpy`. Weights: %s.npz beside this file.\n\n", c->name);
    cg_put(b, head, hl);
    cg_put(b, rt, rl);
    cg_puts(b, "\n\nW = _load_weights(");
    py_str(b, ckpt__path_basename(s->npz_path));
    cg_puts(b, ")\n");
    for (int k = 0; k < c->g.ncalls; k++) emit_call(b, c, k, w);
    cg_puts(b, "\n\n");
    emit_io_table(b, c, "INPUTS", c->g.nin, c->g.in_name, c->g.in);
    emit_io_table(b, c, "OUTPUTS", c->g.nout, c->g.out_name, c->g.out);
    emit_predict_one(b, c);
    cg_put(b, pred, pl);
    return b->oom ? ckpt_err_set(err, CKPT_E_NOMEM, "out of memory") : 0;
}

static void np_abort(ckpt_writer *w)
{
    np_state *s = w->priv;
    if (!s) return;
    if (s->inner.priv) ckpt__npz_write_abort(&s->inner);
    ckpt__cg_free(s->c);
    free(s->py.p);
    free(s->py_path);
    free(s->npz_path);
    free(s);
    w->priv = NULL;
}

static int np_begin(ckpt_writer *w, ckpt_err *err)
{
    np_state *s = calloc(1, sizeof *s);
    if (!s) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    w->priv = s;
    int rc = ckpt__cg_begin(w, ".py", "", &s->c, err);
    if (rc) return rc;
    s->py_path = ckpt__asprintf("%s.py", s->c->base);
    s->npz_path = ckpt__asprintf("%s.npz", s->c->base);
    if (!s->py_path || !s->npz_path) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if ((rc = emit_py(s, w, err))) return rc;
    if ((s->fd = ckpt_txn_create(w->txn, s->py_path, err)) < 0) {
        ckpt_err_at_path(err, s->py_path);
        return err->code ? (int)err->code : CKPT_E_IO;
    }
    s->inner_opts = *w->opts;
    s->inner_opts.out = s->npz_path;
    s->inner = *w;
    s->inner.opts = &s->inner_opts;
    s->inner.priv = NULL;
    return ckpt__npz_write_begin(&s->inner, err);
}

static int np_write(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err)
{
    np_state *s = w->priv;
    return ckpt__npz_write(&s->inner, i, off, buf, n, err);
}

static int np_end(ckpt_writer *w, ckpt_err *err)
{
    np_state *s = w->priv;
    int rc = ckpt__npz_write_end(&s->inner, err);
    s->inner.priv = NULL;                       /* the npz writer freed its state */
    if (!rc) rc = ckpt__cg_flush(&s->py, s->fd, s->py_path, err);
    if (rc) return rc;
    ckpt_txn_close_fd(w->txn, s->fd);
    if (w->res) {
        w->res->nfiles = 2;
        snprintf(w->res->main_path, sizeof w->res->main_path, "%s", s->py_path);
    }
    np_abort(w);
    return 0;
}

const ckpt_format ckpt_fmt_numpy = {
    .name = "numpy",
    .desc = "NumPy inference code: NAME.py with predict(x) and NAME.npz (Keras models with their config)",
    .exts = ".py",
    .dir_file = "model.py",
    .flags = CKPT_FMT_WRITE,
    .can_write = ckpt__cg_can_write,
    .prepare = ckpt__cg_prepare,
    .write_begin = np_begin,
    .write = np_write,
    .write_end = np_end,
    .write_abort = np_abort,
    .empty_ok = 1,
};
