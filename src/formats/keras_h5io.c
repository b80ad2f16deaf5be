/* src/keras_h5io.c: HDF5-backed tensors shared by the Keras readers (legacy
 * h5, Keras 3 weights.h5 / .keras / sharded): open files, add datasets as
 * tensors, read byte ranges, build the layer tree from the config, facts,
 * and the config-vs-weights check. */
#include "h5util.h"
#include "keras.h"
#include "formats/h5chunk.h"
#include "formats/h5vfd.h"
#include "formats/zip_crc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

kx_state *ckpt__kx_new(void)
{
    kx_state *st = calloc(1, sizeof *st);
    if (st) st->ublock_of = st->linkmemo_h5 = -1;
    return st;
}

void ckpt__kx_free(kx_state *st)
{
    if (!st) return;
    for (int i = 0; i < st->nt; i++) {
        if (st->t[i].dset >= 0) H5Dclose(st->t[i].dset);
        if (st->t[i].mt >= 0) H5Tclose(st->t[i].mt);
        free(st->t[i].dpath);
        free(st->t[i].group);
        ckpt__h5ck_free(st->t[i].ck);
    }
    free(st->linkmemo);
    ckpt__h5ck_cache_free(st->ckc);
    free(st->ckc);
    free(st->t);
    free(st->ord);
    for (int i = 0; i < st->nh5; i++) {
        if (st->h5[i] >= 0) H5Fclose(st->h5[i]);
        if (st->fd[i] >= 0) close(st->fd[i]);
        if (st->src) ckpt_src_close(st->src[i]);
        free(st->h5path[i]);
    }
    free(st->src);
    free(st->base);
    free(st->h5);
    free(st->fd);
    free(st->h5path);
    if (st->have_km) ckpt__kc_free(&st->km);
    ckpt__zcrc_free(st->crc);
    free(st);
}

/* One more file slot; -1 when out of memory. */
static int slot(kx_state *st, int fd, const char *shown)
{
    int n = st->nh5;
    hid_t *nh = realloc(st->h5, (size_t)(n + 1) * sizeof *nh);
    if (nh) st->h5 = nh;
    int *nf = realloc(st->fd, (size_t)(n + 1) * sizeof *nf);
    if (nf) st->fd = nf;
    char **np = realloc(st->h5path, (size_t)(n + 1) * sizeof *np);
    if (np) st->h5path = np;
    ckpt_src **ns = realloc(st->src, (size_t)(n + 1) * sizeof *ns);
    if (ns) st->src = ns;
    uint64_t *nb = realloc(st->base, (size_t)(n + 1) * sizeof *nb);
    if (nb) st->base = nb;
    if (!nh || !nf || !np || !ns || !nb) return -1;
    st->h5[n] = -1;
    st->fd[n] = fd;
    st->src[n] = NULL;
    st->base[n] = 0;
    st->h5path[n] = ckpt__strdup(shown);
    st->nh5 = n + 1;
    return n;
}

