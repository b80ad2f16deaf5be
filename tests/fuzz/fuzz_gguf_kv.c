/* libFuzzer target: the GGUF writer's own walk of a source's typed KV
 * section (gguf_kv.c), on a file held in memory (through a memfd, so the
 * walk runs its real ckpt_src path), each pair recorded as the writer
 * records it for copying. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "formats/gguf_write.h"

static int rec(void *ud, const char *key, uint32_t type, uint64_t off, uint64_t len, ckpt_err *err)
{
    (void)err;
    gguf_kv *kv = ud;
    if (type == GGV_U32 && !strcmp(key, "general.alignment")) ckpt__gkv_u32(kv, key, 32);
    else ckpt__gkv_copy(kv, off, len);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz.gguf", MFD_CLOEXEC);
    if (fd < 0) return 0;
    if (ckpt__write_full(fd, data, size)) { close(fd); return 0; }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ckpt_err err;
    ckpt_err_clear(&err);
    ckpt_src *s = NULL;
    if (ckpt_src_open(path, &s, &err) == CKPT_OK) {
        gguf_kv kv = {0};
        if (ckpt__gguf_kv_walk(s, path, rec, &kv, &err) == CKPT_OK && ckpt__gkv_bytes(&kv) > size + 64 * kv.nkv)
            __builtin_trap();   /* the copied ranges can only come from the file */
        ckpt__gkv_free(&kv);
        ckpt_src_close(s);
    }
    close(fd);
    return 0;
}
