/* src/fmt_npz.c: NumPy .npy arrays and .npz archives (zips of .npy).
 *
 * .npy (numpy/lib/format.py): "\x93NUMPY", major, minor, header length
 * (u16 LE for 1.0, u32 LE for 2.0/3.0), then a Python-literal dict
 * {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with
 * spaces and a newline, then the data. The dict is parsed here as data (a
 * tiny literal grammar), never evaluated. Object arrays ('|O') hold a pickle
 * and are refused. Big-endian data is byte-swapped and Fortran-order data
 * transposed to C order while reading, in bounded chunks.
 * .npz: np.savez members are stored (read by seeking), np.savez_compressed
 * members deflated (streamed, position cached between chunks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "formats/zip_src.h"
#include "internal.h"
#include "keras_zip.h"
#include "npy.h"
#include "formats/npz_write.h"
#include "tensor_io.h"

/* ---- the header ---- */

int ckpt__npy_preamble(const unsigned char *b, size_t n, uint64_t *total, ckpt_err *err)
{
    if (n < 10 || memcmp(b, "\x93NUMPY", 6))
        return ckpt_err_set(err, CKPT_E_FORMAT, "not a .npy array (no \\x93NUMPY magic)");
    int major = b[6];
    if (major == 1) {
        *total = 10 + ((uint64_t)b[8] | (uint64_t)b[9] << 8);
    } else if (major == 2 || major == 3) {
        if (n < 12) return ckpt_err_set(err, CKPT_E_FORMAT, "truncated .npy preamble");
        uint64_t l = (uint64_t)b[8] | (uint64_t)b[9] << 8 | (uint64_t)b[10] << 16 | (uint64_t)b[11] << 24;
        *total = 12 + l;
    } else {
        return ckpt_err_set(err, CKPT_E_UNSUPPORTED, ".npy format version %d.%d is not supported", major, b[7]);
    }
    if (*total > NPY_MAX_HEADER)
        return ckpt_err_set(err, CKPT_E_FORMAT, ".npy header of %llu bytes is larger than the %u allowed",
                            (unsigned long long)*total, NPY_MAX_HEADER);
    return 0;
}

typedef struct lit {
    const char *p, *e;
    ckpt_err *err;
    const char *start;
} lit;

static int lfail(lit *L, const char *what)
{
    ckpt_err_set(L->err, CKPT_E_FORMAT, "bad .npy header: %s at column %d", what, (int)(L->p - L->start) + 1);
    return CKPT_E_FORMAT;
}

static void ws(lit *L)
{
    while (L->p < L->e && (*L->p == ' ' || *L->p == '\t' || *L->p == '\n' || *L->p == '\r')) L->p++;
}

static int lstr(lit *L, char *out, size_t cap)
{
    ws(L);
    if (L->p >= L->e || (*L->p != '\'' && *L->p != '"')) return lfail(L, "expected a string");
    char q = *L->p++;
    size_t k = 0;
    while (L->p < L->e && *L->p != q) {
        if (*L->p == '\\' || k + 1 >= cap) return lfail(L, "unexpected string");
        out[k++] = *L->p++;
    }
    if (L->p >= L->e) return lfail(L, "unterminated string");
    L->p++;
    out[k] = 0;
    return 0;
}

static int lword(lit *L, const char *w)
{
    size_t l = strlen(w);
    if ((size_t)(L->e - L->p) >= l && !memcmp(L->p, w, l)) { L->p += l; return 1; }
    return 0;
}

static int lshape(lit *L, npy_hdr *h)
{
    ws(L);
    if (L->p >= L->e || *L->p != '(') return lfail(L, "shape is not a tuple");
    L->p++;
    h->ndim = 0;
    for (;;) {
        ws(L);
        if (L->p < L->e && *L->p == ')') { L->p++; return 0; }
        if (L->p >= L->e || *L->p < '0' || *L->p > '9') return lfail(L, "shape entry is not a non-negative int");
        uint64_t v = 0;
        while (L->p < L->e && *L->p >= '0' && *L->p <= '9') {
            v = v * 10 + (uint64_t)(*L->p++ - '0');
            if (v > (uint64_t)1 << 62) return lfail(L, "shape entry too large");
        }
        if (L->p < L->e && *L->p == 'L') L->p++;   /* Python 2 long */
        if (h->ndim == CKPT_MAX_DIMS) return lfail(L, "more than 8 dimensions");
        h->shape[h->ndim++] = (int64_t)v;
        ws(L);
        if (L->p < L->e && *L->p == ',') { L->p++; continue; }
        if (L->p < L->e && *L->p == ')') { L->p++; return 0; }
        return lfail(L, "expected ',' or ')' in shape");
    }
}

