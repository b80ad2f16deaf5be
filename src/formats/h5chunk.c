/* src/formats/h5chunk.c: chunked HDF5 datasets read by ckpt itself (see
 * h5chunk.h): the plan from the creation properties, the chunk index walk,
 * and range reads that decode only the chunks they touch. */
#include "formats/h5chunk.h"
#include "formats/h5util.h"

#include <stdlib.h>
#include <string.h>

#define CK_MAX_BYTES (64u << 20)   /* a bigger chunk is left to libhdf5 */
#define CK_MAX_CHUNKS (1u << 20)   /* so is a chunk table over 16 MiB */

/* the filters of dcpl into p; -1 when one is not ours */
static int read_pipe(hid_t dcpl, size_t esize, ckpt_h5pipe *p)
{
    int n = H5Pget_nfilters(dcpl);
    if (n < 0 || n > CKPT_H5F_MAX) return -1;
    p->n = n;
    for (int i = 0; i < n; i++) {
        unsigned flags, cd[8], conf;
        size_t ncd = 8;
        char name[64];
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, sizeof name, name, &conf);
        if (id < 0 || !ckpt__h5f_known((int)id)) return -1;
        p->id[i] = (int)id;
        /* shuffle records the element size it shuffled by (its set_local) */
        p->esize[i] = id == CKPT_H5F_SHUFFLE && ncd >= 1 && cd[0] > 0 ? cd[0] : (unsigned)esize;
    }
    return 0;
}

ckpt_h5ck *ckpt__h5ck_plan(hid_t dset, int ndim, const int64_t *shape, size_t esize)
{
    if (ndim < 1 || ndim > CKPT_MAX_DIMS || !esize) return NULL;
    hid_t dcpl = H5Dget_create_plist(dset);
    if (dcpl < 0) { H5Eclear2(H5E_DEFAULT); return NULL; }
    ckpt_h5ck *c = NULL;
    hsize_t cd[H5S_MAX_RANK];
    if (H5Pget_layout(dcpl) != H5D_CHUNKED || H5Pget_chunk(dcpl, H5S_MAX_RANK, cd) != ndim) goto out;
    c = calloc(1, sizeof *c);
    if (!c || read_pipe(dcpl, esize, &c->pipe)) goto no;
    c->ndim = ndim;
    c->esize = esize;
    uint64_t cb = esize, nch = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] <= 0 || cd[d] == 0) goto no;   /* nothing stored, or nonsense */
        c->shape[d] = (uint64_t)shape[d];
        c->cdim[d] = cd[d];
        c->ngrid[d] = (c->shape[d] + cd[d] - 1) / cd[d];
        if (ckpt__mul_u64(cb, cd[d], &cb) || cb > CK_MAX_BYTES) goto no;
        if (ckpt__mul_u64(nch, c->ngrid[d], &nch) || nch > CK_MAX_CHUNKS) goto no;
    }
    c->cbytes = (size_t)cb;
    c->nchunks = nch;
    goto out;
no:
    free(c);
    c = NULL;
out:
    H5Pclose(dcpl);
    H5Eclear2(H5E_DEFAULT);
    return c;
}

void ckpt__h5ck_free(ckpt_h5ck *c)
{
    if (!c) return;
    free(c->ent);
    free(c);
}

void ckpt__h5ck_cache_free(ckpt_h5ck_cache *k)
{
    if (!k) return;
    free(k->a);
    free(k->b);
    memset(k, 0, sizeof *k);
}

/* grid coordinates of chunk `lin` (C order) */
static void grid_of(const ckpt_h5ck *c, uint64_t lin, uint64_t *g)
{
    for (int d = c->ndim - 1; d >= 0; d--) {
        g[d] = lin % c->ngrid[d];
        lin /= c->ngrid[d];
    }
}

int ckpt__h5ck_index(ckpt_h5ck *c, hid_t dset, uint64_t fsize, int *fallback, ckpt_err *err)
{
    *fallback = 0;
    if (c->ent) return 0;
    ckpt_h5ck_ent *e = malloc((size_t)c->nchunks * sizeof *e);
    if (!e) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory (chunk table of %llu chunks)",
                                (unsigned long long)c->nchunks);
    for (uint64_t i = 0; i < c->nchunks; i++) {
        uint64_t g[CKPT_MAX_DIMS];
        hsize_t at[H5S_MAX_RANK];
        grid_of(c, i, g);
        for (int d = 0; d < c->ndim; d++) at[d] = (hsize_t)(g[d] * c->cdim[d]);
        unsigned mask = 0;
        haddr_t addr = HADDR_UNDEF;
        hsize_t size = 0;
        if (H5Dget_chunk_info_by_coord(dset, at, &mask, &addr, &size) < 0) {
            free(e);
            return ckpt_h5_fail(err, CKPT_E_FORMAT, NULL, NULL, "cannot read the chunk index (chunk %llu of %llu)",
                                (unsigned long long)i, (unsigned long long)c->nchunks);
        }
        if (addr == HADDR_UNDEF) {   /* never written: its fill value is libhdf5's business */
            free(e);
            *fallback = 1;
            return 0;
        }
        uint64_t end;
        if (size == 0 || size > UINT32_MAX || ckpt__add_u64(addr, size, &end) || end > fsize) {
            free(e);
            ckpt_err_set(err, CKPT_E_FORMAT, "chunk %llu of %llu (%llu bytes at byte %llu) lies outside the file's %llu bytes",
                         (unsigned long long)i, (unsigned long long)c->nchunks, (unsigned long long)size,
                         (unsigned long long)addr, (unsigned long long)fsize);
            ckpt_err_at_offset(err, c->shown_base + addr);
            return CKPT_E_FORMAT;
        }
        e[i] = (ckpt_h5ck_ent){addr, (uint32_t)size, mask};
    }
    c->ent = e;
    return 0;
}

