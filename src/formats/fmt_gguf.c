/* src/fmt_gguf.c: GGUF (llama.cpp / ggml), versions 2 and 3. Reading is
 * here; writing (--to gguf) is gguf_write.c and its helpers.
 *
 * Layout (ggml docs/gguf.md; antirez/gguf-tools gguflib.c): "GGUF", u32
 * version, u64 tensor_count, u64 kv_count, the KV pairs (key string, u32
 * value type, value), the tensor infos (name, u32 n_dims, u64 dims in ggml
 * order, u32 ggml type, u64 offset into the data section), padding to
 * general.alignment (default 32), then the data section. Strings are u64
 * length + bytes. Version 1 (u32 lengths) is obsolete since 2023 and refused.
 *
 * Unlike gguf-tools (mmap and raw pointer walks), every length, count and
 * offset is checked against the file size before it is used: the header is
 * read through a buffered reader over ckpt_src, so a remote file costs a
 * few range requests and a 32000-entry vocabulary is streamed, never slurped.
 *
 * Tensors: dims are reversed to NumPy (row-major) order, which makes the
 * bytes of the plain types (F32 F16 BF16 F64 I8 I16 I32 I64) exactly the
 * canonical layout. Block-quantized tensors have no ckpt dtype: they are
 * presented as F32 and dequantized block by block on read for Q4_0, Q4_1,
 * Q5_0, Q5_1 and Q8_0 (ggml-quants.c dequantize_row_*), the K-quants and
 * IQ4_NL/IQ4_XS (gguf_quant.c); the other ggml types (IQ1..IQ3, TQ, MXFP4)
 * are listed with their shape but reading their data fails with a clear
 * error. Each tensor's leaf node carries its stored ggml
 * type as its kind ("Q8_0"), and the metadata gets a per-type summary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/gguf_quant.h"
#include "internal.h"
#include "formats/gguf_write.h"   /* the writer's slots (gguf_write.c) */

#define GGUF_MAX_KEY      65536u       /* key and tensor name lengths */
#define GGUF_SHOW_STR     4096u        /* bytes of a string shown inside an array's text */
#define GGUF_MAX_META_STR (16u << 20)  /* a string value kept exactly, up to this */
#define GGUF_MAX_META_ALL (64u << 20)  /* all string values kept, together */
#define GGUF_MAX_DEPTH    4            /* nested arrays */
#define GGUF_SHOW_ELEMS   8            /* arrays up to this many are printed whole */
#define GGUF_MAX_ALIGN    (1u << 20)
#define GGUF_RDBUF        (64u << 10)

enum {
    GV_U8, GV_I8, GV_U16, GV_I16, GV_U32, GV_I32, GV_F32, GV_BOOL, GV_STR, GV_ARR,
    GV_U64, GV_I64, GV_F64, GV_COUNT
};
static const char *const gv_name[GV_COUNT] = {
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64",
};
static const unsigned gv_size[GV_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8};  /* minimum bytes */

/* ggml types (ggml.h enum ggml_type): name, elements per block, bytes per
 * block, the ckpt dtype it is presented as, and whether reads dequantize. */
typedef struct {
    const char *name;
    unsigned blck, size;
    ckpt_dtype dt;
    int deq;      /* 0 plain copy, 1 dequantized here, -1 listed only */
} ggml_type;

static const ggml_type ggml_types[] = {
    [0] = {"F32", 1, 4, CKPT_F32, 0},     [1] = {"F16", 1, 2, CKPT_F16, 0},
    [2] = {"Q4_0", 32, 18, CKPT_F32, 1},  [3] = {"Q4_1", 32, 20, CKPT_F32, 1},
    [6] = {"Q5_0", 32, 22, CKPT_F32, 1},  [7] = {"Q5_1", 32, 24, CKPT_F32, 1},
    [8] = {"Q8_0", 32, 34, CKPT_F32, 1},  [9] = {"Q8_1", 32, 36, CKPT_F32, -1},
    [10] = {"Q2_K", 256, 84, CKPT_F32, 1}, [11] = {"Q3_K", 256, 110, CKPT_F32, 1},
    [12] = {"Q4_K", 256, 144, CKPT_F32, 1}, [13] = {"Q5_K", 256, 176, CKPT_F32, 1},
    [14] = {"Q6_K", 256, 210, CKPT_F32, 1}, [15] = {"Q8_K", 256, 292, CKPT_F32, 1},
    [16] = {"IQ2_XXS", 256, 66, CKPT_F32, -1}, [17] = {"IQ2_XS", 256, 74, CKPT_F32, -1},
    [18] = {"IQ3_XXS", 256, 98, CKPT_F32, -1}, [19] = {"IQ1_S", 256, 50, CKPT_F32, -1},
    [20] = {"IQ4_NL", 32, 18, CKPT_F32, 1}, [21] = {"IQ3_S", 256, 110, CKPT_F32, -1},
    [22] = {"IQ2_S", 256, 82, CKPT_F32, -1}, [23] = {"IQ4_XS", 256, 136, CKPT_F32, 1},
    [24] = {"I8", 1, 1, CKPT_I8, 0},      [25] = {"I16", 1, 2, CKPT_I16, 0},
    [26] = {"I32", 1, 4, CKPT_I32, 0},    [27] = {"I64", 1, 8, CKPT_I64, 0},
    [28] = {"F64", 1, 8, CKPT_F64, 0},    [29] = {"IQ1_M", 256, 56, CKPT_F32, -1},
    [30] = {"BF16", 1, 2, CKPT_BF16, 0},
    [34] = {"TQ1_0", 256, 54, CKPT_F32, -1}, [35] = {"TQ2_0", 256, 66, CKPT_F32, -1},
    [39] = {"MXFP4", 32, 17, CKPT_F32, -1},
};
#define NGGML_TYPES (sizeof ggml_types / sizeof ggml_types[0])

