/* libFuzzer target: raw bytes as an HDF5 file, through libhdf5's own open
 * and ckpt's whole Keras walk (legacy .h5 and Keras 3 .weights.h5 layouts),
 * then a read of every tensor. Unlike fuzz_keras_h5 this feeds libhdf5's
 * byte-level parser, which is known to crash on hostile files: what it finds
 * is libhdf5's (kept in tests/data/h5-hostile/ and reported in the README),
 * and ckpt meets such files in its sandbox (src/sandbox.c). So this target
 * runs in-process, with the sandbox off, and `make fuzz` keeps going past
 * its crashes (-fork, -ignore_crashes), saving them under build/fuzz/.
 *
 * Seeds: the real .h5 fixtures' first bytes are a good start; `make fuzz`
 * uses tests/fuzz/seeds/fuzz_h5_raw/. */
#include <dirent.h>
#include <errno.h>
#include <hdf5.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* The input goes to a named file (libhdf5 opens by name and wants its real
 * path, so a memfd will not do). A crash, this target's point, leaves that
 * file behind: each process first removes those of processes gone. */
static void sweep_dead(void)
{
    DIR *d = opendir("/tmp");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        int pid;
        char tail[8];
        if (sscanf(e->d_name, "fuzz_h5_raw.%d.%7s", &pid, tail) != 2 || strcmp(tail, "h5")) continue;
        if (kill(pid, 0) && errno == ESRCH) {
            char p[300];
            snprintf(p, sizeof p, "/tmp/%s", e->d_name);
            unlink(p);
        }
    }
    if (d) closedir(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sweep_dead();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    ckpt__sandbox_off = 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz_h5_raw.%d.h5", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    static const char *const fmts[] = {"keras-h5", "keras-weights"};
    for (int k = 0; k < 2; k++) {
        const ckpt_format *fmt = ckpt__format_find(fmts[k]);
        ckpt_model *m = NULL;
        ckpt_err err;
        ckpt_err_clear(&err);
        if (!fmt || ckpt__open_with(fmt, path, &m, &err)) continue;
        unsigned char buf[4096];
        for (int i = 0; i < ckpt_model_ntensors(m); i++) {
            const ckpt_tensor *t = ckpt_model_tensor(m, i);
            size_t n = t->nbytes < sizeof buf ? (size_t)t->nbytes : sizeof buf;
            ckpt_tensor_read(m, i, 0, buf, n, &err);
        }
        ckpt_close(m);
    }
    unlink(path);
    return 0;
}