/* Elements per step of each dimension, in the dataset (S) and a chunk (CS). */
static void strides(const ckpt_h5ck *c, uint64_t *S, uint64_t *CS)
{
    uint64_t s = 1, cs = 1;
    for (int d = c->ndim - 1; d >= 0; d--) {
        S[d] = s;
        CS[d] = cs;
        s *= c->shape[d];
        cs *= c->cdim[d];
    }
}

/* The bytes of chunk g that fall in the flat byte range [b0, b1): copied
 * from the decoded chunk `data` to out (out[0] is byte b0), or only counted
 * when data is NULL. Runs along the last dimension, in increasing order. */
static uint64_t chunk_copy(const ckpt_h5ck *c, const uint64_t *g, uint64_t b0, uint64_t b1,
                           const unsigned char *data, unsigned char *out)
{
    uint64_t S[CKPT_MAX_DIMS], CS[CKPT_MAX_DIMS], lo[CKPT_MAX_DIMS], hi[CKPT_MAX_DIMS], x[CKPT_MAX_DIMS];
    strides(c, S, CS);
    int nd = c->ndim;
    for (int d = 0; d < nd; d++) {
        lo[d] = g[d] * c->cdim[d];
        hi[d] = lo[d] + c->cdim[d] < c->shape[d] ? lo[d] + c->cdim[d] : c->shape[d];
        x[d] = lo[d];
    }
    uint64_t es = c->esize, run = (hi[nd - 1] - lo[nd - 1]) * es, total = 0;
    for (;;) {
        uint64_t f = lo[nd - 1], cin = 0;
        for (int d = 0; d < nd - 1; d++) {
            f += x[d] * S[d];
            cin += (x[d] - lo[d]) * CS[d];
        }
        uint64_t fb = f * es;
        if (fb >= b1) break;
        uint64_t s = fb > b0 ? fb : b0, e = fb + run < b1 ? fb + run : b1;
        if (s < e) {
            if (data) memcpy(out + (s - b0), data + cin * es + (s - fb), (size_t)(e - s));
            total += e - s;
        }
        int d = nd - 2;   /* next run: odometer over all but the last dimension */
        while (d >= 0 && ++x[d] == hi[d]) x[d] = lo[d], d--;
        if (d < 0) break;
    }
    return total;
}

/* Chunk `lin` decoded into the cache. */
static int decode(const ckpt_h5ck *c, ckpt_h5ck_cache *k, uint64_t lin, ckpt_h5ck_pread rd, void *ctx,
                  ckpt_err *err)
{
    if (k->owner == c && k->chunk == lin && k->data) return 0;
    const ckpt_h5ck_ent *e = &c->ent[lin];
    size_t cap = c->cbytes + c->cbytes / 8 + 1024;   /* room for a stored chunk deflate made no smaller */
    if (cap > k->cap) {
        unsigned char *a = realloc(k->a, cap), *b = a ? realloc(k->b, cap) : NULL;
        if (a) k->a = a;
        if (b) k->b = b;
        if (!a || !b) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory (a chunk of %zu bytes)", c->cbytes);
        k->cap = cap;
    }
    k->owner = NULL;
    int rc;
    if (e->size > cap) {
        rc = ckpt_err_set(err, CKPT_E_FORMAT, "chunk %llu is stored in %u bytes, more than its %zu decoded bytes can take",
                          (unsigned long long)lin, e->size, c->cbytes);
    } else if (!(rc = rd(ctx, k->a, e->size, e->addr, err))) {
        rc = ckpt__h5f_decode(&c->pipe, e->mask, k->a, e->size, k->b, cap, c->cbytes, &k->data, err);
    }
    if (rc) {
        ckpt_err_at_offset(err, c->shown_base + e->addr);
        return rc;
    }
    k->owner = c;
    k->chunk = lin;
    return 0;
}

int ckpt__h5ck_read(const ckpt_h5ck *c, ckpt_h5ck_cache *k, ckpt_h5ck_pread rd, void *ctx, uint64_t off,
                    void *buf, size_t n, ckpt_err *err)
{
    if (!c->ent) return ckpt_err_set(err, CKPT_E_USAGE, "internal: chunk index not read");
    uint64_t S[CKPT_MAX_DIMS], CS[CKPT_MAX_DIMS], b1 = off + n;
    strides(c, S, CS);
    uint64_t row = S[0] * c->esize;   /* bytes of one step along dimension 0 */
    if (n == 0) return 0;
    if (b1 < off || b1 > row * c->shape[0]) return ckpt_err_set(err, CKPT_E_USAGE, "read past the end of the tensor");
    /* the chunks of the rows touched along dimension 0, every chunk of the other dimensions */
    uint64_t g[CKPT_MAX_DIMS] = {0}, g0 = off / row / c->cdim[0], g1 = (b1 - 1) / row / c->cdim[0], done = 0;
    g[0] = g0;
    for (;;) {
        if (chunk_copy(c, g, off, b1, NULL, NULL)) {
            uint64_t lin = 0;
            for (int d = 0; d < c->ndim; d++) lin = lin * c->ngrid[d] + g[d];
            int rc = decode(c, k, lin, rd, ctx, err);
            if (rc) return rc;
            done += chunk_copy(c, g, off, b1, k->data, buf);
        }
        int d = c->ndim - 1;
        while (d > 0 && ++g[d] == c->ngrid[d]) g[d] = 0, d--;
        if (d == 0 && ++g[0] > g1) break;
    }
    if (done != n) return ckpt_err_set(err, CKPT_E_FORMAT, "internal: chunks cover %llu of %zu bytes",
                                       (unsigned long long)done, n);
    return 0;
}