static const ggml_type *ggml_type_get(uint32_t t)
{
    return t < NGGML_TYPES && ggml_types[t].name ? &ggml_types[t] : NULL;
}

/* per-tensor state: where the stored bytes are and how to turn them into
 * the canonical ones */
typedef struct {
    uint64_t data_off;     /* absolute offset of the stored bytes */
    uint64_t stored;       /* stored byte size */
    uint32_t type;
} gguf_tensor;

typedef struct {
    gguf_tensor *t;
    int n;
} gguf_model;

/* ====================================================================== */
/* Buffered, bounds-checked reader over ckpt_src                           */
/* ====================================================================== */

typedef struct {
    ckpt_srcwin w;
    const char *path;
    uint64_t size, pos;
    char what[160];        /* what is being read, for messages */
    uint64_t kept;         /* bytes of string values kept in the model so far */
} rd;

static int rd_err(rd *r, ckpt_err *err, uint64_t off, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int rd_err(rd *r, ckpt_err *err, uint64_t off, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->what[0]) ckpt_err_set(err, CKPT_E_FORMAT, "%s (%s)", msg, r->what);
    else ckpt_err_set(err, CKPT_E_FORMAT, "%s", msg);
    ckpt_err_at_path(err, r->path);
    if (off != CKPT_NO_OFFSET) ckpt_err_at_offset(err, off);
    return CKPT_E_FORMAT;
}

static int rd_need(rd *r, uint64_t n, ckpt_err *err)
{
    if (n > r->size - r->pos)
        return rd_err(r, err, r->pos, "truncated GGUF: needs %llu bytes, file ends %llu bytes later",
                      (unsigned long long)n, (unsigned long long)(r->size - r->pos));
    return 0;
}

static int rd_get(rd *r, void *dst, size_t n, ckpt_err *err)
{
    if (rd_need(r, n, err)) return CKPT_E_FORMAT;
    int rc = ckpt__srcwin_get(&r->w, r->pos, dst, n, err);
    if (rc) ckpt_err_at_path(err, r->path);
    else r->pos += n;
    return rc;
}

static int rd_skip(rd *r, uint64_t n, ckpt_err *err)
{
    if (rd_need(r, n, err)) return CKPT_E_FORMAT;
    r->pos += n;
    return 0;
}

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static int rd_u32(rd *r, uint32_t *v, ckpt_err *err)
{
    unsigned char b[4];
    if (rd_get(r, b, 4, err)) return CKPT_E_FORMAT;
    *v = (uint32_t)le(b, 4);
    return 0;
}

static int rd_u64(rd *r, uint64_t *v, ckpt_err *err)
{
    unsigned char b[8];
    if (rd_get(r, b, 8, err)) return CKPT_E_FORMAT;
    *v = le(b, 8);
    return 0;
}

/* A string whose bytes are kept (keys, names): at most `max` bytes, no NUL. */
static int rd_str(rd *r, char **out, uint64_t max, ckpt_err *err)
{
    *out = NULL;
    uint64_t at = r->pos, len;
    if (rd_u64(r, &len, err)) return CKPT_E_FORMAT;
    if (len > max) return rd_err(r, err, at, "string length %llu exceeds the limit of %llu bytes",
                                 (unsigned long long)len, (unsigned long long)max);
    if (rd_need(r, len, err)) return CKPT_E_FORMAT;
    char *s = malloc((size_t)len + 1);
    if (!s) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if (rd_get(r, s, (size_t)len, err)) { free(s); return CKPT_E_FORMAT; }
    s[len] = 0;
    if (memchr(s, 0, (size_t)len)) {
        free(s);
        return rd_err(r, err, at, "string contains a NUL byte");
    }
    *out = s;
    return 0;
}

/* ====================================================================== */
/* Value text                                                              */
/* ====================================================================== */

