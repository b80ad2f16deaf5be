/* src/formats/npz_write.c: --to npz, what np.savez writes (numpy/lib/npyio.py
 * _savez, numpy/lib/format.py write_array): a zip with one NAME.npy member
 * per tensor, in order, each opened with force_zip64 as NumPy does, stored
 * (--compress: deflated, as np.savez_compressed). Each .npy is NumPy's
 * version 1.0 header: the dict "{'descr': '<f4',
 * 'fortran_order': False, 'shape': (2, 3), }", the spare spaces NumPy
 * leaves to grow the first axis, padded with spaces and a newline to a
 * multiple of 64 bytes, then the C-order little-endian data, streamed.
 * An output named .npy holds one array and no zip. NumPy has no bfloat16
 * or float8: such tensors are refused by name unless --dtype casts them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/npz_write.h"
#include "formats/zip_write.h"

#define ARRAY_ALIGN 64
#define GROWTH_AXIS_MAX_DIGITS 21

typedef struct nw {
    char *path;
    int fd;
    zw *z;                  /* NULL for a lone .npy */
    int deflate;
} nw;

static const char *descr(ckpt_dtype dt)
{
    switch (dt) {
    case CKPT_F32: return "<f4";
    case CKPT_F64: return "<f8";
    case CKPT_F16: return "<f2";
    case CKPT_I64: return "<i8";
    case CKPT_I32: return "<i4";
    case CKPT_I16: return "<i2";
    case CKPT_I8: return "|i1";
    case CKPT_U8: return "|u1";
    case CKPT_U16: return "<u2";
    case CKPT_U32: return "<u4";
    case CKPT_U64: return "<u8";
    case CKPT_BOOL: return "|b1";
    default: return NULL;
    }
}

/* format.py _write_array_header + _wrap_header; returns the length, 0 if over cap. */
static size_t npy_header(const ckpt_plan_entry *e, char *out, size_t cap)
{
    char shape[CKPT_MAX_DIMS * 24 + 4] = "(";
    size_t sl = 1;
    for (int d = 0; d < e->ndim; d++)
        sl += (size_t)snprintf(shape + sl, sizeof shape - sl, "%s%lld", d ? ", " : "", (long long)e->shape[d]);
    snprintf(shape + sl, sizeof shape - sl, "%s)", e->ndim == 1 ? "," : "");
    char body[sizeof shape + 128];
    int bl = snprintf(body, sizeof body, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr(e->dtype), shape);
    if (e->ndim > 0) {   /* room to grow the first axis in place */
        char first[24];
        int fl = snprintf(first, sizeof first, "%lld", (long long)e->shape[0]);
        for (int k = fl; k < GROWTH_AXIS_MAX_DIGITS; k++) body[bl++] = ' ';
        body[bl] = 0;
    }
    /* version 1.0 (a u16 length) always fits: the dict is under 300 bytes */
    size_t hlen = (size_t)bl + 1, pre = 10;
    size_t pad = ARRAY_ALIGN - (pre + hlen) % ARRAY_ALIGN;
    if (pre + hlen + pad > cap) return 0;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = 1;
    out[7] = 0;
    size_t hl = hlen + pad;
    out[8] = (char)(hl & 0xFF);
    out[9] = (char)(hl >> 8);
    memcpy(out + pre, body, (size_t)bl);
    memset(out + pre + bl, ' ', pad);
    out[pre + hlen + pad - 1] = '\n';
    return pre + hlen + pad;
}

void ckpt__npz_write_abort(ckpt_writer *w)
{
    nw *s = w->priv;
    if (!s) return;
    ckpt__zw_free(s->z);
    free(s->path);
    free(s);
    w->priv = NULL;
}

/* BF16 / float8 tensors: one line naming the first few */
static int refuse_dtypes(const ckpt_plan *p, ckpt_err *err)
{
    char names[400] = "";
    size_t l = 0;
    int bad = 0;
    for (int i = 0; i < p->n; i++) {
        if (descr(p->e[i].dtype)) continue;
        if (bad++ < 3 && l < sizeof names)
            l += (size_t)snprintf(names + l, sizeof names - l, "%s'%.80s' (%s)", l ? ", " : "", p->e[i].name,
                                  ckpt_dtype_name(p->e[i].dtype));
    }
    if (!bad) return 0;
    return ckpt_err_set(err, CKPT_E_USAGE,
                        "NumPy has no dtype for %d tensor%s: %s%s; cast them with --dtype F32 (or F16)", bad,
                        bad == 1 ? "" : "s", names, bad > 3 ? ", ..." : "");
}

int ckpt__npz_write_begin(ckpt_writer *w, ckpt_err *err)
{
    const ckpt_convert_opts *o = w->opts;
    if (o->shard_size) return ckpt_err_set(err, CKPT_E_USAGE, "--shard-size does not apply to npz (one archive)");
    if (refuse_dtypes(w->plan, err)) return err->code;
    int lone = ckpt__ends_with(o->out, ".npy");
    if (lone && w->plan->n != 1)
        return ckpt_err_set(err, CKPT_E_USAGE, "a .npy file holds one array, this conversion has %d: write a .npz",
                            w->plan->n);
    nw *s = calloc(1, sizeof *s);
    if (!s) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    w->priv = s;
    s->path = ckpt__strdup(o->out);   /* a folder -o is already OUT/model.npz (dir_file) */
    if (!s->path) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    const char *c = ckpt__opt(o, "compress");
    s->deflate = c && strcmp(c, "0");
    s->fd = ckpt_txn_create(w->txn, s->path, err);
    if (s->fd < 0) {
        ckpt_err_at_path(err, s->path);
        return err && err->code ? (int)err->code : CKPT_E_IO;
    }
    if (!lone && !(s->z = ckpt__zw_new(s->fd, s->path, w->txn))) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    return CKPT_OK;
}

static int lone_write(nw *s, const void *buf, size_t n, ckpt_err *err)
{
    if (!ckpt__write_full(s->fd, buf, n)) return 0;
    ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write");
    ckpt_err_at_path(err, s->path);
    return CKPT_E_IO;
}

int ckpt__npz_write(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err)
{
    nw *s = w->priv;
    const ckpt_plan_entry *e = &w->plan->e[i];
    int rc = 0;
    if (off == 0) {
        char hdr[1024];
        size_t hn = npy_header(e, hdr, sizeof hdr);
        if (!hn) return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "internal: .npy header too long");
        if (s->z) {
            char *name = ckpt__asprintf("%s.npy", e->name);
            zw_member m = {.name = name, .size = hn + e->nbytes, .deflate = s->deflate, .zip64 = 1};
            rc = name ? ckpt__zw_begin(s->z, &m, err) : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
            free(name);
            if (!rc) rc = ckpt__zw_write(s->z, hdr, hn, err);
        } else rc = lone_write(s, hdr, hn, err);
    }
    if (!rc) rc = s->z ? ckpt__zw_write(s->z, buf, n, err) : lone_write(s, buf, n, err);
    if (!rc && s->z && off + n == e->nbytes) rc = ckpt__zw_end(s->z, err);
    return rc;
}

int ckpt__npz_write_end(ckpt_writer *w, ckpt_err *err)
{
    nw *s = w->priv;
    if (s->z && ckpt__zw_finish(s->z, err)) return err->code;
    ckpt_txn_close_fd(w->txn, s->fd);
    if (w->res) {
        w->res->nfiles = 1;
        snprintf(w->res->main_path, sizeof w->res->main_path, "%s", s->path);
    }
    ckpt__npz_write_abort(w);
    return CKPT_OK;
}