static int descr_dtype(const char *d, npy_hdr *h, ckpt_err *err)
{
    char bo = '|';
    const char *s = d;
    if (*s == '<' || *s == '>' || *s == '|' || *s == '=') bo = *s++;
    if (*s == 'O')
        return ckpt_err_set(err, CKPT_E_UNSAFE,
                            "refused object array (dtype '%s'): its data is a Python pickle, which ckpt never loads", d);
    static const struct { const char *k; ckpt_dtype dt; } map[] = {
        {"b1", CKPT_BOOL}, {"u1", CKPT_U8}, {"i1", CKPT_I8}, {"u2", CKPT_U16}, {"i2", CKPT_I16},
        {"u4", CKPT_U32}, {"i4", CKPT_I32}, {"u8", CKPT_U64}, {"i8", CKPT_I64}, {"f2", CKPT_F16},
        {"f4", CKPT_F32}, {"f8", CKPT_F64},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(s, map[i].k)) {
            h->dt = map[i].dt;
            h->swap = bo == '>' && ckpt_dtype_size(h->dt) > 1;
            return 0;
        }
    return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "NumPy dtype '%s' is not supported by ckpt", d);
}

int ckpt__npy_parse(const unsigned char *b, size_t n, npy_hdr *h, ckpt_err *err)
{
    memset(h, 0, sizeof *h);
    uint64_t total;
    if (ckpt__npy_preamble(b, n, &total, err)) return err ? err->code : CKPT_E_FORMAT;
    if (total > n) return ckpt_err_set(err, CKPT_E_FORMAT, "truncated .npy header");
    size_t start = b[6] == 1 ? 10 : 12;
    lit L = {(const char *)b + start, (const char *)b + total, err, (const char *)b + start};
    char key[32], descr[64] = "";
    int have = 0;
    ws(&L);
    if (L.p >= L.e || *L.p != '{') return lfail(&L, "not a dict");
    L.p++;
    for (;;) {
        ws(&L);
        if (L.p < L.e && *L.p == '}') { L.p++; break; }
        if (lstr(&L, key, sizeof key)) return CKPT_E_FORMAT;
        ws(&L);
        if (L.p >= L.e || *L.p != ':') return lfail(&L, "expected ':'");
        L.p++;
        ws(&L);
        if (!strcmp(key, "descr")) {
            if (L.p < L.e && *L.p == '[')
                return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "structured NumPy dtypes are not supported by ckpt");
            if (lstr(&L, descr, sizeof descr)) return CKPT_E_FORMAT;
            have |= 1;
        } else if (!strcmp(key, "fortran_order")) {
            if (lword(&L, "True")) h->fortran = 1;
            else if (lword(&L, "False")) h->fortran = 0;
            else return lfail(&L, "fortran_order is not True or False");
            have |= 2;
        } else if (!strcmp(key, "shape")) {
            if (lshape(&L, h)) return CKPT_E_FORMAT;
            have |= 4;
        } else {
            return lfail(&L, "unexpected key");
        }
        ws(&L);
        if (L.p < L.e && *L.p == ',') { L.p++; continue; }
        if (L.p < L.e && *L.p == '}') { L.p++; break; }
        return lfail(&L, "expected ',' or '}'");
    }
    ws(&L);
    if (L.p != L.e) return lfail(&L, "text after the dict");
    if (have != 7) return ckpt_err_set(err, CKPT_E_FORMAT, "bad .npy header: needs descr, fortran_order and shape");
    if (descr_dtype(descr, h, err)) return err ? err->code : CKPT_E_FORMAT;
    uint64_t ne = 1;
    for (int i = 0; i < h->ndim; i++)
        if (ckpt__mul_u64(ne, (uint64_t)h->shape[i], &ne))
            return ckpt_err_set(err, CKPT_E_FORMAT, "bad .npy header: shape overflows");
    if (ckpt__mul_u64(ne, ckpt_dtype_size(h->dt), &h->nbytes))
        return ckpt_err_set(err, CKPT_E_FORMAT, "bad .npy header: shape overflows");
    h->data_off = total;
    return 0;
}

/* ---- the format ---- */

typedef struct ntensor {
    zip_int64_t member;     /* -1 for a lone .npy */
    uint64_t data_off;      /* array bytes start here, in the member or file */
    tio_view v;
} ntensor;

typedef struct npz_priv {
    zip_t *z;
    tio_zcache zc;
    tio_window win;
    ckpt_src *src;
    ntensor *t;
    int nt, cap;
} npz_priv;