/* What a value read produces besides its text: scalars as numbers. */
typedef struct {
    int is_int, is_num;
    uint64_t u;           /* unsigned integers */
    double d;
    uint64_t count;       /* arrays: element count */
} gval;

static int read_value(rd *r, uint32_t type, ckpt_sbuf *txt, int quote, int depth, gval *gv,
                      ckpt_err *err);

/* A string value on its own (chat template, tokenizer model): its exact
 * bytes, as the file has them. Printers escape and shorten, not the
 * reader. A NUL byte, which a C string cannot hold, is kept as "\0". */
static int read_str_exact(rd *r, ckpt_sbuf *txt, uint64_t len, ckpt_err *err)
{
    char tmp[GGUF_SHOW_STR];
    while (len) {
        size_t k = len < sizeof tmp ? (size_t)len : sizeof tmp;
        if (rd_get(r, tmp, k, err)) return CKPT_E_FORMAT;
        for (size_t i = 0, j; i < k; i = j + 1) {
            const char *z = memchr(tmp + i, 0, k - i);
            j = z ? (size_t)(z - tmp) : k;
            ckpt__sb_add(txt, tmp + i, j - i);
            if (z) ckpt__sb_add(txt, "\\0", 2);
        }
        len -= k;
    }
    return 0;
}

/* Read a string value; keep at most `show` bytes of it in txt (quoted and
 * escaped, for an array's summary), or all of it when `show` is 0. */
static int read_str_value(rd *r, ckpt_sbuf *txt, size_t show, int quote, ckpt_err *err)
{
    uint64_t at = r->pos, len;
    if (rd_u64(r, &len, err)) return CKPT_E_FORMAT;
    if (len > r->size - r->pos)
        return rd_err(r, err, at, "string length %llu runs past the end of the file",
                      (unsigned long long)len);
    if (!show && txt) {
        if (len > GGUF_MAX_META_STR)
            return rd_err(r, err, at, "string value of %llu bytes exceeds the limit of %u bytes",
                          (unsigned long long)len, GGUF_MAX_META_STR);
        if (r->kept + len > GGUF_MAX_META_ALL)   /* memory stays bounded whatever the file says */
            return rd_err(r, err, at, "string values take more than %u bytes in all", GGUF_MAX_META_ALL);
        r->kept += len;
        return read_str_exact(r, txt, len, err);
    }
    size_t k = len < show ? (size_t)len : show;
    char tmp[GGUF_SHOW_STR];
    if (k > sizeof tmp) k = sizeof tmp;
    if (rd_get(r, tmp, k, err) || rd_skip(r, len - k, err)) return CKPT_E_FORMAT;
    if (!txt) return 0;
    if (quote) ckpt__sb_add(txt, "\"", 1);
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)tmp[i];
        if (c == 0) ckpt__sb_add(txt, "\\0", 2);
        else if (c == '\n') ckpt__sb_add(txt, "\\n", 2);
        else if (c == '"' && quote) ckpt__sb_add(txt, "\\\"", 2);
        else if (c < 0x20) ckpt__sb_printf(txt, "\\x%02x", c);
        else ckpt__sb_add(txt, (const char *)&c, 1);
    }
    if (k < len) ckpt__sb_printf(txt, "...(%llu bytes)", (unsigned long long)len);
    if (quote) ckpt__sb_add(txt, "\"", 1);
    return 0;
}

static int read_array(rd *r, ckpt_sbuf *txt, int depth, gval *gv, ckpt_err *err)
{
    uint64_t at = r->pos;
    uint32_t et;
    uint64_t count;
    if (rd_u32(r, &et, err) || rd_u64(r, &count, err)) return CKPT_E_FORMAT;
    if (et >= GV_COUNT) return rd_err(r, err, at, "unknown array element type %u", et);
    if (et == GV_ARR && depth + 1 >= GGUF_MAX_DEPTH)
        return rd_err(r, err, at, "arrays nested deeper than %d levels", GGUF_MAX_DEPTH);
    /* every element takes at least gv_size bytes: a count that cannot fit
     * in what is left of the file is refused before any loop runs */
    if (count > (r->size - r->pos) / gv_size[et])
        return rd_err(r, err, at, "array of %llu %s elements cannot fit in the %llu bytes left in the file",
                      (unsigned long long)count, gv_name[et], (unsigned long long)(r->size - r->pos));
    if (gv) gv->count = count;
    int whole = count <= GGUF_SHOW_ELEMS && et != GV_ARR;
    if (txt && whole) ckpt__sb_add(txt, "[", 1);
    if (et != GV_STR && et != GV_ARR && !whole) {
        if (rd_skip(r, count * gv_size[et], err)) return CKPT_E_FORMAT;
    } else {
        for (uint64_t i = 0; i < count; i++) {
            if (txt && whole && i) ckpt__sb_add(txt, ", ", 2);
            if (read_value(r, et, whole ? txt : NULL, 1, depth + 1, NULL, err)) return CKPT_E_FORMAT;
        }
    }
    if (txt) {
        if (whole) ckpt__sb_add(txt, "]", 1);
        else ckpt__sb_printf(txt, "[%llu %s%s]", (unsigned long long)count,
                       et == GV_STR ? "strings" : et == GV_ARR ? "arrays" : gv_name[et],
                       "");
    }
    return 0;
}

