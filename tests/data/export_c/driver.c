/* tests/data/export_c/driver.c: runs a model exported by `ckpt convert --to c`
 * on a layer-harness case (tests/klayers_lib.sh): for each batch B, reads
 * CASE/in{K}_b{B}.f32, predicts, writes GOT/out{K}_b{B}.f32 for
 * tests/kcmp.py. Then predicts each sample alone and exits 4 unless every
 * row is bit for bit the batch's row. Compiled with -DMODEL_H='"NAME.h"'
 * -DM(x)=NAME_##x.
 *   driver CASE GOT B... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include MODEL_H

static int io(const char *dir, const char *what, int k, size_t b, float *p, size_t n, int wr)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s%d_b%zu.f32", dir, what, k, b);
    FILE *f = fopen(path, wr ? "wb" : "rb");
    size_t got = f ? (wr ? fwrite(p, sizeof *p, n, f) : fread(p, sizeof *p, n, f)) : 0;
    if (!f || got != n || fclose(f)) { fprintf(stderr, "%s: cannot %s %zu floats\n", path, wr ? "write" : "read", n); return -1; }
    return 0;
}

/* predict one batch; 0, or the exit status */
static int run(const char *cdir, const char *gdir, size_t batch)
{
    int ni = M(num_inputs)(), no = M(num_outputs)();
    size_t nin = 0, nout = 0, o = 0;
    for (int i = 0; i < ni; i++) nin += batch * M(input_size)(i);
    for (int i = 0; i < no; i++) nout += batch * M(output_size)(i);
    float *in = malloc(nin * sizeof *in), *out = malloc(nout * sizeof *out);
    float *in1 = malloc(nin / batch * sizeof *in1), *out1 = malloc(nout / batch * sizeof *out1);
    if (!in || !out || !in1 || !out1) return 3;
    for (int i = 0; i < ni; o += batch * M(input_size)(i), i++)   /* input 0 for the batch, then input 1, ... */
        if (io(cdir, "in", i, batch, in + o, batch * M(input_size)(i), 0)) return 3;
    if (M(predict)(in, batch, out)) { fprintf(stderr, "predict: %s\n", M(error)()); return 1; }
    o = 0;
    for (int i = 0; i < no; o += batch * M(output_size)(i), i++)
        if (io(gdir, "out", i, batch, out + o, batch * M(output_size)(i), 1)) return 3;
    for (size_t s = 0; s < batch; s++) {   /* row s of input i is at in + batch*off_i + s*n_i */
        size_t off = 0, off1 = 0;
        for (int i = 0; i < ni; i++) {
            size_t n = M(input_size)(i);
            memcpy(in1 + off1, in + off + s * n, n * sizeof *in1);
            off += batch * n, off1 += n;
        }
        if (M(predict)(in1, 1, out1)) { fprintf(stderr, "predict: %s\n", M(error)()); return 1; }
        off = off1 = 0;
        for (int i = 0; i < no; i++) {
            size_t n = M(output_size)(i);
            if (memcmp(out1 + off1, out + off + s * n, n * sizeof *out1)) {
                fprintf(stderr, "batch %zu: sample %zu alone gives another output %d than in the batch\n", batch, s, i);
                return 4;
            }
            off += batch * n, off1 += n;
        }
    }
    free(in), free(out), free(in1), free(out1);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) { fprintf(stderr, "usage: driver CASE GOT B...\n"); return 2; }
    for (int i = 3; i < argc; i++) {
        int rc = run(argv[1], argv[2], (size_t)atol(argv[i]));
        if (rc) return rc;
    }
    return 0;
}
