/* Unit tests of the GGUF writer's parts that the shell tests cannot reach:
 * quantized output is the same whatever the streaming chunk size (blocks cut
 * by a chunk boundary are carried over), the reference quantizers' edge
 * cases, and the KV walk's refusals of malformed metadata (with offsets).
 * Prints PASS/FAIL lines for tests/run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "formats/gguf_write.h"
#include "check.h"


typedef struct { unsigned char b[65536]; size_t n; } buf;
static void put(buf *b, const void *p, size_t n) { memcpy(b->b + b->n, p, n); b->n += n; }
static void le(buf *b, uint64_t v, int n) { for (int i = 0; i < n; i++) b->b[b->n++] = (unsigned char)(v >> (8 * i)); }
static void str(buf *b, const char *s) { le(b, strlen(s), 8); put(b, s, strlen(s)); }

/* GGUF v3: one string KV, tensors w [7, 64] and b [64] F32 */
static void make_gguf(buf *b)
{
    b->n = 0;
    put(b, "GGUF", 4); le(b, 3, 4); le(b, 2, 8); le(b, 1, 8);
    str(b, "general.architecture"); le(b, GGV_STR, 4); str(b, "test");
    str(b, "w"); le(b, 2, 4); le(b, 64, 8); le(b, 7, 8); le(b, GGT_F32, 4); le(b, 0, 8);
    str(b, "b"); le(b, 1, 4); le(b, 64, 8); le(b, GGT_F32, 4); le(b, 7 * 64 * 4, 8);
    while (b->n % 32) b->b[b->n++] = 0;
    uint32_t x = 12345;
    for (int i = 0; i < 8 * 64; i++) {
        x = x * 1103515245u + 12345u;
        float f = ((float)(x >> 8) / 16777216.0f - 0.5f) * (i % 64 == 5 ? 9.0f : 1.0f);
        put(b, &f, 4);
    }
}

static int write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    char *t = NULL;
    ckpt_err e;
    ckpt_err_clear(&e);
    if (ckpt_src_slurp(path, 1 << 20, &t, n, &e)) return NULL;
    return (unsigned char *)t;
}

static unsigned char *convert(ckpt_model *m, const char *out, const char *q, size_t chunk, size_t *n)
{
    const char *kv[1] = {q};
    ckpt_convert_opts o = {.to = "gguf", .out = out, .kv = kv, .nkv = 1, .chunk_size = chunk};
    ckpt_err e;
    ckpt_err_clear(&e);
    unlink(out);
    if (ckpt_convert(m, &o, NULL, &e)) { printf("# convert: %s\n", e.msg); return NULL; }
    return slurp(out, n);
}

static void test_chunks(const char *dir)
{
    buf *b = calloc(1, sizeof *b);
    make_gguf(b);
    char in[512], out[512];
    snprintf(in, sizeof in, "%s/in.gguf", dir);
    snprintf(out, sizeof out, "%s/out.gguf", dir);
    ckpt_model *m = NULL;
    ckpt_err e;
    ckpt_err_clear(&e);
    if (write_file(in, b->b, b->n) || ckpt_open(in, &m, &e)) { CHECK("chunks_open", 0); free(b); return; }
    const char *qs[] = {"quantize=Q8_0", "quantize=Q4_0", "quantize=F16"};
    for (int k = 0; k < 3; k++) {
        size_t n0 = 0, n1 = 0, n2 = 0;
        unsigned char *a = convert(m, out, qs[k], 0, &n0);
        unsigned char *c = convert(m, out, qs[k], 72, &n1);   /* 18 floats: blocks straddle chunks */
        unsigned char *d = convert(m, out, qs[k], 8, &n2);
        char name[64];
        snprintf(name, sizeof name, "chunk_size_invariant_%s", qs[k] + 9);
        CHECK(name, a && c && d && n0 == n1 && n0 == n2 && !memcmp(a, c, n0) && !memcmp(a, d, n0));
        free(a); free(c); free(d);
    }
    ckpt_close(m);
    unlink(in);
    unlink(out);
    free(b);
}

