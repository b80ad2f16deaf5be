/* test_verify.c: ckpt_verify against a safetensors file this test writes
 * byte by byte (so the offsets are known here, not taken from ckpt): a
 * clean conversion verifies; a byte flipped between ckpt_convert and
 * ckpt_verify (the hook is this test itself) is reported with the tensor
 * and its byte offset; an F16 cast verifies and a one-ulp change of the
 * cast output is caught. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckpt/verify.h"
#include "internal.h"
#include "check.h"


#define NA 6
#define NB 100

/* a: F32[2,3], b: F32[100], in that order in the data section */
static void write_input(const char *path, float *a, float *b)
{
    char hdr[256];
    int hl = snprintf(hdr, sizeof hdr,
                      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,%d]},"
                      "\"b\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[%d,%d]}}",
                      NA * 4, NB, NA * 4, NA * 4 + NB * 4);
    while (hl % 8) hdr[hl++] = ' ';
    FILE *f = fopen(path, "wb");
    uint64_t l = (uint64_t)hl;
    fwrite(&l, 8, 1, f);
    fwrite(hdr, 1, (size_t)hl, f);
    fwrite(a, 4, NA, f);
    fwrite(b, 4, NB, f);
    fclose(f);
}

/* The data section of a safetensors file starts after 8 + header length. */
static long data_start(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint64_t l = 0;
    if (!f || fread(&l, 8, 1, f) != 1) l = 0;
    if (f) fclose(f);
    return (long)(8 + l);
}

static void flip(const char *path, long at, unsigned char mask)
{
    FILE *f = fopen(path, "r+b");
    fseek(f, at, SEEK_SET);
    int c = fgetc(f);
    fseek(f, at, SEEK_SET);
    fputc(c ^ mask, f);
    fclose(f);
}

static int convert_then(ckpt_model *m, const char *out, ckpt_dtype cast, long flip_at, unsigned char mask,
                        ckpt_verify_result *r, ckpt_err *err)
{
    ckpt_convert_opts o = {.to = "safetensors", .out = out, .cast = cast};
    ckpt_err_clear(err);
    unlink(out);
    if (ckpt_convert(m, &o, NULL, err)) return -1;
    if (flip_at >= 0) flip(out, data_start(out) + flip_at, mask);   /* between write and verify */
    return ckpt_verify(m, &o, out, r, err);
}

int main(void)
{
    char dir[] = "/tmp/ckpt-verify-test-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char in[128], out[128];
    snprintf(in, sizeof in, "%s/in.safetensors", dir);
    snprintf(out, sizeof out, "%s/out.safetensors", dir);
    float a[NA], b[NB];
    for (int i = 0; i < NA; i++) a[i] = (float)i * 0.5f - 1.0f;
    for (int i = 0; i < NB; i++) b[i] = sinf((float)i) * 3.0f;
    write_input(in, a, b);

    ckpt_model *m = NULL;
    ckpt_err err;
    ckpt_err_clear(&err);
    CHECK("verify_open_input", ckpt_open(in, &m, &err) == 0);
    if (!m) return 1;
    ckpt_verify_result r;
    CHECK("verify_clean_output", convert_then(m, out, CKPT_DT_INVALID, -1, 0, &r, &err) == 0 && r.ntensors == 2 &&
                                     r.nexact == 2);

    /* byte 4*NA + 4*37 + 2 is inside b[37]: the report names b and offset 150 */
    int rc = convert_then(m, out, CKPT_DT_INVALID, 4 * NA + 4 * 37 + 2, 0x10, &r, &err);
    CHECK("verify_flipped_byte_fails", rc == CKPT_E_INTEGRITY);
    CHECK("verify_names_tensor", !strcmp(r.tensor, "b") && !strcmp(err.tensor, "b"));
    CHECK("verify_names_offset", r.offset == 4 * 37 + 2 && err.offset == 4 * 37 + 2);
    CHECK("verify_says_element", strstr(err.msg, "element 37") != NULL);
    CHECK("verify_keeps_output", access(out, F_OK) == 0);

    /* F16 cast: verifies; flipping the lowest mantissa bit of a[3] (one ulp) is caught */
    CHECK("verify_f16_cast", convert_then(m, out, CKPT_F16, -1, 0, &r, &err) == 0 && r.ntensors == 2);
    rc = convert_then(m, out, CKPT_F16, 2 * 3, 0x01, &r, &err);
    CHECK("verify_f16_one_ulp_caught", rc == CKPT_E_INTEGRITY && !strcmp(r.tensor, "a") && r.offset == 6);

    /* a missing output is an error, not a pass */
    ckpt_convert_opts o = {.to = "safetensors", .out = out};
    unlink(out);
    ckpt_err_clear(&err);
    CHECK("verify_missing_output", ckpt_verify(m, &o, out, &r, &err) != 0);

    ckpt_close(m);
    unlink(in);
    rmdir(dir);
    return failures ? 1 : 0;
}
