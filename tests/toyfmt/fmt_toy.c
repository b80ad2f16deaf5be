/* fmt_toy.c: a toy tensor container, read and written, to show (and test,
 * tests/t_toyfmt.sh) that a format is this one file plus one registry line
 * in src/format.c. Not built into ckpt.
 *
 *   CKPTTOY 1\n
 *   COUNT\n
 *   NAME\tDTYPE\tD0,D1,...\n      one line per tensor (DTYPE as safetensors names it)
 *   \n
 *   the tensors' bytes, in header order, little-endian, C order
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define TOY_MAGIC "CKPTTOY 1\n"
#define TOY_MAX_HEADER (1u << 20)

static int toy_probe(const char *path, int is_dir, const unsigned char *head, size_t n)
{
    if (is_dir) return 0;
    if (n >= sizeof TOY_MAGIC - 1 && !memcmp(head, TOY_MAGIC, sizeof TOY_MAGIC - 1)) return 100;
    return 0;
}

static int toy_bad(ckpt_err *err, const char *path, uint64_t at, const char *why)
{
    ckpt_err_set(err, CKPT_E_FORMAT, "toy header: %s", why);
    ckpt_err_at_path(err, path);
    ckpt_err_at_offset(err, at);
    return CKPT_E_FORMAT;
}

/* One "NAME\tDTYPE\tDIMS" line (NUL-terminated, newline removed). */
static int toy_line(ckpt_model *m, char *ln, uint64_t at, uint64_t *data_off, ckpt_err *err)
{
    char *tab1 = strchr(ln, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
    if (!tab2) return toy_bad(err, m->path, at, "a tensor line wants NAME, DTYPE and DIMS");
    *tab1 = *tab2 = 0;
    ckpt_dtype dt = ckpt_dtype_from_name(tab1 + 1);
    if (dt == CKPT_DT_INVALID) return toy_bad(err, m->path, at, "unknown dtype");
    int64_t shape[CKPT_MAX_DIMS];
    int nd = 0;
    for (char *p = tab2 + 1; *p; nd++) {
        char *e;
        long long d = strtoll(p, &e, 10);
        if (e == p || d < 0 || nd == CKPT_MAX_DIMS || (*e && *e != ',')) return toy_bad(err, m->path, at, "bad dims");
        shape[nd] = d;
        p = *e ? e + 1 : e;
    }
    int t = ckpt__model_add_tensor(m, ln, NULL, dt, nd, shape, 0, *data_off, err);
    if (t < 0) return CKPT_E_FORMAT;
    if (ckpt__add_u64(*data_off, m->tensors[t].nbytes, data_off)) return toy_bad(err, m->path, at, "sizes overflow");
    return 0;
}

static int toy_open(ckpt_model *m, const char *path, ckpt_err *err)
{
    ckpt_src *s;
    int rc = ckpt_src_open(path, &s, err);
    if (rc) return rc;
    int fi = ckpt__model_add_file(m, path, s->size, err);
    if (fi < 0) { ckpt_src_close(s); return CKPT_E_NOMEM; }
    m->files[fi].src = s;
    size_t hn = s->size < TOY_MAX_HEADER ? (size_t)s->size : TOY_MAX_HEADER;
    char *h = malloc(hn + 1);
    if (!h) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if ((rc = ckpt_src_pread(s, h, hn, 0, err))) { free(h); return rc; }
    h[hn] = 0;
    char *end = strstr(h, "\n\n");
    if (strncmp(h, TOY_MAGIC, sizeof TOY_MAGIC - 1) || !end || memchr(h, 0, (size_t)(end - h))) {
        free(h);
        return toy_bad(err, path, 0, "no CKPTTOY magic, or no blank line ending the header");
    }
    end[1] = 0;
    uint64_t data = (uint64_t)(end + 2 - h), off = data;
    char *p = h + sizeof TOY_MAGIC - 1, *nl = strchr(p, '\n');
    if (!nl) { free(h); return toy_bad(err, path, sizeof TOY_MAGIC - 1, "no tensor count"); }
    long long count = strtoll(p, NULL, 10);
    for (p = nl + 1; !rc && *p; p = nl + 1) {
        nl = strchr(p, '\n');
        *nl = 0;
        rc = toy_line(m, p, (uint64_t)(p - h), &off, err);
    }
    if (!rc && count != m->ntensors) rc = toy_bad(err, path, sizeof TOY_MAGIC - 1, "the count does not match the lines");
    if (!rc && off != s->size) rc = toy_bad(err, path, data, "the data section's size does not match the tensors");
    free(h);
    return rc;
}

static int toy_read(ckpt_model *m, int t, uint64_t off, void *buf, size_t n, ckpt_err *err)
{
    const ckpt_tensor *ct = &m->tensors[t];
    int rc = ckpt_src_pread(m->files[ct->file].src, buf, n, ct->offset + off, err);
    if (rc) {
        ckpt_err_at_path(err, m->path);
        ckpt_err_at_tensor(err, ct->name);
    }
    return rc;
}

static void toy_close(ckpt_model *m)
{
    for (int i = 0; i < m->nfiles; i++) {
        ckpt_src_close(m->files[i].src);
        m->files[i].src = NULL;
    }
}

/* The header from the plan, written whole; then the tensors stream in. */
static int toy_write_begin(ckpt_writer *w, ckpt_err *err)
{
    int *fdp = malloc(sizeof *fdp);
    if (!fdp) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    w->priv = fdp;
    int fd = *fdp = ckpt_txn_create(w->txn, w->opts->out, err);
    if (fd < 0) return CKPT_E_IO;
    FILE *f = fdopen(dup(fd), "w");
    if (!f) return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write %s", w->opts->out);
    fprintf(f, TOY_MAGIC "%d\n", w->plan->n);
    for (int i = 0; i < w->plan->n; i++) {
        const ckpt_plan_entry *e = &w->plan->e[i];
        if (strpbrk(e->name, "\t\n")) {
            fclose(f);
            ckpt_err_set(err, CKPT_E_UNSUPPORTED, "a toy name cannot hold a tab or a newline");
            ckpt_err_at_tensor(err, e->name);
            return CKPT_E_UNSUPPORTED;
        }
        fprintf(f, "%s\t%s\t", e->name, ckpt_dtype_name(e->dtype));
        for (int d = 0; d < e->ndim; d++) fprintf(f, "%s%lld", d ? "," : "", (long long)e->shape[d]);
        fputc('\n', f);
    }
    fputc('\n', f);
    if (fclose(f)) return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write %s", w->opts->out);
    return 0;
}

static int toy_write(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err)
{
    if (ckpt__write_full(*(int *)w->priv, buf, n)) return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write %s", w->opts->out);
    return 0;
}

static int toy_write_end(ckpt_writer *w, ckpt_err *err)
{
    if (w->res) {
        w->res->nfiles = 1;
        snprintf(w->res->main_path, sizeof w->res->main_path, "%s", w->opts->out);
    }
    free(w->priv);   /* the fd is the txn's */
    w->priv = NULL;
    return 0;
}

static void toy_write_abort(ckpt_writer *w)
{
    free(w->priv);
    w->priv = NULL;
}

static const ckpt_magic toy_magics[] = {CKPT_MAGIC("CKPTTOY"), {NULL, 0}};

const ckpt_format ckpt_fmt_toy = {
    .name = "toy",
    .desc = "toy tensor container (tests/toyfmt: a format from one file)",
    .exts = ".toy",
    .flags = CKPT_FMT_READ | CKPT_FMT_WRITE,
    .probe = toy_probe,
    .magics = toy_magics,
    .open = toy_open,
    .read = toy_read,
    .close = toy_close,
    .write_begin = toy_write_begin,
    .write = toy_write,
    .write_end = toy_write_end,
    .write_abort = toy_write_abort,
};