static int probe(const char *path, int is_dir, const unsigned char *head, size_t n)
{
    if (is_dir || n < 6) return 0;
    if (!memcmp(head, "\x93NUMPY", 6)) return 100;
    if (n >= 4 && !memcmp(head, "PK\x03\x04", 4)) {
        if (n >= 30) {
            size_t nl = (size_t)head[26] | (size_t)head[27] << 8;
            if (30 + nl <= n && nl >= 4 && !memcmp(head + 30 + nl - 4, ".npy", 4)) return 100;
        }
        return ckpt__ends_with(path, ".npz") ? 90 : 0;
    }
    return 0;
}

static int add(ckpt_model *m, npz_priv *P, const char *name, zip_int64_t member, const npy_hdr *h,
               uint64_t avail, ckpt_err *err)
{
    if (h->data_off > avail || h->nbytes > avail - h->data_off) {
        ckpt_err_set(err, CKPT_E_FORMAT, "truncated: array needs %llu bytes after its header, %llu present",
                     (unsigned long long)h->nbytes,
                     (unsigned long long)(avail > h->data_off ? avail - h->data_off : 0));
        ckpt_err_at_tensor(err, name);
        return CKPT_E_FORMAT;
    }
    if (P->nt == P->cap) {
        int nc = P->cap ? P->cap * 2 : 16;
        ntensor *nv = realloc(P->t, (size_t)nc * sizeof *nv);
        if (!nv) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        P->t = nv;
        P->cap = nc;
    }
    ntensor *t = &P->t[P->nt];
    memset(t, 0, sizeof *t);
    t->member = member;
    t->data_off = h->data_off;
    t->v.ndim = h->ndim;
    t->v.esz = ckpt_dtype_size(h->dt);
    t->v.swap = h->swap;
    t->v.base = 0;
    int64_t st = 1;
    for (int d = 0; d < h->ndim; d++) t->v.shape[d] = h->shape[d];
    for (int d = h->fortran ? 0 : h->ndim - 1; h->fortran ? d < h->ndim : d >= 0; d += h->fortran ? 1 : -1) {
        t->v.stride[d] = st;
        st *= h->shape[d] ? h->shape[d] : 1;
    }
    t->v.storage_bytes = h->nbytes;
    int plain = !h->swap && ckpt__tio_view_contiguous(&t->v);
    int ti = ckpt__model_add_tensor(m, name, NULL, h->dt, h->ndim, h->shape, 0,
                                    member < 0 && plain ? h->data_off : CKPT_NO_OFFSET, err);
    if (ti < 0) return err->code;
    m->tpriv[ti].u = (uint64_t)P->nt;
    P->nt++;
    return 0;
}

typedef struct rctx {
    npz_priv *P;
    const ntensor *t;
    uint64_t data_off;
} rctx;

static int raw_read(void *ctx, uint64_t off, void *buf, size_t n, ckpt_err *err)
{
    rctx *c = ctx;
    if (c->t->member < 0) return ckpt_src_pread(c->P->src, buf, n, c->data_off + off, err);
    return ckpt__tio_zread(&c->P->zc, c->t->member, c->data_off + off, buf, n, err);
}

static int open_npy(ckpt_model *m, npz_priv *P, const char *path, ckpt_err *err)
{
    unsigned char pre[12];
    uint64_t total;
    if (P->src->size < 12) return ckpt_err_set(err, CKPT_E_FORMAT, "truncated .npy file (%llu bytes)",
                                                (unsigned long long)P->src->size);
    if (ckpt_src_pread(P->src, pre, 12, 0, err) || ckpt__npy_preamble(pre, 12, &total, err)) return err->code;
    if (total > P->src->size) return ckpt_err_set(err, CKPT_E_FORMAT, "truncated .npy header");
    unsigned char *b = malloc((size_t)total);
    if (!b) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    npy_hdr h;
    int rc = ckpt_src_pread(P->src, b, (size_t)total, 0, err);
    if (!rc) rc = ckpt__npy_parse(b, (size_t)total, &h, err);
    free(b);
    if (rc) return rc;
    const char *base = ckpt__path_basename(path);
    char *name = ckpt__ends_with(base, ".npy") ? ckpt__strndup(base, strlen(base) - 4) : ckpt__strdup(base);
    if (!name) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    rc = add(m, P, *name ? name : "array", -1, &h, P->src->size, err);
    free(name);
    if (!rc) rc = ckpt__model_set_fact(m, "layout", h.fortran ? "Fortran order" : "C order", err) ? err->code : 0;
    return rc;
}