static int read_value(rd *r, uint32_t type, ckpt_sbuf *txt, int quote, int depth, gval *gv,
                      ckpt_err *err)
{
    unsigned char b[8];
    uint64_t at = r->pos;
    if (type == GV_STR) return read_str_value(r, txt, quote ? 64 : 0, quote, err);
    if (type == GV_ARR) return read_array(r, txt, depth, gv, err);
    if (type >= GV_COUNT) return rd_err(r, err, at, "unknown value type %u", type);
    unsigned n = gv_size[type];
    if (rd_get(r, b, n, err)) return CKPT_E_FORMAT;
    uint64_t u = le(b, (int)n);
    gval g = {0};
    g.is_num = 1;
    switch (type) {
    case GV_U8: case GV_U16: case GV_U32: case GV_U64:
        g.is_int = 1; g.u = u; g.d = (double)u;
        if (txt) ckpt__sb_printf(txt, "%llu", (unsigned long long)u);
        break;
    case GV_I8: case GV_I16: case GV_I32: case GV_I64: {
        int64_t s = n == 8 ? (int64_t)u : (int64_t)(u << (64 - 8 * n)) >> (64 - 8 * n);
        g.is_int = s >= 0; g.u = (uint64_t)s; g.d = (double)s;
        if (txt) ckpt__sb_printf(txt, "%lld", (long long)s);
        break;
    }
    case GV_F32: {
        uint32_t w = (uint32_t)u;
        float f;
        memcpy(&f, &w, 4);
        g.d = f;
        if (txt) ckpt__sb_printf(txt, "%.9g", (double)f);
        break;
    }
    case GV_F64: {
        double d;
        memcpy(&d, &u, 8);
        g.d = d;
        if (txt) ckpt__sb_printf(txt, "%.17g", d);
        break;
    }
    case GV_BOOL:
        if (u > 1) return rd_err(r, err, at, "bool value %u is neither 0 nor 1", (unsigned)u);
        g.is_num = 0;
        if (txt) ckpt__sb_add(txt, u ? "true" : "false", u ? 4 : 5);
        break;
    }
    if (gv) *gv = g;
    return 0;
}

/* ====================================================================== */
/* Open                                                                    */
/* ====================================================================== */

#define gguf_fail ckpt__fail

/* Facts from well-known keys, named as arch.c names them for config.json. */
static const struct { const char *suffix, *fact; } arch_facts[] = {
    {"block_count", "layers"},
    {"embedding_length", "hidden_size"},
    {"feed_forward_length", "intermediate_size"},
    {"attention.head_count", "heads"},
    {"attention.head_count_kv", "kv_heads"},
    {"context_length", "context_length"},
    {"rope.freq_base", "rope_theta"},
    {"expert_count", "experts"},
};

static int kv_fact(ckpt_model *m, const char *arch, const char *k, const char *v, ckpt_err *err)
{
    if (!strcmp(k, "general.architecture")) return ckpt__model_set_fact(m, "model_type", v, err);
    if (!strcmp(k, "general.name")) return ckpt__model_set_fact(m, "name", v, err);
    if (!strcmp(k, "tokenizer.ggml.model")) return ckpt__model_set_fact(m, "tokenizer", v, err);
    if (!arch) return 0;
    size_t al = strlen(arch);
    if (strncmp(k, arch, al) || k[al] != '.') return 0;
    for (size_t i = 0; i < sizeof arch_facts / sizeof arch_facts[0]; i++)
        if (!strcmp(k + al + 1, arch_facts[i].suffix))
            return ckpt__model_set_fact(m, arch_facts[i].fact, v, err);
    return 0;
}

