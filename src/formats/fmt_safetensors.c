/* src/fmt_safetensors.c: safetensors, single files and sharded sets.
 *
 * Layout (huggingface/safetensors README "Format"): u64 little-endian N,
 * N bytes of UTF-8 JSON (padded with spaces), then the data buffer. The JSON
 * maps names to {"dtype", "shape", "data_offsets": [begin, end)} relative to
 * the buffer, plus an optional "__metadata__" of string values. Validation
 * follows the reference (read_metadata + Metadata::validate in tensor.rs),
 * with one message per failure. Sharded sets follow the transformers /
 * huggingface_hub convention: NAME.safetensors.index.json with "metadata"
 * (total_size) and "weight_map" (tensor -> shard file).
 *
 * Only the length and the header are read at open, through ckpt_src, so the
 * same code serves local files and remote ones read by HTTP ranges.
 */
#include "fmt_safetensors.h"
#include "formats/shards.h"
#include "formats/st_fast.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INDEX_MAX (100u << 20)   /* largest index.json we read */

/* dtypes the reference knows that ckpt cannot hold: named as unsupported
 * rather than unknown so the message says what is going on. */
static const char *const st_known_unsupported[] = {
    "F4", "F6_E2M3", "F6_E3M2", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "C64", NULL,
};

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* ====================================================================== */
/* Header parser                                                           */
/* ====================================================================== */

void ckpt__st_header_free(ckpt_st_header *h)
{
    if (!h) return;
    for (int i = 0; i < h->n; i++) free(h->t[i].name);
    free(h->t);
    for (int i = 0; i < h->nmeta; i++) { free(h->meta_k[i]); free(h->meta_v[i]); }
    free(h->meta_k);
    free(h->meta_v);
    memset(h, 0, sizeof *h);
}

#define st_fail ckpt__fail

static int st_nomem(ckpt_err *err, const char *path)
{
    ckpt_err_set(err, CKPT_E_NOMEM, "out of memory reading the safetensors header");
    ckpt_err_at_path(err, path);
    return CKPT_E_NOMEM;
}

int ckpt__st_parse_len(const unsigned char *prefix, uint64_t file_size, const char *path,
                       uint64_t *n, ckpt_err *err)
{
    if (file_size < 8)
        return st_fail(err, path, NULL, CKPT_NO_OFFSET,
                       "file too small for a safetensors header (%llu bytes, need at least 8)",
                       (unsigned long long)file_size);
    uint64_t len = le64(prefix);
    if (len > CKPT_ST_MAX_HEADER)
        return st_fail(err, path, NULL, 0,
                       "header length %llu exceeds the safetensors limit of %llu bytes",
                       (unsigned long long)len, (unsigned long long)CKPT_ST_MAX_HEADER);
    if (len > file_size - 8)
        return st_fail(err, path, NULL, 0,
                       "header length %llu runs past the end of the file (%llu bytes)",
                       (unsigned long long)len, (unsigned long long)file_size);
    *n = len;
    return CKPT_OK;
}

/* Short JSON text of a value for messages. */
static void json_brief(const cJSON *v, char *buf, size_t n)
{
    char *s = cJSON_PrintUnformatted(v);
    snprintf(buf, n, "%s", s ? s : "?");
    if (s && strlen(s) >= n && n > 4) strcpy(buf + n - 4, "...");
    free(s);
}

static const char *shape_text(const ckpt_st_tensor *t, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < t->ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
    return buf;
}

/* One tensor entry {"dtype", "shape", "data_offsets"}. */
static int parse_entry(const cJSON *o, const char *name, uint64_t base, const char *path,
                       ckpt_st_tensor *t, ckpt_err *err)
{
    if (!cJSON_IsObject(o))
        return st_fail(err, path, name, CKPT_NO_OFFSET,
                       "header entry is not an object with dtype, shape and data_offsets");
    const cJSON *dt = NULL, *sh = NULL, *of = NULL;
    for (const cJSON *f = o->child; f; f = f->next) {
        const cJSON **slot = NULL;
        if (!strcmp(f->string, "dtype")) slot = &dt;
        else if (!strcmp(f->string, "shape")) slot = &sh;
        else if (!strcmp(f->string, "data_offsets")) slot = &of;
        else continue;  /* the reference ignores unknown fields */
        if (*slot)
            return st_fail(err, path, name, CKPT_NO_OFFSET, "duplicate field \"%s\" in header entry",
                           f->string);
        *slot = f;
    }
    if (!dt || !sh || !of)
        return st_fail(err, path, name, CKPT_NO_OFFSET, "header entry lacks \"%s\"",
                       !dt ? "dtype" : !sh ? "shape" : "data_offsets");
    char brief[96];
    if (!cJSON_IsString(dt)) {
        json_brief(dt, brief, sizeof brief);
        return st_fail(err, path, name, CKPT_NO_OFFSET, "dtype %s is not a string", brief);
    }
    t->dtype = ckpt_dtype_from_name(dt->valuestring);
    if (t->dtype == CKPT_DT_INVALID) {
        for (int i = 0; st_known_unsupported[i]; i++)
            if (!strcmp(st_known_unsupported[i], dt->valuestring)) {
                ckpt_err_set(err, CKPT_E_UNSUPPORTED, "dtype '%s' is not supported by ckpt",
                             dt->valuestring);
                ckpt_err_at_path(err, path);
                ckpt_err_at_tensor(err, name);
                return CKPT_E_UNSUPPORTED;
            }
        return st_fail(err, path, name, CKPT_NO_OFFSET, "unknown dtype '%.64s'", dt->valuestring);
    }
    if (!cJSON_IsArray(sh)) {
        json_brief(sh, brief, sizeof brief);
        return st_fail(err, path, name, CKPT_NO_OFFSET, "shape %s is not an array", brief);
    }
    int nd = cJSON_GetArraySize(sh);
    if (nd > CKPT_MAX_DIMS)
        return st_fail(err, path, name, CKPT_NO_OFFSET,
                       "shape has %d dimensions; ckpt supports at most %d", nd, CKPT_MAX_DIMS);
    t->ndim = 0;
    uint64_t nelems = 1;
    int overflow = 0;
    for (const cJSON *d = sh->child; d; d = d->next) {
        uint64_t v;
        if (ckpt__json_u64(d, &v) || v > (uint64_t)INT64_MAX) {
            json_brief(d, brief, sizeof brief);
            return st_fail(err, path, name, CKPT_NO_OFFSET,
                           "shape entry %s is not a non-negative integer", brief);
        }
        t->shape[t->ndim++] = (int64_t)v;
        if (ckpt__mul_u64(nelems, v, &nelems)) overflow = 1;
    }
    if (overflow)
        return st_fail(err, path, name, CKPT_NO_OFFSET, "shape product overflows 64 bits");
    uint64_t nbytes;
    if (ckpt__mul_u64(nelems, ckpt_dtype_size(t->dtype), &nbytes))
        return st_fail(err, path, name, CKPT_NO_OFFSET, "byte size of the shape overflows 64 bits");
    if (!cJSON_IsArray(of) || cJSON_GetArraySize(of) != 2 || ckpt__json_u64(of->child, &t->begin) ||
        ckpt__json_u64(of->child->next, &t->end)) {
        json_brief(of, brief, sizeof brief);
        return st_fail(err, path, name, CKPT_NO_OFFSET,
                       "data_offsets %s is not a pair of non-negative integers", brief);
    }
    if (t->end < t->begin)
        return st_fail(err, path, name, base + t->begin,
                       "data_offsets [%llu, %llu] end before they begin",
                       (unsigned long long)t->begin, (unsigned long long)t->end);
    if (t->end - t->begin != nbytes) {
        char sb[160];
        return st_fail(err, path, name, base + t->begin,
                       "data_offsets [%llu, %llu] span %llu bytes but %s %s needs %llu",
                       (unsigned long long)t->begin, (unsigned long long)t->end,
                       (unsigned long long)(t->end - t->begin), ckpt_dtype_name(t->dtype),
                       shape_text(t, sb, sizeof sb), (unsigned long long)nbytes);
    }
    return CKPT_OK;
}

