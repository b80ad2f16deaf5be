/* test_h5chunk.c: chunked datasets decoded by ckpt (h5chunk.c, h5filter.c)
 * against libhdf5's own read of the same bytes (H5Dread through
 * ckpt_h5_read_range), over random byte ranges: unaligned, inside one
 * chunk, across chunk rows, whole. Datasets written here with libhdf5:
 * deflate, shuffle + deflate, fletcher32, all three, incompressible
 * noise, a chunk stored with deflate skipped (its filter mask bit), edge
 * chunks, ranks 1 to 4, 1-, 2-, 4- and 8-byte elements. Plus what is left to libhdf5: a
 * dataset with an unwritten chunk (fill value), scale-offset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "formats/h5chunk.h"
#include "formats/h5util.h"
#include "check.h"

typedef struct { const char *name; int nd; hsize_t dims[4], chunk[4]; hid_t type; size_t es; int deflate, shuffle, fletcher, random; } spec;

static const spec specs[] = {
    {"f32_gzip", 2, {37, 53}, {8, 16}, 0, 4, 1, 0, 0, 0},
    {"f32_shuffle_gzip", 2, {64, 40}, {64, 8}, 0, 4, 1, 1, 0, 0},
    {"f64_fletcher", 1, {1001}, {64}, 0, 8, 0, 0, 1, 0},
    {"i16_all3", 4, {5, 6, 7, 3}, {2, 3, 4, 2}, 0, 2, 1, 1, 1, 0},
    {"u8_gzip_noise", 3, {9, 33, 17}, {4, 16, 17}, 0, 1, 1, 0, 0, 1},
    {"f32_shuffle_fletcher_noise", 2, {300, 7}, {128, 7}, 0, 4, 1, 1, 1, 1},
};

static hid_t type_of(size_t es)
{
    return es == 1 ? H5T_STD_U8LE : es == 2 ? H5T_STD_I16LE : es == 4 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
}

static void write_file(const char *path, unsigned char **data, size_t *nbytes)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    unsigned seed = 7;
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        const spec *s = &specs[i];
        size_t n = s->es;
        for (int d = 0; d < s->nd; d++) n *= s->dims[d];
        unsigned char *b = malloc(n);
        /* smooth values compress; noise does not (deflate then gives up on the chunk) */
        for (size_t k = 0; k < n; k++) b[k] = s->random ? (unsigned char)(rand_r(&seed) >> 7) : (unsigned char)(k / 3 % 251);
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_chunk(dcpl, s->nd, s->chunk);
        if (s->shuffle) H5Pset_shuffle(dcpl);
        if (s->deflate) H5Pset_deflate(dcpl, 6);
        if (s->fletcher) H5Pset_fletcher32(dcpl);
        hid_t sp = H5Screate_simple(s->nd, s->dims, NULL);
        hid_t d = H5Dcreate2(f, s->name, type_of(s->es), sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        H5Dwrite(d, type_of(s->es), H5S_ALL, H5S_ALL, H5P_DEFAULT, b);
        H5Dclose(d);
        H5Sclose(sp);
        H5Pclose(dcpl);
        data[i] = b;
        nbytes[i] = n;
    }
    /* left to libhdf5: one chunk never written (fill value 7), scale-offset */
    hsize_t dims = 100, ch = 10, one = 10, at = 20;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &ch);
    H5Pset_deflate(dcpl, 1);
    int fill = 7;
    H5Pset_fill_value(dcpl, H5T_NATIVE_INT, &fill);
    hid_t sp = H5Screate_simple(1, &dims, NULL);
    hid_t d = H5Dcreate2(f, "sparse", H5T_STD_I32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int v[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    hid_t ms = H5Screate_simple(1, &one, NULL);
    H5Sselect_hyperslab(sp, H5S_SELECT_SET, &at, NULL, &one, NULL);
    H5Dwrite(d, H5T_NATIVE_INT, ms, sp, H5P_DEFAULT, v);
    H5Dclose(d);
    H5Pclose(dcpl);
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &ch);
    H5Pset_scaleoffset(dcpl, H5Z_SO_INT, H5Z_SO_INT_MINBITS_DEFAULT);
    H5Sselect_all(sp);
    d = H5Dcreate2(f, "scaleoffset", H5T_STD_I32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int w[100];
    for (int k = 0; k < 100; k++) w[k] = 1000 + k;
    H5Dwrite(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, w);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(ms);
    H5Sclose(sp);
    /* two chunks written directly: the first raw with deflate marked skipped */
    dims = 20;
    sp = H5Screate_simple(1, &dims, NULL);
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &ch);
    H5Pset_deflate(dcpl, 1);
    d = H5Dcreate2(f, "masked", H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    float x[20];
    for (int k = 0; k < 20; k++) x[k] = (float)k * 0.5f;
    hsize_t c0 = 0, c1 = 10;
    H5Dwrite_chunk(d, H5P_DEFAULT, 1, &c0, sizeof(float) * 10, x);
    unsigned char z[256];
    uLongf zn = sizeof z;
    compress2(z, &zn, (const unsigned char *)(x + 10), sizeof(float) * 10, 6);
    H5Dwrite_chunk(d, H5P_DEFAULT, 0, &c1, zn, z);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sp);
    H5Fclose(f);
}

