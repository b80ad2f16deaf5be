/* fuzz_arch.c: architecture analysis of a Hugging Face config.json (any
 * JSON: numbers of any size and sign, wrong types, nested text_config). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remap_int.h"

static int mem_open(ckpt_model *m, const char *path, ckpt_err *err)
{
    (void)path;
    int64_t sh[2] = {4, 8};
    if (ckpt__model_add_file(m, "mem", 0, err) < 0) return err->code;
    return ckpt__model_add_tensor(m, "model.embed_tokens.weight", NULL, CKPT_F32, 2, sh, 0, CKPT_NO_OFFSET, err) < 0 ? err->code : 0;
}
static int mem_read(ckpt_model *m, int t, uint64_t off, void *buf, size_t n, ckpt_err *err)
{
    (void)m; (void)t; (void)off; (void)err;
    memset(buf, 0, n);
    return 0;
}
static void mem_close(ckpt_model *m) { (void)m; }
static const ckpt_format fmt_mem = {.name = "mem", .desc = "fuzz", .flags = CKPT_FMT_READ,
                                    .open = mem_open, .read = mem_read, .close = mem_close};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    ckpt_model *m = NULL;
    ckpt_err e;
    ckpt_err_clear(&e);
    if (ckpt__open_with(&fmt_mem, "/nonexistent-dir/model.bin", &m, &e) == 0) {
        ckpt__arch_analyze_json(m, text, &e);
        for (int i = 0; i < ckpt_model_nfacts(m); i++) {
            const char *k, *v;
            ckpt_model_fact(m, i, &k, &v);
        }
        ckpt_close(m);
    }
    free(text);
    return 0;
}