int ckpt__kx_open_h5_src(kx_state *st, ckpt_src *src, uint64_t base, uint64_t size,
                   const char *shown, ckpt_err *err)
{
    ckpt_h5_init();
    int n = slot(st, -1, shown);
    if (n < 0) {
        ckpt_src_close(src);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    st->src[n] = src;
    st->base[n] = base;
    unsigned char sig[8];
    if (size < 8 || ckpt_src_pread(src, sig, 8, base, err) || memcmp(sig, "\x89HDF\r\n\x1a\n", 8)) {
        if (!err->code) ckpt_err_set(err, CKPT_E_FORMAT, "not an HDF5 file (no signature at byte %llu)", (unsigned long long)base);
        ckpt_err_at_path(err, shown);
        goto fail;
    }
    hid_t fapl = ckpt__h5vfd_fapl(src, base, size, err);
    if (fapl < 0) goto fail;
    hid_t f = H5Fopen(shown, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (f < 0) {
        /* the byte source's own error (network, range) says more than libhdf5's */
        if (!ckpt__h5vfd_take_error(err)) ckpt_h5_fail(err, CKPT_E_FORMAT, shown, NULL, "cannot open HDF5 file");
        H5Eclear2(H5E_DEFAULT);
        ckpt_err_at_path(err, shown);
        goto fail;
    }
    st->h5[n] = f;
    return 0;
fail:
    return err->code ? (int)err->code : CKPT_E_FORMAT;
}

uint64_t ckpt__kx_size(const kx_state *st, int h5, const char *path)
{
    if (h5 >= 0 && h5 < st->nh5 && st->src[h5]) return st->src[h5]->size;
    struct stat sb;
    return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : UINT64_MAX;
}

int ckpt__kx_open_h5(kx_state *st, const char *path, const char *shown, int fd, ckpt_err *err)
{
    if (ckpt_path_is_remote(path) && fd < 0) {
        ckpt_src *s;
        if (ckpt_src_open(path, &s, err)) return err->code;
        return ckpt__kx_open_h5_src(st, s, 0, s->size, shown ? shown : path, err);
    }
    ckpt_h5_init();
    int n = slot(st, fd, shown ? shown : path);
    if (n < 0) {
        if (fd >= 0) close(fd);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    {
        int tfd = fd >= 0 ? fd : open(path, O_RDONLY | O_CLOEXEC);
        uint64_t have = 0, need = 0;
        int cut = ckpt_h5_truncated(tfd, &have, &need);
        if (tfd >= 0 && tfd != fd) close(tfd);
        if (cut) {
            if (need)
                ckpt_err_set(err, CKPT_E_FORMAT, "truncated HDF5 file: %llu of the %llu bytes its superblock "
                             "records (incomplete download?)", (unsigned long long)have, (unsigned long long)need);
            else
                ckpt_err_set(err, CKPT_E_FORMAT, "truncated HDF5 file: %llu bytes, shorter than its superblock",
                             (unsigned long long)have);
            ckpt_err_at_path(err, shown ? shown : path);
            return CKPT_E_FORMAT;
        }
    }
#if H5_VERSION_GE(1, 12, 0)
    htri_t ok = H5Fis_accessible(path, H5P_DEFAULT);
#else
    htri_t ok = H5Fis_hdf5(path);
#endif
    if (ok <= 0) {
        H5Eclear2(H5E_DEFAULT);
        ckpt_err_set(err, CKPT_E_FORMAT, "not an HDF5 file (or truncated: no valid superblock)");
        ckpt_err_at_path(err, shown ? shown : path);
        return CKPT_E_FORMAT;
    }
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* read-only inputs on read-only mounts: no advisory locks */
    H5Pset_file_locking(fapl, 0, 1);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (f < 0) {
        /* read the stack before any other API call clears it */
        ckpt_h5_fail(err, CKPT_E_FORMAT, shown ? shown : path, NULL, "cannot open HDF5 file");
        H5Pclose(fapl);
        return CKPT_E_FORMAT;
    }
    H5Pclose(fapl);
    st->h5[n] = f;
    if (st->fd[n] < 0) {
        st->fd[n] = open(path, O_RDONLY | O_CLOEXEC);
    }
    return 0;
}

/* The user block of file h5: HDF5 addresses start after it. */
static uint64_t ublock(kx_state *st, int h5)
{
    if (st->ublock_of != h5) {
        hid_t fcpl = H5Fget_create_plist(st->h5[h5]);
        hsize_t ub = 0;
        if (fcpl >= 0) { H5Pget_userblock(fcpl, &ub); H5Pclose(fcpl); }
        st->ublock = (uint64_t)ub;
        st->ublock_of = h5;
    }
    return st->ublock;
}

static int map_shape(hid_t dset, int *ndim, int64_t *shape, const char *file, const char *dpath,
                     ckpt_err *err)
{
    hid_t sp = H5Dget_space(dset);
    if (sp < 0) return ckpt_h5_fail(err, CKPT_E_FORMAT, file, dpath, "cannot read dataspace");
    int nd = H5Sget_simple_extent_ndims(sp);
    H5S_class_t cls = H5Sget_simple_extent_type(sp);
    if (nd < 0 || nd > CKPT_MAX_DIMS || cls == H5S_NULL) {
        H5Sclose(sp);
        ckpt_err_set(err, CKPT_E_UNSUPPORTED, "dataset has %d dimensions (at most %d supported)", nd, CKPT_MAX_DIMS);
        ckpt_err_at_path(err, file);
        ckpt_err_at_tensor(err, dpath);
        return CKPT_E_UNSUPPORTED;
    }
    hsize_t d[H5S_MAX_RANK];
    H5Sget_simple_extent_dims(sp, d, NULL);
    H5Sclose(sp);
    for (int i = 0; i < nd; i++) shape[i] = (int64_t)d[i];
    *ndim = nd;
    return 0;
}

int ckpt__kx_add(ckpt_model *m, kx_state *st, int h5, const char *dpath, const char *name,
           unsigned tflags, int layer, int widx, const char *group, int file, int expose_offset,
           ckpt_err *err)
{
    const char *fname = st->h5path[h5];
    int ext = 0;
    /* links first: opening one would already reach into the other file */
    if (st->linkmemo_h5 != h5) {
        free(st->linkmemo);
        st->linkmemo = NULL;
        st->linkmemo_h5 = h5;
    }
    if (ckpt_h5_check_outside_memo(st->h5[h5], -1, dpath, fname, &ext, &st->linkmemo, err)) return -1;
    hid_t d = H5Dopen2(st->h5[h5], dpath, H5P_DEFAULT);
    if (d < 0) return ckpt_h5_fail(err, CKPT_E_FORMAT, fname, dpath, "cannot open dataset"), -1;
    if (ckpt_h5_check_storage(d, dpath, fname, &ext, err)) { H5Dclose(d); return -1; }
    hid_t mt;
    int direct;
    ckpt_dtype dt = ckpt_h5_dtype(d, &mt, &direct);
    if (dt == CKPT_DT_INVALID) {
        H5Dclose(d);
        ckpt_err_set(err, CKPT_E_UNSUPPORTED, "dataset type not supported (only integer, float, bool and Keras bfloat16)");
        ckpt_err_at_path(err, fname);
        ckpt_err_at_tensor(err, dpath);
        return -1;
    }
    int ndim = 0;
    int64_t shape[CKPT_MAX_DIMS] = {0};
    if (map_shape(d, &ndim, shape, fname, dpath, err)) { H5Dclose(d); H5Tclose(mt); return -1; }
    uint64_t nbytes = ckpt_dtype_size(dt);
    for (int i = 0; i < ndim; i++)
        if (ckpt__mul_u64(nbytes, (uint64_t)shape[i], &nbytes)) { nbytes = UINT64_MAX; break; }
    /* bytes elsewhere (allowed external data) are read through libhdf5 only */
    uint64_t foff = direct && !ext && (st->fd[h5] >= 0 || st->src[h5]) ? ckpt_h5_contig_offset(d, nbytes) : CKPT_NO_OFFSET;
    /* H5Dget_offset is relative to the HDF5 base address (after a user block) */
    if (foff != CKPT_NO_OFFSET) foff += ublock(st, h5);
    H5Dclose(d);
    H5Tclose(mt);
    char *src = ckpt__asprintf("/%s", dpath[0] == '/' ? dpath + 1 : dpath);
    if (!src) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1;
    int ti = ckpt__model_add_tensor(m, name, src, dt, ndim, shape, file,
                                    expose_offset ? foff : CKPT_NO_OFFSET, err);
    free(src);
    if (ti < 0) { ckpt_err_at_tensor(err, name); return -1; }
    m->tensors[ti].flags |= tflags;
    if (st->nt >= st->capt) {
        int nc = st->capt ? st->capt * 2 : 64;
        kx_t *nt = realloc(st->t, (size_t)nc * sizeof *nt);
        if (!nt) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1;
        st->t = nt;
        st->capt = nc;
    }
    if (ti != st->nt) return ckpt_err_set(err, CKPT_E_FORMAT, "internal: tensor tables out of step"), -1;
    kx_t *x = &st->t[st->nt++];
    memset(x, 0, sizeof *x);
    x->h5 = h5;
    x->dpath = ckpt__strdup(dpath);
    x->dset = x->mt = -1;
    x->foff = foff;
    x->ck_state = ext ? 2 : 0;   /* data in another file: its addresses are not this file's */
    x->layer = layer;
    x->widx = widx;
    x->group = ckpt__strdup(group);
    if (!x->dpath || (group && !x->group)) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1;
    return ti;
}

int ckpt__kx_raw_span(ckpt_model *m, int t, int *fd, uint64_t *off)
{
    kx_state *st = m->priv;
    if (!st || t < 0 || t >= st->nt || st->t[t].foff == CKPT_NO_OFFSET) return 0;
    int h5 = st->t[t].h5;
    /* a .keras member read in place: the zip's own descriptor, from the member's base */
    const ckpt_src *s = st->src[h5];
    *fd = s ? s->fd : st->fd[h5];
    *off = st->t[t].foff + (s ? st->base[h5] : 0);
    return *fd >= 0;
}

void ckpt__kx_stream_begin(ckpt_model *m)
{
    kx_state *st = m->priv;
    if (st) ckpt__zcrc_stream(st->crc, 1);
}

void ckpt__kx_raw_seen(ckpt_model *m, int fd, uint64_t off, const void *buf, size_t n)
{
    kx_state *st = m->priv;
    if (st) ckpt__zcrc_feed(st->crc, fd, off, buf, n);
}

int ckpt__kx_stream_end(ckpt_model *m, int finish, ckpt_err *err)
{
    kx_state *st = m->priv;
    if (!st || !st->crc) return 0;
    ckpt__zcrc_stream(st->crc, 0);
    return finish ? ckpt__zcrc_finish(st->crc, err) : 0;
}

/* n bytes at absolute offset `at` of file h5 (after any zip member base). */
static int kx_pread(kx_state *st, int h5, void *buf, size_t n, uint64_t at, ckpt_err *err)
{
    if (st->src[h5]) {
        int rc = ckpt_src_pread(st->src[h5], buf, n, st->base[h5] + at, err);
        /* a .keras member read in place: its CRC over what passes by */
        if (!rc) ckpt__zcrc_feed(st->crc, st->src[h5]->fd, st->base[h5] + at, buf, n);
        return rc;
    }
    if (!ckpt__pread_full(st->fd[h5], buf, n, at)) return 0;
    int e = errno;
    if (e == 0) ckpt_err_set(err, CKPT_E_FORMAT, "file is truncated: dataset bytes end past the end of the file");
    else ckpt_err_sys(err, CKPT_E_IO, e, "read failed");
    ckpt_err_at_offset(err, at);
    return err ? (int)err->code : CKPT_E_IO;
}

typedef struct { kx_state *st; int h5; uint64_t ub; } kx_rd;

static int chunk_pread(void *ctx, void *buf, size_t n, uint64_t at, ckpt_err *err)
{
    kx_rd *r = ctx;
    return kx_pread(r->st, r->h5, buf, n, r->ub + at, err);
}

static int kx_open_dset(kx_state *st, kx_t *x, int *direct, ckpt_err *err)
{
    *direct = 0;
    if (x->dset >= 0) return 0;
    x->dset = H5Dopen2(st->h5[x->h5], x->dpath, H5P_DEFAULT);
    if (x->dset < 0) return ckpt_h5_fail(err, CKPT_E_FORMAT, st->h5path[x->h5], x->dpath, "cannot open dataset");
    ckpt_h5_dtype(x->dset, &x->mt, direct);
    if (x->mt < 0) return ckpt_err_set(err, CKPT_E_FORMAT, "dataset type changed");
    return 0;
}

/* Decide who decodes tensor t (x->ck_state) and, when ckpt does, walk its
 * chunk index. The sandbox child runs exactly this first (ckpt__kx_fence). */
static int kx_ready(ckpt_model *m, kx_state *st, int t, ckpt_err *err)
{
    kx_t *x = &st->t[t];
    const ckpt_tensor *ct = &m->tensors[t];
    int direct, rc = kx_open_dset(st, x, &direct, err);
    if (rc || x->ck_state) return rc;
    x->ck_state = 2;
    x->ck = direct ? ckpt__h5ck_plan(x->dset, ct->ndim, ct->shape, ckpt_dtype_size(ct->dtype)) : NULL;
    if (!x->ck) return 0;
    x->ck->shown_base = ublock(st, x->h5);
    if (!st->ckc && !(st->ckc = calloc(1, sizeof *st->ckc))) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    hsize_t fsize = 0;
    if (H5Fget_filesize(st->h5[x->h5], &fsize) < 0) fsize = 0;
    int fallback = 0;
    rc = ckpt__h5ck_index(x->ck, x->dset, (uint64_t)fsize, &fallback, err);
    if (rc || fallback) {
        ckpt__h5ck_free(x->ck);
        x->ck = NULL;
        return rc;
    }
    x->ck_state = 1;
    return 0;
}

int ckpt__kx_read(ckpt_model *m, int t, uint64_t off, void *buf, size_t n, ckpt_err *err)
{
    kx_state *st = m->priv;
    if (!st || t < 0 || t >= st->nt) return ckpt_err_set(err, CKPT_E_USAGE, "bad tensor index");
    kx_t *x = &st->t[t];
    const ckpt_tensor *ct = &m->tensors[t];
    if (n == 0) return 0;
    /* outside a conversion's stream, no value before the member's CRC held;
     * not in the sandbox child (ckpt__sandbox_off), whose peeks at libhdf5's
     * decoding give no value to anyone: the parent checks */
    if (st->crc && !ckpt__sandbox_off && !ckpt__zcrc_streaming(st->crc) && ckpt__zcrc_finish(st->crc, err)) {
        ckpt_err_at_tensor(err, ct->name);
        return err->code;
    }
    int rc;
    if (x->foff != CKPT_NO_OFFSET) {
        /* contiguous, unfiltered, little-endian: plain pread */
        uint64_t at;
        if (ckpt__add_u64(x->foff, off, &at)) return ckpt_err_set(err, CKPT_E_FORMAT, "offset overflow");
        rc = kx_pread(st, x->h5, buf, n, at, err);
    } else if (!(rc = kx_ready(m, st, t, err)) && x->ck_state == 1) {
        /* chunked, filters we decode: pread and zlib, no libhdf5 */
        kx_rd r = {st, x->h5, ublock(st, x->h5)};
        rc = ckpt__h5ck_read(x->ck, st->ckc, chunk_pread, &r, off, buf, n, err);
    } else if (!rc) {
        rc = ckpt_h5_read_range(x->dset, x->mt, ct->ndim, ct->shape, ckpt_dtype_size(ct->dtype), off, buf, n, err);
    }
    if (rc) {
        ckpt_err_at_path(err, st->h5path[x->h5]);
        ckpt_err_at_tensor(err, ct->name);
    }
    return rc;
}

int ckpt__kx_fence(ckpt_model *m, ckpt_err *err)
{
    kx_state *st = m->priv;
    for (int t = 0; st && t < st->nt; t++) {
        if (st->t[t].foff != CKPT_NO_OFFSET || !m->tensors[t].nbytes) continue;
        int rc = kx_ready(m, st, t, err);
        if (!rc && st->t[t].ck_state != 1) rc = ckpt__sandbox_peek(m, t, err);
        if (rc) {
            ckpt_err_at_path(err, st->h5path[st->t[t].h5]);
            ckpt_err_at_tensor(err, m->tensors[t].name);
            return rc;
        }
    }
    return 0;
}

/* ---- tree and facts ---- */

static int layer_node(ckpt_model *m, kx_state *st, int li, int *map, ckpt_err *err)
{
    if (map[li] >= 0) return map[li];
    kc_layer *L = &st->km.L[li];
    int parent = L->parent >= 0 ? layer_node(m, st, L->parent, map, err) : 0;
    if (parent < 0) return -1;
    unsigned fl = CKPT_NF_LAYER;
    if (L->flags & KC_MODEL) fl |= CKPT_NF_MODEL;
    if (!(L->flags & KC_KNOWN)) fl |= CKPT_NF_UNKNOWN;
    /* the Keras 3 path when it differs from the config name */
    const char *alt = NULL;
    if (L->k3path) {
        const char *seg = strrchr(L->k3path, '/');
        seg = seg ? seg + 1 : L->k3path;
        if (strcmp(seg, L->name)) alt = L->k3path;
    }
    int n = ckpt__node_add(m, parent, L->name, L->cls, alt, fl, err);
    map[li] = n;
    return n;
}

static void set_fact_num(ckpt_model *m, const char *k, uint64_t v, ckpt_err *err)
{
    char b[32];
    snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    ckpt__model_set_fact(m, k, b, err);
}

int ckpt__kx_tree_config(ckpt_model *m, kx_state *st, ckpt_err *err)
{
    m->sep = '/';
    if (st->tree_config_done) return 0;
    st->tree_config_done = 1;
    if (!st->have_km || !st->km.n) return 0;
    int *map = malloc((size_t)st->km.n * sizeof *map);
    if (!map) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    for (int i = 0; i < st->km.n; i++) map[i] = -1;
    for (int i = 0; i < st->km.n; i++)
        if (layer_node(m, st, i, map, err) < 0) { free(map); return err->code ? err->code : CKPT_E_NOMEM; }
    free(map);
    return 0;
}

int ckpt__kx_finish(ckpt_model *m, kx_state *st, ckpt_err *err)
{
    int *map = NULL;
    if (ckpt__kx_tree_config(m, st, err)) return err->code;
    for (int t = 0; t < m->ntensors; t++) {
        const char *name = m->tensors[t].name;
        int parent = 0;
        const char *p = name;
        for (;;) {
            const char *sl = strchr(p, '/');
            if (!sl) break;
            char comp[512];
            size_t l = (size_t)(sl - p);
            if (l >= sizeof comp) l = sizeof comp - 1;
            memcpy(comp, p, l);
            comp[l] = 0;
            int c = ckpt__node_child(m, parent, comp);
            if (c < 0) {
                unsigned fl = 0;
                if (st->t[t].layer < 0 && parent == 0 && !(m->tensors[t].flags & CKPT_TF_OPTIMIZER))
                    fl = CKPT_NF_LAYER;
                const char *alt = NULL;
                if (st->keras3 && parent == 0 && st->t[t].group && strcmp(st->t[t].group, comp)) alt = st->t[t].group;
                c = ckpt__node_add(m, parent, comp, NULL, alt, fl, err);
                if (c < 0) { free(map); return err->code; }
            }
            parent = c;
            p = sl + 1;
        }
        if (ckpt__node_attach(m, parent, p, t, err) < 0) { free(map); return err->code; }
    }
    free(map);
    m->tree_built = m->nnodes > 0;   /* else the engine gives an empty model its root */

    /* facts */
    const char *kv = ckpt_model_meta_get(m, "keras_version");
    if (kv) ckpt__model_set_fact(m, "keras_version", kv, err);
    const char *be = ckpt_model_meta_get(m, "backend");
    if (be) ckpt__model_set_fact(m, "backend", be, err);
    if (st->have_km && st->km.has_layers) {
        int nl = 0;
        for (int i = 0; i < st->km.n; i++)
            if (strcmp(st->km.L[i].cls, "InputLayer")) nl++;
        set_fact_num(m, "layers", (uint64_t)nl, err);
    } else {
        /* layers = distinct top-level groups holding weights */
        int nl = 0;
        for (int i = 1; i < m->nnodes; i++)
            if (m->nodes[i].parent == 0 && (m->nodes[i].flags & CKPT_NF_LAYER)) nl++;
        set_fact_num(m, "layers", (uint64_t)nl, err);
    }
    uint64_t tr = 0, ntr = 0;
    for (int t = 0; t < m->ntensors; t++) {
        const ckpt_tensor *x = &m->tensors[t];
        if (x->flags & CKPT_TF_OPTIMIZER) continue;
        if (x->flags & CKPT_TF_NONTRAINABLE) ntr += x->nelems;
        else tr += x->nelems;
    }
    set_fact_num(m, "trainable_params", tr, err);
    set_fact_num(m, "non_trainable_params", ntr, err);
    if (st->have_km) {
        char b[160];
        if (st->km.in_ndim >= 0) {
            ckpt__kc_shape_str(st->km.in_ndim, st->km.in_shape, b, sizeof b);
            ckpt__model_set_fact(m, "input_shape", b, err);
        }
        if (st->km.out_ndim >= 0) {
            ckpt__kc_shape_str(st->km.out_ndim, st->km.out_shape, b, sizeof b);
            ckpt__model_set_fact(m, "output_shape", b, err);
        }
        ckpt__model_set_fact(m, "model_class", st->km.cls, err);
    }
    return err->code;
}

/* ---- Keras 3 paths for the writers ---- */

char *ckpt__kx_k3_path(const ckpt_model *m, int t)
{
    const kx_state *st = m->priv;
    if (!st || t < 0 || t >= st->nt) return NULL;
    const kx_t *x = &st->t[t];
    if (st->keras3) {
        /* already a Keras 3 file: its own path */
        const char *d = x->dpath[0] == '/' ? x->dpath + 1 : x->dpath;
        /* old files say _layer_checkpoint_dependencies where Keras 3 says layers */
        static const char lcd[] = "_layer_checkpoint_dependencies";
        char *r = malloc(strlen(d) + 1);
        if (!r) return NULL;
        size_t o = 0;
        while (*d) {
            if (!strncmp(d, lcd, sizeof lcd - 1) && (d[sizeof lcd - 1] == '/' || !d[sizeof lcd - 1])) {
                memcpy(r + o, "layers", 6);
                o += 6;
                d += sizeof lcd - 1;
            } else {
                r[o++] = *d++;
            }
        }
        r[o] = 0;
        return r;
    }
    if (!st->have_km || x->layer < 0) return NULL;
    const kc_layer *L = &st->km.L[x->layer];
    if (!L->k3path) return NULL;
    if (L->flags & KC_KNOWN) {
        if (x->widx < 0 || x->widx >= L->nw) return NULL;
        const kc_weight *w = &L->w[x->widx];
        return ckpt__asprintf("%s%s%s/vars/%d", L->k3path, w->sub[0] ? "/" : "", w->sub, w->vidx);
    }
    return ckpt__asprintf("%s/vars/%d", L->k3path, x->widx);
}

/* ---- the check ---- */

/* "(64, ?)": ? for what the config leaves open */
static void shape_s(int nd, const int64_t *s, char *b, size_t n)
{
    if (nd < 0) { snprintf(b, n, "(any shape)"); return; }
    size_t o = (size_t)snprintf(b, n, "(");
    for (int i = 0; i < nd && o < n; i++) {
        if (s[i] < 0) o += (size_t)snprintf(b + o, n - o, "%s?", i ? ", " : "");
        else o += (size_t)snprintf(b + o, n - o, "%s%lld", i ? ", " : "", (long long)s[i]);
    }
    if (o < n) snprintf(b + o, n - o, nd == 1 ? ",)" : ")");
}

static int shape_contradicts(const kc_weight *w, const ckpt_tensor *t)
{
    if (w->ndim < 0) return 0;
    if (w->ndim != t->ndim) return 1;
    for (int i = 0; i < w->ndim; i++)
        if (w->shape[i] >= 0 && w->shape[i] != t->shape[i]) return 1;
    return 0;
}

static void strip_counter(const char *s, char *out, size_t n)
{
    snprintf(out, n, "%s", s);
    char *us = strrchr(out, '_');
    if (us && us[1]) {
        char *q = us + 1;
        while (*q >= '0' && *q <= '9') q++;
        if (!*q) *us = 0;
    }
}

/* What a config layer would describe its weights as, for messages. */
static void expect_str(const kc_layer *L, char *b, size_t n)
{
    size_t o = 0;
    b[0] = 0;
    for (int i = 0; i < L->nw && o < n; i++) {
        char s[96];
        shape_s(L->w[i].ndim, L->w[i].shape, s, sizeof s);
        o += (size_t)snprintf(b + o, n - o, "%s%s %s", i ? ", " : "", L->w[i].canon, s);
    }
}

/* Stem key of a layer path or group: "layers/seq/layers/dense_2" -> "layers/seq/layers/dense" */
static void stem_key(const char *path, char *out, size_t n)
{
    strip_counter(path, out, n);
}

/* Renumbering ("dense_1, dense_2" in the file for "dense, dense_1" in the
 * config, or class-numbered Keras 3 paths shifted by one): per class stem and
 * container, when the file has as many groups as the config has layers and
 * the i-th group fits the i-th layer in count and shapes, pair them in
 * order (as Keras' own positional loader would) and report each pair whose
 * names differ. Those layers and tensors are then left out of the other
 * findings. */
static int shift_pass(ckpt_model *m, kx_state *st, ckpt_findings *out, char *ex_layer, char *ex_tensor)
{
    kc_model *km = &st->km;
    int rc = 0;
    /* distinct groups in file order */
    int *gfirst = malloc(((size_t)st->nt + 1) * sizeof *gfirst), ng = 0;
    int *gn = calloc((size_t)st->nt + 1, sizeof *gn);
    char *done = calloc((size_t)km->n + 1, 1);
    if (!gfirst || !gn || !done) { free(gfirst); free(gn); free(done); return CKPT_E_NOMEM; }
    for (int t = 0; t < st->nt; t++) {
        const kx_t *x = &st->t[t];
        if ((m->tensors[t].flags & CKPT_TF_OPTIMIZER) || x->widx == -2 || !x->group || !x->group[0]) continue;
        int g;
        for (g = 0; g < ng; g++) if (!strcmp(st->t[gfirst[g]].group, x->group)) break;
        if (g == ng) gfirst[ng++] = t;
        gn[g]++;
    }
    for (int li = 0; li < km->n && !rc; li++) {
        const kc_layer *L = &km->L[li];
        if (done[li] || !(L->flags & KC_KNOWN) || (L->flags & KC_MODEL) || L->nw == 0) continue;
        const char *lp = st->keras3 ? L->k3path : L->name;
        if (!lp || (!st->keras3 && L->parent >= 0)) continue;
        char key[512];
        stem_key(lp, key, sizeof key);
        /* the config layers of this stem, in order */
        int cl[256], nc = 0, gl[256], ngl = 0;
        for (int k = li; k < km->n && nc < 256; k++) {
            const kc_layer *K = &km->L[k];
            const char *kp = st->keras3 ? K->k3path : K->name;
            if (!kp || !(K->flags & KC_KNOWN) || (K->flags & KC_MODEL) || K->nw == 0) continue;
            if (!st->keras3 && K->parent >= 0) continue;
            char kk[512];
            stem_key(kp, kk, sizeof kk);
            if (!strcmp(kk, key)) { cl[nc++] = k; done[k] = 1; }
        }
        for (int g = 0; g < ng && ngl < 256; g++) {
            char gk[512];
            stem_key(st->t[gfirst[g]].group, gk, sizeof gk);
            if (!strcmp(gk, key)) gl[ngl++] = g;
        }
        if (nc != ngl || nc == 0) continue;
        int fits = 1, differs = 0;
        for (int i = 0; i < nc && fits; i++) {
            const kc_layer *K = &km->L[cl[i]];
            int g = gl[i];
            if (gn[g] != K->nw) { fits = 0; break; }
            int w = 0;
            for (int t = gfirst[g]; t < st->nt && w < K->nw; t++) {
                if (!st->t[t].group || strcmp(st->t[t].group, st->t[gfirst[g]].group)) continue;
                if (shape_contradicts(&K->w[w], &m->tensors[t])) fits = 0;
                w++;
            }
            const char *kp = st->keras3 ? K->k3path : K->name;
            if (strcmp(kp, st->t[gfirst[g]].group)) differs = 1;
        }
        if (!fits || !differs) continue;
        for (int i = 0; i < nc && !rc; i++) {
            const kc_layer *K = &km->L[cl[i]];
            const char *grp = st->t[gfirst[gl[i]]].group;
            const char *kp = st->keras3 ? K->k3path : K->name;
            ex_layer[cl[i]] = 1;
            for (int t = 0; t < st->nt; t++)
                if (st->t[t].group && !strcmp(st->t[t].group, grp)) ex_tensor[t] = 1;
            if (!strcmp(kp, grp)) continue;
            char sug[700];
            if (st->keras3)
                snprintf(sug, sizeof sug, "Keras 3 looks for %s at '%s' (loading by path would fail); the file has them at '%s'",
                         K->name, kp, grp);
            else
                snprintf(sug, sizeof sug, "rename '%s' to '%s' (e.g. --rename %s=%s)", grp, kp, grp, kp);
            rc = ckpt_findings_add(out, CKPT_FIND_RENAME, K->name, grp, gfirst[gl[i]], sug,
                                   "weights stored as '%s' probably belong to %s %s (numbering differs; same class, order and shapes)",
                                   grp, K->cls, K->name);
        }
    }
    free(gfirst);
    free(gn);
    free(done);
    return rc;
}

/* Layers of classes ckpt does not know (custom or third-party: QKeras,
 * HGQ, ...) are a note, not a finding: their weights are listed and claimed
 * by their layer group, only not compared with a weight table. */
static int unknown_classes_note(const kc_model *km, const int *count, ckpt_findings *out)
{
    char cls[512] = "";
    size_t o = 0;
    int nl = 0, nw = 0, nc = 0;
    for (int li = 0; li < km->n; li++) {
        const kc_layer *L = &km->L[li];
        if ((L->flags & KC_KNOWN) || count[li] == 0) continue;
        nl++;
        nw += count[li];
        int seen = 0;
        for (int k = 0; k < li && !seen; k++)
            seen = !(km->L[k].flags & KC_KNOWN) && count[k] && !strcmp(km->L[k].cls, L->cls);
        if (seen) continue;
        if (o + strlen(L->cls) + 8 < sizeof cls) o += (size_t)snprintf(cls + o, sizeof cls - o, "%s%s", nc ? ", " : "", L->cls);
        else if (o + 5 < sizeof cls && !strstr(cls, "...")) o += (size_t)snprintf(cls + o, sizeof cls - o, ", ...");
        nc++;
    }
    if (!nl) return 0;
    return ckpt_findings_note(out, "layer class%s unknown to ckpt (custom or third-party): %s; "
                              "%d layer%s, %d weight%s listed as stored but not compared with the config",
                              nc == 1 ? "" : "es", cls, nl, nl == 1 ? "" : "s", nw, nw == 1 ? "" : "s");
}

/* No model variable at all while the config has layers with weights: one
 * lost-weights finding (the generic check already made it when optimizer
 * slots survive) instead of a "missing" per layer. 1 = reported, 0 = the
 * model part is not empty, -1 = out of memory. */
static int model_part_empty(const ckpt_model *m, const kc_model *km, ckpt_findings *out)
{
    for (int t = 0; t < m->ntensors; t++)
        if (!(m->tensors[t].flags & CKPT_TF_OPTIMIZER)) return 0;
    int nl = 0, nw = 0;
    for (int li = 0; li < km->n; li++) {
        const kc_layer *L = &km->L[li];
        if ((L->flags & KC_MODEL) || !strcmp(L->cls, "InputLayer")) continue;
        if (!(L->flags & KC_KNOWN) || L->nw) { nl++; nw += L->nw; }
    }
    if (!nl) return 0;
    for (int i = 0; i < out->n; i++)
        if (out->v[i].kind == CKPT_FIND_LOST_WEIGHTS) return 1;
    return ckpt_findings_add(out, CKPT_FIND_LOST_WEIGHTS, NULL, NULL, -1,
                             "the weights were not written when it was saved (layers untracked or not built); "
                             "re-save it from the code that trained it",
                             "the model's weights are missing: the config has %d layer%s that own weights "
                             "(%d or more variables), but no model variables were saved",
                             nl, nl == 1 ? "" : "s", nw) ? -1 : 1;
}

int ckpt__kx_check(ckpt_model *m, ckpt_findings *out, ckpt_err *err)
{
    kx_state *st = m->priv;
    if (!st || !st->have_km || !st->km.has_layers) return 0;
    kc_model *km = &st->km;
    int lost = model_part_empty(m, km, out);
    if (lost) return lost < 0 ? ckpt_err_set(err, CKPT_E_NOMEM, "out of memory") : 0;
    int *count = calloc((size_t)km->n + 1, sizeof *count);
    char *ex_layer = calloc((size_t)km->n + 1, 1), *ex_tensor = calloc((size_t)st->nt + 1, 1);
    if (!count || !ex_layer || !ex_tensor) {
        free(count); free(ex_layer); free(ex_tensor);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    int rc = shift_pass(m, st, out, ex_layer, ex_tensor);
    /* shapes against the config, and counts per layer */
    for (int t = 0; t < st->nt && !rc; t++) {
        const kx_t *x = &st->t[t];
        const ckpt_tensor *ct = &m->tensors[t];
        if ((ct->flags & CKPT_TF_OPTIMIZER) || x->layer < 0 || x->widx == -2 || ex_tensor[t]) continue;
        const kc_layer *L = &km->L[x->layer];
        count[x->layer]++;
        if (!(L->flags & KC_KNOWN) || (L->flags & KC_MODEL)) continue;
        if (x->widx >= L->nw) {
            rc = ckpt_findings_add(out, CKPT_FIND_UNEXPECTED, L->name, ct->name, t, NULL,
                                   "%s has more weights than a %s with this config owns (%d expected: %s)",
                                   ct->name, L->cls, L->nw, L->nw ? L->w[0].canon : "none");
            m->tensors[t].flags |= CKPT_TF_FLAGGED;
            continue;
        }
        const kc_weight *w = &L->w[x->widx];
        if (shape_contradicts(w, ct)) {
            char have[96], want[96];
            shape_s(ct->ndim, ct->shape, have, sizeof have);
            shape_s(w->ndim, w->shape, want, sizeof want);
            char why[160] = "";
            const cJSON *u = L->cfg ? cJSON_GetObjectItemCaseSensitive(L->cfg, "units") : NULL;
            const cJSON *f = L->cfg ? cJSON_GetObjectItemCaseSensitive(L->cfg, "filters") : NULL;
            if (cJSON_IsNumber(u)) snprintf(why, sizeof why, " (units: %d)", u->valueint);
            else if (cJSON_IsNumber(f)) snprintf(why, sizeof why, " (filters: %d)", f->valueint);
            char assumed[300] = "";
            if (L->in_ndim >= 0) {
                char is[96];
                ckpt__kc_shape_str(L->in_ndim, L->in_shape, is, sizeof is);
                snprintf(assumed, sizeof assumed, " (input shape %s assumed, from %s)", is,
                         L->in_from[0] ? L->in_from : "the model's input");
            }
            rc = ckpt_findings_add(out, CKPT_FIND_SHAPE, L->name, ct->name, t, NULL,
                                   "%s is %s but the config of %s %s%s expects %s%s",
                                   ct->name, have, L->cls, L->name, why, want, assumed);
            m->tensors[t].flags |= CKPT_TF_FLAGGED;
        }
    }
    /* unclaimed weight groups */
    typedef struct { const char *group; int first; int n; int paired; } ug_t;
    ug_t *ug = calloc((size_t)st->nt + 1, sizeof *ug);
    int nug = 0;
    if (!ug) { free(count); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
    for (int t = 0; t < st->nt; t++) {
        const kx_t *x = &st->t[t];
        if ((m->tensors[t].flags & CKPT_TF_OPTIMIZER) || x->layer >= 0 || x->widx == -2 || ex_tensor[t]) continue;
        const char *g = x->group ? x->group : m->tensors[t].name;
        int k;
        for (k = 0; k < nug; k++) if (!strcmp(ug[k].group, g)) break;
        if (k == nug) { ug[nug].group = g; ug[nug].first = t; ug[nug].n = 0; nug++; }
        ug[k].n++;
    }
    /* layers expecting weights that have none: pair with an unclaimed group
     * of the same class stem and compatible shapes (Keras' own loader pairs
     * layers by position, so take them in order) */
    for (int li = 0; li < km->n && !rc; li++) {
        const kc_layer *L = &km->L[li];
        if (!(L->flags & KC_KNOWN) || (L->flags & KC_MODEL) || L->nw == 0 || ex_layer[li]) continue;
        if (count[li] > 0) {
            if (count[li] < L->nw) {
                for (int wi = count[li]; wi < L->nw && !rc; wi++)
                    rc = ckpt_findings_add(out, CKPT_FIND_MISSING, L->name, L->w[wi].canon, -1, NULL,
                                           "%s %s expects weight '%s' but the file has only %d of %d",
                                           L->cls, L->name, L->w[wi].canon, count[li], L->nw);
            }
            continue;
        }
        char stem[256], exp[512];
        strip_counter(L->k3path && st->keras3 ? strrchr(L->k3path, '/') + 1 : L->name, stem, sizeof stem);
        expect_str(L, exp, sizeof exp);
        int best = -1;
        for (int k = 0; k < nug && best < 0; k++) {
            if (ug[k].paired || ug[k].n != L->nw) continue;
            char gstem[256];
            const char *gs = strrchr(ug[k].group, '/');
            strip_counter(gs ? gs + 1 : ug[k].group, gstem, sizeof gstem);
            if (strcmp(gstem, stem)) continue;
            /* shapes must agree with what the config fixes */
            int ok = 1;
            for (int wi = 0; wi < L->nw && ok; wi++) {
                int t = ug[k].first + wi;
                if (t >= st->nt || shape_contradicts(&L->w[wi], &m->tensors[t])) ok = 0;
            }
            if (ok) best = k;
        }
        if (best >= 0) {
            ug[best].paired = 1;
            char sug[600];
            snprintf(sug, sizeof sug, "rename '%s' to '%s' (e.g. --rename %s=%s)", ug[best].group, L->name,
                     ug[best].group, L->name);
            rc = ckpt_findings_add(out, CKPT_FIND_RENAME, L->name, ug[best].group, ug[best].first, sug,
                                   "weights stored as '%s' probably belong to %s %s (names differ; same class and shapes)",
                                   ug[best].group, L->cls, L->name);
        } else {
            rc = ckpt_findings_add(out, CKPT_FIND_MISSING, L->name, NULL, -1, NULL,
                                   "%s %s expects %d weight%s (%s) but the file has none for it",
                                   L->cls, L->name, L->nw, L->nw == 1 ? "" : "s", exp);
        }
    }
    for (int k = 0; k < nug && !rc; k++) {
        if (ug[k].paired) continue;
        rc = ckpt_findings_add(out, CKPT_FIND_UNEXPECTED, ug[k].group, m->tensors[ug[k].first].name,
                               ug[k].first, NULL, "weight group '%s' (%d tensor%s) is claimed by no layer in the config",
                               ug[k].group, ug[k].n, ug[k].n == 1 ? "" : "s");
    }
    if (!rc) rc = unknown_classes_note(km, count, out);
    free(ug);
    free(count);
    free(ex_layer);
    free(ex_tensor);
    if (rc) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    return 0;
}

/* ---- convert --naming ---- */

/* Position of each tensor among its top-level layer's weights (Keras order),
 * computed once. */
static int build_ordinals(ckpt_model *m, kx_state *st, ckpt_err *err)
{
    if (st->ord) return 0;
    st->ord = calloc((size_t)m->ntensors + 1, sizeof *st->ord);
    int *cnt = calloc((size_t)m->ntensors + 1, sizeof *cnt);
    char **keys = calloc((size_t)m->ntensors + 1, sizeof *keys);   /* the index borrows keys */
    struct ckpt_name_index *ix = ckpt__index_new();
    int rc = 0, nk = 0;
    if (!st->ord || !cnt || !keys || !ix) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    for (int t = 0; t < m->ntensors && !rc; t++) {
        const char *n = m->tensors[t].name;
        const char *sl = strchr(n, '/');
        char *key = sl ? ckpt__strndup(n, (size_t)(sl - n)) : ckpt__strdup(n);
        if (!key) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); break; }
        keys[t] = key;
        int k = ckpt__index_put(ix, key, nk);
        if (k == -2) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        else {
            if (k < 0) k = nk++;
            st->ord[t] = cnt[k]++;
        }
    }
    ckpt__index_free(ix);
    for (int t = 0; keys && t < m->ntensors; t++) free(keys[t]);
    free(keys);
    free(cnt);
    if (rc) { free(st->ord); st->ord = NULL; }
    return rc;
}

const char ckpt__kx_namings[] = "keras index keras3"; /* keep in step with ckpt__kx_name_as */

char *ckpt__kx_name_as(ckpt_model *m, int t, const char *naming, ckpt_err *err)
{
    kx_state *st = m->priv;
    if (!st || t < 0 || t >= m->ntensors) return ckpt_err_set(err, CKPT_E_USAGE, "bad tensor"), NULL;
    const char *n = m->tensors[t].name;
    if (!strcmp(naming, "keras")) return ckpt__strdup(n);
    if (!strcmp(naming, "index")) {
        if (build_ordinals(m, st, err)) return NULL;
        const char *sl = strchr(n, '/');
        int l = sl ? (int)(sl - n) : (int)strlen(n);
        return ckpt__asprintf("%.*s.weight_%d", l, n, st->ord[t]);
    }
    if (!strcmp(naming, "keras3")) {
        /* the path Keras 3 loads it from (the writers' own rule) */
        char *p = ckpt__kx_k3_path(m, t);
        if (!p) ckpt_err_set(err, CKPT_E_UNSUPPORTED, "no Keras 3 place for '%s': the input needs a model config naming its layer", n);
        return p;
    }
    ckpt_err_set(err, CKPT_E_USAGE, "unknown --naming '%s' for Keras input (keras: layer/weight, index: layer.weight_N, keras3: Keras 3 path)", naming);
    return NULL;
}
