/* fuzz_keras_zip.c: .keras member handling (keras_zip.c) on any bytes
 * opened as a zip from memory: member scan (names, expansion limits), the
 * small JSON members read whole with CRC checks, the weights member
 * streamed to a scratch file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/keras_zip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, size, 0, &ze);
    if (!src) { zip_error_fini(&ze); return 0; }
    zip_t *z = zip_open_from_source(src, ZIP_RDONLY, &ze);
    if (!z) { zip_source_free(src); zip_error_fini(&ze); return 0; }
    kz_members mb;
    ckpt_err e;
    ckpt_err_clear(&e);
    if (ckpt__kz_scan(z, "fuzz.keras", &mb, &e) == 0) {
        char *txt;
        size_t len;
        if (mb.config >= 0 && ckpt__kz_read_small(z, mb.config, 1 << 20, &txt, &len, &e) == 0) free(txt);
        ckpt_err_clear(&e);
        if (mb.metadata >= 0 && ckpt__kz_read_small(z, mb.metadata, 1 << 20, &txt, &len, &e) == 0) free(txt);
        ckpt_err_clear(&e);
        if (mb.weights >= 0 && mb.weights_size < (1u << 22)) {
            FILE *tf = tmpfile();
            if (tf) {
                ckpt__kz_extract_fd(z, mb.weights, fileno(tf), &e);
                fclose(tf);
            }
        }
    }
    zip_discard(z);
    zip_error_fini(&ze);
    return 0;
}
