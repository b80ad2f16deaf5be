/* tests/bench/export_c_time.c: best of R timed NAME_predict calls on the
 * batch-B inputs of a layer-harness case (CASE/in{K}_bB.f32), in
 * milliseconds, for bench_export_c. Compiled with -DMODEL_H='"NAME.h"'
 * -DM(x)=NAME_##x.
 *   export_c_time CASE B R */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include MODEL_H

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc != 4) return 2;
    size_t batch = (size_t)atol(argv[2]), nin = 0, nout = 0;
    int reps = atoi(argv[3]);
    for (int i = 0; i < M(num_inputs)(); i++) nin += batch * M(input_size)(i);
    for (int i = 0; i < M(num_outputs)(); i++) nout += batch * M(output_size)(i);
    float *in = malloc(nin * sizeof *in), *out = malloc(nout * sizeof *out);
    if (!in || !out) return 3;
    for (size_t i = 0, o = 0; (int)i < M(num_inputs)(); o += batch * M(input_size)((int)i), i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/in%d_b%zu.f32", argv[1], (int)i, batch);
        FILE *f = fopen(p, "rb");
        if (!f || fread(in + o, sizeof *in, batch * M(input_size)((int)i), f) != batch * M(input_size)((int)i)) return 3;
        fclose(f);
    }
    if (M(predict)(in, batch, out)) { fprintf(stderr, "%s\n", M(error)()); return 1; }  /* warm-up */
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now_ms();
        if (M(predict)(in, batch, out)) return 1;
        double t = now_ms() - t0;
        best = t < best ? t : best;
    }
    printf("%.3f\n", best);
    return 0;
}
