/* convert.c: the conversion pipeline. Plan first (every name, dtype and
 * shape decided and checked before a byte is written), then stream each
 * tensor in bounded chunks from reader to writer, then commit the output
 * transaction. Memory: one chunk buffer plus the writer's own state. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "remap_int.h"

#define DEFAULT_CHUNK (4u << 20)

const char *ckpt__opt(const ckpt_convert_opts *o, const char *key)
{
    size_t kl = strlen(key);
    for (int i = 0; o && i < o->nkv; i++)
        if (!strncmp(o->kv[i], key, kl) && o->kv[i][kl] == '=') return o->kv[i] + kl + 1;
    return NULL;
}

int ckpt_parse_size(const char *s, uint64_t *out)
{
    if (!s || !*s) return 0;
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0) return 0;
    while (*end == ' ') end++;
    double mul = 1;
    /* decimal units as huggingface_hub ("5GB" = 5e9); binary with "i" */
    static const struct { const char *u; double m; } units[] = {
        {"", 1}, {"B", 1},
        {"K", 1e3}, {"KB", 1e3}, {"M", 1e6}, {"MB", 1e6}, {"G", 1e9}, {"GB", 1e9}, {"T", 1e12}, {"TB", 1e12},
        {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0},
    };
    int found = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcasecmp(end, units[i].u)) { mul = units[i].m; found = 1; break; }
    if (!found) return 0;
    double r = v * mul;
    if (r >= 1.8e19 || r < 1) return 0;
    *out = (uint64_t)r;
    return 1;
}

/* FROM=TO: an exact name, or a prefix ending at a separator ('.' or '/'). */
static char *apply_renames(const ckpt_convert_opts *o, const char *name, ckpt_err *err)
{
    char *cur = strdup(name);
    if (!cur) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), NULL;
    for (int i = 0; i < o->nrenames; i++) {
        const char *eq = strchr(o->renames[i], '=');
        if (!eq || eq == o->renames[i]) {
            ckpt_err_set(err, CKPT_E_USAGE, "--rename wants FROM=TO, got '%s'", o->renames[i]);
            free(cur);
            return NULL;
        }
        size_t fl = (size_t)(eq - o->renames[i]);
        const char *to = eq + 1;
        if (strncmp(cur, o->renames[i], fl)) continue;
        char next = cur[fl];
        char last = o->renames[i][fl - 1];
        if (next && next != '.' && next != '/' && last != '.' && last != '/') continue;
        char *n = ckpt__asprintf("%s%s", to, cur + fl);
        free(cur);
        if (!n) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), NULL;
        cur = n;
    }
    return cur;
}

/* A plan with no tensor would commit an empty file and exit 0: say what
 * was left out instead (before any file is created). */
static int nothing_to_write(const ckpt_model *m, int kept, ckpt_err *err)
{
    int nopt = 0;
    for (int i = 0; i < m->ntensors; i++) nopt += (m->tensors[i].flags & CKPT_TF_OPTIMIZER) != 0;
    if (m->ntensors == 0)
        return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "nothing to write: the input has no tensors");
    if (kept == 0)
        return ckpt_err_set(err, CKPT_E_UNSUPPORTED,
                            "nothing to write: all %d tensor%s are optimizer state, left out without "
                            "--include-optimizer (the model's own weights are not in the file)",
                            nopt, nopt == 1 ? "" : "s");
    return ckpt_err_set(err, CKPT_E_UNSUPPORTED,
                        "nothing to write: the remap rules drop all %d tensor%s%s", kept,
                        kept == 1 ? "" : "s",
                        nopt ? " left after optimizer state was left out" : "");
}