static int parse_meta(const cJSON *o, const char *path, ckpt_st_header *h, ckpt_err *err)
{
    if (cJSON_IsNull(o)) return CKPT_OK;
    if (!cJSON_IsObject(o))
        return st_fail(err, path, NULL, CKPT_NO_OFFSET, "__metadata__ is not an object");
    int n = cJSON_GetArraySize(o);
    if (n == 0) return CKPT_OK;
    h->meta_k = calloc((size_t)n, sizeof *h->meta_k);
    h->meta_v = calloc((size_t)n, sizeof *h->meta_v);
    if (!h->meta_k || !h->meta_v) return st_nomem(err, path);
    for (const cJSON *e = o->child; e; e = e->next) {
        if (!cJSON_IsString(e))
            return st_fail(err, path, NULL, CKPT_NO_OFFSET,
                           "__metadata__ value of '%.100s' is not a string", e->string);
        for (int i = 0; i < h->nmeta; i++)
            if (!strcmp(h->meta_k[i], e->string))
                return st_fail(err, path, NULL, CKPT_NO_OFFSET,
                               "duplicate key '%.100s' in __metadata__", e->string);
        h->meta_k[h->nmeta] = ckpt__strdup(e->string);
        h->meta_v[h->nmeta] = ckpt__strdup(e->valuestring);
        if (!h->meta_k[h->nmeta] || !h->meta_v[h->nmeta]) return st_nomem(err, path);
        h->nmeta++;
    }
    return CKPT_OK;
}

