/* tests/data/export_c/driver.c: runs a model exported by `ckpt convert --to c`
 * on a batch of inputs from a file (float32, as tests/node/kpredict.js writes
 * them) and writes the outputs. Then predicts each sample alone and exits 4
 * unless every row is bit for bit the batch's row. Compiled with
 * -DMODEL_H='"NAME.h"' -DM(x)=NAME_##x.
 *   driver IN.bin BATCH OUT.bin */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include MODEL_H

int main(int argc, char **argv)
{
    if (argc != 4) { fprintf(stderr, "usage: driver IN.bin BATCH OUT.bin\n"); return 2; }
    size_t batch = (size_t)atol(argv[2]), nin = 0, nout = 0;
    for (int i = 0; i < M(num_inputs)(); i++) nin += batch * M(input_size)(i);
    for (int i = 0; i < M(num_outputs)(); i++) nout += batch * M(output_size)(i);
    float *in = malloc(nin * sizeof *in), *out = malloc(nout * sizeof *out);
    FILE *f = fopen(argv[1], "rb");
    if (!in || !out || !f || fread(in, sizeof *in, nin, f) != nin) { fprintf(stderr, "%s: cannot read %zu floats\n", argv[1], nin); return 3; }
    fclose(f);
    if (M(predict)(in, batch, out)) { fprintf(stderr, "predict: %s\n", M(error)()); return 1; }
    if (!(f = fopen(argv[3], "wb")) || fwrite(out, sizeof *out, nout, f) != nout || fclose(f)) { perror(argv[3]); return 3; }
    /* one sample at a time: input i's row s is at in + batch*off_i + s*n_i */
    float *in1 = malloc(nin / (batch ? batch : 1) * sizeof *in1 + 1), *out1 = malloc(nout / (batch ? batch : 1) * sizeof *out1 + 1);
    for (size_t s = 0; s < batch; s++) {
        size_t o = 0, o1 = 0;
        for (int i = 0; i < M(num_inputs)(); i++) {
            size_t n = M(input_size)(i);
            memcpy(in1 + o1, in + o + s * n, n * sizeof *in1);
            o += batch * n, o1 += n;
        }
        if (M(predict)(in1, 1, out1)) { fprintf(stderr, "predict: %s\n", M(error)()); return 1; }
        o = o1 = 0;
        for (int i = 0; i < M(num_outputs)(); i++) {
            size_t n = M(output_size)(i);
            if (memcmp(out1 + o1, out + o + s * n, n * sizeof *out1)) {
                fprintf(stderr, "sample %zu alone gives another output %d than in the batch\n", s, i);
                return 4;
            }
            o += batch * n, o1 += n;
        }
    }
    free(in1);
    free(out1);
    free(in);
    free(out);
    return 0;
}
