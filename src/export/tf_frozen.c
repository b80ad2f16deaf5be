/* src/export/tf_frozen.c: `--to tf-frozen`: a TF.js graph model as a frozen
 * TensorFlow GraphDef (.pb), weights folded into its Const nodes
 * (tf_graph.c builds and streams it). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "export/tf_graph.h"

static int fz_can_write(const ckpt_model *m, char *why, size_t n) { return ckpt__tfg_can_write(m, "tf-frozen", why, n); }

static int fz_begin(ckpt_writer *w, ckpt_err *err)
{
    tf_graph *g = calloc(1, sizeof *g);
    if (!g) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    w->priv = g;
    int rc = ckpt__tfg_build(w, g, err);
    if (!rc) rc = ckpt__tfg_pack(g, w->plan, err);
    if (rc) return rc;
    if ((g->fd = ckpt_txn_create(w->txn, w->opts->out, err)) < 0) return err->code;
    if (ckpt__write_full(g->fd, g->body, g->bodylen))
        return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write the graph");
    w->res->nfiles = 1;
    snprintf(w->res->main_path, sizeof w->res->main_path, "%s", w->opts->out);
    return 0;
}

const ckpt_format ckpt_fmt_tf_frozen = {
    .name = "tf-frozen",
    .desc = "TensorFlow frozen GraphDef .pb (from TF.js graph models; write only)",
    .exts = ".pb",
    .dir_file = "model.pb",
    .flags = CKPT_FMT_WRITE,
    .can_write = fz_can_write,
    .write_begin = fz_begin,
    .write = ckpt__tfg_w_write,
    .write_end = ckpt__tfg_w_end,
    .write_abort = ckpt__tfg_w_abort,
    .opts = "outputs compat-mode",
};
