/* strbuf.c: a growing NUL-terminated string (ckpt_sbuf, internal.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void ckpt__sb_add(ckpt_sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->n + n + 1) nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) { b->oom = 1; return; }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

void ckpt__sb_puts(ckpt_sbuf *b, const char *s) { ckpt__sb_add(b, s, strlen(s)); }

void ckpt__sb_printf(ckpt_sbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0) b->oom = 1;
    else if ((size_t)k < sizeof tmp) ckpt__sb_add(b, tmp, (size_t)k);
    else {
        char *big = malloc((size_t)k + 1);
        if (big) {
            vsnprintf(big, (size_t)k + 1, fmt, ap2);
            ckpt__sb_add(b, big, (size_t)k);
        } else b->oom = 1;
        free(big);
    }
    va_end(ap2);
}
