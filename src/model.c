/* model.c: the model table (files, tensors, metadata, facts), opening by
 * format detection, and the public accessors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"


#define GROW(arr, n, cap, err)                                                  \
    do {                                                                        \
        if ((n) >= (cap)) {                                                     \
            int nc_ = (cap) ? (cap) * 2 : 16;                                   \
            void *np_ = realloc((arr), (size_t)nc_ * sizeof *(arr));            \
            if (!np_) return ckpt_err_set((err), CKPT_E_NOMEM, "out of memory"), -1; \
            (arr) = np_;                                                        \
            (cap) = nc_;                                                        \
        }                                                                       \
    } while (0)

int ckpt__model_add_file(ckpt_model *m, const char *path, uint64_t size, ckpt_err *err)
{
    GROW(m->files, m->nfiles, m->capfiles, err);
    ckpt_file *f = &m->files[m->nfiles];
    memset(f, 0, sizeof *f);
    f->path = strdup(path);
    if (!f->path) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1;
    f->size = size;
    return m->nfiles++;
}

/* ---- the tensor name index: open addressing, 8 bytes a slot ----
 * A slot holds 32 bits of the name's hash and the tensor index + 1 (0:
 * empty); the key is the tensor's own name, so no pointer is kept per slot.
 * Grown at 3/4 full; ckpt__model_reserve sizes it once. */

static int tix_grow(ckpt_model *m, size_t ncap)
{
    ckpt_tslot *ns = ckpt__big_calloc(ncap, sizeof *ns);
    if (!ns) return -1;
    for (size_t i = 0; i < m->tixcap; i++) {
        if (!m->tix[i].v) continue;
        size_t j = m->tix[i].h & (ncap - 1);
        while (ns[j].v) j = (j + 1) & (ncap - 1);
        ns[j] = m->tix[i];
    }
    ckpt__big_free(m->tix);
    m->tix = ns;
    m->tixcap = ncap;
    return 0;
}

static size_t tix_find(const ckpt_model *m, const char *name, uint32_t h)
{
    size_t j = h & (m->tixcap - 1);
    while (m->tix[j].v && (m->tix[j].h != h || strcmp(m->tensors[m->tix[j].v - 1].name, name)))
        j = (j + 1) & (m->tixcap - 1);
    return j;
}

/* Tensor t (its name already set) into the index: -1 when added, the
 * earlier tensor of that name, or -2 (NOMEM). */
static int tix_put(ckpt_model *m, int t)
{
    if ((m->tixn + 1) * 4 > m->tixcap * 3 && tix_grow(m, m->tixcap ? m->tixcap * 2 : 64)) return -2;
    uint32_t h = ckpt__name_hash(m->tensors[t].name);
    size_t j = tix_find(m, m->tensors[t].name, h);
    if (m->tix[j].v) return m->tix[j].v - 1;
    m->tix[j].h = h;
    m->tix[j].v = t + 1;
    m->tixn++;
    return -1;
}

/* Warm the slot a name's insertion will probe first: a reader calls it a
 * few names ahead, as the table is megabytes and each probe a cache miss
 * (a sixth of a 100k open, before). */
void ckpt__model_prefetch(const ckpt_model *m, const char *name)
{
    if (m->tixcap) __builtin_prefetch(&m->tix[ckpt__name_hash(name) & (m->tixcap - 1)], 1);
}

int ckpt__model_reserve(ckpt_model *m, int n, ckpt_err *err)
{
    size_t cap = m->tixcap ? m->tixcap : 64;
    while (((size_t)n + 1) * 4 > cap * 3) cap *= 2;
    if (cap > m->tixcap && tix_grow(m, cap)) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if (n <= m->captensors) return 0;
    void *nt = ckpt__big_realloc(m->tensors, (size_t)n * sizeof *m->tensors);
    if (!nt) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    m->tensors = nt;
    void *np = ckpt__big_realloc(m->tpriv, (size_t)n * sizeof *m->tpriv);
    if (!np) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    m->tpriv = np;
    m->captensors = n;
    return 0;
}