static int build_plan(ckpt_model *m, const ckpt_convert_opts *o, const ckpt_format *f, ckpt_plan *p,
                      ckpt_err *err)
{
    for (int i = 0; i < m->ntensors; i++) {
        const ckpt_tensor *t = &m->tensors[i];
        if ((t->flags & CKPT_TF_OPTIMIZER) && !o->include_optimizer) continue;
        char *base = NULL;
        if (o->naming) {
            if (!m->fmt || !m->fmt->name_as)
                return ckpt_err_set(err, CKPT_E_USAGE, "--naming applies to Keras inputs only (this is %s)",
                                    m->fmt ? m->fmt->name : "?");
            if (!(base = m->fmt->name_as(m, i, o->naming, err))) return err->code ? err->code : CKPT_E_NOMEM;
        }
        char *name = apply_renames(o, base ? base : t->name, err);
        free(base);
        if (!name) return err->code;
        ckpt_dtype dt = t->dtype;
        if (o->cast && ckpt_dtype_is_float(t->dtype)) dt = o->cast;
        int rc = ckpt__plan_add(p, name, dt, t->ndim, t->shape, i, err);
        free(name);
        if (rc) return rc;
    }
    int kept = p->n;
    if (o->remap) {
        int rc = ckpt__remap_apply(o->remap, m, p, err);  /* remap.c */
        if (rc) return rc;
    }
    /* a format may write a useful file from an input without tensors (GGUF: a vocabulary) */
    if (p->n == 0 && !(f->empty_ok && m->ntensors == 0)) {
        nothing_to_write(m, kept, err);
        ckpt_err_at_path(err, m->path);
        return err->code;
    }
    if (f->prepare) {
        int rc = f->prepare(m, o, p, err);
        if (rc) return rc;
    }
    /* two sources mapped to one name is an error before any byte is written */
    struct ckpt_name_index *ix = ckpt__index_new();
    if (!ix) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    for (int i = 0; i < p->n; i++) {
        /* every writer stores names as UTF-8 text (JSON, pickled str, npz
         * member names, GGUF strings): a name that is not would make a file
         * its readers refuse */
        if (!ckpt__utf8_valid(p->e[i].name, strlen(p->e[i].name))) {
            ckpt__index_free(ix);
            ckpt_err_set(err, CKPT_E_UNSUPPORTED, "output name is not valid UTF-8, which %s stores names as: "
                         "rename it (--rename, --map)", f->name);
            ckpt_err_at_tensor(err, p->e[i].name);
            return err->code;
        }
        int prev = ckpt__index_put(ix, p->e[i].name, i);
        if (prev == -2) { ckpt__index_free(ix); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
        if (prev >= 0) {
            const ckpt_tensor *a = ckpt_model_tensor(m, p->e[prev].src), *b = ckpt_model_tensor(m, p->e[i].src);
            ckpt_err_set(err, CKPT_E_USAGE, "two tensors map to the output name '%s' ('%s' and '%s')",
                         p->e[i].name, a ? a->name : "?", b ? b->name : "?");
            ckpt__index_free(ix);
            return CKPT_E_USAGE;
        }
    }
    ckpt__index_free(ix);
    return 0;
}

int ckpt__convert_plan(ckpt_model *m, const ckpt_convert_opts *o, ckpt_plan *p, ckpt_err *err)
{
    const ckpt_format *f = ckpt__format_find(o->to);
    if (!f) return ckpt_err_set(err, CKPT_E_USAGE, "unknown output format '%s'", o->to);
    /* a writer that declares "rename" takes --rename for itself
     * (tf-saved-model: signature keys): the plan keeps the source names */
    ckpt_convert_opts po = *o;
    if (ckpt__format_has_opt(f, "rename")) po.nrenames = 0;
    return build_plan(m, &po, f, p, err);
}

/* Tiny inputs can describe huge outputs (an HDF5 dataset of fill values, a
 * stride-0 view): refuse more than --max-output-ratio (default 1000) times
 * the input's size before any byte is written, saying both sizes. */
static int check_ratio(const ckpt_model *m, const ckpt_convert_opts *o, const ckpt_plan *p, ckpt_err *err)
{
    const char *v = ckpt__opt(o, "max-output-ratio");
    double max = 1000;
    if (v) {
        char *end;
        max = strtod(v, &end);
        if (end == v || *end || !(max >= 0) || !isfinite(max))
            return ckpt_err_set(err, CKPT_E_USAGE, "--max-output-ratio wants a number (0 = no limit), got '%s'", v);
    }
    uint64_t in = 0, out = 0;
    for (int i = 0; i < m->nfiles; i++) in += m->files[i].size;
    for (int i = 0; i < p->n; i++) out += p->e[i].nbytes;
    if (max == 0 || out <= (1u << 20) || (double)out <= max * (double)(in ? in : 1)) return 0;
    ckpt_err_set(err, CKPT_E_UNSAFE,
                 "the output would hold %llu bytes of tensors, %.0fx the input's %llu bytes (limit %gx): refused; "
                 "--max-output-ratio N raises the limit (0 = none)",
                 (unsigned long long)out, (double)out / (double)(in ? in : 1), (unsigned long long)in, max);
    ckpt_err_at_path(err, m->path);
    return CKPT_E_UNSAFE;
}

/* --fsync end (default: every output durable before it is renamed into
 * place) or never: 1, 0, or -1 with err set. */
static int fsync_policy(const ckpt_convert_opts *o, ckpt_err *err)
{
    const char *v = ckpt__opt(o, "fsync");
    if (!v || !strcmp(v, "end")) return 1;
    if (!strcmp(v, "never")) return 0;
    ckpt_err_set(err, CKPT_E_USAGE, "--fsync wants 'end' or 'never', got '%s'", v);
    return -1;
}

/* A plan entry whose bytes are a source file's, unchanged: its fd and
 * offset. CKPT_COPY_FILE_RANGE=0 (w->kernel_copy) turns this path off, so
 * tests and benches can compare both. */
static int raw_source(ckpt_model *m, const ckpt_format *f, ckpt_writer *w, const ckpt_plan_entry *e,
                      int *fd, uint64_t *off)
{
    if (!w->kernel_copy || !f->write_copy || e->xf || !m->fmt->raw_span) return 0;
    const ckpt_tensor *t = ckpt_model_tensor(m, e->src);
    if (!t || t->dtype != e->dtype || t->nbytes != e->nbytes) return 0;
    return m->fmt->raw_span(m, e->src, fd, off) == 1;
}

/* After the fsync and before anything is renamed: a cancel (Ctrl-C or
 * SIGTERM during the flush) still commits nothing. */
static int commit(ckpt_txn *txn, const ckpt_convert_opts *o, ckpt_progress *pr, ckpt_err *err)
{
    int rc = ckpt_txn_sync(txn, err);
    pr->current = NULL;
    pr->phase = "commit";
    if (!rc && o->progress && o->progress(o->progress_ud, pr)) rc = ckpt_err_set(err, CKPT_E_CANCELLED, "cancelled");
    if (!rc) rc = ckpt_txn_commit(txn, err);
    pr->phase = "convert";
    return rc;
}

static int convert_to(ckpt_model *m, const ckpt_convert_opts *o, ckpt_convert_result *res, ckpt_err *err);

/* -o naming a folder (one that exists, or a path ending in '/'): a writer of
 * one file writes its dir_file there, so `-o out/ --to gguf` gives
 * out/model.gguf instead of a file called "out". */
int ckpt_convert(ckpt_model *m, const ckpt_convert_opts *o, ckpt_convert_result *res, ckpt_err *err)
{
    CKPT__ERR_LOCAL(err);
    const ckpt_format *f = o && o->to ? ckpt__format_find(o->to) : NULL;
    if (f && ckpt__opt(o, "package")) f = ckpt__format_find("package");
    if (!f || !f->dir_file || !o->out || !o->out[0] ||
        !(ckpt__ends_with(o->out, "/") || ckpt__is_dir(o->out)))
        return convert_to(m, o, res, err);
    ckpt_convert_opts in_dir = *o;
    char *path = ckpt__path_join(o->out, f->dir_file);
    if (!path) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    in_dir.out = path;
    int rc = convert_to(m, &in_dir, res, err);
    free(path);
    return rc;
}

static int convert_to(ckpt_model *m, const ckpt_convert_opts *o, ckpt_convert_result *res, ckpt_err *err)
{
    ckpt_convert_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    if (!o || !o->to || !o->out) return ckpt_err_set(err, CKPT_E_USAGE, "convert needs an output format and path");
    const ckpt_format *f = ckpt__format_find(o->to);
    if (!f) return ckpt_err_set(err, CKPT_E_USAGE, "unknown output format '%s'", o->to);
    char why[256] = "";
    if (!ckpt_format_can_write(o->to, m, why, sizeof why)) {
        ckpt_err_set(err, CKPT_E_UNSUPPORTED, "%s", why[0] ? why : "cannot write this format");
        ckpt_err_at_path(err, m->path);
        return err->code;
    }

    ckpt_plan plan = {0};
    int rc = ckpt__convert_plan(m, o, &plan, err);
    if (!rc) rc = check_ratio(m, o, &plan, err);
    int fsync_end = rc ? 1 : fsync_policy(o, err);
    if (fsync_end < 0) rc = CKPT_E_USAGE;
    if (rc) { ckpt__plan_free(&plan); return rc; }

    size_t chunk = o->chunk_size ? o->chunk_size : DEFAULT_CHUNK;
    chunk &= ~(size_t)7;
    if (chunk < 8) chunk = 8;
    unsigned char *buf = malloc(chunk);
    ckpt_txn *txn = ckpt_txn_new();
    if (!buf || !txn) {
        free(buf);
        ckpt_txn_free(txn);
        ckpt__plan_free(&plan);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    /* --package zip: the registry's package writer (package.c) wraps the --to writer */
    if (ckpt__opt(o, "package")) f = ckpt__format_find("package");
    ckpt_writer w = {.fmt = f, .opts = o, .src = m, .plan = &plan, .txn = txn, .res = res};
    ckpt_txn_set_fsync(txn, fsync_end);
    const char *k = getenv("CKPT_COPY_FILE_RANGE");
    w.kernel_copy = !(k && !strcmp(k, "0"));
    ckpt_progress pr = {.phase = "convert", .items_total = plan.n};
    for (int i = 0; i < plan.n; i++) pr.bytes_total += plan.e[i].nbytes;

    rc = f->write_begin(&w, err);
    if (!rc && o->progress && o->progress(o->progress_ud, &pr))
        rc = ckpt_err_set(err, CKPT_E_CANCELLED, "cancelled");
    for (int i = 0; !rc && i < plan.n; i++) {
        const ckpt_plan_entry *e = &plan.e[i];
        pr.current = e->name;
        uint64_t off = 0, soff = 0;
        int sfd = -1, raw = raw_source(m, f, &w, e, &sfd, &soff);
        do {
            size_t n = e->nbytes - off < chunk ? (size_t)(e->nbytes - off) : chunk;
            /* unchanged bytes go file to file, in the same chunks (progress, cancel) */
            if (raw && n) rc = f->write_copy(&w, i, off, sfd, soff + off, n, err);
            else {
                if (n) rc = ckpt__plan_read(m, e, off, buf, n, err);
                if (!rc) rc = f->write(&w, i, off, buf, n, err);
            }
            if (rc) {
                ckpt_err_at_tensor(err, e->name);
                break;
            }
            off += n;
            pr.bytes_done += n;
            if (o->progress && o->progress(o->progress_ud, &pr)) {
                rc = ckpt_err_set(err, CKPT_E_CANCELLED, "cancelled");
                break;
            }
        } while (off < e->nbytes);
        if (!rc) {
            pr.items_done = i + 1;
            res->ntensors++;
            res->nbytes += e->nbytes;
        }
    }
    if (!rc) rc = f->write_end(&w, err);
    if (!rc) rc = commit(txn, o, &pr, err);
    res->stale_removed = ckpt_txn_stale_removed(txn);
    if (rc) {
        if (f->write_abort) f->write_abort(&w);
        ckpt_txn_abort(txn);
        res->ntensors = 0;
        res->nbytes = 0;
        res->nfiles = 0;
    } else if (o->progress) {
        pr.current = NULL;
        o->progress(o->progress_ud, &pr);
    }
    ckpt_txn_free(txn);
    free(buf);
    ckpt__plan_free(&plan);
    return rc;
}