static void test_quant_edges(void)
{
    float z[32] = {0};
    unsigned char y[34];
    ckpt__q8_0_row(z, y, 1);
    int ok = y[0] == 0 && y[1] == 0;
    for (int j = 2; j < 34; j++) ok &= y[j] == 0;
    CHECK("q8_0_zero_block", ok);
    ckpt__q4_0_row(z, y, 1);
    ok = y[0] == 0 && y[1] == 0x80;                        /* d = 0.0f / -8 = -0.0 */
    for (int j = 2; j < 18; j++) ok &= y[j] == 0x88;       /* (int8_t)(0 + 8.5f) = 8 */
    CHECK("q4_0_zero_block", ok);
    float x[32];
    for (int j = 0; j < 32; j++) x[j] = (float)(j - 16) / 4;   /* -4 .. 3.75: max |x| is -4 at j = 0 */
    ckpt__q4_0_row(x, y, 1);
    /* d = -4 / -8 = 0.5 (fp16 0x3800); x0 = -4 * 2 + 8.5 -> 0; x16 = 0 * 2 + 8.5 -> 8 */
    CHECK("q4_0_scale_and_codes", y[0] == 0x00 && y[1] == 0x38 && y[2] == (0 | 8 << 4) && (y[17] >> 4) == 15);
    ckpt__q8_0_row(x, y, 1);
    /* d = 4 / 127; x[0] * (127 / 4) = -127 */
    CHECK("q8_0_extreme_code", (int8_t)y[2] == -127 && (int8_t)y[2 + 16] == 0);
    float bad[32] = {0};
    bad[7] = 1.0f / 0.0f;
    CHECK("q_nonfinite_index", ckpt__q_nonfinite(bad, 32) == 7 && ckpt__q_nonfinite(z, 32) == -1);
}

static int noop(void *ud, const char *key, uint32_t type, uint64_t off, uint64_t len, ckpt_err *err)
{
    (void)key; (void)type; (void)off; (void)len; (void)err;
    ++*(int *)ud;
    return 0;
}

static void walk_case(const char *name, const buf *b, int want_ok, uint64_t want_off, const char *want)
{
    int fd = memfd_create("kv.gguf", MFD_CLOEXEC);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ckpt__write_full(fd, b->b, b->n);
    ckpt_src *s = NULL;
    ckpt_err e;
    ckpt_err_clear(&e);
    int n = 0, rc = ckpt_src_open(path, &s, &e);
    if (!rc) rc = ckpt__gguf_kv_walk(s, path, noop, &n, &e);
    if (s) ckpt_src_close(s);
    close(fd);
    int ok = want_ok ? rc == 0 : rc == CKPT_E_FORMAT && e.offset == want_off && strstr(e.msg, want) && !strcmp(e.path, path);
    if (!ok) printf("# %s: rc %d offset %llu msg '%s'\n", name, rc, (unsigned long long)e.offset, e.msg);
    CHECK(name, ok);
}

static void test_walk(void)
{
    buf *b = calloc(1, sizeof *b);
    make_gguf(b);
    walk_case("kv_walk_ok", b, 1, 0, NULL);
    buf *t = calloc(1, sizeof *t);
    memcpy(t->b, b->b, 40); t->n = 40;                     /* cut inside the key */
    walk_case("kv_walk_truncated", t, 0, 32, "truncated");
    t->n = 0; put(t, "GGUF", 4); le(t, 3, 4); le(t, 0, 8); le(t, 1ull << 60, 8);
    walk_case("kv_walk_count", t, 0, 16, "metadata count cannot fit");
    t->n = 0; put(t, "GGUF", 4); le(t, 3, 4); le(t, 0, 8); le(t, 1, 8);
    str(t, "k"); le(t, GGV_ARR, 4); le(t, GGV_U64, 4); le(t, 1ull << 40, 8);
    walk_case("kv_walk_array_count", t, 0, 37, "array count cannot fit");
    t->n = 0; put(t, "GGUF", 4); le(t, 3, 4); le(t, 0, 8); le(t, 1, 8);
    str(t, "k"); le(t, GGV_ARR, 4);
    for (int i = 0; i < 5; i++) { le(t, GGV_ARR, 4); le(t, 1, 8); }
    walk_case("kv_walk_depth", t, 0, 37 + 3 * 12, "nested too deep");
    t->n = 0; put(t, "GGUF", 4); le(t, 3, 4); le(t, 0, 8); le(t, 1, 8);
    str(t, "k"); le(t, 99, 4);
    walk_case("kv_walk_type", t, 0, 37, "unknown value type");
    t->n = 0; put(t, "GGUF", 4); le(t, 3, 4); le(t, 0, 8); le(t, 1, 8);
    str(t, "k"); le(t, GGV_STR, 4); le(t, 1ull << 62, 8);
    walk_case("kv_walk_string_len", t, 0, 45, "runs past the end");
    free(t);
    free(b);
}

int main(void)
{
    char dir[] = "/tmp/ckpt-unit-gguf.XXXXXX";
    if (!mkdtemp(dir)) return 1;
    test_chunks(dir);
    test_quant_edges();
    test_walk();
    rmdir(dir);
    return failures ? 1 : 0;
}
