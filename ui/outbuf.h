/* ui/outbuf.h: rows of output built in one big buffer and written in large
 * blocks (ls of 100,000 tensors: no printf per field, no JSON tree). */
#ifndef CKPT_UI_OUTBUF_H
#define CKPT_UI_OUTBUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct outbuf {
    char *p;
    size_t n, cap;
    FILE *f;
    int bad;             /* out of memory or a write failed */
} outbuf;

void ob_init(outbuf *b, FILE *f);
/* Room for `n` more bytes (flushes when full); NULL when out of memory. */
char *ob_room(outbuf *b, size_t n);
void ob_put(outbuf *b, const char *s, size_t n);
void ob_puts(outbuf *b, const char *s);
/* s, then spaces up to `width` bytes (printf's "%-*s"). */
void ob_pad(outbuf *b, const char *s, int width);
void ob_u64(outbuf *b, unsigned long long v);
/* A number as cJSON_PrintUnformatted prints it. */
void ob_json_num(outbuf *b, double d);
/* A string literal as cJSON prints it, made safe as cli_json_safe does. */
void ob_json_str(outbuf *b, const char *s);
/* Write what is left and free; 0 or -1. */
int ob_finish(outbuf *b);

#endif
