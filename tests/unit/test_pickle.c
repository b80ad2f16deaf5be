/* test_pickle.c: the pickle VM on hand-written opcode streams (allow-list,
 * refusals, bounds) and the strided gather on views wider than its window
 * (checked against direct indexing). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "formats/npy.h"
#include "formats/pickle.h"
#include "tensor_io.h"
#include "check.h"


static int parse(const char *bytes, size_t n, pk_obj **root, ckpt_err *e)
{
    static pk_vm *vm;
    if (vm) ckpt__pk_free(vm);
    vm = ckpt__pk_new(NULL);
    ckpt_err_clear(e);
    return ckpt__pk_parse(vm, (const unsigned char *)bytes, n, 0, root, NULL, e);
}

static void test_vm(void)
{
    pk_obj *r;
    ckpt_err e;
    /* {'a': (1, -2, 3.5), 'b': [True, None]} protocol 2 */
    static const char ok[] = "\x80\x02}q\x00(X\x01\x00\x00\x00" "aK\x01J\xfe\xff\xff\xffG@\x0c\x00\x00\x00\x00\x00\x00\x87"
                             "X\x01\x00\x00\x00" "b]q\x01(\x88Neu.";
    int rc = parse(ok, sizeof ok - 1, &r, &e);
    CHECK("pickle_dict_parses", rc == 0 && r && r->kind == PK_DICT && r->n == 4);
    pk_obj *a = ckpt__pk_dict_get(r, "a"), *b = ckpt__pk_dict_get(r, "b");
    CHECK("pickle_tuple", a && a->kind == PK_TUPLE && a->n == 3 && a->items[0]->i == 1 && a->items[1]->i == -2 &&
                              a->items[2]->f == 3.5);
    CHECK("pickle_list", b && b->kind == PK_LIST && b->n == 2 && b->items[0]->kind == PK_BOOL && b->items[1]->kind == PK_NONE);

    static const char evil[] = "\x80\x02" "cposix\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85R.";
    rc = parse(evil, sizeof evil - 1, &r, &e);
    CHECK("pickle_refuses_posix_system", rc == CKPT_E_UNSAFE && strstr(e.msg, "refused unsafe pickle global 'posix.system' at byte 2"));
    /* STACK_GLOBAL with names from strings */
    static const char evil4[] = "\x80\x04\x8c\x08" "builtins\x8c\x04" "eval\x93.";
    rc = parse(evil4, sizeof evil4 - 1, &r, &e);
    CHECK("pickle_refuses_stack_global_eval", rc == CKPT_E_UNSAFE && strstr(e.msg, "'builtins.eval'"));
    /* REDUCE of something that is not an allowed global */
    static const char red[] = "\x80\x02K\x01)R.";
    rc = parse(red, sizeof red - 1, &r, &e);
    CHECK("pickle_refuses_reduce_of_int", rc == CKPT_E_UNSAFE);
    /* INST imports and calls: refused */
    static const char inst[] = "(ios\nsystem\nX\x02\x00\x00\x00ls.";
    rc = parse(inst, sizeof inst - 1, &r, &e);
    CHECK("pickle_refuses_inst", rc == CKPT_E_UNSAFE);
    /* bounds */
    static const char trunc[] = "\x80\x02X\xff\xff\xff\x7f" "abc";
    rc = parse(trunc, sizeof trunc - 1, &r, &e);
    CHECK("pickle_string_longer_than_input", rc == CKPT_E_FORMAT && strstr(e.msg, "truncated") && e.offset == 2);
    static const char under[] = "\x80\x02t.";
    rc = parse(under, sizeof under - 1, &r, &e);
    CHECK("pickle_tuple_without_mark", rc == CKPT_E_FORMAT);
    static const char badget[] = "\x80\x02h\x05.";
    rc = parse(badget, sizeof badget - 1, &r, &e);
    CHECK("pickle_dangling_memo", rc == CKPT_E_FORMAT && strstr(e.msg, "memo key 5"));
    static const char nostop[] = "\x80\x02K\x01";
    rc = parse(nostop, sizeof nostop - 1, &r, &e);
    CHECK("pickle_no_stop", rc == CKPT_E_FORMAT);
    /* a deep stack is bounded */
    pk_limits lim = {1000, 100};
    pk_vm *vm = ckpt__pk_new(&lim);
    char deep[400];
    memset(deep, 'N', sizeof deep);
    ckpt_err_clear(&e);
    rc = ckpt__pk_parse(vm, (unsigned char *)deep, sizeof deep, 0, &r, NULL, &e);
    CHECK("pickle_stack_bounded", rc == CKPT_E_FORMAT && strstr(e.msg, "stack deeper"));
    ckpt__pk_free(vm);
    /* a self-referencing list (memo cycle) parses; walkers bound their depth */
    static const char cyc[] = "\x80\x02]q\x00h\x00" "a.";
    rc = parse(cyc, sizeof cyc - 1, &r, &e);
    CHECK("pickle_cycle_ok", rc == 0 && r->kind == PK_LIST && r->n == 1 && r->items[0] == r);
}

