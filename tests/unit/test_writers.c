/* test_writers.c: the writers' building blocks on what the scripted tests
 * cannot reach cheaply: pickle ints of every width (LONG1 past 2^31, as a
 * numel over 2 billion needs) and memo slots past 255, read back by ckpt's
 * own pickle VM; zip members forced to zip64, deflated, empty and aligned,
 * read back by libzip (the independent reader) with their CRCs checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <zip.h>

#include "formats/pickle.h"
#include "formats/pickle_write.h"
#include "formats/zip_write.h"
#include "internal.h"
#include "check.h"


static void test_pickle_ints(void)
{
    static const int64_t v[] = {0, 1, 255, 256, 65535, 65536, -1, -129, INT32_MAX, INT32_MIN,
                                (int64_t)INT32_MAX + 1, (int64_t)1 << 40, -((int64_t)1 << 40), 0x7F,
                                0x80, 0x8000, (int64_t)0x800000, INT64_MAX, INT64_MIN, 3000000000LL};
    int n = (int)(sizeof v / sizeof v[0]);
    pkw w = {0};
    ckpt__pkw_proto(&w, 2);
    ckpt__pkw_op(&w, PKW_MARK);
    for (int i = 0; i < n; i++) ckpt__pkw_int(&w, v[i]);
    for (int i = 0; i < 300; i++) {       /* memo slots 0..299: BINPUT then LONG_BINPUT */
        ckpt__pkw_str(&w, i == 299 ? "last" : "x");
        ckpt__pkw_put(&w);
        ckpt__pkw_op(&w, '0');                  /* POP: keep the stack as it was */
    }
    ckpt__pkw_get(&w, 299);                     /* LONG_BINGET */
    ckpt__pkw_get(&w, 3);                       /* BINGET */
    ckpt__pkw_op(&w, PKW_TUPLE);
    ckpt__pkw_op(&w, PKW_STOP);
    CHECK("pickle_write_buffer", !w.bad);
    pk_vm *vm = ckpt__pk_new(NULL);
    pk_obj *root = NULL;
    ckpt_err e;
    ckpt_err_clear(&e);
    int rc = ckpt__pk_parse(vm, w.p, w.n, 0, &root, NULL, &e);
    CHECK("pickle_write_parses", rc == 0 && root && root->kind == PK_TUPLE && root->n == n + 2);
    int same = rc == 0 && root->n == n + 2;
    for (int i = 0; same && i < n; i++) same = root->items[i]->kind == PK_INT && root->items[i]->i == v[i];
    CHECK("pickle_write_int_widths", same);
    CHECK("pickle_write_long_memo", same && root->items[n]->kind == PK_STR && !strcmp(root->items[n]->s, "last") &&
                                        root->items[n + 1]->kind == PK_STR && !strcmp(root->items[n + 1]->s, "x"));
    int64_t sh[5] = {2, 3, 4, 5, 6};
    pkw t = {0};
    ckpt__pkw_proto(&t, 2);
    ckpt__pkw_int_tuple(&t, sh, 5);
    ckpt__pkw_op(&t, PKW_STOP);
    rc = ckpt__pk_parse(vm, t.p, t.n, 0, &root, NULL, &e);
    CHECK("pickle_write_long_tuple", rc == 0 && root->kind == PK_TUPLE && root->n == 5 && root->items[4]->i == 6);
    ckpt__pk_free(vm);
    ckpt__pkw_free(&w);
    ckpt__pkw_free(&t);
}

static void test_zip(void)
{
    char path[] = "/tmp/ckpt-zw-XXXXXX";
    int fd = mkstemp(path);
    zw *z = ckpt__zw_new(fd, path, NULL);
    ckpt_err e;
    ckpt_err_clear(&e);
    static unsigned char big[300000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 7 % 13);
    zw_member ms[] = {{"a.npy", sizeof big, 0, 0, 1}, {"b/deflated", sizeof big, 1, 0, 1},
                      {"empty", 0, 0, 64, 0}, {"aligned", 100, 0, 64, 0}, {"ünï", 5, 1, 0, 0}};
    int rc = 0;
    for (size_t k = 0; !rc && k < sizeof ms / sizeof ms[0]; k++) {
        rc = ckpt__zw_begin(z, &ms[k], &e);
        for (uint64_t off = 0; !rc && off < ms[k].size; off += 70001) {
            size_t n = ms[k].size - off < 70001 ? (size_t)(ms[k].size - off) : 70001;
            rc = ckpt__zw_write(z, big + off, n, &e);
        }
        if (!rc) rc = ckpt__zw_end(z, &e);
    }
    if (!rc) rc = ckpt__zw_finish(z, &e);
    CHECK("zip_write_ok", rc == 0);
    ckpt__zw_free(z);
    close(fd);
    int nul = open("/dev/null", O_WRONLY);
    zw *z2 = ckpt__zw_new(nul, "/dev/null", NULL);
    CHECK("zip_write_overrun_refused", ckpt__zw_begin(z2, &ms[3], &e) == 0 && ckpt__zw_write(z2, big, 101, &e) != 0);
    ckpt__zw_free(z2);
    close(nul);
    int ze = 0;
    zip_t *zr = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    CHECK("zip_write_libzip_opens", zr != NULL && zip_get_num_entries(zr, 0) == 5);
    int same = zr != NULL;
    static unsigned char back[300001];
    for (int k = 0; same && k < 5; k++) {
        zip_file_t *f = zip_fopen(zr, ms[k].name, 0);
        zip_int64_t got = f ? zip_fread(f, back, sizeof back) : -1;
        same = f && got == (zip_int64_t)ms[k].size && !memcmp(back, big, (size_t)got) && zip_fclose(f) == 0;
    }
    CHECK("zip_write_members_read_back", same);
    zip_stat_t st;
    CHECK("zip_write_methods", zr && zip_stat(zr, "b/deflated", 0, &st) == 0 && st.comp_method == ZIP_CM_DEFLATE &&
                                   st.comp_size < sizeof big && zip_stat(zr, "a.npy", 0, &st) == 0 &&
                                   st.comp_method == ZIP_CM_STORE);
    if (zr) zip_discard(zr);
    unlink(path);
}

int main(void)
{
    test_pickle_ints();
    test_zip();
    return failures != 0;
}
