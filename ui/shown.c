/* shown.c: escape and shorten a stored value for a terminal line. */
#include "shown.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (of at most n bytes), else 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    size_t len = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3
               : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (!len || len > n) return 0;
    unsigned c = len == 1 ? p[0] : p[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        c = (c << 6) | (p[i] & 0x3f);
    }
    static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
    return len;
}

char *shown_value(const char *v, size_t max)
{
    size_t n = strlen(v), cap = (max && max < n ? max : n) * 4 + 48;
    char *out = malloc(cap);
    if (!out) return NULL;
    const unsigned char *p = (const unsigned char *)v;
    size_t o = 0, i = 0;
    while (i < n && (!max || o < max)) {
        size_t len = utf8_seq(p + i, n - i);
        if (len == 1 && p[i] >= 0x20 && p[i] != 0x7f) out[o++] = (char)p[i];
        else if (len > 1) { memcpy(out + o, p + i, len); o += len; }
        else if (p[i] == '\n') { memcpy(out + o, "\\n", 2); o += 2; }
        else if (p[i] == '\t') { memcpy(out + o, "\\t", 2); o += 2; }
        else if (p[i] == '\r') { memcpy(out + o, "\\r", 2); o += 2; }
        else o += (size_t)snprintf(out + o, cap - o, "\\x%02x", p[i]);
        i += len ? len : 1;
    }
    if (i < n) o += (size_t)snprintf(out + o, cap - o, "... (%zu bytes)", n);
    out[o] = 0;
    return out;
}
