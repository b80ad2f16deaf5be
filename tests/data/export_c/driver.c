/* tests/data/export_c/driver.c: runs a model exported by `ckpt convert --to c`
 * on a batch of inputs from a file (float32, as tests/node/kpredict.js writes
 * them) and writes the outputs. Compiled with -DMODEL_H='"NAME.h"' -DM(x)=NAME_##x.
 *   driver IN.bin BATCH OUT.bin */
#include <stdio.h>
#include <stdlib.h>
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
    free(in);
    free(out);
    return 0;
}