/* ---- gathers ---- */

typedef struct mem { const unsigned char *p; uint64_t n; int reads; } mem;
static int mem_read(void *ctx, uint64_t off, void *buf, size_t n, ckpt_err *err)
{
    mem *m = ctx;
    if (off + n > m->n) return ckpt_err_set(err, CKPT_E_IO, "past end");
    memcpy(buf, m->p + off, n);
    m->reads++;
    return 0;
}

static void test_gather(void)
{
    /* a 3000 x 2000 float32 storage (24 MB, wider than the 16 MiB window), viewed transposed */
    enum { R = 3000, C = 2000 };
    uint32_t *st = malloc((size_t)R * C * 4);
    for (uint32_t i = 0; i < (uint32_t)R * C; i++) st[i] = i * 2654435761u;
    mem m = {(unsigned char *)st, (uint64_t)R * C * 4, 0};
    tio_view v = {.ndim = 2, .shape = {C, R}, .stride = {1, C}, .base = 0, .esz = 4, .swap = 0,
                  .storage_bytes = (uint64_t)R * C * 4};
    tio_window w = {0};
    ckpt_err e;
    ckpt_err_clear(&e);
    CHECK("gather_view_check", ckpt__tio_view_check(&v, &e) == 0 && !ckpt__tio_view_contiguous(&v));
    size_t chunk = (4u << 20) + 2;   /* unaligned chunks */
    unsigned char *out = malloc(chunk);
    int ok = 1;
    uint64_t total = (uint64_t)R * C * 4;
    for (uint64_t off = 0; off < total && ok; off += chunk) {
        size_t n = total - off < chunk ? (size_t)(total - off) : chunk;
        if (ckpt__tio_view_read(&v, mem_read, &m, &w, &m, off, out, n, &e)) { ok = 0; break; }
        for (size_t k = 0; k < n; k++) {
            uint64_t b = off + k, el = b / 4;
            uint64_t i = el / R, j = el % R;     /* out[i][j] = st[j][i] */
            uint32_t want = st[j * C + i];
            if (out[k] != ((unsigned char *)&want)[b % 4]) { ok = 0; break; }
        }
    }
    CHECK("gather_transposed_wide", ok);
    /* big-endian contiguous: swapped */
    ckpt__tio_window_free(&w);
    tio_view b = {.ndim = 1, .shape = {4}, .stride = {1}, .base = 1, .esz = 4, .swap = 1, .storage_bytes = 20};
    const unsigned char raw[20] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xfe};
    mem m2 = {raw, 20, 0};
    int32_t got[4];
    ckpt_err_clear(&e);
    int rc = ckpt__tio_view_read(&b, mem_read, &m2, &w, &m2, 0, got, 16, &e);
    CHECK("gather_byteswap", rc == 0 && got[0] == 1 && got[1] == 2 && got[2] == 256 && got[3] == -2);
    /* a view reaching past its storage is refused */
    tio_view bad = {.ndim = 2, .shape = {3, 3}, .stride = {4, 1}, .base = 0, .esz = 4, .storage_bytes = 40};
    ckpt_err_clear(&e);
    CHECK("gather_view_out_of_bounds", ckpt__tio_view_check(&bad, &e) == CKPT_E_FORMAT);
    ckpt__tio_window_free(&w);
    free(out);
    free(st);
}

static void test_npy(void)
{
    npy_hdr h;
    ckpt_err e;
    const char *hd = "{'descr': '>i8', 'fortran_order': True, 'shape': (2, 3), }";
    unsigned char b[128];
    size_t hl = strlen(hd);
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    b[8] = (unsigned char)(hl + 1);
    b[9] = 0;
    memcpy(b + 10, hd, hl);
    b[10 + hl] = '\n';
    ckpt_err_clear(&e);
    int rc = ckpt__npy_parse(b, 11 + hl, &h, &e);
    CHECK("npy_header", rc == 0 && h.dt == CKPT_I64 && h.swap && h.fortran && h.ndim == 2 && h.shape[0] == 2 &&
                            h.shape[1] == 3 && h.data_off == 11 + hl && h.nbytes == 48);
    const char *obj = "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }";
    hl = strlen(obj);
    b[8] = (unsigned char)(hl + 1);
    memcpy(b + 10, obj, hl);
    b[10 + hl] = '\n';
    ckpt_err_clear(&e);
    CHECK("npy_object_refused", ckpt__npy_parse(b, 11 + hl, &h, &e) == CKPT_E_UNSAFE);
}

int main(void)
{
    test_vm();
    test_gather();
    test_npy();
    return failures ? 1 : 0;
}
