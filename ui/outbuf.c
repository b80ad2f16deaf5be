/* ui/outbuf.c: see outbuf.h. */
#include "outbuf.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "safe.h"

#define OB_BLOCK (256u << 10)

void ob_init(outbuf *b, FILE *f)
{
    memset(b, 0, sizeof *b);
    b->f = f;
}

static void ob_flush(outbuf *b)
{
    if (b->n && fwrite(b->p, 1, b->n, b->f) != b->n) b->bad = 1;
    b->n = 0;
}

char *ob_room(outbuf *b, size_t n)
{
    if (b->n + n > b->cap) {
        ob_flush(b);
        if (n > b->cap) {
            size_t nc = n > OB_BLOCK ? n : OB_BLOCK;
            char *np = realloc(b->p, nc);
            if (!np) { b->bad = 1; return NULL; }
            b->p = np;
            b->cap = nc;
        }
    }
    return b->p + b->n;
}

void ob_put(outbuf *b, const char *s, size_t n)
{
    char *d = ob_room(b, n);
    if (!d) return;
    memcpy(d, s, n);
    b->n += n;
}

void ob_puts(outbuf *b, const char *s) { ob_put(b, s, strlen(s)); }

void ob_pad(outbuf *b, const char *s, int width)
{
    size_t l = strlen(s), w = width > 0 ? (size_t)width : 0;
    char *d = ob_room(b, l > w ? l : w);
    if (!d) return;
    memcpy(d, s, l);
    if (l < w) memset(d + l, ' ', w - l);
    b->n += l > w ? l : w;
}

void ob_u64(outbuf *b, unsigned long long v)
{
    char t[24];
    int k = 0;
    do { t[k++] = (char)('0' + v % 10); v /= 10; } while (v);
    char *d = ob_room(b, (size_t)k);
    if (!d) return;
    for (int i = 0; i < k; i++) d[i] = t[k - 1 - i];
    b->n += (size_t)k;
}

void ob_json_num(outbuf *b, double d)
{
    /* integers below 1e15 print as their digits (cJSON: "%d", or "%1.15g"
     * which has no exponent there); the rest as cJSON's print_number does */
    if (d >= 0 && d < 1e15 && d == (double)(unsigned long long)d) { ob_u64(b, (unsigned long long)d); return; }
    char t[32];
    if (isnan(d) || isinf(d)) snprintf(t, sizeof t, "null");
    else if (d > INT_MIN && d < INT_MAX && d == (double)(int)d) snprintf(t, sizeof t, "%d", (int)d);
    else {
        double back;
        snprintf(t, sizeof t, "%1.15g", d);
        if (sscanf(t, "%lg", &back) != 1 || back != d) snprintf(t, sizeof t, "%1.17g", d);
    }
    ob_puts(b, t);
}

void ob_json_str(outbuf *b, const char *s)
{
    char *d = ob_room(b, 6 * strlen(s ? s : "") + 3);
    if (d) b->n += cli_json_str_into(s, d);
}

int ob_finish(outbuf *b)
{
    ob_flush(b);
    free(b->p);
    b->p = NULL;
    b->cap = 0;
    if (fflush(b->f)) b->bad = 1;
    return b->bad ? -1 : 0;
}