static int cmp_offsets(const void *a, const void *b)
{
    const ckpt_st_tensor *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

int ckpt__st_parse_header(const char *json, size_t n, uint64_t file_size, const char *path,
                          ckpt_st_header *h, ckpt_err *err)
{
    memset(h, 0, sizeof *h);
    h->header_len = n;
    h->data_start = 8 + (uint64_t)n;
    uint64_t data_len = file_size - h->data_start;  /* caller checked 8 + n <= size */
    if (n == 0 || json[0] != '{')
        return st_fail(err, path, NULL, 8, "header does not start with '{' (not a JSON object)");
    if (memchr(json, 0, n))
        return st_fail(err, path, NULL, 8 + (uint64_t)((const char *)memchr(json, 0, n) - json),
                       "header contains a NUL byte");
    if (!ckpt__utf8_valid(json, n))
        return st_fail(err, path, NULL, 8, "header is not valid UTF-8");

    /* cJSON wants a terminator to reject trailing garbage */
    char *txt = malloc(n + 1);
    if (!txt) return st_nomem(err, path);
    memcpy(txt, json, n);
    txt[n] = 0;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(txt, n + 1, &end, 1);
    int rc = CKPT_OK;
    struct ckpt_name_index *ix = NULL;
    if (!root) {
        uint64_t at = end ? (uint64_t)(end - txt) : 0;
        if (ckpt__json_too_deep(txt, n))
            rc = st_fail(err, path, NULL, 8, "header nests JSON deeper than %d levels (hostile?)", CKPT_JSON_MAX_DEPTH);
        else rc = st_fail(err, path, NULL, 8 + at, "header is not valid JSON (parse error at header byte %llu)",
                     (unsigned long long)at);
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        rc = st_fail(err, path, NULL, 8, "header is not a JSON object");
        goto out;
    }
    int cap = cJSON_GetArraySize(root);
    h->t = calloc(cap ? (size_t)cap : 1, sizeof *h->t);
    ix = ckpt__index_new();
    if (!h->t || !ix) { rc = st_nomem(err, path); goto out; }

    int pos = 0;
    for (const cJSON *e = root->child; e; e = e->next, pos++) {
        int prev = ckpt__index_put(ix, e->string, pos);
        if (prev == -2) { rc = st_nomem(err, path); goto out; }
        if (prev >= 0) {
            rc = st_fail(err, path, e->string, CKPT_NO_OFFSET, "duplicate name in header");
            goto out;
        }
        if (!strcmp(e->string, "__metadata__")) {
            if ((rc = parse_meta(e, path, h, err))) goto out;
            continue;
        }
        ckpt_st_tensor *t = &h->t[h->n];
        if ((rc = parse_entry(e, e->string, h->data_start, path, t, err))) goto out;
        if (t->end > data_len) {
            rc = st_fail(err, path, e->string, h->data_start + t->begin,
                         "data_offsets [%llu, %llu] run past the end of the data buffer "
                         "(%llu bytes; file has %llu)",
                         (unsigned long long)t->begin, (unsigned long long)t->end,
                         (unsigned long long)data_len, (unsigned long long)file_size);
            goto out;
        }
        if (!(t->name = ckpt__strdup(e->string))) { rc = st_nomem(err, path); goto out; }
        t->pos = pos;
        h->n++;
    }

    /* File order: by offset; ties (empty tensors) keep header order. */
    qsort(h->t, (size_t)h->n, sizeof *h->t, cmp_offsets);
    uint64_t at = 0;
    for (int i = 0; i < h->n; i++) {
        const ckpt_st_tensor *t = &h->t[i];
        if (t->begin < at) {
            const ckpt_st_tensor *p = &h->t[i - 1];
            rc = st_fail(err, path, t->name, h->data_start + t->begin,
                         "data_offsets [%llu, %llu] overlap tensor '%.100s' [%llu, %llu]",
                         (unsigned long long)t->begin, (unsigned long long)t->end, p->name,
                         (unsigned long long)p->begin, (unsigned long long)p->end);
            goto out;
        }
        if (t->begin > at) {
            if (i == 0)
                rc = st_fail(err, path, t->name, h->data_start,
                             "data buffer starts with %llu bytes used by no tensor "
                             "(first tensor begins at %llu)",
                             (unsigned long long)t->begin, (unsigned long long)t->begin);
            else
                rc = st_fail(err, path, t->name, h->data_start + at,
                             "hole of %llu bytes before this tensor (previous tensor '%.100s' "
                             "ends at %llu, this one begins at %llu)",
                             (unsigned long long)(t->begin - at), h->t[i - 1].name,
                             (unsigned long long)at, (unsigned long long)t->begin);
            goto out;
        }
        at = t->end;
    }
    if (at != data_len) {
        rc = st_fail(err, path, NULL, h->data_start + at,
                     "%llu trailing bytes after the last tensor (data buffer is %llu bytes, "
                     "tensors cover %llu)",
                     (unsigned long long)(data_len - at), (unsigned long long)data_len,
                     (unsigned long long)at);
        goto out;
    }
out:
    ckpt__index_free(ix);
    cJSON_Delete(root);
    free(txt);
    if (rc) ckpt__st_header_free(h);
    return rc;
}

int ckpt__st_parse_buffer(const void *buf, size_t size, const char *path, ckpt_st_header *h,
                          ckpt_err *err)
{
    memset(h, 0, sizeof *h);
    uint64_t n;
    int rc = ckpt__st_parse_len(buf, size, path, &n, err);
    if (rc) return rc;
    return ckpt__st_parse_header((const char *)buf + 8, (size_t)n, size, path, h, err);
}

/* ====================================================================== */
/* Reader                                                                  */
/* ====================================================================== */

typedef struct st_model {
    int index_meta_from;  /* first meta entry taken from index.json, -1 if none */
} st_model;

/* A tensor just added (m->dup_of set) whose name an earlier shard has. */
static int dup_across(ckpt_model *m, const char *path, int fi, int ti, ckpt_err *err)
{
    const ckpt_tensor *t = &m->tensors[ti];
    return st_fail(err, path, t->name, t->offset, "tensor also present in shard %s",
                   m->files[m->tensors[m->dup_of].file].path);
}

static int add_meta_kv(ckpt_model *m, char **k, char **v, int n, ckpt_err *err)
{
    for (int i = 0; i < n; i++)
        if (!ckpt_model_meta_get(m, k[i]) && ckpt__model_add_meta(m, k[i], v[i], err))
            return err->code ? (int)err->code : CKPT_E_NOMEM;
    return CKPT_OK;
}

/* Where a header's names go (a shard set's one read buffer is reused). */
enum { NAMES_ADOPT, NAMES_COPY, NAMES_BORROW };

/* Names in file order (as writers put them) move to the front of the
 * header buffer *bufp (the text at +8), the rest of it goes back to the
 * system and the model's pool adopts it: the names are not copied, and
 * the header's memory is given back before the tensor table grows. With
 * NAMES_COPY (a shard set's read buffer) the packed names are copied into
 * the pool instead, the buffer staying the caller's; NAMES_BORROW leaves
 * them in that buffer, for the caller to point each tensor at its name in
 * the index before the next shard (shard_in_wmap).
 * Returns the text's new start, or NULL when left as it was. */
static char *names_kept(ckpt_model *m, ckpt_st_fast *f, char **bufp, int mode)
{
    char *json = *bufp + 8;
    for (int i = 1; i < f->n; i++)
        if (f->e[i].name <= f->e[i - 1].name) return NULL;
    if (!m->pool && !(m->pool = ckpt__pool_new())) return NULL;
    uint32_t w = 0;
    for (int i = 0; i < f->n; i++) {
        size_t l = strlen(json + f->e[i].name) + 1;
        memmove(json + w, json + f->e[i].name, l);
        f->e[i].name = w;
        w += (uint32_t)l;
    }
    if (mode == NAMES_BORROW)
        return ckpt__pool_reserve(m->pool, f->ndims * sizeof(int64_t)) ? NULL : json;
    if (mode == NAMES_COPY) {
        /* a shard's names and shapes in one pool block, the next shards'
         * after them (a lone file's shapes: the usual blocks, as a huge
         * page for 100k shapes would be more than half empty) */
        if (ckpt__pool_reserve(m->pool, w + 8 + f->ndims * sizeof(int64_t))) return NULL;
        char *d = ckpt__pool_alloc(m->pool, w);
        if (d) memcpy(d, json, w);
        return d;   /* NULL: names were moved, so the caller copies each from json */
    }
    char *nb = ckpt__big_realloc(*bufp, 8 + (size_t)w);
    if (nb) *bufp = nb;
    if (ckpt__pool_adopt(m->pool, *bufp)) return NULL;   /* names stay valid: copied below */
    json = *bufp + 8;
    *bufp = NULL;
    return json;
}

/* The full parser's answer on header text that the fast path has changed:
 * the header read again (a name twice in a header is its error). */
static int reparse_full(ckpt_model *m, int fi, const char *path, uint64_t n, ckpt_err *err)
{
    char *txt = malloc((size_t)n + 1);
    if (!txt) return st_nomem(err, path);
    int rc = ckpt_src_pread(m->files[fi].src, txt, (size_t)n, 8, err);
    ckpt_st_header h;
    if (!rc && !(rc = ckpt__st_parse_header(txt, (size_t)n, m->files[fi].size, path, &h, err)))
        ckpt__st_header_free(&h);
    free(txt);
    return rc;
}

/* The fast path (st_fast.c) over the header in *bufp (the text at +8, n
 * bytes): 0 with the tensors added (*bufp may be taken: NULL then), 1
 * when the full parser must decide (the text unchanged), else an error. */
static int open_fast(ckpt_model *m, const char *path, ckpt_src **s, char **bufp, int mode,
                     uint64_t n, int *file_out, ckpt_err *err)
{
    ckpt_st_fast f;
    uint64_t data_start = 8 + n;
    char *json = *bufp + 8;
    int rc = ckpt__st_fast_parse(json, (size_t)n, (*s)->size - data_start, &f);
    if (rc == -2) return st_nomem(err, path);
    if (rc) return 1;
    int fi = ckpt__model_add_file(m, path, (*s)->size, err);
    if (fi < 0) { ckpt__st_fast_free(&f); return err->code ? (int)err->code : CKPT_E_NOMEM; }
    m->files[fi].src = *s;
    *s = NULL;
    char *kept = names_kept(m, &f, bufp, mode);
    if (kept) json = kept;
    else json = *bufp + 8;
    if (ckpt__model_reserve(m, m->ntensors + f.n, err)) rc = CKPT_E_NOMEM;
    for (int i = 0; i < f.n && !rc; i++) {
        const ckpt_st_fent *t = &f.e[i];
        if (i + 8 < f.n) ckpt__model_prefetch(m, json + f.e[i + 8].name);
        int ti = kept ? ckpt__model_add_tensor_kept(m, json + t->name, NULL, (ckpt_dtype)t->dtype, t->ndim,
                                                    f.dims + t->dim0, fi, data_start + t->begin, err)
                      : ckpt__model_add_tensor(m, json + t->name, NULL, (ckpt_dtype)t->dtype, t->ndim,
                                               f.dims + t->dim0, fi, data_start + t->begin, err);
        if (ti < 0) rc = err->code ? (int)err->code : CKPT_E_NOMEM;
        else if (m->dup_of >= 0) {
            /* a name twice in this header is the full parser's error (the
             * first in header order); else an earlier shard has it */
            rc = reparse_full(m, fi, path, n, err);
            if (!rc) rc = dup_across(m, path, fi, ti, err);
        }
    }
    if (!rc) rc = add_meta_kv(m, f.meta_k, f.meta_v, f.nmeta, err);
    ckpt__st_fast_free(&f);
    if (!rc) *file_out = fi;
    return rc;
}

/* A shard set's one header buffer: each header is read into it and its
 * names copied out, so ten 1 MB headers take 1 MB of fresh pages, not 10. */
typedef struct {
    char *p;
    size_t cap;
    int borrow;   /* the names stay in p: the caller repoints them (NAMES_BORROW) */
} st_scratch;

static char *scratch_get(st_scratch *sc, size_t n)
{
    if (n > sc->cap) {
        size_t want = n + n / 4;   /* the next shard's header may be a little longer */
        char *nb = ckpt__big_realloc(sc->p, want);
        if (!nb) return NULL;
        sc->p = nb;
        sc->cap = want;
    }
    return sc->p;
}

/* The length and, usually, the whole header in one read (one range
 * request for remote files): into *bufp, or the scratch buffer with sc. */
static int read_header(ckpt_src *s, const char *path, st_scratch *sc, char **bufp, uint64_t *np,
                       ckpt_err *err)
{
    size_t first = s->size < 65536 ? (size_t)s->size : 65536;
    /* Remote (HTTP ranges): the length alone first, then exactly the
     * header, so listing a Hub model transfers only its headers. */
    if (ckpt_path_is_remote(path) && first > 8) first = 8;
    char *buf = sc ? scratch_get(sc, first ? first : 1) : ckpt__big_alloc(first ? first : 1);
    if (!buf) return st_nomem(err, path);
    if (!sc) *bufp = buf;
    int rc = CKPT_OK;
    if (first && (rc = ckpt_src_pread(s, buf, first, 0, err))) return rc;
    if ((rc = ckpt__st_parse_len((unsigned char *)buf, s->size, path, np, err))) return rc;
    if (8 + *np > first) {
        char *nb = sc ? scratch_get(sc, (size_t)(8 + *np)) : ckpt__big_realloc(buf, (size_t)(8 + *np));
        if (!nb) return st_nomem(err, path);
        buf = nb;
        if (!sc) *bufp = buf;
        if ((rc = ckpt_src_pread(s, buf + first, (size_t)(8 + *np - first), first, err))) return rc;
    }
    if (sc) *bufp = buf;
    return CKPT_OK;
}

/* Read the header of one shard and add its file and tensors to the model
 * (a name an earlier shard has is an error); sc: the set's read buffer,
 * or NULL for a buffer of its own. */
static int open_shard(ckpt_model *m, const char *path, st_scratch *sc, int *file_out, ckpt_err *err)
{
    ckpt_st_header hh, *h = &hh;
    memset(h, 0, sizeof *h);
    ckpt_src *s = NULL;
    int rc = ckpt_src_open(path, &s, err);
    if (rc) { ckpt_err_at_path(err, path); return rc; }
    if (s->is_dir) {
        ckpt_src_close(s);
        return st_fail(err, path, NULL, CKPT_NO_OFFSET, "is a directory, not a safetensors file");
    }
    char *buf = NULL;   /* the header; ours to free unless sc */
    uint64_t n = 0;
    if ((rc = read_header(s, path, sc, &buf, &n, err))) goto fail;
    /* the checks the full parser starts with, then the fast path */
    if (n && buf[8] == '{' && !memchr(buf + 8, 0, (size_t)n) && ckpt__utf8_valid(buf + 8, (size_t)n)) {
        rc = open_fast(m, path, &s, &buf, !sc ? NAMES_ADOPT : sc->borrow ? NAMES_BORROW : NAMES_COPY,
                       n, file_out, err);
        if (rc != 1) {
            if (!sc) ckpt__big_free(buf);
            if (s) ckpt_src_close(s);
            if (rc) ckpt_err_at_path(err, path);
            return rc;
        }
        rc = CKPT_OK;
    }
    if ((rc = ckpt__st_parse_header(buf + 8, (size_t)n, s->size, path, h, err))) goto fail;
    if (!sc) ckpt__big_free(buf);
    buf = NULL;

    int fi = ckpt__model_add_file(m, path, s->size, err);
    if (fi < 0) { rc = err->code ? (int)err->code : CKPT_E_NOMEM; goto fail; }
    m->files[fi].src = s;
    s = NULL;
    for (int i = 0; i < h->n; i++) {
        const ckpt_st_tensor *t = &h->t[i];
        int ti = ckpt__model_add_tensor(m, t->name, NULL, t->dtype, t->ndim, t->shape, fi,
                                        h->data_start + t->begin, err);
        if (ti < 0) {
            rc = err->code ? (int)err->code : CKPT_E_NOMEM;
            goto fail;
        }
        if (m->dup_of >= 0) { rc = dup_across(m, path, fi, ti, err); goto fail; }
    }
    if ((rc = add_meta_kv(m, h->meta_k, h->meta_v, h->nmeta, err))) goto fail;
    ckpt__st_header_free(h);
    *file_out = fi;
    return CKPT_OK;
fail:
    if (!sc) ckpt__big_free(buf);
    if (s) ckpt_src_close(s);
    ckpt__st_header_free(h);
    ckpt_err_at_path(err, path);
    return rc;
}

static int cmp_natstr(const void *a, const void *b)
{
    return ckpt__natcmp(*(char *const *)a, *(char *const *)b);
}

static void free_strv(char **v, int n)
{
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

static int add_str(char ***v, int *n, int *cap, const char *s)
{
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 8;
        char **nv = realloc(*v, (size_t)nc * sizeof *nv);
        if (!nv) return -1;
        *v = nv;
        *cap = nc;
    }
    if (!((*v)[*n] = ckpt__strdup(s))) return -1;
    (*n)++;
    return 0;
}

/* An index's weight_map: names and shard names, and a hash of the names
 * (NULL from the fast path: built on the first name out of order). */
typedef struct st_wmap {
    const char *const *k, *const *v;
    int n;
    struct ckpt_name_index *ix;  /* name -> position */
    int keys_stay;               /* the keys outlive the model: its tensors take their names */
} st_wmap;

/* The hash of the names, in order; the first name there twice is the
 * full parser's error (the fast path checked everything before it). A
 * weight_map matched wholly in order needs none: it cannot hold a name
 * twice, as the shards' tensors are all different. */
static int wmap_index(st_wmap *w, const char *index_path, ckpt_err *err)
{
    if (w->ix) return CKPT_OK;
    if (!(w->ix = ckpt__index_new()) || ckpt__index_reserve(w->ix, (size_t)w->n))
        return st_nomem(err, index_path);
    for (int i = 0; i < w->n; i++) {
        int prev = ckpt__index_put(w->ix, w->k[i], i);
        if (prev == -2) return st_nomem(err, index_path);
        if (prev >= 0) return st_fail(err, index_path, w->k[i], CKPT_NO_OFFSET, "duplicate name in weight_map");
    }
    return CKPT_OK;
}

/* Position of `name` in the weight_map: the next entry after the last one
 * found, when the map lists names in file order (no hashing), else by
 * hash; -1 when absent, -2 on an error (set). */
static int wmap_find(st_wmap *w, const char *name, int *next, const char *index_path, ckpt_err *err)
{
    if (*next < w->n && !strcmp(w->k[*next], name)) return (*next)++;
    if (wmap_index(w, index_path, err)) return -2;
    int i = ckpt__index_get(w->ix, name);
    if (i >= 0) *next = i + 1;
    return i;
}

/* Tensors t0.. (shard `shown`) against the weight_map; counts matches. */
static int shard_in_wmap(ckpt_model *m, int t0, st_wmap *wm, int *next, int *matched,
                         const char *shown, const char *index_path, ckpt_err *err)
{
    for (int i = t0; i < m->ntensors; i++) {
        const char *name = m->tensors[i].name;
        int wi = wmap_find(wm, name, next, index_path, err);
        if (wi == -2) return err->code;
        if (wi < 0)
            return st_fail(err, index_path, name, CKPT_NO_OFFSET,
                           "tensor of shard %s is missing from the index weight_map", shown);
        if (strcmp(wm->v[wi], shown))
            return st_fail(err, index_path, name, CKPT_NO_OFFSET,
                           "weight_map places the tensor in %.200s but it is in %.200s", wm->v[wi], shown);
        if (wm->keys_stay) m->tensors[i].name = m->tensors[i].src_name = wm->k[wi];   /* the same text */
        (*matched)++;
    }
    return CKPT_OK;
}

static int open_shards_run(ckpt_model *m, char **files, char **names, int nfiles, st_wmap *wm,
                           const char *index_path, ckpt_err *err)
{
    /* a shard symlinked out of the model's folder (to /etc/passwd ...) is not read */
    char *root = ckpt__is_dir(index_path) ? ckpt__strdup(index_path) : ckpt__path_dirname(index_path);
    if (!root) return st_nomem(err, index_path);
    for (int i = 0; i < nfiles; i++)
        if (ckpt__path_check_inside(root, files[i], names[i], err)) { free(root); return err->code; }
    free(root);
    int rc = CKPT_OK, matched = 0, next = 0;
    /* with the index's names kept, each shard's stay in the read buffer
     * only until shard_in_wmap points its tensors at the index's */
    st_scratch sc = {NULL, 0, wm && wm->keys_stay};
    for (int k = 0; k < nfiles && !rc; k++) {
        int fi, t0 = m->ntensors;
        if ((rc = open_shard(m, files[k], nfiles > 1 || sc.borrow ? &sc : NULL, &fi, err))) break;
        if (wm) rc = shard_in_wmap(m, t0, wm, &next, &matched, names[k], index_path, err);
    }
    ckpt__big_free(sc.p);
    if (!rc && wm && matched != wm->n && !(rc = wmap_index(wm, index_path, err))) {
        for (int i = 0; i < wm->n; i++)
            if (ckpt_model_find(m, wm->k[i]) < 0) {
                rc = st_fail(err, index_path, wm->k[i], CKPT_NO_OFFSET,
                             "weight_map lists the tensor in %.200s but that shard has no such tensor",
                             wm->v[i]);
                break;
            }
    }
    return rc;
}

/* Open shards `files` (full paths, in order) as one model; with a
 * weight_map (name -> shard base name as written in the index), check
 * both directions. A name twice in the weight_map is the error to give
 * before any other, as the full parser would. */
static int open_shards(ckpt_model *m, char **files, char **names, int nfiles, st_wmap *wm,
                       const char *index_path, ckpt_err *err)
{
    int rc = open_shards_run(m, files, names, nfiles, wm, index_path, err);
    if (rc && wm && !wm->ix) {
        ckpt_err dup;
        ckpt_err_clear(&dup);
        if (wmap_index(wm, index_path, &dup)) { *err = dup; rc = dup.code; }
    }
    return rc;
}

static char *meta_value_text(const cJSON *v)
{
    if (cJSON_IsString(v)) return ckpt__strdup(v->valuestring);
    uint64_t u;
    if (!ckpt__json_u64(v, &u)) return ckpt__asprintf("%llu", (unsigned long long)u);
    return cJSON_PrintUnformatted(v);
}

int ckpt__st_parse_index(const char *txt, size_t len, const char *index_path, cJSON **root_out,
                         char ***names_out, int *nnames, ckpt_err *err)
{
    char **names = NULL;
    int nn = 0, capn = 0, rc = CKPT_OK;
    *root_out = NULL;
    *names_out = NULL;
    *nnames = 0;
    if (memchr(txt, 0, len))
        return st_fail(err, index_path, NULL, (uint64_t)((const char *)memchr(txt, 0, len) - txt),
                       "index contains a NUL byte");
    if (!ckpt__utf8_valid(txt, len))
        return st_fail(err, index_path, NULL, CKPT_NO_OFFSET, "index is not valid UTF-8");
    char *copy = ckpt__strndup(txt, len);  /* cJSON wants the terminator */
    if (!copy) return st_nomem(err, index_path);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(copy, len + 1, &end, 1);
    if (!root) {
        rc = st_fail(err, index_path, NULL, end ? (uint64_t)(end - copy) : 0,
                     "index is not valid JSON");
        free(copy);
        return rc;
    }
    free(copy);
    const cJSON *wmap = cJSON_GetObjectItemCaseSensitive(root, "weight_map");
    if (!cJSON_IsObject(root) || !cJSON_IsObject(wmap)) {
        cJSON_Delete(root);
        return st_fail(err, index_path, NULL, CKPT_NO_OFFSET, "index has no \"weight_map\" object");
    }
    struct ckpt_name_index *dup = ckpt__index_new();
    if (!dup) rc = st_nomem(err, index_path);
    for (const cJSON *w = wmap->child; w && !rc; w = w->next) {
        int prev = ckpt__index_put(dup, w->string, 0);
        if (prev == -2) rc = st_nomem(err, index_path);
        else if (prev >= 0)
            rc = st_fail(err, index_path, w->string, CKPT_NO_OFFSET, "duplicate name in weight_map");
        else if (!cJSON_IsString(w) || ckpt__path_problem(w->valuestring, CKPT_PATH_NO_DOT))
            rc = st_fail(err, index_path, w->string, CKPT_NO_OFFSET,
                         "weight_map value is not a shard file name in the index's directory");
        else {
            int known = 0;
            for (int i = nn - 1; i >= 0 && !known; i--) known = !strcmp(names[i], w->valuestring);
            if (!known && add_str(&names, &nn, &capn, w->valuestring))
                rc = st_nomem(err, index_path);
        }
    }
    ckpt__index_free(dup);
    if (rc) {
        cJSON_Delete(root);
        free_strv(names, nn);
        return rc;
    }
    if (nn == 0) {
        cJSON_Delete(root);
        return st_fail(err, index_path, NULL, CKPT_NO_OFFSET, "index weight_map is empty");
    }
    qsort(names, (size_t)nn, sizeof *names, cmp_natstr);
    *root_out = root;
    *names_out = names;
    *nnames = nn;
    return CKPT_OK;
}

/* The shard paths beside the index, for shard names[0..nn). */
static int shard_paths(const char *index_path, char **names, int nn, char ***files, int *nf, ckpt_err *err)
{
    int capf = 0;
    char *dir = ckpt__path_dirname(index_path);
    if (!dir) return st_nomem(err, index_path);
    for (int i = 0; i < nn; i++) {
        char *p = ckpt__path_join(dir, names[i]);
        if (!p || add_str(files, nf, &capf, p)) { free(p); free(dir); return st_nomem(err, index_path); }
        free(p);
    }
    free(dir);
    return CKPT_OK;
}

/* The index's "metadata" members as model metadata (after the shards' own). */
static int index_meta(ckpt_model *m, const cJSON *meta, const char *index_path, ckpt_err *err)
{
    st_model *sm = m->priv;
    sm->index_meta_from = m->nmeta;
    for (const cJSON *e = cJSON_IsObject(meta) ? meta->child : NULL; e; e = e->next) {
        if (ckpt_model_meta_get(m, e->string)) continue;
        char *v = meta_value_text(e);
        if (!v) return st_nomem(err, index_path);
        int rc = ckpt__model_add_meta(m, e->string, v, err);
        free(v);
        if (rc) return rc;
    }
    return CKPT_OK;
}

/* A weight_map's text is a set's biggest buffer (68 MiB at 1M tensors,
 * half of it the shard name again and again): each value becomes its
 * entry in names[], the keys move to the front and the rest goes back to
 * the system before the model's tables grow. The text is not restorable
 * after this: only once the fast path is committed. */
static void pack_wmap(ckpt_st_findex *x, char *txt, char **names, int nn)
{
    int j = 0;
    for (int i = 0; i < x->n; i++) {
        if (strcmp(names[j], x->v[i]))
            for (j = 0; j < nn - 1 && strcmp(names[j], x->v[i]); j++) {}
        x->v[i] = names[j];   /* every value is one of them: the caller listed them */
    }
    size_t w = 0;
    for (int i = 0; i < x->n; i++) {
        size_t l = strlen(x->k[i]) + 1;
        memmove(txt + w, x->k[i], l);   /* keys lie in increasing order: never ahead of w */
        x->k[i] = txt + w;
        w += l;
    }
    ckpt__big_trim(txt, w);
}

/* The fast path (st_fast.c) over txt (changed in place): 0 opened, 1 when
 * the full parser must decide (txt as it was, the model untouched), else
 * an error. Its checks are the full parser's; any failure goes there for
 * the message. */
static int open_index_fast(ckpt_model *m, const char *index_path, char **txtp, size_t len, ckpt_err *err)
{
    char *txt = *txtp;
    if (memchr(txt, 0, len) || !ckpt__utf8_valid(txt, len)) return 1;
    ckpt_st_findex x;
    int rc = ckpt__st_fast_index(txt, len, &x);
    if (rc == -2) return st_nomem(err, index_path);
    if (rc) return 1;
    st_wmap wm = {(const char *const *)x.k, (const char *const *)x.v, x.n, NULL, 1};
    char **names = NULL, **files = NULL, *mt = NULL;
    int nn = 0, capn = 0, nf = 0, slow = 0;
    cJSON *meta = NULL;
    /* names twice: open_shards (the hash only when the order needs it) */
    for (int i = 0; i < x.n && !rc && !slow; i++) {
        if (nn && !strcmp(names[nn - 1], x.v[i])) continue;
        else if (ckpt__path_problem(x.v[i], CKPT_PATH_NO_DOT)) slow = 1;
        else {
            int known = 0;
            for (int j = nn - 1; j >= 0 && !known; j--) known = !strcmp(names[j], x.v[i]);
            if (!known && add_str(&names, &nn, &capn, x.v[i])) rc = st_nomem(err, index_path);
        }
    }
    if (!rc && !slow && x.meta) {
        const char *end = NULL;
        if (!(mt = ckpt__strndup(x.meta, x.meta_len))) rc = st_nomem(err, index_path);
        else if (!(meta = cJSON_ParseWithLengthOpts(mt, x.meta_len + 1, &end, 1))) slow = 1;
    }
    if (!rc && !slow && nn == 0) slow = 1;
    if (!rc && !slow) {
        /* from here on the model changes: errors are final */
        qsort(names, (size_t)nn, sizeof *names, cmp_natstr);
        pack_wmap(&x, txt, names, nn);
        /* the packed keys become the tensors' names: the model keeps them */
        if ((!m->pool && !(m->pool = ckpt__pool_new())) || ckpt__pool_adopt(m->pool, txt))
            rc = st_nomem(err, index_path);
        else *txtp = NULL;
        if (!rc) rc = shard_paths(index_path, names, nn, &files, &nf, err);
        if (!rc && ckpt__model_reserve(m, x.n, err)) rc = CKPT_E_NOMEM;   /* sized once */
        if (!rc) rc = open_shards(m, files, names, nf, &wm, index_path, err);
        if (!rc) rc = index_meta(m, meta, index_path, err);
    }
    if (slow) ckpt__st_fast_restore(txt, len);
    cJSON_Delete(meta);
    free(mt);
    ckpt__index_free(wm.ix);
    ckpt__st_fast_index_free(&x);
    free_strv(names, nn);
    free_strv(files, nf);
    return slow ? 1 : rc;
}

static int open_index(ckpt_model *m, const char *index_path, ckpt_err *err)
{
    char *txt = NULL;
    size_t len = 0;
    int rc = ckpt__src_slurp_big(index_path, INDEX_MAX, &txt, &len, err);
    if (rc) { ckpt_err_at_path(err, index_path); return rc; }
    if ((rc = open_index_fast(m, index_path, &txt, len, err)) != 1) {
        ckpt__big_free(txt);
        return rc;
    }
    cJSON *root = NULL;
    char **files = NULL, **names = NULL;
    int nf = 0, nn = 0;
    st_wmap wm = {0};
    if ((rc = ckpt__st_parse_index(txt, len, index_path, &root, &names, &nn, err))) goto out;
    const cJSON *wmap = cJSON_GetObjectItemCaseSensitive(root, "weight_map");
    /* the weight_map as arrays, for open_shards */
    int nw = cJSON_GetArraySize(wmap), k = 0;
    const char **wk = malloc(((size_t)nw + 1) * sizeof *wk), **wv = malloc(((size_t)nw + 1) * sizeof *wv);
    wm = (st_wmap){wk, wv, nw, ckpt__index_new(), 0};   /* cJSON's keys go with it: names copied */
    if (!wk || !wv || !wm.ix) rc = st_nomem(err, index_path);
    for (const cJSON *w = wmap->child; w && !rc; w = w->next, k++) {
        wk[k] = w->string;
        wv[k] = w->valuestring;
        if (ckpt__index_put(wm.ix, w->string, k) == -2) rc = st_nomem(err, index_path);
    }
    if (!rc) rc = shard_paths(index_path, names, nn, &files, &nf, err);
    if (!rc) rc = open_shards(m, files, names, nf, &wm, index_path, err);
    if (!rc) rc = index_meta(m, cJSON_GetObjectItemCaseSensitive(root, "metadata"), index_path, err);
out:
    free((void *)wm.k);
    free((void *)wm.v);
    ckpt__index_free(wm.ix);
    cJSON_Delete(root);
    ckpt__big_free(txt);
    free_strv(files, nf);
    free_strv(names, nn);
    return rc;
}

/* What a directory holds: its index files and its .safetensors files. */
static int scan_dir(const char *path, char ***idx, int *nidx, char ***st, int *nst)
{
    int capi = 0, caps = 0;
    *idx = *st = NULL;
    *nidx = *nst = 0;
    DIR *d = opendir(path);
    if (!d) return -1;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) && !rc) {
        if (de->d_name[0] == '.') continue;
        if (ckpt__ends_with(de->d_name, ".safetensors.index.json"))
            rc = add_str(idx, nidx, &capi, de->d_name);
        else if (ckpt__ends_with(de->d_name, ".safetensors"))
            rc = add_str(st, nst, &caps, de->d_name);
    }
    closedir(d);
    if (*nidx) qsort(*idx, (size_t)*nidx, sizeof **idx, cmp_natstr);
    if (*nst) qsort(*st, (size_t)*nst, sizeof **st, cmp_natstr);
    return rc;
}