typedef struct { FILE *f; } rd_ctx;
static int rd(void *ctx, void *buf, size_t n, uint64_t at, ckpt_err *err)
{
    rd_ctx *r = ctx;
    if (fseek(r->f, (long)at, SEEK_SET) || fread(buf, 1, n, r->f) != n) return ckpt_err_set(err, CKPT_E_IO, "short read");
    return 0;
}

/* the plan of 1-D 4-byte dataset `name` (opened into *d) */
static ckpt_h5ck *plan_1d(hid_t f, const char *name, int64_t n, hid_t *d)
{
    *d = H5Dopen2(f, name, H5P_DEFAULT);
    return ckpt__h5ck_plan(*d, 1, &n, 4);
}

int main(void)
{
    ckpt_h5_init();
    char path[] = "/tmp/ckpt-h5chunk-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    enum { N = sizeof specs / sizeof specs[0] };
    unsigned char *data[N];
    size_t nbytes[N];
    write_file(path, data, nbytes);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    rd_ctx r = {fopen(path, "rb")};
    hsize_t fsize = 0;
    H5Fget_filesize(f, &fsize);
    ckpt_h5ck_cache cache;
    memset(&cache, 0, sizeof cache);
    unsigned seed = 11;
    for (int i = 0; i < N; i++) {
        const spec *s = &specs[i];
        char name[96];
        hid_t d = H5Dopen2(f, s->name, H5P_DEFAULT);
        int64_t shape[4];
        for (int k = 0; k < s->nd; k++) shape[k] = (int64_t)s->dims[k];
        ckpt_h5ck *c = ckpt__h5ck_plan(d, s->nd, shape, s->es);
        snprintf(name, sizeof name, "plan_%s", s->name);
        CHECK(name, c != NULL);
        if (!c) continue;
        ckpt_err e;
        ckpt_err_clear(&e);
        int fb = 1;
        snprintf(name, sizeof name, "index_%s", s->name);
        CHECK(name, ckpt__h5ck_index(c, d, fsize, &fb, &e) == 0 && fb == 0);
        unsigned char *mine = malloc(nbytes[i]), *ref = malloc(nbytes[i]);
        int same = 1, same_ref = 1;
        /* the whole tensor, then random ranges (some inside a chunk, some spanning rows) */
        for (int k = 0; k < 200 && same && same_ref; k++) {
            size_t off = k ? (size_t)rand_r(&seed) % nbytes[i] : 0;
            size_t len = k ? 1 + (size_t)rand_r(&seed) % (k % 3 ? 64 : nbytes[i] - off) : nbytes[i];
            if (off + len > nbytes[i]) len = nbytes[i] - off;
            ckpt_err_clear(&e);
            memset(mine, 0xAA, len);
            if (ckpt__h5ck_read(c, &cache, rd, &r, off, mine, len, &e)) { same = 0; printf("# %s\n", e.msg); break; }
            ckpt_h5_read_range(d, type_of(s->es), s->nd, shape, s->es, off, ref, len, &e);
            same = !memcmp(mine, ref, len);
            same_ref = !memcmp(ref, data[i] + off, len);
        }
        snprintf(name, sizeof name, "ranges_equal_libhdf5_%s", s->name);
        CHECK(name, same);
        snprintf(name, sizeof name, "ranges_equal_written_%s", s->name);
        CHECK(name, same_ref);
        free(mine);
        free(ref);
        ckpt__h5ck_free(c);
        H5Dclose(d);
        free(data[i]);
    }
    /* a chunk stored with deflate skipped (its filter mask bit, as libhdf5
     * writes when an optional filter fails) beside a deflated one */
    {
        hid_t d;
        ckpt_h5ck *c = plan_1d(f, "masked", 20, &d);
        int fb = 1;
        ckpt_err e;
        ckpt_err_clear(&e);
        float got[20];
        int ok = c && !ckpt__h5ck_index(c, d, fsize, &fb, &e) && !fb && c->ent[0].mask == 1 && c->ent[1].mask == 0 &&
                 !ckpt__h5ck_read(c, &cache, rd, &r, 0, got, sizeof got, &e);
        for (int k = 0; ok && k < 20; k++) ok = got[k] == (float)k * 0.5f;
        CHECK("masked_chunk_read_unfiltered", ok);
        ckpt__h5ck_free(c);
        H5Dclose(d);
    }
    const char *lib[] = {"sparse", "scaleoffset"};
    for (int i = 0; i < 2; i++) {
        hid_t d;
        ckpt_h5ck *c = plan_1d(f, lib[i], 100, &d);
        int fb = 0;
        ckpt_err e;
        ckpt_err_clear(&e);
        char name[64];
        snprintf(name, sizeof name, "left_to_libhdf5_%s", lib[i]);
        /* scale-offset: no plan; sparse: a plan whose index walk falls back */
        CHECK(name, i ? c == NULL : (c && ckpt__h5ck_index(c, d, fsize, &fb, &e) == 0 && fb == 1 && !c->ent));
        ckpt__h5ck_free(c);
        H5Dclose(d);
    }
    ckpt__h5ck_cache_free(&cache);
    fclose(r.f);
    H5Fclose(f);
    unlink(path);
    return failures;
}