/* Magic, version and the two counts, each checked against the file size. */
static int read_header(rd *r, ckpt_model *m, uint64_t *ntensors, uint64_t *nkv, ckpt_err *err)
{
    const char *path = r->path;
    unsigned char magic[4];
    uint32_t version;
    snprintf(r->what, sizeof r->what, "header");
    if (rd_get(r, magic, 4, err)) return CKPT_E_FORMAT;
    if (memcmp(magic, "GGUF", 4)) return gguf_fail(err, path, NULL, 0, "not a GGUF file (bad magic)");
    if (rd_u32(r, &version, err)) return CKPT_E_FORMAT;
    if (version == 1)
        return gguf_fail(err, path, NULL, 4, "GGUF version 1 (obsolete since 2023) is not supported; re-save it with a current llama.cpp");
    if (version == 0x02000000u || version == 0x03000000u)
        return gguf_fail(err, path, NULL, 4, "big-endian GGUF (version %u byte-swapped) is not supported", version >> 24);
    if (version != 2 && version != 3)
        return gguf_fail(err, path, NULL, 4, "unsupported GGUF version %u (ckpt reads 2 and 3)", version);
    if (rd_u64(r, ntensors, err) || rd_u64(r, nkv, err)) return CKPT_E_FORMAT;
    /* a KV pair takes at least 12 bytes, a tensor info at least 24 */
    if (*nkv > r->size / 12)
        return gguf_fail(err, path, NULL, 16, "metadata count %llu cannot fit in a %llu-byte file",
                         (unsigned long long)*nkv, (unsigned long long)r->size);
    if (*ntensors > r->size / 24 || *ntensors > (uint64_t)INT32_MAX / 2)
        return gguf_fail(err, path, NULL, 8, "tensor count %llu cannot fit in a %llu-byte file",
                         (unsigned long long)*ntensors, (unsigned long long)r->size);
    char v[16];
    snprintf(v, sizeof v, "%u", version);
    return ckpt__model_set_fact(m, "gguf_version", v, err);
}

/* One metadata pair: kept as text; general.alignment checked and taken,
 * the architecture and the vocabulary size noted. */
static int read_kv(rd *r, ckpt_model *m, uint64_t i, ckpt_sbuf *txt, uint64_t *alignment, char **arch, ckpt_err *err)
{
    uint64_t at = r->pos;
    char *key = NULL;
    snprintf(r->what, sizeof r->what, "metadata entry %llu", (unsigned long long)i);
    if (rd_str(r, &key, GGUF_MAX_KEY, err)) return CKPT_E_FORMAT;
    snprintf(r->what, sizeof r->what, "metadata '%.100s'", key);
    uint32_t type;
    gval g = {0};
    int rc = CKPT_E_FORMAT;
    txt->n = 0;
    ckpt__sb_add(txt, "", 0);
    if (rd_u32(r, &type, err)) goto out;
    if (type >= GV_COUNT) { rc = rd_err(r, err, at, "unknown value type %u", type); goto out; }
    if (read_value(r, type, txt, 0, 0, &g, err)) goto out;
    if (txt->oom) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto out; }
    if (!strcmp(key, "general.alignment")) {
        if (!g.is_int || type == GV_BOOL || g.u == 0 || g.u > GGUF_MAX_ALIGN || (g.u & (g.u - 1))) {
            rc = rd_err(r, err, at, "general.alignment must be a power of two up to %u, got %s",
                        GGUF_MAX_ALIGN, txt->p ? txt->p : "?");
            goto out;
        }
        *alignment = g.u;
    }
    if (ckpt__model_add_meta(m, key, txt->p ? txt->p : "", err)) goto out;
    if (!strcmp(key, "general.architecture") && type == GV_STR && !*arch) *arch = ckpt__strdup(txt->p);
    if (!strcmp(key, "tokenizer.ggml.tokens") && type == GV_ARR) {
        char v[32];
        snprintf(v, sizeof v, "%llu", (unsigned long long)g.count);
        if (ckpt__model_set_fact(m, "vocab_size", v, err)) goto out;
    }
    rc = 0;
out:
    free(key);
    return rc;
}

/* One tensor info: name, dims (ggml order, fastest first), type, offset
 * relative to the data section, all checked before the tensor is added. */