static int open_dir(ckpt_model *m, const char *path, ckpt_err *err)
{
    char **idx, **st;
    int nidx, nst, rc = CKPT_OK;
    if (scan_dir(path, &idx, &nidx, &st, &nst)) {
        ckpt_err_sys(err, CKPT_E_IO, errno, "cannot list directory");
        ckpt_err_at_path(err, path);
        free_strv(idx, nidx);
        free_strv(st, nst);
        return err->code;
    }
    const char *pick = NULL;
    for (int i = 0; i < nidx; i++)
        if (!strcmp(idx[i], "model.safetensors.index.json")) pick = idx[i];
    if (!pick && nidx == 1) pick = idx[0];
    if (pick) {
        char *ip = ckpt__path_join(path, pick);
        rc = ip ? open_index(m, ip, err) : st_nomem(err, path);
        free(ip);
    } else if (nidx > 1) {
        rc = st_fail(err, path, NULL, CKPT_NO_OFFSET,
                     "several *.safetensors.index.json files and no model.safetensors.index.json: "
                     "open one of them");
    } else if (nst == 0) {
        rc = st_fail(err, path, NULL, CKPT_NO_OFFSET, "no .safetensors files in the directory");
    } else {
        char **files = calloc((size_t)nst, sizeof *files);
        if (!files) rc = st_nomem(err, path);
        for (int i = 0; !rc && i < nst; i++)
            if (!(files[i] = ckpt__path_join(path, st[i]))) rc = st_nomem(err, path);
        if (!rc) rc = open_shards(m, files, st, nst, NULL, path, err);
        free_strv(files, files ? nst : 0);
    }
    free_strv(idx, nidx);
    free_strv(st, nst);
    return rc;
}

