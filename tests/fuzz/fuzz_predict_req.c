/* fuzz_predict_req.c: `ckpt serve`'s request checking (src/serve/predict_req.c):
 * any bytes as a POST /predictions body, with and without a --root (local
 * paths resolved under /tmp). An accepted request must have a repo and
 * consistent fields; a refused one an HTTP 4xx and a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 17) return 0;
    for (int pass = 0; pass < 2; pass++) {
        ckpt_predict_req r;
        ckpt_err e;
        ckpt_err_clear(&e);
        int http = 0;
        int rc = ckpt_predict_req_parse((const char *)data, size, pass ? "/tmp" : NULL, &r, &http, &e);
        if (rc) {
            if (http < 400 || http > 499 || !e.msg[0]) abort();
            if (r.repo || r.id || r.webhook) abort();   /* freed on error */
        } else {
            if (!r.repo || http != 200) abort();
            if (r.local && (!pass || strncmp(r.repo, "/tmp", 4))) abort();
            ckpt_predict_req_free(&r);
        }
    }
    return 0;
}