static int read_tensor_info(rd *r, ckpt_model *m, gguf_model *gm, uint64_t i, int fi, uint64_t alignment,
                            uint64_t *count_by_type, ckpt_err *err)
{
    uint64_t at = r->pos;
    char *name = NULL;
    snprintf(r->what, sizeof r->what, "tensor info %llu", (unsigned long long)i);
    if (rd_str(r, &name, GGUF_MAX_KEY, err)) return CKPT_E_FORMAT;
    snprintf(r->what, sizeof r->what, "tensor '%.100s'", name);
    int rc = CKPT_E_FORMAT;
    uint32_t nd, type;
    int64_t shape[CKPT_MAX_DIMS];
    uint64_t dims[CKPT_MAX_DIMS], ne = 1, toff, stored;
    const ggml_type *gt = NULL;
    if (rd_u32(r, &nd, err)) goto out;
    if (nd > CKPT_MAX_DIMS) { rc = rd_err(r, err, at, "%u dimensions (ckpt reads at most %d)", nd, CKPT_MAX_DIMS); goto out; }
    for (uint32_t d = 0; d < nd; d++) {
        if (rd_u64(r, &dims[d], err)) goto out;
        if (dims[d] > (uint64_t)INT64_MAX || ckpt__mul_u64(ne, dims[d], &ne)) {
            rc = rd_err(r, err, at, "dimension %llu overflows", (unsigned long long)dims[d]);
            goto out;
        }
        shape[nd - 1 - d] = (int64_t)dims[d];   /* ggml order is fastest-first */
    }
    if (rd_u32(r, &type, err) || rd_u64(r, &toff, err)) goto out;
    if (!(gt = ggml_type_get(type))) rc = rd_err(r, err, at, "unknown ggml type %u", type);
    else if (nd > 0 && dims[0] % gt->blck)
        rc = rd_err(r, err, at, "first dimension %llu is not a multiple of the %s block size %u",
                    (unsigned long long)dims[0], gt->name, gt->blck);
    else if (nd == 0 && gt->blck != 1) rc = rd_err(r, err, at, "a scalar cannot be %s", gt->name);
    else if (ckpt__mul_u64(ne / gt->blck, gt->size, &stored)) rc = rd_err(r, err, at, "tensor byte size overflows");
    else if (toff % alignment)
        rc = rd_err(r, err, at, "data offset %llu is not a multiple of the alignment %llu",
                    (unsigned long long)toff, (unsigned long long)alignment);
    else {
        r->what[0] = 0;
        int t = ckpt__model_add_tensor(m, name, NULL, gt->dt, (int)nd, shape, fi, toff, err);
        if (t < 0) { ckpt_err_at_path(err, r->path); goto out; }
        gm->t[t].data_off = toff;    /* relative until the data section is known */
        gm->t[t].stored = stored;
        gm->t[t].type = type;
        gm->n = t + 1;
        count_by_type[type]++;
        rc = 0;
    }
out:
    free(name);
    return rc;
}

/* The data section starts at the next multiple of the alignment: absolute
 * offsets, each tensor inside the file. */
static int place_data(rd *r, ckpt_model *m, gguf_model *gm, uint64_t alignment, ckpt_err *err)
{
    uint64_t data = r->pos + (alignment - r->pos % alignment) % alignment;
    for (int t = 0; t < gm->n; t++) {
        gguf_tensor *g = &gm->t[t];
        uint64_t abs, end;
        if (ckpt__add_u64(data, g->data_off, &abs) || ckpt__add_u64(abs, g->stored, &end) || end > r->size)
            return gguf_fail(err, r->path, m->tensors[t].name, data,
                             "tensor data [%llu, +%llu) lies outside the data section (file has %llu bytes)",
                             (unsigned long long)g->data_off, (unsigned long long)g->stored,
                             (unsigned long long)r->size);
        g->data_off = abs;
        m->tensors[t].offset = ggml_types[g->type].deq ? CKPT_NO_OFFSET : abs;
    }
    return 0;
}

/* Per-type summary (meta), and the quantization as a fact. */
static int summarize_types(ckpt_model *m, gguf_model *gm, const uint64_t *count_by_type, ckpt_err *err)
{
    ckpt_sbuf txt = {0}, qt = {0};
    ckpt__sb_add(&txt, "", 0);
    int unsup = 0, rc = 0;
    for (size_t k = 0; k < NGGML_TYPES; k++) {
        if (!count_by_type[k]) continue;
        ckpt__sb_printf(&txt, "%s%s x%llu", txt.n ? ", " : "", ggml_types[k].name, (unsigned long long)count_by_type[k]);
        if (ggml_types[k].deq)
            ckpt__sb_printf(&qt, "%s%s x%llu", qt.n ? ", " : "", ggml_types[k].name, (unsigned long long)count_by_type[k]);
        if (ggml_types[k].deq < 0) unsup = 1;
    }
    if (txt.oom || qt.oom) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    else if (gm->n && ckpt__model_add_meta(m, "gguf.tensor_types", txt.p, err)) rc = CKPT_E_FORMAT;
    else if (qt.n) {
        char *v = ckpt__asprintf("%s (shown as F32; %s)", qt.p,
                                 unsup ? "some types cannot be dequantized yet" : "dequantized on read");
        rc = v ? ckpt__model_set_fact(m, "quantization", v, err) : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        free(v);
    }
    free(txt.p);
    free(qt.p);
    return rc;
}

/* The default tree, then each leaf's kind = its stored ggml type. */
static int build_tree(ckpt_model *m, gguf_model *gm, ckpt_err *err)
{
    if (ckpt__tree_from_names(m, err)) return CKPT_E_FORMAT;
    for (int t = 0; t < gm->n; t++) {
        int nd = m->tensors[t].node;
        if (nd < 0) continue;
        char *k = ckpt__strdup(ggml_types[gm->t[t].type].name);
        if (!k) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        free((char *)m->nodes[nd].kind);
        m->nodes[nd].kind = k;
    }
    m->tree_built = 1;
    return 0;
}