static void st_close(ckpt_model *m)
{
    for (int i = 0; i < m->nfiles; i++)
        if (m->files[i].src) {
            ckpt_src_close(m->files[i].src);
            m->files[i].src = NULL;
        }
    free(m->priv);
    m->priv = NULL;
}

static int st_open(ckpt_model *m, const char *path, ckpt_err *err)
{
    st_model *sm = calloc(1, sizeof *sm);
    if (!sm) return st_nomem(err, path);
    sm->index_meta_from = -1;
    m->priv = sm;
    int rc;
    if (!ckpt_path_is_remote(path) && ckpt__is_dir(path)) {
        rc = open_dir(m, path, err);
    } else if (ckpt__ends_with(path, ".index.json")) {
        rc = open_index(m, path, err);
    } else {
        int fi;
        rc = open_shard(m, path, NULL, &fi, err);
    }
    return rc;
}

static int st_read(ckpt_model *m, int t, uint64_t off, void *buf, size_t n, ckpt_err *err)
{
    const ckpt_tensor *ct = &m->tensors[t];
    ckpt_file *f = &m->files[ct->file];
    int rc = CKPT_OK;
    if (!f->src) rc = ckpt_src_open(f->path, &f->src, err);
    if (!rc) rc = ckpt_src_pread(f->src, buf, n, ct->offset + off, err);
    if (rc) {
        ckpt_err_at_path(err, f->path);
        ckpt_err_at_tensor(err, ct->name);
        ckpt_err_at_offset(err, ct->offset + off);
    }
    return rc;
}

