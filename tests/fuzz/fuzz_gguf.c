/* libFuzzer target: the GGUF reader (header, KV values, tensor infos, and
 * reads of every tensor including dequantization) on a file held in memory.
 * The bytes go through a memfd so the reader runs its real ckpt_src path. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz.gguf", MFD_CLOEXEC);
    if (fd < 0) return 0;
    if (ckpt__write_full(fd, data, size)) { close(fd); return 0; }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ckpt_err err;
    ckpt_err_clear(&err);
    ckpt_model *m = NULL;
    if (ckpt_open_as(path, "gguf", &m, &err) == CKPT_OK) {
        static unsigned char buf[8192];
        for (int i = 0; i < ckpt_model_ntensors(m); i++) {
            const ckpt_tensor *t = ckpt_model_tensor(m, i);
            size_t n = t->nbytes < sizeof buf ? (size_t)t->nbytes : sizeof buf;
            ckpt_err e2;
            ckpt_err_clear(&e2);
            ckpt_tensor_read(m, i, 0, buf, n, &e2);
            if (t->nbytes > 7) {   /* an unaligned tail inside a block */
                ckpt_err_clear(&e2);
                ckpt_tensor_read(m, i, t->nbytes - 7, buf, 7, &e2);
            }
        }
        ckpt_close(m);
    }
    close(fd);
    return 0;
}