int ckpt__model_add_tensor(ckpt_model *m, const char *name, const char *src_name,
                           ckpt_dtype dtv, int ndim, const int64_t *shape,
                           int file, uint64_t offset, ckpt_err *err)
{
    if (!m->pool && !(m->pool = ckpt__pool_new())) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1;
    char *nm = ckpt__pool_strdup(m->pool, name);
    char *sn = (src_name && strcmp(src_name, name)) ? ckpt__pool_strdup(m->pool, src_name) : nm;
    if (!nm || !sn) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1;
    return ckpt__model_add_tensor_kept(m, nm, sn, dtv, ndim, shape, file, offset, err);
}

int ckpt__model_add_tensor_kept(ckpt_model *m, const char *nm, const char *sn,
                                ckpt_dtype dtv, int ndim, const int64_t *shape,
                                int file, uint64_t offset, ckpt_err *err)
{
    const char *name = nm;
    if (!sn) sn = nm;
    if (ndim < 0 || ndim > CKPT_MAX_DIMS) {
        ckpt_err_set(err, CKPT_E_UNSUPPORTED, "rank %d exceeds the supported %d dimensions", ndim, CKPT_MAX_DIMS);
        ckpt_err_at_tensor(err, name);
        return -1;
    }
    size_t esz = ckpt_dtype_size(dtv);
    if (!esz) {
        ckpt_err_set(err, CKPT_E_FORMAT, "invalid dtype");
        ckpt_err_at_tensor(err, name);
        return -1;
    }
    uint64_t ne = 1, nb;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            ckpt_err_set(err, CKPT_E_FORMAT, "negative dimension %lld", (long long)shape[i]);
            ckpt_err_at_tensor(err, name);
            return -1;
        }
        if (ckpt__mul_u64(ne, (uint64_t)shape[i], &ne)) {
            ckpt_err_set(err, CKPT_E_FORMAT, "shape product overflows");
            ckpt_err_at_tensor(err, name);
            return -1;
        }
    }
    if (ckpt__mul_u64(ne, esz, &nb) || nb > (UINT64_MAX >> 2)) {
        ckpt_err_set(err, CKPT_E_FORMAT, "tensor byte size overflows");
        ckpt_err_at_tensor(err, name);
        return -1;
    }
    if (m->ntensors >= m->captensors &&
        ckpt__model_reserve(m, m->captensors ? m->captensors * 2 : 16, err))
        return -1;
    ckpt_tensor *t = &m->tensors[m->ntensors];
    memset(t, 0, sizeof *t);
    memset(&m->tpriv[m->ntensors], 0, sizeof m->tpriv[0]);
    if (!m->pool && !(m->pool = ckpt__pool_new())) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1;
    t->name = nm;
    t->src_name = sn;
    t->dtype = dtv;
    /* dimensions in the pool beside the names: the record stays small */
    static const int64_t scalar[1];
    int64_t *dims = ndim ? ckpt__pool_alloc(m->pool, (size_t)ndim * sizeof *dims) : NULL;
    if (ndim && !dims) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1;
    for (int i = 0; i < ndim; i++) dims[i] = shape[i];
    t->ndim = ndim;
    t->shape = ndim ? dims : scalar;
    t->nelems = ne;
    t->nbytes = nb;
    t->file = file;
    t->offset = offset;
    t->node = -1;
    int prev = tix_put(m, m->ntensors);
    if (prev == -2) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1;
    m->dup_of = prev >= 0 ? prev : -1;
    return m->ntensors++;
}

