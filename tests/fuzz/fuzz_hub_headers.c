/* libFuzzer target: the HTTP header lines ckpt parses by hand (status line,
 * Link rel="next", ETag / X-Linked-Etag, Retry-After, Content-Length). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hub/hub_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char *n = ckpt__http_link_next(s, size);
    if (n && strchr(n, '>')) __builtin_trap();
    free(n);
    long ra = ckpt__http_retry_after(s, size);
    if (ra < -1 || ra > 86400 * 10 + 9) __builtin_trap();
    char *e = ckpt__http_etag_norm(s, size);
    free(e);
    /* a whole response head, line by line */
    http_resp r;
    memset(&r, 0, sizeof r);
    size_t a = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == '\n') {
            ckpt__http_header_line(&r, s + a, i - a);
            a = i + 1;
        }
    }
    if (r.status < 0 || r.status > 999) __builtin_trap();
    ckpt__http_resp_free(&r);
    return 0;
}