static int open_npz(ckpt_model *m, npz_priv *P, const char *path, ckpt_err *err)
{
    int ze = 0;
    P->z = ckpt__zip_open_src(P->src, 0, &ze);
    if (!P->z) return ckpt__kz_open_fail(path, ze, "a readable zip", err);
    ckpt__tio_zcache_init(&P->zc, P->z);
    zip_int64_t n = zip_get_num_entries(P->z, 0);
    if (n < 0 || n > KZ_MAX_MEMBERS) return ckpt_err_set(err, CKPT_E_FORMAT, "zip has %lld members", (long long)n);
    int others = 0, deflated = 0;
    for (zip_int64_t i = 0; i < n; i++) {
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(P->z, (zip_uint64_t)i, 0, &st) || !(st.valid & ZIP_STAT_NAME) || !(st.valid & ZIP_STAT_SIZE))
            return ckpt_err_set(err, CKPT_E_FORMAT, "corrupt zip: member %lld unreadable", (long long)i);
        if (!ckpt__ends_with(st.name, ".npy")) { others++; continue; }
        if ((st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method != ZIP_CM_STORE) deflated++;
        char *name = ckpt__strndup(st.name, strlen(st.name) - 4);
        if (!name) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        unsigned char pre[12];
        uint64_t total = 0;
        npy_hdr h;
        int rc = 0;
        unsigned char *b = NULL;
        if (st.size < 12) rc = ckpt_err_set(err, CKPT_E_FORMAT, "truncated .npy member (%llu bytes)", (unsigned long long)st.size);
        if (!rc) rc = ckpt__tio_zread(&P->zc, i, 0, pre, 12, err);
        if (!rc) rc = ckpt__npy_preamble(pre, 12, &total, err);
        if (!rc && total > st.size) rc = ckpt_err_set(err, CKPT_E_FORMAT, "truncated .npy header");
        if (!rc && !(b = malloc((size_t)total))) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        if (!rc) rc = ckpt__tio_zread(&P->zc, i, 0, b, (size_t)total, err);
        if (!rc) rc = ckpt__npy_parse(b, (size_t)total, &h, err);
        free(b);
        if (!rc) rc = add(m, P, name, i, &h, st.size, err);
        if (rc) ckpt_err_at_tensor(err, name);
        free(name);
        if (rc) return rc;
    }
    char v[64];
    snprintf(v, sizeof v, "%s", deflated ? "compressed (np.savez_compressed)" : "stored (np.savez)");
    if (P->nt && ckpt__model_set_fact(m, "members", v, err)) return err->code;
    if (others) {
        snprintf(v, sizeof v, "%d", others);
        if (ckpt__model_set_fact(m, "non_array_members", v, err)) return err->code;
    }
    if (!P->nt) return ckpt_err_set(err, CKPT_E_FORMAT, "no .npy arrays in the archive");
    return 0;
}

static int npz_open(ckpt_model *m, const char *path, ckpt_err *err)
{
    npz_priv *P = calloc(1, sizeof *P);
    if (!P) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    m->priv = P;
    if (ckpt_src_open(path, &P->src, err)) return err->code;
    if (ckpt__model_add_file(m, path, P->src->size, err) < 0) return err->code;
    unsigned char head[6] = {0};
    if (P->src->size >= 6 && ckpt_src_pread(P->src, head, 6, 0, err)) return err->code;
    if (!memcmp(head, "\x93NUMPY", 6)) return open_npy(m, P, path, err);
    return open_npz(m, P, path, err);
}

static int npz_read(ckpt_model *m, int t, uint64_t off, void *buf, size_t n, ckpt_err *err)
{
    npz_priv *P = m->priv;
    const ntensor *nt = &P->t[m->tpriv[t].u];
    rctx c = {P, nt, nt->data_off};
    return ckpt__tio_view_read(&nt->v, raw_read, &c, &P->win, nt, off, buf, n, err);
}

static void npz_close(ckpt_model *m)
{
    npz_priv *P = m->priv;
    if (!P) return;
    ckpt__tio_zcache_free(&P->zc);
    ckpt__tio_window_free(&P->win);
    if (P->z) zip_discard(P->z);
    ckpt_src_close(P->src);
    free(P->t);
    free(P);
    m->priv = NULL;
}

static const ckpt_magic npz_magics[] = {CKPT_MAGIC("PK\x03\x04"), CKPT_MAGIC("\x93NUMPY"), {NULL, 0}};

const ckpt_format ckpt_fmt_npz = {
    .name = "npz",
    .desc = "NumPy .npz archive or .npy array (writes np.savez; --compress as np.savez_compressed)",
    .exts = ".npz .npy",
    .dir_file = "model.npz",
    .flags = CKPT_FMT_READ | CKPT_FMT_WRITE,
    .probe = probe,
    .magics = npz_magics,
    .open = npz_open,
    .read = npz_read,
    .close = npz_close,
    .write_begin = ckpt__npz_write_begin,   /* npz_write.c */
    .write = ckpt__npz_write,
    .write_end = ckpt__npz_write_end,
    .write_abort = ckpt__npz_write_abort,
    .opts = "compress!",
    .hub_files = "*.npz=30",
    .remote_ranges = "*.npz *.npy",
    .companions = "",
};