static int kv_add(char ***ks, char ***vs, int *n, int *cap, const char *k, const char *v, ckpt_err *err)
{
    if (*n >= *cap) {
        int nc = *cap ? *cap * 2 : 8;
        char **nk = realloc(*ks, (size_t)nc * sizeof *nk);
        if (!nk) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        *ks = nk;
        char **nv = realloc(*vs, (size_t)nc * sizeof *nv);
        if (!nv) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        *vs = nv;
        *cap = nc;
    }
    char *a = strdup(k), *b = strdup(v ? v : "");
    if (!a || !b) {
        free(a);
        free(b);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    (*ks)[*n] = a;
    (*vs)[*n] = b;
    (*n)++;
    return 0;
}

int ckpt__model_add_meta(ckpt_model *m, const char *k, const char *v, ckpt_err *err)
{
    return kv_add(&m->meta_k, &m->meta_v, &m->nmeta, &m->capmeta, k, v, err);
}

int ckpt__model_set_fact(ckpt_model *m, const char *k, const char *v, ckpt_err *err)
{
    for (int i = 0; i < m->nfacts; i++) {
        if (!strcmp(m->fact_k[i], k)) {
            char *nv = strdup(v ? v : "");
            if (!nv) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
            free(m->fact_v[i]);
            m->fact_v[i] = nv;
            return 0;
        }
    }
    return kv_add(&m->fact_k, &m->fact_v, &m->nfacts, &m->capfacts, k, v, err);
}

static int set_str(char **dst, const char *s, ckpt_err *err)
{
    char *n = s ? strdup(s) : NULL;
    if (s && !n) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    free(*dst);
    *dst = n;
    return 0;
}

int ckpt__model_set_config(ckpt_model *m, const char *json, ckpt_err *err)
{
    return set_str(&m->config_json, json, err);
}

int ckpt__model_set_hf_config(ckpt_model *m, const char *json, ckpt_err *err)
{
    return set_str(&m->hf_config_json, json, err);
}

/* ---- open / close ---- */

static void model_free(ckpt_model *m)
{
    if (!m) return;
    if (m->fmt && m->fmt->close) m->fmt->close(m);
    for (int i = 0; i < m->nfiles; i++) {
        free(m->files[i].path);
        ckpt_src_close(m->files[i].src);
    }
    free(m->files);
    ckpt__big_free(m->tensors);   /* names are in m->pool */
    ckpt__big_free(m->tpriv);
    for (int i = 0; i < m->nnodes; i++) {   /* name and path are in m->pool */
        free((char *)m->nodes[i].kind);
        free((char *)m->nodes[i].alt_name);
    }
    ckpt__big_free(m->nodes);
    ckpt__big_free(m->node_last);
    ckpt__fold_free(m->fold);
    for (int i = 0; i < m->nmeta; i++) { free(m->meta_k[i]); free(m->meta_v[i]); }
    free(m->meta_k);
    free(m->meta_v);
    for (int i = 0; i < m->nfacts; i++) { free(m->fact_k[i]); free(m->fact_v[i]); }
    free(m->fact_k);
    free(m->fact_v);
    free(m->config_json);
    free(m->hf_config_json);
    ckpt__big_free(m->tix);
    ckpt__index_free(m->node_index);
    free(m->path);
    ckpt__pool_free(m->pool);
    free(m);
}

void ckpt_close(ckpt_model *m) { model_free(m); }



static void totals(const ckpt_model *m, uint64_t *params, uint64_t *bytes);

int ckpt__open_with(const ckpt_format *f, const char *path, ckpt_model **out, ckpt_err *err)
{
    *out = NULL;
    ckpt_model *m = calloc(1, sizeof *m);
    if (!m) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    m->fmt = f;
    m->path = strdup(path);
    if (!m->path) {
        free(m);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    /* a library parser that may crash on hostile bytes meets them first in a
     * confined child; the in-process open follows only a clean answer */
    int rc = 0;
    if (ckpt__sandbox_wanted(f)) {
        /* the sandbox has no network: a remote file is probed there only
         * when the cache holds it whole (pull, convert --cache, offline) */
        char *local = ckpt_path_is_remote(path) ? ckpt__hub_local_copy(path) : NULL;
        if (!ckpt_path_is_remote(path) || local) rc = ckpt__sandbox_probe(f, local ? local : path, err);
        free(local);
    }
    if (!rc) rc = f->open(m, path, err);
    /* how remote bytes came (a server that ignored Range requests) */
    char note[600];
    if (!rc && ckpt__remote_note(path, note, sizeof note) && ckpt__model_set_fact(m, "remote_read", note, err))
        rc = err->code;
    /* the default tree from the names waits until someone asks for a node
     * (info and ls never do: at 1M tensors it is most of the open) */
    if (!rc && m->tree_built) rc = ckpt__tree_finish(m, err);
    m->tree_lazy = !m->tree_built;
    if (!rc) rc = ckpt__arch_after_open(m, err);   /* arch.c: HF config.json facts */
    if (rc) {
        if (err && err->code == CKPT_OK) ckpt_err_set(err, rc, "cannot open");
        ckpt_err_at_path(err, path);
        model_free(m);
        return rc;
    }
    totals(m, &m->tot_params, &m->tot_bytes);
    m->tot_n = m->ntensors + 1;
    *out = m;
    return 0;
}

/* ---- accessors ---- */

const char *ckpt_model_format(const ckpt_model *m) { return m->fmt ? m->fmt->name : "?"; }
const char *ckpt_model_path(const ckpt_model *m) { return m->path; }
int ckpt_model_ntensors(const ckpt_model *m) { return m->ntensors; }

const ckpt_tensor *ckpt_model_tensor(const ckpt_model *m, int i)
{
    return (i >= 0 && i < m->ntensors) ? &m->tensors[i] : NULL;
}

int ckpt_model_find(const ckpt_model *m, const char *name)
{
    if (!m->tixcap || !name) return -1;
    size_t j = tix_find(m, name, ckpt__name_hash(name));
    return m->tix[j].v ? m->tix[j].v - 1 : -1;
}

/* Totals without optimizer state; ckpt_open computes them once (the TUI
 * asks every frame), a model changed since is summed again. */
static void totals(const ckpt_model *m, uint64_t *params, uint64_t *bytes)
{
    uint64_t p = 0, b = 0;
    for (int i = 0; i < m->ntensors; i++)
        if (!(m->tensors[i].flags & CKPT_TF_OPTIMIZER)) {
            p += m->tensors[i].nelems;
            b += m->tensors[i].nbytes;
        }
    *params = p;
    *bytes = b;
}

uint64_t ckpt_model_nparams(const ckpt_model *m)
{
    uint64_t p, b;
    if (m->tot_n == m->ntensors + 1) return m->tot_params;
    totals(m, &p, &b);
    return p;
}

uint64_t ckpt_model_nbytes(const ckpt_model *m)
{
    uint64_t p, b;
    if (m->tot_n == m->ntensors + 1) return m->tot_bytes;
    totals(m, &p, &b);
    return b;
}

/* Build the default tree on first use. The accessors take a const model
 * (the tree is derived data); out of memory leaves the root alone. */
static void tree_ready(const ckpt_model *cm)
{
    ckpt_model *m = (ckpt_model *)cm;
    if (m->fold && m->nnodes) {   /* the tree built as shown (tree_lazy.c): all of it now */
        ckpt_err e;
        ckpt_err_clear(&e);
        ckpt_model_unfold(m, 0, 1, &e);
        return;
    }
    if (!m->tree_lazy) return;
    m->tree_lazy = 0;
    ckpt_err e;
    ckpt_err_clear(&e);
    if (!ckpt__tree_from_names(m, &e) && !ckpt__tree_finish(m, &e)) return;
    m->nnodes = m->nnodes ? 1 : 0;
    for (int i = 0; i < m->ntensors; i++) m->tensors[i].node = -1;
    if (m->nnodes) m->nodes[0].first_child = -1;
}

int ckpt_model_nnodes(const ckpt_model *m)
{
    tree_ready(m);
    return m->nnodes;
}

const ckpt_node *ckpt_model_node(const ckpt_model *m, int i)
{
    if (!m->fold) tree_ready(m);   /* a tree built as shown stays as it is */
    return (i >= 0 && i < m->nnodes) ? &m->nodes[i] : NULL;
}

const ckpt_node *ckpt_model_nodes(const ckpt_model *m, int *n)
{
    tree_ready(m);
    if (n) *n = m->nnodes;
    return m->nnodes ? m->nodes : NULL;
}

int ckpt_model_nfiles(const ckpt_model *m) { return m->nfiles; }

const char *ckpt_model_file(const ckpt_model *m, int i, uint64_t *size)
{
    if (i < 0 || i >= m->nfiles) return NULL;
    if (size) *size = m->files[i].size;
    return m->files[i].path;
}

int ckpt_model_nmeta(const ckpt_model *m) { return m->nmeta; }

void ckpt_model_meta(const ckpt_model *m, int i, const char **key, const char **val)
{
    *key = (i >= 0 && i < m->nmeta) ? m->meta_k[i] : NULL;
    *val = (i >= 0 && i < m->nmeta) ? m->meta_v[i] : NULL;
}

const char *ckpt_model_meta_get(const ckpt_model *m, const char *key)
{
    for (int i = 0; i < m->nmeta; i++)
        if (!strcmp(m->meta_k[i], key)) return m->meta_v[i];
    return NULL;
}

int ckpt_model_nfacts(const ckpt_model *m) { return m->nfacts; }

void ckpt_model_fact(const ckpt_model *m, int i, const char **key, const char **val)
{
    *key = (i >= 0 && i < m->nfacts) ? m->fact_k[i] : NULL;
    *val = (i >= 0 && i < m->nfacts) ? m->fact_v[i] : NULL;
}

const char *ckpt_model_fact_get(const ckpt_model *m, const char *key)
{
    for (int i = 0; i < m->nfacts; i++)
        if (!strcmp(m->fact_k[i], key)) return m->fact_v[i];
    return NULL;
}

const char *ckpt_model_config(const ckpt_model *m) { return m->config_json; }
const char *ckpt_model_hf_config(const ckpt_model *m) { return m->hf_config_json; }

int ckpt_tensor_read(ckpt_model *m, int i, uint64_t off, void *buf, size_t len, ckpt_err *err)
{
    CKPT__ERR_LOCAL(err);
    if (i < 0 || i >= m->ntensors)
        return ckpt_err_set(err, CKPT_E_USAGE, "no tensor #%d", i);
    const ckpt_tensor *t = &m->tensors[i];
    uint64_t end;
    if (ckpt__add_u64(off, len, &end) || end > t->nbytes) {
        ckpt_err_set(err, CKPT_E_USAGE, "read of %zu bytes at %llu is past the tensor's %llu bytes", len,
                     (unsigned long long)off, (unsigned long long)t->nbytes);
        ckpt_err_at_tensor(err, t->name);
        return CKPT_E_USAGE;
    }
    if (!len) return 0;
    int rc = m->fmt->read(m, i, off, buf, len, err);
    if (rc) {
        ckpt_err_at_tensor(err, t->name);
        if (t->file >= 0 && t->file < m->nfiles) ckpt_err_at_path(err, m->files[t->file].path);
    }
    return rc;
}

const char *ckpt_shape_str(const ckpt_tensor *t, char *buf, size_t n)
{
    size_t l = 0;
    if (!n) return buf;
    l += (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < t->ndim && l < n; i++)
        l += (size_t)snprintf(buf + l, n - l, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
    if (l < n) snprintf(buf + l, n - l, "]");
    return buf;
}
