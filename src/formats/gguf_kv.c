/* src/formats/gguf_kv.c: the GGUF writer's key/value section.
 *
 * Building: each pair is appended as bytes (key string, u32 type, value)
 * to one buffer and recorded as a piece; a pair of a source GGUF is a piece
 * naming its byte range in that file, copied when the header is written.
 *
 * Walking a source GGUF: the writer reads the typed KV section itself
 * rather than the reader's display strings (which are escaped and cut), so
 * GGUF -> GGUF keeps every value's exact bytes. The walk is its own bounded
 * parser (fuzzed by tests/fuzz/fuzz_gguf_kv.c): every length and count is
 * checked against what is left of the file before it is used.
 */
#include <stdlib.h>
#include <string.h>

#include "formats/gguf_write.h"

#define KV_MAX_KEY   65536u
#define KV_MAX_DEPTH 4
#define KV_RDBUF     (64u << 10)

static const unsigned kv_size[GGV_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8};

/* ====================================================================== */
/* Building                                                                */
/* ====================================================================== */

void ckpt__gkv_free(gguf_kv *kv)
{
    free(kv->b);
    free(kv->pc);
    memset(kv, 0, sizeof *kv);
}

uint64_t ckpt__gkv_bytes(const gguf_kv *kv)
{
    uint64_t n = 0;
    for (int i = 0; i < kv->npc; i++) n += kv->pc[i].len;
    return n;
}

static void put(gguf_kv *kv, const void *p, size_t n)
{
    if (kv->oom) return;
    if (kv->n + n > kv->cap) {
        size_t nc = kv->cap ? kv->cap : 4096;
        while (nc < kv->n + n) nc *= 2;
        unsigned char *nb = realloc(kv->b, nc);
        if (!nb) { kv->oom = 1; return; }
        kv->b = nb;
        kv->cap = nc;
    }
    memcpy(kv->b + kv->n, p, n);
    kv->n += n;
}

static void put_le(gguf_kv *kv, uint64_t v, int n)
{
    unsigned char b[8];
    for (int i = 0; i < n; i++) b[i] = (unsigned char)(v >> (8 * i));
    put(kv, b, (size_t)n);
}

static void add_piece(gguf_kv *kv, int mem, uint64_t off, uint64_t len)
{
    if (kv->oom) return;
    if (kv->npc == kv->cappc) {
        int nc = kv->cappc ? kv->cappc * 2 : 64;
        gkv_piece *np = realloc(kv->pc, (size_t)nc * sizeof *np);
        if (!np) { kv->oom = 1; return; }
        kv->pc = np;
        kv->cappc = nc;
    }
    kv->pc[kv->npc++] = (gkv_piece){mem, off, len};
    kv->nkv++;
}

static void begin(gguf_kv *kv, const char *key, uint32_t type)
{
    kv->start = kv->n;
    ckpt__gkv_raw_str(kv, key, strlen(key));
    put_le(kv, type, 4);
}

void ckpt__gkv_end(gguf_kv *kv) { add_piece(kv, 1, kv->start, kv->n - kv->start); }

void ckpt__gkv_raw_str(gguf_kv *kv, const char *s, size_t n)
{
    put_le(kv, n, 8);
    put(kv, s, n);
}

void ckpt__gkv_raw_u32(gguf_kv *kv, uint32_t v) { put_le(kv, v, 4); }

void ckpt__gkv_raw_f32(gguf_kv *kv, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    put_le(kv, u, 4);
}

void ckpt__gkv_str(gguf_kv *kv, const char *key, const char *v, size_t n)
{
    begin(kv, key, GGV_STR);
    ckpt__gkv_raw_str(kv, v, n);
    ckpt__gkv_end(kv);
}

void ckpt__gkv_u32(gguf_kv *kv, const char *key, uint32_t v)
{
    begin(kv, key, GGV_U32);
    put_le(kv, v, 4);
    ckpt__gkv_end(kv);
}

void ckpt__gkv_f32(gguf_kv *kv, const char *key, float v)
{
    begin(kv, key, GGV_F32);
    ckpt__gkv_raw_f32(kv, v);
    ckpt__gkv_end(kv);
}

void ckpt__gkv_bool(gguf_kv *kv, const char *key, int v)
{
    begin(kv, key, GGV_BOOL);
    put_le(kv, v ? 1 : 0, 1);
    ckpt__gkv_end(kv);
}

void ckpt__gkv_arr(gguf_kv *kv, const char *key, uint32_t etype, uint64_t count)
{
    begin(kv, key, GGV_ARR);
    put_le(kv, etype, 4);
    put_le(kv, count, 8);
}

void ckpt__gkv_copy(gguf_kv *kv, uint64_t off, uint64_t len) { add_piece(kv, 0, off, len); }

