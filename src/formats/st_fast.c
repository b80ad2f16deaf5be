/* src/formats/st_fast.c: the fast path of the safetensors header parser.
 *
 * A single pass over the header text, in place: no JSON tree, no string per
 * name (a name's closing quote becomes its NUL), shapes in one array. It
 * accepts only the plain form every writer produces (names without
 * escapes, integers without sign, fraction or exponent, the three known
 * fields) and every check of the full parser; anything else (an error, an
 * escape in a name, an unknown field, a float, ...) answers "bail" and the
 * caller runs the full parser (fmt_safetensors.c), which gives the same
 * result or the precise message. The fuzz target checks that whatever this
 * accepts the full parser accepts, identically.
 */
#include "formats/st_fast.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BAIL (-1)
#define NOMEM (-2)

typedef struct cur {
    char *p, *e;
} cur;

/* cJSON skips every byte <= 32 as whitespace (NUL never gets here) */
static void ws(cur *c)
{
    while (c->p < c->e && (unsigned char)*c->p <= 32) c->p++;
}

static int eat(cur *c, char ch)
{
    ws(c);
    if (c->p >= c->e || *c->p != ch) return -1;
    c->p++;
    return 0;
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The bytes of w (8 of the text) that end a plain string ('"', '\\', or
 * below 0x20), as the high bit of each: exact up to the first (a borrow
 * only runs upwards from a true one), which is all the caller uses. */
static uint64_t enders(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    return (((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w)) & high;
}
#endif

/* A string without escapes or control bytes: [*s, *s + *n). Eight bytes a
 * step: names are most of a header's bytes. */
static int str_plain(cur *c, char **s, size_t *n)
{
    if (eat(c, '"')) return -1;
    char *q = c->p;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__   /* the first byte is the lowest */
    for (uint64_t w, m; c->e - q >= 8; q += 8) {
        memcpy(&w, q, 8);
        if ((m = enders(w))) {
            q += __builtin_ctzll(m) / 8;
            break;
        }
    }
#endif
    while (q < c->e && *q != '"') {
        if (*q == '\\' || (unsigned char)*q < 0x20) return -1;
        q++;
    }
    if (q >= c->e) return -1;
    *s = c->p;
    *n = (size_t)(q - c->p);
    c->p = q + 1;
    return 0;
}

/* A string that may hold the simple escapes, decoded into a malloc'd copy
 * (metadata values: JSON configs in metadata are full of \"); \u bails. */
static int str_copy(cur *c, char **out)
{
    if (eat(c, '"')) return -1;
    char *q = c->p;
    size_t esc = 0;
    while (q < c->e && *q != '"') {
        if ((unsigned char)*q < 0x20) return -1;
        if (*q == '\\') { esc = 1; if (++q >= c->e) return -1; }
        q++;
    }
    if (q >= c->e) return -1;
    size_t n = (size_t)(q - c->p);
    char *d = malloc(n + 1), *w = d;
    if (!d) return NOMEM;
    for (const char *r = c->p; r < q; r++) {
        if (!esc || *r != '\\') { *w++ = *r; continue; }
        switch (*++r) {
        case '"': *w++ = '"'; break;
        case '\\': *w++ = '\\'; break;
        case '/': *w++ = '/'; break;
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        default: free(d); return -1;
        }
    }
    *w = 0;
    c->p = q + 1;
    *out = d;
    return 0;
}

/* An unsigned integer of at most 15 digits (exact as a double, as the full
 * parser wants), no leading zero, not followed by a fraction or exponent. */
static int uint_plain(cur *c, uint64_t *v)
{
    ws(c);
    const char *q = c->p;
    uint64_t x = 0;
    while (q < c->e && *q >= '0' && *q <= '9' && q - c->p < 16) x = x * 10 + (uint64_t)(*q++ - '0');
    size_t k = (size_t)(q - c->p);
    if (k == 0 || k > 15 || (k > 1 && *c->p == '0')) return -1;
    if (q < c->e && (*q == '.' || *q == 'e' || *q == 'E' || (*q >= '0' && *q <= '9'))) return -1;
    c->p = (char *)q;
    *v = x;
    return 0;
}

static int push_dim(ckpt_st_fast *f, int64_t d)
{
    if (f->ndims == f->capdims) {
        size_t nc = f->capdims ? f->capdims * 2 : 1024;
        int64_t *nd = ckpt__big_realloc(f->dims, nc * sizeof *nd);
        if (!nd) return NOMEM;
        f->dims = nd;
        f->capdims = nc;
    }
    f->dims[f->ndims++] = d;
    return 0;
}

static int dtype_of(const char *s, size_t n, ckpt_dtype *dt)
{
    char b[24];
    if (n >= sizeof b) return -1;
    memcpy(b, s, n);
    b[n] = 0;
    *dt = ckpt_dtype_from_name(b);
    return *dt == CKPT_DT_INVALID ? -1 : 0;
}

/* {"dtype": .., "shape": [..], "data_offsets": [b, e]} in any order. */
static int entry(cur *c, ckpt_st_fast *f, ckpt_st_fent *t)
{
    int have = 0, rc;
    if (eat(c, '{')) return BAIL;
    t->dim0 = (uint32_t)f->ndims;
    for (;;) {
        char *k;
        size_t kn;
        if (str_plain(c, &k, &kn) || eat(c, ':')) return BAIL;
        if (kn == 5 && !memcmp(k, "dtype", 5) && !(have & 1)) {
            char *s;
            size_t sn;
            ckpt_dtype dt;
            if (str_plain(c, &s, &sn) || dtype_of(s, sn, &dt)) return BAIL;
            t->dtype = (uint8_t)dt;
            have |= 1;
        } else if (kn == 5 && !memcmp(k, "shape", 5) && !(have & 2)) {
            if (eat(c, '[')) return BAIL;
            ws(c);
            int nd = 0;
            t->dim0 = (uint32_t)f->ndims;
            if (c->p < c->e && *c->p == ']') c->p++;
            else for (;;) {
                uint64_t v;
                if (uint_plain(c, &v) || ++nd > CKPT_MAX_DIMS) return BAIL;
                if ((rc = push_dim(f, (int64_t)v))) return rc;
                ws(c);
                if (c->p < c->e && *c->p == ',') { c->p++; continue; }
                if (eat(c, ']')) return BAIL;
                break;
            }
            t->ndim = (uint8_t)nd;
            have |= 2;
        } else if (kn == 12 && !memcmp(k, "data_offsets", 12) && !(have & 4)) {
            if (eat(c, '[') || uint_plain(c, &t->begin) || eat(c, ',') || uint_plain(c, &t->end) ||
                eat(c, ']'))
                return BAIL;
            have |= 4;
        } else {
            return BAIL;   /* unknown or repeated field: the full parser decides */
        }
        ws(c);
        if (c->p < c->e && *c->p == ',') { c->p++; continue; }
        if (eat(c, '}')) return BAIL;
        break;
    }
    if (have != 7) return BAIL;
    /* the byte span must be what dtype and shape need */
    uint64_t ne = 1, nb;
    for (int i = 0; i < t->ndim; i++)
        if (ckpt__mul_u64(ne, (uint64_t)f->dims[t->dim0 + (uint32_t)i], &ne)) return BAIL;
    if (ckpt__mul_u64(ne, ckpt_dtype_size((ckpt_dtype)t->dtype), &nb)) return BAIL;
    if (t->end < t->begin || t->end - t->begin != nb) return BAIL;
    return 0;
}

static int meta(cur *c, ckpt_st_fast *f)
{
    ws(c);
    if (c->e - c->p >= 4 && !memcmp(c->p, "null", 4)) { c->p += 4; return 0; }
    if (eat(c, '{')) return BAIL;
    ws(c);
    if (c->p < c->e && *c->p == '}') { c->p++; return 0; }
    for (;;) {
        if (f->nmeta == f->capmeta) {
            int nc = f->capmeta ? f->capmeta * 2 : 8;
            if (nc > 4096) return BAIL;   /* the full parser's duplicate check is quadratic too */
            char **nk = realloc(f->meta_k, (size_t)nc * sizeof *nk);
            if (!nk) return NOMEM;
            f->meta_k = nk;
            char **nv = realloc(f->meta_v, (size_t)nc * sizeof *nv);
            if (!nv) return NOMEM;
            f->meta_v = nv;
            f->capmeta = nc;
        }
        char *k = NULL, *v = NULL;
        int rc = str_copy(c, &k);
        if (!rc) rc = eat(c, ':') ? BAIL : str_copy(c, &v);
        if (rc) { free(k); return rc; }
        for (int i = 0; i < f->nmeta; i++)
            if (!strcmp(f->meta_k[i], k)) { free(k); free(v); return BAIL; }
        f->meta_k[f->nmeta] = k;
        f->meta_v[f->nmeta++] = v;
        ws(c);
        if (c->p < c->e && *c->p == ',') { c->p++; continue; }
        return eat(c, '}') ? BAIL : 0;
    }
}

static int cmp_fent(const void *a, const void *b)
{
    const ckpt_st_fent *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

static int body(cur *c, ckpt_st_fast *f, uint64_t data_len)
{
    int rc, seen_meta = 0, pos = 0;
    if (eat(c, '{')) return BAIL;
    ws(c);
    if (c->p < c->e && *c->p == '}') c->p++;
    else for (;; pos++) {
        char *k;
        size_t kn;
        if (str_plain(c, &k, &kn) || eat(c, ':')) return BAIL;
        if (kn == 12 && !memcmp(k, "__metadata__", 12)) {
            if (seen_meta++) return BAIL;
            if ((rc = meta(c, f))) return rc;
        } else {
            if (f->n == f->cap) {
                int nc = f->cap ? f->cap * 2 : 256;
                ckpt_st_fent *ne = ckpt__big_realloc(f->e, (size_t)nc * sizeof *ne);
                if (!ne) return NOMEM;
                f->e = ne;
                f->cap = nc;
            }
            ckpt_st_fent *t = &f->e[f->n];
            memset(t, 0, sizeof *t);
            if ((rc = entry(c, f, t))) return rc;
            if (t->end > data_len) return BAIL;
            k[kn] = 0;   /* the closing quote: the name is now a C string in place */
            t->name = (uint32_t)(k - f->base);
            t->pos = pos;
            f->n++;
        }
        ws(c);
        if (c->p < c->e && *c->p == ',') { c->p++; continue; }
        if (eat(c, '}')) return BAIL;
        break;
    }
    ws(c);
    if (c->p != c->e) return BAIL;
    int sorted = 1;   /* writers put tensors in offset order: skip the sort then */
    for (int i = 1; i < f->n && sorted; i++) sorted = cmp_fent(&f->e[i - 1], &f->e[i]) < 0;
    if (!sorted) qsort(f->e, (size_t)f->n, sizeof *f->e, cmp_fent);
    uint64_t at = 0;
    for (int i = 0; i < f->n; i++) {
        if (f->e[i].begin != at) return BAIL;
        at = f->e[i].end;
    }
    return at == data_len ? 0 : BAIL;
}

void ckpt__st_fast_free(ckpt_st_fast *f)
{
    ckpt__big_free(f->e);
    ckpt__big_free(f->dims);
    for (int i = 0; i < f->nmeta; i++) { free(f->meta_k[i]); free(f->meta_v[i]); }
    free(f->meta_k);
    free(f->meta_v);
    memset(f, 0, sizeof *f);
}

int ckpt__st_fast_parse(char *json, size_t n, uint64_t data_len, ckpt_st_fast *f)
{
    memset(f, 0, sizeof *f);
    if (n > UINT32_MAX) return BAIL;
    f->base = json;
    cur c = {json, json + n};
    int rc = body(&c, f, data_len);
    if (rc) {
        ckpt__st_fast_restore(json, n);   /* the text as it was */
        ckpt__st_fast_free(f);
    }
    return rc;
}

/* ---- the index.json of a sharded set ---- */

/* Skip one JSON value (the "metadata" object, which cJSON then parses alone). */
static int skip_value(cur *c, int depth)
{
    ws(c);
    if (c->p >= c->e || depth > 64) return -1;
    char ch = *c->p;
    if (ch == '"') {
        for (c->p++; c->p < c->e && *c->p != '"'; c->p++) {
            if ((unsigned char)*c->p < 0x20) return -1;
            if (*c->p == '\\' && ++c->p >= c->e) return -1;
        }
        if (c->p >= c->e) return -1;
        c->p++;
        return 0;
    }
    if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        c->p++;
        ws(c);
        if (c->p < c->e && *c->p == close) { c->p++; return 0; }
        for (;;) {
            if (ch == '{' && (skip_value(c, depth + 1) || eat(c, ':'))) return -1;
            if (skip_value(c, depth + 1)) return -1;
            ws(c);
            if (c->p < c->e && *c->p == ',') { c->p++; continue; }
            return eat(c, close);
        }
    }
    const char *q = c->p;
    while (q < c->e && ((*q >= '0' && *q <= '9') || *q == '-' || *q == '+' || *q == '.' || *q == 'e' ||
                        *q == 'E' || (*q >= 'a' && *q <= 'z')))
        q++;
    if (q == c->p) return -1;
    c->p = (char *)q;
    return 0;
}

static int wmap(cur *c, ckpt_st_findex *x)
{
    if (eat(c, '{')) return BAIL;
    ws(c);
    if (c->p < c->e && *c->p == '}') { c->p++; return 0; }
    for (;;) {
        char *k, *v;
        size_t kn, vn;
        if (str_plain(c, &k, &kn) || eat(c, ':') || str_plain(c, &v, &vn)) return BAIL;
        if (x->n == x->cap) {
            int nc = x->cap ? x->cap * 2 : 1024;
            char **nk = ckpt__big_realloc(x->k, (size_t)nc * sizeof *nk);
            if (!nk) return NOMEM;
            x->k = nk;
            char **nv = ckpt__big_realloc(x->v, (size_t)nc * sizeof *nv);
            if (!nv) return NOMEM;
            x->v = nv;
            x->cap = nc;
        }
        k[kn] = 0;
        v[vn] = 0;
        x->k[x->n] = k;
        x->v[x->n++] = v;
        ws(c);
        if (c->p < c->e && *c->p == ',') { c->p++; continue; }
        return eat(c, '}') ? BAIL : 0;
    }
}

static int index_body(cur *c, ckpt_st_findex *x)
{
    int rc, have_w = 0;
    if (eat(c, '{')) return BAIL;
    for (;;) {
        char *k;
        size_t kn;
        if (str_plain(c, &k, &kn) || eat(c, ':')) return BAIL;
        if (kn == 10 && !memcmp(k, "weight_map", 10) && !have_w++) {
            if ((rc = wmap(c, x))) return rc;
        } else if (kn == 8 && !memcmp(k, "metadata", 8) && !x->meta) {
            ws(c);
            x->meta = c->p;
            if (skip_value(c, 0)) return BAIL;
            x->meta_len = (size_t)(c->p - x->meta);
        } else {
            return BAIL;   /* other members, repeated ones: the full parser */
        }
        ws(c);
        if (c->p < c->e && *c->p == ',') { c->p++; continue; }
        if (eat(c, '}')) return BAIL;
        break;
    }
    ws(c);
    return have_w && c->p == c->e ? 0 : BAIL;
}

void ckpt__st_fast_index_free(ckpt_st_findex *x)
{
    ckpt__big_free(x->k);
    ckpt__big_free(x->v);
    memset(x, 0, sizeof *x);
}

void ckpt__st_fast_restore(char *txt, size_t n)
{
    for (char *q = txt; (q = memchr(q, 0, (size_t)(txt + n - q))); q++) *q = '"';
}

int ckpt__st_fast_index(char *txt, size_t n, ckpt_st_findex *x)
{
    memset(x, 0, sizeof *x);
    cur c = {txt, txt + n};
    int rc = index_body(&c, x);
    if (rc) {
        ckpt__st_fast_restore(txt, n);
        ckpt__st_fast_index_free(x);
    }
    return rc;
}
