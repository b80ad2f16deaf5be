/* src/tensor_io.c: strided gathers, byte swapping and zip member reads. */
#include "tensor_io.h"

#include <stdlib.h>
#include <string.h>

#include "formats/keras_zip.h"

#define WINDOW_MAX (16u << 20)
#define SKIP_BUF (1u << 20)

/* ---- zip members ---- */

void ckpt__tio_zcache_init(tio_zcache *c, zip_t *z)
{
    memset(c, 0, sizeof *c);
    c->z = z;
    c->idx = -1;
}

static void zc_close(tio_zcache *c)
{
    if (c->f) zip_fclose(c->f);
    c->f = NULL;
    c->idx = -1;
    c->pos = 0;
}

void ckpt__tio_zcache_free(tio_zcache *c)
{
    zc_close(c);
    free(c->skip);
    c->skip = NULL;
}

static int zc_open(tio_zcache *c, zip_int64_t idx, ckpt_err *err)
{
    zc_close(c);
    c->f = zip_fopen_index(c->z, (zip_uint64_t)idx, 0);
    if (!c->f) {
        const char *why = ckpt__kz_fopen_why(c->z);
        const char *nm = zip_get_name(c->z, (zip_uint64_t)idx, 0);
        return ckpt_err_set(err, CKPT_E_FORMAT, "cannot open zip member '%s': %s", nm ? nm : "?", why);
    }
    zip_stat_t st;
    zip_stat_init(&st);
    c->seekable = zip_stat_index(c->z, (zip_uint64_t)idx, 0, &st) == 0 && (st.valid & ZIP_STAT_COMP_METHOD) &&
                  st.comp_method == ZIP_CM_STORE && (!(st.valid & ZIP_STAT_ENCRYPTION_METHOD) ||
                                                     st.encryption_method == ZIP_EM_NONE);
    c->size = (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
    c->idx = idx;
    c->pos = 0;
    return 0;
}

static int zc_fail(tio_zcache *c, const char *what, ckpt_err *err)
{
    const char *nm = zip_get_name(c->z, (zip_uint64_t)c->idx, 0);
    const char *why = c->f ? zip_file_strerror(c->f) : NULL;
    ckpt_err_set(err, CKPT_E_FORMAT, "zip member '%s': %s%s%s", nm ? nm : "?", what, why ? ": " : "",
                 why ? why : "");
    zc_close(c);
    return CKPT_E_FORMAT;
}

static int zc_read_exact(tio_zcache *c, void *buf, size_t n, ckpt_err *err)
{
    unsigned char *p = buf;
    while (n) {
        zip_int64_t r = zip_fread(c->f, p, n);
        if (r < 0) return zc_fail(c, "read error", err);
        if (r == 0) return zc_fail(c, "truncated", err);
        p += r;
        n -= (size_t)r;
        c->pos += (uint64_t)r;
    }
    return 0;
}

int ckpt__tio_zread(tio_zcache *c, zip_int64_t idx, uint64_t off, void *buf, size_t n, ckpt_err *err)
{
    if (c->idx != idx || !c->f)
        if (zc_open(c, idx, err)) return CKPT_E_FORMAT;
    /* Short hops forward (an .npy header) are read, not seeked: libzip checks
     * a member's CRC at its end only when every byte went through in order. */
    if (c->pos != off && c->seekable && !(off > c->pos && off - c->pos <= SKIP_BUF)) {
        if (off > (uint64_t)INT64_MAX || zip_fseek(c->f, (zip_int64_t)off, SEEK_SET) < 0)
            c->seekable = 0;   /* fall back to streaming */
        else
            c->pos = off;
    }
    if (off < c->pos) {
        /* compressed and going backwards: restart from the member's start */
        if (zc_open(c, idx, err)) return CKPT_E_FORMAT;
        c->seekable = 0;
    }
    while (c->pos < off) {
        if (!c->skip && !(c->skip = malloc(SKIP_BUF))) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        uint64_t k = off - c->pos;
        if (k > SKIP_BUF) k = SKIP_BUF;
        if (zc_read_exact(c, c->skip, (size_t)k, err)) return CKPT_E_FORMAT;
    }
    if (zc_read_exact(c, buf, n, err)) return CKPT_E_FORMAT;
    if (c->size && c->pos == c->size) {
        /* at the member's end: one more read lets libzip compare the CRC
         * (and size) with the directory's, so a damaged member is an error,
         * not silently wrong numbers */
        unsigned char b;
        zip_int64_t r = zip_fread(c->f, &b, 1);
        if (r < 0) return zc_fail(c, "damaged", err);
        if (r > 0) return zc_fail(c, "inflates past its declared size (damaged or hostile)", err);
    }
    return 0;
}

/* ---- views ---- */

void ckpt__tio_window_free(tio_window *w)
{
    free(w->buf);
    memset(w, 0, sizeof *w);
}

void ckpt__tio_swap(void *buf, size_t nelems, size_t esz)
{
    unsigned char *p = buf;
    if (esz < 2) return;
    for (size_t i = 0; i < nelems; i++, p += esz)
        for (size_t a = 0, b = esz - 1; a < b; a++, b--) {
            unsigned char t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

int ckpt__tio_view_contiguous(const tio_view *v)
{
    int64_t want = 1;
    for (int d = v->ndim - 1; d >= 0; d--) {
        if (v->shape[d] == 0) return 1;
        if (v->shape[d] != 1 && v->stride[d] != want) return 0;
        want *= v->shape[d];
    }
    return 1;
}

int ckpt__tio_view_check(const tio_view *v, ckpt_err *err)
{
    uint64_t last = v->base;
    for (int d = 0; d < v->ndim; d++) {
        if (v->shape[d] < 0 || v->stride[d] < 0)
            return ckpt_err_set(err, CKPT_E_FORMAT, "negative size or stride");
        if (v->shape[d] == 0) return 0;   /* empty: nothing is read */
        uint64_t span;
        if (ckpt__mul_u64((uint64_t)(v->shape[d] - 1), (uint64_t)v->stride[d], &span) ||
            ckpt__add_u64(last, span, &last))
            return ckpt_err_set(err, CKPT_E_FORMAT, "size and stride overflow");
    }
    uint64_t need;
    if (ckpt__add_u64(last, 1, &need) || ckpt__mul_u64(need, v->esz, &need))
        return ckpt_err_set(err, CKPT_E_FORMAT, "size and stride overflow");
    if (need > v->storage_bytes)
        return ckpt_err_set(err, CKPT_E_FORMAT, "tensor needs %llu bytes of its storage, which has %llu",
                            (unsigned long long)need, (unsigned long long)v->storage_bytes);
    return 0;
}

/* Make the window hold [lo, lo+len) of the storage. */
static int window_load(tio_window *w, const void *key, tio_read_fn rf, void *ctx, uint64_t lo, uint64_t len,
                       ckpt_err *err)
{
    if (w->key == key && w->lo <= lo && lo + len <= w->lo + w->len) return 0;
    if (w->cap < len) {
        unsigned char *nb = realloc(w->buf, (size_t)len);
        if (!nb) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        w->buf = nb;
        w->cap = (size_t)len;
    }
    w->key = NULL;
    if (rf(ctx, lo, w->buf, (size_t)len, err)) return err && err->code ? err->code : CKPT_E_IO;
    w->key = key;
    w->lo = lo;
    w->len = len;
    return 0;
}

static void unravel(const tio_view *v, uint64_t e, int64_t *idx)
{
    for (int d = v->ndim - 1; d >= 0; d--) {
        idx[d] = (int64_t)(e % (uint64_t)v->shape[d]);
        e /= (uint64_t)v->shape[d];
    }
}

static void step(const tio_view *v, int64_t *idx)
{
    for (int d = v->ndim - 1; d >= 0; d--) {
        if (++idx[d] < v->shape[d]) return;
        idx[d] = 0;
    }
}

static uint64_t src_of(const tio_view *v, const int64_t *idx)
{
    uint64_t s = v->base;
    for (int d = 0; d < v->ndim; d++) s += (uint64_t)idx[d] * (uint64_t)v->stride[d];
    return s;
}

/* Copy the elements of [off, end) whose source lies in the window. */
static void gather_pass(const tio_view *v, const tio_window *w, uint64_t off, uint64_t end, unsigned char *out)
{
    size_t esz = v->esz;
    int64_t idx[CKPT_MAX_DIMS] = {0};
    uint64_t e = off / esz;
    unravel(v, e, idx);
    unsigned char tmp[16];
    for (; e * esz < end; e++, step(v, idx)) {
        uint64_t at = src_of(v, idx) * esz;
        if (at < w->lo || at + esz > w->lo + w->len) continue;
        memcpy(tmp, w->buf + (at - w->lo), esz);
        if (v->swap) ckpt__tio_swap(tmp, 1, esz);
        uint64_t a = e * esz, b = a + esz;
        uint64_t lo = a < off ? off : a, hi = b > end ? end : b;
        memcpy(out + (lo - off), tmp + (lo - a), (size_t)(hi - lo));
    }
}

int ckpt__tio_view_read(const tio_view *v, tio_read_fn rf, void *ctx, tio_window *w, const void *key,
                  uint64_t off, void *buf, size_t n, ckpt_err *err)
{
    size_t esz = v->esz;
    if (!n) return 0;
    if (!v->swap && ckpt__tio_view_contiguous(v)) return rf(ctx, v->base * esz + off, buf, n, err);
    uint64_t end = off + n;
    /* the source span this request touches */
    int64_t idx[CKPT_MAX_DIMS] = {0};
    uint64_t e = off / esz, smin = UINT64_MAX, smax = 0;
    unravel(v, e, idx);
    for (; e * esz < end; e++, step(v, idx)) {
        uint64_t s = src_of(v, idx);
        if (s < smin) smin = s;
        if (s > smax) smax = s;
    }
    uint64_t lo = smin * esz, hi = (smax + 1) * esz;
    if (hi > v->storage_bytes) return ckpt_err_set(err, CKPT_E_FORMAT, "element past the end of its storage");
    if (hi - lo <= WINDOW_MAX) {
        /* one window; a small storage is cached whole for the next chunks */
        uint64_t wl = lo, wn = hi - lo;
        if (v->storage_bytes <= WINDOW_MAX) { wl = 0; wn = v->storage_bytes; }
        if (window_load(w, key, rf, ctx, wl, wn, err)) return err ? err->code : CKPT_E_IO;
        gather_pass(v, w, off, end, buf);
        return 0;
    }
    /* a wide view: sweep the span window by window, forwards (a deflated
     * zip member is then decompressed once per request, not per element) */
    for (uint64_t wl = lo; wl < hi; wl += WINDOW_MAX) {
        uint64_t wn = hi - wl < WINDOW_MAX ? hi - wl : WINDOW_MAX;
        if (window_load(w, key, rf, ctx, wl, wn, err)) return err ? err->code : CKPT_E_IO;
        gather_pass(v, w, off, end, buf);
    }
    return 0;
}