/* Every tensor of a local safetensors file is its file's bytes. */
static int st_raw_span(ckpt_model *m, int t, int *fd, uint64_t *off)
{
    const ckpt_tensor *ct = &m->tensors[t];
    ckpt_file *f = &m->files[ct->file];
    if (!f->src) {
        ckpt_err e;
        ckpt_err_clear(&e);
        if (ckpt_src_open(f->path, &f->src, &e)) return 0;
    }
    if (f->src->fd < 0 || ct->offset == CKPT_NO_OFFSET) return 0;
    *fd = f->src->fd;
    *off = ct->offset;
    return 1;
}

static int st_probe(const char *path, int is_dir, const unsigned char *head, size_t n)
{
    if (is_dir) {
        if (ckpt_path_is_remote(path)) return 0;
        char **idx, **st;
        int nidx, nst, score = 0;
        if (!scan_dir(path, &idx, &nidx, &st, &nst))
            score = nidx ? 90 : nst ? 80 : 0;
        free_strv(idx, nidx);
        free_strv(st, nst);
        return score;
    }
    if (ckpt__ends_with(path, ".safetensors.index.json")) return 100;
    if (head && n >= 9 && le64(head) <= CKPT_ST_MAX_HEADER && head[8] == '{') return 100;
    /* A damaged file with the right name: ours, so the error says what is wrong. */
    if (ckpt__ends_with(path, ".safetensors")) return 60;
    return 0;
}