/* ====================================================================== */
/* Walking a source GGUF                                                   */
/* ====================================================================== */

typedef struct {
    ckpt_srcwin w;
    const char *path;
    uint64_t size, pos;
} kr;

static int kr_fail(kr *r, uint64_t off, ckpt_err *err, const char *what)
{
    ckpt_err_set(err, CKPT_E_FORMAT, "GGUF metadata: %s", what);
    ckpt_err_at_path(err, r->path);
    ckpt_err_at_offset(err, off);
    return CKPT_E_FORMAT;
}

static int kr_get(kr *r, void *dst, size_t n, ckpt_err *err)
{
    if (n > r->size - r->pos) return kr_fail(r, r->pos, err, "truncated");
    int rc = ckpt__srcwin_get(&r->w, r->pos, dst, n, err);
    if (rc) ckpt_err_at_path(err, r->path);
    else r->pos += n;
    return rc;
}

static int kr_u(kr *r, int n, uint64_t *v, ckpt_err *err)
{
    unsigned char b[8];
    if (kr_get(r, b, (size_t)n, err)) return CKPT_E_FORMAT;
    *v = 0;
    for (int i = n - 1; i >= 0; i--) *v = (*v << 8) | b[i];
    return 0;
}

static int kr_skip(kr *r, uint64_t n, ckpt_err *err)
{
    if (n > r->size - r->pos) return kr_fail(r, r->pos, err, "a value runs past the end of the file");
    r->pos += n;
    return 0;
}

static int kr_value(kr *r, uint32_t type, int depth, ckpt_err *err)
{
    uint64_t at = r->pos, v, count;
    if (type >= GGV_COUNT) return kr_fail(r, at, err, "unknown value type");
    if (type == GGV_STR) return kr_u(r, 8, &v, err) || kr_skip(r, v, err) ? CKPT_E_FORMAT : 0;
    if (type != GGV_ARR) return kr_skip(r, kv_size[type], err);
    if (kr_u(r, 4, &v, err) || kr_u(r, 8, &count, err)) return CKPT_E_FORMAT;
    if (v >= GGV_COUNT) return kr_fail(r, at, err, "unknown array element type");
    if (v == GGV_ARR && depth + 1 >= KV_MAX_DEPTH) return kr_fail(r, at, err, "arrays nested too deep");
    if (count > (r->size - r->pos) / kv_size[v])
        return kr_fail(r, at, err, "array count cannot fit in the rest of the file");
    if (v != GGV_STR && v != GGV_ARR) return kr_skip(r, count * kv_size[v], err);
    for (uint64_t i = 0; i < count; i++)
        if (kr_value(r, (uint32_t)v, depth + 1, err)) return CKPT_E_FORMAT;
    return 0;
}

static int walk(kr *r, gguf_kv_fn cb, void *ud, ckpt_err *err)
{
    unsigned char magic[4];
    uint64_t version, ntensors, nkv;
    if (kr_get(r, magic, 4, err) || kr_u(r, 4, &version, err)) return CKPT_E_FORMAT;
    if (memcmp(magic, "GGUF", 4)) return kr_fail(r, 0, err, "not a GGUF file (bad magic)");
    if (version != 2 && version != 3) return kr_fail(r, 4, err, "only GGUF versions 2 and 3 are read");
    if (kr_u(r, 8, &ntensors, err) || kr_u(r, 8, &nkv, err)) return CKPT_E_FORMAT;
    if (nkv > r->size / 12) return kr_fail(r, 16, err, "metadata count cannot fit in the file");
    char *key = malloc(KV_MAX_KEY + 1);
    if (!key) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    int rc = 0;
    for (uint64_t i = 0; !rc && i < nkv; i++) {
        uint64_t at = r->pos, klen, type;
        if ((rc = kr_u(r, 8, &klen, err))) break;
        if (klen > KV_MAX_KEY) { rc = kr_fail(r, at, err, "key longer than 64 KiB"); break; }
        if ((rc = kr_get(r, key, (size_t)klen, err))) break;
        key[klen] = 0;
        if (memchr(key, 0, (size_t)klen)) { rc = kr_fail(r, at, err, "key contains a NUL byte"); break; }
        if ((rc = kr_u(r, 4, &type, err)) || (rc = kr_value(r, (uint32_t)type, 0, err))) break;
        rc = cb(ud, key, (uint32_t)type, at, r->pos - at, err);
    }
    free(key);
    return rc;
}

int ckpt__gguf_kv_walk(ckpt_src *s, const char *path, gguf_kv_fn cb, void *ud, ckpt_err *err)
{
    kr r = {.w = {.s = s, .buf = malloc(KV_RDBUF), .cap = KV_RDBUF}, .path = path, .size = s->size};
    if (!r.w.buf) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    int rc = walk(&r, cb, ud, err);
    free(r.w.buf);
    return rc;
}