static int gguf_open_src(ckpt_model *m, ckpt_src *s, const char *path, ckpt_err *err)
{
    rd r = {0};
    r.w.s = s;
    r.w.cap = GGUF_RDBUF;
    r.path = path;
    r.size = s->size;
    r.w.buf = malloc(GGUF_RDBUF);
    char *arch = NULL;
    ckpt_sbuf txt = {0};
    gguf_model *gm = calloc(1, sizeof *gm);
    if (!r.w.buf || !gm) {
        free(r.w.buf);
        free(gm);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    m->priv = gm;
    int rc = CKPT_E_FORMAT;
    int fi = ckpt__model_add_file(m, path, s->size, err);
    if (fi < 0) goto out;
    m->files[fi].src = s;   /* the model owns it now */
    uint64_t ntensors = 0, nkv = 0, alignment = 32;
    if ((rc = read_header(&r, m, &ntensors, &nkv, err))) goto out;
    for (uint64_t i = 0; i < nkv; i++)
        if ((rc = read_kv(&r, m, i, &txt, &alignment, &arch, err))) goto out;
    /* architecture facts: a second pass over the kept metadata, since the
     * architecture key may come after the keys it prefixes */
    for (int i = 0; i < m->nmeta; i++)
        if ((rc = kv_fact(m, arch, m->meta_k[i], m->meta_v[i], err))) goto out;
    gm->t = calloc(ntensors ? (size_t)ntensors : 1, sizeof *gm->t);
    if (!gm->t) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto out; }
    uint64_t count_by_type[NGGML_TYPES] = {0};
    for (uint64_t i = 0; i < ntensors; i++)
        if ((rc = read_tensor_info(&r, m, gm, i, fi, alignment, count_by_type, err))) goto out;
    if (!(rc = place_data(&r, m, gm, alignment, err)) && !(rc = summarize_types(m, gm, count_by_type, err)))
        rc = build_tree(m, gm, err);
out:
    if (rc && err && err->code == CKPT_OK) rc = ckpt_err_set(err, rc, "cannot read GGUF header");
    if (rc && err) rc = err->code;
    free(arch);
    free(txt.p);
    free(r.w.buf);
    return rc;
}

static int gguf_open(ckpt_model *m, const char *path, ckpt_err *err)
{
    ckpt_src *s;
    int rc = ckpt__src_open_file(path, &s, err);
    if (rc) return rc;
    rc = gguf_open_src(m, s, path, err);
    if (m->nfiles == 0 || m->files[0].src != s) ckpt_src_close(s);
    return rc;
}

static void gguf_close(ckpt_model *m)
{
    for (int i = 0; i < m->nfiles; i++)
        if (m->files[i].src) {
            ckpt_src_close(m->files[i].src);
            m->files[i].src = NULL;
        }
    gguf_model *gm = m->priv;
    if (gm) free(gm->t);
    free(gm);
    m->priv = NULL;
}

/* ====================================================================== */
/* Read: plain copy, or dequantization block by block                      */
/* ====================================================================== */

static float h2f(const unsigned char *p) { return ckpt_f16_to_f32((uint16_t)(p[0] | p[1] << 8)); }

/* ggml-quants.c dequantize_row_q*_*: one block of 32 weights */
static void deq_block(uint32_t type, const unsigned char *b, float *y)
{
    switch (type) {
    case 2: { /* Q4_0: d, 16 bytes of nibbles: low = 0..15, high = 16..31 */
        float d = h2f(b);
        for (int j = 0; j < 16; j++) {
            y[j] = (float)((b[2 + j] & 0x0f) - 8) * d;
            y[j + 16] = (float)((b[2 + j] >> 4) - 8) * d;
        }
        break;
    }
    case 3: { /* Q4_1: d, m, nibbles */
        float d = h2f(b), mn = h2f(b + 2);
        for (int j = 0; j < 16; j++) {
            y[j] = (float)(b[4 + j] & 0x0f) * d + mn;
            y[j + 16] = (float)(b[4 + j] >> 4) * d + mn;
        }
        break;
    }
    case 6: { /* Q5_0: d, u32 high bits, nibbles */
        float d = h2f(b);
        uint32_t qh = (uint32_t)le(b + 2, 4);
        for (int j = 0; j < 16; j++) {
            int x0 = (int)((b[6 + j] & 0x0f) | (((qh >> j) << 4) & 0x10)) - 16;
            int x1 = (int)((b[6 + j] >> 4) | ((qh >> (j + 12)) & 0x10)) - 16;
            y[j] = (float)x0 * d;
            y[j + 16] = (float)x1 * d;
        }
        break;
    }
    case 7: { /* Q5_1: d, m, u32 high bits, nibbles */
        float d = h2f(b), mn = h2f(b + 2);
        uint32_t qh = (uint32_t)le(b + 4, 4);
        for (int j = 0; j < 16; j++) {
            int x0 = (int)((b[8 + j] & 0x0f) | (((qh >> j) << 4) & 0x10));
            int x1 = (int)((b[8 + j] >> 4) | ((qh >> (j + 12)) & 0x10));
            y[j] = (float)x0 * d + mn;
            y[j + 16] = (float)x1 * d + mn;
        }
        break;
    }
    case 8: { /* Q8_0: d, 32 int8 */
        float d = h2f(b);
        for (int j = 0; j < 32; j++) y[j] = (float)(int8_t)b[2 + j] * d;
        break;
    }
    default: /* K-quants and IQ4 (gguf_quant.c) */
        ckpt__gguf_dequant_block(type, b, y);
        break;
    }
}