/* ====================================================================== */
/* Writer                                                                  */
/* ====================================================================== */

/* A JSON string literal, escaped by cJSON. */
static void sb_jstr(ckpt_sbuf *b, const char *s)
{
    cJSON *x = cJSON_CreateString(s);
    char *t = x ? cJSON_PrintUnformatted(x) : NULL;
    if (t) ckpt__sb_puts(b, t);
    else b->oom = 1;
    free(t);
    cJSON_Delete(x);
}

/* Metadata from other formats (GGUF strings are bytes) may not be UTF-8,
 * which the header must be: invalid bytes are kept as the text "\xNN". */
static void sb_jstr_utf8(ckpt_sbuf *b, const char *s)
{
    if (ckpt__utf8_valid(s, strlen(s))) { sb_jstr(b, s); return; }
    char *t = ckpt__utf8_escape(s, NULL);
    if (t) sb_jstr(b, t);
    else b->oom = 1;
    free(t);
}

typedef struct st_wshard {
    int first, last;             /* plan entries [first, last) */
    uint64_t data_len;
    const char *path;            /* borrowed from the shard plan */
} st_wshard;

typedef struct st_writer {
    ckpt_shards S;               /* files, entry -> file, index path (formats/shards.c) */
    st_wshard *sh;
    uint64_t *off;               /* per plan entry: offset in its shard's data buffer */
    int cur;                     /* shard being written, -1 before the first */
    int fd;
    uint64_t pos;                /* file position in the current shard */
    uint64_t flushed;            /* writeback started up to here */
    uint64_t data_start;         /* 8 + N of the current shard */
} st_writer;

static void st_writer_free(st_writer *s)
{
    if (!s) return;
    ckpt__shards_free(&s->S);
    free(s->sh);
    free(s->off);
    free(s);
}

static void st_write_abort(ckpt_writer *w)
{
    st_writer_free(w->priv);
    w->priv = NULL;
}

/* Metadata the output carries: the source's, except what an index.json
 * contributed (total_size describes the old set, not a shard). */
static int meta_carried(const ckpt_model *src, int i)
{
    if (src->fmt == &ckpt_fmt_safetensors && src->priv) {
        const st_model *sm = src->priv;
        if (sm->index_meta_from >= 0 && i >= sm->index_meta_from) return 0;
    }
    return 1;
}

static int build_header(ckpt_writer *w, const st_wshard *sh, ckpt_sbuf *b)
{
    const st_writer *s = w->priv;
    ckpt__sb_puts(b, "{");
    int first = 1, nm = ckpt_model_nmeta(w->src), any = 0;
    for (int i = 0; i < nm; i++) {
        if (!meta_carried(w->src, i)) continue;
        const char *k, *v;
        ckpt_model_meta(w->src, i, &k, &v);
        ckpt__sb_puts(b, any ? "," : "\"__metadata__\":{");
        sb_jstr_utf8(b, k);
        ckpt__sb_puts(b, ":");
        sb_jstr_utf8(b, v ? v : "");
        any = 1;
    }
    if (any) { ckpt__sb_puts(b, "}"); first = 0; }
    for (int i = sh->first; i < sh->last; i++) {
        const ckpt_plan_entry *e = &w->plan->e[i];
        if (!first) ckpt__sb_puts(b, ",");
        first = 0;
        sb_jstr(b, e->name);
        ckpt__sb_printf(b, ":{\"dtype\":\"%s\",\"shape\":[", ckpt_dtype_name(e->dtype));
        for (int d = 0; d < e->ndim; d++) ckpt__sb_printf(b, "%s%lld", d ? "," : "", (long long)e->shape[d]);
        ckpt__sb_printf(b, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)s->off[i],
                  (unsigned long long)(s->off[i] + e->nbytes));
    }
    ckpt__sb_puts(b, "}");
    while (!b->oom && b->n % 8) ckpt__sb_puts(b, " ");  /* the reference pads to 8 with spaces */
    return b->oom ? -1 : 0;
}