#define DEQ_BLOCKS 512   /* blocks per stored read: 17 KiB of Q8_0, 64 KiB of floats (512 KiB for K-quants) */

static int gguf_read(ckpt_model *m, int t, uint64_t off, void *buf, size_t n, ckpt_err *err)
{
    gguf_model *gm = m->priv;
    const ckpt_tensor *ct = &m->tensors[t];
    const gguf_tensor *g = &gm->t[t];
    const ggml_type *gt = &ggml_types[g->type];
    ckpt_file *f = &m->files[ct->file];
    int rc = 0;
    if (gt->deq < 0) {
        ckpt_err_set(err, CKPT_E_UNSUPPORTED,
                     "ggml type %s cannot be dequantized by ckpt yet (it reads Q4_0 Q4_1 Q5_0 Q5_1 Q8_0, Q2_K..Q8_K, IQ4_NL, IQ4_XS and plain types)",
                     gt->name);
        ckpt_err_at_tensor(err, ct->name);
        ckpt_err_at_path(err, f->path);
        return CKPT_E_UNSUPPORTED;
    }
    if (!f->src) rc = ckpt_src_open(f->path, &f->src, err);
    if (!rc && gt->deq == 0) rc = ckpt_src_pread(f->src, buf, n, g->data_off + off, err);
    if (!rc && gt->deq == 1 && n) {
        unsigned char *raw = malloc((size_t)DEQ_BLOCKS * gt->size);
        float *y = malloc((size_t)DEQ_BLOCKS * gt->blck * sizeof *y);
        if (!raw || !y) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        unsigned char *out = buf;
        uint64_t pos = off, end = off + n;     /* bytes of the F32 view */
        const uint64_t bbytes = gt->blck * sizeof(float);
        while (!rc && pos < end) {
            uint64_t b0 = pos / bbytes, b1 = (end + bbytes - 1) / bbytes;
            if (b1 - b0 > DEQ_BLOCKS) b1 = b0 + DEQ_BLOCKS;
            rc = ckpt_src_pread(f->src, raw, (size_t)((b1 - b0) * gt->size), g->data_off + b0 * gt->size, err);
            if (rc) break;
            for (uint64_t b = 0; b < b1 - b0; b++) deq_block(g->type, raw + b * gt->size, y + b * gt->blck);
            uint64_t chunk_end = b1 * bbytes < end ? b1 * bbytes : end;
            memcpy(out, (unsigned char *)y + (pos - b0 * bbytes), (size_t)(chunk_end - pos));
            out += chunk_end - pos;
            pos = chunk_end;
        }
        free(raw);
        free(y);
    }
    if (rc) {
        ckpt_err_at_path(err, f->path);
        ckpt_err_at_tensor(err, ct->name);
    }
    return rc;
}

static int gguf_probe(const char *path, int is_dir, const unsigned char *head, size_t n)
{
    if (is_dir) return 0;
    if (n >= 4 && !memcmp(head, "GGUF", 4)) return 100;
    return ckpt__ends_with(path, ".gguf") ? 10 : 0;
}

static const ckpt_magic gguf_magics[] = {CKPT_MAGIC("GGUF"), {NULL, 0}};

const ckpt_format ckpt_fmt_gguf = {
    .name = "gguf",
    .desc = "GGUF (llama.cpp; reads v2/v3, Q4_0..Q8_0, K-quants and IQ4 dequantized to F32; writes v3, --quantize)",
    .exts = ".gguf",
    .dir_file = "model.gguf",
    .flags = CKPT_FMT_READ | CKPT_FMT_WRITE,
    .probe = gguf_probe,
    .magics = gguf_magics,
    .open = gguf_open,
    .read = gguf_read,
    .close = gguf_close,
    .can_write = ckpt__gguf_can_write,
    .prepare = ckpt__gguf_plan,
    .write_begin = ckpt__gguf_write_begin,
    .write = ckpt__gguf_write,
    .write_end = ckpt__gguf_write_end,
    .write_abort = ckpt__gguf_write_abort,
    .opts = "quantize",
    .empty_ok = 1,
    .hub_files = "*.gguf=45",
    .remote_ranges = "*.gguf",
    .companions = "config.json tokenizer.json tokenizer_config.json",
};