static int open_next_shard(ckpt_writer *w, ckpt_err *err)
{
    st_writer *s = w->priv;
    int k = s->cur + 1;
    st_wshard *sh = &s->sh[k];
    ckpt_sbuf b = {0};
    if (build_header(w, sh, &b)) {
        free(b.p);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory building the safetensors header");
    }
    if (b.n > CKPT_ST_MAX_HEADER) {
        free(b.p);
        ckpt_err_set(err, CKPT_E_UNSUPPORTED,
                     "header would be %zu bytes, over the safetensors limit of %llu: use --shard-size",
                     b.n, (unsigned long long)CKPT_ST_MAX_HEADER);
        ckpt_err_at_path(err, sh->path);
        return err->code;
    }
    int fd = ckpt_txn_create(w->txn, sh->path, err);
    if (fd < 0) { free(b.p); ckpt_err_at_path(err, sh->path); return err->code ? (int)err->code : CKPT_E_IO; }
    unsigned char pre[8];
    put_le64(pre, b.n);
    int bad = ckpt__write_full(fd, pre, 8) || ckpt__write_full(fd, b.p, b.n);
    int e = errno;
    free(b.p);
    if (bad) {
        ckpt_err_sys(err, CKPT_E_IO, e, "cannot write");
        ckpt_err_at_path(err, sh->path);
        return err->code;
    }
    s->cur = k;
    s->fd = fd;
    s->data_start = s->pos = 8 + b.n;
    s->flushed = 0;
    return CKPT_OK;
}

static int finish_shard(ckpt_writer *w, ckpt_err *err)
{
    st_writer *s = w->priv;
    if (s->cur < 0) return CKPT_OK;
    const st_wshard *sh = &s->sh[s->cur];
    if (s->pos != s->data_start + sh->data_len) {
        ckpt_err_set(err, CKPT_E_IO, "internal: shard got %llu of %llu data bytes",
                     (unsigned long long)(s->pos - s->data_start), (unsigned long long)sh->data_len);
        ckpt_err_at_path(err, sh->path);
        return err->code;
    }
    ckpt_txn_close_fd(w->txn, s->fd);
    s->fd = -1;
    return CKPT_OK;
}

/* Open shards up to and including shard k (earlier ones hold only empty tensors). */
static int advance_to(ckpt_writer *w, int k, ckpt_err *err)
{
    st_writer *s = w->priv;
    while (s->cur < k) {
        int rc = finish_shard(w, err);
        if (!rc) rc = open_next_shard(w, err);
        if (rc) return rc;
    }
    return CKPT_OK;
}

static int st_write_begin(ckpt_writer *w, ckpt_err *err)
{
    const ckpt_plan *p = w->plan;
    const char *out = w->opts->out;
    uint64_t limit = w->opts->shard_size;
    st_writer *s = calloc(1, sizeof *s);
    if (!s) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    w->priv = s;
    s->cur = -1;
    s->fd = -1;
    int rc = ckpt__shards_plan(p, limit, out, "model.safetensors", ".safetensors", &s->S, err);
    if (rc) return rc;
    s->sh = calloc((size_t)s->S.n, sizeof *s->sh);
    s->off = calloc((size_t)p->n + 1, sizeof *s->off);
    if (!s->sh || !s->off) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    for (int k = 0; k < s->S.n; k++) {
        st_wshard *sh = &s->sh[k];
        sh->first = s->S.first[k];
        sh->last = s->S.first[k + 1];
        sh->path = s->S.paths[k];
        for (int i = sh->first; i < sh->last; i++) {
            s->off[i] = sh->data_len;
            sh->data_len += p->e[i].nbytes;
        }
    }
    return CKPT_OK;
}

/* Before a chunk of entry i at off: the right shard, in order. */
static int chunk_at(ckpt_writer *w, int i, uint64_t off, ckpt_err *err)
{
    st_writer *s = w->priv;
    int rc = advance_to(w, s->S.of[i], err);
    if (rc) return rc;
    if (s->pos != s->data_start + s->off[i] + off) {
        ckpt_err_set(err, CKPT_E_IO, "internal: chunks out of order");
        ckpt_err_at_path(err, s->sh[s->cur].path);
        ckpt_err_at_tensor(err, w->plan->e[i].name);
        return err->code;
    }
    return CKPT_OK;
}

static void chunk_done(ckpt_writer *w, st_writer *s, size_t n)
{
    s->pos += n;
    ckpt__txn_writeback(w->txn, s->fd, &s->flushed, s->pos);
}

/* A chunk that failed: where (the shard, the tensor, the shard's offset). */
static int chunk_fail(ckpt_writer *w, int i, ckpt_err *err)
{
    st_writer *s = w->priv;
    ckpt_err_at_path(err, s->sh[s->cur].path);
    ckpt_err_at_tensor(err, w->plan->e[i].name);
    ckpt_err_at_offset(err, s->pos);
    return err->code;
}

static int st_write(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err)
{
    st_writer *s = w->priv;
    int rc = chunk_at(w, i, off, err);
    if (rc) return rc;
    if (ckpt__write_full(s->fd, buf, n)) {
        ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write");
        return chunk_fail(w, i, err);
    }
    chunk_done(w, s, n);
    return CKPT_OK;
}

/* The same chunk copied by the kernel from the source file. */
static int st_write_copy(ckpt_writer *w, int i, uint64_t off, int fd, uint64_t src_off, size_t n,
                         ckpt_err *err)
{
    st_writer *s = w->priv;
    int rc = chunk_at(w, i, off, err);
    if (rc) return rc;
    if (ckpt__copy_fd(fd, src_off, s->fd, n, &w->kernel_copy, w->src)) {
        const ckpt_tensor *t = ckpt_model_tensor(w->src, w->plan->e[i].src);
        const char *from = t ? w->src->files[t->file].path : "?";
        if (errno) ckpt_err_sys(err, CKPT_E_IO, errno, "cannot copy from %s", from);
        else ckpt_err_set(err, CKPT_E_FORMAT, "%s: truncated (file shrank while reading)", from);
        return chunk_fail(w, i, err);
    }
    chunk_done(w, s, n);
    return CKPT_OK;
}

static int st_write_end(ckpt_writer *w, ckpt_err *err)
{
    st_writer *s = w->priv;
    int rc = advance_to(w, s->S.n - 1, err);
    if (!rc) rc = finish_shard(w, err);
    if (!rc && s->S.index_path) rc = ckpt__shards_write_index(&s->S, w->plan, w->txn, err);
    if (rc) return rc;
    if (w->res) {
        w->res->nfiles = s->S.n + (s->S.index_path ? 1 : 0);
        snprintf(w->res->main_path, sizeof w->res->main_path, "%s",
                 s->S.index_path ? s->S.index_path : s->sh[0].path);
    }
    st_write_abort(w);  /* frees the state */
    return CKPT_OK;
}

const ckpt_format ckpt_fmt_safetensors = {
    .name = "safetensors",
    .desc = "safetensors (single file or sharded)",
    .exts = ".safetensors .safetensors.index.json",
    .flags = CKPT_FMT_READ | CKPT_FMT_WRITE,
    .probe = st_probe,
    .open = st_open,
    .read = st_read,
    .close = st_close,
    .write_begin = st_write_begin,
    .write = st_write,
    .write_end = st_write_end,
    .write_abort = st_write_abort,
    .raw_span = st_raw_span,
    .write_copy = st_write_copy,
    .hub_files = "model.safetensors.index.json=100 model.safetensors=95 *.safetensors.index.json=90 *.safetensors=85",
    .remote_ranges = "*.safetensors",
    .companions = "config.json *.safetensors generation_config.json tokenizer.json tokenizer_config.json special_tokens_map.json",
};
